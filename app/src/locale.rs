//! The languages Confab speaks. Translations are leptos_i18n's (`crate::i18n`, keys in
//! `app/locales/{en,pt-BR}/<namespace>.json`); this module adds what the crate leaves to
//! the app, for the server's sentences and the pages alike: the language of a request,
//! placeholders in translated strings, numbers and amounts in the locale's format, error
//! sentences, and the tag stored in the employee's profile. What only the browser's UI
//! needs (the language cookie's options, the header getter) is in `app/src/ui/locale.rs`.

use crate::error::AppError;
use crate::i18n::{td_string, Locale};

/// Every language Confab speaks, in the order the profile offers them.
pub const LOCALES: [Locale; 2] = [Locale::en, Locale::pt_BR];

/// The cookie leptos_i18n reads first on every request (and writes when the language is
/// switched); sign-in sets it from the profile so the first page is already right.
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// Rewrites an Accept-Language header so that every Portuguese range names `pt-BR`, the
/// Portuguese we have; the order and weights stay.
pub fn accept_language_for_us(header: &str) -> String {
    header
        .split(',')
        .map(|range| {
            let (tag, weight) = range.split_once(';').unwrap_or((range, ""));
            let tag = tag.trim();
            let primary = tag.split('-').next().unwrap_or_default();
            let tag = if primary.eq_ignore_ascii_case("pt") {
                "pt-BR"
            } else {
                tag
            };
            if weight.is_empty() {
                tag.to_owned()
            } else {
                format!("{tag};{}", weight.trim())
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The language of the request being served, for sentences the server writes (validation
/// errors, refusals): the language cookie, else the browser's Accept-Language, else
/// English. Outside a request (workers, webhooks) it is English.
#[cfg(feature = "ssr")]
pub fn request_locale() -> Locale {
    use leptos::prelude::use_context;
    match use_context::<axum::http::request::Parts>() {
        Some(parts) => locale_of_headers(&parts.headers),
        None => Locale::en,
    }
}

/// The language a request's headers ask for: the language cookie, else the browser's
/// Accept-Language, else English. Server functions and plain routes alike.
#[cfg(feature = "ssr")]
pub fn locale_of_headers(headers: &axum::http::HeaderMap) -> Locale {
    use leptos_i18n::Locale as _;
    let from_cookie = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LOCALE_COOKIE)
        .and_then(|(_, value)| parse_tag(value));
    from_cookie.unwrap_or_else(|| {
        let header = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accept_language_for_us)
            .unwrap_or_default();
        let ranges: Vec<&str> = header
            .split(',')
            .map(|r| r.split(';').next().unwrap_or_default().trim())
            .filter(|r| !r.is_empty())
            .collect();
        Locale::find_locale(&ranges)
    })
}

/// The BCP 47 tag: `en`, `pt-BR`.
pub fn tag(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "en",
        Locale::pt_BR => "pt-BR",
    }
}

/// The language's own name, for the picker.
pub fn native_name(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "English",
        Locale::pt_BR => "Português (Brasil)",
    }
}

/// A stored or submitted tag back to a locale; `pt`, `pt-PT` and case differences map to
/// the nearest one we have.
pub fn parse_tag(tag: &str) -> Option<Locale> {
    let lower = tag.trim().to_ascii_lowercase();
    match lower.as_str() {
        "en" | "en-us" | "en-gb" => Some(Locale::en),
        "pt" | "pt-br" | "pt-pt" => Some(Locale::pt_BR),
        _ => None,
    }
}

/// Fills `{name}` placeholders in a translated template. Views interpolate with `t!`;
/// attributes and plain strings need a `String`, which leptos_i18n's `t_string!` only
/// interpolates with its build-script set-up (a heavy build dependency we avoid).
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A whole number with the locale's thousands separator: 12,345 / 12.345.
pub fn format_integer(locale: Locale, value: i64) -> String {
    let separator = match locale {
        Locale::en => ',',
        Locale::pt_BR => '.',
    };
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// An amount in cents with its currency code: "BRL 1,234.50" / "BRL 1.234,50".
pub fn format_amount(locale: Locale, cents: i64, currency: &str) -> String {
    let decimal = match locale {
        Locale::en => '.',
        Locale::pt_BR => ',',
    };
    let sign = if cents < 0 { "-" } else { "" };
    let units = format_integer(locale, (cents / 100).abs());
    let fraction = (cents % 100).abs();
    format!("{currency} {sign}{units}{decimal}{fraction:02}")
}

/// The sentence shown for a server function's error, in the employee's language. Messages
/// that the server composed (validation, conflicts) arrive already worded.
pub fn error_text(locale: Locale, error: &AppError) -> String {
    match error {
        AppError::Unauthorized => td_string!(locale, common.error_unauthorized).to_owned(),
        AppError::Forbidden => td_string!(locale, common.error_forbidden).to_owned(),
        AppError::NotFound(what) => fill(
            td_string!(locale, common.error_not_found),
            &[("what", what)],
        ),
        AppError::Network(_) => td_string!(locale, common.error_network).to_owned(),
        AppError::Internal => td_string!(locale, common.error_internal).to_owned(),
        AppError::Validation { message, .. } => message.clone(),
        AppError::Conflict(message) | AppError::TooManyAttempts(message) => message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys(prefix: &str, value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    keys(&path, inner, out);
                }
            }
            _ => {
                out.insert(prefix.to_owned());
            }
        }
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            found.insert(after[..close].trim_matches(['{', ' ']).to_owned());
            rest = &after[close + 1..];
        }
        found
    }

    fn load(locale: &str, namespace: &str) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(locale)
            .join(format!("{namespace}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{} is missing: {err}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
    }

    fn namespaces() -> Vec<String> {
        let manifest = include_str!("../Cargo.toml");
        let line = manifest
            .lines()
            .find(|l| l.starts_with("namespaces"))
            .expect("the namespaces line in app/Cargo.toml");
        line.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    /// Fails when a key (or a placeholder in it) exists in one language and not the other.
    #[test]
    fn every_key_is_translated_in_both_languages() {
        let namespaces = namespaces();
        assert!(namespaces.len() >= 5, "namespaces: {namespaces:?}");
        for namespace in &namespaces {
            let (en, pt) = (load("en", namespace), load("pt-BR", namespace));
            let (mut en_keys, mut pt_keys) = (BTreeSet::new(), BTreeSet::new());
            keys("", &en, &mut en_keys);
            keys("", &pt, &mut pt_keys);
            let missing_pt: Vec<_> = en_keys.difference(&pt_keys).collect();
            let missing_en: Vec<_> = pt_keys.difference(&en_keys).collect();
            assert!(
                missing_pt.is_empty() && missing_en.is_empty(),
                "{namespace}: missing in pt-BR {missing_pt:?}, missing in en {missing_en:?}"
            );
            for key in &en_keys {
                let pointer = format!("/{}", key.replace('.', "/"));
                let (a, b) = (en.pointer(&pointer), pt.pointer(&pointer));
                let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
                assert!(
                    !text(b).trim().is_empty(),
                    "{namespace}.{key} is empty in pt-BR"
                );
                assert_eq!(
                    placeholders(&text(a)),
                    placeholders(&text(b)),
                    "{namespace}.{key}: the placeholders differ between en and pt-BR"
                );
            }
        }
    }

    fn sources(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }

    /// Fails on a key no code uses any more, so the files hold only what is shown.
    #[test]
    fn every_key_is_used() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut code = String::new();
        sources(&root.join("src"), &mut code);
        sources(&root.join("../server/src"), &mut code);
        for namespace in namespaces() {
            let mut en_keys = BTreeSet::new();
            keys("", &load("en", &namespace), &mut en_keys);
            let unused: Vec<_> = en_keys
                .iter()
                .filter(|key| {
                    let path = format!("{namespace}.{key}");
                    !code.match_indices(&path).any(|(at, _)| {
                        let after = code[at + path.len()..].chars().next();
                        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    })
                })
                .collect();
            assert!(
                unused.is_empty(),
                "{namespace}: keys no code uses: {unused:?}"
            );
        }
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(fill("{a} and {b}", &[("a", "x"), ("b", "y")]), "x and y");
        assert_eq!(fill("{a} {unknown}", &[("a", "x")]), "x {unknown}");
        assert_eq!(fill("no braces", &[]), "no braces");
        assert_eq!(fill("open { only", &[]), "open { only");
    }

    #[test]
    fn numbers_follow_the_locale() {
        assert_eq!(format_integer(Locale::en, 1_234_567), "1,234,567");
        assert_eq!(format_integer(Locale::pt_BR, 1_234_567), "1.234.567");
        assert_eq!(format_integer(Locale::en, 999), "999");
        assert_eq!(format_amount(Locale::en, 123_450, "BRL"), "BRL 1,234.50");
        assert_eq!(format_amount(Locale::pt_BR, 123_450, "BRL"), "BRL 1.234,50");
        assert_eq!(format_amount(Locale::pt_BR, -5, "EUR"), "EUR -0,05");
    }

    #[test]
    fn every_portuguese_reads_as_ours() {
        assert_eq!(
            accept_language_for_us("pt-PT,pt;q=0.9,en;q=0.8"),
            "pt-BR,pt-BR;q=0.9,en;q=0.8"
        );
        assert_eq!(accept_language_for_us("en-US, en;q=0.5"), "en-US,en;q=0.5");
        assert_eq!(accept_language_for_us("PT"), "pt-BR");
        assert_eq!(accept_language_for_us("de-DE"), "de-DE");
    }

    #[test]
    fn tags_round_trip_and_near_tags_map() {
        for locale in LOCALES {
            assert_eq!(parse_tag(tag(locale)), Some(locale));
        }
        assert_eq!(parse_tag("PT-pt"), Some(Locale::pt_BR));
        assert_eq!(parse_tag("fr"), None);
    }
}
