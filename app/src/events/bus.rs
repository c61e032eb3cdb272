//! The in-process bus that carries committed events to the SSE streams. A stream that
//! falls behind (lagged) or sees a gap in ids catches up from the `events` table, so the
//! bus may drop nothing the database has.

use super::LiveEvent;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    /// Bumped whenever who-may-see-what changes (channel access, roles, deactivation):
    /// every stream re-checks its employee at once.
    access: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(4096)
    }
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        let (access, _) = tokio::sync::watch::channel(0);
        Self {
            sender,
            access: Arc::new(access),
        }
    }

    /// Publishes events that are already committed.
    pub fn publish(&self, events: impl IntoIterator<Item = LiveEvent>) {
        for event in events {
            // No subscriber is fine: nobody is looking.
            let _ = self.sender.send(Arc::new(event));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }

    pub fn access_changed(&self) {
        self.access.send_modify(|version| *version += 1);
    }

    pub fn watch_access(&self) -> tokio::sync::watch::Receiver<u64> {
        self.access.subscribe()
    }
}
