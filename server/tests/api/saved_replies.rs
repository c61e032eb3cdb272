//! Issue 24, point 4: saved replies — managed by Settings, filled for the conversation
//! (a client the employee may not see is not named), checked like a message.

use crate::helpers::spawn_app;

#[tokio::test]
async fn settings_manage_saved_replies_and_the_composer_gets_them_filled() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let ana = app.signed_in_agent().await;
    let save = |title: &'static str, body: &'static str| {
        let owner = owner.clone();
        let app = &app;
        async move {
            app.call(
                &owner,
                "save_saved_reply",
                &[("title", title), ("body", body)],
            )
            .await
        }
    };
    let (status, id) = save(
        "Opening hours",
        "Hi {client.first_name}! We open at 9. — {agent.first_name}, {channel.name}",
    )
    .await;
    assert_eq!(status, 200, "{id}");
    // Checked at the edge: a known placeholder only, a message's length, a unique title.
    for (title, body, field) in [
        ("Typo", "Hi {client.nickname}", "body"),
        (
            "Too long",
            &*Box::leak("x".repeat(1_001).into_boxed_str()),
            "body",
        ),
        ("", "text", "title"),
    ] {
        let (status, refused) = app
            .call(
                &owner,
                "save_saved_reply",
                &[("title", title), ("body", body)],
            )
            .await;
        assert_eq!(status, 422, "{title}: {refused}");
        assert_eq!(refused["Validation"]["field"], field);
    }
    let (status, _) = save("Opening hours", "again").await;
    assert_eq!(status, 409, "a title is the team's once");
    // Agents use them but do not manage them.
    let (status, _) = app
        .call(
            &ana,
            "save_saved_reply",
            &[("title", "Mine"), ("body", "x")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.call(&ana, "saved_replies", &[]).await;
    assert_eq!(status, 403);

    // Filled for a conversation: the linked client's name (Maria is a client).
    let maria = app.conversation_of("demo-lead-maria").await.to_string();
    let (status, filled) = app
        .call(&ana, "saved_replies_for", &[("conversation_id", &maria)])
        .await;
    assert_eq!(status, 200, "{filled}");
    assert_eq!(
        filled[0]["body"],
        "Hi Maria! We open at 9. — Ana, Sandbox shop"
    );
    // A conversation the employee may not use: nothing.
    let (_, outsider) = app
        .new_agent("Otto Outside", "otto@demo.confab", false)
        .await;
    let (status, _) = app
        .call(
            &outsider,
            "saved_replies_for",
            &[("conversation_id", &maria)],
        )
        .await;
    assert_eq!(status, 404);

    // Changed, then deleted.
    let id = id.as_i64().unwrap().to_string();
    let (status, _) = app
        .call(
            &owner,
            "save_saved_reply",
            &[("id", &id), ("title", "Hours"), ("body", "We open at 8.")],
        )
        .await;
    assert_eq!(status, 200);
    let (_, all) = app.call(&owner, "saved_replies", &[]).await;
    assert_eq!(all[0]["title"], "Hours");
    assert_eq!(all[0]["body"], "We open at 8.");
    let (status, _) = app.call(&owner, "delete_saved_reply", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (status, _) = app.call(&owner, "delete_saved_reply", &[("id", &id)]).await;
    assert_eq!(status, 404);
}
