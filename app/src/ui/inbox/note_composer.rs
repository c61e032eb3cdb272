//! The composer's two tabs: Reply (to the lead) and Note (to the team, never sent). A note
//! mentions a colleague by typing `@`: a menu of those who may answer the conversation,
//! filtered as one types, taken with ↑/↓ and Enter (or a tap).

use super::composer::Composer;
use crate::conversations::assign::assignable_employees;
use crate::conversations::notes::{add_note, check_note, MAX_NOTE_CHARS};
use crate::conversations::{Assignee, ConversationDetail};
use crate::i18n::{t, t_string, use_i18n};
use crate::locale::error_text;
use crate::ui::time::use_mounted;
use leptos::prelude::*;

/// What follows the last `@` of `text` when the writer is in the middle of a mention: the
/// `@` starts the text or follows a space, and no line break came since.
pub fn mention_query(text: &str) -> Option<&str> {
    let at = text.rfind('@')?;
    let before_ok = text[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let query = &text[at + 1..];
    (before_ok && !query.contains('\n') && query.chars().count() <= 40).then_some(query)
}

/// The colleagues whose name begins with `query` (any word of it, any case).
pub fn mention_choices<'a>(query: &str, team: &'a [Assignee]) -> Vec<&'a Assignee> {
    let query = query.trim_start().to_lowercase();
    team.iter()
        .filter(|a| {
            let name = a.name.to_lowercase();
            name.starts_with(&query) || name.split_whitespace().any(|word| word.starts_with(&query))
        })
        .take(8)
        .collect()
}

/// `text` with its mention in progress replaced by `@Name `.
pub fn with_mention(text: &str, name: &str) -> String {
    match text.rfind('@') {
        Some(at) => format!("{}@{name} ", &text[..at]),
        None => format!("{text}@{name} "),
    }
}

#[component]
pub fn ComposerTabs(state: RwSignal<ConversationDetail>, on_sent: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let note_mode = RwSignal::new(false);
    let tab = move |note: bool| {
        view! {
            <button type="button" role="tab" class="composer-tab" class:active=move || note_mode.get() == note
                aria-selected=move || (note_mode.get() == note).to_string()
                data-testid=if note { "tab-note" } else { "tab-reply" }
                on:click=move |_| note_mode.set(note)>
                {move || if note { t_string!(i18n, inbox.tab_note) } else { t_string!(i18n, inbox.tab_reply) }}
            </button>
        }
    };
    view! {
        <div class="composer-tabs" role="tablist" aria-label=move || t_string!(i18n, inbox.composer_tabs)>
            {tab(false)}
            {tab(true)}
        </div>
        <Show when=move || note_mode.get() fallback=move || view! { <Composer state=state on_sent=on_sent/> }>
            <NoteComposer state=state on_sent=on_sent/>
        </Show>
    }
}

