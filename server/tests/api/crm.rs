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
