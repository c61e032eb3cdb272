//! Practice channels (issue 23): the demo has one of each kind, connected to the simulator
//! built into Confab. A lead played from `/sandbox` enters through the provider's own
//! webhook route (signed, of the documented shape), replies go through the simulator's
//! copy of the provider's API and come back with its receipts and refusals, and only
//! employees who may use a practice channel can play its leads.

use crate::helpers::{client, eventually, spawn_app, test_lead, TestApp, TestLead};
use app::channels::ChannelKind;
use serde_json::{json, Value};
use std::time::Duration;

/// A browser signed in as `email` that also plays the test lead `lead`.
struct Player {
    lead: TestLead,
    browser: reqwest::Client,
}

async fn player(app: &TestApp, email: &str, password: &str, lead: &str) -> Player {
    let lead = test_lead(lead);
    let (_, session) = app.session_cookie(email, password).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "cookie",
        format!("{session}; {}", lead.cookie()).parse().unwrap(),
    );
    headers.insert("x-forwarded-for", lead.address.to_string().parse().unwrap());
    let browser = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Player { lead, browser }
}

async fn owner_player(app: &TestApp, lead: &str) -> Player {
    player(app, app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD, lead).await
}

async fn practice_channel(app: &TestApp, kind: ChannelKind) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM channels WHERE kind = $1 AND simulated = 1 ORDER BY id LIMIT 1",
    )
    .bind(kind.as_str())
    .fetch_one(&app.db.read)
    .await
    .unwrap()
}

impl Player {
    async fn act(&self, app: &TestApp, channel: i64, action: Value) -> (u16, Value) {
        let response = self
            .browser
            .post(app.url(&format!("/sandbox/practice/{channel}")))
            .json(&action)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn writes(&self, app: &TestApp, channel: i64, message_id: &str, text: &str) {
        let (status, body) = self
            .act(
                app,
                channel,
                json!({"type": "message", "name": "Paula Lima", "username": "paula.lima", "message_id": message_id, "text": text}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    async fn phone(&self, app: &TestApp, channel: i64) -> (u16, Value) {
        app.call(
            &self.browser,
            "practice_thread",
            &[("channel_id", &channel.to_string())],
        )
        .await
    }
}

/// The conversation of the lead's address on a channel, once it exists.
async fn conversation(app: &TestApp, channel: i64, address: &str) -> i64 {
    let found = eventually(Duration::from_secs(10), || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM conversations c JOIN contacts k ON k.id = c.contact_id
              WHERE c.channel_id = {channel} AND k.external_id = '{address}'"
        ))
        .await
            == 1
    })
    .await;
    assert!(found, "no conversation of {address} on channel {channel}");
    sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id
          WHERE c.channel_id = $1 AND k.external_id = $2",
    )
    .bind(channel)
    .bind(address)
    .fetch_one(&app.db.read)
    .await
    .unwrap()
}

async fn message_status(app: &TestApp, body: &str) -> (String, Option<String>) {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT status, error FROM messages WHERE body = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(body)
    .fetch_optional(&app.db.read)
    .await
    .unwrap();
    row.unwrap_or_default()
}

async fn wait_for_status(app: &TestApp, body: &str, status: &str) -> bool {
    eventually(Duration::from_secs(15), || async {
        message_status(app, body).await.0 == status
    })
    .await
}

