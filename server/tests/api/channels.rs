//! Provider channels end to end through the real server: the shared provider fixtures
//! posted as signed webhooks, statuses, echoes, and replies sent to a fake provider.

use crate::fake_provider::FakeProvider;
use crate::helpers::{client, eventually, spawn_app_with, TestApp};
use app::channels::credentials::{Credentials, SecretKey};
use app::channels::ChannelKind;
use confab::channels::inbound::signature::{hub_signature, twilio_signature};
use std::time::Duration;

pub const KEY: &str = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
pub const PAGE_ID: &str = "682498302938465";
pub const IG_ID: &str = "17841400000000001";
const WA_PHONE_ID: &str = "106540352242922";
const TWILIO_NUMBER: &str = "+15558675310";
pub const APP_SECRET: &str = "test_app_secret_key";
const AUTH_TOKEN: &str = "12345";

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A form-encoded fixture: its one line that is not a comment.
fn form_fixture(name: &str) -> String {
    fixture(name)
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .to_owned()
}

pub struct Channels {
    pub app: TestApp,
    pub fake: FakeProvider,
}

impl Channels {
    pub async fn start() -> Channels {
        Channels::start_with(&[]).await
    }

    /// Starts with more settings (e.g. shorter provider timeouts and retry delays).
    pub async fn start_with(settings: &[(&str, &str)]) -> Channels {
        let fake = FakeProvider::start().await;
        let mut all = vec![
            ("CONFAB_SECRET_KEY", KEY),
            ("CONFAB_GRAPH_API_URL", fake.url.as_str()),
            ("CONFAB_TWILIO_API_URL", fake.url.as_str()),
            ("CONFAB_PUBLIC_URL", "https://inbox.example.com"),
        ];
        all.extend_from_slice(settings);
        // Instagram Login accounts call Instagram's own host: the same fake, unless a
        // test gives it one of its own.
        if !settings
            .iter()
            .any(|(k, _)| *k == "CONFAB_INSTAGRAM_API_URL")
        {
            all.push(("CONFAB_INSTAGRAM_API_URL", fake.url.as_str()));
        }
        let app = spawn_app_with(&all).await;
        Channels { app, fake }
    }

