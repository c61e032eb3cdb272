//! Token rows: created with a random secret, stored as its SHA-256, checked per request.

use super::{ApiToken, TOKEN_PREFIX};
use crate::auth::Employee;
use crate::ids::EmployeeId;
use crate::store::{now_ms, Db, StoreError, StoreResult};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Creates a token for the employee; returns its id and the plaintext (shown once).
pub async fn create(db: &Db, employee: EmployeeId, name: &str) -> StoreResult<(i64, String)> {
    let token = generate();
    let id = sqlx::query_scalar(
        "INSERT INTO api_tokens (employee_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(employee.0)
    .bind(name)
    .bind(hash(&token))
    .bind(now_ms())
    .fetch_one(&db.write)
    .await?;
    Ok((id, token))
}

pub async fn list(db: &Db, employee: EmployeeId) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE employee_id = $1 ORDER BY id DESC",
    )
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ApiToken {
            id: r.get("id"),
            name: r.get("name"),
            created_at: r.get("created_at"),
            last_used_at: r.get("last_used_at"),
            revoked_at: r.get("revoked_at"),
        })
        .collect())
}

pub async fn revoke(db: &Db, employee: EmployeeId, id: i64) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND employee_id = $2",
    )
    .bind(id)
    .bind(employee.0)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(crate::i18n::td_string!(
            crate::ui::locale::request_locale(),
            account.what_token
        )));
    }
    Ok(())
}

/// How often `last_used_at` is written: once a minute is enough to tell a used token.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The active employee a token belongs to, if the token is valid and not revoked.
pub async fn authenticate(db: &Db, token: &str) -> StoreResult<Option<Employee>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Ok(None);
    }
    let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, employee_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash(token))
    .fetch_optional(&db.read)
    .await?;
    let Some((id, employee, last_used)) = row else {
        return Ok(None);
    };
    let now = now_ms();
    if last_used.is_none_or(|at| now - at > TOUCH_EVERY_MS) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&db.write)
            .await?;
    }
    crate::auth::store::active_employee(db, EmployeeId(employee)).await
}

/// Creates a token for the employee with this email (the `confab tokens create` command).
pub async fn create_for_email(db: &Db, email: &str, name: &str) -> StoreResult<String> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM employees WHERE email = $1 AND active = 1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&db.read)
            .await?;
    let id = id.ok_or(StoreError::NotFound("Active employee with that email"))?;
    Ok(create(db, EmployeeId(id), name).await?.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
