//! The sandbox is open to anyone, so it answers each browser for its own lead only: the
//! lead's id comes from its cookie, never from what the request names. It is limited per
//! client address, and off when the owner says so (or when there is no demo).

use crate::helpers::{client, spawn_app, spawn_app_with, test_lead, TestApp, TestLead};
use confab::routes::sandbox::{MAX_STREAMS_PER_ADDRESS, MESSAGES_PER_MINUTE};
use serde_json::{json, Value};

/// The demo's leads, whose ids are fixed (app/src/demo.rs).
const DEMO_LEADS: &[&str] = &[
    "demo-lead-maria",
    "demo-lead-joao",
    "demo-lead-carla",
    "demo-lead-pedro",
];

async fn thread_of(
    app: &TestApp,
    browser: &reqwest::Client,
    form: &[(&str, &str)],
) -> (u16, Value) {
    app.call(browser, "sandbox_thread", form).await
}

fn message(lead_id: &str, message_id: &str, text: &str) -> Value {
    json!({"type": "message", "lead_id": lead_id, "name": "Someone", "message_id": message_id, "text": text})
}

async fn messages_of(app: &TestApp, lead: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
           JOIN contacts ct ON ct.id = c.contact_id WHERE ct.external_id = '{lead}'"
    ))
    .await
}

#[tokio::test]
async fn a_stranger_gets_nothing_of_a_demo_leads_thread() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await.to_string();
    let stranger = test_lead("stranger-01");
    for lead in DEMO_LEADS {
        assert!(
            messages_of(&app, lead).await > 0,
            "the demo has {lead}'s thread"
        );
        // Without a cookie, and with a lead cookie of one's own: the named lead is ignored.
        for browser in [client(), stranger.client()] {
            let (status, thread) = thread_of(
                &app,
                &browser,
                &[("channel_id", &channel), ("lead_id", lead)],
            )
            .await;
            assert_eq!(status, 200, "{thread}");
            assert_eq!(thread, json!([]), "{lead}'s thread leaked");
        }
        // The stream: refused without a cookie, and for another lead than the cookie's.
        let url = app.url(&format!("/sandbox/events?channel={channel}&lead={lead}"));
        let anonymous = client().get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), 403);
        let body: Value = anonymous.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("/sandbox"),
            "{body}"
        );
        let as_stranger = stranger.client().get(&url).send().await.unwrap();
        assert_eq!(as_stranger.status(), 403);
    }
}

#[tokio::test]
async fn a_webhook_naming_a_demo_lead_injects_nothing() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    let stranger = test_lead("stranger-02");
    for (i, lead) in DEMO_LEADS.iter().enumerate() {
        let before = messages_of(&app, lead).await;
        let unread = app
            .count(&format!(
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                   JOIN contacts ct ON ct.id = c.contact_id
                  WHERE ct.external_id = '{lead}' AND m.read_at IS NULL"
            ))
            .await;
        let injected = message(lead, &format!("msg-inject-{i:04}"), "send the refund to me");
        let read = json!({"type": "read", "lead_id": lead, "watermark": i64::MAX / 2});
        for body in [&injected, &read] {
            let anonymous = client().post(&url).json(body).send().await.unwrap();
            assert_eq!(anonymous.status(), 403);
            let as_stranger = stranger.post(&url).json(body).send().await.unwrap();
            assert_eq!(as_stranger.status(), 403);
            let refusal: Value = as_stranger.json().await.unwrap();
            assert_eq!(refusal["code"], "not_your_lead", "{refusal}");
        }
        assert_eq!(
            messages_of(&app, lead).await,
            before,
            "a message was injected as {lead}"
        );
        let unread_after = app
            .count(&format!(
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                   JOIN contacts ct ON ct.id = c.contact_id
                  WHERE ct.external_id = '{lead}' AND m.read_at IS NULL"
            ))
            .await;
        assert_eq!(unread_after, unread, "{lead}'s replies were marked read");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'send the refund to me'")
            .await,
        0
    );
}

