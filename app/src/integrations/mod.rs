//! Outgoing webhooks: the business's other tools subscribe a URL to Confab's events
//! (Settings › Integrations). Each change that an integration may follow enqueues one
//! delivery per matching subscription in the change's own transaction (`outbox`), so a
//! delivery is never lost to a crash; a worker signs and posts them, with retries.

use crate::error::AppError;
use crate::i18n::td_string;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod store;

/// The events a subscription can ask for, as named in the delivered JSON's `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationEvent {
    MessageReceived,
    ReplySent,
    ReplyFailed,
    ConversationArchived,
    ConversationReopened,
    /// Given to an employee (or to nobody): by an employee, in turn, or taken back.
    ConversationAssigned,
    /// A private note was added (with the employees it mentions).
    NoteCreated,
    ClientCreated,
    ClientUpdated,
    ClientDeleted,
    /// Two clients became one: the payload names the one kept and the one merged into it.
    ClientsMerged,
    DocumentCreated,
    DocumentUpdated,
    DocumentStatusChanged,
    CallLogged,
    /// Sent by the "send a test event" button only.
    Test,
}

impl IntegrationEvent {
    pub const ALL: [IntegrationEvent; 16] = [
        IntegrationEvent::MessageReceived,
        IntegrationEvent::ReplySent,
        IntegrationEvent::ReplyFailed,
        IntegrationEvent::ConversationArchived,
        IntegrationEvent::ConversationReopened,
        IntegrationEvent::ConversationAssigned,
        IntegrationEvent::NoteCreated,
        IntegrationEvent::ClientCreated,
        IntegrationEvent::ClientUpdated,
        IntegrationEvent::ClientDeleted,
        IntegrationEvent::ClientsMerged,
        IntegrationEvent::DocumentCreated,
        IntegrationEvent::DocumentUpdated,
        IntegrationEvent::DocumentStatusChanged,
        IntegrationEvent::CallLogged,
        IntegrationEvent::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationEvent::MessageReceived => "message_received",
            IntegrationEvent::ReplySent => "reply_sent",
            IntegrationEvent::ReplyFailed => "reply_failed",
            IntegrationEvent::ConversationArchived => "conversation_archived",
            IntegrationEvent::ConversationReopened => "conversation_reopened",
            IntegrationEvent::ConversationAssigned => "conversation_assigned",
            IntegrationEvent::NoteCreated => "note_created",
            IntegrationEvent::ClientCreated => "client_created",
            IntegrationEvent::ClientUpdated => "client_updated",
            IntegrationEvent::ClientDeleted => "client_deleted",
            IntegrationEvent::ClientsMerged => "clients_merged",
            IntegrationEvent::DocumentCreated => "document_created",
            IntegrationEvent::DocumentUpdated => "document_updated",
            IntegrationEvent::DocumentStatusChanged => "document_status_changed",
            IntegrationEvent::CallLogged => "call_logged",
            IntegrationEvent::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// How subscriptions' URLs are checked and deliveries retried (`CONFAB_WEBHOOK_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// `http://` to this machine (127.0.0.1, ::1, localhost) is accepted, and loopback
    /// addresses reached (`CONFAB_WEBHOOKS_ALLOW_LOCAL=true`, for tests and local tools).
    /// Private, link-local and other non-public addresses are refused either way.
    pub allow_local: bool,
    /// The wait after the first failed attempt; each next one doubles, up to `longest_retry`.
    pub first_retry: std::time::Duration,
    pub longest_retry: std::time::Duration,
    /// How long after its creation a delivery is still tried (a day).
    pub give_up_after: std::time::Duration,
    /// How long one attempt may take.
    pub timeout: std::time::Duration,
    /// How often the worker looks for due deliveries when nothing woke it.
    pub poll: std::time::Duration,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        use std::time::Duration;
        WebhookPolicy {
            allow_local: false,
            first_retry: Duration::from_secs(30),
            longest_retry: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(10),
        }
    }
}

impl WebhookPolicy {
    /// The wait after failed attempt number `attempts` (1 for the first): `first_retry`
    /// doubled each time, at most `longest_retry`.
    pub fn backoff(&self, attempts: i64) -> std::time::Duration {
        let doublings = attempts.clamp(1, 31) as u32 - 1;
        self.first_retry
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.longest_retry)
            .min(self.longest_retry)
    }

    /// When a delivery created at `created_at` (ms) that failed its attempt number
    /// `attempts` at `now` (ms) is tried again; `None`: it is given up (past the day).
    pub fn next_attempt(&self, created_at: i64, attempts: i64, now: i64) -> Option<i64> {
        let next = now + self.backoff(attempts).as_millis() as i64;
        let deadline = created_at + self.give_up_after.as_millis() as i64;
        (next <= deadline).then_some(next)
    }
}

