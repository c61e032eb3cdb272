//! Phone numbers in E.164 (`+5511987654321`), from whatever people type or providers send:
//! `+55 11 98765-4321`, `(11) 98765-4321` with Brazil as the business's country,
//! `00351 912 345 678`, `07911 123456` in the UK, a WhatsApp `wa_id` (`16505551234`).
//! Numbering plans are checked for the countries Confab's businesses are in (Brazil,
//! Portugal, the US/Canada, the UK); other numbers are taken when written with their
//! country code and a plausible length. A number that cannot be read is an error, never
//! a guess: a wrong normalisation would link a lead to somebody else's client.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A country whose numbering plan Confab knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    /// Brazil, +55.
    Br,
    /// Portugal, +351.
    Pt,
    /// The US and Canada (NANP), +1.
    Us,
    /// The United Kingdom, +44.
    Gb,
}

impl Country {
    pub const ALL: [Country; 4] = [Country::Br, Country::Pt, Country::Us, Country::Gb];

    pub fn code(self) -> &'static str {
        match self {
            Country::Br => "55",
            Country::Pt => "351",
            Country::Us => "1",
            Country::Gb => "44",
        }
    }

    /// From an ISO 3166 code (`BR`, `pt`, `US`, `GB`/`UK`).
    pub fn parse(iso: &str) -> Option<Country> {
        match iso.trim().to_ascii_uppercase().as_str() {
            "BR" => Some(Country::Br),
            "PT" => Some(Country::Pt),
            "US" | "CA" => Some(Country::Us),
            "GB" | "UK" => Some(Country::Gb),
            _ => None,
        }
    }

    /// Whether `national` (digits after the country code, no trunk prefix) is a number of
    /// this country's plan.
    fn is_valid_national(self, national: &str) -> bool {
        let d = national.as_bytes();
        let all_digits = d.iter().all(u8::is_ascii_digit);
        all_digits
            && match self {
                // Area code 11–99 (no 0 in either digit), then 9 digits starting with 9
                // (mobile) or 8 digits starting with 2–5 (landline).
                Country::Br => {
                    d.len() >= 2
                        && d[0] != b'0'
                        && d[1] != b'0'
                        && match d.len() {
                            11 => d[2] == b'9',
                            10 => (b'2'..=b'5').contains(&d[2]),
                            _ => false,
                        }
                }
                // Nine digits: 9x mobiles, 2x landlines, 3x/7x/8x services.
                Country::Pt => d.len() == 9 && matches!(d[0], b'2' | b'3' | b'7' | b'8' | b'9'),
                // NXX-NXX-XXXX: area code and exchange start with 2–9.
                Country::Us => d.len() == 10 && d[0] >= b'2' && d[3] >= b'2',
                // After the trunk 0: mobiles 7 + 9 digits; geographic and other numbers 9–10 digits.
                Country::Gb => match d.first() {
                    Some(b'7') => d.len() == 10,
                    Some(b'1' | b'2' | b'3' | b'5' | b'8') => (9..=10).contains(&d.len()),
                    _ => false,
                },
            }
    }

    /// The national number of a nationally written number (drops the trunk prefix).
    fn national_of(self, digits: &str) -> Option<String> {
        let national = match self {
            Country::Br | Country::Gb => digits.strip_prefix('0').unwrap_or(digits),
            Country::Us => digits
                .strip_prefix('1')
                .filter(|rest| rest.len() == 10)
                .unwrap_or(digits),
            Country::Pt => digits,
        };
        self.is_valid_national(national)
            .then(|| national.to_owned())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Country::Br => "BR",
            Country::Pt => "PT",
            Country::Us => "US",
            Country::Gb => "GB",
        })
    }
}

/// A phone number in E.164: `+` and 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+` (WhatsApp's `wa_id`).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a phone number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("'{0}' has letters or signs that are not part of a phone number.")]
    NotANumber(String),
    #[error("'{0}' is too short or too long to be a phone number.")]
    BadLength(String),
    #[error("'{input}' is not a valid {country} number; write it with its country code, like +55 11 98765-4321.")]
    NotInPlan { input: String, country: Country },
}

impl PhoneError {
    /// The sentence for the employee, in `locale` (`Display` is the English one, for logs
    /// and API clients).
    pub fn message(&self, locale: crate::i18n::Locale) -> String {
        use crate::i18n::td_string;
        use crate::ui::locale::fill;
        match self {
            PhoneError::NotANumber(input) => fill(
                td_string!(locale, account.phone_not_a_number),
                &[("input", input)],
            ),
            PhoneError::BadLength(input) => fill(
                td_string!(locale, account.phone_bad_length),
                &[("input", input)],
            ),
            PhoneError::NotInPlan { input, country } => fill(
                td_string!(locale, account.phone_not_in_plan),
                &[("input", input), ("country", &country.to_string())],
            ),
        }
    }
}

/// Reads a number as written, with `default` as the country of numbers written without
/// their country code.
pub fn normalize(input: &str, default: Country) -> Result<E164, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c))
        || trimmed.chars().skip(1).any(|c| c == '+')
    {
        return Err(PhoneError::NotANumber(input.to_owned()));
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(7..=17).contains(&digits.len()) {
        return Err(PhoneError::BadLength(input.to_owned()));
    }
    if trimmed.starts_with('+') {
        return international(&digits, input);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international(rest, input);
    }
    if let Some(national) = default.national_of(&digits) {
        return Ok(E164(format!("+{}{national}", default.code())));
    }
    // Written without `+` but with a country code (a WhatsApp wa_id, a pasted number).
    international(&digits, input).map_err(|_| PhoneError::NotInPlan {
        input: input.to_owned(),
        country: default,
    })
}

