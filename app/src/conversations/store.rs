//! Conversation rows. Every query that returns conversations joins `channel_access` on
//! the acting employee, so nobody reads a conversation of a channel they may not use.

use super::{
    ConversationDetail, ConversationPage, ConversationStatus, ConversationSummary, ListCursor,
    ListFilter,
};
use crate::channels::{ChannelKind, ChannelStatus};
use crate::events::{store as events, EventKind, LiveEvent};
use crate::i18n::{td_string, Locale};
use crate::ids::{ChannelId, ConversationId, EmployeeId};
use crate::messages::AttachmentKind;
use crate::store::{now_ms, Backend, Db, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Previews are cut to this many characters: the list shows one line.
const PREVIEW_CHARS: usize = 140;

const SUMMARY_COLUMNS: &str =
    "c.id, c.channel_id, ch.kind AS channel_kind, ch.display_name AS channel_name,
       ch.simulated AS channel_simulated,
       COALESCE(ct.name, ct.username) AS contact_name, ct.phone AS contact_phone,
       ct.external_id AS contact_external_id,
       c.status, c.last_message_at, COALESCE(u.unread_count, 0) AS unread_count, c.awaiting_reply,
       m.body AS preview,
       CASE WHEN m.body = '' THEN
         (SELECT x.kind FROM attachments x WHERE x.message_id = m.id ORDER BY x.id LIMIT 1)
       END AS preview_kind,
       m.direction AS preview_direction,
       c.assignee_id, asg.name AS assignee_name";

/// The read state is the acting employee's own (`unread_marks`, looked up by key).
const SUMMARY_FROM: &str = "FROM conversations c
  JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = $1
  LEFT JOIN unread_marks u ON u.employee_id = $1 AND u.conversation_id = c.id
  JOIN channels ch ON ch.id = c.channel_id
  JOIN contacts ct ON ct.id = c.contact_id
  LEFT JOIN messages m ON m.id = c.last_message_id
  LEFT JOIN employees asg ON asg.id = c.assignee_id";

fn preview_of(body: Option<String>) -> Option<String> {
    body.map(|b| {
        let one_line = b.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > PREVIEW_CHARS {
            one_line.chars().take(PREVIEW_CHARS).collect::<String>() + "…"
        } else {
            one_line
        }
    })
}

/// What the list shows for a message that is only a file or a place: its kind, in words.
fn attachment_preview(locale: Locale, kind: &str) -> &'static str {
    match AttachmentKind::parse(kind) {
        Some(AttachmentKind::Image) => td_string!(locale, messaging.preview_photo),
        Some(AttachmentKind::Video) => td_string!(locale, messaging.preview_video),
        Some(AttachmentKind::Audio) => td_string!(locale, messaging.preview_audio),
        Some(AttachmentKind::Sticker) => td_string!(locale, messaging.preview_sticker),
        Some(AttachmentKind::Location) => td_string!(locale, messaging.preview_location),
        Some(AttachmentKind::File) | None => td_string!(locale, messaging.preview_file),
    }
}

/// A summary row; the preview of a message without text is worded in `locale`, and a
/// contact known only by their number is named by it as `country`'s business reads it.
fn row_to_summary(
    locale: Locale,
    country: crate::phone::Country,
    r: &sqlx::any::AnyRow,
) -> ConversationSummary {
    let body: Option<String> = r.get("preview");
    let preview = match (body, r.get::<Option<String>, _>("preview_kind")) {
        (Some(body), _) if !body.is_empty() => Some(body),
        (Some(_), Some(kind)) => Some(attachment_preview(locale, &kind).to_owned()),
        _ => None,
    };
    ConversationSummary {
        id: ConversationId(r.get("id")),
        channel_id: ChannelId(r.get("channel_id")),
        channel_kind: ChannelKind::parse(&r.get::<String, _>("channel_kind"))
            .unwrap_or(ChannelKind::Sandbox),
        channel_name: r.get("channel_name"),
        channel_simulated: r.get::<i64, _>("channel_simulated") != 0,
        contact_name: r
            .get::<Option<String>, _>("contact_name")
            .or_else(|| {
                r.get::<Option<String>, _>("contact_phone")
                    .map(|phone| crate::phone::display(&phone, country))
            })
            .unwrap_or_else(|| r.get("contact_external_id")),
        status: ConversationStatus::parse(&r.get::<String, _>("status")),
        last_message_at: r.get("last_message_at"),
        preview: preview_of(preview),
        preview_outbound: r.get::<Option<String>, _>("preview_direction").as_deref()
            == Some("outbound"),
        unread_count: r.get("unread_count"),
        awaiting_reply: r.get::<i64, _>("awaiting_reply") != 0,
        assignee: r
            .get::<Option<i64>, _>("assignee_id")
            .zip(r.get::<Option<String>, _>("assignee_name"))
            .map(|(id, name)| super::Assignee {
                id: EmployeeId(id),
                name,
            }),
    }
}

/// Up to this many unread conversations, the Unread filter starts from the employee's
/// unread rows; beyond, from the list (about where the two cost the same at 100,000).
const FEW_UNREAD: i64 = 2_000;

/// How many of the newest messages matching a search word are looked at.
pub const SEARCH_MESSAGE_CAP: i64 = 10_000;

