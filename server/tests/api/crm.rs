//! The CRM pages' data: clients, documents by kind, calls; with search, for roles with
//! the Documents permission.

use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn lists_search_and_details() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let (status, clients) = app.call(&agent, "list_clients", &[]).await;
    assert_eq!(status, 200, "{clients}");
    assert_eq!(clients.as_array().unwrap().len(), 4);
    let (_, found) = app
        .call(&agent, "list_clients", &[("query", "carla")])
        .await;
    assert_eq!(found[0]["name"], "Carla Mendes");
    let id = found[0]["id"].to_string();
    let (status, card) = app.call(&agent, "get_client", &[("id", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(card["documents"].as_array().unwrap().len(), 3);
    assert_eq!(card["conversations"][0]["contact_name"], "Carla Mendes");

    for kind in ["lead", "estimate", "order"] {
        let (status, list) = app.call(&agent, "list_documents", &[("kind", kind)]).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 4, "{kind}");
    }
    let (_, invoices) = app
        .call(&agent, "list_documents", &[("kind", "invoice")])
        .await;
    assert_eq!(invoices.as_array().unwrap().len(), 1);
    let (_, joao) = app
        .call(
            &agent,
            "list_documents",
            &[("kind", "estimate"), ("query", "joão")],
        )
        .await;
    let row = &joao[0];
    assert_eq!(row["client_name"], "João Lima");
    // Numbers reach the pages in E.164 and as a Brazilian business reads them.
    assert_eq!(row["client_phone"], "+5521998877665");
    assert_eq!(row["client_phone_display"], "(21) 99887-7665");
    let doc_id = row["document"]["id"].to_string();
    let (status, detail) = app.call(&agent, "get_document", &[("id", &doc_id)]).await;
    assert_eq!(status, 200);
    assert_eq!(detail["document"]["kind"], "estimate");
    let (status, _) = app.call(&agent, "get_document", &[("id", "999999")]).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(&agent, "list_documents", &[("kind", "memo")])
        .await;
    assert_eq!(status, 422, "an unknown kind is refused");

    let (_, calls) = app.call(&agent, "list_calls", &[]).await;
    assert_eq!(calls.as_array().unwrap().len(), 4);
    let (_, calls) = app.call(&agent, "list_calls", &[("query", "5521")]).await;
    assert_eq!(calls[0]["client_name"], "João Lima");
    assert_eq!(calls[0]["phone"], "+5521998877665");
    assert_eq!(calls[0]["phone_display"], "(21) 99887-7665");

    let (status, _) = app.call(&client(), "list_clients", &[]).await;
    assert_eq!(status, 401);
}

/// The Clients list pages A–Z by (name, id): every client the employee sees comes once,
/// in order, however many share a name; a bad place in the list is refused.
#[tokio::test]
async fn the_clients_list_pages_through_every_client_once() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let mut tx = app.db.write.begin().await.unwrap();
    for i in 0..450 {
        // Three clients to a name: the page boundary falls inside a group of equal names.
        sqlx::query(
            "INSERT INTO clients (name, shared, created_at, updated_at) VALUES ($1, 1, 0, 0)",
        )
        .bind(format!("Paged {:03}", i / 3))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let visible = app.call(&agent, "list_clients", &[]).await.1;
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut page = visible.as_array().unwrap().clone();
    loop {
        assert!(page.len() <= 200);
        seen.extend(page.iter().map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["id"].as_i64().unwrap(),
            )
        }));
        if page.len() < 200 {
            break;
        }
        let (name, id) = seen.last().unwrap().clone();
        let (status, next) = app
            .call(
                &agent,
                "list_clients",
                &[("after_name", &name), ("after_id", &id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{next}");
        page = next.as_array().unwrap().clone();
    }
    // The 450 and the demo's 4 the agent sees, each once, A–Z.
    assert_eq!(seen.len(), 454);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "A–Z, by id within a name");
    sorted.dedup_by_key(|c| c.1);
    assert_eq!(sorted.len(), 454, "no client twice");

    let (status, body) = app
        .call(&agent, "list_clients", &[("after_id", "-1")])
        .await;
    assert_eq!(
        (status, body["Validation"]["field"].as_str()),
        (422, Some("after_id")),
        "{body}"
    );
}
