//! The outbound sender: takes pending replies from the outbox, delivers them through their
//! channel's provider, records sent / failed with bounded retries and backoff. It wakes when
//! a reply is queued and when the next retry falls due.
//!
//! Each channel is delivered by its own task, its replies one after another (in the order
//! they were written), so a provider that hangs or fails holds up only its own channel:
//! the others, and the inbox itself, go on. Per conversation, a reply waiting for a retry
//! or a confirmation holds back the later ones (`store::claim` takes only the oldest).
//!
//! A reply whose outcome is unknown (its answer lost or unreadable) is never sent again
//! blindly: it waits `confirm_wait` for the provider's own signal naming it (an echo or a
//! status carrying `confab:<id>`, applied by the webhooks), then goes once more; a second
//! unknown outcome without a signal fails it (`store::NOT_CONFIRMED`).

use crate::channels::rate_limits::PauseScope;
use crate::channels::{provider_for, ProviderContext, ProviderPolicy, SendError};
use app::channels::ChannelStatus;
use app::ids::ChannelId;
use app::messages::store::{self as messages, DeliveryOutcome, OutboundJob};
use app::state::AppState;
use app::state::ReadReceipt;
use app::store::now_ms;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i64 = 32;
const LONGEST_SLEEP: Duration = Duration::from_secs(30);
/// How often the sender looks for leases that outlived their process (PostgreSQL, where
/// other processes send too).
const LEASE_CHECK: Duration = Duration::from_secs(5);

/// How long a reply being delivered is not due again: longer than any attempt, which
/// the provider timeout bounds, with room for recording its answer.
fn lease_ms(policy: &ProviderPolicy) -> i64 {
    (policy.timeout * 2 + Duration::from_secs(5)).as_millis() as i64
}

/// Turns a provider's answer into what the store records: a passing fault is retried
/// after [`ProviderPolicy::delay`] until `send_attempts` attempts were made.
pub fn outcome_for(
    job: &OutboundJob,
    result: Result<crate::channels::SendReceipt, SendError>,
    now: i64,
    policy: &ProviderPolicy,
) -> DeliveryOutcome {
    let (reason, asked) = match result {
        Ok(receipt) => {
            return DeliveryOutcome::Sent {
                provider_id: receipt.provider_id,
                delivered: receipt.delivered,
            }
        }
        // The answer was lost: wait for the provider's own confirmation, never send blindly.
        Err(SendError::Unconfirmed(reason)) => {
            return DeliveryOutcome::Unconfirmed {
                at: now + policy.confirm_wait.as_millis() as i64,
                reason,
            }
        }
        Err(SendError::RetryLater(reason)) => (reason, None),
        Err(SendError::RetryAfter(reason, wait)) => (reason, Some(wait)),
        // A rate limit: the reply waits as long as the provider asked, uncounted.
        Err(SendError::Paused { reason, wait, .. }) => {
            return DeliveryOutcome::Postponed {
                at: now + policy.pause(wait).as_millis() as i64,
                reason,
            }
        }
        Err(SendError::Rejected(reason))
        | Err(SendError::WindowClosed(reason))
        | Err(SendError::SyncLost(reason)) => return DeliveryOutcome::Failed { reason },
    };
    if job.attempts + 1 < policy.send_attempts {
        DeliveryOutcome::RetryAt {
            at: now + policy.delay(job.attempts, asked).as_millis() as i64,
            reason,
        }
    } else {
        let stop = if reason.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        DeliveryOutcome::Failed {
            reason: format!(
                "{reason}{stop} Gave up after {} attempts.",
                policy.send_attempts
            ),
        }
    }
}

