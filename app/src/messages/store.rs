//! Message rows: the inbound pipeline's one transaction, queuing replies, the sender's
//! outbox, delivery states.

use super::{AttachmentKind, Direction, Message, MessageBody, MessageStatus};
use crate::auth::Employee;
use crate::conversations::store as conversations;
use crate::events::{store as events, EventKind, LiveEvent};
use crate::i18n::{td_string, Locale};
use crate::ids::{ChannelId, ConversationId, EmployeeId, MessageId};
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};

/// An inbound message's time is when the lead wrote it (as the provider says), not when
/// the webhook arrived: a message delivered late still reads as old.
const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.direction, m.body, m.status, m.error, m.confirm_state,
    CASE WHEN m.direction = 'inbound' THEN COALESCE(m.sent_at, m.created_at) ELSE m.created_at END AS created_at,
    m.read_at, e.name AS sender_name, m.kind, m.detail";

fn row_to_message(r: &sqlx::any::AnyRow) -> Message {
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
        attachments: Vec::new(),
        delivery_note: super::DeliveryNote::from_confirm_state(
            r.get::<Option<String>, _>("confirm_state").as_deref(),
        ),
        kind: super::MessageKind::parse(&r.get::<String, _>("kind")),
        detail: r.get("detail"),
    }
}

/// Fills in the attachments of some messages with one query.
async fn with_attachments(conn: &mut AnyConnection, messages: &mut [Message]) -> StoreResult<()> {
    let (Some(first), Some(last)) = (
        messages.iter().map(|m| m.id.0).min(),
        messages.iter().map(|m| m.id.0).max(),
    ) else {
        return Ok(());
    };
    let conversation = messages[0].conversation_id;
    let rows = sqlx::query(
        "SELECT a.id, a.message_id, a.kind, a.mime, a.file_name, a.size_bytes, a.status, a.source_url, a.error
           FROM attachments a JOIN messages m ON m.id = a.message_id
          WHERE m.conversation_id = $1 AND a.message_id BETWEEN $2 AND $3 ORDER BY a.id",
    )
    .bind(conversation.0)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let message_id: i64 = r.get("message_id");
        let Some(message) = messages.iter_mut().find(|m| m.id.0 == message_id) else {
            continue;
        };
        let kind =
            AttachmentKind::parse(&r.get::<String, _>("kind")).unwrap_or(AttachmentKind::File);
        let source: Option<String> = r.get("source_url");
        let state = match r.get::<String, _>("status").as_str() {
            "stored" => super::AttachmentState::Stored,
            "failed" => super::AttachmentState::Failed,
            _ => super::AttachmentState::Pending,
        };
        message.attachments.push(super::Attachment {
            id: r.get("id"),
            kind,
            mime: r.get("mime"),
            file_name: r.get("file_name"),
            size_bytes: r.get("size_bytes"),
            state,
            place: (kind == AttachmentKind::Location)
                .then(|| source.and_then(|s| s.strip_prefix("geo:").map(str::to_owned)))
                .flatten(),
            error: (state == super::AttachmentState::Failed)
                .then(|| r.get("error"))
                .flatten(),
        });
    }
    Ok(())
}

pub(super) async fn load(conn: &mut AnyConnection, id: MessageId) -> StoreResult<Message> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN employees e ON e.id = m.sender_employee_id WHERE m.id = $1"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let mut message = [row.as_ref().map(row_to_message).ok_or_else(|| {
        let locale = crate::locale::request_locale();
        StoreError::NotFound(td_string!(locale, messaging.not_found_message))
    })?];
    with_attachments(conn, &mut message).await?;
    let [message] = message;
    Ok(message)
}

pub(super) fn message_event_payload(message: &Message) -> serde_json::Value {
    serde_json::to_value(message).unwrap_or(serde_json::Value::Null)
}

/// A message's place in its thread: the provider's time for the lead's messages (when
/// they wrote it), Confab's for ours (when the employee wrote it); arrival (the id) breaks
/// ties. A message a provider redelivered late, after a 5xx, lands where it belongs.
const THREAD_AT: &str =
    "CASE WHEN m.direction = 'inbound' THEN COALESCE(m.sent_at, m.created_at) ELSE m.created_at END";

/// The newest `limit` messages before `before` (all when `None`) in the thread's order
/// ([`THREAD_AT`], then id), oldest first, and whether older ones exist.
pub async fn recent(
    db: &Db,
    conversation: ConversationId,
    before: Option<MessageId>,
    limit: i64,
) -> StoreResult<(Vec<Message>, bool)> {
    // Where `before` stands in the thread's order; a message no longer there has nothing
    // before it to show.
    let (before_at, before_id) = match before {
        Some(before) => sqlx::query_as::<_, (i64, i64)>(&format!(
            "SELECT {THREAD_AT}, m.id FROM messages m WHERE m.id = $1 AND m.conversation_id = $2"
        ))
        .bind(before.0)
        .bind(conversation.0)
        .fetch_optional(&db.read)
        .await?
        .unwrap_or((i64::MIN, i64::MIN)),
        None => (i64::MAX, i64::MAX),
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN employees e ON e.id = m.sender_employee_id
          WHERE m.conversation_id = $1 AND ({THREAD_AT} < $2 OR ({THREAD_AT} = $2 AND m.id < $3))
          ORDER BY {THREAD_AT} DESC, m.id DESC LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation.0)
        .bind(before_at)
        .bind(before_id)
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
    let mut conn = db.read.acquire().await?;
    with_attachments(&mut conn, &mut messages).await?;
    Ok((messages, has_more))
}

