//! Webhook ingest: signed Messenger webhooks from many leads, `senders` at once, against
//! the real application started in-process (SQLite, `synchronous=FULL`, each webhook
//! acknowledged after its commit) and against a bare axum handler that only checks the
//! signature, on the same runtime, in alternating slices of the same run.

use crate::server::{baseline_router, APP_SECRET, KEY};
use confab::channels::inbound::signature::hub_signature;
use confab::settings::Settings;
use confab::startup::Application;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const PAGE_ID: &str = "682498302938465";

pub struct Ingest {
    pub confab_per_s: f64,
    pub baseline_per_s: f64,
    pub notes: Vec<String>,
}

/// What one side delivered: acknowledged webhooks, errors, time spent.
#[derive(Default)]
pub struct Side {
    pub acked: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Side {
    pub fn per_s(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64()
    }
}

/// A lead's signed Messenger webhook, as Meta sends it.
fn webhook(seq: u64, leads: u64) -> (String, String) {
    let now = app::store::now_ms();
    let body = serde_json::json!({
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": now, "messaging": [{
            "sender": {"id": format!("bench-lead-{:05}", seq % leads)},
            "recipient": {"id": PAGE_ID},
            "timestamp": now,
            "message": {"mid": format!("m_bench-{seq}"), "text": format!("Is my bicycle ready yet? ({seq})")}
        }]}]
    })
    .to_string();
    let signature = hub_signature(APP_SECRET, body.as_bytes());
    (body, signature)
}

