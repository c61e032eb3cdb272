//! The `Channel` contract (DESIGN.md §4): how Confab delivers a reply and a read receipt
//! through a provider. One module per provider; the sender worker only knows this trait.
//! Inbound parsing and signatures live in `inbound`, one parser per provider family.

use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::messages::store::OutboundJob;
use app::state::ReadReceipt;
use async_trait::async_trait;
use std::time::Duration;

mod graph;
pub mod inbound;
pub mod instagram;
pub mod messenger;
pub mod sandbox;
pub mod twilio_sms;
pub mod whatsapp;

/// Why a provider did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// A passing fault (timeout, 429, 5xx): try again later.
    RetryLater(String),
    /// A passing fault whose answer said when to try again (`Retry-After`).
    RetryAfter(String, Duration),
    /// The provider refused this message for good; the reason is shown to the employee.
    Rejected(String),
    /// The reply window is closed (Meta's 24-hour rule, WhatsApp's session window).
    WindowClosed(String),
    /// The channel's credentials no longer work: reconnect it.
    SyncLost(String),
}

/// What a provider reports after taking a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub provider_id: String,
    /// True when the provider already confirmed delivery (the sandbox does).
    pub delivered: bool,
}

/// How long Confab waits for a provider and how it retries (settings
/// `CONFAB_PROVIDER_TIMEOUT_SECS`, `CONFAB_RETRY_DELAY_SECS`, `CONFAB_SEND_ATTEMPTS`,
/// `CONFAB_MEDIA_ATTEMPTS`; tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderPolicy {
    /// The longest one request may take, its answer's body included.
    pub timeout: Duration,
    /// The delay before the first retry; each next one doubles, up to [`Self::MAX_DELAY`].
    pub first_retry: Duration,
    /// Attempts at delivering a reply before a passing fault becomes a failure.
    pub send_attempts: i64,
    /// Attempts at fetching a lead's file before it is marked as not fetched.
    pub media_attempts: i64,
}

impl Default for ProviderPolicy {
    fn default() -> Self {
        ProviderPolicy {
            timeout: Duration::from_secs(20),
            first_retry: Duration::from_secs(2),
            send_attempts: 8,
            media_attempts: 5,
        }
    }
}

impl ProviderPolicy {
    /// No retry waits longer, whatever a provider's `Retry-After` asks.
    pub const MAX_DELAY: Duration = Duration::from_secs(300);

    /// The wait before the attempt after `attempts` failed ones: `first_retry` doubled
    /// per earlier failure, at least what the provider asked, at most [`Self::MAX_DELAY`].
    pub fn delay(&self, attempts: i64, asked: Option<Duration>) -> Duration {
        let exp = attempts.clamp(0, 20) as u32;
        let backoff = self.first_retry.saturating_mul(1 << exp);
        backoff.max(asked.unwrap_or_default()).min(Self::MAX_DELAY)
    }
}

/// Where the providers' APIs are and how Confab reaches them. Tests point the base URLs
/// at an in-process fake.
#[derive(Debug, Clone)]
pub struct ProviderContext {
    pub http: reqwest::Client,
    pub policy: ProviderPolicy,
    /// Graph API with its version, e.g. `https://graph.facebook.com/v25.0`.
    pub graph_api_url: String,
    /// Twilio's REST API root, e.g. `https://api.twilio.com`.
    pub twilio_api_url: String,
    /// Where providers reach Confab (Twilio status callbacks, our files).
    pub public_url: String,
    /// Signs the public URLs of our files.
    pub secret_key: app::channels::credentials::SecretKey,
    /// The simulator's copy of the providers' APIs (`crate::practice::api`), on a loopback
    /// port of this process: where practice channels' calls go instead.
    pub practice_url: Option<String>,
}

impl ProviderContext {
    pub fn new(
        graph_api_url: &str,
        twilio_api_url: &str,
        public_url: &str,
        secret_key: app::channels::credentials::SecretKey,
        policy: ProviderPolicy,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(policy.timeout.min(Duration::from_secs(5)))
            .timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Confab")
            .build()
            .unwrap_or_default();
        ProviderContext {
            http,
            policy,
            graph_api_url: graph_api_url.trim_end_matches('/').to_owned(),
            twilio_api_url: twilio_api_url.trim_end_matches('/').to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret_key,
            practice_url: None,
        }
    }

    /// The Graph API root for this channel: the simulator's for a practice channel (with
    /// the same version path), never the internet.
    pub fn graph_url(&self, channel: &app::channels::Channel) -> String {
        self.api_url(
            channel,
            &self.graph_api_url,
            &format!("graph/{}", crate::practice::api::GRAPH_VERSION),
        )
    }

