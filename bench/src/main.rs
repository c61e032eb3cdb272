//! Confab's benchmark harness. Builds a large business in a fresh SQLite database (fast,
//! in SQL) and measures what employees wait for, as server time in the store; then the
//! server itself, each figure beside a baseline measured in the same run (so that the
//! ratio holds on a noisy machine): webhook ingest, webhook → SSE latency, the cost of idle
//! SSE connections, and an idle server's memory and time to ready; then the front end as
//! served from a built site: the inbox route's Wasm compressed, and the inbox page in
//! headless Chromium; and the ingest and latency figures again on PostgreSQL with two
//! processes on one database (`--postgres URL`). Prints the tables and writes them to
//! `bench/RESULTS.md`.
//!
//! `scripts/bench [--smoke] [--only store,crm,footprint,ingest,latency,presence,idle,wasm,page,postgres]
//! [--conversations N] [--messages-per-conversation M] [--clients N] [--import-rows N] [--iterations K]
//! [--ingest-seconds S] [--senders N] [--sse-clients N] [--sse-rate R] [--sse-seconds S]
//! [--idle-connections N] [--idle-seconds S] [--page-runs N] [--confab PATH] [--site DIR]
//! [--postgres URL]
//! [--out FILE | --no-out] [--keep]` (it builds the release site and binaries, then runs
//! `target/release/bench` with these arguments).

mod crm;
mod footprint;
mod http;
mod ingest;
mod page;
mod postgres;
mod report;
mod server;
mod sse;
mod store;

use app::store::Db;
use report::{ServerRow, Target};
use server::Kind;
use std::time::{Duration, Instant};

const SECTIONS: [&str; 10] = [
    "store",
    "crm",
    "footprint",
    "ingest",
    "latency",
    "presence",
    "idle",
    "wasm",
    "page",
    "postgres",
];

struct Options {
    smoke: bool,
    sections: Vec<String>,
    conversations: i64,
    messages_per_conversation: i64,
    /// Clients in the CRM figures' business, and rows in its CSV import.
    clients: i64,
    import_rows: usize,
    iterations: usize,
    ingest_seconds: f64,
    senders: usize,
    leads: u64,
    slices: u32,
    sse_clients: usize,
    sse_rate: u32,
    sse_seconds: f64,
    /// Employees typing while the presence figure is measured.
    typists: usize,
    idle_connections: usize,
    idle_seconds: f64,
    footprint_rounds: usize,
    /// Loads of the inbox page in the browser (warm cache; a quarter as many cold).
    page_runs: usize,
    confab: Option<String>,
    /// The built site (`target/site` when not given).
    site: Option<String>,
    /// A PostgreSQL server for the figures on PostgreSQL (they are skipped without one).
    postgres: Option<String>,
    out: Option<String>,
    /// Keep the generated database (its path is printed) to look into it.
    keep: bool,
}

impl Options {
    /// The latency runs' load; `first`: where its message ids and addresses start.
    fn sse_load(&self, first: u64) -> sse::Load {
        sse::Load {
            clients: self.sse_clients,
            rate: self.sse_rate,
            duration: Duration::from_secs_f64(self.sse_seconds),
            first,
        }
    }
}

