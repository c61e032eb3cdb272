//! The Twilio spool: inbound SMS and status callbacks the database could not take, kept on
//! disk until it can. Twilio does not retry a webhook that got an HTTP error, so a 5xx
//! would lose the lead's message; instead the signed, parsed request is appended to a
//! file (JSON lines, mode 0600, fsynced before Twilio gets its 200) and replayed at start
//! and every `CONFAB_TWILIO_SPOOL_RETRY_SECS`. Replaying is idempotent: a message already
//! stored (same `MessageSid` on the channel) is skipped by the store, and statuses only
//! move forward, so an entry replayed twice changes nothing the second time.
//!
//! Files: `{path}` takes appends; a replay first renames it to `{path}.replaying` (under
//! the lock that appends take), works through that file without the lock (Twilio's
//! requests keep being answered meanwhile), appends what still fails back to `{path}`,
//! and only then removes `{path}.replaying`. A crash at any point leaves every entry in
//! one of the two files; the next replay takes `.replaying` first.

use app::channels::store::ChannelConfig;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One Twilio webhook the database did not take: its channel and its signed parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    pub channel: i64,
    /// When Confab received it (UTC ms).
    pub received_at: i64,
    /// The form's name/value pairs, as Twilio sent (and signed) them.
    pub params: Vec<(String, String)>,
}

/// The spool of one server (`CONFAB_TWILIO_SPOOL`), bounded to `max_bytes`.
pub struct TwilioSpool {
    path: PathBuf,
    max_bytes: u64,
    /// Held for every change of the files' names or contents (never while replaying).
    lock: tokio::sync::Mutex<()>,
    /// The Twilio channels this process last read, by id: when the database cannot even
    /// say which channel a webhook is for, the signature is still checked (with the
    /// auth token last read) and the webhook spooled rather than refused.
    known: std::sync::Mutex<std::collections::HashMap<i64, ChannelConfig>>,
}

impl std::fmt::Debug for TwilioSpool {
    // The channels kept hold opened credentials: their number only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = self.known.lock().map(|k| k.len()).unwrap_or_default();
        f.debug_struct("TwilioSpool")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .field("known_channels", &known)
            .finish()
    }
}

/// What one replay did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Entries the database took (or that needed nothing: their channel is gone).
    pub done: usize,
    /// Entries that failed again and stay spooled.
    pub kept: usize,
    /// Lines that could not be read (a write cut off by a crash), dropped with a warning.
    pub unreadable: usize,
}

/// How an entry fared when replayed.
pub enum Outcome {
    Done,
    /// The database still cannot take it: keep it for the next round.
    Retry(String),
}

impl TwilioSpool {
    pub fn new(path: PathBuf, max_bytes: u64) -> Self {
        TwilioSpool {
            path,
            max_bytes,
            lock: tokio::sync::Mutex::new(()),
            known: Default::default(),
        }
    }

