//! Each reply reaches the lead once, and replies leave in the order they were written
//! (issue 21, points 1, 2 and "a status before its id").
//!
//! The fake provider takes a reply and then cuts the connection, as a provider whose
//! answer is lost in the network does: the message is with the lead, only Confab does not
//! know. The test then plays the provider's webhook side with what the provider would
//! send about that message (the Messenger echo carrying the `metadata` Confab set, the
//! WhatsApp status carrying `biz_opaque_callback_data`, the Twilio status callback to
//! the URL Confab gave), built from the provider fixtures and the request the fake
//! received. The fake counts the sends: what the lead received.

use crate::channels::{fixture, Channels, PAGE_ID};
use crate::fake_provider::{Fault, Recorded};
use crate::helpers::{client, eventually};
use app::channels::ChannelKind;
use confab::channels::inbound::signature::twilio_signature;
use std::time::Duration;

/// How long an unconfirmed reply waits for its confirmation here (120 s in production).
const CONFIRM_WAIT: Duration = Duration::from_millis(1500);
const SETTINGS: [(&str, &str); 4] = [
    ("CONFAB_PROVIDER_TIMEOUT_SECS", "3"),
    ("CONFAB_RETRY_DELAY_SECS", "0.2"),
    ("CONFAB_SEND_ATTEMPTS", "3"),
    ("CONFAB_CONFIRM_WAIT_SECS", "1.5"),
];
const SETTLES: Duration = Duration::from_secs(15);
/// The test Twilio channel's auth token and number (`Channels::add`).
const TWILIO_AUTH_TOKEN: &str = "12345";
const TWILIO_NUMBER: &str = "+15558675310";
/// The leads of the fixtures: the WhatsApp text's wa_id, the inbound SMS's sender.
const WA_LEAD: &str = "16505551234";
const SMS_LEAD: &str = "+14017122661";

fn now_ms() -> i64 {
    app::store::now_ms()
}

/// Where a reply stands in the database.
#[derive(Debug, PartialEq)]
struct Row {
    status: String,
    error: Option<String>,
    attempts: i64,
    confirm_state: Option<String>,
    provider_id: Option<String>,
}

struct Leads {
    messenger: i64,
    whatsapp: i64,
}

impl Channels {
    /// A Messenger lead `psid` writes (`at` ms, now when `None`) message `mid` saying `text`.
    async fn messenger_writes(&self, channel: i64, psid: &str, mid: &str, text: &str, at: i64) {
        let body = fixture("messenger_text.json")
            .replace("<PAGE_ID>", PAGE_ID)
            .replace("<PSID>", psid)
            .replace("1458692752478", &at.to_string())
            .replace("mid.1457764197618:41d102a3e1ae206a38", mid)
            .replace("hello, world!", text);
        let (status, answer) = self
            .post_meta(ChannelKind::Messenger, channel, &body, None)
            .await;
        assert_eq!(status, 200, "{answer}");
    }

    /// A lead on each of Messenger (`psid-once`), WhatsApp and SMS, each written now (the
    /// SMS channel is found by its lead).
    async fn three_leads(&self) -> Leads {
        let messenger = self.add(ChannelKind::Messenger, true).await;
        self.messenger_writes(messenger, "psid-once", "mid-once", "Hello?", now_ms())
            .await;
        let whatsapp = self.add(ChannelKind::Whatsapp, true).await;
        let text =
            fixture("whatsapp_text.json").replace("1749416383", &(now_ms() / 1000).to_string());
        let (status, body) = self
            .post_meta(ChannelKind::Whatsapp, whatsapp, &text, None)
            .await;
        assert_eq!(status, 200, "{body}");
        let twilio = self.add(ChannelKind::TwilioSms, true).await;
        let sms = fixture("twilio_inbound_sms.txt")
            .lines()
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
            .unwrap()
            .to_owned();
        let (status, body) = self.post_twilio(twilio, &sms, None).await;
        assert_eq!(status, 200, "{body}");
        Leads {
            messenger,
            whatsapp,
        }
    }

