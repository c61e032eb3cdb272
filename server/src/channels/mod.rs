//! The `Channel` contract: how Confab delivers a reply through a provider. One module per
//! provider; the sender worker only knows this trait.

use app::channels::{Channel, ChannelKind};
use app::messages::store::OutboundJob;
use async_trait::async_trait;

pub mod sandbox;

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

#[async_trait]
pub trait ChannelProvider: Send + Sync {
    async fn send(&self, channel: &Channel, job: &OutboundJob) -> Result<SendReceipt, SendError>;
}

/// The provider that serves a kind of channel, if this build has one.
pub fn provider_for(kind: ChannelKind) -> Option<&'static dyn ChannelProvider> {
    match kind {
        ChannelKind::Sandbox => Some(&sandbox::Sandbox),
        ChannelKind::Messenger
        | ChannelKind::Instagram
        | ChannelKind::Whatsapp
        | ChannelKind::TwilioSms => None,
    }
}
