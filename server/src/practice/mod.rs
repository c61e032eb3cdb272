//! The simulator behind practice channels (`app::practice`): a copy of the providers'
//! APIs that practice channels send through ([`api`], served on a loopback port of this
//! process only), what the lead does on `/sandbox` ([`lead`]), and the providers' webhooks
//! both produce ([`payloads`]), delivered to Confab's own webhook route as the provider
//! would post them: signed with the channel's secret, of the documented shape.
//! Nothing here reaches the internet, and nothing here serves a real channel.

pub mod api;
pub mod lead;
pub mod payloads;

use crate::channels::inbound::signature;
use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use std::time::Duration;

/// Attempts at delivering one webhook (a provider retries too).
const DELIVERY_ATTEMPTS: u32 = 3;

/// How long the simulated provider takes between steps (accepted → delivered → …): long
/// enough for Confab to have stored the message's provider id, short enough to watch.
pub const STEP: Duration = Duration::from_millis(300);

/// Posts a webhook body to the practice channel's webhook route, signed as its provider
/// signs (Meta: `X-Hub-Signature-256` of the body; Twilio: `X-Twilio-Signature` of the
/// URL and the form). Returns whether Confab took it (2xx).
async fn deliver(state: &AppState, channel: &ChannelConfig, body: Vec<u8>, form: bool) -> bool {
    let kind = channel.channel.kind;
    let id = channel.channel.id;
    let url = crate::channels::webhook_url(&state.public_url, kind, id);
    let mut headers = HeaderMap::new();
    if form {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let params = crate::channels::inbound::twilio::signed_params(&body);
        let signed =
            signature::twilio_signature(channel.credentials.value("auth_token"), &url, &params);
        if let Ok(value) = HeaderValue::from_str(&signed) {
            headers.insert("x-twilio-signature", value);
        }
    } else {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let signed = signature::hub_signature(channel.credentials.value("app_secret"), &body);
        if let Ok(value) = HeaderValue::from_str(&signed) {
            headers.insert("x-hub-signature-256", value);
        }
    }
    let path: Uri = format!("/webhooks/{}/{}", kind.as_str(), id.0)
        .parse()
        .unwrap_or_default();
    let body = Bytes::from(body);
    for attempt in 1..=DELIVERY_ATTEMPTS {
        let answer = crate::routes::webhooks::receive(
            State(state.clone()),
            Path((kind.as_str().to_owned(), id.0)),
            OriginalUri(path.clone()),
            headers.clone(),
            Ok(body.clone()),
        )
        .await;
        match answer {
            Ok(response) if response.status().is_success() => return true,
            Ok(response) => {
                tracing::warn!(channel = %id, status = %response.status(), attempt, "practice webhook refused")
            }
            Err(err) => {
                tracing::warn!(channel = %id, error = %err, attempt, "practice webhook refused")
            }
        }
        tokio::time::sleep(STEP * attempt).await;
    }
    false
}

/// Delivers a Meta (Messenger, Instagram, WhatsApp) webhook body.
pub async fn deliver_json(
    state: &AppState,
    channel: &ChannelConfig,
    body: &serde_json::Value,
) -> bool {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    deliver(state, channel, bytes, false).await
}

/// Delivers a Twilio form post.
pub async fn deliver_form(
    state: &AppState,
    channel: &ChannelConfig,
    params: &[(String, String)],
) -> bool {
    deliver(
        state,
        channel,
        payloads::form_body(params).into_bytes(),
        true,
    )
    .await
}

/// A random provider message id of the kind's shape: Meta `m_…`, WhatsApp `wamid.…`,
/// Twilio `SM` and 32 hex digits.
pub fn new_provider_id(kind: ChannelKind) -> String {
    let hex = hex::encode(rand::random::<[u8; 16]>());
    provider_id_from(kind, &hex)
}

/// The provider message id of a lead's message: derived from the channel, the lead and
/// the page's own id, so that a retried post is the same message and two leads' are not.
pub fn provider_id_for_lead(
    kind: ChannelKind,
    channel: app::ids::ChannelId,
    address: &str,
    message_id: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(channel.0.to_be_bytes())
        .chain_update(address.as_bytes())
        .chain_update(b":")
        .chain_update(message_id.as_bytes())
        .finalize();
    provider_id_from(kind, &hex::encode(&digest[..16]))
}

/// Waits (a few seconds at most) until Confab has stored the provider id of a message it
/// sent: a status webhook for an id Confab does not know yet would find no message.
/// Real providers do race it; the simulator shows the intended order.
pub async fn until_stored(state: &AppState, channel: app::ids::ChannelId, provider_id: &str) {
    for _ in 0..50 {
        if matches!(
            app::practice::store::confab_has_message(&state.db, channel, provider_id).await,
            Ok(true)
        ) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::warn!(channel = %channel, "practice simulator: Confab never stored the message id");
}

fn provider_id_from(kind: ChannelKind, hex: &str) -> String {
    match kind {
        ChannelKind::Whatsapp => format!("wamid.{hex}"),
        ChannelKind::TwilioSms => format!("SM{hex}"),
        _ => format!("m_{hex}"),
    }
}
