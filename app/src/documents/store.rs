//! Document rows. A document made from a conversation is seen only by employees who may
//! use that conversation's channel; one made otherwise, by those with Documents. Every
//! query that returns documents filters with [`visible_sql`]; the client named beside a
//! document is shown only when the employee sees that client.

use super::{Call, Document, DocumentKind, DocumentRow};
use crate::events::LiveEvent;
use crate::ids::{ClientId, ConversationId, DocumentId, EmployeeId};
use crate::store::{now_ms, Db, StoreResult};
use sqlx::Row;

fn row_to_document(r: &sqlx::any::AnyRow) -> Document {
    Document {
        id: DocumentId(r.get("id")),
        kind: DocumentKind::parse(&r.get::<String, _>("kind")).unwrap_or(DocumentKind::Lead),
        number: r.get("number"),
        status: r.get("status"),
        title: r.get("title"),
        amount_cents: r.get("amount_cents"),
        currency: r.get("currency"),
        created_at: r.get("created_at"),
    }
}

/// SQL true when the document aliased `document` is visible to the employee whose id is
/// the parameter `employee`: its conversation is on a channel they may use, or — with
/// `documents_permission` — it was not made from a conversation. Aliases and
/// placeholders only, never input.
pub fn visible_sql(document: &str, employee: &str, documents_permission: bool) -> String {
    let untied = if documents_permission {
        format!("{document}.conversation_id IS NULL OR ")
    } else {
        String::new()
    };
    format!(
        "({untied}EXISTS (SELECT 1 FROM conversations dc
                   JOIN channel_access dca ON dca.channel_id = dc.channel_id AND dca.employee_id = {employee}
                  WHERE dc.id = {document}.conversation_id))"
    )
}

/// The newest 50 documents of a client the employee may read (`documents_permission`:
/// whether they hold Documents).
pub async fn of_client(
    db: &Db,
    employee: EmployeeId,
    documents_permission: bool,
    client: ClientId,
) -> StoreResult<Vec<Document>> {
    let rows = sqlx::query(&format!(
        "SELECT d.id, d.kind, d.number, d.status, d.title, d.amount_cents, d.currency, d.created_at
           FROM documents d
          WHERE d.client_id = $1 AND {}
          ORDER BY d.created_at DESC, d.id DESC LIMIT 50",
        visible_sql("d", "$2", documents_permission)
    ))
    .bind(client.0)
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_document).collect())
}

/// The newest 50 documents made from a conversation (the caller checked the employee may
/// use it).
pub async fn of_conversation(db: &Db, conversation: ConversationId) -> StoreResult<Vec<Document>> {
    let rows = sqlx::query(
        "SELECT id, kind, number, status, title, amount_cents, currency, created_at FROM documents
          WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50",
    )
    .bind(conversation.0)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_document).collect())
}

