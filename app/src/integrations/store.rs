//! Webhook subscriptions and their deliveries: the owner's list, the delivery log, and
//! the worker's claims (leases) and outcomes.
//!
//! A subscription's signing secret is never stored: it is derived from the server's
//! secret key (`CONFAB_SECRET_KEY`) and a random nonce kept with the subscription, so a
//! copy of the database alone signs nothing, and a new nonce rotates the secret.

use super::{
    join_events, parse_events, CreatedSubscription, IntegrationEvent, WebhookDelivery,
    WebhookSubscription, SECRET_PREFIX,
};
use crate::channels::credentials::SecretKey;
use crate::ids::EmployeeId;
use crate::store::{now_ms, Backend, Db, StoreError, StoreResult};
use sqlx::Row;

fn new_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The signing secret of subscription `id` with its nonce.
pub fn secret_of(key: &SecretKey, id: i64, nonce: &str) -> String {
    format!(
        "{SECRET_PREFIX}{}",
        key.sign(&format!("confab webhook subscription {id}\n{nonce}"))
    )
}

fn not_found() -> StoreError {
    StoreError::NotFound(crate::i18n::td_string!(
        crate::locale::request_locale(),
        integrations.what_subscription
    ))
}

const COLUMNS: &str = "id, url, description, events, active, created_at";

fn subscription_of(r: &sqlx::any::AnyRow) -> WebhookSubscription {
    WebhookSubscription {
        id: r.get("id"),
        url: r.get("url"),
        description: r.get("description"),
        events: parse_events(&r.get::<String, _>("events")),
        active: r.get::<i64, _>("active") != 0,
        created_at: r.get("created_at"),
    }
}

pub async fn create(
    db: &Db,
    key: &SecretKey,
    actor: EmployeeId,
    url: &str,
    description: &str,
    events: &[IntegrationEvent],
) -> StoreResult<CreatedSubscription> {
    let nonce = new_nonce();
    let now = now_ms();
    let row = sqlx::query(&format!(
        "INSERT INTO webhook_subscriptions
            (url, description, events, secret_nonce, active, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING {COLUMNS}"
    ))
    .bind(url)
    .bind(description)
    .bind(join_events(events))
    .bind(&nonce)
    .bind(actor.0)
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    let subscription = subscription_of(&row);
    let secret = secret_of(key, subscription.id, &nonce);
    Ok(CreatedSubscription {
        subscription,
        secret,
    })
}

/// Every subscription, oldest first; never a secret nor its nonce.
pub async fn list(db: &Db) -> StoreResult<Vec<WebhookSubscription>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_subscriptions ORDER BY id"
    ))
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(subscription_of).collect())
}

pub async fn set_active(db: &Db, id: i64, active: bool) -> StoreResult<()> {
    let done =
        sqlx::query("UPDATE webhook_subscriptions SET active = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(i64::from(active))
            .bind(now_ms())
            .execute(&db.write)
            .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    Ok(())
}

/// Deletes a subscription and its deliveries (the queued ones are not sent).
pub async fn delete(db: &Db, id: i64) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// A new secret for subscription `id` (returned once).
pub async fn rotate_secret(db: &Db, key: &SecretKey, id: i64) -> StoreResult<String> {
    let nonce = new_nonce();
    let done = sqlx::query(
        "UPDATE webhook_subscriptions SET secret_nonce = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(&nonce)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    Ok(secret_of(key, id, &nonce))
}

/// The newest `limit` deliveries of subscription `id`.
pub async fn deliveries(db: &Db, id: i64, limit: i64) -> StoreResult<Vec<WebhookDelivery>> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM webhook_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.read)
            .await?;
    if exists.is_none() {
        return Err(not_found());
    }
    let rows = sqlx::query(
        "SELECT delivery_id, event, created_at, attempts, last_attempt_at, last_status,
                last_error, delivered_at, gave_up_at, next_attempt_at
           FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .iter()
        .map(|r| WebhookDelivery {
            delivery_id: r.get("delivery_id"),
            event: r.get("event"),
            created_at: r.get("created_at"),
            attempts: r.get("attempts"),
            last_attempt_at: r.get("last_attempt_at"),
            last_status: r.get("last_status"),
            last_error: r.get("last_error"),
            delivered_at: r.get("delivered_at"),
            gave_up_at: r.get("gave_up_at"),
            next_attempt_at: r.get("next_attempt_at"),
        })
        .collect())
}

