//! Settings › Roles: what each role may do. The owner role always keeps Settings and
//! Conversations.

use super::{run_change, use_team, ChangeStatus};
use crate::employees::{save_role, Permission, Role};
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::locale::{fill, format_integer};
use leptos::prelude::*;

/// A permission's name, as the Roles page shows it.
fn permission_label(locale: Locale, permission: Permission) -> &'static str {
    match permission {
        Permission::Conversations => td_string!(locale, settings.permission_conversations),
        Permission::Settings => td_string!(locale, settings.permission_settings),
        Permission::Documents => td_string!(locale, settings.permission_documents),
    }
}

/// What a permission allows, after its name.
fn permission_description(locale: Locale, permission: Permission) -> &'static str {
    match permission {
        Permission::Conversations => {
            td_string!(locale, settings.permission_conversations_describe)
        }
        Permission::Settings => td_string!(locale, settings.permission_settings_describe),
        Permission::Documents => td_string!(locale, settings.permission_documents_describe),
    }
}

#[component]
pub fn RoleSettings() -> impl IntoView {
    let (_, team) = use_team();
    let i18n = use_i18n();
    view! {
        <section class="settings-section">
            <h2>{t!(i18n, settings.tab_roles)}</h2>
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
    let i18n = use_i18n();
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
        run_change(data, |l| td_string!(l, settings.role_saved), async move {
            change.await.map(|_| ())
        });
        if id.is_none() {
            name.set(String::new());
            permissions.set(Vec::new());
        }
    };
    view! {
        <form class="card settings-form" on:submit=submit data-role=move || name.get()>
            <h3>{move || if id.is_some() { t_string!(i18n, settings.role) } else { t_string!(i18n, settings.new_role) }}
                {is_owner.then(|| view! { <span class="tag">{t!(i18n, settings.owner_tag)}</span> })}
                {count.map(|n| view! { <span class="meta">{move || {
                    let locale = i18n.get_locale();
                    fill(td_string!(locale, settings.role_active_count), &[("count", &format_integer(locale, n))])
                }}</span> })}
            </h3>
            <label>{t!(i18n, settings.name)}<input required maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <fieldset>
                <legend>{t!(i18n, settings.role_may)}</legend>
                {Permission::ALL.into_iter().map(|p| view! {
                    <label class="check">
                        <input type="checkbox" name=p.as_str()
                            prop:checked=move || permissions.with(|list| list.contains(&p))
                            disabled=is_owner && matches!(p, Permission::Settings | Permission::Conversations)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                permissions.update(|list| { list.retain(|x| *x != p); if on { list.push(p) } });
                            }/>
                        <strong>{move || permission_label(i18n.get_locale(), p)}</strong>" — "{move || permission_description(i18n.get_locale(), p)}
                    </label>
                }).collect_view()}
            </fieldset>
            <button class="button primary" type="submit">{move || if id.is_some() { t_string!(i18n, settings.save_role) } else { t_string!(i18n, settings.add_role) }}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_labels_match_the_employees_module() {
        for permission in Permission::ALL {
            assert_eq!(permission_label(Locale::en, permission), permission.label());
            assert_eq!(
                permission_description(Locale::en, permission),
                permission.describe()
            );
            assert_ne!(
                permission_description(Locale::pt_BR, permission),
                permission.describe()
            );
        }
    }
}
