//! Messages: what leads and employees write, and where each of ours stands on its way.

use crate::channels::window::count_in;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::{ConversationId, MessageId};
use crate::locale::fill;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod inbound_batch;
#[cfg(feature = "ssr")]
pub mod inbound_writer;
#[cfg(feature = "ssr")]
pub mod store;

/// The most characters a reply may have (every provider takes at least this many).
pub const MAX_BODY_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "outbound" {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// An inbound message.
    Received,
    /// Ours, waiting for the sender.
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => MessageStatus::Pending,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "failed" => MessageStatus::Failed,
            _ => MessageStatus::Received,
        }
    }
}

/// What a message is: the lead's (or the business's) text, or another thing the lead did
/// that the thread shows as a line of its own. Stored as a short string (`messages.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text and attachments.
    #[default]
    Text,
    /// A button the lead tapped (Get Started, the persistent menu, an ice breaker, a
    /// postback button); the body is the button's title.
    Postback,
    /// The lead came from an ad or a link (Messenger / Instagram referral); the body says
    /// which.
    Referral,
    /// The lead reacted to a message; the body is the emoji (empty once taken back), the
    /// detail the text reacted to.
    Reaction,
    /// The lead unsent this message: its text and files are gone.
    Removed,
    /// The lead sent something the provider cannot show through its API.
    Unsupported,
    /// A WhatsApp cart; the body lists its items.
    Order,
    /// A notice from the provider about the lead (WhatsApp: changed number).
    System,
    /// The lead opened the WhatsApp chat for the first time (`request_welcome`).
    WelcomeRequest,
    /// The lead's answers to a WhatsApp Flow (`nfm_reply`); the body lists them.
    FormReply,
}

impl MessageKind {
    pub const ALL: [MessageKind; 10] = [
        MessageKind::Text,
        MessageKind::Postback,
        MessageKind::Referral,
        MessageKind::Reaction,
        MessageKind::Removed,
        MessageKind::Unsupported,
        MessageKind::Order,
        MessageKind::System,
        MessageKind::WelcomeRequest,
        MessageKind::FormReply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Postback => "postback",
            MessageKind::Referral => "referral",
            MessageKind::Reaction => "reaction",
            MessageKind::Removed => "removed",
            MessageKind::Unsupported => "unsupported",
            MessageKind::Order => "order",
            MessageKind::System => "system",
            MessageKind::WelcomeRequest => "welcome_request",
            MessageKind::FormReply => "form_reply",
        }
    }

    /// An unknown string (a kind a newer version wrote) reads as text.
    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_default()
    }

    /// Something the lead did: it opens (or refreshes) the reply window, reopens an
    /// archived conversation and waits for an answer. A message the lead unsent and a
    /// provider's notice about the lead do neither.
    pub fn is_lead_interaction(self) -> bool {
        !matches!(self, MessageKind::Removed | MessageKind::System)
    }

    /// Kinds whose later webhooks change the line already stored (a reaction changed or
    /// taken back, a message unsent) instead of adding one.
    pub fn updates_in_place(self) -> bool {
        matches!(self, MessageKind::Reaction | MessageKind::Removed)
    }
}

/// What kind of thing came with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
    Sticker,
    Location,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 6] = [
        AttachmentKind::Image,
        AttachmentKind::Video,
        AttachmentKind::Audio,
        AttachmentKind::File,
        AttachmentKind::Sticker,
        AttachmentKind::Location,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Video => "video",
            AttachmentKind::Audio => "audio",
            AttachmentKind::File => "file",
            AttachmentKind::Sticker => "sticker",
            AttachmentKind::Location => "location",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub direction: Direction,
    pub body: String,
    pub status: MessageStatus,
    /// Why a failed message failed, in words for the employee.
    pub error: Option<String>,
    pub sender_name: Option<String>,
    /// UTC epoch milliseconds.
    pub created_at: i64,
    pub read_at: Option<i64>,
    /// Files, stickers and places that came with it.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Text, or another thing the lead did (a tapped button, a reaction …).
    #[serde(default)]
    pub kind: MessageKind,
    /// What a non-text line quotes: for a reaction, the text reacted to.
    #[serde(default)]
    pub detail: Option<String>,
    /// For a reply whose handing-over was not confirmed by the provider: what Confab did
    /// about it (shown under the bubble).
    #[serde(default)]
    pub delivery_note: Option<DeliveryNote>,
}

/// What happened to a reply whose provider's answer was lost (a timeout after the request
/// was written, a connection cut mid-answer, a 2xx without a readable id): Confab waits
/// for the provider's own signal (an echo or a status carrying `confab:<id>`) before it
/// sends anything again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryNote {
    /// The provider has not confirmed it yet; it is not sent again meanwhile.
    NotConfirmed,
    /// No confirmation came in time, so it was sent once more.
    SentAgain,
}

impl DeliveryNote {
    /// From the stored `messages.confirm_state`.
    pub fn from_confirm_state(state: Option<&str>) -> Option<DeliveryNote> {
        match state? {
            "unconfirmed" | "resent_unconfirmed" => Some(DeliveryNote::NotConfirmed),
            "resent" => Some(DeliveryNote::SentAgain),
            _ => None,
        }
    }
}

