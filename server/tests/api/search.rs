//! Search and filters in the list.

use crate::helpers::{spawn_app, TestApp};
use serde_json::Value;

async fn names(app: &TestApp, agent: &reqwest::Client, form: &[(&str, &str)]) -> Vec<String> {
    let mut form = form.to_vec();
    form.push(("status", "open"));
    let (status, page) = app.call(agent, "list_conversations", &form).await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contact_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_names_phones_and_words_of_messages() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes(
        "lead-search-01",
        "msg-search-001",
        "Do you fix cracked tablets?",
    )
    .await;
    app.lead_writes(
        "lead-search-02",
        "msg-search-002",
        "Quanto custa a troca de tela?",
    )
    .await;
    // Link the second lead to a client with a phone number.
    sqlx::query(
        "UPDATE contacts SET client_id = (SELECT client_id FROM client_phones WHERE phone = '+5511987654321')
          WHERE external_id = $1",
    )
    .bind(crate::helpers::test_lead("lead-search-02").id)
    .execute(&app.db.write)
    .await
    .unwrap();

    let by_word = names(&app, &agent, &[("filter[query]", "tablets")]).await;
    assert_eq!(by_word, ["Test Lead"], "a word of a message");
    let by_prefix = names(&app, &agent, &[("filter[query]", "tablet")]).await;
    assert_eq!(
        by_prefix,
        ["Test Lead"],
        "a word's beginning (the archived demo tablet chat is not open)"
    );
    let two_words = names(&app, &agent, &[("filter[query]", "cracked screen")]).await;
    assert_eq!(two_words, ["Maria Souza"], "every word must match");
    let accents = names(&app, &agent, &[("filter[query]", "tela")]).await;
    assert_eq!(accents.len(), 1);
    let by_contact = names(&app, &agent, &[("filter[query]", "pedro")]).await;
    assert_eq!(by_contact, ["Pedro Alves"], "a contact's name, any case");
    let by_client = names(&app, &agent, &[("filter[query]", "Maria Souza")]).await;
    assert!(
        by_client.contains(&"Test Lead".to_owned()),
        "the linked client's name: {by_client:?}"
    );
    let by_phone = names(&app, &agent, &[("filter[query]", "98765-4321")]).await;
    assert!(
        by_phone.contains(&"Test Lead".to_owned()),
        "the client's phone: {by_phone:?}"
    );
    assert!(names(&app, &agent, &[("filter[query]", "zebra")])
        .await
        .is_empty());
    // Search syntax and SQL are just text.
    for junk in [
        "\"",
        "a OR b*",
        "'; DROP TABLE messages; --",
        "%",
        "_",
        "NEAR(a b)",
    ] {
        names(&app, &agent, &[("filter[query]", junk)]).await;
    }
    assert!(app.count("SELECT COUNT(*) FROM messages").await > 0);
    let (status, err) = app
        .call(
            &agent,
            "list_conversations",
            &[("status", "open"), ("filter[query]", &"x".repeat(101))],
        )
        .await;
    assert_eq!(status, 422, "{err}");
}

#[tokio::test]
async fn filters_narrow_by_unread_awaiting_and_channel() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let all = names(&app, &agent, &[]).await;
    let unread = names(&app, &agent, &[("filter[unread_only]", "true")]).await;
    let awaiting = names(&app, &agent, &[("filter[awaiting_only]", "true")]).await;
    // Demo: Maria and Pedro wrote last and are unread; João got our reply last.
    assert_eq!(unread, ["Pedro Alves", "Maria Souza"]);
    assert_eq!(awaiting, ["Pedro Alves", "Maria Souza"]);
    assert!(all.len() > unread.len());
    let conversation = app.conversation_of("demo-lead-pedro").await.to_string();
    app.call(&agent, "mark_conversation_read", &[("id", &conversation)])
        .await;
    assert_eq!(
        names(&app, &agent, &[("filter[unread_only]", "true")]).await,
        ["Maria Souza"]
    );
    assert_eq!(
        names(&app, &agent, &[("filter[awaiting_only]", "true")])
            .await
            .len(),
        2
    );

    let channel = app.sandbox_channel().await.to_string();
    assert_eq!(
        names(&app, &agent, &[("filter[channel]", &channel)]).await,
        all
    );
    assert!(names(&app, &agent, &[("filter[channel]", "99999")])
        .await
        .is_empty());

    let (_, channels) = app.call(&agent, "my_channels", &[]).await;
    assert_eq!(channels.as_array().map(Vec::len), Some(1));
    let _: Value = channels;
}
