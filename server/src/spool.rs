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
//!
//! An entry the database keeps refusing (an internal error, not an outage that ends) is
//! retried for [`GIVE_UP_AFTER_MS`] after it came, then moved to `{path}.failed` (same
//! format, logged at error level) for someone to look at: never dropped silently.

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
    /// The Twilio channels this process last read, by id, with the generation of the
    /// channel configuration cache they were read at: when the database cannot even say
    /// which channel a webhook is for, the signature is still checked (with the auth
    /// token last read) and the webhook spooled rather than refused. Any write of a
    /// channel (deleted, token rotated) bumps that generation: what was read before is
    /// not used again until read anew.
    known: std::sync::Mutex<std::collections::HashMap<i64, (u64, ChannelConfig)>>,
    /// How long a Twilio webhook waits for the database before it is spooled
    /// (`CONFAB_TWILIO_DB_WAIT_SECS`): Twilio gives up after 15 s and does not retry.
    db_wait: Duration,
    /// The generation all Twilio channels were last read at (`u64::MAX`: never).
    refreshed: std::sync::atomic::AtomicU64,
}

/// How long an entry the database keeps refusing is retried before it goes to
/// `{path}.failed`: 7 days.
pub const GIVE_UP_AFTER_MS: i64 = 7 * 24 * 3600 * 1000;

