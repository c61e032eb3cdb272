//! The first hour: while a business has no real channel yet, the inbox tells whoever may
//! change the settings what to do next (try the practice channels, connect a real channel,
//! invite the team), ticking each step once it is done; it is gone once a real channel is.

#[cfg(feature = "ssr")]
pub mod store;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the first hour stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstHourSteps {
    /// The business has a practice channel to try (else the step adds one).
    pub practice_channels: bool,
    /// Someone has played a lead on a practice channel.
    pub practice_tried: bool,
    /// The business has more than one active employee.
    pub team_invited: bool,
}

/// The first hour's steps for the caller: none once the business has a real channel, and
/// none for an employee who may not change the settings (the steps are theirs to take).
#[server(endpoint = "first_hour")]
pub async fn first_hour() -> Result<Option<FirstHourSteps>, AppError> {
    let employee = crate::auth::session::require_employee().await?;
    if !employee.can(crate::employees::Permission::Settings) {
        return Ok(None);
    }
    let state = crate::state::AppState::current()?;
    Ok(store::first_hour(&state.db).await?)
}
