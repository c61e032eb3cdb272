//! `/api/v1/documents`: leads, estimates, work orders (`order`) and invoices for the
//! business's other tools. Tokens need `crm:read` / `crm:write` and their employee the
//! Documents permission; a document made from a conversation on a channel the employee
//! may not use is "not found" (`documents::store::visible_sql`), and a client they do not
//! see is refused.

use super::{
    bad, create_once, idempotency, json_body, no_body, paging, present, ApiEmployee, ReadCrm,
    WriteCrm,
};
use crate::error::ApiError;
use app::documents::store::{self as documents, NewDocument};
use app::documents::{check_status, DocumentKind, DocumentRow, MAX_AMOUNT_CENTS};
use app::i18n::Locale;
use app::ids::{ClientId, DocumentId};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/documents", get(list).post(create))
        .route(
            "/api/v1/documents/{id}",
            get(one).patch(update).delete(delete),
        )
        .route("/api/v1/documents/{id}/convert", post(convert))
}

/// A document as the API (and the integrations' events) show it.
fn shown(row: &DocumentRow) -> Value {
    documents::document_json(
        &row.document,
        row.client_id,
        row.conversation_id.map(|c| c.0),
    )
}

fn kind_of(typed: &str) -> Result<DocumentKind, ApiError> {
    DocumentKind::parse(typed.trim())
        .ok_or_else(|| bad("kind", "kind must be lead, estimate, order or invoice"))
}

fn check_amount(cents: i64) -> Result<i64, ApiError> {
    if (0..=MAX_AMOUNT_CENTS).contains(&cents) {
        Ok(cents)
    } else {
        Err(bad(
            "amount_cents",
            &format!("amount_cents must be between 0 and {MAX_AMOUNT_CENTS}"),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    kind: Option<String>,
    status: Option<String>,
    client_id: Option<i64>,
    q: Option<String>,
    updated_since: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Newest first.
async fn list(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<paging::CursorPage<Value>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = paging::limit(query.limit)?;
    let kind = query.kind.as_deref().map(kind_of).transpose()?;
    let status = query
        .status
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(status) = &status {
        let known = match kind {
            Some(kind) => kind.allows_status(status),
            None => DocumentKind::ALL.iter().any(|k| k.allows_status(status)),
        };
        if !known {
            return Err(bad("status", "status is not one of this kind's statuses"));
        }
    }
    let text = query.q.unwrap_or_default();
    app::conversations::check_search_text(&text)?;
    let filter = documents::ListFilter {
        kind,
        status,
        client: query.client_id.map(ClientId),
        updated_since: query.updated_since,
        text,
        before: query
            .cursor
            .as_deref()
            .map(paging::decode::<i64>)
            .transpose()?,
    };
    let rows = documents::list(&state.db, me.id, &filter, limit as i64 + 1).await?;
    let page = paging::page(rows, limit, |r| (r.document.created_at, r.document.id.0));
    Ok(Json(paging::CursorPage {
        items: page.items.iter().map(shown).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn row(state: &AppState, me: app::ids::EmployeeId, id: i64) -> Result<Value, ApiError> {
    documents::by_id(&state.db, me, DocumentId(id))
        .await?
        .map(|r| shown(&r))
        .ok_or(ApiError::NotFound("Document"))
}

async fn one(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadCrm>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(row(&state, me.id, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDocumentBody {
    kind: String,
    title: String,
    #[serde(default)]
    amount_cents: i64,
    status: Option<String>,
    client_id: Option<i64>,
}

/// Creates a document (its number is the kind's next); `Idempotency-Key` makes a retry
/// safe.
async fn create(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (st, employee) = (&state, &me);
    let route = "POST /api/v1/documents";
    create_once(
        &state,
        &me,
        &headers,
        body,
        route,
        |new: NewDocumentBody| async move {
            let kind = kind_of(&new.kind)?;
            let status = match new.status.as_deref().map(str::trim) {
                None | Some("") => kind.first_status().to_owned(),
                Some(s) => {
                    check_status(Locale::en, kind, s)?;
                    s.to_owned()
                }
            };
            let new = NewDocument {
                kind,
                title: app::employees::check_name(Locale::en, "title", &new.title)?,
                amount_cents: check_amount(new.amount_cents)?,
                status,
                client_id: new.client_id.map(ClientId),
            };
            let document = documents::create(&st.db, employee.id, &new, None, None).await?;
            Ok((
                StatusCode::CREATED,
                row(st, employee.id, document.id.0).await?,
            ))
        },
    )
    .await
}

/// A change: only the fields present change; `"client_id": null` unlinks the client.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentChange {
    title: Option<String>,
    amount_cents: Option<i64>,
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    client_id: Option<Option<i64>>,
}

async fn update(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (_, change) = json_body::<DocumentChange>(&headers, body)?;
    let current = documents::by_id(&state.db, me.id, DocumentId(id))
        .await?
        .ok_or(ApiError::NotFound("Document"))?;
    let kind = current.document.kind;
    let status = match change.status {
        Some(status) => {
            check_status(Locale::en, kind, status.trim())?;
            status.trim().to_owned()
        }
        None => current.document.status,
    };
    let new = NewDocument {
        kind,
        title: match change.title {
            Some(title) => app::employees::check_name(Locale::en, "title", &title)?,
            None => current.document.title,
        },
        amount_cents: check_amount(change.amount_cents.unwrap_or(current.document.amount_cents))?,
        status,
        client_id: match change.client_id {
            Some(client) => client.map(ClientId),
            None => current.client_id,
        },
    };
    documents::update(&state.db, me.id, DocumentId(id), &new).await?;
    Ok(Json(row(&state, me.id, id).await?))
}

async fn delete(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    no_body(&headers, body)?;
    documents::delete(&state.db, me.id, DocumentId(id)).await?;
    tracing::info!(employee = %me.id, document = id, "document deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

/// An estimate becomes a work order, a work order an invoice: a new document that names
/// this one as its source. `Idempotency-Key` makes a retry safe.
async fn convert(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteCrm>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let raw = match super::read_body(body) {
        Ok(raw) => raw,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = no_body(&headers, Ok(raw.clone())) {
        return e.into_response();
    }
    let (st, employee) = (&state, &me);
    let route = format!("POST /api/v1/documents/{id}/convert");
    idempotency::idempotent(&state, &me, &headers, &route, &raw, move || async move {
        let document = documents::convert(&st.db, employee.id, DocumentId(id)).await?;
        Ok((
            StatusCode::CREATED,
            row(st, employee.id, document.id.0).await?,
        ))
    })
    .await
}