/// Where an attachment stands: waiting for the media worker, stored, or not fetchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    Pending,
    Stored,
    Failed,
}

/// A file or place of a message, as the thread shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub kind: AttachmentKind,
    pub mime: Option<String>,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub state: AttachmentState,
    /// For a location: `lat,long`.
    pub place: Option<String>,
    /// Why a failed file could not be fetched (the media worker's words, in English).
    #[serde(default)]
    pub error: Option<String>,
}

impl Attachment {
    /// Where the browser fetches the stored file (access is checked there).
    pub fn href(&self) -> String {
        format!("/media/{}", self.id)
    }
}

/// A reply's text, checked: not blank, at most [`MAX_BODY_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Checks `text`; a refusal is worded in `locale`.
    pub fn parse(locale: Locale, text: &str) -> Result<Self, AppError> {
        let trimmed = text.trim_end();
        let trimmed = trimmed.trim_start_matches(['\n', '\r']);
        if trimmed.trim().is_empty() {
            return Err(AppError::validation(
                "body",
                td_string!(locale, messaging.body_blank),
            ));
        }
        let chars = trimmed.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(AppError::validation(
                "body",
                fill(
                    td_string!(locale, messaging.body_too_long),
                    &[
                        ("count", &count_in(locale, chars)),
                        ("max", &count_in(locale, MAX_BODY_CHARS)),
                    ],
                ),
            ));
        }
        Ok(MessageBody(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A WhatsApp template reply: which template and the values of its variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    pub name: String,
    pub language: String,
    pub params: Vec<String>,
}

/// The approved templates that may be sent in a WhatsApp conversation.
#[server(endpoint = "whatsapp_templates")]
pub async fn whatsapp_templates(
    conversation_id: ConversationId,
) -> Result<Vec<crate::channels::WhatsappTemplate>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let locale = crate::locale::request_locale();
    let state = crate::state::AppState::current()?;
    let target =
        crate::conversations::store::ensure_access(&state.db, employee.id, conversation_id).await?;
    if target.channel_kind != crate::channels::ChannelKind::Whatsapp {
        return Err(AppError::validation(
            "conversation_id",
            td_string!(locale, messaging.templates_whatsapp_only),
        ));
    }
    let channel = crate::channels::store::config(&state.db, &state.secret_key, target.channel_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(td_string!(locale, messaging.not_found_channel).into())
        })?;
    state
        .providers
        .whatsapp_templates(&channel)
        .await
        .map_err(|e| AppError::validation("template", e))
}

/// Sends an approved WhatsApp template (the only thing WhatsApp takes outside its
/// 24-hour window), its variables filled in.
#[server(endpoint = "send_template", input = Json)]
pub async fn send_template(
    conversation_id: ConversationId,
    choice: TemplateChoice,
) -> Result<Message, AppError> {
    let templates = whatsapp_templates(conversation_id).await?;
    let locale = crate::locale::request_locale();
    let template = templates
        .iter()
        .find(|t| t.name == choice.name && t.language == choice.language)
        .ok_or_else(|| {
            AppError::validation(
                "template",
                td_string!(locale, messaging.template_not_approved),
            )
        })?;
    let wanted = template.variable_count();
    if choice.params.len() != wanted || choice.params.iter().any(|p| p.trim().is_empty()) {
        return Err(AppError::validation(
            "params",
            fill(
                td_string!(locale, messaging.template_fill_variables),
                &[("count", &count_in(locale, wanted))],
            ),
        ));
    }
    if choice.params.iter().any(|p| p.chars().count() > 200) {
        return Err(AppError::validation(
            "params",
            td_string!(locale, messaging.template_variable_too_long),
        ));
    }
    let body = MessageBody::parse(locale, &template.render(&choice.params))?;
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let json = serde_json::to_string(&choice).map_err(|_| AppError::Internal)?;
    let (message, events) = store::queue_outbound(
        &state.db,
        &employee,
        conversation_id,
        &body,
        Some(&json),
        locale,
    )
    .await?;
    state.bus.publish(events);
    state.outbox.notify_one();
    Ok(message)
}

/// Queues a reply in a conversation; the sender delivers it. Sending in an archived
/// conversation reopens it.
#[server(endpoint = "send_message")]
pub async fn send_message(
    conversation_id: ConversationId,
    body: String,
) -> Result<Message, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let locale = crate::locale::request_locale();
    let body = MessageBody::parse(locale, &body)?;
    let state = crate::state::AppState::current()?;
    let (message, events) =
        store::queue_outbound(&state.db, &employee, conversation_id, &body, None, locale).await?;
    state.bus.publish(events);
    state.outbox.notify_one();
    Ok(message)
}

/// Sends a failed message again.
#[server(endpoint = "retry_message")]
pub async fn retry_message(message_id: MessageId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::retry_failed(&state.db, &employee, message_id).await?;
    state.bus.publish(events);
    state.outbox.notify_one();
    Ok(())
}

