//! `/api/v1`: the JSON API for integrations, authenticated with personal access tokens
//! (`Authorization: Bearer cfb_…`). The same store functions as the UI, so the same
//! channel-access rules apply; errors are `{"code", "message"}` JSON.

use crate::error::ApiError;
use app::auth::Employee;
use app::conversations::{store as conversations, ConversationStatus, ListCursor};
use app::employees::Permission;
use app::ids::{ChannelId, ConversationId, MessageId};
use app::messages::MessageBody;
use app::state::AppState;
use app::tokens::TokenScope;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

mod calls;
mod clients;
mod documents;
pub mod idempotency;
pub mod paging;

pub const OPENAPI: &str = include_str!("openapi.json");

/// The largest request body the API reads: a message is at most 1,000 characters.
pub const MAX_API_BODY_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/channels", get(channels))
        .route("/api/v1/conversations", get(list_conversations))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(list_messages).post(send_message),
        )
        .route("/api/v1/conversations/{id}/archive", post(archive))
        .route("/api/v1/conversations/{id}/reopen", post(reopen))
        .route("/api/v1/conversations/{id}/assign", post(assign))
        .route(
            "/api/v1/conversations/{id}/notes",
            get(list_notes).post(add_note),
        )
        .merge(clients::routes())
        .merge(documents::routes())
        .merge(calls::routes())
        .layer(DefaultBodyLimit::max(MAX_API_BODY_BYTES))
        .route(
            "/api/v1/phone-card",
            get(phone_card).options(cors_preflight),
        )
}

/// Pages of the business's other tools ask for phone cards from their own origin (the
/// embeddable `confab-card.js`): with a bearer token, never cookies, so any origin may.
fn with_cors(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET"),
        (header::ACCESS_CONTROL_MAX_AGE, "600"),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    response
}

async fn cors_preflight() -> axum::response::Response {
    with_cors(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct PhoneQuery {
    phone: Option<String>,
}

/// The card of a phone number: the client with it and the conversations the token's
/// employee may see.
async fn phone_card(
    State(state): State<AppState>,
    me: Result<ApiEmployee<ReadCards>, ApiRefusal>,
    Query(query): Query<PhoneQuery>,
) -> axum::response::Response {
    let card = async {
        let ApiEmployee(me, _) = me?;
        let phone = query.phone.as_deref().unwrap_or_default();
        let phone = app::phone::normalize(phone, state.db.country)
            .map_err(|e| bad("phone", &e.to_string()))?;
        Ok::<_, ApiRefusal>(Json(
            app::clients::store::phone_card(&state.db, me.id, &phone).await?,
        ))
    };
    with_cors(card.await.into_response())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Why a request's token was refused: the usual errors, or a scope the token lacks (a
/// 403 that names it, so whoever set the integration up knows which token to make).
#[derive(Debug)]
pub enum ApiRefusal {
    Error(ApiError),
    MissingScope(TokenScope),
}

impl From<ApiError> for ApiRefusal {
    fn from(error: ApiError) -> Self {
        ApiRefusal::Error(error)
    }
}

impl From<app::store::StoreError> for ApiRefusal {
    fn from(error: app::store::StoreError) -> Self {
        ApiRefusal::Error(error.into())
    }
}

impl From<app::error::AppError> for ApiRefusal {
    fn from(error: app::error::AppError) -> Self {
        ApiRefusal::Error(error.into())
    }
}

impl IntoResponse for ApiRefusal {
    fn into_response(self) -> axum::response::Response {
        match self {
            ApiRefusal::Error(error) => error.into_response(),
            ApiRefusal::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({
                    "code": "missing_scope",
                    "message": format!(
                        "This token lacks the scope {scope}; create a token with it in Confab (your name › API tokens).",
                        scope = scope.as_str()
                    ),
                    "scope": scope.as_str(),
                })),
            )
                .into_response(),
        }
    }
}

/// The scope a route needs, named by a type so each handler says which it takes, and
/// the permission the token's employee must hold for it.
pub trait RequiredScope {
    const SCOPE: TokenScope;
    const PERMISSION: Permission = Permission::Conversations;
}

/// Reading channels, conversations and messages.
pub struct ReadConversations;
/// Replying, archiving, reopening.
pub struct WriteConversations;
/// Reading phone cards.
pub struct ReadCards;

impl RequiredScope for ReadConversations {
    const SCOPE: TokenScope = TokenScope::ConversationsRead;
}
impl RequiredScope for WriteConversations {
    const SCOPE: TokenScope = TokenScope::ConversationsWrite;
}
impl RequiredScope for ReadCards {
    const SCOPE: TokenScope = TokenScope::PhoneCardRead;
}

/// Reading clients, documents and calls: the Documents permission.
pub struct ReadCrm;
/// Creating, changing and deleting clients, documents and calls.
pub struct WriteCrm;

impl RequiredScope for ReadCrm {
    const SCOPE: TokenScope = TokenScope::CrmRead;
    const PERMISSION: Permission = Permission::Documents;
}
impl RequiredScope for WriteCrm {
    const SCOPE: TokenScope = TokenScope::CrmWrite;
    const PERMISSION: Permission = Permission::Documents;
}

/// The employee a bearer token belongs to, when the token (valid, unexpired, with the
/// scope `S`) may make this request; they must hold the permission `S::PERMISSION`.
pub struct ApiEmployee<S: RequiredScope = ReadConversations>(pub Employee, PhantomData<S>);

impl<S: RequiredScope> FromRequestParts<AppState> for ApiEmployee<S> {
    type Rejection = ApiRefusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let holder = app::tokens::store::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !holder.may(S::SCOPE) {
            return Err(ApiRefusal::MissingScope(S::SCOPE));
        }
        if !holder.employee.can(S::PERMISSION) {
            return Err(ApiError::Forbidden.into());
        }
        Ok(ApiEmployee(holder.employee, PhantomData))
    }
}

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

