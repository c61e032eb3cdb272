//! Document rows. A document made from a conversation is seen only by employees who may
//! use that conversation's channel; one made otherwise, by those with Documents. Every
//! query that returns documents filters with [`visible_sql`]; the client named beside a
//! document is shown only when the employee sees that client.

use super::{Document, DocumentKind, DocumentRow};
use crate::events::LiveEvent;
use crate::ids::{ClientId, ConversationId, DocumentId, EmployeeId};
use crate::store::{now_ms, Db, StoreError, StoreResult};
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
        updated_at: r.get("updated_at"),
        source_document_id: r
            .get::<Option<i64>, _>("source_document_id")
            .map(DocumentId),
    }
}

/// A document's own columns, for [`row_to_document`].
const DOC_COLUMNS: &str = "id, kind, number, status, title, amount_cents, currency, created_at, updated_at, source_document_id";

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
        "SELECT d.id, d.kind, d.number, d.status, d.title, d.amount_cents, d.currency, d.created_at, d.updated_at, d.source_document_id
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
    let rows = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM documents
          WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50"
    ))
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
    let new = NewDocument {
        kind,
        title: title.to_owned(),
        amount_cents,
        status: kind.first_status().to_owned(),
        client_id: client.map(ClientId),
    };
    let document = insert_numbered(&mut tx, &new, Some(conversation), None).await?;
    let next = &document.number;
    let detail = format!("{} {next}", kind.label());
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
    tx.commit().await?;
    Ok((document, vec![event]))
}

/// A listed document's columns; `cl` is its client when the employee sees that client.
const ROW_COLUMNS: &str =
    "d.id, d.kind, d.number, d.status, d.title, d.amount_cents, d.currency, d.created_at, d.updated_at, d.source_document_id,
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
        converted_into: Vec::new(),
        source_number: None,
    }
}

/// Which documents a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<DocumentKind>,
    pub status: Option<String>,
    pub client: Option<ClientId>,
    /// Only documents changed at or after this (unix ms).
    pub updated_since: Option<i64>,
    /// Matched in the number, title or client's name.
    pub text: String,
    /// Keyset cursor: only documents before this (created_at, id), newest first.
    pub before: Option<(i64, i64)>,
}

/// Documents the employee (who holds Documents) may read, newest first, at most `limit`.
pub async fn list(
    db: &Db,
    employee: EmployeeId,
    filter: &ListFilter,
    limit: i64,
) -> StoreResult<Vec<DocumentRow>> {
    let like = db.backend.ilike();
    let (before_at, before_id) = filter.before.unwrap_or((i64::MAX, i64::MAX));
    let sql = format!(
        "SELECT {ROW_COLUMNS} {}
          WHERE ($2 = '' OR d.kind = $2) AND ($3 = '' OR d.status = $3)
            AND ($4 = 0 OR d.client_id = $4) AND d.updated_at >= $5
            AND (d.created_at < $6 OR (d.created_at = $6 AND d.id < $7))
            AND ($8 = '%%' OR d.number {like} $8 ESCAPE '\\' OR d.title {like} $8 ESCAPE '\\' OR cl.name {like} $8 ESCAPE '\\')
            AND {}
          ORDER BY d.created_at DESC, d.id DESC LIMIT $9",
        rows_from(),
        visible_sql("d", "$1", true)
    );
    let rows = sqlx::query(&sql)
        .bind(employee.0)
        .bind(filter.kind.map(|k| k.as_str()).unwrap_or(""))
        .bind(filter.status.as_deref().unwrap_or(""))
        .bind(filter.client.map(|c| c.0).unwrap_or(0))
        .bind(filter.updated_since.unwrap_or(i64::MIN))
        .bind(before_at)
        .bind(before_id)
        .bind(crate::store::like_pattern(&filter.text))
        .bind(limit)
        .fetch_all(&db.read)
        .await?;
    Ok(rows.iter().map(|r| row_to_listed(r, db.country)).collect())
}

/// A page of a client's documents (the employee holds Documents), newest first.
pub async fn of_client_page(
    db: &Db,
    employee: EmployeeId,
    client: ClientId,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Document>> {
    let rows = sqlx::query(&format!(
        "SELECT d.id, d.kind, d.number, d.status, d.title, d.amount_cents, d.currency, d.created_at, d.updated_at, d.source_document_id
           FROM documents d
          WHERE d.client_id = $1 AND {}
          ORDER BY d.created_at DESC, d.id DESC LIMIT $3 OFFSET $4",
        visible_sql("d", "$2", true)
    ))
    .bind(client.0)
    .bind(employee.0)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_document).collect())
}

