//! The sentences the server writes about accounts (sign-in, employees, roles, tokens,
//! channels, clients and documents) come in the language of the request: the language
//! cookie, else Accept-Language, else English.

use crate::helpers::{client, spawn_app, TestApp};
use serde_json::Value;

/// Posts a server function's JSON arguments, in Brazilian Portuguese or not.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Value,
    portuguese: bool,
) -> (u16, String) {
    let mut request = client
        .post(app.url(&format!("/api/{name}")))
        .header("accept", "application/json")
        .json(&body);
    if portuguese {
        request = request.header("accept-language", "pt-BR");
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Posts form arguments (as the sign-in form does), in Brazilian Portuguese or not.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    form: &[(&str, &str)],
    portuguese: bool,
) -> (u16, String) {
    let mut request = client
        .post(app.url(&format!("/api/{name}")))
        .header("accept", "application/json")
        .form(form);
    if portuguese {
        request = request.header("accept-language", "pt-BR");
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn sign_in_refusals_follow_the_browser_language() {
    let app = spawn_app().await;
    let c = client();
    let wrong = [("email", app::demo::AGENT_EMAIL), ("password", "nope")];
    let (status, body) = post_form(&app, &c, "login", &wrong, true).await;
    assert_eq!(status, 422);
    assert!(body.contains("O e-mail e a senha não conferem."), "{body}");
    let (status, body) = post_form(&app, &c, "login", &wrong, false).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("That email and password do not match."),
        "{body}"
    );

    let no_email = [("email", ""), ("password", "x")];
    let (_, body) = post_form(&app, &c, "login", &no_email, true).await;
    assert!(
        body.contains("Digite o e-mail que você usa para entrar."),
        "{body}"
    );
    let (_, body) = post_form(&app, &c, "login", &no_email, false).await;
    assert!(
        body.contains("Enter the email address you sign in with."),
        "{body}"
    );
}

#[tokio::test]
async fn settings_refusals_follow_the_browser_language() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let (_, me) = app.call(&owner, "current_employee", &[]).await;
    let my_id = me["id"].clone();
    assert!(my_id.is_number(), "{me}");

    // A refusal worded by the store.
    let deactivate_me = serde_json::json!({"id": my_id, "active": false});
    let (status, body) = post(
        &app,
        &owner,
        "set_employee_active",
        deactivate_me.clone(),
        true,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Você não pode desativar a si mesmo."),
        "{body}"
    );
    let (status, body) = post(&app, &owner, "set_employee_active", deactivate_me, false).await;
    assert_eq!(status, 422);
    assert!(body.contains("You cannot deactivate yourself."), "{body}");

    // A check with a number in it.
    let (_, team) = app.call(&owner, "settings_team", &[]).await;
    let role = team["roles"][0]["id"].clone();
    let short = serde_json::json!({"name": "Bea", "email": "bea@demo.confab", "password": "short",
        "role_id": role, "channel_ids": []});
    let (status, body) = post(&app, &owner, "create_employee", short.clone(), true).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Escolha uma senha de pelo menos 10 caracteres."),
        "{body}"
    );
    let (_, body) = post(&app, &owner, "create_employee", short, false).await;
    assert!(
        body.contains("Choose a password of at least 10 characters."),
        "{body}"
    );

    // A conflict.
    let taken = serde_json::json!({"name": "Bea", "email": app::demo::AGENT_EMAIL,
        "password": "long enough pass", "role_id": role, "channel_ids": []});
    let (status, body) = post(&app, &owner, "create_employee", taken.clone(), true).await;
    assert_eq!(status, 409);
    assert!(
        body.contains("Já existe um funcionário com este e-mail."),
        "{body}"
    );
    let (status, body) = post(&app, &owner, "create_employee", taken, false).await;
    assert_eq!(status, 409);
    assert!(
        body.contains("An employee with this email already exists."),
        "{body}"
    );

    // The name of what was not found.
    let (status, body) =
        post_form(&app, &owner, "revoke_my_token", &[("id", "987654")], true).await;
    assert_eq!(status, 404);
    assert!(body.contains("Token de API"), "{body}");
    let (status, body) =
        post_form(&app, &owner, "revoke_my_token", &[("id", "987654")], false).await;
    assert_eq!(status, 404);
    assert!(
        body.contains("Token") && !body.contains("Token de API"),
        "{body}"
    );

    // The language picked in the profile (its cookie) wins over the browser's language.
    let (status, _) = app
        .call(&owner, "set_my_language", &[("tag", "pt-BR")])
        .await;
    assert_eq!(status, 200);
    let response = owner
        .post(app.url("/api/create_document"))
        .header("accept", "application/json")
        .header("accept-language", "en-US")
        .json(
            &serde_json::json!({"conversation_id": 1, "kind": "estimate",
            "title": "Repair", "amount": "abc"}),
        )
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap_or_default();
    assert!(
        body.contains("Digite um valor como 450 ou 450,90."),
        "{body}"
    );
}
