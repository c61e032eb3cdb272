//! The in-process bus that carries committed events to the SSE streams. A stream that
//! falls behind (lagged) or sees a gap in ids catches up from the `events` table, so the
//! bus may drop nothing the database has.

use super::LiveEvent;
use std::sync::Arc;
use tokio::sync::broadcast;

/// A committed event with its JSON written once: every stream that sends it shares the
/// text instead of serialising the payload again for each client.
#[derive(Debug)]
pub struct BusEvent {
    event: LiveEvent,
    json: Box<str>,
}

impl BusEvent {
    pub fn new(event: LiveEvent) -> Self {
        // A `serde_json::Value` payload always serialises; the fallback keeps the type total.
        let json = serde_json::to_string(&event)
            .unwrap_or_else(|_| String::from("{}"))
            .into_boxed_str();
        Self { event, json }
    }

    /// The event as the SSE `data:` line carries it (one line: compact JSON).
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl std::ops::Deref for BusEvent {
    type Target = LiveEvent;

    fn deref(&self) -> &LiveEvent {
        &self.event
    }
}

#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<BusEvent>>,
    /// Bumped whenever who-may-see-what changes (channel access, roles, deactivation):
    /// every stream re-checks its employee at once.
    access: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set when the server is shutting down: every stream ends, so that the graceful
    /// shutdown does not wait on connections that never finish by themselves.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// Set on PostgreSQL, where several processes share the database: events reach the
    /// bus only through the relay (`events::relay`), which reads them from the table in
    /// id order for every process alike, and access changes go out to the others too.
    relay: Option<tokio::sync::mpsc::UnboundedSender<()>>,
}

/// Events a slow stream may fall behind by before it catches up from the table.
pub const CAPACITY: usize = 4096;

impl Default for EventBus {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        let (access, _) = tokio::sync::watch::channel(0);
        let (closing, _) = tokio::sync::watch::channel(false);
        Self {
            sender,
            access: Arc::new(access),
            closing: Arc::new(closing),
            relay: None,
        }
    }

    /// A bus fed by the relay of a shared database; `access_changes` receives a `()` for
    /// each local access change, for the relay to announce to the other processes.
    pub fn relayed(capacity: usize) -> (Self, tokio::sync::mpsc::UnboundedReceiver<()>) {
        let (announce, access_changes) = tokio::sync::mpsc::unbounded_channel();
        let mut bus = Self::new(capacity);
        bus.relay = Some(announce);
        (bus, access_changes)
    }

    /// Publishes events that are already committed. On a relayed bus this does nothing:
    /// the relay publishes them, in order, once they are read back from the table.
    pub fn publish(&self, events: impl IntoIterator<Item = LiveEvent>) {
        if self.relay.is_none() {
            self.send(events);
        }
    }

    /// Publishes events read back from the table by the relay.
    pub fn publish_relayed(&self, events: impl IntoIterator<Item = LiveEvent>) {
        self.send(events);
    }

    fn send(&self, events: impl IntoIterator<Item = LiveEvent>) {
        for event in events {
            // No subscriber is fine: nobody is looking.
            let _ = self.sender.send(Arc::new(BusEvent::new(event)));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.sender.subscribe()
    }

    pub fn access_changed(&self) {
        self.access_changed_elsewhere();
        if let Some(relay) = &self.relay {
            // The relay is gone only at shutdown, when nobody is left to tell.
            let _ = relay.send(());
        }
    }

    /// Another process changed who may see what (told by the relay).
    pub fn access_changed_elsewhere(&self) {
        self.access.send_modify(|version| *version += 1);
    }

    pub fn watch_access(&self) -> tokio::sync::watch::Receiver<u64> {
        self.access.subscribe()
    }

    /// Ends every live stream (at shutdown).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once the streams must end.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            // An error means the bus is gone: nothing more will come either.
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;
    use crate::ids::{ChannelId, ConversationId, EventId};

    #[tokio::test]
    async fn subscribers_share_the_event_serialised_once() {
        let bus = EventBus::new(8);
        let (mut first, mut second) = (bus.subscribe(), bus.subscribe());
        let event = LiveEvent {
            id: EventId(7),
            kind: EventKind::MessageCreated,
            conversation_id: ConversationId(3),
            channel_id: ChannelId(2),
            payload: serde_json::json!({"text": "line one\nline two <b>"}),
        };
        bus.publish([event.clone()]);
        let (a, b) = (first.recv().await.unwrap(), second.recv().await.unwrap());
        assert!(Arc::ptr_eq(&a, &b), "each stream got its own copy");
        assert_eq!(a.id, EventId(7));
        // One `data:` line, and the same JSON the client decodes.
        assert!(!a.json().contains('\n'));
        let decoded: LiveEvent = serde_json::from_str(a.json()).unwrap();
        assert_eq!(decoded, event);
    }

    #[tokio::test]
    async fn a_relayed_bus_takes_events_only_from_the_relay() {
        let (bus, mut announced) = EventBus::relayed(8);
        let mut stream = bus.subscribe();
        let event = |id| LiveEvent {
            id: EventId(id),
            kind: EventKind::MessageCreated,
            conversation_id: ConversationId(1),
            channel_id: ChannelId(1),
            payload: serde_json::json!({}),
        };
        bus.publish([event(1)]);
        bus.publish_relayed([event(2)]);
        assert_eq!(stream.recv().await.unwrap().id, EventId(2));
        assert!(stream.try_recv().is_err(), "a direct publish got through");

        let mut access = bus.watch_access();
        bus.access_changed();
        assert!(access.has_changed().unwrap());
        assert_eq!(announced.try_recv(), Ok(()), "the others were not told");
        access.borrow_and_update();
        bus.access_changed_elsewhere();
        assert!(access.has_changed().unwrap());
        assert!(
            announced.try_recv().is_err(),
            "a relayed change went out again"
        );
    }
}
