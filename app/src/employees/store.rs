//! Employees, roles and channel access rows, with the rules that keep an owner in charge.

use super::{ChannelAccess, Permission, Role, Team, TeamMember};
use crate::i18n::td_string;
use crate::ids::{ChannelId, EmployeeId, RoleId};
use crate::locale::request_locale;
use crate::store::{conflict_on_unique, now_ms, Db, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};

pub async fn team(db: &Db) -> StoreResult<Team> {
    let access: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT channel_id, employee_id FROM channel_access ORDER BY channel_id, employee_id",
    )
    .fetch_all(&db.read)
    .await?;
    let mut by_employee: HashMap<i64, Vec<ChannelId>> = HashMap::new();
    let mut by_channel: HashMap<i64, Vec<EmployeeId>> = HashMap::new();
    for (channel, employee) in access {
        by_employee
            .entry(employee)
            .or_default()
            .push(ChannelId(channel));
        by_channel
            .entry(channel)
            .or_default()
            .push(EmployeeId(employee));
    }
    let employees = sqlx::query(
        "SELECT id, name, email, role_id, active FROM employees ORDER BY active DESC, name",
    )
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|r| {
        let id: i64 = r.get("id");
        TeamMember {
            id: EmployeeId(id),
            name: r.get("name"),
            email: r.get("email"),
            role_id: RoleId(r.get("role_id")),
            active: r.get::<i64, _>("active") != 0,
            channel_ids: by_employee.remove(&id).unwrap_or_default(),
        }
    })
    .collect();
    let roles = sqlx::query(
        "SELECT r.id, r.name, r.permissions, r.is_owner,
                (SELECT COUNT(*) FROM employees e WHERE e.role_id = r.id AND e.active = 1) AS employee_count
           FROM roles r ORDER BY r.is_owner DESC, r.name",
    )
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|r| Role {
        id: RoleId(r.get("id")),
        name: r.get("name"),
        permissions: Permission::parse_list(&r.get::<String, _>("permissions")),
        is_owner: r.get::<i64, _>("is_owner") != 0,
        employee_count: r.get("employee_count"),
    })
    .collect();
    let auto_assign: HashSet<i64> =
        sqlx::query_scalar("SELECT id FROM channels WHERE auto_assign = 1")
            .fetch_all(&db.read)
            .await?
            .into_iter()
            .collect();
    let channels = crate::channels::store::all(db)
        .await?
        .into_iter()
        .map(|channel| ChannelAccess {
            employee_ids: by_channel.remove(&channel.id.0).unwrap_or_default(),
            auto_assign: auto_assign.contains(&channel.id.0),
            channel,
            webhook_url: None,
            app_webhook_url: None,
            verify_token: None,
            external_id: None,
        })
        .collect();
    Ok(Team {
        employees,
        roles,
        channels,
    })
}

async fn role_exists(conn: &mut AnyConnection, role: RoleId) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT is_owner FROM roles WHERE id = $1")
        .bind(role.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

async fn replace_employee_channels(
    conn: &mut AnyConnection,
    employee: EmployeeId,
    channels: &[ChannelId],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM channel_access WHERE employee_id = $1")
        .bind(employee.0)
        .execute(&mut *conn)
        .await?;
    for channel in channels {
        sqlx::query("INSERT INTO channel_access (channel_id, employee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(channel.0)
            .bind(employee.0)
            .execute(&mut *conn)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound(td_string!(request_locale(), account.what_channel))
                }
                _ => StoreError::Database(e),
            })?;
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    name: &str,
    email: &str,
    password: &str,
    role: RoleId,
    channels: &[ChannelId],
) -> StoreResult<EmployeeId> {
    let hash = crate::auth::password::hash(password)
        .map_err(|e| StoreError::Other(format!("hashing failed: {e}")))?;
    let mut tx = db.write.begin().await?;
    if !role_exists(&mut tx, role).await? {
        return Err(StoreError::NotFound(td_string!(
            request_locale(),
            account.what_role
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO employees (email, name, password_hash, role_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(hash)
    .bind(role.0)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        conflict_on_unique(
            e,
            td_string!(request_locale(), account.employee_email_taken),
        )
    })?;
    replace_employee_channels(&mut tx, EmployeeId(id), channels).await?;
    tx.commit().await?;
    Ok(EmployeeId(id))
}

/// Active employees whose role is an owner role, not counting `except`.
async fn other_active_owners(conn: &mut AnyConnection, except: EmployeeId) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees e JOIN roles r ON r.id = e.role_id
          WHERE r.is_owner = 1 AND e.active = 1 AND e.id <> $1",
    )
    .bind(except.0)
    .fetch_one(&mut *conn)
    .await?)
}

