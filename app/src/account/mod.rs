//! The signed-in employee's own email and password, changed from the profile. Both need
//! the current password, so a session left open on a shared computer cannot take the
//! account over. Changing the password signs out every other device and revokes the
//! employee's API tokens unless they keep them.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub mod store;

/// The current password is right, or a validation error on `current_password`. Each check
/// counts as a sign-in attempt of this account from this address (the same limits): a
/// session left open is no faster way to guess the password than the sign-in page.
#[cfg(feature = "ssr")]
async fn check_current_password(
    state: &crate::state::AppState,
    me: &crate::auth::Employee,
    password: String,
) -> Result<(), AppError> {
    let locale = crate::locale::request_locale();
    let wrong = || {
        AppError::validation(
            "current_password",
            crate::i18n::td_string!(locale, account.account_current_password_wrong),
        )
    };
    if password.is_empty() || password.len() > crate::auth::MAX_PASSWORD_LEN {
        return Err(wrong());
    }
    let limits = &state.login_limiter;
    let client = crate::net::ClientIp::current().await;
    let attempt = match limits
        .begin(&state.db, &me.email, client.0, crate::store::now_ms())
        .await?
    {
        Ok(attempt) => attempt,
        Err(locked) => return Err(crate::auth::too_many_attempts(locale, locked)),
    };
    let hash = store::password_hash(&state.db, me.id).await?;
    // The sign-in's bounded pool: argon2's memory stays bounded whoever asks.
    let Ok(right) = limits.hashing.verify(password, hash).await else {
        limits.withdraw(&state.db, &attempt).await?;
        return Err(AppError::TooManyAttempts(
            crate::i18n::td_string!(locale, account.login_busy).to_owned(),
        ));
    };
    if !right {
        tracing::info!(employee = %me.id, "account change refused: wrong current password");
        return Err(wrong());
    }
    limits.succeeded(&state.db, &attempt).await?;
    Ok(())
}

#[server(endpoint = "change_my_password")]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
    // A password changed after a leak should also end the tokens made with it: revoked
    // unless the employee asks to keep them.
    #[server(default)] keep_tokens: bool,
) -> Result<(), AppError> {
    let me = crate::auth::session::require_employee().await?;
    let locale = crate::locale::request_locale();
    crate::employees::check_password(locale, &new_password)
        .map_err(|e| rename_field(e, "new_password"))?;
    let state = crate::state::AppState::current()?;
    check_current_password(&state, &me, current_password).await?;
    store::set_password(&state.db, me.id, &new_password).await?;
    if !keep_tokens {
        crate::tokens::store::revoke_all_of(&state.db.write, me.id)
            .await
            .map_err(crate::store::StoreError::from)?;
    }
    // Every session ends, this one too; a new one keeps this tab signed in.
    crate::auth::session::end_sessions_of(&state.db.write, me.id)
        .await
        .map_err(crate::store::StoreError::from)?;
    crate::auth::session::sign_in(me.id).await?;
    // Their open live streams (other devices) end too; other employees' are left alone.
    state.bus.access_changed_for([me.id]);
    tracing::info!(employee = %me.id, "password changed; other sessions ended");
    Ok(())
}

/// Owners (and whoever manages employees: the Settings permission) change their own email;
/// other employees ask them, as the email is how the team knows who signs in.
#[server(endpoint = "change_my_email")]
pub async fn change_my_email(current_password: String, email: String) -> Result<(), AppError> {
    let me = crate::auth::session::require_employee().await?;
    let locale = crate::locale::request_locale();
    if !me.can(crate::employees::Permission::Settings) {
        return Err(AppError::validation(
            "email",
            crate::i18n::td_string!(locale, account.account_email_needs_settings),
        ));
    }
    let email = crate::employees::check_email(locale, &email)?;
    let state = crate::state::AppState::current()?;
    check_current_password(&state, &me, current_password).await?;
    store::set_email(&state.db, me.id, &email).await?;
    tracing::info!(employee = %me.id, "email changed");
    Ok(())
}

/// The same refusal, pinned to the form's field of that name.
#[cfg(feature = "ssr")]
fn rename_field(error: AppError, field: &str) -> AppError {
    match error {
        AppError::Validation { message, .. } => AppError::validation(field, message),
        other => other,
    }
}
