//! Hostile input on every route that reads a body: the webhooks of every channel kind (the
//! sandbox's too, signed and unsigned), the `/api/v1` JSON API, file uploads and every
//! server function. Each gets JSON nested 10,000 levels deep, a body just over the route's
//! cap, a huge JSON array under it, invalid UTF-8, a wrong content type and unknown fields.
//! Each must answer a 4xx that explains itself without internals, never a 5xx, the server
//! must go on answering, and nothing may be stored.

use crate::channels::{Channels, PAGE_ID};
use crate::helpers::{client, spawn_app, TestApp};
use app::channels::ChannelKind;
use confab::channels::inbound::signature::{hub_signature, twilio_signature};

/// The test channels' secrets, as `crate::channels::Channels::add` connects them.
const APP_SECRET: &str = "test_app_secret_key";
const AUTH_TOKEN: &str = "12345";
const PUBLIC_URL: &str = "https://inbox.example.com";

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// `{"a":{"a":…}}`, `levels` deep (10,000 levels is 60,000 bytes).
fn deep_json(levels: usize) -> Vec<u8> {
    let mut body = "{\"a\":".repeat(levels);
    body.push('1');
    body.push_str(&"}".repeat(levels));
    body.into_bytes()
}

/// `[0,0,…]`, as many zeros as fit in `bytes`.
fn huge_array(bytes: usize) -> Vec<u8> {
    let mut body = "[0".to_owned();
    body.push_str(&",0".repeat((bytes - 3) / 2));
    body.push(']');
    assert!(body.len() <= bytes);
    body.into_bytes()
}

/// One hostile request: what it is, its content type and body.
struct Attack {
    name: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Attack {
    fn new(name: &'static str, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Attack {
            name,
            content_type,
            body: body.into(),
        }
    }
}

/// The attacks on a JSON route with a body cap of `cap` bytes. `valid` is a body the
/// route would take; `unknown` is `valid` with a field the route does not know.
fn json_attacks(cap: usize, valid: &str, unknown: &str) -> Vec<Attack> {
    assert!(
        deep_json(10_000).len() < cap,
        "the deep JSON fits under the cap"
    );
    vec![
        Attack::new("JSON 10,000 levels deep", JSON, deep_json(10_000)),
        Attack::new("a body just over the cap", JSON, vec![b' '; cap + 1]),
        Attack::new(
            "a huge JSON array under the cap",
            JSON,
            huge_array(cap - 16),
        ),
        Attack::new(
            "invalid UTF-8",
            JSON,
            [&b"{\"text\":\""[..], b"\xff\xfe\xc3\x28", b"\"}"].concat(),
        ),
        Attack::new("a wrong content type (text/plain)", "text/plain", valid),
        Attack::new("a wrong content type (form)", FORM, valid),
        Attack::new("a wrong content type (XML)", "application/xml", valid),
        Attack::new("unknown fields", JSON, unknown),
    ]
}

/// A client that opens a new connection for every request. The server answers a refusal
/// without reading the rest of the body (a 413 by its length, a 401 before the body) and
/// then closes the connection; a client that reused it would see that as an error.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Sends `attack` with `headers`, on a connection of its own; the status and the text.
async fn send(url: &str, attack: &Attack, headers: &[(&str, String)]) -> (u16, String) {
    let mut request = fresh_client()
        .post(url)
        .header("content-type", attack.content_type)
        .header("accept", "application/json")
        .body(attack.body.clone());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = match request.send().await {
        Ok(response) => response,
        // The server refused by the length and closed while the client was still writing
        // the body (a race a loaded machine loses now and then): ask again with the
        // headers alone, which is all the server reads before such a refusal.
        Err(e) if e.is_request() && attack.body.len() > 64 * 1024 => {
            return send_headers_only(url, attack, headers).await
        }
        Err(e) => panic!(
            "{url}, {}: no answer (did the server crash?): {e:?}",
            attack.name
        ),
    };
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The request line and headers of `attack` (its `Content-Length` included) without its
/// body; the status and the text of the answer.
async fn send_headers_only(
    url: &str,
    attack: &Attack,
    headers: &[(&str, String)],
) -> (u16, String) {
    crate::helpers::post_headers_only(url, attack.content_type, attack.body.len(), headers).await
}

/// Words that would show internals: a panic, a backtrace, source paths, the database.
const INTERNALS: &[&str] = &[
    "panicked",
    "backtrace",
    "RUST_BACKTRACE",
    ".rs:",
    "src/",
    "sqlx",
    "sqlite",
    "SQLITE",
    "thread '",
    "called `",
];

/// A refusal: a 4xx (never a 5xx) with a non-empty answer that shows no internals.
fn assert_refused(what: &str, status: u16, body: &str) {
    assert!(
        (400..500).contains(&status),
        "{what}: expected a 4xx, got {status}: {}",
        &body[..body.len().min(300)]
    );
    assert_readable(what, status, body);
}

fn assert_readable(what: &str, status: u16, body: &str) {
    assert!(
        !body.trim().is_empty(),
        "{what}: {status} with an empty answer"
    );
    for word in INTERNALS {
        assert!(
            !body.contains(word),
            "{what}: the answer shows internals ({word}): {}",
            &body[..body.len().min(300)]
        );
    }
    // JSON refusals carry a sentence (`message`, or the `AppError` of a server function).
    if status < 400 {
        return;
    }
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let sentence = json["message"]
            .as_str()
            .or_else(|| json["Validation"]["message"].as_str())
            .or_else(|| json.as_str());
        assert!(
            sentence.is_some_and(|s| !s.trim().is_empty()),
            "{what}: a JSON answer without a sentence: {body}"
        );
    }
}

