//! Clients made and kept by hand: create, edit, delete, merge, and the history of each.
//! The Clients pages hold the permission Documents; every client touched must be one the
//! employee sees (`store::visible_sql`).

use super::import::PhoneLabel;
use crate::error::AppError;
use crate::ids::ClientId;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// One number as typed in the client form, with its label (`mobile`, `home`, `work`,
/// `other`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneInput {
    pub phone: String,
    pub label: String,
}

/// The client form as typed; empty texts are "none".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInput {
    pub name: String,
    pub phones: Vec<PhoneInput>,
    pub email: String,
    pub address: String,
    pub notes: String,
}

/// A client form that passed its checks: numbers in E.164, without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedClient {
    pub name: String,
    pub phones: Vec<(String, PhoneLabel)>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

/// A client as `/api/v1` shows it: every field, each number with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    pub phones: Vec<PhoneInput>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    /// Seen by the whole team (not only by those who see one of its conversations).
    pub shared: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which clients an API list returns, in id order after `after_id`.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// A fragment of the name, email or a number.
    pub text: String,
    /// Exactly this number (E.164).
    pub phone: Option<String>,
    /// Exactly this email (as stored: trimmed, lowercase).
    pub email: Option<String>,
    /// Changed at or after this instant (UTC ms).
    pub updated_since: Option<i64>,
    pub after_id: Option<i64>,
}

/// One line of a client's history, newest first on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: i64,
    /// Who did it; `None` for an integration's token whose employee is gone.
    pub employee_name: Option<String>,
    /// `created`, `updated`, `merged`, `shared` or `imported`.
    pub what: String,
    /// For `updated`: the fields changed; for `merged`: the name of the client merged in.
    pub detail: Vec<String>,
}

/// Checks the form: a name, at most `MAX_PHONES_PER_ROW` numbers each with a known label,
/// a valid email, texts of at most `MAX_TEXT_CHARS` — the same bounds as the CSV import.
#[cfg(feature = "ssr")]
pub fn check_client(
    locale: crate::i18n::Locale,
    country: crate::phone::Country,
    input: &ClientInput,
) -> Result<CheckedClient, AppError> {
    use super::import::{MAX_PHONES_PER_ROW, MAX_TEXT_CHARS};
    use crate::i18n::td_string;
    let name = crate::employees::check_name(locale, "name", &input.name)?;
    let mut phones: Vec<(String, PhoneLabel)> = Vec::new();
    for typed in &input.phones {
        let Some(phone) = super::check_phone(locale, &typed.phone, country)? else {
            continue;
        };
        let label = PhoneLabel::parse(typed.label.trim()).ok_or_else(|| {
            AppError::validation("phones", td_string!(locale, clients.label_invalid))
        })?;
        if !phones.iter().any(|(p, _)| *p == phone) {
            phones.push((phone, label));
        }
    }
    if phones.len() > MAX_PHONES_PER_ROW {
        return Err(AppError::validation(
            "phones",
            crate::locale::fill(
                td_string!(locale, clients.too_many_phones),
                &[("max", &MAX_PHONES_PER_ROW.to_string())],
            ),
        ));
    }
    let email = match input.email.trim() {
        "" => None,
        typed => Some(crate::employees::check_email(locale, typed)?),
    };
    let text = |field: &'static str, value: &str| -> Result<Option<String>, AppError> {
        let value = value.trim();
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err(AppError::validation(
                field,
                crate::locale::fill(
                    td_string!(locale, clients.text_too_long),
                    &[("max", &MAX_TEXT_CHARS.to_string())],
                ),
            ));
        }
        Ok((!value.is_empty()).then(|| value.to_owned()))
    };
    Ok(CheckedClient {
        name,
        phones,
        email,
        address: text("address", &input.address)?,
        notes: text("notes", &input.notes)?,
    })
}

#[cfg(feature = "ssr")]
async fn documents_employee() -> Result<crate::auth::Employee, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Documents).await
}

/// Creates a client shared with the team.
#[server(endpoint = "create_client", input = Json)]
pub async fn create_client(input: ClientInput) -> Result<ClientId, AppError> {
    let employee = documents_employee().await?;
    let state = crate::state::AppState::current()?;
    let checked = check_client(crate::locale::request_locale(), state.db.country, &input)?;
    let id = super::edit_store::create(&state.db, employee.id, &checked).await?;
    tracing::info!(employee = %employee.id, client = %id, "client created");
    Ok(id)
}