/// A message a provider reports: the lead's, or (with `from_business`) one the business
/// wrote outside Confab, such as a Messenger echo.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboundMessage {
    pub contact_external_id: String,
    pub contact_name: Option<String>,
    /// E.164 where the provider gives a phone number (WhatsApp wa_id, SMS sender).
    pub contact_phone: Option<String>,
    /// The Instagram username, where known.
    pub contact_username: Option<String>,
    /// The provider's id of the message: a retried webhook carries the same one.
    pub provider_id: String,
    /// The text; empty for a message that is only attachments.
    pub body: String,
    /// When the provider says it was sent (UTC ms); receipt time when it does not say.
    pub sent_at: Option<i64>,
    /// Written by the business (an echo), not by the lead.
    pub from_business: bool,
    pub attachments: Vec<InboundAttachment>,
    /// Text, or another thing the lead did (a tapped button, a reaction, an unsend …).
    pub kind: super::MessageKind,
    /// A reaction or an unsend: the provider id of the message it is about. A WhatsApp
    /// number change: the lead's old id (`contact_external_id` is the new one).
    pub refers_to: Option<String>,
}

/// A file, sticker or place that came with a message. Files are fetched later by the
/// media worker, never in the webhook's request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    pub kind: AttachmentKind,
    pub mime: Option<String>,
    pub file_name: Option<String>,
    /// Where the provider serves the file (Meta CDN, Twilio media URL); for a location,
    /// a `geo:lat,long` URI.
    pub source_url: Option<String>,
    /// WhatsApp's media id, resolved to a URL through the Graph API by the media worker.
    pub provider_media_id: Option<String>,
}

/// A new state of one of our messages, as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatus {
    pub provider_id: String,
    /// Sent, Delivered, Read or Failed.
    pub status: MessageStatus,
    /// UTC ms, when the provider says.
    pub at: Option<i64>,
    /// The provider's reason, for a failure.
    pub error: Option<String>,
    /// Confab's own id of the message, when the provider carries it back (a Messenger /
    /// Instagram echo's `metadata`, WhatsApp's `biz_opaque_callback_data`, Twilio's
    /// status callback URL): confirms a send whose answer was lost.
    pub confab_id: Option<ConfabTag>,
}

/// How Confab names one of its replies to the provider (`confab:<id>.<created_at>`), so
/// that the provider's echo or status confirms that reply and no other: the creation
/// time (UTC ms) tells this installation's message from another's with the same id (a
/// staging and a production Confab on one Page or number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfabTag {
    pub message: MessageId,
    pub created_at: i64,
}

/// Stores an inbound message: upsert the contact and the conversation (reopening it when
/// archived), insert the message and its attachments unless its provider id is known,
/// append events. Returns the committed events; none when the message was a duplicate.
///
/// Messages arriving together share one transaction (`super::inbound_writer`): one
/// commit, so one disk flush, for a burst; each is answered only after that commit.
pub async fn record_inbound(
    db: &Db,
    channel: ChannelId,
    inbound: &InboundMessage,
) -> StoreResult<Vec<LiveEvent>> {
    db.inbound.record(channel, inbound.clone()).await
}

/// Where a status stands in the one direction statuses move (failed only from pending/sent).
fn status_rank(status: MessageStatus) -> i64 {
    match status {
        MessageStatus::Received | MessageStatus::Pending => 0,
        MessageStatus::Sent | MessageStatus::Failed => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
    }
}

const STATUS_RANK_SQL: &str = "CASE status WHEN 'sent' THEN 1 WHEN 'failed' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END";

/// How long a status that came before its message's provider id was stored is kept
/// (`pending_statuses`): a fast WhatsApp `failed` must not leave a reply shown as sent.
pub const PENDING_STATUS_MS: i64 = 15 * 60_000;

/// Moves one of our messages forward to the provider's status (never back: WhatsApp
/// may report `delivered` after `read`). A status carrying Confab's id first confirms
/// that message (a reply whose send answer was lost is then sent, not sent again). A
/// status for a provider id not stored yet is kept for [`PENDING_STATUS_MS`] and applied
/// when the id is stored.
pub async fn apply_status(
    db: &Db,
    channel: ChannelId,
    update: &ProviderStatus,
) -> StoreResult<Vec<LiveEvent>> {
    let now = now_ms();
    let at = update.at.map_or(now, |at| at.min(now));
    let mut tx = db.write.begin().await?;
    let mut changed = None;
    if let Some(tag) = update.confab_id {
        changed = confirm_in(&mut tx, channel, tag, &update.provider_id, at, now).await?;
    }
    let moved = advance_in(
        &mut tx,
        channel,
        &update.provider_id,
        update.status,
        at,
        update.error.as_deref(),
    )
    .await?;
    // A confirmation that took a reply still pending: the provider has it now.
    let handed_over = changed.is_some();
    let Some((id, conversation)) = moved.or(changed) else {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE channel_id = $1 AND provider_id = $2",
        )
        .bind(channel.0)
        .bind(&update.provider_id)
        .fetch_optional(&mut *tx)
        .await?;
        if known.is_none() {
            keep_pending_status(&mut tx, channel, update, at, now).await?;
        }
        tx.commit().await?;
        return Ok(Vec::new());
    };
    let events = updated_events(
        &mut tx,
        MessageId(id),
        ConversationId(conversation),
        channel,
        handed_over,
    )
    .await?;
    tx.commit().await?;
    Ok(events)
}

