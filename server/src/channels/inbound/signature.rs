//! Webhook signatures: Meta's `X-Hub-Signature-256` (Messenger, Instagram, WhatsApp) and
//! Twilio's `X-Twilio-Signature`. Every comparison goes through `Mac::verify_slice`, which
//! is constant-time, so a forger learns nothing from how long a rejection takes.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use std::fmt::Write as _;

fn hmac_sha256(key: &str, data: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(data);
    mac
}

/// `sha256=<lowercase hex HMAC-SHA256(app_secret, raw_body)>`, as Meta sends it.
pub fn hub_signature(app_secret: &str, raw_body: &[u8]) -> String {
    let digest = hmac_sha256(app_secret, raw_body).finalize().into_bytes();
    let mut out = String::with_capacity(7 + 2 * digest.len());
    out.push_str("sha256=");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether `header` (the `X-Hub-Signature-256` value) signs exactly these bytes. Always
/// the raw request body: Meta signs its own `\uXXXX`-escaped serialisation. An empty
/// secret (a channel not yet configured) verifies nothing, or anyone could sign.
pub fn verify_hub_signature(app_secret: &str, raw_body: &[u8], header: Option<&str>) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(expected) = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .and_then(decode_hex)
    else {
        return false;
    };
    hmac_sha256(app_secret, raw_body)
        .verify_slice(&expected)
        .is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16);
    s.as_bytes()
        .chunks(2)
        .map(|pair| match *pair {
            [hi, lo] => Some((digit(hi)? * 16 + digit(lo)?) as u8),
            _ => None,
        })
        .collect()
}

fn twilio_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    // Twilio signs the URL followed by every parameter as name+value, sorted by name
    // (byte order), then by value for repeated names.
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The `X-Twilio-Signature` Twilio would send for a form POST of `params` to `url`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(twilio_mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of this request. `url` is the full URL Twilio
/// was told to call (query included). Like Twilio's own validators, the URL is also tried
/// without its port and with the scheme's default port, since Twilio keeps or drops the
/// port depending on the product and a proxy may add or strip it. An empty auth token
/// verifies nothing.
pub fn verify_twilio_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    if auth_token.is_empty() {
        return false;
    }
    let Some(expected) = header.and_then(|h| STANDARD.decode(h.trim()).ok()) else {
        return false;
    };
    let signed = |candidate: &str| {
        twilio_mac(auth_token, candidate, params)
            .verify_slice(&expected)
            .is_ok()
    };
    signed(url)
        || [without_port(url), with_default_port(url)]
            .into_iter()
            .flatten()
            .any(|candidate| signed(&candidate))
}

/// Splits `scheme://authority rest` into (`scheme://userinfo@host`, port, rest), where
/// the port is `None` when the URL has none.
fn split_port(url: &str) -> Option<(&str, Option<&str>, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let (authority, rest) = after.split_at(after.find(['/', '?', '#']).unwrap_or(after.len()));
    let head_len = scheme.len() + 3;
    Some(match authority.rsplit_once(':') {
        // A colon in the userinfo or inside IPv6 brackets does not start a port.
        Some((host, port)) if !port.contains(['@', ']']) => {
            (url.get(..head_len + host.len())?, Some(port), rest)
        }
        _ => (url.get(..head_len + authority.len())?, None, rest),
    })
}

fn without_port(url: &str) -> Option<String> {
    match split_port(url)? {
        (head, Some(_), rest) => Some(format!("{head}{rest}")),
        (_, None, _) => None,
    }
}

