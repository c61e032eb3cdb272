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
