//! The CSV import of clients, for the Clients page (`app::clients::import`):
//! `POST /crm/clients/import/preview` takes the file (the raw body, at most
//! `MAX_IMPORT_BYTES`) and answers its header, first rows and guessed columns;
//! `POST /crm/clients/import?columns=name,phone:mobile,ignore,…` imports it with the owner's
//! columns and answers the counts and the refused rows. Plain routes rather than server
//! functions: those take 64 KiB. Signed-in employees with Documents; refusals in their
//! language.

use crate::error::{request_locale, ApiError};
use app::clients::import::{self, Column, MAX_IMPORT_BYTES};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tower_sessions::Session;

/// The signed-in employee of the session cookie (as `media` reads it).
pub(crate) async fn signed_in(
    state: &AppState,
    session: &Session,
) -> Result<app::auth::Employee, ApiError> {
    let employee_id = app::auth::session::employee_id_of(session)
        .await
        .ok_or(ApiError::Unauthorized)?;
    app::auth::store::active_employee(&state.db, employee_id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

async fn documents_employee(
    state: &AppState,
    session: &Session,
) -> Result<app::auth::Employee, ApiError> {
    let employee = signed_in(state, session).await?;
    if !employee.can(app::employees::Permission::Documents) {
        return Err(ApiError::Forbidden);
    }
    Ok(employee)
}

fn file_text(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    locale: app::i18n::Locale,
) -> Result<String, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(import::FileError::TooLarge.message(locale))
        } else {
            ApiError::BadRequest(import::FileError::Empty.message(locale))
        }
    })?;
    if body.len() > MAX_IMPORT_BYTES {
        return Err(ApiError::TooLarge(
            import::FileError::TooLarge.message(locale),
        ));
    }
    Ok(import::decode(&body))
}

pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let locale = request_locale(&headers);
    let answer = async {
        documents_employee(&state, &session).await?;
        let text = file_text(body, locale)?;
        let table = import::read_table(&text).map_err(|e| ApiError::Invalid {
            field: "file".into(),
            message: e.message(locale),
        })?;
        Ok::<_, ApiError>(Json(import::preview(&table)).into_response())
    };
    answer
        .await
        .unwrap_or_else(|err| err.into_response_in(locale))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    columns: String,
}

pub async fn run(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let locale = request_locale(&headers);
    let answer = async {
        let employee = documents_employee(&state, &session).await?;
        let columns = query
            .columns
            .split(',')
            .map(Column::parse_code)
            .collect::<Option<Vec<Column>>>()
            .ok_or_else(|| ApiError::Invalid {
                field: "columns".into(),
                message:
                    "columns: name, phone:mobile|home|work|other, email, notes, address or ignore"
                        .into(),
            })?;
        let text = file_text(body, locale)?;
        let report =
            app::clients::import_store::import(&state.db, employee.id, locale, &text, &columns)
                .await?;
        Ok::<_, ApiError>(Json(report).into_response())
    };
    answer
        .await
        .unwrap_or_else(|err| err.into_response_in(locale))
}