#[component]
fn NoteComposer(state: RwSignal<ConversationDetail>, on_sent: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let mounted = use_mounted();
    let id = state.with_untracked(|s| s.summary.id);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let team = RwSignal::new(Vec::<Assignee>::new());
    Effect::new(move |_| {
        if mounted.get() {
            leptos::task::spawn_local(async move {
                if let Ok(list) = assignable_employees(id).await {
                    team.set(list);
                }
            });
        }
    });
    let highlighted = RwSignal::new(0usize);
    let closed = RwSignal::new(false);
    let choices = Memo::new(move |_| {
        let text = text.get();
        if closed.get() {
            return Vec::new();
        }
        team.with(|team| {
            mention_query(&text)
                .map(|q| mention_choices(q, team).into_iter().cloned().collect())
                .unwrap_or_default()
        })
    });
    let pick = move |name: String| {
        text.update(|t| *t = with_mention(t, &name));
        highlighted.set(0);
    };
    let save = move || {
        if saving.get_untracked() {
            return;
        }
        let locale = i18n.get_locale_untracked();
        let body = text.get_untracked();
        if let Err(err) = check_note(locale, &body) {
            error.set(Some(error_text(locale, &err)));
            return;
        }
        saving.set(true);
        leptos::task::spawn_local(async move {
            match add_note(id, body).await {
                Ok(_) => {
                    error.set(None);
                    text.set(String::new());
                    on_sent.run(());
                }
                Err(err) => error.set(Some(error_text(locale, &err))),
            }
            saving.set(false);
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let open = choices.with(|c| !c.is_empty());
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if open => {
                ev.prevent_default();
                let n = choices.with(Vec::len);
                highlighted.update(|h| {
                    *h = if ev.key() == "ArrowDown" {
                        (*h + 1) % n
                    } else {
                        (*h + n - 1) % n
                    }
                });
            }
            "Enter" | "Tab" if open && !ev.shift_key() => {
                ev.prevent_default();
                let chosen = choices.with(|c| c.get(highlighted.get_untracked()).cloned());
                if let Some(a) = chosen {
                    pick(a.name);
                }
            }
            "Escape" if open => {
                ev.prevent_default();
                closed.set(true);
            }
            "Enter" if !ev.shift_key() && !ev.is_composing() => {
                ev.prevent_default();
                save();
            }
            _ => {}
        }
    };
    let count = Memo::new(move |_| text.with(|t| t.chars().count()));
    view! {
        <form class="composer note-composer" data-testid="note-composer" on:submit=move |ev| { ev.prevent_default(); save(); }>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || {
                let list = choices.get();
                (!list.is_empty()).then(|| view! {
                    <ul class="mention-menu" role="listbox" data-testid="mention-menu" aria-label=move || t_string!(i18n, inbox.mention_menu)>
                        {list.into_iter().enumerate().map(|(i, a)| {
                            let name = a.name.clone();
                            view! {
                                <li role="option" aria-selected=move || (highlighted.get() == i).to_string()
                                    class:active=move || highlighted.get() == i
                                    on:mousedown=move |ev| { ev.prevent_default(); pick(name.clone()); }>{a.name}</li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <div class="composer-row">
                <label class="visually-hidden" for="note-text">{t!(i18n, inbox.tab_note)}</label>
                <textarea id="note-text" rows="2" maxlength=MAX_NOTE_CHARS.to_string()
                    placeholder=move || t_string!(i18n, inbox.note_placeholder)
                    prop:value=move || text.get()
                    on:input=move |ev| { text.set(event_target_value(&ev)); closed.set(false); highlighted.set(0); error.set(None); }
                    on:keydown=on_keydown></textarea>
                <button type="submit" class="button note-button" data-testid="add-note"
                    disabled=move || saving.get() || text.with(|t| t.trim().is_empty())>{t!(i18n, inbox.add_note)}</button>
            </div>
            <div class="composer-foot">
                <span class="window-note">{t!(i18n, inbox.note_hint)}</span>
                <span class="counter">{move || (count.get() > MAX_NOTE_CHARS - 200).then(|| format!("{} / {MAX_NOTE_CHARS}", count.get()))}</span>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EmployeeId;

    #[test]
    fn a_mention_in_progress_is_found_and_completed() {
        assert_eq!(mention_query("ask @Bru"), Some("Bru"));
        assert_eq!(mention_query("@"), Some(""));
        assert_eq!(
            mention_query("mail bruno@x"),
            None,
            "an address is not a mention"
        );
        assert_eq!(mention_query("@Bruno\nthen"), None);
        assert_eq!(mention_query("no mention"), None);
        assert_eq!(with_mention("ask @Bru", "Bruno Costa"), "ask @Bruno Costa ");
        let team: Vec<Assignee> = [(1, "Ana Agent"), (2, "Bruno Costa")]
            .into_iter()
            .map(|(id, name)| Assignee {
                id: EmployeeId(id),
                name: name.into(),
            })
            .collect();
        let names = |q: &str| -> Vec<String> {
            mention_choices(q, &team)
                .into_iter()
                .map(|a| a.name.clone())
                .collect()
        };
        assert_eq!(names("co"), ["Bruno Costa"]);
        assert_eq!(names(""), ["Ana Agent", "Bruno Costa"]);
        assert!(names("zé").is_empty());
    }
}