/// The sentences of the server crate's plain routes (files, their errors) in `locale`:
/// that crate cannot use the translation macros, which name this crate's dependencies.
pub mod route_text {
    use crate::channels::ChannelKind;
    use crate::i18n::{td_string, Locale};
    use crate::locale::fill;

    pub fn unauthorized(locale: Locale) -> &'static str {
        td_string!(locale, messaging.api_unauthorized)
    }

    pub fn forbidden(locale: Locale) -> &'static str {
        td_string!(locale, messaging.api_forbidden)
    }

    pub fn internal(locale: Locale) -> &'static str {
        td_string!(locale, messaging.api_internal)
    }

    /// "File was not found.", `what` already in `locale`.
    pub fn not_found(locale: Locale, what: &str) -> String {
        fill(
            td_string!(locale, messaging.api_not_found),
            &[("what", what)],
        )
    }

    /// A file, as [`not_found`] names it.
    pub fn file(locale: Locale) -> &'static str {
        td_string!(locale, messaging.not_found_file)
    }

    /// A conversation, as [`not_found`] names it.
    pub fn conversation(locale: Locale) -> &'static str {
        td_string!(locale, messaging.not_found_conversation)
    }

    pub fn file_type_refused(locale: Locale, mime: &str) -> String {
        fill(
            td_string!(locale, messaging.file_type_refused),
            &[("mime", mime)],
        )
    }

    pub fn file_empty(locale: Locale) -> &'static str {
        td_string!(locale, messaging.file_empty)
    }

    /// The provider's limit for this type of file (whole MB) and the file's size (one
    /// decimal, with the locale's decimal mark).
    pub fn file_too_large(
        locale: Locale,
        kind: ChannelKind,
        limit_bytes: usize,
        size_bytes: usize,
    ) -> String {
        let size = format!("{:.1}", size_bytes as f64 / (1024.0 * 1024.0));
        let size = match locale {
            Locale::en => size,
            _ => size.replace('.', ","),
        };
        fill(
            td_string!(locale, messaging.file_too_large),
            &[
                ("channel", kind.label_in(locale)),
                ("limit", &(limit_bytes / (1024 * 1024)).to_string()),
                ("size", &size),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::ChannelKind;

    #[test]
    fn a_body_keeps_inner_line_breaks() {
        let body = MessageBody::parse(Locale::en, "Hello\nsecond line\n").unwrap();
        assert_eq!(body.as_str(), "Hello\nsecond line");
    }

    #[test]
    fn blank_bodies_are_refused() {
        for text in ["", "   ", "\n\n", " \t\n"] {
            assert!(
                MessageBody::parse(Locale::en, text).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_BODY_CHARS);
        assert!(MessageBody::parse(Locale::en, &at_limit).is_ok());
        let over = "a".repeat(MAX_BODY_CHARS + 1);
        match MessageBody::parse(Locale::en, &over) {
            Err(AppError::Validation { field, message }) => {
                assert_eq!(field, "body");
                assert_eq!(
                    message,
                    "This message has 1001 characters; the limit is 1000. Shorten it or split it in two."
                );
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn file_refusals_follow_the_language() {
        let mb = 1024 * 1024;
        assert_eq!(
            route_text::file_too_large(Locale::en, ChannelKind::Whatsapp, 5 * mb, 6 * mb + mb / 2),
            "WhatsApp takes files of at most 5 MB of this type; this one has 6.5 MB."
        );
        assert_eq!(
            route_text::file_too_large(Locale::pt_BR, ChannelKind::Sandbox, 25 * mb, 26 * mb),
            "O Ambiente de teste aceita arquivos deste tipo de até 25 MB; este tem 26,0 MB."
        );
        assert_eq!(
            route_text::not_found(Locale::en, route_text::file(Locale::en)),
            "File was not found."
        );
    }

    #[test]
    fn refusals_follow_the_language() {
        let over = "a".repeat(MAX_BODY_CHARS + 1);
        let message = |locale, text: &str| match MessageBody::parse(locale, text) {
            Err(AppError::Validation { message, .. }) => message,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(message(Locale::en, " "), "Write a message before sending.");
        assert_eq!(
            message(Locale::pt_BR, " "),
            "Escreva uma mensagem antes de enviar."
        );
        assert_eq!(
            message(Locale::pt_BR, &over),
            "Esta mensagem tem 1.001 caracteres; o limite é 1.000. Encurte-a ou divida-a em duas."
        );
    }

    #[test]
    fn kinds_round_trip_and_unknown_ones_read_as_text() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), kind);
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json.as_str(), Some(kind.as_str()));
        }
        assert_eq!(MessageKind::parse("hologram"), MessageKind::Text);
        assert!(!MessageKind::Removed.is_lead_interaction());
        assert!(MessageKind::WelcomeRequest.is_lead_interaction());
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            MessageStatus::Received,
            MessageStatus::Pending,
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Failed,
        ] {
            assert_eq!(MessageStatus::parse(s.as_str()), s);
        }
    }
}
