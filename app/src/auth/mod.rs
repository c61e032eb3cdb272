//! Signing in and out, and who is signed in. Passwords are hashed with argon2id; the
//! session lives server-side (tower-sessions, our own SQL store) behind an HttpOnly cookie.

use crate::error::AppError;
use crate::ids::EmployeeId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod limiter;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;

/// The signed-in employee as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub id: EmployeeId,
    pub name: String,
    pub email: String,
    pub role: String,
    pub permissions: Vec<crate::employees::Permission>,
    /// The language picked in the profile (`en`, `pt-BR`); `None` follows the browser.
    pub locale: Option<String>,
}

impl Employee {
    pub fn can(&self, permission: crate::employees::Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// Longest email and password we accept: enough for anyone, short enough to refuse junk.
pub const MAX_EMAIL_LEN: usize = 254;
pub const MAX_PASSWORD_LEN: usize = 256;

#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::i18n::td_string;
    let locale = crate::locale::request_locale();
    let email = email.trim().to_lowercase();
    if email.is_empty() || !email.contains('@') || email.len() > MAX_EMAIL_LEN {
        return Err(AppError::validation(
            "email",
            td_string!(locale, account.login_email_required),
        ));
    }
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::validation(
            "password",
            td_string!(locale, account.login_password_required),
        ));
    }
    let state = crate::state::AppState::current()?;
    let now = crate::store::now_ms();
    let client = crate::net::ClientIp::current().await;
    // Recorded before the password is checked, in one step with the limits' check: parallel
    // guesses cannot all pass before any is counted (see `limiter`).
    let limits = &state.login_limiter;
    let attempt = match limits.begin(&state.db, &email, client.0, now).await? {
        Ok(attempt) => attempt,
        Err(locked) => {
            tracing::warn!(scope = ?locked.scope, "sign-in refused: too many failed attempts");
            return Err(too_many_attempts(locale, locked));
        }
    };
    let candidate = store::credentials_by_email(&state.db, &email).await?;
    // Verify against a fixed hash when the email is unknown, so timing does not tell
    // whether an account exists.
    let (employee_id, hash) = match candidate {
        Some((id, hash, true)) => (Some(id), hash),
        _ => (None, password::DUMMY_HASH.to_owned()),
    };
    let Ok(ok) = limits.hashing.verify(password, hash).await else {
        // Too many checks running and waiting: this one checked nothing, so it does not count.
        limits.withdraw(&state.db, &attempt).await?;
        tracing::warn!("sign-in refused: too many sign-ins at once");
        return Err(AppError::TooManyAttempts(
            td_string!(locale, account.login_busy).to_owned(),
        ));
    };
    let Some(employee_id) = employee_id.filter(|_| ok) else {
        tracing::info!("failed sign-in");
        return Err(AppError::validation(
            "password",
            td_string!(locale, account.login_mismatch),
        ));
    };
    limits.succeeded(&state.db, &attempt).await?;
    session::sign_in(employee_id).await?;
    // The first page after sign-in is already in the profile's language.
    if let Some(locale) = store::active_employee(&state.db, employee_id)
        .await?
        .and_then(|e| e.locale)
        .and_then(|tag| crate::locale::parse_tag(&tag))
    {
        set_locale_cookie(Some(locale));
    }
    tracing::info!(employee = %employee_id, "signed in");
    leptos_axum::redirect("/conversations");
    Ok(())
}

/// The refusal of an attempt a sign-in limit holds back, saying for how long and whose limit.
#[cfg(feature = "ssr")]
pub fn too_many_attempts(locale: crate::i18n::Locale, locked: limiter::Locked) -> AppError {
    use crate::i18n::td_string;
    use limiter::LockScope;
    let minutes = ((locked.wait_ms + 59_999) / 60_000).max(1);
    let template = match (locked.scope, minutes) {
        (LockScope::Account, 1) => td_string!(locale, account.login_too_many_minute),
        (LockScope::Account, _) => td_string!(locale, account.login_too_many_minutes),
        (LockScope::Address, 1) => td_string!(locale, account.login_too_many_here_minute),
        (LockScope::Address, _) => td_string!(locale, account.login_too_many_here_minutes),
    };
    AppError::TooManyAttempts(crate::locale::fill(
        template,
        &[("minutes", &crate::locale::format_integer(locale, minutes))],
    ))
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let current = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "session store failed");
            AppError::Internal
        })?;
    let signed_in = session::employee_id_of(&current).await;
    session::sign_out().await?;
    // That employee's live streams re-check their session, and this one's ends. Without a
    // session there is nothing to end: an anonymous request makes no stream re-check.
    if let Some(employee) = signed_in {
        crate::state::AppState::current()?
            .bus
            .access_changed_for([employee]);
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// "Sign out on every device": ends every session of the signed-in employee, this one
/// included (a lost phone, a shared computer). Other tabs and devices find themselves
/// signed out at their next page or action.
#[server(endpoint = "logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), AppError> {
    let employee = session::require_employee().await?;
    let state = crate::state::AppState::current()?;
    // This session first, so that the answer also removes its cookie.
    session::sign_out().await?;
    let ended = session::end_sessions_of(&state.db.write, employee.id).await?;
    tracing::info!(employee = %employee.id, others = ended, "signed out everywhere");
    state.bus.access_changed_for([employee.id]);
    leptos_axum::redirect("/login");
    Ok(())
}

/// Sets the language cookie that leptos_i18n reads on every request, for a year; `None`
/// removes it, so the browser's language counts again.
#[cfg(feature = "ssr")]
fn set_locale_cookie(locale: Option<crate::i18n::Locale>) {
    let cookie = match locale {
        Some(locale) => format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::locale::LOCALE_COOKIE,
            crate::locale::tag(locale)
        ),
        None => format!(
            "{}=; Path=/; Max-Age=0; SameSite=Lax",
            crate::locale::LOCALE_COOKIE
        ),
    };
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// Saves the employee's language (`None`: follow the browser) and sets the language cookie.
#[server(endpoint = "set_my_language")]
pub async fn set_my_language(tag: Option<String>) -> Result<(), AppError> {
    let employee = session::require_employee().await?;
    let locale = match tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(tag) => Some(crate::locale::parse_tag(tag).ok_or_else(|| {
            AppError::validation(
                "language",
                crate::i18n::td_string!(crate::locale::request_locale(), account.language_invalid),
            )
        })?),
    };
    let state = crate::state::AppState::current()?;
    store::set_locale(&state.db, employee.id, locale.map(crate::locale::tag)).await?;
    set_locale_cookie(locale);
    tracing::info!(employee = %employee.id, language = ?locale.map(crate::locale::tag), "language changed");
    Ok(())
}

/// Who is signed in, or `None`. Used by the shell to draw the menu.
#[server(endpoint = "current_employee")]
pub async fn current_employee() -> Result<Option<Employee>, AppError> {
    session::current_employee().await
}
