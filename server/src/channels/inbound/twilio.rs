//! Twilio Programmable Messaging webhooks: inbound SMS / MMS and status callbacks for
//! ours, both `application/x-www-form-urlencoded`.

use super::{
    Addressed, InboundAttachment, InboundEvent, InboundMessage, Malformed, ProviderStatus,
};
use app::messages::{AttachmentKind, MessageStatus};

/// Twilio attaches at most 10 media to a message; a larger `NumMedia` is not believed.
const MAX_MEDIA: usize = 10;

/// The decoded name/value pairs of a form body, in order (the signature check needs them
/// all). Percent-escapes that are not UTF-8 decode to U+FFFD, as in any form decoder.
pub fn form_params(raw_body: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    std::str::from_utf8(raw_body)
        .map_err(|e| Malformed(format!("the form body is not UTF-8: {e}")))?;
    Ok(form_urlencoded::parse(raw_body).into_owned().collect())
}

/// The parameters as Twilio's signature covers them, read leniently (text that is not
/// UTF-8 replaced): the signature is checked before anything about the body is judged.
pub fn signed_params(raw_body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw_body).into_owned().collect()
}

/// The event of one Twilio webhook: an inbound message (addressed to our number, `To`) or
/// a status callback for one of ours (our number is then `From`).
/// Where the callback URL's `confab_id` is kept among the parameters: a name Twilio's
/// own parameters (CamelCase) never take.
const CALLBACK_CONFAB_ID: &str = "confab:callback_id";

/// Adds the `confab_id` of a status callback's URL query (Confab sets it on each send,
/// and Twilio signs the URL with it) to the parameters, once the signature held.
pub fn add_callback_query(params: &mut Vec<(String, String)>, query: Option<&str>) {
    params.retain(|(key, _)| key != CALLBACK_CONFAB_ID);
    let id = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == crate::channels::twilio_sms::CONFAB_ID_PARAM)
        .map(|(_, id)| id.into_owned());
    if let Some(id) = id {
        params.push((CALLBACK_CONFAB_ID.to_owned(), id));
    }
}

pub fn parse(params: &[(String, String)]) -> Result<Vec<Addressed>, Malformed> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    };
    let required = |name: &str| get(name).ok_or_else(|| Malformed(format!("no {name}")));
    let sid = get("MessageSid")
        .or_else(|| get("SmsSid"))
        .ok_or_else(|| Malformed("no MessageSid".into()))?;
    let from = required("From")?;

    // A status callback; inbound messages carry "received" (or no status at all).
    if let Some(state) = get("MessageStatus")
        .or_else(|| get("SmsStatus"))
        .filter(|s| *s != "received")
    {
        // Named by the status callback URL's query (`add_callback_query`).
        let confab_id = params
            .iter()
            .find(|(key, _)| key == CALLBACK_CONFAB_ID)
            .and_then(|(_, id)| crate::channels::parse_confab_tag(&format!("confab:{id}")));
        let status = match state {
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "undelivered" | "failed" => MessageStatus::Failed,
            // queued / accepted / scheduled / sending: Twilio took the reply (its own
            // queue may hold it longer than Confab waits for a confirmation): it
            // confirms a send whose answer was lost, as "sent" (what Confab shows for a
            // reply the provider took), else nothing new.
            "queued" | "accepted" | "scheduled" | "sending" if confab_id.is_some() => {
                MessageStatus::Sent
            }
            // canceled, partially_delivered and later additions: nothing Confab tracks.
            other => {
                return Ok(vec![Addressed {
                    business_id: from.to_owned(),
                    event: InboundEvent::Ignored(format!("{other} status")),
                }])
            }
        };
        let error = (status == MessageStatus::Failed)
            .then(|| failure_reason(get("ErrorMessage"), get("ErrorCode")));
        return Ok(vec![Addressed {
            business_id: from.to_owned(),
            event: InboundEvent::Status(ProviderStatus {
                provider_id: sid.to_owned(),
                status,
                at: None,
                error,
                confab_id,
            }),
        }]);
    }

    // `Body` may be empty (dropped by `get`) for a picture-only MMS, but is always sent.
    let has = |name: &str| params.iter().any(|(key, _)| key == name);
    if !has("Body") && !has("NumMedia") {
        return Err(Malformed(
            "neither a message (Body, NumMedia) nor a status callback (MessageStatus)".into(),
        ));
    }
    let to = required("To")?;
    let num_media = get("NumMedia").and_then(|n| n.parse::<usize>().ok());
    let attachments = (0..num_media.unwrap_or(0).min(MAX_MEDIA))
        .filter_map(|n| {
            let url = get(&format!("MediaUrl{n}"))?;
            let mime = get(&format!("MediaContentType{n}"));
            Some(InboundAttachment {
                kind: kind_of(mime.unwrap_or_default()),
                mime: mime.map(str::to_owned),
                file_name: None,
                source_url: Some(url.to_owned()),
                provider_media_id: None,
            })
        })
        .collect::<Vec<_>>();
    let body = get("Body").unwrap_or_default();
    // An SMS with neither text nor a file says nothing: nothing to store or show (as on
    // Meta's channels).
    if body.trim().is_empty() && attachments.is_empty() {
        return Ok(vec![Addressed {
            business_id: to.to_owned(),
            event: InboundEvent::Ignored("a message with neither text nor media".into()),
        }]);
    }
    Ok(vec![Addressed {
        business_id: to.to_owned(),
        event: InboundEvent::Message(InboundMessage {
            contact_external_id: from.to_owned(),
            contact_phone: Some(from.to_owned()),
            provider_id: sid.to_owned(),
            body: body.to_owned(),
            attachments,
            ..Default::default()
        }),
    }])
}

