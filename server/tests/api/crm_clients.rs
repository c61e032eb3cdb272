//! Clients kept by hand: created, edited (with the changed fields in the history and an
//! integration event), merged (numbers, conversations and documents move to the one kept)
//! and deleted (conversations stay, unlinked). Documents is the permission; a client the
//! employee does not see cannot be touched.

use crate::documents_access::{conversation_on, employee_with, owner_only_channel};
use crate::helpers::{call_json, spawn_app, TestApp};
use app::employees::Permission;
use serde_json::{json, Value};

fn form(name: &str, phones: &[(&str, &str)], email: &str) -> Value {
    json!({
        "name": name,
        "phones": phones.iter().map(|(phone, label)| json!({"phone": phone, "label": label})).collect::<Vec<_>>(),
        "email": email,
        "address": "",
        "notes": "",
    })
}

async fn create(app: &TestApp, session: &reqwest::Client, input: Value) -> (u16, Value) {
    call_json(app, session, "create_client", json!({ "input": input })).await
}

async fn history(app: &TestApp, session: &reqwest::Client, id: i64) -> Vec<String> {
    let (status, lines) = app
        .call(session, "client_history", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{lines}");
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["what"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_client_is_created_edited_merged_and_deleted_with_its_history() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;

    let (status, ana) = create(
        &app,
        &owner,
        form(
            "Ana Hand",
            &[("(11) 98765-1001", "mobile")],
            "ana.hand@example.com",
        ),
    )
    .await;
    assert_eq!(status, 200, "{ana}");
    let ana = ana.as_i64().unwrap();
    let (status, refused) = create(&app, &owner, form("Bad", &[("call me", "mobile")], "")).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE name = 'Bad'")
            .await,
        0
    );

    let (status, body) = call_json(
        &app,
        &owner,
        "update_client",
        json!({ "id": ana, "input": form("Ana Hand Souza", &[("(11) 98765-1001", "mobile"), ("(11) 3333-1001", "work")], "ana.hand@example.com") }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM client_phones WHERE client_id = {ana}"
        ))
        .await,
        2
    );
    assert_eq!(history(&app, &owner, ana).await, ["updated", "created"]);
    // The card gives the edit form each number's label, in order.
    let (status, card) = app
        .call(&owner, "get_client", &[("id", &ana.to_string())])
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["phone_labels"], json!(["mobile", "work"]));

    // Bia has a conversation and a document; merged into Ana, both follow.
    let (_, bia) = create(
        &app,
        &owner,
        form("Bia Hand", &[("(11) 98765-1002", "home")], ""),
    )
    .await;
    let bia = bia.as_i64().unwrap();
    let channel = app.sandbox_channel().await;
    let conversation =
        conversation_on(&app, app::ids::ChannelId(channel), "lead-bia-hand", "Bia").await;
    sqlx::query(
        "UPDATE contacts SET client_id = $1
          WHERE id = (SELECT contact_id FROM conversations WHERE id = $2)",
    )
    .bind(bia)
    .bind(conversation)
    .execute(&app.db.write)
    .await
    .unwrap();
    let (status, body) = app
        .call(
            &owner,
            "merge_clients",
            &[("kept", &ana.to_string()), ("merged", &bia.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM clients WHERE id = {bia}"))
            .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM client_phones WHERE client_id = {ana}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM contacts WHERE client_id = {ana}"
        ))
        .await,
        1
    );
    assert_eq!(history(&app, &owner, ana).await[0], "merged");

    let (status, body) = app
        .call(&owner, "delete_client", &[("id", &ana.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM clients WHERE id = {ana}"))
            .await,
        0
    );
    // The conversation stays, linked to nobody.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id
              WHERE v.id = {conversation} AND c.client_id IS NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn without_documents_or_sight_of_the_client_nothing_is_touched() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let channel = owner_only_channel(&app).await;
    // A private client, made from a conversation on a channel only the owner uses.
    let conversation = conversation_on(&app, channel, "lead-private", "Private").await;
    let (status, private) = app
        .call(
            &owner,
            "create_client_for_conversation",
            &[
                ("conversation_id", &conversation.to_string()),
                ("name", "Private Client"),
                ("phone", ""),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{private}");
    let private = private.as_i64().unwrap();
    let (_, shared) = create(&app, &owner, form("Shared Client", &[], "")).await;
    let shared = shared.as_i64().unwrap();

    let no_documents =
        employee_with(&app, "nodocs@shop.com", &[Permission::Conversations], &[]).await;
    let (status, _) = create(&app, &no_documents, form("Nope", &[], "")).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            &no_documents,
            "delete_client",
            &[("id", &shared.to_string())],
        )
        .await;
    assert_eq!(status, 403);

    let documents = employee_with(&app, "docs@shop.com", &[Permission::Documents], &[]).await;
    for (name, form) in [
        ("delete_client", vec![("id", private.to_string())]),
        ("client_history", vec![("id", private.to_string())]),
        (
            "merge_clients",
            vec![
                ("kept", shared.to_string()),
                ("merged", private.to_string()),
            ],
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.call(&documents, name, &form).await;
        assert_eq!(status, 404, "{name}: {body}");
    }
    let (status, body) = call_json(
        &app,
        &documents,
        "update_client",
        json!({ "id": private, "input": form("Taken", &[], "") }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE name = 'Private Client'")
            .await,
        1
    );
    // The shared client is theirs to edit.
    let (status, body) = call_json(
        &app,
        &documents,
        "update_client",
        json!({ "id": shared, "input": form("Shared Client Renamed", &[], "") }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
