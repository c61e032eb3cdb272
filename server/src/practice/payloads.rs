//! The webhooks the simulator sends, of the shapes the providers document (the fixtures in
//! `server/tests/fixtures/providers/` are the same shapes, with their sources):
//! Messenger and Instagram `messaging` entries (message, echo, delivery, read), WhatsApp
//! Cloud API `messages` changes (message, status) and Twilio's form posts (incoming SMS,
//! status callback). Pure functions: the tests read each back with Confab's own parsers.

use serde_json::{json, Value};

/// The Graph object a Meta channel's webhooks carry.
pub fn meta_object(kind: app::channels::ChannelKind) -> &'static str {
    match kind {
        app::channels::ChannelKind::Instagram => "instagram",
        _ => "page",
    }
}

/// One `messaging` item wrapped in its entry, as Meta posts it.
fn meta_entry(object: &str, business_id: &str, at: i64, item: Value) -> Value {
    json!({
        "object": object,
        "entry": [{ "id": business_id, "time": at, "messaging": [item] }],
    })
}

/// The lead wrote `text` (Messenger or Instagram).
pub fn meta_message(
    object: &str,
    business_id: &str,
    lead: &str,
    mid: &str,
    text: &str,
    at: i64,
) -> Value {
    meta_entry(
        object,
        business_id,
        at,
        json!({
            "sender": { "id": lead },
            "recipient": { "id": business_id },
            "timestamp": at,
            "message": { "mid": mid, "text": text },
        }),
    )
}

/// The echo of a message the business sent, with the `metadata` the sender set.
pub fn meta_echo(
    object: &str,
    business_id: &str,
    lead: &str,
    mid: &str,
    text: &str,
    metadata: Option<&str>,
    at: i64,
) -> Value {
    let mut message = json!({ "mid": mid, "is_echo": true, "app_id": 1, "text": text });
    if let Some(metadata) = metadata {
        message["metadata"] = json!(metadata);
    }
    meta_entry(
        object,
        business_id,
        at,
        json!({
            "sender": { "id": business_id },
            "recipient": { "id": lead },
            "timestamp": at,
            "message": message,
        }),
    )
}

/// Messenger: these messages reached the lead's device.
pub fn meta_delivery(business_id: &str, lead: &str, mids: &[&str], watermark: i64) -> Value {
    meta_entry(
        "page",
        business_id,
        watermark,
        json!({
            "sender": { "id": lead },
            "recipient": { "id": business_id },
            "delivery": { "mids": mids, "watermark": watermark },
        }),
    )
}

/// The lead read the conversation: Messenger up to a watermark, Instagram up to a message.
pub fn meta_read(object: &str, business_id: &str, lead: &str, newest_mid: &str, at: i64) -> Value {
    let read = if object == "instagram" {
        json!({ "mid": newest_mid })
    } else {
        json!({ "watermark": at })
    };
    meta_entry(
        object,
        business_id,
        at,
        json!({
            "sender": { "id": lead },
            "recipient": { "id": business_id },
            "timestamp": at,
            "read": read,
        }),
    )
}

/// One WhatsApp Cloud API `messages` change of the business's number.
fn whatsapp_change(account: &str, number_id: &str, display: &str, value: Value) -> Value {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({ "display_phone_number": display, "phone_number_id": number_id });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": account, "changes": [{ "value": value, "field": "messages" }] }],
    })
}

/// The business's number as WhatsApp shows it in `display_phone_number` (digits).
pub fn display_number(number_id: &str) -> String {
    format!("5511{}", &number_id[number_id.len().saturating_sub(8)..])
}

/// The lead (`wa_id`, with a profile name) wrote `text`.
pub fn whatsapp_message(
    account: &str,
    number_id: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    text: &str,
    at: i64,
) -> Value {
    whatsapp_change(
        account,
        number_id,
        &display_number(number_id),
        json!({
            "contacts": [{ "profile": { "name": name }, "wa_id": wa_id }],
            "messages": [{
                "from": wa_id,
                "id": wamid,
                "timestamp": (at / 1000).to_string(),
                "type": "text",
                "text": { "body": text },
            }],
        }),
    )
}

