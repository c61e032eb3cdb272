//! A channel's credentials: which keys each kind needs, their validation, and their
//! encryption at rest (XChaCha20-Poly1305 under the key from `CONFAB_SECRET_KEY`).
//! Decrypted credentials live only in the server process; they never reach a browser or
//! a log (`Debug` prints key names, not values).

use super::{credential_keys as required_keys, ChannelKind};
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ui::locale::{fill, format_integer};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A kind's credentials, checked: every required key present, nothing unknown.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials(BTreeMap<String, String>);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// The longest value a credential may have, in bytes.
const MAX_VALUE_LEN: usize = 1024;

impl Credentials {
    /// Checks the pairs an owner typed; refusals are in the language of the request being
    /// served (English on the command line).
    pub fn parse(kind: ChannelKind, pairs: &[(String, String)]) -> Result<Self, AppError> {
        Self::parse_in(crate::ui::locale::request_locale(), kind, pairs)
    }

    /// [`Credentials::parse`] with its refusals in `locale`.
    pub fn parse_in(
        locale: Locale,
        kind: ChannelKind,
        pairs: &[(String, String)],
    ) -> Result<Self, AppError> {
        let required = required_keys(kind);
        let optional = super::optional_credential_keys(kind);
        let mut map = BTreeMap::new();
        for (key, value) in pairs {
            let key = key.trim();
            if !required.contains(&key) && !optional.contains(&key) {
                return Err(AppError::validation(
                    "credentials",
                    fill(
                        td_string!(locale, account.credential_unknown),
                        &[
                            ("key", key),
                            ("kind", kind.label()),
                            ("keys", &required.join(", ")),
                        ],
                    ),
                ));
            }
            let value = value.trim();
            if value.is_empty()
                || value.len() > MAX_VALUE_LEN
                || value.chars().any(char::is_control)
            {
                return Err(AppError::validation(
                    "credentials",
                    fill(
                        td_string!(locale, account.credential_value),
                        &[
                            ("key", key),
                            ("max", &format_integer(locale, MAX_VALUE_LEN as i64)),
                        ],
                    ),
                ));
            }
            map.insert(key.to_owned(), value.to_owned());
        }
        if let Some(missing) = required.iter().find(|k| !map.contains_key(**k)) {
            return Err(AppError::validation(
                "credentials",
                fill(
                    td_string!(locale, account.credential_missing),
                    &[("kind", kind.label()), ("missing", missing)],
                ),
            ));
        }
        let creds = Credentials(map);
        if kind == ChannelKind::TwilioSms {
            let phone = creds.get("phone_number").unwrap_or_default();
            let digits = phone.strip_prefix('+').unwrap_or("");
            if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::validation(
                    "credentials",
                    td_string!(locale, account.twilio_phone_format),
                ));
            }
        }
        Ok(creds)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The value of a key this kind requires (empty when absent, which `parse` prevents).
    pub fn value(&self, key: &str) -> &str {
        self.get(key).unwrap_or_default()
    }

    /// The channel's id at the provider: page id, account id, phone number id or number.
    pub fn external_id(&self, kind: ChannelKind) -> Option<&str> {
        super::external_id_key(kind).and_then(|k| self.get(k))
    }
}

/// The key that seals credentials at rest.
#[derive(Clone)]
pub struct SecretKey(Arc<[u8; 32]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl SecretKey {
    /// From 64 hex digits (the form `CONFAB_SECRET_KEY` and the key file take).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "the secret key must be 64 hex digits".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 64 hex digits (32 bytes)".to_owned())?;
        Ok(SecretKey(Arc::new(key)))
    }

    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SecretKey(Arc::new(key))
    }

    /// The key from `file`, created (readable by its owner only) when it does not exist.
    pub fn load_or_create(file: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(file) {
            Ok(text) => Self::from_hex(&text).map_err(|e| format!("{}: {e}", file.display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                write_private(file, &hex::encode(*key.0))
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                Ok(key)
            }
            Err(err) => Err(format!("{}: {err}", file.display())),
        }
    }

    /// `/media/public/{id}/{signature}`: where a provider (or the sandbox lead) fetches one
    /// of our outbound files, signed so that it cannot be guessed or forged.
    pub fn public_media_path(&self, attachment: i64) -> String {
        let signature = self.sign(&media_signing_text(attachment));
        format!("/media/public/{attachment}/{signature}")
    }

    /// Whether `signature` is ours for that file.
    pub fn verify_media(&self, attachment: i64, signature: &str) -> bool {
        self.verify(&media_signing_text(attachment), signature)
    }

    /// A keyed signature of `text` (HMAC-SHA256, hex): lets a provider fetch one of our
    /// files from a URL nobody can guess or forge.
    pub fn sign(&self, text: &str) -> String {
        use hmac::Mac;
        hex::encode(self.mac(text).finalize().into_bytes())
    }

    fn mac(&self, text: &str) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        mac
    }

    /// Checks a signature made by `sign`, in constant time.
    pub fn verify(&self, text: &str, signature: &str) -> bool {
        use hmac::Mac;
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        self.mac(text).verify_slice(&bytes).is_ok()
    }

    pub fn seal(&self, credentials: &Credentials) -> String {
        let plain = serde_json::to_vec(&credentials.0).unwrap_or_default();
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        // Encryption with a fresh nonce cannot fail for inputs of this size.
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
            .unwrap_or_default();
        format!(
            "{SEALED_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        )
    }

    pub fn open(&self, sealed: &str) -> Result<Credentials, String> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > 24)
            .ok_or("the stored credentials are damaged")?;
        let (nonce, body) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| {
                "the stored credentials cannot be opened with this CONFAB_SECRET_KEY".to_owned()
            })?;
        serde_json::from_slice(&plain)
            .map(Credentials)
            .map_err(|_| "the stored credentials are damaged".to_owned())
    }
}

