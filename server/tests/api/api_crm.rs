//! `/api/v1` clients, documents and calls: what an integration that keeps Confab in step
//! with its own CRM or phone system does, with cursor paging and idempotency keys; and the
//! refusals — a missing scope, a role without Documents, and data on a channel the token's
//! employee may not use.

use crate::documents_access::{conversation_on, employee_with, owner_only_channel};
use crate::helpers::{client, TestApp};
use app::employees::Permission;
use serde_json::{json, Value};

const CRM: &[&str] = &["crm:read", "crm:write"];

/// `method path` with a bearer token and an optional JSON body and idempotency key: the
/// status, the `Idempotent-Replayed` header, and the JSON (null when there is none).
async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (u16, bool, Value) {
    let mut request = client().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (
        status,
        replayed,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let (status, _, body) = send(app, token, reqwest::Method::POST, path, Some(body), None).await;
    (status, body)
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let (status, _, body) = send(app, token, reqwest::Method::PATCH, path, Some(body), None).await;
    (status, body)
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    send(app, token, reqwest::Method::DELETE, path, None, None)
        .await
        .0
}

/// Every item of a list, following `next_cursor` page by page; also the number of pages.
async fn all_pages(app: &TestApp, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_owned(),
        };
        let (status, page) = app.api_get(token, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (items, pages),
        }
        assert!(pages < 100, "paging ends");
    }
}