    /// Connects a channel of `kind` with test credentials, usable by every employee.
    pub async fn add(&self, kind: ChannelKind, human_agent: bool) -> i64 {
        let pairs: Vec<(&str, &str)> = match kind {
            ChannelKind::Messenger => vec![("page_id", PAGE_ID)],
            ChannelKind::Instagram => vec![("account_id", IG_ID)],
            ChannelKind::Whatsapp => vec![
                ("phone_number_id", WA_PHONE_ID),
                ("business_account_id", "102290129340398"),
            ],
            ChannelKind::TwilioSms => vec![
                ("account_sid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
                ("auth_token", AUTH_TOKEN),
                ("phone_number", TWILIO_NUMBER),
            ],
            ChannelKind::Sandbox => unreachable!(),
        };
        let mut pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if kind != ChannelKind::TwilioSms {
            for (k, v) in [
                ("app_secret", APP_SECRET),
                ("access_token", "EAAtoken"),
                ("verify_token", "meatyhamhock"),
            ] {
                pairs.push((k.into(), v.into()));
            }
        }
        let credentials = Credentials::parse(kind, &pairs).unwrap();
        let key = SecretKey::from_hex(KEY).unwrap();
        let id = app::channels::store::create_connected(
            &self.app.db,
            &key,
            kind,
            &format!("Test {}", kind.label()),
            &credentials,
            human_agent,
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO channel_access (channel_id, employee_id) SELECT $1, id FROM employees",
        )
        .bind(id.0)
        .execute(&self.app.db.write)
        .await
        .unwrap();
        id.0
    }

    /// Posts a Meta webhook body signed with the app secret (or a given signature).
    pub async fn post_meta(
        &self,
        kind: ChannelKind,
        channel: i64,
        body: &str,
        signature: Option<&str>,
    ) -> (u16, String) {
        let signature = signature
            .map(str::to_owned)
            .unwrap_or_else(|| hub_signature(APP_SECRET, body.as_bytes()));
        let response = client()
            .post(
                self.app
                    .url(&format!("/webhooks/{}/{channel}", kind.as_str())),
            )
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Posts a Twilio form webhook signed for the public URL (or a given signature).
    pub async fn post_twilio(
        &self,
        channel: i64,
        body: &str,
        signature: Option<&str>,
    ) -> (u16, String) {
        let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let url = format!("https://inbox.example.com/webhooks/twilio_sms/{channel}");
        let signature = signature
            .map(str::to_owned)
            .unwrap_or_else(|| twilio_signature(AUTH_TOKEN, &url, &params));
        let response = client()
            .post(self.app.url(&format!("/webhooks/twilio_sms/{channel}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.app.count(sql).await
    }

    /// (contact external id, name, phone, direction, body, status) of every message on a channel.
    pub async fn messages_of(
        &self,
        channel: i64,
    ) -> Vec<(
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
    )> {
        sqlx::query_as(
            "SELECT ct.external_id, ct.name, ct.phone, m.direction, m.body, m.status
               FROM messages m JOIN conversations c ON c.id = m.conversation_id
               JOIN contacts ct ON ct.id = c.contact_id
              WHERE m.channel_id = $1 ORDER BY m.id",
        )
        .bind(channel)
        .fetch_all(&self.app.db.read)
        .await
        .unwrap()
    }

    /// An agent sends a reply in the conversation of `contact`; returns the HTTP status and body.
    pub async fn reply(
        &self,
        agent: &reqwest::Client,
        contact: &str,
        text: &str,
    ) -> (u16, serde_json::Value) {
        let conversation = self.app.conversation_of(contact).await.to_string();
        self.app
            .call(
                agent,
                "send_message",
                &[("conversation_id", &conversation), ("body", text)],
            )
            .await
    }

    pub async fn message_state(&self, body: &str) -> (String, Option<String>) {
        sqlx::query_as("SELECT status, error FROM messages WHERE body = $1")
            .bind(body)
            .fetch_one(&self.app.db.read)
            .await
            .unwrap()
    }

    pub async fn wait_for_status(&self, body: &str, status: &str) -> bool {
        eventually(Duration::from_secs(20), || async {
            self.message_state(body).await.0 == status
        })
        .await
    }
}

impl Channels {
    /// The documented Instagram text webhook: lead `igsid` writes "Oi" now (message
    /// `mid-{igsid}`), and the server takes it.
    pub async fn instagram_lead_writes(&self, channel: i64, igsid: &str) {
        let body = fixture("instagram_text.json")
            .replace("<IGID>", IG_ID)
            .replace("<IGSID>", igsid)
            .replace("<MESSAGE_ID>", &format!("mid-{igsid}"))
            .replace("<MESSAGE_CONTENT>", "Oi")
            .replace("1569262485349", &now_ms().to_string());
        assert_eq!(
            self.post_meta(ChannelKind::Instagram, channel, &body, None)
                .await
                .0,
            200
        );
    }
}

impl Channels {
    /// The WhatsApp and SMS fixture leads write now (their reply windows open).
    async fn whatsapp_and_sms_leads_write(&self, whatsapp: i64, twilio: i64) {
        let wa_text =
            fixture("whatsapp_text.json").replace("1749416383", &(now_ms() / 1000).to_string());
        let (status, body) = self
            .post_meta(ChannelKind::Whatsapp, whatsapp, &wa_text, None)
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = self
            .post_twilio(twilio, &form_fixture("twilio_inbound_sms.txt"), None)
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

impl Channels {
    /// Another Messenger page, with its own app secret.
    async fn add_messenger_page(&self, page_id: &str, secret: &str) -> i64 {
        let pairs: Vec<(String, String)> = [
            ("page_id", page_id),
            ("app_secret", secret),
            ("access_token", "EAAother"),
            ("verify_token", "v"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let credentials = Credentials::parse(ChannelKind::Messenger, &pairs).unwrap();
        let key = SecretKey::from_hex(KEY).unwrap();
        app::channels::store::create_connected(
            &self.app.db,
            &key,
            ChannelKind::Messenger,
            page_id,
            &credentials,
            true,
        )
        .await
        .unwrap()
        .0
    }
}

fn messenger_fixture(name: &str, psid: &str) -> String {
    fixture(name)
        .replace("<PAGE_ID>", PAGE_ID)
        .replace("<PSID>", psid)
}

fn now_ms() -> i64 {
    app::store::now_ms()
}

#[tokio::test]
async fn every_provider_fixture_makes_one_conversation_contact_and_message() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let instagram = t.add(ChannelKind::Instagram, true).await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let ig_text = fixture("instagram_text.json")
        .replace("<IGID>", IG_ID)
        .replace("<IGSID>", "igsid-1")
        .replace("<MESSAGE_ID>", "ig-mid-1")
        .replace("<MESSAGE_CONTENT>", "Is it still available?");
    for _ in 0..3 {
        for (kind, channel, body) in [
            (
                ChannelKind::Messenger,
                messenger,
                messenger_fixture("messenger_text.json", "psid-1"),
            ),
            (
                ChannelKind::Messenger,
                messenger,
                messenger_fixture("messenger_image.json", "psid-1"),
            ),
            (ChannelKind::Instagram, instagram, ig_text.clone()),
            (
                ChannelKind::Whatsapp,
                whatsapp,
                fixture("whatsapp_text.json"),
            ),
            (
                ChannelKind::Whatsapp,
                whatsapp,
                fixture("whatsapp_image.json").replace(
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                    "wamid.image-1",
                ),
            ),
        ] {
            let (status, text) = t.post_meta(kind, channel, &body, None).await;
            assert_eq!(status, 200, "{kind:?}: {text}");
        }
        let (status, text) = t
            .post_twilio(twilio, &form_fixture("twilio_inbound_sms.txt"), None)
            .await;
        assert_eq!(status, 200, "{text}");
        assert!(
            text.contains("<Response>"),
            "Twilio gets empty TwiML: {text}"
        );
    }
    let m = t.messages_of(messenger).await;
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        (m[0].0.as_str(), m[0].3.as_str(), m[0].4.as_str()),
        ("psid-1", "inbound", "hello, world!")
    );
    assert_eq!(m[1].4, "", "the image message has no text");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM attachments WHERE kind = 'image' AND source_url = '<ATTACHMENT_URL>'").await,
        1
    );
    let ig = t.messages_of(instagram).await;
    assert_eq!(ig.len(), 1);
    assert_eq!(
        (ig[0].0.as_str(), ig[0].4.as_str()),
        ("igsid-1", "Is it still available?")
    );
    let wa = t.messages_of(whatsapp).await;
    assert_eq!(wa.len(), 2, "{wa:?}");
    assert_eq!(wa[1].4, "Taj Mahal", "the caption is the text");
    // The image's media id is looked up through the Graph API and the file fetched.
    assert!(
        eventually(Duration::from_secs(10), || async {
            t.count("SELECT COUNT(*) FROM attachments WHERE provider_media_id = '1003383421387256' AND status = 'stored' AND mime = 'image/png'").await == 1
        })
        .await
    );
    assert_eq!(wa[0].0, "16505551234");
    assert_eq!(wa[0].1.as_deref(), Some("Sheena Nelson"));
    assert_eq!(wa[0].2.as_deref(), Some("+16505551234"));
    assert_eq!(wa[0].4, "Does it come in another color?");
    let sms = t.messages_of(twilio).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].0, "+14017122661");
    assert_eq!(sms[0].2.as_deref(), Some("+14017122661"));
    assert_eq!(sms[0].4, "Ahoy! Let's build something amazing.");
    // One conversation per contact: Messenger's two messages share one.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM conversations WHERE channel_id <> 1")
            .await,
        4
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM contacts WHERE channel_id <> 1")
            .await,
        4
    );
}

#[tokio::test]
async fn bad_signatures_malformed_bodies_and_unknown_events() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let before = t.count("SELECT COUNT(*) FROM messages").await;
    let body = messenger_fixture("messenger_text.json", "psid-2");
    let wrong = hub_signature("another secret", body.as_bytes());
    for signature in [wrong.as_str(), "sha256=invalid_signature_here", ""] {
        let (status, text) = t
            .post_meta(ChannelKind::Messenger, messenger, &body, Some(signature))
            .await;
        assert_eq!(status, 401, "{text}");
    }
    // A signature of one body replayed with another.
    let replayed = hub_signature(APP_SECRET, b"{\"object\":\"page\",\"entry\":[]}");
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &body, Some(&replayed))
            .await
            .0,
        401
    );
    let sms = form_fixture("twilio_inbound_sms.txt");
    assert_eq!(
        t.post_twilio(twilio, &sms, Some("L/OH5YylLD5NRKLltdqwSvS0BnU="))
            .await
            .0,
        401
    );
    // Signed but malformed: 400.
    for garbage in [
        "{not json",
        "[]",
        "{\"entry\":[]}",
        "{\"object\":\"instagram\",\"entry\":{}}",
    ] {
        let (status, text) = t
            .post_meta(ChannelKind::Messenger, messenger, garbage, None)
            .await;
        assert_eq!(status, 400, "{garbage}: {text}");
    }
    // Another object of the app on this URL is read as that object (one URL may serve
    // them all): acknowledged, nothing for this page.
    let (status, text) = t
        .post_meta(
            ChannelKind::Messenger,
            messenger,
            "{\"object\":\"instagram\",\"entry\":[]}",
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        t.post_twilio(twilio, "From=%2B1555&Body=%FF%FE", None)
            .await
            .0,
        400
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM messages").await, before);
    // Unknown event kinds: 200, nothing stored; the reaction beside it is a line of its
    // own (see inbound_kinds.rs).
    let reaction = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"psid-2"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":1,"reaction":{{"mid":"m_1","action":"react","emoji":"👍"}}}},{{"sender":{{"id":"psid-2"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":1,"something_new":{{}}}}]}}]}}"#
    );
    let (status, text) = t
        .post_meta(ChannelKind::Messenger, messenger, &reaction, None)
        .await;
    assert_eq!(status, 200, "{text}");
    // A status for a message Confab never sent is ignored without error.
    let wa = t.add(ChannelKind::Whatsapp, true).await;
    assert_eq!(
        t.post_meta(
            ChannelKind::Whatsapp,
            wa,
            &fixture("whatsapp_status_read.json"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM messages").await, before + 1);
}

#[tokio::test]
async fn meta_verification_handshake() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let get = |query: &str| {
        let url = t
            .app
            .url(&format!("/webhooks/messenger/{messenger}?{query}"));
        async move {
            let r = client().get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock").await,
        (200, "1158201444".to_owned())
    );
    assert_eq!(
        get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong")
            .await
            .0,
        403
    );
    assert_eq!(
        get("hub.mode=subscribe&hub.challenge=<script>&hub.verify_token=meatyhamhock")
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn messenger_reply_request_statuses_and_read_receipts() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let mut text = messenger_fixture("messenger_text.json", "psid-3");
    text = text.replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &text, None)
            .await
            .0,
        200
    );
    // Messenger sends no name: the profile is asked once and kept.
    assert!(
        eventually(Duration::from_secs(5), || async {
            t.count(
                "SELECT COUNT(*) FROM contacts WHERE external_id = 'psid-3' AND name = 'Jane Doe'",
            )
            .await
                == 1
        })
        .await
    );
    let agent = t.app.signed_in_agent().await;
    // Opening the conversation sends mark_seen for the lead's app.
    let conversation = t.app.conversation_of("psid-3").await.to_string();
    let (status, _) = t
        .app
        .call(&agent, "mark_conversation_read", &[("id", &conversation)])
        .await;
    assert_eq!(status, 200);
    assert!(
        eventually(Duration::from_secs(5), || async {
            t.fake
                .requests()
                .iter()
                .any(|r| r.json()["sender_action"] == "mark_seen")
        })
        .await
    );
    // The reply goes out as the documented Send API request.
    let (status, body) = t.reply(&agent, "psid-3", "We open at 9").await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("We open at 9", "sent").await);
    let sent = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("We open at 9"))
        .unwrap();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, format!("/{PAGE_ID}/messages"));
    assert_eq!(sent.query, "access_token=EAAtoken");
    assert!(sent
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/json"));
    let json = sent.json();
    assert_eq!(json["recipient"]["id"], "psid-3");
    assert_eq!(json["messaging_type"], "RESPONSE");
    assert!(json.get("tag").is_none());
    assert_eq!(json["message"]["text"], "We open at 9");
    let mid: String =
        sqlx::query_scalar("SELECT provider_id FROM messages WHERE body = 'We open at 9'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    // Delivery, then a read watermark: ✓✓ and read.
    let later = now_ms() + 1000;
    let delivery = messenger_fixture("messenger_delivery.json", "psid-3")
        .replace("mid.1458668856218:ed81099e15d3f4f233", &mid)
        .replace("1458668856253", &later.to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &delivery, None)
            .await
            .0,
        200
    );
    assert_eq!(t.message_state("We open at 9").await.0, "delivered");
    let read = messenger_fixture("messenger_read.json", "psid-3")
        .replace("1458668856253", &later.to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &read, None)
            .await
            .0,
        200
    );
    assert_eq!(t.message_state("We open at 9").await.0, "read");
    // A late delivery report does not move it back.
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &delivery, None)
            .await
            .0,
        200
    );
    assert_eq!(t.message_state("We open at 9").await.0, "read");
    // Our own message's echo is not stored twice; an echo written in Messenger is.
    let echo = |mid: &str, text: &str, metadata: Option<&str>| {
        let metadata = metadata
            .map(|m| format!(r#","metadata":"{m}""#))
            .unwrap_or_default();
        format!(
            r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"{PAGE_ID}"}},"recipient":{{"id":"psid-3"}},"timestamp":{},"message":{{"is_echo":true,"app_id":1517776481860111,"mid":"{mid}","text":"{text}"{metadata}}}}}]}}]}}"#,
            now_ms()
        )
    };
    let ours = echo(&mid, "We open at 9", Some("confab:1"));
    let theirs = echo("m_from_page", "Written in Messenger", None);
    for _ in 0..2 {
        assert_eq!(
            t.post_meta(ChannelKind::Messenger, messenger, &ours, None)
                .await
                .0,
            200
        );
        assert_eq!(
            t.post_meta(ChannelKind::Messenger, messenger, &theirs, None)
                .await
                .0,
            200
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body = 'We open at 9'")
            .await,
        1
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body = 'Written in Messenger' AND direction = 'outbound'").await,
        1
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_token_loss_locks_the_channel() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let text = messenger_fixture("messenger_text.json", "psid-4")
        .replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &text, None)
            .await
            .0,
        200
    );
    let agent = t.app.signed_in_agent().await;
    t.fake.script(
        500,
        "{\"error\":{\"message\":\"An unexpected error has occurred.\",\"code\":2}}",
    );
    t.fake.script(503, "upstream down");
    assert_eq!(t.reply(&agent, "psid-4", "Third time lucky").await.0, 200);
    assert!(
        t.wait_for_status("Third time lucky", "sent").await,
        "{:?}",
        t.message_state("Third time lucky").await
    );
    assert_eq!(
        t.fake
            .requests()
            .iter()
            .filter(|r| r.body.contains("Third time lucky"))
            .count(),
        3
    );
    // Graph error 190: the channel is sync-lost and its composers lock.
    t.fake.script(400, &fixture("graph_error_190.json"));
    assert_eq!(t.reply(&agent, "psid-4", "Token gone").await.0, 200);
    assert!(t.wait_for_status("Token gone", "failed").await);
    let status: String = sqlx::query_scalar("SELECT status FROM channels WHERE id = $1")
        .bind(messenger)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    assert_eq!(status, "sync_lost");
    let (status, body) = t.reply(&agent, "psid-4", "Still there?").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("Reconnect this channel in Settings"),
        "{body}"
    );
}

