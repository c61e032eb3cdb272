//! Private notes (issue 24, point 3): the team's words in a conversation's thread, never
//! sent to the lead and never counted as a reply; `@name` mentions tell the employees
//! named, among those who may answer the conversation.

use super::Assignee;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::ids::{ConversationId, EmployeeId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest note: a few paragraphs for a colleague.
pub const MAX_NOTE_CHARS: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub author_id: Option<EmployeeId>,
    /// `None` once the author's account is gone.
    pub author_name: Option<String>,
    pub body: String,
    /// Who the note names with `@`, as resolved when it was written.
    pub mentions: Vec<Assignee>,
    pub created_at: i64,
}

/// A note's text: trimmed, not empty, at most [`MAX_NOTE_CHARS`].
pub fn check_note(locale: crate::i18n::Locale, body: &str) -> Result<String, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::validation(
            "body",
            td_string!(locale, messaging.note_empty),
        ));
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::validation(
            "body",
            crate::locale::fill(
                td_string!(locale, messaging.note_too_long),
                &[("max", &MAX_NOTE_CHARS.to_string())],
            ),
        ));
    }
    Ok(body.to_owned())
}

/// The employees of `candidates` a text names: `@` and their whole name, or `@` and their
/// first name when no other candidate shares it (so "@Bruno" names Bruno Costa), in any
/// case, followed by something that is not a letter or digit.
pub fn mentioned<'a>(text: &str, candidates: &'a [Assignee]) -> Vec<&'a Assignee> {
    let lower = text.to_lowercase();
    let names = |needle: &str| {
        let at = format!("@{}", needle.to_lowercase());
        lower.match_indices(&at).any(|(i, m)| {
            lower[i + m.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    };
    let first = |a: &Assignee| a.name.split_whitespace().next().unwrap_or("").to_owned();
    candidates
        .iter()
        .filter(|a| {
            let own_first = first(a);
            let first_is_unique = !own_first.is_empty()
                && candidates
                    .iter()
                    .filter(|b| first(b).eq_ignore_ascii_case(&own_first))
                    .count()
                    == 1;
            names(&a.name) || (first_is_unique && names(&own_first))
        })
        .collect()
}

/// Adds a note to the conversation; those it names are told at once.
#[server(endpoint = "add_note")]
pub async fn add_note(conversation_id: ConversationId, body: String) -> Result<Note, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let body = check_note(crate::locale::request_locale(), &body)?;
    let state = crate::state::AppState::current()?;
    let (note, events) =
        super::notes_store::add(&state.db, employee.id, conversation_id, &body).await?;
    state.bus.publish(events);
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Vec<Assignee> {
        [(1, "Ana Agent"), (2, "Bruno Costa"), (3, "Ana Lima")]
            .into_iter()
            .map(|(id, name)| Assignee {
                id: EmployeeId(id),
                name: name.into(),
            })
            .collect()
    }

    fn ids(text: &str) -> Vec<i64> {
        let team = team();
        mentioned(text, &team).iter().map(|a| a.id.0).collect()
    }

    #[test]
    fn a_mention_is_a_whole_name_or_a_first_name_nobody_shares() {
        assert_eq!(ids("@Bruno can you call them?"), [2]);
        assert_eq!(ids("ask @bruno costa."), [2]);
        assert_eq!(ids("@Ana Lima and @Ana Agent"), [1, 3]);
        // Two Anas: "@Ana" alone names neither.
        assert!(ids("@Ana please").is_empty());
        // Part of a longer word is not a mention; nor is a name without "@".
        assert!(ids("@Brunoo and Bruno").is_empty());
        assert!(ids("mail bruno@x.test").is_empty());
    }

    #[test]
    fn a_note_is_trimmed_and_bounded() {
        let english = crate::i18n::Locale::en;
        assert_eq!(
            check_note(english, "  call back at 3  ").unwrap(),
            "call back at 3"
        );
        assert!(check_note(english, "   ").is_err());
        assert!(check_note(english, &"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert!(check_note(english, &"é".repeat(MAX_NOTE_CHARS)).is_ok());
    }
}
