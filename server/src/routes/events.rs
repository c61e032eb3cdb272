//! `GET /api/events`: the employee's live stream (SSE). Starts after `Last-Event-ID` when
//! given (replaying exactly what was missed), else at the newest event. Only events of
//! channels the employee may use are sent.

use crate::error::ApiError;
use app::events::bus::{BusEvent, EventBus};
use app::events::{store as events, RESYNC_EVENT};
use app::ids::{ChannelId, EmployeeId, EventId};
use app::state::AppState;
use app::store::Db;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tower_sessions::Session;

/// A resume that missed more than this many events gets `resync` instead of a replay.
pub const MAX_REPLAY: i64 = 2000;
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long an event that arrived ahead of a missing one waits for it before the stream
/// reads the log. Requests commit in id order but publish in whatever order they resume,
/// so a gap almost always closes within microseconds; reading the log for each would cost
/// every stream a query per gap.
pub const REORDER_WAIT: Duration = Duration::from_millis(200);

#[derive(serde::Deserialize)]
pub struct StreamQuery {
    /// For clients that cannot set the header (the browser sets it on reconnect itself).
    last_event_id: Option<i64>,
}

pub fn last_event_id(headers: &HeaderMap, query: Option<i64>) -> Option<EventId> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query)
        .filter(|id| *id >= 0)
        .map(EventId)
}

pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let employee_id = app::auth::session::employee_id_of(&session)
        .await
        .ok_or(ApiError::Unauthorized)?;
    let employee = app::auth::store::active_employee(&state.db, employee_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !employee.can(app::employees::Permission::Conversations) {
        return Err(ApiError::Forbidden);
    }
    // Subscribe before reading the database, so nothing falls between the two.
    let cursor = EmployeeCursor::start(
        state.db.clone(),
        state.bus.clone(),
        employee.id,
        session.id(),
        last_event_id(&headers, query.last_event_id),
    )
    .await?;
    let stream = futures::StreamExt::take_until(cursor.into_stream(), state.bus.closed());
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One employee's position in the event log.
struct EmployeeCursor {
    db: Db,
    bus: EventBus,
    employee: EmployeeId,
    /// The session the stream was opened with: when it ends (sign-out, here or
    /// everywhere), so does the stream.
    session: Option<tower_sessions::session::Id>,
    receiver: tokio::sync::broadcast::Receiver<Arc<BusEvent>>,
    /// Changes when what this employee may see changes (never for other employees).
    access: tokio::sync::watch::Receiver<u64>,
    /// The last event id this stream has dealt with (sent or filtered out).
    cursor: EventId,
    ready: VecDeque<Item>,
    channels: HashSet<ChannelId>,
    needs_catch_up: bool,
    /// Events that came ahead of a missing one, by id, and since when one is missing.
    ahead: BTreeMap<EventId, Arc<BusEvent>>,
    gap_deadline: Option<tokio::time::Instant>,
}

enum Item {
    Event(Arc<BusEvent>),
    Resync(EventId),
}

impl EmployeeCursor {
    async fn start(
        db: Db,
        bus: EventBus,
        employee: EmployeeId,
        session: Option<tower_sessions::session::Id>,
        resume_after: Option<EventId>,
    ) -> Result<Self, ApiError> {
        let receiver = bus.subscribe();
        let mut access = bus.watch_access_of(employee);
        access.mark_unchanged();
        let (cursor, needs_catch_up) = match resume_after {
            Some(id) => (id, true),
            None => (events::latest_id(&db.read).await?, false),
        };
        let channels = app::channels::store::accessible_ids(&db, employee)
            .await?
            .into_iter()
            .collect();
        Ok(Self {
            db,
            bus,
            employee,
            session,
            receiver,
            access,
            cursor,
            ready: VecDeque::new(),
            channels,
            needs_catch_up,
            ahead: BTreeMap::new(),
            gap_deadline: None,
        })
    }

    /// Re-checks the employee after an access change: false when the stream must end
    /// (signed out, deactivated, or no longer allowed into Conversations).
    async fn recheck_access(&mut self) -> bool {
        self.bus.count_recheck();
        let Some(session) = self.session else {
            return false;
        };
        match app::auth::session::is_live(&self.db, &session.to_string()).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(err) => {
                tracing::warn!(error = %err, "SSE session re-check failed; ending the stream");
                return false;
            }
        }
        match app::auth::store::active_employee(&self.db, self.employee).await {
            Ok(Some(employee)) if employee.can(app::employees::Permission::Conversations) => {}
            Ok(_) => return false,
            Err(err) => {
                tracing::warn!(error = %err, "SSE access re-check failed; ending the stream");
                return false;
            }
        }
        match app::channels::store::accessible_ids(&self.db, self.employee).await {
            Ok(ids) => {
                self.channels = ids.into_iter().collect();
                true
            }
            Err(_) => false,
        }
    }

    /// Reads what the log holds after the cursor (the bus lagged, or ids arrived out of order).
    async fn catch_up(&mut self, at_least: EventId) {
        if let Ok(ids) = app::channels::store::accessible_ids(&self.db, self.employee).await {
            self.channels = ids.into_iter().collect();
        }
        match events::since_for_employee(&self.db.read, self.employee, self.cursor, MAX_REPLAY + 1)
            .await
        {
            Ok(missed) if missed.len() as i64 > MAX_REPLAY => {
                let latest = events::latest_id(&self.db.read).await.unwrap_or(at_least);
                self.cursor = latest.max(at_least);
                self.ready.push_back(Item::Resync(self.cursor));
            }
            Ok(missed) => {
                for event in missed {
                    self.cursor = self.cursor.max(event.id);
                    if !event.is_for(self.employee) {
                        continue;
                    }
                    self.ready
                        .push_back(Item::Event(Arc::new(BusEvent::new(event))));
                }
                self.cursor = self.cursor.max(at_least);
            }
            Err(err) => {
                // The events after the cursor were pruned (or could not be read): a resync
                // reloads every view, so the stream goes on from the log's end.
                tracing::info!(error = %err, "SSE catch-up impossible; asking the client to resync");
                let latest = events::latest_id(&self.db.read).await.unwrap_or(at_least);
                self.cursor = self.cursor.max(latest).max(at_least);
                self.ready.push_back(Item::Resync(self.cursor));
            }
        }
    }

    /// Takes `event` as the next in order (queued when the employee may see it).
    fn advance(&mut self, event: Arc<BusEvent>) {
        self.cursor = event.id;
        if self.channels.contains(&event.channel_id) && event.is_for(self.employee) {
            self.ready.push_back(Item::Event(event));
        }
    }

    /// Moves the held events that are now in order to `ready`.
    fn release_ahead(&mut self) {
        while let Some(entry) = self.ahead.first_entry() {
            let id = *entry.key();
            if id <= self.cursor {
                entry.remove();
            } else if id.0 == self.cursor.0 + 1 {
                let event = entry.remove();
                self.advance(event);
            } else {
                break;
            }
        }
        if self.ahead.is_empty() {
            self.gap_deadline = None;
        }
    }

    async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.needs_catch_up {
                self.needs_catch_up = false;
                let cursor = self.cursor;
                self.catch_up(cursor).await;
                continue;
            }
            let gap_deadline = self.gap_deadline;
            let received = tokio::select! {
                biased;
                changed = self.access.changed() => {
                    if changed.is_err() || !self.recheck_access().await {
                        return None;
                    }
                    // Events already on the bus go out before the next re-check, so a
                    // run of access changes cannot hold delivery back.
                    if !self.take_queued().await {
                        return None;
                    }
                    continue;
                }
                received = self.receiver.recv() => received,
                // The missing event was not published here (another process, a dropped
                // request): the log has it.
                _ = tokio::time::sleep_until(gap_deadline.unwrap_or_else(tokio::time::Instant::now)),
                    if gap_deadline.is_some() => {
                    let newest = self.ahead.keys().next_back().copied().unwrap_or(self.cursor);
                    self.ahead.clear();
                    self.gap_deadline = None;
                    self.catch_up(newest).await;
                    continue;
                }
            };
            if !self.take(received).await {
                return None;
            }
        }
    }

    /// Deals with what the bus gave; false when the bus is gone.
    async fn take(&mut self, received: Result<Arc<BusEvent>, RecvError>) -> bool {
        match received {
            Ok(event) if event.id <= self.cursor => {}
            Ok(event) if event.id.0 == self.cursor.0 + 1 => {
                self.advance(event);
                self.release_ahead();
            }
            // A gap: an earlier event is committed but not yet seen here.
            Ok(event) => {
                self.ahead.insert(event.id, event);
                self.gap_deadline
                    .get_or_insert_with(|| tokio::time::Instant::now() + REORDER_WAIT);
            }
            Err(RecvError::Lagged(_)) => {
                let cursor = self.cursor;
                self.ahead.clear();
                self.gap_deadline = None;
                self.catch_up(cursor).await;
            }
            Err(RecvError::Closed) => return false,
        }
        true
    }

    /// Takes the events the bus holds for this stream now (at most a bus's worth), without
    /// waiting; false when the bus is gone.
    async fn take_queued(&mut self) -> bool {
        for _ in 0..app::events::bus::CAPACITY {
            let received = match self.receiver.try_recv() {
                Ok(event) => Ok(event),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
            };
            if !self.take(received).await {
                return false;
            }
        }
        true
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures::stream::unfold(self, |mut cursor| async move {
            let item = cursor.next_item().await?;
            let event = match item {
                Item::Event(e) => Event::default()
                    .id(e.id.to_string())
                    .event(e.kind.as_str())
                    .data(e.json()),
                Item::Resync(id) => Event::default()
                    .id(id.to_string())
                    .event(RESYNC_EVENT)
                    .data("{}"),
            };
            Some((Ok(event), cursor))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::{EventKind, LiveEvent};
    use app::ids::ConversationId;

    /// A demo business, its owner, one of the owner's conversations and its channel.
    async fn demo() -> (Db, tempfile::TempDir, EmployeeId, ConversationId, ChannelId) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        app::demo::seed_if_empty(&db).await.unwrap();
        let owner: i64 = sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
            .bind(app::demo::OWNER_EMAIL)
            .fetch_one(&db.read)
            .await
            .unwrap();
        let (conversation, channel): (i64, i64) = sqlx::query_as(
            "SELECT c.id, c.channel_id FROM conversations c
               JOIN channel_access a ON a.channel_id = c.channel_id AND a.employee_id = $1
              LIMIT 1",
        )
        .bind(owner)
        .fetch_one(&db.read)
        .await
        .unwrap();
        (
            db,
            dir,
            EmployeeId(owner),
            ConversationId(conversation),
            ChannelId(channel),
        )
    }

    async fn logged(db: &Db, conversation: ConversationId, channel: ChannelId) -> LiveEvent {
        let mut conn = db.write.acquire().await.unwrap();
        events::append(
            &mut conn,
            EventKind::ConversationUpdated,
            conversation,
            channel,
            serde_json::json!({ "via": "log" }),
        )
        .await
        .unwrap()
    }

    fn via(item: Option<Item>) -> (i64, String) {
        match item {
            Some(Item::Event(e)) => (e.id.0, e.payload["via"].as_str().unwrap().to_owned()),
            Some(Item::Resync(id)) => (id.0, "resync".into()),
            None => (0, "ended".into()),
        }
    }

    /// Events published out of commit order are put back in order from the bus, without
    /// reading the log; a gap that stays open is filled from the log after the wait.
    #[tokio::test]
    async fn out_of_order_events_are_reordered_and_a_lasting_gap_is_read_from_the_log() {
        let (db, _dir, owner, conversation, channel) = demo().await;
        let mut cursor = EmployeeCursor::start(db.clone(), db.bus.clone(), owner, None, None)
            .await
            .unwrap();
        let mut committed = Vec::new();
        for _ in 0..5 {
            committed.push(logged(&db, conversation, channel).await);
        }
        let on_bus = |i: usize| LiveEvent {
            payload: serde_json::json!({ "via": "bus" }),
            ..committed[i].clone()
        };
        db.bus.publish([on_bus(1), on_bus(2), on_bus(0)]);
        let ids: Vec<i64> = committed.iter().map(|e| e.id.0).collect();
        for &id in &ids[..3] {
            assert_eq!(via(cursor.next_item().await), (id, "bus".into()));
        }
        // The fourth is never published here (another process committed it, say).
        let started = std::time::Instant::now();
        db.bus.publish([on_bus(4)]);
        assert_eq!(via(cursor.next_item().await), (ids[3], "log".into()));
        assert!(started.elapsed() >= REORDER_WAIT);
        assert_eq!(via(cursor.next_item().await), (ids[4], "log".into()));
        db.close().await;
    }

    /// A run of access changes for the stream's employee (each arriving while the last
    /// re-check is still reading the database) does not hold events back: what the bus
    /// holds goes out after each re-check.
    #[tokio::test]
    async fn a_run_of_access_changes_does_not_starve_event_delivery() {
        let (db, _dir, owner, conversation, channel) = demo().await;
        // A live session of the owner, stored as sign-in stores one.
        let mut record = tower_sessions::session::Record {
            id: tower_sessions::session::Id::default(),
            data: [(
                app::auth::session::EMPLOYEE_KEY.to_owned(),
                serde_json::json!(owner.0),
            )]
            .into_iter()
            .collect(),
            expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
                + tower_sessions::cookie::time::Duration::hours(1),
        };
        tower_sessions::SessionStore::create(
            &app::auth::session::SqlSessionStore::new(db.clone()),
            &mut record,
        )
        .await
        .unwrap();
        let session = record.id;
        let mut cursor =
            EmployeeCursor::start(db.clone(), db.bus.clone(), owner, Some(session), None)
                .await
                .unwrap();
        let event = logged(&db, conversation, channel).await;
        // Each re-check, as it starts, is followed by another change: when it ends, a
        // change is always waiting.
        let changes = {
            let bus = db.bus.clone();
            let mut rechecks = db.bus.watch_rechecks();
            tokio::spawn(async move {
                while rechecks.changed().await.is_ok() {
                    bus.access_changed_for([owner]);
                }
            })
        };
        bus_change_and_publish(&db, owner, &event);
        let delivered = tokio::time::timeout(Duration::from_secs(3), cursor.next_item()).await;
        let rechecks = db.bus.rechecks();
        changes.abort();
        let delivered = delivered.expect("the event waited behind the re-checks");
        assert_eq!(via(delivered).0, event.id.0);
        // One re-check, then the event (it used to wait behind a hundred or so).
        assert!(
            (1..=2).contains(&rechecks),
            "{rechecks} re-checks before the event went out"
        );
        db.close().await;
    }

    /// An access change for `employee`, then `event` on the bus: both wait for the stream.
    fn bus_change_and_publish(db: &Db, employee: EmployeeId, event: &LiveEvent) {
        db.bus.access_changed_for([employee]);
        db.bus.publish([event.clone()]);
    }

    #[test]
    fn the_header_wins_over_the_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(last_event_id(&headers, None), None);
        assert_eq!(last_event_id(&headers, Some(7)), Some(EventId(7)));
        headers.insert("last-event-id", "42".parse().unwrap());
        assert_eq!(last_event_id(&headers, Some(7)), Some(EventId(42)));
        headers.insert("last-event-id", "junk".parse().unwrap());
        assert_eq!(last_event_id(&headers, None), None);
        assert_eq!(last_event_id(&HeaderMap::new(), Some(-1)), None);
    }
}
