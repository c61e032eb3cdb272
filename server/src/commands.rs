//! The operator commands besides `serve` (`confab tokens …`, `confab channels …`): each
//! opens the database, does one thing and prints the result.

use crate::channels::webhook_url;
use crate::settings::Settings;
use app::channels::credentials::Credentials;
use app::channels::ChannelKind;
use app::ids::ChannelId;
use app::store::Db;

/// Connects a channel; returns its id and the webhook URL to give the provider.
pub async fn add_channel(
    settings: &Settings,
    kind: ChannelKind,
    name: &str,
    pairs: &[(String, String)],
    human_agent: bool,
) -> Result<(ChannelId, String), String> {
    let credentials = Credentials::parse(kind, pairs).map_err(|e| e.to_string())?;
    let key = settings.load_secret_key()?;
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let id =
        app::channels::store::create_connected(&db, &key, kind, name, &credentials, human_agent)
            .await
            .map_err(|e| e.to_string())?;
    app::channels::store::grant_to_owners(&db, id)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    Ok((id, webhook_url(&settings.public_url, kind, id)))
}

/// One line per channel: id, kind, status, name, provider id, webhook URL.
pub async fn list_channels(settings: &Settings) -> Result<Vec<String>, String> {
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let rows = app::channels::store::all_with_external_ids(&db)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    Ok(rows
        .into_iter()
        .map(|(c, external)| {
            let status = match c.status {
                app::channels::ChannelStatus::Connected => "connected",
                app::channels::ChannelStatus::SyncLost => "sync_lost",
                app::channels::ChannelStatus::Disconnected => "disconnected",
            };
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                c.id.0,
                c.kind.as_str(),
                status,
                c.display_name,
                external,
                webhook_url(&settings.public_url, c.kind, c.id)
            )
        })
        .collect())
}

/// A consistent copy of the live SQLite database at `target` (`VACUUM INTO`: one
/// transaction, taken while Confab keeps serving). Refuses to overwrite a file.
pub async fn backup(settings: &Settings, target: &std::path::Path) -> Result<u64, String> {
    if app::store::Backend::from_url(&settings.database_url).map_err(|e| e.to_string())?
        != app::store::Backend::Sqlite
    {
        return Err("backup copies SQLite databases; use pg_dump for PostgreSQL".into());
    }
    if target.exists() {
        return Err(format!(
            "{} exists already; choose a new file",
            target.display()
        ));
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return Err(format!("the folder {} does not exist", dir.display()));
    }
    let target_text = target
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", target.display()))?;
    // The copy holds every conversation: the file is made empty and private first, and
    // SQLite writes into it (`VACUUM INTO` takes an empty file and keeps its mode).
    create_private(target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists already; choose a new file", target.display())
        } else {
            format!("cannot create {}: {e}", target.display())
        }
    })?;
    let copied = async {
        let db = Db::connect(&settings.database_url)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let done = sqlx::query("VACUUM INTO $1")
            .bind(target_text)
            .execute(&db.write)
            .await
            .map_err(|e| format!("the backup failed: {e}"));
        db.close().await;
        done
    }
    .await;
    if let Err(err) = copied {
        // An empty or half-written file must not pass for a backup.
        let _ = std::fs::remove_file(target);
        return Err(err);
    }
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// A new file only its owner may read and write (0600 from its creation: never a moment
/// with the umask's wider mode); fails when `path` exists.
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Applies the migrations the database has not had yet.
pub async fn migrate(settings: &Settings) -> Result<(), String> {
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    db.close().await;
    Ok(())
}

/// Writes every row to a new `target` file (`app::transfer`), readable by its owner only.
/// Returns the row count.
pub async fn export(settings: &Settings, target: &std::path::Path) -> Result<u64, String> {
    let mut file = create_private(target).map_err(|e| {
        format!(
            "cannot create {}: {e} (choose a new file)",
            target.display()
        )
    })?;
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut out = std::io::BufWriter::new(&mut file);
    let rows = app::transfer::export(&db, &mut out).await;
    drop(out);
    db.close().await;
    match rows {
        Ok(rows) => Ok(rows),
        Err(err) => {
            // Half an export must not pass for a whole one.
            let _ = std::fs::remove_file(target);
            Err(format!("the export failed: {err}"))
        }
    }
}

/// Reads the export `source` into the (new, empty) database. Returns the row count.
pub async fn import(settings: &Settings, source: &std::path::Path) -> Result<u64, String> {
    let file = std::fs::File::open(source)
        .map_err(|e| format!("cannot open {}: {e}", source.display()))?;
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let rows = app::transfer::import(&db, std::io::BufReader::new(file)).await;
    db.close().await;
    rows.map_err(|e| format!("nothing was imported: {e}"))
}