#[cfg(unix)]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(file, text)
}

/// What the signature of a public file URL covers.
fn media_signing_text(attachment: i64) -> String {
    format!("media:{attachment}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn messenger() -> Credentials {
        Credentials::parse(
            ChannelKind::Messenger,
            &pairs(&[
                ("page_id", "1234"),
                ("app_secret", "s3cret"),
                ("access_token", "EAAB"),
                ("verify_token", "hamhock"),
            ]),
        )
        .unwrap()
    }

    #[test]
    fn each_kind_needs_its_keys_and_no_others() {
        assert_eq!(
            messenger().external_id(ChannelKind::Messenger),
            Some("1234")
        );
        let missing = Credentials::parse(ChannelKind::Messenger, &pairs(&[("page_id", "1")]));
        assert!(format!("{missing:?}").contains("app_secret"));
        let unknown = Credentials::parse(ChannelKind::TwilioSms, &pairs(&[("page_id", "1")]));
        assert!(format!("{unknown:?}").contains("not a setting"));
        let twilio = Credentials::parse(
            ChannelKind::TwilioSms,
            &pairs(&[
                ("account_sid", "AC1"),
                ("auth_token", "t"),
                ("phone_number", "+15558675310"),
            ]),
        )
        .unwrap();
        assert_eq!(
            twilio.external_id(ChannelKind::TwilioSms),
            Some("+15558675310")
        );
        let bad_phone = Credentials::parse(
            ChannelKind::TwilioSms,
            &pairs(&[
                ("account_sid", "AC1"),
                ("auth_token", "t"),
                ("phone_number", "555-1234"),
            ]),
        );
        assert!(format!("{bad_phone:?}").contains("E.164"));
    }

    #[test]
    fn refusals_keep_their_english_and_have_a_portuguese() {
        let message = |locale, kind, list: &[(&str, &str)]| match Credentials::parse_in(
            locale,
            kind,
            &pairs(list),
        ) {
            Err(AppError::Validation { message, .. }) => message,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(
            message(Locale::en, ChannelKind::TwilioSms, &[("page_id", "1")]),
            "'page_id' is not a setting of SMS channels; they take account_sid, auth_token, phone_number."
        );
        assert_eq!(
            message(Locale::pt_BR, ChannelKind::TwilioSms, &[("page_id", "1")]),
            "'page_id' não é uma configuração de canais SMS; eles usam account_sid, auth_token, phone_number."
        );
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert_eq!(
            message(Locale::en, ChannelKind::Messenger, &[("page_id", &long)]),
            "'page_id' needs a value of at most 1,024 characters on one line."
        );
        assert_eq!(
            message(Locale::pt_BR, ChannelKind::Messenger, &[("page_id", &long)]),
            "'page_id' precisa de um valor de no máximo 1.024 caracteres, em uma só linha."
        );
        assert_eq!(
            message(Locale::en, ChannelKind::Messenger, &[("page_id", "1")]),
            "Messenger channels need 'app_secret'."
        );
        assert_eq!(
            message(Locale::pt_BR, ChannelKind::Messenger, &[("page_id", "1")]),
            "Canais Messenger precisam de 'app_secret'."
        );
    }

    #[test]
    fn sealed_credentials_open_only_with_their_key() {
        let key = SecretKey::generate();
        let sealed = key.seal(&messenger());
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open(&sealed).unwrap(), messenger());
        assert!(SecretKey::generate().open(&sealed).is_err());
        assert!(key.open("v1:00").is_err());
        // Each sealing uses a fresh nonce.
        assert_ne!(sealed, key.seal(&messenger()));
    }

    #[test]
    fn signatures_verify_only_for_their_text_and_key() {
        let key = SecretKey::generate();
        let sig = key.sign("media:7");
        assert!(key.verify("media:7", &sig));
        assert!(!key.verify("media:8", &sig));
        assert!(!SecretKey::generate().verify("media:7", &sig));
        assert!(!key.verify("media:7", "zz"));
    }

    #[test]
    fn debug_output_names_keys_not_values() {
        let printed = format!("{:?} {:?}", messenger(), SecretKey::generate());
        assert!(!printed.contains("s3cret") && !printed.contains("EAAB"));
        assert!(printed.contains("app_secret"));
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("confab-key-{}", rand::random::<u64>()));
        let file = dir.join("secret.key");
        let first = SecretKey::load_or_create(&file).unwrap();
        let again = SecretKey::load_or_create(&file).unwrap();
        assert_eq!(first.0, again.0);
        assert!(SecretKey::from_hex("abc").is_err());
        std::fs::remove_dir_all(dir).ok();
    }
}
