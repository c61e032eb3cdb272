//! Employees as authentication sees them.

use super::Employee;
use crate::ids::EmployeeId;
use crate::store::{now_ms, Db, StoreResult};
use sqlx::Row;

/// (id, password hash, active) for an email.
pub async fn credentials_by_email(
    db: &Db,
    email: &str,
) -> StoreResult<Option<(EmployeeId, String, bool)>> {
    let row = sqlx::query("SELECT id, password_hash, active FROM employees WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|r| {
        (
            EmployeeId(r.get("id")),
            r.get("password_hash"),
            r.get::<i64, _>("active") != 0,
        )
    }))
}

/// An active employee with their role's permissions.
pub async fn active_employee(db: &Db, id: EmployeeId) -> StoreResult<Option<Employee>> {
    let row = sqlx::query(
        "SELECT e.id, e.name, e.email, r.name AS role, r.permissions, e.locale
           FROM employees e JOIN roles r ON r.id = e.role_id
          WHERE e.id = $1 AND e.active = 1",
    )
    .bind(id.0)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|r| Employee {
        id: EmployeeId(r.get("id")),
        name: r.get("name"),
        email: r.get("email"),
        role: r.get("role"),
        permissions: crate::employees::Permission::parse_list(&r.get::<String, _>("permissions")),
        locale: r.get("locale"),
    }))
}

/// Stores the language an employee picked (a tag already checked by the caller).
pub async fn set_locale(db: &Db, id: EmployeeId, locale: Option<&str>) -> StoreResult<()> {
    sqlx::query("UPDATE employees SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(id.0)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn create_role(
    db: &Db,
    name: &str,
    permissions: &[crate::employees::Permission],
    is_owner: bool,
) -> StoreResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO roles (name, permissions, is_owner, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(crate::employees::Permission::join(permissions))
    .bind(is_owner as i64)
    .bind(now_ms())
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

pub async fn create_employee(
    db: &Db,
    email: &str,
    name: &str,
    password: &str,
    role_id: i64,
) -> StoreResult<EmployeeId> {
    let hash = super::password::hash(password)
        .map_err(|e| crate::store::StoreError::Other(format!("password hashing failed: {e}")))?;
    let id = sqlx::query_scalar(
        "INSERT INTO employees (email, name, password_hash, role_id, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email.trim().to_lowercase())
    .bind(name)
    .bind(hash)
    .bind(role_id)
    .bind(now_ms())
    .fetch_one(&db.write)
    .await
    .map_err(|e| {
        crate::store::conflict_on_unique(e, "An employee with this email already exists.")
    })?;
    Ok(EmployeeId(id))
}

/// Records one sign-in attempt under each of `limits` (key, most attempts allowed since
/// `since`), but only if every key is still under its most: `true` when recorded. The
/// check and the record are one step, so parallel sign-ins cannot all pass a check before
/// any is recorded: on PostgreSQL each key's callers queue on an advisory lock (taken in
/// one order, so two callers never wait on each other crosswise; per schema, as tests
/// share a database), across processes too; SQLite runs the one statement under its
/// single writer's lock.
pub async fn record_login_attempt(
    db: &Db,
    limits: [(&str, i64); 3],
    attempt: &str,
    now: i64,
    since: i64,
) -> StoreResult<bool> {
    let mut tx = db.write.begin().await?;
    if db.backend == crate::store::Backend::Postgres {
        let mut locks: Vec<i32> = limits.iter().map(|(key, _)| lock_id(key)).collect();
        locks.sort_unstable();
        locks.dedup();
        for lock in locks {
            sqlx::query(
                "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))) l",
            )
            .bind(lock)
            .execute(&mut *tx)
            .await?;
        }
    }
    let [(key1, max1), (key2, max2), (key3, max3)] = limits;
    let recorded = sqlx::query(
        "INSERT INTO login_attempts (key, attempt, at)
         SELECT k, $7, $8 FROM (SELECT $1 AS k UNION ALL SELECT $3 UNION ALL SELECT $5) keys
          WHERE (SELECT COUNT(*) FROM login_attempts WHERE key = $1 AND at > $9) < $2
            AND (SELECT COUNT(*) FROM login_attempts WHERE key = $3 AND at > $9) < $4
            AND (SELECT COUNT(*) FROM login_attempts WHERE key = $5 AND at > $9) < $6",
    )
    .bind(key1)
    .bind(max1)
    .bind(key2)
    .bind(max2)
    .bind(key3)
    .bind(max3)
    .bind(attempt)
    .bind(now)
    .bind(since)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(recorded > 0)
}

/// The advisory lock of a login-attempt key (a hash: keys that collide merely queue).
fn lock_id(key: &str) -> i32 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Per key of `keys`: attempts since `since` and when the oldest of them was made.
pub async fn login_attempts_since(
    db: &Db,
    keys: [&str; 3],
    since: i64,
) -> StoreResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT key, COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts
          WHERE key IN ($1, $2, $3) AND at > $4 GROUP BY key",
    )
    .bind(keys[0])
    .bind(keys[1])
    .bind(keys[2])
    .bind(since)
    .fetch_all(&db.write)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("key"), r.get("n"), r.get("oldest")))
        .collect())
}

/// Forgets `attempt`'s rows under `keys`, and every attempt under `clear_key` (when given).
pub async fn forget_login_attempt(
    db: &Db,
    keys: [&str; 3],
    attempt: &str,
    clear_key: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM login_attempts
          WHERE (key IN ($1, $2, $3) AND attempt = $4) OR key = $5",
    )
    .bind(keys[0])
    .bind(keys[1])
    .bind(keys[2])
    .bind(attempt)
    .bind(clear_key.unwrap_or_default())
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Deletes the attempts made before `before`; how many.
pub async fn prune_login_attempts(db: &Db, before: i64) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
        .bind(before)
        .execute(&db.write)
        .await?
        .rows_affected())
}
