//! Saved replies (issue 24, point 4): the team's snippets — a title and a text with
//! placeholders such as `{client.name}` filled for the conversation at hand — managed in
//! Settings by those who hold Settings, inserted in the composer by typing `/`.

use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::ConversationId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

pub const MAX_TITLE_CHARS: usize = 80;

/// What a placeholder stands for, given the conversation and the employee writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The linked client's name when the employee may see the client, else the lead's.
    pub client_name: String,
    pub agent_name: String,
    pub channel_name: String,
}

/// The placeholders a saved reply may hold.
pub const PLACEHOLDERS: [&str; 5] = [
    "{client.name}",
    "{client.first_name}",
    "{agent.name}",
    "{agent.first_name}",
    "{channel.name}",
];

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// The text with its placeholders filled.
pub fn fill(body: &str, context: &Context) -> String {
    body.replace("{client.name}", &context.client_name)
        .replace("{client.first_name}", first_name(&context.client_name))
        .replace("{agent.name}", &context.agent_name)
        .replace("{agent.first_name}", first_name(&context.agent_name))
        .replace("{channel.name}", &context.channel_name)
}

/// A saved reply as the team keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedReply {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// Checks a saved reply: a title of 1–80 characters, a text that is a valid message once
/// filled (1–1,000 characters) and holds only known placeholders. Both trimmed.
pub fn check(locale: Locale, title: &str, body: &str) -> Result<(String, String), AppError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::validation(
            "title",
            crate::locale::fill(
                td_string!(locale, messaging.saved_reply_title),
                &[("max", &MAX_TITLE_CHARS.to_string())],
            ),
        ));
    }
    let body = body.trim();
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let token = &rest[open..open + close + 1];
        let ours = ["{client.", "{agent.", "{channel."]
            .iter()
            .any(|prefix| token.starts_with(prefix));
        if ours && !PLACEHOLDERS.contains(&token) {
            return Err(AppError::validation(
                "body",
                crate::locale::fill(
                    td_string!(locale, messaging.saved_reply_placeholder),
                    &[("token", token), ("known", &PLACEHOLDERS.join(", "))],
                ),
            ));
        }
        rest = &rest[open + close + 1..];
    }
    // As long as a message may be, with a placeholder counted as written.
    crate::messages::MessageBody::parse(locale, body)?;
    Ok((title.to_owned(), body.to_owned()))
}

/// The team's saved replies, by title, for Settings (as written).
#[server(endpoint = "saved_replies")]
pub async fn saved_replies() -> Result<Vec<SavedReply>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::all(&state.db).await?)
}

/// The team's saved replies filled for one conversation, for its composer.
#[server(endpoint = "saved_replies_for")]
pub async fn saved_replies_for(
    conversation_id: ConversationId,
) -> Result<Vec<SavedReply>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let detail =
        crate::conversations::store::detail(&state.db, employee.id, conversation_id, 0).await?;
    let context = Context {
        client_name: detail
            .client
            .map(|card| card.client.name)
            .unwrap_or(detail.summary.contact_name),
        agent_name: employee.name,
        channel_name: detail.summary.channel_name,
    };
    Ok(store::all(&state.db)
        .await?
        .into_iter()
        .map(|reply| SavedReply {
            body: fill(&reply.body, &context),
            ..reply
        })
        .collect())
}

/// Creates (no `id`) or changes a saved reply.
#[server(endpoint = "save_saved_reply")]
pub async fn save_saved_reply(
    #[server(default)] id: Option<i64>,
    title: String,
    body: String,
) -> Result<i64, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let (title, body) = check(crate::locale::request_locale(), &title, &body)?;
    let state = crate::state::AppState::current()?;
    Ok(store::save(&state.db, employee.id, id, &title, &body).await?)
}

#[server(endpoint = "delete_saved_reply")]
pub async fn delete_saved_reply(id: i64) -> Result<(), AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::delete(&state.db, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_for_the_conversation() {
        let context = Context {
            client_name: "Pedro Alves".into(),
            agent_name: "Ana Agent".into(),
            channel_name: "Sandbox shop".into(),
        };
        assert_eq!(
            fill("Hi {client.first_name}, {agent.first_name} from {channel.name} here. ({client.name})", &context),
            "Hi Pedro, Ana from Sandbox shop here. (Pedro Alves)"
        );
    }

    #[test]
    fn a_saved_reply_is_checked_like_a_message_with_known_placeholders() {
        let english = Locale::en;
        assert_eq!(
            check(english, " Hours ", " We open at 9, {client.name}. ").unwrap(),
            (
                "Hours".to_owned(),
                "We open at 9, {client.name}.".to_owned()
            )
        );
        assert!(check(english, "", "text").is_err());
        assert!(check(english, &"t".repeat(81), "text").is_err());
        assert!(check(english, "Hours", "  ").is_err());
        assert!(check(english, "Hours", &"x".repeat(1_001)).is_err());
        let unknown = check(english, "Hours", "Hi {client.nickname}").unwrap_err();
        assert!(
            format!("{unknown:?}").contains("{client.nickname}"),
            "{unknown:?}"
        );
        // Braces that are no placeholder of ours stay text.
        assert!(check(english, "Code", "Use code {SUMMER}").is_ok());
    }
}
