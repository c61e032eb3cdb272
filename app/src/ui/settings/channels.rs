//! Settings › Conversations: the channels, and who may use each.

use super::{run_change, use_team, ChangeStatus};
use crate::employees::{create_sandbox_channel, set_channel_access, ChannelAccess};
use crate::ids::EmployeeId;
use leptos::prelude::*;

#[component]
pub fn ChannelSettings() -> impl IntoView {
    let (data, team) = use_team();
    let new_name = RwSignal::new(String::new());
    // A new channel starts with every active employee ticked; untick before adding.
    let new_access = RwSignal::new(Vec::<EmployeeId>::new());
    let everyone = move || {
        team.with(|t| {
            t.employees
                .iter()
                .filter(|e| e.active)
                .map(|e| e.id)
                .collect::<Vec<_>>()
        })
    };
    Effect::new(move |_| new_access.set(everyone()));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = create_sandbox_channel(new_name.get_untracked(), new_access.get_untracked());
        run_change(data, "Sandbox channel added.", async move {
            change.await.map(|_| ())
        });
        new_name.set(String::new());
        new_access.set(everyone());
    };
    view! {
        <section class="settings-section">
            <h2>"Channels and who may use them"</h2>
            <p class="meta">"An employee sees a channel's conversations, live events and files only when ticked here."</p>
            <ChangeStatus/>
            <For each=move || team.get().channels key=|c| (c.channel.id, c.employee_ids.clone()) let:access>
                <ChannelCard access=access/>
            </For>
            <form class="card settings-form" on:submit=add>
                <h3>"Add a sandbox channel"</h3>
                <p class="meta">"A simulated page for trying Confab: leads write to it from /sandbox."</p>
                <label>"Name"<input required maxlength="80" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/></label>
                <EmployeePicker chosen=new_access/>
                <button class="button primary" type="submit">"Add channel"</button>
            </form>
        </section>
    }
}

#[component]
fn ChannelCard(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let channel = access.channel.clone();
    let chosen = RwSignal::new(access.employee_ids.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            "Access saved; it applies at once.",
            set_channel_access(channel.id, chosen.get_untracked()),
        );
    };
    view! {
        <form class="card settings-form" on:submit=save data-channel=access.channel.display_name.clone()>
            <h3>
                <span class=format!("channel-badge channel-{}", access.channel.kind.as_str())>{access.channel.kind.short_label()}</span>
                " "{access.channel.display_name.clone()}
                <span class="meta">" · "{access.channel.kind.label()}</span>
            </h3>
            <EmployeePicker chosen=chosen/>
            <button class="button primary" type="submit">"Save access"</button>
        </form>
    }
}

/// Ticks for the active employees: who may use a channel.
#[component]
fn EmployeePicker(chosen: RwSignal<Vec<EmployeeId>>) -> impl IntoView {
    let (_, team) = use_team();
    view! {
        <fieldset>
            <legend>"Who may use it"</legend>
            {move || team.get().employees.into_iter().filter(|e| e.active).map(|e| {
                let id = e.id;
                view! {
                    <label class="check">
                        <input type="checkbox" name=e.email.clone() prop:checked=move || chosen.with(|l| l.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|l| { l.retain(|x| *x != id); if on { l.push(id) } });
                            }/>
                        {e.name}" "<span class="meta">{e.email}</span>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}
