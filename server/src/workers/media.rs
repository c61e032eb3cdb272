//! The media worker: fetches the files leads send (images, video, audio, documents) into
//! Confab's media store, outside the webhook's request path. Only the providers' own
//! hosts are fetched (no request to loopback or private addresses on a lead's say-so),
//! with a size cap and a content-type check; employees get files through `/media/{id}`.

use crate::channels::{transport_fault, ProviderContext};
use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::ids::ChannelId;
use app::messages::store::{self as messages, MediaOutcome, PendingAttachment};
use app::state::AppState;
use app::store::now_ms;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BATCH: i64 = 16;
/// Fetches under way at once per channel: a provider that hangs holds up only these.
const PER_CHANNEL: usize = 4;
/// How often the worker looks for new files.
const POLL: Duration = Duration::from_secs(1);
/// How long a file being fetched is not due again (longer than any fetch).
const LEASE_MS: i64 = 5 * 60 * 1000;

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

/// Fetches under way, per channel.
type InFlight = Arc<Mutex<HashMap<ChannelId, usize>>>;

/// Runs forever: starts the fetches that are due, each in its own task (at most
/// [`PER_CHANNEL`] per channel), so a file that never comes holds up no other; looks
/// again every second, and as soon as a fetch ends.
pub async fn run(state: AppState, ctx: ProviderContext, media_dir: PathBuf) {
    let in_flight = InFlight::default();
    let ended = Arc::new(tokio::sync::Notify::new());
    loop {
        match start_due(&state, &ctx, &media_dir, &in_flight, &ended).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "media worker could not read its work"),
        }
        tokio::select! {
            _ = ended.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Starts the due fetches there is room for; true when there may be more at once.
async fn start_due(
    state: &AppState,
    ctx: &ProviderContext,
    media_dir: &Path,
    in_flight: &InFlight,
    ended: &Arc<tokio::sync::Notify>,
) -> Result<bool, app::store::StoreError> {
    let full: Vec<ChannelId> = in_flight
        .lock()
        .expect("fetches in flight")
        .iter()
        .filter(|(_, n)| **n >= PER_CHANNEL)
        .map(|(channel, _)| *channel)
        .collect();
    let pending = messages::pending_attachments(&state.db, BATCH, &full).await?;
    let mut started = 0;
    for item in &pending {
        let room = in_flight
            .lock()
            .expect("fetches in flight")
            .get(&item.channel_id)
            .is_none_or(|n| *n < PER_CHANNEL);
        if !room || !messages::claim_attachment(&state.db, item.id, now_ms() + LEASE_MS).await? {
            continue;
        }
        *in_flight
            .lock()
            .expect("fetches in flight")
            .entry(item.channel_id)
            .or_default() += 1;
        started += 1;
        let (state, ctx, media_dir, item) = (
            state.clone(),
            ctx.clone(),
            media_dir.to_owned(),
            item.clone(),
        );
        let slot = Slot {
            in_flight: in_flight.clone(),
            channel: item.channel_id,
            ended: ended.clone(),
        };
        tokio::spawn(async move {
            let _slot = slot;
            fetch_and_record(&state, &ctx, &media_dir, &item).await;
        });
    }
    Ok(started > 0 && pending.len() as i64 == BATCH)
}

/// A fetch's place among its channel's: given back when the fetch ends, however it ends.
struct Slot {
    in_flight: InFlight,
    channel: ChannelId,
    ended: Arc<tokio::sync::Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.in_flight.lock() {
            if let Some(n) = counts.get_mut(&self.channel) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&self.channel);
                }
            }
        }
        self.ended.notify_one();
    }
}

/// One fetch of one file, recorded: stored, to be tried again after a backoff, or given up.
async fn fetch_and_record(
    state: &AppState,
    ctx: &ProviderContext,
    media_dir: &Path,
    item: &PendingAttachment,
) {
    let channel = app::channels::store::config(&state.db, &state.secret_key, item.channel_id).await;
    let outcome = match channel {
        Err(err) => MediaOutcome::Failed {
            reason: format!("the channel's credentials cannot be read: {err}"),
            retry_at: None,
        },
        Ok(Some(channel)) => match fetch_one(ctx, &channel, item, media_dir).await {
            Ok(outcome) => outcome,
            Err(reason) => passing_fault(ctx, item, reason, now_ms()),
        },
        Ok(None) => MediaOutcome::Failed {
            reason: "the channel was removed".into(),
            retry_at: None,
        },
    };
    if let MediaOutcome::Failed { reason, .. } = &outcome {
        tracing::info!(attachment = item.id, %reason, "media not fetched");
    }
    match messages::record_media(&state.db, item, &outcome).await {
        Ok(events) => state.bus.publish(events),
        Err(err) => tracing::warn!(error = %err, attachment = item.id, "could not record a fetch"),
    }
}

