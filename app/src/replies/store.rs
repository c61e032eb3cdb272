//! Saved replies' rows (the team's, not a conversation's: no channel to join).

use super::SavedReply;
use crate::i18n::td_string;
use crate::ids::EmployeeId;
use crate::locale::request_locale;
use crate::store::{conflict_on_unique, now_ms, Db, StoreError, StoreResult};
use sqlx::Row;

pub async fn all(db: &Db) -> StoreResult<Vec<SavedReply>> {
    let rows =
        sqlx::query("SELECT id, title, body, updated_at FROM saved_replies ORDER BY title, id")
            .fetch_all(&db.read)
            .await?;
    Ok(rows
        .iter()
        .map(|r| SavedReply {
            id: r.get("id"),
            title: r.get("title"),
            body: r.get("body"),
            updated_at: r.get("updated_at"),
        })
        .collect())
}

/// Creates (no `id`) or changes a saved reply; its id. A title another reply has is a
/// conflict.
pub async fn save(
    db: &Db,
    by: EmployeeId,
    id: Option<i64>,
    title: &str,
    body: &str,
) -> StoreResult<i64> {
    let now = now_ms();
    let taken =
        |e| conflict_on_unique(e, td_string!(request_locale(), messaging.saved_reply_taken));
    match id {
        None => sqlx::query_scalar(
            "INSERT INTO saved_replies (title, body, updated_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(title)
        .bind(body)
        .bind(by.0)
        .bind(now)
        .fetch_one(&db.write)
        .await
        .map_err(taken),
        Some(id) => {
            let done = sqlx::query(
                "UPDATE saved_replies SET title = $2, body = $3, updated_by = $4, updated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(title)
            .bind(body)
            .bind(by.0)
            .bind(now)
            .execute(&db.write)
            .await
            .map_err(taken)?;
            if done.rows_affected() == 0 {
                return Err(not_found());
            }
            Ok(id)
        }
    }
}

pub async fn delete(db: &Db, id: i64) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM saved_replies WHERE id = $1")
        .bind(id)
        .execute(&db.write)
        .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    Ok(())
}

fn not_found() -> StoreError {
    StoreError::NotFound(td_string!(
        request_locale(),
        messaging.saved_reply_not_found
    ))
}