async fn is_owner_role(conn: &mut AnyConnection, role: RoleId) -> StoreResult<bool> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT is_owner FROM roles WHERE id = $1")
        .bind(role.0)
        .fetch_optional(&mut *conn)
        .await?;
    owner
        .map(|o| o != 0)
        .ok_or_else(|| StoreError::NotFound(td_string!(request_locale(), account.what_role)))
}

pub async fn update(
    db: &Db,
    actor: EmployeeId,
    id: EmployeeId,
    name: &str,
    role: RoleId,
) -> StoreResult<Vec<crate::events::LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let current_role: Option<i64> =
        sqlx::query_scalar("SELECT role_id FROM employees WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let current_role = RoleId(current_role.ok_or_else(|| {
        StoreError::NotFound(td_string!(request_locale(), account.what_employee))
    })?);
    let leaves_owner =
        is_owner_role(&mut tx, current_role).await? && !is_owner_role(&mut tx, role).await?;
    if leaves_owner && other_active_owners(&mut tx, id).await? == 0 {
        return Err(StoreError::Invalid {
            field: "role_id",
            message: td_string!(request_locale(), account.last_owner_role).into(),
        });
    }
    if leaves_owner && actor == id {
        return Err(StoreError::Invalid {
            field: "role_id",
            message: td_string!(request_locale(), account.own_owner_role).into(),
        });
    }
    sqlx::query("UPDATE employees SET name = $2, role_id = $3 WHERE id = $1")
        .bind(id.0)
        .bind(name)
        .bind(role.0)
        .execute(&mut *tx)
        .await?;
    // A role without Conversations answers nothing.
    let events = crate::conversations::assign_store::release_unqualified(&mut tx, id).await?;
    tx.commit().await?;
    Ok(events)
}

pub async fn set_active(
    db: &Db,
    actor: EmployeeId,
    id: EmployeeId,
    active: bool,
) -> StoreResult<Vec<crate::events::LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let role: Option<i64> = sqlx::query_scalar("SELECT role_id FROM employees WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let role = RoleId(role.ok_or_else(|| {
        StoreError::NotFound(td_string!(request_locale(), account.what_employee))
    })?);
    if !active {
        if actor == id {
            return Err(StoreError::Invalid {
                field: "active",
                message: td_string!(request_locale(), account.deactivate_yourself).into(),
            });
        }
        if is_owner_role(&mut tx, role).await? && other_active_owners(&mut tx, id).await? == 0 {
            return Err(StoreError::Invalid {
                field: "active",
                message: td_string!(request_locale(), account.last_owner_active).into(),
            });
        }
        // Their sessions end now, not when they next expire; their tokens for good (a
        // reactivation starts without them).
        crate::auth::session::end_sessions_of(&mut *tx, id).await?;
        crate::tokens::store::revoke_all_of(&mut *tx, id).await?;
    }
    sqlx::query("UPDATE employees SET active = $2 WHERE id = $1")
        .bind(id.0)
        .bind(active as i64)
        .execute(&mut *tx)
        .await?;
    // Someone who left answers nothing: their conversations go back to the team.
    let events = crate::conversations::assign_store::release_unqualified(&mut tx, id).await?;
    tx.commit().await?;
    Ok(events)
}

/// Sets a new password and signs the employee out everywhere; `revoke_tokens` also
/// revokes their API tokens. The number of tokens revoked.
pub async fn reset_password(
    db: &Db,
    id: EmployeeId,
    password: &str,
    revoke_tokens: bool,
) -> StoreResult<u64> {
    let hash = crate::auth::password::hash(password)
        .map_err(|e| StoreError::Other(format!("hashing failed: {e}")))?;
    let mut tx = db.write.begin().await?;
    let done = sqlx::query("UPDATE employees SET password_hash = $2 WHERE id = $1")
        .bind(id.0)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(td_string!(
            request_locale(),
            account.what_employee
        )));
    }
    crate::auth::session::end_sessions_of(&mut *tx, id).await?;
    let revoked = if revoke_tokens {
        crate::tokens::store::revoke_all_of(&mut *tx, id).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(revoked)
}

