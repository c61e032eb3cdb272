//! What a composer needs to follow its channel live: the channel's state (the payload of a
//! `channel_updated` event, published when it loses sync, is reconnected, is paused by a
//! provider's rate limit or that pause ends) and, when it is locked, who can fix it.

use super::ChannelStatus;
use crate::error::AppError;
use crate::ids::ChannelId;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A channel's state as composers show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    pub channel_id: ChannelId,
    pub status: ChannelStatus,
    /// Why it is not connected (the provider's words), if it is not.
    pub status_detail: Option<String>,
    /// Until when (UTC ms) the provider asked Confab to wait before sending again.
    pub paused_until: Option<i64>,
}

impl ChannelState {
    pub fn of(channel: &super::Channel) -> Self {
        ChannelState {
            channel_id: channel.id,
            status: channel.status,
            status_detail: channel.status_detail.clone(),
            paused_until: channel.paused_until,
        }
    }

    /// The pause, if it is still on at `now` (UTC ms).
    pub fn paused_at(&self, now: i64) -> Option<i64> {
        self.paused_until.filter(|until| *until > now)
    }
}

/// Who can unlock a locked channel, for the employee asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelHelp {
    pub state: ChannelState,
    /// The employee may reconnect it themself (they hold the Settings permission): the
    /// lock links to the channel's card in Settings › Conversations.
    pub can_fix: bool,
    /// Otherwise whom to ask: the names of the active employees who hold Settings and may
    /// use this channel.
    pub fixers: Vec<String>,
}

/// Where the channel's card is in Settings › Conversations.
pub fn settings_href(channel: ChannelId) -> String {
    format!("/settings/conversations#channel-{channel}")
}

/// The channel's current state and who can fix it, for an employee who may use it (404
/// otherwise).
#[server(endpoint = "channel_help_for", input = Json)]
pub async fn channel_help_for(channel_id: ChannelId) -> Result<ChannelHelp, AppError> {
    use crate::employees::Permission;
    let employee = crate::auth::session::require_permission(Permission::Conversations).await?;
    let state = crate::state::AppState::current()?;
    Ok(super::store::help_for(&state.db, &employee, channel_id).await?)
}
