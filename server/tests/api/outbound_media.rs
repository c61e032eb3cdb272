//! Files fit each provider before they leave (issue 21, point 8): the upload refuses what
//! the channel cannot send (415 for the type, 413 for the size, in the employee's
//! language) before storing anything; a caption the provider shows with no file of that
//! type follows as its own message; WhatsApp documents up to 100 MB come in.

use crate::channels::{fixture, Channels, PAGE_ID};
use crate::helpers::eventually;
use app::channels::ChannelKind;
use app::store::now_ms;
use std::time::Duration;

const MB: usize = 1024 * 1024;
const WA_LEAD: &str = "16505551234";

/// Every file under the media folder (none is left by a refusal).
fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// An agent uploads `bytes` as `mime` into the conversation of `contact`.
async fn upload(
    t: &Channels,
    agent: &reqwest::Client,
    contact: &str,
    mime: &str,
    bytes: Vec<u8>,
    caption: &str,
    language: &str,
) -> (u16, serde_json::Value) {
    let conversation = t.app.conversation_of(contact).await;
    let r = agent
        .post(t.app.url(&format!("/media/send/{conversation}")))
        .query(&[("name", "file"), ("caption", caption)])
        .header("content-type", mime)
        .header("accept-language", language)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn whatsapp_lead_writes(t: &Channels, channel: i64) {
    let text = fixture("whatsapp_text.json").replace("1749416383", &(now_ms() / 1000).to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Whatsapp, channel, &text, None)
            .await
            .0,
        200
    );
}

/// Uploads `size` bytes with no declared length (chunked): the server must count them
/// as they come and stop past the limit.
async fn upload_streamed(
    t: &Channels,
    agent: &reqwest::Client,
    contact: &str,
    mime: &str,
    size: usize,
    language: &str,
) -> (u16, serde_json::Value) {
    let conversation = t.app.conversation_of(contact).await;
    let chunk = 256 * 1024;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..size.div_ceil(chunk))
        .map(|i| Ok(vec![7u8; chunk.min(size - i * chunk)]))
        .collect();
    let r = agent
        .post(t.app.url(&format!("/media/send/{conversation}")))
        .query(&[("name", "file"), ("caption", "")])
        .header("content-type", mime)
        .header("accept-language", language)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// Declares `size` bytes and sends none: the server refuses by the length alone.
async fn upload_declared(t: &Channels, contact: &str, mime: &str, size: usize) -> (u16, String) {
    let conversation = t.app.conversation_of(contact).await;
    crate::helpers::post_headers_only(
        &t.app
            .url(&format!("/media/send/{conversation}?name=big&caption=")),
        mime,
        size,
        &[t.app
            .session_cookie(app::demo::AGENT_EMAIL, app::demo::AGENT_PASSWORD)
            .await],
    )
    .await
}

async fn outbound_messages(t: &Channels) -> i64 {
    t.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'")
        .await
}