/// A fault that may pass: tried again after the backoff, until `media_attempts` were made.
fn passing_fault(
    ctx: &ProviderContext,
    item: &PendingAttachment,
    reason: String,
    now: i64,
) -> MediaOutcome {
    let policy = &ctx.policy;
    if item.attempts + 1 < policy.media_attempts {
        MediaOutcome::Failed {
            reason,
            retry_at: Some(now + policy.delay(item.attempts, None).as_millis() as i64),
        }
    } else {
        MediaOutcome::Failed {
            reason: format!(
                "{reason} (gave up after {} attempts)",
                policy.media_attempts
            ),
            retry_at: None,
        }
    }
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
                    retry_at: None,
                });
            }
            let lookup = format!("{}/{}", ctx.graph_url(&channel.channel), media_id);
            let response = ctx
                .http
                .get(lookup)
                .bearer_auth(token.unwrap_or_default())
                .send()
                .await
                .map_err(|e| format!("WhatsApp's media lookup {}", transport_fault(&e)))?;
            if !response.status().is_success() {
                return Err(format!(
                    "WhatsApp's media lookup answered HTTP {}",
                    response.status().as_u16()
                ));
            }
            let answer: serde_json::Value = response.json().await.map_err(|e| {
                if e.is_decode() {
                    "WhatsApp's media lookup answered with something that is not JSON".to_owned()
                } else {
                    format!("WhatsApp's media lookup {}", transport_fault(&e))
                }
            })?;
            answer
                .get("url")
                .and_then(|u| u.as_str())
                .map(str::to_owned)
                .ok_or("WhatsApp's media lookup answered without a URL")?
        }
        _ => item.source_url.clone().ok_or("no URL to fetch")?,
    };
    if !allowed_media_url(kind, &url, ctx) {
        return Ok(MediaOutcome::Failed {
            reason: "the file is not on the provider's own servers".into(),
            retry_at: None,
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
            retry_at: None,
        });
    }
    let limit = app::channels::media_rules::inbound_limit(kind);
    if response
        .content_length()
        .is_some_and(|n| n as usize > limit)
    {
        return Ok(too_big(limit));
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
    // Streamed to the file (a 100 MB document is never whole in memory); a partial
    // file is removed whatever stops it.
    let written = stream_to_file(&mut response, &path, limit).await;
    match written {
        Ok(Some(size)) if size > 0 => Ok(MediaOutcome::Stored {
            storage_key,
            mime,
            size_bytes: size as i64,
        }),
        other => {
            let _ = tokio::fs::remove_file(&path).await;
            match other {
                Ok(None) => Ok(too_big(limit)),
                Err(reason) => Err(reason),
                Ok(Some(_)) => Err("the provider sent an empty file".into()),
            }
        }
    }
}

/// Writes the answer's body to `path`: its size, or None past `limit` bytes.
async fn stream_to_file(
    response: &mut reqwest::Response,
    path: &Path,
    limit: usize,
) -> Result<Option<usize>, String> {
    use tokio::io::AsyncWriteExt;
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(|e| format!("cannot write the file: {e}"))?;
    let mut size = 0usize;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the provider {}", transport_fault(&e)))?
    {
        size += chunk.len();
        if size > limit {
            return Ok(None);
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| format!("cannot write the file: {e}"))?;
    }
    out.flush()
        .await
        .map_err(|e| format!("cannot write the file: {e}"))?;
    Ok(Some(size))
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
            .map_err(|e| format!("the provider {}", transport_fault(&e)))?;
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

fn too_big(limit: usize) -> MediaOutcome {
    MediaOutcome::Failed {
        reason: format!("the file is larger than {} MB", limit / (1024 * 1024)),
        retry_at: None,
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
            Default::default(),
        )
    }

    #[test]
    fn passing_faults_back_off_then_give_up() {
        use app::ids::{ConversationId, MessageId};
        let ctx = ctx();
        let item = |attempts| PendingAttachment {
            id: 1,
            message_id: MessageId(1),
            conversation_id: ConversationId(1),
            channel_id: ChannelId(1),
            source_url: None,
            provider_media_id: None,
            attempts,
        };
        let fault = |attempts| passing_fault(&ctx, &item(attempts), "HTTP 500".into(), 1_000);
        let retry_at = |at| MediaOutcome::Failed {
            reason: "HTTP 500".into(),
            retry_at: Some(at),
        };
        assert_eq!(fault(0), retry_at(3_000));
        assert_eq!(fault(3), retry_at(17_000));
        assert_eq!(
            fault(4),
            MediaOutcome::Failed {
                reason: "HTTP 500 (gave up after 5 attempts)".into(),
                retry_at: None
            }
        );
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
