//! Who answers the open conversation: a menu of the employees who may (those with its
//! channel and Conversations), or nobody.

use crate::conversations::assign::{assign_conversation, assignable_employees};
use crate::conversations::{Assignee, ConversationDetail};
use crate::error::AppError;
use crate::i18n::{t, t_string, use_i18n};
use crate::ids::EmployeeId;
use crate::locale::error_text;
use crate::ui::time::use_mounted;
use leptos::prelude::*;

#[component]
pub fn AssigneePicker(
    state: RwSignal<ConversationDetail>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let mounted = use_mounted();
    let id = state.with_untracked(|s| s.summary.id);
    let current = Memo::new(move |_| state.with(|s| s.summary.assignee.clone()));
    // Loaded once the page is live (the server renders the current assignee alone).
    let choices = RwSignal::new(Vec::<Assignee>::new());
    Effect::new(move |_| {
        if mounted.get() {
            leptos::task::spawn_local(async move {
                if let Ok(list) = assignable_employees(id).await {
                    choices.set(list);
                }
            });
        }
    });
    let error = RwSignal::new(None::<AppError>);
    let pick = move |ev: leptos::ev::Event| {
        let to = event_target_value(&ev).parse::<i64>().ok().map(EmployeeId);
        leptos::task::spawn_local(async move {
            match assign_conversation(id, to).await {
                Ok(()) => {
                    error.set(None);
                    on_change.run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let options = move || {
        let current = current.get();
        let mut list = choices.get();
        if let Some(a) = &current {
            if !list.iter().any(|c| c.id == a.id) {
                list.insert(0, a.clone());
            }
        }
        let chosen = current.map(|a| a.id);
        list.into_iter()
            .map(|a| {
                view! { <option value=a.id.0.to_string() selected=chosen == Some(a.id)>{a.name}</option> }
            })
            .collect_view()
    };
    view! {
        <label class="assignee-picker" title=move || t_string!(i18n, inbox.assignee_title)>
            <span class="assignee-label">{t!(i18n, inbox.assigned_to)}</span>
            <select data-testid="assignee" on:change=pick
                prop:value=move || current.get().map(|a| a.id.0.to_string()).unwrap_or_default()>
                <option value="" selected=move || current.get().is_none()>{t!(i18n, inbox.nobody)}</option>
                {options}
            </select>
        </label>
        {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
    }
}
