//! Issue 21: no real inbound event is dropped silently. Postbacks, referrals, reactions,
//! unsent and unsupported messages (Messenger / Instagram) and WhatsApp's unsupported,
//! order, system, request_welcome, reaction and Flow replies each reach the thread as a
//! line of their own, posted as signed webhooks through the real routes; echoes of the
//! business's other apps show without answering the lead; unknown events are
//! acknowledged.

use crate::channels::{fixture, Channels, PAGE_ID};
use app::channels::ChannelKind;
use serde_json::Value;

const IG_ID: &str = "17841400000000001";
const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    app::store::now_ms()
}

fn messenger(name: &str, psid: &str) -> String {
    fixture(name)
        .replace("<PAGE_ID>", PAGE_ID)
        .replace("<PSID>", psid)
}

/// A WhatsApp fixture with its own message id, written `at` (UTC ms).
fn whatsapp(name: &str, wamid: &str, at: i64) -> String {
    fixture(name)
        .replace(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
            wamid,
        )
        .replace("\"1739321024\"", &format!("\"{}\"", at / 1000))
}

impl Channels {
    async fn post_ok(&self, kind: ChannelKind, channel: i64, body: &str) -> Value {
        let (status, answer) = self.post_meta(kind, channel, body, None).await;
        assert_eq!(status, 200, "{answer}");
        serde_json::from_str(&answer).unwrap()
    }

    /// The thread of `contact`'s conversation as the agent's browser receives it.
    async fn thread(&self, agent: &reqwest::Client, contact: &str) -> Value {
        let id = self.app.conversation_of(contact).await.to_string();
        let (status, detail) = self
            .app
            .call(agent, "get_conversation", &[("id", &id)])
            .await;
        assert_eq!(status, 200, "{detail}");
        detail
    }

    /// (unread count, awaiting reply, last inbound at) of `contact`'s conversation.
    async fn unread_state(&self, contact: &str) -> (i64, i64, Option<i64>) {
        sqlx::query_as(
            "SELECT c.unread_count, c.awaiting_reply, c.last_inbound_at FROM conversations c
               JOIN contacts ct ON ct.id = c.contact_id WHERE ct.external_id = $1",
        )
        .bind(contact)
        .fetch_one(&self.app.db.read)
        .await
        .unwrap()
    }
}

