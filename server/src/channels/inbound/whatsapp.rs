//! WhatsApp Cloud API webhooks (`"object": "whatsapp_business_account"`): messages from
//! leads and the states of ours, in `entry[].changes[]` with `field: "messages"`.

use super::meta::{entries, id_at, text_at};
use super::{
    Addressed, InboundAttachment, InboundEvent, InboundMessage, Malformed, ProviderStatus,
};
use app::messages::{AttachmentKind, MessageKind, MessageStatus};
use serde_json::Value;
use std::fmt::Write as _;

/// The events of a WhatsApp webhook body, each with the phone number id it was sent to.
pub fn parse(raw_body: &[u8]) -> Result<Vec<Addressed>, Malformed> {
    let mut out = Vec::new();
    for entry in entries(raw_body, "whatsapp_business_account")? {
        let changes = entry.get("changes").and_then(Value::as_array);
        for change in changes.into_iter().flatten() {
            let value = change.get("value").unwrap_or(&Value::Null);
            let phone_number_id = id_at(value, "/metadata/phone_number_id");
            let (business_id, events) = match (text_at(change, "/field"), phone_number_id) {
                (Some("messages"), Some(id)) => (id, change_events(value)),
                // Other subscriptions (account, templates …), and messages without the
                // phone number id that would route them: logged under the account id.
                (field, _) => {
                    let what = match field {
                        Some("messages") => "messages change without phone_number_id".to_owned(),
                        Some(field) => format!("{field} change"),
                        None => "unnamed change".to_owned(),
                    };
                    let account = id_at(&entry, "/id").unwrap_or_default();
                    (account, vec![InboundEvent::Ignored(what)])
                }
            };
            out.extend(events.into_iter().map(|event| Addressed {
                business_id: business_id.clone(),
                event,
            }));
        }
    }
    Ok(out)
}

fn change_events(value: &Value) -> Vec<InboundEvent> {
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    let contacts: Vec<&Value> = list("contacts").collect();
    list("messages")
        .map(|message| message_event(message, &contacts))
        .chain(list("statuses").map(status_event))
        // Errors about the account or the webhook itself, not about one message.
        .chain(
            list("errors")
                .map(|e| InboundEvent::Ignored(format!("error notification: {}", error_reason(e)))),
        )
        .collect()
}

/// WhatsApp timestamps are Unix seconds, as a string.
fn seconds_to_ms(value: Option<&Value>) -> Option<i64> {
    let seconds = match value? {
        Value::String(s) => s.parse::<i64>().ok()?,
        other => other.as_i64()?,
    };
    seconds.checked_mul(1000)
}

