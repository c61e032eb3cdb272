//! The simulator's side of the practice channels: their credentials, the token the owner
//! made expire, and what each lead's phone holds.

use super::{PracticeMessage, PracticePhone, PracticeStatus};
use crate::channels::credentials::{Credentials, SecretKey};
use crate::channels::store::ChannelConfig;
use crate::channels::ChannelKind;
use crate::events::LiveEvent;
use crate::i18n::{td_string, Locale};
use crate::ids::ChannelId;
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How far back a lead's clock may take their conversation, in all: a year.
const MAX_AGE_MS: i64 = 366 * 24 * 3_600_000;

/// How many of a lead's newest messages the lead's page shows.
const THREAD_LIMIT: i64 = 200;

fn random_digits(count: usize) -> String {
    (0..count)
        .map(|i| {
            // No leading zero: provider ids are numbers.
            let low = if i == 0 { 1 } else { 0 };
            char::from(b'0' + low + rand::random::<u8>() % (10 - low))
        })
        .collect()
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// A new access token (Meta) or auth token (Twilio) as the simulator hands them out.
fn new_token(kind: ChannelKind) -> String {
    match kind {
        ChannelKind::TwilioSms => random_hex(16),
        _ => format!("PRACTICE{}", random_hex(24)),
    }
}

/// The credential a kind's API calls are authorised with.
pub fn token_key(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::TwilioSms => "auth_token",
        _ => "access_token",
    }
}

/// Credentials of the provider's shape, made up by the simulator: a new practice channel
/// needs no account anywhere.
pub fn new_credentials(kind: ChannelKind) -> Credentials {
    let token = new_token(kind);
    let pairs: Vec<(&str, String)> = match kind {
        ChannelKind::Messenger => vec![
            ("page_id", random_digits(15)),
            ("app_secret", random_hex(16)),
            ("access_token", token),
            ("verify_token", random_hex(12)),
        ],
        ChannelKind::Instagram => vec![
            ("account_id", format!("1784{}", random_digits(13))),
            ("app_secret", random_hex(16)),
            ("access_token", token),
            ("verify_token", random_hex(12)),
        ],
        ChannelKind::Whatsapp => vec![
            ("phone_number_id", random_digits(15)),
            ("business_account_id", random_digits(15)),
            ("app_secret", random_hex(16)),
            ("access_token", token),
            ("verify_token", random_hex(12)),
        ],
        ChannelKind::TwilioSms => vec![
            ("account_sid", format!("AC{}", random_hex(16))),
            ("auth_token", token),
            // A São Paulo landline of the business.
            ("phone_number", format!("+55113{}", random_digits(7))),
        ],
        ChannelKind::Sandbox => Vec::new(),
    };
    let pairs: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Credentials::parse(kind, &pairs).unwrap_or_default()
}

/// Adds a practice channel of `kind`, named in `locale`, open to every owner.
pub async fn create_channel(
    db: &Db,
    key: &SecretKey,
    kind: ChannelKind,
    locale: Locale,
) -> StoreResult<ChannelId> {
    let name = crate::locale::fill(
        td_string!(locale, settings.practice_channel_name),
        &[("provider", kind.label())],
    );
    let id = crate::channels::store::create_simulated(db, key, kind, &name, &new_credentials(kind))
        .await?;
    crate::channels::store::grant_to_owners(db, id).await?;
    Ok(id)
}

