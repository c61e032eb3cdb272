//! Confab's benchmark harness: builds a large business in a fresh SQLite database (fast,
//! in SQL), then measures what employees wait for, as server time in the store. Prints
//! one table and writes it to `bench/RESULTS.md`.
//!
//! `cargo run --release -p confab-bench -- [--conversations N] [--messages-per-conversation M]
//! [--iterations K] [--out FILE]`

use app::conversations::store as conversations;
use app::conversations::{ConversationStatus, ListFilter, PAGE_SIZE};
use app::ids::{ChannelId, ConversationId, EmployeeId};
use app::store::Db;
use std::time::{Duration, Instant};

struct Options {
    conversations: i64,
    messages_per_conversation: i64,
    iterations: usize,
    out: Option<String>,
    /// Keep the generated database (its path is printed) to look into it.
    keep: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        conversations: 100_000,
        messages_per_conversation: 20,
        iterations: 200,
        out: Some("bench/RESULTS.md".into()),
        keep: false,
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
        match arg.as_str() {
            "--conversations" => options.conversations = number(value()?)?,
            "--messages-per-conversation" => options.messages_per_conversation = number(value()?)?,
            "--iterations" => options.iterations = number(value()?)? as usize,
            "--out" => options.out = Some(value()?),
            "--no-out" => options.out = None,
            "--keep" => options.keep = true,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(options)
}

/// Percentiles of a set of timings.
struct Timings(Vec<Duration>);

impl Timings {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn measure<F, Fut, T>(iterations: usize, mut run: F) -> Timings
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    // Warm the page cache and the statement cache first, as a running server has them.
    for _ in 0..iterations.min(10) {
        run().await;
    }
    let mut timings = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(run().await);
        timings.push(start.elapsed());
    }
    Timings(timings)
}

/// Fills the database: three channels, `n` contacts and conversations, `m` messages each
/// (every 7th conversation unread, every 3rd awaiting a reply), all in SQL.
async fn generate(db: &Db, n: i64, m: i64) -> Result<(EmployeeId, Vec<ChannelId>), String> {
    app::demo::seed_if_empty(db)
        .await
        .map_err(|e| e.to_string())?;
    let owner: i64 = sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
        .bind(app::demo::OWNER_EMAIL)
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    let mut channels = Vec::new();
    for (kind, name) in [
        ("sandbox", "Bench A"),
        ("sandbox", "Bench B"),
        ("sandbox", "Bench C"),
    ] {
        let id = app::channels::store::create(
            db,
            app::channels::ChannelKind::parse(kind).unwrap_or(app::channels::ChannelKind::Sandbox),
            name,
            &format!("bench-{name}"),
        )
        .await
        .map_err(|e| e.to_string())?;
        app::channels::store::grant_access(db, id, EmployeeId(owner))
            .await
            .map_err(|e| e.to_string())?;
        channels.push(id);
    }
    let (a, b, c) = (channels[0].0, channels[1].0, channels[2].0);
    let now = app::store::now_ms();
    let mut tx = db.write.begin().await.map_err(|e| e.to_string())?;
    let statements = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
             INSERT INTO contacts (channel_id, external_id, name, phone, created_at, updated_at)
             SELECT CASE i % 3 WHEN 0 THEN {a} WHEN 1 THEN {b} ELSE {c} END, 'bench-' || i,
                    'Lead ' || i, '+55119' || printf('%08d', i), {now}, {now} FROM n"
        ),
        format!(
            "INSERT INTO conversations (channel_id, contact_id, status, last_message_at, unread_count, awaiting_reply, last_inbound_at, created_at)
             SELECT ct.channel_id, ct.id, CASE WHEN ct.id % 10 = 0 THEN 'archived' ELSE 'open' END,
                    {now} - ct.id * 60000, CASE WHEN ct.id % 7 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN ct.id % 3 = 0 THEN 1 ELSE 0 END, {now} - ct.id * 60000, {now}
               FROM contacts ct WHERE ct.external_id LIKE 'bench-%'"
        ),
        format!(
            "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < {m})
             INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at, sent_at)
             SELECT c.id, c.channel_id, CASE WHEN k.j % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
                    'bench-' || c.id || '-' || k.j,
                    'Message ' || k.j || ' about the ' || CASE (c.id + k.j) % 5 WHEN 0 THEN 'screen' WHEN 1 THEN 'battery'
                        WHEN 2 THEN 'bicycle' WHEN 3 THEN 'invoice' ELSE 'pickup' END || ' of order ' || c.id,
                    CASE WHEN k.j % 2 = 0 THEN 'read' ELSE 'received' END,
                    c.last_message_at - ({m} - k.j) * 1000, c.last_message_at - ({m} - k.j) * 1000
               FROM conversations c JOIN contacts ct ON ct.id = c.contact_id, k
              WHERE ct.external_id LIKE 'bench-%'"
        ),
        "UPDATE conversations SET last_message_id = (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = conversations.id)
          WHERE last_message_id IS NULL".to_owned(),
    ];
    for sql in statements {
        sqlx::query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    sqlx::query("ANALYZE")
        .execute(&db.write)
        .await
        .map_err(|e| e.to_string())?;
    Ok((EmployeeId(owner), channels))
}

