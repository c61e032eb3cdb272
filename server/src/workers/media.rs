//! The media worker: fetches the files leads send (images, video, audio, documents) into
//! Confab's media store, outside the webhook's request path. Only the providers' own
//! hosts are fetched (no request to loopback or private addresses on a lead's say-so),
//! with a size cap and a content-type check; employees get files through `/media/{id}`.

use crate::channels::ProviderContext;
use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::messages::store::{self as messages, MediaOutcome, PendingAttachment};
use app::state::AppState;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest file Confab keeps (WhatsApp's own limit for documents is 100 MB; leads'
/// photos and voice notes are far below this).
pub const MAX_MEDIA_BYTES: usize = 25 * 1024 * 1024;
const MAX_ATTEMPTS: i64 = 5;
const BATCH: i64 = 16;

/// Hosts each provider serves media from.
fn provider_hosts(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp => &[
            "fbcdn.net",
            "fbsbx.com",
            "facebook.com",
            "cdninstagram.com",
            "whatsapp.net",
        ],
        // Twilio's media URLs redirect to its CDN bucket.
        ChannelKind::TwilioSms => &["twilio.com", "twiliocdn.com", "s3-external-1.amazonaws.com"],
        ChannelKind::Sandbox => &[],
    }
}

/// Whether Confab may fetch `url` for a channel of `kind`: https on one of the provider's
/// hosts, or the configured API base itself (which is how tests reach their fake).
pub fn allowed_media_url(kind: ChannelKind, url: &str, ctx: &ProviderContext) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    // The kind's own API base (how tests reach their fake), never the other provider's.
    let base = match kind {
        ChannelKind::TwilioSms => &ctx.twilio_api_url,
        _ => &ctx.graph_api_url,
    };
    let configured = reqwest::Url::parse(base).is_ok_and(|base| base.origin() == parsed.origin());
    if configured {
        return true;
    }
    // `domain()` is None for an IP literal: never a provider's CDN.
    let Some(host) = parsed.domain().map(str::to_ascii_lowercase) else {
        return false;
    };
    parsed.scheme() == "https"
        && parsed.port().is_none()
        && provider_hosts(kind)
            .iter()
            .any(|allowed| host == *allowed || host.ends_with(&format!(".{allowed}")))
}

/// The bare media type of a `Content-Type` value: `image/png; q=1` → `image/png`.
pub fn media_type_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Types a browser will not run as a page: images (not SVG), audio, video, PDF and
/// common documents. Anything else is refused rather than stored.
pub fn allowed_media_type(mime: &str) -> bool {
    let mime = media_type_of(mime);
    let (top, sub) = mime.split_once('/').unwrap_or_default();
    match top {
        "image" => sub != "svg+xml",
        "audio" | "video" => true,
        "application" => matches!(
            sub,
            "pdf"
                | "octet-stream"
                | "zip"
                | "msword"
                | "vnd.openxmlformats-officedocument.wordprocessingml.document"
                | "vnd.ms-excel"
                | "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                | "vnd.ms-powerpoint"
                | "vnd.openxmlformats-officedocument.presentationml.presentation"
                | "ogg"
        ),
        "text" => matches!(sub, "plain" | "csv" | "vcard" | "x-vcard"),
        _ => false,
    }
}

