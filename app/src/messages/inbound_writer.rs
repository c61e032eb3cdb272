//! Group commit for inbound messages. Webhooks arrive many at a time, and each must be
//! acknowledged only after its message is durable; with `synchronous=FULL` a commit is a
//! disk flush, and the single writer would spend most of its time on them. So one task
//! takes every message that is waiting, writes them all in one transaction (their events
//! after all of them, in one statement, so that no writer holding the event-order lock on
//! PostgreSQL waits for a row), commits once, publishes the batch's events in commit
//! order and then answers them all. Should one message's writes fail, the batch is
//! written again with each message in a savepoint, so that the failure is its own.
//! A lone message waits for nobody: the task takes what is queued at that moment, never
//! a timer. Publishing here (not in each webhook) keeps the live streams' ids in order,
//! and publishes even when the webhook's request was dropped after the commit.

use super::inbound_batch::record_batch_in;
use super::store::InboundMessage;
use crate::events::bus::EventBus;
use crate::events::store::{self as events, EventDraft};
use crate::events::LiveEvent;
use crate::ids::ChannelId;
use crate::store::{StoreError, StoreResult};
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

/// The most messages one transaction takes: bounds how long other writers wait.
pub const MAX_BATCH: usize = 256;
const _: () = assert!(
    MAX_BATCH <= 500,
    "already_stored's OR chain would grow too deep"
);

type Answer = oneshot::Sender<StoreResult<Vec<LiveEvent>>>;

struct Job {
    channel: ChannelId,
    message: InboundMessage,
    answer: Answer,
}

/// The handle every clone of `Db` shares; the task ends when the last one is dropped.
#[derive(Clone, Debug)]
pub struct InboundWriter {
    jobs: mpsc::Sender<Job>,
}

impl InboundWriter {
    /// Starts the writing task on the current Tokio runtime.
    pub fn start(write: AnyPool, bus: EventBus) -> Self {
        // Bounded: under a flood, webhooks wait here (and providers retry) rather than
        // piling up in memory.
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(write, bus, queue));
        Self { jobs }
    }

    /// Stores one message; answers after the commit that made it durable, with its events
    /// (already published).
    pub async fn record(
        &self,
        channel: ChannelId,
        message: InboundMessage,
    ) -> StoreResult<Vec<LiveEvent>> {
        let (answer, answered) = oneshot::channel();
        let stopped = || StoreError::Other("the inbound writer has stopped".into());
        self.jobs
            .send(Job {
                channel,
                message,
                answer,
            })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn run(write: AnyPool, bus: EventBus, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&write, &bus, std::mem::take(&mut batch)).await;
    }
}

async fn write_batch(write: &AnyPool, bus: &EventBus, mut batch: Vec<Job>) {
    // Rows are locked in one order, by contact (each contact's messages keep theirs): two
    // processes' batches on PostgreSQL then never wait for each other in a circle.
    batch.sort_by(|a, b| {
        (a.channel.0, &a.message.contact_external_id)
            .cmp(&(b.channel.0, &b.message.contact_external_id))
    });
    let outcomes = match write_together(write, &batch).await {
        Ok(outcomes) => outcomes,
        // A message's writes failed (a channel deleted meanwhile, a constraint): the
        // batch again, each message in a savepoint, so that it alone fails.
        Err(_) => match write_separately(write, &batch).await {
            Ok(outcomes) => outcomes,
            Err(err) => return fail_all(batch, &err.to_string()),
        },
    };
    bus.publish(
        outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().ok())
            .flatten()
            .cloned(),
    );
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        // The webhook may have given up waiting; its message is stored all the same.
        let _ = job.answer.send(outcome);
    }
}

type Outcomes = Vec<StoreResult<Vec<LiveEvent>>>;

/// The usual case: the messages already stored (a provider's retries) skipped after one
/// look, the others written together (`record_batch_in`: a few statements for the whole
/// batch), all events in one statement. Any failure undoes the whole batch.
async fn write_together(write: &AnyPool, batch: &[Job]) -> StoreResult<Outcomes> {
    let mut tx = write.begin().await?;
    let stored = already_stored(&mut tx, batch).await?;
    // A reaction changed or taken back, or a message unsent, names a line that exists:
    // not a retry, but a change the batch's writes make (`record_batch_in`).
    let fresh: Vec<usize> = (0..batch.len())
        .filter(|&i| {
            batch[i].message.kind.updates_in_place()
                || !stored.contains(&(batch[i].channel.0, batch[i].message.provider_id.clone()))
        })
        .collect();
    let messages: Vec<(ChannelId, &InboundMessage)> = fresh
        .iter()
        .map(|&i| (batch[i].channel, &batch[i].message))
        .collect();
    let mut drafted = vec![Vec::new(); batch.len()];
    for (i, drafts) in fresh
        .into_iter()
        .zip(record_batch_in(&mut tx, &messages).await?)
    {
        drafted[i] = drafts.unwrap_or_default();
    }
    let outcomes = append_in_order(&mut tx, drafted).await?;
    tx.commit().await?;
    Ok(outcomes.into_iter().map(Ok).collect())
}

