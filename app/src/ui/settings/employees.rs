//! Settings › Employees: add, rename, change role, deactivate, reset password (which
//! revokes their API tokens unless kept), and everyone's API tokens.

use super::{run_change, use_team, ChangeOutcome, ChangeStatus, Sentence};
use crate::employees::{
    create_employee, reset_password, set_employee_active, update_employee, TeamMember,
};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::ids::{ChannelId, RoleId};
use leptos::prelude::*;

#[component]
pub fn EmployeeSettings() -> impl IntoView {
    let (_, team) = use_team();
    let i18n = use_i18n();
    view! {
        <section class="settings-section">
            <h2>{t!(i18n, settings.tab_employees)}</h2>
            <ChangeStatus/>
            <table class="settings-table" data-testid="employees">
                <thead><tr>
                    <th>{t!(i18n, settings.name)}</th>
                    <th>{t!(i18n, settings.email)}</th>
                    <th>{t!(i18n, settings.role)}</th>
                    <th>{t!(i18n, settings.channels)}</th>
                    <th>{t!(i18n, settings.status)}</th>
                    <th></th>
                </tr></thead>
                <tbody>
                    <For each=move || team.get().employees key=|e| (e.id, e.name.clone(), e.role_id, e.active, e.channel_ids.len()) let:member>
                        <EmployeeRow member=member/>
                    </For>
                </tbody>
            </table>
            <AddEmployee/>
        </section>
        <super::tokens::TeamTokens/>
    }
}

#[component]
fn EmployeeRow(member: TeamMember) -> impl IntoView {
    let (data, team) = use_team();
    let i18n = use_i18n();
    let id = member.id;
    let name = RwSignal::new(member.name.clone());
    let role = RwSignal::new(member.role_id);
    let new_password = RwSignal::new(String::new());
    let keep_tokens = RwSignal::new(false);
    let active = member.active;
    let save = move |_| {
        run_change(
            data,
            |l| td_string!(l, settings.saved),
            update_employee(id, name.get_untracked(), role.get_untracked()),
        );
    };
    let toggle_active = move |_| {
        let done: Sentence = if active {
            |l| td_string!(l, settings.deactivated_done)
        } else {
            |l| td_string!(l, settings.reactivated_done)
        };
        run_change(data, done, set_employee_active(id, !active));
    };
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let keep = keep_tokens.get_untracked();
        let done: Sentence = if keep {
            |l| td_string!(l, settings.password_changed)
        } else {
            |l| td_string!(l, settings.password_changed_tokens_revoked)
        };
        run_change(
            data,
            done,
            reset_password(id, new_password.get_untracked(), keep),
        );
        new_password.set(String::new());
        keep_tokens.set(false);
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
            t_string!(i18n, settings.channels_none).to_owned()
        } else {
            names.join(", ")
        }
    };
    view! {
        <tr class:inactive=!active data-employee=member.email.clone()>
            <td><input aria-label=move || t_string!(i18n, settings.name) prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></td>
            <td>{member.email.clone()}</td>
            <td>
                <select aria-label=move || t_string!(i18n, settings.role) on:change=move |ev| {
                    if let Ok(r) = event_target_value(&ev).parse::<i64>() { role.set(RoleId(r)) }
                }>
                    {move || team.get().roles.into_iter().map(|r| view! {
                        <option value=r.id.0.to_string() selected=r.id == role.get_untracked()>{r.name}</option>
                    }).collect_view()}
                </select>
            </td>
            <td class="meta">{channel_names}</td>
            <td>{move || if active { t_string!(i18n, settings.employee_active) } else { t_string!(i18n, settings.employee_deactivated) }}</td>
            <td class="row-actions">
                <button class="button" on:click=save>{t!(i18n, settings.save)}</button>
                <button class="button" on:click=toggle_active>{move || if active { t_string!(i18n, settings.deactivate) } else { t_string!(i18n, settings.reactivate) }}</button>
                <form class="inline-form" on:submit=set_password>
                    <input type="password" aria-label=move || t_string!(i18n, settings.new_password) placeholder=move || t_string!(i18n, settings.new_password) autocomplete="new-password"
                        prop:value=move || new_password.get() on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || keep_tokens.get() on:change=move |ev| keep_tokens.set(event_target_checked(&ev))/>
                        {t!(i18n, settings.keep_api_tokens)}
                    </label>
                    <button class="button" type="submit">{t!(i18n, settings.reset_password)}</button>
                </form>
            </td>
        </tr>
    }
}

#[component]
fn AddEmployee() -> impl IntoView {
    let (data, team) = use_team();
    let i18n = use_i18n();
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
            status.set(Some(ChangeOutcome::Refused(|l| {
                td_string!(l, settings.create_role_first)
            })));
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
                    status.set(Some(ChangeOutcome::Done(|l| {
                        td_string!(l, settings.employee_added)
                    })));
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    channels.set(Vec::new());
                    data.refresh();
                }
                Err(err) => status.set(Some(ChangeOutcome::Failed(err))),
            }
        });
    };
    view! {
        <form class="card settings-form" on:submit=submit data-testid="add-employee">
            <h3>{t!(i18n, settings.add_employee_heading)}</h3>
            <label>{t!(i18n, settings.name)}<input required maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, settings.email)}<input type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, settings.password_min)}<input type="password" required minlength="10" autocomplete="new-password"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, settings.role)}
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
                <legend>{t!(i18n, settings.employee_channels)}</legend>
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
            <button class="button primary" type="submit">{t!(i18n, settings.add_employee)}</button>
        </form>
    }
}
