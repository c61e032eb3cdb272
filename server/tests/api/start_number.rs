//! "+ Conversation" for any number (issue 22, point 4): a number that belongs to no client
//! (a missed call, most often) is written to by SMS (and WhatsApp by template); the
//! conversation is made once, linked to the client holding the number when the employee
//! sees one, and the first reply reaches the provider. Channels that only answer are not
//! offered; an employee without the channel gets nothing.

use crate::channels::Channels;
use crate::documents_access::employee_with;
use app::channels::ChannelKind;
use app::employees::Permission;
use serde_json::Value;

const NUMBER: &str = "+14155550123";

async fn options(t: &Channels, session: &reqwest::Client, phone: &str) -> (u16, Value) {
    t.app
        .call(session, "number_conversation_options", &[("phone", phone)])
        .await
}

#[tokio::test]
async fn a_number_of_nobodys_is_written_to_by_sms_once() {
    let t = Channels::start().await;
    let sms = t.add(ChannelKind::TwilioSms, true).await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let agent = t.app.signed_in_agent().await;

    let (status, list) = options(&t, &agent, NUMBER).await;
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert!(
        list.iter()
            .any(|o| o["channel_id"] == sms && o["unavailable"].is_null()),
        "{list:?}"
    );
    assert!(
        list.iter().all(|o| o["channel_id"] != messenger),
        "answer-only channels are not offered: {list:?}"
    );

    let start = |channel: i64| {
        let agent = agent.clone();
        let app = &t.app;
        async move {
            app.call(
                &agent,
                "start_number_conversation",
                &[("phone", NUMBER), ("channel_id", &channel.to_string())],
            )
            .await
        }
    };
    let (status, first) = start(sms).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = start(sms).await;
    assert_eq!(
        (status, again.clone()),
        (200, first.clone()),
        "one conversation per number"
    );
    assert_eq!(start(messenger).await.0, 422);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM contacts WHERE channel_id = {sms} AND external_id = '{NUMBER}' AND client_id IS NULL"
        ))
        .await,
        1
    );
    // The first reply goes to the number.
    let conversation = first.as_i64().unwrap().to_string();
    let (status, body) = t
        .app
        .call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &conversation),
                ("body", "Sorry we missed your call"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("Sorry we missed your call", "sent").await);
    let sent = t.fake.requests_with("Body=Sorry+we+missed+your+call");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].body.contains("To=%2B14155550123"),
        "{}",
        sent[0].body
    );

    // A bad number says why; an employee without the channel is offered nothing.
    let (status, body) = options(&t, &agent, "call me").await;
    assert_eq!(
        (status, body["Validation"]["field"].as_str()),
        (422, Some("phone")),
        "{body}"
    );
    let outsider = employee_with(
        &t.app,
        "outsider@shop.com",
        &[Permission::Conversations],
        &[],
    )
    .await;
    let (status, list) = options(&t, &outsider, NUMBER).await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (200, Some(0)),
        "{list}"
    );
    let (status, _) = t
        .app
        .call(
            &outsider,
            "start_number_conversation",
            &[("phone", NUMBER), ("channel_id", &sms.to_string())],
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_number_of_a_client_is_linked_to_them() {
    let t = Channels::start().await;
    let sms = t.add(ChannelKind::TwilioSms, true).await;
    let agent = t.app.signed_in_agent().await;
    // Maria (a demo client, shared) holds +5511987654321.
    let maria: i64 = t
        .count("SELECT client_id FROM client_phones WHERE phone = '+5511987654321'")
        .await;
    let (status, id) = t
        .app
        .call(
            &agent,
            "start_number_conversation",
            &[
                ("phone", "+55 11 98765-4321"),
                ("channel_id", &sms.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{id}");
    assert_eq!(
        t.count(&format!(
            "SELECT ct.client_id FROM contacts ct JOIN conversations c ON c.contact_id = ct.id WHERE c.id = {id}"
        ))
        .await,
        maria
    );

    // Without the Documents permission, a shared client is not theirs to see: starting a
    // conversation with the client's number on WhatsApp must not link (and so reveal) them.
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let no_documents = employee_with(
        &t.app,
        "no-documents@shop.com",
        &[Permission::Conversations],
        &[app::ids::ChannelId(whatsapp)],
    )
    .await;
    let (status, id) = t
        .app
        .call(
            &no_documents,
            "start_number_conversation",
            &[
                ("phone", "+55 11 98765-4321"),
                ("channel_id", &whatsapp.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{id}");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM contacts ct JOIN conversations c ON c.contact_id = ct.id WHERE c.id = {id} AND ct.client_id IS NULL"
        ))
        .await,
        1,
        "not linked to the shared client"
    );
}

/// WhatsApp writes first to a number only with an approved template: the option says so,
/// free text is refused, and the template reaches the number's WhatsApp id.
#[tokio::test]
async fn a_number_of_nobodys_is_written_to_on_whatsapp_by_template() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    let agent = t.app.signed_in_agent().await;
    let (status, list) = options(&t, &agent, NUMBER).await;
    assert_eq!(status, 200, "{list}");
    let option = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["channel_id"] == whatsapp)
        .cloned()
        .unwrap_or_else(|| panic!("WhatsApp is offered: {list}"));
    assert!(option["note"].is_string(), "a template first: {option}");
    let (status, id) = t
        .app
        .call(
            &agent,
            "start_number_conversation",
            &[("phone", NUMBER), ("channel_id", &whatsapp.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{id}");
    let conversation = id.as_i64().unwrap();
    let (status, body) = t
        .app
        .call(
            &agent,
            "send_message",
            &[
                ("conversation_id", &conversation.to_string()),
                ("body", "Free text"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("approved template"), "{body}");
    let request = t.send_template(&agent, conversation, "Sheena").await;
    assert_eq!(request["type"], "template");
    assert_eq!(request["to"], NUMBER);
}
