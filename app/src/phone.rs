//! Phone numbers: read from whatever people type or providers send, kept in E.164
//! (`+5511987654321`), shown as people write them.
//!
//! Reading: `+55 11 98765-4321`, `(11) 98765-4321` with Brazil as the business's country,
//! `00351 912 345 678`, `07911 123456` in the UK, `011 44 20 7946 0958` in the US, a
//! WhatsApp `wa_id` (`16505551234`). Every country's numbering plan is checked with Google's
//! libphonenumber metadata (the `phonenumber` crate). A number that cannot be read is an
//! error, never a guess: a wrong normalisation would link a lead to somebody else's client.
//!
//! Showing: national form for numbers of the business's own country (`(11) 98765-4321` in
//! Brazil), international form for the others (`+351 912 345 678`). The metadata is large,
//! so only the server has it: it sends the text to show beside every number
//! (`phones_display`, `phone_display` … in the pages' data) and the browser shows it as is.
#![cfg(feature = "ssr")]

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber};
use std::fmt;
use std::str::FromStr;

/// A country with a numbering plan (ISO 3166 code): the business's country, that of
/// numbers written without their country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(Id);

impl Country {
    /// Brazil, Confab's default.
    pub const BR: Country = Country(Id::BR);

    /// From an ISO 3166 code (`BR`, `pt`, `ES`, `GB`/`UK`); `None` for a code without a
    /// numbering plan.
    pub fn parse(iso: &str) -> Option<Country> {
        let iso = iso.trim().to_ascii_uppercase();
        let iso = if iso == "UK" { "GB".to_owned() } else { iso };
        if iso.len() != 2 || !iso.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let id = Id::from_str(&iso).ok()?;
        DATABASE.by_id(id.as_ref()).map(|_| Country(id))
    }

    /// Its country calling code (`55` for Brazil, `1` for the US and Canada).
    pub fn calling_code(self) -> u16 {
        DATABASE
            .by_id(self.0.as_ref())
            .map(|meta| meta.country_code())
            .unwrap_or_default()
    }

    /// The prefix dialled from this country to call abroad, if the plan has one
    /// (`011` in the US, `0011` in Australia), as the length of its match at the start.
    fn international_prefix_len(self, digits: &str) -> Option<usize> {
        let meta = DATABASE.by_id(self.0.as_ref())?;
        let found = meta.international_prefix()?.find(digits)?;
        (found.start() == 0 && found.end() > 0).then_some(found.end())
    }

    /// The country whose plan numbers with this calling code follow (the main one where
    /// several share it: the US for +1).
    fn of_calling_code(code: u16) -> Option<Country> {
        let metas = DATABASE.by_code(&code)?;
        let main = metas
            .iter()
            .find(|meta| meta.is_main_country_for_code())
            .or_else(|| metas.first())?;
        Id::from_str(main.id()).ok().map(Country)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

/// A phone number in E.164: `+` and 7 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+` (WhatsApp's `wa_id`).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    fn of(number: &PhoneNumber) -> E164 {
        E164(number.format().mode(Mode::E164).to_string())
    }

