//! The sandbox lead's two routes, open to anyone on the internet and so held short:
//! `POST /webhooks/sandbox/{channel}` (what the lead writes) and `GET /sandbox/events?channel=`
//! (the lead's stream: it says only that the lead's conversation changed; the page then
//! reloads its thread). Both answer for the lead of the browser's cookie only
//! (`app::sandbox::lead`), refuse once the owner turned the channel off, and are limited
//! per client address: messages per minute, body size, open streams.

use crate::channels::inbound::InboundEvent;
use app::channels::{Channel, ChannelKind, ChannelStatus};
use app::i18n::Locale;
use app::ids::{ChannelId, ConversationId};
use app::net::ClientIp;
use app::sandbox::Refusal;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

/// The largest sandbox webhook body: a message of `MAX_BODY_CHARS` characters, escaped,
/// with its name and ids, fits several times over.
pub const MAX_SANDBOX_WEBHOOK_BYTES: usize = 16 * 1024;
/// Posts to the sandbox webhook one client address may make per minute.
pub const MESSAGES_PER_MINUTE: u32 = 30;
/// Lead streams one client address may hold open (a lead's tabs).
pub const MAX_STREAMS_PER_ADDRESS: usize = 10;
/// Lead streams the server holds open in all.
pub const MAX_STREAMS: usize = 1_000;
/// Addresses the message limiter remembers; beyond, the least recently seen is forgotten
/// (it had the fullest allowance back anyway).
const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// The sandbox's routes, with limits of their own (one set per router, so per server).
pub fn routes() -> Router<AppState> {
    let limits = Arc::new(SandboxLimits::new(
        MESSAGES_PER_MINUTE,
        MAX_STREAMS_PER_ADDRESS,
        MAX_STREAMS,
    ));
    Router::new()
        .route("/sandbox/events", get(lead_stream))
        .route(
            "/webhooks/sandbox/{channel_id}",
            post(webhook)
                .layer(axum::extract::DefaultBodyLimit::max(
                    MAX_SANDBOX_WEBHOOK_BYTES,
                ))
                .layer(axum::middleware::from_fn(too_large_before_reading)),
        )
        .route(
            "/sandbox/practice/{channel_id}",
            post(practice_action)
                .layer(axum::extract::DefaultBodyLimit::max(
                    MAX_SANDBOX_WEBHOOK_BYTES,
                ))
                .layer(axum::middleware::from_fn(too_large_before_reading)),
        )
        .layer(Extension(limits))
}

/// A refusal in the API's JSON shape (`code`, `message`), in the lead's language.
fn refuse(status: StatusCode, code: &str, refusal: Refusal, locale: Locale) -> Response {
    let body = Json(serde_json::json!({ "code": code, "message": refusal.text(locale) }));
    let mut response = (status, body).into_response();
    if let Refusal::TooManyMessages { retry_after_secs } = refusal {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs.into());
    }
    response
}

/// A declared length above the limit is refused before the body is read.
async fn too_large_before_reading(
    headers: HeaderMap,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_SANDBOX_WEBHOOK_BYTES as u64) {
        return too_large(crate::error::request_locale(&headers));
    }
    next.run(request).await
}

fn too_large(locale: Locale) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        Refusal::TooLarge {
            max_kib: MAX_SANDBOX_WEBHOOK_BYTES / 1024,
        },
        locale,
    )
}

/// Which simulator a lead route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Played {
    /// The sandbox channel (open to anyone while the owner keeps it on).
    Sandbox,
    /// A practice channel (`app::practice`): played by employees who may use it.
    Practice,
    /// Either (the lead's stream).
    Either,
}

/// The channel `id` when it is on and of the kind the route serves; else the refusal: an
/// unknown id as every webhook answers one (as a bad signature: ids are not to be found
/// by trying them), one the owner turned off with 404 and a sentence the lead's page shows.
async fn open_channel(
    state: &AppState,
    id: i64,
    locale: Locale,
    played: Played,
) -> Result<Channel, Response> {
    let channel = app::channels::store::by_id(&state.db, ChannelId(id))
        .await
        .map_err(|e| crate::error::ApiError::from(e).into_response())?
        .filter(|c| match played {
            Played::Sandbox => c.kind == ChannelKind::Sandbox,
            Played::Practice => c.simulated,
            Played::Either => c.kind == ChannelKind::Sandbox || c.simulated,
        });
    match channel {
        None => Err(crate::error::ApiError::BadSignature.into_response_in(locale)),
        Some(c) if c.status == ChannelStatus::Disconnected => Err(refuse(
            StatusCode::NOT_FOUND,
            "sandbox_off",
            Refusal::Off,
            locale,
        )),
        Some(c) => Ok(c),
    }
}

