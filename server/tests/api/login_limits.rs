//! Sign-in limits under concurrency (issue 20, point 7): parallel guesses are counted one
//! by one, a lock-out is per account and address (a stranger elsewhere cannot lock the
//! owner out), an address trying many accounts is stopped, password checks run a bounded
//! number at once, and two servers on one database count together.
//!
//! Every server here trusts `X-Forwarded-For`, so each request can come from an address
//! of its choosing.

use crate::helpers::{test_database, TestSchema};
use app::auth::limiter::{LoginLimiter, MAX_PER_ACCOUNT_AT_ADDRESS, MAX_PER_ADDRESS};
use app::auth::password::{MAX_RUNNING, MAX_WAITING};
use confab::settings::Settings;
use confab::startup::Application;
use std::sync::Arc;
use std::time::Duration;

/// A server of its own on a database that others may share, with its sign-in limiter at
/// hand (the test looks at its password checks).
struct Server {
    address: String,
    limiter: Arc<LoginLimiter>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One database (with the demo business) for the servers of a test.
struct Database {
    url: String,
    dir: tempfile::TempDir,
    _schema: Option<TestSchema>,
}

impl Database {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (url, schema) = test_database(dir.path());
        Database {
            url,
            dir,
            _schema: schema,
        }
    }

    /// Starts a server (the `n`th on this database) behind a trusted proxy.
    async fn start(&self, n: usize) -> Server {
        let url = self.url.clone();
        let media = format!("{}/media{n}", self.dir.path().display());
        let settings = Settings::from_lookup(|key| match key {
            "CONFAB_DATABASE_URL" => Some(url.clone()),
            "CONFAB_ADDR" => Some("127.0.0.1:0".into()),
            "CONFAB_MEDIA_DIR" => Some(media.clone()),
            "CONFAB_DEMO" => Some("true".into()),
            "CONFAB_TRUST_PROXY" => Some("true".into()),
            _ => None,
        })
        .expect("settings");
        let (started, ready) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("confab-test-server-{n}"))
            .stack_size(confab::startup::WORKER_STACK_BYTES)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the server");
                runtime.block_on(async move {
                    let app = Application::build(settings).await.expect("the app starts");
                    let db = app.state.db.clone();
                    let _ = started.send((app.port(), app.state.login_limiter.clone()));
                    tokio::select! {
                        _ = app.run_until_stopped() => {}
                        _ = stopped => {}
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(5), db.close()).await;
                });
            })
            .expect("a thread for the server");
        let (port, limiter) = ready.await.expect("the server started");
        Server {
            address: format!("http://127.0.0.1:{port}"),
            limiter,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Server {
    async fn login(
        &self,
        http: &reqwest::Client,
        from: &str,
        email: &str,
        password: &str,
    ) -> (u16, String) {
        login_at(http, &self.address, from, email, password).await
    }
}

/// A sign-in of `email` from `from` at the server at `address`: the status and the body.
async fn login_at(
    http: &reqwest::Client,
    address: &str,
    from: &str,
    email: &str,
    password: &str,
) -> (u16, String) {
    let response = http
        .post(format!("{address}/api/login"))
        .header("accept", "application/json")
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A client with no cookies (each sign-in stands alone) and room for many connections.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// How many answers had each status.
fn tally(answers: &[(u16, String)]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (status, _) in answers {
        *counts.entry(*status).or_default() += 1;
    }
    counts
}

const OWNER: &str = app::demo::OWNER_EMAIL;
const OWNER_PASSWORD: &str = app::demo::OWNER_PASSWORD;
const STRANGER: &str = "203.0.113.7";
const OWNER_AT_HOME: &str = "198.51.100.20";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_guesses_count_one_by_one_and_lock_only_the_guessers_address() {
    let database = Database::new();
    let server = database.start(1).await;
    let http = http();

    let guesses = (0..300).map(|i| {
        let (server, http) = (&server, &http);
        async move {
            let guess = format!("guess number {i}");
            server.login(http, STRANGER, OWNER, &guess).await
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let counts = tally(&answers);
    // Five are checked (and wrong); every other one is refused before any check.
    assert_eq!(
        counts,
        [(422, MAX_PER_ACCOUNT_AT_ADDRESS as usize), (429, 300 - 5)].into(),
        "{answers:?}"
    );
    assert!(server.limiter.hashing.peak_running() <= MAX_RUNNING);

    // From there, even the right password waits now, with the account's message.
    let (status, body) = server.login(&http, STRANGER, OWNER, OWNER_PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body.contains("Too many failed sign-ins for this account"),
        "{body}"
    );
    // The owner, elsewhere, is not locked out.
    let (status, body) = server
        .login(&http, OWNER_AT_HOME, OWNER, OWNER_PASSWORD)
        .await;
    assert!(
        status < 400,
        "the owner was locked out from elsewhere: {body}"
    );
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_stopped() {
    let database = Database::new();
    let server = database.start(1).await;
    let http = http();
    let mut answers = Vec::new();
    for i in 0..30 {
        let email = format!("someone{i}@example.com");
        answers.push(server.login(&http, STRANGER, &email, "Summer2026!").await);
    }
    let per_address = MAX_PER_ADDRESS as usize;
    assert!(
        answers[..per_address]
            .iter()
            .all(|(status, _)| *status == 422),
        "{answers:?}"
    );
    for (status, body) in &answers[per_address..] {
        assert_eq!(*status, 429, "{body}");
        assert!(
            body.contains("Too many failed sign-ins from your network"),
            "{body}"
        );
    }
    // Other addresses are not touched.
    let (status, body) = server
        .login(&http, OWNER_AT_HOME, "someone0@example.com", "Summer2026!")
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = server
        .login(&http, OWNER_AT_HOME, OWNER, OWNER_PASSWORD)
        .await;
    assert!(status < 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_waits_for_a_bounded_number_of_password_checks() {
    let database = Database::new();
    let server = database.start(1).await;
    let http = http();
    // Slow checks take every running slot (as a flood's first sign-ins would).
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let mut slow = Vec::new();
    for _ in 0..MAX_RUNNING {
        let (limiter, released) = (server.limiter.clone(), released.clone());
        slow.push(tokio::spawn(async move {
            limiter
                .hashing
                .run(move || released.lock().unwrap().recv().ok())
                .await
        }));
    }
    let held = crate::helpers::eventually(Duration::from_secs(30), || {
        let running = server.limiter.hashing.peak_running();
        async move { running == MAX_RUNNING }
    })
    .await;
    assert!(held, "the slow checks did not start");
    // Sign-ins from different addresses to different accounts (no limit stops them): the
    // queue takes MAX_WAITING, the rest are told to come back at once.
    const EXTRA: usize = 10;
    let flood: Vec<_> = (0..MAX_WAITING + EXTRA)
        .map(|i| {
            let (address, http) = (server.address.clone(), http.clone());
            tokio::spawn(async move {
                let from = format!("192.0.2.{}", i + 1);
                let email = format!("flood{i}@example.com");
                login_at(&http, &address, &from, &email, "not it").await
            })
        })
        .collect();
    // The refusals come while the slow checks still hold every slot.
    let busy = crate::helpers::eventually(Duration::from_secs(60), || {
        let finished = flood.iter().filter(|f| f.is_finished()).count();
        async move { finished >= EXTRA }
    })
    .await;
    assert!(busy, "no sign-in was refused while the checks were full");
    for _ in 0..MAX_RUNNING {
        release.send(()).unwrap();
    }
    for job in slow {
        assert_eq!(job.await.unwrap(), Ok(Some(Some(()))));
    }
    let mut answers = Vec::new();
    for f in flood {
        answers.push(f.await.unwrap());
    }
    let counts = tally(&answers);
    assert_eq!(
        counts,
        [(422, MAX_WAITING), (429, EXTRA)].into(),
        "{answers:?}"
    );
    for (_, body) in answers.iter().filter(|(status, _)| *status == 429) {
        assert!(body.contains("Too many sign-ins at once"), "{body}");
    }
    assert!(
        server.limiter.hashing.peak_running() <= MAX_RUNNING,
        "{} checks ran at once",
        server.limiter.hashing.peak_running()
    );
    // A refused sign-in checked nothing and counts for nothing: the same account from the
    // same address still has its five tries.
    let refused = answers
        .iter()
        .position(|(status, _)| *status == 429)
        .unwrap();
    let (from, email) = (
        format!("192.0.2.{}", refused + 1),
        format!("flood{refused}@example.com"),
    );
    for _ in 0..MAX_PER_ACCOUNT_AT_ADDRESS {
        let (status, body) = server.login(&http, &from, &email, "not it").await;
        assert_eq!(status, 422, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_count_attempts_together() {
    let database = Database::new();
    let a = database.start(1).await;
    let b = database.start(2).await;
    let http = http();
    // Three failures on A and three on B: the sixth is refused.
    for _ in 0..3 {
        let (status, body) = a.login(&http, STRANGER, OWNER, "wrong").await;
        assert_eq!(status, 422, "{body}");
    }
    for expected in [422, 422, 429] {
        let (status, body) = b.login(&http, STRANGER, OWNER, "wrong").await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, body) = a.login(&http, STRANGER, OWNER, OWNER_PASSWORD).await;
    assert_eq!(status, 429, "{body}");

    // Guesses sent to both at once are counted together too: five checked in all.
    let agent = app::demo::AGENT_EMAIL;
    let guesses = (0..60).map(|i| {
        let (server, http) = (if i % 2 == 0 { &a } else { &b }, &http);
        async move { server.login(http, STRANGER, agent, "wrong").await }
    });
    let answers = futures::future::join_all(guesses).await;
    assert_eq!(
        tally(&answers),
        [(422, MAX_PER_ACCOUNT_AT_ADDRESS as usize), (429, 55)].into(),
        "{answers:?}"
    );
    // Elsewhere, both sign the owner in.
    for server in [&a, &b] {
        let (status, body) = server
            .login(&http, OWNER_AT_HOME, OWNER, OWNER_PASSWORD)
            .await;
        assert!(status < 400, "{body}");
    }
}
