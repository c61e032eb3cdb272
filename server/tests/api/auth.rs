use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn server_functions_without_a_session_are_refused() {
    let app = spawn_app().await;
    let anonymous = client();
    for (name, form) in [
        ("list_conversations", vec![("status", "open")]),
        ("get_conversation", vec![("id", "1")]),
        (
            "send_message",
            vec![("conversation_id", "1"), ("body", "hi")],
        ),
        ("archive_conversation", vec![("id", "1")]),
        ("reopen_conversation", vec![("id", "1")]),
        ("mark_conversation_read", vec![("id", "1")]),
        ("older_messages", vec![("id", "1"), ("before", "100")]),
        ("retry_message", vec![("message_id", "1")]),
    ] {
        let (status, body) = app.call(&anonymous, name, &form).await;
        assert_eq!(status, 401, "{name} answered {status} {body}");
        assert_eq!(body, serde_json::json!("Unauthorized"), "{name}");
    }
    let before = app.count("SELECT COUNT(*) FROM messages").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, before);
}

#[tokio::test]
async fn pages_need_a_session_but_login_and_sandbox_do_not() {
    let app = spawn_app().await;
    let anonymous = client();
    let inbox = anonymous
        .get(app.url("/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 303);
    assert_eq!(inbox.headers()["location"], "/login");
    for open in ["/login", "/sandbox"] {
        let page = anonymous.get(app.url(open)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{open}");
    }
    let agent = app.signed_in_agent().await;
    let inbox = agent.get(app.url("/conversations")).send().await.unwrap();
    assert_eq!(inbox.status(), 200);
    let html = inbox.text().await.unwrap();
    assert!(
        html.contains("Maria Souza"),
        "the demo conversations are rendered on the server"
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_sessions_are_httponly() {
    let app = spawn_app().await;
    let c = client();
    let (status, body) = app
        .call(
            &c,
            "login",
            &[("email", app::demo::AGENT_EMAIL), ("password", "nope")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("do not match"), "{body}");
    let (status, _) = app
        .call(&c, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 401);

    let cookie = agent_session_cookie(&app, &c).await;
    assert!(cookie.starts_with("confab_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let (status, _) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.call(&agent, "logout", &[]).await;
    assert!(status < 400);
    let (status, _) = app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let response = agent
        .post(app.url("/api/archive_conversation"))
        .header("origin", "https://evil.example")
        .form(&[("id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = agent
        .post(app.url("/api/archive_conversation"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM conversations WHERE id = 1 AND status = 'archived'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_served_over_https() {
    let app =
        crate::helpers::spawn_app_with(&[("CONFAB_PUBLIC_URL", "https://inbox.example.com")]).await;
    let cookie = agent_session_cookie(&app, &client()).await;
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn five_failed_sign_ins_lock_the_account_for_a_while() {
    let app = crate::helpers::spawn_app().await;
    let c = crate::helpers::client();
    for _ in 0..5 {
        let (status, _) = app
            .call(
                &c,
                "login",
                &[
                    ("email", app::demo::AGENT_EMAIL),
                    ("password", "wrong password"),
                ],
            )
            .await;
        assert_eq!(status, 422);
    }
    // Even the right password waits now, with a clear message.
    let (status, body) = app
        .call(
            &c,
            "login",
            &[
                ("email", app::demo::AGENT_EMAIL),
                ("password", app::demo::AGENT_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body.to_string().contains("Too many failed sign-ins"),
        "{body}"
    );
    assert!(body.to_string().contains("minutes"), "{body}");
    // Another account is not touched.
    let (status, body) = app
        .call(
            &c,
            "login",
            &[
                ("email", app::demo::OWNER_EMAIL),
                ("password", app::demo::OWNER_PASSWORD),
            ],
        )
        .await;
    assert!(status < 400, "{body}");
}

/// Signs the demo agent in with `c`; the `Set-Cookie` of the answer.
async fn agent_session_cookie(app: &crate::helpers::TestApp, c: &reqwest::Client) -> String {
    let response = c
        .post(app.url("/api/login"))
        .form(&[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned()
}
