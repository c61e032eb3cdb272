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

/// Where the providers' APIs are and how Confab reaches them. Tests point the base URLs
/// at an in-process fake.
#[derive(Debug, Clone)]
pub struct ProviderContext {
    pub http: reqwest::Client,
    /// Graph API with its version, e.g. `https://graph.facebook.com/v25.0`.
    pub graph_api_url: String,
    /// Twilio's REST API root, e.g. `https://api.twilio.com`.
    pub twilio_api_url: String,
    /// Where providers reach Confab (Twilio status callbacks, our files).
    pub public_url: String,
    /// Signs the public URLs of our files.
    pub secret_key: app::channels::credentials::SecretKey,
}

impl ProviderContext {
    pub fn new(
        graph_api_url: &str,
        twilio_api_url: &str,
        public_url: &str,
        secret_key: app::channels::credentials::SecretKey,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Confab")
            .build()
            .unwrap_or_default();
        ProviderContext {
            http,
            graph_api_url: graph_api_url.trim_end_matches('/').to_owned(),
            twilio_api_url: twilio_api_url.trim_end_matches('/').to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret_key,
        }
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
    let what = if err.is_timeout() {
        "did not answer in time"
    } else if err.is_connect() {
        "could not be reached"
    } else {
        "broke off the connection"
    };
    SendError::RetryLater(format!("{provider} {what}."))
}