    /// `number` in E.164 if it is valid and its E.164 form reads back as itself: a
    /// number read with a national prefix (Brazil's `0900` premium numbers, whose `90` is
    /// also a carrier-selection prefix) can otherwise be stored yet never found again.
    fn of_valid(number: &PhoneNumber) -> Option<E164> {
        if !phonenumber::is_valid(number) {
            return None;
        }
        let e164 = E164::of(number);
        let back = phonenumber::parse(None, e164.as_str()).ok()?;
        (phonenumber::is_valid(&back) && E164::of(&back) == e164).then_some(e164)
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
    #[error("'{0}' does not start with a country's calling code.")]
    UnknownCountryCode(String),
    #[error("'{input}' is not a valid {country} number; write it with its country code, like +55 11 98765-4321.")]
    NotInPlan { input: String, country: Country },
}

impl PhoneError {
    /// The sentence for the employee, in `locale` (`Display` is the English one, for logs
    /// and API clients).
    pub fn message(&self, locale: crate::i18n::Locale) -> String {
        use crate::i18n::td_string;
        use crate::locale::fill;
        match self {
            PhoneError::NotANumber(input) => fill(
                td_string!(locale, account.phone_not_a_number),
                &[("input", input)],
            ),
            PhoneError::BadLength(input) => fill(
                td_string!(locale, account.phone_bad_length),
                &[("input", input)],
            ),
            PhoneError::UnknownCountryCode(input) => fill(
                td_string!(locale, account.phone_unknown_country_code),
                &[("input", input)],
            ),
            PhoneError::NotInPlan { input, country } => fill(
                td_string!(locale, account.phone_not_in_plan),
                &[("input", input), ("country", &country.to_string())],
            ),
        }
    }
}

/// Spaces and signs people put between the digits of a number: ASCII ones, no-break and
/// thin spaces, and the typographic dashes a number copied from a web page may have.
fn is_separator(c: char) -> bool {
    " -().\u{a0}/".contains(c)
        || matches!(
            c,
            '\u{2007}' | '\u{2009}' | '\u{202f}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Reads a number as written, with `default` (the business's country) as the country of
/// numbers written without their country code.
///
/// In order: `+` and a country code; `00` and a country code (the international prefix of
/// most of the world); the default country's own international prefix (`011` in the US);
/// a national number of the default country (with or without its trunk prefix, `0` in
/// Brazil and the UK); digits that start with a country code without `+` (a `wa_id`).
pub fn normalize(input: &str, default: Country) -> Result<E164, PhoneError> {
    let trimmed = input.trim();
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
        return Err(PhoneError::NotANumber(input.to_owned()));
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    // The shortest numbers (Niue's) have four digits; the longest, written with an
    // international prefix, seventeen.
    if !(4..=17).contains(&digits.len()) {
        return Err(PhoneError::BadLength(input.to_owned()));
    }
    if trimmed.starts_with('+') {
        return international(&digits, input);
    }
    let not_in_plan = || PhoneError::NotInPlan {
        input: input.to_owned(),
        country: default,
    };
    if let Some(found) = digits
        .strip_prefix("00")
        .and_then(|rest| international(rest, input).ok())
    {
        return Ok(found);
    }
    if let Some(found) = default
        .international_prefix_len(&digits)
        .and_then(|idd| international(&digits[idd..], input).ok())
    {
        return Ok(found);
    }
    // The digits as a national number of the default country, read with its calling code
    // before the crate's own reading: that one takes a national number starting with the
    // calling code's digits for a country code (Santa Maria's `(55) 2725-4601` in Brazil
    // would lose its area code).
    if let Some(found) = phonenumber::parse(None, format!("+{}{digits}", default.calling_code()))
        .ok()
        .and_then(|number| E164::of_valid(&number))
    {
        return Ok(found);
    }
    if let Ok(number) = phonenumber::parse(Some(default.0), &digits) {
        // The crate also reads a country code or an international prefix here, with the
        // default country's trunk prefix rules; only the default country's numbers are
        // taken from this reading (the others were read above, or are below).
        if u16::from(*number.code()) == default.calling_code() {
            if let Some(found) = E164::of_valid(&number) {
                return Ok(found);
            }
        }
    }
    // Written without `+` but with a country code (a WhatsApp wa_id, a pasted number).
    international(&digits, input).map_err(|_| not_in_plan())
}

/// Digits that start with a country code (`5511987654321`, a WhatsApp `wa_id`), with or
/// without `+`.
pub fn normalize_international(digits: &str) -> Result<E164, PhoneError> {
    let clean = digits.trim();
    let clean = clean.strip_prefix('+').unwrap_or(clean);
    if clean.is_empty() || !clean.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::NotANumber(digits.to_owned()));
    }
    international(clean, digits)
}