/// Digits that start with a country code (`5511987654321`, a WhatsApp `wa_id`).
pub fn normalize_international(digits: &str) -> Result<E164, PhoneError> {
    let clean: String = digits.trim().trim_start_matches('+').to_owned();
    if clean.is_empty() || !clean.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::NotANumber(digits.to_owned()));
    }
    international(&clean, digits)
}

fn international(digits: &str, input: &str) -> Result<E164, PhoneError> {
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(PhoneError::BadLength(input.to_owned()));
    }
    // The longest known country code that prefixes the number decides its plan.
    let known = Country::ALL
        .into_iter()
        .filter(|c| digits.starts_with(c.code()))
        .max_by_key(|c| c.code().len());
    match known {
        Some(country) => {
            let national = &digits[country.code().len()..];
            if country.is_valid_national(national) {
                Ok(E164(format!("+{digits}")))
            } else {
                Err(PhoneError::NotInPlan {
                    input: input.to_owned(),
                    country,
                })
            }
        }
        None => Ok(E164(format!("+{digits}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, default: Country) -> String {
        normalize(input, default)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .to_string()
    }

    #[test]
    fn brazilian_numbers_in_every_usual_form() {
        for input in [
            "+55 11 98765-4321",
            "+5511987654321",
            "(11) 98765-4321",
            "11987654321",
            "011 98765 4321",
            "5511987654321",
            "0055 11 98765 4321",
        ] {
            assert_eq!(ok(input, Country::Br), "+5511987654321", "{input}");
        }
        assert_eq!(
            ok("(21) 2555-1234", Country::Br),
            "+552125551234",
            "a landline"
        );
        // The same person from a Portuguese business's inbox.
        assert_eq!(ok("+55 11 98765-4321", Country::Pt), "+5511987654321");
    }

    #[test]
    fn portuguese_us_and_uk_numbers() {
        assert_eq!(ok("912 345 678", Country::Pt), "+351912345678");
        assert_eq!(ok("+351 21 123 4567", Country::Br), "+351211234567");
        assert_eq!(ok("00351912345678", Country::Us), "+351912345678");
        assert_eq!(ok("(415) 555-2671", Country::Us), "+14155552671");
        assert_eq!(ok("1 415 555 2671", Country::Us), "+14155552671");
        assert_eq!(ok("+1 650-555-1234", Country::Br), "+16505551234");
        assert_eq!(ok("07911 123456", Country::Gb), "+447911123456");
        assert_eq!(ok("+44 20 7946 0958", Country::Us), "+442079460958");
    }

    #[test]
    fn a_whatsapp_wa_id_finds_the_same_number() {
        assert_eq!(
            normalize_international("5511987654321").unwrap(),
            normalize("(11) 98765-4321", Country::Br).unwrap()
        );
        assert_eq!(
            normalize_international("16505551234").unwrap().as_str(),
            "+16505551234"
        );
        // Bare international digits that are not a valid local number are read as such.
        assert_eq!(ok("16505551234", Country::Br), "+16505551234");
        assert_eq!(
            normalize_international("16505551234").unwrap().digits(),
            "16505551234"
        );
    }

    #[test]
    fn invalid_numbers_are_errors_never_guesses() {
        for (input, country) in [
            ("", Country::Br),
            ("call me", Country::Br),
            ("123", Country::Br),
            ("+55 11 8765-432", Country::Br), // too short for Brazil
            ("+55 00 98765-4321", Country::Br), // no area code 00
            ("(11) 88765-4321", Country::Br), // 9 digits not starting with 9
            ("+351 12 345 678", Country::Pt), // Portugal has 9 digits
            ("(015) 555-2671", Country::Us),  // area codes start with 2–9
            ("+1 415 155 2671", Country::Us), // exchanges start with 2–9
            ("07911 12345", Country::Gb),     // too short for a UK mobile
            ("+44 0 20 7946 0958", Country::Gb), // no trunk 0 after +44
            ("+55+11987654321", Country::Br),
            ("12345678901234567890", Country::Br),
        ] {
            assert!(normalize(input, country).is_err(), "{input} was accepted");
        }
        assert!(matches!(
            normalize("(11) 88765-4321", Country::Br),
            Err(PhoneError::NotInPlan {
                country: Country::Br,
                ..
            })
        ));
        assert!(normalize_international("0123456789").is_err());
    }

    #[test]
    fn refusals_read_the_same_in_english_and_have_a_portuguese() {
        use crate::i18n::Locale;
        for (input, country) in [
            ("call me", Country::Br),
            ("123", Country::Br),
            ("(11) 88765-4321", Country::Br),
        ] {
            let err = normalize(input, country).unwrap_err();
            assert_eq!(err.message(Locale::en), err.to_string());
            assert_ne!(err.message(Locale::pt_BR), err.to_string());
            assert!(err.message(Locale::pt_BR).contains(input));
        }
        assert_eq!(
            normalize("(11) 88765-4321", Country::Br)
                .unwrap_err()
                .message(Locale::pt_BR),
            "'(11) 88765-4321' não é um número válido do país BR; escreva com o código do país, como +55 11 98765-4321."
        );
    }

    #[test]
    fn countries_parse_from_iso_codes() {
        assert_eq!(Country::parse("br"), Some(Country::Br));
        assert_eq!(Country::parse("UK"), Some(Country::Gb));
        assert_eq!(Country::parse("XX"), None);
    }
}
