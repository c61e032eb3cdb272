//! Two employees, two channels: the one without access learns nothing about the other
//! channel's conversations, from any door.

use crate::helpers::{client, spawn_app, TestApp};
use app::channels::ChannelKind;
use std::time::Duration;

/// A second sandbox channel that only the owner may use, with one conversation in it.
async fn owner_only_channel(app: &TestApp) -> (i64, i64) {
    let channel = app::channels::store::create(
        &app.db,
        ChannelKind::Sandbox,
        "Owners' shop",
        "sandbox-owners",
    )
    .await
    .unwrap();
    let owner: i64 = sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
        .bind(app::demo::OWNER_EMAIL)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
    app::channels::store::grant_access(&app.db, channel, app::ids::EmployeeId(owner))
        .await
        .unwrap();
    let lead = crate::helpers::test_lead("lead-private-1");
    let response = lead
        .post(&app.url(&format!("/webhooks/sandbox/{}", channel.0)))
        .json(
            &serde_json::json!({"type": "message", "lead_id": lead.id, "name": "Private Lead",
            "message_id": "msg-private-01", "text": "confidential quote request"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    (channel.0, app.conversation_of("lead-private-1").await)
}

#[tokio::test]
async fn an_employee_without_access_gets_nothing_of_the_other_channel() {
    let app = spawn_app().await;
    sqlx::query("UPDATE conversations SET unread_count = 0, awaiting_reply = 0")
        .execute(&app.db.write)
        .await
        .unwrap();
    sqlx::query("DELETE FROM unread_marks")
        .execute(&app.db.write)
        .await
        .unwrap();
    let (_, hidden) = owner_only_channel(&app).await;
    let hidden = hidden.to_string();
    let agent = app.signed_in_agent().await;
    let (status, _) = app
        .call(&agent, "conversation_summary", &[("id", &hidden)])
        .await;
    assert_eq!(
        status, 404,
        "a notification never names a lead of a hidden channel"
    );
    let (_, needs) = app.call(&agent, "inbox_attention", &[]).await;
    assert_eq!(
        needs["needs_attention"], false,
        "the red dot ignores channels the agent may not use"
    );

    let (_, open) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert!(!open.to_string().contains("Private Lead"), "{open}");
    for (name, form) in [
        ("get_conversation", vec![("id", hidden.as_str())]),
        (
            "older_messages",
            vec![("id", hidden.as_str()), ("before", "999999")],
        ),
        ("archive_conversation", vec![("id", hidden.as_str())]),
        ("reopen_conversation", vec![("id", hidden.as_str())]),
        ("mark_conversation_read", vec![("id", hidden.as_str())]),
        (
            "send_message",
            vec![("conversation_id", hidden.as_str()), ("body", "sneaky")],
        ),
    ] {
        let (status, body) = app.call(&agent, name, &form).await;
        assert!(status == 403 || status == 404, "{name}: {status} {body}");
        assert!(
            !body.to_string().contains("confidential"),
            "{name} leaked: {body}"
        );
    }
    let failed_id: i64 =
        sqlx::query_scalar("SELECT id FROM messages WHERE body = 'confidential quote request'")
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    sqlx::query("UPDATE messages SET status = 'failed' WHERE id = $1")
        .bind(failed_id)
        .execute(&app.db.write)
        .await
        .unwrap();
    let (status, _) = app
        .call(
            &agent,
            "retry_message",
            &[("message_id", &failed_id.to_string())],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'sneaky'")
            .await,
        0
    );
    let page = agent
        .get(app.url(&format!("/conversations/{hidden}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("confidential"), "the page leaks nothing");

    // The owner sees it.
    let owner = app.signed_in_owner().await;
    let (status, detail) = app
        .call(&owner, "get_conversation", &[("id", &hidden)])
        .await;
    assert_eq!(status, 200);
    assert!(detail.to_string().contains("confidential"));
}

#[tokio::test]
async fn removing_access_stops_the_stream_at_once_and_deactivation_ends_it() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let owner = app.signed_in_owner().await;
    let channel = app.sandbox_channel().await;
    let (_, team) = app.call(&owner, "settings_team", &[]).await;
    let agent_id = team["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["email"] == app::demo::AGENT_EMAIL)
        .unwrap()["id"]
        .clone();
    let owner_id = team["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["email"] == app::demo::OWNER_EMAIL)
        .unwrap()["id"]
        .clone();

    let mut stream = crate::events::SseReader::open(&app, &agent, None).await;
    app.lead_writes("lead-access-01", "msg-access-001", "before")
        .await;
    let event = stream
        .next(Duration::from_secs(5))
        .await
        .expect("an event while allowed");
    assert!(event.data.contains("before"));

    // Only the owner may use the channel now.
    let response = owner
        .post(app.url("/api/set_channel_access"))
        .json(&serde_json::json!({"channel_id": channel, "employee_ids": [owner_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app.lead_writes("lead-access-01", "msg-access-002", "after")
        .await;
    while let Some(event) = stream.next(Duration::from_millis(500)).await {
        assert!(
            !event.data.contains("after"),
            "an event after access was removed: {}",
            event.data
        );
    }
    let (status, _) = app
        .call(
            &agent,
            "get_conversation",
            &[(
                "id",
                &app.conversation_of("lead-access-01").await.to_string(),
            )],
        )
        .await;
    assert_eq!(status, 404);

    // Deactivation: the session and the stream end.
    let mut stream = crate::events::SseReader::open(&app, &agent, None).await;
    let response = owner
        .post(app.url("/api/set_employee_active"))
        .json(&serde_json::json!({"id": agent_id, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        stream.ended(Duration::from_secs(5)).await,
        "the stream closes"
    );
    let (status, _) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .call(
            &client(),
            "login",
            &[
                ("email", app::demo::AGENT_EMAIL),
                ("password", app::demo::AGENT_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 422, "a deactivated employee cannot sign in");
}

#[tokio::test]
async fn a_role_without_conversations_sees_no_menu_item_and_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let role = owner
        .post(app.url("/api/save_role"))
        .json(&serde_json::json!({"id": null, "name": "Bookkeeper", "permissions": ["documents"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(role.status(), 200);
    let role_id: i64 = role.json().await.unwrap();
    let created = owner
        .post(app.url("/api/create_employee"))
        .json(&serde_json::json!({"name": "Bea Books", "email": "bea@demo.confab", "password": "bookkeeping!",
            "role_id": role_id, "channel_ids": [app.sandbox_channel().await]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());

    let bea = client();
    let (status, _) = app
        .call(
            &bea,
            "login",
            &[("email", "bea@demo.confab"), ("password", "bookkeeping!")],
        )
        .await;
    assert!(status < 400);
    let (status, _) = app
        .call(&bea, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 403);
    let (_, needs) = app.call(&bea, "inbox_attention", &[]).await;
    assert_eq!(needs["needs_attention"], false);
    assert_eq!(
        bea.get(app.url("/api/events"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let page = bea.get(app.url("/conversations")).send().await.unwrap();
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("href=\"/conversations\" class=\"menu-item"),
        "no Conversations menu item"
    );
    assert!(!html.contains("Maria Souza"));
    let (status, _) = app.call(&bea, "settings_team", &[]).await;
    assert_eq!(status, 403, "nor may she open settings");
}

#[tokio::test]
async fn the_owner_cannot_lock_the_business_out() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let (_, team) = app.call(&owner, "settings_team", &[]).await;
    let owner_role = team["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["is_owner"] == true)
        .unwrap()["id"]
        .clone();
    let owner_id = team["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["email"] == app::demo::OWNER_EMAIL)
        .unwrap()["id"]
        .clone();
    let response = owner
        .post(app.url("/api/save_role"))
        .json(&serde_json::json!({"id": owner_role, "name": "Owner", "permissions": ["conversations"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = owner
        .post(app.url("/api/set_employee_active"))
        .json(&serde_json::json!({"id": owner_id, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = owner
        .post(app.url("/api/create_employee"))
        .json(&serde_json::json!({"name": "X", "email": "owner@demo.confab", "password": "long enough pass",
            "role_id": owner_role, "channel_ids": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409, "a duplicate email is a conflict");
    let response = owner
        .post(app.url("/api/create_employee"))
        .json(
            &serde_json::json!({"name": "X", "email": "x@demo.confab", "password": "short",
            "role_id": owner_role, "channel_ids": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM employees").await, 2);
}
