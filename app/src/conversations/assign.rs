//! Assignment (issue 24, point 2): giving a conversation to an employee who may answer
//! it, or to nobody; the list's Mine / Unassigned filters are in [`super::ListFilter`].

use super::Assignee;
use crate::error::AppError;
use crate::ids::{ChannelId, ConversationId, EmployeeId};
use leptos::prelude::*;

/// Gives the conversation to `assignee` (an active employee with Conversations and its
/// channel), or to nobody; their tab is told at once.
#[server(endpoint = "assign_conversation")]
pub async fn assign_conversation(
    id: ConversationId,
    #[server(default)] assignee: Option<EmployeeId>,
) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let events = super::assign_store::assign(&state.db, employee.id, id, assignee).await?;
    state.bus.publish(events);
    Ok(())
}

/// Whom the conversation may be given to, by name.
#[server(endpoint = "assignable_employees")]
pub async fn assignable_employees(id: ConversationId) -> Result<Vec<Assignee>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    Ok(super::assign_store::assignable(&state.db, employee.id, id).await?)
}

/// Whether a channel's new conversations go to its signed-in employees in turn.
#[server(endpoint = "set_channel_auto_assign")]
pub async fn set_channel_auto_assign(channel_id: ChannelId, on: bool) -> Result<(), AppError> {
    crate::auth::session::require_permission(crate::employees::Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    super::assign_store::set_auto_assign(&state.db, channel_id, on).await?;
    Ok(())
}