fn fingerprint(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The practice channel `id` with its credentials (None for any other channel).
async fn practice_config(
    db: &Db,
    key: &SecretKey,
    id: ChannelId,
) -> StoreResult<Option<ChannelConfig>> {
    Ok(crate::channels::store::config(db, key, id)
        .await?
        .filter(|c| c.channel.simulated))
}

/// Makes the practice channel's current token expire. False for any other channel.
pub async fn expire_token(db: &Db, key: &SecretKey, id: ChannelId) -> StoreResult<bool> {
    let Some(config) = practice_config(db, key, id).await? else {
        return Ok(false);
    };
    let token = config.credentials.value(token_key(config.channel.kind));
    sqlx::query("UPDATE channels SET practice_expired_token = $2 WHERE id = $1 AND simulated = 1")
        .bind(id.0)
        .bind(fingerprint(token))
        .execute(&db.write)
        .await?;
    Ok(true)
}

/// Whether `token` is the one the owner made expire on this practice channel.
pub async fn token_expired(db: &Db, id: ChannelId, token: &str) -> StoreResult<bool> {
    let expired: Option<Option<String>> =
        sqlx::query_scalar("SELECT practice_expired_token FROM channels WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&db.read)
            .await?;
    Ok(expired.flatten().as_deref() == Some(fingerprint(token).as_str()))
}

/// Reconnects a practice channel with a new token (the other credentials kept). False for
/// any other channel.
pub async fn renew_token(db: &Db, key: &SecretKey, id: ChannelId) -> StoreResult<bool> {
    let Some(config) = practice_config(db, key, id).await? else {
        return Ok(false);
    };
    let kind = config.channel.kind;
    let pairs: Vec<(String, String)> = crate::channels::credential_keys(kind)
        .iter()
        .chain(crate::channels::optional_credential_keys(kind))
        .filter_map(|k| {
            let value = if *k == token_key(kind) {
                new_token(kind)
            } else {
                config.credentials.get(k)?.to_owned()
            };
            Some(((*k).to_owned(), value))
        })
        .collect();
    let credentials = Credentials::parse(kind, &pairs).map_err(|e| StoreError::Invalid {
        field: "credentials",
        message: e.to_string(),
    })?;
    crate::channels::store::reconnect(db, key, id, &credentials, config.channel.human_agent)
        .await?;
    Ok(true)
}

/// A lead of a practice channel, as the simulator knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeLead {
    pub name: String,
    pub username: Option<String>,
    pub phone_off: bool,
}

pub async fn upsert_lead(
    db: &Db,
    channel: ChannelId,
    address: &str,
    name: &str,
    username: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO practice_leads (channel_id, address, name, username, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (channel_id, address) DO UPDATE SET name = $3, username = $4",
    )
    .bind(channel.0)
    .bind(address)
    .bind(name)
    .bind(username)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    Ok(())
}

pub async fn lead(db: &Db, channel: ChannelId, address: &str) -> StoreResult<Option<PracticeLead>> {
    Ok(sqlx::query(
        "SELECT name, username, phone_off FROM practice_leads WHERE channel_id = $1 AND address = $2",
    )
    .bind(channel.0)
    .bind(address)
    .fetch_optional(&db.read)
    .await?
    .map(|r| PracticeLead {
        name: r.get("name"),
        username: r.get("username"),
        phone_off: r.get::<i64, _>("phone_off") != 0,
    }))
}

/// Turns the lead's phone off or on. False when the simulator does not know the lead.
pub async fn set_phone_off(
    db: &Db,
    channel: ChannelId,
    address: &str,
    off: bool,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE practice_leads SET phone_off = $3 WHERE channel_id = $1 AND address = $2",
    )
    .bind(channel.0)
    .bind(address)
    .bind(off as i64)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One message on the lead's phone, as the simulator records it.
#[derive(Debug, Clone)]
pub struct NewPracticeMessage<'a> {
    pub channel: ChannelId,
    pub address: &'a str,
    pub provider_id: &'a str,
    pub from_lead: bool,
    pub body: &'a str,
    pub file_url: Option<&'a str>,
    pub sent_at: i64,
    pub status: PracticeStatus,
    pub error: Option<&'a str>,
}

