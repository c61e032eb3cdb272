//! Notes' rows: written in a conversation the author may use, read with the conversation
//! (its access check is the caller's), found by the list's search.

use super::notes::{mentioned, Note};
use super::store::require_access;
use super::Assignee;
use crate::events::{store as events, EventKind, LiveEvent};
use crate::ids::{ConversationId, EmployeeId};
use crate::integrations::IntegrationEvent;
use crate::store::{now_ms, Db, StoreResult};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// How many of a conversation's newest notes it is opened with.
pub const NOTES_SHOWN: i64 = 200;

/// Adds a note; those it names (among the employees who may answer the conversation) are
/// recorded. Its `note_created` event (for the channel's streams, where the named are
/// told) and the integrations' event are written in the same transaction.
pub async fn add(
    db: &Db,
    author: EmployeeId,
    conversation: ConversationId,
    body: &str,
) -> StoreResult<(Note, Vec<LiveEvent>)> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, author, conversation).await?;
    let candidates = super::assign_store::answerers(&mut tx, target.channel_id).await?;
    let mentions: Vec<Assignee> = mentioned(body, &candidates).into_iter().cloned().collect();
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notes (conversation_id, channel_id, author_id, body, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(conversation.0)
    .bind(target.channel_id.0)
    .bind(author.0)
    .bind(body)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for mention in &mentions {
        sqlx::query("INSERT INTO note_mentions (note_id, employee_id) VALUES ($1, $2)")
            .bind(id)
            .bind(mention.id.0)
            .execute(&mut *tx)
            .await?;
    }
    let author_name: Option<String> =
        sqlx::query_scalar("SELECT name FROM employees WHERE id = $1")
            .bind(author.0)
            .fetch_optional(&mut *tx)
            .await?;
    let note = Note {
        id,
        conversation_id: conversation,
        author_id: Some(author),
        author_name,
        body: body.to_owned(),
        mentions,
        created_at: now,
    };
    let payload = serde_json::to_value(&note).unwrap_or_default();
    crate::integrations::outbox::enqueue(
        &mut tx,
        IntegrationEvent::NoteCreated,
        serde_json::json!({
            "conversation_id": conversation.0,
            "channel_id": target.channel_id.0,
            "note": payload,
        }),
    )
    .await?;
    let events = events::append_drafts(
        &mut tx,
        vec![events::EventDraft {
            kind: EventKind::NoteCreated,
            conversation_id: conversation,
            channel_id: target.channel_id,
            payload,
        }],
    )
    .await?;
    tx.commit().await?;
    Ok((note, events))
}

/// The conversation's newest notes ([`NOTES_SHOWN`]), oldest first. The caller has checked
/// that the reader may use the conversation.
pub async fn of_conversation(
    conn: &mut AnyConnection,
    conversation: ConversationId,
) -> StoreResult<Vec<Note>> {
    let rows = sqlx::query(
        "SELECT n.id, n.author_id, e.name AS author_name, n.body, n.created_at
           FROM notes n LEFT JOIN employees e ON e.id = n.author_id
          WHERE n.conversation_id = $1
          ORDER BY n.id DESC LIMIT $2",
    )
    .bind(conversation.0)
    .bind(NOTES_SHOWN)
    .fetch_all(&mut *conn)
    .await?;
    let mention_rows = sqlx::query(
        "SELECT m.note_id, e.id, e.name FROM note_mentions m
           JOIN notes n ON n.id = m.note_id
           JOIN employees e ON e.id = m.employee_id
          WHERE n.conversation_id = $1
          ORDER BY e.name",
    )
    .bind(conversation.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut mentions: HashMap<i64, Vec<Assignee>> = HashMap::new();
    for r in &mention_rows {
        mentions
            .entry(r.get("note_id"))
            .or_default()
            .push(Assignee {
                id: EmployeeId(r.get("id")),
                name: r.get("name"),
            });
    }
    let mut notes: Vec<Note> = rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            Note {
                id,
                conversation_id: conversation,
                author_id: r.get::<Option<i64>, _>("author_id").map(EmployeeId),
                author_name: r.get("author_name"),
                body: r.get("body"),
                mentions: mentions.remove(&id).unwrap_or_default(),
                created_at: r.get("created_at"),
            }
        })
        .collect();
    notes.reverse();
    Ok(notes)
}
