//! Live events across processes (PostgreSQL): every process LISTENs for the ids its peers
//! (and itself) notify at commit, reads the new rows of `events` in id order and publishes
//! them on its own bus. A notification only says "there is more"; the table is the truth,
//! so a dropped listening connection or a lost notification costs a moment, not an
//! event: after a reconnect, and every few seconds anyway, the relay catches up from the
//! last id it published.

use super::bus::EventBus;
use super::store as events;
use crate::ids::EventId;
use sqlx::postgres::PgListener;
use sqlx::AnyPool;
use std::time::Duration;
use tokio::sync::mpsc;

/// Rows read per catch-up query.
const CATCH_UP_BATCH: i64 = 500;
/// The safety net: a catch-up even when no notification came.
const CATCH_UP_EVERY: Duration = Duration::from_secs(5);
/// The wait before connecting again after the listening connection failed.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What the listening task hands to the relay.
enum Heard {
    /// New events were committed (maybe several: one catch-up serves them all).
    Events,
    /// A process changed who may see what (the NOTIFY payload says for whom).
    Access(String),
    /// The listening connection was lost; some notifications may be too.
    Reconnected,
}

/// Where a relay starts: the schema (whose channels it uses) and the newest event id
/// (it publishes those after it).
pub struct Start {
    schema: String,
    last: EventId,
}

/// Starts the relay of the database `url` for `bus` from `start`; `access_changes` wakes
/// it when this process has access changes to announce to the others.
pub fn start(
    url: String,
    pool: AnyPool,
    bus: EventBus,
    access_changes: mpsc::UnboundedReceiver<()>,
    start: Start,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(url, pool, bus, access_changes, start))
}

async fn run(
    url: String,
    pool: AnyPool,
    bus: EventBus,
    mut access_changes: mpsc::UnboundedReceiver<()>,
    Start { schema, mut last }: Start,
) {
    let events_channel = format!("confab_events_{schema}");
    let access_channel = format!("confab_access_{schema}");
    let (heard_tx, mut heard) = mpsc::unbounded_channel();
    // Ends with the relay, however the relay ends (aborted at `Db::close`).
    let _listening = AbortOnDrop(tokio::spawn(listen(
        url,
        [events_channel.clone(), access_channel.clone()],
        heard_tx,
    )));
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
    // The first connection loses nothing (the relay starts before the server serves);
    // a later one may have missed access changes announced while it was down.
    let mut connected_before = false;
    let mut reconnected = |bus: &EventBus| {
        if std::mem::replace(&mut connected_before, true) {
            // Every stream here re-checks, rather than one staying open too long.
            bus.access_may_have_changed_elsewhere();
        }
    };
    loop {
        tokio::select! {
            message = heard.recv() => match message {
                Some(first @ (Heard::Events | Heard::Reconnected)) => {
                    if matches!(first, Heard::Reconnected) {
                        reconnected(&bus);
                    }
                    // Notifications that queued up meanwhile are served by this one read
                    // (access changes among them are applied, not dropped).
                    while let Ok(queued) = heard.try_recv() {
                        match queued {
                            Heard::Events => {}
                            Heard::Access(payload) => bus.access_changed_elsewhere(&payload),
                            Heard::Reconnected => reconnected(&bus),
                        }
                    }
                    catch_up(&pool, &bus, &mut last).await;
                }
                Some(Heard::Access(payload)) => bus.access_changed_elsewhere(&payload),
                None => break,
            },
            change = access_changes.recv() => match change {
                Some(()) => {
                    for payload in bus.take_announcements() {
                        announce_access_change(&pool, &access_channel, &payload).await;
                    }
                }
                None => break,
            },
            _ = tick.tick() => catch_up(&pool, &bus, &mut last).await,
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a relay of this database starts now.
pub async fn where_to_start(pool: &AnyPool) -> Result<Start, crate::store::StoreError> {
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(pool)
        .await?;
    let last = events::latest_id(pool).await?;
    Ok(Start { schema, last })
}

/// Listens on `channels` and reports what it hears; connects again when the connection
/// drops (reporting that, so the relay catches up on what it may have missed).
async fn listen(url: String, channels: [String; 2], heard: mpsc::UnboundedSender<Heard>) {
    let [events_channel, _] = &channels;
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "event relay cannot connect; trying again");
                tokio::time::sleep(RECONNECT_AFTER).await;
                continue;
            }
        };
        if let Err(err) = listener
            .listen_all(channels.iter().map(String::as_str))
            .await
        {
            tracing::warn!(error = %err, "event relay cannot listen; trying again");
            tokio::time::sleep(RECONNECT_AFTER).await;
            continue;
        }
        if heard.send(Heard::Reconnected).is_err() {
            return;
        }
        loop {
            let message = match listener.try_recv().await {
                Ok(Some(notification)) if notification.channel() == events_channel => Heard::Events,
                Ok(Some(notification)) => Heard::Access(notification.payload().to_owned()),
                // The connection dropped; `try_recv` connects again (and listens again)
                // on the next call.
                Ok(None) => Heard::Reconnected,
                Err(err) => {
                    tracing::warn!(error = %err, "event relay lost its connection");
                    tokio::time::sleep(RECONNECT_AFTER).await;
                    break;
                }
            };
            if heard.send(message).is_err() {
                return;
            }
        }
    }
}

/// Publishes the events committed after `last`, in id order, and moves `last` on.
async fn catch_up(pool: &AnyPool, bus: &EventBus, last: &mut EventId) {
    loop {
        match events::since(pool, *last, CATCH_UP_BATCH).await {
            Ok(batch) => {
                let Some(newest) = batch.last().map(|event| event.id) else {
                    return;
                };
                let full = batch.len() as i64 == CATCH_UP_BATCH;
                *last = newest;
                bus.publish_relayed(batch);
                if !full {
                    return;
                }
            }
            Err(err) => {
                // The next notification or tick tries again from the same place.
                tracing::warn!(error = %err, "event relay cannot read new events");
                return;
            }
        }
    }
}

/// Tells every process (this one too: it skips its own) whose access changed.
async fn announce_access_change(pool: &AnyPool, channel: &str, payload: &str) {
    let sent = sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(pool)
        .await;
    if let Err(err) = sent {
        tracing::warn!(error = %err, "could not tell the other processes of an access change");
    }
}
