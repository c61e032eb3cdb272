//! Appending and replaying events.

use super::{EventKind, LiveEvent};
use crate::ids::{ChannelId, ConversationId, EmployeeId, EventId};
use crate::store::{now_ms, SqlBuilder, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};

/// Appends an event inside the caller's transaction and returns it for publishing after commit.
///
/// On PostgreSQL the event first takes a lock that its transaction holds until it ends,
/// so that event ids are handed out in commit order (a stream resuming after id N then
/// never misses an N-1 that committed late), and a notification with the id tells the
/// other processes' relays at commit.
pub async fn append(
    conn: &mut AnyConnection,
    kind: EventKind,
    conversation_id: ConversationId,
    channel_id: ChannelId,
    payload: serde_json::Value,
) -> StoreResult<LiveEvent> {
    let draft = EventDraft {
        kind,
        conversation_id,
        channel_id,
        payload,
    };
    let mut appended = append_drafts(conn, vec![draft]).await?;
    Ok(appended.remove(0))
}

/// An event worked out inside a transaction but appended later, with the transaction's
/// other events, after all its row writes: on PostgreSQL a transaction holding the
/// event-order lock then never waits for a row, so concurrent writers cannot deadlock.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub kind: EventKind,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    pub payload: serde_json::Value,
}

/// Appends `drafts` in order (see [`EventDraft`]) with one statement per
/// [`APPEND_ROWS`] (ids are handed out in the order of the rows); on PostgreSQL after
/// taking the event-order lock, and with one notification for them all.
pub async fn append_drafts(
    conn: &mut AnyConnection,
    drafts: Vec<EventDraft>,
) -> StoreResult<Vec<LiveEvent>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let postgres = crate::store::is_postgres(conn);
    if postgres {
        sqlx::query(
            "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))) l",
        )
        .bind(EVENT_ORDER_LOCK)
        .execute(&mut *conn)
        .await?;
    }
    let now = now_ms();
    let mut events = Vec::with_capacity(drafts.len());
    for rows in drafts.chunks(APPEND_ROWS) {
        let mut insert = SqlBuilder::new(
            "INSERT INTO events (kind, conversation_id, channel_id, payload, created_at) VALUES ",
        );
        for (i, draft) in rows.iter().enumerate() {
            insert
                .push(if i == 0 { "(" } else { ", (" })
                .push_bind(draft.kind.as_str())
                .push(", ")
                // A channel-wide event names no conversation.
                .push_bind((draft.conversation_id.0 != 0).then_some(draft.conversation_id.0))
                .push(", ")
                .push_bind(draft.channel_id.0)
                .push(", ")
                .push_bind(draft.payload.to_string())
                .push(", ")
                .push_bind(now)
                .push(")");
        }
        insert.push(" RETURNING id");
        // RETURNING promises no order; the ids themselves follow the rows'.
        let mut ids: Vec<i64> = insert
            .build()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        ids.sort_unstable();
        if ids.len() != rows.len() {
            return Err(StoreError::Other(format!(
                "{} events appended for {} rows",
                ids.len(),
                rows.len()
            )));
        }
        events.extend(ids.into_iter().zip(rows).map(|(id, draft)| LiveEvent {
            id: EventId(id),
            kind: draft.kind,
            conversation_id: draft.conversation_id,
            channel_id: draft.channel_id,
            payload: draft.payload.clone(),
        }));
    }
    if let (true, Some(last)) = (postgres, events.last()) {
        // The relays read every event after the last they have; the newest id wakes them.
        sqlx::query("SELECT 1 FROM pg_notify('confab_events_' || current_schema(), $1)")
            .bind(last.id.0.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(events)
}

/// Events per INSERT: 5 parameters each, well under either database's limit.
const APPEND_ROWS: usize = 256;

/// The advisory lock class that orders event ids on PostgreSQL (with the schema's hash,
/// so that databases sharing a server in schemas do not wait on each other).
const EVENT_ORDER_LOCK: i32 = 0x0c0f_ab01;

/// Every event after `after`, oldest first, at most `limit`: what the relay publishes.
pub async fn since(
    pool: &sqlx::AnyPool,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let rows = sqlx::query(
        "SELECT id, kind, conversation_id, channel_id, payload FROM events
          WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after.0)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(row_to_event).collect())
}

