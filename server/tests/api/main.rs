//! Integration tests: each starts the real server on a random port with its own
//! temporary SQLite file. Logs are shown when TEST_LOG is set.

mod fake_provider;
mod helpers;

mod access;
mod account_language;
mod api_v1;
mod assets;
mod auth;
mod backup;
mod channels;
mod clients;
mod conversations;
mod crash;
mod crm;
mod events;
mod hostile_input;
mod messaging_language;
mod provider_faults;
mod retention;
mod search;
mod tls;
mod webhooks;
