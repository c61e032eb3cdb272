//! Errors of the plain routes (webhooks, SSE, media): JSON `{code, message}` with the right
//! status. The routes an employee's screen calls answer in the employee's language
//! ([`ApiError::into_response_in`]); the others (providers, API clients) in English.

use app::i18n::Locale;
use app::messages::route_text;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Sign in first.")]
    Unauthorized,
    #[error("You don't have access to this.")]
    Forbidden,
    #[error("The request's signature does not match this channel's secret.")]
    BadSignature,
    #[error("{0} was not found.")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("Something went wrong on our side.")]
    Internal(String),
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::BadSignature => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::BadSignature => "bad_signature",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid { .. } => "invalid",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedType(_) => "unsupported_type",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ApiError {
    /// The sentence in `locale`. Those the route composed (validation, refusals) are
    /// already in the request's language.
    pub fn message_in(&self, locale: Locale) -> String {
        match self {
            ApiError::Unauthorized => route_text::unauthorized(locale).to_owned(),
            ApiError::Forbidden => route_text::forbidden(locale).to_owned(),
            ApiError::NotFound(what) => route_text::not_found(locale, what),
            ApiError::Internal(_) => route_text::internal(locale).to_owned(),
            other => other.to_string(),
        }
    }

    /// The answer with its sentence in `locale`, for the routes an employee's screen calls.
    pub fn into_response_in(self, locale: Locale) -> Response {
        let message = self.message_in(locale);
        self.respond(message)
    }

    fn respond(self, message: String) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let mut body = serde_json::json!({ "code": self.code(), "message": message });
        if let ApiError::Invalid { field, .. } = &self {
            body["field"] = serde_json::Value::String(field.clone());
        }
        (self.status_code(), Json(body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        self.respond(message)
    }
}

/// The language of a plain route's request, as `app::locale::request_locale` finds it
/// for server functions (which has no request here): the language cookie, else the
/// browser's Accept-Language, else English.
pub fn request_locale(headers: &HeaderMap) -> Locale {
    app::locale::locale_of_headers(headers)
}

impl From<app::store::StoreError> for ApiError {
    fn from(err: app::store::StoreError) -> Self {
        use app::store::StoreError;
        match err {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Forbidden => ApiError::Forbidden,
            StoreError::Invalid { field, message } => ApiError::Invalid {
                field: field.to_owned(),
                message,
            },
            StoreError::Conflict(message) => ApiError::BadRequest(message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<app::error::AppError> for ApiError {
    fn from(err: app::error::AppError) -> Self {
        use app::error::AppError;
        match err {
            AppError::Unauthorized => ApiError::Unauthorized,
            AppError::Forbidden => ApiError::Forbidden,
            AppError::NotFound(_) => ApiError::NotFound("Resource"),
            AppError::Validation { field, message } => ApiError::Invalid { field, message },
            AppError::Conflict(message) => ApiError::BadRequest(message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A route's raw body, or its refusal in the API's JSON shape (413 above `max_bytes`, the
/// cap the route's `DefaultBodyLimit` set), instead of axum's plain-text rejection.
pub fn body_within(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    max_bytes: usize,
) -> Result<axum::body::Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(max_bytes)
        } else {
            ApiError::BadRequest("The body could not be read.".into())
        }
    })
}

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::TooLarge(format!("The body is larger than {} KiB.", max_bytes / 1024))
}

/// Refuses a request whose declared `Content-Length` is above `MAX` before a byte of its
/// body is read (the client learns at once, without sending what would be cut off); a
/// body without a declared length is held to `MAX` by `body_within` as it is read.
pub async fn refuse_declared_oversize<const MAX: usize>(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX as u64) {
        return too_large(MAX).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn english_answers_keep_their_sentences() {
        for error in [
            ApiError::Unauthorized,
            ApiError::Forbidden,
            ApiError::NotFound("File"),
            ApiError::Internal("cause".into()),
            ApiError::BadRequest("The file is empty.".into()),
        ] {
            assert_eq!(error.message_in(Locale::en), error.to_string());
        }
        assert_eq!(
            ApiError::NotFound("o arquivo").message_in(Locale::pt_BR),
            "Não encontramos o arquivo."
        );
    }

    #[test]
    fn the_cookie_wins_then_the_browser_then_english() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(name.clone(), value.parse().unwrap());
            }
            map
        };
        assert_eq!(request_locale(&HeaderMap::new()), Locale::en);
        assert_eq!(
            request_locale(&headers(&[(header::ACCEPT_LANGUAGE, "pt-PT,en;q=0.5")])),
            Locale::pt_BR
        );
        assert_eq!(
            request_locale(&headers(&[(header::ACCEPT_LANGUAGE, "de-DE,en-AU;q=0.5")])),
            Locale::en
        );
        assert_eq!(
            request_locale(&headers(&[
                (header::ACCEPT_LANGUAGE, "pt-BR"),
                (header::COOKIE, "a=b; i18n_pref_locale=en"),
            ])),
            Locale::en
        );
    }
}
