//! Channel rows and who may use them.

use super::{Channel, ChannelKind, ChannelStatus};
use crate::ids::{ChannelId, EmployeeId};
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::Row;

fn row_to_channel(r: sqlx::sqlite::SqliteRow) -> StoreResult<Channel> {
    let kind: String = r.get("kind");
    Ok(Channel {
        id: ChannelId(r.get("id")),
        kind: ChannelKind::parse(&kind)
            .ok_or_else(|| StoreError::Other(format!("unknown channel kind {kind}")))?,
        display_name: r.get("display_name"),
        status: ChannelStatus::parse(&r.get::<String, _>("status")),
        status_detail: r.get("status_detail"),
    })
}

pub async fn by_id(db: &Db, id: ChannelId) -> StoreResult<Option<Channel>> {
    sqlx::query("SELECT id, kind, display_name, status, status_detail FROM channels WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&db.read)
        .await?
        .map(row_to_channel)
        .transpose()
}

pub async fn all(db: &Db) -> StoreResult<Vec<Channel>> {
    sqlx::query("SELECT id, kind, display_name, status, status_detail FROM channels ORDER BY display_name, id")
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .map(row_to_channel)
        .collect()
}

pub async fn of_kind(db: &Db, kind: ChannelKind) -> StoreResult<Vec<Channel>> {
    sqlx::query("SELECT id, kind, display_name, status, status_detail FROM channels WHERE kind = $1 ORDER BY id")
        .bind(kind.as_str())
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .map(row_to_channel)
        .collect()
}

pub async fn create(
    db: &Db,
    kind: ChannelKind,
    display_name: &str,
    external_id: &str,
) -> StoreResult<ChannelId> {
    let id = sqlx::query_scalar(
        "INSERT INTO channels (kind, display_name, external_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(display_name)
    .bind(external_id)
    .bind(now_ms())
    .fetch_one(&db.write)
    .await
    .map_err(|e| crate::store::conflict_on_unique(e, "This channel is already connected."))?;
    Ok(ChannelId(id))
}

pub async fn grant_access(db: &Db, channel: ChannelId, employee: EmployeeId) -> StoreResult<()> {
    sqlx::query("INSERT INTO channel_access (channel_id, employee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(channel.0)
        .bind(employee.0)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The channels an employee may use, in full.
pub async fn accessible(db: &Db, employee: EmployeeId) -> StoreResult<Vec<Channel>> {
    sqlx::query(
        "SELECT c.id, c.kind, c.display_name, c.status, c.status_detail FROM channels c
           JOIN channel_access a ON a.channel_id = c.id AND a.employee_id = $1 ORDER BY c.display_name, c.id",
    )
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(row_to_channel)
    .collect()
}

/// The channels an employee may use: the one source of truth for channel access.
pub async fn accessible_ids(db: &Db, employee: EmployeeId) -> StoreResult<Vec<ChannelId>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT channel_id FROM channel_access WHERE employee_id = $1")
            .bind(employee.0)
            .fetch_all(&db.read)
            .await?;
    Ok(ids.into_iter().map(ChannelId).collect())
}
