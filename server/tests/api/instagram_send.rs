//! Instagram sends where Instagram documents it (issue 21, point 9): an account connected
//! with Instagram Login through `graph.instagram.com/{ig-id}/messages` with its Instagram
//! user token (Bearer); one connected with Facebook Login (Messenger API for Instagram)
//! through `graph.facebook.com/{page-id}/messages` with the Page's token. Each host is its
//! own fake here, so a reply sent to the wrong one is seen.

use crate::channels::{Channels, APP_SECRET, IG_ID, KEY, PAGE_ID};
use crate::fake_provider::FakeProvider;
use app::channels::credentials::{Credentials, SecretKey};
use app::channels::ChannelKind;

/// Graph API and Instagram's host as two fakes.
async fn start() -> (Channels, FakeProvider) {
    let instagram_host = FakeProvider::start().await;
    let t =
        Channels::start_with(&[("CONFAB_INSTAGRAM_API_URL", instagram_host.url.as_str())]).await;
    (t, instagram_host)
}

/// Connects an Instagram account with these credentials besides the usual ones.
async fn add_instagram(t: &Channels, extra: &[(&str, &str)]) -> i64 {
    let mut pairs: Vec<(String, String)> = [
        ("account_id", IG_ID),
        ("app_secret", APP_SECRET),
        ("access_token", "IGAAuser-or-page-token"),
        ("verify_token", "meatyhamhock"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    pairs.dedup();
    let credentials = Credentials::parse(ChannelKind::Instagram, &pairs).unwrap();
    let id = app::channels::store::create_connected(
        &t.app.db,
        &SecretKey::from_hex(KEY).unwrap(),
        ChannelKind::Instagram,
        "Shop on Instagram",
        &credentials,
        false,
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO channel_access (channel_id, employee_id) SELECT $1, id FROM employees",
    )
    .bind(id.0)
    .execute(&t.app.db.write)
    .await
    .unwrap();
    id.0
}

/// The documented Instagram text webhook from `igsid`, then an agent's reply `text`.
async fn lead_writes_and_agent_replies(t: &Channels, channel: i64, igsid: &str, text: &str) {
    t.instagram_lead_writes(channel, igsid).await;
    let agent = t.app.signed_in_agent().await;
    let (status, answer) = t.reply(&agent, igsid, text).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        t.wait_for_status(text, "sent").await,
        "{:?}",
        t.message_state(text).await
    );
}

#[tokio::test]
async fn instagram_login_sends_through_instagrams_host_with_the_user_token() {
    let (t, instagram_host) = start().await;
    let channel = add_instagram(&t, &[("login", "instagram")]).await;
    lead_writes_and_agent_replies(&t, channel, "igsid-ig-login", "Hello from IG login").await;
    let sent = instagram_host.requests_with("Hello from IG login");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path, format!("/{IG_ID}/messages"));
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some("Bearer IGAAuser-or-page-token")
    );
    assert!(!sent[0].query.contains("access_token"), "{}", sent[0].query);
    assert_eq!(sent[0].json()["recipient"]["id"], "igsid-ig-login");
    assert!(
        t.fake.requests_with("Hello from IG login").is_empty(),
        "nothing goes to graph.facebook.com"
    );
    // A channel connected before the choice existed (no `login`) is Instagram Login.
    let older = add_instagram_without_login(&t).await;
    assert_ne!(older, channel);
}

/// An account connected before `login` existed: its credentials have none.
async fn add_instagram_without_login(t: &Channels) -> i64 {
    let pairs: Vec<(String, String)> = [
        ("account_id", "17841400000000002"),
        ("app_secret", APP_SECRET),
        ("access_token", "IGAAolder"),
        ("verify_token", "v"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let credentials = Credentials::parse(ChannelKind::Instagram, &pairs).unwrap();
    assert_eq!(
        credentials.instagram_login(),
        app::channels::credentials::InstagramLogin::Instagram
    );
    app::channels::store::create_connected(
        &t.app.db,
        &SecretKey::from_hex(KEY).unwrap(),
        ChannelKind::Instagram,
        "Older account",
        &credentials,
        false,
    )
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn facebook_login_sends_through_the_page_with_the_page_token() {
    let (t, instagram_host) = start().await;
    let channel = add_instagram(&t, &[("login", "facebook"), ("page_id", PAGE_ID)]).await;
    lead_writes_and_agent_replies(&t, channel, "igsid-fb-login", "Hello through the Page").await;
    let sent = t.fake.requests_with("Hello through the Page");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].path, format!("/{PAGE_ID}/messages"));
    assert!(
        sent[0]
            .query
            .contains("access_token=IGAAuser-or-page-token"),
        "{}",
        sent[0].query
    );
    assert_eq!(sent[0].json()["recipient"]["id"], "igsid-fb-login");
    assert!(
        instagram_host.requests().is_empty(),
        "nothing goes to graph.instagram.com"
    );
}

#[tokio::test]
async fn the_settings_ask_for_the_page_when_the_account_uses_facebook_login() {
    let (t, _instagram_host) = start().await;
    let owner = t.app.signed_in_owner().await;
    let before = t.count("SELECT COUNT(*) FROM channels").await;
    let create = |credentials: serde_json::Value, language: &'static str| {
        let (owner, url) = (owner.clone(), t.app.url("/api/create_channel"));
        async move {
            let body = serde_json::json!({
                "kind": "instagram", "name": "IG", "employee_ids": [],
                "credentials": credentials,
            });
            let r = owner
                .post(url)
                .header("accept-language", language)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let base = |extra: &[[&str; 2]]| {
        let mut all = vec![
            ["account_id", IG_ID],
            ["app_secret", "s"],
            ["access_token", "t"],
        ];
        all.extend_from_slice(extra);
        serde_json::json!(all)
    };
    let (status, text) = create(base(&[["login", "facebook"]]), "en").await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("page_id"), "{text}");
    let (status, text) = create(base(&[["login", "facebook"], ["page_id", "my page"]]), "en").await;
    assert_eq!(status, 422, "{text}");
    let (status, text) = create(base(&[["login", "tiktok"]]), "pt-BR").await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("'login'"), "{text}");
    assert_eq!(t.count("SELECT COUNT(*) FROM channels").await, before);
    let (status, text) = create(base(&[["login", "facebook"], ["page_id", PAGE_ID]]), "en").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(t.count("SELECT COUNT(*) FROM channels").await, before + 1);
}