/// Calls a server function that takes JSON.
async fn post_json(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Value,
) -> (u16, String) {
    let r = client
        .post(app.url(&format!("/api/{name}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn reply(
    app: &TestApp,
    employee: &reqwest::Client,
    conversation: i64,
    body: &str,
) -> (u16, Value) {
    app.call(
        employee,
        "send_message",
        &[
            ("conversation_id", &conversation.to_string()),
            ("body", body),
        ],
    )
    .await
}

#[tokio::test]
async fn the_demo_has_one_practice_channel_of_each_kind_and_each_takes_a_lead_through_its_webhook()
{
    let app = spawn_app().await;
    let owner = owner_player(&app, "practice-all").await;
    let (status, channels) = app.call(&owner.browser, "sandbox_channels", &[]).await;
    assert_eq!(status, 200, "{channels}");
    let kinds: Vec<&str> = channels
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["simulated"] == true)
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["messenger", "instagram", "whatsapp", "twilio_sms"]);
    for kind in app::practice::PRACTICE_KINDS {
        let channel = practice_channel(&app, kind).await;
        let text = format!("Oi! Vocês consertam celular? ({})", kind.as_str());
        owner
            .writes(&app, channel, &format!("msg-{}-1", kind.as_str()), &text)
            .await;
        let address = app::practice::lead_address(kind, &owner.lead.id);
        conversation(&app, channel, &address).await;
        assert_eq!(message_status(&app, &text).await.0, "received", "{kind:?}");
        // A retried post is the same provider message: stored once.
        owner
            .writes(&app, channel, &format!("msg-{}-1", kind.as_str()), &text)
            .await;
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM messages WHERE body = '{text}'"
            ))
            .await,
            1
        );
        let (status, phone) = owner.phone(&app, channel).await;
        assert_eq!(status, 200, "{phone}");
        assert_eq!(phone["address"], address);
        assert_eq!(phone["messages"][0]["body"], text);
    }
    // Messenger and Instagram webhooks carry no name: Confab asked the simulator's Graph API.
    let instagram = practice_channel(&app, ChannelKind::Instagram).await;
    let address = app::practice::lead_address(ChannelKind::Instagram, &owner.lead.id);
    let named = eventually(Duration::from_secs(10), || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM contacts WHERE channel_id = {instagram} AND external_id = '{address}'
                AND name = 'Paula Lima' AND username = 'paula.lima'"
        ))
        .await
            == 1
    })
    .await;
    assert!(
        named,
        "the Instagram lead's name and nickname came from the profile API"
    );
}