    async fn row(&self, body: &str) -> Row {
        let (status, error, attempts, confirm_state, provider_id) = sqlx::query_as(
            "SELECT status, error, attempts, confirm_state, provider_id FROM messages WHERE body = $1",
        )
        .bind(body)
        .fetch_one(&self.app.db.read)
        .await
        .unwrap();
        Row {
            status,
            error,
            attempts,
            confirm_state,
            provider_id,
        }
    }

    /// Waits until the reply `body` satisfies `check`; panics with its row otherwise.
    async fn until(&self, body: &str, what: &str, check: impl Fn(&Row) -> bool) {
        let held = eventually(SETTLES, || async { check(&self.row(body).await) }).await;
        assert!(held, "{body}: never {what}: {:?}", self.row(body).await);
    }

    /// The one send of `text` the fake received (the first, when there were more).
    fn first_send(&self, text: &str) -> Recorded {
        self.fake
            .requests_with(text)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{text} never reached the provider"))
    }

    /// Meta's echo of the reply the fake received as `sent`, under Meta's id `mid`: the
    /// documented `message_echoes` event with the `metadata` the send carried.
    async fn meta_echoes(&self, channel: i64, sent: &Recorded, mid: &str) -> u16 {
        let json = sent.json();
        let metadata = json["message"]["metadata"].as_str().unwrap().to_owned();
        let body = fixture("messenger_echo_other_app.json")
            .replace("<PAGE_ID>", PAGE_ID)
            .replace("<PSID>", json["recipient"]["id"].as_str().unwrap())
            .replace("<DEVELOPER_DEFINED_METADATA_STRING>", &metadata)
            .replace("mid.1457764197618:41d102a3e1ae206a38", mid)
            .replace("1457764197627", &now_ms().to_string())
            .replace(
                "Thanks for your message! We usually reply within an hour.",
                json["message"]["text"].as_str().unwrap(),
            );
        let (status, answer) = self
            .post_meta(ChannelKind::Messenger, channel, &body, None)
            .await;
        assert_eq!(status, 200, "{answer}");
        status
    }

    /// WhatsApp's `sent` status of the reply the fake received as `sent`, under `wamid`,
    /// carrying the send's `biz_opaque_callback_data`.
    async fn whatsapp_reports_sent(&self, channel: i64, sent: &Recorded, wamid: &str) {
        let tag = sent.json()["biz_opaque_callback_data"]
            .as_str()
            .unwrap()
            .to_owned();
        self.whatsapp_reports_sent_as(channel, &tag, wamid).await;
    }

    /// WhatsApp's `sent` status under `wamid` carrying `tag` as `biz_opaque_callback_data`.
    async fn whatsapp_reports_sent_as(&self, channel: i64, tag: &str, wamid: &str) {
        let body = fixture("whatsapp_status_sent.callback_data.json")
            .replace("\"confab:1.1700000000000\"", &format!("\"{tag}\""))
            .replace(
                "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                wamid,
            );
        let (status, answer) = self
            .post_meta(ChannelKind::Whatsapp, channel, &body, None)
            .await;
        assert_eq!(status, 200, "{answer}");
    }

