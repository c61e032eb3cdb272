//! Several `confab` processes on one PostgreSQL database (run by the PostgreSQL pass of
//! the suite, `CONFAB_TEST_BACKEND=postgres`): live events cross from one process to the
//! other's streams, a stream resumes at either process, and replies queued through both
//! are sent once each, also when one process is killed with SIGKILL halfway.

use crate::crash::{
    check_replies, connect_channel, deliver_webhook, free_port, handed_over, pending_replies,
    queue_replies_at, replies, Setup,
};
use crate::events::{body_of, SseReader};
use crate::fake_provider::{FakeProvider, Fault};
use crate::helpers::{eventually, on_postgres, signed_in_at, spawn_app};
use app::store::Db;
use std::time::Duration;

const REPLIES: usize = 1_000;
const LEADS: usize = 40;
const PROVIDER_DELAY_MS: u64 = 10;

/// Reads `stream` until a message with `body` arrives; returns its event id.
async fn wait_for_body(stream: &mut SseReader, body: &str) -> Option<i64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        let event = stream.next(Duration::from_secs(15)).await?;
        if event.kind == "message_created" && body_of(&event) == body {
            return event.id;
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_live_events_and_send_each_reply_once() {
    if !on_postgres() {
        eprintln!("runs in the PostgreSQL pass of the suite (CONFAB_TEST_BACKEND=postgres)");
        return;
    }
    let fake = FakeProvider::start().await;
    fake.always("", Fault::Delay(Duration::from_millis(PROVIDER_DELAY_MS)));
    let mut setup = Setup::new(&fake.url);
    // A short provider timeout keeps the lease of a killed process's reply short.
    setup
        .env
        .push(("CONFAB_PROVIDER_TIMEOUT_SECS".into(), "2".into()));
    let a = setup.start(1).await;
    let port_b = free_port();
    let b = setup.start_on(2, port_b).await;
    let (address_a, address_b) = (setup.address(), format!("http://127.0.0.1:{port_b}"));
    let channel = connect_channel(&setup.database_url()).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let webhook_url = |address: &str| format!("{address}/webhooks/messenger/{channel}");

    // A lead's message posted to A reaches an employee's stream on B.
    let owner_b = signed_in_at(
        &address_b,
        app::demo::OWNER_EMAIL,
        app::demo::OWNER_PASSWORD,
    )
    .await;
    let mut stream_b = SseReader::open_at(&address_b, &owner_b, None).await;
    deliver_webhook(&http, &webhook_url(&address_a), 200_000).await;
    let first = wait_for_body(&mut stream_b, "message 200000").await;
    let first = first.expect("the message posted to A never reached B's stream");

    // A stream that stopped after that event resumes at the other process: what B
    // stored meanwhile is replayed by A.
    drop(stream_b);
    deliver_webhook(&http, &webhook_url(&address_b), 200_001).await;
    let owner_a = signed_in_at(
        &address_a,
        app::demo::OWNER_EMAIL,
        app::demo::OWNER_PASSWORD,
    )
    .await;
    let mut resumed_a = SseReader::open_at(&address_a, &owner_a, Some(first)).await;
    assert!(
        wait_for_body(&mut resumed_a, "message 200001")
            .await
            .is_some(),
        "resuming at A after event {first} missed the message B stored"
    );

    // Every lead writes first (through either process): their reply windows are open.
    for lead in 0..LEADS {
        let address = if lead % 2 == 0 {
            &address_a
        } else {
            &address_b
        };
        deliver_webhook(&http, &webhook_url(address), 100_000 + lead).await;
    }
    // Replies queued through both processes at once.
    tokio::join!(
        queue_replies_at(&setup, &address_a, 0..REPLIES / 2),
        queue_replies_at(&setup, &address_b, REPLIES / 2..REPLIES),
    );

    // A is killed halfway, the moment one of its replies has just reached the provider.
    let halfway = eventually(Duration::from_secs(120), || {
        let handed: usize = handed_over(&fake).values().sum();
        async move { handed >= REPLIES / 2 }
    })
    .await;
    assert!(halfway, "sending stalled: {}", a.log_tail());
    a.kill();
    let handed_at_kill: usize = handed_over(&fake).values().sum();
    println!("A killed with {handed_at_kill} of {REPLIES} replies handed over");
    assert!(
        handed_at_kill < REPLIES,
        "every reply was sent before the kill"
    );

    // B sends the rest, and gives up A's reply that was in flight once its lease ends.
    let db = Db::connect(&setup.database_url()).await.unwrap();
    let drained = eventually(Duration::from_secs(180), || async {
        pending_replies(&db).await == 0
    })
    .await;
    assert!(drained, "replies still pending: {}", b.log_tail());
    assert_eq!(
        replies(&db).await.len(),
        REPLIES,
        "every queued reply is stored"
    );
    let interrupted = check_replies(&db, &fake).await;
    println!("{interrupted} reply interrupted by the kill");
    // A delivers a channel's replies one at a time: at most one was in its hands.
    assert!(
        interrupted <= 1,
        "{interrupted} replies interrupted by one kill"
    );
    assert!(
        handed_over(&fake).values().all(|times| *times == 1),
        "a reply reached the provider twice"
    );
    db.close().await;
}

#[tokio::test]
async fn the_relay_listens_again_after_its_connection_drops_and_misses_nothing() {
    if !on_postgres() {
        eprintln!("runs in the PostgreSQL pass of the suite (CONFAB_TEST_BACKEND=postgres)");
        return;
    }
    let app = spawn_app().await;
    let agent = app.signed_in_agent().await;
    let mut stream = SseReader::open(&app, &agent, None).await;
    app.lead_writes("lead-relay-1", "msg-relay-1", "before the drop")
        .await;
    assert!(wait_for_body(&mut stream, "before the drop")
        .await
        .is_some());

    // The server ends the relay's listening connection (as a restart or a network cut
    // would); a message stored right after must still reach the stream.
    let schema = app.schema().unwrap().to_owned();
    let ended: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query LIKE 'LISTEN%' AND query LIKE '%confab_events_' || $1 || '%') t",
    )
    .bind(&schema)
    .fetch_one(&app.db.read)
    .await
    .unwrap();
    assert_eq!(ended, 1, "the relay's listening connection was not found");
    app.lead_writes("lead-relay-1", "msg-relay-2", "right after the drop")
        .await;
    assert!(
        wait_for_body(&mut stream, "right after the drop")
            .await
            .is_some(),
        "a message stored while the relay was reconnecting never reached the stream"
    );
    // And it listens again (then the next message comes by notification).
    let listening = eventually(Duration::from_secs(10), || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pg_stat_activity
              WHERE query LIKE 'LISTEN%' AND query LIKE '%confab_events_' || $1 || '%'",
        )
        .bind(&schema)
        .fetch_one(&app.db.read)
        .await
        .unwrap()
            == 1
    })
    .await;
    assert!(listening, "the relay did not listen again");
    app.lead_writes("lead-relay-1", "msg-relay-3", "after reconnecting")
        .await;
    assert!(wait_for_body(&mut stream, "after reconnecting")
        .await
        .is_some());
}
