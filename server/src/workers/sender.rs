//! The outbound sender: takes pending replies from the outbox, delivers them through their
//! channel's provider, records sent / failed with bounded retries and backoff. It wakes when
//! a reply is queued and when the next retry falls due.

use crate::channels::{provider_for, ProviderContext, SendError};
use app::channels::ChannelStatus;
use app::messages::store::{self as messages, DeliveryOutcome, OutboundJob};
use app::state::AppState;
use app::state::ReadReceipt;
use app::store::now_ms;
use std::time::Duration;

const BATCH: i64 = 32;
/// Attempts before a passing fault becomes a failure the employee sees.
pub const MAX_ATTEMPTS: i64 = 8;
const LONGEST_SLEEP: Duration = Duration::from_secs(30);
/// How long a reply being delivered is not due again (longer than any provider call).
const LEASE_MS: i64 = 5 * 60 * 1000;

/// Delay before attempt `attempts + 1`: 2 s, 4 s, 8 s … capped at five minutes.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 20) as u32;
    (2_000i64.saturating_mul(1 << exp)).min(300_000)
}

/// Turns a provider's answer into what the store records.
pub fn outcome_for(
    job: &OutboundJob,
    result: Result<crate::channels::SendReceipt, SendError>,
    now: i64,
) -> DeliveryOutcome {
    match result {
        Ok(receipt) => DeliveryOutcome::Sent {
            provider_id: receipt.provider_id,
            delivered: receipt.delivered,
        },
        Err(SendError::RetryLater(reason)) if job.attempts + 1 < MAX_ATTEMPTS => {
            DeliveryOutcome::RetryAt {
                at: now + backoff_ms(job.attempts),
                reason,
            }
        }
        Err(SendError::RetryLater(reason)) => DeliveryOutcome::Failed {
            reason: format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"),
        },
        Err(SendError::Rejected(reason))
        | Err(SendError::WindowClosed(reason))
        | Err(SendError::SyncLost(reason)) => DeliveryOutcome::Failed { reason },
    }
}

async fn deliver(state: &AppState, ctx: &ProviderContext, job: &OutboundJob) -> DeliveryOutcome {
    let channel =
        match app::channels::store::config(&state.db, &state.secret_key, job.channel_id).await {
            Ok(Some(channel)) => channel,
            Ok(None) => {
                return DeliveryOutcome::Failed {
                    reason: "The channel was removed.".into(),
                }
            }
            Err(err) => {
                return DeliveryOutcome::RetryAt {
                    at: now_ms() + backoff_ms(job.attempts),
                    reason: format!("database: {err}"),
                }
            }
        };
    if channel.channel.status != ChannelStatus::Connected {
        return DeliveryOutcome::Failed {
            reason:
                "The channel is not connected. Reconnect this channel in Settings › Conversations."
                    .into(),
        };
    }
    let result = provider_for(channel.channel.kind)
        .send(ctx, &channel, job)
        .await;
    match &result {
        Err(SendError::SyncLost(reason)) => {
            tracing::warn!(channel = %job.channel_id, %reason, "channel lost its connection");
            if let Err(err) =
                app::channels::store::mark_sync_lost(&state.db, job.channel_id, reason).await
            {
                tracing::error!(error = %err, "could not mark the channel sync-lost");
            }
        }
        Err(SendError::WindowClosed(_)) => {
            if let Err(err) =
                app::conversations::store::mark_window_closed(&state.db, job.conversation_id).await
            {
                tracing::error!(error = %err, "could not lock the conversation's composer");
            }
        }
        _ => {}
    }
    outcome_for(job, result, now_ms())
}

/// Runs forever, delivering what falls due.
pub async fn run(state: AppState, ctx: ProviderContext) {
    loop {
        let jobs = match messages::due_outbound(&state.db, BATCH).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(error = %err, "sender could not read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for job in &jobs {
            match messages::claim(&state.db, job, now_ms() + LEASE_MS).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "sender could not claim a reply");
                    continue;
                }
            }
            let outcome = deliver(&state, &ctx, job).await;
            if let DeliveryOutcome::Failed { reason } = &outcome {
                tracing::warn!(message = %job.message_id, %reason, "reply not delivered");
            }
            match messages::record_attempt(&state.db, job, &outcome).await {
                Ok(events) => state.bus.publish(events),
                Err(err) => {
                    tracing::error!(error = %err, message = %job.message_id, "could not record a delivery")
                }
            }
        }
        if jobs.len() as i64 == BATCH {
            continue;
        }
        let sleep_for = match messages::next_due_at(&state.db).await {
            Ok(Some(at)) => Duration::from_millis(
                (at - now_ms()).clamp(0, LONGEST_SLEEP.as_millis() as i64) as u64,
            ),
            _ => LONGEST_SLEEP,
        };
        tokio::select! {
            _ = state.outbox.notified() => {}
            _ = tokio::time::sleep(sleep_for) => {}
        }
    }
}

/// Sends read receipts as employees open conversations. Best effort: a receipt that
/// fails is logged and dropped (the lead's app catches up on the next one).
pub async fn run_read_receipts(
    state: AppState,
    ctx: ProviderContext,
    mut receipts: tokio::sync::mpsc::UnboundedReceiver<ReadReceipt>,
) {
    while let Some(receipt) = receipts.recv().await {
        let channel =
            match app::channels::store::config(&state.db, &state.secret_key, receipt.channel_id)
                .await
            {
                Ok(Some(channel)) if channel.channel.status == ChannelStatus::Connected => channel,
                _ => continue,
            };
        if let Err(err) = provider_for(channel.channel.kind)
            .mark_seen(&ctx, &channel, &receipt)
            .await
        {
            tracing::info!(channel = %receipt.channel_id, error = ?err, "read receipt not sent");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::SendReceipt;
    use app::ids::{ChannelId, ConversationId, MessageId};

    fn job(attempts: i64) -> OutboundJob {
        OutboundJob {
            message_id: MessageId(1),
            conversation_id: ConversationId(1),
            channel_id: ChannelId(1),
            contact_external_id: "lead".into(),
            body: "hi".into(),
            attempts,
            last_inbound_at: None,
            template: None,
            attachment: None,
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(5), 64_000);
        assert_eq!(backoff_ms(50), 300_000);
    }

    #[test]
    fn passing_faults_retry_until_the_limit() {
        let retry = outcome_for(&job(0), Err(SendError::RetryLater("503".into())), 1_000);
        assert_eq!(
            retry,
            DeliveryOutcome::RetryAt {
                at: 3_000,
                reason: "503".into()
            }
        );
        let last = outcome_for(
            &job(MAX_ATTEMPTS - 1),
            Err(SendError::RetryLater("503".into())),
            0,
        );
        assert!(matches!(last, DeliveryOutcome::Failed { reason } if reason.contains("gave up")));
    }

    #[test]
    fn refusals_fail_at_once_with_the_reason() {
        let out = outcome_for(
            &job(0),
            Err(SendError::WindowClosed("24-hour window closed".into())),
            0,
        );
        assert_eq!(
            out,
            DeliveryOutcome::Failed {
                reason: "24-hour window closed".into()
            }
        );
        let ok = outcome_for(
            &job(0),
            Ok(SendReceipt {
                provider_id: "p1".into(),
                delivered: false,
            }),
            0,
        );
        assert_eq!(
            ok,
            DeliveryOutcome::Sent {
                provider_id: "p1".into(),
                delivered: false
            }
        );
    }
}
