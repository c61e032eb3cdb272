//! Channel rows and who may use them.

use super::credentials::{needs_resealing, Credentials, SecretKey};
use super::{Channel, ChannelKind, ChannelStatus};
use crate::i18n::td_string;
use crate::ids::{ChannelId, EmployeeId};
use crate::locale::request_locale;
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::Row;

fn row_to_channel(r: sqlx::any::AnyRow) -> StoreResult<Channel> {
    let kind: String = r.get("kind");
    Ok(Channel {
        id: ChannelId(r.get("id")),
        kind: ChannelKind::parse(&kind)
            .ok_or_else(|| StoreError::Other(format!("unknown channel kind {kind}")))?,
        display_name: r.get("display_name"),
        status: ChannelStatus::parse(&r.get::<String, _>("status")),
        status_detail: r.get("status_detail"),
        human_agent: r.get::<i64, _>("human_agent") != 0,
        simulated: r.get::<i64, _>("simulated") != 0,
        paused_until: r.get("paused_until"),
    })
}

const CHANNEL_COLUMNS: &str = "c.id, c.kind, c.display_name, c.status, c.status_detail, c.human_agent, c.simulated, c.paused_until";

pub async fn by_id(db: &Db, id: ChannelId) -> StoreResult<Option<Channel>> {
    sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&db.read)
    .await?
    .map(row_to_channel)
    .transpose()
}

pub async fn all(db: &Db) -> StoreResult<Vec<Channel>> {
    sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c ORDER BY c.display_name, c.id"
    ))
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(row_to_channel)
    .collect()
}

pub async fn of_kind(db: &Db, kind: ChannelKind) -> StoreResult<Vec<Channel>> {
    sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.kind = $1 ORDER BY c.id"
    ))
    .bind(kind.as_str())
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(row_to_channel)
    .collect()
}

pub async fn create(
    db: &Db,
    kind: ChannelKind,
    display_name: &str,
    external_id: &str,
) -> StoreResult<ChannelId> {
    let id = sqlx::query_scalar(
        "INSERT INTO channels (kind, display_name, external_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(display_name)
    .bind(external_id)
    .bind(now_ms())
    .fetch_one(&db.write)
    .await
    .map_err(|e| {
        crate::store::conflict_on_unique(
            e,
            td_string!(request_locale(), account.channel_already_connected),
        )
    })?;
    Ok(ChannelId(id))
}

/// A provider channel as the server uses it: the row, its id at the provider and its
/// opened credentials. Never sent to a browser.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub channel: Channel,
    pub external_id: String,
    pub credentials: Credentials,
}

/// Adds a provider channel with sealed credentials; its provider id comes from them.
pub async fn create_connected(
    db: &Db,
    key: &SecretKey,
    kind: ChannelKind,
    display_name: &str,
    credentials: &Credentials,
    human_agent: bool,
) -> StoreResult<ChannelId> {
    insert_connected(db, key, kind, display_name, credentials, human_agent, false).await
}

/// Adds a practice channel: as [`create_connected`], connected to Confab's simulator.
pub async fn create_simulated(
    db: &Db,
    key: &SecretKey,
    kind: ChannelKind,
    display_name: &str,
    credentials: &Credentials,
) -> StoreResult<ChannelId> {
    insert_connected(db, key, kind, display_name, credentials, true, true).await
}

async fn insert_connected(
    db: &Db,
    key: &SecretKey,
    kind: ChannelKind,
    display_name: &str,
    credentials: &Credentials,
    human_agent: bool,
    simulated: bool,
) -> StoreResult<ChannelId> {
    let external_id = credentials
        .external_id(kind)
        .ok_or_else(|| StoreError::Invalid {
            field: "credentials",
            message: td_string!(request_locale(), account.channel_external_id_missing).into(),
        })?;
    // The credentials are sealed for the channel's id: the row comes first, in the same
    // transaction.
    let mut tx = db.write.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO channels (kind, display_name, external_id, human_agent, simulated, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(display_name)
    .bind(external_id)
    .bind(human_agent as i64)
    .bind(simulated as i64)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        crate::store::conflict_on_unique(
            e,
            td_string!(request_locale(), account.channel_already_connected),
        )
    })?;
    sqlx::query("UPDATE channels SET credentials = $2 WHERE id = $1")
        .bind(id)
        .bind(key.seal(id, credentials))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ChannelId(id))
}