#[tokio::test]
async fn window_rules_tags_and_provider_window_errors() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let day = 24 * 3_600_000;
    let write = |psid: &str, age: i64| {
        messenger_fixture("messenger_text.json", psid)
            .replace("1458692752478", &(now_ms() - age).to_string())
            .replace(
                "mid.1457764197618:41d102a3e1ae206a38",
                &format!("mid-{psid}"),
            )
    };
    for (psid, age) in [("psid-2d", 2 * day), ("psid-8d", 8 * day), ("psid-now", 0)] {
        assert_eq!(
            t.post_meta(ChannelKind::Messenger, messenger, &write(psid, age), None)
                .await
                .0,
            200
        );
    }
    let agent = t.app.signed_in_agent().await;
    // 2 days: HUMAN_AGENT tag.
    assert_eq!(t.reply(&agent, "psid-2d", "Tagged reply").await.0, 200);
    assert!(t.wait_for_status("Tagged reply", "sent").await);
    let tagged = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("Tagged reply"))
        .unwrap()
        .json();
    assert_eq!(tagged["messaging_type"], "MESSAGE_TAG");
    assert_eq!(tagged["tag"], "HUMAN_AGENT");
    // 8 days: refused before anything is queued.
    let (status, body) = t.reply(&agent, "psid-8d", "Too late").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body = 'Too late'")
            .await,
        0
    );
    // The provider says the window closed: the message fails and the composer locks.
    t.fake
        .script(400, &fixture("graph_error_10_2018278_outside_window.json"));
    assert_eq!(
        t.reply(&agent, "psid-now", "Outside after all").await.0,
        200
    );
    assert!(t.wait_for_status("Outside after all", "failed").await);
    assert_eq!(t.reply(&agent, "psid-now", "Again").await.0, 422);
    // When the lead writes again, it unlocks.
    let again = write("psid-now", 0).replace("mid-psid-now", "mid-psid-now-2");
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &again, None)
            .await
            .0,
        200
    );
    assert_eq!(t.reply(&agent, "psid-now", "Unlocked").await.0, 200);
}

