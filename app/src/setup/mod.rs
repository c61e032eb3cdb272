//! The first run of a business's own server: with no demo data there is no employee, so
//! the owner is created here, on the `/setup` page, with a one-time code that the server
//! prints in its log at start (only someone who can read the log can use it); or with
//! `confab owner create --email E`. Once an owner exists the page is gone.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub mod store;

/// Whether the business still has no owner, so the setup page is open. Anyone may ask:
/// the answer says no more than the setup page itself does.
#[server(endpoint = "setup_needed")]
pub async fn setup_needed() -> Result<bool, AppError> {
    let state = crate::state::AppState::current()?;
    Ok(!store::has_owner(&state.db).await?)
}

/// Creates the business's first owner, signs them in and opens the inbox. Needs the code
/// printed in the server's log; refused once an owner exists.
#[server(endpoint = "create_first_owner")]
pub async fn create_first_owner(
    code: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use crate::i18n::td_string;
    let locale = crate::locale::request_locale();
    let name = crate::employees::check_name(locale, "name", &name)?;
    let email = crate::employees::check_email(locale, &email)?;
    crate::employees::check_password(locale, &password)?;
    let code = normalise_code(&code).ok_or_else(|| wrong_code(locale))?;
    let state = crate::state::AppState::current()?;
    // Refusals first, cheaply: a stranger's guesses must not cost argon2's time and memory.
    if store::has_owner(&state.db).await? {
        return Err(already_set_up(locale));
    }
    if !store::code_is_live(&state.db, &code).await? {
        tracing::warn!("setup refused: wrong one-time code");
        return Err(wrong_code(locale));
    }
    // Hashed in the sign-ins' bounded pool, before the transaction (the writer must not wait).
    let password_hash = state
        .login_limiter
        .hashing
        .run(move || crate::auth::password::hash(&password))
        .await
        .map_err(|_busy| {
            AppError::TooManyAttempts(td_string!(locale, account.login_busy).to_owned())
        })?
        .ok_or(AppError::Internal)?
        .map_err(|err| {
            tracing::error!(error = %err, "hashing the owner's password failed");
            AppError::Internal
        })?;
    let owner =
        match store::create_first_owner(&state.db, &code, &email, &name, &password_hash).await? {
            store::FirstOwner::Created(id) => id,
            store::FirstOwner::AlreadySetUp => return Err(already_set_up(locale)),
            store::FirstOwner::WrongCode => return Err(wrong_code(locale)),
        };
    tracing::info!(employee = %owner, "first owner created on the setup page");
    crate::auth::session::sign_in(owner).await?;
    leptos_axum::redirect("/conversations");
    Ok(())
}

#[cfg(feature = "ssr")]
fn already_set_up(locale: crate::i18n::Locale) -> AppError {
    AppError::Conflict(crate::i18n::td_string!(locale, account.setup_already_done).to_owned())
}

#[cfg(feature = "ssr")]
fn wrong_code(locale: crate::i18n::Locale) -> AppError {
    AppError::validation(
        "code",
        crate::i18n::td_string!(locale, account.setup_code_invalid),
    )
}

/// Letters of the one-time code, as printed: groups of four from an alphabet without look-
/// alikes (no 0/O, 1/I/L), 20 characters, 100 bits.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const CODE_CHARS: usize = 20;

/// The code as typed (any case, spaces or dashes between groups) in its printed letters,
/// or `None` when it cannot be one.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_however_it_is_typed() {
        assert_eq!(
            normalise_code("abcd-efgh-jkmn-pqrs-tuvw").as_deref(),
            Some("ABCDEFGHJKMNPQRSTUVW")
        );
        assert_eq!(
            normalise_code(" ABCD EFGH JKMN PQRS TUVW ").as_deref(),
            Some("ABCDEFGHJKMNPQRSTUVW")
        );
        assert_eq!(normalise_code("ABCD"), None, "too short");
        assert_eq!(
            normalise_code("ABCD-EFGH-JKMN-PQRS-TUV0"),
            None,
            "not in the alphabet"
        );
        assert_eq!(normalise_code(""), None);
    }
}
