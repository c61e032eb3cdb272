//! Request guards that apply to every route: pages need a session, state-changing requests
//! must come from our own origin, and every response carries basic security headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Pages anyone may open; everything else needs a signed-in employee.
fn is_public_page(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/sandbox" | "/health")
}

/// Paths that are not pages: server functions and APIs check their own access.
fn is_not_a_page(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/webhooks/")
        || path.starts_with("/media/")
        || path.starts_with("/pkg/")
        || path.starts_with("/sandbox/")
        // static assets from public/ (favicon.svg, …)
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Sends page requests without a session to the sign-in page, and signed-in employees
/// away from it.
pub async fn require_session_for_pages(
    State(state): State<app::state::AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if request.method() != Method::GET || is_not_a_page(&path) {
        return next.run(request).await;
    }
    let employee = app::auth::session::employee_id_of(&session).await;
    if path == "/login" && employee.is_some() {
        return Redirect::to("/conversations").into_response();
    }
    // A business with no owner yet has nobody to sign in: its way in is the setup page.
    if path == "/login"
        && !app::setup::store::has_owner(&state.db)
            .await
            .unwrap_or(true)
    {
        return Redirect::to("/setup").into_response();
    }
    if is_public_page(&path) {
        return next.run(request).await;
    }
    let Some(employee) = employee else {
        return Redirect::to("/login").into_response();
    };
    // The page itself explains the refusal; the status tells the browser and tools.
    let refused = match section_permission(&path) {
        Some(permission) => !app::auth::store::active_employee(&state.db, employee)
            .await
            .ok()
            .flatten()
            .is_some_and(|e| e.can(permission)),
        None => false,
    };
    let mut response = next.run(request).await;
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::FORBIDDEN;
    }
    response
}

/// The permission a section's pages need.
fn section_permission(path: &str) -> Option<app::employees::Permission> {
    use app::employees::Permission;
    let in_section = |section: &str| path == section || path.starts_with(&format!("{section}/"));
    if in_section("/conversations") {
        Some(Permission::Conversations)
    } else if in_section("/settings") {
        Some(Permission::Settings)
    } else {
        None
    }
}

/// The scheme Confab is served with, from `CONFAB_PUBLIC_URL` ("https" or "http"): an
/// origin is the scheme too, so `http://host` is another site than `https://host`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicScheme(pub &'static str);

impl PublicScheme {
    pub fn of(public_url: &str) -> Self {
        PublicScheme(if public_url.starts_with("https://") {
            "https"
        } else {
            "http"
        })
    }
}

/// Leptos server functions do no Origin check by design: refuse state-changing requests
/// that a browser marks as coming from another site. Webhooks come from providers and
/// carry their own signatures.
pub async fn same_origin_only(
    State(scheme): State<PublicScheme>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path().starts_with("/webhooks/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return forbidden_cross_site();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // HTTP/2 has no Host header: browsers send `:authority`, which is in the URI.
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or_default();
        // Host names are case-insensitive; the scheme must be the public URL's (a page
        // served over plain http must not act on an https server's session).
        let same = origin
            .split_once("://")
            .is_some_and(|(origin_scheme, origin_host)| {
                origin_scheme.eq_ignore_ascii_case(scheme.0)
                    && !host.is_empty()
                    && origin_host.eq_ignore_ascii_case(host)
            });
        if !same {
            return forbidden_cross_site();
        }
    }
    next.run(request).await
}

fn forbidden_cross_site() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({
            "code": "cross_site",
            "message": "This request came from another site and was refused."
        })),
    )
        .into_response()
}

/// The largest body a server function takes: its arguments are a few short fields (a reply
/// is at most 1,000 characters); files go to `/media/send`.
pub const MAX_SERVER_FN_BYTES: usize = 64 * 1024;

