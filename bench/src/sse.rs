//! The live stream: webhook → SSE latency with many clients connected, and what idle SSE
//! connections cost the server (memory per connection, CPU while they idle). Both against
//! a server child process (the `confab` binary, or the baseline), read from `/proc/<pid>`.

use crate::report::percentile_of_sorted;
use crate::server::{self, Child, Kind};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

/// The marker in each message's text, followed by its sequence number.
const MARKER: &[u8] = b"blat-";

/// A fresh server for the SSE figures: its database seeded with the demo (the agent and
/// the sandbox channel), signed in as the agent. Returns the server, the sandbox channel
/// and the session cookie (none for the baseline).
pub async fn start(
    kind: Kind,
    confab: &Path,
    dir: &Path,
) -> Result<(Child, i64, Option<String>), String> {
    let (url, channel) = match kind {
        Kind::Confab => server::demo_database(dir).await?,
        Kind::Baseline => {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            (format!("sqlite://{}/confab.db", dir.display()), 1)
        }
    };
    let (mut child, _) = server::spawn(kind, confab, dir, &url, true)?;
    child.wait_ready(Duration::from_secs(60)).await?;
    let cookie = match kind {
        Kind::Confab => Some(
            crate::http::sign_in(
                &child.url(""),
                app::demo::AGENT_EMAIL,
                app::demo::AGENT_PASSWORD,
            )
            .await?,
        ),
        Kind::Baseline => None,
    };
    Ok((child, channel, cookie))
}

/// Opens `n` SSE streams, `at_once` connecting at a time. Each stream is then read by
/// `read` until it ends.
async fn connect_all<F, Fut, T>(
    addr: SocketAddr,
    cookie: Option<&str>,
    n: usize,
    at_once: usize,
    read: F,
) -> Result<Vec<tokio::task::JoinHandle<T>>, String>
where
    F: Fn(usize, tokio::net::TcpStream, Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let gate = Arc::new(Semaphore::new(at_once));
    let opening: Vec<_> = (0..n)
        .map(|_| {
            let (gate, cookie) = (gate.clone(), cookie.map(str::to_owned));
            tokio::spawn(async move {
                let _permit = gate.acquire().await;
                crate::http::open_sse(addr, cookie.as_deref()).await
            })
        })
        .collect();
    let mut readers = Vec::with_capacity(n);
    for (i, opening) in opening.into_iter().enumerate() {
        let (stream, rest) = opening.await.map_err(|e| e.to_string())??;
        readers.push(tokio::spawn(read(i, stream, rest)));
    }
    Ok(readers)
}

pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub note: String,
}

/// How the webhooks of a latency run are posted.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub clients: usize,
    pub rate: u32,
    pub duration: Duration,
    /// Where this run's message ids and lead addresses start: a second run on the same
    /// server needs ids it has not stored and addresses the sandbox's limit has not seen.
    pub first: u64,
}

