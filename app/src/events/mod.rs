//! Live events: every change an employee's screen must follow (a message arrived, its
//! delivery state changed, a conversation was archived …) is appended to the `events`
//! table in the same transaction as the change, then published on the in-process bus.
//! `GET /api/events` streams them over SSE; a reconnect replays what it missed.

use crate::ids::{ChannelId, ConversationId, EmployeeId, EventId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod relay;
#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    MessageCreated,
    MessageUpdated,
    ConversationUpdated,
    /// A channel's state changed (sync lost, reconnected, paused, pause over): its payload
    /// is a [`crate::channels::help::ChannelState`] and its conversation id is 0.
    ChannelUpdated,
    /// One employee's own read state of a conversation changed (they read it, or marked it
    /// unread): its payload is `{"employee_id", "unread_count"}`, and only that employee's
    /// streams carry it ([`LiveEvent::audience`]).
    ReadStateUpdated,
    /// A conversation was given to an employee or to nobody: its payload is
    /// `{"assignee_id", "assignee_name", "by_id", "by_name"}` (`by` is null when it went in
    /// turn or was taken back from someone who left).
    ConversationAssigned,
    /// A private note was added: its payload is a [`crate::conversations::notes::Note`].
    NoteCreated,
    /// A colleague views, types in or left a conversation: its payload is a
    /// [`crate::conversations::presence::PresenceNote`]. Views do not reload for it.
    Presence,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MessageCreated => "message_created",
            EventKind::MessageUpdated => "message_updated",
            EventKind::ConversationUpdated => "conversation_updated",
            EventKind::ChannelUpdated => "channel_updated",
            EventKind::ReadStateUpdated => "read_state_updated",
            EventKind::ConversationAssigned => "conversation_assigned",
            EventKind::NoteCreated => "note_created",
            EventKind::Presence => "presence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "message_created" => Some(EventKind::MessageCreated),
            "message_updated" => Some(EventKind::MessageUpdated),
            "conversation_updated" => Some(EventKind::ConversationUpdated),
            "channel_updated" => Some(EventKind::ChannelUpdated),
            "read_state_updated" => Some(EventKind::ReadStateUpdated),
            "conversation_assigned" => Some(EventKind::ConversationAssigned),
            "note_created" => Some(EventKind::NoteCreated),
            "presence" => Some(EventKind::Presence),
            _ => None,
        }
    }
}

/// One event as the browser receives it (the SSE `data:` JSON; the SSE `id:` is `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub id: EventId,
    pub kind: EventKind,
    /// 0 for a channel-wide event ([`EventKind::ChannelUpdated`]).
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    /// A `MessageDto` for message events, a `ConversationSummary` for conversation events.
    pub payload: serde_json::Value,
}

impl LiveEvent {
    /// The one employee the event is for, or `None` when it is for everyone who may use
    /// its channel. A private event whose payload names nobody is for nobody.
    pub fn audience(&self) -> Option<EmployeeId> {
        match self.kind {
            EventKind::ReadStateUpdated => Some(EmployeeId(
                self.payload["employee_id"].as_i64().unwrap_or_default(),
            )),
            _ => None,
        }
    }

    /// Whether `employee`, who may use the event's channel, receives it.
    pub fn is_for(&self, employee: EmployeeId) -> bool {
        self.audience().is_none_or(|only| only == employee)
    }
}

/// Name of the SSE event that tells a client it missed too much and must reload its views.
pub const RESYNC_EVENT: &str = "resync";
