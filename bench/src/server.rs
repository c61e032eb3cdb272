//! The servers under test: the real `confab` binary as a child process (its memory and CPU
//! read from `/proc/<pid>`), and the baseline — a bare axum server with the same runtime
//! (multi-thread, `WORKER_STACK_BYTES` stacks) doing only the essential work of each route:
//! the webhook signature check, the SSE fan-out. The baseline runs in-process (ingest) or
//! as a child process (`bench --baseline-server PORT`, the SSE and footprint figures).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// The key that seals channel credentials in every database the bench makes.
pub const KEY: &str = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
/// The Messenger app secret of the bench channel (and of the baseline's check).
pub const APP_SECRET: &str = "bench_app_secret_key";
/// Confab's SSE keep-alive interval (`server/src/routes/events.rs`), copied by the baseline.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Confab,
    Baseline,
}

/// A server child process, killed when dropped.
pub struct Child {
    child: std::process::Child,
    pub pid: u32,
    pub addr: SocketAddr,
    log: PathBuf,
}

pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Where the `confab` binary is: `--confab PATH`, else beside this one (target/release).
pub fn confab_binary(given: Option<&str>) -> Result<PathBuf, String> {
    let path = match given {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("confab"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release -p confab-bench -p server`, or pass --confab PATH",
            path.display()
        ))
    }
}

/// Starts a server in `dir` (its log, media and site folders go there). Returns it and the
/// instant just before the spawn, for the time to ready.
pub fn spawn(
    kind: Kind,
    confab: &Path,
    dir: &Path,
    database_url: &str,
    demo: bool,
) -> Result<(Child, Instant), String> {
    // No built front end to precompress at start: the server alone is measured.
    spawn_with_site(kind, confab, dir, database_url, demo, &dir.join("site"))
}

/// [`spawn`], Confab serving the front end built in `site` (`LEPTOS_SITE_ROOT`).
pub fn spawn_with_site(
    kind: Kind,
    confab: &Path,
    dir: &Path,
    database_url: &str,
    demo: bool,
    site: &Path,
) -> Result<(Child, Instant), String> {
    let port = free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let log = dir.join(format!("{kind:?}-{port}.log").to_lowercase());
    let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = match kind {
        Kind::Confab => {
            let mut command = Command::new(confab);
            command
                .arg("serve")
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("CONFAB_DATABASE_URL", database_url)
                .env("CONFAB_ADDR", addr.to_string())
                .env("CONFAB_DEMO", if demo { "true" } else { "false" })
                .env("CONFAB_MEDIA_DIR", dir.join("media"))
                .env("CONFAB_SECRET_KEY", KEY)
                // The bench's sandbox leads write from addresses of their own (`SandboxLead`).
                .env("CONFAB_TRUST_PROXY", "true")
                .env("LEPTOS_SITE_ROOT", site)
                // Nothing may leave the machine.
                .env("CONFAB_GRAPH_API_URL", "http://127.0.0.1:9")
                .env("CONFAB_TWILIO_API_URL", "http://127.0.0.1:9");
            command
        }
        Kind::Baseline => {
            let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            command.arg("--baseline-server").arg(port.to_string());
            command
        }
    };
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("cannot start {kind:?}: {e}"))?;
    let pid = child.id();
    Ok((
        Child {
            child,
            pid,
            addr,
            log,
        },
        started,
    ))
}

impl Child {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Polls `GET /health` (a fresh connection each time, 1 ms apart) until it answers 200.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if crate::http::get_status(self.addr, "/health").await == Ok(200) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited ({status}): {}", self.log_tail()));
            }
            if Instant::now() > deadline {
                return Err(format!("the server is not ready: {}", self.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn rss_kib(&self) -> Result<u64, String> {
        rss_kib(&format!("/proc/{}/status", self.pid))
    }

    /// A line of `/proc/<pid>/status` (e.g. `Threads`), its value as written.
    pub fn status_field(&self, name: &str) -> String {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix(name)?
                        .strip_prefix(':')
                        .map(|v| v.trim().to_owned())
                })
            })
            .unwrap_or_default()
    }

    /// Anonymous memory by mapping size, to tell heap growth from thread stacks: the
    /// resident KiB in mappings of at least 1 MiB that are not the heap, and the heap's.
    pub fn smaps_summary(&self) -> String {
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{}/smaps", self.pid)) else {
            return String::new();
        };
        let (mut heap, mut big, mut big_count, mut other) = (0u64, 0u64, 0u64, 0u64);
        let mut current: Option<(bool, u64)> = None;
        for line in smaps.lines() {
            let mut fields = line.split_whitespace();
            let first = fields.next().unwrap_or_default();
            if first.contains('-') && !first.ends_with(':') {
                let mut range = first.split('-');
                let start = u64::from_str_radix(range.next().unwrap_or("0"), 16).unwrap_or(0);
                let end = u64::from_str_radix(range.next().unwrap_or("0"), 16).unwrap_or(0);
                current = Some((line.ends_with("[heap]"), end - start));
            } else if first == "Rss:" {
                let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                match current {
                    Some((true, _)) => heap += kib,
                    Some((false, size)) if size >= 1 << 20 => {
                        big += kib;
                        big_count += 1;
                    }
                    _ => other += kib,
                }
            }
        }
        format!(
            "heap {:.1} MiB, {big_count} mappings ≥ 1 MiB {:.1} MiB, others {:.1} MiB",
            heap as f64 / 1024.0,
            big as f64 / 1024.0,
            other as f64 / 1024.0
        )
    }

    /// CPU time (user + system) the process has used so far.
    pub fn cpu_time(&self) -> Result<Duration, String> {
        cpu_time(self.pid)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of a `/proc/…/status` file, in KiB.
pub fn rss_kib(status_file: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(status_file).map_err(|e| format!("{status_file}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in {status_file}"))
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}

/// utime + stime of a process (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("unreadable /proc/<pid>/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    let ticks = |i: usize| -> Result<u64, String> {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| "unreadable /proc/<pid>/stat".to_string())
    };
    let total = ticks(14)? + ticks(15)?;
    Ok(Duration::from_secs_f64(
        total as f64 / clock_ticks_per_second() as f64,
    ))
}

// ---- the baseline server --------------------------------------------------------------

#[derive(Clone)]
struct Bare {
    events: broadcast::Sender<Arc<String>>,
    next_id: Arc<AtomicU64>,
}

/// A sandbox lead the bench plays. Confab takes a lead's messages from its browser's cookie
/// only, and 30 a minute from one client address: each lead has its cookie, and each post
/// names an address (`X-Forwarded-For`, believed with `CONFAB_TRUST_PROXY`).
pub struct SandboxLead {
    /// `Cookie: …` as the lead's browser sends it.
    pub cookie: String,
    /// The lead id Confab derives from the cookie: what the body's `lead_id` must say.
    pub id: String,
}

impl SandboxLead {
    pub fn named(name: &str) -> Self {
        let secret: String = format!("{:0<40}", format!("bench-lead-{name}-"))
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        SandboxLead {
            id: app::sandbox::lead::lead_id_of(&secret).expect("a valid lead secret"),
            cookie: format!("{}={secret}", app::sandbox::lead::LEAD_COOKIE),
        }
    }
}

/// The `n`th client address of the bench's leads (10.0.0.0/8).
pub fn lead_address(n: u64) -> String {
    let n = n % (1 << 24);
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// The bare routes: `/health`, the Messenger webhook (signature check only), the sandbox
/// webhook (JSON read, event fanned out) and `/api/events` (SSE, same keep-alive).
pub fn baseline_router() -> Router {
    let (events, _) = broadcast::channel(4096);
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/webhooks/messenger/{channel}", post(messenger))
        .route("/webhooks/sandbox/{channel}", post(sandbox))
        .route("/api/events", get(stream))
        .with_state(Bare {
            events,
            next_id: Arc::new(AtomicU64::new(1)),
        })
}

async fn messenger(headers: HeaderMap, body: Bytes) -> Response {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if confab::channels::inbound::signature::verify_hub_signature(APP_SECRET, &body, header) {
        Json(serde_json::json!({ "ok": true, "events": 1 })).into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

async fn sandbox(State(bare): State<Bare>, body: Bytes) -> Response {
    let Ok(hook) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let id = bare.next_id.fetch_add(1, Ordering::Relaxed);
    let event = serde_json::json!({
        "id": id, "kind": "message_created", "conversation_id": 1, "channel_id": 1,
        "payload": { "body": hook.get("text"), "provider_id": hook.get("message_id") }
    });
    let _ = bare.events.send(Arc::new(event.to_string()));
    Json(serde_json::json!({ "ok": true, "events": 1 })).into_response()
}

async fn stream(
    State(bare): State<Bare>,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let receiver = bare.events.subscribe();
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(data) => {
                    let event = Event::default()
                        .event("message_created")
                        .data(data.as_str());
                    return Some((Ok(event), receiver));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// `bench --baseline-server PORT`: serves the baseline until killed, on a runtime built
/// as `confab`'s own `main` builds it.
pub fn serve_baseline(port: &str) -> ! {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(confab::startup::WORKER_STACK_BYTES)
        .build()
        .expect("a runtime");
    let addr = format!("127.0.0.1:{port}");
    let result: std::io::Result<()> = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        axum::serve(listener, baseline_router()).await
    });
    eprintln!("baseline server: {result:?}");
    std::process::exit(1)
}

/// A SQLite database in `dir` seeded with the demo business (the agent, the sandbox
/// channel): its URL and the sandbox channel's id.
pub async fn demo_database(dir: &Path) -> Result<(String, i64), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}/confab.db", dir.display());
    let db = app::store::Db::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    let channel = seed_demo(&db).await?;
    db.close().await;
    Ok((url, channel))
}

/// The demo business in `db`; returns its sandbox channel's id.
pub async fn seed_demo(db: &app::store::Db) -> Result<i64, String> {
    app::demo::seed_if_empty(db)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'sandbox' ORDER BY id LIMIT 1")
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())
}

/// Connects the bench's Messenger page (its app secret signs the webhooks) in `db`,
/// sealed with `key`; returns the channel's id.
pub async fn connect_bench_page(
    db: &app::store::Db,
    key: &app::channels::credentials::SecretKey,
) -> Result<i64, String> {
    let credentials = messenger_credentials()?;
    let channel = app::channels::store::create_connected(
        db,
        key,
        app::channels::ChannelKind::Messenger,
        "Bench page",
        &credentials,
        true,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(channel.0)
}

fn messenger_credentials() -> Result<app::channels::credentials::Credentials, String> {
    let pairs: Vec<(String, String)> = [
        ("page_id", crate::ingest::PAGE_ID),
        ("app_secret", APP_SECRET),
        ("access_token", "EAAbench"),
        ("verify_token", "bench"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    app::channels::credentials::Credentials::parse(app::channels::ChannelKind::Messenger, &pairs)
        .map_err(|e| e.to_string())
}
