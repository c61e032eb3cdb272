//! Meta's Graph API, shared by Messenger, Instagram and WhatsApp: one POST with the
//! provider's error body mapped to what Confab does about it.

use super::inbound::meta::{classify_graph_error, GraphErrorClass};
use super::{transport_error, with_retry_after, ProviderContext, SendError};
use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;

/// POSTs `body` as JSON to the channel's `{graph}/{node}/messages` (the node is its page,
/// Instagram account or WhatsApp number) and returns the answer's JSON. Messenger's and
/// Instagram's documented Send API samples pass the page token as `access_token`;
/// WhatsApp's use a Bearer header.
pub async fn post_messages(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    body: &serde_json::Value,
) -> Result<serde_json::Value, SendError> {
    let kind = channel.channel.kind;
    let provider = kind.label();
    let token = channel.credentials.value("access_token");
    let url = format!(
        "{}/{}/messages",
        ctx.graph_url(&channel.channel),
        channel.external_id
    );
    let request = ctx.http.post(url).json(body);
    let request = match kind {
        ChannelKind::Whatsapp => request.bearer_auth(token),
        _ => request.query(&[("access_token", token)]),
    };
    send_json(provider, request).await
}

/// Sends a Graph API request and returns the answer's JSON, or the provider's error body
/// mapped to what Confab does about it.
pub async fn send_json(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<serde_json::Value, SendError> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(provider, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| transport_error(provider, &e))?;
    if status.is_success() {
        // A 2xx says the message was taken, whatever its body: unknown, not refused.
        return serde_json::from_slice(&bytes).map_err(|_| {
            SendError::Unconfirmed(format!(
                "{provider} answered with something that is not JSON."
            ))
        });
    }
    let error = match classify_graph_error(status.as_u16(), &bytes) {
        GraphErrorClass::SyncLost(reason) => SendError::SyncLost(reason),
        GraphErrorClass::WindowClosed(reason) => SendError::WindowClosed(reason),
        GraphErrorClass::RetryLater(reason) => SendError::RetryLater(reason),
        GraphErrorClass::Rejected(reason) => SendError::Rejected(reason),
    };
    // A rate limit pauses the channel (or the conversation) for as long as Meta says.
    if let SendError::RetryLater(reason) | SendError::Rejected(reason) = &error {
        if let Some(paused) = super::rate_limits::graph(&bytes, &headers, reason.clone()) {
            return Err(paused);
        }
    }
    Err(with_retry_after(error, &headers))
}

/// The string at `path` in a JSON answer, or (the answer was a 2xx, so the provider may
/// have taken the message) an unknown outcome naming what was missing.
pub fn answer_str(
    answer: &serde_json::Value,
    pointer: &str,
    provider: &str,
) -> Result<String, SendError> {
    answer
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| SendError::Unconfirmed(format!("{provider} answered without a message id.")))
}