/// Time from a webhook's POST being sent to its event being read by each of `clients`
/// SSE clients of `child`, with webhooks posted to `post_to` (the same server, or another
/// process on its database) at `rate` per second for `duration`.
pub async fn latency(
    child: &Child,
    post_to: &Child,
    channel: i64,
    cookie: Option<&str>,
    load: Load,
) -> Result<Latency, String> {
    let Load {
        clients,
        rate,
        duration,
        first,
    } = load;
    let total = (rate as f64 * duration.as_secs_f64()).round() as usize;
    let base = Instant::now();
    // When message `i` was sent, in ns since `base` (+1; 0 = not yet).
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(tokio::sync::Notify::new());
    let connect_started = Instant::now();
    let readers = connect_all(child.addr, cookie, clients, 64, |_, stream, rest| {
        let (sent, stop, done) = (sent.clone(), stop.clone(), done.clone());
        read_latencies(stream, rest, sent, stop, done, base)
    })
    .await?;
    let connected_in = connect_started.elapsed();
    // Let the streams settle (their first keep-alive, any catch-up) before sending.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let url = post_to.url(&format!("/webhooks/sandbox/{channel}"));
    let leads: Arc<Vec<crate::server::SandboxLead>> = Arc::new(
        (0..50)
            .map(|n| crate::server::SandboxLead::named(&format!("latency-lead-{n}")))
            .collect(),
    );
    let in_flight = Arc::new(Semaphore::new(256));
    let failed = Arc::new(AtomicU64::new(0));
    let first_failure = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let cpu_before = child.cpu_time()?;
    let sending_started = Instant::now();
    let mut posts = Vec::with_capacity(total);
    for i in 0..total {
        tick.tick().await;
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (http, url, leads, sent, failed, first_failure) = (
            http.clone(),
            url.clone(),
            leads.clone(),
            sent.clone(),
            failed.clone(),
            first_failure.clone(),
        );
        posts.push(tokio::spawn(async move {
            let lead = &leads[i % leads.len()];
            let body = serde_json::json!({
                "type": "message", "lead_id": lead.id,
                "name": "Latency Lead", "message_id": format!("latency-{:08}", first + i as u64),
                "text": format!("blat-{i} is my order ready?"),
            })
            .to_string();
            sent[i].store(base.elapsed().as_nanos() as u64 + 1, Ordering::Release);
            // 25 posts per address: under the sandbox's 30 a minute from one.
            let answer = http
                .post(&url)
                .header("content-type", "application/json")
                .header("cookie", &lead.cookie)
                .header(
                    "x-forwarded-for",
                    crate::server::lead_address((first + i as u64) / 25),
                )
                .body(body)
                .send()
                .await;
            match answer {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                }
                failure => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    let why = match failure {
                        Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                        Err(e) => e.to_string(),
                    };
                    if let Ok(mut first) = first_failure.lock() {
                        first.get_or_insert(why);
                    }
                }
            }
            drop(permit);
        }));
    }
    for post in posts {
        let _ = post.await;
    }
    let sending = sending_started.elapsed();
    // The last events get up to two seconds to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu = child.cpu_time()?.saturating_sub(cpu_before);
    stop.store(true, Ordering::Release);
    done.notify_waiters();
    let mut all: Vec<u32> = Vec::with_capacity(clients * total);
    let mut ended = 0;
    for reader in readers {
        match tokio::time::timeout(Duration::from_secs(10), reader).await {
            Ok(Ok((latencies, ended_early))) => {
                all.extend(latencies);
                ended += ended_early as usize;
            }
            _ => ended += 1,
        }
    }
    all.sort_unstable();
    let expected = clients * total;
    let note = format!(
        "{clients} clients connected in {:.1} s; {total} webhooks sent in {:.1} s ({:.0}/s, {} failed); {} of {expected} events read ({:.2} %); the server used {:.1} s of CPU for them, {:.1} µs per event delivered to a client{}.",
        connected_in.as_secs_f64(),
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        failed.load(Ordering::Relaxed),
        all.len(),
        100.0 * all.len() as f64 / expected.max(1) as f64,
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / all.len().max(1) as f64,
        if ended > 0 { format!("; {ended} streams ended early") } else { String::new() }
    );
    let note = match first_failure.lock().ok().and_then(|f| f.clone()) {
        Some(why) => format!(
            "{note} First failure: {}",
            why.chars().take(200).collect::<String>()
        ),
        None => note,
    };
    Ok(Latency {
        p50_ms: percentile_of_sorted(&all, 0.50) as f64 / 1000.0,
        p99_ms: percentile_of_sorted(&all, 0.99) as f64 / 1000.0,
        note,
    })
}

