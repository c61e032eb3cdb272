//! Plain axum routes (those that are not server functions).

use app::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub mod events;
pub mod health;
pub mod media;
pub mod sandbox;
pub mod webhooks;

/// The largest webhook body we read; larger ones get 413 before parsing.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// The largest file an employee can send (no provider takes more).
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(events::stream))
        .route(
            "/webhooks/{kind}/{channel_id}",
            post(webhooks::receive)
                .get(webhooks::verify)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
                .layer(axum::middleware::from_fn(
                    crate::error::refuse_declared_oversize::<MAX_WEBHOOK_BYTES>,
                )),
        )
        .route("/media/{attachment_id}", get(media::serve))
        .route(
            "/media/public/{attachment_id}/{signature}",
            get(media::serve_public),
        )
        .route(
            "/media/send/{conversation_id}",
            post(media::send).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/health", get(health::health))
        // `/sandbox/events` and `/webhooks/sandbox/{channel}`, with their limits.
        .merge(sandbox::routes())
}