/// Creates a document linked to the conversation and its client (if linked); numbers are
/// the kind's prefix and the next free number, assigned in the same transaction.
pub async fn create_from_conversation(
    db: &Db,
    employee: EmployeeId,
    conversation: ConversationId,
    kind: DocumentKind,
    title: &str,
    amount_cents: i64,
) -> StoreResult<(Document, Vec<LiveEvent>)> {
    let mut tx = db.write.begin().await?;
    let target =
        crate::conversations::store::require_access(&mut tx, employee, conversation).await?;
    let client: Option<i64> = sqlx::query_scalar(
        "SELECT ct.client_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1",
    )
    .bind(conversation.0)
    .fetch_one(&mut *tx)
    .await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE kind = $1")
        .bind(kind.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let now = now_ms();
    let mut next = 1001 + count;
    let id: i64 = loop {
        let number = format!("{}-{next:04}", kind.prefix());
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO documents (kind, number, status, title, amount_cents, client_id, conversation_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, number) DO NOTHING RETURNING id",
        )
        .bind(kind.as_str())
        .bind(&number)
        .bind(kind.first_status())
        .bind(title)
        .bind(amount_cents)
        .bind(client)
        .bind(conversation.0)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        match inserted {
            Some(id) => break id,
            None => next += 1,
        }
    };
    let detail = format!("{} {}-{next:04}", kind.label(), kind.prefix());
    crate::conversations::store::audit(
        &mut tx,
        Some(employee),
        "document_created",
        conversation,
        Some(&detail),
    )
    .await?;
    let event =
        crate::conversations::store::status_event(&mut tx, conversation, target.channel_id).await?;
    let row = sqlx::query("SELECT id, kind, number, status, title, amount_cents, currency, created_at FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((row_to_document(&row), vec![event]))
}

/// A listed document's columns; `cl` is its client when the employee sees that client.
const ROW_COLUMNS: &str =
    "d.id, d.kind, d.number, d.status, d.title, d.amount_cents, d.currency, d.created_at,
       cl.id AS client_id, d.conversation_id, cl.name AS client_name,
       (SELECT p.phone FROM client_phones p WHERE p.client_id = cl.id ORDER BY p.id LIMIT 1) AS client_phone";

/// Documents (`d`) with their client (`cl`) when the employee (parameter `$1`, who holds
/// Documents) sees that client.
fn rows_from() -> String {
    format!(
        "FROM documents d LEFT JOIN clients cl ON cl.id = d.client_id AND {}",
        crate::clients::store::visible_sql("cl", "$1", true)
    )
}

/// A listed document's row, its client's number shown as `country`'s business reads it.
fn row_to_listed(r: &sqlx::any::AnyRow, country: crate::phone::Country) -> DocumentRow {
    let client_phone: Option<String> = r.get("client_phone");
    DocumentRow {
        document: row_to_document(r),
        client_id: r.get::<Option<i64>, _>("client_id").map(ClientId),
        client_name: r.get("client_name"),
        client_phone_display: crate::phone::display_opt(client_phone.as_deref(), country),
        client_phone,
        conversation_id: r
            .get::<Option<i64>, _>("conversation_id")
            .map(ConversationId),
    }
}

/// A kind's documents the employee (who holds Documents) may read, newest first.
pub async fn list(
    db: &Db,
    employee: EmployeeId,
    kind: DocumentKind,
    text: &str,
) -> StoreResult<Vec<DocumentRow>> {
    let like = db.backend.ilike();
    let sql = format!(
        "SELECT {ROW_COLUMNS} {}
          WHERE d.kind = $2 AND (d.number {like} $3 ESCAPE '\\' OR d.title {like} $3 ESCAPE '\\' OR cl.name {like} $3 ESCAPE '\\')
            AND {}
          ORDER BY d.created_at DESC, d.id DESC LIMIT 200",
        rows_from(),
        visible_sql("d", "$1", true)
    );
    let rows = sqlx::query(&sql)
        .bind(employee.0)
        .bind(kind.as_str())
        .bind(crate::store::like_pattern(text))
        .fetch_all(&db.read)
        .await?;
    Ok(rows.iter().map(|r| row_to_listed(r, db.country)).collect())
}

/// One document, when the employee (who holds Documents) may read it.
pub async fn by_id(
    db: &Db,
    employee: EmployeeId,
    id: DocumentId,
) -> StoreResult<Option<DocumentRow>> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} {} WHERE d.id = $2 AND {}",
        rows_from(),
        visible_sql("d", "$1", true)
    );
    Ok(sqlx::query(&sql)
        .bind(employee.0)
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?
        .as_ref()
        .map(|r| row_to_listed(r, db.country)))
}

/// Calls, newest first, naming their client when the employee (who holds Documents) sees it.
pub async fn calls(db: &Db, employee: EmployeeId, text: &str) -> StoreResult<Vec<Call>> {
    let like = db.backend.ilike();
    let rows = sqlx::query(&format!(
        "SELECT k.id, cl.id AS client_id, cl.name AS client_name, k.phone, k.direction, k.started_at, k.duration_seconds, k.notes
           FROM calls k LEFT JOIN clients cl ON cl.id = k.client_id AND {}
          WHERE k.phone LIKE $2 ESCAPE '\\' OR cl.name {like} $2 ESCAPE '\\' OR k.notes {like} $2 ESCAPE '\\'
          ORDER BY k.started_at DESC LIMIT 200",
        crate::clients::store::visible_sql("cl", "$1", true)
    ))
    .bind(employee.0)
    .bind(crate::store::like_pattern(text))
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Call {
            id: r.get("id"),
            client_id: r.get::<Option<i64>, _>("client_id").map(ClientId),
            client_name: r.get("client_name"),
            phone_display: crate::phone::display(&r.get::<String, _>("phone"), db.country),
            phone: r.get("phone"),
            inbound: r.get::<String, _>("direction") == "inbound",
            started_at: r.get("started_at"),
            duration_seconds: r.get("duration_seconds"),
            notes: r.get("notes"),
        })
        .collect())
}
