//! Practice channels: a Messenger, Instagram, WhatsApp or SMS channel connected to the
//! simulator built into Confab (`server::practice`) instead of the provider, so that a
//! business can try every channel's behaviour, and train new employees, without a Meta
//! developer account or a Twilio number.
//!
//! The lead's side is played on `/sandbox`: what the lead writes becomes the provider's
//! webhook (signed, of the documented shape) and enters through the provider's webhook
//! route; Confab's replies go to the simulator's copy of the provider's API, which keeps
//! what the lead's phone shows ([`PracticeMessage`]) and answers with the provider's
//! receipts and refusals. The lead may move their clock forward to see the messaging
//! windows close, and (SMS) turn their phone off to see a delivery fail.

#[cfg(feature = "ssr")]
pub mod store;

use crate::channels::ChannelKind;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::ChannelId;
use crate::sandbox::{check_lead_id, check_name_and_text};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The kinds a practice channel can be (the sandbox is a simulator of its own).
pub const PRACTICE_KINDS: [ChannelKind; 4] = [
    ChannelKind::Messenger,
    ChannelKind::Instagram,
    ChannelKind::Whatsapp,
    ChannelKind::TwilioSms,
];

/// The furthest the lead's clock moves in one step: a month.
pub const MAX_LATER_HOURS: u32 = 24 * 31;

/// Instagram usernames: letters, digits, `.` and `_`, at most 30.
pub const MAX_USERNAME_CHARS: usize = 30;

/// What the lead's page posts to `POST /sandbox/practice/{channel}` (the lead is the one
/// of the browser's cookie, as on the sandbox channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PracticeAction {
    /// The lead writes. `message_id` is the page's own id, so a retried post becomes the
    /// same provider message id and is stored once.
    Message {
        name: String,
        /// Instagram: the lead's username (shown as the nickname).
        #[serde(default)]
        username: Option<String>,
        message_id: String,
        text: String,
    },
    /// The lead has read everything the business sent (Messenger, Instagram, WhatsApp
    /// send a read receipt; SMS has none).
    Read,
    /// "It is now this many hours later" on the lead's side: the conversation ages.
    Later { hours: u32 },
    /// SMS: the lead's phone is off (Twilio reports what it sends as undelivered).
    PhoneOff { off: bool },
}

impl PracticeAction {
    /// Checks every field; the refusal names the field, in `locale`.
    pub fn validate(&self, locale: Locale) -> Result<(), AppError> {
        match self {
            PracticeAction::Message {
                name,
                username,
                message_id,
                text,
            } => {
                check_lead_id(locale, message_id).map_err(|_| {
                    AppError::validation(
                        "message_id",
                        td_string!(locale, messaging.sandbox_message_id_invalid),
                    )
                })?;
                if let Some(username) = username {
                    let ok = !username.is_empty()
                        && username.chars().count() <= MAX_USERNAME_CHARS
                        && username
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
                    if !ok {
                        return Err(AppError::validation(
                            "username",
                            td_string!(locale, sandbox.username_invalid),
                        ));
                    }
                }
                check_name_and_text(locale, name, text)
            }
            PracticeAction::Later { hours } if *hours == 0 || *hours > MAX_LATER_HOURS => {
                Err(AppError::validation(
                    "hours",
                    crate::locale::fill(
                        td_string!(locale, sandbox.later_out_of_range),
                        &[("max", &MAX_LATER_HOURS.to_string())],
                    ),
                ))
            }
            PracticeAction::Read
            | PracticeAction::Later { .. }
            | PracticeAction::PhoneOff { .. } => Ok(()),
        }
    }
}

/// Where a message the business sent stands on the lead's phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl PracticeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PracticeStatus::Sent => "sent",
            PracticeStatus::Delivered => "delivered",
            PracticeStatus::Read => "read",
            PracticeStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => PracticeStatus::Delivered,
            "read" => PracticeStatus::Read,
            "failed" => PracticeStatus::Failed,
            _ => PracticeStatus::Sent,
        }
    }
}

/// One message on the lead's phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeMessage {
    pub provider_id: String,
    pub from_lead: bool,
    pub body: String,
    /// A file the business sent: the signed link the provider was given.
    pub file_url: Option<String>,
    pub sent_at: i64,
    pub status: PracticeStatus,
    /// Why it did not reach the lead (a template-only window, the phone off …).
    pub error: Option<String>,
}

/// The lead's phone on a practice channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticePhone {
    /// The lead's id at the provider (a PSID, a WhatsApp number …), as the provider shows it.
    pub address: String,
    pub phone_off: bool,
    pub messages: Vec<PracticeMessage>,
}

