//! The employee's own credentials.

use crate::i18n::td_string;
use crate::ids::EmployeeId;
use crate::locale::request_locale;
use crate::store::{conflict_on_unique, Db, StoreError, StoreResult};

pub async fn password_hash(db: &Db, id: EmployeeId) -> StoreResult<String> {
    sqlx::query_scalar("SELECT password_hash FROM employees WHERE id = $1 AND active = 1")
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(td_string!(request_locale(), account.what_employee)))
}

/// argon2 off the async threads (it takes tens of milliseconds by design).
pub async fn hash_password(password: &str) -> StoreResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::auth::password::hash(&password))
        .await
        .map_err(|e| StoreError::Other(format!("hashing stopped: {e}")))?
        .map_err(|e| StoreError::Other(format!("hashing failed: {e}")))
}

pub async fn set_password(db: &Db, id: EmployeeId, password: &str) -> StoreResult<()> {
    let hash = hash_password(password).await?;
    sqlx::query("UPDATE employees SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.0)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// A checked, lower-case email; refused when another employee has it.
pub async fn set_email(db: &Db, id: EmployeeId, email: &str) -> StoreResult<()> {
    sqlx::query("UPDATE employees SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(id.0)
        .execute(&db.write)
        .await
        .map_err(|e| {
            conflict_on_unique(
                e,
                td_string!(request_locale(), account.employee_email_taken),
            )
        })?;
    Ok(())
}
