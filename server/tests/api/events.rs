use crate::helpers::{client, spawn_app, TestApp};
use futures::StreamExt;
use std::collections::HashSet;
use std::time::Duration;

/// One server-sent event as read off the wire.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub kind: String,
    pub data: String,
}

/// Reads a live SSE response frame by frame.
pub struct SseReader {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl SseReader {
    pub async fn open(app: &TestApp, agent: &reqwest::Client, last_event_id: Option<i64>) -> Self {
        Self::open_at(&app.address, agent, last_event_id).await
    }

    /// Opens the stream of the server at `address` (e.g. `http://127.0.0.1:3000`).
    pub async fn open_at(
        address: &str,
        agent: &reqwest::Client,
        last_event_id: Option<i64>,
    ) -> Self {
        let mut request = agent
            .get(format!("{address}/api/events"))
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        SseReader {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    kind: "message".into(),
                    data: String::new(),
                };
                let mut is_comment_only = true;
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().parse().ok();
                        is_comment_only = false;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.kind = v.trim().to_owned();
                        is_comment_only = false;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data.push_str(v.trim_start());
                        is_comment_only = false;
                    }
                }
                if is_comment_only {
                    continue; // keep-alive
                }
                return Some(event);
            }
            match tokio::time::timeout(timeout, self.stream.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

impl SseReader {
    /// The next event of `kind` within a few seconds (others are skipped).
    pub async fn next_of_kind(&mut self, kind: &str) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
        while tokio::time::Instant::now() < deadline {
            if let Some(event) = self.next(Duration::from_millis(400)).await {
                if event.kind == kind {
                    return Some(event);
                }
            }
        }
        None
    }

    /// Whether the server closes the stream within `timeout`.
    pub async fn ended(&mut self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

pub fn body_of(event: &SseEvent) -> String {
    let json: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    json["payload"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn resume_with_last_event_id_loses_nothing_during_a_burst_of_200() {
    // Twenty leads, each from an address of its own (the sandbox takes 30 a minute from one).
    let app = crate::helpers::spawn_app_with(&[("CONFAB_TRUST_PROXY", "true")]).await;
    let agent = app.signed_in_agent().await;
    let mut first = SseReader::open(&app, &agent, None).await;

    let channel = app.sandbox_channel().await;
    let url = app.url(&format!("/webhooks/sandbox/{channel}"));
    let burst = tokio::spawn(async move {
        let posts = futures::stream::iter(0..200).map(|i| {
            let url = url.clone();
            async move {
                let lead = crate::helpers::test_lead(&format!("lead-burst-{:03}", i % 20));
                let response = lead
                    .post(&url)
                    .json(&serde_json::json!({
                        "type": "message", "lead_id": lead.id, "name": "Burst",
                        "message_id": format!("msg-burst-{i:04}"), "text": format!("burst {i}")
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        });
        posts.buffer_unordered(8).collect::<Vec<_>>().await;
    });

    let mut seen_ids = Vec::new();
    let mut bodies = HashSet::new();
    while bodies.len() < 50 {
        let event = first
            .next(Duration::from_secs(10))
            .await
            .expect("events keep coming");
        seen_ids.push(event.id.expect("every event has an id"));
        if event.kind == "message_created" {
            assert!(
                bodies.insert(body_of(&event)),
                "no duplicate before the drop"
            );
        }
    }
    let last_id = *seen_ids.last().unwrap();
    drop(first); // the disconnect, in the middle of the burst
    tokio::time::sleep(Duration::from_millis(50)).await;

    let mut second = SseReader::open(&app, &agent, Some(last_id)).await;
    while bodies.len() < 200 {
        let Some(event) = second.next(Duration::from_secs(10)).await else {
            panic!(
                "stream went quiet with {} of 200 messages seen",
                bodies.len()
            );
        };
        assert_ne!(
            event.kind, "resync",
            "200 events are replayed, not resynced"
        );
        seen_ids.push(event.id.expect("every event has an id"));
        if event.kind == "message_created" {
            assert!(
                bodies.insert(body_of(&event)),
                "duplicate after resume: {}",
                event.data
            );
        }
    }
    burst.await.unwrap();
    assert!(
        seen_ids.windows(2).all(|w| w[0] < w[1]),
        "ids strictly increase across the reconnect"
    );
    let expected: HashSet<String> = (0..200).map(|i| format!("burst {i}")).collect();
    assert_eq!(bodies, expected);
}

#[tokio::test]
async fn the_stream_needs_a_session_and_keeps_to_the_employees_channels() {
    let app = spawn_app().await;
    let anonymous = client().get(app.url("/api/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // A second sandbox channel the agent was not given.
    let hidden = app::channels::store::create(
        &app.db,
        app::channels::ChannelKind::Sandbox,
        "Other shop",
        "sandbox-2",
    )
    .await
    .unwrap();
    let agent = app.signed_in_agent().await;
    let mut stream = SseReader::open(&app, &agent, None).await;
    let lead = crate::helpers::test_lead("lead-hidden-01");
    let post = |channel: i64, id: &str, text: &str| {
        lead.post(&app.url(&format!("/webhooks/sandbox/{channel}")))
            .json(&serde_json::json!({"type": "message", "lead_id": lead.id, "name": "H", "message_id": id, "text": text}))
            .send()
    };
    assert_eq!(
        post(hidden.0, "msg-hidden-001", "secret")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(app.sandbox_channel().await, "msg-visible-01", "visible")
            .await
            .unwrap()
            .status(),
        200
    );
    let event = stream.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(event.kind, "message_created");
    assert_eq!(body_of(&event), "visible");

    // Nor does a replay from the start show it.
    let mut replay = SseReader::open(&app, &agent, Some(0)).await;
    while let Some(event) = replay.next(Duration::from_millis(500)).await {
        assert!(!event.data.contains("secret"), "{}", event.data);
    }
}

#[tokio::test]
async fn signing_out_ends_the_live_streams_of_that_session_or_of_every_device() {
    let app = spawn_app().await;
    let laptop = app.signed_in_agent().await;
    let phone = app.signed_in_agent().await;
    let owner = app.signed_in_owner().await;
    let mut on_laptop = SseReader::open(&app, &laptop, None).await;
    let mut on_phone = SseReader::open(&app, &phone, None).await;
    let mut owners = SseReader::open(&app, &owner, None).await;

    // Signing out on the laptop ends the laptop's stream only.
    let (status, _) = app.call(&laptop, "logout", &[]).await;
    assert!(status < 400, "{status}");
    assert!(on_laptop.ended(Duration::from_secs(5)).await);
    app.lead_writes("lead-streams-1", "msg-streams-1", "still live")
        .await;
    assert!(on_phone.next(Duration::from_secs(5)).await.is_some());

    // Signing out everywhere from a third device ends the phone's stream too; another
    // employee's stream goes on.
    let tablet = app.signed_in_agent().await;
    let (status, _) = app.call(&tablet, "logout_everywhere", &[]).await;
    assert!(status < 400, "{status}");
    assert!(on_phone.ended(Duration::from_secs(5)).await);
    app.lead_writes("lead-streams-2", "msg-streams-2", "owner still sees this")
        .await;
    let mut seen = false;
    while let Some(event) = owners.next(Duration::from_secs(5)).await {
        if event.data.contains("owner still sees this") {
            seen = true;
            break;
        }
    }
    assert!(seen, "the owner's stream ended too");
}
