//! Messenger (`"object": "page"`) and Instagram (`"object": "instagram"`) webhooks, which
//! share the `entry[].messaging[]` shape, and the Graph API's error bodies (shared with
//! WhatsApp) sorted into what the sender should do about them.

use super::{
    Addressed, InboundAttachment, InboundEvent, InboundMessage, Malformed, ProviderStatus,
};
use app::messages::{AttachmentKind, MessageKind, MessageStatus};
use serde_json::Value;
use std::fmt::Write as _;

/// Which Graph webhook object a body must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaObject {
    Page,
    Instagram,
}

impl MetaObject {
    fn name(self) -> &'static str {
        match self {
            MetaObject::Page => "page",
            MetaObject::Instagram => "instagram",
        }
    }
}

/// Prefix of the `metadata` Confab sets on every message it sends through the Send API, so
/// that the echo of such a message (already stored) is told apart from one the business
/// wrote in another tool.
pub const ECHO_METADATA_PREFIX: &str = "confab:";

/// The events of a Messenger or Instagram webhook body, each with the page / Instagram
/// account it was addressed to.
pub fn parse(object: MetaObject, raw_body: &[u8]) -> Result<Vec<Addressed>, Malformed> {
    let mut out = Vec::new();
    for entry in entries(raw_body, object.name())? {
        let business_id =
            id_at(&entry, "/id").ok_or_else(|| Malformed("an entry has no id".into()))?;
        let list = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        };
        let events = list("messaging")
            .flat_map(messaging_events)
            // Another app owns the thread (handover protocol, conversation routing): the
            // lead's messages, reads and deliveries come on `standby` instead, shaped as on
            // `messaging` (a postback there has no payload). They are the lead's all the
            // same: shown, never dropped.
            .chain(list("standby").flat_map(messaging_events))
            // Other subscriptions (comments, mentions …) arrive as `changes`.
            .chain(list("changes").map(|change| {
                let field = text_at(change, "/field").unwrap_or("unnamed");
                InboundEvent::Ignored(format!("{field} change"))
            }));
        out.extend(events.map(|event| Addressed {
            business_id: business_id.clone(),
            event,
        }));
    }
    Ok(out)
}

/// The `entry` array of a Graph webhook body whose `object` is `expected`.
pub(super) fn entries(raw_body: &[u8], expected: &str) -> Result<Vec<Value>, Malformed> {
    let mut body: Value = serde_json::from_slice(raw_body)
        .map_err(|e| Malformed(format!("the body is not JSON: {e}")))?;
    match body.get("object").and_then(Value::as_str) {
        Some(object) if object == expected => {}
        Some(object) => {
            return Err(Malformed(format!(
                "expected object \"{expected}\", got \"{object}\""
            )))
        }
        None => {
            return Err(Malformed(format!(
                "no \"object\" (expected \"{expected}\")"
            )))
        }
    }
    match body.get_mut("entry").map(Value::take) {
        Some(Value::Array(entries)) => Ok(entries),
        _ => Err(Malformed("no \"entry\" array".into())),
    }
}

/// The string at a JSON pointer.
pub(super) fn text_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// An id at a JSON pointer; Graph ids are strings, but a number is read the same way.
pub(super) fn id_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn messaging_events(item: &Value) -> Vec<InboundEvent> {
    let sender = id_at(item, "/sender/id");
    if let Some(message) = item.get("message") {
        return vec![message_event(item, message)];
    }
    if let Some(delivery) = item.get("delivery") {
        let watermark = delivery.get("watermark").and_then(Value::as_i64);
        let mids = delivery.get("mids").and_then(Value::as_array);
        let mut events: Vec<_> = mids
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            // An empty mid names no message (found by fuzz/, meta_webhook).
            .filter(|mid| !mid.is_empty())
            .map(|mid| {
                InboundEvent::Status(ProviderStatus {
                    provider_id: mid.to_owned(),
                    status: MessageStatus::Delivered,
                    at: watermark,
                    error: None,
                    confab_id: None,
                })
            })
            .collect();
        if let (Some(contact_external_id), Some(watermark)) = (sender, watermark) {
            events.push(InboundEvent::DeliveredUpTo {
                contact_external_id,
                watermark,
            });
        }
        if events.is_empty() {
            events.push(InboundEvent::Ignored(
                "delivery without mids or watermark".into(),
            ));
        }
        return events;
    }
    if let Some(read) = item.get("read") {
        let watermark = read.get("watermark").and_then(Value::as_i64);
        return vec![match (sender, watermark, id_at(read, "/mid")) {
            // Messenger: everything up to the watermark.
            (Some(contact_external_id), Some(watermark), _) => InboundEvent::ReadUpTo {
                contact_external_id,
                watermark,
            },
            // Instagram `messaging_seen`: one message, and so all before it.
            (Some(contact_external_id), None, Some(provider_id)) => InboundEvent::ReadMessage {
                contact_external_id,
                provider_id,
            },
            _ => InboundEvent::Ignored("read receipt without sender, watermark or mid".into()),
        }];
    }
    if let Some(postback) = item.get("postback") {
        return vec![postback_event(item, postback)];
    }
    if let Some(referral) = item.get("referral") {
        return vec![referral_event(item, referral)];
    }
    if let Some(reaction) = item.get("reaction") {
        return vec![reaction_event(item, reaction)];
    }
    // Opt-ins, handover, policy notices, edits … : named by their key.
    let what = item
        .as_object()
        .and_then(|o| {
            o.keys()
                .find(|k| !matches!(k.as_str(), "sender" | "recipient" | "timestamp"))
        })
        .map_or("empty messaging event", String::as_str);
    vec![InboundEvent::Ignored(what.to_owned())]
}

