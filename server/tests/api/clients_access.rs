//! A client created from a conversation on a channel someone may not use stays out of
//! their sight by every door that returns a client, until someone with Documents shares it
//! with the team.

use crate::documents_access::{conversation_on, employee_id, employee_with, owner_only_channel};
use crate::helpers::{client, TestApp};
use app::employees::Permission;
use app::ids::ChannelId;

const NAME: &str = "Priya Private";
const WRITTEN_PHONE: &str = "(21) 99876-5432";

/// Every door that returns a client, and whether it shows Priya to this employee.
/// `token`: an API token of the same employee, for `/api/v1/phone-card`.
async fn doors(
    app: &TestApp,
    session: &reqwest::Client,
    token: &str,
    priya: i64,
    loose_invoice: i64,
    documents_permission: bool,
) -> Vec<(&'static str, bool)> {
    let shows = |body: &serde_json::Value| body.to_string().contains(NAME);
    let mut seen = Vec::new();
    let (_, card) = app
        .call(session, "get_phone_card", &[("phone", WRITTEN_PHONE)])
        .await;
    seen.push(("get_phone_card", shows(&card["client"])));
    let api = client()
        .get(app.url("/api/v1/phone-card"))
        .query(&[("phone", WRITTEN_PHONE)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    let api: serde_json::Value = api.json().await.unwrap();
    seen.push(("/api/v1/phone-card", shows(&api["client"])));
    if !documents_permission {
        return seen;
    }
    for (door, name, form) in [
        ("search by name", "search_clients", vec![("query", "priya")]),
        (
            "search by phone",
            "search_clients",
            vec![("query", "99876")],
        ),
        ("Clients list", "list_clients", vec![]),
        ("Clients search", "list_clients", vec![("query", "Priya")]),
        ("Calls", "list_calls", vec![]),
        ("Invoices", "list_documents", vec![("kind", "invoice")]),
    ] {
        let (status, body) = app.call(session, name, &form).await;
        assert_eq!(status, 200, "{door}: {body}");
        seen.push((door, shows(&body)));
    }
    let (status, body) = app
        .call(session, "get_client", &[("id", &priya.to_string())])
        .await;
    assert!(status == 200 || status == 404, "{body}");
    seen.push(("client page", status == 200 && shows(&body)));
    let (status, body) = app
        .call(
            session,
            "get_document",
            &[("id", &loose_invoice.to_string())],
        )
        .await;
    assert_eq!(
        status, 200,
        "a document not made from a conversation: {body}"
    );
    seen.push(("invoice page", shows(&body)));
    seen
}

fn all(seen: &[(&str, bool)], expected: bool) {
    for (door, shows) in seen {
        assert_eq!(*shows, expected, "{door}");
    }
}

async fn token_of(app: &TestApp, session: &reqwest::Client) -> String {
    let (status, token) = app
        .call(session, "create_my_token", &[("name", "Card")])
        .await;
    assert_eq!(status, 200, "{token}");
    token.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_private_channels_client_is_seen_by_its_channel_until_shared() {
    let app = crate::helpers::spawn_app().await;
    let private = owner_only_channel(&app).await;
    let sandbox = ChannelId(app.sandbox_channel().await);
    let hidden = conversation_on(&app, private, "lead-p-3", NAME).await;
    let owner = app.signed_in_owner().await;
    let (status, priya) = app
        .call(
            &owner,
            "create_client_for_conversation",
            &[
                ("conversation_id", &hidden.to_string()),
                ("name", NAME),
                ("phone", "+55 21 99876-5432"),
                ("email", "priya@example.com"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{priya}");
    let priya = priya.as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM clients WHERE id = {priya} AND shared = 0 AND origin_channel_id = {}",
            private.0
        ))
        .await,
        1,
        "the client remembers the channel it came from"
    );
    // Her call, and an invoice not made from a conversation (any Documents holder reads
    // it, but not her name on it).
    let now = app::store::now_ms();
    sqlx::query(
        "INSERT INTO calls (client_id, phone, direction, started_at, duration_seconds, notes)
         VALUES ($1, '+5521998765432', 'inbound', $2, 60, 'Asked for a visit')",
    )
    .bind(priya)
    .bind(now)
    .execute(&app.db.write)
    .await
    .unwrap();
    let loose_invoice: i64 = sqlx::query_scalar(
        "INSERT INTO documents (kind, number, status, title, amount_cents, client_id, created_at)
         VALUES ('invoice', 'I-9001', 'draft', 'Loose invoice', 100, $1, $2) RETURNING id",
    )
    .bind(priya)
    .bind(now)
    .fetch_one(&app.db.write)
    .await
    .unwrap();

    let agent = app.signed_in_agent().await;
    let agent_token = token_of(&app, &agent).await;
    let cora = employee_with(
        &app,
        "cora@demo.confab",
        &[Permission::Conversations],
        &[sandbox],
    )
    .await;
    let cora_token = token_of(&app, &cora).await;
    let owner_token = token_of(&app, &owner).await;

    all(
        &doors(&app, &owner, &owner_token, priya, loose_invoice, true).await,
        true,
    );
    all(
        &doors(&app, &agent, &agent_token, priya, loose_invoice, true).await,
        false,
    );
    all(
        &doors(&app, &cora, &cora_token, priya, loose_invoice, false).await,
        false,
    );
    let (_, invoice) = app
        .call(
            &agent,
            "get_document",
            &[("id", &loose_invoice.to_string())],
        )
        .await;
    assert!(
        invoice["client_id"].is_null() && invoice["client_phone"].is_null(),
        "{invoice}"
    );
    // Nor may the agent reach her by linking or sharing her.
    let own = conversation_on(&app, sandbox, "lead-agent-3", "Someone").await;
    let (status, _) = app
        .call(
            &agent,
            "link_client",
            &[
                ("conversation_id", &own.to_string()),
                ("client_id", &priya.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(&agent, "share_client", &[("id", &priya.to_string())])
        .await;
    assert_eq!(status, 404);
    // "+ Conversation" neither shows her numbers nor starts (and links) a conversation.
    let (status, body) = app
        .call(
            &agent,
            "conversation_options",
            &[("client_id", &priya.to_string())],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM contacts WHERE client_id = {priya}"
        ))
        .await,
        1,
        "only the lead she was made from"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM clients WHERE id = {priya} AND shared = 0"
        ))
        .await,
        1
    );

    // The owner sees she is private and shares her.
    let (_, card) = app
        .call(&owner, "get_client", &[("id", &priya.to_string())])
        .await;
    assert_eq!(card["client"]["shared"], false);
    assert_eq!(card["can_share"], true);
    let (status, body) = app
        .call(&owner, "share_client", &[("id", &priya.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    let owner_id = employee_id(&app, app::demo::OWNER_EMAIL).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM clients WHERE id = {priya} AND shared = 1
               AND shared_by = {owner_id} AND shared_at IS NOT NULL"
        ))
        .await,
        1,
        "who shared her, and when, is recorded"
    );
    let (_, card) = app
        .call(&owner, "get_client", &[("id", &priya.to_string())])
        .await;
    assert_eq!(card["client"]["shared"], true);
    assert_eq!(card["can_share"], false);

    // Now shared CRM data: every door shows her (the card to anyone with Conversations).
    all(
        &doors(&app, &agent, &agent_token, priya, loose_invoice, true).await,
        true,
    );
    all(
        &doors(&app, &cora, &cora_token, priya, loose_invoice, false).await,
        true,
    );
    // Her conversation stays on its channel.
    let (_, card) = app
        .call(&agent, "get_client", &[("id", &priya.to_string())])
        .await;
    assert_eq!(card["conversations"], serde_json::json!([]), "{card}");
}

#[tokio::test]
async fn a_client_made_on_a_channel_is_seen_by_all_who_use_it() {
    let app = crate::helpers::spawn_app().await;
    let sandbox = ChannelId(app.sandbox_channel().await);
    let conversation = conversation_on(&app, sandbox, "lead-shop-1", "Shop Lead").await;
    let agent = app.signed_in_agent().await;
    let (status, id) = app
        .call(
            &agent,
            "create_client_for_conversation",
            &[
                ("conversation_id", &conversation.to_string()),
                ("name", "Sam Shop"),
                ("phone", "(11) 97777-1234"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{id}");
    // The owner also uses the shop's channel: Sam is theirs to see, private or not.
    let owner = app.signed_in_owner().await;
    let (_, found) = app
        .call(&owner, "search_clients", &[("query", "Sam Shop")])
        .await;
    assert_eq!(found[0]["name"], "Sam Shop", "{found}");
    assert_eq!(found[0]["shared"], false);
    let (_, card) = app
        .call(&owner, "get_phone_card", &[("phone", "(11) 97777-1234")])
        .await;
    assert_eq!(card["client"]["name"], "Sam Shop", "{card}");
    // A bookkeeper with Documents and no channel sees him once shared.
    let bea = employee_with(&app, "bea@demo.confab", &[Permission::Documents], &[]).await;
    let (_, list) = app.call(&bea, "list_clients", &[]).await;
    assert!(!list.to_string().contains("Sam Shop"), "{list}");
    assert!(
        list.to_string().contains("Maria Souza"),
        "shared clients show: {list}"
    );
    let (status, _) = app
        .call(&agent, "share_client", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200);
    let (_, list) = app.call(&bea, "list_clients", &[]).await;
    assert!(list.to_string().contains("Sam Shop"), "{list}");
}

/// Clients made from conversations before clients had an origin: those whose contacts are
/// all on one channel become private to it; those on several, or on none, stay shared.
#[tokio::test]
async fn clients_from_before_the_rule_are_private_to_their_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = crate::helpers::test_database(dir.path());
    let pool = crate::helpers::migrated_before(&url, 20261205010000).await;
    for sql in [
        "INSERT INTO channels (id, kind, display_name, external_id, status, created_at) VALUES (1, 'sandbox', 'A', 'a', 'connected', 0)",
        "INSERT INTO channels (id, kind, display_name, external_id, status, created_at) VALUES (2, 'sandbox', 'B', 'b', 'connected', 0)",
        "INSERT INTO clients (id, name, created_at, updated_at) VALUES (1, 'One channel', 0, 0)",
        "INSERT INTO clients (id, name, created_at, updated_at) VALUES (2, 'Two channels', 0, 0)",
        "INSERT INTO clients (id, name, created_at, updated_at) VALUES (3, 'No conversation', 0, 0)",
        "INSERT INTO contacts (channel_id, external_id, name, client_id, created_at, updated_at) VALUES (2, 'x', 'X', 1, 0, 0)",
        "INSERT INTO contacts (channel_id, external_id, name, client_id, created_at, updated_at) VALUES (2, 'y', 'Y', 1, 0, 0)",
        "INSERT INTO contacts (channel_id, external_id, name, client_id, created_at, updated_at) VALUES (1, 'z', 'Z', 2, 0, 0)",
        "INSERT INTO contacts (channel_id, external_id, name, client_id, created_at, updated_at) VALUES (2, 'w', 'W', 2, 0, 0)",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    pool.close().await;

    let db = app::store::Db::connect(&url).await.unwrap();
    let rows: Vec<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, shared, origin_channel_id FROM clients ORDER BY id")
            .fetch_all(&db.read)
            .await
            .unwrap();
    assert_eq!(rows, vec![(1, 0, Some(2)), (2, 1, None), (3, 1, None)]);
    db.close().await;
}
