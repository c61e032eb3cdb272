//! `GET /api/events`: the employee's live stream (SSE). Starts after `Last-Event-ID` when
//! given (replaying exactly what was missed), else at the newest event. Only events of
//! channels the employee may use are sent.

use crate::error::ApiError;
use app::events::bus::EventBus;
use app::events::{store as events, LiveEvent, RESYNC_EVENT};
use app::ids::{ChannelId, EmployeeId, EventId};
use app::state::AppState;
use app::store::Db;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

/// A resume that missed more than this many events gets `resync` instead of a replay.
pub const MAX_REPLAY: i64 = 2000;
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
    Ok(Sse::new(cursor.into_stream()).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One employee's position in the event log.
struct EmployeeCursor {
    db: Db,
    employee: EmployeeId,
    /// The session the stream was opened with: when it ends (sign-out, here or
    /// everywhere), so does the stream.
    session: Option<tower_sessions::session::Id>,
    receiver: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    access: tokio::sync::watch::Receiver<u64>,
    /// The last event id this stream has dealt with (sent or filtered out).
    cursor: EventId,
    ready: VecDeque<Item>,
    channels: HashSet<ChannelId>,
    needs_catch_up: bool,
}

enum Item {
    Event(Arc<LiveEvent>),
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
        let mut access = bus.watch_access();
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
            employee,
            session,
            receiver,
            access,
            cursor,
            ready: VecDeque::new(),
            channels,
            needs_catch_up,
        })
    }

    /// Re-checks the employee after an access change: false when the stream must end
    /// (signed out, deactivated, or no longer allowed into Conversations).
    async fn recheck_access(&mut self) -> bool {
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
                    self.ready.push_back(Item::Event(Arc::new(event)));
                }
                self.cursor = self.cursor.max(at_least);
            }
            Err(err) => {
                tracing::warn!(error = %err, "SSE catch-up failed; asking the client to resync");
                self.cursor = self.cursor.max(at_least);
                self.ready.push_back(Item::Resync(self.cursor));
            }
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
            let received = tokio::select! {
                biased;
                changed = self.access.changed() => {
                    if changed.is_err() || !self.recheck_access().await {
                        return None;
                    }
                    continue;
                }
                received = self.receiver.recv() => received,
            };
            match received {
                Ok(event) if event.id <= self.cursor => {}
                Ok(event) if event.id.0 == self.cursor.0 + 1 => {
                    self.cursor = event.id;
                    if self.channels.contains(&event.channel_id) {
                        return Some(Item::Event(event));
                    }
                }
                // A gap: an earlier event is committed but not yet seen here.
                Ok(event) => self.catch_up(event.id).await,
                Err(RecvError::Lagged(_)) => {
                    let cursor = self.cursor;
                    self.catch_up(cursor).await;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures::stream::unfold(self, |mut cursor| async move {
            let item = cursor.next_item().await?;
            let event = match item {
                Item::Event(e) => Event::default()
                    .id(e.id.to_string())
                    .event(e.kind.as_str())
                    .json_data(&*e)
                    .unwrap_or_else(|_| Event::default().event(RESYNC_EVENT).data("{}")),
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
