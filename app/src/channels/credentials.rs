//! A channel's credentials: which keys each kind needs, their validation, and their
//! encryption at rest (XChaCha20-Poly1305 under a key derived from `CONFAB_SECRET_KEY`,
//! bound to the channel).
//! Decrypted credentials live only in the server process; they never reach a browser or
//! a log (`Debug` prints key names, not values).

use super::{credential_keys as required_keys, ChannelKind};
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::locale::{fill, format_integer};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
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

/// The two ways Meta documents for an Instagram professional account to send messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstagramLogin {
    /// Instagram API with Instagram Login: `graph.instagram.com/{ig-id}/messages` with the
    /// Instagram user access token.
    Instagram,
    /// Messenger API for Instagram (Facebook Login): `graph.facebook.com/{page-id}/messages`
    /// with the token of the Facebook Page linked to the account.
    Facebook,
}

/// The longest value a credential may have, in bytes.
const MAX_VALUE_LEN: usize = 1024;

impl Credentials {
    /// Checks the pairs an owner typed; refusals are in the language of the request being
    /// served (English on the command line).
    pub fn parse(kind: ChannelKind, pairs: &[(String, String)]) -> Result<Self, AppError> {
        Self::parse_in(crate::locale::request_locale(), kind, pairs)
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
        if kind == ChannelKind::Instagram {
            match creds.get("login") {
                None | Some("instagram") => {}
                Some("facebook") => {
                    let page = creds.get("page_id").unwrap_or_default();
                    if page.is_empty() || !page.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(AppError::validation(
                            "credentials",
                            td_string!(locale, account.instagram_page_id),
                        ));
                    }
                }
                Some(_) => {
                    return Err(AppError::validation(
                        "credentials",
                        td_string!(locale, account.instagram_login_value),
                    ))
                }
            }
        }
        Ok(creds)
    }

    /// How an Instagram channel was connected: without `login`, Instagram Login (the
    /// account's own id and token, as channels were connected before the choice existed).
    pub fn instagram_login(&self) -> InstagramLogin {
        match self.get("login") {
            Some("facebook") => InstagramLogin::Facebook,
            _ => InstagramLogin::Instagram,
        }
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

/// The server's one secret (`CONFAB_SECRET_KEY`, or the key file) and the keys derived
/// from it with HKDF-SHA256, one per use: a key that seals credentials never signs a
/// media link, so what one use reveals or accepts says nothing about the other.
#[derive(Clone)]
pub struct SecretKey(Arc<Keys>);

struct Keys {
    /// The secret as configured. Credentials sealed before the derived keys (format v1)
    /// were sealed with it directly: it still opens those, and nothing else.
    root: [u8; 32],
    /// Seals channel credentials (format v2).
    credentials: [u8; 32],
    /// Signs the public links to our outbound files.
    media: [u8; 32],
    /// Signs whatever else [`SecretKey::sign`] is given.
    signatures: [u8; 32],
}

impl Keys {
    fn derive(root: [u8; 32]) -> Self {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, &root);
        let key = |info: &[u8]| {
            let mut key = [0u8; 32];
            // 32 bytes is far below HKDF-SHA256's limit of 8,160: this cannot fail.
            hkdf.expand(info, &mut key)
                .expect("HKDF-SHA256 gives 32 bytes");
            key
        };
        Keys {
            credentials: key(b"confab/credentials/v2"),
            media: key(b"confab/media-links/v1"),
            signatures: key(b"confab/signatures/v1"),
            root,
        }
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// Credentials sealed with the secret itself and bound to no channel (before v2).
const SEALED_V1: &str = "v1:";
/// Credentials sealed with the derived credentials key, the channel's id as associated
/// data: a sealed value copied onto another channel's row does not open there.
const SEALED_V2: &str = "v2:";

/// How long a public media link works: the provider fetches the file when it delivers
/// the message (Twilio and Meta within minutes), and a retry builds a new link.
pub const MEDIA_LINK_SECONDS: i64 = 24 * 60 * 60;

impl SecretKey {
    fn new(root: [u8; 32]) -> Self {
        SecretKey(Arc::new(Keys::derive(root)))
    }

    /// From 64 hex digits (the form `CONFAB_SECRET_KEY` and the key file take).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "the secret key must be 64 hex digits".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 64 hex digits (32 bytes)".to_owned())?;
        Ok(Self::new(key))
    }

    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self::new(key)
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
                write_private(file, &hex::encode(key.0.root))
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                Ok(key)
            }
            Err(err) => Err(format!("{}: {err}", file.display())),
        }
    }

    /// `/media/public/{id}/{expiry}-{signature}`: where a provider (or the sandbox lead)
    /// fetches one of our outbound files, for a day ([`MEDIA_LINK_SECONDS`]), signed so
    /// that it cannot be guessed, forged or made to last longer.
    pub fn public_media_path(&self, attachment: i64) -> String {
        let now = crate::store::now_ms() / 1000;
        self.public_media_path_until(attachment, now + MEDIA_LINK_SECONDS)
    }

    /// [`SecretKey::public_media_path`] working until `expires_at` (Unix seconds).
    pub fn public_media_path_until(&self, attachment: i64, expires_at: i64) -> String {
        use hmac::Mac;
        let signature = hex::encode(
            mac(&self.0.media, &media_signing_text(attachment, expires_at))
                .finalize()
                .into_bytes(),
        );
        format!("/media/public/{attachment}/{expires_at}-{signature}")
    }

    /// Whether `link` (the last segment of a public media path) is ours for that file
    /// and has not expired at `now` (Unix seconds).
    pub fn verify_media(&self, attachment: i64, link: &str, now: i64) -> bool {
        use hmac::Mac;
        let Some((expires_at, signature)) = link.split_once('-') else {
            return false;
        };
        let (Ok(expires_at), Ok(signature)) = (expires_at.parse::<i64>(), hex::decode(signature))
        else {
            return false;
        };
        let authentic = mac(&self.0.media, &media_signing_text(attachment, expires_at))
            .verify_slice(&signature)
            .is_ok();
        authentic && now < expires_at
    }

    /// A keyed signature of `text` (HMAC-SHA256 under its own derived key, hex).
    pub fn sign(&self, text: &str) -> String {
        use hmac::Mac;
        hex::encode(mac(&self.0.signatures, text).finalize().into_bytes())
    }

    /// Checks a signature made by `sign`, in constant time.
    pub fn verify(&self, text: &str, signature: &str) -> bool {
        use hmac::Mac;
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        mac(&self.0.signatures, text).verify_slice(&bytes).is_ok()
    }

    /// The `{app}` of a Meta app's shared webhook URL (`/webhooks/meta/{app}`): 32 hex
    /// digits of a keyed signature of the app secret. Stable while both stay the same,
    /// and telling nothing about the secret, the app or its channels.
    pub fn meta_app_token(&self, app_secret: &str) -> String {
        let mut token = self.sign(&format!("confab meta app webhook\n{app_secret}"));
        token.truncate(32);
        token
    }

    /// Seals `credentials` for the channel `channel` (format v2).
    pub fn seal(&self, channel: i64, credentials: &Credentials) -> String {
        let plain = serde_json::to_vec(&credentials.0).unwrap_or_default();
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new((&self.0.credentials).into());
        let aad = channel_binding(channel);
        // Encryption with a fresh nonce cannot fail for inputs of this size.
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        format!("{SEALED_V2}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Opens what [`SecretKey::seal`] sealed for `channel`, or an older (v1) value, which
    /// [`needs_resealing`] then tells.
    pub fn open(&self, channel: i64, sealed: &str) -> Result<Credentials, String> {
        let (key, aad, hex_part) = if let Some(rest) = sealed.strip_prefix(SEALED_V2) {
            (&self.0.credentials, channel_binding(channel), rest)
        } else if let Some(rest) = sealed.strip_prefix(SEALED_V1) {
            (&self.0.root, String::new(), rest)
        } else {
            return Err("the stored credentials are damaged".to_owned());
        };
        let bytes = hex::decode(hex_part)
            .ok()
            .filter(|b| b.len() > 24)
            .ok_or("the stored credentials are damaged")?;
        let (nonce, body) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new(key.into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                "the stored credentials cannot be opened with this CONFAB_SECRET_KEY (or \
                 belong to another channel)"
                    .to_owned()
            })?;
        serde_json::from_slice(&plain)
            .map(Credentials)
            .map_err(|_| "the stored credentials are damaged".to_owned())
    }
}

