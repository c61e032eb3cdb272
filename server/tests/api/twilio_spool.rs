//! Twilio never loses an SMS to a 5xx (issue 21, point 7): Twilio does not retry a webhook
//! answered with an HTTP error, so when the database cannot take an inbound SMS it goes to
//! the spool on disk, Twilio gets its 200, and the spool is replayed once the database
//! is back: the message is stored exactly once. The database is made unavailable by
//! renaming the messages table away through the test's own pool.

use crate::channels::{fixture, Channels};
use crate::helpers::eventually;
use app::channels::ChannelKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Twilio's inbound SMS fixture (its one form line) with its own MessageSid.
fn inbound_sms(sid: &str) -> String {
    fixture("twilio_inbound_sms.txt")
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .replace("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", sid)
}

async fn take_messages_away(t: &Channels) {
    sqlx::raw_sql("ALTER TABLE messages RENAME TO messages_away")
        .execute(&t.app.db.write)
        .await
        .unwrap();
}

async fn bring_messages_back(t: &Channels) {
    sqlx::raw_sql("ALTER TABLE messages_away RENAME TO messages")
        .execute(&t.app.db.write)
        .await
        .unwrap();
}

fn spool_of(t: &Channels) -> PathBuf {
    t.app.media_dir.parent().unwrap().join("twilio-spool.jsonl")
}

/// What the spool holds now, whether it is being replayed or not.
fn spooled(path: &Path) -> String {
    let mut replaying = path.as_os_str().to_owned();
    replaying.push(".replaying");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    read(path) + &read(Path::new(&replaying))
}

async fn stored(t: &Channels, sid: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE provider_id = $1")
        .bind(sid)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_sms_the_database_cannot_take_is_spooled_then_stored_exactly_once() {
    let t = Channels::start_with(&[("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.2")]).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let spool = spool_of(&t);
    let sid = "SM00000000000000000000000000spool1";

    take_messages_away(&t).await;
    let (status, body) = t.post_twilio(twilio, &inbound_sms(sid), None).await;
    assert_eq!(status, 200, "Twilio would never send it again: {body}");
    assert!(body.contains("<Response>"), "{body}");
    // It is on disk (as JSON lines, readable by Confab's user only), not in the database.
    assert!(
        eventually(Duration::from_secs(5), || async {
            spooled(&spool).contains(sid)
        })
        .await,
        "spooled"
    );
    let line = spooled(&spool);
    let entry: serde_json::Value =
        serde_json::from_str(line.lines().find(|l| l.contains(sid)).unwrap()).unwrap();
    assert_eq!(entry["channel"], twilio);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut mode = None;
        for _ in 0..50 {
            if let Ok(m) = std::fs::metadata(&spool) {
                mode = Some(m.permissions().mode() & 0o777);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(mode, Some(0o600));
    }
    let away: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages_away WHERE provider_id = $1")
        .bind(sid)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    assert_eq!(away, 0, "the database really did not take it");
    // Replays while the database is still down keep it.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        spooled(&spool).contains(sid),
        "kept while the database is down"
    );

    bring_messages_back(&t).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            stored(&t, sid).await == 1
        })
        .await,
        "the replay stored it"
    );
    let (lead, _, _, direction, text, _) = t.messages_of(twilio).await.pop().unwrap();
    assert_eq!(
        (lead.as_str(), direction.as_str()),
        ("+14017122661", "inbound")
    );
    assert_eq!(text, "Ahoy! Let's build something amazing.");
    assert!(
        eventually(Duration::from_secs(5), || async {
            spooled(&spool).is_empty()
        })
        .await,
        "the spool is emptied"
    );
    // More replay rounds, and Twilio's console resending it by hand: still once.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, _) = t.post_twilio(twilio, &inbound_sms(sid), None).await;
    assert_eq!(status, 200);
    assert_eq!(stored(&t, sid).await, 1);
    assert_eq!(
        t.messages_of(twilio).await.len(),
        1,
        "one message, one conversation"
    );
}

#[tokio::test]
async fn when_even_the_spool_cannot_be_written_twilio_gets_a_server_error() {
    let t = Channels::start_with(&[(
        "CONFAB_TWILIO_SPOOL",
        "/nonexistent-confab-folder/twilio-spool.jsonl",
    )])
    .await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    take_messages_away(&t).await;
    let (status, body) = t
        .post_twilio(
            twilio,
            &inbound_sms("SM00000000000000000000000000spool2"),
            None,
        )
        .await;
    bring_messages_back(&t).await;
    assert!(
        (500..600).contains(&status),
        "neither stored nor kept: never a 200 ({status} {body})"
    );
    // With the database back, the same webhook is stored (and answered 200).
    let (status, _) = t
        .post_twilio(
            twilio,
            &inbound_sms("SM00000000000000000000000000spool2"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(stored(&t, "SM00000000000000000000000000spool2").await, 1);
}

#[tokio::test]
async fn an_sms_for_a_channel_the_database_cannot_even_read_is_spooled_too() {
    let t = Channels::start_with(&[("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.2")]).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let (status, _) = t
        .post_twilio(
            twilio,
            &inbound_sms("SM00000000000000000000000000spool3"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // The channels table goes too: which channel the URL names cannot be read.
    take_messages_away(&t).await;
    sqlx::raw_sql("ALTER TABLE channels RENAME TO channels_away")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    t.app.db.channel_configs.clear();
    let sid = "SM00000000000000000000000000spool4";
    // A forged one is still refused: the auth token last read checks it.
    let (status, _) = t
        .post_twilio(twilio, &inbound_sms(sid), Some("forged"))
        .await;
    assert_eq!(status, 401);
    let (status, body) = t.post_twilio(twilio, &inbound_sms(sid), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(spooled(&spool_of(&t)).contains(sid));
    sqlx::raw_sql("ALTER TABLE channels_away RENAME TO channels")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    bring_messages_back(&t).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            stored(&t, sid).await == 1
        })
        .await,
        "the replay stored it"
    );
    assert_eq!(t.messages_of(twilio).await.len(), 2);
}
