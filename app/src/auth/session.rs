//! Server-side sessions: a tower-sessions store on our own database, and the helpers
//! every server function uses to learn who is calling.

use super::Employee;
use crate::error::AppError;
use crate::ids::EmployeeId;
use crate::state::AppState;
use crate::store::{now_ms, Db};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::{session_store, Session, SessionStore};

/// The session key holding the signed-in employee's id.
pub const EMPLOYEE_KEY: &str = "employee_id";

/// Sessions kept in the `sessions` table, so they survive restarts and an employee's
/// sessions can be ended at once. The table's `id` holds the SHA-256 of the cookie's id,
/// never the id itself (as API tokens are kept): a copy of the database, a backup or a
/// read-only SQL hole gives no cookie that signs anyone in.
#[derive(Clone, Debug)]
pub struct SqlSessionStore {
    db: Db,
}

impl SqlSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Deletes expired sessions; run now and then by a background task.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now_ms())
            .execute(&self.db.write)
            .await?;
        Ok(done.rows_affected())
    }
}

/// What the `sessions` table stores for a session id: its SHA-256, in hex.
pub fn stored_id(id: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(id.as_bytes()))
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    record.expiry_date.unix_timestamp() * 1000
}

fn employee_of(record: &Record) -> Option<i64> {
    record.data.get(EMPLOYEE_KEY).and_then(|v| v.as_i64())
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // Ids are random 128-bit values; on the astronomically rare collision, draw again.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, employee_id, data, expires_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(stored_id(&record.id.to_string()))
            .bind(employee_of(record))
            .bind(&data)
            .bind(expiry_ms(record))
            .execute(&self.db.write)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, employee_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET employee_id = excluded.employee_id, data = excluded.data,
                                            expires_at = excluded.expires_at",
        )
        .bind(stored_id(&record.id.to_string()))
        .bind(employee_of(record))
        .bind(data)
        .bind(expiry_ms(record))
        .execute(&self.db.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(stored_id(&session_id.to_string()))
        .bind(now_ms())
        .fetch_optional(&self.db.read)
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            tower_sessions::cookie::time::OffsetDateTime::from_unix_timestamp(expires_at / 1000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(&session_id.to_string()))
            .execute(&self.db.write)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

fn session_failed(err: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "session store failed");
    AppError::Internal
}

async fn request_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(session_failed)
}

/// Starts a session for the employee with a fresh id (no session fixation).
pub async fn sign_in(employee: EmployeeId) -> Result<(), AppError> {
    let session = request_session().await?;
    session.cycle_id().await.map_err(session_failed)?;
    session
        .insert(EMPLOYEE_KEY, employee.0)
        .await
        .map_err(session_failed)?;
    Ok(())
}

/// Whether the session `id` (the cookie's) still exists and has not expired (a live
/// stream opened with it ends when it does not).
pub async fn is_live(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let live: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(stored_id(id))
            .bind(now_ms())
            .fetch_optional(&db.read)
            .await?;
    Ok(live.is_some())
}

/// Ends every session of `employee` (deactivation, a password reset, "sign out on every
/// device"); the number ended. Pass a transaction to end them with other changes at once.
pub async fn end_sessions_of<'e>(
    executor: impl sqlx::AnyExecutor<'e>,
    employee: EmployeeId,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE employee_id = $1")
        .bind(employee.0)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

pub async fn sign_out() -> Result<(), AppError> {
    request_session()
        .await?
        .flush()
        .await
        .map_err(session_failed)
}

/// The employee id stored in a session, if any.
pub async fn employee_id_of(session: &Session) -> Option<EmployeeId> {
    session
        .get::<i64>(EMPLOYEE_KEY)
        .await
        .ok()
        .flatten()
        .map(EmployeeId)
}

/// The signed-in, active employee of the current server-function call, if any.
pub async fn current_employee() -> Result<Option<Employee>, AppError> {
    let session = request_session().await?;
    let Some(id) = employee_id_of(&session).await else {
        return Ok(None);
    };
    let state = AppState::current()?;
    Ok(super::store::active_employee(&state.db, id).await?)
}

/// The calling employee, or `Unauthorized`. Every protected server function starts here.
pub async fn require_employee() -> Result<Employee, AppError> {
    current_employee().await?.ok_or(AppError::Unauthorized)
}

/// The calling employee if they hold `permission`, else `Forbidden`.
pub async fn require_permission(
    permission: crate::employees::Permission,
) -> Result<Employee, AppError> {
    let employee = require_employee().await?;
    if employee.can(permission) {
        Ok(employee)
    } else {
        Err(AppError::Forbidden)
    }
}