/// One page of the list, newest activity first, narrowed by `filter`, with the acting
/// employee's own unread counts: a single query (two for the Unread filter).
pub async fn list(
    db: &Db,
    employee: EmployeeId,
    status: ConversationStatus,
    filter: &ListFilter,
    after: Option<ListCursor>,
    limit: i64,
) -> StoreResult<ConversationPage> {
    let mut sql = crate::store::SqlBuilder::new(format!("SELECT {SUMMARY_COLUMNS} "));
    // The first bind is the acting employee ($1 in SUMMARY_FROM).
    const REST: &str = " JOIN channels ch ON ch.id = c.channel_id
              JOIN contacts ct ON ct.id = c.contact_id
              LEFT JOIN messages m ON m.id = c.last_message_id
              LEFT JOIN employees asg ON asg.id = c.assignee_id";
    // Few unread: their rows, by key, then their conversations, sorted (the list of a few
    // unread among 100,000 does not walk the rest; CROSS JOIN keeps SQLite's planner to
    // that order, PostgreSQL reads it as an inner join). Many: the list walked newest
    // first finds a page of them soon, where sorting them all would not be.
    let few_unread = filter.unread_only && {
        let marks: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM unread_marks WHERE employee_id = $1 LIMIT $2) f",
        )
        .bind(employee.0)
        .bind(FEW_UNREAD + 1)
        .fetch_one(&db.read)
        .await?;
        marks <= FEW_UNREAD
    };
    if few_unread {
        sql.push("FROM unread_marks u CROSS JOIN conversations c
              JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = u.employee_id")
            .push(REST)
            .push(" WHERE u.employee_id = ")
            .push_bind(employee.0)
            .push(" AND c.id = u.conversation_id AND c.status = ");
    } else {
        sql.push("FROM conversations c JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = ")
            .push_bind(employee.0)
            .push(" LEFT JOIN unread_marks u ON u.employee_id = a.employee_id AND u.conversation_id = c.id")
            .push(REST)
            .push(" WHERE c.status = ");
    }
    sql.push_bind(status.as_str());
    if filter.unread_only && !few_unread {
        sql.push(" AND COALESCE(u.unread_count, 0) > 0");
    }
    if let Some(cursor) = after {
        sql.push(" AND (c.last_message_at < ")
            .push_bind(cursor.last_message_at)
            .push(" OR (c.last_message_at = ")
            .push_bind(cursor.last_message_at)
            .push(" AND c.id < ")
            .push_bind(cursor.id.0)
            .push("))");
    }
    if let Some(channel) = filter.channel {
        sql.push(" AND c.channel_id = ").push_bind(channel.0);
    }
    if filter.awaiting_only {
        sql.push(" AND c.awaiting_reply = 1");
    }
    match filter.assignee {
        super::AssigneeFilter::All => {}
        super::AssigneeFilter::Mine => {
            sql.push(" AND c.assignee_id = ").push_bind(employee.0);
        }
        super::AssigneeFilter::Unassigned => {
            sql.push(" AND c.assignee_id IS NULL");
        }
    }
    let words = filter.words().map_err(|err| StoreError::Invalid {
        field: "query",
        message: err.to_string(),
    })?;
    if let Some(words) = words {
        match super::phone_digits(&words).filter(|d| d.len() >= 8) {
            // A whole phone number: the conversations of the contacts and clients with
            // that number, as one set (its digit groups as words would match half the
            // messages: "11", "55").
            Some(digits) => {
                let like = format!("%{digits}%");
                sql.push(
                    " AND c.contact_id IN (SELECT k.id FROM contacts k
                                            WHERE k.phone LIKE ",
                )
                .push_bind(like.clone())
                .push(" OR k.external_id LIKE ")
                .push_bind(like.clone())
                .push(" OR k.client_id IN (SELECT p.client_id FROM client_phones p WHERE p.phone LIKE ")
                .push_bind(like)
                .push("))");
            }
            // Words: names, short numbers, and the text of the newest matching messages,
            // checked while the list walks newest first (it stops at a page).
            None => {
                let like = crate::store::like_pattern(&words);
                let like_op = db.backend.ilike();
                sql.push(&format!(" AND (ct.name {like_op} "))
                    .push_bind(like.clone())
                    .push(&format!(" ESCAPE '\\' OR ct.username {like_op} "))
                    .push_bind(like.clone())
                    .push(&format!(
                        " ESCAPE '\\' OR ct.client_id IN (SELECT cl.id FROM clients cl WHERE cl.name {like_op} "
                    ))
                    .push_bind(like.clone())
                    // The team's notes are searched as messages are (few beside them).
                    .push(&format!(
                        " ESCAPE '\\') OR c.id IN (SELECT n.conversation_id FROM notes n WHERE n.body {like_op} "
                    ))
                    .push_bind(like)
                    .push(" ESCAPE '\\')");
                if let Some(digits) = super::phone_digits(&words) {
                    let like = format!("%{digits}%");
                    sql.push(" OR ct.phone LIKE ")
                        .push_bind(like.clone())
                        .push(" OR ct.external_id LIKE ")
                        .push_bind(like.clone())
                        .push(" OR ct.client_id IN (SELECT p.client_id FROM client_phones p WHERE p.phone LIKE ")
                        .push_bind(like)
                        .push(")");
                }
                let search_words = super::search_words(&words);
                if !search_words.is_empty() {
                    // The newest matching messages only: a word in hundreds of thousands
                    // of messages would otherwise cost a scan of them all.
                    sql.push(" OR c.id IN (SELECT msg.conversation_id FROM (");
                    match db.backend {
                        Backend::Sqlite => {
                            sql.push("SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH ");
                            push_fts_match(&mut sql, &search_words);
                            sql.push(" ORDER BY rowid DESC LIMIT ")
                        }
                        Backend::Postgres => sql
                            .push("SELECT id FROM messages WHERE search @@ to_tsquery('simple', confab_fold(")
                            .push_bind(super::tsquery(&search_words))
                            .push(")) ORDER BY id DESC LIMIT "),
                    };
                    sql.push_bind(SEARCH_MESSAGE_CAP)
                        .push(") f JOIN messages msg ON msg.id = f.id)");
                }
                sql.push(")");
            }
        }
    }
    sql.push(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT ")
        .push_bind(limit + 1);
    let rows = sql.build().fetch_all(&db.read).await?;
    let locale = crate::locale::request_locale();
    let mut items: Vec<ConversationSummary> = rows
        .iter()
        .take(limit as usize)
        .map(|r| row_to_summary(locale, db.country, r))
        .collect();
    let next = if rows.len() as i64 > limit {
        items.last().map(|last| ListCursor {
            last_message_at: last.last_message_at,
            id: last.id,
        })
    } else {
        None
    };
    items.shrink_to_fit();
    Ok(ConversationPage { items, next })
}

/// FTS5's query for the words, as an SQL expression: each word matches itself and the
/// longer words it begins ("bicycle" finds "bicycles"), except a word found in at least
/// `SEARCH_MESSAGE_CAP` messages, which matches itself only. Its own newest messages then
/// fill the search's reach, and FTS5 answers a prefix by merging the whole history's lists
/// of every word it begins (400,000 entries for a common word in 2,000,000 messages, half
/// the search's time), where a whole word is read newest first and only as far as needed.
fn push_fts_match(sql: &mut crate::store::SqlBuilder, words: &[&str]) {
    sql.push("(");
    for (i, word) in words.iter().enumerate() {
        let whole = format!("\"{word}\"");
        if i > 0 {
            sql.push(" || ' ' || ");
        }
        sql.push(
            "CASE WHEN (SELECT count(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ",
        )
        .push_bind(whole.clone())
        .push(" LIMIT ")
        .push_bind(SEARCH_MESSAGE_CAP)
        .push(")) >= ")
        .push_bind(SEARCH_MESSAGE_CAP)
        .push(" THEN ")
        .push_bind(whole.clone())
        .push(" ELSE ")
        .push_bind(format!("{whole}*"))
        .push(" END");
    }
    sql.push(")");
}

/// The conversation with its newest messages, if the employee may see it.
pub async fn detail(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
    messages: i64,
) -> StoreResult<ConversationDetail> {
    let locale = crate::locale::request_locale();
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, ch.status AS channel_status, ch.status_detail AS channel_status_detail,
                ch.human_agent, ch.external_id AS channel_external_id, c.window_closed,
                ct.external_id, ct.username, ct.phone,
                c.archived_at, arch.name AS archived_by, c.last_inbound_at, c.history_pruned_at,
                ct.client_id
           {SUMMARY_FROM}
           LEFT JOIN employees arch ON arch.id = c.archived_by
          WHERE c.id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(employee.0)
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?
        .ok_or(StoreError::NotFound(td_string!(
            locale,
            messaging.not_found_conversation
        )))?;
    let (messages, has_older) = crate::messages::store::recent(db, id, None, messages).await?;
    let history = sqlx::query(
        "SELECT a.action, e.name AS employee_name, a.detail, a.created_at FROM audit_entries a
           LEFT JOIN employees e ON e.id = a.employee_id
          WHERE a.conversation_id = $1 ORDER BY a.id DESC LIMIT $2",
    )
    .bind(id.0)
    .bind(super::HISTORY_LINES)
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|r| super::AuditEntry {
        action: r.get("action"),
        employee_name: r.get("employee_name"),
        detail: r
            .get::<Option<String>, _>("detail")
            .map(|detail| audit_detail(locale, detail)),
        at: r.get("created_at"),
    })
    .collect();
    let summary = row_to_summary(locale, db.country, &row);
    let last_inbound_at: Option<i64> = row.get("last_inbound_at");
    let reply_window = if row.get::<i64, _>("window_closed") != 0 {
        crate::channels::window::ReplyWindow::closed_for(summary.channel_kind)
    } else {
        crate::channels::window::ReplyWindow::at(
            summary.channel_kind,
            row.get::<i64, _>("human_agent") != 0,
            last_inbound_at,
            now_ms(),
        )
    };
    let channel_external_id: String = row.get("channel_external_id");
    Ok(ConversationDetail {
        // A practice channel's "provider inbox" is the simulator's page for it.
        continue_url: if summary.channel_simulated {
            crate::channels::window::continue_url(summary.channel_kind, &channel_external_id)
                .map(|_| format!("/sandbox?channel={}", summary.channel_id))
        } else {
            crate::channels::window::continue_url(summary.channel_kind, &channel_external_id)
        },
        summary,
        reply_window,
        channel_status_detail: row.get("channel_status_detail"),
        channel_status: ChannelStatus::parse(&row.get::<String, _>("channel_status")),
        contact_external_id: row.get("external_id"),
        contact_username: row.get("username"),
        contact_phone_display: crate::phone::display_opt(
            row.get::<Option<String>, _>("phone").as_deref(),
            db.country,
        ),
        contact_phone: row.get("phone"),
        archived_at: row.get("archived_at"),
        archived_by: row.get("archived_by"),
        last_inbound_at: row.get("last_inbound_at"),
        messages,
        has_older,
        history_pruned_at: row.get("history_pruned_at"),
        history,
        client: match row.get::<Option<i64>, _>("client_id") {
            Some(client) => {
                crate::clients::store::card(db, employee, crate::ids::ClientId(client)).await?
            }
            None => None,
        },
        documents: crate::documents::store::of_conversation(db, id).await?,
        documents_permission: crate::clients::store::has_documents(db, employee).await?,
        // The row above was read through the access join: the employee may see these.
        notes: super::notes_store::of_conversation(&mut *db.read.acquire().await?, id).await?,
    })
}

