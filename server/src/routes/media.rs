//! `GET /media/{attachment_id}`: a stored file, to a signed-in employee with access to its
//! channel (404 otherwise, so nothing tells them it exists). Served so that no browser
//! runs it as a page: the stored, checked type, `nosniff`, a sandboxing CSP, and
//! `attachment` for anything that is not an image, audio or video.

use crate::error::ApiError;
use crate::workers::retention::media_path;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

pub async fn serve(
    State(state): State<AppState>,
    session: Session,
    Path(attachment): Path<i64>,
) -> Result<Response, ApiError> {
    let employee_id = app::auth::session::employee_id_of(&session)
        .await
        .ok_or(ApiError::Unauthorized)?;
    let employee = app::auth::store::active_employee(&state.db, employee_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let media = app::messages::store::media_for_employee(&state.db, employee.id, attachment)
        .await?
        .ok_or(ApiError::NotFound("File"))?;
    let media_dir = state.media_dir.clone();
    let path = media_path(&media_dir, &media.storage_key).ok_or(ApiError::NotFound("File"))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::NotFound("File"))?;
    let inline = ["image/", "audio/", "video/"]
        .iter()
        .any(|p| media.mime.starts_with(p));
    let name: String = media
        .file_name
        .as_deref()
        .unwrap_or("file")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._- ".contains(*c))
        .take(100)
        .collect();
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        if name.is_empty() { "file" } else { &name }
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&media.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(response)
}
