//! A provider's pause is a channel's pause (issue 21, point 5): a rate limit answered as
//! the providers document it (Graph code 4 with `X-Business-Use-Case-Usage`, Twilio 20429
//! with `Retry-After`, WhatsApp 131056 for one lead) pauses the channel's sending, or only
//! that lead's conversation, until the provider says; other channels keep sending; the
//! replies wait (their attempts uncounted) and go after the pause; every composer on the
//! channel hears of the pause and of its end.
//!
//! Time is shortened where a test waits for the end of a pause: `CONFAB_LONGEST_PAUSE_SECS`
//! caps what the provider asked for.

use crate::channels::{fixture, Channels, PAGE_ID};
use crate::events::SseReader;
use crate::fake_provider::Fault;
use crate::helpers::{call_json, eventually};
use app::channels::ChannelKind;
use serde_json::{json, Value};
use std::time::Duration;

fn now_ms() -> i64 {
    app::store::now_ms()
}

/// (status, attempts) of the reply with this body.
async fn delivery(t: &Channels, body: &str) -> (String, i64) {
    sqlx::query_as("SELECT status, attempts FROM messages WHERE body = $1")
        .bind(body)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

async fn settles_as(t: &Channels, body: &str, status: &str) -> bool {
    eventually(Duration::from_secs(15), || async {
        delivery(t, body).await.0 == status
    })
    .await
}

async fn paused_until(t: &Channels, channel: i64) -> Option<i64> {
    sqlx::query_scalar("SELECT paused_until FROM channels WHERE id = $1")
        .bind(channel)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

/// The next `channel_updated` event of `channel` on the stream (its payload).
async fn channel_event(stream: &mut SseReader, channel: i64) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        let event = stream.next(Duration::from_secs(15)).await?;
        if event.kind != "channel_updated" {
            continue;
        }
        let data: Value = serde_json::from_str(&event.data).unwrap();
        if data["channel_id"] == channel {
            return Some(data["payload"].clone());
        }
    }
    None
}

async fn messenger_lead(t: &Channels, psid: &str) -> i64 {
    let channel = t.add(ChannelKind::Messenger, true).await;
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":{},"message":{{"mid":"mid-{psid}","text":"Hello?"}}}}]}}]}}"#,
        now_ms()
    );
    let (status, text) = t
        .post_meta(ChannelKind::Messenger, channel, &body, None)
        .await;
    assert_eq!(status, 200, "{text}");
    channel
}

async fn sms_lead(t: &Channels) -> i64 {
    let channel = t.add(ChannelKind::TwilioSms, true).await;
    let body = "MessageSid=SM-pause-lead&From=%2B14017122661&To=%2B15558675310&Body=Hi&NumMedia=0";
    let (status, text) = t.post_twilio(channel, body, None).await;
    assert_eq!(status, 200, "{text}");
    channel
}

/// The WhatsApp fixture lead (16505551234) and a second one (16505550000) write now.
async fn whatsapp_leads(t: &Channels) -> i64 {
    let channel = t.add(ChannelKind::Whatsapp, true).await;
    let first = fixture("whatsapp_text.json").replace("1749416383", &(now_ms() / 1000).to_string());
    let second = first
        .replace("16505551234", "16505550000")
        .replace("Sheena Nelson", "Second Lead")
        .replace("wamid.HBgL", "wamid.SECOND");
    for body in [first, second] {
        let (status, text) = t
            .post_meta(ChannelKind::Whatsapp, channel, &body, None)
            .await;
        assert_eq!(status, 200, "{text}");
    }
    channel
}

#[tokio::test]
async fn a_rate_limit_pauses_the_channel_until_meta_says_while_other_channels_send() {
    // Two attempts: had the pause counted them, the replies would fail at once.
    let t = Channels::start_with(&[
        ("CONFAB_RETRY_DELAY_SECS", "0.2"),
        ("CONFAB_SEND_ATTEMPTS", "2"),
    ])
    .await;
    let messenger = messenger_lead(&t, "psid-throttled").await;
    sms_lead(&t).await;
    let agent = t.app.signed_in_agent().await;
    let mut stream = SseReader::open(&t.app, &agent, None).await;
    // Meta: code 4, and its Business Use Case header estimating 1 minute.
    t.fake.fault(
        "First in line",
        Fault::json(400, &fixture("graph_error_4_rate_limit.json")).with_header(
            "x-business-use-case-usage",
            fixture("graph_business_use_case_usage.json").trim(),
        ),
    );
    let before = now_ms();
    assert_eq!(
        t.reply(&agent, "psid-throttled", "First in line").await.0,
        200
    );

    // Every composer on the channel hears of the pause, with when it ends.
    let paused = channel_event(&mut stream, messenger)
        .await
        .expect("a channel_updated event for the pause");
    assert_eq!(paused["status"], "connected", "{paused}");
    let until = paused["paused_until"].as_i64().expect("paused_until");
    assert!(
        until >= before + 60_000 && until <= now_ms() + 60_000,
        "paused for Meta's estimated minute: {} ms",
        until - before
    );
    assert_eq!(paused_until(&t, messenger).await, Some(until));

    // The channel is paused: a second reply waits too; SMS goes on meanwhile.
    assert_eq!(
        t.reply(&agent, "psid-throttled", "Second in line").await.0,
        200
    );
    assert_eq!(
        t.reply(&agent, "+14017122661", "Meanwhile by SMS").await.0,
        200
    );
    assert!(settles_as(&t, "Meanwhile by SMS", "sent").await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        t.fake.requests_with("in line").len(),
        1,
        "nothing more went to Meta during the pause"
    );
    for body in ["First in line", "Second in line"] {
        assert_eq!(
            delivery(&t, body).await,
            ("pending".into(), 0),
            "{body} waits, its attempts uncounted"
        );
    }
    // The composer reads the pause (and who can fix the channel).
    let (status, help) = call_json(
        &t.app,
        &agent,
        "channel_help_for",
        json!({"channel_id": messenger}),
    )
    .await;
    assert_eq!(status, 200, "{help}");
    assert_eq!(help["state"]["paused_until"], until, "{help}");
}