/// Server functions answer every error with 500; give an `AppError` the status it means
/// (401, 403, 404, 409, 422) so that clients and logs can tell a refusal from a fault.
/// Before that, their bodies are checked (see [`checked_server_fn_body`]).
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn =
        request.uri().path().starts_with("/api/") && request.method() == Method::POST;
    let request = if is_server_fn && !request.uri().path().starts_with("/api/v1/") {
        match checked_server_fn_body(request).await {
            Ok(request) => request,
            Err(refusal) => return refusal,
        }
    } else {
        request
    };
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A server function's arguments come form-encoded (UTF-8) or as a JSON object, in at most
/// [`MAX_SERVER_FN_BYTES`]; Leptos would otherwise read up to 2 MB of anything and hand a
/// function with optional arguments whatever it could make of it. Refused here, before
/// any function runs: too large (413), another content type (415), a form that is not
/// UTF-8 or JSON that is not an object (too deep, an array, not JSON at all: 400). The
/// refusal is an `AppError`, in the request's language, which the browser's code can show.
async fn checked_server_fn_body(request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let too_large = || {
        refuse_server_fn_call(
            &parts,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {} KiB", MAX_SERVER_FN_BYTES / 1024),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_SERVER_FN_BYTES as u64) {
        return Err(too_large());
    }
    // Fails only above the cap, or when the client goes away (then nobody reads the answer).
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SERVER_FN_BYTES).await else {
        return Err(too_large());
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let refusal = match content_type.as_str() {
        "application/x-www-form-urlencoded" => std::str::from_utf8(&bytes).err().map(|_| {
            (
                StatusCode::BAD_REQUEST,
                "the form is not UTF-8 text".to_owned(),
            )
        }),
        "application/json" => {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes)
                .err()
                .map(|e| {
                    (
                        StatusCode::BAD_REQUEST,
                        format!("the body is not a JSON object ({e})"),
                    )
                })
        }
        "" if bytes.is_empty() => None,
        _ => Some((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the arguments as application/x-www-form-urlencoded or application/json"
                .to_owned(),
        )),
    };
    if let Some((status, cause)) = refusal {
        return Err(refuse_server_fn_call(&parts, status, &cause));
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// The answer to a server-function call refused before it ran: the `AppError` a function
/// gives for arguments it cannot read ("The request was not understood: …"), with `status`.
fn refuse_server_fn_call(
    parts: &axum::http::request::Parts,
    status: StatusCode,
    cause: &str,
) -> Response {
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    // The sentence is in the request's language, which the app reads from the request's
    // parts in the (reactive) context, as during a server function.
    let owner = leptos::prelude::Owner::new();
    let error = owner.with(|| {
        leptos::prelude::provide_context(parts.clone());
        app::error::AppError::from_server_fn_error(ServerFnErrorErr::Args(cause.to_owned()))
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        error.ser(),
    )
        .into_response()
}

/// `Strict-Transport-Security` for a server whose public URL is https: browsers then
/// never try it over plain http again for a year (subdomains included), so no one on the
/// network can strip TLS from a later visit.
pub async fn strict_transport_security(
    State(scheme): State<PublicScheme>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if scheme.0 == "https" {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The session cookie's name: over https the `__Host-` prefix makes browsers keep it
/// only when it is Secure, for `/` and without a Domain (no subdomain, and no page served
/// over plain http, can set or shadow it).
pub fn session_cookie_name(scheme: PublicScheme) -> &'static str {
    if scheme.0 == "https" {
        "__Host-confab_session"
    } else {
        "confab_session"
    }
}

/// The Content-Security-Policy of every response: our own scripts, the page's inline
/// hydration script by its per-response nonce, and the Wasm module; nothing from elsewhere.
/// Inline `style` attributes are allowed (the list's spacers get their height on the
/// server); `<style>` elements and inline event handlers are not. Files in `/media/` keep
/// their own stricter policy.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; \
         media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives the response a fresh CSP nonce (the page's hydration scripts carry it, see
/// `app::ui::shell`) and the security headers.
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = app::ui::CspNonce::generate();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(&nonce.0)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_non_pages_are_told_apart() {
        assert!(is_public_page("/login"));
        assert!(is_public_page("/sandbox"));
        assert!(!is_public_page("/conversations"));
        assert!(is_not_a_page("/api/send_message"));
        assert!(is_not_a_page("/pkg/confab.wasm"));
        assert!(is_not_a_page("/favicon.svg"));
        assert!(!is_not_a_page("/conversations/12"));
    }

    #[test]
    fn https_public_urls_get_the_host_prefixed_cookie() {
        let https = PublicScheme::of("https://inbox.example.com");
        let http = PublicScheme::of("http://127.0.0.1:3000");
        assert_eq!(https, PublicScheme("https"));
        assert_eq!(http, PublicScheme("http"));
        assert_eq!(session_cookie_name(https), "__Host-confab_session");
        assert_eq!(session_cookie_name(http), "confab_session");
    }
}
