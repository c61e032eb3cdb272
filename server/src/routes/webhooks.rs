//! `POST /webhooks/{kind}/{channel_id}`: provider webhooks. The body is read raw (capped),
//! checked, parsed into normalized events, committed in one transaction, and only then
//! acknowledged; the events are published after the commit.

use crate::error::ApiError;
use app::channels::{ChannelKind, ChannelStatus};
use app::ids::ChannelId;
use app::messages::store::{self as messages, InboundMessage};
use app::sandbox::SandboxWebhook;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;

pub async fn receive(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = ChannelKind::parse(&kind).ok_or(ApiError::NotFound("Webhook"))?;
    let channel = app::channels::store::by_id(&state.db, ChannelId(channel_id))
        .await?
        .filter(|c| c.kind == kind)
        .ok_or(ApiError::NotFound("Channel"))?;
    let span = tracing::info_span!("webhook", kind = kind.as_str(), channel = channel_id);
    let _guard = span.enter();
    if channel.status == ChannelStatus::Disconnected {
        return Err(ApiError::NotFound("Channel"));
    }
    match kind {
        ChannelKind::Sandbox => sandbox(&state, channel.id, &headers, &body).await,
        _ => Err(ApiError::NotFound("Webhook")),
    }
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.split(';').next().map(str::trim) == Some("application/json") {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "Send the webhook as application/json.".into(),
        ))
    }
}

async fn sandbox(
    state: &AppState,
    channel: ChannelId,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<serde_json::Value>, ApiError> {
    require_json(headers)?;
    let hook: SandboxWebhook = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?;
    hook.validate()?;
    let events = match hook {
        SandboxWebhook::Message {
            lead_id,
            name,
            message_id,
            text,
        } => {
            let inbound = InboundMessage {
                contact_external_id: lead_id,
                contact_name: Some(name.trim().to_owned()),
                provider_id: message_id,
                body: text,
                sent_at: None,
            };
            messages::record_inbound(&state.db, channel, &inbound).await?
        }
        SandboxWebhook::Read { lead_id, watermark } => {
            match app::conversations::store::of_contact(&state.db, channel, &lead_id).await? {
                Some(conversation) => {
                    messages::mark_read_up_to(&state.db, conversation, channel, watermark).await?
                }
                None => Vec::new(),
            }
        }
    };
    let stored = events.len();
    state.bus.publish(events);
    Ok(Json(serde_json::json!({ "ok": true, "events": stored })))
}
