//! Call rows.
//!
//! A call's client is the one holding its number: the one stored when it was logged, or
//! else the first client with that number now (so a client created later claims the calls
//! of their number). Its name and id are read only through `clients::store::visible_sql`.

use super::{Call, CallCursor, CallDirection, CallFilter, NewCall};
use crate::ids::{ClientId, EmployeeId};
use crate::integrations::IntegrationEvent;
use crate::store::{now_ms, Db, SqlBuilder, StoreResult};
use sqlx::Row;

/// The client a call aliased `k` belongs to (an id or NULL).
const CALL_CLIENT: &str =
    "COALESCE(k.client_id, (SELECT MIN(p.client_id) FROM client_phones p WHERE p.phone = k.phone))";

/// The select of [`row_to_call`], the employee bound as `$1` by the caller's first bind.
fn select_sql() -> String {
    format!(
        "SELECT k.id, k.phone, k.direction, k.missed, k.started_at, k.duration_seconds, k.notes, k.external_id,
                cl.id AS client_id, cl.name AS client_name
           FROM calls k
           LEFT JOIN clients cl ON cl.id = {CALL_CLIENT} AND {}
          WHERE EXISTS (SELECT 1 FROM employees me WHERE me.id = ",
        crate::clients::store::visible_sql("cl", "$1", true)
    )
}

fn row_to_call(r: &sqlx::any::AnyRow, country: crate::phone::Country) -> Call {
    let direction = CallDirection::from_columns(
        &r.get::<String, _>("direction"),
        r.get::<i64, _>("missed") != 0,
    );
    let phone: String = r.get("phone");
    Call {
        id: r.get("id"),
        client_id: r.get::<Option<i64>, _>("client_id").map(ClientId),
        client_name: r.get("client_name"),
        phone_display: crate::phone::display(&phone, country),
        phone,
        direction,
        inbound: direction != CallDirection::Outbound,
        started_at: r.get("started_at"),
        duration_seconds: r.get("duration_seconds"),
        notes: r.get("notes"),
        external_id: r.get("external_id"),
    }
}

/// Calls, newest first, `limit` of them after `cursor`, naming their client when the
/// employee (who holds Documents) sees them. A client filter names only a client the
/// employee sees.
pub async fn list(
    db: &Db,
    employee: EmployeeId,
    filter: &CallFilter,
    cursor: Option<CallCursor>,
    limit: i64,
) -> StoreResult<Vec<Call>> {
    let like = db.backend.ilike();
    let mut sql = SqlBuilder::new(select_sql());
    sql.push_bind(employee.0).push(")");
    if !filter.text.trim().is_empty() {
        let pattern = crate::store::like_pattern(&filter.text);
        sql.push(" AND (k.phone LIKE ")
            .push_bind(pattern.clone())
            .push(&format!(" ESCAPE '\\' OR cl.name {like} "))
            .push_bind(pattern.clone())
            .push(&format!(" ESCAPE '\\' OR k.notes {like} "))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(direction) = filter.direction {
        let (dir, missed) = direction.columns();
        sql.push(" AND k.direction = ")
            .push_bind(dir)
            .push(" AND k.missed = ")
            .push_bind(missed);
    }
    if let Some(phone) = &filter.phone {
        sql.push(" AND k.phone = ").push_bind(phone.clone());
    }
    if let Some(client) = filter.client_id {
        // `cl` is only joined when visible: another's client matches nothing.
        sql.push(" AND cl.id = ").push_bind(client.0);
    }
    if let Some(since) = filter.since {
        sql.push(" AND k.started_at >= ").push_bind(since);
    }
    if let Some(until) = filter.until {
        sql.push(" AND k.started_at < ").push_bind(until);
    }
    if let Some(c) = cursor {
        sql.push(" AND (k.started_at < ")
            .push_bind(c.started_at)
            .push(" OR (k.started_at = ")
            .push_bind(c.started_at)
            .push(" AND k.id < ")
            .push_bind(c.id)
            .push("))");
    }
    sql.push(" ORDER BY k.started_at DESC, k.id DESC LIMIT ")
        .push_bind(limit);
    let rows = sql.build().fetch_all(&db.read).await?;
    Ok(rows.iter().map(|r| row_to_call(r, db.country)).collect())
}

/// One call, as [`list`] shows it.
pub async fn get(db: &Db, employee: EmployeeId, id: i64) -> StoreResult<Option<Call>> {
    let mut sql = SqlBuilder::new(select_sql());
    sql.push_bind(employee.0)
        .push(") AND k.id = ")
        .push_bind(id);
    let row = sql.build().fetch_optional(&db.read).await?;
    Ok(row.map(|r| row_to_call(&r, db.country)))
}

/// The client holding this number whom the employee sees (the first such), with their name;
/// shared clients count only with `shared_counts` (the Documents permission).
pub async fn visible_client_of(
    db: &Db,
    employee: EmployeeId,
    phone: &str,
    shared_counts: bool,
) -> StoreResult<Option<(ClientId, String)>> {
    let row: Option<(i64, String)> = sqlx::query_as(&format!(
        "SELECT c.id, c.name FROM client_phones p JOIN clients c ON c.id = p.client_id
          WHERE p.phone = $2 AND {} ORDER BY c.id LIMIT 1",
        crate::clients::store::visible_sql("c", "$1", shared_counts)
    ))
    .bind(employee.0)
    .bind(phone)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|(id, name)| (ClientId(id), name)))
}

