use crate::helpers::{eventually, spawn_app};
use std::time::Duration;

#[tokio::test]
async fn a_reply_of_1001_characters_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let messages = app.count("SELECT COUNT(*) FROM messages").await;
    let events = app.count("SELECT COUNT(*) FROM events").await;
    let too_long = "a".repeat(1001);
    let (status, body) = app
        .call(
            &agent,
            "send_message",
            &[("conversation_id", "1"), ("body", &too_long)],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body["Validation"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("1001") && message.contains("1000"),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, messages);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, events);

    // Exactly at the limit is fine.
    let at_limit = "b".repeat(1000);
    let (status, body) = app
        .call(
            &agent,
            "send_message",
            &[("conversation_id", "1"), ("body", &at_limit)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        messages + 1
    );
}

#[tokio::test]
async fn blank_replies_and_unknown_conversations_are_refused() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let (status, _) = app
        .call(
            &agent,
            "send_message",
            &[("conversation_id", "1"), ("body", "  \n ")],
        )
        .await;
    assert_eq!(status, 422);
    let (status, body) = app
        .call(
            &agent,
            "send_message",
            &[("conversation_id", "999999"), ("body", "hi")],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app
        .call(&agent, "get_conversation", &[("id", "999999")])
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(&agent, "get_conversation", &[("id", "not-a-number")])
        .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn a_reply_is_delivered_and_reaches_the_lead() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    assert_eq!(
        app.lead_writes("lead-deliver-1", "msg-deliver-01", "Hello?")
            .await
            .status(),
        200
    );
    let conversation = app.conversation_of("lead-deliver-1").await.to_string();
    let (status, sent) = app
        .call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &conversation),
                ("body", "Hi!\nHow can we help?"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["status"], "pending");
    assert_eq!(sent["body"], "Hi!\nHow can we help?");
    let id = sent["id"].as_i64().unwrap();
    let delivered = eventually(Duration::from_secs(5), || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE id = {id} AND status = 'delivered'"
        ))
        .await
            == 1
    })
    .await;
    assert!(delivered, "the sender delivered the reply");
    let channel = app.sandbox_channel().await.to_string();
    let (status, thread) = app
        .call(
            &crate::helpers::test_lead("lead-deliver-1").client(),
            "sandbox_thread",
            &[("channel_id", &channel)],
        )
        .await;
    assert_eq!(status, 200);
    let bodies: Vec<&str> = thread
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Hello?", "Hi!\nHow can we help?"]);

    // The lead reads it: the employee sees it read.
    let lead = crate::helpers::test_lead("lead-deliver-1");
    let response = lead
        .post(&app.url(&format!("/webhooks/sandbox/{channel}")))
        .json(&serde_json::json!({"type": "read", "lead_id": lead.id, "watermark": i64::MAX / 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    let last = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "read");
    assert!(last["read_at"].as_i64().is_some());
}

#[tokio::test]
async fn archive_shows_who_and_a_new_lead_message_reopens() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-archive-1", "msg-archive-01", "First")
        .await;
    let conversation = app.conversation_of("lead-archive-1").await.to_string();
    let (status, _) = app
        .call(&agent, "archive_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["status"], "archived");
    assert_eq!(detail["archived_by"], "Ana Agent");
    assert!(detail["archived_at"].as_i64().is_some());
    let (_, archived) = app
        .call(&agent, "list_conversations", &[("status", "archived")])
        .await;
    assert!(archived["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == conversation.parse::<i64>().unwrap()));

    app.lead_writes("lead-archive-1", "msg-archive-02", "Me again")
        .await;
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["status"], "open");
    assert_eq!(detail["archived_by"], serde_json::Value::Null);
    let (_, open) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    let first = &open["items"][0];
    assert_eq!(
        first["id"].to_string(),
        conversation,
        "newest activity comes first"
    );
    assert_eq!(first["preview"], "Me again");
    assert!(first["unread_count"].as_i64().unwrap() >= 1);
    assert_eq!(first["awaiting_reply"], true);
}

#[tokio::test]
async fn sending_in_an_archived_conversation_reopens_it() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-reopen-1", "msg-reopen-01", "Hi")
        .await;
    let conversation = app.conversation_of("lead-reopen-1").await.to_string();
    app.call(&agent, "archive_conversation", &[("id", &conversation)])
        .await;
    let (status, _) = app
        .call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &conversation),
                ("body", "One more thing"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["status"], "open");
    assert_eq!(detail["summary"]["awaiting_reply"], false);
    let audits = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_entries WHERE conversation_id = {conversation} AND action IN ('archived', 'reopened', 'sent')"
        ))
        .await;
    assert_eq!(audits, 3);
}

