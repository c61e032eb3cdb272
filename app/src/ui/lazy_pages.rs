//! The pages whose code the browser loads when it first needs them. The inbox is what an
//! employee opens all day, so its code comes with the first download; these pages (CRM,
//! settings, profile, tokens, the sandbox) are split off the Wasm by `cargo leptos --split`
//! into chunks of their own, fetched on the first visit (and preloaded with the page when
//! it is the one the server renders). The server renders them as any other page.
//!
//! Each is a `LazyRoute` with no data of its own: the pages load their data themselves, as
//! they do when eager, and their code is small next to the round trip.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// The sandbox's lead chat.
pub struct SandboxRoute;

#[lazy_route]
impl LazyRoute for SandboxRoute {
    fn data() -> Self {
        SandboxRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::sandbox::SandboxPage/> }.into_any()
    }
}

/// The employee's profile.
pub struct ProfileRoute;

#[lazy_route]
impl LazyRoute for ProfileRoute {
    fn data() -> Self {
        ProfileRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::profile::ProfilePage/> }.into_any()
    }
}

/// API tokens.
pub struct TokensRoute;

#[lazy_route]
impl LazyRoute for TokensRoute {
    fn data() -> Self {
        TokensRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::tokens::TokensPage/> }.into_any()
    }
}

/// The client list.
pub struct ClientsRoute;

#[lazy_route]
impl LazyRoute for ClientsRoute {
    fn data() -> Self {
        ClientsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::ClientsPage/> }.into_any()
    }
}

/// One client.
pub struct ClientRoute;

#[lazy_route]
impl LazyRoute for ClientRoute {
    fn data() -> Self {
        ClientRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::ClientPage/> }.into_any()
    }
}

/// Leads.
pub struct LeadsRoute;

#[lazy_route]
impl LazyRoute for LeadsRoute {
    fn data() -> Self {
        LeadsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Lead/> }
            .into_any()
    }
}

/// Estimates.
pub struct EstimatesRoute;

#[lazy_route]
impl LazyRoute for EstimatesRoute {
    fn data() -> Self {
        EstimatesRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Estimate/> }
            .into_any()
    }
}

/// Orders.
pub struct OrdersRoute;

#[lazy_route]
impl LazyRoute for OrdersRoute {
    fn data() -> Self {
        OrdersRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Order/> }
            .into_any()
    }
}

/// Invoices.
pub struct InvoicesRoute;

#[lazy_route]
impl LazyRoute for InvoicesRoute {
    fn data() -> Self {
        InvoicesRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Invoice/> }
            .into_any()
    }
}

/// One document.
pub struct DocumentRoute;

#[lazy_route]
impl LazyRoute for DocumentRoute {
    fn data() -> Self {
        DocumentRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::DocumentPage/> }.into_any()
    }
}

/// The call log.
pub struct CallsRoute;

#[lazy_route]
impl LazyRoute for CallsRoute {
    fn data() -> Self {
        CallsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::crm::CallsPage/> }.into_any()
    }
}

/// The settings' frame.
pub struct SettingsRoute;

#[lazy_route]
impl LazyRoute for SettingsRoute {
    fn data() -> Self {
        SettingsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::settings::SettingsPage/> }.into_any()
    }
}

/// Employee settings.
pub struct EmployeeSettingsRoute;

#[lazy_route]
impl LazyRoute for EmployeeSettingsRoute {
    fn data() -> Self {
        EmployeeSettingsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::settings::EmployeeSettings/> }.into_any()
    }
}

/// Role settings.
pub struct RoleSettingsRoute;

#[lazy_route]
impl LazyRoute for RoleSettingsRoute {
    fn data() -> Self {
        RoleSettingsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::settings::RoleSettings/> }.into_any()
    }
}

/// Channel settings.
pub struct ChannelSettingsRoute;

#[lazy_route]
impl LazyRoute for ChannelSettingsRoute {
    fn data() -> Self {
        ChannelSettingsRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::ui::settings::ChannelSettings/> }.into_any()
    }
}