/// Why the provider cannot take this reply's file, by the same table the upload checked
/// (`media_rules`): a file that no longer fits (the channel changed, a limit moved) fails
/// with the reason instead of being sent to a refusal.
pub fn file_refusal(kind: app::channels::ChannelKind, job: &OutboundJob) -> Option<String> {
    use app::channels::media_rules::{self, MediaRefusal};
    let file = job.attachment.as_ref()?;
    let size = file
        .size_bytes
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    match media_rules::check(kind, &file.mime, size) {
        Ok(_) => None,
        Err(MediaRefusal::Type) => Some(media_rules::type_refusal(
            app::i18n::Locale::en,
            kind,
            &file.mime,
        )),
        Err(MediaRefusal::Size { limit }) => Some(app::messages::route_text::file_too_large(
            app::i18n::Locale::en,
            kind,
            limit,
            size.unwrap_or_default(),
        )),
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
                    at: now_ms() + ctx.policy.delay(job.attempts, None).as_millis() as i64,
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
    // Paused by its provider (maybe by another process): the reply waits, uncounted.
    if let Some(until) = channel.channel.paused_until.filter(|u| *u > now_ms()) {
        return DeliveryOutcome::Postponed {
            at: until,
            reason: PAUSED.into(),
        };
    }
    if let Some(reason) = file_refusal(channel.channel.kind, job) {
        return DeliveryOutcome::Failed { reason };
    }
    if job.confirmation_given_up() {
        // Sent twice already without a word from the provider: a third could reach the
        // lead three times. The employee decides.
        return DeliveryOutcome::Failed {
            reason: messages::NOT_CONFIRMED.into(),
        };
    }
    let result = provider_for(channel.channel.kind)
        .send(ctx, &channel, job)
        .await;
    match &result {
        Err(SendError::SyncLost(reason)) => {
            tracing::warn!(channel = %job.channel_id, %reason, "channel lost its connection");
            match app::channels::store::mark_sync_lost(&state.db, job.channel_id, reason).await {
                // Every composer on the channel locks now.
                Ok(true) => announce(state, job.channel_id).await,
                Ok(false) => {}
                Err(err) => tracing::error!(error = %err, "could not mark the channel sync-lost"),
            }
        }
        Err(SendError::Paused {
            reason,
            wait,
            scope: PauseScope::Channel,
        }) => {
            let until = now_ms() + ctx.policy.pause(*wait).as_millis() as i64;
            tracing::warn!(channel = %job.channel_id, %reason, until, "provider paused the channel");
            match app::channels::store::pause(&state.db, job.channel_id, until).await {
                Ok(true) => announce(state, job.channel_id).await,
                Ok(false) => {}
                Err(err) => tracing::error!(error = %err, "could not pause the channel"),
            }
        }
        Err(SendError::WindowClosed(_)) => {
            if let Err(err) =
                app::conversations::store::mark_window_closed(&state.db, job.conversation_id).await
            {
                tracing::error!(error = %err, "could not lock the conversation's composer");
            }
        }
        // WhatsApp knows the lead under another form of the number (Brazil's ninth digit,
        // Mexico's `521`): the contact takes it, so the lead's answer finds this thread.
        Ok(receipt) => {
            let used = job.contact_external_id.trim_start_matches('+');
            // A lead known by its BSUID keeps it: its messages may come without a number.
            let number = app::channels::whatsapp_identity::is_wa_id(used);
            if let Some(wa_id) = receipt
                .recipient_id
                .as_deref()
                .filter(|id| number && *id != used)
            {
                if let Err(err) = app::channels::whatsapp_identity::store::adopt_wa_id(
                    &state.db,
                    job.channel_id,
                    &job.contact_external_id,
                    wa_id,
                )
                .await
                {
                    tracing::error!(error = %err, "could not record the lead's WhatsApp id");
                }
            }
        }
        _ => {}
    }
    outcome_for(job, result, now_ms(), &ctx.policy)
}

/// What a reply waiting for its channel's pause says meanwhile.
const PAUSED: &str = "The provider asked Confab to wait before sending more on this channel.";

/// Tells every open composer on the channel its new state (the event is stored, then
/// published).
async fn announce(state: &AppState, channel: ChannelId) {
    match app::channels::store::announce(&state.db, channel).await {
        Ok(events) => state.bus.publish(events),
        Err(err) => tracing::error!(error = %err, "could not announce the channel's state"),
    }
}

/// Ends the pauses that are over (announcing each) and returns when the others end. One
/// read when no channel is paused, as almost always: the write only when a pause is over.
async fn pauses(state: &AppState) -> HashMap<ChannelId, i64> {
    let now = now_ms();
    let pauses = match app::channels::store::pauses(&state.db).await {
        Ok(pauses) => pauses,
        Err(err) => {
            tracing::warn!(error = %err, "sender could not read the channels' pauses");
            return HashMap::new();
        }
    };
    if pauses.iter().any(|(_, at)| *at <= now) {
        match app::channels::store::end_pauses(&state.db, now).await {
            Ok(ended) => {
                for channel in ended {
                    tracing::info!(channel = %channel, "the provider's pause is over");
                    announce(state, channel).await;
                }
            }
            Err(err) => tracing::warn!(error = %err, "sender could not end the channels' pauses"),
        }
    }
    pauses.into_iter().filter(|(_, at)| *at > now).collect()
}

/// The channels whose deliveries are under way.
type Busy = Arc<Mutex<HashSet<ChannelId>>>;

/// Runs until `stop` turns true: starts a channel's deliveries when its replies fall due,
/// and sleeps until the next one does, a reply is queued, or a channel's deliveries end.
/// On stop, the replies being handed over are finished (within the provider timeout) and
/// no new one is started, so a restart interrupts none.
pub async fn run(state: AppState, ctx: ProviderContext, mut stop: watch::Receiver<bool>) {
    // SQLite has one process per database: a lease left from before this start belongs to
    // a process that died mid-send, and none can go stale while this one runs (its own
    // deliveries end within the provider timeout), so once, here, is enough. On
    // PostgreSQL other processes hold live leases: only those past their end are theirs
    // to give up, checked every LEASE_CHECK.
    let several_processes = state.db.backend == app::store::Backend::Postgres;
    fail_interrupted(
        &state,
        if several_processes {
            now_ms()
        } else {
            i64::MAX
        },
    )
    .await;
    let mut next_lease_check = tokio::time::Instant::now() + LEASE_CHECK;
    let busy = Busy::default();
    while !*stop.borrow() {
        if several_processes && tokio::time::Instant::now() >= next_lease_check {
            fail_interrupted(&state, now_ms()).await;
            next_lease_check = tokio::time::Instant::now() + LEASE_CHECK;
        }
        let due = match messages::next_due_by_channel(&state.db).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "sender could not read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let paused = pauses(&state).await;
        let now = now_ms();
        let mut sleep_for = if several_processes {
            LEASE_CHECK
        } else {
            LONGEST_SLEEP
        };
        // A pause ends on time (and is announced) even when no reply waits for it.
        for until in paused.values() {
            sleep_for = sleep_for.min(Duration::from_millis((until - now).max(0) as u64));
        }
        for (channel, at) in due {
            // A paused channel's replies wait for the end of the pause.
            let at = paused.get(&channel).map_or(at, |until| at.max(*until));
            if busy.lock().expect("busy channels").contains(&channel) {
                // Its task looks for more before it ends, and wakes us when it does.
                continue;
            }
            if at > now {
                sleep_for = sleep_for.min(Duration::from_millis((at - now) as u64));
                continue;
            }
            busy.lock().expect("busy channels").insert(channel);
            let lane = Lane {
                busy: busy.clone(),
                channel,
                wake: state.outbox.clone(),
            };
            let (state, ctx, stop) = (state.clone(), ctx.clone(), stop.clone());
            tokio::spawn(async move {
                let _lane = lane;
                deliver_channel(&state, &ctx, channel, &stop).await;
            });
        }
        tokio::select! {
            _ = state.outbox.notified() => {}
            _ = tokio::time::sleep(sleep_for) => {}
            _ = stop.changed() => {}
        }
    }
    let deadline = tokio::time::Instant::now() + ctx.policy.timeout + Duration::from_secs(1);
    while !busy.lock().expect("busy channels").is_empty() && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Fails the replies whose lease ended before `lease_ended_by` (see
/// [`messages::fail_interrupted_sends`]) and tells the inbox.
async fn fail_interrupted(state: &AppState, lease_ended_by: i64) {
    match messages::fail_interrupted_sends(&state.db, lease_ended_by).await {
        Ok(events) if events.is_empty() => {}
        Ok(events) => {
            tracing::warn!(
                replies = events.len(),
                "replies interrupted mid-send by a stop are marked failed, not sent again"
            );
            state.bus.publish(events);
        }
        Err(err) => tracing::warn!(error = %err, "sender could not check for interrupted replies"),
    }
}

/// A channel's deliveries under way: when they end, however they end, the channel is free
/// again and the sender looks at once for what became due meanwhile.
struct Lane {
    busy: Busy,
    channel: ChannelId,
    wake: Arc<tokio::sync::Notify>,
}

impl Drop for Lane {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.busy.lock() {
            busy.remove(&self.channel);
        }
        self.wake.notify_one();
    }
}

/// Delivers a channel's due replies, oldest first, until none is due or the sender stops.
async fn deliver_channel(
    state: &AppState,
    ctx: &ProviderContext,
    channel: ChannelId,
    stop: &watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let jobs = match messages::due_outbound(&state.db, channel, BATCH).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(error = %err, "sender could not read the outbox");
                tokio::time::sleep(Duration::from_secs(1)).await;
                return;
            }
        };
        if jobs.is_empty() {
            return;
        }
        // Conversations whose reply waits (a retry, a confirmation, a provider's pause):
        // their later replies wait too, in order.
        let mut held = HashSet::new();
        for job in &jobs {
            if *stop.borrow() {
                return;
            }
            if held.contains(&job.conversation_id) {
                continue;
            }
            match messages::claim(&state.db, job, now_ms() + lease_ms(&ctx.policy)).await {
                Ok(true) => {}
                Ok(false) => {
                    // Taken elsewhere, or behind an earlier reply: its conversation's later
                    // replies wait for it.
                    held.insert(job.conversation_id);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "sender could not claim a reply");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return;
                }
            }
            let outcome = deliver(state, ctx, job).await;
            if let DeliveryOutcome::Failed { reason } = &outcome {
                tracing::warn!(message = %job.message_id, %reason, "reply not delivered");
            }
            match messages::record_attempt(&state.db, job, &outcome).await {
                Ok(events) => state.bus.publish(events),
                Err(err) => {
                    tracing::error!(error = %err, message = %job.message_id, "could not record a delivery")
                }
            }
            // Waiting for a retry or a confirmation: the conversation's later replies wait
            // too, so replies leave in the order they were written.
            if matches!(
                outcome,
                DeliveryOutcome::RetryAt { .. } | DeliveryOutcome::Unconfirmed { .. }
            ) {
                held.insert(job.conversation_id);
            }
            if matches!(outcome, DeliveryOutcome::Postponed { .. }) {
                held.insert(job.conversation_id);
                // The whole channel paused: the rest waits for the pause's end.
                let paused = app::channels::store::by_id(&state.db, channel)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|c| c.paused_until)
                    .is_some_and(|until| until > now_ms());
                if paused {
                    return;
                }
            }
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
    use app::ids::{ConversationId, MessageId};

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
            confirm_state: None,
            created_at: 1,
        }
    }

    #[test]
    fn passing_faults_retry_until_the_limit() {
        let policy = ProviderPolicy::default();
        let retry = outcome_for(
            &job(0),
            Err(SendError::RetryLater("503".into())),
            1_000,
            &policy,
        );
        assert_eq!(
            retry,
            DeliveryOutcome::RetryAt {
                at: 3_000,
                reason: "503".into()
            }
        );
        let asked = outcome_for(
            &job(1),
            Err(SendError::RetryAfter("429".into(), Duration::from_secs(60))),
            0,
            &policy,
        );
        assert!(matches!(asked, DeliveryOutcome::RetryAt { at: 60_000, .. }));
        let last = outcome_for(
            &job(policy.send_attempts - 1),
            Err(SendError::RetryLater(
                "Messenger did not answer in time.".into(),
            )),
            0,
            &policy,
        );
        assert_eq!(
            last,
            DeliveryOutcome::Failed {
                reason: "Messenger did not answer in time. Gave up after 8 attempts.".into()
            }
        );
    }

    #[test]
    fn a_lost_answer_waits_for_a_confirmation_whatever_the_attempts() {
        let policy = ProviderPolicy::default();
        for attempts in [0, policy.send_attempts - 1, policy.send_attempts] {
            assert_eq!(
                outcome_for(
                    &job(attempts),
                    Err(SendError::Unconfirmed(
                        "Messenger broke off the connection.".into()
                    )),
                    1_000,
                    &policy,
                ),
                DeliveryOutcome::Unconfirmed {
                    at: 121_000,
                    reason: "Messenger broke off the connection.".into()
                }
            );
        }
    }

    #[test]
    fn refusals_fail_at_once_with_the_reason() {
        let out = outcome_for(
            &job(0),
            Err(SendError::WindowClosed("24-hour window closed".into())),
            0,
            &ProviderPolicy::default(),
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
                recipient_id: None,
            }),
            0,
            &ProviderPolicy::default(),
        );
        assert_eq!(
            ok,
            DeliveryOutcome::Sent {
                provider_id: "p1".into(),
                delivered: false
            }
        );
    }

    #[test]
    fn a_file_the_channel_cannot_take_fails_before_the_provider_is_called() {
        use app::channels::ChannelKind;
        use app::messages::store::OutboundFile;
        use app::messages::AttachmentKind;
        let with_file = |mime: &str, size: i64| OutboundJob {
            attachment: Some(OutboundFile {
                id: 1,
                kind: AttachmentKind::File,
                mime: mime.into(),
                file_name: "f".into(),
                size_bytes: Some(size),
            }),
            ..job(0)
        };
        assert_eq!(file_refusal(ChannelKind::Whatsapp, &job(0)), None);
        assert_eq!(
            file_refusal(
                ChannelKind::Whatsapp,
                &with_file("image/png", 5 * 1024 * 1024)
            ),
            None
        );
        let big = file_refusal(
            ChannelKind::Whatsapp,
            &with_file("image/png", 6 * 1024 * 1024),
        );
        assert!(big.is_some_and(|r| r.contains("5 MB")));
        let pdf = file_refusal(ChannelKind::Instagram, &with_file("application/pdf", 10));
        assert!(pdf.is_some_and(|r| r.contains("Instagram") && r.contains("application/pdf")));
    }
}
