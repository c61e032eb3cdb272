//! HTTPS when `CONFAB_TLS_CERT` and `CONFAB_TLS_KEY` are set: rustls (with ring, the
//! provider reqwest already builds) offering HTTP/2 and HTTP/1.1 by ALPN.
//!
//! [`TlsListener`] is an axum [`Listener`]: `axum::serve` drives it exactly as it drives a
//! plain `TcpListener` (the same HTTP/1 + HTTP/2 connection builder, the same graceful
//! shutdown), and hands out connections only once their handshake is done. Handshakes run
//! in their own tasks with a time limit, so a slow or broken client holds up nobody.

use axum::serve::Listener;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take over its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate and key Confab serves HTTPS with, read and checked at start-up.
#[derive(Clone)]
pub struct Tls {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub config: Arc<ServerConfig>,
}

impl std::fmt::Debug for Tls {
    // Paths only: never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the certificate chain and private key (PEM) and builds the server's TLS
    /// configuration. Errors name the variable and the file, never the key's contents.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, String> {
        let cert_err = |what: String| format!("CONFAB_TLS_CERT '{}' {what}", cert_path.display());
        let key_err = |what: String| format!("CONFAB_TLS_KEY '{}' {what}", key_path.display());
        let certs = CertificateDer::pem_file_iter(cert_path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| cert_err(describe(&e, CERTIFICATE)))?;
        if certs.is_empty() {
            return Err(cert_err(describe(&pem::Error::NoItemsFound, CERTIFICATE)));
        }
        let key = PrivateKeyDer::from_pem_file(key_path)
            .map_err(|e| key_err(describe(&e, PRIVATE_KEY)))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => key_err(format!(
                    "is not the key of the certificate in CONFAB_TLS_CERT '{}'",
                    cert_path.display()
                )),
                // rustls's own words (an unsupported key type, a certificate it cannot
                // read) hold no key material.
                other => key_err(format!("cannot be used with the certificate: {other}")),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            config: Arc::new(config),
        })
    }
}

const CERTIFICATE: &str = "certificate ('-----BEGIN CERTIFICATE-----')";
const PRIVATE_KEY: &str =
    "private key ('-----BEGIN PRIVATE KEY-----', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')";

/// What is wrong with a PEM file, in words that quote none of it (a key's base64 must not
/// reach a log).
fn describe(err: &pem::Error, item: &str) -> String {
    match err {
        pem::Error::Io(io) => format!("cannot be read: {io}"),
        pem::Error::NoItemsFound => format!("holds no PEM {item}"),
        pem::Error::MissingSectionEnd { .. } => {
            "is not valid PEM: a block has no '-----END …-----' line".into()
        }
        pem::Error::IllegalSectionStart { .. } => {
            "is not valid PEM: a '-----BEGIN' line is malformed".into()
        }
        pem::Error::Base64Decode(_) => "is not valid PEM: a block is not valid base64".into(),
        pem::Error::SectionTooLarge => "is not valid PEM: a block is too large".into(),
        _ => "is not valid PEM".into(),
    }
}

/// Accepts TCP connections and completes their TLS handshakes; `axum::serve` takes them
/// from here. Dropping it (as `axum::serve` does when it stops accepting) stops the
/// accepting task and closes the port.
pub struct TlsListener {
    handshaken: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `listener`; call within a tokio runtime.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        // Handshaken connections wait here for `axum::serve` (which takes them at once).
        let (sender, handshaken) = mpsc::channel(64);
        tokio::spawn(accept(listener, TlsAcceptor::from(config), sender));
        Ok(Self {
            handshaken,
            local_addr,
        })
    }
}

async fn accept(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handshaken: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_error(err).await;
                    continue;
                }
            },
            // The server stopped accepting (graceful shutdown): close the port.
            _ = handshaken.closed() => return,
        };
        let acceptor = acceptor.clone();
        let handshaken = handshaken.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    // Fails only when the server has stopped: the connection is dropped.
                    let _ = handshaken.send((tls, remote)).await;
                }
                Ok(Err(err)) => tracing::debug!(%remote, "TLS handshake failed: {err}"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
}

/// As `axum::serve` does for a plain listener: a connection that failed before it was
/// accepted is skipped; anything else (too many open files) is logged and waited out.
async fn accept_error(err: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(connection) => connection,
            // The accepting task ended (its runtime is shutting down): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name)
    }

    #[test]
    fn the_test_certificate_loads_with_h2_and_http1_offered() {
        let tls = Tls::load(&fixture("cert.pem"), &fixture("key.pem")).unwrap();
        assert_eq!(
            tls.config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        let printed = format!("{tls:?}");
        assert!(printed.contains("key.pem") && !printed.contains("PRIVATE"));
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let err = Tls::load(&fixture("cert.pem"), &fixture("other-key.pem")).unwrap_err();
        assert!(
            err.contains("CONFAB_TLS_KEY") && err.contains("other-key.pem"),
            "{err}"
        );
        assert!(err.contains("is not the key of the certificate"), "{err}");
    }
}