fn parse_options() -> Result<Options, String> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let mut options = if smoke {
        // Tiny sizes, a few seconds each: CI checks that the harness works, not the figures.
        Options {
            smoke,
            sections: SECTIONS.iter().map(|s| s.to_string()).collect(),
            conversations: 2_000,
            messages_per_conversation: 5,
            clients: 2_000,
            import_rows: 200,
            iterations: 20,
            ingest_seconds: 2.0,
            senders: 64,
            leads: 50,
            slices: 2,
            sse_clients: 20,
            sse_rate: 500,
            sse_seconds: 2.0,
            typists: 3,
            idle_connections: 100,
            idle_seconds: 3.0,
            footprint_rounds: 1,
            page_runs: 3,
            confab: None,
            site: None,
            postgres: None,
            out: None,
            keep: false,
        }
    } else {
        Options {
            smoke,
            sections: SECTIONS.iter().map(|s| s.to_string()).collect(),
            conversations: 100_000,
            messages_per_conversation: 20,
            clients: 100_000,
            import_rows: 10_000,
            iterations: 200,
            ingest_seconds: 30.0,
            senders: 64,
            leads: 1_000,
            slices: 3,
            sse_clients: 1_000,
            sse_rate: 500,
            sse_seconds: 10.0,
            typists: 50,
            idle_connections: 10_000,
            idle_seconds: 30.0,
            footprint_rounds: 3,
            page_runs: 20,
            confab: None,
            site: None,
            postgres: None,
            out: Some("bench/RESULTS.md".into()),
            keep: false,
        }
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        let number = |v: String| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{arg} takes a positive number"))
        };
        let seconds = |v: String| {
            v.parse::<f64>()
                .ok()
                .filter(|n| *n > 0.0 && n.is_finite())
                .ok_or(format!("{arg} takes a positive number of seconds"))
        };
        match arg.as_str() {
            "--smoke" => {}
            "--only" => {
                let list: Vec<String> = value()?.split(',').map(|s| s.trim().into()).collect();
                if let Some(bad) = list.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    return Err(format!(
                        "unknown section '{bad}' (sections: {})",
                        SECTIONS.join(", ")
                    ));
                }
                options.sections = list;
            }
            "--conversations" => options.conversations = number(value()?)?,
            "--messages-per-conversation" => options.messages_per_conversation = number(value()?)?,
            "--clients" => options.clients = number(value()?)?,
            "--import-rows" => options.import_rows = number(value()?)? as usize,
            "--iterations" => options.iterations = number(value()?)? as usize,
            "--ingest-seconds" => options.ingest_seconds = seconds(value()?)?,
            "--senders" => options.senders = number(value()?)? as usize,
            "--sse-clients" => options.sse_clients = number(value()?)? as usize,
            "--sse-rate" => options.sse_rate = number(value()?)? as u32,
            "--sse-seconds" => options.sse_seconds = seconds(value()?)?,
            "--idle-connections" => options.idle_connections = number(value()?)? as usize,
            "--idle-seconds" => options.idle_seconds = seconds(value()?)?,
            "--page-runs" => options.page_runs = number(value()?)? as usize,
            "--confab" => options.confab = Some(value()?),
            "--site" => options.site = Some(value()?),
            "--postgres" => {
                let url = value()?;
                if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                    return Err(format!("--postgres takes a postgres:// URL, not '{url}'"));
                }
                options.postgres = Some(url);
            }
            "--out" => options.out = Some(value()?),
            "--no-out" => options.out = None,
            "--keep" => options.keep = true,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(options)
}

fn main() {
    // The baseline server, started by this harness as a child process.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--baseline-server") {
        server::serve_baseline(args.get(2).map(String::as_str).unwrap_or("0"));
    }
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if let Err(message) = runtime.block_on(run(options)) {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
}

/// The soft limit on open files, raised to the hard one when `needed` is more.
fn open_files_limit(needed: u64) -> Result<u64, String> {
    let read = || -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut fields = line["Max open files".len()..].split_whitespace();
        let soft = fields.next()?.parse().unwrap_or(u64::MAX);
        let hard = fields.next()?.parse().unwrap_or(u64::MAX);
        Some((soft, hard))
    };
    let Some((soft, hard)) = read() else {
        return Ok(needed);
    };
    if soft >= needed {
        return Ok(soft);
    }
    // No libc here: util-linux's prlimit raises this process's soft limit (children
    // started later inherit it).
    let _ = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={hard}:{hard}"))
        .status();
    let soft = read().map(|(s, _)| s).unwrap_or(soft);
    if soft < needed {
        return Err(format!(
            "{needed} open files are needed, the limit is {soft} (hard {hard}): raise it with `ulimit -n {needed}` or use fewer --idle-connections / --sse-clients"
        ));
    }
    Ok(soft)
}

