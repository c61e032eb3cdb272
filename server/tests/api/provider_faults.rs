//! Provider faults (issue 9, point 2): the fake provider answers slowly, with 429 / 5xx,
//! cuts the connection, or returns garbage. Confab retries with backoff within its bounds,
//! never holds up the inbox or another channel, and shows the failure and its reason.
//!
//! Timeouts and delays are shortened through the settings; spacing is asserted as a lower
//! bound only (never an upper bound that a slow machine could break).

use crate::channels::{fixture, Channels, PAGE_ID};
use crate::fake_provider::Fault;
use crate::helpers::eventually;
use app::channels::ChannelKind;
use serde_json::Value;
use std::time::Duration;

/// Retries after 0.2 s, 0.4 s, … with three attempts per reply and two per file.
/// A reply whose answer was lost waits 0.5 s for the provider's confirmation.
const FAST: [(&str, &str); 5] = [
    ("CONFAB_PROVIDER_TIMEOUT_SECS", "2"),
    ("CONFAB_RETRY_DELAY_SECS", "0.2"),
    ("CONFAB_SEND_ATTEMPTS", "3"),
    ("CONFAB_MEDIA_ATTEMPTS", "2"),
    ("CONFAB_CONFIRM_WAIT_SECS", "0.5"),
];
const FIRST_RETRY: Duration = Duration::from_millis(200);
const CONFIRM_WAIT: Duration = Duration::from_millis(500);

/// The reason shown for a reply whose two sends both ended without an answer (`cause`,
/// the last one's) and which no confirmation came for (`replies_once.rs` tests that).
fn unconfirmed(cause: &str) -> String {
    format!(
        "{cause} No confirmation came after it was sent twice, so it may or may not have \
         reached the lead. Check with them before you send it again."
    )
}
/// What two clocks (the store's milliseconds, the fake's instants) may disagree by.
const CLOCKS: Duration = Duration::from_millis(10);
const PROMPTLY: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    app::store::now_ms()
}

/// A Messenger text from `psid`, written now (the reply window is open).
fn messenger_text(psid: &str, mid: &str) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":{},"message":{{"mid":"{mid}","text":"Hello?"}}}}]}}]}}"#,
        now_ms()
    )
}

/// An SMS (or MMS with files) from +14017122661 to the test number.
fn twilio_inbound(sid: &str, media: &[String]) -> String {
    let mut body = format!(
        "MessageSid={sid}&From=%2B14017122661&To=%2B15558675310&Body=Hi&NumMedia={}",
        media.len()
    );
    for (i, url) in media.iter().enumerate() {
        let url: String = form_urlencoded::byte_serialize(url.as_bytes()).collect();
        body.push_str(&format!(
            "&MediaUrl{i}={url}&MediaContentType{i}=image%2Fpng"
        ));
    }
    body
}