fn message_event(message: &Value, contacts: &[&Value]) -> InboundEvent {
    // A lead who hides its number behind a username (2026) comes with only its
    // business-scoped user id, `from_user_id`: the contact is keyed by it.
    let from = id_at(message, "/from").or_else(|| id_at(message, "/from_user_id"));
    let (Some(from), Some(provider_id)) = (from, id_at(message, "/id")) else {
        return InboundEvent::Ignored("message without from or id".into());
    };
    let kind = text_at(message, "/type").unwrap_or("untyped");
    // The content sits under a key named after the type: `"image": {…}`.
    let content = message.get(kind).unwrap_or(&Value::Null);
    let text = |pointer: &str| text_at(content, pointer).unwrap_or_default().to_owned();
    let mut line_kind = MessageKind::Text;
    let mut contact_external_id = from.clone();
    let mut provider_id = provider_id;
    let mut refers_to = None;
    let (body, attachment) = match kind {
        "text" => (text("/body"), None),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let attachment = InboundAttachment {
                kind: match kind {
                    "image" => AttachmentKind::Image,
                    "video" => AttachmentKind::Video,
                    "audio" => AttachmentKind::Audio,
                    "sticker" => AttachmentKind::Sticker,
                    _ => AttachmentKind::File,
                },
                mime: text_at(content, "/mime_type").map(str::to_owned),
                file_name: text_at(content, "/filename").map(str::to_owned),
                source_url: text_at(content, "/url").map(str::to_owned),
                provider_media_id: id_at(content, "/id"),
            };
            let fetchable =
                attachment.source_url.is_some() || attachment.provider_media_id.is_some();
            (text("/caption"), fetchable.then_some(attachment))
        }
        "location" => {
            let coordinate = |key: &str| content.get(key).and_then(Value::as_f64);
            let place = coordinate("latitude")
                .zip(coordinate("longitude"))
                .map(|(lat, long)| InboundAttachment {
                    kind: AttachmentKind::Location,
                    mime: None,
                    file_name: None,
                    source_url: Some(format!("geo:{lat},{long}")),
                    provider_media_id: None,
                });
            let lines = [text("/name"), text("/address")];
            let body: Vec<_> = lines.into_iter().filter(|l| !l.is_empty()).collect();
            (body.join("\n"), place)
        }
        // A quick-reply button of a template the lead tapped.
        "button" => (text("/text"), None),
        // The answers to a WhatsApp Flow: `response_json` holds them (a JSON string).
        "interactive" if text_at(content, "/type") == Some("nfm_reply") => {
            line_kind = MessageKind::FormReply;
            (
                form_answers(content.get("nfm_reply").unwrap_or(&Value::Null)),
                None,
            )
        }
        // A reply button or list row the lead picked: `{"type": "button_reply",
        // "button_reply": {"id", "title"}}`.
        "interactive" => {
            let reply = text_at(content, "/type").and_then(|t| content.get(t));
            let reply = reply.unwrap_or(&Value::Null);
            let pick = text_at(reply, "/title").or_else(|| text_at(reply, "/body"));
            (pick.unwrap_or_default().to_owned(), None)
        }
        "contacts" => {
            let cards = content.as_array().into_iter().flatten().map(contact_card);
            (cards.collect::<Vec<_>>().join("\n"), None)
        }
        // One line per message reacted to (`reaction:<wamid>`), changed in place; a
        // reaction taken back comes without its emoji.
        "reaction" => {
            let Some(target) = id_at(content, "/message_id") else {
                return InboundEvent::Ignored("reaction without message_id".into());
            };
            line_kind = MessageKind::Reaction;
            provider_id = format!("reaction:{target}");
            refers_to = Some(target);
            (text("/emoji"), None)
        }
        // A cart sent from the business's catalog.
        "order" => {
            line_kind = MessageKind::Order;
            (order_lines(content), None)
        }
        // The lead opened the chat for the first time (welcome messages enabled).
        "request_welcome" => {
            line_kind = MessageKind::WelcomeRequest;
            (String::new(), None)
        }
        // A notice about the lead. On a number change the lead is followed to the new
        // wa_id: the same contact and conversation, under the new id.
        "system" => {
            line_kind = MessageKind::System;
            let new_id = id_at(content, "/wa_id").or_else(|| id_at(content, "/new_wa_id"));
            if let (Some("user_changed_number"), Some(new_id)) = (text_at(content, "/type"), new_id)
            {
                refers_to = Some(from.clone());
                contact_external_id = new_id;
            }
            (text("/body"), None)
        }
        // What WhatsApp cannot pass on (a message type unknown to the API, the first
        // message from a click-to-WhatsApp ad …): a line says so, with WhatsApp's reason.
        "unsupported" => {
            line_kind = MessageKind::Unsupported;
            let reason = message
                .pointer("/errors/0")
                .map(error_reason)
                .unwrap_or_default();
            (reason, None)
        }
        // Types WhatsApp adds later: still the lead's turn, shown as unsupported.
        _ => {
            line_kind = MessageKind::Unsupported;
            (kind.to_owned(), None)
        }
    };
    if line_kind == MessageKind::Text && body.is_empty() && attachment.is_none() {
        return InboundEvent::Ignored(format!("empty {kind} message"));
    }
    let from = contact_external_id;
    let contact = contacts.iter().find(|c| {
        text_at(c, "/wa_id") == Some(from.as_str()) || text_at(c, "/user_id") == Some(from.as_str())
    });
    let profile = |key: &str| {
        contact
            .and_then(|c| text_at(c, &format!("/profile/{key}")))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let contact_username = profile("username");
    let contact_name = profile("name").or_else(|| contact_username.clone());
    let contact_phone = wa_id_phone(&from);
    InboundEvent::Message(InboundMessage {
        contact_external_id: from,
        contact_name,
        contact_phone,
        contact_username,
        provider_id,
        body,
        sent_at: seconds_to_ms(message.get("timestamp")),
        attachments: attachment.into_iter().collect(),
        kind: line_kind,
        refers_to,
        ..Default::default()
    })
}