/// A practice channel's lead is played by a signed-in employee who may use the channel and
/// holds the Conversations permission (its conversations are the business's).
async fn require_practice_access(
    state: &AppState,
    session: &tower_sessions::Session,
    channel: ChannelId,
    locale: Locale,
) -> Result<(), Response> {
    let refused = || {
        refuse(
            StatusCode::FORBIDDEN,
            "practice_needs_access",
            Refusal::PracticeNeedsAccess,
            locale,
        )
    };
    let Some(employee) = app::auth::session::employee_id_of(session).await else {
        return Err(refused());
    };
    let active = app::auth::store::active_employee(&state.db, employee)
        .await
        .map_err(|e| crate::error::ApiError::from(e).into_response())?;
    if !active.is_some_and(|e| e.can(app::employees::Permission::Conversations)) {
        return Err(refused());
    }
    let channels = app::channels::store::accessible_ids(&state.db, employee)
        .await
        .map_err(|e| crate::error::ApiError::from(e).into_response())?;
    if channels.contains(&channel) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// `POST /sandbox/practice/{channel}`: what the cookie's lead does on a practice channel
/// (writes, reads, moves their clock, turns their phone off), limited as the sandbox's
/// webhook is.
pub async fn practice_action(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<SandboxLimits>>,
    Extension(ip): Extension<ClientIp>,
    Path(channel_id): Path<i64>,
    session: tower_sessions::Session,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let locale = crate::error::request_locale(&headers);
    let outcome = async {
        if let Err(wait) = limits.allow_post(ip.0, Instant::now()) {
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Refusal::TooManyMessages { retry_after_secs },
                locale,
            ));
        }
        let body =
            crate::error::body_within(body, MAX_SANDBOX_WEBHOOK_BYTES).map_err(|e| match e {
                crate::error::ApiError::TooLarge(_) => too_large(locale),
                other => other.into_response_in(locale),
            })?;
        // Access first: a visitor learns nothing of which ids are practice channels.
        require_practice_access(&state, &session, ChannelId(channel_id), locale).await?;
        let channel = open_channel(&state, channel_id, locale, Played::Practice).await?;
        let lead = app::sandbox::lead::lead_of_headers(&headers, served_securely(&state))
            .ok_or_else(|| no_lead(locale))?;
        let action: app::practice::PracticeAction = serde_json::from_slice(&body).map_err(|e| {
            crate::error::ApiError::BadRequest(format!("The action is not valid: {e}"))
                .into_response_in(locale)
        })?;
        action
            .validate(locale)
            .map_err(|e| crate::error::ApiError::from(e).into_response_in(locale))?;
        let config = app::channels::store::config(&state.db, &state.secret_key, channel.id)
            .await
            .map_err(|e| crate::error::ApiError::from(e).into_response_in(locale))?
            .ok_or_else(|| crate::error::ApiError::BadSignature.into_response_in(locale))?;
        crate::practice::lead::act(&state, &config, &lead, action, locale)
            .await
            .map_err(|e| e.into_response_in(locale))?;
        Ok(Json(serde_json::json!({ "ok": true })).into_response())
    };
    match outcome.await {
        Ok(response) | Err(response) => response,
    }
}

/// The refusal of a browser without a lead cookie.
fn no_lead(locale: Locale) -> Response {
    refuse(StatusCode::FORBIDDEN, "no_lead", Refusal::NoLead, locale)
}