#[tokio::test]
async fn the_reply_goes_after_the_pause_and_whatsapps_pair_limit_pauses_one_lead_only() {
    let t = Channels::start_with(&[
        ("CONFAB_RETRY_DELAY_SECS", "0.2"),
        ("CONFAB_SEND_ATTEMPTS", "2"),
        ("CONFAB_LONGEST_PAUSE_SECS", "1"),
    ])
    .await;
    let sms = sms_lead(&t).await;
    let whatsapp = whatsapp_leads(&t).await;
    let agent = t.app.signed_in_agent().await;
    let mut stream = SseReader::open(&t.app, &agent, None).await;

    // Twilio: 20429 asking for 30 s, twice (capped at 1 s here), then the SMS goes.
    for _ in 0..2 {
        t.fake.fault(
            "Body=Patience",
            Fault::json(429, &fixture("twilio_error_20429.json")).with_header("retry-after", "30"),
        );
    }
    assert_eq!(t.reply(&agent, "+14017122661", "Patience").await.0, 200);
    let paused = channel_event(&mut stream, sms).await.expect("paused");
    assert!(paused["paused_until"].as_i64().is_some(), "{paused}");
    let resumed = channel_event(&mut stream, sms).await.expect("pause over");
    assert_eq!(resumed["paused_until"], Value::Null, "{resumed}");
    assert_eq!(resumed["status"], "connected");
    assert!(settles_as(&t, "Patience", "sent").await);
    assert_eq!(
        delivery(&t, "Patience").await,
        ("sent".into(), 1),
        "only the attempt that went counts"
    );
    let tries = t.fake.requests_with("Body=Patience");
    assert_eq!(tries.len(), 3);
    for gap in tries.windows(2).map(|w| w[1].at - w[0].at) {
        assert!(
            gap + Duration::from_millis(10) >= Duration::from_secs(1),
            "{gap:?}"
        );
    }
    assert_eq!(paused_until(&t, sms).await, None, "the pause is over");

    // WhatsApp 131056: only this lead's replies wait; the other lead's go at once, and the
    // channel is not paused.
    t.fake.fault(
        "To the pair",
        Fault::json(400, &fixture("whatsapp_error_131056.json")),
    );
    assert_eq!(t.reply(&agent, "16505551234", "To the pair").await.0, 200);
    // Once WhatsApp's answer is recorded (the reply waits, with its reason), the next reply
    // to the same lead is written: it must not overtake the first.
    assert!(
        eventually(Duration::from_secs(10), || async {
            let error: Option<String> =
                sqlx::query_scalar("SELECT error FROM messages WHERE body = 'To the pair'")
                    .fetch_one(&t.app.db.read)
                    .await
                    .unwrap();
            error.is_some_and(|e| e.contains("131056"))
        })
        .await
    );
    assert_eq!(t.reply(&agent, "16505551234", "Pair again").await.0, 200);
    assert_eq!(t.reply(&agent, "16505550000", "Other lead").await.0, 200);
    assert!(settles_as(&t, "Other lead", "sent").await);
    assert_eq!(
        paused_until(&t, whatsapp).await,
        None,
        "the channel goes on"
    );
    assert!(settles_as(&t, "To the pair", "sent").await);
    assert!(settles_as(&t, "Pair again", "sent").await);
    assert_eq!(delivery(&t, "To the pair").await, ("sent".into(), 1));
    // The lead gets them in the order written, the first only after the pause.
    let sent: Vec<String> = t
        .fake
        .requests_with("16505551234")
        .iter()
        .map(|r| {
            r.json()["text"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|b| !b.is_empty())
        .collect();
    assert_eq!(
        sent,
        ["To the pair", "To the pair", "Pair again"],
        "{sent:?}"
    );
    let first = t.fake.requests_with("To the pair");
    assert!(first[1].at - first[0].at + Duration::from_millis(10) >= Duration::from_secs(1));
}