fn message_event(item: &Value, message: &Value) -> InboundEvent {
    let flag = |key: &str| message.get(key).and_then(Value::as_bool).unwrap_or(false);
    let from_business = flag("is_echo");
    if let Some(tag) = text_at(message, "/metadata")
        .filter(|m| from_business && m.starts_with(ECHO_METADATA_PREFIX))
    {
        // Confab's own reply, echoed: not a new message, but Meta's word that it took
        // that reply (which confirms a send whose answer was lost).
        return match (
            crate::channels::parse_confab_tag(tag),
            id_at(message, "/mid"),
        ) {
            (Some(confab_id), Some(provider_id)) => InboundEvent::Status(ProviderStatus {
                provider_id,
                status: MessageStatus::Sent,
                at: item.get("timestamp").and_then(Value::as_i64),
                error: None,
                confab_id: Some(confab_id),
            }),
            _ => InboundEvent::Ignored("echo of a message sent by Confab".into()),
        };
    }
    // An echo goes from the business to the lead: the lead is its recipient.
    let contact = id_at(
        item,
        if from_business {
            "/recipient/id"
        } else {
            "/sender/id"
        },
    );
    let (Some(contact_external_id), Some(provider_id)) = (contact, id_at(message, "/mid")) else {
        return InboundEvent::Ignored("message without contact id or mid".into());
    };
    let sent_at = item.get("timestamp").and_then(Value::as_i64);
    // The lead unsent it: the same mid, now without text or files. Shown as removed.
    if flag("is_deleted") {
        return InboundEvent::Message(InboundMessage {
            contact_external_id,
            refers_to: Some(provider_id.clone()),
            provider_id,
            sent_at,
            from_business,
            kind: MessageKind::Removed,
            ..Default::default()
        });
    }
    // Something Meta cannot pass on through the API: a line says so.
    if flag("is_unsupported") {
        return InboundEvent::Message(InboundMessage {
            contact_external_id,
            provider_id,
            sent_at,
            from_business,
            kind: MessageKind::Unsupported,
            ..Default::default()
        });
    }
    let text = text_at(message, "/text").unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    if !text.is_empty() {
        lines.push(text.to_owned());
    }
    let mut attachments = Vec::new();
    let items = message.get("attachments").and_then(Value::as_array);
    for part in items.into_iter().flatten().filter_map(attachment) {
        match part {
            Part::File(file) => attachments.push(file),
            // A shared link also arrives as text; say it once.
            Part::Line(_, Some(url)) if text.contains(url.as_str()) => {}
            Part::Line(line, _) => lines.push(line),
        }
    }
    if lines.is_empty() && attachments.is_empty() {
        return InboundEvent::Ignored("message without text or attachments".into());
    }
    InboundEvent::Message(InboundMessage {
        contact_external_id,
        provider_id,
        body: lines.join("\n"),
        sent_at: item.get("timestamp").and_then(Value::as_i64),
        from_business,
        attachments,
        ..Default::default()
    })
}

/// The id of a lead's action that has no `mid` of its own (a referral, an old postback):
/// the lead and the time, so that a retried webhook is still told apart.
fn action_id(what: &str, item: &Value, sender: &str) -> String {
    let at = item
        .get("timestamp")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    format!("{what}:{sender}:{at}")
}

/// A button the lead tapped (Get Started, the persistent menu, an ice breaker, a postback
/// button): a line with the button's title. A Get Started tapped from an m.me link or an
/// ad carries that referral too.
fn postback_event(item: &Value, postback: &Value) -> InboundEvent {
    let Some(sender) = id_at(item, "/sender/id") else {
        return InboundEvent::Ignored("postback without sender".into());
    };
    let provider_id =
        id_at(postback, "/mid").unwrap_or_else(|| action_id("postback", item, &sender));
    let title = text_at(postback, "/title")
        .filter(|t| !t.trim().is_empty())
        .or_else(|| text_at(postback, "/payload"))
        .unwrap_or_default();
    let mut body = title.to_owned();
    if let Some(referral) = postback.get("referral").map(referral_words) {
        if !referral.is_empty() {
            body = format!(
                "{body}
{referral}"
            );
        }
    }
    InboundEvent::Message(InboundMessage {
        contact_external_id: sender,
        provider_id,
        body,
        sent_at: item.get("timestamp").and_then(Value::as_i64),
        kind: MessageKind::Postback,
        ..Default::default()
    })
}

/// Where a referral came from, in the provider's own words: its source (`ADS`,
/// `SHORTLINK`, …), the ad's title or id and the `ref` parameter.
fn referral_words(referral: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(source) = text_at(referral, "/source").filter(|s| !s.is_empty()) {
        parts.push(source.to_owned());
    }
    if let Some(title) = text_at(referral, "/ads_context_data/ad_title").filter(|s| !s.is_empty()) {
        parts.push(title.to_owned());
    } else if let Some(ad) = id_at(referral, "/ad_id") {
        parts.push(format!("ad {ad}"));
    }
    if let Some(reference) = text_at(referral, "/ref").filter(|s| !s.is_empty()) {
        parts.push(format!("ref {reference}"));
    }
    parts.join(" · ")
}

