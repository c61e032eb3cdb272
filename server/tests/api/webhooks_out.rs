//! Outgoing webhooks (issue 22, point 5): a receiver in the test checks every delivery's
//! signature with its own implementation of the documented scheme (HMAC-SHA256 of
//! "t.body", compared in constant time, the timestamp within 5 minutes).

use crate::helpers::{eventually, spawn_app_with, TestApp};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver saw: each delivery's headers and JSON body, verified.
#[derive(Clone, Default)]
struct Received {
    deliveries: Arc<Mutex<Vec<(String, String, Value)>>>,
    /// Requests refused with a bad signature.
    forged: Arc<Mutex<usize>>,
    /// How many of the first requests to answer 500.
    fail_first: Arc<Mutex<usize>>,
    /// Every request, answered or not.
    requests: Arc<Mutex<usize>>,
}

/// The reference check of `Confab-Signature: t=<secs>,v1=<hex>`.
fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    use hmac::Mac;
    use subtle::ConstantTimeEq;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > 300 {
        return false;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(&v1).into()
}

/// Starts a receiver on `listener` that checks signatures with the secret in `secret`.
fn serve_receiver(
    listener: tokio::net::TcpListener,
    secret: Arc<Mutex<String>>,
    received: Received,
) {
    use axum::http::{HeaderMap, StatusCode};
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let secret = secret.clone();
            let received = received.clone();
            async move {
                *received.requests.lock().unwrap() += 1;
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64;
                let key = secret.lock().unwrap().clone();
                if !verify(&key, &header("confab-signature"), &body, now)
                    || header("content-type") != "application/json"
                {
                    *received.forged.lock().unwrap() += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                {
                    let mut fail = received.fail_first.lock().unwrap();
                    if *fail > 0 {
                        *fail -= 1;
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                }
                let json: Value = serde_json::from_slice(&body).unwrap();
                received.deliveries.lock().unwrap().push((
                    header("confab-event"),
                    header("confab-delivery"),
                    json,
                ));
                StatusCode::NO_CONTENT
            }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
}

const FAST: &[(&str, &str)] = &[
    ("CONFAB_WEBHOOKS_ALLOW_LOCAL", "true"),
    ("CONFAB_WEBHOOK_RETRY_SECS", "0.2"),
    ("CONFAB_WEBHOOK_POLL_SECS", "0.5"),
    ("CONFAB_WEBHOOK_TIMEOUT_SECS", "2"),
];

/// Subscribes `url` to `events` as the owner; the subscription's id and secret.
async fn subscribe(
    app: &TestApp,
    owner: &reqwest::Client,
    url: &str,
    events: &[&str],
) -> (i64, String) {
    let keys: Vec<String> = (0..events.len()).map(|i| format!("events[{i}]")).collect();
    let mut form = vec![("url", url), ("description", "CRM sync")];
    form.extend(keys.iter().map(String::as_str).zip(events.iter().copied()));
    let (status, created) = app.call(owner, "create_webhook_subscription", &form).await;
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (created["subscription"]["id"].as_i64().unwrap(), secret)
}

async fn log(app: &TestApp, owner: &reqwest::Client, id: i64) -> Vec<Value> {
    let (status, log) = app
        .call(owner, "list_webhook_deliveries", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{log}");
    log.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_inbound_message_is_delivered_signed_after_two_refusals() {
    let app = spawn_app_with(FAST).await;
    let owner = app.signed_in_owner().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    let secret = Arc::new(Mutex::new(String::new()));
    let received = Received::default();
    *received.fail_first.lock().unwrap() = 2;
    serve_receiver(listener, secret.clone(), received.clone());
    let (id, key) = subscribe(&app, &owner, &url, &["message_received"]).await;
    *secret.lock().unwrap() = key.clone();

    // The list never shows the secret.
    let (status, list) = app.call(&owner, "list_webhook_subscriptions", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&key), "{list}");

    assert_eq!(
        app.lead_writes("lead-hook-01", "msg-hook-0001", "Is my phone ready?")
            .await
            .status(),
        200
    );
    assert!(
        eventually(Duration::from_secs(20), || async {
            !received.deliveries.lock().unwrap().is_empty()
        })
        .await,
        "not delivered: {:?}",
        log(&app, &owner, id).await
    );
    let (event, delivery, body) = received.deliveries.lock().unwrap()[0].clone();
    assert_eq!(event, "message_received");
    assert_eq!(body["event"], "message_received");
    assert_eq!(body["id"], delivery.as_str());
    assert_eq!(body["data"]["text"], "Is my phone ready?", "{body}");
    assert_eq!(*received.forged.lock().unwrap(), 0);
    assert_eq!(*received.requests.lock().unwrap(), 3);
    let entries = log(&app, &owner, id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["attempts"], 3);
    assert_eq!(entries[0]["last_status"], 204);
    assert!(entries[0]["delivered_at"].is_i64());
    // Delivered once, however long we wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(received.deliveries.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_test_button_delivers_a_test_event_and_a_new_secret_signs_the_next() {
    let app = spawn_app_with(FAST).await;
    let owner = app.signed_in_owner().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    let secret = Arc::new(Mutex::new(String::new()));
    let received = Received::default();
    serve_receiver(listener, secret.clone(), received.clone());
    let (id, key) = subscribe(&app, &owner, &url, &["client_created"]).await;
    *secret.lock().unwrap() = key;
    let (status, body) = app
        .call(&owner, "send_webhook_test", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(Duration::from_secs(10), || async {
            received.deliveries.lock().unwrap().len() == 1
        })
        .await
    );
    assert_eq!(received.deliveries.lock().unwrap()[0].0, "test");

    let (status, new_key) = app
        .call(&owner, "rotate_webhook_secret", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{new_key}");
    *secret.lock().unwrap() = new_key.as_str().unwrap().to_owned();
    app.call(&owner, "send_webhook_test", &[("id", &id.to_string())])
        .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            received.deliveries.lock().unwrap().len() == 2
        })
        .await
    );
    assert_eq!(*received.forged.lock().unwrap(), 0);
}

#[tokio::test]
async fn urls_are_checked_and_employees_without_settings_see_nothing() {
    let app = spawn_app_with(FAST).await;
    let owner = app.signed_in_owner().await;
    for url in [
        "http://hooks.example.com/in",
        "https://10.0.0.7/in",
        "https://169.254.169.254/latest",
        "ftp://example.com/",
    ] {
        let (status, body) = app
            .call(
                &owner,
                "create_webhook_subscription",
                &[("url", url), ("events[0]", "client_created")],
            )
            .await;
        assert_eq!(status, 422, "{url}: {body}");
    }
    let (status, _) = app
        .call(
            &owner,
            "create_webhook_subscription",
            &[("url", "http://127.0.0.1:9/in"), ("events[0]", "test")],
        )
        .await;
    assert_eq!(status, 422, "the test event is not subscribable");
    let (id, _) = subscribe(&app, &owner, "http://127.0.0.1:9/in", &["client_created"]).await;

    let agent = app.signed_in_agent().await;
    let id = id.to_string();
    for (name, form) in [
        ("list_webhook_subscriptions", vec![]),
        (
            "create_webhook_subscription",
            vec![
                ("url", "http://127.0.0.1:9/x"),
                ("events[0]", "client_created"),
            ],
        ),
        ("list_webhook_deliveries", vec![("id", id.as_str())]),
        ("send_webhook_test", vec![("id", id.as_str())]),
        ("rotate_webhook_secret", vec![("id", id.as_str())]),
        (
            "set_webhook_subscription_active",
            vec![("id", id.as_str()), ("active", "false")],
        ),
        ("delete_webhook_subscription", vec![("id", id.as_str())]),
    ] {
        let (status, body) = app.call(&agent, name, &form).await;
        assert_eq!(status, 403, "{name}: {body}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_subscriptions")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_deliveries").await,
        0
    );
}

#[tokio::test]
async fn no_delivery_is_lost_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _schema) = crate::helpers::test_database(dir.path());
    let key = "ab".repeat(32);
    let mut settings: Vec<(&str, &str)> = FAST.to_vec();
    settings.push(("CONFAB_DATABASE_URL", &database_url));
    settings.push(("CONFAB_SECRET_KEY", &key));
    // The receiver is not there yet: the first attempt finds nobody.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let first = spawn_app_with(&settings).await;
    let owner = first.signed_in_owner().await;
    let (id, secret_key) = subscribe(&first, &owner, &url, &["message_received"]).await;
    assert_eq!(
        first
            .lead_writes("lead-boot-01", "msg-boot-0001", "hello")
            .await
            .status(),
        200
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            first
                .count("SELECT COUNT(*) FROM webhook_deliveries WHERE attempts >= 1 AND leased_by IS NULL")
                .await
                == 1
        })
        .await
    );
    drop(owner);
    drop(first);
    // Queued while no server runs, as by a change committed just before a crash.
    {
        let db = app::store::Db::connect(&database_url).await.unwrap();
        let mut conn = db.write.acquire().await.unwrap();
        app::integrations::outbox::enqueue(
            &mut conn,
            app::integrations::IntegrationEvent::MessageReceived,
            serde_json::json!({"text": "queued while stopped"}),
        )
        .await
        .unwrap();
        drop(conn);
        db.close().await;
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let secret = Arc::new(Mutex::new(secret_key));
    let received = Received::default();
    serve_receiver(listener, secret, received.clone());
    let second = spawn_app_with(&settings).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            received.deliveries.lock().unwrap().len() == 2
        })
        .await,
        "{} delivered",
        received.deliveries.lock().unwrap().len()
    );
    let texts: Vec<String> = received
        .deliveries
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, body)| body["data"]["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(texts.contains(&"hello".to_owned()), "{texts:?}");
    assert!(
        texts.contains(&"queued while stopped".to_owned()),
        "{texts:?}"
    );
    assert_eq!(*received.forged.lock().unwrap(), 0);
    let owner = second.signed_in_owner().await;
    assert!(log(&second, &owner, id)
        .await
        .iter()
        .all(|d| d["delivered_at"].is_i64()));
}