#[tokio::test]
async fn an_integration_keeps_clients_in_step_through_the_api() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.signed_in_owner().await;
    let token = app.token_with(&owner, CRM).await;
    let before = app.count("SELECT COUNT(*) FROM clients").await;

    let new = json!({
        "name": "Api Ana",
        "phones": [{"phone": "(11) 98765-4401"}, {"phone": "+55 11 3333-4401", "label": "work"}],
        "email": "Api.Ana@Example.com",
        "notes": "from the ERP",
    });
    let (status, replayed, ana) = send(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/clients",
        Some(new.clone()),
        Some("erp-client-1"),
    )
    .await;
    assert_eq!((status, replayed), (201, false), "{ana}");
    assert_eq!(ana["name"], "Api Ana");
    assert_eq!(ana["email"], "api.ana@example.com");
    assert_eq!(
        ana["phones"],
        json!([{"phone": "+5511987654401", "label": "mobile"}, {"phone": "+551133334401", "label": "work"}])
    );
    assert_eq!(ana["shared"], true);
    // The retry of a request whose answer was lost gets the same client, once.
    let (status, replayed, again) = send(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/clients",
        Some(new),
        Some("erp-client-1"),
    )
    .await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again["id"], ana["id"]);
    let (status, _, reused) = send(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Someone Else"})),
        Some("erp-client-1"),
    )
    .await;
    assert_eq!(status, 422, "{reused}");
    assert_eq!(reused["code"], "idempotency_key_reused");
    assert_eq!(app.count("SELECT COUNT(*) FROM clients").await, before + 1);

    // Bad input is refused, naming the field, and nothing is written.
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/clients",
        json!({"name": "Bad", "phones": [{"phone": "call me"}]}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("phone")),
        "{body}"
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/clients",
        json!({"name": "Bad", "fax": "1"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&app, &token, "/api/v1/clients", json!({"name": " "})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE name = 'Bad'")
            .await,
        0
    );

    // Paging walks every client once, in id order.
    for n in 0..4 {
        let (status, body) = post(
            &app,
            &token,
            "/api/v1/clients",
            json!({"name": format!("Api Paged {n}")}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (items, pages) = all_pages(&app, &token, "/api/v1/clients?q=Api+&limit=2").await;
    let ids: Vec<i64> = items.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 5, "{items:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(pages, 3);
    let (status, found) = app
        .api_get(&token, "/api/v1/clients?phone=%2B551133334401")
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], ana["id"]);
    let (status, found) = app
        .api_get(&token, "/api/v1/clients?email=API.ANA%40example.com")
        .await;
    assert_eq!(
        (status, found["items"][0]["id"].clone()),
        (200, ana["id"].clone())
    );
    let (status, body) = app.api_get(&token, "/api/v1/clients?cursor=junk").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.api_get(&token, "/api/v1/clients?limit=500").await;
    assert_eq!(status, 422, "{body}");

    // A change touches only what it names; null empties.
    let path = format!("/api/v1/clients/{}", ana["id"]);
    let (status, changed) = patch(
        &app,
        &token,
        &path,
        json!({"email": null, "address": "Rua A, 1"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["email"], Value::Null);
    assert_eq!(changed["address"], "Rua A, 1");
    assert_eq!(changed["notes"], "from the ERP");
    assert_eq!(changed["phones"], ana["phones"]);
    let (status, body) = patch(&app, &token, &path, json!({"phones": [{"phone": "x"}]})).await;
    assert_eq!(status, 422, "{body}");
    let (status, got) = app.api_get(&token, &path).await;
    assert_eq!(
        (status, got.clone()),
        (200, changed),
        "a refused change changed nothing"
    );
    let since = got["updated_at"].as_i64().unwrap();
    let (_, recent) = app
        .api_get(&token, &format!("/api/v1/clients?updated_since={since}"))
        .await;
    assert!(recent["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == ana["id"]));

    assert_eq!(delete(&app, &token, &path).await, 204);
    assert_eq!(app.api_get(&token, &path).await.0, 404);
    assert_eq!(delete(&app, &token, &path).await, 404);
}

#[tokio::test]
async fn documents_and_calls_go_through_the_api() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.signed_in_owner().await;
    let token = app.token_with(&owner, CRM).await;
    let (_, client) = post(
        &app,
        &token,
        "/api/v1/clients",
        json!({"name": "Doc Client", "phones": [{"phone": "(11) 98765-5501"}]}),
    )
    .await;

    let (status, replayed, estimate) = send(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/documents",
        Some(json!({"kind": "estimate", "title": "Brake pads", "amount_cents": 45000, "client_id": client["id"]})),
        Some("erp-estimate-1"),
    )
    .await;
    assert_eq!((status, replayed), (201, false), "{estimate}");
    assert_eq!(estimate["status"], "draft");
    assert_eq!(estimate["client_id"], client["id"]);
    assert!(estimate["number"].as_str().unwrap().starts_with("E-"));
    let path = format!("/api/v1/documents/{}", estimate["id"]);
    let (status, sent) = patch(&app, &token, &path, json!({"status": "sent"})).await;
    assert_eq!(
        (status, sent["status"].as_str()),
        (200, Some("sent")),
        "{sent}"
    );
    assert_eq!(sent["amount_cents"], 45000);
    let (status, body) = patch(&app, &token, &path, json!({"status": "paid"})).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("status")),
        "{body}"
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/documents",
        json!({"kind": "receipt", "title": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("kind")),
        "{body}"
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/documents",
        json!({"kind": "lead", "title": "x", "amount_cents": -1}),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    // Estimate → work order → invoice, each naming its source; an invoice goes no further.
    let (status, order) = post(&app, &token, &format!("{path}/convert"), json!({})).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(
        (order["kind"].as_str(), order["status"].as_str()),
        (Some("order"), Some("new"))
    );
    assert_eq!(order["source_document_id"], estimate["id"]);
    let (status, invoice) = post(
        &app,
        &token,
        &format!("/api/v1/documents/{}/convert", order["id"]),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, invoice["kind"].as_str()),
        (201, Some("invoice")),
        "{invoice}"
    );
    let (status, body) = post(
        &app,
        &token,
        &format!("/api/v1/documents/{}/convert", invoice["id"]),
        json!({}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, paid) = patch(
        &app,
        &token,
        &format!("/api/v1/documents/{}", invoice["id"]),
        json!({"status": "paid", "client_id": null}),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["client_id"], Value::Null);

    let (status, listed) = app
        .api_get(&token, "/api/v1/documents?kind=order&status=new")
        .await;
    assert_eq!(status, 200, "{listed}");
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == order["id"]));
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["kind"] == "order" && d["status"] == "new"));
    let (status, body) = app
        .api_get(&token, "/api/v1/documents?kind=order&status=paid")
        .await;
    assert_eq!(status, 422, "{body}");
    let (items, pages) = all_pages(
        &app,
        &token,
        &format!("/api/v1/documents?limit=1&client_id={}", client["id"]),
    )
    .await;
    assert_eq!((items.len(), pages), (2, 2), "{items:?}");
    assert_eq!(items[0]["id"], order["id"], "newest first");
    assert_eq!(delete(&app, &token, &path).await, 204);
    assert_eq!(app.api_get(&token, &path).await.0, 404);

    // A phone system posts a call; its retry with the same external id logs it once.
    let now = app::store::now_ms();
    let call = json!({
        "phone": "(11) 98765-5501",
        "direction": "missed",
        "started_at": now - 60_000,
        "external_id": "pbx-777",
    });
    let (status, logged) = post(&app, &token, "/api/v1/calls", call.clone()).await;
    assert_eq!(status, 201, "{logged}");
    assert_eq!(logged["client_id"], client["id"], "found by number");
    assert_eq!(logged["phone"], "+5511987655501");
    let (status, again) = post(&app, &token, "/api/v1/calls", call).await;
    assert_eq!((status, again["id"].clone()), (200, logged["id"].clone()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM calls WHERE external_id = 'pbx-777'")
            .await,
        1
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/calls",
        json!({"phone": "(11) 98765-5501", "direction": "sideways", "started_at": now}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("direction")),
        "{body}"
    );
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/calls",
        json!({"phone": "(11) 98765-5501", "direction": "inbound", "started_at": 5}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("started_at")),
        "{body}"
    );
    let call_path = format!("/api/v1/calls/{}", logged["id"]);
    let (status, noted) = patch(
        &app,
        &token,
        &call_path,
        json!({"notes": "called back", "duration_seconds": 95}),
    )
    .await;
    assert_eq!(status, 200, "{noted}");
    assert_eq!(
        (
            noted["notes"].as_str(),
            noted["duration_seconds"].as_i64(),
            noted["direction"].as_str()
        ),
        (Some("called back"), Some(95), Some("missed"))
    );
    let (status, listed) = app
        .api_get(&token, "/api/v1/calls?direction=missed&phone=11987655501")
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(delete(&app, &token, &call_path).await, 204);
    assert_eq!(app.api_get(&token, &call_path).await.0, 404);
}

