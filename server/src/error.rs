//! Errors of the plain routes (webhooks, SSE): JSON `{code, message}` with the right status.

use axum::http::StatusCode;
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let mut body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        if let ApiError::Invalid { field, .. } = &self {
            body["field"] = serde_json::Value::String(field.clone());
        }
        (self.status_code(), Json(body)).into_response()
    }
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