/// New credentials for a channel (same provider id), which connects it again.
pub async fn reconnect(
    db: &Db,
    key: &SecretKey,
    id: ChannelId,
    credentials: &Credentials,
    human_agent: bool,
) -> StoreResult<()> {
    let channel = by_id(db, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(td_string!(request_locale(), account.what_channel)))?;
    let external_id = credentials.external_id(channel.kind).unwrap_or_default();
    let done = sqlx::query(
        "UPDATE channels SET credentials = $2, human_agent = $3, status = 'connected', status_detail = NULL
          WHERE id = $1 AND external_id = $4",
    )
    .bind(id.0)
    .bind(key.seal(id.0, credentials))
    .bind(human_agent as i64)
    .bind(external_id)
    .execute(&db.write)
    .await?;
    db.channel_configs.clear();
    if done.rows_affected() == 0 {
        return Err(StoreError::Invalid {
            field: "credentials",
            message: td_string!(request_locale(), account.credentials_other_channel).into(),
        });
    }
    Ok(())
}

/// The channel with its opened credentials (None for an unknown id).
pub async fn config(db: &Db, key: &SecretKey, id: ChannelId) -> StoreResult<Option<ChannelConfig>> {
    let row = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS}, c.external_id, c.credentials FROM channels c WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let external_id: String = row.get("external_id");
    let sealed: Option<String> = row.get("credentials");
    let credentials = match sealed {
        Some(sealed) => {
            let credentials = key.open(id.0, &sealed).map_err(StoreError::Other)?;
            if needs_resealing(&sealed) {
                reseal(db, key, id, &sealed, &credentials).await?;
            }
            credentials
        }
        None => Credentials::default(),
    };
    Ok(Some(ChannelConfig {
        channel: row_to_channel(row)?,
        external_id,
        credentials,
    }))
}

/// Seals credentials found in an older format again in the current one (bound to the
/// channel); a value changed meanwhile (a reconnection) is left to its writer.
async fn reseal(
    db: &Db,
    key: &SecretKey,
    id: ChannelId,
    old: &str,
    credentials: &Credentials,
) -> StoreResult<()> {
    sqlx::query("UPDATE channels SET credentials = $3 WHERE id = $1 AND credentials = $2")
        .bind(id.0)
        .bind(old)
        .bind(key.seal(id.0, credentials))
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Seals every channel's credentials that are still in an older format in the current
/// one (run at start; reading a channel does the same for it). Returns how many. Values
/// that do not open (another key) are left as they are, with a warning: the channel says
/// so when used, as before.
pub async fn reseal_old_credentials(db: &Db, key: &SecretKey) -> StoreResult<usize> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, credentials FROM channels WHERE credentials IS NOT NULL ORDER BY id",
    )
    .fetch_all(&db.read)
    .await?;
    let mut resealed = 0;
    for (id, sealed) in rows.into_iter().filter(|(_, s)| needs_resealing(s)) {
        match key.open(id, &sealed) {
            Ok(credentials) => {
                reseal(db, key, ChannelId(id), &sealed, &credentials).await?;
                resealed += 1;
            }
            Err(err) => tracing::warn!(channel = id, error = %err, "credentials not sealed again"),
        }
    }
    if resealed > 0 {
        db.channel_configs.clear();
    }
    Ok(resealed)
}

/// How long a webhook may use a channel's configuration read before: writes through this
/// process's store take effect at once (they clear the cache); another process's, on
/// PostgreSQL, within this.
pub const CONFIG_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Channel configurations as webhooks use them, kept for [`CONFIG_CACHE_TTL`]: every
/// webhook names its channel, and reading the row and opening its credentials was a round
/// trip to the database and a decryption per message. Only configurations that exist are
/// kept.
#[derive(Default)]
pub struct ConfigCache(std::sync::Mutex<CachedConfigs>);

#[derive(Default)]
struct CachedConfigs {
    /// Bumped by every clear: a read that began before one must not store what it read.
    generation: u64,
    entries: std::collections::HashMap<ChannelId, (std::time::Instant, ChannelConfig)>,
}

impl std::fmt::Debug for ConfigCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The configurations hold opened credentials: their number only.
        let kept = self.0.lock().map(|c| c.entries.len()).unwrap_or_default();
        f.debug_struct("ConfigCache").field("kept", &kept).finish()
    }
}

impl ConfigCache {
    fn fresh(&self, id: ChannelId) -> Result<ChannelConfig, u64> {
        let cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match cached.entries.get(&id) {
            Some((at, config)) if at.elapsed() < CONFIG_CACHE_TTL => Ok(config.clone()),
            _ => Err(cached.generation),
        }
    }

    fn keep(&self, generation: u64, config: ChannelConfig) {
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if cached.generation == generation {
            let now = std::time::Instant::now();
            cached
                .entries
                .retain(|_, (at, _)| now.duration_since(*at) < CONFIG_CACHE_TTL);
            cached.entries.insert(config.channel.id, (now, config));
        }
    }

    /// Bumped by every [`ConfigCache::clear`], i.e. by every write of a channel: what was
    /// read at an older generation may be stale.
    pub fn generation(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).generation
    }

    /// Forgets every configuration (a channel was written).
    pub fn clear(&self) {
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cached.generation += 1;
        cached.entries.clear();
    }
}