/// Whether `sealed` is in an older format than [`SecretKey::seal`] writes: it is sealed
/// again (v2, bound to its channel) when next read.
pub fn needs_resealing(sealed: &str) -> bool {
    sealed.starts_with(SEALED_V1)
}

/// The associated data that binds sealed credentials to their channel.
fn channel_binding(channel: i64) -> String {
    format!("confab channel {channel}")
}

fn mac(key: &[u8; 32], text: &str) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    mac.update(text.as_bytes());
    mac
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

/// What the signature of a public file URL covers: the file and until when.
fn media_signing_text(attachment: i64, expires_at: i64) -> String {
    format!("media:{attachment}:{expires_at}")
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
        let sealed = key.seal(1, &messenger());
        assert!(sealed.starts_with("v2:") && !needs_resealing(&sealed));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open(1, &sealed).unwrap(), messenger());
        assert!(SecretKey::generate().open(1, &sealed).is_err());
        assert!(key.open(1, "v1:00").is_err());
        assert!(key.open(1, "v2:00").is_err());
        assert!(key.open(1, "v3:00").is_err());
        // Each sealing uses a fresh nonce.
        assert_ne!(sealed, key.seal(1, &messenger()));
    }

    #[test]
    fn credentials_sealed_for_one_channel_do_not_open_as_anothers() {
        let key = SecretKey::generate();
        let sealed = key.seal(1, &messenger());
        assert_eq!(key.open(1, &sealed).unwrap(), messenger());
        let refused = key.open(2, &sealed).unwrap_err();
        assert!(refused.contains("another channel"), "{refused}");
    }

    /// The format before derived keys: XChaCha20-Poly1305 under the secret itself, no
    /// associated data. Such values are still in databases and must keep opening.
    fn seal_v1(root: &[u8; 32], credentials: &Credentials) -> String {
        let nonce = [7u8; 24];
        let plain = serde_json::to_vec(&credentials.0).unwrap();
        let sealed = XChaCha20Poly1305::new(root.into())
            .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
            .unwrap();
        format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    #[test]
    fn credentials_sealed_in_the_old_format_still_open() {
        let key = SecretKey::generate();
        let old = seal_v1(&key.0.root, &messenger());
        assert!(needs_resealing(&old));
        assert_eq!(key.open(1, &old).unwrap(), messenger());
        assert!(SecretKey::generate().open(1, &old).is_err());
        // The derived key is not the secret: a v2 value with v1's key does not open.
        let as_v2 = old.replacen("v1:", "v2:", 1);
        assert!(key.open(1, &as_v2).is_err());
    }

    #[test]
    fn each_use_has_its_own_derived_key() {
        let key = SecretKey::generate();
        let keys = [key.0.root, key.0.credentials, key.0.media, key.0.signatures];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Derivation is deterministic: the same secret gives the same keys.
        let again = SecretKey::from_hex(&hex::encode(key.0.root)).unwrap();
        assert_eq!(again.0.credentials, key.0.credentials);
        assert_eq!(again.0.media, key.0.media);
    }

    #[test]
    fn a_meta_apps_webhook_token_is_stable_opaque_and_keyed() {
        let key = SecretKey::from_hex(&"ab".repeat(32)).unwrap();
        let token = key.meta_app_token("app-secret");
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(token, key.meta_app_token("app-secret"), "stable");
        assert_ne!(token, key.meta_app_token("another-secret"));
        let other_server = SecretKey::from_hex(&"cd".repeat(32)).unwrap();
        assert_ne!(token, other_server.meta_app_token("app-secret"));
        assert!(!token.contains("app-secret"));
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
    fn media_links_verify_for_their_file_until_they_expire() {
        let key = SecretKey::generate();
        let now = 1_800_000_000;
        let path = key.public_media_path_until(7, now + 60);
        let link = path.rsplit('/').next().unwrap();
        assert_eq!(path, format!("/media/public/7/{link}"));
        assert!(key.verify_media(7, link, now));
        assert!(!key.verify_media(7, link, now + 60), "expired");
        assert!(!key.verify_media(8, link, now), "another file");
        assert!(!SecretKey::generate().verify_media(7, link, now));
        // A later expiry with the same signature is a forgery.
        let (_, signature) = link.split_once('-').unwrap();
        let stretched = format!("{}-{signature}", now + 600);
        assert!(!key.verify_media(7, &stretched, now));
        // The old form (a signature without an expiry) is refused.
        assert!(!key.verify_media(7, signature, now));
        assert!(!key.verify_media(7, "junk", now));
        // The link lasts a day.
        let fresh = key.public_media_path(7);
        let link = fresh.rsplit('/').next().unwrap();
        let now = crate::store::now_ms() / 1000;
        assert!(key.verify_media(7, link, now + MEDIA_LINK_SECONDS - 60));
        assert!(!key.verify_media(7, link, now + MEDIA_LINK_SECONDS + 60));
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
        assert_eq!(first.0.root, again.0.root);
        assert!(SecretKey::from_hex("abc").is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn instagram_says_how_it_was_connected_and_facebook_login_needs_its_page() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs: Vec<(String, String)> = [
                ("account_id", "17841400000000001"),
                ("app_secret", "s"),
                ("access_token", "t"),
                ("verify_token", "v"),
            ]
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            pairs.dedup();
            Credentials::parse_in(Locale::en, ChannelKind::Instagram, &pairs)
        };
        assert_eq!(
            with(&[]).unwrap().instagram_login(),
            InstagramLogin::Instagram
        );
        assert_eq!(
            with(&[("login", "instagram")]).unwrap().instagram_login(),
            InstagramLogin::Instagram
        );
        let facebook = with(&[("login", "facebook"), ("page_id", "682498302938465")]).unwrap();
        assert_eq!(facebook.instagram_login(), InstagramLogin::Facebook);
        assert!(
            with(&[("login", "facebook")]).is_err(),
            "the Page is needed"
        );
        assert!(with(&[("login", "facebook"), ("page_id", "../me")]).is_err());
        assert!(with(&[("login", "tiktok")]).is_err());
    }
}