fn with_default_port(url: &str) -> Option<String> {
    let scheme = url.split_once("://")?.0;
    let port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        return None;
    };
    match split_port(url)? {
        (head, None, rest) => Some(format!("{head}:{port}{rest}")),
        (_, Some(_), _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::inbound::test_fixtures::fixture_json;
    use serde_json::Value;

    fn vectors(name: &str) -> Vec<Value> {
        fixture_json(name)["vectors"].as_array().unwrap().clone()
    }

    fn text<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
    }

    #[test]
    fn meta_vectors() {
        let vectors = vectors("meta_x_hub_signature_256_vectors.json");
        assert_eq!(vectors.len(), 4);
        for v in &vectors {
            let (secret, body) = (text(v, "app_secret"), text(v, "raw_body").as_bytes());
            if let Some(header) = v["expected_header"].as_str() {
                assert_eq!(hub_signature(secret, body), header, "{}", v["id"]);
                assert!(verify_hub_signature(secret, body, Some(header)));
                assert!(!verify_hub_signature("wrong secret", body, Some(header)));
                assert!(!verify_hub_signature(secret, b"other body", Some(header)));
                assert!(!verify_hub_signature(secret, body, None));
                // Meta's hex is lowercase, but case carries no meaning.
                let upper = format!("sha256={}", text(v, "expected_hex").to_uppercase());
                assert!(verify_hub_signature(secret, body, Some(&upper)));
            } else {
                assert_eq!(v["expected_valid"], false);
                assert!(!verify_hub_signature(secret, body, Some(text(v, "header"))));
            }
        }
    }

    #[test]
    fn empty_secrets_verify_nothing() {
        assert!(!verify_hub_signature(
            "",
            b"x",
            Some(&hub_signature("", b"x"))
        ));
        let sig = twilio_signature("", "https://h/", &[]);
        assert!(!verify_twilio_signature("", "https://h/", &[], Some(&sig)));
    }

    #[test]
    fn garbled_hub_headers_are_rejected() {
        let good = hub_signature("s", b"body");
        let hex = good.strip_prefix("sha256=").unwrap();
        for header in [
            "",
            "sha256=",
            hex,
            &format!("sha1={hex}"),
            &good[..good.len() - 1],
            &good[..good.len() - 2],
            &format!("{good}00"),
            "sha256=zz",
            "sha256=é",
        ] {
            assert!(
                !verify_hub_signature("s", b"body", Some(header)),
                "{header}"
            );
        }
    }

    fn params(v: &Value) -> Vec<(String, String)> {
        v["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn twilio_vectors() {
        let vectors = vectors("twilio_signature_vector.json");
        assert_eq!(vectors.len(), 5);
        for v in &vectors {
            let (token, url, params) = (text(v, "auth_token"), text(v, "url"), params(v));
            if let Some(expected) = v["expected_signature"].as_str() {
                assert_eq!(
                    twilio_signature(token, url, &params),
                    expected,
                    "{}",
                    v["id"]
                );
            }
            let accepted = v["expected_signature"]
                .as_str()
                .or(v["accepts_signature"].as_str())
                .unwrap();
            assert!(verify_twilio_signature(token, url, &params, Some(accepted)));
            assert!(!verify_twilio_signature(
                "54321",
                url,
                &params,
                Some(accepted)
            ));
            assert!(!verify_twilio_signature(token, url, &params, None));
            assert!(!verify_twilio_signature(token, url, &params, Some("")));
            assert!(!verify_twilio_signature(
                token,
                url,
                &params,
                Some("not base64!")
            ));
            let mut tampered = params.clone();
            tampered.push(("Body".into(), "injected".into()));
            assert!(!verify_twilio_signature(
                token,
                url,
                &tampered,
                Some(accepted)
            ));
        }
    }

    #[test]
    fn twilio_string_to_sign_order() {
        // The docs' worked example spells out the signed string; params arrive unsorted.
        let v = &vectors("twilio_signature_vector.json")[0];
        let mut params = params(v);
        params.reverse();
        let mut mac = Hmac::<Sha1>::new_from_slice(b"12345").unwrap();
        mac.update(text(v, "string_to_sign").as_bytes());
        let direct = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(twilio_signature("12345", text(v, "url"), &params), direct);
    }

    #[test]
    fn twilio_repeated_names_sort_by_value() {
        let a = [
            ("A".to_owned(), "2".to_owned()),
            ("A".to_owned(), "1".to_owned()),
        ];
        let b = [
            ("A".to_owned(), "1".to_owned()),
            ("A".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            twilio_signature("t", "u", &a),
            twilio_signature("t", "u", &b)
        );
    }

    #[test]
    fn twilio_default_ports() {
        let p = [("Body".to_owned(), "hi".to_owned())];
        let sig = |url: &str| twilio_signature("t", url, &p);
        let cases = [
            (
                "https://x.example/hook?a=1",
                "https://x.example:443/hook?a=1",
            ),
            ("https://x.example:443/hook", "https://x.example/hook"),
            ("http://x.example", "http://x.example:80"),
            ("http://u:p@x.example/h", "http://u:p@x.example:80/h"),
            ("https://[::1]/h", "https://[::1]:443/h"),
        ];
        for (configured, signed) in cases {
            assert!(verify_twilio_signature(
                "t",
                configured,
                &p,
                Some(&sig(signed))
            ));
        }
        // A port is never invented other than the scheme's default.
        let other = sig("https://x.example:8443/hook");
        assert!(!verify_twilio_signature(
            "t",
            "https://x.example/hook",
            &p,
            Some(&other)
        ));
    }

    #[test]
    fn port_splitting_handles_odd_urls() {
        for url in [
            "",
            "://",
            "no-scheme",
            "https://",
            "ftp://h:21/x",
            "https://h:/",
            "https://[::1]",
        ] {
            // Only checks that nothing panics on odd input.
            let _ = (without_port(url), with_default_port(url));
        }
        assert_eq!(
            without_port("https://h:1234?q=1").as_deref(),
            Some("https://h?q=1")
        );
        assert_eq!(with_default_port("ftp://h/x"), None);
    }
}
