//! `/api/v1/clients`: an integration keeps Confab's clients in step with its own CRM.
//! Tokens need `crm:read` / `crm:write` and their employee the Documents permission; a
//! client the employee does not see (`clients::store::visible_sql`) is "not found".

use super::{create_once, json_body, no_body, paging, present, ApiEmployee, ReadCrm, WriteCrm};
use crate::error::ApiError;
use app::clients::edit::{check_client, ClientInput, ClientRecord, PhoneInput, RecordFilter};
use app::clients::edit_store;
use app::i18n::Locale;
use app::ids::ClientId;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clients", get(list).post(create))
        .route(
            "/api/v1/clients/{id}",
            get(one).patch(update).delete(delete),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    updated_since: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Clients in id order (new ones come last, so a sync reads to the end and stops).
async fn list(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<paging::CursorPage<ClientRecord>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = paging::limit(query.limit)?;
    let text = query.q.unwrap_or_default();
    app::conversations::check_search_text(&text)?;
    let phone = match query.phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(typed) => Some(
            app::phone::normalize(typed, state.db.country)
                .map_err(|e| super::bad("phone", &e.message(Locale::en)))?
                .to_string(),
        ),
    };
    let email = match query.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(typed) => Some(app::employees::check_email(Locale::en, typed)?),
    };
    let after_id = match query.cursor.as_deref() {
        Some(cursor) => Some(paging::decode::<()>(cursor)?.1),
        None => None,
    };
    let filter = RecordFilter {
        text,
        phone,
        email,
        updated_since: query.updated_since,
        after_id,
    };
    let rows = edit_store::records(&state.db, me.id, &filter, limit as i64 + 1).await?;
    Ok(Json(paging::page(rows, limit, |c| ((), c.id.0))))
}

async fn one(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    Path(id): Path<i64>,
) -> Result<Json<ClientRecord>, ApiError> {
    Ok(Json(
        edit_store::record(&state.db, me.id, ClientId(id)).await?,
    ))
}

/// A number as an integration sends it; the label defaults to `mobile`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneBody {
    phone: String,
    label: Option<String>,
}

fn phone_inputs(phones: Vec<PhoneBody>) -> Vec<PhoneInput> {
    phones
        .into_iter()
        .map(|p| PhoneInput {
            phone: p.phone,
            label: p.label.unwrap_or_else(|| "mobile".into()),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    name: String,
    #[serde(default)]
    phones: Vec<PhoneBody>,
    email: Option<String>,
    address: Option<String>,
    notes: Option<String>,
}

/// Creates a client shared with the team; `Idempotency-Key` makes a retry safe.
async fn create(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (st, employee) = (&state, &me);
    let route = "POST /api/v1/clients";
    create_once(
        &state,
        &me,
        &headers,
        body,
        route,
        |new: NewClient| async move {
            let input = ClientInput {
                name: new.name,
                phones: phone_inputs(new.phones),
                email: new.email.unwrap_or_default(),
                address: new.address.unwrap_or_default(),
                notes: new.notes.unwrap_or_default(),
            };
            let checked = check_client(Locale::en, st.db.country, &input)?;
            let id = edit_store::create(&st.db, employee.id, &checked).await?;
            tracing::info!(employee = %employee.id, client = %id, "client created through the API");
            Ok((
                StatusCode::CREATED,
                edit_store::record(&st.db, employee.id, id).await?,
            ))
        },
    )
    .await
}

/// A change: only the fields present change; `null` empties email, address or notes;
/// `phones` replaces the whole list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientChange {
    name: Option<String>,
    phones: Option<Vec<PhoneBody>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<Option<String>>,
}

async fn update(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ClientRecord>, ApiError> {
    let (_, change) = json_body::<ClientChange>(&headers, body)?;
    let id = ClientId(id);
    let current = edit_store::record(&state.db, me.id, id).await?;
    let keep = |changed: Option<Option<String>>, old: Option<String>| {
        changed.unwrap_or(old).unwrap_or_default()
    };
    let input = ClientInput {
        name: change.name.unwrap_or(current.name),
        phones: change.phones.map(phone_inputs).unwrap_or(current.phones),
        email: keep(change.email, current.email),
        address: keep(change.address, current.address),
        notes: keep(change.notes, current.notes),
    };
    let checked = check_client(Locale::en, state.db.country, &input)?;
    edit_store::update(&state.db, me.id, id, &checked).await?;
    Ok(Json(edit_store::record(&state.db, me.id, id).await?))
}

/// Deletes a client; their conversations, documents and calls stay, linked to nobody.
async fn delete(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    no_body(&headers, body)?;
    edit_store::delete(&state.db, me.id, ClientId(id)).await?;
    tracing::info!(employee = %me.id, client = id, "client deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}