/// What a write needs to know about a conversation the employee may use.
pub struct AccessibleConversation {
    pub channel_id: ChannelId,
    pub archived: bool,
    pub channel_kind: ChannelKind,
    pub channel_status: ChannelStatus,
    pub human_agent: bool,
    pub last_inbound_at: Option<i64>,
    /// The provider said the window closed, whatever our clock says.
    pub window_closed: bool,
}

impl AccessibleConversation {
    /// Why nothing can go out on the channel now, if it cannot, in `locale`.
    pub fn channel_refusal(&self, locale: Locale) -> Option<String> {
        match self.channel_status {
            ChannelStatus::Connected => None,
            ChannelStatus::SyncLost => {
                Some(td_string!(locale, messaging.channel_sync_lost).to_owned())
            }
            ChannelStatus::Disconnected => {
                Some(td_string!(locale, messaging.channel_disconnected).to_owned())
            }
        }
    }

    /// Why a text reply cannot go out now (channel state, reply window), if it cannot, in
    /// `locale`.
    pub fn text_refusal(&self, locale: Locale, now: i64) -> Option<String> {
        if let Some(refusal) = self.channel_refusal(locale) {
            return Some(refusal);
        }
        let window = if self.window_closed {
            crate::channels::window::ReplyWindow::closed_for(self.channel_kind)
        } else {
            crate::channels::window::ReplyWindow::at(
                self.channel_kind,
                self.human_agent,
                self.last_inbound_at,
                now,
            )
        };
        window.refusal(locale, self.channel_kind)
    }
}

