//! Issue 24, point 5: presence — "Ana is viewing / typing" reaches the colleagues who may
//! use the channel, and nobody else; a stranger to the conversation can say nothing.

use crate::events::SseReader;
use crate::helpers::spawn_app;
use std::time::Duration;

#[tokio::test]
async fn presence_reaches_the_channels_employees_only() {
    let app = spawn_app().await;
    let ana = app.signed_in_agent().await;
    let (_, bruno) = app
        .new_agent("Bruno Costa", "bruno@demo.confab", true)
        .await;
    let (_, outsider) = app
        .new_agent("Otto Outside", "otto@demo.confab", false)
        .await;
    app.lead_writes("lead-presence-1", "msg-presence-0001", "Hello")
        .await;
    let id = app.conversation_of("lead-presence-1").await.to_string();
    let mut bruno_live = SseReader::open(&app, &bruno, None).await;
    let mut outsider_live = SseReader::open(&app, &outsider, None).await;
    for state in ["viewing", "typing"] {
        let (status, body) = app
            .call(
                &ana,
                "set_presence",
                &[("conversation_id", &id), ("state", state)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let event = bruno_live.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(event.kind, "presence");
        assert!(
            event.data.contains(&format!("\"state\":\"{state}\"")),
            "{}",
            event.data
        );
        assert!(event.data.contains("Ana Agent"), "{}", event.data);
    }
    // Said again at once: not repeated (a stuck tab cannot flood the streams).
    app.call(
        &ana,
        "set_presence",
        &[("conversation_id", &id), ("state", "typing")],
    )
    .await;
    let (status, _) = app
        .call(
            &ana,
            "set_presence",
            &[("conversation_id", &id), ("state", "left")],
        )
        .await;
    assert_eq!(status, 200);
    let event = bruno_live.next(Duration::from_secs(5)).await.unwrap();
    assert!(event.data.contains("\"state\":\"left\""), "{}", event.data);
    // Nothing of it reached Otto, who has no channel, and he can say nothing there.
    assert!(outsider_live
        .next(Duration::from_millis(800))
        .await
        .is_none());
    let (status, _) = app
        .call(
            &outsider,
            "set_presence",
            &[("conversation_id", &id), ("state", "viewing")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            &ana,
            "set_presence",
            &[("conversation_id", &id), ("state", "dancing")],
        )
        .await;
    assert!((400..500).contains(&status), "{status}");
}
