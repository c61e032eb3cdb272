//! Personal access tokens for the `/api/v1` JSON API. A token is shown once when created;
//! only its SHA-256 is stored, so a leaked database leaks no usable token.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

/// Every token starts so, which lets secret scanners recognise one.
pub const TOKEN_PREFIX: &str = "cfb_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Checks a token's name; refusals are in `locale`.
pub fn check_token_name(locale: crate::i18n::Locale, name: &str) -> Result<String, AppError> {
    crate::employees::check_name(locale, "name", name)
}

#[server(endpoint = "list_my_tokens")]
pub async fn list_my_tokens() -> Result<Vec<ApiToken>, AppError> {
    let me = crate::auth::session::require_employee().await?;
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db, me.id).await?)
}

/// Creates a token and returns it: this is the only time it is shown.
#[server(endpoint = "create_my_token")]
pub async fn create_my_token(name: String) -> Result<String, AppError> {
    let me = crate::auth::session::require_employee().await?;
    let name = check_token_name(crate::ui::locale::request_locale(), &name)?;
    let state = crate::state::AppState::current()?;
    let (_, token) = store::create(&state.db, me.id, &name).await?;
    tracing::info!(employee = %me.id, "API token created");
    Ok(token)
}

#[server(endpoint = "revoke_my_token")]
pub async fn revoke_my_token(id: i64) -> Result<(), AppError> {
    let me = crate::auth::session::require_employee().await?;
    let state = crate::state::AppState::current()?;
    store::revoke(&state.db, me.id, id).await?;
    Ok(())
}