/// The conversation if the employee may use its channel; `NotFound` otherwise, so that
/// nothing tells them it exists.
pub async fn require_access(
    conn: &mut AnyConnection,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<AccessibleConversation> {
    let row = sqlx::query(
        "SELECT c.channel_id, c.status, c.last_inbound_at, c.window_closed, ch.kind, ch.status AS channel_status, ch.human_agent
           FROM conversations c
           JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = $1
           JOIN channels ch ON ch.id = c.channel_id
          WHERE c.id = $2",
    )
    .bind(employee.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        let locale = crate::locale::request_locale();
        StoreError::NotFound(td_string!(locale, messaging.not_found_conversation))
    })?;
    Ok(AccessibleConversation {
        channel_id: ChannelId(row.get("channel_id")),
        archived: row.get::<String, _>("status") == "archived",
        channel_kind: ChannelKind::parse(&row.get::<String, _>("kind"))
            .unwrap_or(ChannelKind::Sandbox),
        channel_status: ChannelStatus::parse(&row.get::<String, _>("channel_status")),
        human_agent: row.get::<i64, _>("human_agent") != 0,
        last_inbound_at: row.get("last_inbound_at"),
        window_closed: row.get::<i64, _>("window_closed") != 0,
    })
}

pub async fn ensure_access(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<AccessibleConversation> {
    let mut conn = db.read.acquire().await?;
    require_access(&mut conn, employee, id).await
}

/// The conversation of a contact on a channel, created when new. Returns its id and
/// whether it was archived.
pub async fn upsert_for_contact(
    conn: &mut AnyConnection,
    channel: ChannelId,
    contact_id: i64,
    now: i64,
) -> StoreResult<(ConversationId, bool)> {
    let existing: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM conversations WHERE channel_id = $1 AND contact_id = $2",
    )
    .bind(channel.0)
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id, status)) = existing {
        return Ok((ConversationId(id), status == "archived"));
    }
    let created = create_for_contacts(conn, [(channel, contact_id)], now).await?;
    Ok((created[0], false))
}

/// New open conversations with contacts that have none on their channels, in one
/// statement (a batch of new leads); their ids in the contacts' order.
pub async fn create_for_contacts(
    conn: &mut AnyConnection,
    contacts: impl IntoIterator<Item = (ChannelId, i64)>,
    now: i64,
) -> StoreResult<Vec<ConversationId>> {
    let contacts: Vec<(ChannelId, i64)> = contacts.into_iter().collect();
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = crate::store::SqlBuilder::new(
        "INSERT INTO conversations (channel_id, contact_id, status, last_message_at, created_at) VALUES ",
    );
    for (row, (channel, contact_id)) in contacts.iter().enumerate() {
        insert
            .push(if row == 0 { "(" } else { ", (" })
            .push_bind(channel.0)
            .push(", ")
            .push_bind(*contact_id)
            .push(", 'open', ")
            .push_bind(now)
            .push(", ")
            .push_bind(now)
            .push(")");
    }
    insert.push(" RETURNING id, contact_id");
    // RETURNING promises no order: each id goes back to its contact.
    let ids: HashMap<i64, i64> = insert
        .build()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| (row.get::<i64, _>(1), row.get::<i64, _>(0)))
        .collect();
    contacts
        .iter()
        .map(|(_, contact_id)| {
            ids.get(contact_id)
                .map(|&id| ConversationId(id))
                .ok_or_else(|| {
                    StoreError::Other(format!("no conversation created for contact {contact_id}"))
                })
        })
        .collect()
}