/// `POST /webhooks/sandbox/{channel}`: the message (or read receipt) of the cookie's lead.
pub async fn webhook(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<SandboxLimits>>,
    Extension(ip): Extension<ClientIp>,
    Path(channel_id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    // The sandbox lead's page shows the refusal: in its language.
    let locale = crate::error::request_locale(&headers);
    match receive(&state, &limits, ip, channel_id, &headers, body, locale).await {
        Ok(response) | Err(response) => response,
    }
}

async fn receive(
    state: &AppState,
    limits: &SandboxLimits,
    ip: ClientIp,
    channel_id: i64,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    locale: Locale,
) -> Result<Response, Response> {
    // Counted first: a refused post costs the sender as much as a good one.
    if let Err(wait) = limits.allow_post(ip.0, Instant::now()) {
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(client = %ip, "sandbox webhook refused: too many messages");
        return Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Refusal::TooManyMessages { retry_after_secs },
            locale,
        ));
    }
    let body = crate::error::body_within(body, MAX_SANDBOX_WEBHOOK_BYTES).map_err(|e| match e {
        crate::error::ApiError::TooLarge(_) => too_large(locale),
        other => other.into_response_in(locale),
    })?;
    let channel = open_channel(state, channel_id, locale, Played::Sandbox).await?;
    let lead = app::sandbox::lead::lead_of_headers(headers, served_securely(state))
        .ok_or_else(|| no_lead(locale))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some("application/json") {
        return Err(crate::error::ApiError::BadRequest(
            "Send the webhook as application/json.".into(),
        )
        .into_response_in(locale));
    }
    let event =
        super::webhooks::sandbox_event(&body, locale).map_err(|e| e.into_response_in(locale))?;
    let named = match &event {
        InboundEvent::Message(message) => &message.contact_external_id,
        InboundEvent::ReadUpTo {
            contact_external_id,
            ..
        } => contact_external_id,
        // `sandbox_event` makes no other event.
        _ => &lead,
    };
    if *named != lead {
        tracing::info!(client = %ip, "sandbox webhook refused: lead_id is not the cookie's lead");
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "not_your_lead",
            Refusal::NotYourLead,
            locale,
        ));
    }
    store(state, channel.id, event)
        .await
        .map_err(|e| e.into_response_in(locale))
}

/// Commits the lead's event (and publishes its live events).
async fn store(
    state: &AppState,
    channel: ChannelId,
    event: InboundEvent,
) -> Result<Response, crate::error::ApiError> {
    use app::messages::store as messages;
    let stored = match event {
        // Published by the store's inbound writer, in commit order.
        InboundEvent::Message(inbound) => messages::record_inbound(&state.db, channel, &inbound)
            .await?
            .len(),
        InboundEvent::ReadUpTo {
            contact_external_id,
            watermark,
        } => {
            let conversation =
                app::conversations::store::of_contact(&state.db, channel, &contact_external_id)
                    .await?;
            let events = match conversation {
                Some(conversation) => {
                    messages::mark_read_up_to(&state.db, conversation, channel, watermark).await?
                }
                None => Vec::new(),
            };
            let stored = events.len();
            state.bus.publish(events);
            stored
        }
        _ => 0,
    };
    Ok(Json(serde_json::json!({ "ok": true, "events": stored })).into_response())
}

#[derive(serde::Deserialize)]
pub struct LeadQuery {
    channel: i64,
    /// Accepted from older pages: it must be the cookie's lead.
    lead: Option<String>,
}

