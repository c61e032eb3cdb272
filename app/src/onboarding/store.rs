//! What the first hour's steps are read from.

use super::FirstHourSteps;
use crate::store::{Db, StoreResult};

/// The first hour's state, or None once the business has a real channel (one of a
/// provider, not practice and not the sandbox).
pub async fn first_hour(db: &Db) -> StoreResult<Option<FirstHourSteps>> {
    let real: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM channels WHERE simulated = 0 AND kind <> 'sandbox'",
    )
    .fetch_one(&db.read)
    .await?;
    if real > 0 {
        return Ok(None);
    }
    let practice: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM conversations c JOIN channels ch ON ch.id = c.channel_id
          WHERE ch.simulated = 1",
    )
    .fetch_one(&db.read)
    .await?;
    let channels: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channels WHERE simulated = 1")
        .fetch_one(&db.read)
        .await?;
    let team: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE active = 1")
        .fetch_one(&db.read)
        .await?;
    Ok(Some(FirstHourSteps {
        practice_channels: channels > 0,
        practice_tried: practice > 0,
        team_invited: team > 1,
    }))
}
