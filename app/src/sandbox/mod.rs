//! The sandbox channel: a built-in lead simulator. `/sandbox` plays the lead; what the
//! lead writes is posted to `POST /webhooks/sandbox/{channel}` and travels the same
//! inbound path as a provider's webhook.
//!
//! The page is public, so a lead is whoever holds its secret: a cookie of the lead's
//! browser ([`lead`]). The thread, the webhook and the lead's stream answer for that
//! cookie's lead only, and nothing at all once the owner turned the channel off.

#[cfg(feature = "ssr")]
pub mod lead;
#[cfg(feature = "ssr")]
pub mod store;

use crate::channels::window::count_in;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::{ChannelId, MessageId};
use crate::locale::fill;
use crate::messages::MAX_BODY_CHARS;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// What the simulator posts to the sandbox webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SandboxWebhook {
    /// The lead wrote a message. `message_id` is the simulator's own id, so a retried
    /// post is recognised and stored once.
    Message {
        lead_id: String,
        name: String,
        message_id: String,
        text: String,
    },
    /// The lead has seen everything we sent up to `watermark` (UTC ms).
    Read { lead_id: String, watermark: i64 },
}

pub const MAX_LEAD_NAME_CHARS: usize = 80;

fn valid_token(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A simulated lead's id: 8–64 letters, digits, `-` or `_`. The refusal is in `locale`.
pub fn check_lead_id(locale: Locale, lead_id: &str) -> Result<(), AppError> {
    if valid_token(lead_id) {
        Ok(())
    } else {
        Err(AppError::validation(
            "lead_id",
            td_string!(locale, messaging.sandbox_lead_id_invalid),
        ))
    }
}

/// The lead's name (1 to `MAX_LEAD_NAME_CHARS` characters) and message (not blank, at most
/// `MAX_BODY_CHARS`), as every simulated lead's message is checked.
pub fn check_name_and_text(locale: Locale, name: &str, text: &str) -> Result<(), AppError> {
    let name_chars = name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_LEAD_NAME_CHARS {
        return Err(AppError::validation(
            "name",
            fill(
                td_string!(locale, messaging.sandbox_name_length),
                &[("max", &count_in(locale, MAX_LEAD_NAME_CHARS))],
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(AppError::validation(
            "text",
            td_string!(locale, messaging.body_blank),
        ));
    }
    if text.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::validation(
            "text",
            fill(
                td_string!(locale, messaging.sandbox_text_too_long),
                &[("max", &count_in(locale, MAX_BODY_CHARS))],
            ),
        ));
    }
    Ok(())
}

impl SandboxWebhook {
    /// Checks every field; the error says (in `locale`) which one is wrong.
    pub fn validate(&self, locale: Locale) -> Result<(), AppError> {
        match self {
            SandboxWebhook::Message {
                lead_id,
                name,
                message_id,
                text,
            } => {
                check_lead_id(locale, lead_id)?;
                if !valid_token(message_id) {
                    return Err(AppError::validation(
                        "message_id",
                        td_string!(locale, messaging.sandbox_message_id_invalid),
                    ));
                }
                check_name_and_text(locale, name, text)?;
                Ok(())
            }
            SandboxWebhook::Read { lead_id, watermark } => {
                check_lead_id(locale, lead_id)?;
                if *watermark < 0 {
                    return Err(AppError::validation(
                        "watermark",
                        td_string!(locale, messaging.sandbox_watermark_invalid),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Why the sandbox's webhook or stream refused a browser, worded in its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The channel does not exist, or is no sandbox.
    NoChannel,
    /// The owner turned the sandbox off.
    Off,
    /// The browser has no lead cookie.
    NoLead,
    /// The body names another lead than the cookie's.
    NotYourLead,
    /// Too many messages from this address; retry after this many seconds.
    TooManyMessages { retry_after_secs: u64 },
    /// The body is larger than this many KiB.
    TooLarge { max_kib: usize },
    /// This address has this many lead streams open already.
    TooManyStreams { max: usize },
    /// The server follows as many lead streams as it will.
    Busy,
    /// A practice channel's lead is played by a signed-in employee who may use it.
    PracticeNeedsAccess,
    /// Only an SMS lead's phone can be turned off.
    PhoneOffSmsOnly,
    /// The simulator does not know this lead yet: write first.
    WriteFirst,
}

impl Refusal {
    pub fn text(self, locale: Locale) -> String {
        match self {
            Refusal::NoChannel => td_string!(locale, sandbox.refused_no_channel).to_owned(),
            Refusal::Off => td_string!(locale, sandbox.off).to_owned(),
            Refusal::NoLead => td_string!(locale, sandbox.refused_no_lead).to_owned(),
            Refusal::NotYourLead => td_string!(locale, sandbox.refused_not_your_lead).to_owned(),
            Refusal::TooManyMessages { retry_after_secs } => fill(
                td_string!(locale, sandbox.refused_too_many_messages),
                &[("seconds", &retry_after_secs.to_string())],
            ),
            Refusal::TooLarge { max_kib } => fill(
                td_string!(locale, sandbox.refused_too_large),
                &[("max", &max_kib.to_string())],
            ),
            Refusal::TooManyStreams { max } => fill(
                td_string!(locale, sandbox.refused_too_many_streams),
                &[("max", &max.to_string())],
            ),
            Refusal::Busy => td_string!(locale, sandbox.refused_busy).to_owned(),
            Refusal::PracticeNeedsAccess => {
                td_string!(locale, sandbox.refused_practice_needs_access).to_owned()
            }
            Refusal::PhoneOffSmsOnly => td_string!(locale, sandbox.phone_off_sms_only).to_owned(),
            Refusal::WriteFirst => td_string!(locale, sandbox.write_first).to_owned(),
        }
    }
}

/// A channel the simulator can play a lead on: the sandbox, or a practice channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxChannel {
    pub id: ChannelId,
    pub name: String,
    #[serde(default = "sandbox_kind")]
    pub kind: crate::channels::ChannelKind,
    /// A practice channel (`crate::practice`): the lead's page shows its provider's ways.
    #[serde(default)]
    pub simulated: bool,
}

fn sandbox_kind() -> crate::channels::ChannelKind {
    crate::channels::ChannelKind::Sandbox
}

/// One message as the lead sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadMessage {
    pub id: MessageId,
    pub from_lead: bool,
    pub body: String,
    pub created_at: i64,
    pub sender_name: Option<String>,
    /// Files the business sent, as the lead's phone would get them.
    #[serde(default)]
    pub files: Vec<LeadFile>,
}

/// A file sent to the lead: fetched from the same signed URL a real provider is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadFile {
    pub url: String,
    pub name: Option<String>,
    pub mime: Option<String>,
}

impl LeadFile {
    pub fn is_image(&self) -> bool {
        self.mime
            .as_deref()
            .is_some_and(|m| m.starts_with("image/"))
    }
}

/// The sandbox channels that are on (public: the simulator needs no account), then the
/// practice channels the signed-in employee may use (none for anyone else).
#[server(endpoint = "sandbox_channels")]
pub async fn sandbox_channels() -> Result<Vec<SandboxChannel>, AppError> {
    let state = crate::state::AppState::current()?;
    let mut channels =
        crate::channels::store::of_kind(&state.db, crate::channels::ChannelKind::Sandbox).await?;
    let player = crate::auth::session::current_employee()
        .await?
        .filter(|e| e.can(crate::employees::Permission::Conversations));
    if let Some(employee) = player {
        let mut practice: Vec<_> = crate::channels::store::accessible(&state.db, employee.id)
            .await?
            .into_iter()
            .filter(|c| c.simulated)
            .collect();
        practice.sort_by_key(|c| {
            (
                crate::channels::ChannelKind::ALL
                    .iter()
                    .position(|k| *k == c.kind),
                c.id,
            )
        });
        channels.extend(practice);
    }
    Ok(channels
        .into_iter()
        .filter(|c| c.status != crate::channels::ChannelStatus::Disconnected)
        .map(|c| SandboxChannel {
            id: c.id,
            name: c.display_name,
            kind: c.kind,
            simulated: c.simulated,
        })
        .collect())
}

/// The lead this browser plays: the one its cookie names, or (none yet, or `fresh`) a new
/// one, whose secret is set as the cookie. Returns the lead id.
#[server(endpoint = "sandbox_lead")]
pub async fn sandbox_lead(#[server(default)] fresh: bool) -> Result<String, AppError> {
    if !fresh {
        if let Some(lead) = current_lead().await {
            return Ok(lead);
        }
    }
    let state = crate::state::AppState::current()?;
    let secret = lead::new_secret();
    let cookie = lead::set_cookie(&secret, state.public_url.starts_with("https://"));
    let response = use_context::<leptos_axum::ResponseOptions>().ok_or(AppError::Internal)?;
    let cookie = axum::http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    response.append_header(axum::http::header::SET_COOKIE, cookie);
    lead::lead_id_of(&secret).ok_or(AppError::Internal)
}

/// The lead of the calling browser (its cookie's), if it has one.
#[cfg(feature = "ssr")]
pub(crate) async fn current_lead() -> Option<String> {
    let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.ok()?;
    let state = crate::state::AppState::current().ok()?;
    lead::lead_of_headers(&headers, state.public_url.starts_with("https://"))
}

/// What the calling browser's lead has exchanged on a sandbox channel: their messages and
/// the replies the channel has delivered to them (not those still being sent). A browser
/// without a lead cookie has no thread: it gets nothing, whatever it asks for.
#[server(endpoint = "sandbox_thread")]
pub async fn sandbox_thread(channel_id: ChannelId) -> Result<Vec<LeadMessage>, AppError> {
    let locale = crate::locale::request_locale();
    let state = crate::state::AppState::current()?;
    let channel = crate::channels::store::by_id(&state.db, channel_id)
        .await?
        .filter(|c| {
            c.kind == crate::channels::ChannelKind::Sandbox
                && c.status != crate::channels::ChannelStatus::Disconnected
        })
        .ok_or_else(|| {
            AppError::NotFound(td_string!(locale, messaging.not_found_sandbox_channel).into())
        })?;
    let Some(lead_id) = current_lead().await else {
        return Ok(Vec::new());
    };
    let Some(conversation) =
        crate::conversations::store::of_contact(&state.db, channel.id, &lead_id).await?
    else {
        return Ok(Vec::new());
    };
    let (messages, _) = crate::messages::store::recent(&state.db, conversation, None, 200).await?;
    Ok(messages
        .into_iter()
        .filter(|m| {
            !matches!(
                m.status,
                crate::messages::MessageStatus::Pending | crate::messages::MessageStatus::Failed
            )
        })
        .map(|m| {
            let from_lead = m.direction == crate::messages::Direction::Inbound;
            // Only our stored files: the public route serves outbound files only.
            let files = m
                .attachments
                .iter()
                .filter(|a| !from_lead && a.state == crate::messages::AttachmentState::Stored)
                .map(|a| LeadFile {
                    url: state.secret_key.public_media_path(a.id),
                    name: a.file_name.clone(),
                    mime: a.mime.clone(),
                })
                .collect();
            LeadMessage {
                id: m.id,
                from_lead,
                body: m.body,
                created_at: m.created_at,
                sender_name: m.sender_name,
                files,
            }
        })
        .collect())
}

/// Turns a sandbox channel on or off (Settings): off, `/sandbox` says so and its thread,
/// webhook and stream refuse everyone.
#[server(endpoint = "set_sandbox_enabled", input = Json)]
pub async fn set_sandbox_enabled(channel_id: ChannelId, enabled: bool) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    if !store::set_enabled(&state.db, channel_id, enabled).await? {
        return Err(AppError::NotFound(
            td_string!(
                crate::locale::request_locale(),
                messaging.not_found_sandbox_channel
            )
            .into(),
        ));
    }
    tracing::info!(actor = %actor.id, channel = %channel_id, enabled, "sandbox turned on or off");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> SandboxWebhook {
        SandboxWebhook::Message {
            lead_id: "lead-12345678".into(),
            name: "Maria".into(),
            message_id: "msg-12345678".into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_good_message_passes() {
        assert!(message("Hi! Do you fix phones?")
            .validate(Locale::en)
            .is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let too_long = "a".repeat(MAX_BODY_CHARS + 1);
        for (hook, field) in [
            (message(""), "text"),
            (message(&too_long), "text"),
            (
                SandboxWebhook::Message {
                    lead_id: "x".into(),
                    name: "M".into(),
                    message_id: "msg-12345678".into(),
                    text: "hi".into(),
                },
                "lead_id",
            ),
            (
                SandboxWebhook::Message {
                    lead_id: "lead-12345678".into(),
                    name: " ".into(),
                    message_id: "msg-12345678".into(),
                    text: "hi".into(),
                },
                "name",
            ),
            (
                SandboxWebhook::Message {
                    lead_id: "lead-12345678".into(),
                    name: "M".into(),
                    message_id: "'; DROP TABLE x".into(),
                    text: "hi".into(),
                },
                "message_id",
            ),
        ] {
            match hook.validate(Locale::en) {
                Err(AppError::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected {field} to be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn refusals_follow_the_language() {
        let refusal = |locale, hook: SandboxWebhook| match hook.validate(locale) {
            Err(AppError::Validation { message, .. }) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let too_long = "a".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(
            refusal(Locale::en, message(&too_long)),
            "A message may have at most 1000 characters."
        );
        assert_eq!(
            refusal(Locale::pt_BR, message(&too_long)),
            "Uma mensagem pode ter no máximo 1.000 caracteres."
        );
        let bad_read = || SandboxWebhook::Read {
            lead_id: "lead-12345678".into(),
            watermark: -1,
        };
        assert_eq!(
            refusal(Locale::en, bad_read()),
            "watermark must be a UTC time in milliseconds."
        );
        assert_eq!(
            refusal(Locale::pt_BR, bad_read()),
            "watermark deve ser um horário UTC em milissegundos."
        );
    }

    #[test]
    fn every_refusal_is_worded_in_both_languages() {
        for refusal in [
            Refusal::NoChannel,
            Refusal::Off,
            Refusal::NoLead,
            Refusal::NotYourLead,
            Refusal::TooManyMessages {
                retry_after_secs: 2,
            },
            Refusal::TooLarge { max_kib: 16 },
            Refusal::TooManyStreams { max: 10 },
            Refusal::Busy,
            Refusal::PracticeNeedsAccess,
            Refusal::PhoneOffSmsOnly,
            Refusal::WriteFirst,
        ] {
            let (en, pt) = (refusal.text(Locale::en), refusal.text(Locale::pt_BR));
            assert!(!en.is_empty() && !en.contains('{'), "{refusal:?}: {en}");
            assert!(!pt.contains('{'), "{refusal:?}: {pt}");
            assert_ne!(en, pt, "{refusal:?}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"type":"message","lead_id":"lead-12345678","name":"M","message_id":"msg-12345678","text":"hi","admin":true}"#;
        assert!(serde_json::from_str::<SandboxWebhook>(json).is_err());
    }
}
