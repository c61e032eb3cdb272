//! The sandbox provider: delivery is in-process. The lead's page follows its conversation
//! over `/sandbox/events` and shows the reply once it is delivered here.

use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::store::ChannelConfig;
use app::messages::store::OutboundJob;
use async_trait::async_trait;

pub struct Sandbox;

#[async_trait]
impl ChannelProvider for Sandbox {
    async fn send(
        &self,
        _ctx: &ProviderContext,
        _channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        Ok(SendReceipt {
            provider_id: format!("sandbox-out-{}", job.message_id),
            delivered: true,
            recipient_id: None,
        })
    }
}
