//! Plain axum routes (those that are not server functions).

use app::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub mod client_export;
pub mod client_import;
pub mod events;
pub mod health;
pub mod media;
pub mod sandbox;
pub mod webhooks;

/// The largest webhook body we read; larger ones get 413 before parsing.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// The largest file an employee can send (no provider takes more: WhatsApp documents,
/// 100 MB; each channel's own limit is `app::channels::media_rules`).
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// The headers of a file handed to the browser (a media file, the clients' CSV): its type,
/// how it opens with which name, how long it is kept, and sandboxed if opened as a page
/// (`nosniff` comes with every response, from `middleware::security_headers`).
pub fn file_headers(
    headers: &mut axum::http::HeaderMap,
    content_type: axum::http::HeaderValue,
    disposition: &str,
    cache_control: &'static str,
) {
    use axum::http::{header, HeaderValue};
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(value) = HeaderValue::from_str(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(events::stream))
        .route(
            "/webhooks/{kind}/{channel_id}",
            post(webhooks::receive_spooled)
                .get(webhooks::verify)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
                .layer(axum::middleware::from_fn(
                    crate::error::refuse_declared_oversize::<MAX_WEBHOOK_BYTES>,
                )),
        )
        // One Meta app's webhook, shared by all its channels (`webhooks::receive_app`).
        .route(
            "/webhooks/meta/{app}",
            post(webhooks::receive_app)
                .get(webhooks::verify_app)
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
        // The Clients page's CSV import (a file of up to 10 MB) and export.
        .route(
            "/crm/clients/import/preview",
            post(client_import::preview).layer(axum::extract::DefaultBodyLimit::max(
                app::clients::import::MAX_IMPORT_BYTES,
            )),
        )
        .route(
            "/crm/clients/import",
            post(client_import::run).layer(axum::extract::DefaultBodyLimit::max(
                app::clients::import::MAX_IMPORT_BYTES,
            )),
        )
        .route("/clients/export.csv", get(client_export::export))
        // `/sandbox/events` and `/webhooks/sandbox/{channel}`, with their limits.
        .merge(sandbox::routes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_upload_cap_is_the_largest_file_a_provider_takes() {
        assert_eq!(
            super::MAX_UPLOAD_BYTES,
            app::channels::media_rules::largest_outbound()
        );
    }
}
