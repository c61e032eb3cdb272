//! Documents obey channel access: a document made from a conversation is read only by
//! employees who may use that conversation's channel, by every door (the CRM pages, the
//! client card in a conversation and on the client's page); one made otherwise needs the
//! Documents permission. Linking a conversation to a client needs a client one may see.

use crate::helpers::{client, TestApp};
use app::channels::ChannelKind;
use app::employees::Permission;
use app::ids::{ChannelId, EmployeeId};
use serde_json::Value;

pub async fn employee_id(app: &TestApp, email: &str) -> EmployeeId {
    EmployeeId(
        sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
            .bind(email)
            .fetch_one(&app.db.read)
            .await
            .unwrap(),
    )
}

/// A second channel ("P") that only the owner may use.
pub async fn owner_only_channel(app: &TestApp) -> ChannelId {
    let channel =
        app::channels::store::create(&app.db, ChannelKind::Sandbox, "Private shop", "sandbox-p")
            .await
            .unwrap();
    let owner = employee_id(app, app::demo::OWNER_EMAIL).await;
    app::channels::store::grant_access(&app.db, channel, owner)
        .await
        .unwrap();
    channel
}

/// A lead's conversation on `channel` (written straight to the database: what matters
/// here is who may read it, not how it arrived). Returns the conversation's id.
pub async fn conversation_on(app: &TestApp, channel: ChannelId, lead: &str, name: &str) -> i64 {
    let now = app::store::now_ms();
    let contact: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (channel_id, external_id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(channel.0)
    .bind(lead)
    .bind(name)
    .bind(now)
    .fetch_one(&app.db.write)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO conversations (channel_id, contact_id, last_message_at, created_at)
         VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(channel.0)
    .bind(contact)
    .bind(now)
    .fetch_one(&app.db.write)
    .await
    .unwrap()
}

/// A signed-in employee with a new role of `permissions` and access to `channels`.
pub async fn employee_with(
    app: &TestApp,
    email: &str,
    permissions: &[Permission],
    channels: &[ChannelId],
) -> reqwest::Client {
    let role = app::auth::store::create_role(&app.db, email, permissions, false)
        .await
        .unwrap();
    let password = "a long test password";
    let id = app::auth::store::create_employee(&app.db, email, "Test Employee", password, role)
        .await
        .unwrap();
    for channel in channels {
        app::channels::store::grant_access(&app.db, *channel, id)
            .await
            .unwrap();
    }
    app.signed_in(email, password).await
}

pub async fn client_named(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM clients WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}

async fn create_document(app: &TestApp, session: &reqwest::Client, conversation: i64, title: &str) {
    let created = session
        .post(app.url("/api/create_document"))
        .json(&serde_json::json!({"conversation_id": conversation, "kind": "estimate", "title": title, "amount": "900"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
}

async fn link(app: &TestApp, session: &reqwest::Client, conversation: i64, client: i64) -> u16 {
    app.call(
        session,
        "link_client",
        &[
            ("conversation_id", &conversation.to_string()),
            ("client_id", &client.to_string()),
        ],
    )
    .await
    .0
}

fn titles(documents: &Value) -> Vec<String> {
    documents
        .as_array()
        .unwrap_or_else(|| panic!("a list: {documents}"))
        .iter()
        .map(|d| {
            d.get("document")
                .unwrap_or(d)
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

const SECRET: &str = "Rooftop solar estimate";

#[tokio::test]
async fn a_document_of_a_channel_one_may_not_use_is_read_by_no_door() {
    let app = crate::helpers::spawn_app().await;
    let private = owner_only_channel(&app).await;
    let hidden = conversation_on(&app, private, "lead-p-1", "Paula Private").await;
    let maria = client_named(&app, "Maria Souza").await;
    let owner = app.signed_in_owner().await;
    // The owner links the private conversation to Maria (a shared client) and makes an
    // estimate there: the document is Maria's and the private conversation's.
    assert_eq!(link(&app, &owner, hidden, maria).await, 200);
    create_document(&app, &owner, hidden, SECRET).await;
    let document: i64 = sqlx::query_scalar("SELECT id FROM documents WHERE title = $1")
        .bind(SECRET)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
    let document = document.to_string();

    // The agent (Conversations + Documents, without the channel) by every door.
    let agent = app.signed_in_agent().await;
    let (status, list) = app
        .call(&agent, "list_documents", &[("kind", "estimate")])
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(!titles(&list).contains(&SECRET.to_owned()), "{list}");
    assert!(
        titles(&list).iter().any(|t| !t.is_empty()),
        "the demo estimates stay: {list}"
    );
    let (_, found) = app
        .call(
            &agent,
            "list_documents",
            &[("kind", "estimate"), ("query", "rooftop")],
        )
        .await;
    assert_eq!(found, serde_json::json!([]), "search finds nothing either");
    let (status, body) = app.call(&agent, "get_document", &[("id", &document)]).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.to_string().contains("Rooftop"), "{body}");
    let (status, card) = app
        .call(&agent, "get_client", &[("id", &maria.to_string())])
        .await;
    assert_eq!(status, 200, "{card}");
    assert!(!titles(&card["documents"]).contains(&SECRET.to_owned()));
    assert!(
        titles(&card["documents"]).contains(&"Screen replacement".to_owned()),
        "Maria's documents not made from a conversation stay: {card}"
    );
    // The client card of the agent's own conversation with Maria.
    let sandbox = ChannelId(app.sandbox_channel().await);
    let own = conversation_on(&app, sandbox, "lead-agent-1", "Maria again").await;
    assert_eq!(link(&app, &agent, own, maria).await, 200);
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &own.to_string())])
        .await;
    assert_eq!(
        detail["client"]["client"]["name"], "Maria Souza",
        "{detail}"
    );
    assert!(!titles(&detail["client"]["documents"]).contains(&SECRET.to_owned()));
    assert!(!detail.to_string().contains("Rooftop"), "{detail}");
    // Nor the conversation's own documents, nor the page itself.
    let (status, _) = app
        .call(&agent, "get_conversation", &[("id", &hidden.to_string())])
        .await;
    assert_eq!(status, 404);
    let page = agent
        .get(app.url(&format!("/documents/{document}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Rooftop"), "the server-rendered page either");

    // The owner, who has the channel, reads it by every door.
    let (_, list) = app
        .call(&owner, "list_documents", &[("kind", "estimate")])
        .await;
    assert!(titles(&list).contains(&SECRET.to_owned()), "{list}");
    let (status, row) = app.call(&owner, "get_document", &[("id", &document)]).await;
    assert_eq!(status, 200);
    assert_eq!(row["document"]["title"], SECRET);
    assert_eq!(row["client_name"], "Maria Souza");
    let (_, card) = app
        .call(&owner, "get_client", &[("id", &maria.to_string())])
        .await;
    assert!(titles(&card["documents"]).contains(&SECRET.to_owned()));
    let (_, detail) = app
        .call(&owner, "get_conversation", &[("id", &hidden.to_string())])
        .await;
    assert!(titles(&detail["documents"]).contains(&SECRET.to_owned()));

    // Given the channel, the agent reads it too.
    app::channels::store::grant_access(
        &app.db,
        private,
        employee_id(&app, app::demo::AGENT_EMAIL).await,
    )
    .await
    .unwrap();
    let (status, _) = app.call(&agent, "get_document", &[("id", &document)]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_documents_only_the_documents_of_ones_conversations_show() {
    let app = crate::helpers::spawn_app().await;
    let sandbox = ChannelId(app.sandbox_channel().await);
    let cora = employee_with(
        &app,
        "cora@demo.confab",
        &[Permission::Conversations],
        &[sandbox],
    )
    .await;
    let own = conversation_on(&app, sandbox, "lead-cora-1", "Maria on the shop").await;
    let maria = client_named(&app, "Maria Souza").await;
    // Maria has conversations on the sandbox channel: Cora sees her, and may link her.
    assert_eq!(link(&app, &cora, own, maria).await, 200);
    create_document(&app, &app.signed_in_owner().await, own, "Battery swap").await;
    let (_, detail) = app
        .call(&cora, "get_conversation", &[("id", &own.to_string())])
        .await;
    assert_eq!(
        detail["client"]["client"]["name"], "Maria Souza",
        "{detail}"
    );
    assert_eq!(
        titles(&detail["client"]["documents"]),
        vec!["Battery swap".to_owned()],
        "Maria's documents not made from a conversation need Documents: {detail}"
    );
    assert_eq!(detail["client"]["can_share"], false);
    for (name, form) in [
        ("list_documents", vec![("kind", "estimate")]),
        ("get_document", vec![("id", "1")]),
        ("list_clients", vec![]),
        ("get_client", vec![("id", "1")]),
        ("list_calls", vec![]),
        ("search_clients", vec![("query", "Maria")]),
        ("share_client", vec![("id", "1")]),
    ] {
        let (status, body) = app.call(&cora, name, &form).await;
        assert_eq!(status, 403, "{name}: {body}");
    }
}

#[tokio::test]
async fn a_conversations_only_employee_cannot_link_a_client_they_cannot_see() {
    let app = crate::helpers::spawn_app().await;
    let sandbox = ChannelId(app.sandbox_channel().await);
    let private = owner_only_channel(&app).await;
    let cora = employee_with(
        &app,
        "cora@demo.confab",
        &[Permission::Conversations],
        &[sandbox],
    )
    .await;
    let own = conversation_on(&app, sandbox, "lead-cora-2", "Someone").await;
    // A lead of the private channel made a client there (private to that channel).
    let hidden = conversation_on(&app, private, "lead-p-2", "Paula Private").await;
    let owner = app.signed_in_owner().await;
    let (status, paula) = app
        .call(
            &owner,
            "create_client_for_conversation",
            &[
                ("conversation_id", &hidden.to_string()),
                ("name", "Paula Private"),
                ("phone", ""),
                ("email", "paula@example.com"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{paula}");
    let paula = paula.as_i64().unwrap();
    // Rita is shared but walked in: no conversation Cora may see has her, and Cora has no
    // Documents to reach the shared clients.
    let rita = client_named(&app, "Rita Ramos").await;
    for (who, id) in [
        ("a private client", paula),
        ("a shared client", rita),
        ("no client", 987_654),
    ] {
        assert_eq!(link(&app, &cora, own, id).await, 404, "{who}");
        let (_, detail) = app
            .call(&cora, "get_conversation", &[("id", &own.to_string())])
            .await;
        assert!(
            detail["client"].is_null(),
            "{who}: nothing linked: {detail}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts WHERE external_id = 'lead-cora-2' AND client_id IS NOT NULL")
            .await,
        0
    );
    // The agent holds Documents: a shared client is theirs to link, a private one is not.
    let agent = app.signed_in_agent().await;
    assert_eq!(link(&app, &agent, own, paula).await, 404);
    assert_eq!(link(&app, &agent, own, rita).await, 200);
    let (status, _) = app
        .call(
            &client(),
            "link_client",
            &[("conversation_id", "1"), ("client_id", "1")],
        )
        .await;
    assert_eq!(status, 401, "and a stranger nothing at all");
}