async fn channels(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadConversations>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(
        app::channels::store::accessible(&state.db, me.id).await?,
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    channel: Option<i64>,
    cursor: Option<String>,
    q: Option<String>,
    unread: Option<bool>,
    awaiting: Option<bool>,
    assignee: Option<String>,
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn parse_list_cursor(cursor: &str) -> Result<ListCursor, ApiError> {
    let (at, id) = cursor
        .split_once('.')
        .ok_or_else(|| bad("cursor", "cursor is not one this API gave out"))?;
    Ok(ListCursor {
        last_message_at: at
            .parse()
            .map_err(|_| bad("cursor", "cursor is not one this API gave out"))?,
        id: ConversationId(
            id.parse()
                .map_err(|_| bad("cursor", "cursor is not one this API gave out"))?,
        ),
    })
}

async fn list_conversations(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadConversations>,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("open") => ConversationStatus::Open,
        Some("archived") => ConversationStatus::Archived,
        Some(_) => return Err(bad("status", "status must be open or archived")),
    };
    let after = query.cursor.as_deref().map(parse_list_cursor).transpose()?;
    use app::conversations::AssigneeFilter;
    let assignee = match query.assignee.as_deref() {
        None | Some("all") => AssigneeFilter::All,
        Some("mine") => AssigneeFilter::Mine,
        Some("unassigned") => AssigneeFilter::Unassigned,
        Some(_) => return Err(bad("assignee", "assignee must be all, mine or unassigned")),
    };
    let filter = app::conversations::ListFilter {
        query: query.q,
        channel: query.channel.map(ChannelId),
        unread_only: query.unread.unwrap_or(false),
        awaiting_only: query.awaiting.unwrap_or(false),
        assignee,
    };
    filter.words()?;
    let page = conversations::list(
        &state.db,
        me.id,
        status,
        &filter,
        after,
        app::conversations::PAGE_SIZE,
    )
    .await?;
    Ok(Json(Page {
        items: page.items,
        next_cursor: page.next.map(|c| format!("{}.{}", c.last_message_at, c.id)),
    }))
}

#[derive(Deserialize)]
struct MessagesQuery {
    cursor: Option<i64>,
}

/// Newest first; `cursor` continues with older messages.
async fn list_messages(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadConversations>,
    Path(id): Path<i64>,
    Query(query): Query<MessagesQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = ConversationId(id);
    conversations::ensure_access(&state.db, me.id, id).await?;
    let (mut items, has_more) = app::messages::store::recent(
        &state.db,
        id,
        query.cursor.map(MessageId),
        app::conversations::THREAD_PAGE,
    )
    .await?;
    items.reverse();
    let next_cursor = has_more
        .then(|| items.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// The request's body, or why it could not be read (413 above [`MAX_API_BODY_BYTES`]).
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    crate::error::body_within(body, MAX_API_BODY_BYTES)
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() == Some("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedType(
            "Send the body as application/json.".into(),
        ))
    }
}