/// Appends a `conversation_updated` event carrying the conversation's state.
pub async fn status_event(
    conn: &mut AnyConnection,
    id: ConversationId,
    channel: ChannelId,
) -> StoreResult<LiveEvent> {
    let draft = status_draft(conn, id, channel).await?;
    events::append_drafts(conn, vec![draft])
        .await
        .map(|mut e| e.remove(0))
}

/// The conversation's state as an event, to append later ([`events::EventDraft`]).
pub async fn status_draft(
    conn: &mut AnyConnection,
    id: ConversationId,
    channel: ChannelId,
) -> StoreResult<events::EventDraft> {
    let row = sqlx::query(
        "SELECT c.status, c.archived_at, c.awaiting_reply, e.name AS archived_by
           FROM conversations c LEFT JOIN employees e ON e.id = c.archived_by WHERE c.id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    let payload = serde_json::json!({
        "status": row.get::<String, _>("status"),
        "archived_at": row.get::<Option<i64>, _>("archived_at"),
        "archived_by": row.get::<Option<String>, _>("archived_by"),
        "awaiting_reply": row.get::<i64, _>("awaiting_reply") != 0,
    });
    Ok(events::EventDraft {
        kind: EventKind::ConversationUpdated,
        conversation_id: id,
        channel_id: channel,
        payload,
    })
}

/// The history's note when sending a message reopened an archived conversation (stored
/// as written here, worded in the reader's language by [`audit_detail`]).
pub const REOPENED_BY_SENDING: &str = "by sending a message";

/// A history line's stored note as the reader sees it: Confab's own notes in their
/// language, the rest (a channel and an address, a client's name) as stored.
fn audit_detail(locale: Locale, detail: String) -> String {
    if detail == REOPENED_BY_SENDING {
        td_string!(locale, messaging.audit_reopened_by_sending).to_owned()
    } else {
        detail
    }
}

pub async fn audit(
    conn: &mut AnyConnection,
    employee: Option<EmployeeId>,
    action: &str,
    conversation: ConversationId,
    detail: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_entries (employee_id, action, conversation_id, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(employee.map(|e| e.0))
    .bind(action)
    .bind(conversation.0)
    .bind(detail)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Archives or reopens; a no-op (and no event) when it already is so.
pub async fn set_status(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
    status: ConversationStatus,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, employee, id).await?;
    if target.archived == (status == ConversationStatus::Archived) {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    match status {
        ConversationStatus::Archived => {
            sqlx::query("UPDATE conversations SET status = 'archived', archived_at = $2, archived_by = $3 WHERE id = $1")
                .bind(id.0)
                .bind(now_ms())
                .bind(employee.0)
                .execute(&mut *tx)
                .await?;
            // Dealt with: nobody's unread any more.
            sqlx::query("DELETE FROM unread_marks WHERE conversation_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, Some(employee), "archived", id, None).await?;
            tell_integrations(&mut tx, id, target.channel_id, employee, true).await?;
        }
        ConversationStatus::Open => {
            sqlx::query("UPDATE conversations SET status = 'open', archived_at = NULL, archived_by = NULL WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, Some(employee), "reopened", id, None).await?;
            tell_integrations(&mut tx, id, target.channel_id, employee, false).await?;
        }
    }
    let event = status_event(&mut tx, id, target.channel_id).await?;
    tx.commit().await?;
    Ok(vec![event])
}

/// `conversation_archived` / `conversation_reopened` (by an employee) to integrations, in
/// the change's transaction.
pub async fn tell_integrations(
    conn: &mut AnyConnection,
    id: ConversationId,
    channel: ChannelId,
    employee: EmployeeId,
    archived: bool,
) -> StoreResult<()> {
    use crate::integrations::IntegrationEvent;
    let event = if archived {
        IntegrationEvent::ConversationArchived
    } else {
        IntegrationEvent::ConversationReopened
    };
    crate::integrations::outbox::enqueue(
        conn,
        event,
        serde_json::json!({
            "conversation_id": id.0,
            "channel_id": channel.0,
            "by": "employee",
            "employee_id": employee.0,
        }),
    )
    .await
}

/// What reading a conversation changed.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// The reader's own `read_state_updated` (none when nothing was unread for them).
    pub events: Vec<LiveEvent>,
    /// Nobody had seen the lead's newest messages before: the lead's app may be told.
    pub first_seen: bool,
}

/// The employee has read the conversation: their own unread count drops to zero (the
/// others' stay). The first employee to read the lead's newest messages is the one whose
/// reading the lead's app hears of ([`ReadOutcome::first_seen`]).
pub async fn mark_read(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<ReadOutcome> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, employee, id).await?;
    let mine = forget_unread(&mut tx, employee, id).await?;
    let first =
        sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1 AND unread_count > 0")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    let mut outcome = ReadOutcome {
        events: Vec::new(),
        first_seen: first.rows_affected() > 0,
    };
    if mine {
        outcome.events = read_state_event(&mut tx, employee, id, target.channel_id, 0).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Marks a conversation unread again for this employee alone (one unread message); a
/// no-op (and no event) when it already is unread for them.
pub async fn mark_unread(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, employee, id).await?;
    let added = sqlx::query(
        "INSERT INTO unread_marks (employee_id, conversation_id, channel_id, unread_count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (employee_id, conversation_id) DO NOTHING",
    )
    .bind(employee.0)
    .bind(id.0)
    .bind(target.channel_id.0)
    .execute(&mut *tx)
    .await?;
    let events = if added.rows_affected() > 0 {
        read_state_event(&mut tx, employee, id, target.channel_id, 1).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(events)
}

/// Adds a lead's new messages to the unread count of every active employee who may use
/// the conversation's channel, each their own: `(conversation, channel, messages)`, in one
/// statement for a whole batch.
pub async fn add_unread(
    conn: &mut AnyConnection,
    changes: &[(ConversationId, ChannelId, i64)],
) -> StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut sql =
        crate::store::SqlBuilder::new("WITH changes (id, channel_id, unread) AS (VALUES ");
    for (row, (conversation, channel, unread)) in changes.iter().enumerate() {
        sql.push(if row == 0 { "(" } else { ", (" })
            .push_bind(conversation.0)
            .push(", ")
            .push_bind(channel.0)
            .push(", ")
            .push_bind(*unread)
            .push(")");
    }
    // SQLite needs the WHERE before an upsert that follows a join.
    sql.push(
        ")
        INSERT INTO unread_marks (employee_id, conversation_id, channel_id, unread_count)
        SELECT a.employee_id, changes.id, changes.channel_id, changes.unread
          FROM changes
          JOIN channel_access a ON a.channel_id = changes.channel_id
          JOIN employees e ON e.id = a.employee_id AND e.active = 1
         WHERE changes.unread > 0
        ON CONFLICT (employee_id, conversation_id)
        DO UPDATE SET unread_count = unread_marks.unread_count + excluded.unread_count",
    );
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

/// The employee has read the conversation (opened it, or answered in it): their own
/// unread count goes. Whether there was one.
pub async fn forget_unread(
    conn: &mut AnyConnection,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<bool> {
    let gone =
        sqlx::query("DELETE FROM unread_marks WHERE employee_id = $1 AND conversation_id = $2")
            .bind(employee.0)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    Ok(gone.rows_affected() > 0)
}

/// The employee's own `read_state_updated`, appended in the change's transaction.
async fn read_state_event(
    conn: &mut AnyConnection,
    employee: EmployeeId,
    id: ConversationId,
    channel: ChannelId,
    unread_count: i64,
) -> StoreResult<Vec<LiveEvent>> {
    events::append_drafts(
        conn,
        vec![events::EventDraft {
            kind: EventKind::ReadStateUpdated,
            conversation_id: id,
            channel_id: channel,
            payload: serde_json::json!({ "employee_id": employee.0, "unread_count": unread_count }),
        }],
    )
    .await
}

/// The team has dealt with the lead's last message without a reply that went out (the
/// reply failed, or none is needed): the conversation stops awaiting a reply. A no-op (and
/// no event) when it was not awaiting one; recorded in the history.
pub async fn mark_handled(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, employee, id).await?;
    let changed = sqlx::query(
        "UPDATE conversations SET awaiting_reply = 0 WHERE id = $1 AND awaiting_reply = 1",
    )
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    audit(&mut tx, Some(employee), "marked_handled", id, None).await?;
    let event = status_event(&mut tx, id, target.channel_id).await?;
    tx.commit().await?;
    Ok(vec![event])
}

/// Whether any open conversation the employee may see is unread or awaiting a reply.
pub async fn attention(db: &Db, employee: EmployeeId) -> StoreResult<super::InboxAttention> {
    // The employee's own unread rows, then whether anything awaits the team's reply (the
    // partial index holds only those).
    // Counted from the index alone (an employee's rows, by channel).
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM unread_marks u
                 WHERE u.employee_id = $1
                   AND u.channel_id IN (SELECT a.channel_id FROM channel_access a WHERE a.employee_id = $1)) AS unread,
                (SELECT COUNT(*) FROM (SELECT 1 FROM conversations c
                  JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = $1
                 WHERE c.status = 'open' AND c.awaiting_reply = 1 LIMIT 1) w) AS awaiting",
    )
    .bind(employee.0)
    .fetch_one(&db.read)
    .await?;
    let unread: i64 = row.get("unread");
    Ok(super::InboxAttention {
        needs_attention: unread > 0 || row.get::<i64, _>("awaiting") > 0,
        unread_conversations: unread,
    })
}

/// One conversation's row, when the employee may use its channel.
pub async fn summary(
    db: &Db,
    employee: EmployeeId,
    id: ConversationId,
) -> StoreResult<Option<ConversationSummary>> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE c.id = $2");
    let row = sqlx::query(&sql)
        .bind(employee.0)
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?;
    let locale = crate::locale::request_locale();
    Ok(row.as_ref().map(|r| row_to_summary(locale, db.country, r)))
}

/// A client's conversations on the channels the employee may use, newest first.
pub async fn of_client(
    db: &Db,
    employee: EmployeeId,
    client: crate::ids::ClientId,
) -> StoreResult<Vec<ConversationSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}
          WHERE ct.client_id = $2 ORDER BY c.last_message_at DESC LIMIT 50"
    );
    let rows = sqlx::query(&sql)
        .bind(employee.0)
        .bind(client.0)
        .fetch_all(&db.read)
        .await?;
    let locale = crate::locale::request_locale();
    Ok(rows
        .iter()
        .map(|r| row_to_summary(locale, db.country, r))
        .collect())
}