/// The thread's lines as (direction, kind, body, detail).
fn lines(detail: &Value) -> Vec<(String, String, String, Option<String>)> {
    detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap().to_owned(),
                m["kind"].as_str().unwrap().to_owned(),
                m["body"].as_str().unwrap().to_owned(),
                m["detail"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn window_is_open(detail: &Value) -> bool {
    detail["reply_window"].get("Open").is_some()
}

fn line(
    direction: &str,
    kind: &str,
    body: &str,
    detail: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        direction.into(),
        kind.into(),
        body.into(),
        detail.map(str::to_owned),
    )
}

#[tokio::test]
async fn messenger_postbacks_referrals_and_reactions_are_lines_that_open_the_window() {
    let t = Channels::start().await;
    let page = t.add(ChannelKind::Messenger, false).await;
    let agent = t.app.signed_in_agent().await;
    let psid = "psid-kinds";
    // The lead wrote two days ago: the window is closed.
    let old = now_ms() - 2 * DAY_MS;
    let text = messenger("messenger_text.json", psid).replace("1458692752478", &old.to_string());
    t.post_ok(ChannelKind::Messenger, page, &text).await;
    sqlx::query("UPDATE conversations SET unread_count = 0, awaiting_reply = 0")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    sqlx::query("DELETE FROM unread_marks")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    assert!(!window_is_open(&t.thread(&agent, psid).await));

    // Tapping Get Started from an m.me link: a line, the lead's turn, the window open.
    let postback = messenger("messenger_postback.json", psid)
        .replace("1527459824", &(now_ms() - 3000).to_string());
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &postback).await["events"],
        1
    );
    let detail = t.thread(&agent, psid).await;
    assert!(window_is_open(&detail), "{detail}");
    assert_eq!(
        lines(&detail)[1],
        line(
            "inbound",
            "postback",
            "Get Started\nSHORTLINK · ref spring-sale",
            None
        )
    );
    assert_eq!(t.unread_state(psid).await.0, 1);
    assert_eq!(t.unread_state(psid).await.1, 1);

    // Back from an ad: a line saying where from.
    let referral = messenger("messenger_referral.json", psid)
        .replace("1458692752478", &(now_ms() - 2000).to_string());
    t.post_ok(ChannelKind::Messenger, page, &referral).await;
    // A retried webhook changes nothing.
    t.post_ok(ChannelKind::Messenger, page, &referral).await;
    let detail = t.thread(&agent, psid).await;
    assert_eq!(
        lines(&detail)[2],
        line(
            "inbound",
            "referral",
            "ADS · <TITLE_FOR_THE_AD> · ref <REF_DATA_IF_SPECIFIED_IN_THE_AD>",
            None
        )
    );
    assert_eq!(lines(&detail).len(), 3);

    // A reaction to the lead's first message: one line quoting it, changed in place.
    let reacted_at = now_ms() - 1000;
    let reaction = messenger("messenger_reaction.json", psid)
        .replace(
            "<MID_OF_ReactedTo_Message>",
            "mid.1457764197618:41d102a3e1ae206a38",
        )
        .replace("1458668856463", &reacted_at.to_string());
    t.post_ok(ChannelKind::Messenger, page, &reaction).await;
    t.post_ok(ChannelKind::Messenger, page, &reaction).await;
    let detail = t.thread(&agent, psid).await;
    assert_eq!(
        lines(&detail)[3],
        line(
            "inbound",
            "reaction",
            "\u{2764}\u{fe0f}",
            Some("hello, world!")
        )
    );
    assert_eq!(t.unread_state(psid).await.0, 3);
    assert_eq!(t.unread_state(psid).await.2, Some(reacted_at));
    let unreact = reaction
        .replace("\"react\"", "\"unreact\"")
        .replace("\"emoji\": \"\\u2764\\ufe0f\",", "");
    assert!(!unreact.contains("emoji"), "{unreact}");
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &unreact).await["events"],
        1
    );
    let detail = t.thread(&agent, psid).await;
    assert_eq!(lines(&detail).len(), 4, "taken back in place");
    assert_eq!(
        lines(&detail)[3],
        line("inbound", "reaction", "", Some("hello, world!"))
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM events WHERE kind = 'message_updated'")
            .await,
        1
    );
}

#[tokio::test]
async fn instagram_unsent_and_unsupported_messages_are_shown_as_such() {
    let t = Channels::start().await;
    let account = t.add(ChannelKind::Instagram, false).await;
    let agent = t.app.signed_in_agent().await;
    let ig = |name: &str, mid: &str| {
        fixture(name)
            .replace("<IGID>", IG_ID)
            .replace("<IGSID>", "igsid-kinds")
            .replace("<MESSAGE_ID>", mid)
            .replace("<MESSAGE_CONTENT>", "My address is 5 Main St")
            .replace("1569262485349", &now_ms().to_string())
    };
    t.post_ok(
        ChannelKind::Instagram,
        account,
        &ig("instagram_text.json", "ig-1"),
    )
    .await;
    // The lead unsends it: text gone, a line says it was removed; a retry changes nothing.
    let unsent = ig("instagram_message_deleted.json", "ig-1");
    assert_eq!(
        t.post_ok(ChannelKind::Instagram, account, &unsent).await["events"],
        1
    );
    assert_eq!(
        t.post_ok(ChannelKind::Instagram, account, &unsent).await["events"],
        0
    );
    // Something Instagram does not pass on.
    t.post_ok(
        ChannelKind::Instagram,
        account,
        &ig("instagram_message_unsupported.json", "ig-2"),
    )
    .await;
    // An unsend of a message Confab never received still leaves its line.
    t.post_ok(
        ChannelKind::Instagram,
        account,
        &ig("instagram_message_deleted.json", "ig-3"),
    )
    .await;
    let detail = t.thread(&agent, "igsid-kinds").await;
    assert_eq!(
        lines(&detail),
        vec![
            line("inbound", "removed", "", None),
            line("inbound", "unsupported", "", None),
            line("inbound", "removed", "", None),
        ]
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body LIKE '%Main St%'")
            .await,
        0
    );
    // The unsupported message is the lead's turn; unsends are not.
    assert_eq!(t.unread_state("igsid-kinds").await.0, 2);
}

