//! Typed settings from the environment, each checked with a message that says how to fix it.

use crate::channels::ProviderPolicy;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub addr: SocketAddr,
    /// Where providers and browsers reach Confab (webhook URLs, secure cookies).
    pub public_url: String,
    /// Seed demo data (with its well-known passwords) into an empty database: off unless
    /// asked for; refused on a public address unless forced.
    pub demo: bool,
    /// `CONFAB_DEMO=force`: the demo's well-known passwords are allowed on a public address.
    pub demo_forced: bool,
    /// Where the built site (pkg/, assets) is served from.
    pub site_root: String,
    /// Leptos's environment: DEV or PROD.
    pub leptos_env: String,
    /// Where downloaded and uploaded media files are kept.
    pub media_dir: std::path::PathBuf,
    /// Seals channel credentials (64 hex digits); generated into the data folder when unset.
    pub secret_key: Option<String>,
    /// Meta's Graph API with its version (tests point it at a fake).
    pub graph_api_url: String,
    /// Instagram's own Graph API host with its version, for accounts connected with
    /// Instagram Login (tests point it at a fake).
    pub instagram_api_url: String,
    /// Twilio's REST API root (tests point it at a fake).
    pub twilio_api_url: String,
    /// The business's country: phone numbers written without a country code are its.
    pub default_country: app::phone::Country,
    /// How long Confab waits for a provider and how it retries.
    pub providers: ProviderPolicy,
    /// HTTPS (HTTP/2 and HTTP/1.1) on `addr`, when `CONFAB_TLS_CERT` and `CONFAB_TLS_KEY`
    /// are set; plain HTTP otherwise (e.g. behind a proxy that does TLS).
    pub tls: Option<crate::tls::Tls>,
    /// Believe `X-Forwarded-For` for the client's address (`CONFAB_TRUST_PROXY=true`): only
    /// behind a reverse proxy that sets it.
    pub trust_proxy: bool,
    /// Where inbound Twilio webhooks wait when the database cannot take them
    /// (`CONFAB_TWILIO_SPOOL`; by default `twilio-spool.jsonl` in the data folder).
    pub twilio_spool: std::path::PathBuf,
    /// How often the spool is replayed (`CONFAB_TWILIO_SPOOL_RETRY_SECS`, default 30).
    pub twilio_spool_retry: Duration,
    /// The spool's largest size (`CONFAB_TWILIO_SPOOL_MAX_MB`, default 64): past it, a
    /// webhook the database cannot take is answered 5xx.
    pub twilio_spool_max_bytes: u64,
    /// How long a Twilio webhook waits for the database before it is spooled
    /// (`CONFAB_TWILIO_DB_WAIT_SECS`, default 5, at most 12): Twilio gives up after 15 s.
    pub twilio_db_wait: Duration,
    /// Outgoing webhooks: retries, timeouts and whether local URLs are allowed
    /// (`CONFAB_WEBHOOK_*`, `CONFAB_WEBHOOKS_ALLOW_LOCAL`).
    pub webhooks: app::integrations::WebhookPolicy,
}

impl std::fmt::Debug for Settings {
    // The database URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("demo", &self.demo)
            .field("demo_forced", &self.demo_forced)
            .field("site_root", &self.site_root)
            .field("media_dir", &self.media_dir)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("graph_api_url", &self.graph_api_url)
            .field("instagram_api_url", &self.instagram_api_url)
            .field("twilio_api_url", &self.twilio_api_url)
            .field("default_country", &self.default_country)
            .field("providers", &self.providers)
            .field("tls", &self.tls)
            .field("trust_proxy", &self.trust_proxy)
            .field("twilio_spool", &self.twilio_spool)
            .field("twilio_spool_retry", &self.twilio_spool_retry)
            .field("twilio_spool_max_bytes", &self.twilio_spool_max_bytes)
            .field("twilio_db_wait", &self.twilio_db_wait)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn api_url(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<String, String> {
    let url = get(name).unwrap_or_else(|| default.into());
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "{name} '{url}' must start with http:// or https://"
        ))
    }
}

