//! Clients of the CRM, and linking a conversation's contact to one.

use crate::conversations::ConversationSummary;
use crate::documents::Document;
use crate::error::AppError;
use crate::ids::{ClientId, ConversationId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod edit;
#[cfg(feature = "ssr")]
pub mod edit_store;
pub mod import;
#[cfg(feature = "ssr")]
pub mod import_store;
#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    /// In E.164, for links and lookups.
    pub phones: Vec<String>,
    /// The same numbers in the same order, as people read them (`crate::phone::display`).
    pub phones_display: Vec<String>,
    /// Shared with the team; `false`: created from a conversation and seen only by those
    /// who may see one of its conversations (or the channel it came from).
    pub shared: bool,
}

impl Client {
    /// Each number in E.164 with its text to show.
    pub fn phones_shown(&self) -> impl Iterator<Item = (&String, &String)> {
        self.phones.iter().zip(&self.phones_display)
    }
}

/// A client with what the employee may see of their conversations, and their documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCard {
    pub client: Client,
    pub conversations: Vec<ConversationSummary>,
    pub documents: Vec<Document>,
    /// The client is private and the employee holds Documents: they may share it.
    pub can_share: bool,
    /// The employee holds Documents: the documents link to their pages, and new ones may
    /// be made.
    #[serde(default)]
    pub documents_permission: bool,
    /// The employee holds Conversations: the client's conversations show, and a new one may
    /// be started.
    #[serde(default)]
    pub may_converse: bool,
    /// The label of each of `client.phones`, in the same order (`mobile`, `home`, …), for
    /// the edit form.
    pub phone_labels: Vec<String>,
}

pub const MIN_SEARCH_CHARS: usize = 2;

/// Clients whose name, email or phone contains the text (as typed, at most 20), of those
/// the employee sees. The Clients list's permission: Documents.
#[server(endpoint = "search_clients")]
pub async fn search_clients(query: String) -> Result<Vec<Client>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let query = query.trim().to_owned();
    if query.chars().count() < MIN_SEARCH_CHARS {
        return Ok(Vec::new());
    }
    crate::conversations::check_search_text(&query)?;
    let state = crate::state::AppState::current()?;
    Ok(store::search(&state.db, employee.id, &query).await?)
}

/// Shares a private client (created from a conversation) with the team: it shows in every
/// Clients page and phone card from then on. Needs Documents and a client the employee sees.
#[server(endpoint = "share_client")]
pub async fn share_client(id: ClientId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    store::share(&state.db, employee.id, id).await?;
    tracing::info!(employee = %employee.id, client = %id, "client shared with the team");
    Ok(())
}

#[server(endpoint = "link_client")]
pub async fn link_client(
    conversation_id: ConversationId,
    client_id: ClientId,
) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::link(&state.db, employee.id, conversation_id, Some(client_id)).await?;
    state.bus.publish(events);
    Ok(())
}

#[server(endpoint = "unlink_client")]
pub async fn unlink_client(conversation_id: ConversationId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::link(&state.db, employee.id, conversation_id, None).await?;
    state.bus.publish(events);
    Ok(())
}

/// Reads a phone number as typed into E.164 (`country` for numbers written without their
/// country code); empty is no number. Refusals are in `locale`.
#[cfg(feature = "ssr")]
pub fn check_phone(
    locale: crate::i18n::Locale,
    phone: &str,
    country: crate::phone::Country,
) -> Result<Option<String>, AppError> {
    if phone.trim().is_empty() {
        return Ok(None);
    }
    crate::phone::normalize(phone, country)
        .map(|p| Some(p.to_string()))
        .map_err(|e| AppError::validation("phone", e.message(locale)))
}

