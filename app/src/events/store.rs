//! Appending and replaying events.

use super::{EventKind, LiveEvent};
use crate::ids::{ChannelId, ConversationId, EmployeeId, EventId};
use crate::store::{now_ms, StoreResult};
use sqlx::{Row, SqliteConnection};

/// Appends an event inside the caller's transaction and returns it for publishing after commit.
pub async fn append(
    conn: &mut SqliteConnection,
    kind: EventKind,
    conversation_id: ConversationId,
    channel_id: ChannelId,
    payload: serde_json::Value,
) -> StoreResult<LiveEvent> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (kind, conversation_id, channel_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(conversation_id.0)
    .bind(channel_id.0)
    .bind(payload.to_string())
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    Ok(LiveEvent {
        id: EventId(id),
        kind,
        conversation_id,
        channel_id,
        payload,
    })
}

/// Events after `after` on channels the employee may use, oldest first, at most `limit`.
pub async fn since_for_employee(
    pool: &sqlx::SqlitePool,
    employee: EmployeeId,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let rows = sqlx::query(
        "SELECT e.id, e.kind, e.conversation_id, e.channel_id, e.payload
           FROM events e
           JOIN channel_access a ON a.channel_id = e.channel_id AND a.employee_id = $1
          WHERE e.id > $2
          ORDER BY e.id
          LIMIT $3",
    )
    .bind(employee.0)
    .bind(after.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(row_to_event).collect())
}

/// Events after `after` in one conversation (the sandbox lead's own stream).
pub async fn since_in_conversation(
    pool: &sqlx::SqlitePool,
    conversation: ConversationId,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let rows = sqlx::query(
        "SELECT id, kind, conversation_id, channel_id, payload FROM events
          WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(conversation.0)
    .bind(after.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(row_to_event).collect())
}

/// The newest event id (0 when there is none): where a fresh stream starts.
pub async fn latest_id(pool: &sqlx::SqlitePool) -> StoreResult<EventId> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(EventId(id.unwrap_or(0)))
}

fn row_to_event(row: sqlx::sqlite::SqliteRow) -> Option<LiveEvent> {
    let kind: String = row.get("kind");
    let payload: String = row.get("payload");
    Some(LiveEvent {
        id: EventId(row.get("id")),
        kind: EventKind::parse(&kind)?,
        conversation_id: ConversationId(row.get("conversation_id")),
        channel_id: ChannelId(row.get("channel_id")),
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
    })
}
