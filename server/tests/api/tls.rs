//! HTTPS: with `CONFAB_TLS_CERT` and `CONFAB_TLS_KEY` set, Confab speaks HTTP/2 and
//! HTTP/1.1 over TLS (ALPN), and a client that fails its handshake harms nobody else.
//! The certificate is the self-signed test one in `server/tests/fixtures/tls/`.

use crate::helpers::{spawn_app_with, TestApp};
use futures::StreamExt;
use reqwest::Version;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn spawn_https_app() -> TestApp {
    let (cert, key) = (fixture("cert.pem"), fixture("key.pem"));
    let mut app = spawn_app_with(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &key)]).await;
    app.address = app.address.replacen("http://", "https://", 1);
    app
}

/// A browser-like client that trusts only the test certificate; HTTP/2 when the server
/// offers it, unless `http1_only`.
fn https_client(http1_only: bool) -> reqwest::Client {
    let pem = std::fs::read(fixture("cert.pem")).unwrap();
    let builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30));
    let builder = if http1_only {
        builder.http1_only()
    } else {
        builder
    };
    builder.build().unwrap()
}

/// Signs in as the demo agent the way a browser does (with an Origin header, which over
/// HTTP/2 must be checked against `:authority`: there is no Host header).
async fn sign_in(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    let response = client
        .post(app.url("/api/login"))
        .header("accept", "application/json")
        .header("origin", &app.address)
        .form(&[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "login failed: {}",
        response.status()
    );
    response
}

#[tokio::test]
async fn health_and_pages_are_served_over_http2() {
    let app = spawn_https_app().await;
    let client = https_client(false);

    let health = client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.version(), Version::HTTP_2);

    let page = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.version(), Version::HTTP_2);
    assert!(page.text().await.unwrap().contains("<html"));
}

#[tokio::test]
async fn an_http1_only_client_is_served_over_https_too() {
    let app = spawn_https_app().await;
    let client = https_client(true);

    let health = client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.version(), Version::HTTP_11);
    let page = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.version(), Version::HTTP_11);
}

#[tokio::test]
async fn signing_in_and_the_live_stream_work_over_http2() {
    let app = spawn_https_app().await;
    let agent = https_client(false);

    let login = sign_in(&app, &agent).await;
    assert_eq!(login.version(), Version::HTTP_2);
    // HTTPS makes the session cookie Secure (public_url follows the scheme), with the
    // `__Host-` name.
    let cookie =
        crate::helpers::set_cookie(&login, "__Host-confab_session").expect("a session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");

    let stream = agent
        .get(app.url("/api/events"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.version(), Version::HTTP_2);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut stream = stream.bytes_stream();

    // A lead writes (the webhook over HTTP/2 too, on its own connection).
    let channel = app.sandbox_channel().await;
    let lead = crate::helpers::test_lead("lead-over-h2");
    let webhook = https_client(false)
        .post(app.url(&format!("/webhooks/sandbox/{channel}")))
        .header("cookie", lead.cookie())
        .json(&serde_json::json!({
            "type": "message", "lead_id": lead.id, "name": "H2 Lead",
            "message_id": "msg-h2-0001", "text": "hello over h2"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 200);
    assert_eq!(webhook.version(), Version::HTTP_2);

    let mut received = String::new();
    let arrived = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.next().await {
            received.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if received.contains("hello over h2") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(arrived, Ok(true), "the event did not arrive: {received:?}");
    assert!(received.contains("data:"), "{received:?}");
}

#[tokio::test]
async fn bad_and_slow_handshakes_do_not_stop_the_server() {
    let app = spawn_https_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let client = https_client(false);

    // A client that connects and says nothing holds its handshake task, not the server.
    let silent = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    // Plain HTTP to the HTTPS port fails its handshake.
    let plain = crate::helpers::client()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
    // So does garbage.
    let mut garbage = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x00\x05hello, not a ClientHello")
        .await
        .unwrap();
    let _ = garbage.shutdown().await;

    for _ in 0..3 {
        let health = client.get(app.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(health.version(), Version::HTTP_2);
    }
    // A fresh connection is accepted too (not one kept from before).
    let fresh = https_client(true)
        .get(app.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    drop(silent);
}
