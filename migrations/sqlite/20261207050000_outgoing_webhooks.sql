-- Outgoing webhooks (issue 22, point 5): the business's other tools subscribe a URL to
-- Confab's events (Settings › Integrations).
-- events: the chosen event names, comma-separated;
-- secret_nonce: the subscription's signing secret is derived from CONFAB_SECRET_KEY and
-- this random value (the database alone holds no usable secret); a new nonce rotates it;
-- active: 0 while paused (nothing is queued for it, and its queued deliveries wait).
CREATE TABLE webhook_subscriptions (
    id           INTEGER PRIMARY KEY,
    url          TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    events       TEXT    NOT NULL,
    secret_nonce TEXT    NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_by   INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- The durable outbox and delivery log: one row per (change, subscription), written in the
-- change's own transaction. next_attempt_at: when the worker may try it (NULL once
-- delivered or given up); lease_until / leased_by: the process trying it now (an expired
-- lease is taken again); last_status: the receiver's HTTP status; last_error: why the last
-- attempt failed, with at most a short snippet of the receiver's answer.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    delivery_id     TEXT    NOT NULL UNIQUE,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_until     INTEGER,
    leased_by       TEXT,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    gave_up_at      INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(subscription_id, id DESC);
