//! The address a request comes from, for limits kept per client (sign-ins, the sandbox).
//! The server puts it into every request's extensions (`server::middleware::client_ip`):
//! the peer's address, or, behind a proxy the operator trusts (`CONFAB_TRUST_PROXY`), the
//! address that proxy appended to `X-Forwarded-For`.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The client address of a request: the last `X-Forwarded-For` hop when the proxy in
    /// front is trusted (the only one a client cannot forge: its proxy appends it), else the
    /// peer's.
    pub fn from_request(peer: IpAddr, forwarded_for: Option<&str>, trust_proxy: bool) -> Self {
        let forwarded = trust_proxy
            .then(|| {
                forwarded_for?
                    .rsplit(',')
                    .next()?
                    .trim()
                    .parse::<IpAddr>()
                    .ok()
            })
            .flatten();
        ClientIp(forwarded.unwrap_or(peer))
    }

    /// The calling client of the current server function (loopback when the server has not
    /// recorded one, as in unit tests that call a function directly).
    pub async fn current() -> Self {
        leptos_axum::extract::<axum::Extension<ClientIp>>()
            .await
            .map(|axum::Extension(ip)| ip)
            .unwrap_or(ClientIp(IpAddr::from([127, 0, 0, 1])))
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let header = Some("203.0.113.9, 198.51.100.7");
        assert_eq!(ClientIp::from_request(peer, header, false).0, peer);
        // The proxy appends the address it saw; what the client wrote before it is forgeable.
        assert_eq!(
            ClientIp::from_request(peer, header, true).0,
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(ClientIp::from_request(peer, Some("junk"), true).0, peer);
        assert_eq!(ClientIp::from_request(peer, None, true).0, peer);
    }
}
