//! The employee area's frame: the menu (a side menu, or a bottom bar on a phone, with the
//! Conversations red dot) and the page.

use crate::auth::{current_employee, Logout};
use crate::conversations::{get_inbox_attention, InboxAttention};
use crate::employees::Permission;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::locale::{error_text, fill};
use crate::ui::icons::{Icon, IconName};
use crate::ui::live::{provide_live, use_live};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

#[component]
pub fn EmployeeArea() -> impl IntoView {
    provide_live();
    crate::ui::phone::provide_phone_cards();
    crate::ui::phone::provide_chat_modal();
    let employee = Resource::new(|| (), |_| current_employee());
    // Who is signed in, for views that tell their own acts from colleagues' (read once
    // the page is live: the resource stays inside Transitions elsewhere).
    provide_context(Me(Signal::derive(move || {
        employee
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .map(|e| (e.id, e.name))
    })));
    let me = use_me();
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
            .and_then(|tag| crate::locale::parse_tag(&tag));
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
            <crate::ui::notify::TeamNotice me=Signal::derive(move || me.get().map(|(id, _)| id))/>
        </div>
    }
}

/// The signed-in employee's id and name (`None` until known).
#[derive(Clone, Copy)]
pub struct Me(pub Signal<Option<(crate::ids::EmployeeId, String)>>);

pub fn use_me() -> Signal<Option<(crate::ids::EmployeeId, String)>> {
    use_context::<Me>()
        .map(|me| me.0)
        .unwrap_or_else(|| Signal::derive(|| None))
}

/// A page of the menu, in the menu's order (top to bottom on a desktop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destination {
    Conversations,
    Clients,
    Calls,
    Leads,
    Estimates,
    Orders,
    Invoices,
    Settings,
}

impl Destination {
    const ALL: [Destination; 8] = [
        Destination::Conversations,
        Destination::Clients,
        Destination::Calls,
        Destination::Leads,
        Destination::Estimates,
        Destination::Orders,
        Destination::Invoices,
        Destination::Settings,
    ];

    fn href(self) -> &'static str {
        match self {
            Destination::Conversations => "/conversations",
            Destination::Clients => "/clients",
            Destination::Calls => "/calls",
            Destination::Leads => "/leads",
            Destination::Estimates => "/estimates",
            Destination::Orders => "/orders",
            Destination::Invoices => "/invoices",
            Destination::Settings => "/settings/employees",
        }
    }

    /// Whether a path is one of this item's pages ("/clients/7" is under Clients,
    /// "/settings/roles" under Settings).
    fn contains(self, path: &str) -> bool {
        let section = match self {
            Destination::Settings => "/settings",
            other => other.href(),
        };
        path == section || path.starts_with(&format!("{section}/"))
    }

    fn permission(self) -> Permission {
        match self {
            Destination::Conversations => Permission::Conversations,
            Destination::Settings => Permission::Settings,
            _ => Permission::Documents,
        }
    }

    fn icon(self) -> IconName {
        match self {
            Destination::Conversations => IconName::Conversations,
            Destination::Clients => IconName::Clients,
            Destination::Calls => IconName::Calls,
            Destination::Leads => IconName::Leads,
            Destination::Estimates => IconName::Estimates,
            Destination::Orders => IconName::Orders,
            Destination::Invoices => IconName::Invoices,
            Destination::Settings => IconName::Settings,
        }
    }

    fn label(self, locale: Locale) -> &'static str {
        match self {
            Destination::Conversations => td_string!(locale, common.menu_conversations),
            Destination::Clients => td_string!(locale, common.menu_clients),
            Destination::Calls => td_string!(locale, common.menu_calls),
            Destination::Leads => td_string!(locale, common.menu_leads),
            Destination::Estimates => td_string!(locale, common.menu_estimates),
            Destination::Orders => td_string!(locale, common.menu_orders),
            Destination::Invoices => td_string!(locale, common.menu_invoices),
            Destination::Settings => td_string!(locale, common.menu_settings),
        }
    }
}

