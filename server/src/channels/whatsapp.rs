//! WhatsApp Cloud API: text replies inside the 24-hour customer-service window through
//! `/{phone_number_id}/messages`, and the read receipt for the lead's newest message.

use super::graph::{answer_str, post_messages, GraphAuth};
use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::store::ChannelConfig;
use app::channels::window::ReplyWindow;
use app::messages::store::OutboundJob;
use app::state::ReadReceipt;
use app::store::now_ms;
use async_trait::async_trait;
use serde_json::json;

pub struct Whatsapp;

/// The documented text-message body; the recipient is the lead's wa_id in E.164.
pub fn text_body(job: &OutboundJob) -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": format!("+{}", job.contact_external_id.trim_start_matches('+')),
        "type": "text",
        "text": { "preview_url": false, "body": job.body },
    })
}

#[async_trait]
impl ChannelProvider for Whatsapp {
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        let window = ReplyWindow::at(channel.channel.kind, false, job.last_inbound_at, now_ms());
        if !window.allows_text() {
            return Err(SendError::WindowClosed(
                window.refusal(channel.channel.kind).unwrap_or_default(),
            ));
        }
        let answer = post_messages(
            ctx,
            "WhatsApp",
            channel.credentials.value("phone_number_id"),
            GraphAuth::Bearer(channel.credentials.value("access_token")),
            &text_body(job),
        )
        .await?;
        Ok(SendReceipt {
            provider_id: answer_str(&answer, "/messages/0/id", "WhatsApp")?,
            delivered: false,
        })
    }

    async fn mark_seen(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        receipt: &ReadReceipt,
    ) -> Result<(), SendError> {
        let Some(message_id) = &receipt.last_inbound_provider_id else {
            return Ok(());
        };
        let body =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id });
        post_messages(
            ctx,
            "WhatsApp",
            channel.credentials.value("phone_number_id"),
            GraphAuth::Bearer(channel.credentials.value("access_token")),
            &body,
        )
        .await?;
        Ok(())
    }
}