/// `senders` tasks post webhooks to `url` for `duration` (each waits for its answer).
pub async fn drive(
    http: &reqwest::Client,
    url: &str,
    senders: usize,
    duration: Duration,
    seq: &Arc<AtomicU64>,
    leads: u64,
) -> Side {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (http, url, seq) = (http.clone(), url.to_owned(), seq.clone());
            tokio::spawn(async move {
                let mut side = Side::default();
                while Instant::now() < deadline {
                    let (body, signature) = webhook(seq.fetch_add(1, Ordering::Relaxed), leads);
                    let sent = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", signature)
                        .body(body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            // Read the (small) answer so the connection is reused.
                            let _ = r.bytes().await;
                            side.acked += 1;
                        }
                        Ok(r) => {
                            side.errors += 1;
                            side.first_error
                                .get_or_insert(format!("HTTP {}", r.status()));
                        }
                        Err(e) => {
                            side.errors += 1;
                            side.first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                side
            })
        })
        .collect();
    let mut total = Side::default();
    for task in tasks {
        if let Ok(side) = task.await {
            total.acked += side.acked;
            total.errors += side.errors;
            if total.first_error.is_none() {
                total.first_error = side.first_error;
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// What this disk allows: one-row INSERT transactions per second, one after another, in
/// SQLite with the store's settings (WAL, `synchronous=FULL`) — each commit is an fsync.
async fn commit_floor(dir: &std::path::Path, duration: Duration) -> Result<f64, String> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::ConnectOptions;
    let mut connection = SqliteConnectOptions::new()
        .filename(dir.join("floor.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut connection)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < duration {
        sqlx::query("INSERT INTO t (body) VALUES ($1)")
            .bind("Is my bicycle ready yet?")
            .execute(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
        commits += 1;
    }
    Ok(commits as f64 / started.elapsed().as_secs_f64())
}

/// The store's part alone: `record_inbound` (the webhook's one transaction) called
/// directly, `at_once` tasks at a time, for `duration`. Returns transactions per second.
async fn store_alone(
    db: &app::store::Db,
    channel: app::ids::ChannelId,
    at_once: usize,
    duration: Duration,
    seq: &Arc<AtomicU64>,
    leads: u64,
) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..at_once)
        .map(|_| {
            let (db, seq) = (db.clone(), seq.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                while started.elapsed() < duration {
                    let i = seq.fetch_add(1, Ordering::Relaxed);
                    let message = app::messages::store::InboundMessage {
                        contact_external_id: format!("bench-lead-{:05}", i % leads),
                        provider_id: format!("m_alone-{i}"),
                        body: format!("Is my bicycle ready yet? ({i})"),
                        ..Default::default()
                    };
                    if app::messages::store::record_inbound(&db, channel, &message)
                        .await
                        .is_ok()
                    {
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        done += task.await.unwrap_or(0);
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// A stand-in for Meta's Graph API: each new lead's profile is asked for once.
async fn fake_graph() -> Result<String, String> {
    let router = axum::Router::new().route(
        "/{contact}",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({ "first_name": "Bench", "last_name": "Lead" }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

pub async fn run(
    senders: usize,
    duration: Duration,
    leads: u64,
    slices: u32,
) -> Result<Ingest, String> {
    let dir = std::env::temp_dir().join(format!("confab-bench-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}/ingest.db", dir.display());
    let graph = fake_graph().await?;
    let lookup = {
        let (url, dir, graph) = (url.clone(), dir.clone(), graph.clone());
        move |key: &str| -> Option<String> {
            Some(match key {
                "CONFAB_DATABASE_URL" => url.clone(),
                "CONFAB_ADDR" => "127.0.0.1:0".into(),
                "CONFAB_DEMO" => "false".into(),
                "CONFAB_MEDIA_DIR" => format!("{}/media", dir.display()),
                "CONFAB_SECRET_KEY" => KEY.into(),
                "LEPTOS_SITE_ROOT" => format!("{}/site", dir.display()),
                "CONFAB_GRAPH_API_URL" | "CONFAB_TWILIO_API_URL" => graph.clone(),
                _ => return None,
            })
        }
    };
    let settings = Settings::from_lookup(lookup)?;

    // The server runtime, built as `confab`'s `main` builds it, on its own threads: the
    // application and the baseline both run on it.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_stack_size(confab::startup::WORKER_STACK_BYTES)
                .build()
                .expect("a runtime for the server");
            runtime.block_on(async move {
                let started = async {
                    let app = Application::build(settings)
                        .await
                        .map_err(|e| e.to_string())?;
                    let channel = app::ids::ChannelId(
                        crate::server::connect_bench_page(&app.state.db, &app.state.secret_key)
                            .await?,
                    );
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .map_err(|e| e.to_string())?;
                    let baseline_port = listener.local_addr().map_err(|e| e.to_string())?.port();
                    tokio::spawn(async move {
                        let _ = axum::serve(listener, baseline_router()).await;
                    });
                    Ok::<_, String>((app, channel, baseline_port))
                }
                .await;
                match started {
                    Ok((app, channel, baseline_port)) => {
                        let db = app.state.db.clone();
                        let _ = ready_tx.send(Ok((app.port(), channel.0, baseline_port, db)));
                        tokio::select! {
                            _ = app.run_until_stopped() => {}
                            _ = stop_rx => {}
                        }
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        })
        .map_err(|e| e.to_string())?;
    let (port, channel, baseline_port, db) = ready_rx
        .await
        .map_err(|_| "the server thread ended".to_string())??;
    let confab_url = format!("http://127.0.0.1:{port}/webhooks/messenger/{channel}");
    let baseline_url = format!("http://127.0.0.1:{baseline_port}/webhooks/messenger/{channel}");

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let seq = Arc::new(AtomicU64::new(0));
    // Warm up both (connections, statements, the first contacts), then alternate slices.
    let warm = Duration::from_millis(300);
    drive(&http, &baseline_url, senders, warm, &seq, leads).await;
    drive(&http, &confab_url, senders, warm, &seq, leads).await;
    let before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE provider_id LIKE 'm_bench-%'")
            .fetch_one(&db.read)
            .await
            .map_err(|e| e.to_string())?;
    let slice = duration / slices;
    let (mut confab, mut baseline) = (Side::default(), Side::default());
    // Between slices, in the same windows of time (the disk is shared): the disk's commit
    // floor and the store's transaction alone.
    let part = (slice / 3).min(Duration::from_secs(2));
    let channel_id = app::ids::ChannelId(channel);
    let (mut floor, mut alone_1, mut alone_n) = (0.0, 0.0, 0.0);
    for _ in 0..slices {
        for (url, total) in [(&baseline_url, &mut baseline), (&confab_url, &mut confab)] {
            let side = drive(&http, url, senders, slice, &seq, leads).await;
            total.acked += side.acked;
            total.errors += side.errors;
            total.elapsed += side.elapsed;
            if total.first_error.is_none() {
                total.first_error = side.first_error;
            }
        }
        floor += commit_floor(&dir, part).await? / slices as f64;
        alone_1 += store_alone(&db, channel_id, 1, part, &seq, leads).await / slices as f64;
        alone_n += store_alone(&db, channel_id, senders, part, &seq, leads).await / slices as f64;
    }
    let after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE provider_id LIKE 'm_bench-%'")
            .fetch_one(&db.read)
            .await
            .map_err(|e| e.to_string())?;
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    let mut notes = vec![format!(
        "Ingest: {senders} senders, {leads} leads, {:.1} s per side in {slices} alternating slices; Confab acknowledged {} webhooks ({} errors) and stored {} messages from {contacts} contacts; the baseline acknowledged {} ({} errors).",
        duration.as_secs_f64(),
        confab.acked,
        confab.errors,
        after - before,
        baseline.acked,
        baseline.errors
    )];
    notes.push(format!(
        "Ingest: the disk's floor, one-row SQLite transactions one after another (WAL, synchronous=FULL): {floor:.0} commits/s, so one webhook's commit costs at least {:.2} ms of the single writer's time; Confab ingested {:.2} webhooks per floor commit.",
        1000.0 / floor,
        confab.per_s() / floor
    ));
    notes.push(format!(
        "Ingest, where the time goes: the store's transaction alone (`record_inbound`, no HTTP, no signature) does {alone_1:.0}/s called one after another ({:.2} ms each, the single writer held for 7 round trips to its thread: begin, the retry lookup, contacts with their conversations, messages, conversations, events, commit; as many for a batch of any size, plus one when it brings new leads) and {alone_n:.0}/s from {senders} tasks at once (batched); the webhook route adds the channel's configuration (read and decrypted at most once a second), the profile check (kept once the lead has a name) and the HTTP/JSON work, on the same 2 cores as the {senders} senders.",
        1000.0 / alone_1
    ));
    for (side, name) in [(&confab, "Confab"), (&baseline, "baseline")] {
        if let Some(error) = &side.first_error {
            notes.push(format!("Ingest, {name}: first error: {error}"));
        }
    }
    if (after - before) < confab.acked as i64 {
        return Err(format!(
            "acknowledged {} webhooks but only {} messages are stored",
            confab.acked,
            after - before
        ));
    }
    let _ = stop_tx.send(());
    let _ = server.join();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Ingest {
        confab_per_s: confab.per_s(),
        baseline_per_s: baseline.per_s(),
        notes,
    })
}