#[tokio::test]
async fn whatsapp_lines_open_the_window_as_whatsapp_counts_it() {
    let t = Channels::start().await;
    let number = t.add(ChannelKind::Whatsapp, false).await;
    let agent = t.app.signed_in_agent().await;
    let lead = "16505551234";
    // The first message from a click-to-WhatsApp ad arrives unsupported.
    let start = now_ms() - 60_000;
    t.post_ok(
        ChannelKind::Whatsapp,
        number,
        &whatsapp("whatsapp_unsupported.json", "wamid.u1", start),
    )
    .await;
    let detail = t.thread(&agent, lead).await;
    assert!(window_is_open(&detail), "{detail}");
    assert_eq!(detail["summary"]["contact_name"], "Sheena Nelson");
    assert_eq!(
        lines(&detail)[0],
        line(
            "inbound",
            "unsupported",
            "This message is currently unavailable.: Message type is currently not supported. [131060]",
            None
        )
    );
    for (name, wamid, at) in [
        ("whatsapp_order.json", "wamid.o1", start + 1000),
        ("whatsapp_request_welcome.json", "wamid.w1", start + 2000),
        ("whatsapp_nfm_reply.json", "wamid.f1", start + 3000),
    ] {
        t.post_ok(ChannelKind::Whatsapp, number, &whatsapp(name, wamid, at))
            .await;
        assert_eq!(
            t.unread_state(lead).await.2,
            Some(at / 1000 * 1000),
            "{name}"
        );
    }
    // A reaction to the unsupported message, then taken back.
    let reaction = whatsapp("whatsapp_reaction.json", "wamid.r1", start + 4000).replace(
        "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
        "wamid.o1",
    );
    t.post_ok(ChannelKind::Whatsapp, number, &reaction).await;
    let removed = whatsapp("whatsapp_reaction.json", "wamid.r2", start + 5000)
        .replace(
            "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
            "wamid.o1",
        )
        .replace(",\n                  \"emoji\": \"\\ud83d\\udc4d\"", "");
    assert!(!removed.contains("emoji"));
    let detail = t.thread(&agent, lead).await;
    assert_eq!(
        lines(&detail)[1..],
        [
            line(
                "inbound",
                "order",
                "Love these!\n2 × di9ozbzfi4 — 7.99 USD",
                None
            ),
            line("inbound", "welcome_request", "", None),
            line(
                "inbound",
                "form_reply",
                "optional_param1: <value1>\noptional_param2: <value2>",
                None
            ),
            line("inbound", "reaction", "👍", Some("Love these!…")),
        ]
    );
    assert_eq!(
        t.unread_state(lead).await.2,
        Some((start + 4000) / 1000 * 1000)
    );
    t.post_ok(ChannelKind::Whatsapp, number, &removed).await;
    let detail = t.thread(&agent, lead).await;
    assert_eq!(lines(&detail)[4].2, "", "the reaction line, emptied");
    assert_eq!(lines(&detail).len(), 5);
    let (unread, awaiting, last_inbound_at) = t.unread_state(lead).await;
    assert_eq!((unread, awaiting), (5, 1));
    assert_eq!(last_inbound_at, Some((start + 5000) / 1000 * 1000));

    // The lead changes number: the same conversation follows the new wa_id; the notice is
    // no message of the lead's and leaves the window as it was.
    let conversation = t.app.conversation_of(lead).await;
    t.post_ok(
        ChannelKind::Whatsapp,
        number,
        &whatsapp(
            "whatsapp_system_user_changed_number.json",
            "wamid.s1",
            start + 50_000,
        ),
    )
    .await;
    assert_eq!(t.app.conversation_of("12195555358").await, conversation);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM contacts WHERE external_id = '16505551234'")
            .await,
        0
    );
    let detail = t.thread(&agent, "12195555358").await;
    assert_eq!(detail["contact_phone"], "+12195555358");
    assert_eq!(
        lines(&detail)[5],
        line(
            "inbound",
            "system",
            "User Sheena Nelson changed from 16505551234 to 12195555358",
            None
        )
    );
    assert_eq!(t.unread_state("12195555358").await, (5, 1, last_inbound_at));
    // What the lead writes from the new number lands in the same conversation.
    let text = fixture("whatsapp_text.json")
        .replace("16505551234", "12195555358")
        .replace("1749416383", &(now_ms() / 1000).to_string());
    t.post_ok(ChannelKind::Whatsapp, number, &text).await;
    assert_eq!(t.app.conversation_of("12195555358").await, conversation);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE channel_id = {number}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn an_echo_from_another_app_leaves_the_lead_unread_and_awaiting() {
    let t = Channels::start().await;
    let page = t.add(ChannelKind::Messenger, false).await;
    let agent = t.app.signed_in_agent().await;
    let psid = "psid-echo";
    let text =
        messenger("messenger_text.json", psid).replace("1458692752478", &now_ms().to_string());
    t.post_ok(ChannelKind::Messenger, page, &text).await;
    assert_eq!(t.unread_state(psid).await.0, 1);
    // The Page Inbox's away message: shown as the business's, but nobody answered.
    let echo = messenger("messenger_echo_other_app.json", psid)
        .replace("mid.1457764197618:41d102a3e1ae206a38", "m_away_1")
        .replace("1457764197627", &now_ms().to_string());
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &echo).await["events"],
        1
    );
    let detail = t.thread(&agent, psid).await;
    assert_eq!(
        lines(&detail)[1],
        line(
            "outbound",
            "text",
            "Thanks for your message! We usually reply within an hour.",
            None
        )
    );
    let (unread, awaiting, _) = t.unread_state(psid).await;
    assert_eq!((unread, awaiting), (1, 1));
    // Confab's own echo (its metadata) is recognised and not stored again.
    let ours = echo
        .replace("m_away_1", "m_ours_1")
        .replace("<DEVELOPER_DEFINED_METADATA_STRING>", "confab:1");
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &ours).await["events"],
        0
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE provider_id = 'm_ours_1'")
            .await,
        0
    );
}