/// The employees whose role is `role` (whose streams a change of the role concerns).
pub async fn employees_with_role(db: &Db, role: RoleId) -> StoreResult<Vec<EmployeeId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM employees WHERE role_id = $1")
        .bind(role.0)
        .fetch_all(&db.read)
        .await?;
    Ok(ids.into_iter().map(EmployeeId).collect())
}

pub async fn save_role(
    db: &Db,
    id: Option<RoleId>,
    name: &str,
    permissions: &[Permission],
) -> StoreResult<(RoleId, Vec<crate::events::LiveEvent>)> {
    let mut tx = db.write.begin().await?;
    let joined = Permission::join(permissions);
    let id = match id {
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO roles (name, permissions, is_owner, created_at) VALUES ($1, $2, 0, $3) RETURNING id",
            )
            .bind(name)
            .bind(&joined)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                    conflict_on_unique(e, td_string!(request_locale(), account.role_name_taken))
                })?;
            RoleId(id)
        }
        Some(id) => {
            let keeps_control = [Permission::Settings, Permission::Conversations]
                .iter()
                .all(|p| permissions.contains(p));
            if is_owner_role(&mut tx, id).await? && !keeps_control {
                return Err(StoreError::Invalid {
                    field: "permissions",
                    message: td_string!(request_locale(), account.owner_role_keeps_control).into(),
                });
            }
            sqlx::query("UPDATE roles SET name = $2, permissions = $3 WHERE id = $1")
                .bind(id.0)
                .bind(name)
                .bind(&joined)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    conflict_on_unique(e, td_string!(request_locale(), account.role_name_taken))
                })?;
            id
        }
    };
    // Those whose role lost Conversations answer nothing.
    let holders: Vec<i64> = sqlx::query_scalar("SELECT id FROM employees WHERE role_id = $1")
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
    let mut events = Vec::new();
    for holder in holders {
        events.extend(
            crate::conversations::assign_store::release_unqualified(&mut tx, EmployeeId(holder))
                .await?,
        );
    }
    tx.commit().await?;
    Ok((id, events))
}

/// Gives the channel to exactly `employees`; returns those whose access changed (given
/// or taken away).
pub async fn set_channel_access(
    db: &Db,
    channel: ChannelId,
    employees: &[EmployeeId],
) -> StoreResult<(Vec<EmployeeId>, Vec<crate::events::LiveEvent>)> {
    let mut tx = db.write.begin().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM channels WHERE id = $1")
        .bind(channel.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(td_string!(
            request_locale(),
            account.what_channel
        )));
    }
    let before: Vec<i64> =
        sqlx::query_scalar("SELECT employee_id FROM channel_access WHERE channel_id = $1")
            .bind(channel.0)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM channel_access WHERE channel_id = $1")
        .bind(channel.0)
        .execute(&mut *tx)
        .await?;
    for employee in employees {
        sqlx::query("INSERT INTO channel_access (channel_id, employee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(channel.0)
            .bind(employee.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound(td_string!(request_locale(), account.what_employee))
                }
                _ => StoreError::Database(e),
            })?;
    }
    // The unread counts of those who lost the channel go (given back later, the channel
    // brings back no stale count), and so do the conversations they were given.
    sqlx::query(
        "DELETE FROM unread_marks WHERE channel_id = $1
            AND employee_id NOT IN (SELECT employee_id FROM channel_access WHERE channel_id = $1)",
    )
    .bind(channel.0)
    .execute(&mut *tx)
    .await?;
    let before: HashSet<EmployeeId> = before.into_iter().map(EmployeeId).collect();
    let after: HashSet<EmployeeId> = employees.iter().copied().collect();
    let mut events = Vec::new();
    for lost in before.difference(&after) {
        events
            .extend(crate::conversations::assign_store::release_unqualified(&mut tx, *lost).await?);
    }
    tx.commit().await?;
    Ok((
        before.symmetric_difference(&after).copied().collect(),
        events,
    ))
}