/// Records a message; false when its provider id is recorded already (a retried post).
pub async fn insert_message(db: &Db, m: &NewPracticeMessage<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO practice_messages
           (channel_id, address, provider_id, from_lead, body, file_url, sent_at, status, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (channel_id, provider_id) DO NOTHING",
    )
    .bind(m.channel.0)
    .bind(m.address)
    .bind(m.provider_id)
    .bind(m.from_lead as i64)
    .bind(m.body)
    .bind(m.file_url)
    .bind(m.sent_at)
    .bind(m.status.as_str())
    .bind(m.error)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a message the business sent forward (delivered, read, failed); never back.
pub async fn set_status(
    db: &Db,
    channel: ChannelId,
    provider_id: &str,
    status: PracticeStatus,
    error: Option<&str>,
) -> StoreResult<()> {
    let before: &[&str] = match status {
        PracticeStatus::Sent => &[],
        PracticeStatus::Delivered => &["sent"],
        PracticeStatus::Read => &["sent", "delivered"],
        PracticeStatus::Failed => &["sent", "delivered"],
    };
    if before.is_empty() {
        return Ok(());
    }
    let list = before
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(&format!(
        "UPDATE practice_messages SET status = $3, error = $4
          WHERE channel_id = $1 AND provider_id = $2 AND status IN ({list})"
    ))
    .bind(channel.0)
    .bind(provider_id)
    .bind(status.as_str())
    .bind(error)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Whether Confab has a message of this provider id on the channel (the simulator waits
/// for it before reporting the message's status).
pub async fn confab_has_message(
    db: &Db,
    channel: ChannelId,
    provider_id: &str,
) -> StoreResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM messages WHERE channel_id = $1 AND provider_id = $2")
            .bind(channel.0)
            .bind(provider_id)
            .fetch_optional(&db.read)
            .await?;
    Ok(found.is_some())
}

/// The lead a message belongs to, by its provider id.
pub async fn address_of(
    db: &Db,
    channel: ChannelId,
    provider_id: &str,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT address FROM practice_messages WHERE channel_id = $1 AND provider_id = $2",
    )
    .bind(channel.0)
    .bind(provider_id)
    .fetch_optional(&db.read)
    .await?)
}

/// The lead's phone: their newest messages, oldest first.
pub async fn thread(db: &Db, channel: ChannelId, address: &str) -> StoreResult<PracticePhone> {
    let rows = sqlx::query(
        "SELECT provider_id, from_lead, body, file_url, sent_at, status, error FROM (
           SELECT * FROM practice_messages WHERE channel_id = $1 AND address = $2
            ORDER BY sent_at DESC, id DESC LIMIT $3) m
         ORDER BY sent_at, id",
    )
    .bind(channel.0)
    .bind(address)
    .bind(THREAD_LIMIT)
    .fetch_all(&db.read)
    .await?;
    let phone_off = lead(db, channel, address)
        .await?
        .is_some_and(|l| l.phone_off);
    Ok(PracticePhone {
        address: address.to_owned(),
        phone_off,
        messages: rows
            .into_iter()
            .map(|r| PracticeMessage {
                provider_id: r.get("provider_id"),
                from_lead: r.get::<i64, _>("from_lead") != 0,
                body: r.get("body"),
                file_url: r.get("file_url"),
                sent_at: r.get("sent_at"),
                status: PracticeStatus::parse(&r.get::<String, _>("status")),
                error: r.get("error"),
            })
            .collect(),
    })
}

/// When the lead last wrote (on their clock): the providers' windows count from it.
pub async fn last_from_lead_at(
    db: &Db,
    channel: ChannelId,
    address: &str,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(sent_at) FROM practice_messages
          WHERE channel_id = $1 AND address = $2 AND from_lead = 1",
    )
    .bind(channel.0)
    .bind(address)
    .fetch_one(&db.read)
    .await?)
}

/// The business's messages the lead has not read yet, oldest first: (provider id, sent at).
pub async fn unread_by_lead(
    db: &Db,
    channel: ChannelId,
    address: &str,
) -> StoreResult<Vec<(String, i64)>> {
    Ok(sqlx::query(
        "SELECT provider_id, sent_at FROM practice_messages
          WHERE channel_id = $1 AND address = $2 AND from_lead = 0
            AND status IN ('sent', 'delivered')
          ORDER BY sent_at, id",
    )
    .bind(channel.0)
    .bind(address)
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|r| (r.get("provider_id"), r.get("sent_at")))
    .collect())
}