#[tokio::main]
async fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(options).await {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("confab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}/bench.db", dir.display());
    let db = Db::connect(&url).await.map_err(|e| e.to_string())?;
    let (n, m) = (options.conversations, options.messages_per_conversation);
    eprintln!("generating {n} conversations × {m} messages …");
    let started = Instant::now();
    let (owner, channels) = generate(&db, n, m).await?;
    let generated_in = started.elapsed();
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "generated {messages} messages in {:.1} s",
        generated_in.as_secs_f64()
    );

    let k = options.iterations;
    let open = ListFilter::default();
    let unread = ListFilter {
        unread_only: true,
        ..ListFilter::default()
    };
    let channel = ListFilter {
        channel: Some(channels[1]),
        awaiting_only: true,
        ..ListFilter::default()
    };
    let search = ListFilter {
        query: Some("bicycle".into()),
        ..ListFilter::default()
    };
    let phone = ListFilter {
        query: Some("+55 11 9000 12345".into()),
        ..ListFilter::default()
    };
    let list = |filter: ListFilter, status: ConversationStatus| {
        let db = db.clone();
        move || {
            let (db, filter) = (db.clone(), filter.clone());
            async move {
                conversations::list(&db, owner, status, &filter, None, PAGE_SIZE)
                    .await
                    .map(|p| p.items.len())
            }
        }
    };
    // The page after the first: keyset pagination must not slow down further in.
    let first = conversations::list(&db, owner, ConversationStatus::Open, &open, None, PAGE_SIZE)
        .await
        .map_err(|e| e.to_string())?;
    let cursor = first.next;
    let deep = {
        let db = db.clone();
        let open = open.clone();
        move || {
            let (db, open) = (db.clone(), open.clone());
            async move {
                conversations::list(
                    &db,
                    owner,
                    ConversationStatus::Open,
                    &open,
                    cursor,
                    PAGE_SIZE,
                )
                .await
                .map(|p| p.items.len())
            }
        }
    };
    let newest = first
        .items
        .first()
        .map(|c| c.id)
        .unwrap_or(ConversationId(1));
    let open_conversation = {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                conversations::detail(&db, owner, newest, app::conversations::THREAD_PAGE)
                    .await
                    .map(|d| d.messages.len())
            }
        }
    };
    let rows: Vec<(&str, Timings, &str)> = vec![
        (
            "list: first page of Open",
            measure(k, list(open.clone(), ConversationStatus::Open)).await,
            "p95 < 10 ms",
        ),
        (
            "list: second page of Open (keyset)",
            measure(k, deep).await,
            "p95 < 10 ms",
        ),
        (
            "list: Archived",
            measure(k, list(open.clone(), ConversationStatus::Archived)).await,
            "p95 < 10 ms",
        ),
        (
            "list: unread only",
            measure(k, list(unread, ConversationStatus::Open)).await,
            "p95 < 10 ms",
        ),
        (
            "list: one channel, awaiting reply",
            measure(k, list(channel, ConversationStatus::Open)).await,
            "p95 < 10 ms",
        ),
        (
            "search: one word over all messages",
            measure(k, list(search, ConversationStatus::Open)).await,
            "p95 < 50 ms",
        ),
        (
            "search: a phone number",
            measure(k, list(phone, ConversationStatus::Open)).await,
            "p95 < 50 ms",
        ),
        (
            "open a conversation (newest 50 messages)",
            measure(k, open_conversation).await,
            "p95 < 5 ms",
        ),
    ];
    let mut table = String::new();
    table.push_str(&format!(
        "Confab benchmark, {} — {} conversations, {} messages (generated in {:.1} s), SQLite, {} CPUs, {} iterations each; server time in the store, release build.\n\n",
        today(),
        n,
        messages,
        generated_in.as_secs_f64(),
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1),
        k
    ));
    table.push_str("| figure | p50 | p95 | p99 | target |\n|---|---|---|---|---|\n");
    for (name, timings, target) in &rows {
        table.push_str(&format!(
            "| {name} | {} | {} | {} | {target} |\n",
            ms(timings.percentile(0.50)),
            ms(timings.percentile(0.95)),
            ms(timings.percentile(0.99))
        ));
    }
    println!("{table}");
    if let Some(out) = options.out {
        std::fs::write(&out, format!("# Confab benchmark results\n\n{table}"))
            .map_err(|e| format!("{out}: {e}"))?;
        eprintln!("written to {out}");
    }
    db.close().await;
    if options.keep {
        eprintln!("the database is kept at {}", dir.join("bench.db").display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Today's date (UTC) as YYYY-MM-DD, without a date crate.
fn today() -> String {
    let days = app::store::now_ms() / 86_400_000;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{}-{:02}-{:02}",
        if month <= 2 { y + 1 } else { y },
        month,
        d
    )
}