impl std::fmt::Debug for TwilioSpool {
    // The channels kept hold opened credentials: their number only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = self.known.lock().map(|k| k.len()).unwrap_or_default();
        f.debug_struct("TwilioSpool")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .field("known_channels", &known)
            .field("db_wait", &self.db_wait)
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
    /// Entries that kept failing past [`GIVE_UP_AFTER_MS`]: moved to `{path}.failed`.
    pub failed: usize,
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
            db_wait: Duration::from_secs(5),
            refreshed: std::sync::atomic::AtomicU64::new(u64::MAX),
        }
    }

    /// How long a webhook waits for the database before it is spooled.
    pub fn with_db_wait(mut self, db_wait: Duration) -> Self {
        self.db_wait = db_wait;
        self
    }

    pub fn db_wait(&self) -> Duration {
        self.db_wait
    }

    /// Keeps a Twilio channel as the database described it, read at `generation` of the
    /// channel configuration cache (taken before the read began).
    pub fn remember(&self, generation: u64, channel: &ChannelConfig) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.insert(channel.channel.id.0, (generation, channel.clone()));
    }

    /// The Twilio channel with this id as last read, for when the database cannot say;
    /// none when a channel was written since (`generation` is the cache's now).
    pub fn recall(&self, generation: u64, channel: i64) -> Option<ChannelConfig> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.retain(|_, (at, _)| *at == generation);
        known.get(&channel).map(|(_, c)| c.clone())
    }

    /// Reads every Twilio channel again (at start, and after any channel was written):
    /// what was read before a write is forgotten even when the database cannot answer.
    pub async fn refresh(&self, state: &app::state::AppState) {
        let generation = state.db.channel_configs.generation();
        {
            let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            known.retain(|_, (at, _)| *at == generation);
        }
        let channels = match app::channels::store::all(&state.db).await {
            Ok(channels) => channels,
            Err(err) => {
                tracing::debug!(error = %err, "the Twilio channels could not be read again");
                return;
            }
        };
        let mut fresh = std::collections::HashMap::new();
        for channel in channels {
            if channel.kind != app::channels::ChannelKind::TwilioSms {
                continue;
            }
            match app::channels::store::config(&state.db, &state.secret_key, channel.id).await {
                Ok(Some(config)) => {
                    fresh.insert(channel.id.0, (generation, config));
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::debug!(error = %err, "the Twilio channels could not be read again");
                    return;
                }
            }
        }
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        *known = fresh;
        self.refreshed
            .store(generation, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a channel was written since all Twilio channels were last read.
    fn stale(&self, generation: u64) -> bool {
        self.refreshed.load(std::sync::atomic::Ordering::Relaxed) != generation
    }

    fn failed_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".failed");
        PathBuf::from(name)
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
        let mut failed = Vec::new();
        let now = app::store::now_ms();
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
            let received_at = entry.received_at;
            match apply(entry).await {
                Outcome::Done => report.done += 1,
                Outcome::Retry(reason) if now.saturating_sub(received_at) > GIVE_UP_AFTER_MS => {
                    tracing::error!(
                        %reason,
                        received_at,
                        failed = %self.failed_path().display(),
                        "a spooled Twilio webhook kept failing for 7 days: moved to the failed file, \
                         to be looked at (and put back in the spool to retry)"
                    );
                    failed.extend_from_slice(&line);
                    failed.push(b'\n');
                    report.failed += 1;
                }
                Outcome::Retry(reason) => {
                    tracing::debug!(%reason, "a spooled Twilio webhook stays spooled");
                    kept.extend_from_slice(&line);
                    kept.push(b'\n');
                    report.kept += 1;
                }
            }
        }
        if !failed.is_empty() {
            let _guard = self.lock.lock().await;
            let path = self.failed_path();
            tokio::task::spawn_blocking(move || append_durably(&path, &failed, u64::MAX))
                .await
                .map_err(std::io::Error::other)??;
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

/// Opens (creating with mode 0600, and its folder), appends and fsyncs; refuses to grow
/// past `max_bytes`. A file that was there already is made private too.
fn append_durably(path: &Path, bytes: &[u8], max_bytes: u64) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let existed = path.exists();
    let mut file = options.open(path)?;
    #[cfg(unix)]
    if existed {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
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
        // A channel written since the Twilio channels were read: read them again.
        if spool.stale(state.db.channel_configs.generation()) {
            spool.refresh(&state).await;
        }
        let replayed = spool
            .replay(|entry| crate::routes::webhooks::replay_twilio(&state, entry))
            .await;
        match replayed {
            Ok(r) if r == Replayed::default() => {}
            Ok(r) => tracing::info!(
                done = r.done,
                kept = r.kept,
                failed = r.failed,
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
            received_at: app::store::now_ms(),
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
    async fn an_existing_spool_file_is_made_private_and_a_missing_folder_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not/yet/spool.jsonl");
        let spool = TwilioSpool::new(path.clone(), 1 << 20);
        spool.append(&entry(1, "SM1")).await.unwrap();
        assert!(path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let other = dir.path().join("other.jsonl");
            std::fs::write(&other, b"").unwrap();
            std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
            let spool = TwilioSpool::new(other.clone(), 1 << 20);
            spool.append(&entry(1, "SM2")).await.unwrap();
            let mode = std::fs::metadata(&other).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn an_entry_failing_for_a_week_moves_to_the_failed_file() {
        let dir = tempfile::tempdir().unwrap();
        let spool = TwilioSpool::new(dir.path().join("spool.jsonl"), 1 << 20);
        let now = app::store::now_ms();
        let old = SpoolEntry {
            received_at: now - GIVE_UP_AFTER_MS - 1000,
            ..entry(1, "SMold")
        };
        let young = SpoolEntry {
            received_at: now - 1000,
            ..entry(1, "SMyoung")
        };
        spool.append(&old).await.unwrap();
        spool.append(&young).await.unwrap();
        let report = spool
            .replay(|_| async { Outcome::Retry("internal".into()) })
            .await
            .unwrap();
        assert_eq!((report.done, report.kept, report.failed), (0, 1, 1));
        let failed = std::fs::read_to_string(spool.failed_path()).unwrap();
        assert!(failed.contains("SMold") && !failed.contains("SMyoung"));
        let kept = std::fs::read_to_string(spool.path()).unwrap();
        assert!(kept.contains("SMyoung") && !kept.contains("SMold"));
        // One that succeeds is done whatever its age.
        spool.append(&old).await.unwrap();
        let report = spool.replay(|_| async { Outcome::Done }).await.unwrap();
        assert_eq!((report.done, report.failed), (2, 0));
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