/// The provider's status for one of our messages, by its provider id, moved forward
/// only; returns the message and its conversation when it changed.
async fn advance_in(
    conn: &mut AnyConnection,
    channel: ChannelId,
    provider_id: &str,
    status: MessageStatus,
    at: i64,
    error: Option<&str>,
) -> StoreResult<Option<(i64, i64)>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE messages
            SET status = $3,
                error = CASE WHEN $3 = 'failed' THEN $5 ELSE error END,
                delivered_at = CASE WHEN $3 IN ('delivered', 'read') THEN COALESCE(delivered_at, $4) ELSE delivered_at END,
                read_at = CASE WHEN $3 = 'read' THEN $4 ELSE read_at END
          WHERE channel_id = $1 AND provider_id = $2 AND direction = 'outbound'
            AND ({STATUS_RANK_SQL} < $6 OR ($3 = 'failed' AND status = 'sent'))
          RETURNING id, conversation_id"
    ))
    .bind(channel.0)
    .bind(provider_id)
    .bind(status.as_str())
    .bind(at)
    .bind(error)
    .bind(status_rank(status))
    .fetch_optional(&mut *conn)
    .await?)
}

/// The provider names one of our replies by Confab's id: it took it. A reply still
/// pending (its answer lost, waiting for this, or even still on its way) becomes sent
/// with the provider's id, and is not sent again; so does one that failed for want of
/// this confirmation. Returns the message and its conversation when it changed.
async fn confirm_in(
    conn: &mut AnyConnection,
    channel: ChannelId,
    tag: ConfabTag,
    provider_id: &str,
    at: i64,
    now: i64,
) -> StoreResult<Option<(i64, i64)>> {
    if provider_id.is_empty() {
        return Ok(None);
    }
    let message = tag.message;
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE id = $1 AND channel_id = $2 AND direction = 'outbound'
            AND created_at = $3
            AND (status = 'pending' OR (status = 'failed' AND confirm_state IS NOT NULL))",
    )
    .bind(message.0)
    .bind(channel.0)
    .bind(tag.created_at)
    .fetch_optional(&mut *conn)
    .await?;
    if waiting.is_none() {
        return Ok(None);
    }
    // A copy of this very message stored from an echo without our tag goes (as in
    // `record_attempt`).
    sqlx::query(
        "DELETE FROM messages WHERE channel_id = $1 AND provider_id = $2 AND id <> $3
            AND direction = 'outbound' AND sender_employee_id IS NULL",
    )
    .bind(channel.0)
    .bind(provider_id)
    .bind(message.0)
    .execute(&mut *conn)
    .await?;
    let confirmed: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE messages
            SET status = 'sent', provider_id = $3, sent_at = COALESCE(sent_at, $4), error = NULL,
                next_attempt_at = NULL, sending_until = NULL,
                confirm_state = CASE WHEN confirm_state IN ('resent', 'resent_unconfirmed') THEN 'resent' ELSE NULL END
          WHERE id = $1 AND channel_id = $2 AND direction = 'outbound'
            AND (status = 'pending' OR (status = 'failed' AND confirm_state IS NOT NULL))
          RETURNING id, conversation_id",
    )
    .bind(message.0)
    .bind(channel.0)
    .bind(provider_id)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    if confirmed.is_some() {
        apply_pending_statuses(conn, channel, provider_id, now).await?;
    }
    Ok(confirmed)
}

