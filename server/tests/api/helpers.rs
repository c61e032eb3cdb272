//! `spawn_app()` and the clients the tests drive it with.

use confab::settings::Settings;
use confab::startup::Application;
use serde_json::Value;
use std::time::Duration;

pub struct TestApp {
    pub address: String,
    pub db: app::store::Db,
    pub database_url: String,
    pub media_dir: std::path::PathBuf,
    /// Keeps the temporary folder (and the database in it) alive for the test.
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with some settings set (name, value), the rest as in `spawn_app`.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        confab::telemetry::init();
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}/confab.db", dir.path().display());
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = Settings::from_lookup(|key| {
        if let Some((_, value)) = overrides.iter().find(|(k, _)| k == key) {
            return Some(value.clone());
        }
        match key {
            "CONFAB_DATABASE_URL" => Some(url.clone()),
            "CONFAB_ADDR" => Some("127.0.0.1:0".into()),
            "CONFAB_MEDIA_DIR" => Some(format!("{}/media", dir.path().display())),
            _ => None,
        }
    })
    .expect("settings");
    // The server runs on its own thread with the stack that rendering deep Leptos views
    // needs in unoptimised builds (a test thread's 2 MiB is not enough for every page),
    // on one thread, so that a test sees one order of events.
    let (started, ready) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("confab-test-server".into())
        .stack_size(confab::startup::WORKER_STACK_BYTES)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the server");
            runtime.block_on(async move {
                let app = Application::build(settings).await.expect("the app starts");
                let _ = started.send((app.port(), app.state.db.clone()));
                let _ = app.run_until_stopped().await;
            });
        })
        .expect("a thread for the server");
    let (port, db) = ready.await.expect("the server thread started");
    let address = format!("http://127.0.0.1:{port}");
    TestApp {
        address,
        db,
        database_url: url,
        media_dir: dir.path().join("media"),
        _dir: dir,
    }
}

/// A browser-like client: keeps cookies, follows no redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let response = client
            .post(self.url(&format!("/api/{name}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    /// A client signed in as the demo agent.
    pub async fn signed_in_agent(&self) -> reqwest::Client {
        self.signed_in(app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD)
            .await
    }

    /// A client signed in as the demo owner.
    pub async fn signed_in_owner(&self) -> reqwest::Client {
        self.signed_in(app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD)
            .await
    }

    pub async fn signed_in(&self, email: &str, password: &str) -> reqwest::Client {
        signed_in_at(&self.address, email, password).await
    }

    pub async fn sandbox_channel(&self) -> i64 {
        sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'sandbox' ORDER BY id LIMIT 1")
            .fetch_one(&self.db.read)
            .await
            .unwrap()
    }

    /// Posts a lead's message to the sandbox webhook.
    pub async fn lead_writes(
        &self,
        lead_id: &str,
        message_id: &str,
        text: &str,
    ) -> reqwest::Response {
        let channel = self.sandbox_channel().await;
        client()
            .post(self.url(&format!("/webhooks/sandbox/{channel}")))
            .json(&serde_json::json!({
                "type": "message", "lead_id": lead_id, "name": "Test Lead", "message_id": message_id, "text": text
            }))
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.read)
            .await
            .unwrap()
    }

    pub async fn conversation_of(&self, lead_id: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.external_id = $1",
        )
        .bind(lead_id)
        .fetch_one(&self.db.read)
        .await
        .unwrap()
    }
}

/// A client signed in to the server at `address` (e.g. `http://127.0.0.1:3000`).
pub async fn signed_in_at(address: &str, email: &str, password: &str) -> reqwest::Client {
    let client = client();
    let response = client
        .post(format!("{address}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "login failed: {status} {}",
        response.text().await.unwrap_or_default()
    );
    client
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
