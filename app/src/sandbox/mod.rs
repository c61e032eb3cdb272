//! The sandbox channel: a built-in lead simulator. `/sandbox` plays the lead; what the
//! lead writes is posted to `POST /webhooks/sandbox/{channel}` and travels the same
//! inbound path as a provider's webhook.

use crate::channels::window::count_in;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::{ChannelId, MessageId};
use crate::messages::MAX_BODY_CHARS;
use crate::ui::locale::fill;
use leptos::prelude::*;
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

/// A sandbox channel the simulator can write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxChannel {
    pub id: ChannelId,
    pub name: String,
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

/// The sandbox channels (public: the simulator needs no account).
#[server(endpoint = "sandbox_channels")]
pub async fn sandbox_channels() -> Result<Vec<SandboxChannel>, AppError> {
    let state = crate::state::AppState::current()?;
    let channels =
        crate::channels::store::of_kind(&state.db, crate::channels::ChannelKind::Sandbox).await?;
    Ok(channels
        .into_iter()
        .map(|c| SandboxChannel {
            id: c.id,
            name: c.display_name,
        })
        .collect())
}

/// What the lead `lead_id` has exchanged on a sandbox channel: their messages and the
/// replies the channel has delivered to them (not those still being sent).
#[server(endpoint = "sandbox_thread")]
pub async fn sandbox_thread(
    channel_id: ChannelId,
    lead_id: String,
) -> Result<Vec<LeadMessage>, AppError> {
    let locale = crate::ui::locale::request_locale();
    check_lead_id(locale, &lead_id)?;
    let state = crate::state::AppState::current()?;
    let channel = crate::channels::store::by_id(&state.db, channel_id)
        .await?
        .filter(|c| c.kind == crate::channels::ChannelKind::Sandbox)
        .ok_or_else(|| {
            AppError::NotFound(td_string!(locale, messaging.not_found_sandbox_channel).into())
        })?;
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
    fn unknown_fields_are_refused() {
        let json = r#"{"type":"message","lead_id":"lead-12345678","name":"M","message_id":"msg-12345678","text":"hi","admin":true}"#;
        assert!(serde_json::from_str::<SandboxWebhook>(json).is_err());
    }
}
