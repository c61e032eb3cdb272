//! WhatsApp Cloud API: text replies inside the 24-hour customer-service window through
//! `/{phone_number_id}/messages`, and the read receipt for the lead's newest message.

use super::graph::{answer_str, post_messages};
use super::inbound::meta::{classify_graph_error, GraphErrorClass};
use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::providers::{ContactProfile, ProviderApi};
use app::channels::store::ChannelConfig;
use app::channels::window::ReplyWindow;
use app::channels::WhatsappTemplate;
use app::messages::store::OutboundJob;
use app::messages::{AttachmentKind, TemplateChoice};
use app::state::ReadReceipt;
use app::store::now_ms;
use async_trait::async_trait;
use serde_json::json;

pub struct Whatsapp;

/// Every body carries `biz_opaque_callback_data` = `confab:<message id>`: WhatsApp puts
/// it on the message's status webhooks, which confirm a send whose answer was lost.
///
/// The documented text-message body, or a media message (`link` to our signed file URL,
/// the text as its caption where WhatsApp takes one); the recipient is the lead's wa_id
/// in E.164.
pub fn text_body(job: &OutboundJob, media_url: Option<&str>) -> serde_json::Value {
    if let (Some(file), Some(url)) = (&job.attachment, media_url) {
        let kind = match file.kind {
            AttachmentKind::Image => "image",
            AttachmentKind::Video => "video",
            AttachmentKind::Audio => "audio",
            AttachmentKind::Sticker => "sticker",
            AttachmentKind::File | AttachmentKind::Location => "document",
        };
        let mut media = json!({ "link": url });
        // Audio takes no caption (Confab sends the text after it as its own message).
        let captioned = app::channels::media_rules::takes_caption(
            app::channels::ChannelKind::Whatsapp,
            &file.mime,
        );
        if captioned && kind != "sticker" && !job.body.is_empty() {
            media["caption"] = json!(job.body);
        }
        if kind == "document" {
            media["filename"] = json!(file.file_name);
        }
        return json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient(job),
            "type": kind,
            kind: media,
            "biz_opaque_callback_data": super::confab_tag(job),
        });
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient(job),
        "type": "text",
        "text": { "preview_url": false, "body": job.body },
        "biz_opaque_callback_data": super::confab_tag(job),
    })
}

fn recipient(job: &OutboundJob) -> String {
    format!("+{}", job.contact_external_id.trim_start_matches('+'))
}

/// Where a reply goes: `to` with the lead's wa_id in E.164, or, for a lead known only by
/// its business-scoped user id (a username, no number), `recipient` with that id, as
/// WhatsApp documents for BSUIDs. Anything else is refused: Confab never sends to a
/// malformed `+` number.
pub fn address(contact_external_id: &str) -> Result<(&'static str, String), SendError> {
    use app::channels::whatsapp_identity::{is_bsuid, is_wa_id};
    if is_wa_id(contact_external_id) {
        Ok((
            "to",
            format!("+{}", contact_external_id.trim_start_matches('+')),
        ))
    } else if is_bsuid(contact_external_id) {
        Ok(("recipient", contact_external_id.to_owned()))
    } else {
        Err(SendError::Rejected(
            "This WhatsApp contact has neither a phone number nor a WhatsApp user id Confab can send to."
                .into(),
        ))
    }
}

/// The documented template-message body: name, language and the body's text variables.
pub fn template_body(job: &OutboundJob, template: &TemplateChoice) -> serde_json::Value {
    let parameters: Vec<serde_json::Value> = template
        .params
        .iter()
        .map(|text| json!({ "type": "text", "text": text }))
        .collect();
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient(job),
        "type": "template",
        "template": { "name": template.name, "language": { "code": template.language } },
        "biz_opaque_callback_data": super::confab_tag(job),
    });
    if !parameters.is_empty() {
        body["template"]["components"] = json!([{ "type": "body", "parameters": parameters }]);
    }
    body
}

