//! The in-process bus that carries committed events to the SSE streams. A stream that
//! falls behind (lagged) or sees a gap in ids catches up from the `events` table, so the
//! bus may drop nothing the database has.

use super::LiveEvent;
use crate::ids::EmployeeId;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

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

/// Whose live streams an access change concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessChange {
    /// Every employee's (a change whose employees are not known one by one).
    Everyone,
    /// Only these employees' (their role, channels, sessions or tokens changed).
    Employees(Vec<EmployeeId>),
}

/// Longest list of employees one cross-process notification names: PostgreSQL caps a
/// NOTIFY payload at 8000 bytes, and a longer list is announced as `Everyone`.
const MAX_ANNOUNCED_EMPLOYEES: usize = 400;

impl AccessChange {
    /// The NOTIFY payload: `origin:*` or `origin:1,2,3` (`origin` tells a process its own
    /// announcements apart, which it has applied already).
    fn to_payload(&self, origin: u64) -> String {
        match self {
            AccessChange::Employees(ids) if ids.len() <= MAX_ANNOUNCED_EMPLOYEES => {
                let ids: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
                format!("{origin}:{}", ids.join(","))
            }
            _ => format!("{origin}:*"),
        }
    }

    /// The change a payload announces and the process it came from. A payload this
    /// version cannot read concerns everyone: re-checking too many streams is safe, too
    /// few is not.
    fn from_payload(payload: &str) -> (Option<u64>, AccessChange) {
        let Some((origin, rest)) = payload.split_once(':') else {
            return (None, AccessChange::Everyone);
        };
        let origin = origin.parse().ok();
        if rest == "*" {
            return (origin, AccessChange::Everyone);
        }
        let ids: Result<Vec<EmployeeId>, _> = rest
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| id.parse().map(EmployeeId))
            .collect();
        match ids {
            Ok(ids) => (origin, AccessChange::Employees(ids)),
            Err(_) => (origin, AccessChange::Everyone),
        }
    }
}

/// One watch per employee with a live stream: a change bumps only the watches of the
/// employees it concerns, so nobody can make every stream re-check (an anonymous request
/// used to).
#[derive(Debug, Default)]
struct AccessWatches {
    by_employee: std::sync::Mutex<HashMap<EmployeeId, watch::Sender<u64>>>,
}