/// Conversations the employee may see with a phone number: its contacts' (by phone or
/// identity, as SMS and WhatsApp know them) and the client's.
pub async fn of_phone(
    db: &Db,
    employee: EmployeeId,
    phone: &str,
    client: Option<i64>,
) -> StoreResult<Vec<ConversationSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}
          WHERE ct.phone = $2 OR ct.external_id = $2 OR ct.external_id = $3 OR ct.client_id = $4
          ORDER BY c.last_message_at DESC LIMIT 20"
    );
    let rows = sqlx::query(&sql)
        .bind(employee.0)
        .bind(phone)
        .bind(phone.trim_start_matches('+'))
        .bind(client)
        .fetch_all(&db.read)
        .await?;
    let locale = crate::locale::request_locale();
    Ok(rows
        .iter()
        .map(|r| row_to_summary(locale, db.country, r))
        .collect())
}

/// The conversation of a contact, looked up by the contact's identity on a channel.
pub async fn of_contact(
    db: &Db,
    channel: ChannelId,
    external_id: &str,
) -> StoreResult<Option<ConversationId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
          WHERE ct.channel_id = $1 AND ct.external_id = $2",
    )
    .bind(channel.0)
    .bind(external_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(id.map(ConversationId))
}

/// Whether a contact still lacks what its channel's profile would tell (a name; an
/// Instagram username): asked once, then kept.
pub async fn contact_needs_profile(
    db: &Db,
    channel: ChannelId,
    external_id: &str,
    kind: ChannelKind,
) -> StoreResult<bool> {
    let key = (channel.0, external_id.to_owned());
    if db.profiled_contacts.knows(&key) {
        return Ok(false);
    }
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT name, username FROM contacts WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel.0)
    .bind(external_id)
    .fetch_optional(&db.read)
    .await?;
    let needs = match row {
        Some((name, username)) => {
            name.is_none() || (kind == ChannelKind::Instagram && username.is_none())
        }
        None => return Ok(false),
    };
    if !needs {
        db.profiled_contacts.remember(key);
    }
    Ok(needs)
}