/// GETs the approved templates of the business account, with their body text.
pub async fn fetch_templates(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
) -> Result<Vec<WhatsappTemplate>, String> {
    let account = channel
        .credentials
        .get("business_account_id")
        .ok_or("Add the WhatsApp business account ID to this channel in Settings › Conversations to use templates.")?;
    let url = format!(
        "{}/{}/message_templates",
        ctx.graph_url(&channel.channel),
        account
    );
    let response = ctx
        .http
        .get(url)
        .bearer_auth(channel.credentials.value("access_token"))
        .query(&[
            ("status", "APPROVED"),
            ("fields", "name,language,status,components"),
            ("limit", "200"),
        ])
        .send()
        .await
        .map_err(|e| format!("WhatsApp could not be reached: {}", e.without_url()))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !status.is_success() {
        return Err(match classify_graph_error(status.as_u16(), &bytes) {
            GraphErrorClass::SyncLost(r)
            | GraphErrorClass::WindowClosed(r)
            | GraphErrorClass::RetryLater(r)
            | GraphErrorClass::Rejected(r) => r,
        });
    }
    let answer: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| "WhatsApp answered with something that is not JSON.".to_owned())?;
    let templates = answer
        .get("data")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter(|t| {
            t.get("status")
                .and_then(|s| s.as_str())
                .is_none_or(|s| s == "APPROVED")
        })
        .filter_map(|t| {
            let body = t
                .get("components")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
                .find(|c| c.get("type").and_then(|k| k.as_str()) == Some("BODY"))
                .and_then(|c| c.get("text"))
                .and_then(|x| x.as_str())
                .unwrap_or_default();
            Some(WhatsappTemplate {
                name: t.get("name")?.as_str()?.to_owned(),
                language: t.get("language")?.as_str()?.to_owned(),
                body: body.to_owned(),
            })
        })
        .collect();
    Ok(templates)
}

#[async_trait]
impl ProviderApi for ProviderContext {
    async fn whatsapp_templates(
        &self,
        channel: &ChannelConfig,
    ) -> Result<Vec<WhatsappTemplate>, String> {
        fetch_templates(self, channel).await
    }

    async fn contact_profile(
        &self,
        channel: &ChannelConfig,
        contact_external_id: &str,
    ) -> Result<ContactProfile, String> {
        super::messenger::fetch_profile(self, channel, contact_external_id).await
    }
}

#[async_trait]
impl ChannelProvider for Whatsapp {
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        let body = match job
            .template
            .as_deref()
            .map(serde_json::from_str::<TemplateChoice>)
        {
            Some(Ok(template)) => template_body(job, &template),
            Some(Err(_)) => {
                return Err(SendError::Rejected(
                    "The template of this message is damaged.".into(),
                ))
            }
            None => {
                let window =
                    ReplyWindow::at(channel.channel.kind, false, job.last_inbound_at, now_ms());
                if !window.allows_text() {
                    return Err(SendError::WindowClosed(
                        window
                            .refusal(app::i18n::Locale::en, channel.channel.kind)
                            .unwrap_or_default(),
                    ));
                }
                let media_url = job.attachment.as_ref().map(|f| ctx.public_media_url(f.id));
                text_body(job, media_url.as_deref())
            }
        };
        let (key, to) = address(&job.contact_external_id)?;
        let mut body = body;
        if let Some(fields) = body.as_object_mut() {
            fields.remove("to");
            fields.insert(key.to_owned(), json!(to));
        }
        let answer = post_messages(ctx, channel, &body).await?;
        Ok(SendReceipt {
            provider_id: answer_str(&answer, "/messages/0/id", "WhatsApp")?,
            delivered: false,
            // The wa_id WhatsApp knows the lead by (`contacts: [{input, wa_id}]`): a
            // Brazilian number may come back without its ninth digit.
            recipient_id: answer
                .pointer("/contacts/0/wa_id")
                .and_then(|v| v.as_str())
                .filter(|id| app::channels::whatsapp_identity::is_wa_id(id))
                .map(str::to_owned),
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
        post_messages(ctx, channel, &body).await?;
        Ok(())
    }
}