/// The events an owner may subscribe to (every one but the test event).
pub fn subscribable_events() -> impl Iterator<Item = IntegrationEvent> {
    IntegrationEvent::ALL
        .into_iter()
        .filter(|e| *e != IntegrationEvent::Test)
}

/// The stored form of a set of events: sorted names, comma-separated.
pub fn join_events(events: &[IntegrationEvent]) -> String {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// Parses the stored form, ignoring unknown names.
pub fn parse_events(stored: &str) -> Vec<IntegrationEvent> {
    let mut events: Vec<IntegrationEvent> = stored
        .split(',')
        .filter_map(IntegrationEvent::parse)
        .collect();
    events.sort_by_key(|e| e.as_str());
    events.dedup();
    events
}

/// A subscription as the owner's list shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSubscription {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<IntegrationEvent>,
    pub active: bool,
    pub created_at: i64,
}

/// A new subscription and its signing secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSubscription {
    pub subscription: WebhookSubscription,
    pub secret: String,
}

/// One delivery in a subscription's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The `Confab-Delivery` header and the payload's `id`.
    pub delivery_id: String,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    /// The receiver's HTTP status at the last attempt (none: no answer).
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub gave_up_at: Option<i64>,
    /// When it is tried next (none once delivered or given up).
    pub next_attempt_at: Option<i64>,
}

/// How many deliveries a subscription's log shows.
pub const DELIVERY_LOG: i64 = 50;
/// The longest subscription URL, in bytes.
pub const MAX_URL_LEN: usize = 2000;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Every secret starts so, which lets secret scanners recognise one.
pub const SECRET_PREFIX: &str = "whsec_";

/// A subscription URL taken apart: what delivery needs to check again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    pub https: bool,
    /// The host as written (an IPv6 literal without its brackets), lowercased.
    pub host: String,
    pub port: u16,
}

/// Why a URL is refused (worded by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not `https://host/...` (or `http://` to this machine when allowed), or malformed.
    Form,
    /// Names or resolves to an address that is not public (private, loopback, link-local…).
    NotPublic,
    /// The host name does not resolve.
    Unresolved,
}

/// Checks a URL's form: https (or http to this machine when `allow_local`), a host, no
/// user name or password, no spaces; and that a host written as an address is public.
pub fn check_url_form(url: &str, allow_local: bool) -> Result<TargetUrl, UrlProblem> {
    if url.is_empty()
        || url.len() > MAX_URL_LEN
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(UrlProblem::Form);
    }
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(UrlProblem::Form);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') || authority.is_empty() {
        return Err(UrlProblem::Form);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(UrlProblem::Form)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlProblem::Form);
        }
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or(UrlProblem::Form)?,
    };
    let host = host.trim_end_matches('.');
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        return Err(UrlProblem::Form);
    }
    let local_name = host == "localhost" || host.ends_with(".localhost");
    let address = host.parse::<std::net::IpAddr>().ok();
    if host.contains(':') && address.is_none() {
        return Err(UrlProblem::Form);
    }
    if let Some(ip) = address {
        if !address_allowed(ip, allow_local) {
            return Err(UrlProblem::NotPublic);
        }
    } else if local_name && !allow_local {
        return Err(UrlProblem::NotPublic);
    }
    let to_this_machine = local_name || address.is_some_and(|ip| ip.is_loopback());
    if !(https || allow_local && to_this_machine) {
        return Err(UrlProblem::Form);
    }
    Ok(TargetUrl {
        https,
        host: host.to_owned(),
        port,
    })
}

/// Whether a delivery may go to `ip`: a public address, or (with `allow_local`) this
/// machine's loopback. Private networks, link-local (cloud metadata), shared, multicast,
/// documentation and reserved ranges never.
pub fn address_allowed(ip: std::net::IpAddr, allow_local: bool) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_local),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_allowed(v4, allow_local);
            }
            if v6.is_loopback() {
                return allow_local;
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_multicast()
                // unique local fc00::/7, link-local fe80::/10, site-local fec0::/10
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // documentation 2001:db8::/32, NAT64 64:ff9b::/96 (and its local 64:ff9b:1::/48)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b)
                // IPv4-compatible ::/96 (deprecated)
                || (s[..6] == [0, 0, 0, 0, 0, 0]))
        }
    }
}

