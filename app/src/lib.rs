//! Confab's Leptos app: pages, components, `#[server]` functions and the types that cross
//! the wire. Server-only code (store, auth, live events) sits behind the `ssr` feature;
//! browser-only code behind `hydrate`.

// Generates `crate::i18n`: the `Locale` enum, `use_i18n`, `I18nContextProvider` and the
// `t!` macros over the keys in `app/locales/` (see `[package.metadata.leptos-i18n]`).
// The macro is marked deprecated in favour of a build script whose build dependencies
// (ICU data export with networking) would double our cold build for nothing we use.
#[allow(deprecated)]
mod translations {
    leptos_i18n::load_locales!();
}
pub use translations::i18n;

pub mod account;
pub mod auth;
pub mod calls;
pub mod channels;
pub mod clients;
pub mod conversations;
pub mod documents;
pub mod employees;
pub mod error;
pub mod events;
pub mod ids;
pub mod integrations;
pub mod locale;
pub mod messages;
pub mod onboarding;
pub mod phone;
pub mod practice;
pub mod replies;
pub mod sandbox;
pub mod setup;
pub mod tokens;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod net;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod transfer;

pub use ui::{shell, App};