    /// Twilio's REST API root for this channel, as [`Self::graph_url`].
    pub fn twilio_url(&self, channel: &app::channels::Channel) -> String {
        self.api_url(channel, &self.twilio_api_url, "twilio")
    }

    fn api_url(&self, channel: &app::channels::Channel, real: &str, path: &str) -> String {
        if !channel.simulated {
            return real.to_owned();
        }
        // A practice channel in a process without the simulator goes nowhere: the port
        // below is never open (connections are refused at once, as a transport fault).
        let base = self.practice_url.as_deref().unwrap_or("http://127.0.0.1:9");
        format!("{base}/{path}")
    }

    /// The URL a provider fetches one of our files from: signed, so it cannot be guessed.
    pub fn public_media_url(&self, attachment: i64) -> String {
        format!(
            "{}{}",
            self.public_url,
            self.secret_key.public_media_path(attachment)
        )
    }

    /// The webhook URL of a channel, as providers must be told it.
    pub fn webhook_url(&self, kind: ChannelKind, channel: app::ids::ChannelId) -> String {
        webhook_url(&self.public_url, kind, channel)
    }
}

/// `{public_url}/webhooks/{kind}/{id}`: the one place webhook URLs are built.
pub fn webhook_url(public_url: &str, kind: ChannelKind, channel: app::ids::ChannelId) -> String {
    format!(
        "{}/webhooks/{}/{}",
        public_url.trim_end_matches('/'),
        kind.as_str(),
        channel.0
    )
}

#[async_trait]
pub trait ChannelProvider: Send + Sync {
    /// Delivers one reply.
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError>;

    /// Tells the lead's app that the business has seen their messages, where the
    /// provider has such a thing.
    async fn mark_seen(
        &self,
        _ctx: &ProviderContext,
        _channel: &ChannelConfig,
        _receipt: &ReadReceipt,
    ) -> Result<(), SendError> {
        Ok(())
    }
}

/// The provider that serves a kind of channel.
pub fn provider_for(kind: ChannelKind) -> &'static dyn ChannelProvider {
    match kind {
        ChannelKind::Sandbox => &sandbox::Sandbox,
        ChannelKind::Messenger => &messenger::Messenger,
        ChannelKind::Instagram => &instagram::Instagram,
        ChannelKind::Whatsapp => &whatsapp::Whatsapp,
        ChannelKind::TwilioSms => &twilio_sms::TwilioSms,
    }
}

/// A transport failure (no answer, timeout, reset) is always worth another try.
fn transport_error(provider: &str, err: &reqwest::Error) -> SendError {
    SendError::RetryLater(format!("{provider} {}.", transport_fault(err)))
}

/// What went wrong on the way, in words for the employee: "did not answer in time".
pub fn transport_fault(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "did not answer in time"
    } else if err.is_connect() {
        "could not be reached"
    } else {
        "broke off the connection"
    }
}

/// A passing fault with the wait its answer asked for (`Retry-After` in seconds; an
/// HTTP date is not trusted and the usual backoff applies).
fn with_retry_after(err: SendError, headers: &reqwest::header::HeaderMap) -> SendError {
    let asked = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    match (err, asked) {
        (SendError::RetryLater(reason), Some(wait)) => SendError::RetryAfter(reason, wait),
        (err, _) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_respect_retry_after_and_are_capped() {
        let policy = ProviderPolicy::default();
        let secs = |attempts, asked: Option<u64>| {
            policy
                .delay(attempts, asked.map(Duration::from_secs))
                .as_secs()
        };
        assert_eq!(secs(0, None), 2);
        assert_eq!(secs(1, None), 4);
        assert_eq!(secs(5, None), 64);
        assert_eq!(secs(50, None), 300);
        assert_eq!(
            secs(0, Some(30)),
            30,
            "the provider's wait wins when longer"
        );
        assert_eq!(secs(3, Some(1)), 16, "but never shortens the backoff");
        assert_eq!(secs(0, Some(86_400)), 300, "and never exceeds five minutes");
    }

    #[test]
    fn retry_after_in_seconds_is_kept_a_date_is_not() {
        let mut headers = reqwest::header::HeaderMap::new();
        let busy = || SendError::RetryLater("busy".into());
        assert_eq!(with_retry_after(busy(), &headers), busy());
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(
            with_retry_after(busy(), &headers),
            SendError::RetryAfter("busy".into(), Duration::from_secs(7))
        );
        let refused = SendError::Rejected("no".into());
        assert_eq!(with_retry_after(refused.clone(), &headers), refused);
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(with_retry_after(busy(), &headers), busy());
    }
}