/// The most contacts [`ProfiledContacts`] keeps before it starts over.
const PROFILED_CONTACTS_KEPT: usize = 100_000;

/// Contacts known to have their profile, as (channel, provider id), so that a webhook does
/// not read the contact again for each of their messages. What it keeps stays true: a
/// profile is only ever completed (`set_contact_profile` keeps what is known) and contacts
/// are never deleted. Forgotten all at once when full.
#[derive(Debug, Default)]
pub struct ProfiledContacts(std::sync::Mutex<std::collections::HashSet<(i64, String)>>);

impl ProfiledContacts {
    fn knows(&self, key: &(i64, String)) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    fn remember(&self, key: (i64, String)) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= PROFILED_CONTACTS_KEPT {
            known.clear();
        }
        known.insert(key);
    }
}

/// Stores a lead's profile (keeping what is known) and tells the team's lists.
pub async fn set_contact_profile(
    db: &Db,
    channel: ChannelId,
    external_id: &str,
    name: Option<&str>,
    username: Option<&str>,
) -> StoreResult<Vec<LiveEvent>> {
    let clean = |v: Option<&str>| {
        v.map(|s| s.trim().chars().take(120).collect::<String>())
            .filter(|s| !s.is_empty())
    };
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "UPDATE contacts SET name = COALESCE(name, $3), username = COALESCE(username, $4), updated_at = $5
          WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel.0)
    .bind(external_id)
    .bind(clean(name))
    .bind(clean(username))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let conversation: Option<i64> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
          WHERE ct.channel_id = $1 AND ct.external_id = $2",
    )
    .bind(channel.0)
    .bind(external_id)
    .fetch_optional(&mut *tx)
    .await?;
    let mut out = Vec::new();
    if let Some(id) = conversation {
        out.push(status_event(&mut tx, ConversationId(id), channel).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// What a provider needs to mark the conversation's messages as seen by the business.
pub async fn read_receipt(
    db: &Db,
    id: ConversationId,
) -> StoreResult<Option<crate::state::ReadReceipt>> {
    let row = sqlx::query(
        "SELECT c.channel_id, ct.external_id,
                (SELECT m.provider_id FROM messages m
                  WHERE m.conversation_id = c.id AND m.direction = 'inbound'
                  ORDER BY m.id DESC LIMIT 1) AS last_inbound
           FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1",
    )
    .bind(id.0)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|r| crate::state::ReadReceipt {
        channel_id: ChannelId(r.get("channel_id")),
        contact_external_id: r.get("external_id"),
        last_inbound_provider_id: r.get("last_inbound"),
    }))
}

