//! The language switch in the browser's UI: how leptos_i18n writes the language cookie
//! and reads the browser's languages during server rendering. The language helpers the
//! pages and the server share (`fill`, `error_text`, `request_locale`, ...) are in
//! `crate::locale`.

use crate::i18n::Locale;
#[cfg(feature = "ssr")]
use crate::locale::accept_language_for_us;

/// The language cookie as the browser writes it when the language is switched: for the
/// whole site, for a year (as the server's at sign-in).
pub fn cookie_options() -> leptos_i18n::context::CookieOptions<Locale> {
    leptos_i18n::context::CookieOptions::<Locale>::default()
        .path("/".to_owned())
        .max_age(365 * 24 * 3600 * 1000_i64)
}

/// How the server reads the browser's languages: through
/// [`crate::locale::accept_language_for_us`], so that a browser in Portugal (`pt-PT`) or
/// plain `pt` gets our Portuguese.
pub fn accept_language_options() -> leptos_i18n::context::UseLocalesOptions {
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(|| {
        #[cfg(feature = "ssr")]
        {
            use leptos::prelude::use_context;
            let parts = use_context::<axum::http::request::Parts>()?;
            let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE)?;
            Some(accept_language_for_us(header.to_str().ok()?))
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
}
