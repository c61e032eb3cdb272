//! One Meta app, one webhook URL that always answers (issue 21, point 6): Meta gives all
//! of an app's pages, Instagram accounts and WhatsApp numbers one callback URL and turns
//! the subscription off for all of them when it keeps failing. The app-level URL
//! `/webhooks/meta/{app}` routes each entry by its page / account / phone number id; an
//! entry for a channel Confab no longer serves (disconnected, deleted) is acknowledged and
//! dropped, on the app's URL and on the per-channel URLs alike; a signature that does not
//! verify is refused the same way whatever the URL names.

use crate::channels::{fixture, Channels, APP_SECRET, KEY};
use crate::helpers::client;
use app::channels::credentials::{Credentials, SecretKey};
use app::channels::ChannelKind;
use confab::channels::inbound::signature::hub_signature;

const PAGE_A: &str = "100000000000001";
const PAGE_B: &str = "100000000000002";
const PAGE_GONE: &str = "100000000000003";
const OTHER_APPS_PAGE: &str = "100000000000009";
const WA_NUMBER: &str = "200000000000001";
const VERIFY_TOKEN: &str = "meatyhamhock";

/// Connects a Meta channel of `kind` with its provider id and an app secret.
async fn connect(t: &Channels, kind: ChannelKind, id: &str, app_secret: &str) -> i64 {
    let id_key = match kind {
        ChannelKind::Messenger => "page_id",
        ChannelKind::Instagram => "account_id",
        ChannelKind::Whatsapp => "phone_number_id",
        _ => unreachable!(),
    };
    let pairs: Vec<(String, String)> = [
        (id_key, id),
        ("app_secret", app_secret),
        ("access_token", "EAAtoken"),
        ("verify_token", VERIFY_TOKEN),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let credentials = Credentials::parse(kind, &pairs).unwrap();
    let key = SecretKey::from_hex(KEY).unwrap();
    let channel = app::channels::store::create_connected(
        &t.app.db,
        &key,
        kind,
        &format!("Page {id}"),
        &credentials,
        true,
    )
    .await
    .unwrap();
    app::channels::store::grant_to_owners(&t.app.db, channel)
        .await
        .unwrap();
    channel.0
}

/// A Messenger text webhook (the fixture's shape) with one entry per (page, mid).
fn messenger_body(entries: &[(&str, &str)]) -> String {
    let template: serde_json::Value =
        serde_json::from_str(&fixture("messenger_text.json")).unwrap();
    let entries: Vec<serde_json::Value> = entries
        .iter()
        .map(|(page, mid)| {
            let text = serde_json::to_string(&template["entry"][0])
                .unwrap()
                .replace("<PAGE_ID>", page)
                .replace("<PSID>", "7000000000000001")
                .replace("mid.1457764197618:41d102a3e1ae206a38", mid);
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    serde_json::json!({ "object": "page", "entry": entries }).to_string()
}

async fn post(t: &Channels, path: &str, body: &str, secret: &str) -> (u16, String) {
    let response = client()
        .post(t.app.url(path))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            hub_signature(secret, body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn stored(t: &Channels, channel: i64, mid: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE channel_id = $1 AND provider_id = $2")
        .bind(channel)
        .bind(mid)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[tokio::test]
async fn one_app_url_routes_each_entry_to_its_channel_and_acknowledges_the_rest() {
    let t = Channels::start().await;
    let page_a = connect(&t, ChannelKind::Messenger, PAGE_A, APP_SECRET).await;
    let page_b = connect(&t, ChannelKind::Messenger, PAGE_B, APP_SECRET).await;
    let whatsapp = connect(&t, ChannelKind::Whatsapp, WA_NUMBER, APP_SECRET).await;
    let other_app = connect(
        &t,
        ChannelKind::Messenger,
        OTHER_APPS_PAGE,
        "another_secret",
    )
    .await;
    let token = SecretKey::from_hex(KEY).unwrap().meta_app_token(APP_SECRET);
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let app_url = format!("/webhooks/meta/{token}");

    // The owner sees the app's URL on each of its channels; another app has its own.
    let owner = t.app.signed_in_owner().await;
    let (status, team) = t.app.call(&owner, "settings_team", &[]).await;
    assert_eq!(status, 200, "{team}");
    let url_of = |id: i64| {
        team["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"]["id"] == id)
            .unwrap()["app_webhook_url"]
            .clone()
    };
    let expected = format!("https://inbox.example.com{app_url}");
    for channel in [page_a, page_b, whatsapp] {
        assert_eq!(url_of(channel), expected, "channel {channel}");
    }
    assert_ne!(url_of(other_app), expected);
    assert!(
        !team.to_string().contains(APP_SECRET),
        "the secret stays on the server"
    );
    // The settings page shows it, labelled, in the owner's language.
    for (language, label) in [
        ("en", "Webhook URL for the whole Meta app"),
        ("pt-BR", "URL do webhook do app da Meta inteiro"),
    ] {
        let page = owner
            .get(t.app.url("/settings/conversations"))
            .header("accept-language", language)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(
                "<code data-testid=\"app-webhook-url\">{expected}</code>"
            )),
            "{language}"
        );
        assert!(page.contains(label), "{language}: the label");
    }

    // Meta's handshake works on the app's URL.
    let handshake = |token: &str| {
        let url = t.app.url(&format!(
            "{app_url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}"
        ));
        async move {
            let response = client().get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        handshake(VERIFY_TOKEN).await,
        (200, "1158201444".to_owned())
    );
    assert_eq!(handshake("wrong").await.0, 403);

    // One body for two pages of the app, one page nobody added and another app's page.
    let dropped_before = confab::routes::webhooks::dropped_events();
    let body = messenger_body(&[
        (PAGE_A, "m-app-a"),
        (PAGE_B, "m-app-b"),
        ("100000000000404", "m-app-nobody"),
        (OTHER_APPS_PAGE, "m-app-other"),
    ]);
    let (status, answer) = post(&t, &app_url, &body, APP_SECRET).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["dropped"], 2, "{answer}");
    assert_eq!(stored(&t, page_a, "m-app-a").await, 1);
    assert_eq!(stored(&t, page_b, "m-app-b").await, 1);
    assert_eq!(
        stored(&t, other_app, "m-app-other").await,
        0,
        "a page of another app does not take this app's events"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE provider_id = 'm-app-nobody'")
            .await,
        0
    );
    assert!(confab::routes::webhooks::dropped_events() >= dropped_before + 2);

    // WhatsApp's numbers share the URL.
    let wa_body = fixture("whatsapp_text.json").replace("106540352242922", WA_NUMBER);
    let (status, answer) = post(&t, &app_url, &wa_body, APP_SECRET).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["dropped"], 0, "{answer}");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE channel_id = {whatsapp}"
        ))
        .await,
        1
    );

    // A disconnected page's events are acknowledged and dropped; its siblings' are kept.
    sqlx::query("UPDATE channels SET status = 'disconnected' WHERE id = $1")
        .bind(page_b)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    t.app.db.channel_configs.clear();
    let body = messenger_body(&[(PAGE_B, "m-after-b"), (PAGE_A, "m-after-a")]);
    let (status, answer) = post(&t, &app_url, &body, APP_SECRET).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["dropped"], 1, "{answer}");
    assert_eq!(stored(&t, page_b, "m-after-b").await, 0);
    assert_eq!(stored(&t, page_a, "m-after-a").await, 1);
    // Its own URL, still configured at Meta, answers 200 as well (not 401, not 404).
    let body = messenger_body(&[(PAGE_B, "m-own-b"), (PAGE_A, "m-own-a")]);
    let (status, answer) = post(
        &t,
        &format!("/webhooks/messenger/{page_b}"),
        &body,
        APP_SECRET,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(stored(&t, page_b, "m-own-b").await, 0);
    assert_eq!(stored(&t, page_a, "m-own-a").await, 1);

    // The token only names the URL: the signature says which app it is, so the URL Meta
    // was given still works once the app secret is reset (its token is then another).
    let old_token = format!("/webhooks/meta/{}", "0".repeat(32));
    let (status, answer) = post(&t, &old_token, &body, APP_SECRET).await;
    assert_eq!(status, 200, "{answer}");
    // Refusals: one answer for a bad signature on the app's URL, on a URL no app has and
    // on a URL naming a channel of another app.
    let (bad_status, bad) = post(&t, &app_url, &body, "not the secret").await;
    assert_eq!(bad_status, 401, "{bad}");
    assert_eq!(
        post(&t, &old_token, &body, "not the secret").await,
        (bad_status, bad.clone())
    );
    assert_eq!(
        post(
            &t,
            &format!("/webhooks/meta/{token}x"),
            &body,
            "not the secret"
        )
        .await,
        (bad_status, bad.clone())
    );
    assert_eq!(
        post(
            &t,
            &format!("/webhooks/messenger/{page_a}"),
            &body,
            "not the secret"
        )
        .await,
        (bad_status, bad)
    );
    assert_eq!(stored(&t, page_a, "m-own-a").await, 1, "nothing twice");
}

