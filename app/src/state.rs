//! What every server function and route can reach: the store, the live-event bus and
//! the outbox's wake-up bell. Provided to server functions as Leptos context.

use crate::events::bus::EventBus;
use crate::store::Db;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub bus: EventBus,
    /// Rung after an outbound message is queued, so the sender delivers it at once.
    pub outbox: Arc<Notify>,
    /// Sign-in limits (attempts per account and address, kept in the database) and the
    /// bound on concurrent password checks.
    pub login_limiter: Arc<crate::auth::limiter::LoginLimiter>,
    /// Where media files are stored.
    pub media_dir: std::path::PathBuf,
    /// Seals and opens channel credentials.
    pub secret_key: crate::channels::credentials::SecretKey,
    /// Where providers reach Confab: the base of the webhook URLs shown to the owner.
    pub public_url: Arc<str>,
    /// The providers' APIs, for what a server function must ask them (templates).
    pub providers: Arc<dyn crate::channels::providers::ProviderApi>,
    /// Read receipts to send to providers (Messenger `mark_seen`, WhatsApp `read`) when an
    /// employee opens a conversation; best effort, delivered by a worker.
    pub read_receipts: tokio::sync::mpsc::UnboundedSender<ReadReceipt>,
    /// Outgoing webhooks' policy: which subscription URLs are accepted, how deliveries
    /// are retried.
    pub webhooks: crate::integrations::WebhookPolicy,
}

/// "The business has seen this conversation", to tell the lead's app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReceipt {
    pub channel_id: crate::ids::ChannelId,
    pub contact_external_id: String,
    /// The lead's newest message (WhatsApp marks a message id as read).
    pub last_inbound_provider_id: Option<String>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// The state of the current server-function call.
    pub fn current() -> Result<AppState, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            crate::error::AppError::Internal
        })
    }
}
