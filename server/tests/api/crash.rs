//! Crash safety: the real `confab` binary is killed with SIGKILL in the middle of a burst
//! of 5,000 signed webhooks and of replies being handed to the provider, then started
//! again; later it is stopped with SIGTERM while sending. Every webhook it acknowledged is
//! kept, none twice; every reply queued before a stop reaches the provider exactly once,
//! except the one being handed over at the SIGKILL, which is not sent again but shown as
//! interrupted.

use crate::channels::{APP_SECRET, KEY, PAGE_ID};
use crate::fake_provider::{FakeProvider, Fault};
use crate::helpers::{client, eventually, signed_in_at, test_database, TestSchema};
use app::channels::credentials::{Credentials, SecretKey};
use app::channels::ChannelKind;
use app::store::Db;
use confab::channels::inbound::signature::hub_signature;
use rand::Rng;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WEBHOOKS: usize = 5_000;
const SENDERS: usize = 32;
const LEADS: usize = 40;
const REPLIES: usize = 100;
const REPLIES_AFTER: usize = 40;
const PROVIDER_DELAY_MS: u64 = 150;

/// One `confab serve` process on a fixed port and database.
pub struct Confab {
    child: Child,
    log: PathBuf,
}

/// The database, folder and provider that `confab` processes of one test share.
pub struct Setup {
    dir: tempfile::TempDir,
    pub port: u16,
    fake_url: String,
    database_url: String,
    /// Extra settings of every process started (name, value).
    pub env: Vec<(String, String)>,
    _schema: Option<TestSchema>,
}

impl Setup {
    pub fn new(fake_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, schema) = test_database(dir.path());
        Setup {
            dir,
            port: free_port(),
            fake_url: fake_url.to_owned(),
            database_url,
            env: Vec::new(),
            _schema: schema,
        }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    /// Starts the binary on the setup's port and waits until it answers.
    pub async fn start(&self, run: u32) -> Confab {
        self.start_on(run, self.port).await
    }

    /// Starts the binary on `port` (another process on the same database).
    pub async fn start_on(&self, run: u32, port: u16) -> Confab {
        let address = format!("http://127.0.0.1:{port}");
        let log = self.dir.path().join(format!("confab-{run}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CONFAB_DATABASE_URL", self.database_url())
            .env("CONFAB_ADDR", format!("127.0.0.1:{port}"))
            .env("CONFAB_PUBLIC_URL", &address)
            .env(
                "CONFAB_MEDIA_DIR",
                self.dir.path().join("media").display().to_string(),
            )
            .env("CONFAB_SECRET_KEY", KEY)
            .env("CONFAB_DEMO", "true")
            .env("CONFAB_GRAPH_API_URL", &self.fake_url)
            .env("CONFAB_TWILIO_API_URL", &self.fake_url)
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("the confab binary starts");
        let mut confab = Confab { child, log };
        let health = format!("{address}/health");
        let ready = eventually(Duration::from_secs(60), || async {
            matches!(client().get(&health).send().await, Ok(r) if r.status().is_success())
        })
        .await;
        assert!(ready, "confab did not start: {}", confab.log_tail());
        assert!(
            confab.child.try_wait().unwrap().is_none(),
            "{}",
            confab.log_tail()
        );
        confab
    }
}

impl Confab {
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to finish what it was doing and exit.
    async fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let exited = eventually(Duration::from_secs(60), || {
            let done = self.child.try_wait().unwrap().is_some();
            async move { done }
        })
        .await;
        assert!(
            exited,
            "confab did not stop on SIGTERM: {}",
            self.log_tail()
        );
    }
}

impl Drop for Confab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A lead's signed Messenger webhook, as Meta sends it.
pub fn webhook(lead: usize, mid: &str, text: &str) -> (String, String) {
    let now = app::store::now_ms();
    let body = serde_json::json!({
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": now, "messaging": [{
            "sender": {"id": format!("crash-lead-{lead:03}")},
            "recipient": {"id": PAGE_ID},
            "timestamp": now,
            "message": {"mid": mid, "text": text}
        }]}]
    })
    .to_string();
    let signature = hub_signature(APP_SECRET, body.as_bytes());
    (body, signature)
}

