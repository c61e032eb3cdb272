//! Issue 24, point 3: private notes — in the thread, never sent, never a reply, `@name`
//! mentions among those who may answer, searchable, in the API; nothing of them reaches
//! an employee without the channel.

use crate::events::SseReader;
use crate::helpers::{spawn_app, TestApp};
use serde_json::Value;

async fn add_note(app: &TestApp, who: &reqwest::Client, id: &str, body: &str) -> (u16, Value) {
    app.call(who, "add_note", &[("conversation_id", id), ("body", body)])
        .await
}

#[tokio::test]
async fn a_note_mentions_bruno_is_never_a_message_and_is_found_by_search() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (bruno_id, bruno) = app
        .new_agent("Bruno Costa", "bruno@demo.confab", true)
        .await;
    let (_, outsider) = app
        .new_agent("Otto Outside", "otto@demo.confab", false)
        .await;
    app.lead_writes("lead-note-1", "msg-note-0001", "My bike is broken")
        .await;
    let conversation = app.conversation_of("lead-note-1").await;
    let id = conversation.to_string();
    let messages_before = app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {conversation}"
        ))
        .await;
    let (_, before) = app.call(&ana, "get_conversation", &[("id", &id)]).await;

    let mut bruno_live = SseReader::open(&app, &bruno, None).await;
    let mut outsider_live = SseReader::open(&app, &outsider, None).await;
    let (status, note) = add_note(
        &app,
        &ana,
        &id,
        "@Bruno can you call them? Spare derailleur in stock. (@Otto too)",
    )
    .await;
    assert_eq!(status, 200, "{note}");
    // Otto has no channel: not mentioned, whatever the text says.
    assert_eq!(
        note["mentions"],
        serde_json::json!([{"id": bruno_id, "name": "Bruno Costa"}])
    );
    assert_eq!(note["author_name"], "Ana Agent");

    // Bruno's stream carries it (his tab tells him); Otto's carries nothing.
    let event = bruno_live
        .next_of_kind("note_created")
        .await
        .expect("the mention reaches Bruno live");
    let event: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(event["payload"]["mentions"][0]["id"], bruno_id);
    assert!(outsider_live.next_of_kind("note_created").await.is_none());

    // Never a message, never a reply: the lead's side and the team's state are unchanged.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {conversation}"
        ))
        .await,
        messages_before
    );
    let (_, after) = app.call(&ana, "get_conversation", &[("id", &id)]).await;
    assert_eq!(after["summary"]["awaiting_reply"], true);
    assert_eq!(
        after["summary"]["last_message_at"],
        before["summary"]["last_message_at"]
    );
    assert_eq!(after["notes"][0]["body"], note["body"]);
    // Shown to Bruno in the thread; searchable by its words for those with the channel.
    let (_, for_bruno) = app.call(&bruno, "get_conversation", &[("id", &id)]).await;
    assert_eq!(for_bruno["notes"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.listed_ids(&bruno, ("filter[query]", "derailleur"))
            .await,
        vec![conversation]
    );
    assert!(app
        .listed_ids(&outsider, ("filter[query]", "derailleur"))
        .await
        .is_empty());
    let (status, _) = app
        .call(&outsider, "get_conversation", &[("id", &id)])
        .await;
    assert_eq!(status, 404);
    let (status, _) = add_note(&app, &outsider, &id, "let me in").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn notes_are_checked_and_carried_by_the_api_for_those_with_the_channel() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (_, outsider) = app
        .new_agent("Otto Outside", "otto@demo.confab", false)
        .await;
    app.lead_writes("lead-note-2", "msg-note-0101", "Hello")
        .await;
    let id = app.conversation_of("lead-note-2").await.to_string();
    for (body, why) in [("   ", "empty"), (&"x".repeat(2_001) as &str, "too long")] {
        let (status, refused) = add_note(&app, &ana, &id, body).await;
        assert_eq!(status, 422, "{why}: {refused}");
        assert_eq!(refused["Validation"]["field"], "body");
    }
    let token = app
        .token_with(&ana, &["conversations:read", "conversations:write"])
        .await;
    let client = reqwest::Client::new();
    let posted = client
        .post(app.url(&format!("/api/v1/conversations/{id}/notes")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"body": "From the CRM: paid the deposit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let (status, listed) = app
        .api_get(&token, &format!("/api/v1/conversations/{id}/notes"))
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"][0]["body"], "From the CRM: paid the deposit");
    let refused = client
        .post(app.url(&format!("/api/v1/conversations/{id}/notes")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"body": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    // An employee without the channel: no notes by the API either.
    let outsider_token = app
        .token_with(&outsider, &["conversations:read", "conversations:write"])
        .await;
    let (status, _) = app
        .api_get(
            &outsider_token,
            &format!("/api/v1/conversations/{id}/notes"),
        )
        .await;
    assert_eq!(status, 404);
    let refused = client
        .post(app.url(&format!("/api/v1/conversations/{id}/notes")))
        .bearer_auth(&outsider_token)
        .json(&serde_json::json!({"body": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
}
