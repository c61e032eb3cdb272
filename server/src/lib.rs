// Leptos views are deeply nested types; rendering them needs a higher limit.
#![recursion_limit = "256"]
//! The `confab` server: settings, boot, the plain axum routes (SSE, webhooks, health),
//! the channel providers and the background workers. Pages and server functions come
//! from the `app` crate.

pub mod api;
pub mod assets;
pub mod channels;
pub mod cli;
pub mod client_ip;
pub mod commands;
pub mod error;
pub mod middleware;
pub mod practice;
pub mod routes;
pub mod settings;
pub mod spool;
pub mod startup;
pub mod telemetry;
pub mod tls;
pub mod workers;