#[tokio::test]
async fn whatsapp_and_twilio_replies_and_statuses() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    t.whatsapp_and_sms_leads_write(whatsapp, twilio).await;
    let agent = t.app.signed_in_agent().await;
    assert_eq!(
        t.reply(&agent, "16505551234", "WhatsApp reply").await.0,
        200
    );
    assert_eq!(t.reply(&agent, "+14017122661", "SMS reply").await.0, 200);
    assert!(t.wait_for_status("WhatsApp reply", "sent").await);
    assert!(t.wait_for_status("SMS reply", "sent").await);
    let requests = t.fake.requests();
    let wa = requests
        .iter()
        .find(|r| r.body.contains("WhatsApp reply"))
        .unwrap();
    assert_eq!(wa.path, format!("/{WA_PHONE_ID}/messages"));
    assert_eq!(wa.authorization.as_deref(), Some("Bearer EAAtoken"));
    let json = wa.json();
    assert_eq!(json["messaging_product"], "whatsapp");
    assert_eq!(json["recipient_type"], "individual");
    assert_eq!(json["to"], "+16505551234");
    assert_eq!(json["type"], "text");
    assert_eq!(json["text"]["body"], "WhatsApp reply");
    let (wa_id, wa_created): (i64, i64) =
        sqlx::query_as("SELECT id, created_at FROM messages WHERE body = 'WhatsApp reply'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(
        json["biz_opaque_callback_data"],
        format!("confab:{wa_id}.{wa_created}")
    );
    let sms = requests
        .iter()
        .find(|r| r.body.contains("SMS+reply"))
        .unwrap();
    assert_eq!(
        sms.path,
        "/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages.json"
    );
    assert!(sms
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:{AUTH_TOKEN}"));
    assert_eq!(
        sms.authorization.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
    let form = sms.form();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("To"), Some("+14017122661"));
    assert_eq!(field("From"), Some(TWILIO_NUMBER));
    assert_eq!(field("Body"), Some("SMS reply"));
    // The callback names the reply, so that a callback confirms a send whose answer was
    // lost (replies_once.rs).
    let (sms_id, sms_created): (i64, i64) =
        sqlx::query_as("SELECT id, created_at FROM messages WHERE body = 'SMS reply'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(
        field("StatusCallback"),
        Some(
            format!("https://inbox.example.com/webhooks/twilio_sms/{twilio}?confab_id={sms_id}.{sms_created}")
                .as_str()
        )
    );
    // Statuses: WhatsApp read then a late delivered (stays read); Twilio delivered.
    let wamid: String =
        sqlx::query_scalar("SELECT provider_id FROM messages WHERE body = 'WhatsApp reply'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    let read = fixture("whatsapp_status_read.json").replace(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        &wamid,
    );
    let delivered: serde_json::Value =
        serde_json::from_str(&fixture("whatsapp_status_delivered.json")).unwrap();
    let mut delivered = delivered;
    delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid.clone().into();
    assert_eq!(
        t.post_meta(ChannelKind::Whatsapp, whatsapp, &read, None)
            .await
            .0,
        200
    );
    assert_eq!(
        t.post_meta(
            ChannelKind::Whatsapp,
            whatsapp,
            &delivered.to_string(),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(t.message_state("WhatsApp reply").await.0, "read");
    let sid: String =
        sqlx::query_scalar("SELECT provider_id FROM messages WHERE body = 'SMS reply'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    let callback = format!("AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&From=%2B15558675310&MessageSid={sid}&MessageStatus=delivered&SmsSid={sid}&SmsStatus=delivered");
    assert_eq!(t.post_twilio(twilio, &callback, None).await.0, 200);
    assert_eq!(t.message_state("SMS reply").await.0, "delivered");
    // A WhatsApp failure carries the provider's reason.
    assert_eq!(t.reply(&agent, "16505551234", "Will fail").await.0, 200);
    assert!(t.wait_for_status("Will fail", "sent").await);
    let wamid2: String =
        sqlx::query_scalar("SELECT provider_id FROM messages WHERE body = 'Will fail'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    let failed = fixture("whatsapp_status_failed_131047.json").replace(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",
        &wamid2,
    );
    assert_eq!(
        t.post_meta(ChannelKind::Whatsapp, whatsapp, &failed, None)
            .await
            .0,
        200
    );
    let (status, error) = t.message_state("Will fail").await;
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("24 hours"));
}

#[tokio::test]
async fn instagram_limits_bytes_and_reads_by_message() {
    let t = Channels::start().await;
    let instagram = t.add(ChannelKind::Instagram, true).await;
    let body = fixture("instagram_text.json")
        .replace("<IGID>", IG_ID)
        .replace("<IGSID>", "igsid-9")
        .replace("<MESSAGE_ID>", "ig-mid-9")
        .replace("<MESSAGE_CONTENT>", "Oi")
        .replace("1569262485349", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Instagram, instagram, &body, None)
            .await
            .0,
        200
    );
    let agent = t.app.signed_in_agent().await;
    let (status, reply) = t.reply(&agent, "igsid-9", &"é".repeat(600)).await;
    assert_eq!(
        status, 422,
        "1,200 bytes are too many for Instagram: {reply}"
    );
    assert_eq!(t.reply(&agent, "igsid-9", "Olá!").await.0, 200);
    assert!(t.wait_for_status("Olá!", "sent").await);
    let sent = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("Olá!"))
        .unwrap();
    assert_eq!(sent.path, format!("/{IG_ID}/messages"));
    let mid: String = sqlx::query_scalar("SELECT provider_id FROM messages WHERE body = 'Olá!'")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    let seen = fixture("instagram_read.json")
        .replace("<YOUR_APP_USERS_INSTAGRAM_USER_ID>", IG_ID)
        .replace("<INSTAGRAM_SCOPED_ID>", "igsid-9")
        .replace("<MESSAGE_ID>", &mid);
    assert_eq!(
        t.post_meta(ChannelKind::Instagram, instagram, &seen, None)
            .await
            .0,
        200
    );
    assert_eq!(t.message_state("Olá!").await.0, "read");
}

