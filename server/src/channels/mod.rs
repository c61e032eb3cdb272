//! The `Channel` contract (DESIGN.md §4): how Confab delivers a reply and a read receipt
//! through a provider. One module per provider; the sender worker only knows this trait.
//! Inbound parsing and signatures live in `inbound`, one parser per provider family.

use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::messages::store::{ConfabTag, OutboundJob};
use app::state::ReadReceipt;
use async_trait::async_trait;
use std::time::Duration;

mod graph;
pub mod inbound;
pub mod instagram;
pub mod messenger;
pub mod rate_limits;
pub mod sandbox;
pub mod twilio_sms;
pub mod whatsapp;

/// Instagram's own Graph API host (Instagram API with Instagram Login).
pub const DEFAULT_INSTAGRAM_API_URL: &str = "https://graph.instagram.com/v25.0";

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
    /// The outcome is unknown: the request was written but its answer was lost (a timeout,
    /// a connection cut mid-answer) or unreadable (a 2xx without a message id). The
    /// provider may have taken the message, so it is not sent again before the provider's
    /// own signal (an echo or status carrying `confab:<id>`) has had
    /// [`ProviderPolicy::confirm_wait`] to arrive.
    Unconfirmed(String),
    /// A rate limit (`rate_limits`): the provider asks Confab to stop sending on the whole
    /// channel (or only to this lead), for `wait` when its answer says how long. The reply
    /// waits without the attempt counting.
    Paused {
        reason: String,
        wait: Option<Duration>,
        scope: rate_limits::PauseScope,
    },
}

/// What a provider reports after taking a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub provider_id: String,
    /// True when the provider already confirmed delivery (the sandbox does).
    pub delivered: bool,
    /// The id the provider knows the lead by, when its answer names one that may differ
    /// from the address used (WhatsApp's `contacts[].wa_id`).
    pub recipient_id: Option<String>,
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
    /// How long a reply whose outcome is unknown waits for the provider's confirmation
    /// before it is sent once more (`CONFAB_CONFIRM_WAIT_SECS`).
    pub confirm_wait: Duration,
    /// How long a channel pauses for a rate limit whose answer does not say
    /// (`CONFAB_RATE_LIMIT_PAUSE_SECS`).
    pub rate_limit_pause: Duration,
    /// The longest pause, whatever the provider says (`CONFAB_LONGEST_PAUSE_SECS`).
    pub longest_pause: Duration,
}

impl Default for ProviderPolicy {
    fn default() -> Self {
        ProviderPolicy {
            timeout: Duration::from_secs(20),
            first_retry: Duration::from_secs(2),
            send_attempts: 8,
            media_attempts: 5,
            confirm_wait: Duration::from_secs(120),
            rate_limit_pause: Duration::from_secs(60),
            longest_pause: Duration::from_secs(24 * 3600),
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

    /// How long a rate limit pauses: what the provider said, else
    /// [`Self::rate_limit_pause`]; at most [`Self::longest_pause`].
    pub fn pause(&self, asked: Option<Duration>) -> Duration {
        asked
            .filter(|d| !d.is_zero())
            .unwrap_or(self.rate_limit_pause)
            .min(self.longest_pause)
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
    /// Instagram's Graph API host with its version, for accounts connected with Instagram
    /// Login, e.g. `https://graph.instagram.com/v25.0`.
    pub instagram_api_url: String,
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
            instagram_api_url: DEFAULT_INSTAGRAM_API_URL.to_owned(),
            twilio_api_url: twilio_api_url.trim_end_matches('/').to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret_key,
            practice_url: None,
        }
    }

    /// Where Instagram Login accounts' calls go (`CONFAB_INSTAGRAM_API_URL`).
    pub fn with_instagram_api_url(mut self, url: &str) -> Self {
        self.instagram_api_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// Instagram's own Graph API root for this channel (Instagram Login accounts), or the
    /// simulator's Graph API for a practice channel.
    pub fn instagram_url(&self, channel: &app::channels::Channel) -> String {
        self.api_url(
            channel,
            &self.instagram_api_url,
            &format!("graph/{}", crate::practice::api::GRAPH_VERSION),
        )
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

/// A transport failure. One before the connection was made means the provider never saw
/// the request: worth another try. Any other (a timeout, a reset, a body cut short) came
/// after the request was written, so the provider may have taken the message: its
/// outcome is unknown, and only the provider's own signal settles it.
fn transport_error(provider: &str, err: &reqwest::Error) -> SendError {
    let reason = format!("{provider} {}.", transport_fault(err));
    if err.is_connect() {
        SendError::RetryLater(reason)
    } else {
        SendError::Unconfirmed(reason)
    }
}

/// The text Confab puts on every reply so that the provider's echo or status names it
/// (Messenger / Instagram `metadata`, WhatsApp `biz_opaque_callback_data`): the
/// prefix `confab:`, the message id and its creation time ([`ConfabTag`]). The inbound
/// parsers read it back.
pub fn confab_tag(job: &OutboundJob) -> String {
    let tag = job.tag();
    format!("confab:{}", tag_value(tag))
}

/// `<id>.<created_at>`: the tag without its prefix (Twilio's callback query carries it).
pub fn tag_value(tag: ConfabTag) -> String {
    format!("{}.{}", tag.message.0, tag.created_at)
}

/// The [`ConfabTag`] in a [`confab_tag`], if the text is one.
pub fn parse_confab_tag(text: &str) -> Option<ConfabTag> {
    let (id, created_at) = text.strip_prefix("confab:")?.split_once('.')?;
    let number = |digits: &str| {
        (!digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<i64>().ok())
            .flatten()
    };
    Some(ConfabTag {
        message: app::ids::MessageId(number(id)?),
        created_at: number(created_at)?,
    })
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
    fn confab_tags_read_back_only_as_written() {
        let tag = ConfabTag {
            message: app::ids::MessageId(9_007),
            created_at: 1_764_990_000_123,
        };
        assert_eq!(tag_value(tag), "9007.1764990000123");
        assert_eq!(
            parse_confab_tag(&format!("confab:{}", tag_value(tag))),
            Some(tag)
        );
        for other in [
            "confab:",
            "confab:9007",
            "confab:9007.",
            "confab:.1",
            "confab:-1.2",
            "confab:1x.2",
            "confab:1.2.3",
            "campaign:7",
            "confab:99999999999999999999",
            " confab:1",
        ] {
            assert_eq!(parse_confab_tag(other), None, "{other}");
        }
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