/// The lead came to an existing thread from an ad, an m.me link or a plugin.
fn referral_event(item: &Value, referral: &Value) -> InboundEvent {
    let Some(sender) = id_at(item, "/sender/id") else {
        return InboundEvent::Ignored("referral without sender".into());
    };
    InboundEvent::Message(InboundMessage {
        provider_id: action_id("referral", item, &sender),
        contact_external_id: sender,
        body: referral_words(referral),
        sent_at: item.get("timestamp").and_then(Value::as_i64),
        kind: MessageKind::Referral,
        ..Default::default()
    })
}

/// A reaction to a message (`react`), or one taken back (`unreact`, no emoji): one line
/// per message reacted to (`reaction:<mid>`), changed in place.
fn reaction_event(item: &Value, reaction: &Value) -> InboundEvent {
    let (Some(sender), Some(target)) = (id_at(item, "/sender/id"), id_at(reaction, "/mid")) else {
        return InboundEvent::Ignored("reaction without sender or mid".into());
    };
    let emoji = match text_at(reaction, "/action") {
        Some("unreact") => "",
        _ => text_at(reaction, "/emoji")
            .filter(|e| !e.is_empty())
            .or_else(|| text_at(reaction, "/reaction"))
            .unwrap_or_default(),
    };
    InboundEvent::Message(InboundMessage {
        contact_external_id: sender,
        provider_id: format!("reaction:{target}"),
        body: emoji.to_owned(),
        sent_at: item.get("timestamp").and_then(Value::as_i64),
        kind: MessageKind::Reaction,
        refers_to: Some(target),
        ..Default::default()
    })
}

/// What an attachment becomes: a file for the media worker, or a line of text (with the
/// URL it mentions, if any).
enum Part {
    File(InboundAttachment),
    Line(String, Option<String>),
}

fn attachment(item: &Value) -> Option<Part> {
    item.as_object()?;
    // Old Messenger `fallback` attachments carry `url` / `title` beside the payload.
    let field = |key: &str| {
        text_at(item, &format!("/payload/{key}"))
            .or_else(|| text_at(item, &format!("/{key}")))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let url = field("url");
    let file = |kind| {
        Some(Part::File(InboundAttachment {
            kind,
            mime: None,
            file_name: None,
            source_url: url.clone(),
            provider_media_id: None,
        }))
    };
    let line = |prefix: &str, text: Option<String>| {
        text.map(|t| Part::Line(format!("{prefix} {t}"), url.clone()))
    };
    match text_at(item, "/type").unwrap_or_default() {
        "image" if item.pointer("/payload/sticker_id").is_some() => file(AttachmentKind::Sticker),
        "image" => file(AttachmentKind::Image),
        "video" | "reel" | "ig_reel" => file(AttachmentKind::Video),
        "audio" => file(AttachmentKind::Audio),
        "sticker" => file(AttachmentKind::Sticker),
        "location" => {
            let coordinate = |key| {
                item.pointer(&format!("/payload/coordinates/{key}"))
                    .and_then(Value::as_f64)
            };
            match (coordinate("lat"), coordinate("long")) {
                (Some(lat), Some(long)) => Some(Part::File(InboundAttachment {
                    kind: AttachmentKind::Location,
                    mime: None,
                    file_name: None,
                    source_url: Some(format!("geo:{lat},{long}")),
                    provider_media_id: None,
                })),
                _ => line("[location]", field("title").or_else(|| url.clone())),
            }
        }
        "fallback" => line("[shared link]", url.clone().or_else(|| field("title"))),
        "share" => line("[shared post]", url.clone()),
        "story_mention" => Some(Part::Line("Mentioned you in their story".into(), None)),
        // The business's own structured messages, echoed: summarise them.
        "template" => {
            let summary = text_at(item, "/payload/text")
                .or_else(|| text_at(item, "/payload/elements/0/title"))
                .or_else(|| text_at(item, "/payload/template_type"))
                .unwrap_or("message");
            Some(Part::Line(format!("[template] {summary}"), None))
        }
        // "file", and types Meta adds later: keep whatever can be fetched.
        _ => file(AttachmentKind::File),
    }
}

/// What the sender should do about a Graph API error. The text is the reason shown to the
/// employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphErrorClass {
    /// The token or a permission is gone: the channel must be reconnected.
    SyncLost(String),
    /// Outside the reply window (24-hour rule).
    WindowClosed(String),
    /// Throttling or a fault on Meta's side: try again later.
    RetryLater(String),
    /// Refused for good.
    Rejected(String),
}