#[tokio::test]
async fn a_messenger_reply_is_delivered_read_and_closes_after_seven_days() {
    let app = spawn_app().await;
    let owner = owner_player(&app, "practice-messenger").await;
    let channel = practice_channel(&app, ChannelKind::Messenger).await;
    owner
        .writes(&app, channel, "msg-m-0001", "Quanto custa a tela?")
        .await;
    let address = app::practice::lead_address(ChannelKind::Messenger, &owner.lead.id);
    let conversation = conversation(&app, channel, &address).await;
    let employee = app.signed_in_owner().await;
    let (status, body) = reply(&app, &employee, conversation, "R$ 350, fica pronta amanhã.").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        wait_for_status(&app, "R$ 350, fica pronta amanhã.", "delivered").await,
        "{:?}",
        message_status(&app, "R$ 350, fica pronta amanhã.").await
    );
    let (_, phone) = owner.phone(&app, channel).await;
    let reply_on_phone = &phone["messages"][1];
    assert_eq!(reply_on_phone["body"], "R$ 350, fica pronta amanhã.");
    assert_eq!(reply_on_phone["status"], "delivered");
    // Exactly one copy reached the lead (the echo was recognised as Confab's own).
    assert_eq!(phone["messages"].as_array().unwrap().len(), 2, "{phone}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'R$ 350, fica pronta amanhã.'")
            .await,
        1
    );
    let (status, body) = owner.act(&app, channel, json!({"type": "read"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(wait_for_status(&app, "R$ 350, fica pronta amanhã.", "read").await);
    // Eight days later the human-agent window (7 days) has closed: Confab refuses to send.
    let (status, body) = owner
        .act(&app, channel, json!({"type": "later", "hours": 24 * 8}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = reply(&app, &employee, conversation, "Ainda quer a tela?").await;
    assert_eq!(status, 422, "{body}");
    // Within the human-agent week (2 days after a new message) the tag is used, and the
    // simulator takes it as Meta does.
    owner
        .writes(&app, channel, "msg-m-0002", "Oi de novo")
        .await;
    owner
        .act(&app, channel, json!({"type": "later", "hours": 48}))
        .await;
    let (status, body) = reply(&app, &employee, conversation, "Sim, temos a tela.").await;
    assert_eq!(status, 200, "{body}");
    assert!(wait_for_status(&app, "Sim, temos a tela.", "delivered").await);
}

#[tokio::test]
async fn whatsapp_past_24_hours_takes_only_a_template() {
    let app = spawn_app().await;
    let owner = owner_player(&app, "practice-whatsapp").await;
    let channel = practice_channel(&app, ChannelKind::Whatsapp).await;
    owner
        .writes(&app, channel, "msg-w-0001", "Meu pedido chegou?")
        .await;
    let address = app::practice::lead_address(ChannelKind::Whatsapp, &owner.lead.id);
    let conversation = conversation(&app, channel, &address).await;
    let employee = app.signed_in_owner().await;
    reply(&app, &employee, conversation, "Chegou sim!").await;
    assert!(wait_for_status(&app, "Chegou sim!", "delivered").await);
    owner.act(&app, channel, json!({"type": "read"})).await;
    assert!(wait_for_status(&app, "Chegou sim!", "read").await);
    let (status, body) = owner
        .act(&app, channel, json!({"type": "later", "hours": 25}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = reply(&app, &employee, conversation, "Texto livre").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("template"), "{body}");
    let (status, templates) = app
        .call(
            &employee,
            "whatsapp_templates",
            &[("conversation_id", &conversation.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{templates}");
    let names: Vec<&str> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"pedido_pronto"), "{names:?}");
    let sent = employee
        .post(app.url("/api/send_template"))
        .json(&json!({
            "conversation_id": conversation,
            "choice": { "name": "pedido_pronto", "language": "pt_BR", "params": ["Paula", "#7"] }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status().as_u16(),
        200,
        "{}",
        sent.text().await.unwrap()
    );
    let rendered = "Olá Paula, seu pedido #7 está pronto para retirada.";
    assert!(
        wait_for_status(&app, rendered, "delivered").await,
        "{:?}",
        message_status(&app, rendered).await
    );
    let (_, phone) = owner.phone(&app, channel).await;
    assert!(
        phone["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == rendered),
        "{phone}"
    );
}

#[tokio::test]
async fn an_sms_to_a_phone_that_is_off_is_undelivered() {
    let app = spawn_app().await;
    let owner = owner_player(&app, "practice-sms").await;
    let channel = practice_channel(&app, ChannelKind::TwilioSms).await;
    owner
        .writes(&app, channel, "msg-s-0001", "Vocês abrem sábado?")
        .await;
    let address = app::practice::lead_address(ChannelKind::TwilioSms, &owner.lead.id);
    assert!(address.starts_with("+5511"), "{address}");
    let conversation = conversation(&app, channel, &address).await;
    let employee = app.signed_in_owner().await;
    reply(&app, &employee, conversation, "Abrimos sim, das 9h às 13h.").await;
    assert!(wait_for_status(&app, "Abrimos sim, das 9h às 13h.", "delivered").await);
    let (status, body) = owner
        .act(&app, channel, json!({"type": "phone_off", "off": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    reply(&app, &employee, conversation, "Confirmado?").await;
    assert!(
        wait_for_status(&app, "Confirmado?", "failed").await,
        "{:?}",
        message_status(&app, "Confirmado?").await
    );
    let (_, error) = message_status(&app, "Confirmado?").await;
    assert!(error.unwrap_or_default().contains("30003"));
    let (_, phone) = owner.phone(&app, channel).await;
    assert_eq!(phone["phone_off"], true);
    // Only an SMS lead has a phone to turn off.
    let messenger = practice_channel(&app, ChannelKind::Messenger).await;
    let (status, _) = owner
        .act(&app, messenger, json!({"type": "phone_off", "off": true}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_expired_token_loses_sync_until_the_owner_reconnects() {
    let app = spawn_app().await;
    let owner = owner_player(&app, "practice-token").await;
    let channel = practice_channel(&app, ChannelKind::Messenger).await;
    owner.writes(&app, channel, "msg-t-0001", "Olá").await;
    let address = app::practice::lead_address(ChannelKind::Messenger, &owner.lead.id);
    let conversation = conversation(&app, channel, &address).await;
    let employee = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let (status, _) = post_json(
        &app,
        &agent,
        "expire_practice_token",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(status, 403, "an agent has no Settings");
    let (status, body) = post_json(
        &app,
        &employee,
        "expire_practice_token",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    reply(&app, &employee, conversation, "Vai falhar").await;
    let lost = eventually(Duration::from_secs(15), || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM channels WHERE id = {channel} AND status = 'sync_lost'"
        ))
        .await
            == 1
    })
    .await;
    assert!(lost, "the channel lost sync");
    let (status, body) = post_json(
        &app,
        &employee,
        "renew_practice_token",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM channels WHERE id = {channel} AND status = 'connected'"
        ))
        .await,
        1
    );
    let (status, body) = reply(&app, &employee, conversation, "Agora vai").await;
    assert_eq!(status, 200, "{body}");
    assert!(wait_for_status(&app, "Agora vai", "delivered").await);
    // A real channel is no practice channel: its token cannot be expired from here.
    let sandbox = app.sandbox_channel().await;
    let (status, _) = post_json(
        &app,
        &employee,
        "expire_practice_token",
        json!({"channel_id": sandbox}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_employees_who_may_use_a_practice_channel_play_its_leads() {
    let app = spawn_app().await;
    let channel = practice_channel(&app, ChannelKind::Whatsapp).await;
    // The owner writes as a lead; then the agent loses the channel.
    let owner = owner_player(&app, "practice-access").await;
    owner
        .writes(&app, channel, "msg-a-0001", "Segredo do dono")
        .await;
    sqlx::query("DELETE FROM channel_access WHERE channel_id = $1 AND employee_id = (SELECT id FROM employees WHERE email = $2)")
        .bind(channel)
        .bind(app::demo::AGENT_EMAIL)
        .execute(&app.db.write)
        .await
        .unwrap();
    let agent = player(
        &app,
        app::demo::AGENT_EMAIL,
        app::demo::AGENT_PASSWORD,
        "practice-access",
    )
    .await;
    let stranger = test_lead("practice-access");
    let action = json!({"type": "message", "name": "X", "message_id": "msg-a-0002", "text": "oi"});
    let (status, body) = agent.act(&app, channel, action.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "practice_needs_access");
    let anonymous = stranger
        .post(&app.url(&format!("/sandbox/practice/{channel}")))
        .json(&action)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 403);
    let (status, _) = agent.phone(&app, channel).await;
    assert_eq!(
        status, 403,
        "the agent reads no practice phone of a channel they lost"
    );
    let (status, _) = app
        .call(
            &stranger.client(),
            "practice_thread",
            &[("channel_id", &channel.to_string())],
        )
        .await;
    assert_eq!(status, 401);
    // The lead's stream of a practice channel is refused too.
    let stream = agent
        .browser
        .get(app.url(&format!("/sandbox/events?channel={channel}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 403);
    // The public list shows a visitor no practice channel, and the agent not this one.
    let (_, listed) = app.call(&client(), "sandbox_channels", &[]).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["simulated"] != true),
        "{listed}"
    );
    let (_, listed) = app.call(&agent.browser, "sandbox_channels", &[]).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != channel),
        "{listed}"
    );
    // Nothing the refused posts said was stored.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'oi'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_owner_adds_a_practice_channel_and_settings_refuse_a_bad_kind() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let add = |kind: &'static str| {
        post_json(
            &app,
            &owner,
            "add_practice_channel",
            json!({ "kind": kind }),
        )
    };
    let (status, body) = add("instagram").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM channels WHERE kind = 'instagram' AND simulated = 1")
            .await,
        2
    );
    let (status, body) = add("sandbox").await;
    assert_eq!(status, 422, "{body}");
    let agent = app.signed_in_agent().await;
    let (status, _) = post_json(
        &app,
        &agent,
        "add_practice_channel",
        json!({ "kind": "messenger" }),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_first_hour_guides_the_owner_until_a_real_channel_is_connected() {
    let app = spawn_app().await;
    let employee = app.signed_in_owner().await;
    let agent = app.signed_in_agent().await;
    let (status, steps) = app.call(&employee, "first_hour", &[]).await;
    assert_eq!(status, 200, "{steps}");
    assert_eq!(
        steps,
        json!({"practice_channels": true, "practice_tried": false, "team_invited": true})
    );
    // The steps are the owner's to take: an agent gets none.
    let (status, none) = app.call(&agent, "first_hour", &[]).await;
    assert_eq!((status, none), (200, Value::Null));
    let (status, _) = app.call(&client(), "first_hour", &[]).await;
    assert_eq!(status, 401);
    // A practice lead writes: that step is done.
    let owner = owner_player(&app, "first-hour").await;
    let channel = practice_channel(&app, ChannelKind::Messenger).await;
    owner.writes(&app, channel, "msg-f-0001", "Oi").await;
    let (_, steps) = app.call(&employee, "first_hour", &[]).await;
    assert_eq!(steps["practice_tried"], true);
    // A real channel: the guide is gone.
    let (status, body) = post_json(
        &app,
        &employee,
        "create_channel",
        json!({
            "kind": "twilio_sms", "name": "Shop SMS", "employee_ids": [],
            "credentials": [["account_sid", "AC1"], ["auth_token", "t"], ["phone_number", "+15558675310"]],
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, none) = app.call(&employee, "first_hour", &[]).await;
    assert_eq!(none, Value::Null);
}

#[tokio::test]
async fn without_the_conversations_permission_no_practice_lead_is_played() {
    let app = spawn_app().await;
    let channel = practice_channel(&app, ChannelKind::Messenger).await;
    // The agent keeps the channel but their role loses Conversations.
    sqlx::query("UPDATE roles SET permissions = 'documents' WHERE name = 'Agent'")
        .execute(&app.db.write)
        .await
        .unwrap();
    let agent = player(
        &app,
        app::demo::AGENT_EMAIL,
        app::demo::AGENT_PASSWORD,
        "no-permission",
    )
    .await;
    let action = json!({"type": "message", "name": "X", "message_id": "msg-p-0001", "text": "sem permissão"});
    let (status, body) = agent.act(&app, channel, action).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = agent.phone(&app, channel).await;
    assert_eq!(status, 403);
    let (_, listed) = app.call(&agent.browser, "sandbox_channels", &[]).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["simulated"] != true),
        "{listed}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE body = 'sem permissão'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_real_channel_is_out_of_the_simulators_reach() {
    let app = spawn_app().await;
    let employee = app.signed_in_owner().await;
    let (status, body) = post_json(
        &app,
        &employee,
        "create_channel",
        json!({
            "kind": "messenger", "name": "Real Page", "employee_ids": [],
            "credentials": [["page_id", "998877665544"], ["app_secret", "real-secret"], ["access_token", "EAAreal"]],
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let real: i64 = body.trim().parse().unwrap();
    for name in ["expire_practice_token", "renew_practice_token"] {
        let (status, body) = post_json(&app, &employee, name, json!({"channel_id": real})).await;
        assert_eq!(status, 404, "{name}: {body}");
    }
    let owner = owner_player(&app, "real-channel").await;
    let (status, _) = owner
        .act(&app, real, json!({"type": "later", "hours": 24}))
        .await;
    assert!(status == 401 || status == 403, "{status}");
    let (status, _) = owner.phone(&app, real).await;
    assert!(status >= 400, "{status}");
    // A practice channel is reconnected only by the simulator's new token.
    let practice = practice_channel(&app, ChannelKind::Messenger).await;
    let (status, body) = post_json(
        &app,
        &employee,
        "reconnect_channel",
        json!({"channel_id": practice, "credentials": [["page_id", "1"], ["app_secret", "x"], ["access_token", "y"]]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = owner
        .act(&app, practice, json!({"type": "later", "hours": 24}))
        .await;
    assert_eq!(status, 200);
}
