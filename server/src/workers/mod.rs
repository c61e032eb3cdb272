//! Background work that must not run in a request: delivering replies, pruning old
//! history, pruning sessions.

pub mod media;
pub mod retention;
pub mod sender;
pub mod webhooks;

use app::auth::session::SqlSessionStore;
use std::time::Duration;

/// Deletes expired sessions every hour.
pub async fn prune_sessions(store: SqlSessionStore) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match store.delete_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "expired sessions removed"),
            Err(err) => tracing::warn!(error = %err, "could not remove expired sessions"),
        }
    }
}
