//! Document rows.

use super::{Document, DocumentKind};
use crate::events::LiveEvent;
use crate::ids::{ClientId, ConversationId, DocumentId, EmployeeId};
use crate::store::{now_ms, Db, StoreResult};
use sqlx::Row;

fn row_to_document(r: &sqlx::sqlite::SqliteRow) -> Document {
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

pub async fn of_client(db: &Db, client: ClientId) -> StoreResult<Vec<Document>> {
    let rows = sqlx::query(
        "SELECT id, kind, number, status, title, amount_cents, currency, created_at FROM documents
          WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50",
    )
    .bind(client.0)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(row_to_document).collect())
}

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
