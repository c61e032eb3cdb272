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

/// The `Set-Cookie` value for the language cookie in a response, if any.
fn language_cookie(response: &reqwest::Response) -> Option<String> {
    crate::helpers::set_cookie(response, "i18n_pref_locale")
}

#[tokio::test]
async fn the_profile_language_is_validated_stored_and_set_at_sign_in() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    // Refused: a language we do not speak, and SQL in its place; nothing stored.
    for bad in ["fr", "pt-BR'; DROP TABLE employees; --", &"x".repeat(300)] {
        let (status, body) = app.call(&agent, "set_my_language", &[("tag", bad)]).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body.to_string().contains("English or Português"), "{body}");
    }
    let stored: Option<String> =
        sqlx::query_scalar("SELECT locale FROM employees WHERE email = $1")
            .bind(app::demo::AGENT_EMAIL)
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(stored, None);

    // Chosen: stored, and the cookie is set for a year on the whole site.
    let response = agent
        .post(app.url("/api/set_my_language"))
        .form(&[("tag", "pt-br")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = language_cookie(&response).expect("the language cookie");
    assert!(cookie.starts_with("i18n_pref_locale=pt-BR;"), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age=31536000"),
        "{cookie}"
    );
    let (_, me) = app.call(&agent, "current_employee", &[]).await;
    assert_eq!(me["locale"], "pt-BR");

    // A new browser gets it with its sign-in, so the first page is in Portuguese.
    let fresh = crate::helpers::client();
    let response = fresh
        .post(app.url("/api/login"))
        .form(&[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400);
    let cookie = language_cookie(&response).expect("set at sign-in");
    assert!(cookie.starts_with("i18n_pref_locale=pt-BR;"), "{cookie}");
    let page = fresh
        .get(app.url("/conversations"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"lang="pt-BR""#),
        "the page is in Portuguese"
    );
    assert!(page.contains("Conversas"), "the menu is in Portuguese");

    // Back to the browser's language: stored as none, the cookie removed.
    let response = agent
        .post(app.url("/api/set_my_language"))
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = language_cookie(&response).expect("the cookie is cleared");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    let (_, me) = app.call(&agent, "current_employee", &[]).await;
    assert_eq!(me["locale"], serde_json::Value::Null);
}

#[tokio::test]
async fn pages_follow_the_browsers_language_without_a_choice() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    for (accept, lang, word) in [
        ("pt-BR,pt;q=0.9", "pt-BR", "Conversas"),
        ("pt-PT", "pt-BR", "Conversas"),
        ("en-US,en;q=0.9", "en", "Conversations"),
        ("de-DE", "en", "Conversations"),
    ] {
        let page = agent
            .get(app.url("/conversations"))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(r#"lang="{lang}""#)),
            "{accept} → {lang}"
        );
        assert!(page.contains(word), "{accept} → {word}");
    }
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let mut nonces = Vec::new();
    // A public page, the not-found page (the fallback renders it) and a signed-in page
    // whose data streams in inline scripts.
    for (who, path) in [
        (client(), "/login"),
        (agent.clone(), "/no-such-page"),
        (agent.clone(), "/conversations"),
    ] {
        let response = who.get(app.url(path)).send().await.unwrap();
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        for part in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(part), "{part} in {policy}");
        }
        assert!(!policy.contains("'unsafe-eval'"), "{policy}");
        assert!(
            !policy.contains("script-src 'self' 'unsafe-inline'"),
            "{policy}"
        );
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in script-src")
            .to_owned();
        assert_eq!(nonce.len(), 32, "128 bits in hex: {nonce}");
        let page = response.text().await.unwrap();
        // Every inline script with content carries the nonce; none would run otherwise.
        // (An empty `<script></script>` never runs, so a policy never blocks it.)
        let mut with_content = 0;
        for rest in page.split("<script").skip(1) {
            let (tag, after) = rest.split_once('>').unwrap_or((rest, ""));
            if after.starts_with("</script>") && !tag.contains("src=") {
                continue;
            }
            with_content += 1;
            assert!(
                tag.contains(&format!(r#"nonce="{nonce}""#)),
                "{path}: a script without the nonce: <script{tag}>{}",
                &after[..after.len().min(120)]
            );
        }
        assert!(with_content > 0, "{path} hydrates with a script");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for every response");
}

/// The value of the session cookie a response sets, if any.
fn session_id_set_by(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("confab_session="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|id| !id.is_empty())
}

/// Calls a server function with exactly this session cookie (no cookie jar): what a
/// browser holding it, or an attacker who planted or kept it, would send.
async fn call_with_session(
    app: &crate::helpers::TestApp,
    session_id: &str,
    name: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/api/{name}")))
        .header("accept", "application/json")
        .header("cookie", format!("confab_session={session_id}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs the demo agent in while presenting `session_id`; the session id it ends up with.
async fn agent_signs_in_holding(app: &crate::helpers::TestApp, session_id: &str) -> String {
    let response = call_with_session(
        app,
        session_id,
        "login",
        &[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ],
    )
    .await;
    assert!(response.status().as_u16() < 400, "{}", response.status());
    session_id_set_by(&response).expect("signing in sets a session cookie")
}

async fn status_with_session(app: &crate::helpers::TestApp, session_id: &str) -> u16 {
    call_with_session(app, session_id, "list_conversations", &[("status", "open")])
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn signing_in_never_keeps_a_session_id_held_before() {
    let app = spawn_app().await;

    // An id the attacker made up and planted in the victim's browser.
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let after = agent_signs_in_holding(&app, planted).await;
    assert_ne!(after, planted, "a new id at sign-in");
    assert_eq!(status_with_session(&app, planted).await, 401);
    assert_eq!(status_with_session(&app, &after).await, 200);

    // A real session of the attacker's own (they have an account), planted in the
    // victim's browser: the victim's sign-in does not make it the victim's.
    let attacker = client();
    let response = attacker
        .post(app.url("/api/login"))
        .form(&[
            ("email", app::demo::OWNER_EMAIL),
            ("password", app::demo::OWNER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let attackers = session_id_set_by(&response).expect("the attacker's session");
    let victims = agent_signs_in_holding(&app, &attackers).await;
    assert_ne!(victims, attackers);
    let response = call_with_session(&app, &attackers, "current_employee", &[]).await;
    let status = response.status().as_u16();
    let me: serde_json::Value = response.json().await.unwrap_or_default();
    assert!(
        status == 401 || me["email"] != app::demo::AGENT_EMAIL,
        "the planted id is not signed in as the victim: {status} {me}"
    );

    // Signing in again from the same browser: the previous id ends.
    let first = agent_signs_in_holding(&app, "").await;
    let second = agent_signs_in_holding(&app, &first).await;
    assert_ne!(first, second);
    assert_eq!(status_with_session(&app, &first).await, 401);
    assert_eq!(status_with_session(&app, &second).await, 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id IN ('{planted}', '{first}')"
        ))
        .await,
        0,
        "nothing is stored under an id held before signing in"
    );
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_the_employee_and_only_theirs() {
    let app = spawn_app().await;
    let laptop = app.signed_in_agent().await;
    let phone = app.signed_in_agent().await;
    let owner = app.signed_in_owner().await;
    let agent_sessions = format!(
        "SELECT COUNT(*) FROM sessions WHERE employee_id = (SELECT id FROM employees WHERE email = '{}')",
        app::demo::AGENT_EMAIL
    );
    assert_eq!(app.count(&agent_sessions).await, 2);
    for c in [&laptop, &phone, &owner] {
        let (status, _) = app
            .call(c, "list_conversations", &[("status", "open")])
            .await;
        assert_eq!(status, 200);
    }

    // Without a session there is nothing to end.
    let (status, body) = app.call(&client(), "logout_everywhere", &[]).await;
    assert_eq!(status, 401, "{body}");

    let response = laptop
        .post(app.url("/api/logout_everywhere"))
        .header("accept", "application/json")
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400, "{}", response.status());
    let removal = crate::helpers::set_cookie(&response, "confab_session")
        .expect("the answer removes this browser's cookie");
    assert!(removal.contains("Max-Age=0"), "{removal}");

    for (who, c) in [
        ("the device that asked", &laptop),
        ("the other device", &phone),
    ] {
        let (status, body) = app
            .call(c, "list_conversations", &[("status", "open")])
            .await;
        assert_eq!(status, 401, "{who}: {body}");
        let page = c.get(app.url("/conversations")).send().await.unwrap();
        assert_eq!(page.status(), 303, "{who}");
        assert_eq!(page.headers()["location"], "/login", "{who}");
    }
    assert_eq!(app.count(&agent_sessions).await, 0);
    let (status, _) = app
        .call(&owner, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 200, "another employee stays signed in");

    // Signing in again works as before.
    let again = app.signed_in_agent().await;
    let (status, _) = app
        .call(&again, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 200);
}
