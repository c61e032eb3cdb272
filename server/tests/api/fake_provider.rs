//! An in-process fake of the providers' APIs (Graph API for Messenger, Instagram and
//! WhatsApp; Twilio's REST API): records every request and answers as the documented
//! responses do, or with scripted answers (errors, 500s) queued by a test.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    scripted: Arc<Mutex<VecDeque<(u16, String)>>>,
}

pub struct FakeProvider {
    pub url: String,
    shared: Shared,
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        let shared = Shared::default();
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeProvider { url, shared }
    }

    /// The next answers, in order, before the documented default answers resume.
    pub fn script(&self, status: u16, body: &str) {
        self.shared
            .scripted
            .lock()
            .unwrap()
            .push_back((status, body.to_owned()));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(recorded.clone());
        requests.len()
    };
    if let Some((status, body)) = shared.scripted.lock().unwrap().pop_front() {
        return (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    if let Some(rest) = recorded.path.strip_prefix("/cdn/redirect/") {
        // Twilio's media URLs answer with a redirect to the file on its CDN.
        return (
            StatusCode::TEMPORARY_REDIRECT,
            [("location", format!("/cdn/{rest}"))],
        )
            .into_response();
    }
    if let Some(name) = recorded.path.strip_prefix("/cdn/") {
        // Files a lead sent, as the provider's CDN serves them.
        let content_type = if name.ends_with(".html") {
            "text/html"
        } else {
            "image/png"
        };
        return (
            StatusCode::OK,
            [("content-type", content_type)],
            format!("file {name}"),
        )
            .into_response();
    }
    let json = recorded.json();
    let media_id = recorded.path.trim_start_matches('/');
    let body = if recorded.method == "GET"
        && !media_id.is_empty()
        && media_id.bytes().all(|b| b.is_ascii_digit())
    {
        // WhatsApp's media lookup: where the file of a media id is.
        let host = header("host").unwrap_or_default();
        serde_json::json!({
            "messaging_product": "whatsapp", "id": media_id, "mime_type": "image/jpeg",
            "url": format!("http://{host}/cdn/wa-{media_id}.jpg"), "file_size": 12
        })
    } else if recorded.method == "GET" && recorded.query.contains("fields=first_name") {
        // Messenger's User Profile API.
        serde_json::json!({ "first_name": "Jane", "last_name": "Doe", "id": recorded.path.trim_start_matches('/') })
    } else if recorded.method == "GET" && recorded.query.contains("fields=name%2Cusername") {
        // Instagram's user profile.
        serde_json::json!({ "name": "Ana Lima", "username": "ana.lima", "id": recorded.path.trim_start_matches('/') })
    } else if recorded.path.ends_with("/message_templates") {
        // The Graph API's template list, with one approved and one rejected template.
        serde_json::json!({ "data": [
            { "name": "order_ready", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY",
              "components": [{ "type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} está pronto." }], "id": "1" },
            { "name": "promo", "language": "en_US", "status": "REJECTED",
              "components": [{ "type": "BODY", "text": "Sale!" }], "id": "2" }
        ], "paging": { "cursors": { "before": "a", "after": "b" } } })
    } else if recorded.path.ends_with("/Messages.json") {
        // Twilio's documented create-message response, trimmed.
        serde_json::json!({ "sid": format!("SM{n:032}"), "status": "queued" })
    } else if json.get("messaging_product").is_some() {
        if json.get("status").is_some() {
            serde_json::json!({ "success": true })
        } else {
            serde_json::json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": json["to"], "wa_id": json["to"].as_str().unwrap_or_default().trim_start_matches('+') }],
                "messages": [{ "id": format!("wamid.fake{n}") }]
            })
        }
    } else if json.get("sender_action").is_some() {
        serde_json::json!({ "recipient_id": json["recipient"]["id"] })
    } else {
        serde_json::json!({ "recipient_id": json["recipient"]["id"], "message_id": format!("m_fake{n}") })
    };
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}