#[tokio::test]
async fn whatsapp_refuses_what_it_cannot_send_before_storing_it_in_the_employees_language() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    whatsapp_lead_writes(&t, whatsapp).await;
    let agent = t.app.signed_in_agent().await;
    let files_before = files_in(&t.app.media_dir);
    let sent_before = outbound_messages(&t).await;

    // A GIF is an image the server keeps, but not one WhatsApp sends: 415, with what it takes.
    let (status, body) = upload(&t, &agent, WA_LEAD, "image/gif", vec![1; 10], "", "en").await;
    assert_eq!(status, 415, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("WhatsApp") && message.contains("image/gif"),
        "{message}"
    );
    assert!(
        message.contains("JPEG, PNG") && message.contains("5 MB"),
        "{message}"
    );
    let (status, body) = upload(&t, &agent, WA_LEAD, "image/gif", vec![1; 10], "", "pt-BR").await;
    assert_eq!(status, 415, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("não envia"),
        "{body}"
    );

    // An image just over 5 MB, streamed (no declared length to refuse by): 413.
    let (status, body) = upload_streamed(&t, &agent, WA_LEAD, "image/png", 5 * MB + 1, "en").await;
    assert_eq!(status, 413, "{body}");
    assert!(body["message"].as_str().unwrap().contains("5 MB"), "{body}");
    let (status, body) =
        upload_streamed(&t, &agent, WA_LEAD, "image/png", 5 * MB + 1, "pt-BR").await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("aceita"),
        "{body}"
    );
    // Audio over 16 MB (declared): 413 too.
    let (status, body) = upload_declared(&t, WA_LEAD, "audio/ogg", 16 * MB + 1).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("16 MB"), "{body}");

    assert_eq!(
        files_in(&t.app.media_dir),
        files_before,
        "a refusal stores nothing"
    );
    assert_eq!(
        outbound_messages(&t).await,
        sent_before,
        "and queues nothing"
    );

    // A 26 MB PDF is a document: WhatsApp takes up to 100 MB of those.
    let (status, body) = upload(
        &t,
        &agent,
        WA_LEAD,
        "application/pdf",
        vec![b'%'; 26 * MB],
        "Contract",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(t.wait_for_status("Contract", "sent").await);
    let document = t
        .fake
        .requests()
        .into_iter()
        .find(|r| r.json()["type"] == "document")
        .unwrap()
        .json();
    assert_eq!(document["document"]["caption"], "Contract");
    let size: i64 = sqlx::query_scalar(
        "SELECT a.size_bytes FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.body = 'Contract'",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(size, 26 * MB as i64);
}

#[tokio::test]
async fn a_caption_whatsapp_audio_cannot_carry_follows_as_its_own_message() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    whatsapp_lead_writes(&t, whatsapp).await;
    let agent = t.app.signed_in_agent().await;
    let (status, body) = upload(
        &t,
        &agent,
        WA_LEAD,
        "audio/ogg",
        b"OggS voice".to_vec(),
        "Listen to this",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(2),
        "the file, then the text: {body}"
    );
    assert!(t.wait_for_status("Listen to this", "sent").await);
    let sent: Vec<serde_json::Value> = t
        .fake
        .requests()
        .into_iter()
        .map(|r| r.json())
        .filter(|j| j["messaging_product"] == "whatsapp" && j.get("status").is_none())
        .collect();
    let audio = sent.iter().position(|j| j["type"] == "audio").unwrap();
    let text = sent
        .iter()
        .position(|j| j["type"] == "text" && j["text"]["body"] == "Listen to this")
        .unwrap();
    assert!(
        sent[audio]["audio"].get("caption").is_none(),
        "{}",
        sent[audio]
    );
    assert!(audio < text, "the file goes first, then its text");
    // An image keeps its caption in one message.
    let (status, body) = upload(
        &t,
        &agent,
        WA_LEAD,
        "image/jpeg",
        b"\xff\xd8 photo".to_vec(),
        "The part",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
}

#[tokio::test]
async fn instagram_sends_png_and_jpeg_images_without_text_and_refuses_documents() {
    let t = Channels::start().await;
    let instagram = t.add(ChannelKind::Instagram, true).await;
    t.instagram_lead_writes(instagram, "igsid-media").await;
    let agent = t.app.signed_in_agent().await;
    let files_before = files_in(&t.app.media_dir);
    let (status, body) = upload(
        &t,
        &agent,
        "igsid-media",
        "application/pdf",
        b"%PDF-1.4".to_vec(),
        "",
        "en",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("Instagram") && message.contains("PNG, JPEG"),
        "{message}"
    );
    let (status, body) = upload(
        &t,
        &agent,
        "igsid-media",
        "image/gif",
        b"GIF89a".to_vec(),
        "",
        "en",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, body) =
        upload_streamed(&t, &agent, "igsid-media", "image/png", 8 * MB + 1, "en").await;
    assert_eq!(status, 413, "{body}");
    assert!(body["message"].as_str().unwrap().contains("8 MB"), "{body}");
    assert_eq!(files_in(&t.app.media_dir), files_before);
    // A PNG with a caption: the image, then the caption as its own message.
    let (status, body) = upload(
        &t,
        &agent,
        "igsid-media",
        "image/png",
        b"\x89PNG".to_vec(),
        "Your photo",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    assert!(t.wait_for_status("Your photo", "sent").await);
    let sends: Vec<serde_json::Value> = t
        .fake
        .requests_with("/messages")
        .into_iter()
        .map(|r| r.json())
        .filter(|j| j.get("message").is_some())
        .collect();
    let image = sends
        .iter()
        .position(|j| j["message"]["attachment"]["type"] == "image")
        .unwrap();
    let text = sends
        .iter()
        .position(|j| j["message"]["text"] == "Your photo")
        .unwrap();
    assert!(sends[image]["message"].get("text").is_none());
    assert!(image < text);
}

#[tokio::test]
async fn messenger_and_sms_limits_are_their_documented_ones() {
    let t = Channels::start().await;
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let text = fixture("messenger_text.json")
        .replace("<PAGE_ID>", PAGE_ID)
        .replace("<PSID>", "psid-limits")
        .replace("1458692752478", &now_ms().to_string());
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &text, None)
            .await
            .0,
        200
    );
    let agent = t.app.signed_in_agent().await;
    // Files up to 25 MB; images sent by URL up to 8 MB.
    let (status, body) = upload_declared(&t, "psid-limits", "video/mp4", 25 * MB + 1).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("25 MB"), "{body}");
    let (status, body) = upload_declared(&t, "psid-limits", "image/jpeg", 8 * MB + 1).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("8 MB"), "{body}");
    let (status, body) = upload(
        &t,
        &agent,
        "psid-limits",
        "application/zip",
        b"PK".to_vec(),
        "",
        "en",
    )
    .await;
    assert_eq!(status, 200, "Messenger sends any file: {body}");

    // SMS (MMS): Twilio's accepted types, 5 MB in all.
    let twilio = t.add(ChannelKind::TwilioSms, true).await;
    let sms = std::fs::read_to_string(format!(
        "{}/tests/fixtures/providers/twilio_inbound_sms.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let sms = sms
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .to_owned();
    assert_eq!(t.post_twilio(twilio, &sms, None).await.0, 200);
    let (status, body) = upload(
        &t,
        &agent,
        "+14017122661",
        "application/zip",
        b"PK".to_vec(),
        "",
        "pt-BR",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert!(body["message"].as_str().unwrap().contains("SMS"), "{body}");
    let (status, body) = upload_declared(&t, "+14017122661", "video/mp4", 5 * MB + 1).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("5 MB"), "{body}");
}

#[tokio::test]
async fn whatsapp_documents_over_25_mb_come_in_and_messenger_files_do_not() {
    let t = Channels::start().await;
    let whatsapp = t.add(ChannelKind::Whatsapp, true).await;
    // The documented image message, as a document (type and object renamed) of 26 MB
    // (the fake's media id 260026).
    let mut doc: serde_json::Value = serde_json::from_str(&fixture("whatsapp_image.json")).unwrap();
    let message = &mut doc["entry"][0]["changes"][0]["value"]["messages"][0];
    message["type"] = "document".into();
    message["document"] = serde_json::json!({
        "filename": "plan.pdf", "mime_type": "application/pdf",
        "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=", "id": "260026"
    });
    message.as_object_mut().unwrap().remove("image");
    assert_eq!(
        t.post_meta(ChannelKind::Whatsapp, whatsapp, &doc.to_string(), None)
            .await
            .0,
        200
    );
    let stored = |media_id: &'static str| {
        let db = t.app.db.clone();
        async move {
            sqlx::query_as::<_, (String, Option<i64>, Option<String>)>(
                "SELECT status, size_bytes, error FROM attachments WHERE provider_media_id = $1",
            )
            .bind(media_id)
            .fetch_optional(&db.read)
            .await
            .unwrap()
        }
    };
    assert!(
        eventually(Duration::from_secs(30), || async {
            stored("260026")
                .await
                .is_some_and(|(s, _, _)| s != "pending")
        })
        .await
    );
    let (status, size, error) = stored("260026").await.unwrap();
    assert_eq!(status, "stored", "{error:?}");
    assert_eq!(size, Some(26 * MB as i64));

    // Messenger keeps files up to 25 MB: the same document there is not kept.
    let messenger = t.add(ChannelKind::Messenger, true).await;
    let url = format!("{}/cdn/big-26-messenger.pdf", t.fake.url);
    let with_file = fixture("messenger_image.json")
        .replace("<PAGE_ID>", PAGE_ID)
        .replace("<PSID>", "psid-big")
        .replace("<ATTACHMENT_URL>", &url);
    assert_eq!(
        t.post_meta(ChannelKind::Messenger, messenger, &with_file, None)
            .await
            .0,
        200
    );
    let state = || {
        let (db, url) = (t.app.db.clone(), url.clone());
        async move {
            sqlx::query_as::<_, (String, Option<String>)>(
                "SELECT status, error FROM attachments WHERE source_url = $1",
            )
            .bind(url)
            .fetch_optional(&db.read)
            .await
            .unwrap()
        }
    };
    assert!(
        eventually(Duration::from_secs(30), || async {
            state().await.is_some_and(|(s, _)| s != "pending")
        })
        .await
    );
    let (status, error) = state().await.unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap_or_default().contains("25 MB"));
}