/// Each message in a savepoint: a failure (or a duplicate) undoes its own writes only.
async fn write_separately(write: &AnyPool, batch: &[Job]) -> StoreResult<Outcomes> {
    let mut tx = write.begin().await?;
    let mut drafted = Vec::with_capacity(batch.len());
    let mut failures = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        match write_one(&mut tx, job).await {
            Ok(drafts) => drafted.push(drafts),
            Err(err) => {
                drafted.push(Vec::new());
                failures.push((i, err));
            }
        }
    }
    let mut outcomes: Outcomes = append_in_order(&mut tx, drafted)
        .await?
        .into_iter()
        .map(Ok)
        .collect();
    tx.commit().await?;
    for (i, err) in failures {
        outcomes[i] = Err(err);
    }
    Ok(outcomes)
}

/// The events of every message after all the batch's row writes (`EventDraft`), in the
/// messages' order; each message's own back.
async fn append_in_order(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    drafted: Vec<Vec<EventDraft>>,
) -> StoreResult<Vec<Vec<LiveEvent>>> {
    let counts: Vec<usize> = drafted.iter().map(Vec::len).collect();
    let mut appended = events::append_drafts(tx, drafted.into_iter().flatten().collect())
        .await?
        .into_iter();
    Ok(counts
        .into_iter()
        .map(|n| appended.by_ref().take(n).collect())
        .collect())
}

/// The batch's messages whose provider ids are stored already, as (channel, provider id).
/// An OR of pairs: SQLite looks each up in the unique index (a row-value `IN (VALUES …)`
/// would scan all of it), and the OR chain stays under its expression depth of 1,000.
async fn already_stored(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    batch: &[Job],
) -> StoreResult<std::collections::HashSet<(i64, String)>> {
    let mut lookup =
        crate::store::SqlBuilder::new("SELECT channel_id, provider_id FROM messages WHERE ");
    for (i, job) in batch.iter().enumerate() {
        lookup
            .push(if i == 0 {
                "(channel_id = "
            } else {
                " OR (channel_id = "
            })
            .push_bind(job.channel.0)
            .push(" AND provider_id = ")
            .push_bind(job.message.provider_id.clone())
            .push(")");
    }
    let rows = lookup.build().fetch_all(&mut **tx).await?;
    Ok(rows
        .iter()
        .map(|row| (row.get::<i64, _>(0), row.get::<String, _>(1)))
        .collect())
}

/// One message in a savepoint: a failure (or a duplicate) undoes its writes only.
async fn write_one(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    job: &Job,
) -> StoreResult<Vec<EventDraft>> {
    let mut savepoint = sqlx::Connection::begin(&mut **tx).await?;
    let written = record_batch_in(&mut savepoint, &[(job.channel, &job.message)])
        .await
        .map(|mut outcomes| outcomes.remove(0));
    match written {
        Ok(Some(events)) => {
            savepoint.commit().await?;
            Ok(events)
        }
        Ok(None) => {
            savepoint.rollback().await?;
            Ok(Vec::new())
        }
        Err(err) => {
            // Dropping the savepoint rolls it back.
            drop(savepoint);
            Err(err)
        }
    }
}