/// Runs forever: a pass every few seconds over what is pending.
pub async fn run(state: AppState, ctx: ProviderContext, media_dir: PathBuf) {
    loop {
        match fetch_pending(&state, &ctx, &media_dir).await {
            Ok(0) => tokio::time::sleep(Duration::from_secs(3)).await,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "media worker could not read its work");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// One pass; returns how many attachments it tried.
pub async fn fetch_pending(
    state: &AppState,
    ctx: &ProviderContext,
    media_dir: &Path,
) -> Result<usize, app::store::StoreError> {
    let pending = messages::pending_attachments(&state.db, BATCH).await?;
    for item in &pending {
        let channel =
            app::channels::store::config(&state.db, &state.secret_key, item.channel_id).await;
        let outcome = match channel {
            Err(err) => MediaOutcome::Failed {
                reason: format!("the channel's credentials cannot be read: {err}"),
                give_up: true,
            },
            Ok(Some(channel)) => match fetch_one(ctx, &channel, item, media_dir).await {
                Ok(outcome) => outcome,
                Err(reason) => MediaOutcome::Failed {
                    reason,
                    give_up: item.attempts + 1 >= MAX_ATTEMPTS,
                },
            },
            Ok(None) => MediaOutcome::Failed {
                reason: "the channel was removed".into(),
                give_up: true,
            },
        };
        if let MediaOutcome::Failed { reason, .. } = &outcome {
            tracing::info!(attachment = item.id, %reason, "media not fetched");
        }
        let events = messages::record_media(&state.db, item, &outcome).await?;
        state.bus.publish(events);
    }
    Ok(pending.len())
}

async fn fetch_one(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    item: &PendingAttachment,
    media_dir: &Path,
) -> Result<MediaOutcome, String> {
    let kind = channel.channel.kind;
    let token = channel.credentials.get("access_token");
    // WhatsApp gives a media id; the Graph API says where the file is.
    let url = match (&item.provider_media_id, kind) {
        (Some(media_id), ChannelKind::Whatsapp) => {
            if media_id.is_empty() || !media_id.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(MediaOutcome::Failed {
                    reason: "the media id is not a number".into(),
                    give_up: true,
                });
            }
            let lookup = format!("{}/{}", ctx.graph_api_url, media_id);
            let answer: serde_json::Value = ctx
                .http
                .get(lookup)
                .bearer_auth(token.unwrap_or_default())
                .send()
                .await
                .map_err(|e| format!("media lookup failed: {}", e.without_url()))?
                .error_for_status()
                .map_err(|e| format!("media lookup refused: {}", e.without_url()))?
                .json()
                .await
                .map_err(|_| "media lookup answered with something that is not JSON".to_owned())?;
            answer
                .get("url")
                .and_then(|u| u.as_str())
                .map(str::to_owned)
                .ok_or("media lookup answered without a URL")?
        }
        _ => item.source_url.clone().ok_or("no URL to fetch")?,
    };
    if !allowed_media_url(kind, &url, ctx) {
        return Ok(MediaOutcome::Failed {
            reason: "the file is not on the provider's own servers".into(),
            give_up: true,
        });
    }
    let mut response = get_following_redirects(ctx, channel, &url).await?;
    if !response.status().is_success() {
        return Err(format!(
            "the provider answered HTTP {}",
            response.status().as_u16()
        ));
    }
    let mime = media_type_of(
        response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream"),
    );
    if !allowed_media_type(&mime) {
        return Ok(MediaOutcome::Failed {
            reason: format!("files of type {mime} are not kept"),
            give_up: true,
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_MEDIA_BYTES)
    {
        return Ok(too_big());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("download broke off: {}", e.without_url()))?
    {
        if bytes.len() + chunk.len() > MAX_MEDIA_BYTES {
            return Ok(too_big());
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err("the provider sent an empty file".into());
    }
    let storage_key = format!(
        "{}/{}-{:016x}",
        item.channel_id.0,
        item.id,
        rand::random::<u64>()
    );
    let path = media_dir.join(&storage_key);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| format!("cannot write the media folder: {e}"))?;
    }
    tokio::fs::write(&path, &bytes)
        .await
        .map_err(|e| format!("cannot write the file: {e}"))?;
    Ok(MediaOutcome::Stored {
        storage_key,
        mime,
        size_bytes: bytes.len() as i64,
    })
}

/// GETs a file with the provider's credentials, following at most three redirects by
/// hand: each hop must be on the provider's hosts too, and credentials go only to the
/// host they were given for.
async fn get_following_redirects(
    ctx: &ProviderContext,
    channel: &ChannelConfig,
    first: &str,
) -> Result<reqwest::Response, String> {
    let kind = channel.channel.kind;
    let host_of = |url: &str| {
        reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    let first_host = host_of(first);
    let mut url = first.to_owned();
    for _ in 0..=3 {
        if !allowed_media_url(kind, &url, ctx) {
            return Err("the file is not on the provider's own servers".into());
        }
        let request = ctx.http.get(&url);
        let request = match (kind, host_of(&url) == first_host) {
            (ChannelKind::Whatsapp, true) => {
                request.bearer_auth(channel.credentials.value("access_token"))
            }
            (ChannelKind::TwilioSms, true) => request.basic_auth(
                channel.credentials.value("account_sid"),
                Some(channel.credentials.value("auth_token")),
            ),
            _ => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| format!("download failed: {}", e.without_url()))?;
        if !response.status().is_redirection() {
            return Ok(response);
        }
        let next = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| reqwest::Url::parse(&url).ok()?.join(l).ok())
            .ok_or("a redirect without a place to go")?;
        url = next.to_string();
    }
    Err("too many redirects".into())
}

fn too_big() -> MediaOutcome {
    MediaOutcome::Failed {
        reason: format!(
            "the file is larger than {} MB",
            MAX_MEDIA_BYTES / (1024 * 1024)
        ),
        give_up: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ProviderContext {
        ProviderContext::new(
            "https://graph.facebook.com/v25.0",
            "https://api.twilio.com",
            "http://x",
            app::channels::credentials::SecretKey::generate(),
        )
    }

    #[test]
    fn only_provider_hosts_are_fetched() {
        let ctx = ctx();
        for ok in [
            "https://scontent.xx.fbcdn.net/v/t1.0/photo.jpg",
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "https://graph.facebook.com/v25.0/123",
        ] {
            assert!(allowed_media_url(ChannelKind::Messenger, ok, &ctx), "{ok}");
        }
        for bad in [
            "http://scontent.xx.fbcdn.net/photo.jpg",
            "https://127.0.0.1/photo.jpg",
            "https://10.0.0.8/x",
            "https://[::1]/x",
            "https://fbcdn.net.evil.example/x",
            "https://evilfbcdn.net/x",
            "https://scontent.fbcdn.net:8443/x",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(
                !allowed_media_url(ChannelKind::Messenger, bad, &ctx),
                "{bad}"
            );
        }
        assert!(allowed_media_url(
            ChannelKind::TwilioSms,
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            &ctx
        ));
        assert!(!allowed_media_url(
            ChannelKind::TwilioSms,
            "https://scontent.fbcdn.net/x",
            &ctx
        ));
    }

    #[test]
    fn pages_and_scripts_are_never_kept() {
        for ok in [
            "image/jpeg",
            "audio/ogg; codecs=opus",
            "video/mp4",
            "application/pdf",
        ] {
            assert!(allowed_media_type(ok), "{ok}");
        }
        for bad in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "application/xhtml+xml",
            "",
        ] {
            assert!(!allowed_media_type(bad), "{bad}");
        }
    }
}
