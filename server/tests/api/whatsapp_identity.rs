//! Issue 21, point 4: one WhatsApp lead is one thread. WhatsApp may know a number in
//! another form than the one dialled (Brazil's ninth digit, Mexico's `521`): the send
//! answer's `contacts[].wa_id` becomes the contact's WhatsApp id, the dialled number stays
//! its phone, and the lead's answer from that wa_id lands in the conversation Confab
//! started. A lead known only by its business-scoped user id (a username, no number) is
//! a contact keyed by it and is answered through `recipient`; a malformed number is never
//! sent to.

use crate::channels::{fixture, Channels};
use app::channels::ChannelKind;

fn now_ms() -> i64 {
    app::store::now_ms()
}

/// WhatsApp's documented text webhook from `from`, written now (its window open).
fn text_from(from: &str, wamid: &str, body: &str) -> String {
    fixture("whatsapp_text.json")
        .replace("16505551234", from)
        .replace(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            wamid,
        )
        .replace("Does it come in another color?", body)
        .replace("1749416383", &(now_ms() / 1000).to_string())
}

impl Channels {
    /// A client with `phone` whom an agent starts a WhatsApp conversation with; returns
    /// (agent, client id, conversation id).
    async fn start_whatsapp(&self, channel: i64, phone: &str) -> (reqwest::Client, i64, i64) {
        let client: i64 = sqlx::query_scalar(
            "INSERT INTO clients (name, created_at, updated_at) VALUES ('Rita Dialled', 1, 1) RETURNING id",
        )
        .fetch_one(&self.app.db.write)
        .await
        .unwrap();
        sqlx::query("INSERT INTO client_phones (client_id, phone) VALUES ($1, $2)")
            .bind(client)
            .bind(phone)
            .execute(&self.app.db.write)
            .await
            .unwrap();
        let agent = self.app.signed_in_agent().await;
        let (status, id) = self
            .app
            .call(
                &agent,
                "start_conversation",
                &[
                    ("client_id", &client.to_string()),
                    ("channel_id", &channel.to_string()),
                    ("address", phone),
                ],
            )
            .await;
        assert_eq!(status, 200, "{id}");
        (agent, client, id.as_i64().unwrap())
    }

    /// The agent sends the approved template in `conversation`; waits until it is sent;
    /// returns the request WhatsApp got.
    pub(crate) async fn send_template(
        &self,
        agent: &reqwest::Client,
        conversation: i64,
        name: &str,
    ) -> serde_json::Value {
        let response = agent
            .post(self.app.url("/api/send_template"))
            .json(&serde_json::json!({
                "conversation_id": conversation,
                "choice": { "name": "order_ready", "language": "pt_BR", "params": [name, "#7"] }
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let rendered = format!("Olá {name}, seu pedido #7 está pronto.");
        assert!(self.wait_for_status(&rendered, "sent").await);
        self.fake
            .requests()
            .into_iter()
            .find(|r| r.body.contains("order_ready"))
            .unwrap()
            .json()
    }

    /// (external id, phone) of every contact on `channel`.
    async fn contacts_of(&self, channel: i64) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT external_id, phone FROM contacts WHERE channel_id = $1 ORDER BY id")
            .bind(channel)
            .fetch_all(&self.app.db.read)
            .await
            .unwrap()
    }

    async fn conversations_on(&self, channel: i64) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE channel_id = {channel}"
        ))
        .await
    }

    /// The lead at `from` answers; its message's conversation.
    async fn lead_answers(&self, channel: i64, from: &str, wamid: &str, body: &str) -> i64 {
        let (status, text) = self
            .post_meta(
                ChannelKind::Whatsapp,
                channel,
                &text_from(from, wamid, body),
                None,
            )
            .await;
        assert_eq!(status, 200, "{text}");
        sqlx::query_scalar("SELECT conversation_id FROM messages WHERE body = $1")
            .bind(body)
            .fetch_one(&self.app.db.read)
            .await
            .unwrap()
    }
}

/// The employee dials `dialled`; WhatsApp answers `wa_id`; the lead writes from `wa_id`.
async fn one_number_one_thread(dialled: &str, wa_id: &str) {
    let t = Channels::start().await;
    let channel = t.add(ChannelKind::Whatsapp, true).await;
    let (agent, client, conversation) = t.start_whatsapp(channel, dialled).await;
    let sent = t.send_template(&agent, conversation, "Rita").await;
    assert_eq!(sent["to"], dialled, "sent to the number dialled");
    // The contact is known by WhatsApp's wa_id now; its phone is the number dialled.
    assert_eq!(
        t.contacts_of(channel).await,
        [(wa_id.to_owned(), Some(dialled.to_owned()))]
    );
    let answered = t
        .lead_answers(channel, wa_id, "wamid.answer1", "Yes, I'll pick it up")
        .await;
    assert_eq!(
        answered, conversation,
        "the answer lands in the same thread"
    );
    assert_eq!(t.conversations_on(channel).await, 1);
    assert_eq!(
        t.contacts_of(channel).await,
        [(wa_id.to_owned(), Some(dialled.to_owned()))],
        "one contact, which keeps the number dialled"
    );
    // Starting again with the number dialled opens that same conversation.
    let (status, options) = t
        .app
        .call(
            &agent,
            "conversation_options",
            &[("client_id", &client.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{options}");
    let option = options
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["channel_id"] == channel && o["address"] == dialled)
        .cloned()
        .unwrap();
    assert_eq!(option["existing"], conversation, "{option}");
    let (status, again) = t
        .app
        .call(
            &agent,
            "start_conversation",
            &[
                ("client_id", &client.to_string()),
                ("channel_id", &channel.to_string()),
                ("address", dialled),
            ],
        )
        .await;
    assert_eq!((status, again.as_i64()), (200, Some(conversation)));
    assert_eq!(t.conversations_on(channel).await, 1);
    // The next reply goes to WhatsApp's wa_id.
    let (status, body) = t.reply(&agent, wa_id, "See you at 5").await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("See you at 5", "sent").await);
    let reply = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.body.contains("See you at 5"))
        .unwrap()
        .json();
    assert_eq!(reply["to"], format!("+{wa_id}"));
}