/// A document's fields, validated (see `super::check_input`).
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub title: String,
    pub amount_cents: i64,
    pub status: String,
    pub client_id: Option<ClientId>,
}

fn client_hidden() -> StoreError {
    StoreError::Invalid {
        field: "client_id",
        message: crate::i18n::td_string!(crate::locale::request_locale(), documents.client_hidden)
            .to_owned(),
    }
}

fn document_not_found() -> StoreError {
    StoreError::NotFound(crate::i18n::td_string!(
        crate::locale::request_locale(),
        account.what_document
    ))
}

/// Refuses a client the employee does not see.
async fn require_client(
    conn: &mut sqlx::AnyConnection,
    employee: EmployeeId,
    client: Option<ClientId>,
) -> StoreResult<()> {
    let Some(client) = client else {
        return Ok(());
    };
    let seen: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT cl.id FROM clients cl WHERE cl.id = $2 AND {}",
        crate::clients::store::visible_sql("cl", "$1", true)
    ))
    .bind(employee.0)
    .bind(client.0)
    .fetch_optional(&mut *conn)
    .await?;
    seen.map(|_| ()).ok_or_else(client_hidden)
}

/// The payload of a document's integration events.
pub fn document_json(
    d: &Document,
    client: Option<ClientId>,
    conversation: Option<i64>,
) -> serde_json::Value {
    serde_json::json!({
        "id": d.id.0,
        "kind": d.kind.as_str(),
        "number": d.number,
        "status": d.status,
        "title": d.title,
        "amount_cents": d.amount_cents,
        "currency": d.currency,
        "client_id": client.map(|c| c.0),
        "conversation_id": conversation,
        "source_document_id": d.source_document_id.map(|s| s.0),
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

/// Inserts a document with the kind's next free number and queues DocumentCreated.
async fn insert_numbered(
    conn: &mut sqlx::AnyConnection,
    new: &NewDocument,
    conversation: Option<ConversationId>,
    source: Option<DocumentId>,
) -> StoreResult<Document> {
    let kind = new.kind;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE kind = $1")
        .bind(kind.as_str())
        .fetch_one(&mut *conn)
        .await?;
    let now = now_ms();
    let mut next = 1001 + count;
    let id: i64 = loop {
        let number = format!("{}-{next:04}", kind.prefix());
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO documents (kind, number, status, title, amount_cents, client_id, conversation_id, created_at, updated_at, source_document_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (kind, number) DO NOTHING RETURNING id",
        )
        .bind(kind.as_str())
        .bind(&number)
        .bind(&new.status)
        .bind(&new.title)
        .bind(new.amount_cents)
        .bind(new.client_id.map(|c| c.0))
        .bind(conversation.map(|c| c.0))
        .bind(now)
        .bind(source.map(|s| s.0))
        .fetch_optional(&mut *conn)
        .await?;
        match inserted {
            Some(id) => break id,
            None => next += 1,
        }
    };
    let row = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM documents WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let document = row_to_document(&row);
    crate::integrations::outbox::enqueue(
        conn,
        crate::integrations::IntegrationEvent::DocumentCreated,
        document_json(&document, new.client_id, conversation.map(|c| c.0)),
    )
    .await?;
    Ok(document)
}

/// Creates a document not made from a conversation (or converted: `source`), after
/// checking the employee sees its client.
pub async fn create(
    db: &Db,
    employee: EmployeeId,
    new: &NewDocument,
    conversation: Option<ConversationId>,
    source: Option<DocumentId>,
) -> StoreResult<Document> {
    let mut tx = db.write.begin().await?;
    require_client(&mut tx, employee, new.client_id).await?;
    let document = insert_numbered(&mut tx, new, conversation, source).await?;
    tx.commit().await?;
    Ok(document)
}

/// Edits a document the employee (who holds Documents) may read; queues DocumentUpdated,
/// and DocumentStatusChanged when the status changed.
pub async fn update(
    db: &Db,
    employee: EmployeeId,
    id: DocumentId,
    new: &NewDocument,
) -> StoreResult<Document> {
    let mut tx = db.write.begin().await?;
    let visible: Option<(String, Option<i64>, Option<i64>)> = sqlx::query(&format!(
        "SELECT d.status, d.client_id, d.conversation_id FROM documents d WHERE d.id = $2 AND {}",
        visible_sql("d", "$1", true)
    ))
    .bind(employee.0)
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| {
        (
            r.get("status"),
            r.get("client_id"),
            r.get("conversation_id"),
        )
    });
    let (old_status, old_client, conversation) = visible.ok_or_else(document_not_found)?;
    if new.client_id.map(|c| c.0) != old_client {
        require_client(&mut tx, employee, new.client_id).await?;
    }
    sqlx::query(
        "UPDATE documents SET title = $1, amount_cents = $2, status = $3, client_id = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&new.title)
    .bind(new.amount_cents)
    .bind(&new.status)
    .bind(new.client_id.map(|c| c.0))
    .bind(now_ms())
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM documents WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_one(&mut *tx)
    .await?;
    let document = row_to_document(&row);
    let mut data = document_json(&document, new.client_id, conversation);
    crate::integrations::outbox::enqueue(
        &mut tx,
        crate::integrations::IntegrationEvent::DocumentUpdated,
        data.clone(),
    )
    .await?;
    if old_status != new.status {
        data["previous_status"] = serde_json::Value::String(old_status);
        crate::integrations::outbox::enqueue(
            &mut tx,
            crate::integrations::IntegrationEvent::DocumentStatusChanged,
            data,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(document)
}

/// Deletes a document the employee (who holds Documents) may read.
pub async fn delete(db: &Db, employee: EmployeeId, id: DocumentId) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    let deleted = sqlx::query(&format!(
        "DELETE FROM documents WHERE id = $2 AND EXISTS (SELECT 1 FROM documents d WHERE d.id = $2 AND {})",
        visible_sql("d", "$1", true)
    ))
    .bind(employee.0)
    .bind(id.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(document_not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// Converts an estimate into a work order or a work order into an invoice: same title,
/// amount, client and conversation; the new one names its source.
pub async fn convert(db: &Db, employee: EmployeeId, id: DocumentId) -> StoreResult<Document> {
    let mut tx = db.write.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT d.kind, d.title, d.amount_cents, d.client_id, d.conversation_id FROM documents d WHERE d.id = $2 AND {}",
        visible_sql("d", "$1", true)
    ))
    .bind(employee.0)
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(document_not_found)?;
    let kind = DocumentKind::parse(&row.get::<String, _>("kind")).unwrap_or(DocumentKind::Lead);
    let Some(target) = kind.converts_to() else {
        return Err(StoreError::Invalid {
            field: "kind",
            message: crate::i18n::td_string!(
                crate::locale::request_locale(),
                documents.not_convertible
            )
            .to_owned(),
        });
    };
    let new = NewDocument {
        kind: target,
        title: row.get("title"),
        amount_cents: row.get("amount_cents"),
        status: target.first_status().to_owned(),
        client_id: row.get::<Option<i64>, _>("client_id").map(ClientId),
    };
    let conversation = row
        .get::<Option<i64>, _>("conversation_id")
        .map(ConversationId);
    let document = insert_numbered(&mut tx, &new, conversation, Some(id)).await?;
    tx.commit().await?;
    Ok(document)
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
    let Some(mut row) = sqlx::query(&sql)
        .bind(employee.0)
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?
        .as_ref()
        .map(|r| row_to_listed(r, db.country))
    else {
        return Ok(None);
    };
    if let Some(source) = row.document.source_document_id {
        row.source_number = sqlx::query_scalar(&format!(
            "SELECT d.number FROM documents d WHERE d.id = $2 AND {}",
            visible_sql("d", "$1", true)
        ))
        .bind(employee.0)
        .bind(source.0)
        .fetch_optional(&db.read)
        .await?;
    }
    row.converted_into = sqlx::query(&format!(
        "SELECT d.id, d.kind, d.number FROM documents d WHERE d.source_document_id = $2 AND {} ORDER BY d.id",
        visible_sql("d", "$1", true)
    ))
    .bind(employee.0)
    .bind(id.0)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| {
        (
            DocumentId(r.get("id")),
            DocumentKind::parse(&r.get::<String, _>("kind")).unwrap_or(DocumentKind::Lead),
            r.get("number"),
        )
    })
    .collect();
    Ok(Some(row))
}
