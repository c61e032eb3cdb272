//! The `/api/v1` JSON API: tokens, the same access rules as the UI, JSON errors.

use crate::helpers::{client, spawn_app, TestApp};
use serde_json::Value;

/// A token that may do all the API does (the tests here are about access, not scopes).
async fn token_for(app: &TestApp, session: &reqwest::Client) -> String {
    app.token_with(
        session,
        &[
            "phone-card:read",
            "conversations:read",
            "conversations:write",
        ],
    )
    .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.api_get(token, path).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_api_lists_replies_archives_and_reopens() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let token = token_for(&app, &agent).await;
    assert!(token.starts_with("cfb_"));

    let (status, channels) = get(&app, &token, "/api/v1/channels").await;
    assert_eq!(status, 200);
    assert_eq!(channels.as_array().unwrap().len(), 1);

    app.lead_writes("lead-api-0001", "msg-api-00001", "Hi API")
        .await;
    let (status, page) = get(&app, &token, "/api/v1/conversations?status=open").await;
    assert_eq!(status, 200);
    let first = &page["items"][0];
    assert_eq!(first["preview"], "Hi API");
    let id = first["id"].as_i64().unwrap();

    let (status, sent) = post(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/messages"),
        serde_json::json!({"body": "Hello from the API"}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["status"], "pending");
    let (status, messages) = get(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/messages"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        messages["items"][0]["body"], "Hello from the API",
        "newest first"
    );

    let (status, archived) = post(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/archive"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(archived["status"], "archived");
    let (_, page) = get(&app, &token, "/api/v1/conversations?status=archived").await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id));
    let (status, reopened) = post(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/reopen"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reopened["status"], "open");

    // The composer's rules hold here too.
    let (status, err) = post(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/messages"),
        serde_json::json!({"body": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "invalid");
    assert!(err["message"].as_str().unwrap().contains("1000"));
    let (status, err) = post(
        &app,
        &token,
        &format!("/api/v1/conversations/{id}/messages"),
        serde_json::json!({"text": "hi"}),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = get(&app, &token, "/api/v1/conversations?status=deleted").await;
    assert_eq!((status, err["field"].as_str()), (422, Some("status")));
    let (status, _) = get(&app, &token, "/api/v1/conversations?cursor=junk").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn tokens_are_hashed_and_a_revoked_token_is_refused_at_once() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let token = token_for(&app, &agent).await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(&app.db.read)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(
        !stored[0].contains(&token[4..20]),
        "no part of the token is stored"
    );

    assert_eq!(get(&app, &token, "/api/v1/channels").await.0, 200);
    let (_, tokens) = app.call(&agent, "list_my_tokens", &[]).await;
    let id = tokens[0]["id"].to_string();
    assert!(
        !tokens.to_string().contains(&token),
        "listing never shows the token"
    );
    let (status, _) = app.call(&agent, "revoke_my_token", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (status, err) = get(&app, &token, "/api/v1/channels").await;
    assert_eq!(status, 401);
    assert_eq!(err["code"], "unauthorized");

    for bad in [
        "",
        "cfb_",
        "Bearer",
        "cfb_0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        assert_eq!(get(&app, bad, "/api/v1/channels").await.0, 401, "{bad:?}");
    }
    let (status, _) = (
        client()
            .get(app.url("/api/v1/channels"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        (),
    );
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_api_keeps_to_the_employees_channels() {
    let app = spawn_app().await;
    let hidden_channel = app::channels::store::create(
        &app.db,
        app::channels::ChannelKind::Sandbox,
        "Hidden",
        "sandbox-hidden",
    )
    .await
    .unwrap();
    let lead = crate::helpers::test_lead("lead-api-hidden");
    lead.post(&app.url(&format!("/webhooks/sandbox/{}", hidden_channel.0)))
        .json(
            &serde_json::json!({"type": "message", "lead_id": lead.id, "name": "Hidden Lead",
            "message_id": "msg-api-hidden", "text": "private"}),
        )
        .send()
        .await
        .unwrap();
    let hidden = app.conversation_of("lead-api-hidden").await;
    let agent = app.signed_in_agent().await;
    let token = token_for(&app, &agent).await;
    let (_, page) = get(&app, &token, "/api/v1/conversations").await;
    assert!(!page.to_string().contains("Hidden Lead"));
    let (_, page) = get(
        &app,
        &token,
        &format!("/api/v1/conversations?channel={}", hidden_channel.0),
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let (_, channels) = get(&app, &token, "/api/v1/channels").await;
    assert!(!channels.to_string().contains("Hidden"));
    for (status, body) in [
        get(
            &app,
            &token,
            &format!("/api/v1/conversations/{hidden}/messages"),
        )
        .await,
        post(
            &app,
            &token,
            &format!("/api/v1/conversations/{hidden}/messages"),
            serde_json::json!({"body": "x"}),
        )
        .await,
        post(
            &app,
            &token,
            &format!("/api/v1/conversations/{hidden}/archive"),
            Value::Null,
        )
        .await,
        post(
            &app,
            &token,
            &format!("/api/v1/conversations/{hidden}/reopen"),
            Value::Null,
        )
        .await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert!(!body.to_string().contains("private"));
    }
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let app = spawn_app().await;
    let response = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["paths"]["/api/v1/conversations"].is_object());
}

#[tokio::test]
async fn the_command_line_creates_a_token_that_works() {
    let app = spawn_app().await;
    let url: String = app.database_url.clone();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args([
            "tokens",
            "create",
            "--email",
            app::demo::AGENT_EMAIL,
            "--name",
            "CLI test",
            "--scope",
            "conversations:read",
        ])
        .env("CONFAB_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(get(&app, &token, "/api/v1/channels").await.0, 200);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["tokens", "create", "--email", "nobody@demo.confab"])
        .env("CONFAB_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not found"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["tokens", "create"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn the_phone_card_answers_other_origins_with_a_token() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let token = token_for(&app, &agent).await;
    let response = client()
        .get(app.url("/api/v1/phone-card?phone=%2811%29%2098765-4321"))
        .bearer_auth(&token)
        .header("origin", "http://crm.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let card: Value = response.json().await.unwrap();
    assert_eq!(card["client"]["name"], "Maria Souza");
    assert!(!card["conversations"].as_array().unwrap().is_empty());
    // The browser's preflight, and refusals it can read.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/phone-card"))
        .header("origin", "http://crm.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "authorization"
    );
    let no_token = client()
        .get(app.url("/api/v1/phone-card?phone=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(no_token.headers()["access-control-allow-origin"], "*");
    let (status, _) = get(&app, &token, "/api/v1/phone-card?phone=abc").await;
    assert_eq!(status, 422);
    let (status, _) = get(&app, &token, "/api/v1/phone-card").await;
    assert_eq!(status, 422);
}
