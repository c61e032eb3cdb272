//! An idle server just started on the generated database: time to ready (spawn → first
//! 200 from `GET /health`) and its RSS once settled.

use crate::server::{self, Kind};
use std::path::Path;
use std::time::Duration;

pub struct Footprint {
    pub ready_ms: f64,
    pub rss_mib: f64,
    pub peak_mib: f64,
}

/// How long the server is left alone before its RSS is read.
pub const SETTLE: Duration = Duration::from_secs(3);

pub async fn measure(
    kind: Kind,
    confab: &Path,
    dir: &Path,
    database_url: &str,
) -> Result<Footprint, String> {
    let (mut child, spawned) = server::spawn(kind, confab, dir, database_url, false)?;
    child.wait_ready(Duration::from_secs(60)).await?;
    let ready = spawned.elapsed();
    tokio::time::sleep(SETTLE).await;
    let rss = child.rss_kib()?;
    let status = format!("/proc/{}/status", child.pid);
    let peak = std::fs::read_to_string(&status)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(rss);
    Ok(Footprint {
        ready_ms: ready.as_secs_f64() * 1000.0,
        rss_mib: rss as f64 / 1024.0,
        peak_mib: peak as f64 / 1024.0,
    })
}
