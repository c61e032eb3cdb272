//! Facebook Messenger: replies through the Send API with the messaging type the window
//! allows (`RESPONSE` within 24 hours, `MESSAGE_TAG` + `HUMAN_AGENT` up to 7 days), and
//! `mark_seen` when an employee opens the conversation.

use super::graph::{answer_str, post_messages};
use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::providers::ContactProfile;
use app::channels::store::ChannelConfig;
use app::channels::window::ReplyWindow;
use app::messages::store::OutboundJob;
use app::messages::AttachmentKind;
use app::state::ReadReceipt;
use app::store::now_ms;
use async_trait::async_trait;
use serde_json::json;

pub struct Messenger;

/// The Send API body for a text reply at this moment, or why none may go out. Meta's
/// `metadata` comes back on the echo, so Confab knows the echo is its own message.
pub fn send_body(
    channel: &ChannelConfig,
    job: &OutboundJob,
    media_url: Option<&str>,
    now: i64,
) -> Result<serde_json::Value, SendError> {
    let window = ReplyWindow::at(
        channel.channel.kind,
        channel.channel.human_agent,
        job.last_inbound_at,
        now,
    );
    let metadata = super::confab_tag(job);
    // Meta takes a text or a file per message; Confab queues a caption separately.
    let message = match (&job.attachment, media_url) {
        (Some(file), Some(url)) => {
            let kind = match file.kind {
                AttachmentKind::Image | AttachmentKind::Sticker => "image",
                AttachmentKind::Video => "video",
                AttachmentKind::Audio => "audio",
                AttachmentKind::File | AttachmentKind::Location => "file",
            };
            json!({
                "attachment": { "type": kind, "payload": { "url": url, "is_reusable": false } },
                "metadata": metadata,
            })
        }
        _ => json!({ "text": job.body, "metadata": metadata }),
    };
    let recipient = json!({ "id": job.contact_external_id });
    match window {
        ReplyWindow::Open { .. } | ReplyWindow::Always => Ok(json!({
            "recipient": recipient,
            "messaging_type": "RESPONSE",
            "message": message,
        })),
        ReplyWindow::HumanAgent { .. } => Ok(json!({
            "recipient": recipient,
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": message,
        })),
        ReplyWindow::TemplateOnly | ReplyWindow::Closed => Err(SendError::WindowClosed(
            window
                .refusal(app::i18n::Locale::en, channel.channel.kind)
                .unwrap_or_else(|| "The reply window is closed.".into()),
        )),
    }
}

/// Sends a reply as Messenger and Instagram both do.
pub async fn send_via_graph(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    job: &OutboundJob,
) -> Result<SendReceipt, SendError> {
    let media_url = job.attachment.as_ref().map(|f| ctx.public_media_url(f.id));
    let body = send_body(channel, job, media_url.as_deref(), now_ms())?;
    let answer = post_messages(ctx, channel, &body).await?;
    Ok(SendReceipt {
        provider_id: answer_str(&answer, "/message_id", channel.channel.kind.label())?,
        delivered: false,
        recipient_id: None,
    })
}

/// `sender_action: mark_seen` for the lead, as Messenger and Instagram both take it.
pub async fn mark_seen_via_graph(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    receipt: &ReadReceipt,
) -> Result<(), SendError> {
    let body = json!({
        "recipient": { "id": receipt.contact_external_id },
        "sender_action": "mark_seen",
    });
    post_messages(ctx, channel, &body).await?;
    Ok(())
}

/// Instagram's profiles are on the host its login sends through; Messenger's on the Graph API.
fn profile_root(ctx: &ProviderContext, channel: &ChannelConfig) -> String {
    match channel.channel.kind {
        app::channels::ChannelKind::Instagram => super::instagram::api_root(ctx, channel),
        _ => ctx.graph_url(&channel.channel),
    }
}

/// The lead's profile: Messenger's User Profile API (`first_name`, `last_name`) or
/// Instagram's (`name`, `username`). Only Meta channels have one.
pub async fn fetch_profile(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    contact: &str,
) -> Result<ContactProfile, String> {
    let fields = match channel.channel.kind {
        app::channels::ChannelKind::Messenger => "first_name,last_name",
        app::channels::ChannelKind::Instagram => "name,username",
        _ => return Ok(ContactProfile::default()),
    };
    // The id is the provider's, but never let it reshape the URL.
    if contact.is_empty()
        || !contact
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("not a profile id".into());
    }
    let answer: serde_json::Value = ctx
        .http
        .get(format!("{}/{contact}", profile_root(ctx, channel)))
        .query(&[
            ("fields", fields),
            ("access_token", channel.credentials.value("access_token")),
        ])
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?
        .error_for_status()
        .map_err(|e| e.without_url().to_string())?
        .json()
        .await
        .map_err(|e| e.without_url().to_string())?;
    let text = |key: &str| answer.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let name = match (text("first_name"), text("last_name"), text("name")) {
        (_, _, Some(name)) => Some(name),
        (Some(first), Some(last), None) => Some(format!("{first} {last}")),
        (first, last, None) => first.or(last),
    };
    Ok(ContactProfile {
        name,
        username: text("username"),
    })
}

#[async_trait]
impl ChannelProvider for Messenger {
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