fn kind_of(mime: &str) -> AttachmentKind {
    match mime.split('/').next().unwrap_or_default() {
        "image" => AttachmentKind::Image,
        "video" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        _ => AttachmentKind::File,
    }
}

/// Status callbacks carry only `ErrorCode` as a rule: the common SMS ones get words.
fn failure_reason(message: Option<&str>, code: Option<&str>) -> String {
    let described = code.and_then(|code| {
        Some(match code {
            "30001" => "Queue overflow",
            "30002" => "Account suspended",
            "30003" => "Unreachable destination handset",
            "30004" => "Message blocked",
            "30005" => "Unknown destination handset",
            "30006" => "Landline or unreachable carrier",
            "30007" => "Message filtered by the carrier",
            "30008" => "Unknown error",
            _ => return None,
        })
    });
    match (message.or(described), code) {
        (Some(message), Some(code)) => format!("SMS not delivered: {message} [{code}]"),
        (Some(message), None) => format!("SMS not delivered: {message}"),
        (None, Some(code)) => format!("SMS not delivered: error {code}"),
        (None, None) => "SMS not delivered".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::inbound::test_fixtures::fixture;

    /// The one line of a `.txt` form fixture that is not a `#` comment.
    fn form_fixture(name: &str) -> Vec<(String, String)> {
        let text = String::from_utf8(fixture(name)).unwrap();
        let mut bodies = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        let body = bodies.next().unwrap();
        assert_eq!(bodies.next(), None);
        form_params(body.trim().as_bytes()).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn one(params: &[(String, String)]) -> (String, InboundEvent) {
        let mut events = parse(params).unwrap();
        assert_eq!(events.len(), 1);
        let Addressed { business_id, event } = events.remove(0);
        (business_id, event)
    }

    #[test]
    fn inbound_sms() {
        let params = form_fixture("twilio_inbound_sms.txt");
        assert_eq!(params.len(), 20);
        let (to, event) = one(&params);
        assert_eq!(to, "+15558675310");
        assert_eq!(
            event,
            InboundEvent::Message(InboundMessage {
                contact_external_id: "+14017122661".into(),
                contact_phone: Some("+14017122661".into()),
                provider_id: "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".into(),
                body: "Ahoy! Let's build something amazing.".into(),
                ..Default::default()
            })
        );
    }

    #[test]
    fn inbound_mms() {
        let params = pairs(&[
            ("MessageSid", "MM1"),
            ("From", "+14017122661"),
            ("To", "+15558675310"),
            ("Body", ""),
            ("NumMedia", "3"),
            ("MediaUrl0", "https://api.twilio.com/m/0"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl1", "https://api.twilio.com/m/1"),
            ("MediaContentType1", "application/pdf"),
            ("MediaUrl2", "https://api.twilio.com/m/2"),
            ("MediaUrl3", "https://api.twilio.com/m/3"),
        ]);
        let InboundEvent::Message(m) = one(&params).1 else {
            panic!()
        };
        assert_eq!(m.body, "");
        let got: Vec<_> = m
            .attachments
            .iter()
            .map(|a| (a.kind, a.mime.as_deref(), a.source_url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    AttachmentKind::Image,
                    Some("image/jpeg"),
                    "https://api.twilio.com/m/0"
                ),
                (
                    AttachmentKind::File,
                    Some("application/pdf"),
                    "https://api.twilio.com/m/1"
                ),
                (AttachmentKind::File, None, "https://api.twilio.com/m/2"),
            ]
        );
        assert_eq!(kind_of("video/mp4"), AttachmentKind::Video);
        assert_eq!(kind_of("audio/ogg"), AttachmentKind::Audio);
        // An absurd count neither loops long nor fails (and with no file or text, there is
        // nothing to store).
        let huge = pairs(&[
            ("MessageSid", "M"),
            ("From", "a"),
            ("To", "b"),
            ("NumMedia", "99999999999"),
        ]);
        assert!(matches!(one(&huge).1, InboundEvent::Ignored(_)));
    }

    #[test]
    fn status_callback() {
        let (ours, event) = one(&form_fixture("twilio_status_callback.txt"));
        assert_eq!(ours, "+15017250604");
        assert_eq!(
            event,
            InboundEvent::Status(ProviderStatus {
                provider_id: "SM1342fe1b2c904d1ab04f0fc7a58abca9".into(),
                status: MessageStatus::Sent,
                at: None,
                error: None,
                confab_id: None,
            })
        );
        // The callback URL Confab gave names the reply; the body cannot plant it.
        let mut params = form_fixture("twilio_status_callback.txt");
        params.push((CALLBACK_CONFAB_ID.into(), "666".into()));
        add_callback_query(&mut params, Some("confab_id=42.1764990000123"));
        let (_, event) = one(&params);
        let tag = app::messages::store::ConfabTag {
            message: app::ids::MessageId(42),
            created_at: 1_764_990_000_123,
        };
        assert!(
            matches!(&event, InboundEvent::Status(s) if s.confab_id == Some(tag)),
            "{event:?}"
        );
        // Twilio's own queue may hold a reply past Confab's wait: a callback saying it was
        // queued or is being sent confirms it (as sent) when it names the reply, and
        // says nothing new otherwise.
        for state in ["queued", "accepted", "scheduled", "sending"] {
            let with_state = |query: Option<&str>| {
                let mut params: Vec<(String, String)> = form_fixture("twilio_status_callback.txt")
                    .into_iter()
                    .filter(|(key, _)| key != "MessageStatus" && key != "SmsStatus")
                    .collect();
                params.push(("MessageStatus".into(), state.into()));
                add_callback_query(&mut params, query);
                one(&params).1
            };
            assert!(
                matches!(&with_state(Some("confab_id=42.1764990000123")),
                    InboundEvent::Status(s) if s.confab_id == Some(tag) && s.status == MessageStatus::Sent),
                "{state}"
            );
            assert!(
                matches!(with_state(None), InboundEvent::Ignored(_)),
                "{state}"
            );
        }
        let mut params = form_fixture("twilio_status_callback.txt");
        params.push((CALLBACK_CONFAB_ID.into(), "666".into()));
        add_callback_query(&mut params, None);
        assert!(matches!(one(&params).1, InboundEvent::Status(s) if s.confab_id.is_none()));
    }

    #[test]
    fn every_documented_status() {
        let path = "twilio_message_status_values.json";
        let doc: serde_json::Value = serde_json::from_slice(&fixture(path)).unwrap();
        let values = doc["MessageStatus_all_values"].as_array().unwrap();
        assert_eq!(values.len(), 13);
        for value in values {
            let state = value.as_str().unwrap();
            let params = pairs(&[
                ("MessageSid", "SM1"),
                ("From", "+15017250604"),
                ("To", "+14017122661"),
                ("MessageStatus", state),
                ("ErrorCode", "30003"),
            ]);
            if state == "received" {
                // That is an inbound message, and this one has no Body.
                assert!(parse(&params).is_err());
                continue;
            }
            let (ours, event) = one(&params);
            let expected = match state {
                "sent" => Some(MessageStatus::Sent),
                "delivered" => Some(MessageStatus::Delivered),
                "read" => Some(MessageStatus::Read),
                "failed" | "undelivered" => Some(MessageStatus::Failed),
                _ => None,
            };
            match (event, expected) {
                (InboundEvent::Ignored(what), None) => {
                    assert_eq!(ours, "+15017250604");
                    assert_eq!(what, format!("{state} status"));
                }
                (InboundEvent::Status(s), Some(status)) => {
                    assert_eq!(
                        (ours.as_str(), s.provider_id.as_str(), s.status),
                        ("+15017250604", "SM1", status)
                    );
                    let error = (status == MessageStatus::Failed).then(|| {
                        "SMS not delivered: Unreachable destination handset [30003]".to_owned()
                    });
                    assert_eq!(s.error, error);
                }
                (event, _) => panic!("{state}: {event:?}"),
            }
        }
    }

    #[test]
    fn failure_reasons() {
        assert_eq!(
            failure_reason(Some("Carrier says no"), Some("30008")),
            "SMS not delivered: Carrier says no [30008]"
        );
        assert_eq!(
            failure_reason(None, Some("21610")),
            "SMS not delivered: error 21610"
        );
        assert_eq!(
            failure_reason(Some("Gone"), None),
            "SMS not delivered: Gone"
        );
        assert_eq!(failure_reason(None, None), "SMS not delivered");
    }

    #[test]
    fn malformed() {
        let full = [
            ("MessageSid", "SM1"),
            ("From", "+1"),
            ("To", "+2"),
            ("Body", "hi"),
        ];
        assert!(parse(&pairs(&full)).is_ok());
        for missing in ["MessageSid", "From", "To"] {
            let params: Vec<_> = full
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            assert!(parse(&pairs(&params)).unwrap_err().0.contains(missing));
        }
        let received = pairs(&[
            ("MessageSid", "SM1"),
            ("From", "+1"),
            ("To", "+2"),
            ("SmsStatus", "received"),
        ]);
        assert!(parse(&received).is_err());
        assert!(parse(&[]).is_err());
        // A status callback needs no To.
        assert!(parse(&pairs(&[
            ("SmsSid", "SM1"),
            ("From", "+1"),
            ("SmsStatus", "delivered")
        ]))
        .is_ok());
    }

    #[test]
    fn a_message_with_neither_text_nor_media_is_ignored() {
        for body in ["", "   "] {
            let events = parse(&pairs(&[
                ("MessageSid", "SM1"),
                ("From", "+1"),
                ("To", "+2"),
                ("Body", body),
                ("NumMedia", "0"),
            ]))
            .unwrap();
            assert!(
                matches!(
                    &events[..],
                    [Addressed {
                        event: InboundEvent::Ignored(_),
                        ..
                    }]
                ),
                "{body:?}: {events:?}"
            );
        }
        let picture = parse(&pairs(&[
            ("MessageSid", "SM2"),
            ("From", "+1"),
            ("To", "+2"),
            ("Body", ""),
            ("NumMedia", "1"),
            ("MediaUrl0", "https://api.twilio.com/m/1"),
            ("MediaContentType0", "image/jpeg"),
        ]))
        .unwrap();
        assert!(
            matches!(&picture[..], [Addressed { event: InboundEvent::Message(m), .. }] if m.attachments.len() == 1)
        );
    }

    #[test]
    fn form_decoding() {
        assert!(form_params(b"Body=\xff").is_err());
        assert_eq!(
            form_params(b"Body=caf%C3%A9+%26+more&Empty=&Flag&=v&&Bad=%ZZ%").unwrap(),
            pairs(&[
                ("Body", "café & more"),
                ("Empty", ""),
                ("Flag", ""),
                ("", "v"),
                ("Bad", "%ZZ%")
            ])
        );
        assert_eq!(form_params(b"").unwrap(), vec![]);
    }
}
