//! Who a sandbox lead is: a secret in a cookie of the lead's browser, and the lead id
//! derived from it. Only the browser holding the secret can read or write that lead's
//! thread; the id itself (what employees, exports and the API see) gives no way in.

use sha2::{Digest, Sha256};

/// The cookie that carries the lead's secret, over plain http.
pub const LEAD_COOKIE: &str = "confab_sandbox_lead";
/// The same cookie over https: the `__Host-` prefix makes browsers keep it only when it is
/// Secure, for `/` and without a Domain, so a sibling subdomain (or a page over plain http)
/// cannot plant a lead of its choosing, whose thread it could then read.
pub const SECURE_LEAD_COOKIE: &str = "__Host-confab_sandbox_lead";

/// The lead cookie's name: `__Host-` prefixed when served over https (`secure`).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_LEAD_COOKIE
    } else {
        LEAD_COOKIE
    }
}

/// How long a browser stays the same lead (a year, as a real lead keeps their phone).
const LEAD_COOKIE_MAX_AGE_SECS: u64 = 365 * 24 * 60 * 60;

/// A new lead's secret: 256 random bits, as 64 hex digits.
pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The lead id a secret stands for: `lead-` and 128 bits of its SHA-256, or `None` for a
/// value that cannot be a secret. A value a client made up itself only ever names a lead
/// of its own: no secret hashes to another lead's id, and none to a demo lead's fixed one.
pub fn lead_id_of(secret: &str) -> Option<String> {
    let valid = (32..=128).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    let digest = Sha256::new()
        .chain_update(b"confab sandbox lead\0")
        .chain_update(secret.as_bytes())
        .finalize();
    Some(format!("lead-{}", hex::encode(&digest[..16])))
}

/// The lead of a request: the one its cookie's secret stands for. Over https (`secure`)
/// only the `__Host-` cookie counts: one without the prefix may come from a subdomain.
pub fn lead_of_headers(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(cookie, _)| *cookie == name)
        .find_map(|(_, value)| lead_id_of(value.trim()))
}

/// The `Set-Cookie` value that makes a browser this lead: script cannot read it, other
/// sites' posts do not carry it, and over https it travels encrypted only, under the
/// `__Host-` name (Secure, `Path=/`, no Domain: what that prefix requires).
pub fn set_cookie(secret: &str, secure: bool) -> String {
    format!(
        "{}={secret}; Path=/; Max-Age={LEAD_COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_names_one_unguessable_lead() {
        let secret = new_secret();
        let lead = lead_id_of(&secret).unwrap();
        assert_eq!(lead.len(), "lead-".len() + 32);
        assert_eq!(lead_id_of(&secret), Some(lead.clone()));
        assert_ne!(lead_id_of(&new_secret()), Some(lead.clone()));
        // The id is not the secret: knowing it does not make a browser that lead.
        assert!(!lead.contains(&secret[..16]));
        assert!(crate::sandbox::check_lead_id(crate::i18n::Locale::en, &lead).is_ok());
    }

    #[test]
    fn junk_is_no_secret() {
        for junk in [
            "",
            "short",
            "demo-lead-maria",
            &"x".repeat(129),
            &format!("{};x", "a".repeat(40)),
        ] {
            assert_eq!(lead_id_of(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_lead_comes_from_its_cookie() {
        let secret = new_secret();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            format!("confab_locale=en; {LEAD_COOKIE}={secret}")
                .parse()
                .unwrap(),
        );
        assert_eq!(lead_of_headers(&headers, false), lead_id_of(&secret));
        assert_eq!(lead_of_headers(&axum::http::HeaderMap::new(), false), None);
        let cookie = set_cookie(&secret, true);
        assert!(
            cookie.starts_with(&format!("__Host-confab_sandbox_lead={secret};"))
                && cookie.contains("; Path=/;")
                && !cookie.contains("Domain")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.ends_with("; Secure"),
            "{cookie}"
        );
        let plain = set_cookie(&secret, false);
        assert!(
            plain.starts_with(&format!("{LEAD_COOKIE}={secret};")) && !plain.contains("Secure")
        );
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_names_the_lead() {
        let (mine, planted) = (new_secret(), new_secret());
        let mut headers = axum::http::HeaderMap::new();
        // A sibling subdomain could set the unprefixed name; it must not count over https.
        headers.insert(
            axum::http::header::COOKIE,
            format!("{LEAD_COOKIE}={planted}").parse().unwrap(),
        );
        assert_eq!(lead_of_headers(&headers, true), None);
        headers.insert(
            axum::http::header::COOKIE,
            format!("{LEAD_COOKIE}={planted}; {SECURE_LEAD_COOKIE}={mine}")
                .parse()
                .unwrap(),
        );
        assert_eq!(lead_of_headers(&headers, true), lead_id_of(&mine));
        assert_eq!(lead_of_headers(&headers, false), lead_id_of(&planted));
    }
}