#[tokio::test]
async fn unknown_events_are_acknowledged_and_unknown_message_types_kept() {
    let t = Channels::start().await;
    let page = t.add(ChannelKind::Messenger, false).await;
    let number = t.add(ChannelKind::Whatsapp, false).await;
    let unknown = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"psid-x"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":1,"brand_new_event":{{"x":1}}}}]}}]}}"#
    );
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &unknown).await["events"],
        0
    );
    let field = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"brand_new_field","value":{}}]}]}"#;
    assert_eq!(
        t.post_ok(ChannelKind::Whatsapp, number, field).await["events"],
        0
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE channel_id IN ({page}, {number})"
        ))
        .await,
        0
    );
    // A message the lead writes while another app owns the thread (handover protocol)
    // comes on `standby`: the lead's all the same, shown and counted.
    let standby = messenger("messenger_standby.json", "psid-standby")
        .replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_ok(ChannelKind::Messenger, page, &standby).await["events"],
        1
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'
               AND body = 'hello while another app has the thread'"
        )
        .await,
        1
    );
    assert_eq!(t.unread_state("psid-standby").await.0, 1);
    // A message type WhatsApp adds later is the lead's all the same: kept as unsupported.
    let poll = whatsapp("whatsapp_request_welcome.json", "wamid.p1", now_ms())
        .replace("\"request_welcome\"", "\"poll_update\"");
    assert_eq!(
        t.post_ok(ChannelKind::Whatsapp, number, &poll).await["events"],
        1
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM messages WHERE kind = 'unsupported' AND body = 'poll_update'"
        )
        .await,
        1
    );
}
