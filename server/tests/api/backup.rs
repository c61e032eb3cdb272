//! `confab backup`: a consistent copy of the running database.

use crate::helpers::{on_postgres, spawn_app};
use confab::settings::Settings;

#[tokio::test]
async fn a_backup_of_the_running_database_holds_everything_and_opens() {
    if on_postgres() {
        // PostgreSQL has its own tools (pg_dump); the refusal is tested below.
        return;
    }
    let app = spawn_app().await;
    for i in 0..20 {
        let response = app
            .lead_writes(
                "lead-backup-01",
                &format!("msg-backup-{i:04}"),
                &format!("message {i}"),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let url = app.database_url.clone();
    let settings = Settings::from_lookup(|key| match key {
        "CONFAB_DATABASE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let bytes = confab::commands::backup(&settings, &file).await.unwrap();
    assert!(bytes > 0);
    let copy = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let in_copy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&copy)
        .await
        .unwrap();
    assert_eq!(in_copy, app.count("SELECT COUNT(*) FROM messages").await);
    // A backup never overwrites a file, and says why.
    let again = confab::commands::backup(&settings, &file)
        .await
        .unwrap_err();
    assert!(again.contains("exists"), "{again}");
    let nowhere = confab::commands::backup(&settings, &dir.path().join("no/such/dir/b.db"))
        .await
        .unwrap_err();
    assert!(nowhere.contains("does not exist"), "{nowhere}");
}

#[tokio::test]
async fn backup_of_a_postgresql_database_points_to_pg_dump() {
    let settings = Settings::from_lookup(|key| match key {
        "CONFAB_DATABASE_URL" => Some("postgres://confab@127.0.0.1:1/confab".into()),
        _ => None,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let refused = confab::commands::backup(&settings, &dir.path().join("b.db"))
        .await
        .unwrap_err();
    assert!(refused.contains("pg_dump"), "{refused}");
}
