//! The sentences the server writes about messages and conversations (replies refused,
//! searches too long, files refused, the sandbox lead's mistakes) come in the language of
//! the request: the language cookie, else Accept-Language, else English.

use crate::helpers::{client, spawn_app, TestApp};
use serde_json::Value;

/// Calls a server function with form arguments, in Brazilian Portuguese or not.
async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    form: &[(&str, &str)],
    portuguese: bool,
) -> (u16, Value) {
    let mut request = client
        .post(app.url(&format!("/api/{name}")))
        .header("accept", "application/json")
        .form(form);
    if portuguese {
        request = request.header("accept-language", "pt-BR");
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn reply_and_search_refusals_follow_the_browser_language() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let blank = [("conversation_id", "1"), ("body", "  ")];
    let (status, body) = call(&app, &agent, "send_message", &blank, true).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Validation"]["message"],
        "Escreva uma mensagem antes de enviar."
    );
    let (status, body) = call(&app, &agent, "send_message", &blank, false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Validation"]["message"],
        "Write a message before sending."
    );

    let long = "x".repeat(101);
    let search = [("status", "open"), ("filter[query]", long.as_str())];
    let (status, body) = call(&app, &agent, "list_conversations", &search, true).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Validation"]["message"],
        "Busque no máximo 100 caracteres."
    );
    let (_, body) = call(&app, &agent, "list_conversations", &search, false).await;
    assert_eq!(
        body["Validation"]["message"],
        "Search for at most 100 characters."
    );

    // The name of what was not found is translated too.
    let missing = [("id", "999999")];
    let (status, body) = call(&app, &agent, "conversation_summary", &missing, true).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["NotFound"], "esta conversa");
    let (_, body) = call(&app, &agent, "conversation_summary", &missing, false).await;
    assert_eq!(body["NotFound"], "This conversation");
}

#[tokio::test]
async fn file_and_sandbox_refusals_follow_the_browser_language() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    app.lead_writes("lead-language-1", "msg-language-01", "Hello?")
        .await;
    let conversation = app.conversation_of("lead-language-1").await;
    let empty_file = |portuguese: bool| {
        let mut request = agent
            .post(app.url(&format!("/media/send/{conversation}")))
            .query(&[("name", "empty.pdf")])
            .header("content-type", "application/pdf");
        if portuguese {
            request = request.header("accept-language", "pt-BR");
        }
        request.send()
    };
    let response = empty_file(true).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "O arquivo está vazio.");
    let body: Value = empty_file(false).await.unwrap().json().await.unwrap();
    assert_eq!(body["message"], "The file is empty.");

    let response = agent
        .post(app.url("/media/send/999999"))
        .query(&[("name", "a.pdf")])
        .header("content-type", "application/pdf")
        .header("accept-language", "pt-BR")
        .body("%PDF-1.4")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Não encontramos a conversa.");

    // The language cookie wins over the browser's languages.
    let response = client()
        .post(app.url(&format!("/media/send/{conversation}")))
        .query(&[("name", "a.pdf")])
        .header("content-type", "application/pdf")
        .header("accept-language", "en-US")
        .header("cookie", "i18n_pref_locale=pt-BR")
        .body("%PDF-1.4")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Entre primeiro.");

    // The sandbox lead's page shows the webhook's refusals.
    let channel = app.sandbox_channel().await;
    let bad_read = |portuguese: bool| {
        let lead = crate::helpers::test_lead("lead-language-1");
        let mut request = lead
            .post(&app.url(&format!("/webhooks/sandbox/{channel}")))
            .json(&serde_json::json!({"type": "read", "lead_id": lead.id, "watermark": -1}));
        if portuguese {
            request = request.header("accept-language", "pt-BR,pt;q=0.9");
        }
        request.send()
    };
    let response = bad_read(true).await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["message"],
        "watermark deve ser um horário UTC em milissegundos."
    );
    let body: Value = bad_read(false).await.unwrap().json().await.unwrap();
    assert_eq!(
        body["message"],
        "watermark must be a UTC time in milliseconds."
    );
}
