//! `GET /clients/export.csv?q=…`: the Clients list as filtered (the same search text), as a
//! CSV file — every client the signed-in employee sees, with Documents. Cells a spreadsheet
//! would run as formulas are quoted off (`app::clients::import::safe_cell`).

use crate::error::{request_locale, ApiError};
use crate::routes::client_import::signed_in;
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    q: String,
}

pub async fn export(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    let locale = request_locale(&headers);
    let answer = async {
        let employee = signed_in(&state, &session).await?;
        if !employee.can(app::employees::Permission::Documents) {
            return Err(ApiError::Forbidden);
        }
        if query.q.chars().count() > 100 || query.q.chars().any(char::is_control) {
            return Err(ApiError::Invalid {
                field: "q".into(),
                message: "q: at most 100 characters, no control characters".into(),
            });
        }
        let clients =
            app::clients::import_store::export(&state.db, employee.id, Some(&query.q)).await?;
        let body = app::clients::import::export_csv(locale, &clients);
        let mut response = body.into_response();
        crate::routes::file_headers(
            response.headers_mut(),
            HeaderValue::from_static("text/csv; charset=utf-8"),
            "attachment; filename=\"clients.csv\"",
            "no-store",
        );
        Ok(response)
    };
    answer
        .await
        .unwrap_or_else(|err: ApiError| err.into_response_in(locale))
}