/// The pages of a phone's bottom bar, what a counter uses all day (as far as the role
/// allows); "More" follows them and holds the rest, so the bar never has more than five
/// items.
const PHONE_BAR: [Destination; 3] = [
    Destination::Conversations,
    Destination::Clients,
    Destination::Calls,
];

/// The pages an employee may open, split for a phone: those of the bottom bar and those
/// under "More", each in the menu's order.
fn phone_menu(allowed: impl Fn(Permission) -> bool) -> (Vec<Destination>, Vec<Destination>) {
    Destination::ALL
        .into_iter()
        .filter(|d| allowed(d.permission()))
        .partition(|d| PHONE_BAR.contains(d))
}

/// One page of the menu: its icon and its name (on a tablet the name is for screen
/// readers only; on a phone's bar and on a desktop it shows).
#[component]
fn MenuLink(
    destination: Destination,
    /// Called on a tap, before the navigation (the More sheet closes).
    on_open: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let location = use_location();
    let i18n = use_i18n();
    let active = move || destination.contains(&location.pathname.get());
    view! {
        <a href=destination.href() class="menu-item" class:active=active aria-current=move || active().then_some("page")
            on:click=move |_| on_open.run(())>
            <Icon name=destination.icon()/>
            <span class="menu-label">{move || destination.label(i18n.get_locale())}</span>
            {children.map(|c| c())}
        </a>
    }
}

