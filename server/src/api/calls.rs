//! `/api/v1/calls`: a phone system posts each call (its own id in `external_id`, so a
//! repeated post logs it once), and reads the log. Tokens need `crm:read` / `crm:write`
//! and their employee the Documents permission; a call names its client only when the
//! employee sees that client.

use super::{
    bad, create_once, json_body, no_body, paging, present, ApiEmployee, ReadCrm, WriteCrm,
};
use crate::error::ApiError;
use app::calls::store as calls;
use app::calls::{CallCursor, CallDirection, CallFilter, NewCall};
use app::i18n::Locale;
use app::ids::{ClientId, EmployeeId};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calls", get(list).post(create))
        .route("/api/v1/calls/{id}", get(one).patch(update).delete(delete))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    direction: Option<String>,
    phone: Option<String>,
    client_id: Option<i64>,
    since: Option<i64>,
    until: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn normalized(state: &AppState, typed: &str) -> Result<String, ApiError> {
    Ok(app::phone::normalize(typed, state.db.country)
        .map_err(|e| bad("phone", &e.message(Locale::en)))?
        .to_string())
}

/// Newest first.
async fn list(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<paging::CursorPage<Value>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = paging::limit(query.limit)?;
    let text = query.q.unwrap_or_default();
    app::conversations::check_search_text(&text)?;
    let direction = match query.direction.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(typed) => Some(
            CallDirection::parse(typed)
                .ok_or_else(|| bad("direction", "direction must be inbound, outbound or missed"))?,
        ),
    };
    let phone = match query.phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(typed) => Some(normalized(&state, typed)?),
    };
    let filter = CallFilter {
        text,
        direction,
        phone,
        client_id: query.client_id.map(ClientId),
        since: query.since,
        until: query.until,
    };
    let cursor = query
        .cursor
        .as_deref()
        .map(paging::decode::<i64>)
        .transpose()?
        .map(|(started_at, id)| CallCursor { started_at, id });
    let rows = calls::list(&state.db, me.id, &filter, cursor, limit as i64 + 1).await?;
    let page = paging::page(rows, limit, |c| (c.started_at, c.id));
    Ok(Json(paging::CursorPage {
        items: page.items.iter().map(calls::call_json).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn shown(state: &AppState, me: EmployeeId, id: i64) -> Result<Value, ApiError> {
    calls::get(&state.db, me, id)
        .await?
        .map(|c| calls::call_json(&c))
        .ok_or(ApiError::NotFound("Call"))
}

async fn one(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(shown(&state, me.id, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCallBody {
    phone: String,
    direction: String,
    /// UTC milliseconds.
    started_at: i64,
    #[serde(default)]
    duration_seconds: i64,
    notes: Option<String>,
    external_id: Option<String>,
}

/// Logs a call. A call whose `external_id` is already logged is not logged again: the
/// answer is that call, with 200 instead of 201. `Idempotency-Key` also makes a retry safe.
async fn create(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (st, employee) = (&state, &me);
    let route = "POST /api/v1/calls";
    create_once(
        &state,
        &me,
        &headers,
        body,
        route,
        |new: NewCallBody| async move {
            let call = NewCall::check(
                Locale::en,
                st.db.country,
                &new.phone,
                &new.direction,
                new.started_at,
                new.duration_seconds,
                new.notes.as_deref(),
                new.external_id.as_deref(),
            )?;
            let (id, created) = calls::create(&st.db, Some(employee.id), &call).await?;
            if created {
                tracing::info!(employee = %employee.id, call = id, "call logged through the API");
            }
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, shown(st, employee.id, id).await?))
        },
    )
    .await
}

/// A change: only the fields present change; `null` empties notes or external_id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallChange {
    phone: Option<String>,
    direction: Option<String>,
    started_at: Option<i64>,
    duration_seconds: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    external_id: Option<Option<String>>,
}

async fn update(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (_, change) = json_body::<CallChange>(&headers, body)?;
    let current = calls::get(&state.db, me.id, id)
        .await?
        .ok_or(ApiError::NotFound("Call"))?;
    let call = NewCall::check(
        Locale::en,
        state.db.country,
        change.phone.as_deref().unwrap_or(&current.phone),
        change
            .direction
            .as_deref()
            .unwrap_or(current.direction.as_str()),
        change.started_at.unwrap_or(current.started_at),
        change.duration_seconds.unwrap_or(current.duration_seconds),
        change.notes.unwrap_or(current.notes).as_deref(),
        change.external_id.unwrap_or(current.external_id).as_deref(),
    )?;
    if !calls::update(&state.db, id, &call).await? {
        return Err(ApiError::NotFound("Call"));
    }
    Ok(Json(shown(&state, me.id, id).await?))
}

async fn delete(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    no_body(&headers, body)?;
    if !calls::delete(&state.db, id).await? {
        return Err(ApiError::NotFound("Call"));
    }
    tracing::info!(employee = %me.id, call = id, "call deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}