#[tokio::test]
async fn a_deleted_channels_url_still_answers_its_siblings_events() {
    let t = Channels::start().await;
    let page_a = connect(&t, ChannelKind::Messenger, PAGE_A, APP_SECRET).await;
    let gone = connect(&t, ChannelKind::Messenger, PAGE_GONE, APP_SECRET).await;
    let first = messenger_body(&[(PAGE_GONE, "m-before-delete")]);
    let (status, answer) = post(
        &t,
        &format!("/webhooks/messenger/{gone}"),
        &first,
        APP_SECRET,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(stored(&t, gone, "m-before-delete").await, 1);

    sqlx::query("DELETE FROM channels WHERE id = $1")
        .bind(gone)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    t.app.db.channel_configs.clear();

    // Meta still posts to the URL it was given (the deleted channel's): acknowledged;
    // the deleted page's entry is dropped, the sibling's stored.
    let body = messenger_body(&[(PAGE_GONE, "m-gone"), (PAGE_A, "m-sibling")]);
    let (status, answer) = post(
        &t,
        &format!("/webhooks/messenger/{gone}"),
        &body,
        APP_SECRET,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        json(&answer)["events"].as_u64().map(|n| n > 0),
        Some(true),
        "{answer}"
    );
    assert_eq!(json(&answer)["dropped"], 1, "{answer}");
    assert_eq!(stored(&t, page_a, "m-sibling").await, 1);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE provider_id = 'm-gone'")
            .await,
        0
    );
    // Meta retries what it got no 200 for: the same body again changes nothing.
    let (status, _) = post(
        &t,
        &format!("/webhooks/messenger/{gone}"),
        &body,
        APP_SECRET,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(stored(&t, page_a, "m-sibling").await, 1);

    // Unsigned (or signed with a secret nobody here has): refused, as anywhere else.
    let (status, _) = post(&t, &format!("/webhooks/messenger/{gone}"), &body, "guess").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_unsigned_meta_webhook_is_refused_before_any_channel_is_read() {
    let t = Channels::start().await;
    let page = connect(&t, ChannelKind::Messenger, PAGE_A, APP_SECRET).await;
    let token = SecretKey::from_hex(KEY).unwrap().meta_app_token(APP_SECRET);
    let body = messenger_body(&[(PAGE_A, "m_unsigned")]);
    // With the channels unreadable, only a refusal that reads none can answer 401.
    sqlx::raw_sql("ALTER TABLE channels RENAME TO channels_away")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let mut answers = Vec::new();
    for path in [
        format!("/webhooks/messenger/{page}"),
        format!("/webhooks/meta/{token}"),
    ] {
        for header in [
            None,
            Some("sha256=nothex".to_owned()),
            Some(format!("sha1={}", "0".repeat(40))),
            Some(format!("sha256={}", "a".repeat(63))),
        ] {
            let mut request = client()
                .post(t.app.url(&path))
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(h) = &header {
                request = request.header("x-hub-signature-256", h);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            answers.push((status, response.text().await.unwrap()));
            assert_eq!(status, 401, "{path} {header:?}");
        }
    }
    // A well-formed signature does need the channels (and they cannot be read now).
    let (status, _) = post(
        &t,
        &format!("/webhooks/messenger/{page}"),
        &body,
        APP_SECRET,
    )
    .await;
    assert_ne!(status, 401);
    sqlx::raw_sql("ALTER TABLE channels_away RENAME TO channels")
        .execute(&t.app.db.write)
        .await
        .unwrap();
    // The same answer as a signature that does not verify (no oracle).
    let (status, bad) = post(
        &t,
        &format!("/webhooks/messenger/{page}"),
        &body,
        "not the secret",
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        answers.iter().all(|(_, text)| *text == bad),
        "{answers:?} {bad}"
    );
}
