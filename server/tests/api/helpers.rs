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
    /// The server's sign-in limits and bounded password checks (to see how much work ran).
    pub login_limiter: std::sync::Arc<app::auth::limiter::LoginLimiter>,
    /// Keeps the temporary folder (and the database in it) alive for the test.
    _dir: tempfile::TempDir,
    _schema: Option<TestSchema>,
    /// Stops the server (and closes its database connections) when the test ends.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

/// Which database the suite runs on: SQLite unless `CONFAB_TEST_BACKEND=postgres`, when
/// each test gets its own schema on `CONFAB_TEST_POSTGRES_URL` (so tests run in parallel).
pub fn on_postgres() -> bool {
    std::env::var("CONFAB_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A fresh database for one test: a file in `dir`, or a new PostgreSQL schema.
pub fn test_database(dir: &std::path::Path) -> (String, Option<TestSchema>) {
    if on_postgres() {
        let schema = TestSchema::create();
        (schema.url.clone(), Some(schema))
    } else {
        (format!("sqlite://{}/confab.db", dir.display()), None)
    }
}

/// A schema of its own on the test PostgreSQL server, dropped with the value.
pub struct TestSchema {
    pub name: String,
    /// The server's URL with this schema as the search path.
    pub url: String,
    base: String,
}

impl TestSchema {
    pub fn create() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = std::env::var("CONFAB_TEST_POSTGRES_URL")
            .expect("CONFAB_TEST_BACKEND=postgres needs CONFAB_TEST_POSTGRES_URL");
        let name = format!(
            "confab_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        run_on_postgres(
            &base,
            format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"),
        );
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        TestSchema { name, url, base }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Never a panic here (it could be one during a failing test's unwinding): a schema
        // left behind is dropped by the next run's `create` of the same name, or by hand.
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        if let Err(err) = try_on_postgres(&self.base, sql) {
            eprintln!("could not drop the test schema {}: {err}", self.name);
        }
    }
}

fn run_on_postgres(url: &str, sql: String) {
    if let Err(err) = try_on_postgres(url, sql) {
        panic!("test PostgreSQL: {err}");
    }
}

/// Runs `sql` on its own thread and runtime: callable from sync code and from `Drop`
/// inside a test's runtime alike.
fn try_on_postgres(url: &str, sql: String) -> Result<(), String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::raw_sql(&sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| format!("{sql}: {e}"))?;
                Ok(())
            })
    })
    .join()
    .map_err(|_| "the PostgreSQL helper thread panicked".to_string())?
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
    let (url, schema) = test_database(dir.path());
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
            // Most tests play the demo business, some behind an https public URL (where only
            // `force` allows it); `spawn_app_with(&[("CONFAB_DEMO", "false")])` starts empty.
            "CONFAB_DEMO" => Some("force".into()),
            _ => None,
        }
    })
    .expect("settings");
    // The server runs on its own thread with the stack that rendering deep Leptos views
    // needs in unoptimised builds (a test thread's 2 MiB is not enough for every page),
    // on one thread, so that a test sees one order of events.
    let (started, ready) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("confab-test-server".into())
        .stack_size(confab::startup::WORKER_STACK_BYTES)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the server");
            runtime.block_on(async move {
                let app = Application::build(settings).await.expect("the app starts");
                let db = app.state.db.clone();
                let _ = started.send((app.port(), db.clone(), app.state.login_limiter.clone()));
                tokio::select! {
                    _ = app.run_until_stopped() => {}
                    _ = stopped => {}
                }
                // Bounded: a connection still held by a worker must not hang the test.
                let _ = tokio::time::timeout(Duration::from_secs(5), db.close()).await;
            });
        })
        .expect("a thread for the server");
    let (port, db, login_limiter) = ready.await.expect("the server thread started");
    let address = format!("http://127.0.0.1:{port}");
    TestApp {
        address,
        db,
        login_limiter,
        database_url: url,
        media_dir: dir.path().join("media"),
        _dir: dir,
        _schema: schema,
        stop: Some(stop),
        server: Some(server),
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

    /// The `Cookie` header of a new session of this employee, for requests made without
    /// reqwest (a raw connection).
    pub async fn session_cookie(&self, email: &str, password: &str) -> (&'static str, String) {
        let response = client()
            .post(self.url("/api/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert!(response.status().as_u16() < 400, "{}", response.status());
        // `__Host-confab_session` when the public URL is https.
        let set_cookie = set_cookie(&response, "confab_session")
            .or_else(|| set_cookie(&response, "__Host-confab_session"))
            .expect("a session cookie");
        let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        ("cookie", cookie)
    }

    pub async fn signed_in(&self, email: &str, password: &str) -> reqwest::Client {
        signed_in_at(&self.address, email, password).await
    }

    /// A new employee with the demo's Agent role (and the sandbox channel when
    /// `with_channel`), signed in: their id and session.
    pub async fn new_agent(
        &self,
        name: &str,
        email: &str,
        with_channel: bool,
    ) -> (i64, reqwest::Client) {
        let owner = self.signed_in_owner().await;
        let role = self
            .count("SELECT id FROM roles WHERE name = 'Agent'")
            .await;
        let channels: Vec<i64> = if with_channel {
            vec![self.sandbox_channel().await]
        } else {
            Vec::new()
        };
        let created = owner
            .post(self.url("/api/create_employee"))
            .json(&serde_json::json!({"name": name, "email": email,
                "password": "a long enough pass", "role_id": role, "channel_ids": channels}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
        let id: i64 = created.json().await.unwrap();
        (id, self.signed_in(email, "a long enough pass").await)
    }

    /// The ids of the open conversations `who` is listed, narrowed by `filter`
    /// (`("filter[query]", "bike")`, `("filter[assignee]", "mine")`).
    pub async fn listed_ids(&self, who: &reqwest::Client, filter: (&str, &str)) -> Vec<i64> {
        let (status, page) = self
            .call(who, "list_conversations", &[("status", "open"), filter])
            .await;
        assert_eq!(status, 200, "{page}");
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    }

    pub async fn sandbox_channel(&self) -> i64 {
        sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'sandbox' ORDER BY id LIMIT 1")
            .fetch_one(&self.db.read)
            .await
            .unwrap()
    }

    /// The test's PostgreSQL schema (None on SQLite).
    pub fn schema(&self) -> Option<&str> {
        self._schema.as_ref().map(|s| s.name.as_str())
    }

    /// Posts a lead's message to the sandbox webhook, as the browser of the test lead
    /// `lead` (see [`test_lead`]) does: with its cookie, from an address of its own (which
    /// counts when the server trusts `X-Forwarded-For`).
    pub async fn lead_writes(&self, lead: &str, message_id: &str, text: &str) -> reqwest::Response {
        let channel = self.sandbox_channel().await;
        let test_lead = test_lead(lead);
        test_lead
            .post(&self.url(&format!("/webhooks/sandbox/{channel}")))
            .json(&serde_json::json!({
                "type": "message", "lead_id": test_lead.id, "name": "Test Lead", "message_id": message_id, "text": text
            }))
            .send()
            .await
            .unwrap()
    }

    /// An API token of the employee signed in on `session` with `scopes` (none: the
    /// default, card-only).
    pub async fn token_with(&self, session: &reqwest::Client, scopes: &[&str]) -> String {
        let keys: Vec<String> = (0..scopes.len()).map(|i| format!("scopes[{i}]")).collect();
        let mut form = vec![("name", "Integration")];
        form.extend(keys.iter().map(String::as_str).zip(scopes.iter().copied()));
        let (status, token) = self.call(session, "create_my_token", &form).await;
        assert_eq!(status, 200, "{token}");
        token.as_str().unwrap().to_owned()
    }

    /// `GET path` of the JSON API with a bearer token: the status and the JSON (null when
    /// the body is none).
    pub async fn api_get(&self, token: &str, path: &str) -> (u16, Value) {
        let response = client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.read)
            .await
            .unwrap()
    }

    /// The conversation of a contact: a test lead's ([`test_lead`]), or any contact's
    /// external id (a demo lead's, a PSID, a phone number).
    pub async fn conversation_of(&self, lead: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
              WHERE ct.external_id = $1 OR ct.external_id = $2",
        )
        .bind(lead)
        .bind(test_lead(lead).id)
        .fetch_one(&self.db.read)
        .await
        .unwrap()
    }

    /// The message with this body in `lead`'s conversation, as the employee's conversation
    /// view shows it (the test fails when it is not shown).
    pub async fn shown_message(&self, agent: &reqwest::Client, lead: &str, body: &str) -> Value {
        let conversation = self.conversation_of(lead).await.to_string();
        let (status, detail) = self
            .call(agent, "get_conversation", &[("id", &conversation)])
            .await;
        assert_eq!(status, 200, "{detail}");
        detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["body"] == body)
            .unwrap_or_else(|| panic!("{body} is not shown: {detail}"))
            .clone()
    }
}

/// A sandbox lead a test plays, named `name`: its browser's secret (chosen from the name, so
/// that a test can name the same lead again), the lead id the server derives from it, and
/// an address of its own.
pub struct TestLead {
    pub secret: String,
    pub id: String,
    pub address: std::net::IpAddr,
}

pub fn test_lead(name: &str) -> TestLead {
    let secret: String = format!("{:0<40}", format!("test-lead-{name}-"))
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let id = app::sandbox::lead::lead_id_of(&secret).expect("a valid test secret");
    let hash = name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let address = std::net::IpAddr::from([10, (hash >> 16) as u8, (hash >> 8) as u8, hash as u8]);
    TestLead {
        secret,
        id,
        address,
    }
}

impl TestLead {
    /// `Cookie: confab_sandbox_lead=…`, as this lead's browser sends it.
    /// The lead's cookie under both of its names (`__Host-` over https), so one test lead
    /// works against servers of either kind.
    pub fn cookie(&self) -> String {
        use app::sandbox::lead::{LEAD_COOKIE, SECURE_LEAD_COOKIE};
        format!(
            "{LEAD_COOKIE}={secret}; {SECURE_LEAD_COOKIE}={secret}",
            secret = self.secret
        )
    }

    /// This lead's browser: every request carries its cookie and comes from its address.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", self.cookie().parse().unwrap());
        headers.insert("x-forwarded-for", self.address.to_string().parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// A POST from this lead's browser.
    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client().post(url)
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

/// A pool on the database at `url` with only the migrations older than `version` applied:
/// the schema as an earlier Confab left it, to fill before a newer one migrates it.
pub async fn migrated_before(url: &str, version: i64) -> sqlx::AnyPool {
    let folder = if on_postgres() { "postgres" } else { "sqlite" };
    let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(&format!(
        "{}/../migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    )))
    .await
    .unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    sqlx::any::install_default_drivers();
    let options: sqlx::any::AnyConnectOptions = if on_postgres() {
        url.parse().unwrap()
    } else {
        format!("{url}?mode=rwc").parse().unwrap()
    };
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    migrator.run(&pool).await.unwrap();
    pool
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

/// The `Set-Cookie` header that sets (or removes) the cookie `name`, attributes and all.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_owned)
}

/// A POST's request line and headers, `Content-Length: length` included, without its body,
/// over a raw connection; the status and the text of the answer. For refusals by length:
/// a client still writing a large body when the server answers and closes can lose the
/// answer to a broken pipe, which this cannot.
pub async fn post_headers_only(
    url: &str,
    content_type: &str,
    length: usize,
    headers: &[(&str, String)],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nAccept: application/json\r\nConnection: close\r\n",
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A server waiting for the body it was promised would never answer: fail, not hang.
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "{url}: no answer without the body");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{url}: no answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Calls a server function that takes JSON; answers its status and JSON body (the text as
/// a JSON string when it is not JSON).
pub async fn call_json(
    app: &TestApp,
    session: &reqwest::Client,
    name: &str,
    body: Value,
) -> (u16, Value) {
    let response = session
        .post(app.url(&format!("/api/{name}")))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