#[tokio::test]
async fn opening_marks_read_and_the_red_dot_follows() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    // Clear the demo's attention state so only our lead counts.
    sqlx::query("UPDATE conversations SET unread_count = 0, awaiting_reply = 0")
        .execute(&app.db.write)
        .await
        .unwrap();
    sqlx::query("DELETE FROM unread_marks")
        .execute(&app.db.write)
        .await
        .unwrap();
    let (_, needs) = app.call(&agent, "inbox_attention", &[]).await;
    assert_eq!(needs["needs_attention"], false);
    app.lead_writes("lead-dot-1", "msg-dot-0001", "Anyone there?")
        .await;
    let (_, needs) = app.call(&agent, "inbox_attention", &[]).await;
    assert_eq!(needs["needs_attention"], true);
    assert_eq!(needs["unread_conversations"], 1, "the tab title's count");
    let conversation = app.conversation_of("lead-dot-1").await.to_string();
    let (status, summary) = app
        .call(&agent, "conversation_summary", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(summary["preview"], "Anyone there?");
    app.call(&agent, "mark_conversation_read", &[("id", &conversation)])
        .await;
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["unread_count"], 0);
    // Still awaiting a reply: the dot stays until someone answers.
    let (_, needs) = app.call(&agent, "inbox_attention", &[]).await;
    assert_eq!(needs["needs_attention"], true);
    assert_eq!(needs["unread_conversations"], 0);
    app.call(
        &agent,
        "send_message",
        &[("conversation_id", &conversation), ("body", "Yes!")],
    )
    .await;
    let (_, needs) = app.call(&agent, "inbox_attention", &[]).await;
    assert_eq!(needs["needs_attention"], false);
}

#[tokio::test]
async fn the_list_pages_with_a_cursor() {
    // Sixty leads, each from an address of its own (the sandbox takes 30 a minute from one).
    let app = crate::helpers::spawn_app_with(&[("CONFAB_TRUST_PROXY", "true")]).await;
    let agent = app.signed_in_agent().await;
    for i in 0..60 {
        app.lead_writes(
            &format!("lead-page-{i:03}"),
            &format!("msg-page-{i:04}"),
            "hi",
        )
        .await;
    }
    let (_, first) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    let next = &first["next"];
    let at = next["last_message_at"].to_string();
    let id = next["id"].to_string();
    let (status, second) = app
        .call(
            &agent,
            "list_conversations",
            &[
                ("status", "open"),
                ("after[last_message_at]", &at),
                ("after[id]", &id),
            ],
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let second = second["items"].as_array().unwrap();
    assert!(!second.is_empty());
    let first_ids: Vec<_> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert!(
        second.iter().all(|c| !first_ids.contains(&c["id"])),
        "pages do not overlap"
    );
}

#[tokio::test]
async fn mark_unread_puts_it_back_for_this_employee_alone() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let conversation = app.conversation_of("demo-lead-joao").await.to_string();
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["unread_count"], 0);
    let (status, _) = app
        .call(&agent, "mark_conversation_unread", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200);
    let owner = app.signed_in_owner().await;
    let (_, detail) = app
        .call(&owner, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(
        detail["summary"]["unread_count"], 0,
        "the owner's own state"
    );
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["summary"]["unread_count"], 1);
    let (status, _) = app
        .call(&agent, "mark_conversation_unread", &[("id", "999999")])
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn files_sent_to_the_sandbox_lead_reach_their_page() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-files-1", "msg-files-0001", "Send me the list?")
        .await;
    let conversation = app.conversation_of("lead-files-1").await;
    let pdf = b"%PDF-1.4 price list".to_vec();
    let response = agent
        .post(app.url(&format!("/media/send/{conversation}")))
        .query(&[("name", "prices.pdf"), ("caption", "Our prices")])
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let delivered = eventually(Duration::from_secs(5), || async {
        app.count(
            "SELECT COUNT(*) FROM messages WHERE body = 'Our prices' AND status = 'delivered'",
        )
        .await
            == 1
    })
    .await;
    assert!(delivered, "the sandbox delivered the file");
    let channel = app.sandbox_channel().await.to_string();
    let (status, thread) = app
        .call(
            &crate::helpers::test_lead("lead-files-1").client(),
            "sandbox_thread",
            &[("channel_id", &channel)],
        )
        .await;
    assert_eq!(status, 200);
    let last = thread.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["body"], "Our prices");
    let file = &last["files"][0];
    assert_eq!(file["name"], "prices.pdf");
    assert_eq!(file["mime"], "application/pdf");
    let url = file["url"].as_str().unwrap();
    assert!(url.starts_with("/media/public/"), "{url}");
    // The lead (no account) fetches it from the signed URL; a changed signature gets nothing.
    let fetched = crate::helpers::client()
        .get(app.url(url))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), pdf);
    let forged = format!("{}0", &url[..url.len() - 1]);
    let forged = if forged == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        forged
    };
    let refused = crate::helpers::client()
        .get(app.url(&forged))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // The lead's own messages carry no files link of ours.
    assert_eq!(thread[0]["files"], serde_json::json!([]));
}
