//! The database: connection pools, migrations and the store's error type. Each noun's
//! queries live beside it (`conversations::store`, `messages::store`, …).
//!
//! One set of store code runs on SQLite and PostgreSQL through sqlx's `Any` driver: SQL
//! uses `$1` placeholders, epoch-millisecond instants and 0/1 flags, which read the same on
//! both. The few places where the SQL must differ ask `Backend` (or `is_postgres` for a
//! connection) and keep both versions side by side.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`; all writes go through a pool of one
//! connection (one writer, so transactions never fight over the lock), reads through
//! their own pool. PostgreSQL has one pool for both.

use crate::events::bus::EventBus;
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Arguments, Executor};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a URL names. Chosen from the scheme, like atuin does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::Invalid {
                field: "CONFAB_DATABASE_URL",
                message: format!(
                    "unknown database scheme '{scheme}:'; use sqlite://path/to/file.db or postgres://…"
                ),
            }),
        }
    }
}

impl Backend {
    /// The case-insensitive `LIKE` (SQLite's `LIKE` already ignores ASCII case).
    pub fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

/// Whether a connection talks to PostgreSQL: for the few statements that differ, where
/// only the connection is at hand.
pub fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// The store's handle: a one-connection writer and a pool of readers on SQLite, one pool
/// for both on PostgreSQL.
#[derive(Clone, Debug)]
pub struct Db {
    pub backend: Backend,
    pub read: AnyPool,
    pub write: AnyPool,
    /// Inbound messages, written in groups on `write` (`messages::inbound_writer`).
    pub inbound: crate::messages::inbound_writer::InboundWriter,
    /// Committed events for the live streams; the inbound writer publishes on it in
    /// commit order (the server's `AppState::bus` is this one). On PostgreSQL the relay
    /// feeds it instead, from every process (`events::relay`).
    pub bus: crate::events::bus::EventBus,
    /// Channel configurations for webhooks (`channels::store::config_for_webhook`),
    /// cleared by the store's writes to channels.
    pub channel_configs: std::sync::Arc<crate::channels::store::ConfigCache>,
    /// Contacts known to have their profile (`conversations::store::contact_needs_profile`).
    pub profiled_contacts: std::sync::Arc<crate::conversations::store::ProfiledContacts>,
    /// The business's country: phone numbers written without a country code are of it,
    /// and the store shows its numbers in national form (`crate::phone::display`).
    /// `CONFAB_DEFAULT_COUNTRY`, set once at startup; Brazil until then.
    pub country: crate::phone::Country,
    relay: Option<std::sync::Arc<tokio::task::JoinHandle<()>>>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Run on every SQLite connection: durability first (`synchronous=FULL`), foreign keys
/// enforced, and a wait instead of an error when another process holds the lock.
/// Temporary tables keep SQLite's default (in the page cache, spilling to a file): the
/// bundled SQLite shares one page cache among all connections, and `temp_store = memory`
/// pinned a search's temporary tables in it, so that another connection re-read its pages
/// from the file on every query (a one-word search took 40 ms instead of 13 on every
/// second connection).
const SQLITE_PRAGMAS: &str =
    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

impl Db {
    /// Opens (creating if needed) the database named by `url` and brings its schema up to
    /// date. On PostgreSQL the event relay starts from the newest event committed by then,
    /// so every later one reaches this process's streams.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let (mut db, access_changes) = Self::open(url).await?;
        db.migrate().await?;
        if let Some(access_changes) = access_changes {
            let start = crate::events::relay::where_to_start(&db.read).await?;
            let relay = crate::events::relay::start(
                url.to_owned(),
                db.read.clone(),
                db.bus.clone(),
                access_changes,
                start,
            );
            db.relay = Some(std::sync::Arc::new(relay));
        }
        Ok(db)
    }

