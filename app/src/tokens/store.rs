//! Token rows: created with a random secret, stored as its SHA-256, checked per request.

use super::{ApiToken, TeamToken, TokenScope, TOKEN_PREFIX};
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
pub async fn create(
    db: &Db,
    employee: EmployeeId,
    name: &str,
    scopes: &[TokenScope],
    expires_at: Option<i64>,
) -> StoreResult<(i64, String)> {
    let token = generate();
    let id = sqlx::query_scalar(
        "INSERT INTO api_tokens (employee_id, name, token_hash, created_at, scopes, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(employee.0)
    .bind(name)
    .bind(hash(&token))
    .bind(now_ms())
    .bind(TokenScope::join(scopes))
    .bind(expires_at)
    .fetch_one(&db.write)
    .await?;
    Ok((id, token))
}

const TOKEN_COLUMNS: &str =
    "t.id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

fn token_of(r: &sqlx::any::AnyRow) -> ApiToken {
    ApiToken {
        id: r.get("id"),
        name: r.get("name"),
        scopes: TokenScope::parse_list(&r.get::<String, _>("scopes")),
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        last_used_at: r.get("last_used_at"),
        revoked_at: r.get("revoked_at"),
    }
}

pub async fn list(db: &Db, employee: EmployeeId) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.employee_id = $1 ORDER BY t.id DESC"
    ))
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(token_of).collect())
}

/// Every employee's tokens, for the owner: those still usable first, by employee.
pub async fn list_all(db: &Db) -> StoreResult<Vec<TeamToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS}, e.id AS employee_id, e.name AS employee_name
           FROM api_tokens t JOIN employees e ON e.id = t.employee_id
          ORDER BY CASE WHEN t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)
                        THEN 0 ELSE 1 END,
                   e.name, t.id DESC"
    ))
    .bind(now_ms())
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamToken {
            employee_id: EmployeeId(r.get("employee_id")),
            employee_name: r.get("employee_name"),
            token: token_of(r),
        })
        .collect())
}

/// Revokes token `id`: of `employee` only, or (`None`, for the owner) of anyone.
pub async fn revoke(db: &Db, employee: Option<EmployeeId>, id: i64) -> StoreResult<()> {
    let done = match employee {
        Some(employee) => sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
              WHERE id = $1 AND employee_id = $2",
        )
        .bind(id)
        .bind(employee.0)
        .bind(now_ms()),
        None => {
            sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1")
                .bind(id)
                .bind(now_ms())
        }
    }
    .execute(&db.write)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(crate::i18n::td_string!(
            crate::locale::request_locale(),
            account.what_token
        )));
    }
    Ok(())
}

/// Revokes every token of `employee` (deactivation, a password reset); the number revoked.
/// Pass a transaction to revoke them with other changes at once.
pub async fn revoke_all_of<'e>(
    executor: impl sqlx::AnyExecutor<'e>,
    employee: EmployeeId,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE employee_id = $1 AND revoked_at IS NULL",
    )
    .bind(employee.0)
    .bind(now_ms())
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// How often `last_used_at` is written: once a minute is enough to tell a used token.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who a valid token acts for, and what it may do.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub employee: Employee,
    pub scopes: Vec<TokenScope>,
}

impl TokenHolder {
    pub fn may(&self, scope: TokenScope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// The active employee a token belongs to and its scopes, if the token is valid: not
/// revoked, not expired.
pub async fn authenticate(db: &Db, token: &str) -> StoreResult<Option<TokenHolder>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Ok(None);
    }
    let now = now_ms();
    let row: Option<(i64, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT id, employee_id, last_used_at, scopes FROM api_tokens
          WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(hash(token))
    .bind(now)
    .fetch_optional(&db.read)
    .await?;
    let Some((id, employee, last_used, scopes)) = row else {
        return Ok(None);
    };
    if last_used.is_none_or(|at| now - at > TOUCH_EVERY_MS) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&db.write)
            .await?;
    }
    Ok(
        crate::auth::store::active_employee(db, EmployeeId(employee))
            .await?
            .map(|employee| TokenHolder {
                employee,
                scopes: TokenScope::parse_list(&scopes),
            }),
    )
}

/// Creates a token for the employee with this email (the `confab tokens create` command).
pub async fn create_for_email(
    db: &Db,
    email: &str,
    name: &str,
    scopes: &[TokenScope],
    expires_at: Option<i64>,
) -> StoreResult<String> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM employees WHERE email = $1 AND active = 1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&db.read)
            .await?;
    let id = id.ok_or(StoreError::NotFound("Active employee with that email"))?;
    Ok(create(db, EmployeeId(id), name, scopes, expires_at)
        .await?
        .1)
}

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_KEEP_MS: i64 = 24 * 3_600_000;

/// What an idempotency key already holds, when [`claim_idempotency_key`] did not claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new: the caller does the work, then [`finish_idempotency_key`] (or
    /// [`release_idempotency_key`] when the work failed, so that a retry may try again).
    Claimed(i64),
    /// The key was used for another route or body.
    Reused,
    /// The first request with the key is still being answered.
    InProgress,
    /// The first request's answer: status and JSON body.
    Done { status: u16, response: String },
}

/// Claims `key` for one create request of `employee` (route and SHA-256 of the body), or
/// says what an earlier request with it holds. Keys older than a day are forgotten first.
/// The insert is the claim: of two concurrent requests with one key, one inserts, the
/// other finds its row.
pub async fn claim_idempotency_key(
    db: &Db,
    employee: EmployeeId,
    key: &str,
    route: &str,
    body_hash: &str,
) -> StoreResult<IdempotencyClaim> {
    let now = now_ms();
    sqlx::query("DELETE FROM api_idempotency_keys WHERE created_at < $1")
        .bind(now - IDEMPOTENCY_KEEP_MS)
        .execute(&db.write)
        .await?;
    let claimed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO api_idempotency_keys (employee_id, idem_key, route, body_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (employee_id, idem_key) DO NOTHING RETURNING id",
    )
    .bind(employee.0)
    .bind(key)
    .bind(route)
    .bind(body_hash)
    .bind(now)
    .fetch_optional(&db.write)
    .await?;
    if let Some(id) = claimed {
        return Ok(IdempotencyClaim::Claimed(id));
    }
    let row: Option<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT route, body_hash, status, response FROM api_idempotency_keys
          WHERE employee_id = $1 AND idem_key = $2",
    )
    .bind(employee.0)
    .bind(key)
    .fetch_optional(&db.write)
    .await?;
    Ok(match row {
        // Released between our insert and this read: the caller may try again.
        None => IdempotencyClaim::InProgress,
        Some((r, h, _, _)) if r != route || h != body_hash => IdempotencyClaim::Reused,
        Some((_, _, Some(status), Some(response))) => IdempotencyClaim::Done {
            status: u16::try_from(status).unwrap_or(200),
            response,
        },
        Some(_) => IdempotencyClaim::InProgress,
    })
}

/// Stores the answer of the request that claimed the key.
pub async fn finish_idempotency_key(
    db: &Db,
    claim: i64,
    status: u16,
    response: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE api_idempotency_keys SET status = $2, response = $3 WHERE id = $1")
        .bind(claim)
        .bind(i64::from(status))
        .bind(response)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Forgets a claimed key whose request created nothing (it was refused or failed).
pub async fn release_idempotency_key(db: &Db, claim: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM api_idempotency_keys WHERE id = $1 AND status IS NULL")
        .bind(claim)
        .execute(&db.write)
        .await?;
    Ok(())
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