/// A positive number of seconds (decimals allowed) no larger than `max`.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: Duration,
    max: Duration,
) -> Result<Duration, String> {
    let Some(text) = get(name) else {
        return Ok(default);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| *d <= max)
        .ok_or_else(|| {
            format!(
                "{name} '{text}' must be a number of seconds above 0 and at most {}",
                max.as_secs()
            )
        })
}

/// A whole number from 1 to 100.
fn attempts(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
) -> Result<i64, String> {
    let Some(text) = get(name) else {
        return Ok(default);
    };
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| format!("{name} '{text}' must be a whole number from 1 to 100"))
}

fn provider_policy(get: &impl Fn(&str) -> Option<String>) -> Result<ProviderPolicy, String> {
    let default = ProviderPolicy::default();
    Ok(ProviderPolicy {
        // A reply is leased to one attempt for twice this and 5 s (workers::sender).
        timeout: seconds(
            get,
            "CONFAB_PROVIDER_TIMEOUT_SECS",
            default.timeout,
            Duration::from_secs(120),
        )?,
        first_retry: seconds(
            get,
            "CONFAB_RETRY_DELAY_SECS",
            default.first_retry,
            ProviderPolicy::MAX_DELAY,
        )?,
        send_attempts: attempts(get, "CONFAB_SEND_ATTEMPTS", default.send_attempts)?,
        media_attempts: attempts(get, "CONFAB_MEDIA_ATTEMPTS", default.media_attempts)?,
        confirm_wait: seconds(
            get,
            "CONFAB_CONFIRM_WAIT_SECS",
            default.confirm_wait,
            Duration::from_secs(3600),
        )?,
        rate_limit_pause: seconds(
            get,
            "CONFAB_RATE_LIMIT_PAUSE_SECS",
            default.rate_limit_pause,
            default.longest_pause,
        )?,
        longest_pause: seconds(
            get,
            "CONFAB_LONGEST_PAUSE_SECS",
            default.longest_pause,
            Duration::from_secs(7 * 24 * 3600),
        )?,
    })
}

/// Outgoing webhooks' policy (`app::integrations::WebhookPolicy`).
fn webhook_policy(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<app::integrations::WebhookPolicy, String> {
    let default = app::integrations::WebhookPolicy::default();
    Ok(app::integrations::WebhookPolicy {
        allow_local: match get("CONFAB_WEBHOOKS_ALLOW_LOCAL").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                return Err(format!(
                    "CONFAB_WEBHOOKS_ALLOW_LOCAL '{other}' must be true or false"
                ))
            }
        },
        first_retry: seconds(
            get,
            "CONFAB_WEBHOOK_RETRY_SECS",
            default.first_retry,
            Duration::from_secs(3600),
        )?,
        longest_retry: seconds(
            get,
            "CONFAB_WEBHOOK_LONGEST_RETRY_SECS",
            default.longest_retry,
            Duration::from_secs(6 * 3600),
        )?,
        give_up_after: seconds(
            get,
            "CONFAB_WEBHOOK_GIVE_UP_SECS",
            default.give_up_after,
            Duration::from_secs(7 * 24 * 3600),
        )?,
        timeout: seconds(
            get,
            "CONFAB_WEBHOOK_TIMEOUT_SECS",
            default.timeout,
            Duration::from_secs(60),
        )?,
        poll: seconds(
            get,
            "CONFAB_WEBHOOK_POLL_SECS",
            default.poll,
            Duration::from_secs(600),
        )?,
    })
}