/// Creates a client (prefilled from the contact in the UI) and links the conversation to it.
#[server(endpoint = "create_client_for_conversation")]
pub async fn create_client_for_conversation(
    conversation_id: ConversationId,
    name: String,
    phone: String,
    email: String,
) -> Result<ClientId, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let locale = crate::locale::request_locale();
    let name = crate::employees::check_name(locale, "name", &name)?;
    let state = crate::state::AppState::current()?;
    let phone = check_phone(locale, &phone, state.db.country)?;
    let email = if email.trim().is_empty() {
        None
    } else {
        Some(crate::employees::check_email(locale, &email)?)
    };
    let (id, events) = store::create_and_link(
        &state.db,
        employee.id,
        conversation_id,
        &name,
        phone.as_deref(),
        email.as_deref(),
    )
    .await?;
    state.bus.publish(events);
    Ok(id)
}

/// What the hover card of a phone number shows: the client with that number (if any) and
/// every conversation the employee may see with it, on any channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCard {
    /// The number in E.164.
    pub phone: String,
    /// The number as people read it (`crate::phone::display`).
    pub phone_display: String,
    pub client: Option<Client>,
    pub conversations: Vec<ConversationSummary>,
    /// The employee holds Conversations: without it the card shows the client only.
    #[serde(default)]
    pub may_converse: bool,
}

/// The card of a phone number (as written anywhere in the CRM), for the hover card.
#[server(endpoint = "get_phone_card")]
pub async fn get_phone_card(phone: String) -> Result<PhoneCard, AppError> {
    use crate::employees::Permission;
    // Either permission shows a card: Conversations its conversations, Documents its client.
    let employee = crate::auth::session::require_employee().await?;
    if !employee.can(Permission::Conversations) && !employee.can(Permission::Documents) {
        return Err(AppError::Forbidden);
    }
    let state = crate::state::AppState::current()?;
    let phone = crate::phone::normalize(&phone, state.db.country)
        .map_err(|e| AppError::validation("phone", e.message(crate::locale::request_locale())))?;
    Ok(store::phone_card(&state.db, employee.id, &phone).await?)
}

/// Rows of the Clients list per page.
pub const LIST_PAGE: usize = 200;

/// The Clients page: the clients the employee sees, A–Z, a page at a time (the next page
/// after the last client of the one before: `after_name`, `after_id`), or those of them
/// matching `query`.
#[server(endpoint = "list_clients")]
pub async fn list_clients(
    #[server(default)] query: String,
    #[server(default)] after_name: String,
    #[server(default)] after_id: i64,
) -> Result<Vec<Client>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    crate::conversations::check_search_text(&query)?;
    if after_name.chars().count() > import::MAX_TEXT_CHARS || after_id < 0 {
        let locale = crate::locale::request_locale();
        return Err(AppError::validation(
            "after_id",
            crate::i18n::td_string!(locale, calls.cursor_invalid),
        ));
    }
    let after = (after_id > 0).then_some((after_name.as_str(), ClientId(after_id)));
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db, employee.id, Some(&query), after).await?)
}

/// One client's card, with the conversations the employee may see.
#[server(endpoint = "get_client")]
pub async fn get_client(id: ClientId) -> Result<ClientCard, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    store::card(&state.db, employee.id, id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                crate::i18n::td_string!(crate::locale::request_locale(), account.what_client)
                    .to_owned(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked() {
        use crate::i18n::Locale;
        use crate::phone::Country;
        let english = Locale::en;
        assert_eq!(
            check_phone(english, "+55 11 98765-4321", Country::BR)
                .unwrap()
                .unwrap(),
            "+5511987654321"
        );
        assert_eq!(
            check_phone(english, "(11) 98765-4321", Country::BR)
                .unwrap()
                .unwrap(),
            "+5511987654321"
        );
        assert_eq!(check_phone(english, "  ", Country::BR).unwrap(), None);
        assert!(check_phone(english, "123", Country::BR).is_err());
        assert!(check_phone(english, "call me", Country::BR).is_err());
        assert_eq!(
            check_phone(Locale::pt_BR, "call me", Country::BR).unwrap_err(),
            AppError::validation(
                "phone",
                "'call me' tem letras ou sinais que não fazem parte de um número de telefone."
            )
        );
    }
}