/// The employee's menu: a side menu on a desktop (icons and names; icons alone on a
/// tablet), a bottom bar on a phone. The bar holds Conversations (with its red dot) and
/// the pages used most; "More" opens a sheet over the page with the others, the
/// sandbox, the profile and signing out. On a desktop the sheet's content is simply the
/// rest of the side menu (`display: contents`), so each link exists once.
#[component]
fn SideMenu(attention: Resource<Result<InboxAttention, crate::error::AppError>>) -> impl IntoView {
    let employee = Resource::new(|| (), |_| current_employee());
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    let i18n = use_i18n();
    let more_open = RwSignal::new(false);
    let more_button = NodeRef::<leptos::html::Button>::new();
    let close_more = Callback::new(move |()| more_open.set(false));
    // A page opened from the sheet (or by any other link, or Back) closes it.
    Effect::new(move |_| {
        location.pathname.track();
        more_open.set(false);
    });
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" && more_open.get_untracked() {
                more_open.set(false);
                if let Some(button) = more_button.get_untracked() {
                    let _ = button.focus();
                }
            }
        });
        on_cleanup(move || handle.remove());
    }
    let pages = move || {
        let employee = employee.get().and_then(|r| r.ok()).flatten();
        employee.map(|e| phone_menu(|p| e.can(p)))
    };
    let in_profile = move || location.pathname.get() == "/profile";
    // "More" shows as current when the page is one of its own.
    let in_more = move || {
        let path = location.pathname.get();
        !PHONE_BAR.iter().any(|d| d.contains(&path))
    };
    view! {
        <nav class="side-menu" aria-label=move || t_string!(i18n, common.main_menu)>
            <a class="brand" href="/conversations">
                <span class="brand-mark" aria-hidden="true">"C"</span>
                <span class="menu-label">"Confab"</span>
            </a>
            <Transition fallback=|| ()>
                {move || pages().map(|(bar, _)| {
                    // Read here, in the same Transition, so server and browser agree on the markup.
                    let needs_attention = attention.get().and_then(|r| r.ok()).unwrap_or_default().needs_attention;
                    bar.into_iter().map(|destination| {
                        let dot = (destination == Destination::Conversations && needs_attention).then(|| view! {
                            <span class="red-dot" data-testid="red-dot" title=move || t_string!(i18n, common.menu_attention)>
                                <span class="visually-hidden">{t!(i18n, common.menu_attention)}</span>
                            </span>
                        });
                        view! { <MenuLink destination on_open=close_more>{dot}</MenuLink> }
                    }).collect_view()
                })}
            </Transition>
            <button type="button" class="menu-item menu-more-button" node_ref=more_button
                class:active=in_more aria-expanded=move || if more_open.get() { "true" } else { "false" }
                aria-controls="menu-more" on:click=move |_| more_open.update(|open| *open = !*open)>
                <Icon name=IconName::More/>
                <span class="menu-label">{t!(i18n, common.menu_more)}</span>
            </button>
            <Show when=move || more_open.get()>
                <div class="menu-backdrop" on:click=move |_| more_open.set(false)></div>
            </Show>
            <div id="menu-more" class="menu-more" class:open=move || more_open.get() data-testid="menu-more">
                <Transition fallback=|| ()>
                    {move || pages().map(|(_, more)| more.into_iter().map(|destination| view! {
                        <MenuLink destination on_open=close_more/>
                    }).collect_view())}
                </Transition>
                <a href="/sandbox" target="_blank" class="menu-item" on:click=move |_| more_open.set(false)>
                    <Icon name=IconName::Sandbox/>
                    <span class="menu-label">{t!(i18n, common.menu_sandbox)}</span>
                </a>
                <div class="menu-spacer"></div>
                <Transition fallback=|| ()>
                    {move || employee.get().and_then(|r| r.ok()).flatten().map(|e| view! {
                        <a class="menu-employee" href="/profile" class:active=in_profile aria-current=move || in_profile().then_some("page")
                            title=move || fill(td_string!(i18n.get_locale(), common.menu_profile_title), &[("email", &e.email)])>
                            <span class="avatar small" aria-hidden="true">{crate::ui::text::initials(&e.name)}</span>
                            <span class="menu-label">{e.name.clone()}<br/><small>{e.role.clone()}</small></span>
                        </a>
                    })}
                </Transition>
                <ActionForm action=logout attr:class="menu-logout">
                    <button type="submit" class="menu-item">
                        <Icon name=IconName::SignOut/>
                        <span class="menu-label">{t!(i18n, common.sign_out)}</span>
                    </button>
                </ActionForm>
            </div>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_reaches_every_page_from_a_bar_of_at_most_five() {
        for permissions in 0..(1 << Permission::ALL.len()) {
            let allowed = |p: Permission| {
                let bit = Permission::ALL.iter().position(|&q| q == p).unwrap();
                permissions & (1 << bit) != 0
            };
            let (bar, more) = phone_menu(allowed);
            // The bar's pages, then "More" (which also holds the profile and signing out).
            let bar_items = bar.len() + 1;
            assert!(bar_items <= 5, "{bar:?}");
            if allowed(Permission::Conversations) {
                assert_eq!(bar.first(), Some(&Destination::Conversations));
            }
            let mut reachable: Vec<_> = bar.iter().chain(&more).copied().collect();
            let expected: Vec<_> = Destination::ALL
                .into_iter()
                .filter(|d| allowed(d.permission()))
                .collect();
            assert_eq!(reachable.len(), expected.len(), "each page once");
            reachable.sort_by_key(|d| Destination::ALL.iter().position(|x| x == d));
            assert_eq!(reachable, expected);
        }
    }

    #[test]
    fn an_item_is_current_on_its_own_pages_only() {
        assert!(Destination::Clients.contains("/clients"));
        assert!(Destination::Clients.contains("/clients/7"));
        assert!(!Destination::Clients.contains("/calls"));
        assert!(Destination::Settings.contains("/settings/roles"));
        assert!(Destination::Conversations.contains("/conversations/12"));
        assert!(!Destination::Leads.contains("/leadsx"));
    }

    #[test]
    fn every_page_has_an_icon_of_its_own_and_a_name_in_each_language() {
        for (i, a) in Destination::ALL.iter().enumerate() {
            for b in &Destination::ALL[i + 1..] {
                assert_ne!(a.icon(), b.icon());
            }
            for locale in crate::locale::LOCALES {
                assert!(!a.label(locale).is_empty());
            }
        }
    }
}
