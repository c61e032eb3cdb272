//! Issue 24, point 1: each employee has their own unread state — the marker, the Unread
//! filter, the tab's count and the API — while "awaiting reply" stays the team's.

use crate::events::SseReader;
use crate::helpers::{spawn_app, TestApp};
use std::time::Duration;

/// Bruno, a second agent, with the sandbox channel when `with_channel`.
async fn bruno(app: &TestApp, with_channel: bool) -> reqwest::Client {
    app.new_agent("Bruno Costa", "bruno@demo.confab", with_channel)
        .await
        .1
}

async fn unread_of(app: &TestApp, who: &reqwest::Client, conversation: &str) -> i64 {
    let (status, detail) = app
        .call(who, "get_conversation", &[("id", conversation)])
        .await;
    assert_eq!(status, 200, "{detail}");
    detail["summary"]["unread_count"].as_i64().unwrap()
}

async fn tab_count(app: &TestApp, who: &reqwest::Client) -> i64 {
    let (_, attention) = app.call(who, "inbox_attention", &[]).await;
    attention["unread_conversations"].as_i64().unwrap()
}

#[tokio::test]
async fn reading_is_each_employees_own_and_awaiting_reply_stays_the_teams() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let bruno = bruno(&app, true).await;
    let ana_before = tab_count(&app, &ana).await;
    // Bruno joined after the demo's messages: nothing is unread for him yet.
    assert_eq!(tab_count(&app, &bruno).await, 0);
    app.lead_writes("lead-own-1", "msg-own-0001", "Hello?")
        .await;
    app.lead_writes("lead-own-1", "msg-own-0002", "Anyone?")
        .await;
    let conversation = app.conversation_of("lead-own-1").await;
    let id = conversation.to_string();
    assert_eq!(unread_of(&app, &ana, &id).await, 2);
    assert_eq!(unread_of(&app, &bruno, &id).await, 2);
    assert_eq!(tab_count(&app, &ana).await, ana_before + 1);
    assert_eq!(tab_count(&app, &bruno).await, 1);

    // Ana reads it: hers goes, Bruno's stays (marker, filter, tab count, API).
    let (status, _) = app
        .call(&ana, "mark_conversation_read", &[("id", &id)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(unread_of(&app, &ana, &id).await, 0);
    assert!(!app
        .listed_ids(&ana, ("filter[unread_only]", "true"))
        .await
        .contains(&conversation));
    assert_eq!(tab_count(&app, &ana).await, ana_before);
    assert_eq!(unread_of(&app, &bruno, &id).await, 2);
    assert_eq!(
        app.listed_ids(&bruno, ("filter[unread_only]", "true"))
            .await,
        vec![conversation]
    );
    assert_eq!(tab_count(&app, &bruno).await, 1);
    let token = app.token_with(&bruno, &["conversations:read"]).await;
    let (status, listed) = app
        .api_get(&token, "/api/v1/conversations?unread=true")
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed["items"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["unread_count"], 2);
    // Still awaiting the team's reply for both.
    let (_, detail) = app.call(&bruno, "get_conversation", &[("id", &id)]).await;
    assert_eq!(detail["summary"]["awaiting_reply"], true);

    // Ana marks it unread: for her alone, and not in the team's history.
    app.call(&ana, "mark_conversation_unread", &[("id", &id)])
        .await;
    assert_eq!(unread_of(&app, &ana, &id).await, 1);
    assert_eq!(unread_of(&app, &bruno, &id).await, 2);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE conversation_id = {conversation} AND action = 'marked_unread'"
        ))
        .await,
        0
    );

    // Bruno answers: answering is reading (his only); the conversation no longer awaits a
    // reply, for everyone.
    let (status, body) = app
        .call(
            &bruno,
            "send_message",
            &[("conversation_id", &id), ("body", "Hi, Bruno here")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(unread_of(&app, &bruno, &id).await, 0);
    assert_eq!(unread_of(&app, &ana, &id).await, 1);
    let (_, detail) = app.call(&ana, "get_conversation", &[("id", &id)]).await;
    assert_eq!(detail["summary"]["awaiting_reply"], false);

    // The lead writes again: one more for each.
    app.lead_writes("lead-own-1", "msg-own-0003", "Thanks!")
        .await;
    assert_eq!(unread_of(&app, &ana, &id).await, 2);
    assert_eq!(unread_of(&app, &bruno, &id).await, 1);
}

#[tokio::test]
async fn a_read_reaches_only_the_readers_own_live_stream() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let bruno = bruno(&app, true).await;
    app.lead_writes("lead-own-2", "msg-own-0101", "Hello").await;
    let id = app.conversation_of("lead-own-2").await.to_string();
    let mut ana_live = SseReader::open(&app, &ana, None).await;
    let mut bruno_live = SseReader::open(&app, &bruno, None).await;
    app.call(&ana, "mark_conversation_read", &[("id", &id)])
        .await;
    let event = ana_live.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(event.kind, "read_state_updated");
    assert!(event.data.contains("\"unread_count\":0"), "{}", event.data);
    // Bruno's stream carries the next shared event, and nothing of Ana's reading before it.
    app.lead_writes("lead-own-2", "msg-own-0102", "Still there?")
        .await;
    let event = bruno_live.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(event.kind, "message_created", "{event:?}");
    // Nor on a resume from before it (the log's replay keeps to the reader too).
    let before = event.id.unwrap() - 10;
    let mut replay = SseReader::open(&app, &bruno, Some(before)).await;
    while let Some(event) = replay.next(Duration::from_millis(500)).await {
        assert_ne!(event.kind, "read_state_updated", "{event:?}");
    }
}

#[tokio::test]
async fn without_the_channel_nothing_is_unread_and_nothing_can_be_marked() {
    let app = spawn_app().await;
    let bruno = bruno(&app, false).await;
    app.lead_writes("lead-own-3", "msg-own-0201", "Hello").await;
    let id = app.conversation_of("lead-own-3").await.to_string();
    assert_eq!(tab_count(&app, &bruno).await, 0);
    assert!(app
        .listed_ids(&bruno, ("filter[unread_only]", "true"))
        .await
        .is_empty());
    for function in ["mark_conversation_read", "mark_conversation_unread"] {
        let (status, _) = app.call(&bruno, function, &[("id", &id)]).await;
        assert_eq!(status, 404, "{function}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM unread_marks WHERE employee_id = (SELECT id FROM employees WHERE email = 'bruno@demo.confab')")
            .await,
        0
    );
    // An employee who loses a channel loses their unread counts on it: given back, it
    // does not bring back a stale count.
    let ana = app.signed_in_agent().await;
    assert_eq!(unread_of(&app, &ana, &id).await, 1);
    let owner = app.signed_in_owner().await;
    let ana_id = app
        .count("SELECT id FROM employees WHERE email = 'agent@demo.confab'")
        .await;
    let owner_id = app
        .count("SELECT id FROM employees WHERE email = 'owner@demo.confab'")
        .await;
    let response = owner
        .post(app.url("/api/set_channel_access"))
        .json(&serde_json::json!({"channel_id": app.sandbox_channel().await, "employee_ids": [owner_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM unread_marks WHERE employee_id = {ana_id}"
        ))
        .await,
        0
    );
}