/// Queues a `test` event for subscription `id`, whether or not it is paused.
pub async fn enqueue_test(db: &Db, id: i64, actor: EmployeeId) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM webhook_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(not_found());
    }
    let data = serde_json::json!({
        "subscription_id": id,
        "sent_by_employee_id": actor.0,
        "message": "A test event from Confab: this subscription receives and verifies deliveries.",
    });
    super::outbox::insert(&mut tx, id, IntegrationEvent::Test, &data).await?;
    tx.commit().await?;
    Ok(())
}

/// A delivery the worker holds the lease of, with what it needs to send it.
pub struct Claimed {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub payload: String,
    pub created_at: i64,
    /// Counting this one.
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for Claimed {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("id", &self.id)
            .field("delivery_id", &self.delivery_id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Takes up to `limit` due deliveries for `worker` until `lease_until` (ms), counting the
/// attempt. A lease that expired (a process that died mid-attempt) is taken again. On
/// PostgreSQL, processes sharing the database skip each other's rows (`SKIP LOCKED`);
/// SQLite has one writer.
pub async fn claim(
    db: &Db,
    key: &SecretKey,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> StoreResult<Vec<Claimed>> {
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.write.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE webhook_deliveries
            SET lease_until = $1, leased_by = $2, attempts = attempts + 1, last_attempt_at = $3
          WHERE id IN (
                SELECT d.id FROM webhook_deliveries d
                  JOIN webhook_subscriptions s ON s.id = d.subscription_id
                 WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $3
                   AND (d.lease_until IS NULL OR d.lease_until <= $3)
                   AND (s.active = 1 OR d.event = 'test')
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $4
                 {lock})
          RETURNING id"
    ))
    .bind(lease_until)
    .bind(worker)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let r = sqlx::query(
            "SELECT d.id, d.delivery_id, d.event, d.payload, d.created_at, d.attempts,
                    s.id AS subscription_id, s.url, s.secret_nonce
               FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
              WHERE d.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        claimed.push(Claimed {
            id: r.get("id"),
            delivery_id: r.get("delivery_id"),
            event: r.get("event"),
            payload: r.get("payload"),
            created_at: r.get("created_at"),
            attempts: r.get("attempts"),
            url: r.get("url"),
            secret: secret_of(
                key,
                r.get("subscription_id"),
                &r.get::<String, _>("secret_nonce"),
            ),
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i64>,
    /// Why it failed (none: delivered).
    pub error: Option<String>,
    /// When to try again; none with an error: given up.
    pub next_attempt_at: Option<i64>,
}

/// Records an attempt's outcome and releases the lease, if `worker` still holds it.
pub async fn record(db: &Db, id: i64, worker: &str, outcome: &Outcome) -> StoreResult<()> {
    let now = now_ms();
    let delivered = outcome.error.is_none();
    sqlx::query(
        "UPDATE webhook_deliveries
            SET lease_until = NULL, leased_by = NULL, last_status = $3, last_error = $4,
                delivered_at = $5, next_attempt_at = $6, gave_up_at = $7
          WHERE id = $1 AND leased_by = $2",
    )
    .bind(id)
    .bind(worker)
    .bind(outcome.status)
    .bind(outcome.error.as_deref())
    .bind(delivered.then_some(now))
    .bind(if delivered {
        None
    } else {
        outcome.next_attempt_at
    })
    .bind((!delivered && outcome.next_attempt_at.is_none()).then_some(now))
    .execute(&db.write)
    .await?;
    Ok(())
}

/// When the next delivery is due (ms), leases and paused subscriptions aside.
pub async fn next_due(db: &Db) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(CASE WHEN d.lease_until IS NOT NULL AND d.lease_until > d.next_attempt_at
                         THEN d.lease_until ELSE d.next_attempt_at END)
           FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
          WHERE d.next_attempt_at IS NOT NULL AND (s.active = 1 OR d.event = 'test')",
    )
    .fetch_one(&db.read)
    .await?)
}

/// Gives up deliveries still queued past `give_up_before` (created before it: a paused
/// subscription's), and forgets finished ones created before `forget_before`.
pub async fn expire(db: &Db, give_up_before: i64, forget_before: i64) -> StoreResult<u64> {
    let now = now_ms();
    let given_up = sqlx::query(
        "UPDATE webhook_deliveries
            SET next_attempt_at = NULL, gave_up_at = $2,
                last_error = COALESCE(last_error, 'not delivered within its day')
          WHERE next_attempt_at IS NOT NULL AND created_at < $1
            AND (lease_until IS NULL OR lease_until <= $2)",
    )
    .bind(give_up_before)
    .bind(now)
    .execute(&db.write)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM webhook_deliveries WHERE next_attempt_at IS NULL AND created_at < $1")
        .bind(forget_before)
        .execute(&db.write)
        .await?;
    Ok(given_up)
}