/// Keeps a status whose message is not known yet (bounded: older ones are dropped).
async fn keep_pending_status(
    conn: &mut AnyConnection,
    channel: ChannelId,
    update: &ProviderStatus,
    at: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM pending_statuses WHERE created_at < $1")
        .bind(now - PENDING_STATUS_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO pending_statuses (channel_id, provider_id, status, at, error, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(channel.0)
    .bind(&update.provider_id)
    .bind(update.status.as_str())
    .bind(at)
    .bind(&update.error)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies, in the order they came, the statuses kept for a provider id just stored.
async fn apply_pending_statuses(
    conn: &mut AnyConnection,
    channel: ChannelId,
    provider_id: &str,
    now: i64,
) -> StoreResult<()> {
    let kept: Vec<(String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT status, at, error FROM pending_statuses
          WHERE channel_id = $1 AND provider_id = $2 AND created_at >= $3 ORDER BY id",
    )
    .bind(channel.0)
    .bind(provider_id)
    .bind(now - PENDING_STATUS_MS)
    .fetch_all(&mut *conn)
    .await?;
    if kept.is_empty() {
        return Ok(());
    }
    for (status, at, error) in kept {
        advance_in(
            conn,
            channel,
            provider_id,
            MessageStatus::parse(&status),
            at.unwrap_or(now),
            error.as_deref(),
        )
        .await?;
    }
    sqlx::query("DELETE FROM pending_statuses WHERE channel_id = $1 AND provider_id = $2")
        .bind(channel.0)
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Messenger's delivery watermark: everything we sent up to it (UTC ms) arrived.
pub async fn mark_delivered_up_to(
    db: &Db,
    conversation: ConversationId,
    channel: ChannelId,
    watermark: i64,
) -> StoreResult<Vec<LiveEvent>> {
    advance_up_to(
        db,
        conversation,
        channel,
        watermark,
        MessageStatus::Delivered,
    )
    .await
}

async fn advance_up_to(
    db: &Db,
    conversation: ConversationId,
    channel: ChannelId,
    watermark: i64,
    status: MessageStatus,
) -> StoreResult<Vec<LiveEvent>> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE messages SET status = $4,
                delivered_at = COALESCE(delivered_at, $3),
                read_at = CASE WHEN $4 = 'read' THEN $3 ELSE read_at END
          WHERE conversation_id = $1 AND direction = 'outbound' AND status IN ('sent', 'delivered', 'read')
            AND {STATUS_RANK_SQL} < $5
            AND COALESCE(sent_at, created_at) <= $2
          RETURNING id"
    ))
    .bind(conversation.0)
    .bind(watermark)
    .bind(now)
    .bind(status.as_str())
    .bind(status_rank(status))
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(updated_event(&mut tx, MessageId(id), conversation, channel).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// Instagram's read receipt names one message: it and all we sent before it are read.
pub async fn mark_read_through(
    db: &Db,
    conversation: ConversationId,
    channel: ChannelId,
    provider_id: &str,
) -> StoreResult<Vec<LiveEvent>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT COALESCE(sent_at, created_at) FROM messages WHERE channel_id = $1 AND provider_id = $2 AND conversation_id = $3",
    )
    .bind(channel.0)
    .bind(provider_id)
    .bind(conversation.0)
    .fetch_optional(&db.read)
    .await?;
    match at {
        Some(at) => mark_read_up_to(db, conversation, channel, at).await,
        None => Ok(Vec::new()),
    }
}

/// A file an employee sends, already stored in the media folder.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub kind: AttachmentKind,
    pub mime: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub storage_key: String,
}

/// Queues an employee's text reply (pending) and reopens the conversation if archived.
/// A refusal is worded in `locale`.
pub async fn queue_outbound(
    db: &Db,
    employee: &Employee,
    conversation: ConversationId,
    body: &MessageBody,
    template: Option<&str>,
    locale: Locale,
) -> StoreResult<(Message, Vec<LiveEvent>)> {
    queue(
        db,
        employee,
        conversation,
        body.as_str(),
        template,
        None,
        locale,
    )
    .await
}

/// Queues a file (with an optional caption, already checked) as one reply. A refusal is
/// worded in `locale`.
pub async fn queue_outbound_file(
    db: &Db,
    employee: &Employee,
    conversation: ConversationId,
    caption: &str,
    file: &NewAttachment,
    locale: Locale,
) -> StoreResult<(Message, Vec<LiveEvent>)> {
    queue(
        db,
        employee,
        conversation,
        caption,
        None,
        Some(file),
        locale,
    )
    .await
}

