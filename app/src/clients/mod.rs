//! Clients of the CRM, and linking a conversation's contact to one.

use crate::conversations::ConversationSummary;
use crate::documents::Document;
use crate::error::AppError;
use crate::ids::{ClientId, ConversationId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<String>,
}

/// A client with what the employee may see of their conversations, and their documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCard {
    pub client: Client,
    pub conversations: Vec<ConversationSummary>,
    pub documents: Vec<Document>,
}

pub const MIN_SEARCH_CHARS: usize = 2;

/// Clients whose name, email or phone contains the text (as typed, at most 20).
#[server(endpoint = "search_clients")]
pub async fn search_clients(query: String) -> Result<Vec<Client>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Conversations).await?;
    let query = query.trim().to_owned();
    if query.chars().count() < MIN_SEARCH_CHARS {
        return Ok(Vec::new());
    }
    crate::conversations::check_search_text(&query)?;
    let state = crate::state::AppState::current()?;
    Ok(store::search(&state.db, &query).await?)
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

/// Checks a phone number as typed: digits with an optional leading +, 7–15 digits.
pub fn check_phone(phone: &str) -> Result<Option<String>, AppError> {
    let trimmed = phone.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let allowed = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits.len()) {
        return Err(AppError::validation(
            "phone",
            "Enter a phone number of 7 to 15 digits, like +55 11 98765-4321.",
        ));
    }
    Ok(Some(if trimmed.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    }))
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
    let name = crate::employees::check_name("name", &name)?;
    let phone = check_phone(&phone)?;
    let email = if email.trim().is_empty() {
        None
    } else {
        Some(crate::employees::check_email(&email)?)
    };
    let state = crate::state::AppState::current()?;
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

/// The Clients page: all clients, or those matching `query`.
#[server(endpoint = "list_clients")]
pub async fn list_clients(#[server(default)] query: String) -> Result<Vec<Client>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    crate::conversations::check_search_text(&query)?;
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db, Some(&query)).await?)
}

/// One client's card, with the conversations the employee may see.
#[server(endpoint = "get_client")]
pub async fn get_client(id: ClientId) -> Result<ClientCard, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    store::card(&state.db, employee.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("Client".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked() {
        assert_eq!(
            check_phone("+55 11 98765-4321").unwrap().unwrap(),
            "+5511987654321"
        );
        assert_eq!(
            check_phone("(11) 98765-4321").unwrap().unwrap(),
            "11987654321"
        );
        assert_eq!(check_phone("  ").unwrap(), None);
        assert!(check_phone("123").is_err());
        assert!(check_phone("call me").is_err());
    }
}
