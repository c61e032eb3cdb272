//! Instagram messaging: the same Send API and windows as Messenger, addressed to the
//! Instagram account; its text limit (1,000 bytes) is checked before a reply is queued.

use super::messenger::{mark_seen_via_graph, send_via_graph};
use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::store::ChannelConfig;
use app::messages::store::OutboundJob;
use app::state::ReadReceipt;
use async_trait::async_trait;

pub struct Instagram;

#[async_trait]
impl ChannelProvider for Instagram {
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        send_via_graph(ctx, channel, job).await
    }

    async fn mark_seen(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        receipt: &ReadReceipt,
    ) -> Result<(), SendError> {
        mark_seen_via_graph(ctx, channel, receipt).await
    }
}