async fn queue(
    db: &Db,
    employee: &Employee,
    conversation: ConversationId,
    body: &str,
    template: Option<&str>,
    file: Option<&NewAttachment>,
    locale: Locale,
) -> StoreResult<(Message, Vec<LiveEvent>)> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let target = conversations::require_access(&mut tx, employee.id, conversation).await?;
    // A WhatsApp template may go out whatever the window; text only inside it.
    let refusal = match template {
        Some(_) if target.channel_kind != crate::channels::ChannelKind::Whatsapp => {
            Some(td_string!(locale, messaging.templates_whatsapp_only).to_owned())
        }
        Some(_) => target.channel_refusal(locale),
        None => target.text_refusal(locale, now).or_else(|| {
            crate::channels::window::provider_limit_error(locale, target.channel_kind, body)
        }),
    };
    if let Some(message) = refusal {
        return Err(StoreError::Invalid {
            field: "body",
            message,
        });
    }
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, channel_id, direction, body, sender_employee_id, status, next_attempt_at, created_at, template)
         VALUES ($1, $2, 'outbound', $3, $4, 'pending', $5, $5, $6) RETURNING id",
    )
    .bind(conversation.0)
    .bind(target.channel_id.0)
    .bind(body)
    .bind(employee.id.0)
    .bind(now)
    .bind(template)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(file) = file {
        sqlx::query(
            "INSERT INTO attachments (message_id, kind, mime, size_bytes, file_name, storage_key, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'stored', $7)",
        )
        .bind(message_id)
        .bind(file.kind.as_str())
        .bind(&file.mime)
        .bind(file.size_bytes)
        .bind(&file.file_name)
        .bind(&file.storage_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
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
    // Answering is reading: the sender's own unread count goes (the others' stay).
    conversations::forget_unread(&mut tx, employee.id, conversation).await?;
    if target.archived {
        conversations::audit(
            &mut tx,
            Some(employee.id),
            "reopened",
            conversation,
            Some(conversations::REOPENED_BY_SENDING),
        )
        .await?;
        conversations::tell_integrations(
            &mut tx,
            conversation,
            target.channel_id,
            employee.id,
            false,
        )
        .await?;
    }
    conversations::audit(&mut tx, Some(employee.id), "sent", conversation, None).await?;
    // The events last, after every row write ([`events::EventDraft`]).
    let mut out = Vec::with_capacity(2);
    if target.archived {
        out.push(conversations::status_event(&mut tx, conversation, target.channel_id).await?);
    }
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
    let locale = crate::locale::request_locale();
    let mut tx = db.write.begin().await?;
    let conversation: Option<i64> = sqlx::query_scalar(
        "SELECT conversation_id FROM messages WHERE id = $1 AND status = 'failed'",
    )
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let conversation = ConversationId(conversation.ok_or(StoreError::NotFound(td_string!(
        locale,
        messaging.not_found_failed_message
    )))?);
    let target = conversations::require_access(&mut tx, employee.id, conversation).await?;
    let is_template: Option<String> =
        sqlx::query_scalar("SELECT template FROM messages WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
    let refusal = match is_template {
        Some(_) => target.channel_refusal(locale),
        None => target.text_refusal(locale, now_ms()),
    };
    if let Some(message) = refusal {
        return Err(StoreError::Invalid {
            field: "message",
            message,
        });
    }
    sqlx::query("UPDATE messages SET status = 'pending', error = NULL, attempts = 0, next_attempt_at = $2, confirm_state = NULL WHERE id = $1")
        .bind(id.0)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    // The reply is on its way again: the lead is no longer waiting on the team, as when
    // a reply is sent.
    let answered = sqlx::query(
        "UPDATE conversations SET awaiting_reply = 0 WHERE id = $1 AND awaiting_reply = 1",
    )
    .bind(conversation.0)
    .execute(&mut *tx)
    .await?;
    let mut events = vec![updated_event(&mut tx, id, conversation, target.channel_id).await?];
    if answered.rows_affected() > 0 {
        events.push(conversations::status_event(&mut tx, conversation, target.channel_id).await?);
    }
    tx.commit().await?;
    Ok(events)
}

async fn updated_event(
    conn: &mut AnyConnection,
    id: MessageId,
    conversation: ConversationId,
    channel: ChannelId,
) -> StoreResult<LiveEvent> {
    let message = load(conn, id).await?;
    event_of(conn, &message, conversation, channel).await
}

async fn event_of(
    conn: &mut AnyConnection,
    message: &Message,
    conversation: ConversationId,
    channel: ChannelId,
) -> StoreResult<LiveEvent> {
    events::append(
        conn,
        EventKind::MessageUpdated,
        conversation,
        channel,
        message_event_payload(message),
    )
    .await
}

/// What integrations hear of a reply that the provider just took (`handed_over`:
/// `reply_sent`) or that ended failed (`reply_failed`): nothing for other changes
/// (delivered, read, a retry under way).
async fn tell_integrations(
    conn: &mut AnyConnection,
    message: &Message,
    channel: ChannelId,
    handed_over: bool,
) -> StoreResult<()> {
    use crate::integrations::IntegrationEvent;
    let event = match (message.direction, message.status) {
        (Direction::Outbound, MessageStatus::Failed) => IntegrationEvent::ReplyFailed,
        (Direction::Outbound, _) if handed_over => IntegrationEvent::ReplySent,
        _ => return Ok(()),
    };
    crate::integrations::outbox::enqueue(
        conn,
        event,
        serde_json::json!({
            "conversation_id": message.conversation_id.0,
            "channel_id": channel.0,
            "message_id": message.id.0,
            "text": message.body,
            "sender_name": message.sender_name,
            "error": message.error,
            "created_at": message.created_at,
        }),
    )
    .await
}

/// [`updated_event`] (and `reply_sent` / `reply_failed` to integrations), and when the
/// message is a reply that ended failed, the conversation
/// back to awaiting a reply (its red dot on) with its event: unless a later reply to the
/// lead's last message is on its way or went out. Sending again or marking the
/// conversation handled clears it.
async fn updated_events(
    conn: &mut AnyConnection,
    id: MessageId,
    conversation: ConversationId,
    channel: ChannelId,
    handed_over: bool,
) -> StoreResult<Vec<LiveEvent>> {
    let awaiting = sqlx::query(
        "UPDATE conversations SET awaiting_reply = 1
          WHERE id = $1 AND awaiting_reply = 0 AND last_inbound_at IS NOT NULL
            AND EXISTS (SELECT 1 FROM messages f
                         WHERE f.id = $2 AND f.direction = 'outbound' AND f.status = 'failed')
            AND NOT EXISTS (SELECT 1 FROM messages o
                             WHERE o.conversation_id = $1 AND o.direction = 'outbound'
                               AND o.status <> 'failed'
                               AND o.created_at >= conversations.last_inbound_at)",
    )
    .bind(conversation.0)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    let message = load(conn, id).await?;
    tell_integrations(conn, &message, channel, handed_over).await?;
    // The events last, after every row write ([`events::EventDraft`]).
    let mut out = vec![event_of(conn, &message, conversation, channel).await?];
    if awaiting.rows_affected() > 0 {
        out.push(conversations::status_event(conn, conversation, channel).await?);
    }
    Ok(out)
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
    /// When the lead last wrote (UTC ms): decides Meta's messaging type and tag.
    pub last_inbound_at: Option<i64>,
    /// A WhatsApp template reply (`TemplateChoice` as JSON) instead of free text.
    pub template: Option<String>,
    /// The file sent with it, if any.
    pub attachment: Option<OutboundFile>,
    /// `messages.confirm_state`: `unconfirmed` when this attempt is the one re-send after
    /// no confirmation came; `resent_unconfirmed` when that re-send's outcome is unknown
    /// too and no confirmation came either (it is then failed, never sent a third time).
    pub confirm_state: Option<String>,
    /// When the reply was written (UTC ms): part of its [`ConfabTag`].
    pub created_at: i64,
}

impl OutboundJob {
    /// The name the provider carries back to confirm this reply.
    pub fn tag(&self) -> ConfabTag {
        ConfabTag {
            message: self.message_id,
            created_at: self.created_at,
        }
    }

    /// Its one re-send went out unconfirmed and no confirmation came: not sent again.
    pub fn confirmation_given_up(&self) -> bool {
        self.confirm_state.as_deref() == Some("resent_unconfirmed")
    }
}

/// A file of ours the provider fetches from Confab's public media URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundFile {
    pub id: i64,
    pub kind: AttachmentKind,
    pub mime: String,
    pub file_name: String,
    /// Its size in bytes (checked against the provider's limit before sending).
    pub size_bytes: Option<i64>,
}

/// Pending replies of a channel whose time has come, oldest first, in the order they
/// were written per conversation: one behind an earlier reply of its conversation that
/// is not due (waiting for a retry or a confirmation) or being sent waits for it.
pub async fn due_outbound(
    db: &Db,
    channel: ChannelId,
    limit: i64,
) -> StoreResult<Vec<OutboundJob>> {
    let rows = sqlx::query(
        "SELECT m.id, m.conversation_id, m.channel_id, m.body, m.attempts, m.template, m.confirm_state, m.created_at, ct.external_id, c.last_inbound_at,
                a.id AS attachment_id, a.kind AS attachment_kind, a.mime AS attachment_mime, a.file_name AS attachment_name,
                a.size_bytes AS attachment_size
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           JOIN contacts ct ON ct.id = c.contact_id
           LEFT JOIN attachments a ON a.message_id = m.id
          WHERE m.status = 'pending' AND m.next_attempt_at <= $1 AND m.channel_id = $3
            AND m.sending_until IS NULL
            AND NOT EXISTS (SELECT 1 FROM messages p
                             WHERE p.conversation_id = m.conversation_id AND p.status = 'pending' AND p.id < m.id
                               AND (p.sending_until IS NOT NULL OR p.next_attempt_at IS NULL OR p.next_attempt_at > $1))
          ORDER BY m.id
          LIMIT $2",
    )
    .bind(now_ms())
    .bind(limit)
    .bind(channel.0)
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
            last_inbound_at: r.get("last_inbound_at"),
            template: r.get("template"),
            confirm_state: r.get("confirm_state"),
            created_at: r.get("created_at"),
            attachment: r
                .get::<Option<i64>, _>("attachment_id")
                .map(|id| OutboundFile {
                    id,
                    kind: AttachmentKind::parse(&r.get::<String, _>("attachment_kind"))
                        .unwrap_or(AttachmentKind::File),
                    mime: r
                        .get::<Option<String>, _>("attachment_mime")
                        .unwrap_or_default(),
                    file_name: r
                        .get::<Option<String>, _>("attachment_name")
                        .unwrap_or_default(),
                    size_bytes: r.get("attachment_size"),
                }),
        })
        .collect())
}

