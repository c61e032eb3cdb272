//! `POST /webhooks/{kind}/{channel_id}`: provider webhooks. The body is read raw (capped),
//! its signature checked in constant time before anything is parsed, parsed into
//! normalized events, each committed, and only then acknowledged; events are published
//! after the commit. `GET` answers Meta's verification handshake.

use crate::channels::inbound::{self, meta::MetaObject, signature, Addressed, InboundEvent};
use crate::error::ApiError;
use app::channels::store::ChannelConfig;
use app::channels::{ChannelKind, ChannelStatus};
use app::i18n::Locale;
use app::ids::ChannelId;
use app::messages::store::{self as messages, InboundMessage};
use app::sandbox::SandboxWebhook;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// The channel a webhook URL names, if it serves webhooks of that kind. A caller answers
/// `None` exactly as it answers a bad signature (or a wrong verify token), so that
/// nobody learns which channel ids exist by trying them.
async fn channel_for(
    state: &AppState,
    kind: &str,
    channel_id: i64,
) -> Result<Option<ChannelConfig>, ApiError> {
    let Some(kind) = ChannelKind::parse(kind) else {
        return Ok(None);
    };
    Ok(app::channels::store::config_for_webhook(
        &state.db,
        &state.secret_key,
        ChannelId(channel_id),
    )
    .await?
    .filter(|c| c.channel.kind == kind && c.channel.status != ChannelStatus::Disconnected))
}

/// Meta's handshake: echo `hub.challenge` when `hub.verify_token` is this channel's.
pub async fn verify(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, i64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // An unknown channel, one without the handshake and a wrong token: one answer.
    let channel = channel_for(&state, &kind, channel_id).await?.filter(|c| {
        matches!(
            c.channel.kind,
            ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp
        )
    });
    let token = query.get("hub.verify_token").map(String::as_str);
    let expected = channel
        .as_ref()
        .map(|c| c.credentials.value("verify_token"))
        .unwrap_or_default();
    let token_ok = !expected.is_empty()
        && token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected.as_bytes())));
    if query.get("hub.mode").map(String::as_str) != Some("subscribe") || !token_ok {
        tracing::warn!(
            channel = channel_id,
            "webhook verification refused: wrong verify token"
        );
        return Err(ApiError::Forbidden);
    }
    // The challenge is documented as an integer: echo nothing else (no reflected markup).
    let challenge = query
        .get("hub.challenge")
        .filter(|c| !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| ApiError::BadRequest("hub.challenge is missing or not a number.".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge.clone(),
    )
        .into_response())
}