    /// Opens the database named by `url` without touching its schema; on PostgreSQL also
    /// returns the access changes the relay is to announce.
    async fn open(url: &str) -> StoreResult<(Self, Option<UnboundedReceiver<()>>)> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let (read, write, bus, access_changes) = match backend {
            Backend::Sqlite => {
                let (read, write) = open_sqlite(url).await?;
                (read, write, EventBus::default(), None)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                let (bus, access_changes) = EventBus::relayed(crate::events::bus::CAPACITY);
                (pool.clone(), pool, bus, Some(access_changes))
            }
        };
        let inbound =
            crate::messages::inbound_writer::InboundWriter::start(write.clone(), bus.clone());
        let db = Db {
            backend,
            read,
            write,
            inbound,
            bus,
            channel_configs: Default::default(),
            profiled_contacts: Default::default(),
            country: crate::phone::Country::BR,
            relay: None,
        };
        Ok((db, access_changes))
    }

    /// Applies the migrations this database has not had yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.write)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    pub async fn close(&self) {
        if let Some(relay) = &self.relay {
            relay.abort();
        }
        self.write.close().await;
        self.read.close().await;
    }
}

/// The SQLite writer (one connection, creating the file) and readers (read-only).
async fn open_sqlite(url: &str) -> StoreResult<(AnyPool, AnyPool)> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    if let Some(parent) = options.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Other(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
    }
    let with_mode = |mode: &str| {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode={mode}")
    };
    let write = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL is a property of the file: set once, by the writer.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect(&with_mode("rwc"))
        .await?;
    let read = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect(&with_mode("ro"))
        .await?;
    Ok((read, write))
}

/// A statement assembled from pieces, numbering its placeholders `$1`, `$2`, … as it
/// binds (sqlx's `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL refuses).
#[derive(Default)]
pub struct SqlBuilder {
    sql: String,
    args: AnyArguments<'static>,
    count: usize,
}

impl SqlBuilder {
    pub fn new(sql: impl Into<String>) -> Self {
        SqlBuilder {
            sql: sql.into(),
            ..Default::default()
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        self.count += 1;
        self.sql.push('$');
        self.sql.push_str(&self.count.to_string());
        // Encoding into `AnyArguments` only fails for types `Any` does not support,
        // which the bound types here are not; a failure would surface as a query error.
        let _ = self.args.add(value);
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The statement, ready to run; the builder's arguments move into it.
    pub fn build(&mut self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        sqlx::query_with(&self.sql, std::mem::take(&mut self.args))
    }
}

/// Now as UTC epoch milliseconds, the one representation of instants in the store.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A `LIKE` pattern matching `text` anywhere, with `\`, `%` and `_` escaped (use it with
/// `ESCAPE '\'`), so that a search is always taken literally.
pub fn like_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Maps a unique-constraint violation to a conflict the user can understand.
pub fn conflict_on_unique(err: sqlx::Error, message: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(message.to_owned())
        }
        _ => StoreError::Database(err),
    }
}

/// A new SQLite database in a folder of its own under the system's temporary folder, for
/// unit tests: the store and the folder (the caller removes it).
#[cfg(test)]
pub(crate) async fn temp_db(name: &str) -> (Db, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "confab-{name}-{}-{}-{}",
        std::process::id(),
        now_ms(),
        rand::random::<u32>()
    ));
    let db = Db::connect(&format!("sqlite://{}/t.db", dir.display()))
        .await
        .expect("a database in the temporary folder");
    (db, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_pattern(" 50%_off\\ "), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn backend_is_chosen_from_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/confab.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
    }

    #[tokio::test]
    async fn connect_creates_the_file_and_runs_migrations() {
        let dir = std::env::temp_dir().join(format!("confab-store-{}", now_ms()));
        let url = format!("sqlite://{}/nested/test.db", dir.display());
        let db = Db::connect(&url).await.unwrap();
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('conversations', 'messages', 'events')",
        )
        .fetch_one(&db.read)
        .await
        .unwrap();
        assert_eq!(tables, 3);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
