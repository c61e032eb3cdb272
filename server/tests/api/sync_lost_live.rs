//! Lost sync is seen by everyone at once (issue 21, point 10): the channel marked
//! `sync_lost` publishes a `channel_updated` event to the employees who have the channel
//! (and to no one else), so every open composer locks without a reload; the lock says whom
//! to ask; reconnecting with only the new token keeps the other secrets and publishes the
//! event that unlocks them.

use crate::channels::{fixture, Channels, APP_SECRET, KEY, PAGE_ID};
use crate::events::SseReader;
use crate::helpers::call_json;
use app::channels::ChannelKind;
use serde_json::{json, Value};
use std::time::Duration;

fn lead_writes(psid: &str, mid: &str) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1,"messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":{},"message":{{"mid":"{mid}","text":"Hello?"}}}}]}}]}}"#,
        app::store::now_ms()
    )
}

/// The events on the stream up to (and with) the first whose kind is `until`.
async fn events_until(stream: &mut SseReader, until: &str) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    while let Some(event) = stream.next(Duration::from_secs(15)).await {
        let data: Value = serde_json::from_str(&event.data).unwrap_or_default();
        let done = event.kind == until;
        seen.push((event.kind, data));
        if done {
            return seen;
        }
    }
    panic!("no {until} event; saw {seen:?}");
}

#[tokio::test]
async fn losing_sync_locks_every_composer_on_the_channel_live_and_reconnecting_unlocks_them() {
    let t = Channels::start().await;
    let channel = t.add(ChannelKind::Messenger, true).await;
    let (status, text) = t
        .post_meta(
            ChannelKind::Messenger,
            channel,
            &lead_writes("psid-lost", "mid-1"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let agent = t.app.signed_in_agent().await;
    let owner = t.app.signed_in_owner().await;
    // The owner does not have this channel: they hear nothing of it.
    sqlx::query(
        "DELETE FROM channel_access WHERE channel_id = $1
            AND employee_id = (SELECT id FROM employees WHERE email = $2)",
    )
    .bind(channel)
    .bind(app::demo::OWNER_EMAIL)
    .execute(&t.app.db.write)
    .await
    .unwrap();
    let mut agent_stream = SseReader::open(&t.app, &agent, None).await;
    let mut owner_stream = SseReader::open(&t.app, &owner, None).await;

    // Graph error 190 on a reply: the channel loses sync.
    t.fake.script(400, &fixture("graph_error_190.json"));
    assert_eq!(t.reply(&agent, "psid-lost", "Are you there?").await.0, 200);
    let seen = events_until(&mut agent_stream, "channel_updated").await;
    let (_, lost) = seen.last().unwrap();
    assert_eq!(lost["channel_id"], channel, "{lost}");
    assert_eq!(lost["payload"]["status"], "sync_lost", "{lost}");
    assert!(
        lost["payload"]["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("reconnect")),
        "{lost}"
    );
    // The owner's stream is alive (a sandbox lead's message reaches it) but carried no
    // event of a channel they do not have.
    let lead = t.app.lead_writes("lead-beside", "msg-beside", "Hi").await;
    assert_eq!(lead.status(), 200);
    let seen = events_until(&mut owner_stream, "message_created").await;
    assert!(
        seen.iter().all(|(kind, _)| kind != "channel_updated"),
        "{seen:?}"
    );

    // The lock says whom to ask: no one yet (the owner lacks the channel), and the owner
    // cannot read the channel's state.
    let (status, help) = call_json(
        &t.app,
        &agent,
        "channel_help_for",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(status, 200, "{help}");
    assert_eq!(help["state"]["status"], "sync_lost");
    assert_eq!(help["can_fix"], false);
    assert_eq!(help["fixers"], json!([]));
    let (status, _) = call_json(
        &t.app,
        &owner,
        "channel_help_for",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(status, 404);
    // Given the channel, the owner is the one to ask (Settings and the channel).
    sqlx::query(
        "INSERT INTO channel_access (channel_id, employee_id)
         SELECT $1, id FROM employees WHERE email = $2",
    )
    .bind(channel)
    .bind(app::demo::OWNER_EMAIL)
    .execute(&t.app.db.write)
    .await
    .unwrap();
    let (_, help) = call_json(
        &t.app,
        &agent,
        "channel_help_for",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(help["fixers"], json!(["Olivia Owner"]), "{help}");
    let (_, help) = call_json(
        &t.app,
        &owner,
        "channel_help_for",
        json!({"channel_id": channel}),
    )
    .await;
    assert_eq!(help["can_fix"], true, "{help}");

    // Reconnecting with only the new token: the other secrets are kept.
    let (status, body) = call_json(&t.app,
        &owner,
        "reconnect_channel",
        json!({"channel_id": channel, "credentials": [["access_token", "EAAnewtoken"], ["app_secret", ""]], "human_agent": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = events_until(&mut agent_stream, "channel_updated").await;
    let (_, back) = seen.last().unwrap();
    assert_eq!(back["channel_id"], channel, "{back}");
    assert_eq!(back["payload"]["status"], "connected", "{back}");
    let key = app::channels::credentials::SecretKey::from_hex(KEY).unwrap();
    let config = app::channels::store::config(&t.app.db, &key, app::ids::ChannelId(channel))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config.credentials.value("access_token"), "EAAnewtoken");
    assert_eq!(config.credentials.value("app_secret"), APP_SECRET);
    assert_eq!(config.credentials.value("verify_token"), "meatyhamhock");
    assert_eq!(config.credentials.value("page_id"), PAGE_ID);
    // The kept app secret still checks webhooks; the new token sends.
    let (status, text) = t
        .post_meta(
            ChannelKind::Messenger,
            channel,
            &lead_writes("psid-lost", "mid-2"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(t.reply(&agent, "psid-lost", "Back again").await.0, 200);
    assert!(t.wait_for_status("Back again", "sent").await);
    let sent = t.fake.requests_with("Back again");
    assert!(sent[0].query.contains("EAAnewtoken"), "{:?}", sent[0].query);
}
