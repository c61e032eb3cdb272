//! The employee area's frame: the side menu (with the Conversations red dot) and the page.

use crate::auth::{current_employee, Logout};
use crate::conversations::{get_inbox_attention, InboxAttention};
use crate::employees::Permission;
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::ui::live::{provide_live, use_live};
use crate::ui::locale::{error_text, fill};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

#[component]
pub fn EmployeeArea() -> impl IntoView {
    provide_live();
    crate::ui::phone::provide_phone_cards();
    crate::ui::phone::provide_chat_modal();
    let employee = Resource::new(|| (), |_| current_employee());
    let i18n = use_i18n();
    let live = use_live();
    // One request per live event feeds both the red dot and the tab title.
    let attention = Resource::new(move || live.version.get(), |_| get_inbox_attention());
    // The title is the document's, not part of the hydrated markup: it follows the count
    // once the page is live (reading the resource earlier would be outside any Suspense).
    let mounted = crate::ui::time::use_mounted();
    let attention_now = Signal::derive(move || {
        mounted
            .get()
            .then(|| attention.get().and_then(|r| r.ok()))
            .flatten()
            .unwrap_or_default()
    });
    #[cfg(feature = "hydrate")]
    crate::ui::notify::watch_new_messages(live, i18n);
    // The profile's language wins: sign-in sets its cookie, but the page after sign-in
    // comes by client-side navigation, with the language the login page had.
    Effect::new(move |_| {
        let wanted = employee
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .and_then(|e| e.locale)
            .and_then(|tag| crate::ui::locale::parse_tag(&tag));
        if let Some(locale) = wanted {
            if i18n.get_locale_untracked() != locale {
                i18n.set_locale(locale);
            }
        }
    });
    view! {
        <crate::ui::notify::UnreadTitle attention=attention_now/>
        <div class="app">
            <SideMenu attention/>
            <div class="app-main">
                <Transition fallback=|| ()>
                    {move || employee.get().map(|result| match result {
                        Ok(Some(_)) => ().into_any(),
                        Ok(None) => view! { <leptos_router::components::Redirect path="/login"/> }.into_any(),
                        Err(err) => view! { <p class="banner banner-error">{error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    })}
                </Transition>
                <Outlet/>
            </div>
            <crate::ui::phone::ChatModalHost/>
        </div>
    }
}

/// A menu entry's label in a language.
type MenuLabel = fn(crate::i18n::Locale) -> &'static str;

#[component]
fn SideMenu(attention: Resource<Result<InboxAttention, crate::error::AppError>>) -> impl IntoView {
    let employee = Resource::new(|| (), |_| current_employee());
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    let in_conversations = move || location.pathname.get().starts_with("/conversations");
    let in_settings = move || location.pathname.get().starts_with("/settings");
    let i18n = use_i18n();
    view! {
        <nav class="side-menu" aria-label=move || t_string!(i18n, common.main_menu)>
            <a class="brand" href="/conversations">
                <span class="brand-mark" aria-hidden="true">"C"</span>
                <span class="menu-label">"Confab"</span>
            </a>
            <Transition fallback=|| ()>
            {move || employee.get().and_then(|r| r.ok()).flatten().map(|e| {
                // Read here, in the same Transition, so server and browser agree on the markup.
                let needs_attention = attention.get().and_then(|r| r.ok()).unwrap_or_default().needs_attention;
                let conversations = e.can(Permission::Conversations).then(|| view! {
            <a href="/conversations" class="menu-item" class:active=in_conversations aria-current=move || in_conversations().then_some("page")>
                        <span class="menu-icon" aria-hidden="true">
                            <svg viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" opacity=".9"/></svg>
                        </span>
                        <span class="menu-label">{t!(i18n, common.menu_conversations)}</span>
                        {needs_attention.then(|| view! {
                            <span class="red-dot" data-testid="red-dot" title=move || t_string!(i18n, common.menu_attention)>
                                <span class="visually-hidden">{t!(i18n, common.menu_attention)}</span>
                            </span>
                        })}
                    </a>
                        });
                let settings = e.can(Permission::Settings).then(|| view! {
                    <a href="/settings/employees" class="menu-item" class:active=in_settings aria-current=move || in_settings().then_some("page")>
                        <span class="menu-icon" aria-hidden="true">
                            <svg viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M19.4 13a7.6 7.6 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.4 7.4 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.4 7.4 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.6 7.6 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.4 7.4 0 0 0 1.7 1L11 21h4l.4-2.9a7.4 7.4 0 0 0 1.7-1l2.5 1 2-3.5zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z"/></svg>
                        </span>
                        <span class="menu-label">{t!(i18n, common.menu_settings)}</span>
                    </a>
                });
                let crm = e.can(Permission::Documents).then(|| {
                    let crm_pages: [(&str, MenuLabel); 6] = [
                        ("/clients", |l| td_string!(l, common.menu_clients)),
                        ("/leads", |l| td_string!(l, common.menu_leads)),
                        ("/estimates", |l| td_string!(l, common.menu_estimates)),
                        ("/orders", |l| td_string!(l, common.menu_orders)),
                        ("/invoices", |l| td_string!(l, common.menu_invoices)),
                        ("/calls", |l| td_string!(l, common.menu_calls)),
                    ];
                    crm_pages
                        .into_iter()
                        .map(|(href, label)| {
                            let active = move || location.pathname.get().starts_with(href);
                            let label = move || label(i18n.get_locale());
                            view! {
                                <a href=href class="menu-item crm-item" class:active=active aria-current=move || active().then_some("page")>
                                    <span class="menu-icon" aria-hidden="true">{move || label().chars().next().unwrap_or(' ').to_string()}</span>
                                    <span class="menu-label">{label}</span>
                                </a>
                            }
                        })
                        .collect_view()
                });
                view! { {conversations} {crm} {settings} }
            })}
            </Transition>
            <a href="/sandbox" target="_blank" class="menu-item">
                <span class="menu-icon" aria-hidden="true">
                    <svg viewBox="0 0 24 24" width="20" height="20"><circle cx="12" cy="8" r="4" fill="currentColor"/><path fill="currentColor" d="M4 21a8 8 0 0 1 16 0z"/></svg>
                </span>
                <span class="menu-label">{t!(i18n, common.menu_sandbox)}</span>
            </a>
            <div class="menu-spacer"></div>
            <Transition fallback=|| ()>
                {move || employee.get().and_then(|r| r.ok()).flatten().map(|e| view! {
                    <a class="menu-employee" href="/profile" title=move || fill(td_string!(i18n.get_locale(), common.menu_profile_title), &[("email", &e.email)])>
                        <span class="avatar small">{crate::ui::text::initials(&e.name)}</span>
                        <span class="menu-label">{e.name.clone()}<br/><small>{e.role.clone()}</small></span>
                    </a>
                })}
            </Transition>
            <ActionForm action=logout attr:class="menu-logout">
                <button type="submit" class="menu-item">
                    <span class="menu-icon" aria-hidden="true">
                        <svg viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M10 3h9a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-9v-2h9V5h-9zM8.6 7.4 10 8.8 7.8 11H16v2H7.8l2.2 2.2-1.4 1.4L4 12z"/></svg>
                    </span>
                    <span class="menu-label">{t!(i18n, common.sign_out)}</span>
                </button>
            </ActionForm>
        </nav>
    }
}
