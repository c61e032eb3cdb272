//! An in-process fake of the providers' APIs (Graph API for Messenger, Instagram and
//! WhatsApp; Twilio's REST API): records every request and answers as the documented
//! responses do, or with scripted answers (errors, 500s) queued by a test, or with faults:
//! slow answers, any status with any headers and body, a connection closed mid-answer.

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    /// When the request arrived (before any scripted delay).
    pub at: Instant,
}

/// How the fake answers a request instead of (or before) its documented answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, headers and raw body: an error, an HTML page, half a JSON document.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Waits this long, then answers as documented (Confab has given up by then when it
    /// is longer than its timeout).
    Delay(Duration),
    /// A 200 whose body stops after these bytes: the connection is closed mid-answer.
    /// The request was read and taken (a real provider delivers the message to the lead
    /// and then sends its echo or status webhook): only the answer is lost.
    CutOff(String),
    /// Waits this long, then gives this answer (JSON): a provider slow to answer whose
    /// webhooks about the message may come first.
    Slow {
        wait: Duration,
        status: u16,
        body: String,
    },
}

impl Fault {
    pub fn answer(status: u16, content_type: &str, body: &str) -> Fault {
        Fault::Answer {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn json(status: u16, body: &str) -> Fault {
        Fault::answer(status, "application/json", body)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Fault {
        if let Fault::Answer { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// A fault for the requests whose path or body contains `needle` (any request when empty).
#[derive(Debug, Clone)]
struct Rule {
    needle: String,
    fault: Fault,
}

impl Rule {
    fn matches(&self, request: &Recorded) -> bool {
        request.path.contains(&self.needle) || request.body.contains(&self.needle)
    }
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
    /// Used once each, in order, by the first request that matches.
    scripted: Arc<Mutex<VecDeque<Rule>>>,
    /// Used by every matching request until `heal`.
    always: Arc<Mutex<Vec<Rule>>>,
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
        self.fault("", Fault::json(status, body));
    }

    /// The next request whose path or body contains `needle` meets `fault` (queued in
    /// order: the second such request meets the second fault queued for it).
    pub fn fault(&self, needle: &str, fault: Fault) {
        self.shared.scripted.lock().unwrap().push_back(Rule {
            needle: needle.into(),
            fault,
        });
    }

    /// Every request whose path or body contains `needle` meets `fault`, until `heal`.
    pub fn always(&self, needle: &str, fault: Fault) {
        self.shared.always.lock().unwrap().push(Rule {
            needle: needle.into(),
            fault,
        });
    }

    /// The provider is healthy again: no more faults, scripted or standing.
    pub fn heal(&self) {
        self.shared.scripted.lock().unwrap().clear();
        self.shared.always.lock().unwrap().clear();
    }

    /// How many sends reached the provider whose body contains `text` (what the lead
    /// would receive, cut connections included).
    pub fn sends_of(&self, text: &str) -> usize {
        self.requests_with(text).len()
    }

    /// The requests whose path or body contains `needle`, in the order they came.
    pub fn requests_with(&self, needle: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(needle) || r.body.contains(needle))
            .collect()
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
        at: Instant::now(),
    };
    let n = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(recorded.clone());
        requests.len()
    };
    let fault = {
        let mut scripted = shared.scripted.lock().unwrap();
        match scripted.iter().position(|r| r.matches(&recorded)) {
            Some(i) => scripted.remove(i).map(|r| r.fault),
            None => shared
                .always
                .lock()
                .unwrap()
                .iter()
                .find(|r| r.matches(&recorded))
                .map(|r| r.fault.clone()),
        }
    };
    match fault {
        Some(Fault::Answer {
            status,
            headers,
            body,
        }) => {
            let mut response =
                axum::response::Response::builder().status(StatusCode::from_u16(status).unwrap());
            for (name, value) in headers {
                response = response.header(name, value);
            }
            return response.body(Body::from(body)).unwrap();
        }
        Some(Fault::CutOff(start)) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from(start)),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "the fake provider hangs up",
                )),
            ];
            return axum::response::Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(futures::stream::iter(chunks)))
                .unwrap();
        }
        Some(Fault::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::Slow { wait, status, body }) => {
            tokio::time::sleep(wait).await;
            return (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                body,
            )
                .into_response();
        }
        None => {}
    }
    if let Some(rest) = recorded.path.strip_prefix("/cdn/redirect/") {
        // Twilio's media URLs answer with a redirect to the file on its CDN.
        return (
            StatusCode::TEMPORARY_REDIRECT,
            [("location", format!("/cdn/{rest}"))],
        )
            .into_response();
    }
    if let Some(big) = recorded.path.strip_prefix("/cdn/big-") {
        // A large document a lead sent: `/cdn/big-{MB}-{anything}.pdf`, that many MB.
        let mb: usize = big
            .split('-')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        return (
            StatusCode::OK,
            [("content-type", "application/pdf")],
            vec![b'%'; mb * 1024 * 1024],
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
        if let Some(mb) = media_id.strip_prefix("2600") {
            // A document of `{MB}` megabytes (media id 2600{MB}).
            serde_json::json!({
                "messaging_product": "whatsapp", "id": media_id, "mime_type": "application/pdf",
                "url": format!("http://{host}/cdn/big-{mb}-{media_id}.pdf"),
                "file_size": mb.parse::<usize>().unwrap_or(1) * 1024 * 1024
            })
        } else {
            serde_json::json!({
                "messaging_product": "whatsapp", "id": media_id, "mime_type": "image/jpeg",
                "url": format!("http://{host}/cdn/wa-{media_id}.jpg"), "file_size": 12
            })
        }
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
                // As WhatsApp: the wa_id may be another form of the number dialled (a
                // Brazilian mobile without its ninth digit, Mexico's `52` without the `1`);
                // a BSUID recipient comes back as `user_id`.
                "contacts": [if json.get("recipient").is_some() {
                    serde_json::json!({ "input": json["recipient"], "user_id": json["recipient"] })
                } else {
                    serde_json::json!({ "input": json["to"], "wa_id": whatsapp_wa_id(json["to"].as_str().unwrap_or_default()) })
                }],
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

/// The wa_id WhatsApp answers for a number it was sent to: the digits, without the ninth
/// digit of a Brazilian mobile (`55 DD 9NNNNNNNN`) and the `1` of a Mexican one (`521`),
/// as accounts registered before those numbering changes are known.
fn whatsapp_wa_id(to: &str) -> String {
    let digits = to.trim_start_matches('+');
    let b = digits.as_bytes();
    if digits.len() == 13
        && digits.starts_with("55")
        && b[4] == b'9'
        && (b'6'..=b'9').contains(&b[5])
    {
        format!("{}{}", &digits[..4], &digits[5..])
    } else if digits.len() == 13 && digits.starts_with("521") {
        format!("52{}", &digits[3..])
    } else {
        digits.to_owned()
    }
}