#[tokio::test]
async fn whatsapp_outside_its_window_sends_only_approved_templates() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let two_days_ago = (now_ms() - 48 * 3_600_000) / 1000;
    let old = fixture("whatsapp_text.json").replace("1749416383", &two_days_ago.to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Whatsapp, whatsapp, &old, None)
            .await
            .0,
        200
    );
    let agent = t.app.signed_in_agent().await;
    let (status, body) = t.reply(&agent, "16505551234", "Free text").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("approved template"), "{body}");
    let conversation = t.app.conversation_of("16505551234").await;
    let (status, list) = t
        .app
        .call(
            &agent,
            "whatsapp_templates",
            &[("conversation_id", &conversation.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only approved templates: {list}"
    );
    assert_eq!(list[0]["name"], "order_ready");
    let send = |params: serde_json::Value| {
        let url = t.app.url("/api/send_template");
        let agent = agent.clone();
        async move {
            let r = agent
                .post(url)
                .json(&serde_json::json!({
                    "conversation_id": conversation,
                    "choice": { "name": "order_ready", "language": "pt_BR", "params": params }
                }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        send(serde_json::json!(["Sheena"])).await.0,
        422,
        "both variables are needed"
    );
    let (status, text) = send(serde_json::json!(["Sheena", "#42"])).await;
    assert_eq!(status, 200, "{text}");
    let rendered = "Olá Sheena, seu pedido #42 está pronto.";
    assert!(t.wait_for_status(rendered, "sent").await);
    let request = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("order_ready"))
        .unwrap()
        .json();
    assert_eq!(request["type"], "template");
    assert_eq!(request["to"], "+16505551234");
    assert_eq!(request["template"]["name"], "order_ready");
    assert_eq!(request["template"]["language"]["code"], "pt_BR");
    assert_eq!(
        request["template"]["components"][0]["parameters"],
        serde_json::json!([{ "type": "text", "text": "Sheena" }, { "type": "text", "text": "#42" }])
    );
}

#[tokio::test]
async fn media_is_fetched_from_provider_hosts_only_and_served_with_access_only() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let with_file = |mid: &str, url: &str| {
        messenger_fixture("messenger_image.json", "psid-media")
            .replace("mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c", mid)
            .replace("<ATTACHMENT_URL>", url)
    };
    let photo = format!("{}/cdn/photo.png", t.fake.url);
    let page = format!("{}/cdn/page.html", t.fake.url);
    for (mid, url) in [
        ("mid-photo", photo.as_str()),
        ("mid-page", page.as_str()),
        ("mid-ssrf", "http://127.0.0.1:9/secret"),
    ] {
        assert_eq!(
            t.post_meta(
                ChannelKind::Messenger,
                messenger,
                &with_file(mid, url),
                None
            )
            .await
            .0,
            200
        );
    }
    let state = |url: String| {
        let db = t.app.db.clone();
        async move {
            sqlx::query_as::<_, (i64, String, Option<String>)>(
                "SELECT id, status, mime FROM attachments WHERE source_url = $1",
            )
            .bind(url)
            .fetch_one(&db.read)
            .await
            .unwrap()
        }
    };
    assert!(
        eventually(Duration::from_secs(15), || async {
            state(photo.clone()).await.1 == "stored"
                && state(page.clone()).await.1 == "failed"
                && state("http://127.0.0.1:9/secret".into()).await.1 == "failed"
        })
        .await
    );
    assert!(
        !t.fake.requests().iter().any(|r| r.path == "/secret"),
        "nothing outside the provider's hosts is fetched"
    );
    let (photo_id, _, mime) = state(photo.clone()).await;
    assert_eq!(mime.as_deref(), Some("image/png"));
    let agent = t.app.signed_in_agent().await;
    let response = agent
        .get(t.app.url(&format!("/media/{photo_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    assert_eq!(response.text().await.unwrap(), "file photo.png");
    // A message that is only a file reads as such in the list.
    let (status, page) = t
        .app
        .call(&agent, "list_conversations", &[("status", "open")])
        .await;
    assert_eq!(status, 200, "{page}");
    let row = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel_id"] == messenger)
        .unwrap()
        .clone();
    assert_eq!(row["preview"], "📷 Photo", "{row}");
    // Without a session, or without access to the channel: nothing.
    assert_eq!(
        client()
            .get(t.app.url(&format!("/media/{photo_id}")))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    sqlx::query("DELETE FROM channel_access WHERE employee_id = (SELECT id FROM employees WHERE email = $1)")
        .bind(app::demo::AGENT_EMAIL)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    assert_eq!(
        agent
            .get(t.app.url(&format!("/media/{photo_id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn employees_send_files_through_each_provider_from_signed_urls() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let now_text = messenger_fixture("messenger_text.json", "psid-file")
        .replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &now_text, None)
            .await
            .0,
        200
    );
    t.whatsapp_and_sms_leads_write(whatsapp, twilio).await;
    let agent = t.app.signed_in_agent().await;
    let send = |contact: &'static str,
                name: &'static str,
                caption: &'static str,
                mime: &'static str,
                bytes: Vec<u8>| {
        let agent = agent.clone();
        let app = &t.app;
        async move {
            let conversation = app.conversation_of(contact).await;
            let r = agent
                .post(app.url(&format!("/media/send/{conversation}")))
                .query(&[("name", name), ("caption", caption)])
                .header("content-type", mime)
                .body(bytes)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let png = b"\x89PNG fake image".to_vec();
    // WhatsApp: one message, the caption with the image.
    let (status, body) = send(
        "16505551234",
        "photo.png",
        "Your quote",
        "image/png",
        png.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("Your quote", "sent").await);
    let wa = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.json()["type"] == "image")
        .unwrap()
        .json();
    assert_eq!(wa["image"]["caption"], "Your quote");
    let link = wa["image"]["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with("https://inbox.example.com/media/public/"),
        "{link}"
    );
    // The provider fetches the file from the signed URL; a forged one gets nothing.
    let path = link.trim_start_matches("https://inbox.example.com");
    let fetched = client().get(t.app.url(path)).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/png");
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), png);
    // Another last digit (never the same one: that would be the real link).
    let last = if path.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    assert_eq!(
        client()
            .get(t.app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Messenger: the file, then the caption as its own message.
    let (status, body) = send(
        "psid-file",
        "plan.pdf",
        "See the plan",
        "application/pdf",
        b"%PDF-1.4".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("See the plan", "sent").await);
    let requests = t.fake.requests();
    let file = requests
        .iter()
        .find(|r| r.json()["message"]["attachment"]["type"] == "file")
        .unwrap()
        .json();
    assert!(file["message"]["attachment"]["payload"]["url"]
        .as_str()
        .unwrap()
        .contains("/media/public/"));
    assert!(file["message"].get("text").is_none());
    // Twilio: MediaUrl beside the Body.
    let (status, body) = send("+14017122661", "photo.png", "MMS", "image/png", png.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("MMS", "sent").await);
    let mms = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("Body=MMS"))
        .unwrap();
    assert!(mms
        .form()
        .iter()
        .any(|(k, v)| k == "MediaUrl" && v.contains("/media/public/")));
    // Refusals: too big for SMS, a web page, nothing at all.
    // Declared, not sent: the server refuses by the length before reading a byte (a
    // client still writing 6 MB may see the closed connection instead of the answer).
    let sms_lead = t.app.conversation_of("+14017122661").await;
    let (status, body) = crate::helpers::post_headers_only(
        &t.app
            .url(&format!("/media/send/{sms_lead}?name=big.png&caption=")),
        "image/png",
        6 * 1024 * 1024,
        &[t.app
            .session_cookie(app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD)
            .await],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("5 MB"), "{body}");
    assert_eq!(
        send(
            "+14017122661",
            "x.html",
            "",
            "text/html",
            b"<script>".to_vec()
        )
        .await
        .0,
        415
    );
    assert_eq!(
        send("+14017122661", "empty.png", "", "image/png", Vec::new())
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn a_conversation_starts_with_a_client_who_never_wrote() {
    let t = Channels::start().await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let client: i64 = sqlx::query_scalar(
        "INSERT INTO clients (name, created_at, updated_at) VALUES ('Rita Never Wrote', 1, 1) RETURNING id",
    )
    .fetch_one(&t.app.db.write)
    .await
    .unwrap();
    for phone in ["+5511987650000", "11 5555-0000"] {
        sqlx::query("INSERT INTO client_phones (client_id, phone) VALUES ($1, $2)")
            .bind(client)
            .bind(phone)
            .execute(&t.app.db.write)
            .await
            .unwrap();
    }
    let agent = t.app.signed_in_agent().await;
    let client_id = client.to_string();
    let (status, options) = t
        .app
        .call(&agent, "conversation_options", &[("client_id", &client_id)])
        .await;
    assert_eq!(status, 200, "{options}");
    let options = options.as_array().unwrap().clone();
    let find = |channel: i64, address: &str| {
        options
            .iter()
            .find(|o| o["channel_id"] == channel && o["address"] == address)
            .cloned()
            .unwrap_or_else(|| panic!("no option {channel} {address}: {options:?}"))
    };
    let sms = find(twilio, "+5511987650000");
    assert!(
        sms["unavailable"].is_null() && sms["existing"].is_null(),
        "{sms}"
    );
    assert!(find(twilio, "11 5555-0000")["unavailable"]
        .as_str()
        .unwrap()
        .contains("country code"));
    assert!(find(whatsapp, "+5511987650000")["note"]
        .as_str()
        .unwrap()
        .contains("template"));
    assert!(find(messenger, "")["unavailable"]
        .as_str()
        .unwrap()
        .contains("wrote to"));
    // Start on SMS: a conversation linked to the client; the first reply goes out.
    let twilio_id = twilio.to_string();
    let start_form = [
        ("client_id", client_id.as_str()),
        ("channel_id", twilio_id.as_str()),
        ("address", "+5511987650000"),
    ];
    let start = || t.app.call(&agent, "start_conversation", &start_form);
    let (status, id) = start().await;
    assert_eq!(status, 200, "{id}");
    let conversation = id.as_i64().unwrap();
    assert_eq!(
        start().await.1,
        id,
        "starting again opens the same conversation"
    );
    let (status, body) = t
        .app
        .call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &conversation.to_string()),
                ("body", "Hi Rita, your bike is ready"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        t.wait_for_status("Hi Rita, your bike is ready", "sent")
            .await
    );
    let sms = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("Rita"))
        .unwrap();
    assert!(sms.form().contains(&("To".into(), "+5511987650000".into())));
    let linked: i64 = sqlx::query_scalar(
        "SELECT ct.client_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1",
    )
    .bind(conversation)
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(linked, client);
    // Nobody starts a conversation where they cannot: an unknown address is refused.
    let (status, _) = t
        .app
        .call(
            &agent,
            "start_conversation",
            &[
                ("client_id", client_id.as_str()),
                ("channel_id", &twilio.to_string()),
                ("address", "+15550000000"),
            ],
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn one_meta_app_webhook_reaches_each_of_its_pages() {
    let t = Channels::start().await;
    let page_a = t.add(ChannelKind::Messenger, true).await;
    let page_b = t.add_messenger_page("222000222", APP_SECRET).await;
    let page_c = t
        .add_messenger_page("333000333", "another app's secret")
        .await;
    let message = |page: &str, mid: &str| {
        format!(
            r#"{{"id":"{page}","time":1,"messaging":[{{"sender":{{"id":"psid-{mid}"}},"recipient":{{"id":"{page}"}},"timestamp":{},"message":{{"mid":"{mid}","text":"for {page}"}}}}]}}"#,
            now_ms()
        )
    };
    let body = format!(
        r#"{{"object":"page","entry":[{},{},{}]}}"#,
        message(PAGE_ID, "m-a"),
        message("222000222", "m-b"),
        message("333000333", "m-c")
    );
    let (status, text) = t
        .post_meta(ChannelKind::Messenger, page_a, &body, None)
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(t.messages_of(page_a).await.len(), 1);
    let b = t.messages_of(page_b).await;
    assert_eq!((b.len(), b[0].4.as_str()), (1, "for 222000222"));
    assert!(
        t.messages_of(page_c).await.is_empty(),
        "another app's page is not reached"
    );
}

#[tokio::test]
async fn twilio_media_is_fetched_through_its_redirect() {
    let t = Channels::start().await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let media = format!("{}/cdn/redirect/mms.png", t.fake.url);
    let body = format!(
        "MessageSid=MM00000000000000000000000000000001&From=%2B14017122661&To=%2B15558675310&Body=&NumMedia=1&MediaUrl0={}&MediaContentType0=image%2Fpng",
        form_urlencoded::byte_serialize(media.as_bytes()).collect::<String>()
    );
    let (status, text) = t.post_twilio(twilio, &body, None).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        eventually(Duration::from_secs(10), || async {
            t.count("SELECT COUNT(*) FROM attachments WHERE status = 'stored' AND size_bytes > 0 AND mime = 'image/png'").await == 1
        })
        .await
    );
    let hops: Vec<_> = t
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/cdn/"))
        .collect();
    assert_eq!(hops.len(), 2, "the media URL, then where it redirects");
    assert!(hops[0]
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Basic ")));
}

#[tokio::test]
async fn connecting_a_channel_refuses_bad_input_and_stores_nothing() {
    let t = Channels::start().await;
    let owner = t.app.signed_in_owner().await;
    let agent = t.app.signed_in_agent().await;
    let before = t.count("SELECT COUNT(*) FROM channels").await;
    let create = |who: &reqwest::Client, body: serde_json::Value| {
        let (who, url) = (who.clone(), t.app.url("/api/create_channel"));
        async move {
            let r = who.post(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let valid = serde_json::json!({
        "kind": "twilio_sms", "name": "Shop SMS", "employee_ids": [],
        "credentials": [["account_sid", "AC1"], ["auth_token", "t"], ["phone_number", "+15558675310"]],
    });
    // Only employees with the Settings permission connect channels.
    assert_eq!(create(&agent, valid.clone()).await.0, 403);
    for (body, wanted) in [
        (
            serde_json::json!({"kind": "twilio_sms", "name": "x", "employee_ids": [], "credentials": [["account_sid", "AC1"]]}),
            "auth_token",
        ),
        (
            serde_json::json!({"kind": "twilio_sms", "name": "x", "employee_ids": [], "credentials": [["account_sid", "AC1"], ["auth_token", "t"], ["phone_number", "555-1234"]]}),
            "E.164",
        ),
        (
            serde_json::json!({"kind": "messenger", "name": "x", "employee_ids": [], "credentials": [["page_id", "1"], ["app_secret", "s"], ["access_token", "a"], ["token", "z"]]}),
            "not a setting",
        ),
        (
            serde_json::json!({"kind": "twilio_sms", "name": " ", "employee_ids": [], "credentials": []}),
            "name",
        ),
    ] {
        let (status, text) = create(&owner, body).await;
        assert_eq!(status, 422, "{text}");
        assert!(text.contains(wanted), "{wanted}: {text}");
    }
    let (status, text) = create(
        &owner,
        serde_json::json!({"kind": "telegram", "name": "x", "employee_ids": []}),
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {text}");
    assert_eq!(t.count("SELECT COUNT(*) FROM channels").await, before);
    // The valid one is stored once; the same number again is a conflict, not a second row.
    assert_eq!(create(&owner, valid.clone()).await.0, 200);
    let (status, text) = create(&owner, valid).await;
    assert!(status >= 400, "{text}");
    assert_eq!(t.count("SELECT COUNT(*) FROM channels").await, before + 1);
    // Credentials are sealed: nothing of them is stored in the clear. (Case matters:
    // SQLite's LIKE ignores it and would find "ac1" in the sealed hex now and then.)
    assert_eq!(
        t.count(if crate::helpers::on_postgres() {
            "SELECT COUNT(*) FROM channels WHERE credentials LIKE '%AC1%'"
        } else {
            "SELECT COUNT(*) FROM channels WHERE credentials GLOB '*AC1*'"
        })
        .await,
        0
    );
}

/// Issue 24: a private note in a real channel's conversation never goes to the provider,
/// while a reply written after it does.
#[tokio::test]
async fn a_note_never_reaches_the_provider() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let text = messenger_fixture("messenger_text.json", "psid-note")
        .replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &text, None)
            .await
            .0,
        200
    );
    let agent = t.app.signed_in_agent().await;
    let conversation = t.app.conversation_of("psid-note").await.to_string();
    let (status, note) = t
        .app
        .call(
            &agent,
            "add_note",
            &[
                ("conversation_id", &conversation),
                ("body", "Internal only: ZQX-417 is a bad payer"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{note}");
    let (status, body) = t.reply(&agent, "psid-note", "We open at 9").await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("We open at 9", "sent").await);
    assert!(
        t.fake.requests_with("ZQX-417").is_empty(),
        "the note reached the provider"
    );
    assert_eq!(t.fake.requests_with("We open at 9").len(), 1);
}