#[tokio::test]
async fn two_leads_cannot_read_or_write_each_others_thread() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let (ana, bia) = (test_lead("lead-ana-01"), test_lead("lead-bia-01"));
    app.lead_writes("lead-ana-01", "msg-ana-0001", "Ana's private question")
        .await;
    app.lead_writes("lead-bia-01", "msg-bia-0001", "Bia's private question")
        .await;
    let channel_id = channel.to_string();
    let bodies = |thread: &Value| -> Vec<String> {
        thread
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    for (lead, own) in [
        (&ana, "Ana's private question"),
        (&bia, "Bia's private question"),
    ] {
        let other = if lead.id == ana.id { &bia } else { &ana };
        // Asking for the other one by name changes nothing: the cookie decides.
        let (status, thread) = thread_of(
            &app,
            &lead.client(),
            &[("channel_id", &channel_id), ("lead_id", &other.id)],
        )
        .await;
        assert_eq!(status, 200, "{thread}");
        assert_eq!(bodies(&thread), [own]);
    }
    // Bia cannot write as Ana, nor mark Ana's replies read.
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    let response = bia
        .post(&url)
        .json(&message(&ana.id, "msg-bia-as-ana", "I am Ana, really"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(messages_of(&app, &ana.id).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'I am Ana, really'")
            .await,
        0
    );
}

/// A lead of its own at `address`.
fn lead_at(name: &str, address: &str) -> TestLead {
    TestLead {
        address: address.parse().unwrap(),
        ..test_lead(name)
    }
}

#[tokio::test]
async fn the_31st_message_in_a_minute_from_one_address_is_refused() {
    let app = spawn_app_with(&[("CONFAB_TRUST_PROXY", "true")]).await;
    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    let flooder = lead_at("lead-flood-01", "203.0.113.7");
    for i in 0..MESSAGES_PER_MINUTE {
        let response = flooder
            .post(&url)
            .json(&message(&flooder.id, &format!("msg-flood-{i:04}"), "spam"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "message {i}");
    }
    // The 31st, even as another lead (a new cookie) from the same address.
    for lead in [flooder, lead_at("lead-flood-02", "203.0.113.7")] {
        let response = lead
            .post(&url)
            .header("accept-language", "pt-BR")
            .json(&message(&lead.id, "msg-flood-last", "spam"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "rate_limited");
        assert!(
            body["message"].as_str().unwrap().contains("Tente de novo"),
            "{body}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'spam'")
            .await,
        i64::from(MESSAGES_PER_MINUTE)
    );
    // Another address is still served.
    let neighbour = lead_at("lead-neighbour", "198.51.100.20");
    let response = neighbour
        .post(&url)
        .json(&message(&neighbour.id, "msg-neighbour1", "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_over_16_kib_is_refused() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let lead = test_lead("lead-large-01");
    let mut body = message(&lead.id, "msg-large-0001", "hi");
    body["padding"] = json!("x".repeat(20 * 1024));
    let response = lead
        .post(&app.url(&format!("/webhooks/sandbox/{channel}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let refusal: Value = response.json().await.unwrap();
    assert!(
        refusal["message"].as_str().unwrap().contains("16 KiB"),
        "{refusal}"
    );
}

#[tokio::test]
async fn lead_streams_beyond_the_cap_are_refused() {
    let app = spawn_app_with(&[("CONFAB_TRUST_PROXY", "true")]).await;
    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/sandbox/events?channel={channel}"));
    let mut open = Vec::new();
    for i in 0..MAX_STREAMS_PER_ADDRESS {
        let tab = lead_at(&format!("lead-tabs-{i:02}"), "203.0.113.50");
        let stream = tab.client().get(&url).send().await.unwrap();
        assert_eq!(stream.status(), 200, "stream {i}");
        open.push(stream);
    }
    let one_more = lead_at("lead-tabs-more", "203.0.113.50")
        .client()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(one_more.status(), 429);
    let body: Value = one_more.json().await.unwrap();
    assert_eq!(body["code"], "too_many_streams", "{body}");
    // Another address still gets its stream, and it follows its lead's thread.
    let other = lead_at("lead-tabs-other", "198.51.100.50");
    let stream = other.client().get(&url).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    drop(open);
}

/// The owner turns the sandbox channel on or off (Settings › Conversations).
async fn set_enabled(app: &TestApp, browser: &reqwest::Client, channel: i64, enabled: bool) -> u16 {
    browser
        .post(app.url("/api/set_sandbox_enabled"))
        .header("accept", "application/json")
        .json(&json!({"channel_id": channel, "enabled": enabled}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_owner_turning_the_sandbox_off_makes_it_refuse_everything() {
    let app = spawn_app().await;
    let channel = app.sandbox_channel().await;
    let lead = test_lead("lead-off-01");
    assert_eq!(
        app.lead_writes("lead-off-01", "msg-off-00001", "before")
            .await
            .status(),
        200
    );
    // Only an employee with the Settings permission may.
    let agent = app.signed_in_agent().await;
    assert_eq!(set_enabled(&app, &agent, channel, false).await, 403);
    assert_eq!(set_enabled(&app, &client(), channel, false).await, 401);
    let owner = app.signed_in_owner().await;
    assert_eq!(set_enabled(&app, &owner, channel, false).await, 200);

    let webhook = app.url(&format!("/webhooks/sandbox/{channel}"));
    let response = lead
        .post(&webhook)
        .json(&message(&lead.id, "msg-off-00002", "after"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("The sandbox is off"),
        "{body}"
    );
    let stream = lead
        .client()
        .get(app.url(&format!("/sandbox/events?channel={channel}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 404);
    let (status, _) = thread_of(
        &app,
        &lead.client(),
        &[("channel_id", &channel.to_string())],
    )
    .await;
    assert_eq!(status, 404);
    let (_, channels) = app.call(&client(), "sandbox_channels", &[]).await;
    assert_eq!(
        channels,
        json!([]),
        "/sandbox lists no channel: it says the sandbox is off"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'after'")
            .await,
        0
    );

    // On again: the same lead goes on where it was.
    assert_eq!(set_enabled(&app, &owner, channel, true).await, 200);
    let response = lead
        .post(&webhook)
        .json(&message(&lead.id, "msg-off-00003", "back"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, thread) = thread_of(
        &app,
        &lead.client(),
        &[("channel_id", &channel.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(thread.as_array().unwrap().len(), 2, "{thread}");
}

#[tokio::test]
async fn an_empty_database_without_the_demo_has_no_sandbox() {
    let app = spawn_app_with(&[("CONFAB_DEMO", "false")]).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM channels WHERE kind = 'sandbox'")
            .await,
        0
    );
    let (status, channels) = app.call(&client(), "sandbox_channels", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(channels, json!([]));
    let lead = test_lead("lead-empty-01");
    for channel in 1..4 {
        let response = lead
            .post(&app.url(&format!("/webhooks/sandbox/{channel}")))
            .json(&message(&lead.id, "msg-empty-0001", "anyone?"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
}

#[tokio::test]
async fn a_browser_becomes_a_lead_by_its_cookie() {
    let app = spawn_app().await;
    let browser = crate::helpers::client();
    let response = browser
        .post(app.url("/api/sandbox_lead"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie =
        crate::helpers::set_cookie(&response, "confab_sandbox_lead").expect("a lead cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let lead: String = response.json().await.unwrap();
    let secret = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap();
    // 256 random bits; the lead id is derived from them, and shows none of them.
    assert_eq!(secret.len(), 64);
    assert_eq!(
        app::sandbox::lead::lead_id_of(&secret).as_deref(),
        Some(lead.as_str())
    );
    assert!(!lead.contains(&secret[..12]));

    // The same browser stays the same lead; "start as a new lead" makes another.
    let (status, again) = app.call(&browser, "sandbox_lead", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(again, json!(lead));
    let (_, fresh) = app
        .call(&browser, "sandbox_lead", &[("fresh", "true")])
        .await;
    assert_ne!(fresh, json!(lead));
    let (_, now) = app.call(&browser, "sandbox_lead", &[]).await;
    assert_eq!(now, fresh);

    // Served over https, the cookie travels encrypted only, under the `__Host-` name
    // (Secure, Path=/, no Domain), so no sibling subdomain can set it.
    let https = spawn_app_with(&[
        ("CONFAB_PUBLIC_URL", "https://inbox.example.com"),
        ("CONFAB_DEMO", "force"),
    ])
    .await;
    let response = client()
        .post(https.url("/api/sandbox_lead"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(crate::helpers::set_cookie(&response, "confab_sandbox_lead").is_none());
    let cookie = crate::helpers::set_cookie(&response, "__Host-confab_sandbox_lead")
        .expect("a __Host- lead cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("; Path=/;"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain"), "{cookie}");
    let lead: String = response.json().await.unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let secret = pair.split_once('=').unwrap().1.to_owned();
    // The browser holding it stays that lead.
    let (status, again) = https.call(&cookie_client(&pair), "sandbox_lead", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(again, json!(lead));
    // The same secret under the unprefixed name (what a subdomain could plant) names no
    // lead over https: the browser gets a new lead of its own, not the planted one.
    let (status, other) = https
        .call(
            &cookie_client(&format!("confab_sandbox_lead={secret}")),
            "sandbox_lead",
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(other, json!(lead));
}

/// A browser that sends `cookie` with every request.
fn cookie_client(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}