/// Takes a job for one attempt, leased until `until`: nobody else sends it meanwhile, and
/// when the lease outlives the attempt (the process died mid-send), the reply is not sent
/// again but shown as interrupted ([`fail_interrupted_sends`]).
///
/// Only the oldest pending reply of its conversation is taken (replies leave in the order
/// they were written, across processes too). Taking an `unconfirmed` reply makes it the
/// one re-send (`resent`).
pub async fn claim(db: &Db, job: &OutboundJob, until: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE messages SET next_attempt_at = $2, sending_until = $2,
                confirm_state = CASE WHEN confirm_state = 'unconfirmed' THEN 'resent' ELSE confirm_state END
          WHERE id = $1 AND status = 'pending' AND sending_until IS NULL
            AND NOT EXISTS (SELECT 1 FROM messages p
                             WHERE p.conversation_id = messages.conversation_id
                               AND p.status = 'pending' AND p.id < messages.id)",
    )
    .bind(job.message_id.0)
    .bind(until)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why a reply sent twice without the provider confirming either is not sent a third
/// time (after the reason of the last send, which the store keeps).
pub const NOT_CONFIRMED: &str = "No confirmation came after it was sent twice, so it may or \
may not have reached the lead. Check with them before you send it again.";

/// Shown with a reply whose sending was cut off by the end of its process.
pub const INTERRUPTED_SEND: &str = "Confab stopped while handing this reply to the provider, \
so it may or may not have reached the lead. Check with them before you send it again.";