/// The business has seen the lead's messages (Messenger `mark_seen`, WhatsApp `read`):
/// the lead's phone shows them as read.
pub async fn lead_messages_seen(db: &Db, channel: ChannelId, address: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE practice_messages SET status = 'read'
          WHERE channel_id = $1 AND address = $2 AND from_lead = 1 AND status <> 'read'",
    )
    .bind(channel.0)
    .bind(address)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// "It is now `by_ms` later" for the lead: the lead's messages, and Confab's conversation
/// with them on this practice channel, move that far into the past, so the providers'
/// windows close as they would. Returns the conversation's event to publish. Practice
/// channels only: a real channel's history is never rewritten.
pub async fn age(
    db: &Db,
    channel: ChannelId,
    address: &str,
    by_ms: i64,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let simulated: Option<i64> = sqlx::query_scalar("SELECT simulated FROM channels WHERE id = $1")
        .bind(channel.0)
        .fetch_optional(&mut *tx)
        .await?;
    if simulated != Some(1) {
        return Err(StoreError::Invalid {
            field: "channel",
            message: td_string!(crate::locale::request_locale(), sandbox.practice_only).into(),
        });
    }
    // At most a year in all: older, the history would look like nothing a lead does.
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(sent_at) FROM practice_messages WHERE channel_id = $1 AND address = $2",
    )
    .bind(channel.0)
    .bind(address)
    .fetch_one(&mut *tx)
    .await?;
    if oldest.is_some_and(|oldest| oldest - by_ms < now_ms() - MAX_AGE_MS) {
        return Err(StoreError::Invalid {
            field: "hours",
            message: td_string!(crate::locale::request_locale(), sandbox.later_too_far).into(),
        });
    }
    sqlx::query(
        "UPDATE practice_messages SET sent_at = sent_at - $3 WHERE channel_id = $1 AND address = $2",
    )
    .bind(channel.0)
    .bind(address)
    .bind(by_ms)
    .execute(&mut *tx)
    .await?;
    let conversation: Option<i64> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id
          WHERE c.channel_id = $1 AND k.channel_id = $1 AND k.external_id = $2",
    )
    .bind(channel.0)
    .bind(address)
    .fetch_optional(&mut *tx)
    .await?;
    let mut events = Vec::new();
    if let Some(conversation) = conversation {
        sqlx::query(
            "UPDATE messages SET created_at = created_at - $2, sent_at = sent_at - $2,
                    delivered_at = delivered_at - $2, read_at = read_at - $2
              WHERE conversation_id = $1",
        )
        .bind(conversation)
        .bind(by_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE conversations SET created_at = created_at - $2,
                    last_inbound_at = last_inbound_at - $2, last_message_at = last_message_at - $2
              WHERE id = $1",
        )
        .bind(conversation)
        .bind(by_ms)
        .execute(&mut *tx)
        .await?;
        let id = crate::ids::ConversationId(conversation);
        events.push(crate::conversations::store::status_event(&mut tx, id, channel).await?);
    }
    tx.commit().await?;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_credentials_have_every_key_of_their_kind() {
        for kind in super::super::PRACTICE_KINDS {
            let credentials = new_credentials(kind);
            for key in crate::channels::credential_keys(kind) {
                assert!(!credentials.value(key).is_empty(), "{kind:?} {key}");
            }
            assert!(credentials.external_id(kind).is_some());
        }
        let sms = new_credentials(ChannelKind::TwilioSms);
        assert!(sms.value("phone_number").starts_with("+55113"));
        assert_ne!(
            new_credentials(ChannelKind::Messenger).value("access_token"),
            new_credentials(ChannelKind::Messenger).value("access_token")
        );
    }
}
