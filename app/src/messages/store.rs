//! Message rows: the inbound pipeline's one transaction, queuing replies, the sender's
//! outbox, delivery states.

use super::{Direction, Message, MessageBody, MessageStatus};
use crate::auth::Employee;
use crate::conversations::store as conversations;
use crate::events::{store as events, EventKind, LiveEvent};
use crate::ids::{ChannelId, ConversationId, EmployeeId, MessageId};
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::{Row, SqliteConnection};

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.direction, m.body, m.status, m.error, m.created_at, m.read_at, e.name AS sender_name";

fn row_to_message(r: &sqlx::sqlite::SqliteRow) -> Message {
    Message {
        id: MessageId(r.get("id")),
        conversation_id: ConversationId(r.get("conversation_id")),
        direction: Direction::parse(&r.get::<String, _>("direction")),
        body: r.get("body"),
        status: MessageStatus::parse(&r.get::<String, _>("status")),
        error: r.get("error"),
        sender_name: r.get("sender_name"),
        created_at: r.get("created_at"),
        read_at: r.get("read_at"),
    }
}

async fn load(conn: &mut SqliteConnection, id: MessageId) -> StoreResult<Message> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN employees e ON e.id = m.sender_employee_id WHERE m.id = $1"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref()
        .map(row_to_message)
        .ok_or(StoreError::NotFound("Message"))
}

fn message_event_payload(message: &Message) -> serde_json::Value {
    serde_json::to_value(message).unwrap_or(serde_json::Value::Null)
}

/// The newest `limit` messages before `before` (all when `None`), oldest first, and
/// whether older ones exist.
pub async fn recent(
    db: &Db,
    conversation: ConversationId,
    before: Option<MessageId>,
    limit: i64,
) -> StoreResult<(Vec<Message>, bool)> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN employees e ON e.id = m.sender_employee_id
          WHERE m.conversation_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation.0)
        .bind(before.map(|b| b.0).unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(&db.read)
        .await?;
    let has_more = rows.len() as i64 > limit;
    let mut messages: Vec<Message> = rows
        .iter()
        .take(limit as usize)
        .map(row_to_message)
        .collect();
    messages.reverse();
    Ok((messages, has_more))
}

/// A message a lead sent, as a provider (or the sandbox) reports it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub contact_external_id: String,
    pub contact_name: Option<String>,
    /// The provider's id of the message: a retried webhook carries the same one.
    pub provider_id: String,
    pub body: String,
    /// When the provider says it was sent (UTC ms); receipt time when it does not say.
    pub sent_at: Option<i64>,
}

/// The inbound pipeline's one transaction: upsert the contact and the conversation
/// (reopening it when archived), insert the message unless its provider id is known,
/// append events. Returns the committed events; none when the message was a duplicate.
pub async fn record_inbound(
    db: &Db,
    channel: ChannelId,
    inbound: &InboundMessage,
) -> StoreResult<Vec<LiveEvent>> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let contact_id: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (channel_id, external_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (channel_id, external_id)
         DO UPDATE SET name = COALESCE(excluded.name, contacts.name), updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(channel.0)
    .bind(&inbound.contact_external_id)
    .bind(&inbound.contact_name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let (conversation_id, was_archived) =
        conversations::upsert_for_contact(&mut tx, channel, contact_id, now).await?;
    let message_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at, sent_at)
         VALUES ($1, $2, 'inbound', $3, $4, 'received', $5, $6)
         ON CONFLICT (channel_id, provider_id) DO NOTHING
         RETURNING id",
    )
    .bind(conversation_id.0)
    .bind(channel.0)
    .bind(&inbound.provider_id)
    .bind(&inbound.body)
    .bind(now)
    .bind(inbound.sent_at)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(message_id) = message_id else {
        // A retried webhook: it changes nothing.
        tx.rollback().await?;
        return Ok(Vec::new());
    };
    sqlx::query(
        "UPDATE conversations
            SET status = 'open', archived_at = NULL, archived_by = NULL,
                last_inbound_at = $2, last_message_at = $2, last_message_id = $3,
                unread_count = unread_count + 1, awaiting_reply = 1
          WHERE id = $1",
    )
    .bind(conversation_id.0)
    .bind(now)
    .bind(message_id)
    .execute(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(2);
    if was_archived {
        out.push(conversations::status_event(&mut tx, conversation_id, channel).await?);
    }
    let message = load(&mut tx, MessageId(message_id)).await?;
    out.push(
        events::append(
            &mut tx,
            EventKind::MessageCreated,
            conversation_id,
            channel,
            message_event_payload(&message),
        )
        .await?,
    );
    tx.commit().await?;
    Ok(out)
}

