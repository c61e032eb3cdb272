//! Records each request's client address (`app::net::ClientIp`) in its extensions, for the
//! limits kept per address.

use app::net::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

/// A connection's peer address, for plain and TLS listeners alike (axum only knows how to
/// read it off its own TCP listener).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// Whether `X-Forwarded-For` is believed (`CONFAB_TRUST_PROXY`): only behind a proxy that
/// sets it, or a client could name any address and escape its limits.
#[derive(Clone, Copy, Debug)]
pub struct TrustProxy(pub bool);

pub async fn record(
    State(TrustProxy(trust)): State<TrustProxy>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|ConnectInfo(Peer(addr))| addr.ip())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    // The last line: a proxy that adds a header line of its own (rather than appending to
    // the client's) puts it after whatever the client sent.
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok());
    let ip = ClientIp::from_request(peer, forwarded, trust);
    request.extensions_mut().insert(ip);
    next.run(request).await
}