/// [`config`], read again at most every [`CONFIG_CACHE_TTL`]: for webhooks.
pub async fn config_for_webhook(
    db: &Db,
    key: &SecretKey,
    id: ChannelId,
) -> StoreResult<Option<ChannelConfig>> {
    let generation = match db.channel_configs.fresh(id) {
        Ok(config) => return Ok(Some(config)),
        Err(generation) => generation,
    };
    let read = config(db, key, id).await?;
    if let Some(config) = &read {
        db.channel_configs.keep(generation, config.clone());
    }
    Ok(read)
}

/// The channel of a kind with this provider id (a page id, a phone number …).
pub async fn by_external_id(
    db: &Db,
    kind: ChannelKind,
    external_id: &str,
) -> StoreResult<Option<ChannelId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM channels WHERE kind = $1 AND external_id = $2")
            .bind(kind.as_str())
            .bind(external_id)
            .fetch_optional(&db.read)
            .await?;
    Ok(id.map(ChannelId))
}

/// Marks a channel whose credentials stopped working; composers lock until it is
/// reconnected. Returns whether it changed (it may already be marked).
pub async fn mark_sync_lost(db: &Db, id: ChannelId, detail: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE channels SET status = 'sync_lost', status_detail = $2 WHERE id = $1 AND status = 'connected'",
    )
    .bind(id.0)
    .bind(detail)
    .execute(&db.write)
    .await?;
    db.channel_configs.clear();
    Ok(done.rows_affected() > 0)
}

/// Appends a `channel_updated` event with the channel's state as it is now, for the caller
/// to publish after any change of it (sync lost, reconnected, paused, pause over): every
/// open composer on the channel follows it without a reload. Only employees who may use
/// the channel receive it (the stream filters by channel).
pub async fn announce(db: &Db, id: ChannelId) -> StoreResult<Vec<crate::events::LiveEvent>> {
    let Some(channel) = by_id(db, id).await? else {
        return Ok(Vec::new());
    };
    let payload = serde_json::to_value(super::help::ChannelState::of(&channel))
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = db.write.begin().await?;
    let event = crate::events::store::append(
        &mut tx,
        crate::events::EventKind::ChannelUpdated,
        crate::ids::ConversationId(0),
        id,
        payload,
    )
    .await?;
    tx.commit().await?;
    Ok(vec![event])
}

/// Pauses a channel's sending until `until` (UTC ms), as its provider asked; a pause
/// already running longer is kept. Returns whether it changed.
pub async fn pause(db: &Db, id: ChannelId, until: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE channels SET paused_until = $2
          WHERE id = $1 AND (paused_until IS NULL OR paused_until < $2)",
    )
    .bind(id.0)
    .bind(until)
    .execute(&db.write)
    .await?;
    db.channel_configs.clear();
    Ok(done.rows_affected() > 0)
}

/// The channels paused now or before, with when their pause ends (UTC ms).
pub async fn pauses(db: &Db) -> StoreResult<Vec<(ChannelId, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, paused_until FROM channels WHERE paused_until IS NOT NULL ORDER BY id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at)| (ChannelId(id), at))
        .collect())
}

/// Ends the pauses over by `now` (UTC ms); returns the channels whose pause this call
/// ended (one process ends each, on PostgreSQL too).
pub async fn end_pauses(db: &Db, now: i64) -> StoreResult<Vec<ChannelId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE channels SET paused_until = NULL WHERE paused_until <= $1 RETURNING id",
    )
    .bind(now)
    .fetch_all(&db.write)
    .await?;
    if !ids.is_empty() {
        db.channel_configs.clear();
    }
    Ok(ids.into_iter().map(ChannelId).collect())
}

/// The credentials typed to reconnect a channel, completed with the stored values of the
/// keys left empty: only what changed (usually the new token) needs typing again.
pub async fn keep_untyped(
    db: &Db,
    key: &SecretKey,
    id: ChannelId,
    typed: Vec<(String, String)>,
) -> StoreResult<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = typed
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let Some(stored) = config(db, key, id).await? else {
        return Ok(pairs);
    };
    let kind = stored.channel.kind;
    for k in super::credential_keys(kind)
        .iter()
        .chain(super::optional_credential_keys(kind))
    {
        if !pairs.iter().any(|(typed, _)| typed.trim() == *k) {
            if let Some(value) = stored.credentials.get(k) {
                pairs.push(((*k).to_owned(), value.to_owned()));
            }
        }
    }
    Ok(pairs)
}