/// The events queued for delivery, oldest first: (event, data).
async fn queued(app: &TestApp) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, payload FROM webhook_deliveries ORDER BY id")
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(event, payload)| {
            let payload: Value = serde_json::from_str(&payload).unwrap();
            (event, payload["data"].clone())
        })
        .collect()
}

#[tokio::test]
async fn replies_and_archiving_reach_integrations() {
    let app = spawn_app_with(FAST).await;
    let owner = app.signed_in_owner().await;
    // Nobody listens there: what matters is what is queued, in the changes' transactions.
    subscribe(
        &app,
        &owner,
        "http://127.0.0.1:9/hook",
        &[
            "reply_sent",
            "reply_failed",
            "conversation_archived",
            "conversation_reopened",
        ],
    )
    .await;
    assert_eq!(
        app.lead_writes("lead-hook-reply", "msg-hook-reply", "Are you open?")
            .await
            .status(),
        200
    );
    let conversation = app.conversation_of("lead-hook-reply").await.to_string();
    let (status, body) = app
        .call(
            &owner,
            "send_message",
            &[("conversation_id", &conversation), ("body", "Until six.")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(Duration::from_secs(10), || async {
            queued(&app).await.iter().any(|(e, _)| e == "reply_sent")
        })
        .await,
        "{:?}",
        queued(&app).await
    );
    for (name, _) in [("archive_conversation", ()), ("reopen_conversation", ())] {
        let (status, body) = app.call(&owner, name, &[("id", &conversation)]).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let events = queued(&app).await;
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "reply_sent",
            "conversation_archived",
            "conversation_reopened"
        ],
        "no message_received: not subscribed"
    );
    assert_eq!(events[0].1["text"], "Until six.");
    assert_eq!(events[0].1["conversation_id"].to_string(), conversation);
    assert_eq!(events[1].1["by"], "employee");
    assert_eq!(events[2].1["conversation_id"].to_string(), conversation);
}