    /// Keeps a Twilio channel as the database described it just now.
    pub fn remember(&self, channel: &ChannelConfig) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.insert(channel.channel.id.0, channel.clone());
    }

    /// The Twilio channel with this id as last read, for when the database cannot say.
    pub fn recall(&self, channel: i64) -> Option<ChannelConfig> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.get(&channel).cloned()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn replaying_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".replaying");
        PathBuf::from(name)
    }

    /// Appends one entry and flushes it to the disk: only then may Twilio get its 200.
    /// Fails (and the caller answers 5xx) when the file cannot be written or is full.
    pub async fn append(&self, entry: &SpoolEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.append_lines(line).await
    }

    async fn append_lines(&self, lines: Vec<u8>) -> std::io::Result<()> {
        let _guard = self.lock.lock().await;
        let (path, max_bytes) = (self.path.clone(), self.max_bytes);
        tokio::task::spawn_blocking(move || append_durably(&path, &lines, max_bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Whether anything waits in the spool.
    pub async fn is_empty(&self) -> bool {
        let _guard = self.lock.lock().await;
        [self.path.clone(), self.replaying_path()]
            .iter()
            .all(|p| std::fs::metadata(p).map(|m| m.len() == 0).unwrap_or(true))
    }

    /// Offers every spooled entry to `apply`, oldest first; keeps those it asks to retry.
    pub async fn replay<F, Fut>(&self, mut apply: F) -> std::io::Result<Replayed>
    where
        F: FnMut(SpoolEntry) -> Fut,
        Fut: std::future::Future<Output = Outcome>,
    {
        let replaying = self.replaying_path();
        {
            let _guard = self.lock.lock().await;
            // A replay cut off earlier left its file: that one first, the new ones later.
            if !replaying.exists() {
                match std::fs::metadata(&self.path) {
                    Ok(m) if m.len() > 0 => {
                        std::fs::rename(&self.path, &replaying)?;
                        sync_dir(&self.path)?;
                    }
                    Ok(_) => return Ok(Replayed::default()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Ok(Replayed::default())
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let file = std::fs::File::open(&replaying)?;
        let mut report = Replayed::default();
        let mut kept = Vec::new();
        for line in std::io::BufReader::new(file).split(b'\n') {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(entry) = serde_json::from_slice::<SpoolEntry>(&line) else {
                tracing::warn!(
                    bytes = line.len(),
                    "an unreadable line of the Twilio spool dropped"
                );
                report.unreadable += 1;
                continue;
            };
            match apply(entry).await {
                Outcome::Done => report.done += 1,
                Outcome::Retry(reason) => {
                    tracing::debug!(%reason, "a spooled Twilio webhook stays spooled");
                    kept.extend_from_slice(&line);
                    kept.push(b'\n');
                    report.kept += 1;
                }
            }
        }
        if !kept.is_empty() {
            // Back to the spool (not bounded: these were in it already) before the
            // replaying file goes; should this fail, that file stays and is replayed next.
            let _guard = self.lock.lock().await;
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || append_durably(&path, &kept, u64::MAX))
                .await
                .map_err(std::io::Error::other)??;
        }
        std::fs::remove_file(&replaying)?;
        sync_dir(&self.path)?;
        Ok(report)
    }
}

/// Opens (creating with mode 0600), appends and fsyncs; refuses to grow past `max_bytes`.
fn append_durably(path: &Path, bytes: &[u8], max_bytes: u64) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let existed = path.exists();
    let mut file = options.open(path)?;
    let size = file.metadata()?.len();
    if size.saturating_add(bytes.len() as u64) > max_bytes {
        return Err(std::io::Error::other(format!(
            "the Twilio spool {} is full ({size} bytes)",
            path.display()
        )));
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    if !existed {
        // The new file's name must be durable too.
        sync_dir(path)?;
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Replays the spool at start and then every `every`, for as long as the server runs.
pub async fn run(state: app::state::AppState, spool: std::sync::Arc<TwilioSpool>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let replayed = spool
            .replay(|entry| crate::routes::webhooks::replay_twilio(&state, entry))
            .await;
        match replayed {
            Ok(r) if r == Replayed::default() => {}
            Ok(r) => tracing::info!(
                done = r.done,
                kept = r.kept,
                unreadable = r.unreadable,
                "Twilio spool replayed"
            ),
            Err(err) => {
                tracing::warn!(error = %err, path = %spool.path().display(), "could not replay the Twilio spool")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(channel: i64, sid: &str) -> SpoolEntry {
        SpoolEntry {
            channel,
            received_at: 1,
            params: vec![("MessageSid".into(), sid.into())],
        }
    }

    #[tokio::test]
    async fn entries_are_kept_until_applied_and_the_file_is_private_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let spool = TwilioSpool::new(dir.path().join("spool.jsonl"), 300);
        assert!(spool.is_empty().await);
        spool.append(&entry(1, "SM1")).await.unwrap();
        spool.append(&entry(1, "SM2")).await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(spool.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Full: refused, so that the caller answers 5xx instead of claiming it kept it.
        let big = SpoolEntry {
            params: vec![("Body".into(), "x".repeat(400))],
            ..entry(1, "SM3")
        };
        assert!(spool.append(&big).await.is_err());

        let mut seen = Vec::new();
        let report = spool
            .replay(|e| {
                seen.push(e.params[0].1.clone());
                let sid = e.params[0].1.clone();
                async move {
                    if sid == "SM1" {
                        Outcome::Done
                    } else {
                        Outcome::Retry("down".into())
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(seen, ["SM1", "SM2"]);
        assert_eq!((report.done, report.kept), (1, 1));
        assert!(!spool.is_empty().await);
        let report = spool.replay(|_| async { Outcome::Done }).await.unwrap();
        assert_eq!((report.done, report.kept), (1, 0));
        assert!(spool.is_empty().await);
        assert_eq!(
            spool.replay(|_| async { Outcome::Done }).await.unwrap(),
            Replayed::default()
        );
    }

    #[tokio::test]
    async fn a_replay_cut_off_is_taken_up_again_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let spool = TwilioSpool::new(dir.path().join("spool.jsonl"), 1 << 20);
        let mut torn = serde_json::to_vec(&entry(1, "SM1")).unwrap();
        torn.extend_from_slice(b"\n{\"channel\":1,\"rec");
        std::fs::write(spool.replaying_path(), torn).unwrap();
        spool.append(&entry(1, "SM2")).await.unwrap();
        let mut seen = Vec::new();
        let report = spool
            .replay(|e| {
                seen.push(e.params[0].1.clone());
                async { Outcome::Done }
            })
            .await
            .unwrap();
        assert_eq!(seen, ["SM1"], "the interrupted file first");
        assert_eq!(report.unreadable, 1);
        spool
            .replay(|e| {
                seen.push(e.params[0].1.clone());
                async { Outcome::Done }
            })
            .await
            .unwrap();
        assert_eq!(seen, ["SM1", "SM2"]);
        assert!(spool.is_empty().await);
    }
}
