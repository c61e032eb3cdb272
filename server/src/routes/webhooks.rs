//! `POST /webhooks/{kind}/{channel_id}` and `POST /webhooks/meta/{app}`: provider
//! webhooks. The body is read raw (capped), its signature checked in constant time before
//! anything is parsed, parsed into normalized events, each committed, and only then
//! acknowledged; events are published after the commit. `GET` answers Meta's
//! verification handshake.
//!
//! Meta has one callback URL per app, shared by all its pages, Instagram accounts and
//! WhatsApp numbers, and disables the app's subscription (for all of them) when that URL
//! keeps failing. So a Meta webhook, signed with the app's secret, is always acknowledged:
//! each entry goes to the channel that has its page / account / phone number id, and an
//! entry for one Confab no longer serves (disconnected, deleted, never added) is logged,
//! counted ([`dropped_events`]) and dropped. `/webhooks/meta/{app}` names the app by
//! [`SecretKey::meta_app_token`](app::channels::credentials::SecretKey::meta_app_token)
//! of its secret, but only to name it: as on the per-channel URLs (which keep working, a
//! deleted channel's too), the signature says which app it is, so the URL keeps working
//! after the app secret is reset. A signature that does not verify is 401 whatever the
//! URL names.
//!
//! Twilio does not retry a webhook answered with an HTTP error: when the database cannot
//! take an inbound SMS or status callback, the signed request goes to the spool
//! (`crate::spool`) and is answered 200 once it is on disk (5xx if even that fails).

use crate::channels::inbound::{self, meta::MetaObject, signature, Addressed, InboundEvent};
use crate::error::ApiError;
use crate::spool::{Outcome, SpoolEntry, TwilioSpool};
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
use axum::{Extension, Json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Meta events acknowledged and dropped because no channel Confab serves has their page,
/// account or number (since this process started).
static DROPPED_EVENTS: AtomicU64 = AtomicU64::new(0);

/// How many provider events were acknowledged and dropped for want of a channel serving
/// them, since this process started.
pub fn dropped_events() -> u64 {
    DROPPED_EVENTS.load(Ordering::Relaxed)
}

fn is_meta(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp
    )
}

fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A Meta webhook without a well-formed `X-Hub-Signature-256` (`sha256=` and 64 hex
/// digits) cannot verify: refused with the bad signature's answer before any channel is
/// read or any secret tried.
fn hub_signature_present(headers: &HeaderMap) -> Result<(), ApiError> {
    let well_formed = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        tracing::warn!("webhook refused: no well-formed X-Hub-Signature-256");
        Err(ApiError::BadSignature)
    }
}

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

/// Every Messenger, Instagram and WhatsApp channel, whatever its status, with its
/// credentials (a channel whose credentials do not open is left out, with a warning).
async fn meta_channels(state: &AppState) -> Result<Vec<ChannelConfig>, ApiError> {
    let mut out = Vec::new();
    for channel in app::channels::store::all(&state.db).await? {
        if !is_meta(channel.kind) {
            continue;
        }
        match app::channels::store::config_for_webhook(&state.db, &state.secret_key, channel.id)
            .await
        {
            Ok(Some(config)) => out.push(config),
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(channel = %channel.id, error = %err, "channel credentials unreadable")
            }
        }
    }
    Ok(out)
}

/// The channels of the Meta app whose shared webhook URL carries `token`.
async fn app_channels(state: &AppState, token: &str) -> Result<Vec<ChannelConfig>, ApiError> {
    Ok(meta_channels(state)
        .await?
        .into_iter()
        .filter(|c| {
            let secret = c.credentials.value("app_secret");
            !secret.is_empty()
                && bool::from(
                    state
                        .secret_key
                        .meta_app_token(secret)
                        .as_bytes()
                        .ct_eq(token.as_bytes()),
                )
        })
        .collect())
}

/// Meta's handshake: echo `hub.challenge` when `hub.verify_token` is this channel's.
pub async fn verify(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, i64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // An unknown channel, one without the handshake and a wrong token: one answer.
    let channel = channel_for(&state, &kind, channel_id)
        .await?
        .filter(|c| is_meta(c.channel.kind));
    handshake(channel.as_slice(), &query)
}

/// Meta's handshake on an app's shared URL: any of the app's verify tokens will do.
pub async fn verify_app(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // A token no secret gives any more (the app secret was reset): any Meta channel's
    // verify token will do, as the signature does for the events.
    let mut channels = app_channels(&state, &app).await?;
    if channels.is_empty() {
        channels = meta_channels(&state).await?;
    }
    handshake(&channels, &query)
}

