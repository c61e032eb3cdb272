//! Issue 20, point 9: hashed session ids, private export and backup files, a live-event
//! log that forgets pruned messages, HSTS and a `__Host-` cookie over https, an Origin
//! check with the scheme, webhook refusals that tell no channel id, expiring media links,
//! and derived keys with credentials bound to their channel.

use crate::channels::{Channels, APP_SECRET, KEY, PAGE_ID};
use crate::events::SseReader;
use crate::helpers::{client, eventually, on_postgres, set_cookie, spawn_app, spawn_app_with};
use crate::helpers::{test_database, TestApp};
use app::channels::credentials::SecretKey;
use app::channels::ChannelKind;
use confab::channels::inbound::signature::{hub_signature, twilio_signature};
use confab::settings::Settings;
use sha2::{Digest, Sha256};
use std::time::Duration;

fn settings_for(database_url: &str) -> Settings {
    let url = database_url.to_owned();
    Settings::from_lookup(move |key| match key {
        "CONFAB_DATABASE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap()
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// --- a: session ids ---------------------------------------------------------------

#[tokio::test]
async fn session_ids_are_stored_as_their_sha256_only() {
    let app = spawn_app().await;
    let (_, cookie) = app
        .session_cookie(app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD)
        .await;
    let raw = cookie.strip_prefix("confab_session=").unwrap().to_owned();
    let hashed = hex::encode(Sha256::digest(raw.as_bytes()));
    let stored = |id: String| {
        let db = app.db.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id = $1")
                .bind(id)
                .fetch_one(&db.read)
                .await
                .unwrap();
            n
        }
    };
    assert_eq!(
        stored(raw.clone()).await,
        0,
        "the cookie's id is not stored"
    );
    assert_eq!(stored(hashed.clone()).await, 1, "its SHA-256 is");
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&app.db.read)
        .await
        .unwrap();
    assert!(
        ids.iter()
            .all(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())),
        "{ids:?}"
    );

    // The cookie still signs in, and signing out removes the hashed row.
    let with_cookie = |name: &'static str| {
        client()
            .post(app.url(&format!("/api/{name}")))
            .header("accept", "application/json")
            .header("cookie", &cookie)
            .send()
    };
    let me = with_cookie("current_employee").await.unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], app::demo::AGENT_EMAIL, "{me}");
    let out = with_cookie("logout").await.unwrap();
    assert!(out.status().as_u16() < 400, "{}", out.status());
    assert_eq!(stored(hashed).await, 0);
    let after = with_cookie("current_employee").await.unwrap();
    let after: serde_json::Value = after.json().await.unwrap_or_default();
    assert!(after.is_null() || after["email"].is_null(), "{after}");
}

// --- a + b: exports and backups -----------------------------------------------------