/// Every stored row of every table but sessions (each sign-in adds one), without
/// `api_tokens.last_used_at` (using a token stamps it), as `confab export` writes them on
/// either backend: a change anywhere shows as a difference.
async fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    let mut export = Vec::new();
    app::transfer::export(&app.db, &mut export).await.unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut skip_column = None;
    for line in String::from_utf8(export).unwrap().lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(table) = value["table"].as_str() {
            skip_column = value["columns"]
                .as_array()
                .and_then(|c| c.iter().position(|c| c == "last_used_at"));
            out.push((table.to_owned(), String::new()));
            continue;
        }
        let (Some((table, rows)), Some(row)) = (out.last_mut(), value.as_array_mut()) else {
            continue;
        };
        if table == "sessions" {
            continue;
        }
        if let Some(i) = skip_column {
            row.remove(i);
        }
        rows.push_str(&serde_json::Value::Array(row.clone()).to_string());
        rows.push('\n');
    }
    out
}

/// The rows of what a hostile request could leave behind, by table.
async fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in ["messages", "conversations", "contacts", "clients"] {
        out.push((
            table,
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
        ));
    }
    out
}

/// What is stored: the rows of the tables hostile input would fill, and everything.
type Stored = (Vec<(&'static str, i64)>, Vec<(String, String)>);

/// Nothing changed since `before` (and the server still answers).
async fn assert_unchanged(app: &TestApp, before: &Stored) {
    assert_eq!(counts(app).await, before.0, "rows were stored");
    let after = snapshot(app).await;
    for ((table, was), (_, now)) in before.1.iter().zip(&after) {
        assert!(
            was == now,
            "{table} changed:\n before {}\n after  {}",
            &was[..was.len().min(500)],
            &now[..now.len().min(500)]
        );
    }
    assert_eq!(before.1.len(), after.len());
    let health = client().get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server still answers");
}

async fn state(app: &TestApp) -> Stored {
    (counts(app).await, snapshot(app).await)
}

#[tokio::test]
async fn the_sandbox_webhook_refuses_hostile_bodies_and_stores_nothing() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    // From the lead's own browser: past the cookie check, to the body's.
    let lead = crate::helpers::test_lead("lead-hostile-01");
    let cookie = [("cookie", lead.cookie())];
    let valid = format!(
        r#"{{"type":"message","lead_id":"{}","name":"Eve","message_id":"msg-hostile-001","text":"hi"}}"#,
        lead.id
    );
    let unknown = valid.replace(r#""text":"hi""#, r#""text":"hi","admin":true"#);
    let (valid, unknown) = (valid.as_str(), unknown.as_str());
    let before = state(&app).await;
    for attack in json_attacks(confab::routes::MAX_WEBHOOK_BYTES, valid, unknown) {
        let (status, body) = send(&url, &attack, &cookie).await;
        assert_refused(&format!("sandbox webhook, {}", attack.name), status, &body);
        if attack.name.contains("over the cap") {
            assert_eq!(status, 413, "{body}");
            assert!(body.contains("\"too_large\""), "not the API's JSON: {body}");
        }
    }
    assert_unchanged(&app, &before).await;
    // The route itself still works.
    let ok = send(&url, &Attack::new("valid", JSON, valid), &cookie).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
}

/// A Meta webhook's `X-Hub-Signature-256` for `body`, as Meta computes it.
fn meta_signature(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![("x-hub-signature-256", hub_signature(APP_SECRET, body))]
}

/// A Twilio webhook's `X-Twilio-Signature` for `body` posted to `channel`.
fn twilio_signature_for(channel: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let url = format!("{PUBLIC_URL}/webhooks/twilio_sms/{channel}");
    vec![(
        "x-twilio-signature",
        twilio_signature(AUTH_TOKEN, &url, &params),
    )]
}

#[tokio::test]
async fn provider_webhooks_refuse_hostile_bodies_signed_or_not_and_store_nothing() {
    let t = Channels::start().await;
    let app = &t.app;
    let cap = confab::routes::MAX_WEBHOOK_BYTES;
    let mut meta = Vec::new();
    for kind in [
        ChannelKind::Messenger,
        ChannelKind::Instagram,
        ChannelKind::Whatsapp,
    ] {
        meta.push((kind, t.add(kind, true).await));
    }
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let before = state(app).await;

    for (kind, channel) in &meta {
        let url = app.url(&format!("/webhooks/{}/{channel}", kind.as_str()));
        let object = match kind {
            ChannelKind::Messenger => "page",
            ChannelKind::Instagram => "instagram",
            _ => "whatsapp_business_account",
        };
        let valid = format!(r#"{{"object":"{object}","entry":[]}}"#);
        // Unknown fields only: nothing a provider event is made of.
        let unknown = format!(
            r#"{{"object":"{object}","entry":[{{"id":"{PAGE_ID}","time":1,"surprise":{{"a":[1,2]}}}}],"admin":true}}"#
        );
        for attack in json_attacks(cap, &valid, &unknown) {
            let what = format!("{} webhook, {}", kind.as_str(), attack.name);
            // Without the app secret's signature nothing is even parsed.
            let (status, body) = send(&url, &attack, &[]).await;
            assert_refused(&format!("{what}, unsigned"), status, &body);
            // Signed: what a provider (or someone holding the secret) could send.
            let signed = meta_signature(&attack.body);
            let (status, body) = send(&url, &attack, &signed).await;
            if attack.name == "unknown fields" {
                // Providers add fields without notice: a signed event with fields Confab
                // does not know is taken, and its unknown parts are ignored (here: all).
                assert!(status < 500, "{what}, signed: {status} {body}");
                assert_readable(&format!("{what}, signed"), status, &body);
            } else {
                assert_refused(&format!("{what}, signed"), status, &body);
            }
            if attack.name.contains("over the cap") {
                assert_eq!(status, 413, "{what}: {body}");
                assert!(body.contains("\"too_large\""), "{what}: not JSON: {body}");
            }
        }
    }

    let url = app.url(&format!("/webhooks/twilio_sms/{twilio}"));
    let valid_form = "MessageSid=SMhostile0001&From=%2B14017122661&To=%2B15558675310&Body=hi";
    let mut twilio_attacks = vec![
        Attack::new("JSON 10,000 levels deep", JSON, deep_json(10_000)),
        Attack::new(
            "JSON 10,000 levels deep, as a form",
            FORM,
            deep_json(10_000),
        ),
        Attack::new("a body just over the cap", FORM, vec![b'a'; cap + 1]),
        Attack::new(
            "a huge JSON array under the cap",
            JSON,
            huge_array(cap - 16),
        ),
        Attack::new(
            "a huge form under the cap",
            FORM,
            "a=0&".repeat((cap - 16) / 4),
        ),
        Attack::new(
            "invalid UTF-8",
            FORM,
            [
                &b"MessageSid=SMhostile0002&From=%2B1401&Body="[..],
                b"\xff\xfe\xc3\x28",
            ]
            .concat(),
        ),
        Attack::new("a wrong content type (JSON)", JSON, valid_form),
        Attack::new(
            "a wrong content type (text/plain)",
            "text/plain",
            valid_form,
        ),
        Attack::new(
            "unknown fields",
            FORM,
            "Surprise=1&Admin=true&Delete=everything",
        ),
    ];
    for attack in twilio_attacks.drain(..) {
        let what = format!("twilio_sms webhook, {}", attack.name);
        let (status, body) = send(&url, &attack, &[]).await;
        assert_refused(&format!("{what}, unsigned"), status, &body);
        let signed = twilio_signature_for(twilio, &attack.body);
        let (status, body) = send(&url, &attack, &signed).await;
        assert_refused(&format!("{what}, signed"), status, &body);
        if attack.name.contains("over the cap") {
            assert_eq!(status, 413, "{what}: {body}");
        }
    }
    assert_unchanged(app, &before).await;
}

#[tokio::test]
async fn the_json_api_refuses_hostile_bodies_and_changes_nothing() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let (status, token) = app
        .call(
            &agent,
            "create_my_token",
            &[
                ("name", "Hostile"),
                ("scopes[0]", "conversations:read"),
                ("scopes[1]", "conversations:write"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let token = token.as_str().unwrap().to_owned();
    let lead = app
        .lead_writes("lead-hostile-api", "msg-hostile-api1", "Hi")
        .await;
    assert_eq!(lead.status(), 200);
    let id = app.conversation_of("lead-hostile-api").await;
    let cap = confab::api::MAX_API_BODY_BYTES;
    let before = state(&app).await;
    let bearer = [("authorization", format!("Bearer {token}"))];
    for (route, valid, unknown) in [
        (
            "messages",
            r#"{"body":"hello"}"#,
            r#"{"body":"hello","sender":"someone else"}"#,
        ),
        ("archive", "{}", r#"{"status":"archived"}"#),
        ("reopen", "{}", r#"{"status":"open","force":true}"#),
    ] {
        let url = app.url(&format!("/api/v1/conversations/{id}/{route}"));
        for attack in json_attacks(cap, valid, unknown) {
            let what = format!("/api/v1 {route}, {}", attack.name);
            let (status, body) = send(&url, &attack, &[]).await;
            assert_eq!(status, 401, "{what}, without a token: {body}");
            assert_readable(&what, status, &body);
            let (status, body) = send(&url, &attack, &bearer).await;
            assert_refused(&what, status, &body);
            let expected = match attack.name {
                n if n.contains("over the cap") => Some(413),
                n if n.contains("wrong content type") => Some(415),
                _ => None,
            };
            if let Some(expected) = expected {
                assert_eq!(status, expected, "{what}: {body}");
            }
        }
    }
    assert_unchanged(&app, &before).await;
    // And the API still does its work.
    let ok = send(
        &app.url(&format!("/api/v1/conversations/{id}/archive")),
        &Attack::new("no body", JSON, ""),
        &bearer,
    )
    .await;
    assert_eq!(ok.0, 200, "{}", ok.1);
}

#[tokio::test]
async fn file_uploads_refuse_hostile_bodies_and_store_nothing() {
    let app = spawn_app().await;
    let owner = [app
        .session_cookie(app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD)
        .await];
    app.lead_writes("lead-hostile-file", "msg-hostile-file", "Hi")
        .await;
    let id = app.conversation_of("lead-hostile-file").await;
    let files_before = walk(&app.media_dir);
    let before = state(&app).await;
    let url = |query: &str| app.url(&format!("/media/send/{id}?{query}"));
    let cap = confab::routes::MAX_UPLOAD_BYTES;
    // The body of an upload is the file: any bytes are fine (invalid UTF-8 too); its type,
    // its size and the query's fields are what can be wrong.
    let cases = [
        (
            "name=x.json",
            Attack::new("JSON 10,000 levels deep", JSON, deep_json(10_000)),
        ),
        (
            "name=x.png",
            Attack::new("a body just over the cap", "image/png", vec![0; cap + 1]),
        ),
        (
            "name=x.json",
            Attack::new("a huge JSON array", JSON, huge_array(1024 * 1024)),
        ),
        (
            "name=x.html",
            Attack::new(
                "a wrong content type (HTML)",
                "text/html",
                "<script>alert(1)</script>",
            ),
        ),
        (
            "name=x.svg",
            Attack::new(
                "a wrong content type (SVG)",
                "image/svg+xml",
                "<svg onload=alert(1)/>",
            ),
        ),
        (
            "name=x.png&admin=true",
            Attack::new("unknown fields", "image/png", vec![0x89, b'P', b'N', b'G']),
        ),
        (
            "",
            Attack::new("no file name", "image/png", vec![0x89, b'P', b'N', b'G']),
        ),
    ];
    for (query, attack) in &cases {
        let what = format!("/media/send, {}", attack.name);
        let (status, body) = send(&url(query), attack, &owner).await;
        assert_refused(&what, status, &body);
        if attack.name.contains("over the cap") {
            assert_eq!(status, 413, "{what}: {body}");
        }
        if attack.name.contains("wrong content type") || attack.name.contains("JSON") {
            assert_eq!(status, 415, "{what}: {body}");
        }
    }
    assert_unchanged(&app, &before).await;
    assert_eq!(walk(&app.media_dir), files_before, "no file was written");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The server functions whose arguments are all optional: a body of unknown fields is a
/// call without arguments to them (lists, who am I, sign out), as serde reads it. They
/// change nothing stored (signing out ends only the caller's own sessions).
const WITHOUT_REQUIRED_ARGUMENTS: &[&str] = &[
    "/api/current_employee",
    "/api/first_hour",
    "/api/inbox_attention",
    "/api/list_calls",
    "/api/list_clients",
    "/api/list_webhook_subscriptions",
    "/api/list_my_tokens",
    "/api/list_team_tokens",
    "/api/logout",
    "/api/logout_everywhere",
    "/api/my_channels",
    "/api/sandbox_channels",
    "/api/sandbox_lead",
    "/api/saved_replies",
    "/api/set_my_language",
    "/api/settings_team",
    "/api/setup_needed",
];

#[tokio::test]
async fn every_server_function_refuses_hostile_bodies_and_changes_nothing() {
    let app = spawn_app().await;
    let mut paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method == axum::http::Method::POST)
        .map(|(path, _)| path)
        .collect();
    paths.sort();
    for expected in ["/api/login", "/api/send_message", "/api/create_channel"] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let cap = confab::middleware::MAX_SERVER_FN_BYTES;
    let owner = vec![
        app.session_cookie(app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD)
            .await,
    ];
    let before = state(&app).await;
    let attacks = [
        (
            Attack::new("JSON 10,000 levels deep", JSON, deep_json(10_000)),
            Some(400),
        ),
        (
            Attack::new("a body just over the cap", FORM, vec![b'a'; cap + 1]),
            Some(413),
        ),
        (
            Attack::new("a JSON body just over the cap", JSON, vec![b' '; cap + 1]),
            Some(413),
        ),
        (
            Attack::new(
                "a huge JSON array under the cap",
                JSON,
                huge_array(cap - 16),
            ),
            Some(400),
        ),
        (
            Attack::new(
                "a huge form under the cap",
                FORM,
                "a=0&".repeat((cap - 16) / 4),
            ),
            None,
        ),
        (
            Attack::new(
                "invalid UTF-8 in a form",
                FORM,
                &b"body=\xff\xfe\xc3\x28"[..],
            ),
            Some(400),
        ),
        (
            Attack::new(
                "invalid UTF-8 in JSON",
                JSON,
                &b"{\"body\":\"\xff\xfe\xc3\x28\"}"[..],
            ),
            Some(400),
        ),
        (
            Attack::new("a wrong content type (text/plain)", "text/plain", "id=1"),
            Some(415),
        ),
        (
            Attack::new(
                "a wrong content type (XML)",
                "application/xml",
                "<id>1</id>",
            ),
            Some(415),
        ),
        (
            Attack::new(
                "a wrong content type (multipart)",
                "multipart/form-data; boundary=x",
                "--x--",
            ),
            Some(415),
        ),
        (
            Attack::new("unknown fields in a form", FORM, "zz_unknown=1&admin=true"),
            None,
        ),
        (
            Attack::new(
                "unknown fields in JSON",
                JSON,
                r#"{"zz_unknown":1,"admin":true}"#,
            ),
            None,
        ),
    ];
    let mut taken = Vec::new();
    for path in &paths {
        let url = app.url(path);
        for (attack, expected) in &attacks {
            let what = format!("{path}, {}", attack.name);
            // Signing out with a body of unknown fields signs the caller out (and only
            // them): such calls get a throwaway session.
            let signs_out = path.starts_with("/api/logout") && expected.is_none();
            let caller = if signs_out {
                vec![
                    app.session_cookie(app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD)
                        .await,
                ]
            } else {
                owner.clone()
            };
            for (who, headers) in [("signed in", caller), ("anonymous", Vec::new())] {
                let what = format!("{what}, {who}");
                let (status, body) = send(&url, attack, &headers).await;
                assert!(status < 500, "{what}: {status} {body}");
                assert_readable(&what, status, &body);
                match expected {
                    Some(expected) => assert_eq!(status, *expected, "{what}: {body}"),
                    None if status < 400 => {
                        taken.push(format!("{path} ({who})"));
                        assert!(
                            WITHOUT_REQUIRED_ARGUMENTS.contains(path),
                            "{what} was taken: {status} {body}"
                        );
                    }
                    None => {}
                }
            }
        }
    }
    eprintln!("taken as calls without arguments: {taken:?}");
    assert_unchanged(&app, &before).await;
    // The refusal is in the caller's language, as the function's own would be.
    let (status, body) = send(
        &app.url("/api/send_message"),
        &Attack::new("text/plain", "text/plain", "conversation_id=1&body=oi"),
        &[("accept-language", "pt-BR,pt;q=0.9".to_owned())],
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("A solicitação não foi entendida"), "{body}");
    // The owner's own session was never touched, and functions still work.
    let (status, body) = send(
        &app.url("/api/list_conversations"),
        &Attack::new("valid", FORM, "status=open"),
        &owner,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
