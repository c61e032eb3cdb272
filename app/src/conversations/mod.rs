//! Conversations: one lead on one channel, the unit of the inbox.

use crate::channels::{ChannelKind, ChannelStatus};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::ids::{ChannelId, ConversationId, MessageId};
use crate::messages::Message;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod assign;
#[cfg(feature = "ssr")]
pub mod assign_store;
pub mod notes;
#[cfg(feature = "ssr")]
pub mod notes_store;
pub mod presence;
pub mod start;
#[cfg(feature = "ssr")]
pub mod store;

/// How many conversations one page of the list holds.
pub const PAGE_SIZE: i64 = 50;
/// How many messages opening a conversation loads.
pub const THREAD_PAGE: i64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    #[default]
    Open,
    Archived,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "archived" {
            ConversationStatus::Archived
        } else {
            ConversationStatus::Open
        }
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    /// A practice channel's conversation (`crate::practice`): marked as such.
    #[serde(default)]
    pub channel_simulated: bool,
    pub contact_name: String,
    pub status: ConversationStatus,
    pub last_message_at: i64,
    pub preview: Option<String>,
    pub preview_outbound: bool,
    /// The lead's messages the acting employee has not read (each employee has their own).
    pub unread_count: i64,
    pub awaiting_reply: bool,
    /// Who answers this conversation, if anyone was given it.
    #[serde(default)]
    pub assignee: Option<Assignee>,
}

/// The employee a conversation is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assignee {
    pub id: crate::ids::EmployeeId,
    pub name: String,
}

/// Whose conversations the list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    #[default]
    All,
    /// Assigned to the acting employee.
    Mine,
    Unassigned,
}

impl AssigneeFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            AssigneeFilter::All => "all",
            AssigneeFilter::Mine => "mine",
            AssigneeFilter::Unassigned => "unassigned",
        }
    }

    /// A link's value; anything else is the whole list.
    pub fn parse(s: &str) -> Self {
        match s {
            "mine" => AssigneeFilter::Mine,
            "unassigned" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::All,
        }
    }
}

/// Where the next page of the list starts (keyset pagination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub last_message_at: i64,
    pub id: ConversationId,
}

/// What the list is narrowed to. Every part is optional; they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// Words to find in the contact's or client's name, phone, or a message's text.
    pub query: Option<String>,
    pub channel: Option<ChannelId>,
    pub unread_only: bool,
    pub awaiting_only: bool,
    pub assignee: AssigneeFilter,
}

/// The longest search text we accept.
pub const MAX_QUERY_CHARS: usize = 100;

impl ListFilter {
    /// The search words, or `None` for an empty search; refuses an over-long one.
    pub fn words(&self) -> Result<Option<String>, AppError> {
        let Some(query) = self
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        else {
            return Ok(None);
        };
        check_search_text(query)?;
        Ok(Some(query.to_owned()))
    }
}

/// Refuses a search text longer than [`MAX_QUERY_CHARS`]: every search box's one rule.
/// The refusal is in the request's language (English outside a request).
pub fn check_search_text(text: &str) -> Result<(), AppError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        #[cfg(feature = "ssr")]
        let locale = crate::locale::request_locale();
        #[cfg(not(feature = "ssr"))]
        let locale = crate::i18n::Locale::en;
        return Err(AppError::validation(
            "query",
            crate::locale::fill(
                td_string!(locale, messaging.search_too_long),
                &[(
                    "max",
                    &crate::channels::window::count_in(locale, MAX_QUERY_CHARS),
                )],
            ),
        ));
    }
    Ok(())
}

/// The words of a search for the full-text index: letters and digits only (so that no
/// search text can inject query syntax), at most eight.
#[cfg(feature = "ssr")]
pub fn search_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .collect()
}

/// PostgreSQL's `to_tsquery` text matching every one of `words` as a prefix.
#[cfg(feature = "ssr")]
pub fn tsquery(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The digits of a search, when there are enough of them to look for a phone number.
pub fn phone_digits(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c)))
    .then_some(digits)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub next: Option<ListCursor>,
}

/// An open conversation: its header, its contact and its newest messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub channel_status: ChannelStatus,
    /// Why the channel is not connected (the provider's words), if it is not.
    pub channel_status_detail: Option<String>,
    /// The reply window when the conversation was loaded.
    pub reply_window: crate::channels::window::ReplyWindow,
    /// Where to go on answering in the provider's own app once Confab's window closed.
    pub continue_url: Option<String>,
    pub contact_external_id: String,
    pub contact_username: Option<String>,
    /// In E.164.
    pub contact_phone: Option<String>,
    /// The same number as people read it (`crate::phone::display`).
    pub contact_phone_display: Option<String>,
    pub archived_at: Option<i64>,
    pub archived_by: Option<String>,
    pub last_inbound_at: Option<i64>,
    pub messages: Vec<Message>,
    pub has_older: bool,
    /// When messages beyond the newest 500 were last removed, if ever.
    pub history_pruned_at: Option<i64>,
    /// Who did what to the conversation, newest first.
    pub history: Vec<AuditEntry>,
    /// The client the contact is linked to, with their conversations and documents.
    pub client: Option<crate::clients::ClientCard>,
    /// Documents created from this conversation.
    pub documents: Vec<crate::documents::Document>,
    /// The employee holds Documents: documents link to their pages and may be created here.
    #[serde(default)]
    pub documents_permission: bool,
    /// The team's private notes, oldest first ([`notes_store::NOTES_SHOWN`] newest).
    #[serde(default)]
    pub notes: Vec<notes::Note>,
}

