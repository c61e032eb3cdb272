//! Delivers outgoing webhooks from the durable outbox (`app::integrations::outbox`):
//! claims due deliveries with a lease, posts each signed to its subscription's URL, and
//! records the outcome: delivered on a 2xx answer, otherwise tried again with exponential
//! backoff until a day after the delivery was queued.
//!
//! Nothing is lost to a restart: deliveries are rows, and a lease left by a process that
//! died mid-attempt expires and is taken again. Several processes on one PostgreSQL
//! database share the work (`SKIP LOCKED`). A receiver's answer is kept only as a short
//! snippet in the log; secrets and payloads never reach the log.

use app::integrations::store::{self, Claimed, Outcome};
use app::integrations::{address_allowed, check_url_form, signature_header, WebhookPolicy};
use app::state::AppState;
use app::store::now_ms;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries taken at once.
const BATCH: i64 = 16;
/// How much of a receiver's answer the log keeps, in bytes.
const SNIPPET_BYTES: usize = 200;
/// How often given-up and old deliveries are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long finished deliveries stay in the log.
const KEEP_MS: i64 = 30 * 24 * 3600 * 1000;

/// Runs until aborted.
pub async fn run(state: AppState) {
    let policy = state.webhooks.clone();
    let client = http_client(&policy);
    let worker = worker_id();
    let mut bell = app::integrations::outbox::bell();
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(tokio::time::Instant::now());
            let now = now_ms();
            match store::expire(
                &state.db,
                now - policy.give_up_after.as_millis() as i64,
                now - KEEP_MS,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "webhook deliveries given up"),
                Err(err) => tracing::warn!(error = %err, "could not sweep webhook deliveries"),
            }
        }
        let now = now_ms();
        let lease_until = now + (policy.timeout + Duration::from_secs(5)).as_millis() as i64;
        match store::claim(
            &state.db,
            &state.secret_key,
            &worker,
            now,
            lease_until,
            BATCH,
        )
        .await
        {
            Ok(batch) if !batch.is_empty() => {
                deliver_batch(&state, &client, &policy, &worker, batch).await;
                continue;
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "could not claim webhook deliveries");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let wait = match store::next_due(&state.db).await {
            Ok(Some(at)) => Duration::from_millis((at - now_ms()).max(0) as u64).min(policy.poll),
            _ => policy.poll,
        };
        tokio::select! {
            changed = bell.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(wait).await;
                } else {
                    // Rung inside the change's transaction: give it a moment to commit.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn deliver_batch(
    state: &AppState,
    client: &reqwest::Client,
    policy: &WebhookPolicy,
    worker: &str,
    batch: Vec<Claimed>,
) {
    let mut attempts = tokio::task::JoinSet::new();
    for delivery in batch {
        let client = client.clone();
        let policy = policy.clone();
        attempts.spawn(async move {
            let outcome = attempt(&client, &policy, &delivery).await;
            (delivery, outcome)
        });
    }
    while let Some(done) = attempts.join_next().await {
        let Ok((delivery, outcome)) = done else {
            continue;
        };
        match &outcome.error {
            None => tracing::info!(
                delivery = %delivery.delivery_id,
                event = %delivery.event,
                attempt = delivery.attempts,
                "webhook delivered"
            ),
            Some(error) => tracing::warn!(
                delivery = %delivery.delivery_id,
                event = %delivery.event,
                attempt = delivery.attempts,
                status = ?outcome.status,
                error = %error,
                given_up = outcome.next_attempt_at.is_none(),
                "webhook not delivered"
            ),
        }
        if let Err(err) = store::record(&state.db, delivery.id, worker, &outcome).await {
            // The lease expires and the delivery is tried again.
            tracing::warn!(error = %err, delivery = %delivery.delivery_id, "could not record a webhook delivery");
        }
    }
}

/// One attempt at one delivery.
pub async fn attempt(
    client: &reqwest::Client,
    policy: &WebhookPolicy,
    delivery: &Claimed,
) -> Outcome {
    let failed = |status: Option<i64>, error: String| Outcome {
        status,
        error: Some(error),
        next_attempt_at: policy.next_attempt(delivery.created_at, delivery.attempts, now_ms()),
    };
    // Checked again at each attempt: the rules may have changed since it was created.
    if check_url_form(&delivery.url, policy.allow_local).is_err() {
        return Outcome {
            status: None,
            error: Some("the URL is not allowed (https to a public address only)".into()),
            next_attempt_at: None,
        };
    }
    let timestamp = now_ms() / 1000;
    let body = delivery.payload.clone().into_bytes();
    let signature = signature_header(&delivery.secret, timestamp, &body);
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("confab-event", &delivery.event)
        .header("confab-delivery", &delivery.delivery_id)
        .header("confab-signature", signature)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => return failed(None, describe(&err, policy)),
    };
    let status = response.status();
    if status.is_success() {
        return Outcome {
            status: Some(i64::from(status.as_u16())),
            error: None,
            next_attempt_at: None,
        };
    }
    // A short snippet of the answer, read no further.
    let mut snippet = Vec::new();
    while snippet.len() < SNIPPET_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => snippet.extend_from_slice(&chunk),
            _ => break,
        }
    }
    snippet.truncate(SNIPPET_BYTES);
    let text: String = String::from_utf8_lossy(&snippet)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let error = if text.trim().is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {}", status.as_u16(), text.trim())
    };
    failed(Some(i64::from(status.as_u16())), error)
}

/// Why a request failed, without its URL (which may carry a token of the receiver's).
fn describe(err: &reqwest::Error, policy: &WebhookPolicy) -> String {
    if err.is_timeout() {
        return format!("no answer within {} s", policy.timeout.as_secs_f64());
    }
    let mut text = if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.chars().take(300).collect()
}

/// The client deliveries go through: no proxy, no redirects (a redirect could lead
/// anywhere), and a resolver that refuses names resolving to non-public addresses (checked
/// at each connection, so a name that later points inside is refused then).
pub fn http_client(policy: &WebhookPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
        .timeout(policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PublicOnly {
            allow_local: policy.allow_local,
        }))
        .user_agent("Confab-Webhooks/1")
        .build()
        .unwrap_or_default()
}

/// Resolves names to public addresses only (loopback too with `allow_local`).
struct PublicOnly {
    allow_local: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_local = self.allow_local;
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err(format!("{} does not resolve", name.as_str()).into());
            }
            if found.iter().any(|a| !address_allowed(a.ip(), allow_local)) {
                return Err(format!(
                    "{} resolves to an address that is not public",
                    name.as_str()
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// This process's name on its leases.
fn worker_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{}-{}", std::process::id(), hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused() {
        use reqwest::dns::Resolve;
        let strict = PublicOnly { allow_local: false };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let local = PublicOnly { allow_local: true };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(local.resolve(name).await.is_ok());
    }
}
