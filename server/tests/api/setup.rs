//! A business's own server: no demo accounts unless asked for, refused on a public address,
//! and the two ways to make the first owner (the setup page with the logged one-time code,
//! and `confab owner create`); the profile's email and password.

use crate::helpers::{client, eventually, signed_in_at, spawn_app, spawn_app_with, TestApp};
use std::process::{Command, Stdio};
use std::time::Duration;

async fn employees(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM employees").await
}

/// A one-time code as another process of this business would print it (any live one works).
async fn a_setup_code(app: &TestApp) -> String {
    app::setup::store::issue_code(&app.db)
        .await
        .unwrap()
        .expect("no owner yet, so a code")
}

async fn setup(app: &TestApp, browser: &reqwest::Client, code: &str, email: &str) -> u16 {
    app.call(
        browser,
        "create_first_owner",
        &[
            ("code", code),
            ("name", "Bia Dona"),
            ("email", email),
            ("password", "a long enough password"),
        ],
    )
    .await
    .0
}

#[tokio::test]
async fn an_empty_business_has_no_account_until_the_setup_code_makes_its_owner() {
    let app = spawn_app_with(&[("CONFAB_DEMO", "false")]).await;
    assert_eq!(employees(&app).await, 0, "no demo accounts by default");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_codes").await,
        1,
        "the server printed a code at start"
    );
    // The demo's passwords open nothing.
    let response = client()
        .post(app.url("/api/login"))
        .header("accept", "application/json")
        .form(&[
            ("email", app::demo::OWNER_EMAIL),
            ("password", app::demo::OWNER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    let browser = client();
    // Nobody can sign in: the sign-in page leads to the setup page.
    let login = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/setup");
    let (status, needed) = app.call(&browser, "setup_needed", &[]).await;
    assert_eq!((status, needed), (200, serde_json::json!(true)));
    let page = browser.get(app.url("/setup")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the setup page needs no session");
    assert!(page.text().await.unwrap().contains("setup-code"));

    assert_eq!(
        setup(&app, &browser, "AAAA-BBBB-CCCC-DDDD-EEEE", "bia@shop.com").await,
        422,
        "a wrong code"
    );
    assert_eq!(setup(&app, &browser, "nonsense", "bia@shop.com").await, 422);
    assert_eq!(employees(&app).await, 0);

    let code = a_setup_code(&app).await;
    let status = setup(&app, &browser, &code.to_lowercase(), "Bia@Shop.com").await;
    assert!(status == 200 || status == 302, "{status}");
    // Signed in at once, as an owner.
    let (status, me) = app.call(&browser, "current_employee", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "bia@shop.com");
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("settings")));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_codes").await,
        0,
        "every code is spent"
    );

    // The page is gone: the same code, another code, another browser.
    let stranger = client();
    assert_eq!(setup(&app, &stranger, &code, "eve@evil.com").await, 409);
    assert_eq!(
        app::setup::store::issue_code(&app.db).await.unwrap(),
        None,
        "no new code once an owner exists"
    );
    let (_, needed) = app.call(&stranger, "setup_needed", &[]).await;
    assert_eq!(needed, serde_json::json!(false));
    let login = stranger.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        login.status(),
        200,
        "with an owner, the sign-in page is the way in"
    );
    assert_eq!(employees(&app).await, 1);
    // The owner can add the team: the roles exist.
    assert_eq!(app.count("SELECT COUNT(*) FROM roles").await, 2);
}

#[tokio::test]
async fn two_codes_racing_make_one_owner() {
    let app = spawn_app_with(&[("CONFAB_DEMO", "false")]).await;
    let codes = [a_setup_code(&app).await, a_setup_code(&app).await];
    let (a, b) = (client(), client());
    let (first, second) = tokio::join!(
        setup(&app, &a, &codes[0], "one@shop.com"),
        setup(&app, &b, &codes[1], "two@shop.com")
    );
    let mut statuses = [first, second];
    statuses.sort();
    assert!(
        statuses == [200, 409] || statuses == [200, 422] || statuses == [302, 409],
        "{statuses:?}"
    );
    assert_eq!(employees(&app).await, 1);
}