/// The lead's id at the provider on a practice channel of `kind`, derived from the
/// simulator's lead id (the browser's cookie), so that one browser is one lead on every
/// practice channel: a Messenger PSID or an Instagram-scoped id (digits), a WhatsApp
/// `wa_id` or an SMS number (a São Paulo mobile number, `+55 11 9xxxx-xxxx`).
#[cfg(feature = "ssr")]
pub fn lead_address(kind: ChannelKind, lead_id: &str) -> String {
    use sha2::{Digest, Sha256};
    // One phone number for WhatsApp and SMS: the same person.
    let seed = match kind {
        ChannelKind::Whatsapp | ChannelKind::TwilioSms => "phone",
        other => other.as_str(),
    };
    let digest = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update(b":")
        .chain_update(lead_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    let n = u64::from_be_bytes(bytes);
    match kind {
        ChannelKind::Messenger => format!("2{:016}", n % 10u64.pow(16)),
        ChannelKind::Instagram => format!("1{:015}", n % 10u64.pow(15)),
        ChannelKind::Whatsapp => format!("55119{:08}", n % 10u64.pow(8)),
        ChannelKind::TwilioSms => format!("+55119{:08}", n % 10u64.pow(8)),
        ChannelKind::Sandbox => lead_id.to_owned(),
    }
}

/// What the calling browser's lead has on their phone on a practice channel (for an
/// employee who may use it): empty for a browser without a lead cookie.
#[server(endpoint = "practice_thread")]
pub async fn practice_thread(channel_id: ChannelId) -> Result<PracticePhone, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let locale = crate::locale::request_locale();
    if !crate::channels::store::accessible_ids(&state.db, employee.id)
        .await?
        .contains(&channel_id)
    {
        return Err(AppError::Forbidden);
    }
    let channel = crate::channels::store::by_id(&state.db, channel_id)
        .await?
        .filter(|c| c.simulated && c.status != crate::channels::ChannelStatus::Disconnected)
        .ok_or_else(|| {
            AppError::NotFound(td_string!(locale, messaging.not_found_sandbox_channel).into())
        })?;
    let Some(lead) = crate::sandbox::current_lead().await else {
        return Ok(PracticePhone {
            address: String::new(),
            phone_off: false,
            messages: Vec::new(),
        });
    };
    let address = lead_address(channel.kind, &lead);
    store::thread(&state.db, channel.id, &address)
        .await
        .map_err(Into::into)
}

/// Adds a practice channel of `kind` (Settings): connected to the simulator at once, open
/// to the owners, marked as practice everywhere.
#[server(endpoint = "add_practice_channel", input = Json)]
pub async fn add_practice_channel(kind: ChannelKind) -> Result<ChannelId, AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let locale = crate::locale::request_locale();
    if !PRACTICE_KINDS.contains(&kind) {
        return Err(AppError::validation(
            "kind",
            td_string!(locale, settings.practice_kind_invalid),
        ));
    }
    let state = crate::state::AppState::current()?;
    let id = store::create_channel(&state.db, &state.secret_key, kind, locale).await?;
    state.bus.access_changed();
    tracing::info!(actor = %actor.id, channel = %id, kind = kind.as_str(), "practice channel added");
    Ok(id)
}

/// Makes a practice channel's access token expire, as Meta's or Twilio's do: the next reply
/// is refused and the channel shows "sync lost" until it is reconnected (Settings).
#[server(endpoint = "expire_practice_token", input = Json)]
pub async fn expire_practice_token(channel_id: ChannelId) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    if !store::expire_token(&state.db, &state.secret_key, channel_id).await? {
        return Err(AppError::NotFound(
            td_string!(crate::locale::request_locale(), settings.practice_not_found).into(),
        ));
    }
    tracing::info!(actor = %actor.id, channel = %channel_id, "practice channel's token made to expire");
    Ok(())
}

/// Reconnects a practice channel with a new token from the simulator (as an owner would
/// paste a new page token): sending resumes.
#[server(endpoint = "renew_practice_token", input = Json)]
pub async fn renew_practice_token(channel_id: ChannelId) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    if !store::renew_token(&state.db, &state.secret_key, channel_id).await? {
        return Err(AppError::NotFound(
            td_string!(crate::locale::request_locale(), settings.practice_not_found).into(),
        ));
    }
    // Its composers unlock live.
    state
        .bus
        .publish(crate::channels::store::announce(&state.db, channel_id).await?);
    state.outbox.notify_one();
    tracing::info!(actor = %actor.id, channel = %channel_id, "practice channel reconnected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::MAX_BODY_CHARS;

    fn message(name: &str, username: Option<&str>, text: &str) -> PracticeAction {
        PracticeAction::Message {
            name: name.into(),
            username: username.map(Into::into),
            message_id: "msg-12345678".into(),
            text: text.into(),
        }
    }

    #[test]
    fn actions_are_checked_field_by_field() {
        assert!(message("Maria", Some("maria.s_1"), "Oi!")
            .validate(Locale::en)
            .is_ok());
        let long = "a".repeat(MAX_BODY_CHARS + 1);
        for (action, field) in [
            (message("", None, "hi"), "name"),
            (message("Maria", Some("no spaces"), "hi"), "username"),
            (message("Maria", Some(""), "hi"), "username"),
            (message("Maria", None, "  "), "text"),
            (message("Maria", None, &long), "text"),
            (PracticeAction::Later { hours: 0 }, "hours"),
            (
                PracticeAction::Later {
                    hours: MAX_LATER_HOURS + 1,
                },
                "hours",
            ),
        ] {
            match action.validate(Locale::pt_BR) {
                Err(AppError::Validation { field: f, message }) => {
                    assert_eq!(f, field);
                    assert!(!message.contains('{'), "{message}");
                }
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
        assert!(PracticeAction::Later { hours: 24 * 8 }
            .validate(Locale::en)
            .is_ok());
        let unknown = r#"{"type":"later","hours":2,"admin":true}"#;
        assert!(serde_json::from_str::<PracticeAction>(unknown).is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn one_lead_has_a_stable_address_of_each_provider_s_shape() {
        let lead = "lead-abcdefghijkl";
        for kind in PRACTICE_KINDS {
            assert_eq!(lead_address(kind, lead), lead_address(kind, lead));
            assert_ne!(
                lead_address(kind, lead),
                lead_address(kind, "lead-other-lead")
            );
        }
        let psid = lead_address(ChannelKind::Messenger, lead);
        assert!(psid.len() == 17 && psid.bytes().all(|b| b.is_ascii_digit()));
        let wa = lead_address(ChannelKind::Whatsapp, lead);
        assert!(wa.starts_with("55119") && wa.len() == 13);
        let sms = lead_address(ChannelKind::TwilioSms, lead);
        assert_eq!(sms, format!("+{wa}"), "the same phone on WhatsApp and SMS");
    }
}