#[tokio::test]
async fn the_crm_routes_refuse_missing_scopes_roles_and_hidden_data() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.signed_in_owner().await;
    let owner_token = app.token_with(&owner, CRM).await;

    // Scopes: a conversations token reads no clients; a read token writes nothing.
    let conversations = app.token_with(&owner, &["conversations:read"]).await;
    let (status, body) = app.api_get(&conversations, "/api/v1/clients").await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (403, Some("crm:read")),
        "{body}"
    );
    let read_only = app.token_with(&owner, &["crm:read"]).await;
    for path in ["/api/v1/clients", "/api/v1/documents", "/api/v1/calls"] {
        assert_eq!(app.api_get(&read_only, path).await.0, 200, "{path}");
        let (status, body) = post(&app, &read_only, path, json!({})).await;
        assert_eq!(
            (status, body["scope"].as_str()),
            (403, Some("crm:write")),
            "{path}: {body}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE name = ''")
            .await,
        0
    );

    // A role without Documents gets nothing, whatever its token's scopes.
    let no_documents =
        employee_with(&app, "nodocs@shop.com", &[Permission::Conversations], &[]).await;
    let no_documents = app.token_with(&no_documents, CRM).await;
    for path in ["/api/v1/clients", "/api/v1/documents", "/api/v1/calls"] {
        assert_eq!(app.api_get(&no_documents, path).await.0, 403, "{path}");
    }
    let (status, _) = post(
        &app,
        &no_documents,
        "/api/v1/clients",
        json!({"name": "Nope"}),
    )
    .await;
    assert_eq!(status, 403);

    // A private client and a document made from a conversation on a channel only the owner
    // uses: invisible to an employee with Documents but not that channel, by every route.
    let channel = owner_only_channel(&app).await;
    let conversation = conversation_on(&app, channel, "lead-api-private", "Private").await;
    let (status, private) = app
        .call(
            &owner,
            "create_client_for_conversation",
            &[
                ("conversation_id", &conversation.to_string()),
                ("name", "Api Private Client"),
                ("phone", ""),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{private}");
    let private = private.as_i64().unwrap();
    let created = owner
        .post(app.url("/api/create_document"))
        .json(&json!({"conversation_id": conversation, "kind": "estimate", "title": "Private estimate", "amount": "900"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let document: i64 = app
        .count("SELECT id FROM documents WHERE title = 'Private estimate'")
        .await;
    // The owner sees both.
    assert_eq!(
        app.api_get(&owner_token, &format!("/api/v1/clients/{private}"))
            .await
            .0,
        200
    );
    assert_eq!(
        app.api_get(&owner_token, &format!("/api/v1/documents/{document}"))
            .await
            .0,
        200
    );

    let documents = employee_with(&app, "docs@shop.com", &[Permission::Documents], &[]).await;
    let token = app.token_with(&documents, CRM).await;
    let (clients, _) = all_pages(&app, &token, "/api/v1/clients").await;
    assert!(clients.iter().all(|c| c["id"] != private), "{clients:?}");
    let (listed, _) = all_pages(&app, &token, "/api/v1/documents").await;
    assert!(listed.iter().all(|d| d["id"] != document), "{listed:?}");
    let client_path = format!("/api/v1/clients/{private}");
    let document_path = format!("/api/v1/documents/{document}");
    assert_eq!(app.api_get(&token, &client_path).await.0, 404);
    assert_eq!(app.api_get(&token, &document_path).await.0, 404);
    assert_eq!(
        patch(&app, &token, &client_path, json!({"name": "Taken"}))
            .await
            .0,
        404
    );
    assert_eq!(
        patch(&app, &token, &document_path, json!({"title": "Taken"}))
            .await
            .0,
        404
    );
    assert_eq!(
        post(&app, &token, &format!("{document_path}/convert"), json!({}))
            .await
            .0,
        404
    );
    assert_eq!(delete(&app, &token, &client_path).await, 404);
    assert_eq!(delete(&app, &token, &document_path).await, 404);
    let (status, body) = post(
        &app,
        &token,
        "/api/v1/documents",
        json!({"kind": "invoice", "title": "On a hidden client", "client_id": private}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("client_id")),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE name = 'Api Private Client'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM documents WHERE title = 'Private estimate'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM documents WHERE title = 'On a hidden client'")
            .await,
        0
    );
    // A call from the private client's number does not name them to this employee.
    sqlx::query("INSERT INTO client_phones (client_id, phone, label) VALUES ($1, '+5511987650001', 'mobile')")
        .bind(private)
        .execute(&app.db.write)
        .await
        .unwrap();
    let (status, call) = post(
        &app,
        &token,
        "/api/v1/calls",
        json!({"phone": "+5511987650001", "direction": "inbound", "started_at": app::store::now_ms()}),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["client_id"], Value::Null, "{call}");
    let (_, seen_by_owner) = app
        .api_get(&owner_token, &format!("/api/v1/calls/{}", call["id"]))
        .await;
    assert_eq!(seen_by_owner["client_id"], private);
}