impl Channels {
    async fn messenger_lead(&self, psid: &str) -> i64 {
        let channel = self.add(ChannelKind::Messenger, true).await;
        let (status, text) = self
            .post_meta(
                ChannelKind::Messenger,
                channel,
                &messenger_text(psid, &format!("mid-{psid}")),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        channel
    }

    async fn whatsapp_lead(&self) -> i64 {
        let channel = self.add(ChannelKind::Whatsapp, true).await;
        let text =
            fixture("whatsapp_text.json").replace("1749416383", &(now_ms() / 1000).to_string());
        let (status, body) = self
            .post_meta(ChannelKind::Whatsapp, channel, &text, None)
            .await;
        assert_eq!(status, 200, "{body}");
        channel
    }

    async fn sms_lead(&self) -> i64 {
        let channel = self.add(ChannelKind::TwilioSms, true).await;
        let (status, body) = self
            .post_twilio(channel, &twilio_inbound("SM-lead-writes", &[]), None)
            .await;
        assert_eq!(status, 200, "{body}");
        channel
    }

    /// (status, error, attempts) of the message with this body.
    async fn delivery(&self, body: &str) -> (String, Option<String>, i64) {
        sqlx::query_as("SELECT status, error, attempts FROM messages WHERE body = $1")
            .bind(body)
            .fetch_one(&self.app.db.read)
            .await
            .unwrap()
    }

    async fn settles_as(&self, body: &str, status: &str) -> bool {
        eventually(Duration::from_secs(12), || async {
            self.delivery(body).await.0 == status
        })
        .await
    }

    async fn message_id(&self, body: &str) -> String {
        let id: i64 = sqlx::query_scalar("SELECT id FROM messages WHERE body = $1")
            .bind(body)
            .fetch_one(&self.app.db.read)
            .await
            .unwrap();
        id.to_string()
    }

    /// (status, error, attempts) of the attachment fetched from `url`.
    async fn attachment(&self, url: &str) -> (String, Option<String>, i64) {
        sqlx::query_as("SELECT status, error, attempts FROM attachments WHERE source_url = $1")
            .bind(url)
            .fetch_one(&self.app.db.read)
            .await
            .unwrap()
    }
}

/// The gaps between consecutive requests.
fn gaps(requests: &[crate::fake_provider::Recorded]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// A rate limit pauses the channel (issue 21, point 5; `channel_pause.rs` has the rest):
/// the reply waits, uncounted, for what the provider asked, else
/// `CONFAB_RATE_LIMIT_PAUSE_SECS` (0.3 s here).
#[tokio::test]
async fn throttled_replies_back_off_and_honour_retry_after_then_go() {
    let mut settings = FAST.to_vec();
    settings.push(("CONFAB_RATE_LIMIT_PAUSE_SECS", "0.3"));
    let t = Channels::start_with(&settings).await;
    t.messenger_lead("psid-busy").await;
    t.sms_lead().await;
    let agent = t.app.signed_in_agent().await;
    // Graph's 429 without a wait in its answer: the channel pauses 0.3 s each time.
    let limit = r#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"A1"}}"#;
    for _ in 0..2 {
        t.fake.fault("Slow down please", Fault::json(429, limit));
    }
    assert_eq!(
        t.reply(&agent, "psid-busy", "Slow down please").await.0,
        200
    );
    // Twilio's 429 asks for 1 s: the channel pauses that long.
    let busy = r#"{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}"#;
    for _ in 0..2 {
        t.fake.fault(
            "Body=Patience",
            Fault::json(429, busy).with_header("retry-after", "1"),
        );
    }
    assert_eq!(t.reply(&agent, "+14017122661", "Patience").await.0, 200);

    assert!(t.settles_as("Slow down please", "sent").await);
    let tries = t.fake.requests_with("Slow down please");
    assert_eq!(tries.len(), 3, "two 429s, then sent");
    assert_eq!(
        t.delivery("Slow down please").await,
        ("sent".into(), None, 1),
        "the pauses count no attempt"
    );
    for gap in gaps(&tries) {
        assert!(gap + CLOCKS >= Duration::from_millis(300), "{gap:?}");
    }

    assert!(t.settles_as("Patience", "sent").await);
    let tries = t.fake.requests_with("Body=Patience");
    assert_eq!(tries.len(), 3, "two 429s, then sent");
    for gap in gaps(&tries) {
        assert!(
            gap + CLOCKS >= Duration::from_secs(1),
            "Retry-After: {gap:?}"
        );
    }
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out_while_the_inbox_goes_on() {
    let t = Channels::start_with(&[
        ("CONFAB_PROVIDER_TIMEOUT_SECS", "4"),
        ("CONFAB_RETRY_DELAY_SECS", "0.2"),
        ("CONFAB_SEND_ATTEMPTS", "2"),
        ("CONFAB_CONFIRM_WAIT_SECS", "0.5"),
    ])
    .await;
    t.messenger_lead("psid-hang").await;
    let agent = t.app.signed_in_agent().await;
    for _ in 0..2 {
        t.fake
            .fault("Anyone there?", Fault::Delay(Duration::from_secs(60)));
    }
    assert_eq!(t.reply(&agent, "psid-hang", "Anyone there?").await.0, 200);
    assert!(
        eventually(PROMPTLY, || async {
            !t.fake.requests_with("Anyone there?").is_empty()
        })
        .await
    );
    // While Messenger hangs: the list answers, the sandbox takes a reply and delivers it.
    let (status, page) = tokio::time::timeout(
        PROMPTLY,
        t.app
            .call(&agent, "list_conversations", &[("status", "open")]),
    )
    .await
    .expect("the list answers while a provider hangs");
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        t.app
            .lead_writes("lead-beside-hang", "msg-beside-hang", "Hi there")
            .await
            .status(),
        200
    );
    let sandbox = t.app.conversation_of("lead-beside-hang").await.to_string();
    let (status, body) = tokio::time::timeout(
        PROMPTLY,
        t.app.call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &sandbox),
                ("body", "Sandbox still works"),
            ],
        ),
    )
    .await
    .expect("sending answers while a provider hangs");
    assert_eq!(status, 200, "{body}");
    assert!(t.settles_as("Sandbox still works", "delivered").await);
    assert_eq!(
        t.delivery("Anyone there?").await,
        ("pending".into(), None, 0),
        "the sandbox reply went while Messenger's first attempt was still waiting"
    );
    // A timeout after the request was written: Messenger may have it. Sent once more
    // only after the wait for its echo; that one times out too, and with no echo the
    // employee sees why it is not sent a third time.
    assert!(t.settles_as("Anyone there?", "failed").await);
    let (_, error, attempts) = t.delivery("Anyone there?").await;
    assert_eq!(attempts, 2);
    let reason = unconfirmed("Messenger did not answer in time.");
    assert_eq!(error.as_deref(), Some(reason.as_str()));
    let tries = t.fake.requests_with("Anyone there?");
    assert_eq!(tries.len(), 2);
    assert!(gaps(&tries)[0] + CLOCKS >= Duration::from_secs(4) + CONFIRM_WAIT);
    let shown = t
        .app
        .shown_message(&agent, "psid-hang", "Anyone there?")
        .await;
    assert_eq!(shown["status"], "failed", "{shown}");
    assert_eq!(shown["error"], reason);
    // Messenger is back: Retry sends it.
    t.fake.heal();
    let id = t.message_id("Anyone there?").await;
    let (status, body) = t
        .app
        .call(&agent, "retry_message", &[("message_id", &id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.settles_as("Anyone there?", "sent").await);
    assert_eq!(t.fake.requests_with("Anyone there?").len(), 3);
}

#[tokio::test]
async fn a_connection_cut_mid_answer_waits_for_a_confirmation_then_is_sent_once_more_or_shown() {
    let t = Channels::start_with(&FAST).await;
    t.messenger_lead("psid-cut").await;
    t.whatsapp_lead().await;
    let agent = t.app.signed_in_agent().await;
    // Messenger: cut off mid-JSON (it may have the reply), no echo comes: sent once more
    // after the wait for one. The same when the cut comes before any body.
    t.fake.fault(
        "Cut me off",
        Fault::CutOff(r#"{"recipient_id":"psid-cut","mess"#.into()),
    );
    assert_eq!(t.reply(&agent, "psid-cut", "Cut me off").await.0, 200);
    t.fake
        .fault("Cut before the body", Fault::CutOff(String::new()));
    assert_eq!(
        t.reply(&agent, "psid-cut", "Cut before the body").await.0,
        200
    );
    // WhatsApp: cut off every time: sent twice at most; the employee sees why, and Retry
    // sends it later.
    for _ in 0..2 {
        t.fake.fault(
            "Always cut",
            Fault::CutOff(r#"{"messaging_product":"#.into()),
        );
    }
    assert_eq!(t.reply(&agent, "16505551234", "Always cut").await.0, 200);

    for reply in ["Cut me off", "Cut before the body"] {
        assert!(t.settles_as(reply, "sent").await, "{reply}");
        let tries = t.fake.requests_with(reply);
        assert_eq!(tries.len(), 2, "{reply}");
        assert!(gaps(&tries)[0] + CLOCKS >= CONFIRM_WAIT, "{reply}");
    }
    assert!(t.settles_as("Always cut", "failed").await);
    assert_eq!(
        t.delivery("Always cut").await,
        (
            "failed".into(),
            Some(unconfirmed("WhatsApp broke off the connection.")),
            2
        )
    );
    let id = t.message_id("Always cut").await;
    assert_eq!(
        t.app
            .call(&agent, "retry_message", &[("message_id", &id)])
            .await
            .0,
        200
    );
    assert!(t.settles_as("Always cut", "sent").await);
    assert_eq!(t.fake.requests_with("Always cut").len(), 3);
}

#[tokio::test]
async fn garbage_answers_fail_with_a_reason_the_employee_sees_and_retry_sends() {
    let t = Channels::start_with(&FAST).await;
    t.messenger_lead("psid-junk").await;
    t.whatsapp_lead().await;
    t.sms_lead().await;
    let agent = t.app.signed_in_agent().await;
    let html = "<html><body><h1>Service Unavailable</h1></body></html>";
    // (contact, reply, the answer it meets on every attempt, attempts, the reason shown).
    // A 2xx says the provider took the reply, whatever its body: the outcome is unknown,
    // so it is sent once more only after the wait for a confirmation, and never again.
    let cases = [
        (
            "psid-junk",
            "Behind a proxy",
            Fault::answer(200, "text/html", html),
            2,
            unconfirmed("Messenger answered with something that is not JSON."),
        ),
        (
            "psid-junk",
            "Half an answer",
            Fault::json(200, r#"{"recipient_id":"psid-junk","message_"#),
            2,
            unconfirmed("Messenger answered with something that is not JSON."),
        ),
        (
            "psid-junk",
            "No id at all",
            Fault::json(200, r#"{"recipient_id":"psid-junk"}"#),
            2,
            unconfirmed("Messenger answered without a message id."),
        ),
        (
            "psid-junk",
            "Unreadable refusal",
            Fault::answer(400, "text/html", html),
            1,
            "Meta answered HTTP 400 without a readable error".to_owned(),
        ),
        (
            "16505551234",
            "WhatsApp junk",
            Fault::json(200, r#"{"messaging_product":"whatsapp","messages":[]}"#),
            2,
            unconfirmed("WhatsApp answered without a message id."),
        ),
        (
            "+14017122661",
            "Twilio junk",
            Fault::answer(200, "text/html", html),
            2,
            unconfirmed("Twilio answered with something that is not JSON."),
        ),
    ];
    for (contact, reply, fault, attempts, _) in &cases {
        for _ in 0..*attempts {
            let needle = match *contact {
                "+14017122661" => format!("Body={}", reply.replace(' ', "+")),
                _ => reply.to_string(),
            };
            t.fake.fault(&needle, fault.clone());
        }
        assert_eq!(t.reply(&agent, contact, reply).await.0, 200);
    }
    for (contact, reply, _, attempts, reason) in &cases {
        assert!(
            t.settles_as(reply, "failed").await,
            "{reply}: {:?}",
            t.delivery(reply).await
        );
        assert_eq!(
            t.delivery(reply).await,
            ("failed".into(), Some(reason.to_string()), *attempts),
            "{reply}"
        );
        let shown = t.app.shown_message(&agent, contact, reply).await;
        assert_eq!(shown["status"], "failed", "{shown}");
        assert_eq!(shown["error"], *reason, "{shown}");
    }
    // The provider is healthy again: Retry sends each once more.
    t.fake.heal();
    for (_, reply, _, _, _) in &cases {
        let id = t.message_id(reply).await;
        let (status, body) = t
            .app
            .call(&agent, "retry_message", &[("message_id", &id)])
            .await;
        assert_eq!(status, 200, "{reply}: {body}");
    }
    for (_, reply, _, _, _) in &cases {
        assert!(t.settles_as(reply, "sent").await, "{reply}");
        assert_eq!(t.delivery(reply).await.1, None, "{reply}");
    }
}

#[tokio::test]
async fn media_that_hangs_breaks_or_is_garbage_ends_failed_without_holding_up_others() {
    let t = &Channels::start_with(&[
        ("CONFAB_PROVIDER_TIMEOUT_SECS", "3"),
        ("CONFAB_RETRY_DELAY_SECS", "0.2"),
        ("CONFAB_MEDIA_ATTEMPTS", "2"),
    ])
    .await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let url = |name: &str| format!("{}/cdn/{name}", t.fake.url);
    let mms = |sid: &str, name: &str| {
        let body = twilio_inbound(sid, &[url(name)]);
        async move {
            let (status, text) = t.post_twilio(twilio, &body, None).await;
            assert_eq!(status, 200, "{text}");
        }
    };
    t.fake
        .always("/cdn/slow/", Fault::Delay(Duration::from_secs(60)));
    t.fake
        .always("/cdn/broken/", Fault::answer(500, "text/plain", "oops"));
    t.fake
        .fault("/cdn/flaky/", Fault::answer(503, "text/plain", "later"));
    // WhatsApp's media lookup answers with a web page instead of JSON.
    t.fake.always(
        "/1003383421387256",
        Fault::answer(200, "text/html", "<html>login</html>"),
    );

    mms("MM-slow", "slow/a.png").await;
    assert!(
        eventually(PROMPTLY, || async {
            !t.fake.requests_with("/cdn/slow/").is_empty()
        })
        .await
    );
    // While that file hangs, the others are fetched (or refused) beside it.
    mms("MM-ok", "ok.png").await;
    mms("MM-broken", "broken/b.png").await;
    mms("MM-flaky", "flaky/c.png").await;
    mms("MM-page", "page.html").await;
    let (status, text) = t
        .post_meta(
            ChannelKind::Whatsapp,
            whatsapp,
            &fixture("whatsapp_image.json"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(
        eventually(PROMPTLY, || async {
            t.attachment(&url("ok.png")).await.0 == "stored"
        })
        .await
    );
    assert_eq!(
        t.attachment(&url("slow/a.png")).await,
        ("pending".into(), None, 0),
        "the good file was stored while the slow one was still being waited for"
    );
    let settled = |name: String| async move {
        eventually(Duration::from_secs(12), || async {
            t.attachment(&name).await.0 != "pending"
        })
        .await
    };
    // A web page is never kept: failed at the first attempt.
    assert!(settled(url("page.html")).await);
    assert_eq!(
        t.attachment(&url("page.html")).await,
        (
            "failed".into(),
            Some("files of type text/html are not kept".into()),
            1
        )
    );
    // One 503, then the file: stored at the second attempt, after the backoff.
    assert!(settled(url("flaky/c.png")).await);
    assert_eq!(
        t.attachment(&url("flaky/c.png")).await,
        ("stored".into(), None, 2)
    );
    let flaky = t.fake.requests_with("/cdn/flaky/");
    assert!(gaps(&flaky)[0] + CLOCKS >= FIRST_RETRY);
    // 500 every time: failed after the two attempts, spaced by the backoff.
    assert!(settled(url("broken/b.png")).await);
    assert_eq!(
        t.attachment(&url("broken/b.png")).await,
        (
            "failed".into(),
            Some("the provider answered HTTP 500 (gave up after 2 attempts)".into()),
            2
        )
    );
    let broken = t.fake.requests_with("/cdn/broken/");
    assert_eq!(broken.len(), 2);
    assert!(gaps(&broken)[0] + CLOCKS >= FIRST_RETRY);
    // The lookup's garbage: retried, then failed with the reason.
    let lookup: (String, Option<String>, i64) = eventually_row(t, "1003383421387256").await;
    assert_eq!(
        lookup,
        (
            "failed".into(),
            Some(
                "WhatsApp's media lookup answered with something that is not JSON (gave up after 2 attempts)"
                    .into()
            ),
            2
        )
    );
    // The slow file: each attempt times out; failed with the reason after the last.
    assert!(settled(url("slow/a.png")).await);
    assert_eq!(
        t.attachment(&url("slow/a.png")).await,
        (
            "failed".into(),
            Some("the provider did not answer in time (gave up after 2 attempts)".into()),
            2
        )
    );
    // The employee sees the file's failure and its reason in the conversation.
    let agent = t.app.signed_in_agent().await;
    let conversation = t.app.conversation_of("+14017122661").await.to_string();
    let (status, detail) = t
        .app
        .call(&agent, "get_conversation", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200, "{detail}");
    let files: Vec<&Value> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["attachments"].as_array().unwrap())
        .collect();
    assert!(
        files.iter().any(|f| f["state"] == "failed"
            && f["error"] == "the provider did not answer in time (gave up after 2 attempts)"),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f["state"] == "stored" && f["error"].is_null()),
        "{files:?}"
    );
}

/// The attachment with this WhatsApp media id, once it is no longer pending.
async fn eventually_row(t: &Channels, media_id: &str) -> (String, Option<String>, i64) {
    let row = || async {
        sqlx::query_as::<_, (String, Option<String>, i64)>(
            "SELECT status, error, attempts FROM attachments WHERE provider_media_id = $1",
        )
        .bind(media_id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
    };
    assert!(
        eventually(Duration::from_secs(12), || async {
            row().await.0 != "pending"
        })
        .await
    );
    row().await
}

/// The conversation's awaiting-reply flag, straight from the store.
async fn awaiting(t: &Channels, contact: &str) -> bool {
    let conversation = t.app.conversation_of(contact).await;
    t.app
        .count(&format!(
            "SELECT awaiting_reply FROM conversations WHERE id = {conversation}"
        ))
        .await
        == 1
}

/// Triage stays true (issue 22, point 7): a reply that ends failed puts the conversation
/// back to awaiting a reply, until a reply goes out or an employee marks it handled; a
/// failed follow-up after a reply that went out does not.
#[tokio::test]
async fn a_failed_reply_puts_the_conversation_back_to_awaiting_a_reply() {
    let t = Channels::start_with(&FAST).await;
    t.messenger_lead("psid-triage").await;
    // An integration listening for failed replies (nobody answers there: what matters is
    // what is queued).
    sqlx::query(
        "INSERT INTO webhook_subscriptions (url, events, secret_nonce, created_at, updated_at)
         VALUES ('http://127.0.0.1:9/hook', 'reply_failed', 'unused', 0, 0)",
    )
    .execute(&t.app.db.write)
    .await
    .unwrap();
    let agent = t.app.signed_in_agent().await;
    assert!(awaiting(&t, "psid-triage").await, "the lead wrote");
    let refusal = Fault::answer(400, "text/html", "<html>no</html>");

    t.fake.fault("Refused reply", refusal.clone());
    assert_eq!(t.reply(&agent, "psid-triage", "Refused reply").await.0, 200);
    assert!(t.settles_as("Refused reply", "failed").await);
    assert!(
        eventually(PROMPTLY, || async { awaiting(&t, "psid-triage").await }).await,
        "a failed reply leaves the lead waiting"
    );
    let failed: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM webhook_deliveries WHERE event = 'reply_failed'")
            .fetch_all(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("Refused reply"), "{failed:?}");
    let conversation = t.app.conversation_of("psid-triage").await.to_string();
    // Marked handled: no longer awaiting, recorded; doing it again changes nothing.
    let (status, body) = t
        .app
        .call(
            &agent,
            "mark_conversation_handled",
            &[("id", &conversation)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!awaiting(&t, "psid-triage").await);
    let (status, _) = t
        .app
        .call(
            &agent,
            "mark_conversation_handled",
            &[("id", &conversation)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        t.app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_entries WHERE conversation_id = {conversation} AND action = 'marked_handled'"
            ))
            .await,
        1
    );

    // Failed again, then retried and sent: not awaiting any more.
    t.fake.fault("Refused twice", refusal.clone());
    assert_eq!(t.reply(&agent, "psid-triage", "Refused twice").await.0, 200);
    assert!(t.settles_as("Refused twice", "failed").await);
    assert!(eventually(PROMPTLY, || async { awaiting(&t, "psid-triage").await }).await);
    let id = t.message_id("Refused twice").await;
    let (status, body) = t
        .app
        .call(&agent, "retry_message", &[("message_id", &id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.settles_as("Refused twice", "sent").await);
    assert!(!awaiting(&t, "psid-triage").await);

    // A follow-up that fails after a reply went out leaves the lead answered.
    t.fake.fault("Failed follow-up", refusal);
    assert_eq!(
        t.reply(&agent, "psid-triage", "Failed follow-up").await.0,
        200
    );
    assert!(t.settles_as("Failed follow-up", "failed").await);
    assert!(!awaiting(&t, "psid-triage").await);
}
