//! Linking a conversation to a client, the client card, and documents from a conversation.

use crate::helpers::spawn_app;

#[tokio::test]
async fn link_by_phone_fragment_shows_the_card_and_documents() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-client-01", "msg-client-001", "Hi, it's Maria again")
        .await;
    let conversation = app.conversation_of("lead-client-01").await.to_string();

    let (status, found) = app
        .call(&agent, "search_clients", &[("query", "98765")])
        .await;
    assert_eq!(status, 200, "{found}");
    let maria = &found[0];
    assert_eq!(maria["name"], "Maria Souza");
    assert_eq!(maria["phones"][0], "+5511987654321");
    // Shown as a Brazilian business (the tests' default country) writes its numbers.
    assert_eq!(maria["phones_display"][0], "(11) 98765-4321");
    let (_, none) = app.call(&agent, "search_clients", &[("query", "m")]).await;
    assert_eq!(
        none.as_array().map(Vec::len),
        Some(0),
        "one character finds nothing"
    );

    let client_id = maria["id"].to_string();
    let (status, _) = app
        .call(
            &agent,
            "link_client",
            &[
                ("conversation_id", &conversation),
                ("client_id", &client_id),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    let card = &detail["client"];
    assert_eq!(card["client"]["name"], "Maria Souza");
    assert!(
        card["documents"].as_array().unwrap().len() >= 3,
        "the demo documents of Maria"
    );
    assert!(card["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == conversation.parse::<i64>().unwrap()));
    assert_eq!(detail["history"][0]["action"], "linked");

    // A document from the conversation: linked to it and to the client, numbered.
    let created = agent
        .post(app.url("/api/create_document"))
        .json(&serde_json::json!({"conversation_id": conversation.parse::<i64>().unwrap(), "kind": "estimate", "title": "Screen + battery", "amount": "450,90"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    let doc = &detail["documents"][0];
    assert_eq!(doc["title"], "Screen + battery");
    assert_eq!(doc["amount_cents"], 45_090);
    assert!(doc["number"].as_str().unwrap().starts_with("E-"));
    assert!(detail["client"]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["title"] == "Screen + battery"));

    let (status, _) = app
        .call(
            &agent,
            "unlink_client",
            &[("conversation_id", &conversation)],
        )
        .await;
    assert_eq!(status, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert!(detail["client"].is_null());
}

#[tokio::test]
async fn creating_a_client_from_a_conversation_and_bad_input() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-client-02", "msg-client-002", "New here")
        .await;
    let conversation = app.conversation_of("lead-client-02").await.to_string();
    let clients = app.count("SELECT COUNT(*) FROM clients").await;
    for (name, phone, email, field) in [
        ("", "", "", "name"),
        ("Rui", "12", "", "phone"),
        ("Rui", "", "not-an-email", "email"),
    ] {
        let (status, err) = app
            .call(
                &agent,
                "create_client_for_conversation",
                &[
                    ("conversation_id", &conversation),
                    ("name", name),
                    ("phone", phone),
                    ("email", email),
                ],
            )
            .await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["Validation"]["field"], field);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients").await,
        clients,
        "nothing stored"
    );
    let (status, _) = app
        .call(
            &agent,
            "create_client_for_conversation",
            &[
                ("conversation_id", &conversation),
                ("name", "Rui Costa"),
                ("phone", "+351 912 000 111"),
                ("email", "rui@example.com"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(detail["client"]["client"]["name"], "Rui Costa");
    assert_eq!(detail["client"]["client"]["phones"][0], "+351912000111");
    assert_eq!(
        detail["client"]["client"]["phones_display"][0],
        "+351 912 000 111"
    );
    let (status, _) = app
        .call(
            &agent,
            "link_client",
            &[("conversation_id", &conversation), ("client_id", "999999")],
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_phone_number_in_any_form_finds_the_same_client_and_only_visible_conversations() {
    let app = crate::helpers::spawn_app().await;
    let agent = app.signed_in_agent().await;
    let mut ids = Vec::new();
    for written in [
        "(11) 98765-4321",
        "11987654321",
        "5511987654321",
        "+55 11 98765-4321",
    ] {
        let (status, card) = app
            .call(&agent, "get_phone_card", &[("phone", written)])
            .await;
        assert_eq!(status, 200, "{written}: {card}");
        assert_eq!(card["phone"], "+5511987654321");
        assert_eq!(card["phone_display"], "(11) 98765-4321");
        assert_eq!(card["client"]["name"], "Maria Souza", "{written}");
        assert!(
            !card["conversations"].as_array().unwrap().is_empty(),
            "{card}"
        );
        ids.push(card["client"]["id"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    let (status, error) = app.call(&agent, "get_phone_card", &[("phone", "12")]).await;
    assert_eq!(status, 422, "{error}");
    // Without access to the channel, the card keeps the client and shows no conversation.
    sqlx::query("DELETE FROM channel_access WHERE employee_id = (SELECT id FROM employees WHERE email = $1)")
        .bind(app::demo::AGENT_EMAIL)
        .execute(&app.db.write)
        .await
        .unwrap();
    let (_, card) = app
        .call(&agent, "get_phone_card", &[("phone", "(11) 98765-4321")])
        .await;
    assert_eq!(card["client"]["name"], "Maria Souza");
    assert_eq!(card["conversations"], serde_json::json!([]));
}

/// Numbers of other countries: stored in E.164 whatever the form they were typed in, found
/// by the phone card in any form, and shown in international form to a Brazilian business
/// (in the card, the client, the contact panel and the list, where a contact without a
/// name is named by their number).
#[tokio::test]
async fn foreign_numbers_in_any_form_find_their_client_and_show_internationally() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let token = app.token_with(&agent, &["phone-card:read"]).await;
    for (i, (typed, e164, shown, written_elsewhere)) in [
        (
            "+34 612 34 56 78",
            "+34612345678",
            "+34 612 34 56 78",
            ["0034 612 345 678", "34612345678", "+34 612-34-56-78"],
        ),
        (
            "+52 1 55 1234 5678",
            "+525512345678",
            "+52 55 1234 5678",
            ["0052 55 1234 5678", "5215512345678", "+52 (55) 1234-5678"],
        ),
        (
            "00244 923 123 456",
            "+244923123456",
            "+244 923 123 456",
            ["+244 923 123 456", "244923123456", "+244 923-123-456"],
        ),
        (
            "+44 (0)7911 123456",
            "+447911123456",
            "+44 7911 123456",
            ["0044 7911 123456", "447911123456", "+44 7911 123 456"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let lead = format!("lead-foreign-{i}");
        app.lead_writes(&lead, &format!("msg-foreign-{i}"), "Hello from abroad")
            .await;
        let conversation = app.conversation_of(&lead).await.to_string();
        let name = format!("Foreign client {i}");
        let (status, error) = app
            .call(
                &agent,
                "create_client_for_conversation",
                &[
                    ("conversation_id", &conversation),
                    ("name", &name),
                    ("phone", typed),
                    ("email", ""),
                ],
            )
            .await;
        assert_eq!(status, 200, "{typed}: {error}");
        for written in std::iter::once(typed).chain(written_elsewhere) {
            let (status, card) = app
                .call(&agent, "get_phone_card", &[("phone", written)])
                .await;
            assert_eq!(status, 200, "{written}: {card}");
            assert_eq!(card["phone"], e164, "{written}");
            assert_eq!(card["phone_display"], shown, "{written}");
            assert_eq!(card["client"]["name"], name.as_str(), "{written}");
            assert_eq!(card["client"]["phones_display"][0], shown);
        }
        let query = format!(
            "/api/v1/phone-card?phone={}",
            written_elsewhere[0].replace('+', "%2B").replace(' ', "%20")
        );
        let (status, card) = app.api_get(&token, &query).await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["phone_display"], shown);
        assert_eq!(card["client"]["phones_display"][0], shown);

        // The lead's contact known only by this number.
        sqlx::query(
            "UPDATE contacts SET name = NULL, username = NULL, phone = $1 WHERE external_id = $2",
        )
        .bind(e164)
        .bind(crate::helpers::test_lead(&lead).id)
        .execute(&app.db.write)
        .await
        .unwrap();
        let (_, detail) = app
            .call(&agent, "get_conversation", &[("id", &conversation)])
            .await;
        assert_eq!(detail["contact_phone"], e164);
        assert_eq!(detail["contact_phone_display"], shown);
        assert_eq!(detail["summary"]["contact_name"], shown);
        assert_eq!(detail["client"]["client"]["phones_display"][0], shown);
        let (_, page) = app
            .call(&agent, "list_conversations", &[("status", "open")])
            .await;
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["contact_name"] == shown),
            "{shown} in {page}"
        );
    }
    // A number no country has is refused in the business's language.
    let (status, error) = app
        .call(&agent, "get_phone_card", &[("phone", "+999 1234 5678")])
        .await;
    assert_eq!(status, 422, "{error}");
}
