//! Settings › Employees: add, rename, change role, deactivate, reset password.

use super::{run_change, use_team, ChangeStatus};
use crate::employees::{
    create_employee, reset_password, set_employee_active, update_employee, TeamMember,
};
use crate::ids::{ChannelId, RoleId};
use leptos::prelude::*;

#[component]
pub fn EmployeeSettings() -> impl IntoView {
    let (_, team) = use_team();
    view! {
        <section class="settings-section">
            <h2>"Employees"</h2>
            <ChangeStatus/>
            <table class="settings-table" data-testid="employees">
                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Channels"</th><th>"Status"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || team.get().employees key=|e| (e.id, e.name.clone(), e.role_id, e.active, e.channel_ids.len()) let:member>
                        <EmployeeRow member=member/>
                    </For>
                </tbody>
            </table>
            <AddEmployee/>
        </section>
    }
}

#[component]
fn EmployeeRow(member: TeamMember) -> impl IntoView {
    let (data, team) = use_team();
    let id = member.id;
    let name = RwSignal::new(member.name.clone());
    let role = RwSignal::new(member.role_id);
    let new_password = RwSignal::new(String::new());
    let active = member.active;
    let save = move |_| {
        run_change(
            data,
            "Saved.",
            update_employee(id, name.get_untracked(), role.get_untracked()),
        );
    };
    let toggle_active = move |_| {
        let done = if active {
            "Deactivated: their sessions have ended."
        } else {
            "Reactivated."
        };
        run_change(data, done, set_employee_active(id, !active));
    };
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            "Password changed; their other sessions have ended.",
            reset_password(id, new_password.get_untracked()),
        );
        new_password.set(String::new());
    };
    let channel_names = move || {
        let t = team.get();
        let names: Vec<String> = t
            .channels
            .iter()
            .filter(|c| member.channel_ids.contains(&c.channel.id))
            .map(|c| c.channel.display_name.clone())
            .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    view! {
        <tr class:inactive=!active data-employee=member.email.clone()>
            <td><input aria-label="Name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></td>
            <td>{member.email.clone()}</td>
            <td>
                <select aria-label="Role" on:change=move |ev| {
                    if let Ok(r) = event_target_value(&ev).parse::<i64>() { role.set(RoleId(r)) }
                }>
                    {move || team.get().roles.into_iter().map(|r| view! {
                        <option value=r.id.0.to_string() selected=r.id == role.get_untracked()>{r.name}</option>
                    }).collect_view()}
                </select>
            </td>
            <td class="meta">{channel_names}</td>
            <td>{if active { "Active" } else { "Deactivated" }}</td>
            <td class="row-actions">
                <button class="button" on:click=save>"Save"</button>
                <button class="button" on:click=toggle_active>{if active { "Deactivate" } else { "Reactivate" }}</button>
                <form class="inline-form" on:submit=set_password>
                    <input type="password" aria-label="New password" placeholder="New password" autocomplete="new-password"
                        prop:value=move || new_password.get() on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    <button class="button" type="submit">"Reset password"</button>
                </form>
            </td>
        </tr>
    }
}

#[component]
fn AddEmployee() -> impl IntoView {
    let (data, team) = use_team();
    let status = data.status;
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(None::<RoleId>);
    let channels = RwSignal::new(Vec::<ChannelId>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(role_id) = role
            .get_untracked()
            .or_else(|| team.get_untracked().roles.last().map(|r| r.id))
        else {
            status.set(Some(Err("Create a role first.".into())));
            return;
        };
        let change = create_employee(
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
            role_id,
            channels.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match change.await {
                Ok(_) => {
                    status.set(Some(Ok(
                        "Employee added. Share their email and password with them.".into(),
                    )));
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    channels.set(Vec::new());
                    data.refresh();
                }
                Err(err) => status.set(Some(Err(err.to_string()))),
            }
        });
    };
    view! {
        <form class="card settings-form" on:submit=submit data-testid="add-employee">
            <h3>"Add an employee"</h3>
            <label>"Name"<input required maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label>"Email"<input type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/></label>
            <label>"Password (at least 10 characters)"<input type="password" required minlength="10" autocomplete="new-password"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
            <label>"Role"
                <select on:change=move |ev| role.set(event_target_value(&ev).parse::<i64>().ok().map(RoleId))>
                    {move || {
                        let roles = team.get().roles;
                        let default = roles.last().map(|r| r.id);
                        roles.into_iter().map(|r| view! {
                            <option value=r.id.0.to_string() selected=Some(r.id) == role.get_untracked().or(default)>{r.name}</option>
                        }).collect_view()
                    }}
                </select>
            </label>
            <fieldset>
                <legend>"Channels they may use"</legend>
                {move || team.get().channels.into_iter().map(|c| {
                    let id = c.channel.id;
                    view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=move || channels.with(|list| list.contains(&id))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    channels.update(|list| { list.retain(|c| *c != id); if on { list.push(id) } });
                                }/>
                            {c.channel.display_name}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <button class="button primary" type="submit">"Add employee"</button>
        </form>
    }
}
