//! Personal access tokens for the `/api/v1` JSON API. A token is shown once when created;
//! only its SHA-256 is stored, so a leaked database leaks no usable token. Each token
//! carries scopes (what it may do, within its employee's access) and may expire.

use crate::error::AppError;
use crate::i18n::td_string;
use crate::ids::EmployeeId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

/// Every token starts so, which lets secret scanners recognise one.
pub const TOKEN_PREFIX: &str = "cfb_";

/// What a token may do. A token never does more than its employee may; a scope only
/// narrows it (the card snippet on a public page reads cards, nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TokenScope {
    /// `GET /api/v1/phone-card`: the card of a phone number.
    #[serde(rename = "phone-card:read")]
    PhoneCardRead,
    /// Channels, conversations and their messages.
    #[serde(rename = "conversations:read")]
    ConversationsRead,
    /// Sending replies, archiving and reopening conversations.
    #[serde(rename = "conversations:write")]
    ConversationsWrite,
    /// Reading the CRM: clients, documents and calls (with the Documents permission).
    #[serde(rename = "crm:read")]
    CrmRead,
    /// Creating, changing and deleting clients, documents and calls.
    #[serde(rename = "crm:write")]
    CrmWrite,
}

impl TokenScope {
    pub const ALL: [TokenScope; 5] = [
        TokenScope::PhoneCardRead,
        TokenScope::ConversationsRead,
        TokenScope::ConversationsWrite,
        TokenScope::CrmRead,
        TokenScope::CrmWrite,
    ];

    /// What a token gets when nobody chose: reading cards only.
    pub const DEFAULT: [TokenScope; 1] = [TokenScope::PhoneCardRead];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::PhoneCardRead => "phone-card:read",
            TokenScope::ConversationsRead => "conversations:read",
            TokenScope::ConversationsWrite => "conversations:write",
            TokenScope::CrmRead => "crm:read",
            TokenScope::CrmWrite => "crm:write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
    }

    /// Parses the stored comma-separated list, ignoring unknown names.
    pub fn parse_list(s: &str) -> Vec<TokenScope> {
        let mut list: Vec<TokenScope> = s.split(',').filter_map(TokenScope::parse).collect();
        list.sort();
        list.dedup();
        list
    }

    /// The stored form: sorted, comma-separated.
    pub fn join(list: &[TokenScope]) -> String {
        let mut list = list.to_vec();
        list.sort();
        list.dedup();
        list.iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: i64,
    /// After this instant (ms) the token is refused; `None`: it does not expire.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token in the owner's list of everyone's tokens (Settings › Employees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamToken {
    pub employee_id: EmployeeId,
    pub employee_name: String,
    pub token: ApiToken,
}

/// The longest a token may live: long enough for any integration, and an expiry date
/// that is a real date.
pub const MAX_LIFETIME_DAYS: i64 = 5 * 366;
pub const DAY_MS: i64 = 86_400_000;

/// Checks a token's name; refusals are in `locale`.
pub fn check_token_name(locale: crate::i18n::Locale, name: &str) -> Result<String, AppError> {
    crate::employees::check_name(locale, "name", name)
}

/// Checks the chosen scopes: none chosen means the default (cards only).
pub fn check_scopes(scopes: &[TokenScope]) -> Vec<TokenScope> {
    if scopes.is_empty() {
        TokenScope::DEFAULT.to_vec()
    } else {
        TokenScope::parse_list(&TokenScope::join(scopes))
    }
}

/// Checks an expiry instant (ms): in the future and within [`MAX_LIFETIME_DAYS`].
pub fn check_expiry(
    locale: crate::i18n::Locale,
    expires_at: Option<i64>,
    now: i64,
) -> Result<Option<i64>, AppError> {
    match expires_at {
        Some(at) if at <= now || at > now + MAX_LIFETIME_DAYS * DAY_MS => {
            Err(AppError::validation(
                "expires_at",
                crate::locale::fill(
                    td_string!(locale, settings.token_expiry_invalid),
                    &[(
                        "max",
                        &crate::locale::format_integer(locale, MAX_LIFETIME_DAYS),
                    )],
                ),
            ))
        }
        other => Ok(other),
    }
}

#[server(endpoint = "list_my_tokens")]
pub async fn list_my_tokens() -> Result<Vec<ApiToken>, AppError> {
    let me = crate::auth::session::require_employee().await?;
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db, me.id).await?)
}

/// Creates a token and returns it: this is the only time it is shown. No `scopes`: a
/// token that reads cards only. `expires_at`: an instant in ms, or none.
#[server(endpoint = "create_my_token")]
pub async fn create_my_token(
    name: String,
    #[server(default)] scopes: Vec<TokenScope>,
    #[server(default)] expires_at: Option<i64>,
) -> Result<String, AppError> {
    let me = crate::auth::session::require_employee().await?;
    let locale = crate::locale::request_locale();
    let name = check_token_name(locale, &name)?;
    let scopes = check_scopes(&scopes);
    let expires_at = check_expiry(locale, expires_at, crate::store::now_ms())?;
    let state = crate::state::AppState::current()?;
    let (_, token) = store::create(&state.db, me.id, &name, &scopes, expires_at).await?;
    tracing::info!(employee = %me.id, scopes = %TokenScope::join(&scopes), "API token created");
    Ok(token)
}

#[server(endpoint = "revoke_my_token")]
pub async fn revoke_my_token(id: i64) -> Result<(), AppError> {
    let me = crate::auth::session::require_employee().await?;
    let state = crate::state::AppState::current()?;
    store::revoke(&state.db, Some(me.id), id).await?;
    Ok(())
}

/// Every employee's tokens, for whoever manages employees (the Settings permission).
#[server(endpoint = "list_team_tokens")]
pub async fn list_team_tokens() -> Result<Vec<TeamToken>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::list_all(&state.db).await?)
}

/// Revokes any employee's token (a leaked one, an integration gone).
#[server(endpoint = "revoke_team_token")]
pub async fn revoke_team_token(id: i64) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    store::revoke(&state.db, None, id).await?;
    tracing::info!(actor = %actor.id, token = id, "API token revoked by a manager");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_default_to_cards_only() {
        assert_eq!(
            TokenScope::parse_list("conversations:write, phone-card:read,nonsense,phone-card:read"),
            vec![TokenScope::PhoneCardRead, TokenScope::ConversationsWrite]
        );
        assert_eq!(
            TokenScope::join(&TokenScope::ALL),
            "phone-card:read,conversations:read,conversations:write,crm:read,crm:write"
        );
        assert_eq!(check_scopes(&[]), vec![TokenScope::PhoneCardRead]);
        assert_eq!(
            serde_json::to_string(&TokenScope::ConversationsRead).unwrap(),
            "\"conversations:read\""
        );
    }

    #[test]
    fn expiries_are_in_the_future_and_not_too_far() {
        let now = 1_000_000;
        let english = crate::i18n::Locale::en;
        assert_eq!(check_expiry(english, None, now).unwrap(), None);
        assert_eq!(
            check_expiry(english, Some(now + DAY_MS), now).unwrap(),
            Some(now + DAY_MS)
        );
        assert!(check_expiry(english, Some(now), now).is_err());
        assert!(check_expiry(english, Some(now + (MAX_LIFETIME_DAYS + 1) * DAY_MS), now).is_err());
    }
}