/// Queues an employee's reply (pending) and reopens the conversation if archived.
pub async fn queue_outbound(
    db: &Db,
    employee: &Employee,
    conversation: ConversationId,
    body: &MessageBody,
) -> StoreResult<(Message, Vec<LiveEvent>)> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let target = conversations::require_access(&mut tx, employee.id, conversation).await?;
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, channel_id, direction, body, sender_employee_id, status, next_attempt_at, created_at)
         VALUES ($1, $2, 'outbound', $3, $4, 'pending', $5, $5) RETURNING id",
    )
    .bind(conversation.0)
    .bind(target.channel_id.0)
    .bind(body.as_str())
    .bind(employee.id.0)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE conversations
            SET status = 'open', archived_at = NULL, archived_by = NULL,
                last_message_at = $2, last_message_id = $3, unread_count = 0, awaiting_reply = 0
          WHERE id = $1",
    )
    .bind(conversation.0)
    .bind(now)
    .bind(message_id)
    .execute(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(2);
    if target.archived {
        conversations::audit(
            &mut tx,
            Some(employee.id),
            "reopened",
            conversation,
            Some("by sending a message"),
        )
        .await?;
        out.push(conversations::status_event(&mut tx, conversation, target.channel_id).await?);
    }
    conversations::audit(&mut tx, Some(employee.id), "sent", conversation, None).await?;
    let message = load(&mut tx, MessageId(message_id)).await?;
    out.push(
        events::append(
            &mut tx,
            EventKind::MessageCreated,
            conversation,
            target.channel_id,
            message_event_payload(&message),
        )
        .await?,
    );
    tx.commit().await?;
    Ok((message, out))
}

/// Puts a failed message of a conversation the employee may use back in the outbox.
pub async fn retry_failed(
    db: &Db,
    employee: &Employee,
    id: MessageId,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let conversation: Option<i64> = sqlx::query_scalar(
        "SELECT conversation_id FROM messages WHERE id = $1 AND status = 'failed'",
    )
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let conversation = ConversationId(conversation.ok_or(StoreError::NotFound("Failed message"))?);
    let target = conversations::require_access(&mut tx, employee.id, conversation).await?;
    sqlx::query("UPDATE messages SET status = 'pending', error = NULL, attempts = 0, next_attempt_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let event = updated_event(&mut tx, id, conversation, target.channel_id).await?;
    tx.commit().await?;
    Ok(vec![event])
}

async fn updated_event(
    conn: &mut SqliteConnection,
    id: MessageId,
    conversation: ConversationId,
    channel: ChannelId,
) -> StoreResult<LiveEvent> {
    let message = load(conn, id).await?;
    events::append(
        conn,
        EventKind::MessageUpdated,
        conversation,
        channel,
        message_event_payload(&message),
    )
    .await
}

/// A reply the sender must deliver.
#[derive(Debug, Clone)]
pub struct OutboundJob {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    pub contact_external_id: String,
    pub body: String,
    pub attempts: i64,
}

/// Pending replies whose time has come, oldest first.
pub async fn due_outbound(db: &Db, limit: i64) -> StoreResult<Vec<OutboundJob>> {
    let rows = sqlx::query(
        "SELECT m.id, m.conversation_id, m.channel_id, m.body, m.attempts, ct.external_id
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           JOIN contacts ct ON ct.id = c.contact_id
          WHERE m.status = 'pending' AND m.next_attempt_at <= $1
          ORDER BY m.next_attempt_at, m.id
          LIMIT $2",
    )
    .bind(now_ms())
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboundJob {
            message_id: MessageId(r.get("id")),
            conversation_id: ConversationId(r.get("conversation_id")),
            channel_id: ChannelId(r.get("channel_id")),
            contact_external_id: r.get("external_id"),
            body: r.get("body"),
            attempts: r.get("attempts"),
        })
        .collect())
}

/// When the next pending reply falls due, if any (the sender sleeps until then).
pub async fn next_due_at(db: &Db) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM messages WHERE status = 'pending'")
            .fetch_one(&db.read)
            .await?,
    )
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The provider took it; `delivered` when it also confirmed delivery.
    Sent {
        provider_id: String,
        delivered: bool,
    },
    /// Try again at this instant.
    RetryAt { at: i64, reason: String },
    /// Given up: the reason is shown to the employee.
    Failed { reason: String },
}