/// The provider refused a reply for its window: lock the composer until the lead writes.
pub async fn mark_window_closed(db: &Db, id: ConversationId) -> StoreResult<()> {
    sqlx::query("UPDATE conversations SET window_closed = 1 WHERE id = $1")
        .bind(id.0)
        .execute(&db.write)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lead without a name needs its profile each time it is asked; once it has one, the
    /// answer is kept, and the webhook reads the row no more.
    #[tokio::test]
    async fn a_profiled_contact_is_not_read_again() {
        let (db, dir) = crate::store::temp_db("profiled").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Messenger, "P", "p-1")
            .await
            .unwrap();
        let lead = crate::messages::store::InboundMessage {
            contact_external_id: "psid-1".into(),
            provider_id: "m-1".into(),
            body: "hi".into(),
            ..Default::default()
        };
        crate::messages::store::record_inbound(&db, channel, &lead)
            .await
            .unwrap();
        let key = (channel.0, "psid-1".to_string());
        for _ in 0..2 {
            assert!(
                contact_needs_profile(&db, channel, "psid-1", ChannelKind::Messenger)
                    .await
                    .unwrap()
            );
        }
        assert!(!db.profiled_contacts.knows(&key));
        set_contact_profile(&db, channel, "psid-1", Some("Ana"), None)
            .await
            .unwrap();
        assert!(
            !contact_needs_profile(&db, channel, "psid-1", ChannelKind::Messenger)
                .await
                .unwrap()
        );
        assert!(db.profiled_contacts.knows(&key));
        // Kept: the row is not read (it would say the same).
        db.close().await;
        assert!(
            !contact_needs_profile(&db, channel, "psid-1", ChannelKind::Messenger)
                .await
                .unwrap()
        );
        // Bounded: full, it starts over.
        for i in 0..PROFILED_CONTACTS_KEPT {
            db.profiled_contacts.remember((-1, i.to_string()));
        }
        assert!(!db.profiled_contacts.knows(&key));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A word finds the longer words it begins, until the word itself is in more messages
    /// than a search reads: then it matches itself, newest first (`push_fts_match`).
    #[tokio::test]
    async fn a_search_word_matches_longer_words_until_it_alone_fills_the_reach() {
        let (db, dir) = crate::store::temp_db("search-reach").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Messenger, "S", "s-1")
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO roles (id, name, permissions, is_owner, created_at) VALUES (1, 'Owner', 'conversations', 1, 0);
             INSERT INTO employees (id, email, name, password_hash, role_id, created_at) VALUES (1, 'o@x', 'O', '-', 1, 0)",
        )
        .execute(&db.write)
        .await
        .unwrap();
        crate::channels::store::grant_access(&db, channel, EmployeeId(1))
            .await
            .unwrap();
        let write = |lead: &str, body: &str| crate::messages::store::InboundMessage {
            contact_external_id: lead.into(),
            provider_id: format!("{lead}-{body}"),
            body: body.into(),
            ..Default::default()
        };
        let search = |text: &str| {
            let (db, filter) = (
                db.clone(),
                ListFilter {
                    query: Some(text.into()),
                    ..ListFilter::default()
                },
            );
            async move {
                let page = list(
                    &db,
                    EmployeeId(1),
                    ConversationStatus::Open,
                    &filter,
                    None,
                    50,
                )
                .await
                .unwrap();
                let mut names: Vec<String> =
                    page.items.into_iter().map(|c| c.contact_name).collect();
                names.sort();
                names
            }
        };
        for (lead, body) in [
            ("bob", "two scooters"),
            ("carl", "bicycles?"),
            ("filler", "a bicycle"),
        ] {
            crate::messages::store::record_inbound(&db, channel, &write(lead, body))
                .await
                .unwrap();
        }
        let before_the_reach = search("bicycle").await;
        // The word alone in as many messages as a search reads, all older than Ana's.
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {SEARCH_MESSAGE_CAP})
             INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at, sent_at)
             SELECT m.conversation_id, m.channel_id, 'inbound', 'fill-' || i, 'the bicycle ' || i, 'received', 0, 0
               FROM n, messages m WHERE m.provider_id = 'filler-a bicycle'"
        ))
        .execute(&db.write)
        .await
        .unwrap();
        crate::messages::store::record_inbound(&db, channel, &write("ana", "bicycles for rent?"))
            .await
            .unwrap();

        assert_eq!(
            before_the_reach,
            ["carl", "filler"],
            "a rare word finds longer words"
        );
        assert_eq!(
            search("scooter").await,
            ["bob"],
            "a rare word finds longer words"
        );
        assert_eq!(
            search("bicycl").await,
            ["ana", "filler"],
            "the beginning of a word"
        );
        assert_eq!(search("bicycles").await, ["ana", "carl"]);
        assert_eq!(
            search("bicycle").await,
            ["filler"],
            "a word in {SEARCH_MESSAGE_CAP} messages matches itself only"
        );
        assert_eq!(search("bicycle scooters").await, Vec::<String>::new());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn previews_fold_whitespace_and_cut_long_text() {
        assert_eq!(preview_of(Some("a\n\nb  c".into())).unwrap(), "a b c");
        let long = "x".repeat(500);
        let cut = preview_of(Some(long)).unwrap();
        assert_eq!(cut.chars().count(), PREVIEW_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(preview_of(None), None);
    }

    #[test]
    fn files_and_notes_are_worded_in_the_readers_language() {
        assert_eq!(attachment_preview(Locale::en, "image"), "📷 Photo");
        assert_eq!(attachment_preview(Locale::en, "document"), "📎 File");
        assert_eq!(
            attachment_preview(Locale::pt_BR, "location"),
            "📍 Localização"
        );
        assert_eq!(
            audit_detail(Locale::en, REOPENED_BY_SENDING.into()),
            REOPENED_BY_SENDING
        );
        assert_eq!(
            audit_detail(Locale::pt_BR, REOPENED_BY_SENDING.into()),
            "ao enviar uma mensagem"
        );
        assert_eq!(
            audit_detail(Locale::pt_BR, "SMS · +5511987654321".into()),
            "SMS · +5511987654321"
        );
    }
}