    /// Twilio's `sent` status callback for the SMS the fake received as `sent`, under
    /// `sid`, posted to the `StatusCallback` URL that send gave (signed as Twilio signs:
    /// the full URL, query included). `tamper` changes the URL after signing.
    async fn twilio_reports_sent(&self, sent: &Recorded, sid: &str, tamper: bool) -> u16 {
        let callback = sent
            .form()
            .into_iter()
            .find(|(k, _)| k == "StatusCallback")
            .map(|(_, v)| v)
            .expect("a status callback URL");
        let path = callback
            .strip_prefix("https://inbox.example.com")
            .expect("the public URL")
            .to_owned();
        let body = fixture("twilio_status_callback.txt")
            .lines()
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
            .unwrap()
            .replace("SM1342fe1b2c904d1ab04f0fc7a58abca9", sid)
            .replace("%2B15017250604", &TWILIO_NUMBER.replace('+', "%2B"));
        let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let signature = twilio_signature(TWILIO_AUTH_TOKEN, &callback, &params);
        let path = if tamper { format!("{path}0") } else { path };
        let response = client()
            .post(self.app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

/// The needle that finds an SMS reply's sends in the fake (its form-encoded body).
fn sms(text: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    format!("Body={encoded}")
}

#[tokio::test]
async fn a_reply_whose_answer_is_lost_is_confirmed_by_the_provider_and_reaches_the_lead_once() {
    let t = Channels::start_with(&SETTINGS).await;
    let leads = t.three_leads().await;
    let agent = t.app.signed_in_agent().await;
    // Each provider takes the reply, then the connection breaks before its answer.
    t.fake.fault(
        "Once via Messenger",
        Fault::CutOff(r#"{"recipient_id":"psid-once","mess"#.into()),
    );
    t.fake.fault(
        "Once via WhatsApp",
        Fault::CutOff(r#"{"messaging_product":"#.into()),
    );
    t.fake
        .fault(&sms("Once via SMS"), Fault::CutOff(r#"{"sid": "SM"#.into()));
    for (contact, text) in [
        ("psid-once", "Once via Messenger"),
        (WA_LEAD, "Once via WhatsApp"),
        (SMS_LEAD, "Once via SMS"),
    ] {
        assert_eq!(t.reply(&agent, contact, text).await.0, 200);
    }
    // Not known to have arrived: not sent again, and the employee sees why it waits.
    for (contact, text) in [
        ("psid-once", "Once via Messenger"),
        (WA_LEAD, "Once via WhatsApp"),
        (SMS_LEAD, "Once via SMS"),
    ] {
        t.until(text, "unconfirmed", |r| {
            r.status == "pending" && r.confirm_state.as_deref() == Some("unconfirmed")
        })
        .await;
        let shown = t.app.shown_message(&agent, contact, text).await;
        assert_eq!(shown["delivery_note"], "not_confirmed", "{shown}");
        assert_eq!(shown["status"], "pending", "{shown}");
    }
    // Another installation's reply with the same id (a staging Confab on the same
    // number) is told apart by its creation time: its status confirms nothing here.
    let sent = t.first_send("Once via WhatsApp");
    let tag = sent.json()["biz_opaque_callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, written) = tag
        .strip_prefix("confab:")
        .unwrap()
        .split_once('.')
        .unwrap();
    let elsewhere = format!("confab:{id}.{}", written.parse::<i64>().unwrap() + 1);
    t.whatsapp_reports_sent_as(leads.whatsapp, &elsewhere, "wamid.ELSEWHERE")
        .await;
    // (The webhook is answered once what it says is stored.)
    let row = t.row("Once via WhatsApp").await;
    assert_eq!(
        (row.status.as_str(), row.confirm_state.as_deref()),
        ("pending", Some("unconfirmed")),
        "another installation's status confirmed this reply"
    );
    // The providers' own word about each, carrying Confab's id.
    let sent = t.first_send("Once via Messenger");
    t.meta_echoes(leads.messenger, &sent, "m_once_echoed").await;
    let sent = t.first_send("Once via WhatsApp");
    t.whatsapp_reports_sent(leads.whatsapp, &sent, "wamid.ONCE")
        .await;
    let sent = t.first_send(&sms("Once via SMS"));
    // A callback whose URL was changed after signing names nothing.
    assert_eq!(t.twilio_reports_sent(&sent, "SMonce", true).await, 401);
    assert_eq!(t.twilio_reports_sent(&sent, "SMonce", false).await, 200);
    for (text, id) in [
        ("Once via Messenger", "m_once_echoed"),
        ("Once via WhatsApp", "wamid.ONCE"),
        ("Once via SMS", "SMonce"),
    ] {
        t.until(text, "confirmed", |r| r.status == "sent").await;
        let row = t.row(text).await;
        assert_eq!(row.provider_id.as_deref(), Some(id), "{text}");
        assert_eq!(row.confirm_state, None, "{text}");
        assert_eq!(row.error, None, "{text}");
    }
    // Long past the wait for a confirmation: each reached the provider, so the lead,
    // exactly once, and is shown as sent without a note.
    tokio::time::sleep(CONFIRM_WAIT * 2).await;
    for (contact, text, needle) in [
        (
            "psid-once",
            "Once via Messenger",
            "Once via Messenger".to_owned(),
        ),
        (WA_LEAD, "Once via WhatsApp", "Once via WhatsApp".to_owned()),
        (SMS_LEAD, "Once via SMS", sms("Once via SMS")),
    ] {
        assert_eq!(t.fake.sends_of(&needle), 1, "{text}");
        assert_eq!(t.row(text).await.status, "sent", "{text}");
        let shown = t.app.shown_message(&agent, contact, text).await;
        assert_eq!(shown["status"], "sent", "{shown}");
        assert!(shown["delivery_note"].is_null(), "{shown}");
    }
    // The echo of our own reply is not stored as a message of its own.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body = 'Once via Messenger'")
            .await,
        1
    );
}

#[tokio::test]
async fn without_a_confirmation_a_reply_is_sent_once_more_and_never_a_third_time() {
    let t = Channels::start_with(&SETTINGS).await;
    let leads = t.three_leads().await;
    let agent = t.app.signed_in_agent().await;
    // Cut once: no word comes, so it goes once more after the wait.
    t.fake.fault(
        "Again via Messenger",
        Fault::CutOff(r#"{"recipient_id":"psid-once","mess"#.into()),
    );
    t.fake
        .fault("Again via WhatsApp", Fault::CutOff(String::new()));
    t.fake.fault(
        &sms("Again via SMS"),
        Fault::json(200, r#"{"status": "queued"}"#),
    );
    // Cut twice: given up after the one re-send, with the reason.
    for _ in 0..2 {
        t.fake.fault(
            "Never confirmed",
            Fault::CutOff(r#"{"recipient_id":"#.into()),
        );
    }
    for (contact, text) in [
        ("psid-once", "Again via Messenger"),
        (WA_LEAD, "Again via WhatsApp"),
        (SMS_LEAD, "Again via SMS"),
    ] {
        assert_eq!(t.reply(&agent, contact, text).await.0, 200);
    }
    // A later reply of the same conversation waits for the earlier one's outcome.
    assert_eq!(t.reply(&agent, "psid-once", "Written after").await.0, 200);
    t.until("Again via Messenger", "unconfirmed", |r| {
        r.confirm_state.as_deref() == Some("unconfirmed")
    })
    .await;
    assert_eq!(
        t.fake.sends_of("Written after"),
        0,
        "held behind the unconfirmed reply"
    );
    for (contact, text, needle) in [
        (
            "psid-once",
            "Again via Messenger",
            "Again via Messenger".to_owned(),
        ),
        (
            WA_LEAD,
            "Again via WhatsApp",
            "Again via WhatsApp".to_owned(),
        ),
        (SMS_LEAD, "Again via SMS", sms("Again via SMS")),
    ] {
        t.until(text, "sent again", |r| r.status == "sent").await;
        let row = t.row(text).await;
        assert_eq!(row.confirm_state.as_deref(), Some("resent"), "{text}");
        assert_eq!(row.attempts, 2, "{text}");
        let sends = t.fake.requests_with(&needle);
        assert_eq!(sends.len(), 2, "{text}: exactly one re-send");
        assert!(
            sends[1].at - sends[0].at + Duration::from_millis(10) >= CONFIRM_WAIT,
            "{text}: sent again only after the wait for a confirmation"
        );
        let shown = t.app.shown_message(&agent, contact, text).await;
        assert_eq!(shown["delivery_note"], "sent_again", "{shown}");
        assert_eq!(shown["status"], "sent", "{shown}");
    }
    t.until("Written after", "sent", |r| r.status == "sent")
        .await;
    let order: Vec<String> = t
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .filter_map(|r| r.json()["message"]["text"].as_str().map(str::to_owned))
        .filter(|text| text == "Again via Messenger" || text == "Written after")
        .collect();
    assert_eq!(
        order,
        [
            "Again via Messenger",
            "Again via Messenger",
            "Written after"
        ],
        "replies leave in the order they were written"
    );

    assert_eq!(t.reply(&agent, "psid-once", "Never confirmed").await.0, 200);
    t.until("Never confirmed", "failed", |r| r.status == "failed")
        .await;
    let row = t.row("Never confirmed").await;
    assert_eq!(row.attempts, 2);
    assert_eq!(
        row.error.as_deref(),
        Some(
            "Messenger broke off the connection. No confirmation came after it was sent twice, \
             so it may or may not have reached the lead. Check with them before you send it again."
        )
    );
    let shown = t
        .app
        .shown_message(&agent, "psid-once", "Never confirmed")
        .await;
    assert_eq!(shown["status"], "failed", "{shown}");
    assert_eq!(shown["delivery_note"], "not_confirmed", "{shown}");
    // Never a third send, however long one waits.
    tokio::time::sleep(CONFIRM_WAIT * 2).await;
    assert_eq!(t.fake.sends_of("Never confirmed"), 2);
    for needle in ["Again via Messenger", "Again via WhatsApp"] {
        assert_eq!(t.fake.sends_of(needle), 2, "{needle}");
    }
    assert_eq!(t.fake.sends_of(&sms("Again via SMS")), 2);
    // A confirmation that comes late still tells the truth: it was sent.
    let sent = t.first_send("Never confirmed");
    t.meta_echoes(leads.messenger, &sent, "m_late_echo").await;
    t.until("Never confirmed", "sent", |r| r.status == "sent")
        .await;
    let shown = t
        .app
        .shown_message(&agent, "psid-once", "Never confirmed")
        .await;
    assert_eq!(shown["delivery_note"], "sent_again", "{shown}");
}

#[tokio::test]
async fn a_reply_waiting_for_a_retry_holds_back_its_conversation_only() {
    let t = Channels::start_with(&[
        ("CONFAB_PROVIDER_TIMEOUT_SECS", "3"),
        ("CONFAB_RETRY_DELAY_SECS", "2"),
        ("CONFAB_SEND_ATTEMPTS", "3"),
    ])
    .await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    for psid in ["psid-a", "psid-b"] {
        t.messenger_writes(messenger, psid, &format!("mid-{psid}"), "Hi", now_ms())
            .await;
    }
    let agent = t.app.signed_in_agent().await;
    // Graph's transient error: "A first" waits 2 s for its retry.
    t.fake.fault(
        "A first",
        Fault::json(
            500,
            r#"{"error":{"message":"An unexpected error has occurred.","code":2,"is_transient":true}}"#,
        ),
    );
    assert_eq!(t.reply(&agent, "psid-a", "A first").await.0, 200);
    t.until("A first", "retrying", |r| {
        r.attempts == 1 && r.status == "pending"
    })
    .await;
    assert_eq!(t.reply(&agent, "psid-a", "A second").await.0, 200);
    assert_eq!(t.reply(&agent, "psid-b", "B only").await.0, 200);
    // Another conversation's reply goes at once…
    t.until("B only", "sent", |r| r.status == "sent").await;
    // …while the later reply of the waiting conversation stays behind it.
    assert_eq!(t.row("A first").await.status, "pending");
    assert_eq!(t.fake.sends_of("A second"), 0);
    assert_eq!(t.row("A second").await.attempts, 0);
    t.until("A second", "sent", |r| r.status == "sent").await;
    let order: Vec<String> = t
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.json()["message"]["text"].as_str().map(str::to_owned))
        .filter(|text| text != "Hi")
        .collect();
    assert_eq!(order, ["A first", "B only", "A first", "A second"]);
}

#[tokio::test]
async fn the_thread_lists_messages_in_the_providers_order() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let now = now_ms();
    t.messenger_writes(messenger, "psid-order", "mid-1", "First", now - 30_000)
        .await;
    t.messenger_writes(messenger, "psid-order", "mid-3", "Third", now - 10_000)
        .await;
    // Meta redelivers a message late (after a 5xx, say), written between the two.
    t.messenger_writes(messenger, "psid-order", "mid-2", "Second", now - 20_000)
        .await;
    let agent = t.app.signed_in_agent().await;
    let conversation = t.app.conversation_of("psid-order").await.to_string();
    let (status, detail) = t
        .app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200, "{detail}");
    let bodies: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["First", "Second", "Third"]);
    // Older pages follow the same order: before "Third" come "First" and "Second".
    let third = detail["messages"][2]["id"].to_string();
    let (status, page) = t
        .app
        .call(
            &agent,
            "older_messages",
            &[("id", &conversation), ("before", &third)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let older: Vec<&str> = page[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(older, ["First", "Second"]);
}

#[tokio::test]
async fn a_whatsapp_failure_that_comes_before_the_send_answer_is_kept_and_applied() {
    let t = Channels::start_with(&SETTINGS).await;
    let leads = t.three_leads().await;
    let agent = t.app.signed_in_agent().await;
    let answer = |wamid: &str| {
        format!(
            r#"{{"messaging_product":"whatsapp","contacts":[{{"input":"+{WA_LEAD}","wa_id":"{WA_LEAD}"}}],"messages":[{{"id":"{wamid}"}}]}}"#
        )
    };
    // WhatsApp answers the send slowly; its `failed` status (without callback data, as
    // the fixture is) comes first.
    t.fake.fault(
        "Fails fast",
        Fault::Slow {
            wait: Duration::from_millis(1500),
            status: 200,
            body: answer("wamid.FAST"),
        },
    );
    assert_eq!(t.reply(&agent, WA_LEAD, "Fails fast").await.0, 200);
    assert!(eventually(SETTLES, || async { t.fake.sends_of("Fails fast") == 1 }).await);
    let failed = fixture("whatsapp_status_failed_131047.json").replace(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",
        "wamid.FAST",
    );
    let (status, body) = t
        .post_meta(ChannelKind::Whatsapp, leads.whatsapp, &failed, None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(t.row("Fails fast").await.status, "pending");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM pending_statuses WHERE provider_id = 'wamid.FAST'")
            .await,
        1
    );
    // The answer comes, the id is stored, and the kept failure applies at once.
    t.until("Fails fast", "failed", |r| r.status == "failed")
        .await;
    let row = t.row("Fails fast").await;
    assert_eq!(row.provider_id.as_deref(), Some("wamid.FAST"));
    assert!(
        row.error
            .as_deref()
            .unwrap_or_default()
            .contains("[131047]"),
        "{row:?}"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM pending_statuses WHERE provider_id = 'wamid.FAST'")
            .await,
        0
    );
    let shown = t.app.shown_message(&agent, WA_LEAD, "Fails fast").await;
    assert_eq!(shown["status"], "failed", "{shown}");
    // A kept status lives 15 minutes: an older one is not applied.
    sqlx::query(
        "INSERT INTO pending_statuses (channel_id, provider_id, status, at, error, created_at)
         VALUES ($1, 'wamid.STALE', 'failed', $2, 'too old', $2)",
    )
    .bind(leads.whatsapp)
    .bind(now_ms() - app::messages::store::PENDING_STATUS_MS - 60_000)
    .execute(&t.app.db.write)
    .await
    .unwrap();
    t.fake.fault(
        "Old news",
        Fault::Slow {
            wait: Duration::ZERO,
            status: 200,
            body: answer("wamid.STALE"),
        },
    );
    assert_eq!(t.reply(&agent, WA_LEAD, "Old news").await.0, 200);
    t.until("Old news", "sent", |r| r.status == "sent").await;
    assert_eq!(t.row("Old news").await.error, None);
}