/// Events after `after` on channels the employee may use, oldest first, at most `limit`.
/// An error when some of them were pruned ([`prune`]): a stream cannot replay what the
/// log no longer holds, and must have its client resync.
pub async fn since_for_employee(
    pool: &sqlx::AnyPool,
    employee: EmployeeId,
    after: EventId,
    limit: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let events = since_for_employee_unchecked(pool, employee, after, limit).await?;
    // Read after the events: a prune that ran meanwhile shows here.
    refuse_pruned(pool, after).await?;
    Ok(events)
}

/// Fails when events after `after` may be gone: the oldest kept event is further on.
async fn refuse_pruned(pool: &sqlx::AnyPool, after: EventId) -> StoreResult<()> {
    let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM events")
        .fetch_one(pool)
        .await?;
    match oldest {
        Some(oldest) if after.0 + 1 < oldest => Err(StoreError::Other(format!(
            "the events after {after} were pruned (the oldest kept is {oldest}): the stream resyncs"
        ))),
        _ => Ok(()),
    }
}

async fn since_for_employee_unchecked(
    pool: &sqlx::AnyPool,
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

/// Events after `after` in one conversation (the sandbox lead's own stream); an error
/// when some of them were pruned, as [`since_for_employee`].
pub async fn since_in_conversation(
    pool: &sqlx::AnyPool,
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
    refuse_pruned(pool, after).await?;
    Ok(rows.into_iter().filter_map(row_to_event).collect())
}

/// How long the log keeps events for streams that resume (`Last-Event-ID`): a browser
/// back after longer is told to resync and reloads its views instead.
pub const KEEP_EVENTS_MS: i64 = 24 * 60 * 60 * 1000;

/// Events deleted per statement: a long prune never holds SQLite's writer for long.
const PRUNE_BATCH: i64 = 5000;

/// What [`prune`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PrunedEvents {
    /// Events older than the kept window.
    pub old: u64,
    /// Events of messages that no longer exist (their payload is the message).
    pub of_removed_messages: u64,
}

/// Trims the log: every event created before `keep_since` (ms) but the newest (which
/// tells fresh streams where the log is), then every message event whose message is gone
/// (retention pruned it), so that no message's text outlives the message. Old events go
/// as a prefix of ids: a stream resuming from before it is refused by
/// [`since_for_employee`] (and resyncs) rather than silently missing them.
pub async fn prune(db: &crate::store::Db, keep_since: i64) -> StoreResult<PrunedEvents> {
    let mut pruned = PrunedEvents::default();
    let through: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(id) FROM events
          WHERE created_at < $1 AND id < (SELECT MAX(id) FROM events)",
    )
    .bind(keep_since)
    .fetch_one(&db.read)
    .await?;
    if let Some(through) = through {
        loop {
            let done = sqlx::query(
                "DELETE FROM events WHERE id IN
                   (SELECT id FROM events WHERE id <= $1 ORDER BY id LIMIT $2)",
            )
            .bind(through)
            .bind(PRUNE_BATCH)
            .execute(&db.write)
            .await?
            .rows_affected();
            pruned.old += done;
            if done < PRUNE_BATCH as u64 {
                break;
            }
        }
    }
    // The message's id inside the payload (a `Message` as JSON).
    let message_id = match db.backend {
        crate::store::Backend::Sqlite => "json_extract(e.payload, '$.id')",
        crate::store::Backend::Postgres => "(e.payload::jsonb ->> 'id')::bigint",
    };
    pruned.of_removed_messages = sqlx::query(&format!(
        "DELETE FROM events WHERE id IN
           (SELECT e.id FROM events e
             WHERE e.kind IN ('message_created', 'message_updated')
               AND e.id < (SELECT MAX(id) FROM events)
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = {message_id}))"
    ))
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(pruned)
}

/// The newest event id (0 when there is none): where a fresh stream starts.
pub async fn latest_id(pool: &sqlx::AnyPool) -> StoreResult<EventId> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(EventId(id.unwrap_or(0)))
}

fn row_to_event(row: sqlx::any::AnyRow) -> Option<LiveEvent> {
    let kind: String = row.get("kind");
    let payload: String = row.get("payload");
    Some(LiveEvent {
        id: EventId(row.get("id")),
        kind: EventKind::parse(&kind)?,
        // NULL for a channel-wide event: 0, which no conversation has.
        conversation_id: ConversationId(
            row.try_get::<Option<i64>, _>("conversation_id")
                .ok()
                .flatten()
                .unwrap_or(0),
        ),
        channel_id: ChannelId(row.get("channel_id")),
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
    })
}