/// `export` as an export made before sessions were left out: a `sessions` table between
/// employees and api_tokens, counted in the end line.
fn with_a_sessions_table(export: &str) -> String {
    let mut lines: Vec<String> = export.lines().map(str::to_owned).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with('{') && l.contains(r#""table":"api_tokens""#))
        .expect("the api_tokens table");
    lines.insert(
        at,
        r#"{"table":"sessions","columns":["data","employee_id","expires_at","id"]}"#.into(),
    );
    lines.insert(
        at + 1,
        r#"["{\"employee_id\":1}",1,99999999999999,"an-old-raw-session-id"]"#.into(),
    );
    let end: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let rows = end["rows"].as_i64().unwrap() + 1;
    *lines.last_mut().unwrap() = serde_json::json!({"end": true, "rows": rows}).to_string();
    lines.join("\n") + "\n"
}

#[cfg(unix)]
#[tokio::test]
async fn exports_and_backups_are_private_and_exports_carry_no_session() {
    let app = spawn_app().await;
    let _agent = app.signed_in_agent().await;
    let sessions: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&app.db.read)
        .await
        .unwrap();
    assert!(!sessions.is_empty());
    let settings = settings_for(&app.database_url);
    let dir = tempfile::tempdir().unwrap();

    let export = dir.path().join("export.jsonl");
    confab::commands::export(&settings, &export).await.unwrap();
    assert_eq!(mode_of(&export), 0o600, "the export is its owner's only");
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(!text.contains(r#""table":"sessions""#), "no sessions table");
    for id in &sessions {
        assert!(!text.contains(id.as_str()), "a session id is in the export");
    }
    assert!(text.contains(r#""table":"employees""#));

    if !on_postgres() {
        let backup = dir.path().join("backup.db");
        assert!(confab::commands::backup(&settings, &backup).await.unwrap() > 0);
        assert_eq!(mode_of(&backup), 0o600, "the backup is its owner's only");
    }

    // An export made before (with a sessions table) is imported without its sessions.
    let old = dir.path().join("old-export.jsonl");
    std::fs::write(&old, with_a_sessions_table(&text)).unwrap();
    let target_dir = tempfile::tempdir().unwrap();
    let (target_url, _schema) = test_database(target_dir.path());
    let rows = confab::commands::import(&settings_for(&target_url), &old)
        .await
        .unwrap();
    let exported_rows = text.lines().filter(|l| l.starts_with('[')).count() as u64;
    assert_eq!(rows, exported_rows, "every row but the session's");
    let target = app::store::Db::connect(&target_url).await.unwrap();
    let (sessions, employees): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM employees)")
            .fetch_one(&target.read)
            .await
            .unwrap();
    target.close().await;
    assert_eq!(sessions, 0);
    assert_eq!(employees, app.count("SELECT COUNT(*) FROM employees").await);
}

/// A table added to the schema is either moved by `confab export` or deliberately not.
#[tokio::test]
async fn every_table_is_exported_or_deliberately_left_out() {
    let app = spawn_app().await;
    let tables: Vec<String> = sqlx::query_scalar(if on_postgres() {
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    })
    .fetch_all(&app.db.read)
    .await
    .unwrap();
    let internal = |t: &str| {
        t.starts_with("_sqlx") || t.starts_with("sqlite_") || t.starts_with("messages_fts")
    };
    let unclassified: Vec<&String> = tables
        .iter()
        .filter(|t| !internal(t))
        .filter(|t| {
            !app::transfer::TABLES.contains(&t.as_str())
                && !app::transfer::NOT_EXPORTED.contains(&t.as_str())
        })
        .collect();
    assert!(
        unclassified.is_empty(),
        "add these to app::transfer::TABLES or NOT_EXPORTED: {unclassified:?}"
    );
    for table in app::transfer::NOT_EXPORTED {
        assert!(!app::transfer::TABLES.contains(table));
    }
}

// --- c: the live events log follows retention ----------------------------------------

#[tokio::test]
async fn retention_removes_the_events_of_pruned_messages_and_old_events_resync() {
    let app = spawn_app().await;
    let lead = "lead-hardening-retention";
    for i in 0..5 {
        let response = app
            .lead_writes(
                lead,
                &format!("msg-hardening-{i:04}"),
                &format!("private words {i}"),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let events_with = |text: String| {
        let db = app.db.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE payload LIKE $1")
                .bind(format!("%{text}%"))
                .fetch_one(&db.read)
                .await
                .unwrap();
            n
        }
    };
    for i in 0..5 {
        assert!(events_with(format!("private words {i}")).await > 0);
    }

    // Each conversation keeps its newest two: the lead's first three messages go, and
    // with them every event that carried their text.
    let report = confab::workers::retention::prune_once(&app.db, &app.media_dir, 2)
        .await
        .unwrap();
    assert!(report.events >= 3, "{report:?}");
    for i in 0..3 {
        assert_eq!(
            events_with(format!("private words {i}")).await,
            0,
            "message {i} was pruned; its events must go too"
        );
    }
    for i in 3..5 {
        assert!(
            events_with(format!("private words {i}")).await > 0,
            "{i} kept"
        );
    }
    let orphans: i64 = app
        .count(if on_postgres() {
            "SELECT COUNT(*) FROM events e WHERE e.kind IN ('message_created', 'message_updated')
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = (e.payload::jsonb ->> 'id')::bigint)"
        } else {
            "SELECT COUNT(*) FROM events e WHERE e.kind IN ('message_created', 'message_updated')
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = json_extract(e.payload, '$.id'))"
        })
        .await;
    assert_eq!(orphans, 0, "no event of a message that is gone");

    // Events older than a resuming stream may ask for go too, all but the newest.
    let newest = app.count("SELECT MAX(id) FROM events").await;
    let oldest = app.count("SELECT MIN(id) FROM events").await;
    sqlx::query("UPDATE events SET created_at = created_at - $1")
        .bind(2 * app::events::store::KEEP_EVENTS_MS)
        .execute(&app.db.write)
        .await
        .unwrap();
    let report = confab::workers::retention::prune_once(&app.db, &app.media_dir, 500)
        .await
        .unwrap();
    assert!(report.events > 0, "{report:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
    assert_eq!(app.count("SELECT MIN(id) FROM events").await, newest);

    // A stream that had seen events up to before the oldest of them cannot replay them:
    // it is told to resync.
    let agent = app.signed_in_agent().await;
    let mut resumed = SseReader::open(&app, &agent, Some(oldest - 1)).await;
    let first = resumed
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(first.kind, "resync", "{first:?}");
    // One resuming from the newest gets what comes next, as always.
    let mut current = SseReader::open(&app, &agent, Some(newest)).await;
    app.lead_writes(lead, "msg-hardening-after", "after the prune")
        .await;
    let next = current
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(next.kind, "message_created", "{next:?}");
    assert!(next.data.contains("after the prune"), "{next:?}");
}

// --- d + e: https -------------------------------------------------------------------

fn tls_fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn spawn_https_app() -> TestApp {
    let (cert, key) = (tls_fixture("cert.pem"), tls_fixture("key.pem"));
    let mut app = spawn_app_with(&[
        ("CONFAB_TLS_CERT", &cert),
        ("CONFAB_TLS_KEY", &key),
        // The demo accounts, on a server that counts as public (https).
        ("CONFAB_DEMO", "force"),
    ])
    .await;
    app.address = app.address.replacen("http://", "https://", 1);
    app
}

fn https_client() -> reqwest::Client {
    let pem = std::fs::read(tls_fixture("cert.pem")).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn sign_in_with_origin(
    app: &TestApp,
    client: &reqwest::Client,
    origin: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/login"))
        .header("accept", "application/json")
        .header("origin", origin)
        .form(&[
            ("email", app::demo::AGENT_EMAIL),
            ("password", app::demo::AGENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn https_answers_with_hsts_and_a_host_prefixed_secure_session_cookie() {
    let app = spawn_https_app().await;
    let browser = https_client();
    let page = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap()),
        Some("max-age=31536000; includeSubDomains")
    );
    let login = sign_in_with_origin(&app, &browser, &app.address).await;
    assert!(login.status().as_u16() < 400, "{}", login.status());
    assert!(
        login.headers().contains_key("strict-transport-security"),
        "every answer"
    );
    let cookie = set_cookie(&login, "__Host-confab_session").expect("a __Host- cookie");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "secure"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{cookie}"
    );
    assert!(set_cookie(&login, "confab_session").is_none());
    let (status, me) = {
        let response = browser
            .post(app.url("/api/current_employee"))
            .header("accept", "application/json")
            .header("origin", &app.address)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 200);
    assert_eq!(me["email"], app::demo::AGENT_EMAIL, "the cookie signs in");

    // Over plain http: no HSTS (a browser would ignore it anyway) and the plain name.
    let plain = spawn_app().await;
    let page = client().get(plain.url("/login")).send().await.unwrap();
    assert!(!page.headers().contains_key("strict-transport-security"));
    let login = sign_in_with_origin(&plain, &client(), &plain.address).await;
    assert!(set_cookie(&login, "confab_session").is_some());
}

#[tokio::test]
async fn the_origin_check_compares_the_scheme_too() {
    let app = spawn_https_app().await;
    let http_origin = app.address.replacen("https://", "http://", 1);
    let refused = sign_in_with_origin(&app, &https_client(), &http_origin).await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "cross_site", "{body}");
    let taken = sign_in_with_origin(&app, &https_client(), &app.address).await;
    assert!(taken.status().as_u16() < 400, "{}", taken.status());

    // And the other way round: a plain http server refuses its host's https origin.
    let plain = spawn_app().await;
    let https_origin = plain.address.replacen("http://", "https://", 1);
    let refused = sign_in_with_origin(&plain, &client(), &https_origin).await;
    assert_eq!(refused.status(), 403);
    let taken = sign_in_with_origin(&plain, &client(), &plain.address).await;
    assert!(taken.status().as_u16() < 400, "{}", taken.status());
}

// --- f: webhook refusals tell no channel id ------------------------------------------

async fn answer(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_unknown_webhook_channel_is_answered_as_a_bad_signature() {
    let t = Channels::start_with(&[("CONFAB_DEMO", "force")]).await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let unknown = 987_654;
    let body = format!(r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1}}]}}"#);
    let bad = format!("sha256={}", "00".repeat(32));

    let bad_signature = t
        .post_meta(ChannelKind::Messenger, messenger, &body, Some(&bad))
        .await;
    assert_eq!(bad_signature.0, 401, "{}", bad_signature.1);
    let post = |path: String, content_type: &'static str, body: String| {
        answer(
            client()
                .post(t.app.url(&path))
                .header("content-type", content_type)
                .header(
                    "x-hub-signature-256",
                    hub_signature(APP_SECRET, body.as_bytes()),
                )
                .body(body),
        )
    };
    // Rightly signed, a Meta webhook is acknowledged whatever channel id its URL names
    // (Meta shares one URL among an app's channels and disables it for all of them when
    // it fails: `meta_app_webhook.rs`); an entry no channel serves is dropped. So a
    // channel id that does not exist (deleted) or is another kind's answers 200 (not
    // 404), and tells nothing either: only the app secret's holder gets there.
    for path in [
        format!("/webhooks/messenger/{unknown}"),
        format!("/webhooks/whatsapp/{messenger}"),
    ] {
        let (status, answer) = post(path.clone(), "application/json", body.clone()).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    let unsigned = |path: String| {
        answer(
            client()
                .post(t.app.url(&path))
                .header("content-type", "application/json")
                .header("x-hub-signature-256", bad.clone())
                .body(body.clone()),
        )
    };
    let same = [
        // A channel id that does not exist, or another kind's, wrongly signed.
        unsigned(format!("/webhooks/messenger/{unknown}")).await,
        unsigned(format!("/webhooks/whatsapp/{messenger}")).await,
        // A Meta app URL no app has, wrongly signed (rightly signed, it is acknowledged:
        // the signature says which app it is, `meta_app_webhook.rs`).
        unsigned(format!("/webhooks/meta/{}", "0".repeat(32))).await,
        // A kind that does not exist.
        post(
            format!("/webhooks/telegram/{messenger}"),
            "application/json",
            body.clone(),
        )
        .await,
        // The wrong content type, unsigned, to a channel that exists.
        answer(
            client()
                .post(t.app.url(&format!("/webhooks/messenger/{messenger}")))
                .header("content-type", "text/plain")
                .body(body.clone()),
        )
        .await,
    ];
    for (i, refusal) in same.iter().enumerate() {
        assert_eq!(refusal, &bad_signature, "case {i}");
    }

    // Twilio: a bad signature, an unknown number's channel, a body that is not UTF-8.
    let twilio_bad = t.post_twilio(twilio, "Body=hi", Some("bad")).await;
    assert_eq!(twilio_bad.0, 401);
    assert_eq!(twilio_bad, bad_signature);
    let form = "From=%2B1555&Body=%FF%FE";
    let params: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    let signed_for_unknown = twilio_signature(
        "12345",
        &format!("https://inbox.example.com/webhooks/twilio_sms/{unknown}"),
        &params,
    );
    let unknown_twilio = answer(
        client()
            .post(t.app.url(&format!("/webhooks/twilio_sms/{unknown}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signed_for_unknown)
            .body(form),
    )
    .await;
    assert_eq!(unknown_twilio, bad_signature);
    let unsigned_garbage = t.post_twilio(twilio, form, Some("bad")).await;
    assert_eq!(unsigned_garbage, bad_signature);
    // Signed, the same garbage is judged as a body.
    assert_eq!(t.post_twilio(twilio, form, None).await.0, 400);

    // Meta's verification handshake: one answer for a wrong token, an unknown channel
    // and a channel without the handshake.
    let verify = |kind: &str, channel: i64, token: &str| {
        answer(client().get(t.app.url(&format!(
            "/webhooks/{kind}/{channel}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={token}"
        ))))
    };
    let wrong_token = verify("messenger", messenger, "wrong").await;
    assert_eq!(wrong_token.0, 403);
    assert_eq!(
        verify("messenger", unknown, "meatyhamhock").await,
        wrong_token
    );
    assert_eq!(
        verify("twilio_sms", twilio, "meatyhamhock").await,
        wrong_token
    );
    assert_eq!(
        verify("instagram", messenger, "meatyhamhock").await,
        wrong_token
    );
    assert_eq!(
        verify("messenger", messenger, "meatyhamhock").await,
        (200, "42".to_owned())
    );
}

// --- g: media links expire ------------------------------------------------------------

#[tokio::test]
async fn media_links_for_providers_expire_and_cannot_be_stretched() {
    let t = Channels::start_with(&[("CONFAB_DEMO", "force")]).await;
    let app = &t.app;
    let lead = "lead-hardening-media";
    app.lead_writes(lead, "msg-hardening-media", "send me the photo")
        .await;
    let conversation = app.conversation_of(lead).await;
    let channel = app.sandbox_channel().await;
    let message: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, channel_id, direction, body, status, created_at)
         VALUES ($1, $2, 'outbound', '', 'sent', 1) RETURNING id",
    )
    .bind(conversation)
    .bind(channel)
    .fetch_one(&app.db.write)
    .await
    .unwrap();
    let key_path = "out/hardening/photo.png";
    let attachment: i64 = sqlx::query_scalar(
        "INSERT INTO attachments (message_id, kind, mime, size_bytes, file_name, storage_key, status, created_at)
         VALUES ($1, 'image', 'image/png', 4, 'photo.png', $2, 'stored', 1) RETURNING id",
    )
    .bind(message)
    .bind(key_path)
    .fetch_one(&app.db.write)
    .await
    .unwrap();
    let file = app.media_dir.join(key_path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"\x89PNG").unwrap();

    let key = SecretKey::from_hex(KEY).unwrap();
    let get = |path: String| answer(client().get(app.url(&path)));
    let fresh = key.public_media_path(attachment);
    assert_eq!(get(fresh.clone()).await.0, 200, "{fresh}");
    // It says until when, a day from now.
    let link = fresh.rsplit('/').next().unwrap().to_owned();
    let (expires_at, signature) = link.split_once('-').unwrap();
    let expires_at: i64 = expires_at.parse().unwrap();
    let now = app::store::now_ms() / 1000;
    assert!((expires_at - now - 24 * 60 * 60).abs() < 60, "{link}");

    let expired = key.public_media_path_until(attachment, now - 1);
    assert_eq!(get(expired).await.0, 404);
    let stretched = format!(
        "/media/public/{attachment}/{}-{signature}",
        expires_at + 365 * 24 * 60 * 60
    );
    assert_eq!(get(stretched).await.0, 404);
    let of_another_file = format!("/media/public/{}/{link}", attachment + 1);
    assert_eq!(get(of_another_file).await.0, 404);
    // The links made before (an HMAC under the secret itself, no expiry) work no more.
    let old_signature = {
        use hmac::Mac;
        let mut mac =
            <hmac::Hmac<Sha256> as Mac>::new_from_slice(&hex::decode(KEY).unwrap()).unwrap();
        mac.update(format!("media:{attachment}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    assert_eq!(
        get(format!("/media/public/{attachment}/{old_signature}"))
            .await
            .0,
        404
    );
}

// --- h: derived keys, credentials bound to their channel -----------------------------

/// Credentials as sealed before derived keys: XChaCha20-Poly1305 under the secret
/// itself, no associated data, `v1:` + hex(nonce ‖ ciphertext).
fn seal_v1(credentials: &serde_json::Value) -> String {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let key = hex::decode(KEY).unwrap();
    let nonce = [9u8; 24];
    let sealed = chacha20poly1305::XChaCha20Poly1305::new(key.as_slice().into())
        .encrypt(
            chacha20poly1305::XNonce::from_slice(&nonce),
            credentials.to_string().as_bytes(),
        )
        .unwrap();
    format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed))
}

async fn sealed_of(app: &TestApp, channel: i64) -> String {
    sqlx::query_scalar("SELECT credentials FROM channels WHERE id = $1")
        .bind(channel)
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}

async fn set_sealed(app: &TestApp, channel: i64, sealed: &str) {
    sqlx::query("UPDATE channels SET credentials = $2 WHERE id = $1")
        .bind(channel)
        .bind(sealed)
        .execute(&app.db.write)
        .await
        .unwrap();
    app.db.channel_configs.clear();
}

#[tokio::test]
async fn old_sealed_credentials_keep_working_and_are_sealed_again_for_their_channel() {
    let t = Channels::start_with(&[("CONFAB_DEMO", "force")]).await;
    let app = &t.app;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let instagram = t.add(ChannelKind::Instagram, true).await;
    let key = SecretKey::from_hex(KEY).unwrap();
    assert!(sealed_of(app, messenger).await.starts_with("v2:"));

    // A database from before: the channel's credentials in the old format.
    let old = seal_v1(&serde_json::json!({
        "access_token": "EAAtoken",
        "app_secret": APP_SECRET,
        "page_id": PAGE_ID,
        "verify_token": "meatyhamhock",
    }));
    set_sealed(app, messenger, &old).await;
    let body = format!(r#"{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":1}}]}}"#);
    let (status, text) = t
        .post_meta(ChannelKind::Messenger, messenger, &body, None)
        .await;
    assert_eq!(status, 200, "the old credentials open: {text}");
    assert!(
        eventually(Duration::from_secs(5), || async {
            sealed_of(app, messenger).await.starts_with("v2:")
        })
        .await,
        "read once, they are sealed again in the new format"
    );
    let resealed = sealed_of(app, messenger).await;
    assert_eq!(
        app::channels::store::config(&app.db, &key, app::ids::ChannelId(messenger))
            .await
            .unwrap()
            .unwrap()
            .credentials
            .value("app_secret"),
        APP_SECRET
    );

    // Bound to their channel: copied onto another channel's row, they do not open.
    set_sealed(app, instagram, &resealed).await;
    assert!(
        app::channels::store::config(&app.db, &key, app::ids::ChannelId(instagram))
            .await
            .is_err()
    );

    // At start, every old value is sealed again at once.
    set_sealed(app, messenger, &old).await;
    let count = app::channels::store::reseal_old_credentials(&app.db, &key)
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert!(sealed_of(app, messenger).await.starts_with("v2:"));
    assert_eq!(
        app::channels::store::reseal_old_credentials(&app.db, &key)
            .await
            .unwrap(),
        0
    );
}
