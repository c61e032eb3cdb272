//! The one error type of server functions: variants the UI can act on, each with a
//! sentence that tells the employee what to do. Causes go to the log, never to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    #[error("You don't have access to this. Ask an owner to give you access.")]
    Forbidden,
    #[error("{0} was not found. It may have been removed.")]
    NotFound(String),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("Could not reach Confab ({0}). Check your connection and try again.")]
    Network(String),
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Network(_) => 502,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(cause) | ServerFnErrorErr::Response(cause) => {
                AppError::Network(cause)
            }
            ServerFnErrorErr::Args(cause) | ServerFnErrorErr::Deserialization(cause) => {
                // On the server, in the language of the request; in the browser (a reply it
                // cannot read) there is no request to ask, so English.
                #[cfg(feature = "ssr")]
                let locale = crate::locale::request_locale();
                #[cfg(not(feature = "ssr"))]
                let locale = crate::i18n::Locale::en;
                AppError::validation(
                    "request",
                    crate::locale::fill(
                        crate::i18n::td_string!(locale, account.request_not_understood),
                        &[("cause", &cause)],
                    ),
                )
            }
            #[cfg(feature = "ssr")]
            other => {
                tracing::error!(error = %other, "server function failed");
                AppError::Internal
            }
            #[cfg(not(feature = "ssr"))]
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::NotFound(what) => AppError::NotFound(what.to_owned()),
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::Invalid { field, message } => AppError::Validation {
                field: field.to_owned(),
                message,
            },
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::Database(cause) => AppError::from(cause),
            StoreError::Other(cause) => {
                tracing::error!(error = %cause, "store error");
                AppError::Internal
            }
        }
    }
}