/// Replies whose lease ended before `lease_ended_by` (UTC ms) while still pending: their
/// process died between handing them to the provider and recording the answer. Sending
/// them again could reach the lead twice, so they fail with [`INTERRUPTED_SEND`] and the
/// employee decides. Returns the events to publish.
pub async fn fail_interrupted_sends(db: &Db, lease_ended_by: i64) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let interrupted: Vec<(i64, i64, i64)> = sqlx::query_as(
        "UPDATE messages SET status = 'failed', error = $2, next_attempt_at = NULL, sending_until = NULL
          WHERE status = 'pending' AND next_attempt_at <= $1 AND sending_until IS NOT NULL
          RETURNING id, conversation_id, channel_id",
    )
    .bind(lease_ended_by)
    .bind(INTERRUPTED_SEND)
    .fetch_all(&mut *tx)
    .await?;
    let mut events = Vec::with_capacity(interrupted.len());
    for (id, conversation, channel) in interrupted {
        events.extend(
            updated_events(
                &mut tx,
                MessageId(id),
                ConversationId(conversation),
                ChannelId(channel),
                false,
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(events)
}

/// When the next pending reply of each channel falls due (the sender starts a channel's
/// deliveries then, and sleeps until the earliest).
pub async fn next_due_by_channel(db: &Db) -> StoreResult<Vec<(ChannelId, i64)>> {
    // Only the oldest pending reply of each conversation can go (see `claim`).
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.channel_id, MIN(m.next_attempt_at) FROM messages m
          WHERE m.status = 'pending' AND m.next_attempt_at IS NOT NULL AND m.sending_until IS NULL
            AND NOT EXISTS (SELECT 1 FROM messages p
                             WHERE p.conversation_id = m.conversation_id AND p.status = 'pending' AND p.id < m.id)
          GROUP BY m.channel_id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(channel, at)| (ChannelId(channel), at))
        .collect())
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
    /// The outcome is unknown (the answer was lost): wait for the provider's confirmation
    /// until `at`, then send once more (or, after the re-send, fail).
    Unconfirmed { at: i64, reason: String },
    /// The provider paused the channel or the conversation (a rate limit): try again at
    /// this instant, the attempt not counted (the conversation's later replies wait behind
    /// it, as behind any pending one).
    Postponed { at: i64, reason: String },
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
            // An echo of this very message may have arrived first (stored as written in
            // the provider's app): it is this message, so it goes.
            sqlx::query(
                "DELETE FROM messages WHERE channel_id = $1 AND provider_id = $2 AND id <> $3
                    AND direction = 'outbound' AND sender_employee_id IS NULL",
            )
            .bind(job.channel_id.0)
            .bind(provider_id)
            .bind(job.message_id.0)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE messages SET status = $2, provider_id = $3, sent_at = $4, error = NULL,
                        attempts = attempts + 1, next_attempt_at = NULL, sending_until = NULL,
                        delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(status)
            .bind(provider_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                apply_pending_statuses(&mut tx, job.channel_id, provider_id, now).await?;
            }
            done
        }
        DeliveryOutcome::Unconfirmed { at, reason } => {
            sqlx::query(
                "UPDATE messages SET attempts = attempts + 1, next_attempt_at = $2, error = $3,
                        sending_until = NULL,
                        confirm_state = CASE WHEN confirm_state IS NULL THEN 'unconfirmed' ELSE 'resent_unconfirmed' END
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(at)
            .bind(reason)
            .execute(&mut *tx)
            .await?
        }
        DeliveryOutcome::RetryAt { at, reason } => {
            sqlx::query(
                "UPDATE messages SET attempts = attempts + 1, next_attempt_at = $2, error = $3,
                        sending_until = NULL
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(at)
            .bind(reason)
            .execute(&mut *tx)
            .await?
        }
        DeliveryOutcome::Postponed { at, reason } => {
            sqlx::query(
                "UPDATE messages SET next_attempt_at = $2, error = $3, sending_until = NULL
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
                // A reply given up for want of confirmation was not sent this time: its
                // attempts stay, and its reason follows the last send's.
                "UPDATE messages SET status = 'failed',
                        attempts = attempts + CASE WHEN $3 = 1 THEN 0 ELSE 1 END,
                        next_attempt_at = NULL, sending_until = NULL,
                        error = CASE WHEN $3 = 1 AND error IS NOT NULL THEN error || ' ' || $2 ELSE $2 END
                  WHERE id = $1 AND status = 'pending'",
            )
            .bind(job.message_id.0)
            .bind(reason)
            .bind(i64::from(reason == NOT_CONFIRMED))
            .execute(&mut *tx)
            .await?
        }
    };
    // A retry is not news to the employee: the bubble stays "sending".
    if changed.rows_affected() == 0
        || matches!(
            outcome,
            DeliveryOutcome::RetryAt { .. } | DeliveryOutcome::Postponed { .. }
        )
    {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let events = updated_events(
        &mut tx,
        job.message_id,
        job.conversation_id,
        job.channel_id,
        matches!(outcome, DeliveryOutcome::Sent { .. }),
    )
    .await?;
    tx.commit().await?;
    Ok(events)
}

/// The lead has read everything we sent up to `watermark` (UTC ms): those replies become read.
pub async fn mark_read_up_to(
    db: &Db,
    conversation: ConversationId,
    channel: ChannelId,
    watermark: i64,
) -> StoreResult<Vec<LiveEvent>> {
    advance_up_to(db, conversation, channel, watermark, MessageStatus::Read).await
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

/// A file the media worker must fetch.
#[derive(Debug, Clone)]
pub struct PendingAttachment {
    pub id: i64,
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    pub source_url: Option<String>,
    pub provider_media_id: Option<String>,
    pub attempts: i64,
}

/// Attachments waiting for the media worker whose time has come, oldest first, except
/// those of `busy` channels (the worker fetches as many of theirs as it may already).
pub async fn pending_attachments(
    db: &Db,
    limit: i64,
    busy: &[ChannelId],
) -> StoreResult<Vec<PendingAttachment>> {
    // Channel ids are integers, written into the statement as such: one text for both
    // backends (a bound list would need SQLite's json_each or PostgreSQL's arrays).
    let not_busy = if busy.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = busy.iter().map(|c| c.0.to_string()).collect();
        format!("AND m.channel_id NOT IN ({})", ids.join(","))
    };
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.message_id, m.conversation_id, m.channel_id, a.source_url, a.provider_media_id, a.attempts
           FROM attachments a JOIN messages m ON m.id = a.message_id
          WHERE a.status = 'pending' AND a.next_attempt_at <= $2 {not_busy}
          ORDER BY a.id LIMIT $1"
    ))
    .bind(limit)
    .bind(now_ms())
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PendingAttachment {
            id: r.get("id"),
            message_id: MessageId(r.get("message_id")),
            conversation_id: ConversationId(r.get("conversation_id")),
            channel_id: ChannelId(r.get("channel_id")),
            source_url: r.get("source_url"),
            provider_media_id: r.get("provider_media_id"),
            attempts: r.get("attempts"),
        })
        .collect())
}

