//! Retention keeps the newest 500 messages of each conversation and removes the older
//! ones with their media files; nothing else is touched.

use crate::helpers::spawn_app;
use confab::workers::retention::{prune_once, KEEP_MESSAGES};

/// Adds `count` inbound messages to a lead's conversation; every 4th carries a stored file.
async fn fill(app: &crate::helpers::TestApp, lead: &str, count: i64) -> (i64, Vec<String>) {
    app.lead_writes(lead, &format!("msg-{lead}-first"), "first")
        .await;
    let conversation = app.conversation_of(lead).await;
    let channel = app.sandbox_channel().await;
    let mut files = Vec::new();
    let mut tx = app.db.write.begin().await.unwrap();
    for i in 0..count - 1 {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at)
             VALUES ($1, $2, 'inbound', $3, $4, 'received', $5) RETURNING id",
        )
        .bind(conversation)
        .bind(channel)
        .bind(format!("{lead}-{i}"))
        .bind(format!("{lead} message number{i}"))
        .bind(1_700_000_000_000i64 + i)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        if i % 4 == 0 {
            let key = format!("{lead}/{i}.jpg");
            sqlx::query(
                "INSERT INTO attachments (message_id, kind, mime, size_bytes, storage_key, status, created_at)
                 VALUES ($1, 'image', 'image/jpeg', 3, $2, 'stored', 0)",
            )
            .bind(id)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .unwrap();
            let path = app.media_dir.join(&key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"jpg").unwrap();
            files.push(key);
        }
    }
    tx.commit().await.unwrap();
    (conversation, files)
}

#[tokio::test]
async fn a_conversation_of_600_keeps_its_newest_500_and_their_files() {
    let app = spawn_app().await;
    let (big, big_files) = fill(&app, "lead-retention-big", 600).await;
    let (small, small_files) = fill(&app, "lead-retention-small", 20).await;
    let newest_500: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 500",
    )
    .bind(big)
    .fetch_all(&app.db.read)
    .await
    .unwrap();
    let other_messages = app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id <> {big}"
        ))
        .await;

    let report = prune_once(&app.db, &app.media_dir, KEEP_MESSAGES)
        .await
        .unwrap();
    assert_eq!((report.conversations, report.messages), (1, 100));

    let kept: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id DESC")
            .bind(big)
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    assert_eq!(kept, newest_500, "exactly the newest 500 remain");
    let oldest_kept = *kept.last().unwrap();
    // Files of pruned messages are gone; files of kept messages and of others remain.
    let mut removed = 0;
    for key in &big_files {
        let still_referenced = app
            .count(&format!(
                "SELECT COUNT(*) FROM attachments WHERE storage_key = '{key}'"
            ))
            .await;
        let exists = app.media_dir.join(key).exists();
        assert_eq!(exists, still_referenced == 1, "{key}");
        removed += usize::from(!exists);
    }
    assert_eq!(removed, report.files);
    assert!(removed > 0);
    assert!(small_files.iter().all(|k| app.media_dir.join(k).exists()));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id <> {big}"
        ))
        .await,
        other_messages,
        "nothing else is touched"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = {small}"
        ))
        .await,
        20
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.id < {oldest_kept} AND m.conversation_id = {big}")).await,
        0
    );
    // Search forgets pruned text; the conversation says its history was pruned.
    let fts = app
        .count(if crate::helpers::on_postgres() {
            "SELECT COUNT(*) FROM messages WHERE search @@ to_tsquery('simple', 'number0')"
        } else {
            "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '\"number0\"'"
        })
        .await;
    assert_eq!(
        fts, 1,
        "only the small conversation's message number0 is left in the index"
    );
    let agent = app.signed_in_agent().await;
    let (_, detail) = app
        .call(&agent, "get_conversation", &[("id", &big.to_string())])
        .await;
    assert!(detail["history_pruned_at"].as_i64().is_some());

    // A second pass has nothing to do.
    let again = prune_once(&app.db, &app.media_dir, KEEP_MESSAGES)
        .await
        .unwrap();
    assert_eq!(again.messages, 0);
}
