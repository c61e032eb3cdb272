//! `Idempotency-Key` on the API's create routes: an integration that did not hear the
//! answer to a POST sends it again with the same key and gets the first answer back,
//! instead of a second client, document or call. Keys belong to the token's employee,
//! are at most 200 visible ASCII characters and are kept 24 hours. The same key with
//! another route or body is refused (422 `idempotency_key_reused`); while the first request
//! with a key is still being answered, a second one is told to retry (409
//! `idempotency_key_in_progress`). Without the header a POST simply creates.

use crate::error::ApiError;
use app::auth::Employee;
use app::state::AppState;
use app::tokens::store::{self as tokens, IdempotencyClaim};
use axum::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on an answer replayed from an earlier request.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_CHARS: usize = 200;

/// The request's key: none, or a valid one (1–200 visible ASCII characters).
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let invalid = || ApiError::Invalid {
        field: "Idempotency-Key".into(),
        message: format!(
            "The Idempotency-Key header must be 1 to {MAX_KEY_CHARS} visible ASCII characters."
        ),
    };
    let key = value.to_str().map_err(|_| invalid())?.trim();
    if key.is_empty()
        || key.len() > MAX_KEY_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// Runs `create` at most once per idempotency key: the handler of a create route calls
/// this with the request's headers, a name of the route (e.g. `"POST /api/v1/clients"`)
/// and the raw body. `create` answers a status and a JSON body; a success (2xx) is stored
/// under the key and replayed to a repeated request; a refusal or failure releases the
/// key, so that the request may be corrected and sent again with it.
pub async fn idempotent<T, F, Fut>(
    state: &AppState,
    me: &Employee,
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
    create: F,
) -> Response
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let key = match key_of(headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let Some(key) = key else {
        return match create().await {
            Ok((status, value)) => (status, Json(value)).into_response(),
            Err(e) => e.into_response(),
        };
    };
    let body_hash = hex::encode(Sha256::digest(body));
    let claim = match tokens::claim_idempotency_key(&state.db, me.id, &key, route, &body_hash).await
    {
        Ok(claim) => claim,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let claim = match claim {
        IdempotencyClaim::Claimed(claim) => claim,
        IdempotencyClaim::Reused => {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for another request; use a new key for a new request.",
            )
        }
        IdempotencyClaim::InProgress => {
            return refusal(
                StatusCode::CONFLICT,
                "idempotency_key_in_progress",
                "A request with this Idempotency-Key is still being answered; retry in a moment.",
            )
        }
        IdempotencyClaim::Done { status, response } => {
            let mut answer = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                response,
            )
                .into_response();
            let h = answer.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            return answer;
        }
    };
    let outcome = create().await;
    let stored = match &outcome {
        Ok((status, value)) if status.is_success() => match serde_json::to_string(value) {
            Ok(json) => Some((status.as_u16(), json)),
            Err(_) => None,
        },
        _ => None,
    };
    let recorded = match &stored {
        Some((status, json)) => {
            tokens::finish_idempotency_key(&state.db, claim, *status, json).await
        }
        None => tokens::release_idempotency_key(&state.db, claim).await,
    };
    if let Err(e) = recorded {
        // The work is done (or refused); only its replay is lost. Say so in the log.
        tracing::error!(error = %e, "could not record an idempotency key's answer");
    }
    match (outcome, stored) {
        (Ok((status, _)), Some((_, json))) => {
            let mut answer = (status, json).into_response();
            answer
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            answer
        }
        (Ok((status, value)), None) => (status, Json(value)).into_response(),
        (Err(e), _) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HEADER, HeaderValue::from_str(key).unwrap());
        map
    }

    #[test]
    fn keys_are_short_visible_ascii() {
        assert_eq!(key_of(&HeaderMap::new()).unwrap(), None);
        assert_eq!(
            key_of(&headers(" order-42 ")).unwrap().as_deref(),
            Some("order-42")
        );
        assert!(key_of(&headers("")).is_err());
        assert!(key_of(&headers(&"k".repeat(MAX_KEY_CHARS))).is_ok());
        assert!(key_of(&headers(&"k".repeat(MAX_KEY_CHARS + 1))).is_err());
        let mut map = HeaderMap::new();
        map.insert(HEADER, HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
        assert!(key_of(&map).is_err());
    }
}