/// Archive and reopen take no body: none, `null` or `{}` (what JSON clients send by
/// default). Anything else is refused rather than ignored, so a client that meant
/// something by it learns that it was not understood.
fn no_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<(), ApiError> {
    let body = read_body(body)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    require_json(headers)?;
    match serde_json::from_slice::<Option<serde_json::Map<String, serde_json::Value>>>(&body) {
        Ok(None) => Ok(()),
        Ok(Some(fields)) => match fields.keys().next() {
            None => Ok(()),
            Some(field) => Err(ApiError::BadRequest(format!(
                "This request takes no fields; '{field}' is not one."
            ))),
        },
        Err(e) => Err(ApiError::BadRequest(format!(
            "This request takes no body, or {{}}: {e}"
        ))),
    }
}

/// A JSON body of type `T` (unknown fields refused), with its raw bytes (for the
/// idempotency key's fingerprint).
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, T), ApiError> {
    let body = read_body(body)?;
    require_json(headers)?;
    let value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("The body is not what this route takes: {e}")))?;
    Ok((body, value))
}

/// A create route: its JSON body read as `B`, then `create` run at most once per
/// idempotency key (`idempotency::idempotent`, the raw body as the key's fingerprint).
async fn create_once<B, T, F, Fut>(
    state: &AppState,
    me: &Employee,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    route: &str,
    create: F,
) -> axum::response::Response
where
    B: serde::de::DeserializeOwned,
    T: Serialize,
    F: FnOnce(B) -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, T), ApiError>>,
{
    match json_body::<B>(headers, body) {
        Ok((raw, parsed)) => {
            idempotency::idempotent(state, me, headers, route, &raw, move || create(parsed)).await
        }
        Err(e) => e.into_response(),
    }
}

/// For a change's optional fields: absent is `None`, `null` is `Some(None)` (empty it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    body: String,
}

async fn send_message(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteConversations>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = read_body(body)?;
    require_json(&headers)?;
    let new: NewMessage = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("Send JSON like {{\"body\": \"…\"}}: {e}")))?;
    // API clients get English.
    let english = app::i18n::Locale::en;
    let body = MessageBody::parse(english, &new.body)?;
    let (message, events) = app::messages::store::queue_outbound(
        &state.db,
        &me,
        ConversationId(id),
        &body,
        None,
        english,
    )
    .await?;
    state.bus.publish(events);
    state.outbox.notify_one();
    Ok((StatusCode::CREATED, Json(message)))
}

async fn set_status(
    state: AppState,
    me: Employee,
    id: i64,
    status: ConversationStatus,
) -> Result<impl IntoResponse, ApiError> {
    let id = ConversationId(id);
    let events = conversations::set_status(&state.db, me.id, id, status).await?;
    state.bus.publish(events);
    let detail = conversations::detail(&state.db, me.id, id, 0).await?;
    Ok(Json(detail.summary))
}

async fn archive(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteConversations>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    no_body(&headers, body)?;
    set_status(state, me, id, ConversationStatus::Archived).await
}

async fn reopen(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteConversations>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    no_body(&headers, body)?;
    set_status(state, me, id, ConversationStatus::Open).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignment {
    /// The employee to give the conversation to; `null` for nobody.
    assignee_id: Option<i64>,
}

/// Gives the conversation to an employee who may answer it, or to nobody.
async fn assign(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteConversations>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = read_body(body)?;
    let assignment: Assignment = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "Send JSON like {{\"assignee_id\": 7}} (or null for nobody): {e}"
        ))
    })?;
    let id = ConversationId(id);
    let events = app::conversations::assign_store::assign(
        &state.db,
        me.id,
        id,
        assignment.assignee_id.map(app::ids::EmployeeId),
    )
    .await?;
    state.bus.publish(events);
    let detail = conversations::detail(&state.db, me.id, id, 0).await?;
    Ok(Json(detail.summary))
}

