//! Integration tests: each starts the real server on a random port with its own
//! temporary SQLite file, or its own schema on PostgreSQL when CONFAB_TEST_BACKEND=postgres
//! (and CONFAB_TEST_POSTGRES_URL) are set. Logs are shown when TEST_LOG is set.

mod fake_provider;
mod helpers;

mod access;
mod account_language;
mod api_crm;
mod api_v1;
mod assets;
mod assignment;
mod auth;
mod backup;
mod channel_pause;
mod channels;
mod clients;
mod clients_access;
mod conversations;
mod crash;
mod crm;
mod crm_clients;
mod crm_import;
mod documents_access;
mod events;
mod hardening;
mod hostile_input;
mod inbound_kinds;
mod instagram_send;
mod login_limits;
mod messaging_language;
mod meta_app_webhook;
mod notes;
mod outbound_media;
mod pages;
mod permission_matrix;
mod practice;
mod presence;
mod processes;
mod provider_faults;
mod replies_once;
mod retention;
mod sandbox_access;
mod saved_replies;
mod search;
mod setup;
mod start_number;
mod sync_lost_live;
mod tls;
mod tokens_sessions;
mod transfer;
mod twilio_spool;
mod unread_per_employee;
mod webhooks;
mod webhooks_out;
mod whatsapp_identity;