#[tokio::test]
async fn the_command_line_makes_an_owner_with_a_password_shown_once() {
    let app = spawn_app_with(&[("CONFAB_DEMO", "false")]).await;
    let output = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args([
            "owner",
            "create",
            "--email",
            "Dono@Shop.com",
            "--name",
            "Dono",
        ])
        .env("CONFAB_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let password = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(password.len() >= 20, "{password}");
    let owner = signed_in_at(&app.address, "dono@shop.com", &password).await;
    let (status, me) = app.call(&owner, "current_employee", &[]).await;
    assert_eq!((status, me["name"].as_str()), (200, Some("Dono")));
    // Only its hash is stored.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employees WHERE password_hash LIKE '%{password}%'"
        ))
        .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_codes").await, 0);

    let taken = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["owner", "create", "--email", "dono@shop.com"])
        .env("CONFAB_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert_eq!(taken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
    let bad = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["owner", "create", "--email", "not-an-email"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The binary, started on all interfaces as a business would, on an empty SQLite file (or
/// a fresh PostgreSQL schema); its output.
fn serve_publicly(app_dir: &std::path::Path, database_url: &str, demo: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CONFAB_DATABASE_URL", database_url)
        .env("CONFAB_ADDR", "0.0.0.0:0")
        .env(
            "CONFAB_MEDIA_DIR",
            app_dir.join("media").display().to_string(),
        )
        .env("RUST_LOG", "info");
    if let Some(demo) = demo {
        command.env("CONFAB_DEMO", demo);
    }
    command
}

#[tokio::test]
async fn a_public_server_starts_without_accounts_and_refuses_the_demo_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = crate::helpers::test_database(dir.path());

    let refused = serve_publicly(dir.path(), &url, Some("true"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("CONFAB_DEMO=force") && said.contains("confab owner create"),
        "{said}"
    );

    let log = dir.path().join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = serve_publicly(dir.path(), &url, None)
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap();
    let told = eventually(Duration::from_secs(60), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        async move { text.contains("Confab is ready") }
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(told, "{text}");
    assert!(
        text.contains("/setup")
            && text.contains("one-time code")
            && text.contains("confab owner create"),
        "the log says how to make the owner: {text}"
    );
    assert!(!text.contains(app::demo::OWNER_PASSWORD), "{text}");
    let db = app::store::Db::connect(&url).await.unwrap();
    let employees: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees")
        .fetch_one(&db.read)
        .await
        .unwrap();
    assert_eq!(employees, 0);
    db.close().await;
}

#[tokio::test]
async fn employees_change_their_password_and_owners_their_email_with_the_current_password() {
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let other_device = app.signed_in_agent().await;
    let (status, body) = app
        .call(
            &agent,
            "change_my_password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Validation"]["field"], "current_password", "{body}");
    let (status, body) = app
        .call(
            &agent,
            "change_my_password",
            &[
                ("current_password", app::demo::AGENT_PASSWORD),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(
        (status, &body["Validation"]["field"]),
        (422, &serde_json::json!("new_password"))
    );
    let (status, body) = app
        .call(
            &agent,
            "change_my_password",
            &[
                ("current_password", app::demo::AGENT_PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // This tab stays signed in; the other device does not; the old password opens nothing.
    assert_eq!(
        app.call(&agent, "current_employee", &[]).await.1["email"],
        app::demo::AGENT_EMAIL
    );
    assert_eq!(
        app.call(&other_device, "current_employee", &[]).await.1,
        serde_json::Value::Null
    );
    let old = client()
        .post(app.url("/api/login"))
        .header("accept", "application/json")
        .form(&[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 422);
    signed_in_at(&app.address, app::demo::AGENT_EMAIL, "a brand new password").await;

    // An agent asks an owner to change their email.
    let (status, _) = app
        .call(
            &agent,
            "change_my_email",
            &[
                ("current_password", "a brand new password"),
                ("email", "ana@shop.com"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    let owner = app.signed_in_owner().await;
    for (password, email, expected) in [
        ("wrong", "olivia@shop.com", 422),
        (app::demo::OWNER_PASSWORD, "not an email", 422),
        (app::demo::OWNER_PASSWORD, app::demo::AGENT_EMAIL, 409),
        (app::demo::OWNER_PASSWORD, "Olivia@Shop.com", 200),
    ] {
        let (status, body) = app
            .call(
                &owner,
                "change_my_email",
                &[("current_password", password), ("email", email)],
            )
            .await;
        assert_eq!(status, expected, "{email}: {body}");
    }
    signed_in_at(&app.address, "olivia@shop.com", app::demo::OWNER_PASSWORD).await;
    let (status, _) = app
        .call(
            &client(),
            "change_my_password",
            &[("current_password", "x"), ("new_password", "y")],
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn setup_guesses_cost_no_password_hashing() {
    let app = spawn_app_with(&[("CONFAB_DEMO", "false")]).await;
    let guesses = (0..40).map(|_| async {
        setup(&app, &client(), "AAAA-BBBB-CCCC-DDDD-EEEE", "eve@evil.com").await
    });
    for status in futures::future::join_all(guesses).await {
        assert_eq!(status, 422);
    }
    assert_eq!(
        app.login_limiter.hashing.peak_running(),
        0,
        "no argon2 work for a wrong code"
    );
    // Nor once an owner exists, whatever the code.
    let code = a_setup_code(&app).await;
    assert_eq!(setup(&app, &client(), &code, "bia@shop.com").await / 100, 2);
    let peak = app.login_limiter.hashing.peak_running();
    for _ in 0..10 {
        assert_eq!(setup(&app, &client(), &code, "eve@evil.com").await, 409);
    }
    assert_eq!(app.login_limiter.hashing.peak_running(), peak);
}

#[tokio::test]
async fn a_public_server_refuses_to_serve_demo_accounts_that_kept_their_passwords() {
    // A database first made by the local demo (as `scripts/run` does).
    let app = spawn_app().await;
    let refused = serve_publicly(
        std::path::Path::new(&app.media_dir),
        &app.database_url,
        None,
    )
    .output()
    .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(app::demo::OWNER_EMAIL) && said.contains("CONFAB_DEMO=force"),
        "{said}"
    );
    assert!(!said.contains(app::demo::OWNER_PASSWORD), "{said}");

    // Once both passwords are changed, it starts.
    for (email, password) in [
        (app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD),
        (app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD),
    ] {
        let browser = signed_in_at(&app.address, email, password).await;
        let (status, body) = app
            .call(
                &browser,
                "change_my_password",
                &[
                    ("current_password", password),
                    ("new_password", "not the readme's password"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(app::demo::accounts_with_known_passwords(&app.db)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_new_password_revokes_the_tokens_unless_kept_and_guesses_of_the_current_one_are_limited()
{
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let token_works = |token: String| {
        let url = app.url("/api/v1/phone-card?phone=%2B5511987654321");
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
                == 200
        }
    };
    let (_, token) = app
        .call(&agent, "create_my_token", &[("name", "Card")])
        .await;
    let token = token.as_str().expect("a token").to_owned();
    assert!(token_works(token.clone()).await);
    let change = |from: &'static str, to: &'static str, keep: bool| {
        let mut form = vec![("current_password", from), ("new_password", to)];
        if keep {
            form.push(("keep_tokens", "true"));
        }
        form
    };
    let (status, body) = app
        .call(
            &agent,
            "change_my_password",
            &change(app::demo::AGENT_PASSWORD, "first new password", true),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(token_works(token.clone()).await, "kept");
    let (status, _) = app
        .call(
            &agent,
            "change_my_password",
            &change("first new password", "second new password", false),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!token_works(token).await, "revoked");

    // Guessing the current password from an open session counts as sign-in attempts.
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, _) = app
            .call(
                &agent,
                "change_my_password",
                &change("a wrong guess", "third new password", false),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429, 429]);
    let (status, _) = app
        .call(
            &agent,
            "change_my_password",
            &change("second new password", "third new password", false),
        )
        .await;
    assert_eq!(status, 429, "held back like a sign-in from this address");
}