/// A Flow's answers as `name: value` lines, from the JSON string `response_json` (the
/// flow's token left out); the reply's `body` when there is nothing to read.
fn form_answers(reply: &Value) -> String {
    let answers = text_at(reply, "/response_json")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let lines: Vec<String> = answers
        .iter()
        .filter(|(name, _)| name.as_str() != "flow_token")
        .map(|(name, value)| match value {
            Value::String(s) => format!("{name}: {s}"),
            other => format!("{name}: {other}"),
        })
        .collect();
    if lines.is_empty() {
        text_at(reply, "/body").unwrap_or_default().to_owned()
    } else {
        lines.join("\n")
    }
}

/// A cart as lines: its note, then `2 × <product id> — 10.5 USD` per item.
fn order_lines(order: &Value) -> String {
    let mut lines: Vec<String> = text_at(order, "/text")
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    let items = order.get("product_items").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        let product = text_at(item, "/product_retailer_id").unwrap_or("?");
        let quantity = item.get("quantity").map_or_else(String::new, number_text);
        let mut line = format!("{quantity} × {product}");
        if let Some(price) = item.get("item_price") {
            let currency = text_at(item, "/currency").unwrap_or_default();
            let _ = write!(line, " — {} {currency}", number_text(price));
            line = line.trim_end().to_owned();
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// A number WhatsApp sends as a number or a string, as text.
fn number_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A shared contact card as a line: `[contact] Name, +1 555 0100`.
fn contact_card(card: &Value) -> String {
    let name = text_at(card, "/name/formatted_name");
    let phones = card
        .get("phones")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let parts: Vec<&str> = name
        .into_iter()
        .chain(phones.filter_map(|p| text_at(p, "/phone")))
        .collect();
    format!("[contact] {}", parts.join(", "))
}

fn status_event(item: &Value) -> InboundEvent {
    let (Some(provider_id), Some(state)) = (id_at(item, "/id"), text_at(item, "/status")) else {
        return InboundEvent::Ignored("status without id or status".into());
    };
    let status = match state {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        // "deleted", "warning", "played" …: nothing Confab tracks.
        other => return InboundEvent::Ignored(format!("{other} status")),
    };
    let error = (status == MessageStatus::Failed).then(|| match item.pointer("/errors/0") {
        Some(e) => error_reason(e),
        None => "WhatsApp did not deliver the message".to_owned(),
    });
    InboundEvent::Status(ProviderStatus {
        provider_id,
        status,
        at: seconds_to_ms(item.get("timestamp")),
        error,
        // Confab sets `confab:<id>` on every send; WhatsApp returns it on the statuses.
        confab_id: text_at(item, "/biz_opaque_callback_data")
            .and_then(crate::channels::parse_confab_tag),
    })
}

/// `<title or message>: <details> [<code>]`, for an employee to read.
fn error_reason(error: &Value) -> String {
    let non_empty = |pointer: &str| text_at(error, pointer).filter(|s| !s.trim().is_empty());
    let mut reason = non_empty("/title")
        .or_else(|| non_empty("/message"))
        .unwrap_or("WhatsApp did not deliver the message")
        .to_owned();
    if let Some(details) = non_empty("/error_data/details") {
        let _ = write!(reason, ": {details}");
    }
    if let Some(code) = error.get("code").and_then(Value::as_i64) {
        let _ = write!(reason, " [{code}]");
    }
    reason
}

/// A wa_id is the number in international form without the plus. It is kept as Meta
/// gives it when the phone plan does not know it (WhatsApp's Brazilian ids, say, may lack
/// the ninth digit), and nothing is kept when it is not a number at all.
fn wa_id_phone(wa_id: &str) -> Option<String> {
    match app::phone::normalize_international(wa_id) {
        Ok(phone) => Some(phone.to_string()),
        Err(_) => {
            let digits = wa_id.trim_start_matches('+');
            (!digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("+{digits}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::inbound::test_fixtures::fixture;
    use serde_json::json;

    #[test]
    fn a_wa_id_becomes_a_phone_only_when_it_is_a_number() {
        assert_eq!(wa_id_phone("16505551234").as_deref(), Some("+16505551234"));
        assert_eq!(
            wa_id_phone("5511987654321").as_deref(),
            Some("+5511987654321")
        );
        // Not in the plan (a Brazilian id without the ninth digit): kept as Meta gives it.
        assert_eq!(
            wa_id_phone("551187654321").as_deref(),
            Some("+551187654321")
        );
        assert_eq!(wa_id_phone(""), None);
        assert_eq!(wa_id_phone("+"), None);
        assert_eq!(wa_id_phone("1650<script>"), None);
        assert_eq!(wa_id_phone("1234567890123456789"), None);
    }

    fn one(body: &[u8]) -> InboundEvent {
        let mut events = parse(body).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        let Addressed { business_id, event } = events.remove(0);
        assert_eq!(business_id, "106540352242922");
        event
    }

    fn message(event: InboundEvent) -> InboundMessage {
        match event {
            InboundEvent::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    fn status(name: &str) -> ProviderStatus {
        match one(&fixture(name)) {
            InboundEvent::Status(s) => s,
            other => panic!("not a status: {other:?}"),
        }
    }

    #[test]
    fn text_message() {
        assert_eq!(
            message(one(&fixture("whatsapp_text.json"))),
            InboundMessage {
                contact_external_id: "16505551234".into(),
                contact_name: Some("Sheena Nelson".into()),
                contact_phone: Some("+16505551234".into()),
                contact_username: None,
                provider_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
                    .into(),
                body: "Does it come in another color?".into(),
                sent_at: Some(1_749_416_383_000),
                from_business: false,
                attachments: vec![],
                kind: MessageKind::Text,
                refers_to: None,
            }
        );
    }

    #[test]
    fn image_message() {
        let m = message(one(&fixture("whatsapp_image.json")));
        assert_eq!(m.contact_external_id, "16505551234");
        assert_eq!(m.contact_name.as_deref(), Some("Sheena Nelson"));
        assert_eq!(
            m.provider_id,
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        );
        assert_eq!(m.body, "Taj Mahal");
        assert_eq!(m.sent_at, Some(1_744_344_496_000));
        assert_eq!(
            m.attachments,
            [InboundAttachment {
                kind: AttachmentKind::Image,
                mime: Some("image/jpeg".into()),
                file_name: None,
                source_url: Some(
                    "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...".into()
                ),
                provider_media_id: Some("1003383421387256".into()),
            }]
        );
    }

    #[test]
    fn a_status_names_confabs_reply_by_its_callback_data() {
        let status = status("whatsapp_status_sent.callback_data.json");
        assert_eq!(
            status.confab_id,
            Some(app::messages::store::ConfabTag {
                message: app::ids::MessageId(1),
                created_at: 1_700_000_000_000,
            })
        );
        assert_eq!(status.status, MessageStatus::Sent);
        // Someone else's callback data names nothing.
        let mut body: Value =
            serde_json::from_slice(&fixture("whatsapp_status_sent.callback_data.json")).unwrap();
        body["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
            json!("{\"source\":\"api\"}");
        match one(body.to_string().as_bytes()) {
            InboundEvent::Status(s) => assert_eq!(s.confab_id, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses() {
        let read_id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=";
        let cases = [
            (
                "whatsapp_status_sent.json",
                read_id,
                MessageStatus::Sent,
                1_750_030_073_000,
            ),
            (
                "whatsapp_status_delivered.json",
                "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",
                MessageStatus::Delivered,
                1_750_263_773_000,
            ),
            (
                "whatsapp_status_read.json",
                read_id,
                MessageStatus::Read,
                1_750_030_073_000,
            ),
            // The documentation's "read" example really says "sent": taken at its word.
            (
                "whatsapp_status_read.doc_verbatim.json",
                read_id,
                MessageStatus::Sent,
                1_750_030_073_000,
            ),
        ];
        for (name, id, state, at) in cases {
            let expected = ProviderStatus {
                provider_id: id.into(),
                status: state,
                at: Some(at),
                error: None,
                confab_id: None,
            };
            assert_eq!(status(name), expected, "{name}");
        }
        assert_eq!(
            status("whatsapp_status_failed_131047.json"),
            ProviderStatus {
                provider_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA".into(),
                status: MessageStatus::Failed,
                at: Some(1_751_142_888_000),
                error: Some(
                    "Re-engagement message: More than 24 hours have passed since the recipient \
                     last replied to the sender number. [131047]"
                        .into()
                ),
                confab_id: None,
            }
        );
    }

    /// The text fixture with its message replaced.
    fn with_message(message: Value) -> InboundEvent {
        let mut body: Value = serde_json::from_slice(&fixture("whatsapp_text.json")).unwrap();
        body["entry"][0]["changes"][0]["value"]["messages"][0] = message;
        one(&serde_json::to_vec(&body).unwrap())
    }

    fn typed(kind: &str, content: Value) -> InboundEvent {
        with_message(
            json!({"from": "16505551234", "id": "wamid.X", "timestamp": "1", "type": kind, kind: content}),
        )
    }

    #[test]
    fn media_location_and_replies() {
        let m = message(typed(
            "document",
            json!({"filename": "quote.pdf", "mime_type": "application/pdf", "sha256": "x", "id": "42"}),
        ));
        assert_eq!(m.body, "");
        assert_eq!(
            m.attachments,
            [InboundAttachment {
                kind: AttachmentKind::File,
                mime: Some("application/pdf".into()),
                file_name: Some("quote.pdf".into()),
                source_url: None,
                provider_media_id: Some("42".into()),
            }]
        );
        for (kind, expected) in [
            ("video", AttachmentKind::Video),
            ("audio", AttachmentKind::Audio),
            ("sticker", AttachmentKind::Sticker),
        ] {
            let m = message(typed(kind, json!({"mime_type": "x/y", "id": "7"})));
            assert_eq!(m.attachments[0].kind, expected);
            assert_eq!(m.attachments[0].provider_media_id.as_deref(), Some("7"));
        }

        let m = message(typed(
            "location",
            json!({"latitude": 37.483_307, "longitude": 122.148_981, "name": "Main Street Beach", "address": "5 Main Street, Santa Cruz, CA"}),
        ));
        assert_eq!(m.body, "Main Street Beach\n5 Main Street, Santa Cruz, CA");
        assert_eq!(m.attachments[0].kind, AttachmentKind::Location);
        assert_eq!(
            m.attachments[0].source_url.as_deref(),
            Some("geo:37.483307,122.148981")
        );
        assert_eq!(m.sent_at, Some(1000));

        let button = typed(
            "button",
            json!({"payload": "STOP", "text": "Stop promotions"}),
        );
        assert_eq!(message(button).body, "Stop promotions");
        let list = json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Red", "description": "d"}});
        assert_eq!(message(typed("interactive", list)).body, "Red");
        let reply = json!({"type": "button_reply", "button_reply": {"id": "b1", "title": "Yes"}});
        assert_eq!(message(typed("interactive", reply)).body, "Yes");
        let card = json!([{"name": {"formatted_name": "Ann Lee"}, "phones": [{"phone": "+1 555 0100", "wa_id": "15550100"}]}]);
        assert_eq!(
            message(typed("contacts", card)).body,
            "[contact] Ann Lee, +1 555 0100"
        );
    }

    fn line(name: &str) -> InboundMessage {
        let mut events = parse(&fixture(name)).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        message(events.remove(0).event)
    }

    #[test]
    fn lines_that_are_not_text() {
        let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=";
        let m = line("whatsapp_unsupported.json");
        assert_eq!(
            (m.kind, m.body.as_str(), m.provider_id.as_str()),
            (
                MessageKind::Unsupported,
                "This message is currently unavailable.: Message type is currently not supported. [131060]",
                wamid
            )
        );
        assert_eq!(m.contact_name.as_deref(), Some("Sheena Nelson"));
        let m = line("whatsapp_order.json");
        assert_eq!(
            (m.kind, m.body.as_str()),
            (MessageKind::Order, "Love these!\n2 × di9ozbzfi4 — 7.99 USD")
        );
        let m = line("whatsapp_request_welcome.json");
        assert_eq!((m.kind, m.body.as_str()), (MessageKind::WelcomeRequest, ""));
        let m = line("whatsapp_nfm_reply.json");
        assert_eq!(
            (m.kind, m.body.as_str()),
            (
                MessageKind::FormReply,
                "optional_param1: <value1>\noptional_param2: <value2>"
            )
        );
        let m = line("whatsapp_reaction.json");
        let target = "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=";
        assert_eq!(
            (
                m.kind,
                m.body.as_str(),
                m.provider_id,
                m.refers_to.as_deref()
            ),
            (
                MessageKind::Reaction,
                "👍",
                format!("reaction:{target}"),
                Some(target)
            )
        );
        // Taken back: the same line, without its emoji.
        let removed = typed("reaction", json!({"message_id": target}));
        assert_eq!(message(removed).body, "");
        // A number change follows the lead to the new wa_id, the old one in `refers_to`.
        let m = line("whatsapp_system_user_changed_number.json");
        assert_eq!(
            (
                m.kind,
                m.contact_external_id.as_str(),
                m.refers_to.as_deref(),
                m.contact_phone.as_deref()
            ),
            (
                MessageKind::System,
                "12195555358",
                Some("16505551234"),
                Some("+12195555358")
            )
        );
        assert_eq!(
            m.body,
            "User Sheena Nelson changed from 16505551234 to 12195555358"
        );
        // A type WhatsApp adds later is still the lead's turn.
        let m = message(typed("poll", json!({"question": "?"})));
        assert_eq!(
            (m.kind, m.body.as_str()),
            (MessageKind::Unsupported, "poll")
        );
    }

    #[test]
    fn ignored_messages() {
        for (kind, content) in [
            ("reaction", json!({"emoji": "👍"})),
            ("text", json!({"body": ""})),
            ("image", json!({"caption": ""})),
            ("interactive", json!({"type": "type"})),
        ] {
            assert!(
                matches!(typed(kind, content), InboundEvent::Ignored(_)),
                "{kind}"
            );
        }
        assert!(matches!(
            with_message(json!({"id": "x"})),
            InboundEvent::Ignored(_)
        ));
    }

    #[test]
    fn other_fields_and_bad_bodies() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[
            {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}},
            {"field":"messages","value":{"messages":[]}}, {"value":7}, 5]}]}"#;
        let events = parse(body).unwrap();
        let whats: Vec<_> = events
            .iter()
            .map(|a| match &a.event {
                InboundEvent::Ignored(what) => (a.business_id.as_str(), what.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            whats,
            [
                ("WABA", "account_update change"),
                ("WABA", "messages change without phone_number_id"),
                ("WABA", "unnamed change"),
                ("WABA", "unnamed change"),
            ]
        );
        let page = fixture("messenger_text.json");
        for body in [
            &page[..],
            b"",
            b"{}",
            b"[1]",
            br#"{"object":"whatsapp_business_account"}"#,
        ] {
            assert!(parse(body).is_err());
        }
        let odd = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":
            {"metadata":{"phone_number_id":"1"},"contacts":7,"messages":[null,{"from":"1","id":"2","type":"image","image":7,"timestamp":"99999999999999999"}],
             "statuses":[{},{"id":"3","status":"failed"},{"id":"4","status":"deleted","timestamp":1}],"errors":[{"code":131000}]}}]}]}"#;
        let events: Vec<_> = parse(odd).unwrap().into_iter().map(|a| a.event).collect();
        assert_eq!(events.len(), 6);
        assert_eq!(
            events[3],
            InboundEvent::Status(ProviderStatus {
                provider_id: "3".into(),
                status: MessageStatus::Failed,
                at: None,
                error: Some("WhatsApp did not deliver the message".into()),
                confab_id: None,
            })
        );
        assert_eq!(
            events[5],
            InboundEvent::Ignored(
                "error notification: WhatsApp did not deliver the message [131000]".into()
            )
        );
    }
}
