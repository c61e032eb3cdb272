//! Permissions that agree everywhere (issue 22, point 6): for each of the eight
//! combinations of Conversations, Documents and Settings, every CRM server function, the
//! phone card, a conversation with its client card, and every page answer as the role
//! allows — never an error for what the role may see. Documents without Conversations
//! sees a card's client, never its conversations.

use crate::documents_access::employee_with;
use crate::helpers::spawn_app;
use app::employees::Permission;
use serde_json::Value;

const MARIA: &str = "+5511987654321";

#[tokio::test]
async fn every_page_and_card_agrees_with_the_role() {
    let app = spawn_app().await;
    let channel = app::ids::ChannelId(app.sandbox_channel().await);
    let maria: i64 = app
        .count("SELECT client_id FROM client_phones WHERE phone = '+5511987654321'")
        .await;
    let document: i64 = app
        .count("SELECT MIN(id) FROM documents WHERE conversation_id IS NULL")
        .await;
    // A conversation on the sandbox channel, linked to Maria.
    let conversation =
        crate::documents_access::conversation_on(&app, channel, "lead-matrix", "Matrix").await;
    sqlx::query(
        "UPDATE contacts SET client_id = $1 WHERE id = (SELECT contact_id FROM conversations WHERE id = $2)",
    )
    .bind(maria)
    .bind(conversation)
    .execute(&app.db.write)
    .await
    .unwrap();

    for bits in 0..8u8 {
        let mut permissions = Vec::new();
        for (bit, permission) in [
            Permission::Conversations,
            Permission::Documents,
            Permission::Settings,
        ]
        .into_iter()
        .enumerate()
        {
            if bits & (1 << bit) != 0 {
                permissions.push(permission);
            }
        }
        let conversations = permissions.contains(&Permission::Conversations);
        let documents = permissions.contains(&Permission::Documents);
        let settings = permissions.contains(&Permission::Settings);
        let who = format!("{permissions:?}");
        let session = employee_with(
            &app,
            &format!("matrix{bits}@shop.com"),
            &permissions,
            &[channel],
        )
        .await;
        let expect = |allowed: bool| if allowed { 200 } else { 403 };

        // The phone card: either permission shows it; conversations only with Conversations.
        let (status, card) = app
            .call(&session, "get_phone_card", &[("phone", MARIA)])
            .await;
        assert_eq!(status, expect(conversations || documents), "{who}: {card}");
        if status == 200 {
            assert_eq!(card["client"]["id"], maria, "{who}: {card}");
            assert_eq!(card["may_converse"], conversations, "{who}");
            let shown = card["conversations"].as_array().unwrap();
            assert_eq!(
                shown.iter().any(|c| c["id"] == conversation),
                conversations,
                "{who}: {card}"
            );
        }

        // The CRM pages' functions: Documents.
        for (name, form) in [
            ("list_clients", vec![]),
            ("get_client", vec![("id", maria.to_string())]),
            ("list_documents", vec![("kind", "estimate".to_owned())]),
            ("get_document", vec![("id", document.to_string())]),
            ("list_calls", vec![]),
            ("client_history", vec![("id", maria.to_string())]),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = app.call(&session, name, &form).await;
            assert_eq!(status, expect(documents), "{who} {name}: {body}");
            if name == "get_client" && status == 200 {
                assert_eq!(body["may_converse"], conversations, "{who}");
                assert_eq!(body["documents_permission"], true, "{who}");
                let shown = body["conversations"].as_array().unwrap();
                assert_eq!(!shown.is_empty(), conversations, "{who}: {body}");
            }
        }
        let (status, body) = crate::helpers::call_json(
            &app,
            &session,
            "create_client_document",
            serde_json::json!({"kind": "lead", "input": {"title": format!("Matrix {bits}"), "amount": "", "status": "", "client_id": null}}),
        )
        .await;
        assert_eq!(status, expect(documents), "{who}: {body}");

        // A conversation and its client card: Conversations; the card says what Documents
        // allows there.
        let (status, detail) = app
            .call(
                &session,
                "get_conversation",
                &[("id", &conversation.to_string())],
            )
            .await;
        assert_eq!(status, expect(conversations), "{who}: {detail}");
        if status == 200 {
            assert_eq!(detail["documents_permission"], documents, "{who}");
            assert_eq!(detail["client"]["documents_permission"], documents, "{who}");
            assert_eq!(detail["client"]["client"]["id"], maria, "{who}");
        }

        // Settings.
        let (status, body) = app.call(&session, "settings_team", &[]).await;
        assert_eq!(status, expect(settings), "{who}: {body}");

        // Every page renders for every role (a page the role may not use says so), never
        // a server error.
        for path in [
            "/conversations",
            &format!("/conversations/{conversation}"),
            "/clients",
            &format!("/clients/{maria}"),
            "/clients/import",
            "/leads",
            "/estimates",
            "/orders",
            "/invoices",
            &format!("/documents/{document}"),
            "/calls",
            "/settings/employees",
            "/tokens",
        ] {
            let response = session.get(app.url(path)).send().await.unwrap();
            let status = response.status().as_u16();
            let html = response.text().await.unwrap_or_default();
            assert!(status < 500, "{who} {path}: {status}");
            assert!(
                !html.contains("Something went wrong on our side"),
                "{who} {path}"
            );
        }
    }
    let made: Value = app
        .count("SELECT COUNT(*) FROM documents WHERE title LIKE 'Matrix %'")
        .await
        .into();
    assert_eq!(made, 4, "one lead for each role with Documents");
}