/// Takes an attachment for one fetch: it is not due again before `until` (a worker that
/// dies mid-fetch leaves it to be fetched after that). Only one of several processes
/// gets it: the update is conditional on the attachment still being due, and a second
/// process's update waits for the first's row lock, then finds it no longer due.
pub async fn claim_attachment(db: &Db, id: i64, until: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE attachments SET next_attempt_at = $2
          WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3",
    )
    .bind(id)
    .bind(until)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What became of one fetch of an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaOutcome {
    Stored {
        storage_key: String,
        mime: String,
        size_bytes: i64,
    },
    /// Not fetched: tried again at `retry_at` (UTC ms), or never when it is `None`.
    Failed {
        reason: String,
        retry_at: Option<i64>,
    },
}

/// Records a fetch; returns the message's update for the thread when it changed.
pub async fn record_media(
    db: &Db,
    pending: &PendingAttachment,
    outcome: &MediaOutcome,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    match outcome {
        MediaOutcome::Stored {
            storage_key,
            mime,
            size_bytes,
        } => {
            sqlx::query(
                "UPDATE attachments SET status = 'stored', storage_key = $2, mime = $3, size_bytes = $4,
                        attempts = attempts + 1, error = NULL WHERE id = $1",
            )
            .bind(pending.id)
            .bind(storage_key)
            .bind(mime)
            .bind(size_bytes)
            .execute(&mut *tx)
            .await?;
        }
        MediaOutcome::Failed { reason, retry_at } => {
            sqlx::query(
                "UPDATE attachments SET attempts = attempts + 1, error = $2,
                        next_attempt_at = COALESCE($3, next_attempt_at),
                        status = CASE WHEN $3 IS NULL THEN 'failed' ELSE status END WHERE id = $1",
            )
            .bind(pending.id)
            .bind(reason)
            .bind(*retry_at)
            .execute(&mut *tx)
            .await?;
            if retry_at.is_some() {
                tx.commit().await?;
                return Ok(Vec::new());
            }
        }
    }
    let events = updated_events(
        &mut tx,
        pending.message_id,
        pending.conversation_id,
        pending.channel_id,
        false,
    )
    .await?;
    tx.commit().await?;
    Ok(events)
}

/// A stored file an employee may open: only through a channel they have access to.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub storage_key: String,
    pub mime: String,
    pub file_name: Option<String>,
}

fn row_to_stored_media(r: &sqlx::any::AnyRow) -> StoredMedia {
    StoredMedia {
        storage_key: r.get("storage_key"),
        mime: r
            .get::<Option<String>, _>("mime")
            .unwrap_or_else(|| "application/octet-stream".into()),
        file_name: r.get("file_name"),
    }
}

pub async fn media_for_employee(
    db: &Db,
    employee: EmployeeId,
    attachment: i64,
) -> StoreResult<Option<StoredMedia>> {
    let row = sqlx::query(
        "SELECT a.storage_key, a.mime, a.file_name FROM attachments a
           JOIN messages m ON m.id = a.message_id
           JOIN channel_access ca ON ca.channel_id = m.channel_id AND ca.employee_id = $1
          WHERE a.id = $2 AND a.status = 'stored' AND a.storage_key IS NOT NULL",
    )
    .bind(employee.0)
    .bind(attachment)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.as_ref().map(row_to_stored_media))
}

/// One of our files, for the provider that fetches it through its signed public URL.
pub async fn outbound_media(db: &Db, attachment: i64) -> StoreResult<Option<StoredMedia>> {
    let row = sqlx::query(
        "SELECT a.storage_key, a.mime, a.file_name FROM attachments a JOIN messages m ON m.id = a.message_id
          WHERE a.id = $1 AND m.direction = 'outbound' AND a.status = 'stored' AND a.storage_key IS NOT NULL",
    )
    .bind(attachment)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.as_ref().map(row_to_stored_media))
}
