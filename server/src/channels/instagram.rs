//! Instagram messaging: the Send API's body and windows as Messenger's, sent where Meta
//! documents it for the way the account was connected (`login` in its credentials):
//!
//! - Instagram API with Instagram Login: `POST {CONFAB_INSTAGRAM_API_URL}/{ig-id}/messages`
//!   (host `graph.instagram.com`) with the Instagram user access token as a Bearer header;
//! - Messenger API for Instagram (Facebook Login): `POST {CONFAB_GRAPH_API_URL}/{page-id}/messages`
//!   (host `graph.facebook.com`) with the linked Page's access token.
//!
//! Its text limit (1,000 bytes) is checked before a reply is queued.

use super::graph::{answer_str, send_json};
use super::messenger::send_body;
use super::{ChannelProvider, ProviderContext, SendError, SendReceipt};
use app::channels::credentials::InstagramLogin;
use app::channels::store::ChannelConfig;
use app::messages::store::OutboundJob;
use app::state::ReadReceipt;
use app::store::now_ms;
use async_trait::async_trait;
use serde_json::json;

pub struct Instagram;

/// The API root an Instagram channel's calls go to (sending, `mark_seen`, profiles).
pub fn api_root(ctx: &ProviderContext, channel: &ChannelConfig) -> String {
    match channel.credentials.instagram_login() {
        InstagramLogin::Instagram => ctx.instagram_url(&channel.channel),
        InstagramLogin::Facebook => ctx.graph_url(&channel.channel),
    }
}

/// `{root}/{node}/messages` with its token: the Instagram account (Instagram Login) or
/// the linked Facebook Page (Facebook Login).
pub fn messages_request(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    let token = channel.credentials.value("access_token");
    match channel.credentials.instagram_login() {
        InstagramLogin::Instagram => ctx
            .http
            .post(format!(
                "{}/{}/messages",
                api_root(ctx, channel),
                channel.external_id
            ))
            .bearer_auth(token)
            .json(body),
        InstagramLogin::Facebook => ctx
            .http
            .post(format!(
                "{}/{}/messages",
                api_root(ctx, channel),
                channel.credentials.value("page_id")
            ))
            .query(&[("access_token", token)])
            .json(body),
    }
}

#[async_trait]
impl ChannelProvider for Instagram {
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        let media_url = job.attachment.as_ref().map(|f| ctx.public_media_url(f.id));
        let body = send_body(channel, job, media_url.as_deref(), now_ms())?;
        let answer = send_json("Instagram", messages_request(ctx, channel, &body)).await?;
        Ok(SendReceipt {
            provider_id: answer_str(&answer, "/message_id", "Instagram")?,
            delivered: false,
            recipient_id: None,
        })
    }

    async fn mark_seen(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        receipt: &ReadReceipt,
    ) -> Result<(), SendError> {
        let body = json!({
            "recipient": { "id": receipt.contact_external_id },
            "sender_action": "mark_seen",
        });
        send_json("Instagram", messages_request(ctx, channel, &body)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::channels::credentials::{Credentials, SecretKey};
    use app::channels::{Channel, ChannelKind};

    fn channel(pairs: &[(&str, &str)]) -> ChannelConfig {
        let mut all: Vec<(String, String)> = vec![
            ("account_id".into(), "17841400000000001".into()),
            ("app_secret".into(), "s".into()),
            ("access_token".into(), "IGtoken".into()),
            ("verify_token".into(), "v".into()),
        ];
        all.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ChannelConfig {
            // From its wire form: fields added later (optional) need no change here.
            channel: serde_json::from_value::<Channel>(json!({
                "id": 1, "kind": "instagram", "display_name": "IG", "status": "connected",
                "status_detail": null, "human_agent": false, "simulated": false,
            }))
            .unwrap(),
            external_id: "17841400000000001".into(),
            credentials: Credentials::parse(ChannelKind::Instagram, &all).unwrap(),
        }
    }

    fn ctx() -> ProviderContext {
        ProviderContext::new(
            "https://graph.facebook.com/v25.0",
            "https://api.twilio.com",
            "https://inbox.example.com",
            SecretKey::generate(),
            Default::default(),
        )
        .with_instagram_api_url("https://graph.instagram.com/v25.0/")
    }

    #[test]
    fn each_login_sends_to_its_documented_host_node_and_token() {
        let ctx = ctx();
        let body = json!({});
        let ig = messages_request(&ctx, &channel(&[]), &body)
            .build()
            .unwrap();
        assert_eq!(
            ig.url().as_str(),
            "https://graph.instagram.com/v25.0/17841400000000001/messages"
        );
        assert_eq!(ig.headers()["authorization"], "Bearer IGtoken");
        let fb = messages_request(
            &ctx,
            &channel(&[("login", "facebook"), ("page_id", "682498302938465")]),
            &body,
        )
        .build()
        .unwrap();
        assert_eq!(
            fb.url().as_str(),
            "https://graph.facebook.com/v25.0/682498302938465/messages?access_token=IGtoken"
        );
        assert!(fb.headers().get("authorization").is_none());
    }
}
