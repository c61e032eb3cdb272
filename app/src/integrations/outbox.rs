//! The durable outbox of outgoing webhook deliveries.

use super::IntegrationEvent;
use crate::store::{now_ms, StoreResult};
use sqlx::{AnyConnection, Row};
use std::sync::LazyLock;
use tokio::sync::watch;

/// Rung when deliveries are queued, so the workers (`server::workers::webhooks`) look at
/// once instead of at their next poll. One per process, a counter that every worker
/// watches: none misses a ring, and a worker woken for another server's delivery in the
/// same process (the tests run many) finds nothing due and sleeps again.
static BELL: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// The bell a worker waits on (`changed()`).
pub fn bell() -> watch::Receiver<u64> {
    BELL.subscribe()
}

/// Wakes the workers. Rung before the caller's commit, it may find nothing yet: a worker
/// waits a moment before it looks, and polls besides.
pub fn wake() {
    BELL.send_modify(|n| *n = n.wrapping_add(1));
}

/// Enqueues `event` with its JSON `data` for every active subscription that asked for it,
/// inside the caller's transaction (so it is delivered if and only if the change commits).
///
/// Call it from the store function that makes the change, after the change's own writes.
/// A transaction that queues many events (an inbound batch, a CSV import) reads the
/// subscriptions once with [`Listeners::load`] instead.
pub async fn enqueue(
    conn: &mut AnyConnection,
    event: IntegrationEvent,
    data: serde_json::Value,
) -> StoreResult<()> {
    Listeners::load(conn)
        .await?
        .enqueue(conn, event, &data)
        .await
}

/// The active subscriptions and the events each asked for, as a transaction read them.
pub struct Listeners(Vec<(i64, Vec<IntegrationEvent>)>);

impl Listeners {
    pub async fn load(conn: &mut AnyConnection) -> StoreResult<Self> {
        // Few subscriptions, each with its list of events: read them all, match here.
        let rows = sqlx::query("SELECT id, events FROM webhook_subscriptions WHERE active = 1")
            .fetch_all(&mut *conn)
            .await?;
        Ok(Listeners(
            rows.iter()
                .map(|row| {
                    (
                        row.get::<i64, _>("id"),
                        super::parse_events(&row.get::<String, _>("events")),
                    )
                })
                .collect(),
        ))
    }

    /// Whether any subscription asked for `event` (spares building its payload).
    pub fn want(&self, event: IntegrationEvent) -> bool {
        self.0.iter().any(|(_, events)| events.contains(&event))
    }

    /// Queues `event` for each subscription that asked for it.
    pub async fn enqueue(
        &self,
        conn: &mut AnyConnection,
        event: IntegrationEvent,
        data: &serde_json::Value,
    ) -> StoreResult<()> {
        let mut queued = false;
        for (id, events) in &self.0 {
            if events.contains(&event) {
                insert(conn, *id, event, data).await?;
                queued = true;
            }
        }
        if queued {
            wake();
        }
        Ok(())
    }
}

/// A new delivery id: `dlv_` and 32 random hex digits.
fn delivery_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("dlv_{}", hex::encode(bytes))
}

/// Queues one delivery of `event` to the subscription `subscription`, due now.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    subscription: i64,
    event: IntegrationEvent,
    data: &serde_json::Value,
) -> StoreResult<()> {
    let id = delivery_id();
    let now = now_ms();
    let payload = serde_json::json!({
        "id": id,
        "event": event.as_str(),
        "created_at": now,
        "data": data,
    });
    sqlx::query(
        "INSERT INTO webhook_deliveries
            (delivery_id, subscription_id, event, payload, created_at, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, 0, $5)",
    )
    .bind(&id)
    .bind(subscription)
    .bind(event.as_str())
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