fn fail_all(batch: Vec<Job>, why: &str) {
    tracing::error!(error = %why, messages = batch.len(), "could not store inbound messages");
    for job in batch {
        let _ = job.answer.send(Err(StoreError::Other(format!(
            "could not store the message: {why}"
        ))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::ChannelKind;
    use crate::store::{temp_db, Db};

    fn message(lead: &str, provider_id: &str) -> InboundMessage {
        InboundMessage {
            contact_external_id: lead.into(),
            contact_name: Some("Lead".into()),
            provider_id: provider_id.into(),
            body: format!("text of {provider_id}"),
            ..Default::default()
        }
    }

    async fn count(db: &Db, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&db.read).await.unwrap()
    }

    /// Writes `messages` as one batch; each one's answer.
    async fn one_batch(db: &Db, messages: Vec<(ChannelId, InboundMessage)>) -> Outcomes {
        let mut answers = Vec::new();
        let mut batch = Vec::new();
        for (channel, message) in messages {
            let (answer, answered) = oneshot::channel();
            answers.push(answered);
            batch.push(Job {
                channel,
                message,
                answer,
            });
        }
        write_batch(&db.write, &db.bus, batch).await;
        let mut outcomes = Vec::new();
        for answered in answers {
            outcomes.push(answered.await.unwrap());
        }
        outcomes
    }

    /// One batch with a good message, its duplicate, a message for a channel that does not
    /// exist (its writes fail) and another good one: each gets its own answer, and the
    /// failure undoes its own writes only.
    #[tokio::test]
    async fn a_batch_answers_each_message_and_a_failure_spoils_no_other() {
        let (db, dir) = temp_db("batch").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Sandbox, "S", "s-1")
            .await
            .unwrap();
        let batch = vec![
            (channel, message("lead-a", "m-1")),
            (channel, message("lead-a", "m-1")),
            (ChannelId(9999), message("lead-x", "m-x")),
            (channel, message("lead-b", "m-2")),
            (
                channel,
                InboundMessage {
                    // Written from the page itself (an echo).
                    from_business: true,
                    ..message("lead-b", "m-echo")
                },
            ),
        ];
        let mut live = db.bus.subscribe();
        let outcomes = one_batch(&db, batch).await;
        assert_eq!(
            outcomes[0].as_ref().unwrap().len(),
            1,
            "the first is stored"
        );
        assert!(outcomes[1].as_ref().unwrap().is_empty(), "its retry is not");
        assert!(outcomes[2].is_err(), "no channel 9999");
        assert_eq!(outcomes[3].as_ref().unwrap().len(), 1);
        // Published once each, in commit order.
        let mut published = Vec::new();
        while let Ok(event) = live.try_recv() {
            published.push(event.id.0);
        }
        let answered: Vec<i64> = [&outcomes[0], &outcomes[3], &outcomes[4]]
            .iter()
            .map(|o| o.as_ref().unwrap()[0].id.0)
            .collect();
        assert_eq!(published, answered);
        assert!(published.windows(2).all(|w| w[0] < w[1]));
        // The event carries the message exactly as a reader of the store sees it.
        for outcome in [&outcomes[0], &outcomes[3], &outcomes[4]] {
            let event = &outcome.as_ref().unwrap()[0];
            let (stored, _) = crate::messages::store::recent(&db, event.conversation_id, None, 5)
                .await
                .unwrap();
            let stored = stored
                .iter()
                .find(|m| Some(m.id.0) == event.payload["id"].as_i64())
                .unwrap();
            assert_eq!(event.payload, serde_json::to_value(stored).unwrap());
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM messages").await, 3);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts").await, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM events").await, 3);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A provider's retry of a stored message, in a batch that writes together: skipped
    /// before any write, so the contact it names is not touched either.
    #[tokio::test]
    async fn a_retried_message_in_a_batch_changes_nothing() {
        let (db, dir) = temp_db("retry").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Sandbox, "S", "s-1")
            .await
            .unwrap();
        crate::messages::store::record_inbound(&db, channel, &message("lead-c", "m-0"))
            .await
            .unwrap();
        let retry = InboundMessage {
            contact_name: Some("Renamed".into()),
            ..message("lead-c", "m-0")
        };
        let outcomes = one_batch(
            &db,
            vec![(channel, retry), (channel, message("lead-d", "m-9"))],
        )
        .await;
        assert!(
            outcomes[0].as_ref().unwrap().is_empty(),
            "the retry stores nothing"
        );
        assert_eq!(outcomes[1].as_ref().unwrap().len(), 1);
        let name: String =
            sqlx::query_scalar("SELECT name FROM contacts WHERE external_id = 'lead-c'")
                .fetch_one(&db.read)
                .await
                .unwrap();
        assert_eq!(name, "Lead");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM messages").await, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM events").await, 2);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Many webhooks at once: each message stored once, each caller answered with its own
    /// event, and the events numbered in commit order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_messages_are_each_stored_once() {
        let (db, dir) = temp_db("concurrent").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Sandbox, "S", "s-1")
            .await
            .unwrap();
        let tasks: Vec<_> = (0..300)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    // Every message twice, as a provider retrying would send it.
                    let m = message(&format!("lead-{}", i % 40), &format!("m-{i}"));
                    let first = crate::messages::store::record_inbound(&db, channel, &m).await;
                    let again = crate::messages::store::record_inbound(&db, channel, &m).await;
                    (i, first.unwrap(), again.unwrap())
                })
            })
            .collect();
        for task in tasks {
            let (i, first, again) = task.await.unwrap();
            assert_eq!(first.len(), 1);
            assert_eq!(
                first[0].payload["body"].as_str(),
                Some(format!("text of m-{i}").as_str()),
                "{:?}",
                first[0].payload
            );
            assert!(again.is_empty());
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM messages").await, 300);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM conversations").await, 40);
        assert_eq!(
            count(&db, "SELECT SUM(unread_count) FROM conversations").await,
            300
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