/// `digits` (a country code and the national number) as a valid number of that country.
fn international(digits: &str, input: &str) -> Result<E164, PhoneError> {
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(PhoneError::BadLength(input.to_owned()));
    }
    // Parsed without a default country: the crate would otherwise apply the default
    // country's trunk prefix to another country's number (drop the 0 of Rome's 06).
    let number = match phonenumber::parse(None, format!("+{digits}")) {
        Ok(number) => number,
        Err(phonenumber::ParseError::InvalidCountryCode) => {
            return Err(PhoneError::UnknownCountryCode(input.to_owned()))
        }
        Err(_) => return Err(PhoneError::BadLength(input.to_owned())),
    };
    if let Some(found) = E164::of_valid(&number) {
        return Ok(found);
    }
    if let Some(found) = mexican_mobile_without_its_old_1(digits) {
        return Ok(found);
    }
    let code = u16::from(*number.code());
    match Country::of_calling_code(code) {
        Some(country) => Err(PhoneError::NotInPlan {
            input: input.to_owned(),
            country,
        }),
        None => Err(PhoneError::UnknownCountryCode(input.to_owned())),
    }
}

/// Mexico's mobiles were dialled from abroad with a `1` after `+52` until 2019, and
/// WhatsApp still gives Mexican `wa_id`s that way (`5215512345678`): the number is the
/// same without it.
fn mexican_mobile_without_its_old_1(digits: &str) -> Option<E164> {
    let national = digits.strip_prefix("521").filter(|rest| rest.len() == 10)?;
    let number = phonenumber::parse(None, format!("+52{national}")).ok()?;
    E164::of_valid(&number)
}

/// How people read a stored number (E.164): in national form when it is of the business's
/// country (`(11) 98765-4321` for a Brazilian business), else in international form
/// (`+55 11 98765-4321`); as stored when it cannot be read (never hidden).
pub fn display(stored: &str, business: Country) -> String {
    let Some(digits) = stored.strip_prefix('+') else {
        return stored.to_owned();
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return stored.to_owned();
    }
    let Ok(number) = phonenumber::parse(None, stored) else {
        return stored.to_owned();
    };
    // A number outside its plan (a kept wa_id) is shown with its country code apart,
    // never regrouped as if it were valid.
    if phonenumber::is_valid(&number) && u16::from(*number.code()) == business.calling_code() {
        let national = number.format().mode(Mode::National).to_string();
        // Shown at home only if typing it back gives the same number: in Argentina a
        // Buenos Aires landline `1597-3456` written `011 1597-3456` reads as a mobile.
        if normalize(&national, business).as_ref() == Ok(&E164::of(&number)) {
            return national;
        }
    }
    number.format().mode(Mode::International).to_string()
}