/// A team of `n` agents with the sandbox channel, each signed in from an address of their
/// own (the sign-in limits count per address): their session cookies.
pub async fn typing_team(child: &Child, n: usize) -> Result<Vec<String>, String> {
    let base = child.url("");
    let owner =
        crate::http::sign_in(&base, app::demo::OWNER_EMAIL, app::demo::OWNER_PASSWORD).await?;
    let http = reqwest::Client::new();
    let team: serde_json::Value = http
        .post(child.url("/api/settings_team"))
        .header("cookie", &owner)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let role = team["roles"]
        .as_array()
        .and_then(|roles| roles.iter().find(|r| r["name"] == "Agent"))
        .and_then(|r| r["id"].as_i64())
        .ok_or("the demo has no Agent role")?;
    let channel = team["channels"][0]["channel"]["id"]
        .as_i64()
        .ok_or("the demo has no channel")?;
    let mut cookies = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("typist-{i}@bench.confab");
        let created = http
            .post(child.url("/api/create_employee"))
            .header("cookie", &owner)
            .json(
                &serde_json::json!({"name": format!("Typist {i}"), "email": email,
                "password": "typing all day long", "role_id": role, "channel_ids": [channel]}),
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !created.status().is_success() {
            return Err(format!("creating a typist: {}", created.status()));
        }
        let cookie = crate::http::sign_in_from(
            &base,
            &email,
            "typing all day long",
            Some(&crate::server::lead_address(50_000 + i as u64)),
        )
        .await?;
        cookies.push(cookie);
    }
    Ok(cookies)
}

/// Each of `team` says it types in `conversation` every 2.5 s, as a tab does while its
/// employee types (staggered), until the returned flag is set; the tasks return how many
/// presence requests they made.
pub fn keep_typing(
    child: &Child,
    conversation: i64,
    team: &[String],
) -> (Arc<AtomicBool>, Vec<tokio::task::JoinHandle<u64>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let url = child.url("/api/set_presence");
    let every = Duration::from_millis(app::conversations::presence::TYPING_EVERY_MS as u64);
    let tasks = team
        .iter()
        .enumerate()
        .map(|(i, cookie)| {
            let (stop, url, cookie) = (stop.clone(), url.clone(), cookie.clone());
            let offset = every.mul_f64(i as f64 / team.len().max(1) as f64);
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut said = 0;
                tokio::time::sleep(offset).await;
                let mut tick = tokio::time::interval(every);
                while !stop.load(Ordering::Acquire) {
                    tick.tick().await;
                    let answer = http
                        .post(&url)
                        .header("cookie", &cookie)
                        .form(&[
                            ("conversation_id", conversation.to_string()),
                            ("state", "typing".to_owned()),
                        ])
                        .send()
                        .await;
                    if answer.is_ok_and(|r| r.status().is_success()) {
                        said += 1;
                    }
                }
                said
            })
        })
        .collect();
    (stop, tasks)
}

/// Reads one stream until told to stop: the latency (µs) of the first arrival of each
/// marked message, and whether the stream ended early.
async fn read_latencies(
    mut stream: tokio::net::TcpStream,
    mut pending: Vec<u8>,
    sent: Arc<Vec<AtomicU64>>,
    stop: Arc<AtomicBool>,
    done: Arc<tokio::sync::Notify>,
    base: Instant,
) -> (Vec<u32>, bool) {
    let mut seen = vec![false; sent.len()];
    let mut latencies = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    let mut consumed = scan(&pending, &sent, &mut seen, &mut latencies, base);
    pending.drain(..consumed);
    loop {
        let stopped = done.notified();
        if stop.load(Ordering::Acquire) {
            return (latencies, false);
        }
        let n = tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return (latencies, true),
                Ok(n) => n,
            },
            _ = stopped => return (latencies, false),
        };
        pending.extend_from_slice(&buffer[..n]);
        consumed = scan(&pending, &sent, &mut seen, &mut latencies, base);
        pending.drain(..consumed);
    }
}