/// Replaces a client's name, numbers, email, address and notes.
#[server(endpoint = "update_client", input = Json)]
pub async fn update_client(id: ClientId, input: ClientInput) -> Result<(), AppError> {
    let employee = documents_employee().await?;
    let state = crate::state::AppState::current()?;
    let checked = check_client(crate::locale::request_locale(), state.db.country, &input)?;
    super::edit_store::update(&state.db, employee.id, id, &checked).await?;
    Ok(())
}

/// Deletes a client: their conversations and documents stay, no longer linked to anyone.
#[server(endpoint = "delete_client")]
pub async fn delete_client(id: ClientId) -> Result<(), AppError> {
    let employee = documents_employee().await?;
    let state = crate::state::AppState::current()?;
    super::edit_store::delete(&state.db, employee.id, id).await?;
    tracing::info!(employee = %employee.id, client = %id, "client deleted");
    Ok(())
}

/// Merges `merged` into `kept`: its numbers, conversations, documents and calls move to
/// `kept`, empty fields of `kept` take its values, and `merged` is deleted.
#[server(endpoint = "merge_clients")]
pub async fn merge_clients(kept: ClientId, merged: ClientId) -> Result<(), AppError> {
    let employee = documents_employee().await?;
    if kept == merged {
        return Err(AppError::validation(
            "merged",
            crate::i18n::td_string!(crate::locale::request_locale(), clients.merge_same),
        ));
    }
    let state = crate::state::AppState::current()?;
    super::edit_store::merge(&state.db, employee.id, kept, merged).await?;
    tracing::info!(employee = %employee.id, client = %kept, merged = %merged, "clients merged");
    Ok(())
}

/// What happened to a client, newest first (at most 200 lines).
#[server(endpoint = "client_history")]
pub async fn client_history(id: ClientId) -> Result<Vec<HistoryEntry>, AppError> {
    let employee = documents_employee().await?;
    let state = crate::state::AppState::current()?;
    Ok(super::edit_store::history(&state.db, employee.id, id).await?)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use crate::phone::Country;

    fn phone(phone: &str, label: &str) -> PhoneInput {
        PhoneInput {
            phone: phone.into(),
            label: label.into(),
        }
    }

    #[test]
    fn a_form_is_read_into_e164_without_repeats_or_empty_texts() {
        let input = ClientInput {
            name: "  Ana Souza ".into(),
            phones: vec![
                phone("(11) 98765-4321", "mobile"),
                phone("+55 11 98765-4321", "work"),
                phone("  ", "home"),
                phone("+55 11 3333-4444", "work"),
            ],
            email: " Ana@Shop.com ".into(),
            address: " ".into(),
            notes: "Prefers WhatsApp".into(),
        };
        let checked = check_client(Locale::en, Country::BR, &input).unwrap();
        assert_eq!(checked.name, "Ana Souza");
        assert_eq!(
            checked.phones,
            vec![
                ("+5511987654321".to_owned(), PhoneLabel::Mobile),
                ("+551133334444".to_owned(), PhoneLabel::Work),
            ]
        );
        assert_eq!(checked.email.as_deref(), Some("ana@shop.com"));
        assert_eq!(checked.address, None);
        assert_eq!(checked.notes.as_deref(), Some("Prefers WhatsApp"));
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |input: ClientInput| match check_client(Locale::pt_BR, Country::BR, &input) {
            Err(AppError::Validation { field, message }) => {
                assert!(!message.is_empty());
                field
            }
            other => panic!("{other:?}"),
        };
        let named = |name: &str| ClientInput {
            name: name.into(),
            ..Default::default()
        };
        assert_eq!(field(named(" ")), "name");
        let mut input = named("Ana");
        input.phones = vec![phone("call me", "mobile")];
        assert_eq!(field(input.clone()), "phone");
        input.phones = vec![phone("+55 11 98765-4321", "fax")];
        assert_eq!(field(input.clone()), "phones");
        input.phones = (0..11)
            .map(|i| phone(&format!("+55 11 98765-43{i:02}"), "mobile"))
            .collect();
        assert_eq!(field(input.clone()), "phones");
        input.phones.clear();
        input.email = "ana@".into();
        assert_eq!(field(input.clone()), "email");
        input.email.clear();
        input.notes = "x".repeat(super::super::import::MAX_TEXT_CHARS + 1);
        assert_eq!(field(input), "notes");
    }
}