/// The conversation's private notes, oldest first (the newest 200).
async fn list_notes(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<ReadConversations>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let id = ConversationId(id);
    conversations::ensure_access(&state.db, me.id, id).await?;
    let mut conn = state
        .db
        .read
        .acquire()
        .await
        .map_err(app::store::StoreError::from)?;
    let items = app::conversations::notes_store::of_conversation(&mut conn, id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Adds a private note (never sent to the lead); `@name` mentions tell those named.
async fn add_note(
    State(state): State<AppState>,
    ApiEmployee(me, _): ApiEmployee<WriteConversations>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = read_body(body)?;
    let new: NewMessage = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("Send JSON like {{\"body\": \"…\"}}: {e}")))?;
    let text = app::conversations::notes::check_note(app::i18n::Locale::en, &new.body)?;
    let (note, events) =
        app::conversations::notes_store::add(&state.db, me.id, ConversationId(id), &text).await?;
    state.bus.publish(events);
    Ok((StatusCode::CREATED, Json(note)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_valid_json_and_lists_every_route() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
        for path in [
            "/api/v1/channels",
            "/api/v1/conversations",
            "/api/v1/conversations/{id}/messages",
            "/api/v1/conversations/{id}/archive",
            "/api/v1/conversations/{id}/reopen",
            "/api/v1/conversations/{id}/assign",
            "/api/v1/conversations/{id}/notes",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
        for (path, method, scope) in [
            ("/api/v1/channels", "get", ReadConversations::SCOPE),
            ("/api/v1/conversations", "get", ReadConversations::SCOPE),
            (
                "/api/v1/conversations/{id}/messages",
                "post",
                WriteConversations::SCOPE,
            ),
            (
                "/api/v1/conversations/{id}/archive",
                "post",
                WriteConversations::SCOPE,
            ),
            (
                "/api/v1/conversations/{id}/assign",
                "post",
                WriteConversations::SCOPE,
            ),
            ("/api/v1/phone-card", "get", ReadCards::SCOPE),
            ("/api/v1/clients", "get", ReadCrm::SCOPE),
            ("/api/v1/clients", "post", WriteCrm::SCOPE),
            ("/api/v1/clients/{id}", "get", ReadCrm::SCOPE),
            ("/api/v1/clients/{id}", "patch", WriteCrm::SCOPE),
            ("/api/v1/clients/{id}", "delete", WriteCrm::SCOPE),
            ("/api/v1/documents", "get", ReadCrm::SCOPE),
            ("/api/v1/documents", "post", WriteCrm::SCOPE),
            ("/api/v1/documents/{id}", "get", ReadCrm::SCOPE),
            ("/api/v1/documents/{id}", "patch", WriteCrm::SCOPE),
            ("/api/v1/documents/{id}", "delete", WriteCrm::SCOPE),
            ("/api/v1/documents/{id}/convert", "post", WriteCrm::SCOPE),
            ("/api/v1/calls", "get", ReadCrm::SCOPE),
            ("/api/v1/calls", "post", WriteCrm::SCOPE),
            ("/api/v1/calls/{id}", "get", ReadCrm::SCOPE),
            ("/api/v1/calls/{id}", "patch", WriteCrm::SCOPE),
            ("/api/v1/calls/{id}", "delete", WriteCrm::SCOPE),
        ] {
            let operation = &doc["paths"][path][method];
            assert_eq!(operation["x-required-scope"], scope.as_str(), "{path}");
            assert_eq!(
                operation["security"][0]["token"][0],
                scope.as_str(),
                "{path}"
            );
        }
    }

    #[test]
    fn list_cursors_round_trip_and_junk_is_refused() {
        let c = parse_list_cursor("1700000000000.42").unwrap();
        assert_eq!(
            (c.last_message_at, c.id),
            (1_700_000_000_000, ConversationId(42))
        );
        assert!(parse_list_cursor("abc").is_err());
        assert!(parse_list_cursor("1.x").is_err());
    }
}