/// Finds the markers in the complete lines of `bytes`; returns how many bytes it used.
fn scan(
    bytes: &[u8],
    sent: &[AtomicU64],
    seen: &mut [bool],
    latencies: &mut Vec<u32>,
    base: Instant,
) -> usize {
    let Some(last_newline) = bytes.iter().rposition(|b| *b == b'\n') else {
        return 0;
    };
    let now = base.elapsed().as_nanos() as u64;
    let lines = &bytes[..=last_newline];
    let mut at = 0;
    while let Some(found) = lines[at..].windows(MARKER.len()).position(|w| w == MARKER) {
        let start = at + found + MARKER.len();
        let digits = lines[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        at = start + digits;
        let Some(i) = std::str::from_utf8(&lines[start..start + digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
        else {
            continue;
        };
        if i >= seen.len() || seen[i] {
            continue;
        }
        let sent_at = sent[i].load(Ordering::Acquire);
        if sent_at == 0 {
            continue;
        }
        seen[i] = true;
        latencies.push((now.saturating_sub(sent_at - 1) / 1000).min(u32::MAX as u64) as u32);
    }
    last_newline + 1
}

pub struct Idle {
    pub kib_per_connection: f64,
    pub cpu_percent: f64,
    pub note: String,
}

/// Opens `n` SSE streams and leaves them idle: the server's RSS per connection, and its
/// CPU (keep-alives) over `period`.
pub async fn idle(
    child: &Child,
    cookie: Option<&str>,
    n: usize,
    period: Duration,
) -> Result<Idle, String> {
    // A few streams first, so that what the first one allocates once is not counted.
    let warm = connect_all(child.addr, cookie, 64, 64, |_, stream, _| drain(stream)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // For comparison, plain keep-alive connections (one `GET /health` each, then idle):
    // what a connection costs before any SSE stream state.
    let plain_n = (n / 10).max(50);
    let plain_before = child.rss_kib()?;
    let mut plain = Vec::with_capacity(plain_n);
    for _ in 0..plain_n {
        plain.push(crate::http::keep_alive(child.addr).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let plain_kib = (child.rss_kib()? as f64 - plain_before as f64) / plain_n as f64;
    let before = child.rss_kib()?;
    let (threads_before, maps_before) = (child.status_field("Threads"), child.smaps_summary());
    let connect_started = Instant::now();
    let streams = connect_all(child.addr, cookie, n, 64, |_, stream, _| drain(stream)).await?;
    let connected_in = connect_started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = child.rss_kib()?;
    let (threads_after, maps_after) = (child.status_field("Threads"), child.smaps_summary());
    let cpu_before = child.cpu_time()?;
    let idle_started = Instant::now();
    tokio::time::sleep(period).await;
    let cpu = child.cpu_time()?.saturating_sub(cpu_before);
    let idled = idle_started.elapsed();
    let ended = streams.iter().filter(|s| s.is_finished()).count();
    drop(plain);
    for stream in streams.iter().chain(warm.iter()) {
        stream.abort();
    }
    Ok(Idle {
        kib_per_connection: (after as f64 - before as f64) / n as f64,
        cpu_percent: 100.0 * cpu.as_secs_f64() / idled.as_secs_f64(),
        note: format!(
            "{plain_n} plain keep-alive connections (a GET /health each) cost {plain_kib:.1} KiB each; {n} streams opened in {:.1} s; RSS {:.1} → {:.1} MiB (threads {threads_before} → {threads_after}; {maps_before} → {maps_after}); {:.2} s of CPU over {:.0} s idle{}.",
            connected_in.as_secs_f64(),
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            cpu.as_secs_f64(),
            idled.as_secs_f64(),
            if ended > 0 { format!("; {ended} streams ended") } else { String::new() }
        ),
    })
}

/// Reads a stream (keep-alives) until it ends.
async fn drain(mut stream: tokio::net::TcpStream) {
    let mut buffer = [0u8; 256];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            break;
        }
    }
}