async fn run(options: Options) -> Result<(), String> {
    let wants = |s: &str| options.sections.iter().any(|x| x == s);
    let mut notes: Vec<String> = Vec::new();
    let needed = options.idle_connections.max(options.sse_clients) as u64 + 256;
    let limit = open_files_limit(needed)?;
    notes.push(format!("Open files: soft limit {limit} (needed {needed})."));
    let confab = if [
        "footprint",
        "latency",
        "presence",
        "idle",
        "wasm",
        "page",
        "postgres",
    ]
    .iter()
    .any(|s| wants(s))
    {
        Some(server::confab_binary(options.confab.as_deref())?)
    } else {
        None
    };
    // Checked before the long figures run, so that a missing site fails at once.
    let site = if wants("wasm") || wants("page") {
        Some(page::site_dir(options.site.as_deref())?)
    } else {
        None
    };
    let dir = std::env::temp_dir().join(format!("confab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let started_all = Instant::now();
    let mut header = format!(
        "Confab benchmark, {} — {}; {} build{}.",
        report::today(),
        report::machine(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        if options.smoke {
            "; **smoke run (tiny sizes): the figures mean nothing**"
        } else {
            ""
        }
    );
    let mut store_rows = Vec::new();
    let mut server_rows: Vec<ServerRow> = Vec::new();
    let mut front_rows: Vec<ServerRow> = Vec::new();

    // ---- the store, on the generated business ----
    let url = format!("sqlite://{}/bench.db", dir.display());
    let mut messages = 0;
    if wants("store") || wants("footprint") {
        let db = Db::connect(&url).await.map_err(|e| e.to_string())?;
        let (n, m) = (options.conversations, options.messages_per_conversation);
        eprintln!("generating {n} conversations × {m} messages …");
        let started = Instant::now();
        let (owner, channels) = store::generate(&db, n, m).await?;
        let generated_in = started.elapsed();
        messages = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&db.read)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "generated {messages} messages in {:.1} s",
            generated_in.as_secs_f64()
        );
        header.push_str(&format!(
            " Store: {n} conversations, {messages} messages (generated in {:.1} s), SQLite, {} iterations each; server time in the store.",
            generated_in.as_secs_f64(),
            options.iterations
        ));
        if wants("store") {
            eprintln!("store figures …");
            store_rows = store::figures(&db, owner, &channels, options.iterations).await?;
        }
        db.close().await;
    }

    // ---- the CRM, on a business with many clients ----
    let mut crm_rows = Vec::new();
    let mut crm_import = Vec::new();
    let mut crm_header = String::new();
    if wants("crm") {
        let db = Db::connect(&format!("sqlite://{}/crm.db", dir.display()))
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("generating {} clients …", options.clients);
        let started = Instant::now();
        let owner = crm::generate(&db, options.clients).await?;
        crm_header = format!(
            "The CRM: {} clients with a number each (generated in {:.1} s), SQLite, {} iterations each; server time in the store, as the owner (who sees every client):",
            options.clients,
            started.elapsed().as_secs_f64(),
            options.iterations
        );
        eprintln!("CRM figures …");
        crm_rows = crm::list_figures(&db, owner, options.iterations).await;
        let (row, note) = crm::import_figure(&db, owner, options.import_rows).await?;
        crm_import.push(row);
        notes.push(note);
        db.close().await;
    }

    // ---- an idle server on that database ----
    if let (true, Some(confab)) = (wants("footprint"), &confab) {
        eprintln!("footprint …");
        let (mut ready, mut rss) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        let mut peak = 0.0f64;
        for _ in 0..options.footprint_rounds {
            let c = footprint::measure(Kind::Confab, confab, &dir, &url).await?;
            let b = footprint::measure(Kind::Baseline, confab, &dir, &url).await?;
            ready.0.push(c.ready_ms);
            ready.1.push(b.ready_ms);
            rss.0.push(c.rss_mib);
            rss.1.push(b.rss_mib);
            peak = peak.max(c.peak_mib);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        server_rows.push(ServerRow {
            name: format!("idle server after start, RSS ({messages} messages)"),
            confab: median(&mut rss.0),
            baseline: median(&mut rss.1),
            unit: "MiB",
            target_on_ratio: false,
            target: Target::AtMost {
                limit: 40.0,
                unit: "MiB",
            },
        });
        server_rows.push(ServerRow {
            name: "time to ready (spawn → first 200 from /health)".into(),
            confab: median(&mut ready.0),
            baseline: median(&mut ready.1),
            unit: "ms",
            target_on_ratio: false,
            target: Target::AtMost {
                limit: 1000.0,
                unit: "ms",
            },
        });
        notes.push(format!(
            "Footprint: median of {} starts each, RSS read {} s after ready (Confab's peak RSS {peak:.1} MiB); the baseline is a bare axum server (no database).",
            options.footprint_rounds,
            footprint::SETTLE.as_secs()
        ));
    }

    // ---- webhook ingest, in-process ----
    if wants("ingest") {
        eprintln!("webhook ingest …");
        let result = ingest::run(
            options.senders,
            Duration::from_secs_f64(options.ingest_seconds),
            options.leads,
            options.slices,
        )
        .await?;
        server_rows.push(ServerRow {
            name: format!(
                "webhook ingest, signed Messenger, {} senders, acked after commit (synchronous=FULL); baseline: signature check only",
                options.senders
            ),
            confab: result.confab_per_s,
            baseline: result.baseline_per_s,
            unit: "msg/s",
            target_on_ratio: true,
            target: Target::AtLeast {
                limit: 45.0,
                unit: "%",
            },
        });
        notes.extend(result.notes);
    }

    // ---- webhook → SSE latency ----
    if let (true, Some(confab)) = (wants("latency"), &confab) {
        let mut results = Vec::new();
        for kind in [Kind::Confab, Kind::Baseline] {
            eprintln!("webhook → SSE latency, {kind:?} …");
            let sub = dir.join(format!("latency-{kind:?}").to_lowercase());
            let (child, channel, cookie) = sse::start(kind, confab, &sub).await?;
            let result = sse::latency(
                &child,
                &child,
                channel,
                cookie.as_deref(),
                options.sse_load(0),
            )
            .await?;
            notes.push(format!("Latency, {kind:?}: {}", result.note));
            results.push(result);
            drop(child);
        }
        for (name, pick, limit) in [
            (
                "p50",
                (|l: &sse::Latency| l.p50_ms) as fn(&sse::Latency) -> f64,
                5.0,
            ),
            ("p99", |l: &sse::Latency| l.p99_ms, 25.0),
        ] {
            server_rows.push(ServerRow {
                name: format!(
                    "webhook → SSE event, {name}, {} clients, {} msg/s for {} s (sandbox webhook)",
                    options.sse_clients, options.sse_rate, options.sse_seconds
                ),
                confab: pick(&results[0]),
                baseline: pick(&results[1]),
                unit: "ms",
                target_on_ratio: false,
                target: Target::AtMost { limit, unit: "ms" },
            });
        }
    }

    // ---- the same latency while a team types (presence events) ----
    if let (true, Some(confab)) = (wants("presence"), &confab) {
        eprintln!(
            "webhook → SSE latency while {} employees type …",
            options.typists
        );
        let sub = dir.join("presence");
        let (child, channel, cookie) = sse::start(Kind::Confab, confab, &sub).await?;
        let team = sse::typing_team(&child, options.typists).await?;
        let run = |first| {
            sse::latency(
                &child,
                &child,
                channel,
                cookie.as_deref(),
                options.sse_load(first),
            )
        };
        // Quiet, typing, typing, quiet (ABBA): each side's runs sit as late on average, so
        // the database's growth over the runs favours neither.
        let mut quiet = Vec::new();
        let mut typing = Vec::new();
        let mut said = 0;
        for (round, typed) in [false, true, true, false].into_iter().enumerate() {
            // Ids and addresses of its own: the earlier runs' are stored and counted.
            let first = round as u64 * 10_000_000;
            if typed {
                // A demo conversation of the sandbox channel (its first).
                let (stop, typists) = sse::keep_typing(&child, 1, &team);
                let result = run(first).await;
                stop.store(true, std::sync::atomic::Ordering::Release);
                for typist in typists {
                    said += typist.await.unwrap_or(0);
                }
                typing.push(result?);
            } else {
                quiet.push(run(first).await?);
            }
        }
        let mean = |runs: &[sse::Latency], pick: fn(&sse::Latency) -> f64| {
            runs.iter().map(pick).sum::<f64>() / runs.len() as f64
        };
        notes.push(format!(
            "Presence: one server, four runs (quiet, typing, typing, quiet; each figure the mean of its two), while typing {} employees each said \"typing\" every {} ms ({said} presence requests, each an event on every stream of the channel). Quiet: {} Typing: {}",
            options.typists,
            app::conversations::presence::TYPING_EVERY_MS,
            quiet[0].note,
            typing[0].note
        ));
        for (name, pick) in [
            (
                "p50",
                (|l: &sse::Latency| l.p50_ms) as fn(&sse::Latency) -> f64,
            ),
            ("p99", |l: &sse::Latency| l.p99_ms),
        ] {
            server_rows.push(ServerRow {
                name: format!(
                    "webhook → SSE event, {name}, while {} employees type (presence); baseline: the same without them",
                    options.typists
                ),
                confab: mean(&typing, pick),
                baseline: mean(&quiet, pick),
                unit: "ms",
                target_on_ratio: true,
                target: Target::AtMost {
                    limit: 110.0,
                    unit: "%",
                },
            });
        }
        drop(child);
    }

    // ---- ingest and latency on PostgreSQL, two processes ----
    if let (true, Some(confab)) = (wants("postgres"), &confab) {
        match &options.postgres {
            None => notes.push(
                "PostgreSQL: not measured (no --postgres URL; scripts/bench passes one when a server answers)."
                    .into(),
            ),
            Some(server_url) => {
                eprintln!("ingest and latency on PostgreSQL, two processes …");
                let sizes = postgres::Sizes {
                    senders: options.senders,
                    leads: options.leads,
                    ingest: Duration::from_secs_f64(options.ingest_seconds),
                    clients: options.sse_clients,
                    rate: options.sse_rate,
                    latency: Duration::from_secs_f64(options.sse_seconds),
                };
                let figures = postgres::run(server_url, confab, &dir, sizes).await?;
                server_rows.push(ServerRow {
                    name: format!(
                        "PostgreSQL, two processes: webhook ingest, signed Messenger, {} senders split over both, acked after commit; baseline: signature check only",
                        options.senders
                    ),
                    confab: figures.ingest_per_s,
                    baseline: figures.ingest_baseline_per_s,
                    unit: "msg/s",
                    target_on_ratio: true,
                    target: Target::AtLeast {
                        limit: 45.0,
                        unit: "%",
                    },
                });
                for (name, confab, baseline, limit) in [
                    (
                        "p50",
                        figures.latency.p50_ms,
                        figures.baseline_latency.p50_ms,
                        5.0,
                    ),
                    (
                        "p99",
                        figures.latency.p99_ms,
                        figures.baseline_latency.p99_ms,
                        25.0,
                    ),
                ] {
                    server_rows.push(ServerRow {
                        name: format!(
                            "PostgreSQL, two processes: webhook to one → SSE event on the other, {name}, {} clients, {} msg/s for {} s",
                            options.sse_clients, options.sse_rate, options.sse_seconds
                        ),
                        confab,
                        baseline,
                        unit: "ms",
                        target_on_ratio: false,
                        target: Target::AtMost { limit, unit: "ms" },
                    });
                }
                notes.extend(figures.notes);
            }
        }
    }

    // ---- idle SSE connections ----
    if let (true, Some(confab)) = (wants("idle"), &confab) {
        let mut results = Vec::new();
        for kind in [Kind::Confab, Kind::Baseline] {
            eprintln!(
                "{} idle SSE connections, {kind:?} …",
                options.idle_connections
            );
            let sub = dir.join(format!("idle-{kind:?}").to_lowercase());
            let (child, _, cookie) = sse::start(kind, confab, &sub).await?;
            let result = sse::idle(
                &child,
                cookie.as_deref(),
                options.idle_connections,
                Duration::from_secs_f64(options.idle_seconds),
            )
            .await?;
            notes.push(format!("Idle SSE, {kind:?}: {}", result.note));
            results.push(result);
            drop(child);
        }
        server_rows.push(ServerRow {
            name: format!(
                "server memory per idle SSE connection ({})",
                options.idle_connections
            ),
            confab: results[0].kib_per_connection,
            baseline: results[1].kib_per_connection,
            unit: "KiB",
            target_on_ratio: false,
            target: Target::AtMost {
                limit: 8.0,
                unit: "KiB",
            },
        });
        server_rows.push(ServerRow {
            name: format!(
                "server CPU while {} SSE connections idle ({} s, keep-alive every {} s)",
                options.idle_connections,
                options.idle_seconds,
                server::KEEP_ALIVE.as_secs()
            ),
            confab: results[0].cpu_percent,
            baseline: results[1].cpu_percent,
            unit: "% of a core",
            target_on_ratio: false,
            target: Target::AtMost {
                limit: 5.0,
                unit: "% of a core",
            },
        });
    }

    // ---- the front end, from a built site ----
    if let (Some(site), Some(confab)) = (&site, &confab) {
        eprintln!("the front end, served from {} …", site.display());
        let served = page::start(confab, &dir.join("page"), site).await?;
        if wants("wasm") {
            eprintln!("Wasm as served …");
            let (row, note) = page::wasm(&served).await?;
            front_rows.push(row);
            notes.push(note);
        }
        if wants("page") {
            eprintln!("the inbox page in Chromium …");
            let (rows, note) = page::page(&served, options.page_runs).await?;
            front_rows.extend(rows);
            notes.push(note);
        }
        drop(served);
    }

    let mut text = format!("{header}\n\n");
    if !store_rows.is_empty() {
        text.push_str(&report::store_table(&store_rows));
        text.push('\n');
    }
    if !crm_rows.is_empty() {
        text.push_str(&format!("{crm_header}\n\n"));
        text.push_str(&report::store_table(&crm_rows));
        text.push('\n');
        text.push_str(&report::server_table(&crm_import));
        text.push('\n');
    }
    if !server_rows.is_empty() {
        text.push_str("The server, each figure beside a baseline measured in the same run:\n\n");
        text.push_str(&report::server_table(&server_rows));
        text.push('\n');
    }
    if !front_rows.is_empty() {
        text.push_str(&format!(
            "The front end, served by `confab` from the built site ({}):\n\n",
            site.as_ref()
                .map(|s| s.display().to_string())
                .unwrap_or_default()
        ));
        text.push_str(&report::server_table(&front_rows));
        text.push('\n');
    }
    for note in &notes {
        text.push_str(&format!("- {note}\n"));
    }
    text.push_str(&format!(
        "\nThe whole run took {:.0} s.\n",
        started_all.elapsed().as_secs_f64()
    ));
    println!("{text}");
    if let Some(out) = options.out {
        std::fs::write(&out, format!("# Confab benchmark results\n\n{text}"))
            .map_err(|e| format!("{out}: {e}"))?;
        eprintln!("written to {out}");
    }
    if options.keep {
        eprintln!("the database is kept at {}", dir.join("bench.db").display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