fn handshake(
    channels: &[ChannelConfig],
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let token = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or_default();
    let token_ok = channels.iter().fold(false, |ok, c| {
        let expected = c.credentials.value("verify_token");
        ok | (!expected.is_empty()
            && !token.is_empty()
            && bool::from(token.as_bytes().ct_eq(expected.as_bytes())))
    });
    if query.get("hub.mode").map(String::as_str) != Some("subscribe") || !token_ok {
        tracing::warn!("webhook verification refused: wrong verify token");
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

/// `POST /webhooks/meta/{app}`: a Meta app's webhook, for all its channels.
pub async fn receive_app(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::error::body_within(body, super::MAX_WEBHOOK_BYTES)?;
    hub_signature_present(&headers)?;
    // The token only names the URL: the signature says which app it is, as on the
    // per-channel URLs. Resetting the app secret changes the app's token, but the URL
    // Meta was given keeps working (Meta would disable the subscription otherwise).
    let channels = meta_channels(&state).await?;
    let span = tracing::info_span!("webhook", kind = "meta", app = %app);
    let _guard = span.enter();
    receive_meta(&state, &channels, &headers, &body).await
}

/// `POST /webhooks/{kind}/{channel_id}` without the Twilio spool (the practice
/// simulator's deliveries, which retry by themselves).
pub async fn receive(
    state: State<AppState>,
    path: Path<(String, i64)>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    receive_spooled(state, path, uri, None, headers, body).await
}

/// `POST /webhooks/{kind}/{channel_id}`, with the server's Twilio spool.
pub async fn receive_spooled(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, i64)>,
    OriginalUri(uri): OriginalUri,
    spool: Option<Extension<Arc<TwilioSpool>>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::error::body_within(body, super::MAX_WEBHOOK_BYTES)?;
    let span = tracing::info_span!("webhook", kind = %kind, channel = channel_id);
    let _guard = span.enter();
    if ChannelKind::parse(&kind).is_some_and(is_meta) {
        // Meta sends all of an app's events to the one URL it was given, which may name a
        // channel disconnected or deleted since: the signature says which app it is (any
        // app secret Confab holds may have signed it, whatever channel the URL names, so
        // the answer tells nothing about the id), and the entries say which channels.
        // Unsigned is refused before any channel is read or any HMAC computed.
        hub_signature_present(&headers)?;
        let channels = meta_channels(&state).await?;
        return receive_meta(&state, &channels, &headers, &body).await;
    }
    // With the spool, the database gets `db_wait` for the channel and the events: a
    // database that hangs (its pool waits far longer than Twilio's 15 s) is taken as
    // down, and the webhook spooled (a replay skips a message that got stored after all).
    let deadline = spool
        .as_ref()
        .map(|Extension(s)| tokio::time::Instant::now() + s.db_wait());
    let within = |deadline: Option<tokio::time::Instant>| async move {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    // Until the signature holds, every refusal is the bad signature's: an unknown channel
    // id, another kind's, a wrong content type or body all look alike from outside.
    let generation = state.db.channel_configs.generation();
    let looked_up = tokio::select! {
        found = channel_for(&state, &kind, channel_id) => found,
        () = within(deadline) => Err(ApiError::Internal(
            "the database did not answer in time".into(),
        )),
    };
    let found = match looked_up {
        Ok(found) => found.filter(|c| c.channel.kind == ChannelKind::TwilioSms),
        // The database cannot say which channel this is: a Twilio channel this process
        // read before (and not written since) is checked with the auth token it had,
        // and spooled if it holds.
        Err(err) => match spool
            .as_ref()
            .and_then(|Extension(s)| s.recall(state.db.channel_configs.generation(), channel_id))
        {
            Some(known) if kind == ChannelKind::TwilioSms.as_str() => {
                tracing::warn!(error = %err, "channel not readable: the one last read is used");
                Some(known)
            }
            _ => return Err(err),
        },
    };
    if let (Some(channel), Some(Extension(spool))) = (&found, &spool) {
        spool.remember(generation, channel);
    }
    let Some(channel) = found else {
        tracing::warn!("webhook refused: no such channel");
        return Err(ApiError::BadSignature);
    };
    let kind = channel.channel.kind;
    // The signature covers the decoded parameters: checked on a lenient decoding first
    // (whatever the body), so a malformed body of a stranger is refused as unsigned; a
    // signed one that is not UTF-8 is then refused as malformed.
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
    let mut params = inbound::twilio::form_params(&body)
        .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?;
    // A status callback's URL names Confab's reply (`?confab_id=`, signed with the rest):
    // kept with the parameters (and so spooled with them) for the parser.
    inbound::twilio::add_callback_query(&mut params, uri.query());
    let events = inbound::twilio::parse(&params)
        .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?;
    let applied = tokio::select! {
        applied = apply_twilio(&state, &channel, events) => applied,
        () = within(deadline) => Err(ApiError::Internal(
            "the database did not answer in time".into(),
        )),
    };
    match applied {
        Ok(_) => {}
        // The database did not take it, and Twilio will not send it again: onto the disk
        // first, then the 200.
        Err(ApiError::Internal(cause)) => {
            let entry = SpoolEntry {
                channel: channel.channel.id.0,
                received_at: app::store::now_ms(),
                params,
            };
            let Some(Extension(spool)) = spool else {
                return Err(ApiError::Internal(cause));
            };
            if let Err(err) = spool.append(&entry).await {
                tracing::error!(error = %err, cause = %cause, "a Twilio webhook was neither stored nor spooled");
                return Err(ApiError::Internal(cause));
            }
            tracing::warn!(cause = %cause, "the database did not take a Twilio webhook: spooled for replay");
        }
        Err(other) => return Err(other),
    }
    // An empty TwiML answer: Twilio sends nothing back to the lead.
    Ok((
        [(header::CONTENT_TYPE, "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response())
}

/// Stores a Twilio webhook's events (each for the channel's own number; anything else is
/// dropped); returns how many live events it made.
async fn apply_twilio(
    state: &AppState,
    channel: &ChannelConfig,
    events: Vec<Addressed>,
) -> Result<usize, ApiError> {
    let mut stored = 0;
    for addressed in events {
        if addressed.business_id != channel.external_id {
            tracing::debug!(to = %addressed.business_id, "event for a number Confab does not serve");
            continue;
        }
        stored += apply(state, channel, addressed).await?;
    }
    Ok(stored)
}

/// One spooled Twilio webhook, offered again to the database (`crate::spool`). Its
/// signature was checked when it came; a channel gone since takes nothing more.
pub async fn replay_twilio(state: &AppState, entry: SpoolEntry) -> Outcome {
    let channel = match app::channels::store::config_for_webhook(
        &state.db,
        &state.secret_key,
        ChannelId(entry.channel),
    )
    .await
    {
        Ok(Some(c))
            if c.channel.kind == ChannelKind::TwilioSms
                && c.channel.status != ChannelStatus::Disconnected =>
        {
            c
        }
        Ok(_) => {
            tracing::warn!(
                channel = entry.channel,
                "a spooled Twilio webhook dropped: its channel is gone"
            );
            DROPPED_EVENTS.fetch_add(1, Ordering::Relaxed);
            return Outcome::Done;
        }
        Err(err) => return Outcome::Retry(err.to_string()),
    };
    let events = match inbound::twilio::parse(&entry.params) {
        // Twilio's requests carry no time: the message came (and the status changed)
        // when Confab received it, not when the database took it.
        Ok(events) => at_received_time(events, entry.received_at),
        Err(err) => {
            // Parsed before it was spooled: cannot happen but by a change of the parser.
            tracing::warn!(error = %err, "a spooled Twilio webhook no longer parses: dropped");
            return Outcome::Done;
        }
    };
    match apply_twilio(state, &channel, events).await {
        Ok(_) => Outcome::Done,
        Err(ApiError::Internal(cause)) => Outcome::Retry(cause),
        Err(other) => {
            tracing::warn!(error = %other, "a spooled Twilio webhook was refused: dropped");
            Outcome::Done
        }
    }
}

/// Dates a spooled webhook's events at the time Confab received it.
fn at_received_time(mut events: Vec<Addressed>, received_at: i64) -> Vec<Addressed> {
    for addressed in &mut events {
        match &mut addressed.event {
            InboundEvent::Message(message) => {
                message.sent_at.get_or_insert(received_at);
            }
            InboundEvent::Status(status) => {
                status.at.get_or_insert(received_at);
            }
            _ => {}
        }
    }
    events
}

/// A Meta webhook for one of `channels` (a channel's URL, or an app's): verified with the
/// app secret of one of them, then each entry routed to the channel serving its page,
/// account or number with that same secret; the rest acknowledged and dropped.
async fn receive_meta(
    state: &AppState,
    channels: &[ChannelConfig],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    // Every candidate secret is tried (the work does not tell how far the list went);
    // with none, a throwaway one, so that an unknown app costs the same.
    let mut secret: Option<&str> = None;
    let mut tried = std::collections::HashSet::new();
    for c in channels {
        let candidate = c.credentials.value("app_secret");
        if candidate.is_empty() || !tried.insert(candidate) {
            continue;
        }
        if signature::verify_hub_signature(candidate, body, header) && secret.is_none() {
            secret = Some(candidate);
        }
    }
    if tried.is_empty() {
        let _ = signature::verify_hub_signature("confab: no app secret here", body, header);
    }
    let Some(secret) = secret else {
        tracing::warn!("webhook refused: bad X-Hub-Signature-256");
        return Err(ApiError::BadSignature);
    };
    require_content_type(headers, "application/json")?;
    let invalid =
        |e: inbound::Malformed| ApiError::BadRequest(format!("The webhook body is not valid: {e}"));
    // Graph webhooks name their `object`: which parser reads the body, whatever URL it
    // came to (an app may give one URL for its pages, accounts and numbers).
    let object = serde_json::from_slice::<serde_json::Value>(body)
        .map_err(|e| ApiError::BadRequest(format!("The webhook body is not valid: {e}")))?
        .get("object")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::BadRequest("The webhook body is not valid: it names no \"object\".".into())
        })?;
    let (kind, events) = match object.as_str() {
        "page" => (
            ChannelKind::Messenger,
            inbound::meta::parse(MetaObject::Page, body).map_err(invalid)?,
        ),
        "instagram" => (
            ChannelKind::Instagram,
            inbound::meta::parse(MetaObject::Instagram, body).map_err(invalid)?,
        ),
        "whatsapp_business_account" => (
            ChannelKind::Whatsapp,
            inbound::whatsapp::parse(body).map_err(invalid)?,
        ),
        other => {
            // Another product of the app (user, permissions …): nothing Confab serves.
            tracing::info!(
                object = other,
                "webhook for an object Confab does not serve: acknowledged"
            );
            return Ok(meta_answer(0, 0));
        }
    };
    let mut targets: HashMap<String, Option<ChannelConfig>> = HashMap::new();
    let (mut stored, mut dropped) = (0, 0);
    for addressed in events {
        let target = match targets.get(&addressed.business_id) {
            Some(target) => target.clone(),
            None => {
                let target = route(state, channels, kind, secret, &addressed.business_id).await?;
                targets.insert(addressed.business_id.clone(), target.clone());
                target
            }
        };
        let Some(target) = target else {
            dropped += 1;
            continue;
        };
        stored += apply(state, &target, addressed).await?;
    }
    if dropped > 0 {
        DROPPED_EVENTS.fetch_add(dropped as u64, Ordering::Relaxed);
        tracing::info!(
            dropped,
            kind = kind.as_str(),
            ids = ?targets.iter().filter(|(_, t)| t.is_none()).map(|(id, _)| id).collect::<Vec<_>>(),
            "webhook events for pages or numbers Confab does not serve: acknowledged and dropped"
        );
    }
    Ok(meta_answer(stored, dropped))
}

fn meta_answer(stored: usize, dropped: usize) -> Response {
    (
        StatusCode::OK,
        Json(serde_json::json!({ "ok": true, "events": stored, "dropped": dropped })),
    )
        .into_response()
}

/// The channel an event is for: the one of its kind with this page / account / number
/// id, connected (or lost sync: its messages still come), whose app secret signed the
/// webhook. One Meta app has one webhook URL for all its pages and numbers.
async fn route(
    state: &AppState,
    known: &[ChannelConfig],
    kind: ChannelKind,
    secret: &str,
    business_id: &str,
) -> Result<Option<ChannelConfig>, ApiError> {
    let found = match known
        .iter()
        .find(|c| c.channel.kind == kind && c.external_id == business_id)
    {
        Some(c) => Some(c.clone()),
        None => match app::channels::store::by_external_id(&state.db, kind, business_id).await? {
            Some(id) => {
                app::channels::store::config_for_webhook(&state.db, &state.secret_key, id).await?
            }
            None => None,
        },
    };
    Ok(found.filter(|c| {
        c.channel.status != ChannelStatus::Disconnected
            && same_secret(c.credentials.value("app_secret"), secret)
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
