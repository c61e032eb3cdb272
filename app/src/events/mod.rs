//! Live events: every change an employee's screen must follow (a message arrived, its
//! delivery state changed, a conversation was archived …) is appended to the `events`
//! table in the same transaction as the change, then published on the in-process bus.
//! `GET /api/events` streams them over SSE; a reconnect replays what it missed.

use crate::ids::{ChannelId, ConversationId, EventId};
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
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MessageCreated => "message_created",
            EventKind::MessageUpdated => "message_updated",
            EventKind::ConversationUpdated => "conversation_updated",
            EventKind::ChannelUpdated => "channel_updated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "message_created" => Some(EventKind::MessageCreated),
            "message_updated" => Some(EventKind::MessageUpdated),
            "conversation_updated" => Some(EventKind::ConversationUpdated),
            "channel_updated" => Some(EventKind::ChannelUpdated),
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

/// Name of the SSE event that tells a client it missed too much and must reload its views.
pub const RESYNC_EVENT: &str = "resync";
