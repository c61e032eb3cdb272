//! Retention: each conversation keeps its newest 500 messages; older ones and their
//! stored media are removed here, in the background, never in a request. The live
//! events log follows: the events of removed messages go with them, and events older
//! than a resuming stream may ask for (`app::events::store::KEEP_EVENTS_MS`).

use app::messages::store as messages;
use app::store::Db;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// How many messages a conversation keeps.
pub const KEEP_MESSAGES: i64 = 500;
const EVERY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub conversations: usize,
    pub messages: u64,
    pub files: usize,
    /// Events removed from the live log (old, or of removed messages).
    pub events: u64,
}

/// A stored media file's path inside the media folder; `None` for a key that would
/// leave it (absolute, `..`), which is never deleted.
pub fn media_path(media_dir: &Path, storage_key: &str) -> Option<PathBuf> {
    let key = Path::new(storage_key);
    let inside =
        !storage_key.is_empty() && key.components().all(|c| matches!(c, Component::Normal(_)));
    inside.then(|| media_dir.join(key))
}

/// One pass over every conversation with too many messages.
pub async fn prune_once(
    db: &Db,
    media_dir: &Path,
    keep: i64,
) -> Result<RetentionReport, app::store::StoreError> {
    let mut report = RetentionReport::default();
    for conversation in messages::conversations_over(db, keep).await? {
        let pruned = messages::prune_conversation(db, conversation, keep).await?;
        report.conversations += 1;
        report.messages += pruned.messages;
        // Files go after the commit: a crash in between leaves a stray file, never a
        // message pointing at a missing one.
        for key in pruned.storage_keys {
            match media_path(media_dir, &key) {
                Some(path) => match tokio::fs::remove_file(&path).await {
                    Ok(()) => report.files += 1,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => {
                        tracing::warn!(error = %err, file = %path.display(), "could not remove a pruned media file")
                    }
                },
                None => {
                    tracing::warn!(key = %key, "refused to delete a media key outside the media folder")
                }
            }
        }
    }
    let keep_since = app::store::now_ms() - app::events::store::KEEP_EVENTS_MS;
    let events = app::events::store::prune(db, keep_since).await?;
    report.events = events.old + events.of_removed_messages;
    Ok(report)
}

/// Runs a pass at start and then every quarter of an hour.
pub async fn run(db: Db, media_dir: PathBuf) {
    let mut every = tokio::time::interval(EVERY);
    loop {
        every.tick().await;
        match prune_once(&db, &media_dir, KEEP_MESSAGES).await {
            Ok(report) if report.messages > 0 || report.events > 0 => tracing::info!(
                conversations = report.conversations,
                messages = report.messages,
                files = report.files,
                events = report.events,
                "old history pruned"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "retention pass failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_keys_stay_inside_the_media_folder() {
        let dir = Path::new("/srv/media");
        assert_eq!(
            media_path(dir, "2026/11/abc.jpg"),
            Some(PathBuf::from("/srv/media/2026/11/abc.jpg"))
        );
        assert_eq!(media_path(dir, "../etc/passwd"), None);
        assert_eq!(media_path(dir, "/etc/passwd"), None);
        assert_eq!(media_path(dir, "a/../../b"), None);
        assert_eq!(media_path(dir, ""), None);
    }
}
