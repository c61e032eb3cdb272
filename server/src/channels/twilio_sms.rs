//! SMS by Twilio: replies through the Messages REST API (HTTP Basic with the account SID
//! and auth token), with a status callback to this channel's webhook. SMS has no window.

use super::{
    transport_error, webhook_url, with_retry_after, ChannelProvider, ProviderContext, SendError,
    SendReceipt,
};
use app::channels::store::ChannelConfig;
use app::messages::store::OutboundJob;
use async_trait::async_trait;

pub struct TwilioSms;

/// The query parameter of the status callback URL that carries Confab's message id.
pub const CONFAB_ID_PARAM: &str = "confab_id";

/// Twilio's error codes that mean the credentials no longer work.
const AUTH_ERRORS: [i64; 3] = [20003, 20005, 20008];

/// What Confab does about a Twilio error answer (`{"code", "message", "status"}`).
pub fn classify_error(http_status: u16, body: &[u8]) -> SendError {
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = parsed.get("code").and_then(|c| c.as_i64());
    let message = parsed
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("no reason given")
        .chars()
        .take(300)
        .collect::<String>();
    let reason = match code {
        Some(code) => format!("Twilio refused the SMS: {message} [{code}]"),
        None => format!("Twilio answered HTTP {http_status}: {message}"),
    };
    match code {
        Some(code) if AUTH_ERRORS.contains(&code) => SendError::SyncLost(reason),
        _ if http_status == 429 || http_status >= 500 => SendError::RetryLater(reason),
        _ if http_status == 401 => SendError::SyncLost(reason),
        _ => SendError::Rejected(reason),
    }
}

#[async_trait]
impl ChannelProvider for TwilioSms {
    async fn send(
        &self,
        ctx: &ProviderContext,
        channel: &ChannelConfig,
        job: &OutboundJob,
    ) -> Result<SendReceipt, SendError> {
        let sid = channel.credentials.value("account_sid");
        let url = format!(
            "{}/2010-04-01/Accounts/{sid}/Messages.json",
            ctx.twilio_url(&channel.channel)
        );
        // The status callback names the reply: a callback is then the confirmation of a
        // send whose answer was lost (Twilio signs the full URL, query included).
        let callback = format!(
            "{}?{CONFAB_ID_PARAM}={}",
            webhook_url(&ctx.public_url, channel.channel.kind, channel.channel.id),
            super::tag_value(job.tag())
        );
        let media_url = job.attachment.as_ref().map(|f| ctx.public_media_url(f.id));
        let mut form = vec![
            ("To", job.contact_external_id.as_str()),
            ("From", channel.credentials.value("phone_number")),
            ("Body", job.body.as_str()),
            ("StatusCallback", callback.as_str()),
        ];
        if let Some(url) = &media_url {
            form.push(("MediaUrl", url.as_str()));
        }
        let response = ctx
            .http
            .post(url)
            .basic_auth(sid, Some(channel.credentials.value("auth_token")))
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error("Twilio", &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport_error("Twilio", &e))?;
        if !status.is_success() {
            let error = classify_error(status.as_u16(), &bytes);
            // Twilio's rate limit pauses the channel for its Retry-After.
            if let SendError::RetryLater(reason) | SendError::Rejected(reason) = &error {
                if let Some(paused) =
                    super::rate_limits::twilio(status.as_u16(), &bytes, &headers, reason.clone())
                {
                    return Err(paused);
                }
            }
            return Err(with_retry_after(error, &headers));
        }
        // A 2xx: Twilio took the message, whatever the body says.
        let answer: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
            SendError::Unconfirmed("Twilio answered with something that is not JSON.".into())
        })?;
        let sid = answer.get("sid").and_then(|s| s.as_str()).ok_or_else(|| {
            SendError::Unconfirmed("Twilio answered without a message SID.".into())
        })?;
        Ok(SendReceipt {
            provider_id: sid.to_owned(),
            delivered: false,
            recipient_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_errors_map_to_what_confab_does() {
        let auth = br#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#;
        assert!(matches!(classify_error(401, auth), SendError::SyncLost(r) if r.contains("20003")));
        let busy = br#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#;
        assert!(matches!(
            classify_error(429, busy),
            SendError::RetryLater(_)
        ));
        assert!(matches!(
            classify_error(503, b"<html>"),
            SendError::RetryLater(_)
        ));
        let invalid = br#"{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}"#;
        assert!(
            matches!(classify_error(400, invalid), SendError::Rejected(r) if r.contains("Invalid 'To'"))
        );
    }
}
