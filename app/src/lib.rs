//! Confab's Leptos app: pages, components, `#[server]` functions and the types that cross
//! the wire. Server-only code (store, auth, live events) sits behind the `ssr` feature;
//! browser-only code behind `hydrate`.

pub mod auth;
pub mod channels;
pub mod clients;
pub mod conversations;
pub mod documents;
pub mod employees;
pub mod error;
pub mod events;
pub mod ids;
pub mod messages;
pub mod phone;
pub mod sandbox;
pub mod tokens;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

pub use ui::{shell, App};
