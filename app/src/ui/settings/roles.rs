//! Settings › Roles: what each role may do. The owner role always keeps Settings and
//! Conversations.

use super::{run_change, use_team, ChangeStatus};
use crate::employees::{save_role, Permission, Role};
use leptos::prelude::*;

#[component]
pub fn RoleSettings() -> impl IntoView {
    let (_, team) = use_team();
    view! {
        <section class="settings-section">
            <h2>"Roles"</h2>
            <ChangeStatus/>
            <div class="role-list">
                <For each=move || team.get().roles key=|r| (r.id, r.name.clone(), r.permissions.clone(), r.employee_count) let:role>
                    <RoleCard role=Some(role)/>
                </For>
                <RoleCard role=None/>
            </div>
        </section>
    }
}

#[component]
fn RoleCard(role: Option<Role>) -> impl IntoView {
    let (data, _) = use_team();
    let id = role.as_ref().map(|r| r.id);
    let is_owner = role.as_ref().is_some_and(|r| r.is_owner);
    let name = RwSignal::new(role.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let permissions = RwSignal::new(
        role.as_ref()
            .map(|r| r.permissions.clone())
            .unwrap_or_default(),
    );
    let count = role.as_ref().map(|r| r.employee_count);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = save_role(id, name.get_untracked(), permissions.get_untracked());
        run_change(data, "Role saved.", async move { change.await.map(|_| ()) });
        if id.is_none() {
            name.set(String::new());
            permissions.set(Vec::new());
        }
    };
    view! {
        <form class="card settings-form" on:submit=submit data-role=move || name.get()>
            <h3>{if id.is_some() { "Role" } else { "New role" }}
                {is_owner.then(|| view! { <span class="tag">"owner"</span> })}
                {count.map(|n| view! { <span class="meta">{format!(" · {n} active")}</span> })}
            </h3>
            <label>"Name"<input required maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <fieldset>
                <legend>"May"</legend>
                {Permission::ALL.into_iter().map(|p| view! {
                    <label class="check">
                        <input type="checkbox" name=p.as_str()
                            prop:checked=move || permissions.with(|list| list.contains(&p))
                            disabled=is_owner && matches!(p, Permission::Settings | Permission::Conversations)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                permissions.update(|list| { list.retain(|x| *x != p); if on { list.push(p) } });
                            }/>
                        <strong>{p.label()}</strong>" — "{p.describe()}
                    </label>
                }).collect_view()}
            </fieldset>
            <button class="button primary" type="submit">{if id.is_some() { "Save role" } else { "Add role" }}</button>
        </form>
    }
}