impl AccessWatches {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EmployeeId, watch::Sender<u64>>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.by_employee
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn subscribe(&self, employee: EmployeeId) -> watch::Receiver<u64> {
        let mut watches = self.lock();
        // Streams that ended left their employee's watch behind: drop those now.
        watches.retain(|_, watch| watch.receiver_count() > 0);
        watches
            .entry(employee)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    fn bump(&self, change: &AccessChange) {
        let watches = self.lock();
        let bump = |watch: &watch::Sender<u64>| watch.send_modify(|version| *version += 1);
        match change {
            AccessChange::Everyone => watches.values().for_each(bump),
            AccessChange::Employees(ids) => {
                ids.iter().filter_map(|id| watches.get(id)).for_each(bump)
            }
        }
    }
}

/// What a relayed bus hands its relay: the local access changes to announce to the
/// other processes. The channel only wakes the relay; the changes wait in `pending`.
#[derive(Clone, Debug)]
struct Announcer {
    wake: tokio::sync::mpsc::UnboundedSender<()>,
    pending: Arc<std::sync::Mutex<Vec<AccessChange>>>,
}

#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<BusEvent>>,
    /// Bumped for an employee whenever what they may see changes (channel access, role,
    /// deactivation, their sessions ending): their streams re-check at once.
    access: Arc<AccessWatches>,
    /// How many times a stream re-checked its employee: lets tests (and anyone looking
    /// at a busy server) see that changes reach only the streams they concern.
    rechecks: Arc<watch::Sender<u64>>,
    /// Tells this process's announcements apart from the other processes'.
    origin: u64,
    /// Set when the server is shutting down: every stream ends, so that the graceful
    /// shutdown does not wait on connections that never finish by themselves.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// Set on PostgreSQL, where several processes share the database: events reach the
    /// bus only through the relay (`events::relay`), which reads them from the table in
    /// id order for every process alike, and access changes go out to the others too.
    relay: Option<Announcer>,
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
        let (closing, _) = tokio::sync::watch::channel(false);
        Self {
            sender,
            access: Arc::default(),
            rechecks: Arc::new(watch::channel(0).0),
            origin: rand::random(),
            closing: Arc::new(closing),
            relay: None,
        }
    }

    /// A bus fed by the relay of a shared database; `access_changes` receives a `()` when
    /// local access changes wait (in [`EventBus::take_announcements`]) to be announced
    /// to the other processes.
    pub fn relayed(capacity: usize) -> (Self, tokio::sync::mpsc::UnboundedReceiver<()>) {
        let (wake, access_changes) = tokio::sync::mpsc::unbounded_channel();
        let mut bus = Self::new(capacity);
        bus.relay = Some(Announcer {
            wake,
            pending: Arc::default(),
        });
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

    /// What these employees may see changed (or their sessions ended): their streams, in
    /// every process, re-check them. Nobody else's do.
    pub fn access_changed_for(&self, employees: impl IntoIterator<Item = EmployeeId>) {
        let mut employees: Vec<EmployeeId> = employees.into_iter().collect();
        employees.sort_unstable_by_key(|id| id.0);
        employees.dedup();
        if !employees.is_empty() {
            self.change(AccessChange::Employees(employees));
        }
    }

    /// A change that may concern any employee: every stream re-checks. Prefer
    /// [`EventBus::access_changed_for`] whenever the employees are known.
    pub fn access_changed(&self) {
        self.change(AccessChange::Everyone);
    }

    fn change(&self, change: AccessChange) {
        self.access.bump(&change);
        if let Some(relay) = &self.relay {
            relay
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(change);
            // The relay is gone only at shutdown, when nobody is left to tell.
            let _ = relay.wake.send(());
        }
    }

    /// The local access changes waiting to be announced, as NOTIFY payloads (the relay
    /// takes them when woken).
    pub fn take_announcements(&self) -> Vec<String> {
        let Some(relay) = &self.relay else {
            return Vec::new();
        };
        let pending = std::mem::take(
            &mut *relay
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        pending
            .iter()
            .map(|change| change.to_payload(self.origin))
            .collect()
    }

    /// Another process announced an access change (told by the relay, with the NOTIFY
    /// payload); this process's own announcements, heard back, are applied already.
    pub fn access_changed_elsewhere(&self, payload: &str) {
        let (origin, change) = AccessChange::from_payload(payload);
        if origin != Some(self.origin) {
            self.access.bump(&change);
        }
    }

    /// Announcements from other processes may have been lost (the relay's connection
    /// dropped): every stream here re-checks.
    pub fn access_may_have_changed_elsewhere(&self) {
        self.access.bump(&AccessChange::Everyone);
    }

    /// Changes when what `employee` may see changes.
    pub fn watch_access_of(&self, employee: EmployeeId) -> watch::Receiver<u64> {
        self.access.subscribe(employee)
    }

    /// Counts a stream's re-check of its employee (as it starts).
    pub fn count_recheck(&self) {
        self.rechecks.send_modify(|count| *count += 1);
    }

    /// How many times streams re-checked their employee since the server started.
    pub fn rechecks(&self) -> u64 {
        *self.rechecks.borrow()
    }

    /// Changes as each re-check starts.
    pub fn watch_rechecks(&self) -> watch::Receiver<u64> {
        self.rechecks.subscribe()
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

        let mut access = bus.watch_access_of(EmployeeId(1));
        bus.access_changed_for([EmployeeId(1)]);
        assert!(access.has_changed().unwrap());
        assert_eq!(announced.try_recv(), Ok(()), "the relay was not woken");
        let payloads = bus.take_announcements();
        assert_eq!(payloads.len(), 1);
        assert!(payloads[0].ends_with(":1"), "{payloads:?}");
        access.borrow_and_update();
        // Its own announcement, heard back, is not applied twice.
        bus.access_changed_elsewhere(&payloads[0]);
        assert!(!access.has_changed().unwrap());
        bus.access_changed_elsewhere("7:1,2");
        assert!(access.has_changed().unwrap());
        assert!(
            announced.try_recv().is_err(),
            "a relayed change went out again"
        );
    }

    #[tokio::test]
    async fn an_access_change_wakes_only_the_streams_of_its_employees() {
        let bus = EventBus::new(8);
        let (ana, bia) = (EmployeeId(1), EmployeeId(2));
        let (mut of_ana, of_bia) = (bus.watch_access_of(ana), bus.watch_access_of(bia));
        bus.access_changed_for([ana]);
        assert!(of_ana.has_changed().unwrap());
        assert!(
            !of_bia.has_changed().unwrap(),
            "Bia's stream would re-check"
        );
        of_ana.borrow_and_update();
        bus.access_changed_for([]);
        assert!(!of_ana.has_changed().unwrap());
        bus.access_changed();
        assert!(of_ana.has_changed().unwrap() && of_bia.has_changed().unwrap());
    }

    #[test]
    fn announcements_round_trip_and_junk_concerns_everyone() {
        let change = AccessChange::Employees(vec![EmployeeId(3), EmployeeId(40)]);
        assert_eq!(
            AccessChange::from_payload(&change.to_payload(9)),
            (Some(9), change)
        );
        assert_eq!(
            AccessChange::from_payload(&AccessChange::Everyone.to_payload(9)),
            (Some(9), AccessChange::Everyone)
        );
        let many = AccessChange::Employees((0..1000).map(EmployeeId).collect());
        assert!(many.to_payload(1).len() < 8000);
        assert_eq!(AccessChange::from_payload("").1, AccessChange::Everyone);
        assert_eq!(
            AccessChange::from_payload("1:2,x").1,
            AccessChange::Everyone
        );
    }
}
