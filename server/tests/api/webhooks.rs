use crate::helpers::spawn_app;

#[tokio::test]
async fn a_retried_webhook_is_stored_once() {
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_eq!(
            app.lead_writes("lead-dup-0001", "msg-dup-00001", "Only once")
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'Only once'")
            .await,
        1
    );
}

#[tokio::test]
async fn bad_webhooks_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    let before = app.count("SELECT COUNT(*) FROM messages").await;
    // The lead's own browser: its refusals are the body's.
    let c = crate::helpers::test_lead("lead-bad-0001").client();
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (c.post(&url).header("content-type", "application/json").body("{not json"), 400),
        (c.post(&url).header("content-type", "text/plain").body("{}"), 400),
        (c.post(&url).json(&serde_json::json!({"type": "message", "lead_id": "lead-bad-0001", "name": "X", "message_id": "msg-bad-00001", "text": "x".repeat(1001)})), 422),
        (c.post(&url).json(&serde_json::json!({"type": "message", "lead_id": "lead-bad-0001", "name": "X", "message_id": "msg-bad-00001", "text": "hi", "extra": 1})), 400),
        (c.post(&url).json(&serde_json::json!({"type": "message", "lead_id": "../../etc", "name": "X", "message_id": "msg-bad-00001", "text": "hi"})), 422),
        // An unknown channel or kind is answered as a bad signature (no id enumeration).
        (c.post(app.url("/webhooks/sandbox/99999")).json(&serde_json::json!({"type": "read", "lead_id": "lead-bad-0001", "watermark": 1})), 401),
        (c.post(app.url(&format!("/webhooks/telegram/{channel}"))).json(&serde_json::json!({})), 401),
    ];
    // Above the 1 MiB cap: refused by its length, before any of it is read (sent without
    // the body, which a refused client may not finish writing).
    let (status, body) =
        crate::helpers::post_headers_only(&url, "application/json", 2 * 1024 * 1024, &[]).await;
    assert_eq!(status, 413, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    assert!(
        json["message"].as_str().is_some_and(|m| m.contains("KiB")),
        "{body}"
    );
    for (i, (request, expected)) in cases.into_iter().enumerate() {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, expected, "case {i}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "case {i} explains itself: {body}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, before);
}

#[tokio::test]
async fn html_and_sql_in_text_are_stored_as_sent() {
    let app = spawn_app().await;
    let text = "<script>alert(1)</script>'); DROP TABLE messages; --";
    assert_eq!(
        app.lead_writes("lead-xss-0001", "msg-xss-00001", text)
            .await
            .status(),
        200
    );
    let stored: String =
        sqlx::query_scalar("SELECT body FROM messages WHERE provider_id = 'msg-xss-00001'")
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(stored, text);
    let agent = app.signed_in_agent().await;
    let conversation = app.conversation_of("lead-xss-0001").await;
    let html = agent
        .get(app.url(&format!("/conversations/{conversation}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>alert(1)"),
        "the text is escaped in the page"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}