/// The channel's state and who can fix it, for `employee` if they may use the channel.
pub async fn help_for(
    db: &Db,
    employee: &crate::auth::Employee,
    id: ChannelId,
) -> StoreResult<super::help::ChannelHelp> {
    use crate::employees::Permission;
    let not_found = || StoreError::NotFound(td_string!(request_locale(), account.what_channel));
    if !accessible_ids(db, employee.id).await?.contains(&id) {
        return Err(not_found());
    }
    let channel = by_id(db, id).await?.ok_or_else(not_found)?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT e.name, r.permissions, r.is_owner FROM employees e
           JOIN roles r ON r.id = e.role_id
           JOIN channel_access a ON a.employee_id = e.id AND a.channel_id = $1
          WHERE e.active = 1
          ORDER BY e.name, e.id",
    )
    .bind(id.0)
    .fetch_all(&db.read)
    .await?;
    let fixers = rows
        .into_iter()
        .filter(|(_, permissions, owner)| {
            *owner != 0 || Permission::parse_list(permissions).contains(&Permission::Settings)
        })
        .map(|(name, _, _)| name)
        .collect();
    Ok(super::help::ChannelHelp {
        state: super::help::ChannelState::of(&channel),
        can_fix: employee.can(Permission::Settings),
        fixers,
    })
}

pub async fn grant_access(db: &Db, channel: ChannelId, employee: EmployeeId) -> StoreResult<()> {
    sqlx::query("INSERT INTO channel_access (channel_id, employee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(channel.0)
        .bind(employee.0)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The channels an employee may use, in full.
pub async fn accessible(db: &Db, employee: EmployeeId) -> StoreResult<Vec<Channel>> {
    sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c
           JOIN channel_access a ON a.channel_id = c.id AND a.employee_id = $1 ORDER BY c.display_name, c.id"
    ))
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(row_to_channel)
    .collect()
}

/// The channels an employee may use: the one source of truth for channel access.
pub async fn accessible_ids(db: &Db, employee: EmployeeId) -> StoreResult<Vec<ChannelId>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT channel_id FROM channel_access WHERE employee_id = $1")
            .bind(employee.0)
            .fetch_all(&db.read)
            .await?;
    Ok(ids.into_iter().map(ChannelId).collect())
}

/// Gives every owner access to a channel (a channel added from the command line).
pub async fn grant_to_owners(db: &Db, channel: ChannelId) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO channel_access (channel_id, employee_id)
         SELECT $1, e.id FROM employees e JOIN roles r ON r.id = e.role_id WHERE r.is_owner = 1
         ON CONFLICT DO NOTHING",
    )
    .bind(channel.0)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Every channel with its provider id, for operators (`confab channels list`).
pub async fn all_with_external_ids(db: &Db) -> StoreResult<Vec<(Channel, String)>> {
    sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS}, c.external_id FROM channels c ORDER BY c.id"
    ))
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|r| {
        let external: String = r.get("external_id");
        row_to_channel(r).map(|c| (c, external))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messenger(app_secret: &str) -> Credentials {
        let pairs: Vec<(String, String)> = [
            ("page_id", "1234"),
            ("app_secret", app_secret),
            ("access_token", "EAAB"),
            ("verify_token", "hamhock"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Credentials::parse(ChannelKind::Messenger, &pairs).unwrap()
    }

    /// Webhooks see a reconnection's new credentials at once; a read that began before a
    /// write is not kept; what is kept expires.
    #[tokio::test]
    async fn webhooks_see_a_channels_new_credentials_at_once() {
        let (db, dir) = crate::store::temp_db("channel-configs").await;
        let key = SecretKey::generate();
        let id = create_connected(
            &db,
            &key,
            ChannelKind::Messenger,
            "Page",
            &messenger("old"),
            false,
        )
        .await
        .unwrap();
        let secret =
            |c: Option<ChannelConfig>| c.unwrap().credentials.value("app_secret").to_owned();
        assert_eq!(
            secret(config_for_webhook(&db, &key, id).await.unwrap()),
            "old"
        );
        assert!(db.channel_configs.fresh(id).is_ok(), "kept");
        reconnect(&db, &key, id, &messenger("new"), false)
            .await
            .unwrap();
        assert_eq!(
            secret(config_for_webhook(&db, &key, id).await.unwrap()),
            "new"
        );

        // A read from before a write is not kept.
        let before = db.channel_configs.fresh(ChannelId(id.0 + 1)).unwrap_err();
        db.channel_configs.clear();
        let stale = config(&db, &key, id).await.unwrap().unwrap();
        db.channel_configs.keep(before, stale);
        assert!(db.channel_configs.fresh(id).is_err());

        assert!(config_for_webhook(&db, &key, ChannelId(999))
            .await
            .unwrap()
            .is_none());
        config_for_webhook(&db, &key, id).await.unwrap();
        std::thread::sleep(CONFIG_CACHE_TTL + std::time::Duration::from_millis(50));
        assert!(db.channel_configs.fresh(id).is_err(), "expired");
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
