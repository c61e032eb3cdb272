//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default: Confab at info).

use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str = "confab=info,app=info,tower_http=warn";

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