fn v4_allowed(v4: std::net::Ipv4Addr, allow_local: bool) -> bool {
    if v4.is_loopback() {
        return allow_local;
    }
    let o = v4.octets();
    !(v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0
        // shared address space 100.64.0.0/10
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // IETF protocol assignments 192.0.0.0/24, benchmarking 198.18.0.0/15
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // reserved 240.0.0.0/4
        || o[0] >= 240)
}

/// The `Confab-Signature` header of `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`.
#[cfg(feature = "ssr")]
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(feature = "ssr")]
fn url_error(locale: crate::i18n::Locale, problem: UrlProblem) -> AppError {
    let message = match problem {
        UrlProblem::Form => td_string!(locale, integrations.url_form),
        UrlProblem::NotPublic => td_string!(locale, integrations.url_not_public),
        UrlProblem::Unresolved => td_string!(locale, integrations.url_unresolved),
    };
    AppError::validation("url", message)
}

/// Checks a URL as typed, resolving its host: every address it names must be allowed
/// (delivery checks again, since a name may later point elsewhere).
#[cfg(feature = "ssr")]
pub async fn check_url(
    locale: crate::i18n::Locale,
    url: &str,
    allow_local: bool,
) -> Result<String, AppError> {
    let url = url.trim();
    let target = check_url_form(url, allow_local).map_err(|p| url_error(locale, p))?;
    if target.host.parse::<std::net::IpAddr>().is_err() {
        let addresses: Vec<std::net::SocketAddr> =
            match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
                Ok(found) => found.collect(),
                Err(_) => Vec::new(),
            };
        if addresses.is_empty() {
            return Err(url_error(locale, UrlProblem::Unresolved));
        }
        if addresses
            .iter()
            .any(|a| !address_allowed(a.ip(), allow_local))
        {
            return Err(url_error(locale, UrlProblem::NotPublic));
        }
    }
    Ok(url.to_owned())
}

/// Checks the chosen events: at least one, the test event not among them.
pub fn check_events(
    locale: crate::i18n::Locale,
    events: &[IntegrationEvent],
) -> Result<Vec<IntegrationEvent>, AppError> {
    let events = parse_events(&join_events(events));
    if events.is_empty() || events.contains(&IntegrationEvent::Test) {
        return Err(AppError::validation(
            "events",
            td_string!(locale, integrations.events_required),
        ));
    }
    Ok(events)
}

/// Checks a description: optional, one line, at most [`MAX_DESCRIPTION_CHARS`].
pub fn check_description(
    locale: crate::i18n::Locale,
    description: &str,
) -> Result<String, AppError> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(AppError::validation(
            "description",
            crate::locale::fill(
                td_string!(locale, integrations.description_invalid),
                &[(
                    "max",
                    &crate::locale::format_integer(locale, MAX_DESCRIPTION_CHARS as i64),
                )],
            ),
        ));
    }
    Ok(description.to_owned())
}

/// Every subscription (never a secret), for the Settings permission.
#[server(endpoint = "list_webhook_subscriptions")]
pub async fn list_webhook_subscriptions() -> Result<Vec<WebhookSubscription>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::list(&state.db).await?)
}

/// Subscribes `url` to `events`; returns the subscription with its signing secret, which
/// is shown this once.
#[server(endpoint = "create_webhook_subscription")]
pub async fn create_webhook_subscription(
    url: String,
    #[server(default)] description: String,
    #[server(default)] events: Vec<IntegrationEvent>,
) -> Result<CreatedSubscription, AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let locale = crate::locale::request_locale();
    let state = crate::state::AppState::current()?;
    let description = check_description(locale, &description)?;
    let events = check_events(locale, &events)?;
    let url = check_url(locale, &url, state.webhooks.allow_local).await?;
    let created = store::create(
        &state.db,
        &state.secret_key,
        actor.id,
        &url,
        &description,
        &events,
    )
    .await?;
    tracing::info!(actor = %actor.id, subscription = created.subscription.id, "webhook subscription created");
    Ok(created)
}

/// Pauses (`active` false: nothing is queued for it, its queued deliveries wait) or
/// resumes a subscription.
#[server(endpoint = "set_webhook_subscription_active")]
pub async fn set_webhook_subscription_active(id: i64, active: bool) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    store::set_active(&state.db, id, active).await?;
    tracing::info!(actor = %actor.id, subscription = id, active, "webhook subscription paused or resumed");
    if active {
        outbox::wake();
    }
    Ok(())
}

