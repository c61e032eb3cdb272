//! `confab export` / `confab import`: a business moves from SQLite to PostgreSQL (and
//! back) without losing a row. Runs in the PostgreSQL pass of the suite.

use crate::channels::KEY;
use crate::helpers::{on_postgres, TestSchema};
use app::store::Db;
use std::path::Path;
use std::process::Command;

const CONVERSATIONS: i64 = 100;
const MESSAGES_EACH: i64 = 100;

/// Runs `confab ARGS` on the database `url`; returns (success, stderr).
fn confab(url: &str, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CONFAB_DATABASE_URL", url)
        .env("CONFAB_SECRET_KEY", KEY)
        .env("CONFAB_MEDIA_DIR", dir.join("media"))
        .output()
        .expect("the confab binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo data and a set of 10,000 messages whose text, nulls and numbers test the
/// round trip: quotes, backslashes, new lines, emoji, accents, a NUL-free control char.
async fn source_database(url: &str) {
    let db = Db::connect(url).await.unwrap();
    assert!(app::demo::seed_if_empty(&db).await.unwrap());
    let channel: i64 = sqlx::query_scalar("SELECT id FROM channels WHERE kind = 'sandbox'")
        .fetch_one(&db.read)
        .await
        .unwrap();
    let mut tx = db.write.begin().await.unwrap();
    for c in 0..CONVERSATIONS {
        let at = 1_700_000_000_000 + c * 1_000_000;
        let contact: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (channel_id, external_id, name, phone, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(channel)
        .bind(format!("transfer-lead-{c}"))
        .bind((c % 3 != 0).then(|| format!("Lead «{c}» O'Brien \\ \"quoted\"")))
        .bind((c % 2 == 0).then(|| format!("+55119{c:08}")))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let conversation: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (channel_id, contact_id, last_message_at, unread_count, awaiting_reply, created_at)
             VALUES ($1, $2, $3, $4, $5, $3) RETURNING id",
        )
        .bind(channel)
        .bind(contact)
        .bind(at + MESSAGES_EACH)
        .bind(c % 5)
        .bind(c % 2)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        for m in 0..MESSAGES_EACH {
            let inbound = m % 2 == 0;
            let body = match m % 4 {
                0 => format!("Olá, preciso de um orçamento {c}-{m} 🙂"),
                1 => format!("line one\nline two\t\"{c}\" \\ {m}"),
                2 => String::new(),
                _ => format!("ação rápida {m} \u{1}"),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, error, attempts, created_at, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(conversation)
            .bind(channel)
            .bind(if inbound { "inbound" } else { "outbound" })
            .bind(inbound.then(|| format!("transfer-{c}-{m}")))
            .bind(body)
            .bind(if inbound { "received" } else if m % 10 == 3 { "failed" } else { "sent" })
            .bind((m % 10 == 3).then_some("provider said: \"no\""))
            .bind(m % 3)
            .bind(at + m)
            .bind((!inbound).then_some(at + m + 1))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            if m % 4 == 2 {
                sqlx::query(
                    "INSERT INTO attachments (message_id, kind, mime, size_bytes, file_name, status, created_at)
                     VALUES ($1, 'image', 'image/jpeg', $2, $3, 'stored', $4)",
                )
                .bind(id)
                .bind(1_000 + m)
                .bind(format!("foto {m}.jpg"))
                .bind(at + m)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
    }
    tx.commit().await.unwrap();
    db.close().await;
}

async fn count(url: &str, sql: &str) -> i64 {
    let db = Db::connect(url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&db.read).await.unwrap();
    db.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_keeps_every_row() {
    if !on_postgres() {
        eprintln!("runs in the PostgreSQL pass of the suite (CONFAB_TEST_BACKEND=postgres)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/source.db", dir.path().display());
    source_database(&sqlite).await;
    let messages = count(&sqlite, "SELECT COUNT(*) FROM messages").await;
    assert!(messages >= CONVERSATIONS * MESSAGES_EACH);

    let from_sqlite = dir.path().join("from-sqlite.jsonl");
    let (ok, err) = confab(
        &sqlite,
        dir.path(),
        &["export", from_sqlite.to_str().unwrap()],
    );
    assert!(ok, "export: {err}");
    // An export never overwrites a file.
    let (ok, err) = confab(
        &sqlite,
        dir.path(),
        &["export", from_sqlite.to_str().unwrap()],
    );
    assert!(!ok && err.contains("choose a new file"), "{err}");

    let postgres = TestSchema::create();
    let (ok, err) = confab(
        &postgres.url,
        dir.path(),
        &["import", from_sqlite.to_str().unwrap()],
    );
    assert!(ok, "import: {err}");
    let from_postgres = dir.path().join("from-postgres.jsonl");
    let (ok, err) = confab(
        &postgres.url,
        dir.path(),
        &["export", from_postgres.to_str().unwrap()],
    );
    assert!(ok, "export from PostgreSQL: {err}");
    let (a, b) = (
        std::fs::read_to_string(&from_sqlite).unwrap(),
        std::fs::read_to_string(&from_postgres).unwrap(),
    );
    assert_eq!(a.lines().count(), b.lines().count());
    for (line, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "line {} differs", line + 1);
    }
    assert_eq!(
        count(&postgres.url, "SELECT COUNT(*) FROM messages").await,
        messages
    );

    // The imported database works: search finds imported text, new rows get new ids.
    let db = Db::connect(&postgres.url).await.unwrap();
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE search @@ to_tsquery('simple', confab_fold('orcamento:*'))",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(found, CONVERSATIONS * MESSAGES_EACH / 4);
    let (max_id, new_id): (i64, i64) = {
        let max: i64 = sqlx::query_scalar("SELECT MAX(id) FROM messages")
            .fetch_one(&db.read)
            .await
            .unwrap();
        let new: i64 = sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, channel_id, direction, body, status, created_at)
             SELECT conversation_id, channel_id, 'outbound', 'after the move', 'pending', 1 FROM messages
              WHERE id = $1 RETURNING id",
        )
        .bind(max)
        .fetch_one(&db.write)
        .await
        .unwrap();
        (max, new)
    };
    assert_eq!(new_id, max_id + 1);
    db.close().await;

    // Into a database with data: refused, and nothing changes.
    let (ok, err) = confab(
        &postgres.url,
        dir.path(),
        &["import", from_sqlite.to_str().unwrap()],
    );
    assert!(!ok && err.contains("empty"), "{err}");
    assert_eq!(
        count(&postgres.url, "SELECT COUNT(*) FROM messages").await,
        messages + 1
    );

    // A cut-off file: refused, and nothing is imported.
    let cut = dir.path().join("cut.jsonl");
    let lines: Vec<&str> = a.lines().collect();
    std::fs::write(&cut, lines[..lines.len() / 2].join("\n")).unwrap();
    let empty = TestSchema::create();
    let (ok, err) = confab(&empty.url, dir.path(), &["import", cut.to_str().unwrap()]);
    assert!(!ok && err.contains("nothing was imported"), "{err}");
    assert_eq!(count(&empty.url, "SELECT COUNT(*) FROM messages").await, 0);
    let (ok, err) = confab(
        &empty.url,
        dir.path(),
        &["import", "/nonexistent/export.jsonl"],
    );
    assert!(!ok && err.contains("no such file"), "{err}");

    // And back: PostgreSQL's export into a new SQLite file gives the same export again.
    let back = format!("sqlite://{}/back.db", dir.path().display());
    let (ok, err) = confab(
        &back,
        dir.path(),
        &["import", from_postgres.to_str().unwrap()],
    );
    assert!(ok, "import into SQLite: {err}");
    let again = dir.path().join("again.jsonl");
    let (ok, err) = confab(&back, dir.path(), &["export", again.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        std::fs::read_to_string(&again).unwrap() == a,
        "SQLite → PostgreSQL → SQLite changed rows"
    );
}
