//! The ingest and latency figures on PostgreSQL, with two `confab` processes on one
//! database (`--postgres URL`; the figures go in a schema of their own, dropped after):
//! signed webhooks posted to both processes at once, and webhooks posted to one process
//! while the live streams read from the other. Each beside the same baselines as on
//! SQLite, measured again in this run.

use crate::ingest::{self, Side};
use crate::server::{self, Child, Kind, KEY};
use crate::sse;
use app::channels::credentials::SecretKey;
use sqlx::Connection;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

pub struct Figures {
    pub ingest_per_s: f64,
    pub ingest_baseline_per_s: f64,
    pub latency: sse::Latency,
    pub baseline_latency: sse::Latency,
    pub notes: Vec<String>,
}

pub struct Sizes {
    pub senders: usize,
    pub leads: u64,
    pub ingest: Duration,
    pub clients: usize,
    pub rate: u32,
    pub latency: Duration,
}

/// Runs `sql` on the server at `url` (outside any schema of Confab's).
async fn admin(url: &str, sql: &str) -> Result<(), String> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("PostgreSQL at {url}: {e}"))?;
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    Ok(())
}

/// The demo business in a fresh schema of `server_url`, with a Messenger channel for the
/// ingest: the database URL (the schema as its search path), the sandbox channel and the
/// Messenger channel.
async fn prepare(server_url: &str, schema: &str) -> Result<(String, i64, i64), String> {
    admin(
        server_url,
        &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
    )
    .await?;
    let separator = if server_url.contains('?') { '&' } else { '?' };
    let url = format!("{server_url}{separator}options=-c%20search_path%3D{schema}");
    let db = app::store::Db::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    let sandbox = server::seed_demo(&db).await?;
    let messenger = server::connect_bench_page(&db, &SecretKey::from_hex(KEY)?).await?;
    db.close().await;
    Ok((url, sandbox, messenger))
}

/// Half the senders post to each process, for `duration`.
async fn drive_both(
    http: &reqwest::Client,
    urls: [&str; 2],
    sizes: &Sizes,
    duration: Duration,
    seq: &Arc<AtomicU64>,
) -> Side {
    let half = (sizes.senders / 2).max(1);
    let (a, b) = tokio::join!(
        ingest::drive(http, urls[0], half, duration, seq, sizes.leads),
        ingest::drive(http, urls[1], half, duration, seq, sizes.leads),
    );
    Side {
        acked: a.acked + b.acked,
        errors: a.errors + b.errors,
        first_error: a.first_error.or(b.first_error),
        elapsed: a.elapsed.max(b.elapsed),
    }
}

pub async fn run(
    server_url: &str,
    confab: &Path,
    dir: &Path,
    sizes: Sizes,
) -> Result<Figures, String> {
    let schema = format!("confab_bench_{}", std::process::id());
    let (url, sandbox, messenger) = prepare(server_url, &schema).await?;
    let figures = measure(&url, sandbox, messenger, confab, dir, &sizes).await;
    // Dropped whatever happened, so that a failed run leaves nothing behind.
    admin(
        server_url,
        &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
    )
    .await?;
    figures
}

async fn measure(
    url: &str,
    sandbox: i64,
    messenger: i64,
    confab: &Path,
    dir: &Path,
    sizes: &Sizes,
) -> Result<Figures, String> {
    let start = |name: &str| -> Result<Child, String> {
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).map_err(|e| e.to_string())?;
        Ok(server::spawn(Kind::Confab, confab, &sub, url, false)?.0)
    };
    let (mut a, mut b) = (start("postgres-a")?, start("postgres-b")?);
    a.wait_ready(Duration::from_secs(60)).await?;
    b.wait_ready(Duration::from_secs(60)).await?;
    let base_dir = dir.join("postgres-baseline");
    std::fs::create_dir_all(&base_dir).map_err(|e| e.to_string())?;
    let (mut baseline, _) = server::spawn(Kind::Baseline, confab, &base_dir, "", false)?;
    baseline.wait_ready(Duration::from_secs(60)).await?;

    // Ingest: both processes at once, and the baseline with as many senders, in
    // alternating slices.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let seq = Arc::new(AtomicU64::new(0));
    let path = format!("/webhooks/messenger/{messenger}");
    let (url_a, url_b, url_base) = (a.url(&path), b.url(&path), baseline.url(&path));
    let warm = Duration::from_millis(300);
    drive_both(&http, [&url_a, &url_b], sizes, warm, &seq).await;
    ingest::drive(&http, &url_base, sizes.senders, warm, &seq, sizes.leads).await;
    let slices = 2;
    let slice = sizes.ingest / slices;
    let (mut confab_side, mut base_side) = (Side::default(), Side::default());
    for _ in 0..slices {
        let side = drive_both(&http, [&url_a, &url_b], sizes, slice, &seq).await;
        confab_side.acked += side.acked;
        confab_side.errors += side.errors;
        confab_side.elapsed += side.elapsed;
        confab_side.first_error = confab_side.first_error.or(side.first_error);
        let side = ingest::drive(&http, &url_base, sizes.senders, slice, &seq, sizes.leads).await;
        base_side.acked += side.acked;
        base_side.errors += side.errors;
        base_side.elapsed += side.elapsed;
    }
    let mut notes = vec![format!(
        "PostgreSQL ingest: {} senders split over two processes on one database, {} leads, {:.1} s per side; Confab acknowledged {} webhooks ({} errors{}), the baseline {}.",
        sizes.senders,
        sizes.leads,
        sizes.ingest.as_secs_f64(),
        confab_side.acked,
        confab_side.errors,
        confab_side
            .first_error
            .as_deref()
            .map(|e| format!(", first: {e}"))
            .unwrap_or_default(),
        base_side.acked
    )];

    // Latency: the streams on B, the webhooks posted to A.
    let cookie = crate::http::sign_in(
        &b.url(""),
        app::demo::AGENT_EMAIL,
        app::demo::AGENT_PASSWORD,
    )
    .await?;
    let latency = sse::latency(
        &b,
        &a,
        sandbox,
        Some(&cookie),
        sse::Load {
            clients: sizes.clients,
            rate: sizes.rate,
            duration: sizes.latency,
            first: 0,
        },
    )
    .await?;
    notes.push(format!(
        "PostgreSQL latency (webhooks to process A, streams on process B): {}",
        latency.note
    ));
    let baseline_latency = sse::latency(
        &baseline,
        &baseline,
        1,
        None,
        sse::Load {
            clients: sizes.clients,
            rate: sizes.rate,
            duration: sizes.latency,
            first: 0,
        },
    )
    .await?;
    Ok(Figures {
        ingest_per_s: confab_side.per_s(),
        ingest_baseline_per_s: base_side.per_s(),
        latency,
        baseline_latency,
        notes,
    })
}
