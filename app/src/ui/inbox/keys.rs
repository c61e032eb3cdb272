//! Keyboard shortcuts of the inbox: ↑/↓ or j/k move through the list, Enter opens, `/`
//! searches, Esc leaves the composer, Alt+A archives or reopens, `?` lists them all.
//! Letters act only when the employee is not typing.

use crate::i18n::{t, td_string, use_i18n, Locale};
use leptos::prelude::*;

/// The shortcuts as the `?` sheet lists them, in the employee's language.
pub fn shortcuts(locale: Locale) -> [(&'static str, &'static str); 6] {
    [
        (
            td_string!(locale, inbox.shortcut_next_keys),
            td_string!(locale, inbox.shortcut_next),
        ),
        (
            td_string!(locale, inbox.shortcut_previous_keys),
            td_string!(locale, inbox.shortcut_previous),
        ),
        ("Enter", td_string!(locale, inbox.shortcut_open)),
        ("/", td_string!(locale, inbox.shortcut_search)),
        ("Esc", td_string!(locale, inbox.shortcut_leave)),
        ("Alt + A", td_string!(locale, inbox.shortcut_archive)),
    ]
}

/// What a key does in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Next,
    Previous,
    Search,
    LeaveComposer,
    ToggleArchive,
    ToggleSheet,
    CloseSheet,
}

/// The action of a key press; `typing` when the focus is in a text field.
pub fn action_for(key: &str, alt: bool, ctrl_or_meta: bool, typing: bool) -> Option<KeyAction> {
    if ctrl_or_meta {
        return None;
    }
    if alt {
        return matches!(key, "a" | "A" | "å").then_some(KeyAction::ToggleArchive);
    }
    match (key, typing) {
        ("Escape", true) => Some(KeyAction::LeaveComposer),
        ("Escape", false) => Some(KeyAction::CloseSheet),
        (_, true) => None,
        ("ArrowDown" | "j", false) => Some(KeyAction::Next),
        ("ArrowUp" | "k", false) => Some(KeyAction::Previous),
        ("/", false) => Some(KeyAction::Search),
        ("?", false) => Some(KeyAction::ToggleSheet),
        _ => None,
    }
}

#[component]
pub fn InboxKeys() -> impl IntoView {
    let sheet = RwSignal::new(false);
    let i18n = use_i18n();
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            browser::on_key(&ev, sheet);
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <Show when=move || sheet.get()>
            <div class="modal-backdrop" on:click=move |_| sheet.set(false)></div>
            <div class="modal shortcuts-sheet card" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts">
                <h2 id="shortcuts-title">{t!(i18n, inbox.shortcuts_title)}</h2>
                <dl>
                    {move || shortcuts(i18n.get_locale()).into_iter().map(|(keys, what)| view! { <dt><kbd>{keys}</kbd></dt><dd>{what}</dd> }).collect_view()}
                </dl>
                <button class="button" type="button" on:click=move |_| sheet.set(false)>{t!(i18n, inbox.close)}</button>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{action_for, KeyAction};
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    pub fn on_key(ev: &web_sys::KeyboardEvent, sheet: RwSignal<bool>) {
        let document = match web_sys::window().and_then(|w| w.document()) {
            Some(d) => d,
            None => return,
        };
        let active = document.active_element();
        let typing = active.as_ref().is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.get_attribute("contenteditable").is_some()
        });
        let Some(action) = action_for(
            &ev.key(),
            ev.alt_key(),
            ev.ctrl_key() || ev.meta_key(),
            typing,
        ) else {
            return;
        };
        let focus = |selector: &str| {
            if let Some(el) = document
                .query_selector(selector)
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        };
        match action {
            KeyAction::Next | KeyAction::Previous => {
                let Ok(rows) = document.query_selector_all(".conversation-row") else {
                    return;
                };
                let rows: Vec<web_sys::HtmlElement> = (0..rows.length())
                    .filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
                    .collect();
                if rows.is_empty() {
                    return;
                }
                let current = rows
                    .iter()
                    .position(|r| active.as_ref().is_some_and(|a| a.is_same_node(Some(r))))
                    .or_else(|| {
                        rows.iter()
                            .position(|r| r.class_list().contains("selected"))
                    });
                let next = match (action, current) {
                    (KeyAction::Next, Some(i)) => (i + 1).min(rows.len() - 1),
                    (KeyAction::Previous, Some(i)) => i.saturating_sub(1),
                    _ => 0,
                };
                ev.prevent_default();
                let _ = rows[next].focus();
            }
            KeyAction::Search => {
                ev.prevent_default();
                focus("#list-search");
            }
            KeyAction::LeaveComposer => {
                if let Some(el) = active.and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = el.blur();
                }
            }
            KeyAction::ToggleArchive => {
                ev.prevent_default();
                if let Some(button) = document
                    .query_selector("[data-testid=archive-toggle]")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    button.click();
                }
            }
            KeyAction::ToggleSheet => sheet.update(|s| *s = !*s),
            KeyAction::CloseSheet => sheet.set(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_act_only_outside_text_fields() {
        assert_eq!(action_for("j", false, false, false), Some(KeyAction::Next));
        assert_eq!(action_for("j", false, false, true), None, "typing a j");
        assert_eq!(
            action_for("ArrowUp", false, false, false),
            Some(KeyAction::Previous)
        );
        assert_eq!(
            action_for("/", false, false, false),
            Some(KeyAction::Search)
        );
        assert_eq!(
            action_for("Escape", false, false, true),
            Some(KeyAction::LeaveComposer)
        );
        assert_eq!(
            action_for("a", true, false, true),
            Some(KeyAction::ToggleArchive),
            "Alt+A works while typing"
        );
        assert_eq!(
            action_for("k", false, true, false),
            None,
            "Ctrl/Cmd shortcuts are the browser's"
        );
        assert_eq!(
            action_for("?", false, false, false),
            Some(KeyAction::ToggleSheet)
        );
    }
}
