//! Phone numbers as people type them and providers send them: `normalize` with every
//! country Confab knows as the default, `normalize_international` (a WhatsApp wa_id) and
//! `Country::parse` (the default country's setting), with their refusals in every language.
#![no_main]

use app::i18n::Locale;
use app::phone::{normalize, normalize_international, Country, E164};
use libfuzzer_sys::fuzz_target;

/// E.164: `+` and 8 to 15 digits, the first not 0; and it reads back as itself whatever
/// the default country, and as a wa_id.
fn check(phone: &E164, input: &str) {
    let digits = phone
        .as_str()
        .strip_prefix('+')
        .unwrap_or_else(|| panic!("{input:?} → {phone}"));
    assert!((8..=15).contains(&digits.len()), "{input:?} → {phone}");
    assert!(
        digits.bytes().all(|b| b.is_ascii_digit()),
        "{input:?} → {phone}"
    );
    assert!(!digits.starts_with('0'), "{input:?} → {phone}");
    assert_eq!(phone.digits(), digits);
    for country in Country::ALL {
        assert_eq!(
            normalize(phone.as_str(), country).as_ref(),
            Ok(phone),
            "{input:?}"
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
    for country in Country::ALL {
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
        assert!(Country::ALL.contains(&country));
    }
});
