//! Phone numbers as people type them and providers send them: `normalize` with businesses
//! of countries whose plans differ (trunk prefixes, international prefixes, shared calling
//! codes) as the default, `normalize_international` (a WhatsApp wa_id), `display` and
//! `Country::parse` (the default country's setting), with their refusals in every language.
#![no_main]

use app::i18n::Locale;
use app::phone::{display, normalize, normalize_international, Country, E164};
use libfuzzer_sys::fuzz_target;

/// Brazil, Portugal, the US, the UK, Australia (`0011` abroad), Russia (trunk `8`), Italy
/// (no trunk prefix), Argentina (mobile `15`) and Mexico.
const BUSINESSES: [&str; 9] = ["BR", "PT", "US", "GB", "AU", "RU", "IT", "AR", "MX"];

fn businesses() -> impl Iterator<Item = Country> {
    BUSINESSES
        .into_iter()
        .map(|iso| Country::parse(iso).expect("a country"))
}

/// E.164: `+` and 7 to 15 digits, the first not 0; it reads back as itself whatever the
/// default country, and as a wa_id; and as every business shows it, it reads back there.
fn check(phone: &E164, input: &str) {
    let digits = phone
        .as_str()
        .strip_prefix('+')
        .unwrap_or_else(|| panic!("{input:?} → {phone}"));
    assert!((7..=15).contains(&digits.len()), "{input:?} → {phone}");
    assert!(
        digits.bytes().all(|b| b.is_ascii_digit()),
        "{input:?} → {phone}"
    );
    assert!(!digits.starts_with('0'), "{input:?} → {phone}");
    assert_eq!(phone.digits(), digits);
    for country in businesses() {
        assert_eq!(
            normalize(phone.as_str(), country).as_ref(),
            Ok(phone),
            "{input:?}"
        );
        let shown = display(phone.as_str(), country);
        assert_eq!(
            normalize(&shown, country).as_ref(),
            Ok(phone),
            "{input:?} shown as {shown:?} in {country}"
        );
    }
    assert_eq!(
        normalize_international(digits).as_ref(),
        Ok(phone),
        "{input:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut results = Vec::new();
    for country in businesses() {
        let result = normalize(input, country);
        match &result {
            Ok(phone) => check(phone, input),
            Err(err) => {
                for locale in [Locale::en, Locale::pt_BR] {
                    assert!(!err.message(locale).is_empty());
                }
            }
        }
        results.push(result);
    }
    // With its country code, a number does not depend on the default country.
    if input.trim().starts_with('+') {
        assert!(
            results.windows(2).all(|w| w[0] == w[1]),
            "{input:?}: {results:?}"
        );
    }
    match normalize_international(input) {
        Ok(phone) => check(&phone, input),
        Err(err) => assert!(!err.message(Locale::pt_BR).is_empty()),
    }
    if let Some(country) = Country::parse(input) {
        assert_eq!(Country::parse(&country.to_string()), Some(country));
        assert!(country.calling_code() > 0);
    }
    // Whatever is stored, showing it never panics, and what is not E.164 shows as stored.
    for country in businesses() {
        let shown = display(input, country);
        if !input.starts_with('+') {
            assert_eq!(shown, input);
        }
    }
});