pub async fn receive(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, i64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::error::body_within(body, super::MAX_WEBHOOK_BYTES)?;
    // Until the signature holds, every refusal is the bad signature's: an unknown channel
    // id, another kind's, a wrong content type or body all look alike from outside.
    let Some(channel) = channel_for(&state, &kind, channel_id).await? else {
        tracing::warn!(kind = %kind, channel = channel_id, "webhook refused: no such channel");
        return Err(ApiError::BadSignature);
    };
    let span = tracing::info_span!("webhook", kind = %kind, channel = channel_id);
    let _guard = span.enter();
    let kind = channel.channel.kind;
    let events = match kind {
        // The sandbox has a route of its own (`routes::sandbox`): never here.
        ChannelKind::Sandbox => return Err(ApiError::NotFound("Webhook")),
        ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp => {
            let header = headers
                .get("x-hub-signature-256")
                .and_then(|v| v.to_str().ok());
            if !signature::verify_hub_signature(
                channel.credentials.value("app_secret"),
                &body,
                header,
            ) {
                tracing::warn!("webhook refused: bad X-Hub-Signature-256");
                return Err(ApiError::BadSignature);
            }
            require_content_type(&headers, "application/json")?;
            match kind {
                ChannelKind::Messenger => inbound::meta::parse(MetaObject::Page, &body),
                ChannelKind::Instagram => inbound::meta::parse(MetaObject::Instagram, &body),
                _ => inbound::whatsapp::parse(&body),
            }
            .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?
        }
        ChannelKind::TwilioSms => {
            // The signature covers the decoded parameters: checked on a lenient decoding
            // first (whatever the body), so a malformed body of a stranger is refused as
            // unsigned; a signed one that is not UTF-8 is then refused as malformed.
            let params = inbound::twilio::signed_params(&body);
            // Twilio signs the URL it was given: the public one, with any query string.
            let mut url = crate::channels::webhook_url(&state.public_url, kind, channel.channel.id);
            if let Some(query) = uri.query() {
                url = format!("{url}?{query}");
            }
            let header = headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok());
            if !signature::verify_twilio_signature(
                channel.credentials.value("auth_token"),
                &url,
                &params,
                header,
            ) {
                tracing::warn!("webhook refused: bad X-Twilio-Signature");
                return Err(ApiError::BadSignature);
            }
            require_content_type(&headers, "application/x-www-form-urlencoded")?;
            let params = inbound::twilio::form_params(&body)
                .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?;
            inbound::twilio::parse(&params)
                .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?
        }
    };
    let mut stored = 0;
    for addressed in events {
        let Some(target) = route(&state, &channel, &addressed.business_id).await? else {
            tracing::debug!(to = %addressed.business_id, "event for a page or number Confab does not serve");
            continue;
        };
        stored += apply(&state, &target, addressed).await?;
    }
    if kind == ChannelKind::TwilioSms {
        // An empty TwiML answer: Twilio sends nothing back to the lead.
        return Ok((
            [(header::CONTENT_TYPE, "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "ok": true, "events": stored })),
    )
        .into_response())
}

/// The channel an event is for. One Meta app has one webhook URL for all its pages and
/// numbers, so an event may be for another channel of the same app: it goes there when
/// that channel has the same app secret (the signature was checked with it), and is
/// dropped otherwise.
async fn route(
    state: &AppState,
    channel: &ChannelConfig,
    business_id: &str,
) -> Result<Option<ChannelConfig>, ApiError> {
    if business_id == channel.external_id {
        return Ok(Some(channel.clone()));
    }
    let kind = channel.channel.kind;
    if kind == ChannelKind::TwilioSms {
        return Ok(None);
    }
    let Some(other) = app::channels::store::by_external_id(&state.db, kind, business_id).await?
    else {
        return Ok(None);
    };
    let other =
        app::channels::store::config_for_webhook(&state.db, &state.secret_key, other).await?;
    Ok(other.filter(|o| {
        o.channel.status != ChannelStatus::Disconnected
            && !o.credentials.value("app_secret").is_empty()
            && bool::from(
                o.credentials
                    .value("app_secret")
                    .as_bytes()
                    .ct_eq(channel.credentials.value("app_secret").as_bytes()),
            )
    }))
}

/// Commits one provider event and publishes its live events; returns how many.
async fn apply(
    state: &AppState,
    channel: &ChannelConfig,
    addressed: Addressed,
) -> Result<usize, ApiError> {
    let id = channel.channel.id;
    let conversation_of = |contact: String| async move {
        app::conversations::store::of_contact(&state.db, id, &contact).await
    };
    let events = match addressed.event {
        InboundEvent::Message(message) => {
            // Published by the store's inbound writer, in commit order.
            let events = messages::record_inbound(&state.db, id, &message).await?;
            if !events.is_empty() && !message.from_business {
                look_up_profile(state, channel, &message.contact_external_id).await;
            }
            return Ok(events.len());
        }
        InboundEvent::Status(status) => messages::apply_status(&state.db, id, &status).await?,
        InboundEvent::DeliveredUpTo {
            contact_external_id,
            watermark,
        } => match conversation_of(contact_external_id).await? {
            Some(c) => messages::mark_delivered_up_to(&state.db, c, id, watermark).await?,
            None => Vec::new(),
        },
        InboundEvent::ReadUpTo {
            contact_external_id,
            watermark,
        } => match conversation_of(contact_external_id).await? {
            Some(c) => messages::mark_read_up_to(&state.db, c, id, watermark).await?,
            None => Vec::new(),
        },
        InboundEvent::ReadMessage {
            contact_external_id,
            provider_id,
        } => match conversation_of(contact_external_id).await? {
            Some(c) => messages::mark_read_through(&state.db, c, id, &provider_id).await?,
            None => Vec::new(),
        },
        InboundEvent::Ignored(what) => {
            tracing::debug!(%what, "webhook event ignored");
            Vec::new()
        }
    };
    let count = events.len();
    state.bus.publish(events);
    Ok(count)
}

/// Messenger and Instagram webhooks carry no name: ask the Graph API once per contact,
/// after the commit and outside the request (the provider gets its 200 at once).
async fn look_up_profile(state: &AppState, channel: &ChannelConfig, contact: &str) {
    let kind = channel.channel.kind;
    if !matches!(kind, ChannelKind::Messenger | ChannelKind::Instagram) {
        return;
    }
    let id = channel.channel.id;
    match app::conversations::store::contact_needs_profile(&state.db, id, contact, kind).await {
        Ok(true) => {}
        _ => return,
    }
    let (state, channel, contact) = (state.clone(), channel.clone(), contact.to_owned());
    tokio::spawn(async move {
        match state.providers.contact_profile(&channel, &contact).await {
            Ok(profile) => {
                let stored = app::conversations::store::set_contact_profile(
                    &state.db,
                    id,
                    &contact,
                    profile.name.as_deref(),
                    profile.username.as_deref(),
                )
                .await;
                match stored {
                    Ok(events) => state.bus.publish(events),
                    Err(err) => tracing::warn!(error = %err, "could not store a lead's profile"),
                }
            }
            Err(reason) => tracing::info!(%reason, "lead's profile not available"),
        }
    });
}

fn require_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.split(';').next().map(str::trim) == Some(expected) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "Send the webhook as {expected}."
        )))
    }
}

/// The sandbox webhook's body as the route reads it: the event to store, or the refusal
/// (validation in `locale`). Pure, so that `fuzz/` drives the route's own code.
pub fn sandbox_event(body: &[u8], locale: Locale) -> Result<InboundEvent, ApiError> {
    let hook: SandboxWebhook = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?;
    hook.validate(locale)?;
    Ok(match hook {
        SandboxWebhook::Message {
            lead_id,
            name,
            message_id,
            text,
        } => InboundEvent::Message(InboundMessage {
            contact_external_id: lead_id,
            contact_name: Some(name.trim().to_owned()),
            provider_id: message_id,
            body: text,
            ..Default::default()
        }),
        SandboxWebhook::Read { lead_id, watermark } => InboundEvent::ReadUpTo {
            contact_external_id: lead_id,
            watermark,
        },
    })
}
