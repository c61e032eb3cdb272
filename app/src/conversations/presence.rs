//! Who else is in a conversation (issue 24, point 5): "Ana is viewing", "Ana is typing…".
//! A tab says so when it opens a conversation, again every few seconds while it stays,
//! while its employee types a reply, and when it leaves; the others' tabs show it until
//! it lapses ([`PresenceState::lasts_ms`]), so a closed tab fades within seconds. It
//! travels as a `presence` event on the channel's live stream (so it reaches only those
//! who may use the channel, across processes, like every other event).

use crate::error::AppError;
use crate::ids::ConversationId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Viewing,
    Typing,
    Left,
}

impl PresenceState {
    /// How long the others show it without hearing it again.
    pub fn lasts_ms(self) -> i64 {
        match self {
            PresenceState::Viewing => VIEWING_LASTS_MS,
            PresenceState::Typing => 6_000,
            PresenceState::Left => 0,
        }
    }
}

/// How often an open conversation says it is still being viewed.
pub const VIEWING_EVERY_MS: i64 = 10_000;
/// Two heartbeats and a half: a closed tab fades within this.
pub const VIEWING_LASTS_MS: i64 = 25_000;
/// Typing is said at most this often while the employee types.
pub const TYPING_EVERY_MS: i64 = 2_500;

/// One colleague's presence in a conversation, as a `presence` event carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceNote {
    pub employee_id: crate::ids::EmployeeId,
    pub employee_name: String,
    pub state: PresenceState,
}

/// Says where the employee is in a conversation they may use.
#[server(endpoint = "set_presence")]
pub async fn set_presence(
    conversation_id: ConversationId,
    state: PresenceState,
) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let app = crate::state::AppState::current()?;
    let target =
        crate::conversations::store::ensure_access(&app.db, employee.id, conversation_id).await?;
    if !throttle::due(employee.id, conversation_id, state) {
        return Ok(());
    }
    let note = PresenceNote {
        employee_id: employee.id,
        employee_name: employee.name,
        state,
    };
    let mut conn = app
        .db
        .write
        .acquire()
        .await
        .map_err(crate::store::StoreError::from)?;
    let events = crate::events::store::append_drafts(
        &mut conn,
        vec![crate::events::store::EventDraft {
            kind: crate::events::EventKind::Presence,
            conversation_id,
            channel_id: target.channel_id,
            payload: serde_json::to_value(&note).unwrap_or_default(),
        }],
    )
    .await?;
    app.bus.publish(events);
    Ok(())
}

/// A tab may say the same thing at most once per [`SAME_AGAIN_MS`] (a stuck or hostile
/// client cannot flood the streams); leaving always goes through.
#[cfg(feature = "ssr")]
mod throttle {
    use super::PresenceState;
    use crate::ids::{ConversationId, EmployeeId};
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    const SAME_AGAIN: Duration = Duration::from_millis(2_000);

    type Said = HashMap<(EmployeeId, ConversationId), (PresenceState, Instant)>;

    fn said() -> &'static Mutex<Said> {
        static SAID: OnceLock<Mutex<Said>> = OnceLock::new();
        SAID.get_or_init(Default::default)
    }

    pub fn due(employee: EmployeeId, conversation: ConversationId, state: PresenceState) -> bool {
        let now = Instant::now();
        let mut said = said()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if said.len() > 10_000 {
            said.retain(|_, (_, at)| now.duration_since(*at) < SAME_AGAIN);
        }
        let key = (employee, conversation);
        if state == PresenceState::Left {
            said.remove(&key);
            return true;
        }
        match said.get(&key) {
            Some((last, at)) if *last == state && now.duration_since(*at) < SAME_AGAIN => false,
            _ => {
                said.insert(key, (state, now));
                true
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_same_state_is_said_once_in_a_while_and_leaving_always() {
            let (e, c) = (EmployeeId(901), ConversationId(902));
            assert!(due(e, c, PresenceState::Viewing));
            assert!(!due(e, c, PresenceState::Viewing));
            assert!(due(e, c, PresenceState::Typing));
            assert!(due(e, c, PresenceState::Left));
            assert!(due(e, c, PresenceState::Viewing), "after leaving, anew");
        }
    }
}