/// One line of a conversation's history: who archived, reopened, linked or sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub action: String,
    pub employee_name: Option<String>,
    pub detail: Option<String>,
    pub at: i64,
}

/// How many history lines a conversation shows.
pub const HISTORY_LINES: i64 = 20;

#[server(endpoint = "list_conversations")]
pub async fn list_conversations(
    status: ConversationStatus,
    #[server(default)] filter: ListFilter,
    after: Option<ListCursor>,
) -> Result<ConversationPage, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    filter.words()?;
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db, employee.id, status, &filter, after, PAGE_SIZE).await?)
}

/// The channels the employee may use (for the list's channel filter).
#[server(endpoint = "my_channels")]
pub async fn my_channels() -> Result<Vec<crate::channels::Channel>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    Ok(crate::channels::store::accessible(&state.db, employee.id).await?)
}

#[server(endpoint = "get_conversation")]
pub async fn get_conversation(id: ConversationId) -> Result<ConversationDetail, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    Ok(store::detail(&state.db, employee.id, id, THREAD_PAGE).await?)
}

/// Older messages of a conversation, before `before`.
#[server(endpoint = "older_messages")]
pub async fn older_messages(
    id: ConversationId,
    before: MessageId,
) -> Result<(Vec<Message>, bool), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    store::ensure_access(&state.db, employee.id, id).await?;
    Ok(crate::messages::store::recent(&state.db, id, Some(before), THREAD_PAGE).await?)
}

#[server(endpoint = "archive_conversation")]
pub async fn archive_conversation(id: ConversationId) -> Result<(), AppError> {
    set_status(id, ConversationStatus::Archived).await
}

#[server(endpoint = "reopen_conversation")]
pub async fn reopen_conversation(id: ConversationId) -> Result<(), AppError> {
    set_status(id, ConversationStatus::Open).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn search_words_keep_letters_and_digits_only() {
        assert_eq!(search_words("tablet repair"), ["tablet", "repair"]);
        assert_eq!(search_words("\"a\" OR b*) NEAR("), ["a", "OR", "b", "NEAR"]);
        assert!(search_words("  ;; ").is_empty());
        assert_eq!(search_words("Ação"), ["Ação"]);
        assert_eq!(search_words("1 2 3 4 5 6 7 8 9").len(), 8);
        assert_eq!(
            tsquery(&search_words("it's 'a' & !b | c:*")),
            "it:* & s:* & a:* & b:* & c:*"
        );
        assert_eq!(tsquery(&["Ação"]), "Ação:*");
    }

    #[test]
    fn phone_searches_are_recognised() {
        assert_eq!(phone_digits("+55 11 98765-4321").unwrap(), "5511987654321");
        assert_eq!(phone_digits("9876").unwrap(), "9876");
        assert_eq!(phone_digits("987"), None);
        assert_eq!(phone_digits("room 1234"), None);
    }

    #[test]
    fn empty_and_long_searches() {
        assert_eq!(
            ListFilter {
                query: Some("  ".into()),
                ..Default::default()
            }
            .words()
            .unwrap(),
            None
        );
        let long = ListFilter {
            query: Some("x".repeat(101)),
            ..Default::default()
        };
        assert!(long.words().is_err());
    }
}

#[cfg(feature = "ssr")]
async fn set_status(id: ConversationId, status: ConversationStatus) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::set_status(&state.db, employee.id, id, status).await?;
    state.bus.publish(events);
    Ok(())
}

/// The employee has read the conversation: their own unread count drops to zero.
#[server(endpoint = "mark_conversation_read")]
pub async fn mark_conversation_read(id: ConversationId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let read = store::mark_read(&state.db, employee.id, id).await?;
    if read.first_seen {
        // Nobody had seen the lead's newest messages: tell the lead's app, once.
        if let Some(receipt) = store::read_receipt(&state.db, id).await? {
            let _ = state.read_receipts.send(receipt);
        }
    }
    state.bus.publish(read.events);
    Ok(())
}

/// The conversation no longer awaits a reply (a failed reply the team dealt with another
/// way, or a message that needs none).
#[server(endpoint = "mark_conversation_handled")]
pub async fn mark_conversation_handled(id: ConversationId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::mark_handled(&state.db, employee.id, id).await?;
    state.bus.publish(events);
    Ok(())
}

/// Puts a conversation back in the unread state for this employee alone.
#[server(endpoint = "mark_conversation_unread")]
pub async fn mark_conversation_unread(id: ConversationId) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = store::mark_unread(&state.db, employee.id, id).await?;
    state.bus.publish(events);
    Ok(())
}

/// What needs the employee: the red dot (anything unread or awaiting a reply) and the
/// tab title's count of unread conversations, over the channels they may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxAttention {
    pub needs_attention: bool,
    pub unread_conversations: i64,
}

#[server(endpoint = "inbox_attention")]
pub async fn get_inbox_attention() -> Result<InboxAttention, AppError> {
    let Some(employee) = crate::auth::session::current_employee().await? else {
        return Ok(InboxAttention::default());
    };
    if !employee.can(crate::employees::Permission::Conversations) {
        return Ok(InboxAttention::default());
    }
    let state = crate::state::AppState::current()?;
    Ok(store::attention(&state.db, employee.id).await?)
}

/// One conversation's list row, for a notification's title (the lead's name).
#[server(endpoint = "conversation_summary")]
pub async fn get_conversation_summary(id: ConversationId) -> Result<ConversationSummary, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    store::summary(&state.db, employee.id, id)
        .await?
        .ok_or_else(|| {
            let locale = crate::locale::request_locale();
            AppError::NotFound(td_string!(locale, messaging.not_found_this_conversation).into())
        })
}