/// [`display`] of an optional number.
pub fn display_opt(stored: Option<&str>, business: Country) -> Option<String> {
    stored.map(|stored| display(stored, business))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(iso: &str) -> Country {
        Country::parse(iso).unwrap_or_else(|| panic!("{iso} is not a country"))
    }

    fn ok(input: &str, default: Country) -> String {
        normalize(input, default)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .to_string()
    }

    /// Numbers of 24 countries as people type them, with the business's country for
    /// those written without a country code: what is stored, and how it is shown to a
    /// business of that country (national) and to one elsewhere (international).
    #[test]
    fn numbers_of_many_countries_as_people_type_them() {
        // (business's country, as typed, E.164, shown at home, shown abroad)
        let table = [
            (
                "BR",
                "(11) 98765-4321",
                "+5511987654321",
                "(11) 98765-4321",
                "+55 11 98765-4321",
            ),
            // Area code 55 (Santa Maria, RS) is also Brazil's calling code.
            (
                "BR",
                "(55) 2725-4601",
                "+555527254601",
                "(55) 2725-4601",
                "+55 55 2725-4601",
            ),
            (
                "BR",
                "(21) 2555-1234",
                "+552125551234",
                "(21) 2555-1234",
                "+55 21 2555-1234",
            ),
            (
                "PT",
                "912 345 678",
                "+351912345678",
                "912 345 678",
                "+351 912 345 678",
            ),
            (
                "ES",
                "+34 612 34 56 78",
                "+34612345678",
                "612 34 56 78",
                "+34 612 34 56 78",
            ),
            (
                "MX",
                "+52 1 55 1234 5678",
                "+525512345678",
                "55 1234 5678",
                "+52 55 1234 5678",
            ),
            (
                "MX",
                "55 1234 5678",
                "+525512345678",
                "55 1234 5678",
                "+52 55 1234 5678",
            ),
            (
                "AO",
                "+244 923 123 456",
                "+244923123456",
                "923 123 456",
                "+244 923 123 456",
            ),
            (
                "GB",
                "07911 123456",
                "+447911123456",
                "07911 123456",
                "+44 7911 123456",
            ),
            (
                "GB",
                "+44 (0)20 7946 0958",
                "+442079460958",
                "020 7946 0958",
                "+44 20 7946 0958",
            ),
            (
                "US",
                "(415) 555-2671",
                "+14155552671",
                "(415) 555-2671",
                "+1 415-555-2671",
            ),
            (
                "US",
                "011 44 20 7946 0958",
                "+442079460958",
                "+44 20 7946 0958",
                "+44 20 7946 0958",
            ),
            (
                "CA",
                "416-967-1111",
                "+14169671111",
                "(416) 967-1111",
                "+1 416-967-1111",
            ),
            (
                "AR",
                "011 15-1234-5678",
                "+5491112345678",
                "011 15-1234-5678",
                "+54 9 11 1234-5678",
            ),
            (
                "DE",
                "0151 23456789",
                "+4915123456789",
                "01512 3456789",
                "+49 1512 3456789",
            ),
            (
                "FR",
                "06 12 34 56 78",
                "+33612345678",
                "06 12 34 56 78",
                "+33 6 12 34 56 78",
            ),
            (
                "IT",
                "+39 06 1234 5678",
                "+390612345678",
                "06 1234 5678",
                "+39 06 1234 5678",
            ),
            (
                "IN",
                "+91 98765 43210",
                "+919876543210",
                "098765 43210",
                "+91 98765 43210",
            ),
            (
                "CN",
                "138 0013 8000",
                "+8613800138000",
                "138 0013 8000",
                "+86 138 0013 8000",
            ),
            (
                "JP",
                "090-1234-5678",
                "+819012345678",
                "090-1234-5678",
                "+81 90-1234-5678",
            ),
            (
                "AU",
                "0412 345 678",
                "+61412345678",
                "0412 345 678",
                "+61 412 345 678",
            ),
            (
                "AU",
                "0011 55 11 98765 4321",
                "+5511987654321",
                "+55 11 98765-4321",
                "+55 11 98765-4321",
            ),
            (
                "ZA",
                "082 123 4567",
                "+27821234567",
                "082 123 4567",
                "+27 82 123 4567",
            ),
            (
                "NG",
                "0803 123 4567",
                "+2348031234567",
                "0803 123 4567",
                "+234 803 123 4567",
            ),
            (
                "CO",
                "321 1234567",
                "+573211234567",
                "321 1234567",
                "+57 321 1234567",
            ),
            (
                "CL",
                "+56 9 6123 4567",
                "+56961234567",
                "9 6123 4567",
                "+56 9 6123 4567",
            ),
            (
                "MZ",
                "84 123 4567",
                "+258841234567",
                "84 123 4567",
                "+258 84 123 4567",
            ),
            (
                "CV",
                "991 12 34",
                "+2389911234",
                "991 12 34",
                "+238 991 12 34",
            ),
            (
                "RU",
                "8 (912) 345-67-89",
                "+79123456789",
                "8 (912) 345-67-89",
                "+7 912 345-67-89",
            ),
            (
                "KR",
                "010-1234-5678",
                "+821012345678",
                "010-1234-5678",
                "+82 10-1234-5678",
            ),
            (
                "NL",
                "06 12345678",
                "+31612345678",
                "06 12345678",
                "+31 6 12345678",
            ),
            (
                "CH",
                "078 123 45 67",
                "+41781234567",
                "078 123 45 67",
                "+41 78 123 45 67",
            ),
            // Niue's numbers have four digits: seven with the country code.
            ("NU", "7290", "+6837290", "7290", "+683 7290"),
        ];
        let mut countries = std::collections::HashSet::new();
        for (iso, typed, e164, at_home, abroad) in table {
            let home = country(iso);
            let stored = ok(typed, home);
            assert_eq!(stored, e164, "{iso}: {typed}");
            let own = Country::of_calling_code(country_code_of(&stored)).unwrap();
            countries.insert(own);
            assert_eq!(display(&stored, home), at_home, "{iso}: {typed}");
            // Shown to a business elsewhere, and read back from there as shown.
            let elsewhere = if home.calling_code() == 81 {
                Country::BR
            } else {
                country("JP")
            };
            assert_eq!(display(&stored, elsewhere), abroad, "{iso}: {typed}");
            assert_eq!(ok(abroad, elsewhere), e164, "{abroad} from {elsewhere}");
            // What a business shows its own numbers as reads back as the same number.
            if own.calling_code() == home.calling_code() {
                assert_eq!(ok(at_home, home), e164, "{at_home} in {iso}");
            }
            // The wa_id WhatsApp would give.
            assert_eq!(normalize_international(&e164[1..]).unwrap().as_str(), e164);
        }
        assert!(countries.len() >= 20, "{} countries", countries.len());
    }

    fn country_code_of(e164: &str) -> u16 {
        phonenumber::parse(None, e164).unwrap().code().value()
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
            "+55 (11) 98765\u{2011}4321",
            "0 21 11 98765-4321", // through a long-distance carrier (21)
        ] {
            assert_eq!(ok(input, Country::BR), "+5511987654321", "{input}");
        }
        assert_eq!(
            ok("(21) 2555-1234", Country::BR),
            "+552125551234",
            "a landline"
        );
        // The same person from a Portuguese business's inbox.
        assert_eq!(ok("+55 11 98765-4321", country("PT")), "+5511987654321");
    }

    #[test]
    fn portuguese_us_and_uk_numbers() {
        assert_eq!(ok("912 345 678", country("PT")), "+351912345678");
        assert_eq!(ok("+351 21 123 4567", Country::BR), "+351211234567");
        assert_eq!(ok("00351912345678", country("US")), "+351912345678");
        assert_eq!(ok("(415) 555-2671", country("US")), "+14155552671");
        assert_eq!(ok("1 415 555 2671", country("US")), "+14155552671");
        assert_eq!(ok("+1 650-555-1234", Country::BR), "+16505551234");
        assert_eq!(ok("07911 123456", country("GB")), "+447911123456");
        assert_eq!(ok("+44 20 7946 0958", country("US")), "+442079460958");
    }

    #[test]
    fn a_whatsapp_wa_id_finds_the_same_number() {
        assert_eq!(
            normalize_international("5511987654321").unwrap(),
            normalize("(11) 98765-4321", Country::BR).unwrap()
        );
        assert_eq!(
            normalize_international("16505551234").unwrap().as_str(),
            "+16505551234"
        );
        // Bare international digits that are not a valid local number are read as such.
        assert_eq!(ok("16505551234", Country::BR), "+16505551234");
        assert_eq!(
            normalize_international("16505551234").unwrap().digits(),
            "16505551234"
        );
        // WhatsApp's Mexican ids keep the 1 Mexico dropped; Argentina's mobiles have a 9.
        assert_eq!(
            normalize_international("5215512345678").unwrap().as_str(),
            "+525512345678"
        );
        assert_eq!(
            normalize_international("5491112345678").unwrap(),
            normalize("011 15-1234-5678", country("AR")).unwrap()
        );
    }

    #[test]
    fn invalid_numbers_are_errors_never_guesses() {
        for (input, country) in [
            ("", Country::BR),
            ("call me", Country::BR),
            ("123", Country::BR),
            ("1234", Country::BR),
            ("+55 11 8765-432", Country::BR), // too short for Brazil
            ("+55 00 98765-4321", Country::BR), // no area code 00
            ("(11) 88765-4321", Country::BR), // 9 digits not starting with 9
            ("+351 12 345 678", country("PT")), // Portugal has 9 digits
            ("(015) 555-2671", country("US")), // area codes start with 2–9
            ("+1 415 155 2671", country("US")), // exchanges start with 2–9
            ("07911 12345", country("GB")),   // too short for a UK mobile
            ("+55+11987654321", Country::BR),
            ("12345678901234567890", Country::BR),
            ("+999 1234 5678", Country::BR), // no country has the code 999
            ("tel:+5511987654321", Country::BR),
            ("+55 11 98765-4321 ext. 12", Country::BR),
            ("+", Country::BR),
        ] {
            assert!(normalize(input, country).is_err(), "{input} was accepted");
        }
        assert!(matches!(
            normalize("(11) 88765-4321", Country::BR),
            Err(PhoneError::NotInPlan {
                country: Country::BR,
                ..
            })
        ));
        assert!(matches!(
            normalize("+1 415 155 2671", Country::BR),
            Err(PhoneError::NotInPlan { country, .. }) if country.to_string() == "US"
        ));
        assert!(matches!(
            normalize("+999 1234 5678", Country::BR),
            Err(PhoneError::UnknownCountryCode(_))
        ));
        assert!(normalize_international("0123456789").is_err());
        // A Brazilian wa_id without the ninth digit is not a valid number (the WhatsApp
        // channel keeps it as Meta gives it).
        assert!(normalize_international("551187654321").is_err());
    }

    #[test]
    fn refusals_read_the_same_in_english_and_have_a_portuguese() {
        use crate::i18n::Locale;
        for (input, country) in [
            ("call me", Country::BR),
            ("123", Country::BR),
            ("(11) 88765-4321", Country::BR),
            ("+999 1234 5678", Country::BR),
        ] {
            let err = normalize(input, country).unwrap_err();
            assert_eq!(err.message(Locale::en), err.to_string());
            assert_ne!(err.message(Locale::pt_BR), err.to_string());
            assert!(err.message(Locale::pt_BR).contains(input));
        }
        assert_eq!(
            normalize("(11) 88765-4321", Country::BR)
                .unwrap_err()
                .message(Locale::pt_BR),
            "'(11) 88765-4321' não é um número válido do país BR; escreva com o código do país, como +55 11 98765-4321."
        );
    }

    #[test]
    fn numbers_outside_the_plan_are_shown_as_stored_or_with_their_code_apart() {
        assert_eq!(display("+551187654321", Country::BR), "+55 1187654321");
        assert_eq!(display("+9991234", Country::BR), "+9991234");
        assert_eq!(display("5511987654321", Country::BR), "5511987654321");
        assert_eq!(display("", Country::BR), "");
        assert_eq!(
            display_opt(Some("+5511987654321"), country("PT")).as_deref(),
            Some("+55 11 98765-4321")
        );
        assert_eq!(display_opt(None, Country::BR), None);
    }

    #[test]
    fn countries_parse_from_iso_codes() {
        assert_eq!(Country::parse("br"), Some(Country::BR));
        assert_eq!(Country::parse(" BR "), Some(Country::BR));
        assert_eq!(Country::parse("UK"), Country::parse("GB"));
        assert_eq!(country("AO").to_string(), "AO");
        assert_eq!(country("AO").calling_code(), 244);
        for unknown in ["XX", "", "B", "BRA", "00", "001"] {
            assert_eq!(Country::parse(unknown), None, "{unknown}");
        }
    }
}
