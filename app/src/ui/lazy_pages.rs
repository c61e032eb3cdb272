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

/// One `LazyRoute` per page: a unit struct whose view is the page. `#[lazy_route]` names
/// each chunk after its struct, so the names stay distinct.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $page:expr;)+) => {$(
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page.into_any()
            }
        }
    )+};
}

lazy_pages! {
    /// The first-run setup page (once per business).
    SetupRoute => view! { <crate::ui::setup::SetupPage/> };
    /// The sandbox's lead chat.
    SandboxRoute => view! { <crate::ui::sandbox::SandboxPage/> };
    /// The employee's profile.
    ProfileRoute => view! { <crate::ui::profile::ProfilePage/> };
    /// API tokens.
    TokensRoute => view! { <crate::ui::tokens::TokensPage/> };
    /// The client list.
    ClientsRoute => view! { <crate::ui::crm::ClientsPage/> };
    /// Importing clients from a CSV file.
    ClientImportRoute => view! { <crate::ui::crm::ClientImportPage/> };
    /// One client.
    ClientRoute => view! { <crate::ui::crm::ClientPage/> };
    /// Leads.
    LeadsRoute => view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Lead/> };
    /// Estimates.
    EstimatesRoute => view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Estimate/> };
    /// Orders.
    OrdersRoute => view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Order/> };
    /// Invoices.
    InvoicesRoute => view! { <crate::ui::crm::DocumentsPage kind=crate::documents::DocumentKind::Invoice/> };
    /// One document.
    DocumentRoute => view! { <crate::ui::crm::DocumentPage/> };
    /// The call log.
    CallsRoute => view! { <crate::ui::crm::CallsPage/> };
    /// The settings' frame.
    SettingsRoute => view! { <crate::ui::settings::SettingsPage/> };
    /// Employee settings.
    EmployeeSettingsRoute => view! { <crate::ui::settings::EmployeeSettings/> };
    /// Role settings.
    RoleSettingsRoute => view! { <crate::ui::settings::RoleSettings/> };
    /// Channel settings.
    ChannelSettingsRoute => view! { <crate::ui::settings::ChannelSettings/> };
    /// Integration settings (outgoing webhooks).
    IntegrationSettingsRoute => view! { <crate::ui::settings::IntegrationSettings/> };
    /// The team's saved replies.
    SavedReplySettingsRoute => view! { <crate::ui::settings::SavedReplySettings/> };
}