/// Posts webhook `n` until the server acknowledges it, as a provider retries: connection
/// errors and 5xx while the server is down or starting are retried.
pub async fn deliver_webhook(http: &reqwest::Client, url: &str, n: usize) {
    let (body, signature) = webhook(
        n % LEADS,
        &format!("crash-mid-{n:05}"),
        &format!("message {n}"),
    );
    loop {
        let sent = http
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return,
            Ok(response) if response.status().is_server_error() => {}
            Ok(response) => panic!("webhook {n} refused: {}", response.status()),
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Queues replies `range` in the leads' conversations through the agent's server function.
pub async fn queue_replies(setup: &Setup, range: std::ops::Range<usize>) {
    queue_replies_at(setup, &setup.address(), range).await
}

/// Queues replies `range` through the process at `address`.
pub async fn queue_replies_at(setup: &Setup, address: &str, range: std::ops::Range<usize>) {
    let agent = signed_in_at(address, app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD).await;
    let db = Db::connect(&setup.database_url()).await.unwrap();
    for n in range {
        let conversation: i64 = sqlx::query_scalar(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
              WHERE ct.external_id = $1",
        )
        .bind(format!("crash-lead-{:03}", n % LEADS))
        .fetch_one(&db.read)
        .await
        .unwrap();
        let response = agent
            .post(format!("{address}/api/send_message"))
            .header("accept", "application/json")
            .form(&[
                ("conversation_id", conversation.to_string()),
                ("body", format!("crash-reply-{n:04}")),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "{status}: {}",
            response.text().await.unwrap()
        );
    }
    db.close().await;
}

/// (body, status, error) of every reply of the test.
pub async fn replies(db: &Db) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT body, status, error FROM messages WHERE body LIKE 'crash-reply-%' ORDER BY body",
    )
    .fetch_all(&db.read)
    .await
    .unwrap()
}

/// How many times the provider was handed each reply.
/// Checks every reply of the test against what the provider was handed: a sent reply
/// exactly once; a failed one only as interrupted by a kill (handed over by the dying
/// process or not: nobody can know, so it is shown rather than risked twice), at most
/// once. Returns how many were interrupted.
pub async fn check_replies(db: &Db, fake: &FakeProvider) -> usize {
    let handed = handed_over(fake);
    let mut interrupted = 0;
    for (body, status, error) in replies(db).await {
        let times = handed.get(&body).copied().unwrap_or(0);
        match status.as_str() {
            "sent" | "delivered" => assert_eq!(times, 1, "{body} was handed over {times} times"),
            "failed" => {
                assert_eq!(
                    error.as_deref(),
                    Some(app::messages::store::INTERRUPTED_SEND)
                );
                assert!(times <= 1, "{body} was handed over {times} times");
                interrupted += 1;
            }
            other => panic!("{body} is {other}"),
        }
    }
    interrupted
}

pub fn handed_over(fake: &FakeProvider) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for request in fake.requests_with("crash-reply-") {
        let text = request.json()["message"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *counts.entry(text).or_insert(0) += 1;
    }
    counts
}

pub async fn pending_replies(db: &Db) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE body LIKE 'crash-reply-%' AND status = 'pending'",
    )
    .fetch_one(&db.read)
    .await
    .unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn connect_channel(database_url: &str) -> i64 {
    let db = Db::connect(database_url).await.unwrap();
    let pairs: Vec<(String, String)> = [
        ("page_id", PAGE_ID),
        ("app_secret", APP_SECRET),
        ("access_token", "EAAcrash"),
        ("verify_token", "crash"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let credentials = Credentials::parse(ChannelKind::Messenger, &pairs).unwrap();
    let channel = app::channels::store::create_connected(
        &db,
        &SecretKey::from_hex(KEY).unwrap(),
        ChannelKind::Messenger,
        "Crash test page",
        &credentials,
        true,
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO channel_access (channel_id, employee_id) SELECT $1, id FROM employees",
    )
    .bind(channel.0)
    .execute(&db.write)
    .await
    .unwrap();
    db.close().await;
    channel.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_acknowledged_webhook_and_sends_no_reply_twice() {
    let fake = FakeProvider::start().await;
    // Each provider call takes a while, as over a real network: a reply is being handed
    // over most of the time.
    fake.always("", Fault::Delay(Duration::from_millis(PROVIDER_DELAY_MS)));
    let setup = Setup::new(&fake.url);
    let first = setup.start(1).await;
    let channel = connect_channel(&setup.database_url()).await;
    let url = format!("{}/webhooks/messenger/{channel}", setup.address());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Every lead writes first: the conversations exist and their reply windows are open.
    for lead in 0..LEADS {
        deliver_webhook(&http, &url, WEBHOOKS + lead).await;
    }
    queue_replies(&setup, 0..REPLIES).await;

    // The burst: SENDERS providers' connections post the webhooks, each until acknowledged.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (http, url, next, acked) = (http.clone(), url.clone(), next.clone(), acked.clone());
        burst.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= WEBHOOKS {
                    return;
                }
                deliver_webhook(&http, &url, n).await;
                acked.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    // The kill comes at a random point of the burst, the moment a reply has just reached
    // the provider, whose answer is still on its way (the hardest case).
    let kill_after = rand::thread_rng().gen_range(200..1_500);
    println!("SIGKILL after {kill_after} acknowledged webhooks");
    let reached = eventually(Duration::from_secs(120), || {
        let acked = acked.load(Ordering::SeqCst);
        let mid_send = fake
            .requests_with("crash-reply-")
            .last()
            .is_some_and(|r| r.at.elapsed() < Duration::from_millis(PROVIDER_DELAY_MS / 3));
        async move { acked >= kill_after && mid_send }
    })
    .await;
    assert!(reached, "the burst stalled: {}", first.log_tail());
    first.kill();
    let acked_at_kill = acked.load(Ordering::SeqCst);
    let handed_at_kill: usize = handed_over(&fake).values().sum();
    println!(
        "killed with {acked_at_kill} webhooks acknowledged, {handed_at_kill} replies handed over"
    );
    // The kill must land in the middle of both, or this test proves nothing.
    assert!(acked_at_kill < WEBHOOKS, "the burst ended before the kill");
    assert!(
        handed_at_kill < REPLIES,
        "every reply was sent before the kill"
    );

    let second = setup.start(2).await;
    while let Some(sender) = burst.join_next().await {
        sender.unwrap();
    }
    assert_eq!(acked.load(Ordering::SeqCst), WEBHOOKS);

    let db = Db::connect(&setup.database_url()).await.unwrap();
    let (stored, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT provider_id) FROM messages WHERE provider_id LIKE 'crash-mid-%'",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(
        (stored, distinct),
        (
            WEBHOOKS as i64 + LEADS as i64,
            WEBHOOKS as i64 + LEADS as i64
        ),
        "every acknowledged webhook is stored exactly once"
    );

    let drained = eventually(Duration::from_secs(120), || async {
        pending_replies(&db).await == 0
    })
    .await;
    assert!(drained, "replies still pending: {}", second.log_tail());
    let interrupted = check_replies(&db, &fake).await;
    assert_eq!(replies(&db).await.len(), REPLIES);
    // One delivery lane per channel: one reply was being handed over at the kill.
    assert_eq!(interrupted, 1, "replies interrupted by the kill");

    // A graceful stop (SIGTERM) in the middle of sending interrupts nothing: the reply
    // being handed over is finished, the rest are sent by the next start, each once.
    queue_replies(&setup, REPLIES..REPLIES + REPLIES_AFTER).await;
    let started = eventually(Duration::from_secs(30), || {
        let handed: usize = handed_over(&fake).values().sum();
        async move { handed > REPLIES + 5 }
    })
    .await;
    assert!(started, "no reply was sent after the restart");
    // An employee's live stream is open: the stop must end it rather than wait on it.
    let agent = signed_in_at(
        &setup.address(),
        app::demo::AGENT_EMAIL,
        app::demo::AGENT_PASSWORD,
    )
    .await;
    let mut live = agent
        .get(format!("{}/api/events", setup.address()))
        .send()
        .await
        .unwrap();
    assert!(live.status().is_success(), "{}", live.status());
    second.terminate().await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = live.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream outlived the server");
    let handed_at_stop: usize = handed_over(&fake).values().sum();
    assert!(
        handed_at_stop < REPLIES + REPLIES_AFTER,
        "every reply was sent before the stop"
    );
    let third = setup.start(3).await;
    let drained = eventually(Duration::from_secs(120), || async {
        pending_replies(&db).await == 0
    })
    .await;
    assert!(drained, "replies still pending: {}", third.log_tail());
    let handed = handed_over(&fake);
    for (body, status, _) in replies(&db).await {
        let n: usize = body.trim_start_matches("crash-reply-").parse().unwrap();
        if n >= REPLIES {
            assert!(
                matches!(status.as_str(), "sent" | "delivered"),
                "{body} is {status} after a graceful stop"
            );
            assert_eq!(handed.get(&body), Some(&1), "{body}");
        }
    }
    db.close().await;
    third.kill();
}