/// Code 10 subcodes: the lead's last message is too old (Messenger, Instagram, or a
/// "news" message without that permission). WhatsApp says so with code 131047.
const OUTSIDE_WINDOW: [i64; 3] = [2_018_278, 2_534_022, 2_018_065];
/// Graph subcodes of a session that ended: app removed, checkpoint, password changed,
/// expired, logged out, invalid session.
const SESSION_ENDED: [i64; 6] = [458, 459, 460, 463, 464, 467];
/// "This person isn't available right now": in the permissions family (200), but about
/// the lead, not our access.
const UNAVAILABLE: i64 = 1_545_041;
/// Worth another try: Graph unknown / service down (1, 2), rate limits (4, 17, 32, 613,
/// 80006), WhatsApp throughput (130429), unknown error (131000), service unavailable
/// (131016, 133004), spam and pair rate limits (131048, 131056).
const RETRY: [i64; 13] = [
    1, 2, 4, 17, 32, 613, 80_006, 130_429, 131_000, 131_016, 131_048, 131_056, 133_004,
];

/// Sorts a failed Send API answer (Messenger, Instagram, WhatsApp) by its error code.
pub fn classify_graph_error(http_status: u16, body: &[u8]) -> GraphErrorClass {
    let transient_status = http_status >= 500 || http_status == 429;
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|mut v| v.get_mut("error").map(Value::take))
        .filter(Value::is_object);
    let Some(error) = error else {
        let reason = format!("Meta answered HTTP {http_status} without a readable error");
        return if transient_status {
            GraphErrorClass::RetryLater(reason)
        } else {
            GraphErrorClass::Rejected(reason)
        };
    };
    let number = |key: &str| error.get(key).and_then(Value::as_i64);
    let (code, subcode) = (number("code"), number("error_subcode"));
    let whatsapp = text_at(&error, "/error_data/messaging_product") == Some("whatsapp")
        || matches!(code, Some(130_000..=139_999));
    let product = if whatsapp { "WhatsApp" } else { "Meta" };

    let message = [
        text_at(&error, "/error_user_msg"),
        text_at(&error, "/message"),
    ]
    .into_iter()
    .flatten()
    .find(|m| !m.trim().is_empty())
    .unwrap_or("no message")
    .trim();
    let mut reason = message.to_owned();
    if let Some(details) = text_at(&error, "/error_data/details").map(str::trim) {
        if !details.is_empty() && !message.contains(details) {
            reason.push_str(if message.ends_with('.') { " " } else { ": " });
            reason.push_str(details);
        }
    }
    let _ = match (code, subcode) {
        (Some(code), Some(subcode)) => write!(reason, " [{code}/{subcode}]"),
        (Some(code), None) => write!(reason, " [{code}]"),
        _ => Ok(()),
    };

    let transient = error.get("is_transient").and_then(Value::as_bool) == Some(true);
    let window_closed = code == Some(131_047)
        || (code == Some(10) && subcode.is_some_and(|s| OUTSIDE_WINDOW.contains(&s)));
    let sync_lost = matches!(code, Some(0 | 3 | 102 | 190 | 131_005))
        || (code == Some(10) && subcode.is_none())
        || (matches!(code, Some(200..=299)) && subcode != Some(UNAVAILABLE))
        || subcode.is_some_and(|s| SESSION_ENDED.contains(&s));
    let retry = transient || transient_status || code.is_some_and(|c| RETRY.contains(&c));
    if window_closed {
        GraphErrorClass::WindowClosed(format!("The reply window is closed: {reason}"))
    } else if sync_lost {
        GraphErrorClass::SyncLost(format!(
            "{product} no longer accepts this channel's access; reconnect it: {reason}"
        ))
    } else if retry {
        GraphErrorClass::RetryLater(format!("{product} asked to retry later: {reason}"))
    } else {
        GraphErrorClass::Rejected(format!("{product} refused the message: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::inbound::test_fixtures::{fixture, fixture_json};
    use serde_json::json;

    /// A documented `messaging[]` event in a Messenger envelope.
    fn page_body(event: Value) -> Vec<u8> {
        let body =
            json!({"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [event]}]});
        serde_json::to_vec(&body).unwrap()
    }

    fn one(object: MetaObject, body: &[u8]) -> (String, InboundEvent) {
        let mut events = parse(object, body).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        let Addressed { business_id, event } = events.remove(0);
        (business_id, event)
    }

    fn message(event: InboundEvent) -> InboundMessage {
        match event {
            InboundEvent::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    fn ignored(event: InboundEvent) -> String {
        match event {
            InboundEvent::Ignored(what) => what,
            other => panic!("not ignored: {other:?}"),
        }
    }

    #[test]
    fn messenger_text() {
        let (page, event) = one(MetaObject::Page, &fixture("messenger_text.json"));
        assert_eq!(page, "<PAGE_ID>");
        let expected = InboundMessage {
            contact_external_id: "<PSID>".into(),
            provider_id: "mid.1457764197618:41d102a3e1ae206a38".into(),
            body: "hello, world!".into(),
            sent_at: Some(1458692752478),
            ..Default::default()
        };
        assert_eq!(message(event), expected);
        // The bare documented event reads the same.
        let event = fixture_json("messenger_text.event.json");
        assert_eq!(
            message(one(MetaObject::Page, &page_body(event)).1),
            expected
        );
    }

    #[test]
    fn messenger_reply_is_a_message() {
        let event = fixture_json("messenger_reply.event.json");
        let m = message(one(MetaObject::Page, &page_body(event)).1);
        assert_eq!(m.provider_id, "m_1457764197618:41d102a3e1ae206a38");
        assert_eq!(m.body, "hello, world!");
        assert_eq!(m.contact_external_id, "<PSID>");
        assert_eq!(m.sent_at, Some(1458692752478));
    }

    #[test]
    fn messenger_image() {
        let (page, event) = one(MetaObject::Page, &fixture("messenger_image.json"));
        assert_eq!(page, "682498302938465");
        let m = message(event);
        assert_eq!(m.contact_external_id, "<PSID>");
        assert_eq!(m.provider_id, "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c");
        assert_eq!(m.body, "");
        assert_eq!(m.sent_at, Some(1518479195308));
        assert!(!m.from_business);
        assert_eq!(
            m.attachments,
            [InboundAttachment {
                kind: AttachmentKind::Image,
                mime: None,
                file_name: None,
                source_url: Some("<ATTACHMENT_URL>".into()),
                provider_media_id: None,
            }]
        );
    }

    #[test]
    fn messenger_attachment_types() {
        // The documented entry, with its `type` union placeholder filled in turn.
        let entry = fixture_json("messenger_attachment.entry.doc.json");
        let cases = [
            ("image", AttachmentKind::Image),
            ("video", AttachmentKind::Video),
            ("audio", AttachmentKind::Audio),
            ("file", AttachmentKind::File),
            ("reel", AttachmentKind::Video),
            ("ig_reel", AttachmentKind::Video),
            ("something_new", AttachmentKind::File),
        ];
        for (kind, expected) in cases {
            let mut entry = entry.clone();
            entry["messaging"][0]["message"]["attachments"][0]["type"] = json!(kind);
            let body = serde_json::to_vec(&json!({"object": "page", "entry": [entry]})).unwrap();
            let m = message(one(MetaObject::Page, &body).1);
            assert_eq!(m.attachments.len(), 1);
            assert_eq!(m.attachments[0].kind, expected, "{kind}");
            assert_eq!(
                m.attachments[0].source_url.as_deref(),
                Some("<ATTACHMENT_URL>")
            );
        }
    }

    fn with_attachments(text: Option<&str>, attachments: Value) -> InboundEvent {
        let mut msg = json!({"mid": "m1", "attachments": attachments});
        if let Some(text) = text {
            msg["text"] = json!(text);
        }
        let event = json!({"sender": {"id": "P"}, "recipient": {"id": "PAGE"}, "timestamp": 5, "message": msg});
        one(MetaObject::Page, &page_body(event)).1
    }

    #[test]
    fn stickers_locations_and_links() {
        let m = message(with_attachments(
            None,
            json!([
                {"type": "image", "payload": {"url": "https://s/1.png", "sticker_id": 369239263222822u64}},
                {"type": "location", "payload": {"coordinates": {"lat": 48.85, "long": 2.35}}},
                {"type": "fallback", "payload": {"url": "https://example.com/a", "title": "A"}},
                {"type": "story_mention", "payload": {"url": "https://cdn/story"}},
                {"type": "share", "payload": {"url": "https://cdn/post"}},
                {"type": "template", "payload": {"template_type": "button", "text": "Pick one"}},
                {"type": "fallback", "title": "Old style", "url": null, "payload": null},
            ]),
        ));
        let kinds: Vec<_> = m.attachments.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AttachmentKind::Sticker, AttachmentKind::Location]);
        assert_eq!(
            m.attachments[0].source_url.as_deref(),
            Some("https://s/1.png")
        );
        assert_eq!(
            m.attachments[1].source_url.as_deref(),
            Some("geo:48.85,2.35")
        );
        assert_eq!(
            m.body,
            "[shared link] https://example.com/a\nMentioned you in their story\n\
             [shared post] https://cdn/post\n[template] Pick one\n[shared link] Old style"
        );
        // A link the lead typed comes with a fallback for the same URL: once is enough.
        let m = message(with_attachments(
            Some("look https://example.com/a"),
            json!([{"type": "fallback", "payload": {"url": "https://example.com/a"}}]),
        ));
        assert_eq!(
            (m.body.as_str(), m.attachments.len()),
            ("look https://example.com/a", 0)
        );
    }

    #[test]
    fn empty_messages_are_ignored() {
        assert!(matches!(
            with_attachments(None, json!([])),
            InboundEvent::Ignored(_)
        ));
        assert!(matches!(
            with_attachments(Some(""), json!(null)),
            InboundEvent::Ignored(_)
        ));
    }

    fn instagram(name: &str) -> InboundMessage {
        let body = fixture_json(name).to_string();
        let body = body
            .replace("<IGID>", "IG")
            .replace("<IGSID>", "igsid-1")
            .replace("<MESSAGE_ID>", "ig-mid-1");
        message(one(MetaObject::Instagram, body.as_bytes()).1)
    }

    fn messenger(name: &str) -> InboundMessage {
        let body = fixture_json(name).to_string().replace("<PSID>", "psid-1");
        message(one(MetaObject::Page, body.as_bytes()).1)
    }

    #[test]
    fn unsent_and_unsupported_messages_are_lines() {
        let m = instagram("instagram_message_deleted.json");
        assert_eq!(
            (
                m.kind,
                m.provider_id.as_str(),
                m.refers_to.as_deref(),
                m.body.as_str()
            ),
            (MessageKind::Removed, "ig-mid-1", Some("ig-mid-1"), "")
        );
        assert_eq!(m.contact_external_id, "igsid-1");
        let m = instagram("instagram_message_unsupported.json");
        assert_eq!(
            (m.kind, m.provider_id.as_str(), m.from_business),
            (MessageKind::Unsupported, "ig-mid-1", false)
        );
    }

    #[test]
    fn postbacks_referrals_and_reactions_are_lines() {
        let m = messenger("messenger_postback.json");
        assert_eq!(m.kind, MessageKind::Postback);
        assert_eq!(m.contact_external_id, "psid-1");
        assert!(m.provider_id.starts_with("m_AG5Hz2Uq7"));
        assert_eq!(m.body, "Get Started\nSHORTLINK · ref spring-sale");
        let m = messenger("messenger_referral.json");
        assert_eq!(m.kind, MessageKind::Referral);
        assert_eq!(m.provider_id, "referral:psid-1:1458692752478");
        assert_eq!(
            m.body,
            "ADS · <TITLE_FOR_THE_AD> · ref <REF_DATA_IF_SPECIFIED_IN_THE_AD>"
        );
        let m = messenger("messenger_reaction.json");
        assert_eq!(
            (
                m.kind,
                m.body.as_str(),
                m.provider_id.as_str(),
                m.refers_to.as_deref()
            ),
            (
                MessageKind::Reaction,
                "\u{2764}\u{fe0f}",
                "reaction:<MID_OF_ReactedTo_Message>",
                Some("<MID_OF_ReactedTo_Message>")
            )
        );
        // Taken back: the same line, emptied.
        let unreact = json!({"sender": {"id": "P"}, "recipient": {"id": "PAGE"}, "timestamp": 2,
            "reaction": {"mid": "m1", "action": "unreact", "reaction": "love"}});
        let m = message(one(MetaObject::Page, &page_body(unreact)).1);
        assert_eq!(
            (m.body.as_str(), m.provider_id.as_str()),
            ("", "reaction:m1")
        );
        // A postback without a mid (before v11): told apart by lead and time.
        let old = json!({"sender": {"id": "P"}, "recipient": {"id": "PAGE"}, "timestamp": 3,
            "postback": {"title": "Menu", "payload": "MENU"}});
        let m = message(one(MetaObject::Page, &page_body(old)).1);
        assert_eq!(
            (m.body.as_str(), m.provider_id.as_str()),
            ("Menu", "postback:P:3")
        );
        let bare = json!({"recipient": {"id": "PAGE"}, "reaction": {"mid": "m1"}});
        assert!(matches!(
            one(MetaObject::Page, &page_body(bare)).1,
            InboundEvent::Ignored(_)
        ));
    }

    #[test]
    fn an_echo_of_another_app_is_the_business_s() {
        let body = fixture_json("messenger_echo_other_app.json")
            .to_string()
            .replace("<PSID>", "psid-1");
        let m = message(one(MetaObject::Page, body.as_bytes()).1);
        assert!(m.from_business);
        assert_eq!(m.contact_external_id, "psid-1");
        assert_eq!(m.kind, MessageKind::Text);
    }

    #[test]
    fn echoes() {
        let echo = |metadata: Option<&str>| {
            let mut msg = json!({"is_echo": true, "app_id": 1517776481860111u64, "mid": "m_echo", "text": "Hi from the page"});
            if let Some(metadata) = metadata {
                msg["metadata"] = json!(metadata);
            }
            let event = json!({"sender": {"id": "PAGE"}, "recipient": {"id": "PSID"}, "timestamp": 7, "message": msg});
            one(MetaObject::Page, &page_body(event)).1
        };
        let m = message(echo(None));
        assert!(m.from_business);
        assert_eq!(m.contact_external_id, "PSID");
        assert_eq!(
            (m.provider_id.as_str(), m.body.as_str()),
            ("m_echo", "Hi from the page")
        );
        assert!(message(echo(Some("campaign:7"))).from_business);
        // Confab's own: the confirmation of reply 42, under Meta's id.
        assert_eq!(
            echo(Some("confab:42.1764990000123")),
            InboundEvent::Status(ProviderStatus {
                provider_id: "m_echo".into(),
                status: MessageStatus::Sent,
                at: Some(7),
                error: None,
                confab_id: Some(app::messages::store::ConfabTag {
                    message: app::ids::MessageId(42),
                    created_at: 1_764_990_000_123,
                }),
            })
        );
        assert_eq!(
            ignored(echo(Some("confab:not-ours"))),
            "echo of a message sent by Confab"
        );
    }

    #[test]
    fn messenger_delivery() {
        let expected = vec![
            InboundEvent::Status(ProviderStatus {
                provider_id: "mid.1458668856218:ed81099e15d3f4f233".into(),
                status: MessageStatus::Delivered,
                at: Some(1458668856253),
                error: None,
                confab_id: None,
            }),
            InboundEvent::DeliveredUpTo {
                contact_external_id: "<PSID>".into(),
                watermark: 1458668856253,
            },
        ];
        let events = parse(MetaObject::Page, &fixture("messenger_delivery.json")).unwrap();
        assert!(events.iter().all(|a| a.business_id == "<PAGE_ID>"));
        let events: Vec<_> = events.into_iter().map(|a| a.event).collect();
        assert_eq!(events, expected);
        let bare = page_body(fixture_json("messenger_delivery.event.json"));
        let bare: Vec<_> = parse(MetaObject::Page, &bare)
            .unwrap()
            .into_iter()
            .map(|a| a.event)
            .collect();
        assert_eq!(bare, expected);
    }

    #[test]
    fn delivery_of_an_empty_mid() {
        let delivery = |mids: Value| {
            let event = json!({"sender": {"id": "<PSID>"}, "recipient": {"id": "<PAGE_ID>"},
                "delivery": {"mids": mids, "watermark": 1458668856253_i64}});
            let events = parse(MetaObject::Page, &page_body(event)).unwrap();
            events.into_iter().map(|a| a.event).collect::<Vec<_>>()
        };
        let watermark = InboundEvent::DeliveredUpTo {
            contact_external_id: "<PSID>".into(),
            watermark: 1458668856253,
        };
        assert_eq!(delivery(json!([""])), vec![watermark.clone()]);
        let events = delivery(json!(["", "m1"]));
        assert!(
            matches!(&events[..], [InboundEvent::Status(s), w] if s.provider_id == "m1" && *w == watermark)
        );
        let bare =
            br#"{"object":"page","entry":[{"id":"P","messaging":[{"delivery":{"mids":[""]}}]}]}"#;
        assert_eq!(
            ignored(one(MetaObject::Page, bare).1),
            "delivery without mids or watermark"
        );
    }

    #[test]
    fn messenger_read() {
        let expected = InboundEvent::ReadUpTo {
            contact_external_id: "<PSID>".into(),
            watermark: 1458668856253,
        };
        let (page, event) = one(MetaObject::Page, &fixture("messenger_read.json"));
        assert_eq!((page.as_str(), event), ("<PAGE_ID>", expected.clone()));
        let bare = page_body(fixture_json("messenger_read.event.json"));
        assert_eq!(one(MetaObject::Page, &bare).1, expected);
    }

    #[test]
    fn instagram_text_and_read() {
        let (account, event) = one(MetaObject::Instagram, &fixture("instagram_text.json"));
        assert_eq!(account, "<IGID>");
        assert_eq!(
            message(event),
            InboundMessage {
                contact_external_id: "<IGSID>".into(),
                provider_id: "<MESSAGE_ID>".into(),
                body: "<MESSAGE_CONTENT>".into(),
                sent_at: Some(1569262485349),
                ..Default::default()
            }
        );
        let (account, event) = one(MetaObject::Instagram, &fixture("instagram_read.json"));
        assert_eq!(account, "<YOUR_APP_USERS_INSTAGRAM_USER_ID>");
        assert_eq!(
            event,
            InboundEvent::ReadMessage {
                contact_external_id: "<INSTAGRAM_SCOPED_ID>".into(),
                provider_id: "<MESSAGE_ID>".into(),
            }
        );
    }

    #[test]
    fn other_events_are_ignored_by_name() {
        for key in [
            "optin",
            "account_linking",
            "policy_enforcement",
            "message_edit",
        ] {
            let event = json!({"sender": {"id": "P"}, "recipient": {"id": "PAGE"}, "timestamp": 1, key: {}});
            assert_eq!(ignored(one(MetaObject::Page, &page_body(event)).1), key);
        }
        let body = json!({"object": "instagram", "entry": [{"id": "IG", "time": 1,
            "changes": [{"field": "comments", "value": {}}]}]});
        let (account, event) = one(MetaObject::Instagram, &serde_json::to_vec(&body).unwrap());
        assert_eq!(
            (account.as_str(), ignored(event).as_str()),
            ("IG", "comments change")
        );
    }

    #[test]
    fn malformed_bodies() {
        let page = fixture("messenger_text.json");
        assert!(parse(MetaObject::Instagram, &page)
            .unwrap_err()
            .0
            .contains("instagram"));
        for body in [
            &b""[..],
            b"{",
            b"[]",
            b"null",
            br#"{"object":"page"}"#,
            br#"{"object":"page","entry":{}}"#,
            br#"{"object":"page","entry":[{}]}"#,
            br#"{"entry":[]}"#,
        ] {
            assert!(
                parse(MetaObject::Page, body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Odd shapes inside a well-formed envelope are ignored, never a panic.
        let odd = br#"{"object":"page","entry":[{"id":"P","messaging":[1,null,{},{"message":7},{"message":{"mid":1}},
            {"sender":{"id":"S"},"message":{"mid":"m","attachments":[null,{"type":1},{"type":"location","payload":{"coordinates":{"lat":"x"}}}]}},
            {"delivery":{"mids":[1]}},{"read":{}},{"sender":{"id":"S"},"read":{"watermark":"1"}}],"changes":7}]}"#;
        let events = parse(MetaObject::Page, odd).unwrap();
        assert_eq!(events.len(), 9);
        assert_eq!(
            parse(MetaObject::Page, br#"{"object":"page","entry":[]}"#),
            Ok(vec![])
        );
    }

    fn class_name(class: &GraphErrorClass) -> &'static str {
        match class {
            GraphErrorClass::SyncLost(_) => "sync_lost",
            GraphErrorClass::WindowClosed(_) => "window_closed",
            GraphErrorClass::RetryLater(_) => "retry_later",
            GraphErrorClass::Rejected(_) => "rejected",
        }
    }

    #[test]
    fn graph_error_fixtures() {
        let classify = |name| classify_graph_error(400, &fixture(name));
        assert_eq!(
            classify("graph_error_190.json"),
            GraphErrorClass::SyncLost(
                "Meta no longer accepts this channel's access; reconnect it: A message [190/460]"
                    .into()
            )
        );
        assert_eq!(
            classify("graph_error_190_messenger.json"),
            GraphErrorClass::SyncLost(
                "Meta no longer accepts this channel's access; reconnect it: \
                 Invalid OAuth access token. [190/1234567]"
                    .into()
            )
        );
        assert_eq!(
            classify("graph_error_10_2018278_outside_window.json"),
            GraphErrorClass::WindowClosed(
                "The reply window is closed: (#10) This message is sent outside of allowed window. \
                 Learn more about the new policy here: \
                 https://developers.facebook.com/docs/messenger-platform/policy-overview [10/2018278]"
                    .into()
            )
        );
        assert_eq!(
            classify("graph_error_10_2534022_ig_outside_window.json"),
            GraphErrorClass::WindowClosed(
                "The reply window is closed: (#10) This message is sent outside of allowed window. [10/2534022]".into()
            )
        );
        assert_eq!(
            classify_graph_error(400, &fixture("whatsapp_error_130429.json")),
            GraphErrorClass::RetryLater(
                "WhatsApp asked to retry later: (#130429) Rate limit hit: \
                 Cloud API message throughput has been reached. [130429/2494055]"
                    .into()
            )
        );
    }

    #[test]
    fn messenger_error_table() {
        let table = fixture_json("messenger_error_codes_subset.json");
        let expected = |code, subcode| match (code, subcode) {
            (190, _) => "sync_lost",
            (10, Some(2018278 | 2534022 | 2018065)) => "window_closed",
            (613, _) => "retry_later",
            _ => "rejected",
        };
        let rows = table["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 13);
        for row in rows {
            let (code, subcode) = (row["code"].as_i64().unwrap(), row["subcode"].as_i64());
            let body = json!({"error": {"message": row["message"], "type": "OAuthException",
                "code": code, "error_subcode": row["subcode"], "fbtrace_id": "x"}});
            let class = classify_graph_error(400, &serde_json::to_vec(&body).unwrap());
            assert_eq!(class_name(&class), expected(code, subcode), "{row}");
        }
        let unavailable = json!({"error": {"message": "(#551) This person isn't available right now.", "code": 551}});
        assert_eq!(
            classify_graph_error(400, &serde_json::to_vec(&unavailable).unwrap()),
            GraphErrorClass::Rejected(
                "Meta refused the message: (#551) This person isn't available right now. [551]"
                    .into()
            )
        );
    }

    #[test]
    fn whatsapp_error_table() {
        let table = fixture_json("whatsapp_error_codes_subset.json");
        let expected = |code| match code {
            0 | 3 | 10 | 190 | 200 => "sync_lost",
            131047 => "window_closed",
            130429 | 131000 | 131048 | 131056 => "retry_later",
            _ => "rejected",
        };
        let codes = table["codes"].as_object().unwrap();
        assert_eq!(codes.len(), 13);
        for (code, details) in codes {
            let code: i64 = code.parse().unwrap();
            let body = json!({"error": {"message": format!("(#{code}) Title"), "type": "OAuthException",
                "code": code, "error_data": {"messaging_product": "whatsapp", "details": details}}});
            let class = classify_graph_error(400, &serde_json::to_vec(&body).unwrap());
            assert_eq!(class_name(&class), expected(code), "{code}");
            let (GraphErrorClass::SyncLost(reason)
            | GraphErrorClass::WindowClosed(reason)
            | GraphErrorClass::RetryLater(reason)
            | GraphErrorClass::Rejected(reason)) = class;
            assert!(reason.contains(details.as_str().unwrap()), "{reason}");
            assert!(reason.ends_with(&format!("[{code}]")), "{reason}");
        }
    }

    #[test]
    fn http_failures_without_a_graph_error() {
        for body in [
            &b""[..],
            b"<html>Bad gateway</html>",
            b"{}",
            br#"{"error": "x"}"#,
        ] {
            assert_eq!(class_name(&classify_graph_error(502, body)), "retry_later");
            assert_eq!(class_name(&classify_graph_error(429, body)), "retry_later");
            assert_eq!(
                classify_graph_error(400, body),
                GraphErrorClass::Rejected("Meta answered HTTP 400 without a readable error".into())
            );
        }
        // Any 5xx is worth retrying, and so is what Meta marks transient.
        let invalid = br#"{"error": {"message": "(#100) Invalid parameter", "code": 100}}"#;
        assert_eq!(
            class_name(&classify_graph_error(500, invalid)),
            "retry_later"
        );
        assert_eq!(class_name(&classify_graph_error(400, invalid)), "rejected");
        let transient = br#"{"error": {"message": "x", "code": 100, "is_transient": true}}"#;
        assert_eq!(
            class_name(&classify_graph_error(400, transient)),
            "retry_later"
        );
        let session =
            br#"{"error": {"message": "Session expired", "code": 102, "error_subcode": 463}}"#;
        assert_eq!(class_name(&classify_graph_error(400, session)), "sync_lost");
    }
}