/// Deletes a subscription with its deliveries (queued ones are not sent).
#[server(endpoint = "delete_webhook_subscription")]
pub async fn delete_webhook_subscription(id: i64) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    store::delete(&state.db, id).await?;
    tracing::info!(actor = %actor.id, subscription = id, "webhook subscription deleted");
    Ok(())
}

/// Gives a subscription a new signing secret and returns it (shown this once); the old
/// one stops signing at once, queued deliveries included.
#[server(endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: i64) -> Result<String, AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    let secret = store::rotate_secret(&state.db, &state.secret_key, id).await?;
    tracing::info!(actor = %actor.id, subscription = id, "webhook secret rotated");
    Ok(secret)
}

/// The newest [`DELIVERY_LOG`] deliveries of a subscription.
#[server(endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(id: i64) -> Result<Vec<WebhookDelivery>, AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::deliveries(&state.db, id, DELIVERY_LOG).await?)
}

/// Queues a `test` event for one subscription (even a paused one).
#[server(endpoint = "send_webhook_test")]
pub async fn send_webhook_test(id: i64) -> Result<(), AppError> {
    let actor =
        crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    store::enqueue_test(&state.db, id, actor.id).await?;
    outbox::wake();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_gives_up_after_the_day() {
        let policy = WebhookPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_secs(30));
        assert_eq!(policy.backoff(2), Duration::from_secs(60));
        assert_eq!(policy.backoff(3), Duration::from_secs(120));
        assert_eq!(policy.backoff(8), Duration::from_secs(3600));
        assert_eq!(policy.backoff(1000), Duration::from_secs(3600));
        let created = 1_000_000;
        assert_eq!(
            policy.next_attempt(created, 1, created + 1000),
            Some(created + 31_000)
        );
        let day = 24 * 3600 * 1000;
        assert_eq!(policy.next_attempt(created, 30, created + day - 10), None);
        assert!(policy
            .next_attempt(created, 30, created + day - 3_600_000)
            .is_some());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // HMAC-SHA256("secret", "1700000000.{}"), computed independently (Python's hmac).
        assert_eq!(
            signature_header("secret", 1_700_000_000, b"{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    #[test]
    fn urls_must_be_https_to_public_hosts() {
        let ok = |u: &str, local: bool| check_url_form(u, local).is_ok();
        assert!(ok("https://hooks.example.com/confab?x=1", false));
        assert!(ok("https://203.0.113.7.nip.io:8443/in", false));
        assert!(!ok("http://hooks.example.com/", false));
        assert!(!ok("ftp://hooks.example.com/", false));
        assert!(!ok("https://user:pw@hooks.example.com/", false));
        assert!(!ok("https:///path", false));
        assert!(!ok("https://exa mple.com/", false));
        assert_eq!(
            check_url_form("https://127.0.0.1/", false),
            Err(UrlProblem::NotPublic)
        );
        assert_eq!(
            check_url_form("https://localhost/", false),
            Err(UrlProblem::NotPublic)
        );
        for private in [
            "https://10.0.0.1/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
        ] {
            assert_eq!(
                check_url_form(private, true),
                Err(UrlProblem::NotPublic),
                "{private}"
            );
        }
        assert_eq!(
            check_url_form("https://[::1]/", false),
            Err(UrlProblem::NotPublic)
        );
        // Allowed locally: http to this machine only.
        assert!(ok("http://127.0.0.1:8080/hook", true));
        assert!(ok("http://localhost:8080/hook", true));
        assert!(!ok("http://127.0.0.1:8080/hook", false));
        assert!(!ok("http://hooks.example.com/", true));
        assert!(ok("https://[2606:4700::1111]/", false));
    }

    #[test]
    fn events_round_trip_and_the_test_event_is_not_subscribable() {
        let english = crate::i18n::Locale::en;
        assert!(check_events(english, &[]).is_err());
        assert!(check_events(english, &[IntegrationEvent::Test]).is_err());
        let chosen = check_events(
            english,
            &[
                IntegrationEvent::ReplySent,
                IntegrationEvent::ClientCreated,
                IntegrationEvent::ReplySent,
            ],
        )
        .unwrap();
        assert_eq!(
            chosen,
            vec![IntegrationEvent::ClientCreated, IntegrationEvent::ReplySent]
        );
        assert_eq!(parse_events(&join_events(&chosen)), chosen);
        assert!(!subscribable_events().any(|e| e == IntegrationEvent::Test));
        assert_eq!(
            subscribable_events().count(),
            IntegrationEvent::ALL.len() - 1
        );
    }
}
