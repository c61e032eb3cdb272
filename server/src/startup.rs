//! Builds the whole application from settings: database, demo data, routes, workers.
//! `Application::build` binds the port first, so tests can ask for port 0.

use crate::channels::ProviderContext;
use crate::middleware;
use crate::settings::Settings;
use app::auth::session::SqlSessionStore;
use app::state::AppState;
use app::store::Db;
use axum::Router;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Rendering deep Leptos views recurses: the runtime's worker threads get 8 MiB
/// (unoptimised builds need more than tokio's default 2 MiB; release builds far less).
pub const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

pub struct Application {
    listener: TcpListener,
    media_dir: std::path::PathBuf,
    providers: ProviderContext,
    /// The practice channels' simulator's loopback port (`crate::practice::api`).
    practice_listener: Option<TcpListener>,
    read_receipts: tokio::sync::mpsc::UnboundedReceiver<app::state::ReadReceipt>,
    router: Router,
    pub state: AppState,
    port: u16,
    /// HTTPS (HTTP/2 and HTTP/1.1) when configured; plain HTTP otherwise.
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Twilio webhooks the database could not take, and how often they are replayed.
    twilio_spool: (Arc<crate::spool::TwilioSpool>, std::time::Duration),
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Store(#[from] app::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Settings(String),
}

fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("confab")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .hash_files(crate::assets::hashed_file_names())
        .env(
            if settings.leptos_env.eq_ignore_ascii_case("prod")
                || settings.leptos_env.eq_ignore_ascii_case("production")
            {
                leptos::config::Env::PROD
            } else {
                leptos::config::Env::DEV
            },
        )
        .build()
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let mut db = Db::connect(&settings.database_url).await?;
        db.country = settings.default_country;
        let seeded_demo = settings.demo && app::demo::seed_if_empty(&db).await?;
        if seeded_demo {
            tracing::info!(
                "Demo data created. Sign in as {} / {} (owner) or {} / {} (agent).",
                app::demo::OWNER_EMAIL,
                app::demo::OWNER_PASSWORD,
                app::demo::AGENT_EMAIL,
                app::demo::AGENT_PASSWORD
            );
        }
        // Demo accounts kept from a local first run still open with the README's passwords.
        if let Some(reason) = settings.public_without_force() {
            let open = app::demo::accounts_with_known_passwords(&db).await?;
            if !open.is_empty() {
                return Err(StartupError::Settings(format!(
                    "the demo accounts {} still have the passwords published in the README, and {reason}. \
                     Change their passwords (or deactivate them) on a server only this machine reaches, \
                     or set CONFAB_DEMO=force to serve them anyway",
                    open.join(" and ")
                )));
            }
        }
        // A business of its own starts with nobody to sign in: the log gives the operator
        // a one-time code for the setup page (or the command that makes an owner).
        if let Some(code) = app::setup::store::issue_code(&db).await? {
            tracing::warn!(
                "No owner yet. Open {}/setup and enter the one-time code {code} to create the \
                 owner, or run: confab owner create --email you@example.com",
                settings.public_url
            );
        }
        let listener =
            TcpListener::bind(settings.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.addr.to_string(),
                    source,
                })?;
        let port = listener.local_addr()?.port();
        let secret_key = settings.load_secret_key().map_err(StartupError::Settings)?;
        // Credentials sealed by earlier versions (with the secret itself, for no channel in
        // particular) are sealed again with the derived key, bound to their channel.
        let resealed = app::channels::store::reseal_old_credentials(&db, &secret_key).await?;
        if resealed > 0 {
            tracing::info!(
                resealed,
                "channel credentials sealed again in the current format"
            );
        }
        if seeded_demo {
            // The demo business gets one practice channel of each kind (Settings adds more).
            for kind in app::practice::PRACTICE_KINDS {
                app::practice::store::create_channel(&db, &secret_key, kind, app::i18n::Locale::en)
                    .await?;
            }
        }
        let (receipts_tx, read_receipts) = tokio::sync::mpsc::unbounded_channel();
        let mut providers = ProviderContext::new(
            &settings.graph_api_url,
            &settings.twilio_api_url,
            &settings.public_url,
            secret_key.clone(),
            settings.providers,
        )
        .with_instagram_api_url(&settings.instagram_api_url);
        // The practice channels' simulator answers on a loopback port of this process.
        // Without it (no loopback here), practice channels' replies fail as unreachable.
        let practice_listener = match crate::practice::api::bind().await {
            Ok((listener, url)) => {
                providers.practice_url = Some(url);
                Some(listener)
            }
            Err(err) => {
                tracing::warn!(error = %err, "the practice channels' simulator has no loopback port");
                None
            }
        };
        let state = AppState {
            providers: Arc::new(providers.clone()),
            leptos_options: leptos_options(&settings),
            db: db.clone(),
            // The store publishes what it commits in batches (inbound messages) on it.
            bus: db.bus.clone(),
            outbox: Arc::new(tokio::sync::Notify::new()),
            secret_key,
            media_dir: settings.media_dir.clone(),
            login_limiter: Default::default(),
            public_url: settings.public_url.as_str().into(),
            read_receipts: receipts_tx,
            webhooks: settings.webhooks.clone(),
        };
        let twilio_spool = crate::spool::TwilioSpool::new(
            settings.twilio_spool.clone(),
            settings.twilio_spool_max_bytes,
        )
        .with_db_wait(settings.twilio_db_wait);
        // The Twilio channels' credentials, for webhooks that come while the database
        // cannot say which channel they are for.
        twilio_spool.refresh(&state).await;
        let twilio_spool = Arc::new(twilio_spool);
        // Uploads cut off by a crash left their part files.
        let swept = crate::routes::media::sweep_part_files(&settings.media_dir);
        if swept > 0 {
            tracing::info!(swept, "unfinished uploads removed");
        }
        // The webhooks route finds the spool in the request's extensions.
        let router = router(state.clone(), &settings).layer(axum::Extension(twilio_spool.clone()));
        Ok(Self {
            listener,
            media_dir: settings.media_dir.clone(),
            providers,
            practice_listener,
            read_receipts,
            router,
            state,
            port,
            tls: settings.tls.as_ref().map(|tls| tls.config.clone()),
            twilio_spool: (twilio_spool, settings.twilio_spool_retry),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM, with the workers running beside it.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let (stop_sending, sending_stopped) = tokio::sync::watch::channel(false);
        if let Some(listener) = self.practice_listener {
            tokio::spawn(crate::practice::api::serve(listener, self.state.clone()));
        }
        let sender = tokio::spawn(crate::workers::sender::run(
            self.state.clone(),
            self.providers.clone(),
            sending_stopped,
        ));
        let receipts = tokio::spawn(crate::workers::sender::run_read_receipts(
            self.state.clone(),
            self.providers.clone(),
            self.read_receipts,
        ));
        let media = tokio::spawn(crate::workers::media::run(
            self.state.clone(),
            self.providers.clone(),
            self.media_dir.clone(),
        ));
        let sessions = tokio::spawn(crate::workers::prune_sessions(SqlSessionStore::new(
            self.state.db.clone(),
        )));
        let retention = tokio::spawn(crate::workers::retention::run(
            self.state.db.clone(),
            self.media_dir.clone(),
        ));
        let webhooks = tokio::spawn(crate::workers::webhooks::run(self.state.clone()));
        // Twilio webhooks spooled while the database was down: at start, then periodically.
        let (spool, spool_every) = self.twilio_spool;
        let spool_replay = tokio::spawn(crate::spool::run(self.state.clone(), spool, spool_every));
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(
            "Confab is ready at {scheme}://{}",
            self.listener.local_addr()?
        );
        // The same serving and graceful shutdown either way: TLS only changes the listener.
        // A make-service: each connection shares the router. Serving a `Router` itself
        // copies its whole route table per connection (axum turns it into routes eagerly),
        // about 250 KiB for Confab's, held for as long as the connection stays open.
        // With each connection's peer address: the limits per client need it.
        let service = self
            .router
            .into_make_service_with_connect_info::<crate::client_ip::Peer>();
        // Live streams end at shutdown, or the server would wait on them forever.
        let bus = self.state.bus.clone();
        let stopping = async move {
            shutdown_signal().await;
            bus.close_streams();
        };
        let served = match self.tls {
            None => {
                axum::serve(self.listener, service)
                    .with_graceful_shutdown(stopping)
                    .await
            }
            Some(tls) => {
                axum::serve(crate::tls::TlsListener::new(self.listener, tls)?, service)
                    .with_graceful_shutdown(stopping)
                    .await
            }
        };
        // Replies being handed to a provider are finished rather than cut off.
        let _ = stop_sending.send(true);
        let _ = sender.await;
        receipts.abort();
        media.abort();
        sessions.abort();
        retention.abort();
        webhooks.abort();
        spool_replay.abort();
        self.state.db.close().await;
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            term.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// The app's pages, listed once per process. Listing them renders the app with resource
/// loading suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`): a
/// resource first polled meanwhile, by a page another server in this process is rendering
/// (the integration tests run many), would wait forever; after the first listing none
/// overlaps a render.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES
        .get_or_init(|| {
            ROUTE_LISTINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            generate_route_list(app::App)
        })
        .clone()
}

static ROUTE_LISTINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many times this process has listed the app's pages: one, however many servers it
/// has started.
pub fn route_listings() -> usize {
    ROUTE_LISTINGS.load(std::sync::atomic::Ordering::Relaxed)
}

/// The whole HTTP surface: pages and server functions (Leptos), plain routes, static files.
pub fn router(state: AppState, settings: &Settings) -> Router {
    let routes = route_list();
    let scheme = middleware::PublicScheme::of(&settings.public_url);
    let sessions = SessionManagerLayer::new(SqlSessionStore::new(state.db.clone()))
        .with_name(middleware::session_cookie_name(scheme))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(14),
        ));
    let context_state = state.clone();
    let pkg_dir = std::path::Path::new(&settings.site_root).join("pkg");
    crate::assets::precompress_in_background(pkg_dir.clone());
    Router::new()
        .merge(crate::assets::router(
            pkg_dir,
            state.leptos_options.hash_files,
        ))
        .merge(crate::routes::router())
        .merge(crate::api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::prelude::provide_context(context_state.clone());
                app::ui::provide_csp_nonce();
            },
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(app::ui::provide_csp_nonce, app::shell))
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::require_session_for_pages,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            scheme,
            middleware::same_origin_only,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            scheme,
            middleware::strict_transport_security,
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::client_ip::TrustProxy(settings.trust_proxy),
            crate::client_ip::record,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