/// Both files or neither: one alone is surely a mistake, not a wish for plain HTTP.
fn tls(get: &impl Fn(&str) -> Option<String>) -> Result<Option<crate::tls::Tls>, String> {
    match (get("CONFAB_TLS_CERT"), get("CONFAB_TLS_KEY")) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => {
            crate::tls::Tls::load(std::path::Path::new(&cert), std::path::Path::new(&key))
                .map(Some)
        }
        (Some(_), None) => Err(
            "CONFAB_TLS_CERT is set but CONFAB_TLS_KEY is not: set both (PEM files) for HTTPS, or neither".into(),
        ),
        (None, Some(_)) => Err(
            "CONFAB_TLS_KEY is set but CONFAB_TLS_CERT is not: set both (PEM files) for HTTPS, or neither".into(),
        ),
    }
}

/// Why a server with these addresses is reachable by strangers, if it is: it listens beyond
/// the loopback interface, or its public URL is https or names a host other than this
/// machine (a proxy or a tunnel in front).
fn public_reason(addr: &SocketAddr, public_url: &str) -> Option<String> {
    if !addr.ip().is_loopback() {
        return Some(format!("CONFAB_ADDR {addr} listens beyond this machine"));
    }
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    // The host without its port ([::1]:3000, 127.0.0.1:3000, localhost:3000).
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let local = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if public_url.starts_with("https://") || !local {
        Some(format!("CONFAB_PUBLIC_URL {public_url} is public"))
    } else {
        None
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(var)
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let database_url =
            get("CONFAB_DATABASE_URL").unwrap_or_else(|| "sqlite://data/confab.db".into());
        app::store::Backend::from_url(&database_url).map_err(|e| e.to_string())?;
        let addr_text = get("CONFAB_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            format!("CONFAB_ADDR '{addr_text}' is not an address like 127.0.0.1:3000")
        })?;
        let tls = tls(&get)?;
        let public_url = match get("CONFAB_PUBLIC_URL") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => {
                return Err(format!(
                    "CONFAB_PUBLIC_URL '{url}' must start with http:// or https://"
                ))
            }
            None if tls.is_some() => format!("https://{addr}"),
            None => format!("http://{addr}"),
        };
        let demo_forced = get("CONFAB_DEMO").as_deref() == Some("force");
        let demo = match get("CONFAB_DEMO").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => {
                // The demo accounts' passwords are in the README: anyone who read it would
                // own a business served on the internet with them.
                if let Some(reason) = public_reason(&addr, &public_url) {
                    return Err(format!(
                        "CONFAB_DEMO=true creates accounts whose passwords are public, and {reason}. \
                         Leave CONFAB_DEMO unset and create the owner with 'confab owner create --email E' \
                         (or the setup page), or set CONFAB_DEMO=force to run the demo there anyway"
                    ));
                }
                true
            }
            Some("force") => true,
            Some(other) => {
                return Err(format!(
                    "CONFAB_DEMO '{other}' must be true, false or force"
                ))
            }
        };
        let media_dir: std::path::PathBuf = get("CONFAB_MEDIA_DIR")
            .unwrap_or_else(|| "data/media".into())
            .into();
        let twilio_spool = match get("CONFAB_TWILIO_SPOOL") {
            Some(path) => path.into(),
            // Beside the media folder, in the data folder (as the key file).
            None => media_dir
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .join("twilio-spool.jsonl"),
        };
        let twilio_spool_max_bytes = match get("CONFAB_TWILIO_SPOOL_MAX_MB") {
            None => 64,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    format!("CONFAB_TWILIO_SPOOL_MAX_MB '{text}' must be a whole number of megabytes from 1 to 100000")
                })?,
        } * 1024
            * 1024;
        Ok(Settings {
            database_url,
            addr,
            public_url,
            demo,
            demo_forced,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            leptos_env: get("LEPTOS_ENV").unwrap_or_else(|| "DEV".into()),
            media_dir,
            secret_key: get("CONFAB_SECRET_KEY"),
            graph_api_url: api_url(
                &get,
                "CONFAB_GRAPH_API_URL",
                "https://graph.facebook.com/v25.0",
            )?,
            instagram_api_url: api_url(
                &get,
                "CONFAB_INSTAGRAM_API_URL",
                crate::channels::DEFAULT_INSTAGRAM_API_URL,
            )?,
            twilio_api_url: api_url(&get, "CONFAB_TWILIO_API_URL", "https://api.twilio.com")?,
            default_country: match get("CONFAB_DEFAULT_COUNTRY") {
                None => app::phone::Country::BR,
                Some(iso) => app::phone::Country::parse(&iso).ok_or_else(|| {
                    format!("CONFAB_DEFAULT_COUNTRY '{iso}' must be a two-letter country code (ISO 3166), like BR, PT, US or GB")
                })?,
            },
            providers: provider_policy(&get)?,
            tls,
            trust_proxy: match get("CONFAB_TRUST_PROXY").as_deref() {
                None | Some("0" | "false" | "no") => false,
                Some("1" | "true" | "yes") => true,
                Some(other) => {
                    return Err(format!(
                        "CONFAB_TRUST_PROXY '{other}' must be true or false"
                    ))
                }
            },
            twilio_spool,
            twilio_spool_retry: seconds(
                &get,
                "CONFAB_TWILIO_SPOOL_RETRY_SECS",
                Duration::from_secs(30),
                Duration::from_secs(3600),
            )?,
            twilio_spool_max_bytes,
            twilio_db_wait: seconds(
                &get,
                "CONFAB_TWILIO_DB_WAIT_SECS",
                Duration::from_secs(5),
                Duration::from_secs(12),
            )?,
            webhooks: webhook_policy(&get)?,
        })
    }

    /// The key that seals channel credentials: `CONFAB_SECRET_KEY`, or the key file in the
    /// data folder (beside the media folder), created on first run.
    pub fn load_secret_key(&self) -> Result<app::channels::credentials::SecretKey, String> {
        use app::channels::credentials::SecretKey;
        match &self.secret_key {
            Some(hex) => SecretKey::from_hex(hex).map_err(|e| format!("CONFAB_SECRET_KEY: {e}")),
            None => {
                let data_dir = self
                    .media_dir
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                SecretKey::load_or_create(&data_dir.join("secret.key"))
            }
        }
    }

    /// Why strangers can reach this server (see `public_reason`), unless the operator forced
    /// the demo's passwords on it anyway.
    pub fn public_without_force(&self) -> Option<String> {
        if self.demo_forced {
            return None;
        }
        public_reason(&self.addr, &self.public_url)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_sane() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "sqlite://data/confab.db");
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(!s.demo, "demo accounts are opt-in");
        assert!(!s.secure_cookies());
        assert_eq!(s.providers, ProviderPolicy::default());
    }

    #[test]
    fn the_twilio_spool_lives_in_the_data_folder_unless_placed() {
        let s = settings(&[("CONFAB_MEDIA_DIR", "/srv/confab/media")]).unwrap();
        assert_eq!(
            s.twilio_spool,
            std::path::PathBuf::from("/srv/confab/twilio-spool.jsonl")
        );
        assert_eq!(s.twilio_spool_retry, Duration::from_secs(30));
        assert_eq!(s.twilio_spool_max_bytes, 64 * 1024 * 1024);
        assert_eq!(s.twilio_db_wait, Duration::from_secs(5));
        let s = settings(&[
            ("CONFAB_TWILIO_SPOOL", "/var/spool/confab.jsonl"),
            ("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.5"),
            ("CONFAB_TWILIO_SPOOL_MAX_MB", "2"),
        ])
        .unwrap();
        assert_eq!(
            s.twilio_spool,
            std::path::PathBuf::from("/var/spool/confab.jsonl")
        );
        assert_eq!(s.twilio_spool_retry, Duration::from_millis(500));
        assert_eq!(s.twilio_spool_max_bytes, 2 * 1024 * 1024);
        for (name, bad) in [
            ("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0"),
            ("CONFAB_TWILIO_SPOOL_MAX_MB", "0"),
            ("CONFAB_TWILIO_SPOOL_MAX_MB", "lots"),
        ] {
            assert!(
                settings(&[(name, bad)]).unwrap_err().contains(name),
                "{name}={bad}"
            );
        }
    }

    #[test]
    fn provider_patience_is_set_in_seconds_and_attempts() {
        let s = settings(&[
            ("CONFAB_PROVIDER_TIMEOUT_SECS", "1.5"),
            ("CONFAB_RETRY_DELAY_SECS", "0.2"),
            ("CONFAB_SEND_ATTEMPTS", "3"),
            ("CONFAB_MEDIA_ATTEMPTS", "2"),
            ("CONFAB_CONFIRM_WAIT_SECS", "0.5"),
        ])
        .unwrap();
        assert_eq!(s.providers.confirm_wait, Duration::from_millis(500));
        assert_eq!(
            settings(&[]).unwrap().providers.confirm_wait,
            Duration::from_secs(120)
        );
        assert_eq!(s.providers.timeout, Duration::from_millis(1500));
        assert_eq!(s.providers.first_retry, Duration::from_millis(200));
        assert_eq!(
            (s.providers.send_attempts, s.providers.media_attempts),
            (3, 2)
        );
        for (name, bad) in [
            ("CONFAB_PROVIDER_TIMEOUT_SECS", "0"),
            ("CONFAB_PROVIDER_TIMEOUT_SECS", "600"),
            ("CONFAB_PROVIDER_TIMEOUT_SECS", "soon"),
            ("CONFAB_RETRY_DELAY_SECS", "-1"),
            ("CONFAB_RETRY_DELAY_SECS", "NaN"),
            ("CONFAB_SEND_ATTEMPTS", "0"),
            ("CONFAB_MEDIA_ATTEMPTS", "1.5"),
            ("CONFAB_CONFIRM_WAIT_SECS", "0"),
            ("CONFAB_CONFIRM_WAIT_SECS", "7200"),
        ] {
            assert!(
                settings(&[(name, bad)]).unwrap_err().contains(name),
                "{name}={bad}"
            );
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        assert!(settings(&[("CONFAB_ADDR", "nope")])
            .unwrap_err()
            .contains("CONFAB_ADDR"));
        assert!(settings(&[("CONFAB_PUBLIC_URL", "ftp://x")])
            .unwrap_err()
            .contains("CONFAB_PUBLIC_URL"));
        assert!(settings(&[("CONFAB_DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .contains("CONFAB_DATABASE_URL"));
        assert!(settings(&[("CONFAB_GRAPH_API_URL", "graph.local")])
            .unwrap_err()
            .contains("CONFAB_GRAPH_API_URL"));
        assert!(settings(&[("CONFAB_DEFAULT_COUNTRY", "Mars")])
            .unwrap_err()
            .contains("CONFAB_DEFAULT_COUNTRY"));
        assert!(settings(&[("CONFAB_DEMO", "maybe")])
            .unwrap_err()
            .contains("CONFAB_DEMO"));
    }

    #[test]
    fn demo_accounts_are_refused_on_a_public_address_unless_forced() {
        assert!(settings(&[("CONFAB_DEMO", "true")]).unwrap().demo);
        for public in [
            [("CONFAB_DEMO", "true"), ("CONFAB_ADDR", "0.0.0.0:3000")],
            [
                ("CONFAB_DEMO", "true"),
                ("CONFAB_PUBLIC_URL", "https://inbox.example.com"),
            ],
        ] {
            let err = settings(&public).unwrap_err();
            assert!(
                err.contains("CONFAB_DEMO=force") && err.contains("confab owner create"),
                "{err}"
            );
        }
        assert!(
            settings(&[("CONFAB_DEMO", "force"), ("CONFAB_ADDR", "0.0.0.0:3000")])
                .unwrap()
                .demo
        );
        // A proxy or tunnel's address is public even over http.
        assert!(settings(&[
            ("CONFAB_DEMO", "true"),
            ("CONFAB_PUBLIC_URL", "http://inbox.example.com")
        ])
        .is_err());
        for local in [
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            "http://[::1]:3000/",
        ] {
            assert!(
                settings(&[("CONFAB_DEMO", "true"), ("CONFAB_PUBLIC_URL", local)])
                    .unwrap()
                    .demo,
                "{local}"
            );
        }
        // Unset, a public server starts with no account at all.
        assert!(!settings(&[("CONFAB_ADDR", "0.0.0.0:3000")]).unwrap().demo);
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let s = settings(&[
            ("CONFAB_DATABASE_URL", "postgres://confab:s3cret@db/confab"),
            ("CONFAB_SECRET_KEY", "00ff00ff"),
        ])
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("confab:***@db"));
        assert!(!printed.contains("00ff00ff"), "{printed}");
    }

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn tls_files_make_https_the_default_public_url() {
        let (cert, key) = (fixture("cert.pem"), fixture("key.pem"));
        let s = settings(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &key)]).unwrap();
        assert!(s.tls.is_some());
        assert_eq!(s.public_url, "https://127.0.0.1:3000");
        assert!(s.secure_cookies());
        // A proxy's address still wins.
        let s = settings(&[
            ("CONFAB_TLS_CERT", &cert),
            ("CONFAB_TLS_KEY", &key),
            ("CONFAB_PUBLIC_URL", "https://inbox.example.com"),
        ])
        .unwrap();
        assert_eq!(s.public_url, "https://inbox.example.com");
        assert!(!format!("{s:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn tls_needs_both_files() {
        let cert = fixture("cert.pem");
        let err = settings(&[("CONFAB_TLS_CERT", &cert)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_KEY is not") && err.contains("both"),
            "{err}"
        );
        let key = fixture("key.pem");
        let err = settings(&[("CONFAB_TLS_KEY", &key)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_CERT is not") && err.contains("both"),
            "{err}"
        );
    }

    #[test]
    fn tls_files_that_are_missing_or_not_pem_are_named() {
        let (cert, key) = (fixture("cert.pem"), fixture("key.pem"));
        let missing = fixture("no-such.pem");
        let err = settings(&[("CONFAB_TLS_CERT", &missing), ("CONFAB_TLS_KEY", &key)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_CERT")
                && err.contains("no-such.pem")
                && err.contains("cannot be read"),
            "{err}"
        );
        let err =
            settings(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &missing)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_KEY") && err.contains("no-such.pem"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate at all\n").unwrap();
        let garbage = garbage.display().to_string();
        let err = settings(&[("CONFAB_TLS_CERT", &garbage), ("CONFAB_TLS_KEY", &key)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_CERT")
                && err.contains("garbage.pem")
                && err.contains("no PEM certificate"),
            "{err}"
        );
        // The certificate is no key; a key block with broken base64 is refused without
        // being quoted.
        let err = settings(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &cert)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_KEY") && err.contains("no PEM private key"),
            "{err}"
        );
        let broken = dir.path().join("broken-key.pem");
        std::fs::write(
            &broken,
            "-----BEGIN PRIVATE KEY-----\nS3CR3T!!material@@\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let broken = broken.display().to_string();
        let err = settings(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &broken)]).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_KEY")
                && err.contains("broken-key.pem")
                && err.contains("not valid PEM"),
            "{err}"
        );
        assert!(
            !err.contains("S3CR3T") && !err.contains("material"),
            "{err}"
        );
        let truncated = dir.path().join("truncated-key.pem");
        std::fs::write(&truncated, "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n").unwrap();
        let truncated = truncated.display().to_string();
        let err =
            settings(&[("CONFAB_TLS_CERT", &cert), ("CONFAB_TLS_KEY", &truncated)]).unwrap_err();
        assert!(
            err.contains("not valid PEM") && !err.contains("MIGH"),
            "{err}"
        );
    }

    #[test]
    fn https_public_url_means_secure_cookies() {
        assert!(
            settings(&[("CONFAB_PUBLIC_URL", "https://inbox.example.com/")])
                .unwrap()
                .secure_cookies()
        );
    }
}
