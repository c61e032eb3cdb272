//! The sandbox channels' own writes: turning one on or off.

use crate::ids::ChannelId;
use crate::store::{Db, StoreResult};

/// Turns a sandbox channel on (`connected`) or off (`disconnected`): off, its lead page,
/// webhook and stream refuse. Returns whether `id` is a sandbox channel.
pub async fn set_enabled(db: &Db, id: ChannelId, enabled: bool) -> StoreResult<bool> {
    let status = if enabled { "connected" } else { "disconnected" };
    let done = sqlx::query(
        "UPDATE channels SET status = $2, status_detail = NULL WHERE id = $1 AND kind = 'sandbox'",
    )
    .bind(id.0)
    .bind(status)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}
