//! The database: connection pools, migrations and the store's error type. Each noun's
//! queries live beside it (`conversations::store`, `messages::store`, …).
//!
//! SQLite runs in WAL mode with `synchronous=FULL`; all writes go through a pool of one
//! connection (one writer, so transactions never fight over the lock), reads through
//! their own pool. SQL uses `$1` placeholders and epoch-millisecond instants so that the
//! PostgreSQL backend can share it.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

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

/// The store's handle: a one-connection writer and a pool of readers.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: SqlitePool,
    pub write: SqlitePool,
    /// Inbound messages, written in groups on `write` (`messages::inbound_writer`).
    pub inbound: crate::messages::inbound_writer::InboundWriter,
    /// Committed events for the live streams; the inbound writer publishes on it in
    /// commit order (the server's `AppState::bus` is this one).
    pub bus: crate::events::bus::EventBus,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl Db {
    /// Opens (creating if needed) the database named by `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {}
            Backend::Postgres => {
                return Err(StoreError::Invalid {
                    field: "CONFAB_DATABASE_URL",
                    message: "this build of Confab stores data in SQLite only; use a sqlite:// URL"
                        .into(),
                })
            }
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Other(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR
            .run(&write)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        let bus = crate::events::bus::EventBus::default();
        let inbound =
            crate::messages::inbound_writer::InboundWriter::start(write.clone(), bus.clone());
        Ok(Db {
            read,
            write,
            inbound,
            bus,
        })
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
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
