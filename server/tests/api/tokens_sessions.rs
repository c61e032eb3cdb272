//! Sessions and tokens that really end (issue 20, points 4, 5 and 8): a password reset,
//! sign-out everywhere and deactivation end the employee's live streams (within a second,
//! also in another process on PostgreSQL) and their API tokens; tokens carry scopes and
//! may expire; nobody can make other employees' streams re-check.

use crate::events::SseReader;
use crate::helpers::{call_json, client, on_postgres, spawn_app, spawn_app_with, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const ALL_SCOPES: [&str; 3] = [
    "phone-card:read",
    "conversations:read",
    "conversations:write",
];

async fn employee_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}

/// Whether `stream` carries an event containing `text` within `timeout`.
async fn sees(stream: &mut SseReader, text: &str, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while let Some(event) = stream
        .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if event.data.contains(text) {
            return true;
        }
    }
    false
}

/// Waits until the streams of the server with `bus` have re-checked their employee
/// `expected` times in all, then a moment longer (so that a re-check too many shows).
async fn settled_rechecks(bus: &app::events::bus::EventBus, expected: u64) -> u64 {
    crate::helpers::eventually(Duration::from_secs(5), || async {
        bus.rechecks() >= expected
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bus.rechecks()
}

#[tokio::test]
async fn a_password_reset_ends_the_old_stream_within_a_second_and_revokes_tokens_unless_kept() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let agent_id = employee_id(&app, app::demo::AGENT_EMAIL).await;

    // Reset with the default choice: the stream ends, the tokens stop working.
    let agent = app.signed_in_agent().await;
    let token = app.token_with(&agent, &ALL_SCOPES).await;
    assert_eq!(app.api_get(&token, "/api/v1/conversations").await.0, 200);
    let mut stream = SseReader::open(&app, &agent, None).await;
    let (status, body) = call_json(
        &app,
        &owner,
        "reset_password",
        json!({"id": agent_id, "password": "a new password 1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        stream.ended(Duration::from_secs(1)).await,
        "the stream of the old password is still open"
    );
    let (status, _) = app.call(&agent, "list_my_tokens", &[]).await;
    assert_eq!(status, 401, "the old session still works");
    assert_eq!(app.api_get(&token, "/api/v1/conversations").await.0, 401);

    // Keeping the tokens: the stream still ends, the token goes on working.
    let agent = app
        .signed_in(app::demo::AGENT_EMAIL, "a new password 1")
        .await;
    let kept = app.token_with(&agent, &ALL_SCOPES).await;
    let mut stream = SseReader::open(&app, &agent, None).await;
    let (status, body) = call_json(
        &app,
        &owner,
        "reset_password",
        json!({"id": agent_id, "password": "a new password 2", "keep_tokens": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(stream.ended(Duration::from_secs(1)).await);
    assert_eq!(app.api_get(&kept, "/api/v1/conversations").await.0, 200);

    // The owner resetting their own password stays signed in (a new session).
    let owner_id = employee_id(&app, app::demo::OWNER_EMAIL).await;
    let (status, body) = call_json(
        &app,
        &owner,
        "reset_password",
        json!({"id": owner_id, "password": "the owner's new one"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.call(&owner, "list_my_tokens", &[]).await;
    assert_eq!(status, 200, "the owner was signed out by their own reset");
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_stream_within_a_second() {
    let app = spawn_app().await;
    let phone = app.signed_in_agent().await;
    let laptop = app.signed_in_agent().await;
    let mut on_phone = SseReader::open(&app, &phone, None).await;
    let (status, _) = app.call(&laptop, "logout_everywhere", &[]).await;
    assert!(status < 400, "{status}");
    assert!(on_phone.ended(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_reactivation_does_not_revive_them() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let agent_id = employee_id(&app, app::demo::AGENT_EMAIL).await;
    let token = app.token_with(&agent, &ALL_SCOPES).await;
    assert_eq!(app.api_get(&token, "/api/v1/channels").await.0, 200);

    let set_active = |active: bool| {
        call_json(
            &app,
            &owner,
            "set_employee_active",
            json!({"id": agent_id, "active": active}),
        )
    };
    assert_eq!(set_active(false).await.0, 200);
    assert_eq!(app.api_get(&token, "/api/v1/channels").await.0, 401);
    assert_eq!(set_active(true).await.0, 200);
    assert_eq!(
        app.api_get(&token, "/api/v1/channels").await.0,
        401,
        "reactivation revived the old token"
    );
    let revoked = app
        .count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL")
        .await;
    assert_eq!(revoked, 1);
    // Back at work, they make a new one.
    let agent = app.signed_in_agent().await;
    let fresh = app.token_with(&agent, &["conversations:read"]).await;
    assert_eq!(app.api_get(&fresh, "/api/v1/channels").await.0, 200);
}

#[tokio::test]
async fn the_owner_lists_and_revokes_anothers_token_and_an_agent_cannot() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let agents = app.token_with(&agent, &ALL_SCOPES).await;
    let owners = app.token_with(&owner, &[]).await;
    let id_of = |tokens: &Value, employee: &str| {
        tokens
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["employee_name"] == employee)
            .map(|t| t["token"]["id"].as_i64().unwrap())
            .unwrap_or_else(|| panic!("no token of {employee} in {tokens}"))
    };

    let (status, tokens) = app.call(&owner, "list_team_tokens", &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        !tokens.to_string().contains(&agents) && !tokens.to_string().contains(&owners),
        "the list shows a token itself"
    );
    let agent_name: String = sqlx::query_scalar("SELECT name FROM employees WHERE email = $1")
        .bind(app::demo::AGENT_EMAIL)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
    let owner_name: String = sqlx::query_scalar("SELECT name FROM employees WHERE email = $1")
        .bind(app::demo::OWNER_EMAIL)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
    let agents_id = id_of(&tokens, &agent_name);
    let owners_id = id_of(&tokens, &owner_name);
    let scopes = &tokens.as_array().unwrap()[0]["token"]["scopes"];
    assert!(scopes.is_array(), "{tokens}");

    // The agent can neither list everyone's tokens nor revoke the owner's.
    let (status, _) = app.call(&agent, "list_team_tokens", &[]).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            &agent,
            "revoke_team_token",
            &[("id", &owners_id.to_string())],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(&agent, "revoke_my_token", &[("id", &owners_id.to_string())])
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.api_get(&owners, "/api/v1/phone-card?phone=%2811%29%2098765-4321")
            .await
            .0,
        200
    );

    // The owner revokes the agent's.
    assert_eq!(app.api_get(&agents, "/api/v1/channels").await.0, 200);
    let (status, body) = app
        .call(
            &owner,
            "revoke_team_token",
            &[("id", &agents_id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.api_get(&agents, "/api/v1/channels").await.0, 401);
    let (_, mine) = app.call(&agent, "list_my_tokens", &[]).await;
    assert!(mine[0]["revoked_at"].is_i64(), "{mine}");
}

#[tokio::test]
async fn a_card_only_token_reads_cards_and_nothing_else() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    // Nothing ticked: the default, as the token page and the command line make it.
    let card_only = app.token_with(&agent, &[]).await;
    let (_, listed) = app.call(&agent, "list_my_tokens", &[]).await;
    assert_eq!(listed[0]["scopes"], json!(["phone-card:read"]));

    let (status, card) = app
        .api_get(&card_only, "/api/v1/phone-card?phone=%2811%29%2098765-4321")
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["client"]["name"], "Maria Souza");
    for path in ["/api/v1/conversations", "/api/v1/channels"] {
        let (status, body) = app.api_get(&card_only, path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "missing_scope", "{body}");
        assert_eq!(body["scope"], "conversations:read");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("conversations:read"),
            "{body}"
        );
    }

    // A reading token may not write, and says which scope is missing.
    let reader = app.token_with(&agent, &["conversations:read"]).await;
    let (_, page) = app.api_get(&reader, "/api/v1/conversations").await;
    let id = page["items"][0]["id"].as_i64().expect("a conversation");
    let archived = client()
        .post(app.url(&format!("/api/v1/conversations/{id}/archive")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 403);
    let body: Value = archived.json().await.unwrap();
    assert_eq!(body["scope"], "conversations:write", "{body}");
    let (status, _) = app.api_get(&reader, "/api/v1/phone-card?phone=1199").await;
    assert_eq!(status, 403, "a conversations token read a card");

    // An unknown scope is refused, not ignored into a wider token.
    let (status, _) = app
        .call(
            &agent,
            "create_my_token",
            &[("name", "Odd"), ("scopes[0]", "admin")],
        )
        .await;
    assert!(status >= 400, "{status}");
}

#[tokio::test]
async fn an_expired_token_gets_401() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let now = app::store::now_ms();
    let day = app::tokens::DAY_MS;
    let (status, token) = app
        .call(
            &agent,
            "create_my_token",
            &[
                ("name", "Thirty days"),
                ("scopes[0]", "conversations:read"),
                ("expires_at", &(now + 30 * day).to_string()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let token = token.as_str().unwrap().to_owned();
    assert_eq!(app.api_get(&token, "/api/v1/channels").await.0, 200);
    let (_, listed) = app.call(&agent, "list_my_tokens", &[]).await;
    assert_eq!(listed[0]["expires_at"], json!(now + 30 * day));

    // Thirty days later.
    sqlx::query("UPDATE api_tokens SET expires_at = $1")
        .bind(app::store::now_ms() - 1)
        .execute(&app.db.write)
        .await
        .unwrap();
    let (status, body) = app.api_get(&token, "/api/v1/channels").await;
    assert_eq!(status, 401, "{body}");

    // An expiry in the past, or absurdly far, is refused at creation.
    for expires_at in [now - day, now + 100 * 365 * day] {
        let (status, body) = app
            .call(
                &agent,
                "create_my_token",
                &[("name", "Odd"), ("expires_at", &expires_at.to_string())],
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }
}

#[tokio::test]
async fn anonymous_logouts_make_no_stream_recheck_and_events_keep_flowing() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let mut owners = SseReader::open(&app, &owner, None).await;
    let _agents = SseReader::open(&app, &agent, None).await;
    let before = app.db.bus.rechecks();

    let stranger = client();
    let floods = (0..200).map(|_| {
        stranger
            .post(app.url("/api/logout"))
            .header("accept", "application/json")
            .send()
    });
    for response in futures::future::join_all(floods).await {
        assert!(response.unwrap().status().as_u16() < 500);
    }
    assert_eq!(
        settled_rechecks(&app.db.bus, before).await,
        before,
        "anonymous sign-outs made the streams re-check"
    );

    // Events still arrive at once.
    app.lead_writes("lead-flood-01", "msg-flood-001", "after the flood")
        .await;
    assert!(
        sees(&mut owners, "after the flood", Duration::from_secs(2)).await,
        "the owner's stream stalled"
    );
}

#[tokio::test]
async fn an_access_change_for_one_employee_does_not_recheck_anothers_stream() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let mut owners = SseReader::open(&app, &owner, None).await;
    let mut agents = SseReader::open(&app, &agent, None).await;
    let before = app.db.bus.rechecks();

    // The agent loses the sandbox channel: only the agent's stream re-checks.
    let channel = app.sandbox_channel().await;
    let owner_id = employee_id(&app, app::demo::OWNER_EMAIL).await;
    let (status, body) = call_json(
        &app,
        &owner,
        "set_channel_access",
        json!({"channel_id": channel, "employee_ids": [owner_id]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        settled_rechecks(&app.db.bus, before + 1).await,
        before + 1,
        "more streams than the agent's re-checked"
    );
    app.lead_writes("lead-narrow-01", "msg-narrow-001", "owner only")
        .await;
    assert!(sees(&mut owners, "owner only", Duration::from_secs(5)).await);
    assert!(
        !sees(&mut agents, "owner only", Duration::from_millis(500)).await,
        "the agent still follows the channel"
    );

    // A sign-out concerns only the one signing out.
    let before = app.db.bus.rechecks();
    let (status, _) = app.call(&agent, "logout", &[]).await;
    assert!(status < 400);
    assert!(agents.ended(Duration::from_secs(1)).await);
    assert_eq!(settled_rechecks(&app.db.bus, before + 1).await, before + 1);
}

/// PostgreSQL: a second server process on the same database (its own bus, reached only
/// through the relay's NOTIFY) ends the agent's stream within a second of a reset made
/// through the first, and re-checks nobody else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_in_one_process_ends_the_stream_in_another_within_a_second() {
    if !on_postgres() {
        eprintln!("runs in the PostgreSQL pass of the suite (CONFAB_TEST_BACKEND=postgres)");
        return;
    }
    let a = spawn_app().await;
    let b = spawn_app_with(&[("CONFAB_DATABASE_URL", a.database_url.as_str())]).await;
    let owner_at_a = a.signed_in_owner().await;
    let agent_at_b = b.signed_in_agent().await;
    let owner_at_b = b.signed_in_owner().await;
    let agent_id = employee_id(&a, app::demo::AGENT_EMAIL).await;
    let mut agents = SseReader::open(&b, &agent_at_b, None).await;
    let mut owners = SseReader::open(&b, &owner_at_b, None).await;
    let before = b.db.bus.rechecks();

    let (status, body) = call_json(
        &a,
        &owner_at_a,
        "reset_password",
        json!({"id": agent_id, "password": "a new password 1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        agents.ended(Duration::from_secs(1)).await,
        "the other process's stream outlived the reset"
    );
    assert_eq!(
        settled_rechecks(&b.db.bus, before + 1).await,
        before + 1,
        "the other process re-checked more streams than the agent's"
    );
    a.lead_writes("lead-relay-reset", "msg-relay-reset", "still flowing")
        .await;
    assert!(
        sees(&mut owners, "still flowing", Duration::from_secs(5)).await,
        "the owner's stream at B stopped"
    );

    // Deactivation crosses too.
    let agent_at_b = b
        .signed_in(app::demo::AGENT_EMAIL, "a new password 1")
        .await;
    let mut agents = SseReader::open(&b, &agent_at_b, None).await;
    let (status, _) = call_json(
        &a,
        &owner_at_a,
        "set_employee_active",
        json!({"id": agent_id, "active": false}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(agents.ended(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn the_command_line_makes_a_card_only_token_unless_told_otherwise() {
    let app = spawn_app().await;
    let create = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
            .args(["tokens", "create", "--email", app::demo::AGENT_EMAIL])
            .args(extra)
            .env("CONFAB_DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let card_only = create(&[]);
    let (status, body) = app.api_get(&card_only, "/api/v1/conversations").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["scope"], "conversations:read");
    assert_eq!(
        app.api_get(&card_only, "/api/v1/phone-card?phone=%2811%29%2098765-4321")
            .await
            .0,
        200
    );

    let reader = create(&["--scope", "conversations:read", "--expires-days", "30"]);
    assert_eq!(app.api_get(&reader, "/api/v1/conversations").await.0, 200);
    let expires_at: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM api_tokens WHERE scopes = 'conversations:read'")
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    let in_30_days = app::store::now_ms() + 30 * app::tokens::DAY_MS;
    let expires_at = expires_at.expect("an expiry");
    assert!((in_30_days - expires_at).abs() < 60_000, "{expires_at}");
}

/// Tokens made before scopes existed keep working: the migration gives them the three
/// scopes there were then (never the CRM scopes added later, which must be chosen).
#[tokio::test]
async fn tokens_from_before_scopes_keep_every_scope() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = crate::helpers::test_database(dir.path());
    let pool = crate::helpers::migrated_before(&url, 20261205020000).await;
    for sql in [
        "INSERT INTO roles (id, name, permissions, is_owner, created_at) VALUES (1, 'Owner', 'conversations,settings', 1, 0)",
        "INSERT INTO employees (id, email, name, password_hash, role_id, created_at) VALUES (1, 'old@shop.com', 'Old', 'x', 1, 0)",
        "INSERT INTO api_tokens (employee_id, name, token_hash, created_at) VALUES (1, 'Zapier', 'abc', 0)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let db = app::store::Db::connect(&url).await.unwrap();
    let tokens = app::tokens::store::list(&db, app::ids::EmployeeId(1))
        .await
        .unwrap();
    assert_eq!(tokens[0].scopes, app::tokens::TokenScope::ALL[..3].to_vec());
    assert_eq!(tokens[0].expires_at, None);
    db.close().await;
}