/// `GET /sandbox/events?channel=`: the cookie's lead's stream.
pub async fn lead_stream(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<SandboxLimits>>,
    Extension(ip): Extension<ClientIp>,
    session: tower_sessions::Session,
    headers: HeaderMap,
    Query(query): Query<LeadQuery>,
) -> Response {
    let locale = crate::error::request_locale(&headers);
    let channel = match open_channel(&state, query.channel, locale, Played::Either).await {
        Ok(channel) => channel,
        Err(refusal) => return refusal,
    };
    if channel.simulated {
        if let Err(refusal) = require_practice_access(&state, &session, channel.id, locale).await {
            return refusal;
        }
    }
    let Some(lead) = app::sandbox::lead::lead_of_headers(&headers, served_securely(&state)) else {
        return no_lead(locale);
    };
    if query.lead.as_ref().is_some_and(|named| *named != lead) {
        return refuse(
            StatusCode::FORBIDDEN,
            "not_your_lead",
            Refusal::NotYourLead,
            locale,
        );
    }
    let permit = match limits.open_stream(ip.0) {
        Ok(permit) => permit,
        Err(StreamRefusal::Address) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams",
                Refusal::TooManyStreams {
                    max: limits.streams_per_address,
                },
                locale,
            )
        }
        Err(StreamRefusal::Server) => {
            tracing::warn!("sandbox stream refused: the server holds its maximum");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                Refusal::Busy,
                locale,
            );
        }
    };
    // The conversation's contact: on a practice channel, the lead's id at the provider.
    let lead = if channel.simulated {
        app::practice::lead_address(channel.kind, &lead)
    } else {
        lead
    };
    let receiver = state.bus.subscribe();
    let db = state.db.clone();
    let channel = channel.id;
    // The permit travels with the stream: it is given back when the stream ends.
    let stream = futures::stream::unfold(
        (receiver, None::<ConversationId>, permit),
        move |(mut receiver, mut conversation, permit)| {
            let db = db.clone();
            let lead = lead.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        // One employee's read state is not the lead's business.
                        Ok(event) if event.channel_id == channel && event.audience().is_none() => {
                            if conversation.is_none() {
                                conversation =
                                    app::conversations::store::of_contact(&db, channel, &lead)
                                        .await
                                        .ok()
                                        .flatten();
                            }
                            if conversation == Some(event.conversation_id) {
                                let item =
                                    Event::default().event("changed").data(event.id.to_string());
                                let item = Ok::<_, std::convert::Infallible>(item);
                                return Some((item, (receiver, conversation, permit)));
                            }
                        }
                        Ok(_) => {}
                        // Missed some: tell the page to reload, it costs one request.
                        Err(RecvError::Lagged(_)) => {
                            return Some((
                                Ok(Event::default().event("changed").data("")),
                                (receiver, conversation, permit),
                            ))
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    let stream = futures::StreamExt::take_until(stream, state.bus.closed());
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Whether pages are served over https: the lead cookie then has its `__Host-` name.
fn served_securely(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// The key limits are kept by: an IPv4 address, or an IPv6 address's /64 (what one
/// subscriber is usually given, so the limit holds across its addresses). A dual-stack
/// listener sees IPv4 peers as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), all in the one /64
/// `::`; those are keyed by their IPv4 address, as `app::auth::limiter` does.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// Why a stream was not opened.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamRefusal {
    Address,
    Server,
}

/// The sandbox's limits per client address, in memory (bounded). A few lines of our own
/// rather than a rate-limiting crate: none is in the dependency tree yet, the keyed ones
/// (governor) bring their own map and clock crates and still need a sweep to forget old
/// keys, and the stream cap is a counter no such crate has.
pub struct SandboxLimits {
    per_minute: u32,
    streams_per_address: usize,
    max_streams: usize,
    posts: Mutex<HashMap<IpAddr, Bucket>>,
    streams: Mutex<Streams>,
}

/// A token bucket: `per_minute` posts at once, refilled at `per_minute` a minute.
#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Default)]
struct Streams {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

impl SandboxLimits {
    pub fn new(per_minute: u32, streams_per_address: usize, max_streams: usize) -> Self {
        SandboxLimits {
            per_minute,
            streams_per_address,
            max_streams,
            posts: Mutex::new(HashMap::new()),
            streams: Mutex::new(Streams::default()),
        }
    }

    /// Counts a post from `ip` at `now`: `Err(wait)` when its allowance is spent.
    pub fn allow_post(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let key = address_key(ip);
        let mut posts = self.posts.lock().unwrap_or_else(|e| e.into_inner());
        if !posts.contains_key(&key) && posts.len() >= MAX_TRACKED_ADDRESSES {
            // A bucket untouched for a minute is full again: the same as none.
            posts.retain(|_, b| now.saturating_duration_since(b.updated) < Duration::from_secs(60));
            if posts.len() >= MAX_TRACKED_ADDRESSES {
                if let Some(oldest) = posts.iter().min_by_key(|(_, b)| b.updated).map(|(k, _)| *k) {
                    posts.remove(&oldest);
                }
            }
        }
        let bucket = posts.entry(key).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }

    /// Opens a stream for `ip`, if neither its address nor the server holds the most.
    pub fn open_stream(self: &Arc<Self>, ip: IpAddr) -> Result<StreamPermit, StreamRefusal> {
        let key = address_key(ip);
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let open = streams.per_address.get(&key).copied().unwrap_or(0);
        if open >= self.streams_per_address {
            return Err(StreamRefusal::Address);
        }
        if streams.total >= self.max_streams {
            return Err(StreamRefusal::Server);
        }
        streams.total += 1;
        *streams.per_address.entry(key).or_insert(0) += 1;
        Ok(StreamPermit {
            limits: self.clone(),
            key,
        })
    }

    #[cfg(test)]
    fn tracked_addresses(&self) -> usize {
        self.posts.lock().unwrap().len()
    }
}

/// An open lead stream, counted until dropped.
pub struct StreamPermit {
    limits: Arc<SandboxLimits>,
    key: IpAddr,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut streams = self
            .limits
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        streams.total = streams.total.saturating_sub(1);
        if let Some(open) = streams.per_address.get_mut(&self.key) {
            *open -= 1;
            if *open == 0 {
                streams.per_address.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn thirty_posts_a_minute_per_address() {
        let limits = SandboxLimits::new(30, 10, 100);
        let start = Instant::now();
        for _ in 0..30 {
            assert!(limits.allow_post(ip("203.0.113.1"), start).is_ok());
        }
        let wait = limits.allow_post(ip("203.0.113.1"), start).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        // Another address has its own allowance; the first gets one back every 2 s.
        assert!(limits.allow_post(ip("203.0.113.2"), start).is_ok());
        assert!(limits
            .allow_post(ip("203.0.113.1"), start + Duration::from_secs(2))
            .is_ok());
        assert!(limits
            .allow_post(ip("203.0.113.1"), start + Duration::from_secs(2))
            .is_err());
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address() {
        let limits = SandboxLimits::new(2, 10, 100);
        let now = Instant::now();
        assert!(limits.allow_post(ip("2001:db8:1:2::1"), now).is_ok());
        assert!(limits.allow_post(ip("2001:db8:1:2::ffff"), now).is_ok());
        assert!(limits.allow_post(ip("2001:db8:1:2:abcd::9"), now).is_err());
        assert!(limits.allow_post(ip("2001:db8:1:3::1"), now).is_ok());
    }

    #[test]
    fn ipv4_mapped_peers_are_keyed_by_their_ipv4_address() {
        // What a dual-stack listener ([::]:3000) reports for IPv4 clients.
        let (a, b) = (ip("::ffff:203.0.113.1"), ip("::ffff:198.51.100.7"));
        assert_ne!(address_key(a), address_key(b));
        assert_eq!(address_key(a), ip("203.0.113.1"));
        assert_eq!(address_key(a), address_key(ip("203.0.113.1")));
        // So one IPv4 host using up its allowance leaves the others theirs.
        let limits = Arc::new(SandboxLimits::new(1, 1, 100));
        let now = Instant::now();
        assert!(limits.allow_post(a, now).is_ok());
        assert!(limits.allow_post(a, now).is_err());
        assert!(limits.allow_post(ip("203.0.113.1"), now).is_err());
        assert!(limits.allow_post(b, now).is_ok());
        let _stream = limits.open_stream(a).unwrap();
        assert_eq!(limits.open_stream(a).err(), Some(StreamRefusal::Address));
        assert!(limits.open_stream(b).is_ok());
    }

    #[test]
    fn the_limiter_forgets_old_addresses() {
        let limits = SandboxLimits::new(30, 10, 100);
        let start = Instant::now();
        for i in 0..MAX_TRACKED_ADDRESSES as u32 + 50 {
            let address = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert!(limits.allow_post(address, start).is_ok());
        }
        assert_eq!(limits.tracked_addresses(), MAX_TRACKED_ADDRESSES);
        // A minute on, the old ones are swept at once.
        assert!(limits
            .allow_post(ip("198.51.100.1"), start + Duration::from_secs(61))
            .is_ok());
        assert_eq!(limits.tracked_addresses(), 1);
    }

    #[test]
    fn streams_are_capped_per_address_and_in_all() {
        let limits = Arc::new(SandboxLimits::new(30, 2, 3));
        let a = [
            limits.open_stream(ip("192.0.2.1")),
            limits.open_stream(ip("192.0.2.1")),
        ];
        assert!(a.iter().all(Result::is_ok));
        assert_eq!(
            limits.open_stream(ip("192.0.2.1")).err(),
            Some(StreamRefusal::Address)
        );
        let b = limits.open_stream(ip("192.0.2.2")).unwrap();
        assert_eq!(
            limits.open_stream(ip("192.0.2.3")).err(),
            Some(StreamRefusal::Server)
        );
        drop(b);
        drop(a);
        assert!(limits.open_stream(ip("192.0.2.1")).is_ok());
        assert_eq!(limits.streams.lock().unwrap().per_address.len(), 0);
    }
}