/// A status of a message the business sent: `sent`, `delivered`, `read` or `failed`
/// (with WhatsApp's error code and title).
pub fn whatsapp_status(
    account: &str,
    number_id: &str,
    wa_id: &str,
    wamid: &str,
    status: &str,
    error: Option<(i64, &str)>,
    at: i64,
) -> Value {
    let mut item = json!({
        "id": wamid,
        "status": status,
        "timestamp": (at / 1000).to_string(),
        "recipient_id": wa_id,
    });
    if let Some((code, title)) = error {
        item["errors"] = json!([{
            "code": code,
            "title": title,
            "message": title,
            "error_data": { "details": whatsapp_error_details(code) },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }]);
    }
    whatsapp_change(
        account,
        number_id,
        &display_number(number_id),
        json!({ "statuses": [item] }),
    )
}

/// The `error_data.details` WhatsApp documents for the failures the simulator reports.
fn whatsapp_error_details(code: i64) -> &'static str {
    match code {
        131_047 => {
            "More than 24 hours have passed since the recipient last replied to the sender number."
        }
        131_026 => "Message Undeliverable.",
        _ => "The message could not be delivered.",
    }
}

/// Twilio's incoming-SMS form parameters.
pub fn twilio_incoming(
    account_sid: &str,
    from: &str,
    to: &str,
    sid: &str,
    body: &str,
) -> Vec<(String, String)> {
    [
        ("ToCountry", "BR"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", to),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Twilio's status-callback form parameters; `error_code` with `undelivered`/`failed`.
pub fn twilio_status(
    account_sid: &str,
    from: &str,
    to: &str,
    sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("AccountSid", account_sid),
        ("From", from),
        ("To", to),
        ("MessageSid", sid),
        ("MessageStatus", status),
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(code) = error_code {
        params.push(("ErrorCode".into(), code.into()));
    }
    params
}

/// A form body as Twilio posts it (`application/x-www-form-urlencoded`).
pub fn form_body(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::inbound::meta::{parse as parse_meta, MetaObject};
    use crate::channels::inbound::{twilio, whatsapp, InboundEvent};
    use app::messages::store::ProviderStatus;

    fn one(events: Vec<crate::channels::inbound::Addressed>) -> (String, InboundEvent) {
        assert_eq!(events.len(), 1, "{events:?}");
        let e = events.into_iter().next().unwrap();
        (e.business_id, e.event)
    }

    fn bytes(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn messenger_and_instagram_payloads_read_back_as_what_the_lead_did() {
        for (object, parsed_as) in [
            ("page", MetaObject::Page),
            ("instagram", MetaObject::Instagram),
        ] {
            let message = meta_message(
                object,
                "777",
                "2001",
                "m_1",
                "Oi, tudo bem?",
                1_700_000_000_000,
            );
            let (business, event) = one(parse_meta(parsed_as, &bytes(message)).unwrap());
            assert_eq!(business, "777");
            match event {
                InboundEvent::Message(m) => {
                    assert_eq!(
                        (
                            m.contact_external_id.as_str(),
                            m.provider_id.as_str(),
                            m.body.as_str()
                        ),
                        ("2001", "m_1", "Oi, tudo bem?")
                    );
                    assert!(!m.from_business);
                }
                other => panic!("{other:?}"),
            }
            let echo = meta_echo(object, "777", "2001", "m_2", "Olá", Some("confab:9.1"), 1);
            let (_, event) = one(parse_meta(parsed_as, &bytes(echo)).unwrap());
            // Confab's own echo confirms reply 9 (it is not a new message).
            assert!(
                matches!(&event, InboundEvent::Status(s) if s.confab_id.map(|t| (t.message.0, t.created_at)) == Some((9, 1))),
                "Confab's own echo: {event:?}"
            );
            let read = meta_read(object, "777", "2001", "m_2", 1_700_000_000_500);
            let (_, event) = one(parse_meta(parsed_as, &bytes(read)).unwrap());
            match (object, event) {
                (
                    "page",
                    InboundEvent::ReadUpTo {
                        contact_external_id,
                        watermark,
                    },
                ) => {
                    assert_eq!(
                        (contact_external_id.as_str(), watermark),
                        ("2001", 1_700_000_000_500)
                    )
                }
                (
                    "instagram",
                    InboundEvent::ReadMessage {
                        contact_external_id,
                        provider_id,
                    },
                ) => {
                    assert_eq!(
                        (contact_external_id.as_str(), provider_id.as_str()),
                        ("2001", "m_2")
                    )
                }
                (object, other) => panic!("{object}: {other:?}"),
            }
        }
        let delivery = meta_delivery("777", "2001", &["m_2"], 1_700_000_000_100);
        let events: Vec<InboundEvent> = parse_meta(MetaObject::Page, &bytes(delivery))
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, InboundEvent::Status(s) if s.provider_id == "m_2")),
            "{events:?}"
        );
        assert!(
            events.iter().any(|e| matches!(e, InboundEvent::DeliveredUpTo { contact_external_id, watermark: 1_700_000_000_100 } if contact_external_id == "2001")),
            "{events:?}"
        );
    }

    #[test]
    fn whatsapp_payloads_read_back_as_what_the_lead_and_whatsapp_did() {
        let message = whatsapp_message(
            "55",
            "106540352242922",
            "5511987654321",
            "Maria",
            "wamid.A",
            "Oi",
            1_700_000_000_000,
        );
        let (business, event) = one(whatsapp::parse(&bytes(message)).unwrap());
        assert_eq!(business, "106540352242922");
        match event {
            InboundEvent::Message(m) => {
                assert_eq!(m.contact_external_id, "5511987654321");
                assert_eq!(m.contact_name.as_deref(), Some("Maria"));
                assert_eq!((m.provider_id.as_str(), m.body.as_str()), ("wamid.A", "Oi"));
            }
            other => panic!("{other:?}"),
        }
        let failed = whatsapp_status(
            "55",
            "106540352242922",
            "5511987654321",
            "wamid.B",
            "failed",
            Some((131047, "Re-engagement message")),
            1_700_000_000_000,
        );
        let (_, event) = one(whatsapp::parse(&bytes(failed)).unwrap());
        match event {
            InboundEvent::Status(ProviderStatus {
                provider_id,
                status,
                error,
                ..
            }) => {
                assert_eq!(provider_id, "wamid.B");
                assert_eq!(status, app::messages::MessageStatus::Failed);
                assert!(error.unwrap_or_default().contains("131047"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn twilio_forms_read_back_and_encode_as_twilio_posts_them() {
        let incoming =
            twilio_incoming("ACx", "+5511987654321", "+551130000000", "SM1", "Olá & até");
        let body = form_body(&incoming);
        assert!(body.contains("Body=Ol%C3%A1+%26+at%C3%A9"), "{body}");
        let params = twilio::form_params(body.as_bytes()).unwrap();
        assert_eq!(params, incoming);
        let (business, event) = one(twilio::parse(&params).unwrap());
        assert_eq!(business, "+551130000000");
        assert!(
            matches!(event, InboundEvent::Message(ref m) if m.body == "Olá & até" && m.contact_external_id == "+5511987654321"),
            "{event:?}"
        );
        let status = twilio_status(
            "ACx",
            "+551130000000",
            "+5511987654321",
            "SM2",
            "undelivered",
            Some("30003"),
        );
        let (_, event) = one(twilio::parse(&status).unwrap());
        match event {
            InboundEvent::Status(s) => {
                assert_eq!(s.provider_id, "SM2");
                assert_eq!(s.status, app::messages::MessageStatus::Failed);
                assert!(s.error.unwrap_or_default().contains("30003"));
            }
            other => panic!("{other:?}"),
        }
    }
}
