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
    // A folder that cannot be made (its parent is a file), even by root.
    let t = Channels::start_with(&[("CONFAB_TWILIO_SPOOL", "/dev/null/confab/twilio-spool.jsonl")])
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
    // What the server read of the channel expires (webhooks may use it for a second).
    tokio::time::sleep(app::channels::store::CONFIG_CACHE_TTL + Duration::from_millis(200)).await;
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

/// Holds the database so that an insert into `messages` waits (without failing) until
/// the returned guard is released: on SQLite the one write connection in an open write
/// transaction, on PostgreSQL the table locked in an open transaction.
async fn hang_messages(t: &Channels) -> sqlx::pool::PoolConnection<sqlx::Any> {
    let mut conn = t.app.db.write.acquire().await.unwrap();
    if crate::helpers::on_postgres() {
        sqlx::raw_sql("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await
            .unwrap();
    } else {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    conn
}

async fn release(mut conn: sqlx::pool::PoolConnection<sqlx::Any>) {
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn an_sms_the_database_hangs_on_is_answered_in_time_and_stored_once() {
    let t = Channels::start_with(&[
        ("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.3"),
        ("CONFAB_TWILIO_DB_WAIT_SECS", "1"),
    ])
    .await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let sid = "SM00000000000000000000000000hang01";
    let held = hang_messages(&t).await;
    // Twilio gives up after 15 s and never retries: the answer must come within the
    // wait (the pool alone would wait 30 s, PostgreSQL's lock for ever).
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(6),
        t.post_twilio(twilio, &inbound_sms(sid), None),
    )
    .await;
    let Ok((status, body)) = answer else {
        release(held).await;
        panic!("no answer while the database hangs");
    };
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "it did wait"
    );
    assert!(
        spooled(&spool_of(&t)).contains(sid),
        "on disk before the 200"
    );
    release(held).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            stored(&t, sid).await == 1 && spooled(&spool_of(&t)).is_empty()
        })
        .await,
        "stored after the replay"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(stored(&t, sid).await, 1, "once");
}

#[tokio::test]
async fn an_sms_spooled_in_an_outage_keeps_its_place_before_a_later_one() {
    let t = Channels::start_with(&[("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.2")]).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let spool = spool_of(&t);
    let (early, late) = (
        "SM00000000000000000000000000order1",
        "SM00000000000000000000000000order2",
    );
    take_messages_away(&t).await;
    let (status, _) = t.post_twilio(twilio, &inbound_sms(early), None).await;
    assert_eq!(status, 200);
    // The spooled entry is put aside for a while, so that the later SMS surely comes in
    // before it is replayed (as when the replay's round is still to come).
    let mut aside = spool.as_os_str().to_owned();
    aside.push(".aside");
    let aside = PathBuf::from(aside);
    let mut taken = false;
    for _ in 0..200 {
        if std::fs::rename(&spool, &aside).is_ok() {
            if std::fs::read_to_string(&aside).unwrap().contains(early) {
                taken = true;
                break;
            }
            // Not in it (being replayed): put back and try again.
            let back = std::fs::read(&aside).unwrap();
            std::fs::remove_file(&aside).unwrap();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&spool)
                .unwrap();
            std::io::Write::write_all(&mut f, &back).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(taken, "the spooled SMS was put aside");
    tokio::time::sleep(Duration::from_millis(50)).await;
    bring_messages_back(&t).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, _) = t.post_twilio(twilio, &inbound_sms(late), None).await;
    assert_eq!(status, 200);
    assert_eq!(stored(&t, late).await, 1);
    assert_eq!(stored(&t, early).await, 0, "not replayed yet");
    // Back into the spool: the replay stores it.
    let back = std::fs::read(&aside).unwrap();
    std::fs::remove_file(&aside).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&spool)
        .unwrap();
    std::io::Write::write_all(&mut f, &back).unwrap();
    drop(f);
    assert!(
        eventually(Duration::from_secs(20), || async {
            stored(&t, early).await == 1
        })
        .await,
        "replayed"
    );
    // The thread's order (as the inbox lists it): the SMS that came first, first.
    let order: Vec<String> = sqlx::query_scalar(
        "SELECT provider_id FROM messages WHERE channel_id = $1
          ORDER BY COALESCE(sent_at, created_at), id",
    )
    .bind(twilio)
    .fetch_all(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(order, [early, late]);
}

#[tokio::test]
async fn a_rotated_auth_token_no_longer_opens_the_spool() {
    use app::channels::credentials::{Credentials, SecretKey};
    let t = Channels::start_with(&[("CONFAB_TWILIO_SPOOL_RETRY_SECS", "0.2")]).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    // Read once (so kept for outages) with the first token.
    let (status, _) = t
        .post_twilio(
            twilio,
            &inbound_sms("SM00000000000000000000000000rot001"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let pairs: Vec<(String, String)> = [
        ("account_sid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ("auth_token", "rotated-token"),
        ("phone_number", "+15558675310"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    app::channels::store::reconnect(
        &t.app.db,
        &SecretKey::from_hex(crate::channels::KEY).unwrap(),
        app::ids::ChannelId(twilio),
        &Credentials::parse(ChannelKind::TwilioSms, &pairs).unwrap(),
        true,
    )
    .await
    .unwrap();
    // The replay's rounds read the Twilio channels again after the change.
    tokio::time::sleep(Duration::from_millis(800)).await;
    take_messages_away(&t).await;
    sqlx::raw_sql("ALTER TABLE channels RENAME TO channels_away")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    tokio::time::sleep(app::channels::store::CONFIG_CACHE_TTL + Duration::from_millis(200)).await;
    let old = "SM00000000000000000000000000rot002";
    let (status, _) = t.post_twilio(twilio, &inbound_sms(old), None).await;
    assert_ne!(status, 200, "the old token no longer signs");
    assert!(!spooled(&spool_of(&t)).contains(old));
    let new = "SM00000000000000000000000000rot003";
    let url = format!("https://inbox.example.com/webhooks/twilio_sms/{twilio}");
    let params: Vec<(String, String)> = form_urlencoded::parse(inbound_sms(new).as_bytes())
        .into_owned()
        .collect();
    let signature =
        confab::channels::inbound::signature::twilio_signature("rotated-token", &url, &params);
    let (status, body) = t
        .post_twilio(twilio, &inbound_sms(new), Some(&signature))
        .await;
    assert_eq!(status, 200, "the new one does: {body}");
    assert!(spooled(&spool_of(&t)).contains(new));
    sqlx::raw_sql("ALTER TABLE channels_away RENAME TO channels")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    bring_messages_back(&t).await;
}
