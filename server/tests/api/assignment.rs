//! Issue 24, point 2: a conversation is given to an employee who may answer it (or to
//! nobody), the list filters Mine / Unassigned, the assignee hears of it live, new
//! conversations may go round in turn, and someone who may no longer answer is released.

use crate::events::SseReader;
use crate::helpers::{spawn_app, TestApp};
use serde_json::Value;

async fn summary(app: &TestApp, who: &reqwest::Client, id: &str) -> Value {
    let (status, detail) = app.call(who, "get_conversation", &[("id", id)]).await;
    assert_eq!(status, 200, "{detail}");
    detail
}

/// `who` gives conversation `id` to employee `to`: the status.
async fn assign(app: &TestApp, who: &reqwest::Client, id: &str, to: i64) -> u16 {
    let (status, body) = app
        .call(
            who,
            "assign_conversation",
            &[("id", id), ("assignee", &to.to_string())],
        )
        .await;
    assert!(status == 200 || status >= 400, "{body}");
    status
}

#[tokio::test]
async fn ana_assigns_to_bruno_who_sees_it_in_mine_live_and_in_the_api() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (bruno_id, bruno) = app
        .new_agent("Bruno Costa", "bruno@demo.confab", true)
        .await;
    app.lead_writes("lead-asg-1", "msg-asg-0001", "Hello").await;
    let conversation = app.conversation_of("lead-asg-1").await;
    let id = conversation.to_string();
    assert!(app
        .listed_ids(&bruno, ("filter[assignee]", "unassigned"))
        .await
        .contains(&conversation));
    assert!(app
        .listed_ids(&bruno, ("filter[assignee]", "mine"))
        .await
        .is_empty());

    // Whom it may go to: those with the channel and Conversations, by name.
    let (status, choices) = app.call(&ana, "assignable_employees", &[("id", &id)]).await;
    assert_eq!(status, 200, "{choices}");
    let names: Vec<&str> = choices
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana Agent", "Bruno Costa", "Olivia Owner"]);

    let mut bruno_live = SseReader::open(&app, &bruno, None).await;
    assert_eq!(assign(&app, &ana, &id, bruno_id).await, 200);
    // Bruno hears of it live, with who did it.
    let event = bruno_live
        .next_of_kind("conversation_assigned")
        .await
        .expect("Bruno's stream carries the assignment");
    let payload: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(payload["payload"]["assignee_id"], bruno_id);
    assert_eq!(payload["payload"]["by_name"], "Ana Agent");
    // Mine, Unassigned, the row and the header, the history.
    assert_eq!(
        app.listed_ids(&bruno, ("filter[assignee]", "mine")).await,
        vec![conversation]
    );
    assert!(app
        .listed_ids(&ana, ("filter[assignee]", "mine"))
        .await
        .is_empty());
    assert!(!app
        .listed_ids(&ana, ("filter[assignee]", "unassigned"))
        .await
        .contains(&conversation));
    let detail = summary(&app, &ana, &id).await;
    assert_eq!(detail["summary"]["assignee"]["name"], "Bruno Costa");
    assert_eq!(detail["history"][0]["action"], "assigned");
    assert_eq!(detail["history"][0]["detail"], "Bruno Costa");
    // The same again changes nothing (no second history line).
    assign(&app, &ana, &id, bruno_id).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE conversation_id = {conversation} AND action = 'assigned'"
        ))
        .await,
        1
    );

    // The API: Bruno's token lists it as his; an integration unassigns it.
    let token = app
        .token_with(&bruno, &["conversations:read", "conversations:write"])
        .await;
    let (status, mine) = app
        .api_get(&token, "/api/v1/conversations?assignee=mine")
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["items"][0]["id"], conversation);
    assert_eq!(mine["items"][0]["assignee"]["id"], bruno_id);
    let (status, refused) = app
        .api_get(&token, "/api/v1/conversations?assignee=everyone")
        .await;
    assert_eq!(status, 422, "{refused}");
    let unassign = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/conversations/{id}/assign")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"assignee_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(unassign.status(), 200);
    let after: Value = unassign.json().await.unwrap();
    assert_eq!(after["assignee"], Value::Null);
    let detail = summary(&app, &ana, &id).await;
    assert_eq!(detail["history"][0]["action"], "unassigned");
    assert_eq!(detail["history"][0]["detail"], "Bruno Costa");
    let bad = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/conversations/{id}/assign")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"assignee": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn an_assignment_on_a_channel_one_may_not_use_reaches_nobody_without_it() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (outsider_id, outsider) = app
        .new_agent("Otto Outside", "otto@demo.confab", false)
        .await;
    app.lead_writes("lead-asg-2", "msg-asg-0101", "Hello").await;
    let id = app.conversation_of("lead-asg-2").await.to_string();
    // Nobody may give it to someone without its channel.
    let (status, refused) = app
        .call(
            &ana,
            "assign_conversation",
            &[("id", &id), ("assignee", &outsider_id.to_string())],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["Validation"]["field"], "assignee");
    // Nor may the outsider read whom it may go to, or assign it.
    let (status, _) = app
        .call(&outsider, "assignable_employees", &[("id", &id)])
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(&outsider, "assign_conversation", &[("id", &id)])
        .await;
    assert_eq!(status, 404);
    // An assignment there reaches no stream of theirs, and no list.
    let mut outsider_live = SseReader::open(&app, &outsider, None).await;
    let ana_id = app
        .count("SELECT id FROM employees WHERE email = 'agent@demo.confab'")
        .await;
    assert_eq!(assign(&app, &ana, &id, ana_id).await, 200);
    assert!(outsider_live
        .next_of_kind("conversation_assigned")
        .await
        .is_none());
    let (status, _) = app
        .call(
            &outsider,
            "list_conversations",
            &[("status", "open"), ("filter[assignee]", "mine")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(app
        .listed_ids(&outsider, ("filter[assignee]", "all"))
        .await
        .is_empty());
    // A bad filter value is refused, not read as "all".
    let (status, _) = app
        .call(
            &ana,
            "list_conversations",
            &[("status", "open"), ("filter[assignee]", "everyone")],
        )
        .await;
    assert!((400..500).contains(&status), "{status}");
}

#[tokio::test]
async fn leaving_the_team_or_the_channel_gives_the_conversations_back() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (bruno_id, _bruno) = app
        .new_agent("Bruno Costa", "bruno@demo.confab", true)
        .await;
    let owner = app.signed_in_owner().await;
    for (lead, message) in [
        ("lead-asg-3", "msg-asg-0201"),
        ("lead-asg-4", "msg-asg-0202"),
    ] {
        app.lead_writes(lead, message, "Hello").await;
        let id = app.conversation_of(lead).await.to_string();
        assert_eq!(assign(&app, &ana, &id, bruno_id).await, 200);
    }
    let assigned_to_bruno =
        format!("SELECT COUNT(*) FROM conversations WHERE assignee_id = {bruno_id}");
    assert_eq!(app.count(&assigned_to_bruno).await, 2);
    // The channel taken from him: his conversations there go back to the team.
    let owner_id = app
        .count("SELECT id FROM employees WHERE email = 'owner@demo.confab'")
        .await;
    let ana_id = app
        .count("SELECT id FROM employees WHERE email = 'agent@demo.confab'")
        .await;
    let response = owner
        .post(app.url("/api/set_channel_access"))
        .json(&serde_json::json!({"channel_id": app.sandbox_channel().await, "employee_ids": [owner_id, ana_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count(&assigned_to_bruno).await, 0);
    let id = app.conversation_of("lead-asg-3").await.to_string();
    let detail = summary(&app, &ana, &id).await;
    assert_eq!(detail["history"][0]["action"], "released");
    assert_eq!(detail["history"][0]["employee_name"], "Bruno Costa");

    // Deactivated: the same.
    assert_eq!(assign(&app, &ana, &id, ana_id).await, 200);
    let response = owner
        .post(app.url("/api/set_employee_active"))
        .json(&serde_json::json!({"id": ana_id, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE assignee_id = {ana_id}"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn new_conversations_go_round_the_signed_in_employees_of_a_channel_that_asks() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let ana = app.signed_in_agent().await;
    let channel = app.sandbox_channel().await.to_string();
    // Only Settings may turn it on.
    let (status, _) = app
        .call(
            &ana,
            "set_channel_auto_assign",
            &[("channel_id", &channel), ("on", "true")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(
            &owner,
            "set_channel_auto_assign",
            &[("channel_id", &channel), ("on", "true")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .call(
            &owner,
            "set_channel_auto_assign",
            &[("channel_id", "999999"), ("on", "true")],
        )
        .await;
    assert_eq!(status, 404);
    let mut ana_live = SseReader::open(&app, &ana, None).await;
    let mut given = Vec::new();
    for i in 0..4 {
        let lead = format!("lead-turn-{i}");
        app.lead_writes(&lead, &format!("msg-turn-{i:04}"), "Hi")
            .await;
        // A second message in the same conversation does not move it on.
        app.lead_writes(&lead, &format!("msg-turn-{i:04}-b"), "Hi again")
            .await;
        let id = app.conversation_of(&lead).await.to_string();
        let detail = summary(&app, &owner, &id).await;
        given.push(
            detail["summary"]["assignee"]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        assert_eq!(detail["history"][0]["action"], "auto_assigned");
    }
    // Owner and Ana are signed in (the demo's other employees are not): in turn.
    assert_ne!(given[0], given[1]);
    assert_eq!(given[0], given[2]);
    assert_eq!(given[1], given[3]);
    let mut names = given.clone();
    names.sort();
    names.dedup();
    assert_eq!(names, ["Ana Agent", "Olivia Owner"]);
    assert!(ana_live
        .next_of_kind("conversation_assigned")
        .await
        .is_some());
}