#[tokio::test]
async fn a_brazilian_number_answering_without_its_ninth_digit_is_one_thread() {
    one_number_one_thread("+5511987650000", "551187650000").await;
}

#[tokio::test]
async fn a_mexican_number_answering_without_its_1_is_one_thread() {
    one_number_one_thread("+5215512345678", "525512345678").await;
}

#[tokio::test]
async fn a_lead_writing_from_the_other_form_before_any_send_lands_in_the_started_thread() {
    let t = Channels::start().await;
    let channel = t.add(ChannelKind::Whatsapp, true).await;
    // No send yet (or its answer was lost): WhatsApp's wa_id is not known to Confab.
    let (_, _, conversation) = t.start_whatsapp(channel, "+5521987651111").await;
    let answered = t
        .lead_answers(
            channel,
            "552187651111",
            "wamid.early1",
            "Hi, is this the shop?",
        )
        .await;
    assert_eq!(answered, conversation);
    assert_eq!(
        t.contacts_of(channel).await,
        [("552187651111".to_owned(), Some("+5521987651111".to_owned()))]
    );
    assert_eq!(t.conversations_on(channel).await, 1);
    // A landline has no ninth digit: another number, another thread.
    let landline = t
        .lead_answers(channel, "552133334444", "wamid.land1", "Landline here")
        .await;
    assert_ne!(landline, conversation);
}

#[tokio::test]
async fn a_lead_known_only_by_its_business_scoped_id_is_answered_through_recipient() {
    let t = Channels::start().await;
    let channel = t.add(ChannelKind::Whatsapp, true).await;
    let bsuid = "US.13491208655302741918";
    let body = fixture("whatsapp_text_bsuid_only.json")
        .replace("1749416383", &(now_ms() / 1000).to_string());
    let (status, text) = t
        .post_meta(ChannelKind::Whatsapp, channel, &body, None)
        .await;
    assert_eq!(status, 200, "{text}");
    let messages = t.messages_of(channel).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (id, name, phone, direction, text, _) = &messages[0];
    assert_eq!(
        (
            id.as_str(),
            name.as_deref(),
            phone.as_deref(),
            direction.as_str(),
            text.as_str()
        ),
        (
            bsuid,
            Some("Sheena Nelson"),
            None,
            "inbound",
            "Does it come in another color?"
        )
    );
    let username: Option<String> =
        sqlx::query_scalar("SELECT username FROM contacts WHERE external_id = $1")
            .bind(bsuid)
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(username.as_deref(), Some("@sheena.nelson"));
    // The reply goes to the BSUID as `recipient`, never as a `+` number.
    let agent = t.app.signed_in_agent().await;
    let (status, answer) = t.reply(&agent, bsuid, "Yes, in blue").await;
    assert_eq!(status, 200, "{answer}");
    assert!(t.wait_for_status("Yes, in blue", "sent").await);
    let sent = t.fake.requests_with("Yes, in blue");
    assert_eq!(sent.len(), 1);
    let sent = sent[0].json();
    assert_eq!(sent["recipient"], bsuid);
    assert!(sent.get("to").is_none(), "{sent}");
    // The contact keeps its BSUID: the answer's `user_id` is no wa_id.
    assert_eq!(t.contacts_of(channel).await, [(bsuid.to_owned(), None)]);
}

#[tokio::test]
async fn a_malformed_number_is_never_sent_to() {
    let t = Channels::start().await;
    let channel = t.add(ChannelKind::Whatsapp, true).await;
    t.lead_answers(channel, "1650555", "wamid.short1", "short number")
        .await;
    let agent = t.app.signed_in_agent().await;
    let (status, answer) = t.reply(&agent, "1650555", "Who is this?").await;
    assert_eq!(status, 200, "{answer}");
    assert!(t.wait_for_status("Who is this?", "failed").await);
    let (_, reason) = t.message_state("Who is this?").await;
    assert!(
        reason
            .as_deref()
            .unwrap_or_default()
            .contains("phone number"),
        "{reason:?}"
    );
    assert!(t.fake.requests_with("Who is this?").is_empty());
}