/// Records the outcome of an attempt; returns the event to publish.
pub async fn record_attempt(
    db: &Db,
    job: &OutboundJob,
    outcome: &DeliveryOutcome,
) -> StoreResult<Vec<LiveEvent>> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let changed = match outcome {
        DeliveryOutcome::Sent { provider_id, delivered } => {
            let status = if *delivered { "delivered" } else { "sent" };
            sqlx::query(
                "UPDATE messages SET status = $2, provider_id = $3, sent_at = $4, error = NULL,
                        attempts = attempts + 1, next_attempt_at = NULL,
                        delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(status)
            .bind(provider_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
        }
        DeliveryOutcome::RetryAt { at, reason } => {
            sqlx::query(
                "UPDATE messages SET attempts = attempts + 1, next_attempt_at = $2, error = $3
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(at)
            .bind(reason)
            .execute(&mut *tx)
            .await?
        }
        DeliveryOutcome::Failed { reason } => {
            sqlx::query(
                "UPDATE messages SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, error = $2
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(reason)
            .execute(&mut *tx)
            .await?
        }
    };
    // A retry is not news to the employee: the bubble stays "sending".
    if changed.rows_affected() == 0 || matches!(outcome, DeliveryOutcome::RetryAt { .. }) {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let event = updated_event(&mut tx, job.message_id, job.conversation_id, job.channel_id).await?;
    tx.commit().await?;
    Ok(vec![event])
}

/// The lead has read everything we sent up to `watermark` (UTC ms): those replies become read.
pub async fn mark_read_up_to(
    db: &Db,
    conversation: ConversationId,
    channel: ChannelId,
    watermark: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE messages SET status = 'read', read_at = $3
          WHERE conversation_id = $1 AND direction = 'outbound' AND status IN ('sent', 'delivered')
            AND created_at <= $2
          RETURNING id",
    )
    .bind(conversation.0)
    .bind(watermark)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(updated_event(&mut tx, MessageId(id), conversation, channel).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// A message of demo history, with the time it was written.
pub struct HistoryMessage<'a> {
    pub conversation: ConversationId,
    pub channel: ChannelId,
    pub direction: Direction,
    pub body: &'a str,
    pub sender: Option<EmployeeId>,
    pub at: i64,
    pub status: MessageStatus,
}

/// Inserts a message with a given time, for demo history only.
pub async fn insert_history(db: &Db, m: &HistoryMessage<'_>) -> StoreResult<MessageId> {
    let mut tx = db.write.begin().await?;
    let provider_id = format!("demo-{}-{}", m.conversation, m.at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, sender_employee_id, status,
                               created_at, sent_at, read_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, CASE WHEN $7 = 'read' THEN $8 ELSE NULL END) RETURNING id",
    )
    .bind(m.conversation.0)
    .bind(m.channel.0)
    .bind(m.direction.as_str())
    .bind(provider_id)
    .bind(m.body)
    .bind(m.sender.map(|s| s.0))
    .bind(m.status.as_str())
    .bind(m.at)
    .fetch_one(&mut *tx)
    .await?;
    let inbound = m.direction == Direction::Inbound;
    sqlx::query(
        "UPDATE conversations SET last_message_at = $2, last_message_id = $3,
                last_inbound_at = CASE WHEN $4 = 1 THEN $2 ELSE last_inbound_at END,
                awaiting_reply = $4
          WHERE id = $1",
    )
    .bind(m.conversation.0)
    .bind(m.at)
    .bind(id)
    .bind(inbound as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(MessageId(id))
}

/// Conversations holding more than `keep` messages (the retention worker's work list).
pub async fn conversations_over(db: &Db, keep: i64) -> StoreResult<Vec<ConversationId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT conversation_id FROM messages GROUP BY conversation_id HAVING COUNT(*) > $1",
    )
    .bind(keep)
    .fetch_all(&db.read)
    .await?;
    Ok(ids.into_iter().map(ConversationId).collect())
}

/// What pruning one conversation removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub messages: u64,
    /// Stored media files of the removed messages, to delete after the commit.
    pub storage_keys: Vec<String>,
}

/// Deletes all but the newest `keep` messages of a conversation (their attachments rows
/// go with them) and notes when history was pruned. One transaction.
pub async fn prune_conversation(
    db: &Db,
    conversation: ConversationId,
    keep: i64,
) -> StoreResult<Pruned> {
    let mut tx = db.write.begin().await?;
    let cutoff: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
    )
    .bind(conversation.0)
    .bind(keep - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(cutoff) = cutoff else {
        tx.commit().await?;
        return Ok(Pruned::default());
    };
    let storage_keys: Vec<String> = sqlx::query_scalar(
        "SELECT a.storage_key FROM attachments a JOIN messages m ON m.id = a.message_id
          WHERE m.conversation_id = $1 AND m.id < $2 AND a.storage_key IS NOT NULL",
    )
    .bind(conversation.0)
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND id < $2")
        .bind(conversation.0)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted > 0 {
        sqlx::query("UPDATE conversations SET history_pruned_at = $2 WHERE id = $1")
            .bind(conversation.0)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Pruned {
        messages: deleted,
        storage_keys,
    })
}
