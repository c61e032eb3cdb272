//! The Clients page's CSV import (preview → columns → import; duplicates by phone or email
//! update instead of doubling; refused rows reported with their line and reason) and the
//! CSV export of the list as filtered (only clients the employee sees; formulas quoted
//! off). Documents is the permission of both.

use crate::documents_access::{employee_with, owner_only_channel};
use crate::helpers::{client, spawn_app, TestApp};
use app::employees::Permission;
use serde_json::Value;

const FILE: &str = "\u{FEFF}Nome;Celular;E-mail;Observações;Código\n\
Ana Import;(11) 98765-0001;ana.import@example.com;Prefere WhatsApp;1\n\
;(11) 98765-0002;;sem nome;2\n\
Bia Import;ligue-me;;;3\n\
Caio Import;(11) 98765-0003 / (11) 3333-0003;caio@;;4\n\
Ana de Novo;(11) 98765-0001;;;5\n\
Davi Import;11 98765-0004;DAVI.import@example.com;;6\n";

const COLUMNS: &str = "name,phone:mobile,email,notes,ignore";

async fn post(
    app: &TestApp,
    session: &reqwest::Client,
    path: &str,
    body: &'static str,
) -> (u16, Value) {
    let response = session
        .post(app.url(path))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn clients_with_phone(app: &TestApp, phone: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(DISTINCT client_id) FROM client_phones WHERE phone = '{phone}'"
    ))
    .await
}

#[tokio::test]
async fn a_file_is_previewed_mapped_and_imported_once() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let (status, preview) = post(&app, &owner, "/crm/clients/import/preview", FILE).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["header"][0], "Nome");
    assert_eq!(preview["total_rows"], 6);
    assert_eq!(preview["rows"][0][0], "Ana Import");
    let guessed: Vec<String> = preview["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::from_value::<app::clients::import::Column>(c.clone())
                .unwrap()
                .as_code()
        })
        .collect();
    assert_eq!(guessed.join(","), COLUMNS);

    let path = format!("/crm/clients/import?columns={COLUMNS}");
    let (status, report) = post(&app, &owner, &path, FILE).await;
    assert_eq!(status, 200, "{report}");
    // Ana (with line 6 folded in), Davi; Caio and Bia and the nameless row refused.
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    let refused = report["refused"].as_array().unwrap();
    let lines: Vec<u64> = refused
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5], "{report}");
    assert!(
        ["No name.", "Sem nome."].contains(&refused[0]["reason"].as_str().unwrap()),
        "{report}"
    );
    assert!(
        refused[1]["reason"].as_str().unwrap().contains("ligue-me"),
        "{report}"
    );
    assert!(
        refused[2]["reason"].as_str().unwrap().contains("caio@"),
        "{report}"
    );
    assert_eq!(clients_with_phone(&app, "+5511987650001").await, 1);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM clients WHERE email = 'davi.import@example.com' AND shared = 1"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM client_history WHERE what = 'imported'")
            .await,
        2
    );

    // Again, with Bia fixed and a new phone and notes for Davi found by his email: one
    // created, one updated, Ana unchanged — nobody doubled.
    const AGAIN: &str = "Nome;Celular;E-mail;Observações;Código\n\
Ana Import;(11) 98765-0001;ana.import@example.com;Prefere WhatsApp;1\n\
Bia Import;(11) 98765-0005;;;3\n\
Davi Outro;(11) 98765-0006;davi.import@example.com;Cliente antigo;6\n";
    let (status, report) = post(&app, &owner, &path, AGAIN).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["created"], &report["updated"], &report["unchanged"]),
        (&Value::from(1), &Value::from(1), &Value::from(1)),
        "{report}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE email = 'davi.import@example.com'")
            .await,
        1
    );
    assert_eq!(clients_with_phone(&app, "+5511987650006").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM clients WHERE email = 'davi.import@example.com' AND name = 'Davi Import' AND notes = 'Cliente antigo'")
            .await,
        1,
        "the name stays, empty notes are filled"
    );
}

#[tokio::test]
async fn a_file_without_a_name_column_or_rows_is_refused_whole() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let (status, body) = post(
        &app,
        &owner,
        "/crm/clients/import?columns=ignore,phone:mobile,email,notes,ignore",
        FILE,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "columns");
    let (status, body) = post(
        &app,
        &owner,
        "/crm/clients/import/preview",
        "Nome;Telefone\n",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = post(&app, &owner, "/crm/clients/import?columns=admin", FILE).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn without_documents_nothing_is_imported_or_exported() {
    let app = spawn_app().await;
    let no_documents = employee_with(
        &app,
        "nodocs@example.com",
        &[Permission::Conversations],
        &[],
    )
    .await;
    let before = app.count("SELECT COUNT(*) FROM clients").await;
    let path = format!("/crm/clients/import?columns={COLUMNS}");
    for (who, session, status) in [
        ("no Documents", no_documents, 403),
        ("anonymous", client(), 401),
    ] {
        let (got, body) = post(&app, &session, "/crm/clients/import/preview", FILE).await;
        assert_eq!(got, status, "{who}: {body}");
        let (got, body) = post(&app, &session, &path, FILE).await;
        assert_eq!(got, status, "{who}: {body}");
        let got = session
            .get(app.url("/clients/export.csv"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(got, status, "{who}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM clients").await, before);
}

async fn export(app: &TestApp, session: &reqwest::Client, q: &str) -> String {
    let response = session
        .get(app.url("/clients/export.csv"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    // Never sniffed as a page, never kept by a cache.
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_export_is_the_list_as_filtered_and_seen_with_formulas_quoted_off() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    const FILE: &str = "Name,Phone,Notes\n\
\"=HYPERLINK(\"\"http://x\"\")\",+55 11 98765-0101,@SUM(A1)\n\
Exported Two,+55 11 98765-0102,\n";
    let (status, report) = post(
        &app,
        &owner,
        "/crm/clients/import?columns=name,phone:other,notes",
        FILE,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    // A private client, on a channel only the owner uses.
    let channel = owner_only_channel(&app).await;
    let now = app::store::now_ms();
    sqlx::query(
        "INSERT INTO clients (name, created_at, updated_at, origin_channel_id, shared)
         VALUES ('Exported Private', $1, $1, $2, 0)",
    )
    .bind(now)
    .bind(channel.0)
    .execute(&app.db.write)
    .await
    .unwrap();

    let all = export(&app, &owner, "").await;
    assert!(
        all.starts_with("Name,Phones,Email,Address,Notes\n"),
        "{all}"
    );
    assert!(all.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{all}");
    assert!(all.contains("'+5511987650101"), "{all}");
    assert!(all.contains("'@SUM(A1)"), "{all}");
    assert!(all.contains("Exported Private"), "{all}");
    let filtered = export(&app, &owner, "Exported").await;
    assert!(filtered.contains("Exported Two") && filtered.contains("Exported Private"));
    assert!(!filtered.contains("HYPERLINK"), "{filtered}");
    assert_eq!(filtered.lines().count(), 3, "{filtered}");

    let documents_only =
        employee_with(&app, "docs@example.com", &[Permission::Documents], &[]).await;
    let seen = export(&app, &documents_only, "Exported").await;
    assert!(seen.contains("Exported Two"), "{seen}");
    assert!(!seen.contains("Exported Private"), "{seen}");
}
