//! "Ana is viewing", "Ana is typing…" above the composer, and this tab's own presence:
//! said when the conversation opens, every few seconds while it stays open, while the
//! employee types a reply (at most every few seconds), and when it closes.

use crate::conversations::presence::{
    set_presence, PresenceNote, PresenceState, TYPING_EVERY_MS, VIEWING_LASTS_MS,
};
use crate::i18n::{td_string, use_i18n, Locale};
use crate::ids::{ConversationId, EmployeeId};
use crate::ui::live::use_live;
use crate::ui::time::now_ms;
use leptos::prelude::*;

/// A colleague seen in the conversation, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub id: EmployeeId,
    pub name: String,
    pub viewing_until: i64,
    pub typing_until: i64,
}

/// The others as a note changes them, at `now`.
pub fn apply(seen: &mut Vec<Seen>, note: &PresenceNote, now: i64) {
    if note.state == PresenceState::Left {
        seen.retain(|s| s.id != note.employee_id);
        return;
    }
    let index = match seen.iter().position(|s| s.id == note.employee_id) {
        Some(i) => i,
        None => {
            seen.push(Seen {
                id: note.employee_id,
                name: note.employee_name.clone(),
                viewing_until: 0,
                typing_until: 0,
            });
            seen.len() - 1
        }
    };
    let entry = &mut seen[index];
    // Typing is viewing too.
    entry.viewing_until = entry.viewing_until.max(now + VIEWING_LASTS_MS);
    if note.state == PresenceState::Typing {
        entry.typing_until = now + note.state.lasts_ms();
    }
}

/// The line to show at `now`: who types, else who views; `None` when nobody is there.
pub fn line(locale: Locale, seen: &[Seen], now: i64) -> Option<(bool, String)> {
    let names = |typing: bool| -> Vec<&str> {
        seen.iter()
            .filter(|s| {
                if typing {
                    s.typing_until > now
                } else {
                    s.viewing_until > now
                }
            })
            .map(|s| s.name.as_str())
            .collect()
    };
    let (typing, who) = match names(true) {
        t if !t.is_empty() => (true, t),
        _ => (false, names(false)),
    };
    if who.is_empty() {
        return None;
    }
    let template = match (typing, who.len()) {
        (true, 1) => td_string!(locale, inbox.presence_typing_one),
        (true, _) => td_string!(locale, inbox.presence_typing_many),
        (false, 1) => td_string!(locale, inbox.presence_viewing_one),
        (false, _) => td_string!(locale, inbox.presence_viewing_many),
    };
    Some((
        typing,
        crate::locale::fill(template, &[("names", &who.join(", "))]),
    ))
}

/// This tab's presence in a conversation, for the composer to say it types.
#[derive(Clone, Copy)]
pub struct OwnPresence {
    id: ConversationId,
    last_typing: StoredValue<i64>,
}

impl OwnPresence {
    /// The employee typed a reply: said at most every [`TYPING_EVERY_MS`].
    pub fn typing(&self) {
        let now = now_ms();
        if now - self.last_typing.get_value() < TYPING_EVERY_MS {
            return;
        }
        self.last_typing.set_value(now);
        let id = self.id;
        leptos::task::spawn_local(async move {
            let _ = set_presence(id, PresenceState::Typing).await;
        });
    }
}

pub fn use_own_presence() -> Option<OwnPresence> {
    use_context::<OwnPresence>()
}

/// Gives the conversation's views (its composer) this tab's presence.
pub fn provide_own_presence(id: ConversationId) {
    provide_context(OwnPresence {
        id,
        last_typing: StoredValue::new(0),
    });
}

/// Says this tab's presence (in the browser only) and shows the others'.
#[component]
pub fn PresenceLine(id: ConversationId) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let me = crate::ui::layout::use_me();
    let seen = RwSignal::new(Vec::<Seen>::new());
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        let Some(event) = live.presence.get() else {
            return;
        };
        if event.conversation_id != id {
            return;
        }
        let Ok(note) = serde_json::from_value::<PresenceNote>(event.payload) else {
            return;
        };
        if me
            .get_untracked()
            .is_some_and(|(mine, _)| mine == note.employee_id)
        {
            return;
        }
        seen.update(|s| apply(s, &note, now_ms()));
    });
    #[cfg(feature = "hydrate")]
    {
        let say = move |state: PresenceState| {
            leptos::task::spawn_local(async move {
                let _ = set_presence(id, state).await;
            });
        };
        say(PresenceState::Viewing);
        let heartbeat = set_interval_with_handle(
            move || say(PresenceState::Viewing),
            std::time::Duration::from_millis(
                crate::conversations::presence::VIEWING_EVERY_MS as u64,
            ),
        )
        .ok();
        // Lapsed presences go without waiting for an event.
        let ticker = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_secs(1),
        )
        .ok();
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| {
            say(PresenceState::Left);
        });
        on_cleanup(move || {
            for handle in [heartbeat, ticker].into_iter().flatten() {
                handle.clear();
            }
            on_hide.remove();
            say(PresenceState::Left);
        });
    }
    let shown = move || {
        tick.track();
        seen.with(|s| line(i18n.get_locale(), s, now_ms()))
    };
    view! {
        <p class="presence-line" data-testid="presence" aria-live="polite">
            {move || shown().map(|(typing, text)| view! { <span class:typing=typing>{text}</span> })}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_shows_first_and_everything_lapses() {
        let note = |id, name: &str, state| PresenceNote {
            employee_id: EmployeeId(id),
            employee_name: name.into(),
            state,
        };
        let english = Locale::en;
        let mut seen = Vec::new();
        assert_eq!(line(english, &seen, 0), None);
        apply(&mut seen, &note(1, "Ana", PresenceState::Viewing), 0);
        assert_eq!(
            line(english, &seen, 1_000),
            Some((false, "Ana is viewing".into()))
        );
        apply(&mut seen, &note(2, "Bruno", PresenceState::Typing), 1_000);
        assert_eq!(
            line(english, &seen, 2_000),
            Some((true, "Bruno is typing…".into()))
        );
        // Typing lapses first; then viewing.
        assert_eq!(
            line(english, &seen, 8_000),
            Some((false, "Ana, Bruno are viewing".into()))
        );
        assert_eq!(line(english, &seen, 27_000), None);
        apply(&mut seen, &note(2, "Bruno", PresenceState::Left), 3_000);
        assert_eq!(
            line(english, &seen, 4_000),
            Some((false, "Ana is viewing".into()))
        );
    }
}