/// The JSON an integration receives for a call (outgoing webhooks, the API).
pub fn call_json(call: &Call) -> serde_json::Value {
    serde_json::json!({
        "id": call.id,
        "phone": call.phone,
        "direction": call.direction.as_str(),
        "started_at": call.started_at,
        "duration_seconds": call.duration_seconds,
        "notes": call.notes,
        "external_id": call.external_id,
        "client_id": call.client_id.map(|c| c.0),
    })
}

/// Binds a call's parts as `$1`…`$7` (phone, direction, missed, started at, duration,
/// notes, external id), as both the INSERT and the UPDATE take them.
fn bind_parts<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    call: &'q NewCall,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let (direction, missed) = call.direction.columns();
    query
        .bind(&call.phone)
        .bind(direction)
        .bind(missed)
        .bind(call.started_at)
        .bind(call.duration_seconds)
        .bind(&call.notes)
        .bind(&call.external_id)
}

/// Logs a call (its client found by number) and tells the integrations, in one
/// transaction. A call whose `external_id` is already logged is not logged again: its id
/// comes back with `false`.
pub async fn create(
    db: &Db,
    created_by: Option<EmployeeId>,
    call: &NewCall,
) -> StoreResult<(i64, bool)> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    if let Some(external) = &call.external_id {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE external_id = $1")
            .bind(external)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(id) = known {
            tx.commit().await?;
            return Ok((id, false));
        }
    }
    let row = bind_parts(
        sqlx::query(
            "INSERT INTO calls (client_id, phone, direction, missed, started_at, duration_seconds, notes,
                                external_id, created_by, created_at, updated_at)
             VALUES ((SELECT MIN(client_id) FROM client_phones WHERE phone = $1), $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             RETURNING id, client_id",
        ),
        call,
    )
    .bind(created_by.map(|e| e.0))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let (id, client_id): (i64, Option<i64>) = (row.get("id"), row.get("client_id"));
    let payload = call_json(&Call {
        id,
        client_id: client_id.map(ClientId),
        client_name: None,
        phone_display: crate::phone::display(&call.phone, db.country),
        phone: call.phone.clone(),
        direction: call.direction,
        inbound: call.direction != CallDirection::Outbound,
        started_at: call.started_at,
        duration_seconds: call.duration_seconds,
        notes: call.notes.clone(),
        external_id: call.external_id.clone(),
    });
    crate::integrations::outbox::enqueue(&mut tx, IntegrationEvent::CallLogged, payload).await?;
    tx.commit().await?;
    Ok((id, true))
}

/// Rewrites a call's parts (its client found again by its number). `false`: no such call.
pub async fn update(db: &Db, id: i64, call: &NewCall) -> StoreResult<bool> {
    let mut tx = db.write.begin().await?;
    let done = bind_parts(
        sqlx::query(
            "UPDATE calls SET client_id = (SELECT MIN(client_id) FROM client_phones WHERE phone = $1),
                    phone = $1, direction = $2, missed = $3, started_at = $4, duration_seconds = $5,
                    notes = $6, external_id = $7, updated_at = $8
              WHERE id = $9",
        ),
        call,
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await;
    let done = match done {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            let locale = crate::locale::request_locale();
            return Err(crate::store::StoreError::Conflict(
                crate::i18n::td_string!(locale, calls.external_id_taken).to_owned(),
            ));
        }
        other => other?,
    };
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a call. `false`: no such call.
pub async fn delete(db: &Db, id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM calls WHERE id = $1")
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(done.rows_affected() == 1)
}
