//! Moving a business between databases (`confab export` / `confab import`): every row of
//! every table, ids included, as JSON lines that read the same whichever backend wrote
//! them, so SQLite → PostgreSQL (or back) keeps every message, conversation and event.
//!
//! The file: a header line, then per table a line naming it and its columns followed by
//! one JSON array per row, then an end line with the row count (a cut-off file is refused).
//!
//! Sessions are not moved: they are sign-ins to one server, and an export is a file that
//! travels (everyone signs in again after an import). Exports made before this kept a
//! `sessions` table; an import skips it.

use crate::store::{Backend, Db, StoreError, StoreResult};
use futures::TryStreamExt;
use serde_json::{json, Value};
use sqlx::{Any, Row};
use std::io::{BufRead, Write};

/// Every table, parents before children (the order an import inserts in).
pub const TABLES: &[&str] = &[
    "roles",
    "employees",
    "api_tokens",
    "channels",
    "channel_access",
    "clients",
    "client_phones",
    "client_history",
    "contacts",
    "conversations",
    "unread_marks",
    "documents",
    "calls",
    "messages",
    "attachments",
    "events",
    "audit_entries",
    "notes",
    "note_mentions",
    "practice_leads",
    "practice_messages",
    "webhook_subscriptions",
    "saved_replies",
];

/// Tables never exported: sign-ins to one server, one-time setup codes, sign-in attempts
/// (secrets or short-lived records, none of them the business's data). Every other table
/// is in [`TABLES`] (a test holds every table of the schema to one of the two lists).
pub const NOT_EXPORTED: &[&str] = &[
    "sessions",
    "setup_codes",
    "login_attempts",
    // Statuses waiting minutes for their message's provider id: nothing to carry over.
    "pending_statuses",
    // Idempotency keys of API requests, kept a day: answers to replay, not business data.
    "api_idempotency_keys",
    // The webhook outbox and delivery log: sent by the server that queued them (a copy
    // would deliver them twice); the subscriptions themselves are exported.
    "webhook_deliveries",
];

/// Tables keyed by a pair of columns (no `id`): exported in the order of that key.
const PAIR_KEYED: &[(&str, &str)] = &[
    ("channel_access", "channel_id, employee_id"),
    ("unread_marks", "employee_id, conversation_id"),
    ("note_mentions", "note_id, employee_id"),
    ("practice_leads", "channel_id, address"),
];

/// Tables an older export may hold that an import skips (see the module's comment).
const SKIPPED_ON_IMPORT: &[&str] = &["sessions"];

const FORMAT: &str = "confab-export";
const VERSION: i64 = 1;

/// A column as both backends store it: whole numbers or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Integer,
    Text,
}

/// The stored columns of `table` (not PostgreSQL's generated search column), by name.
async fn columns(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
) -> StoreResult<Vec<(String, ColumnType)>> {
    let rows: Vec<(String, String)> = match backend {
        Backend::Sqlite => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY name")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
                  ORDER BY column_name",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    if rows.is_empty() {
        return Err(StoreError::Other(format!("the table {table} is missing")));
    }
    Ok(rows
        .into_iter()
        .map(|(name, kind)| {
            let kind = if kind.to_ascii_lowercase().contains("int") {
                ColumnType::Integer
            } else {
                ColumnType::Text
            };
            (name, kind)
        })
        .collect())
}

/// Writes the whole database to `out`, from one consistent snapshot. Returns the rows
/// written.
pub async fn export(db: &Db, out: &mut impl Write) -> StoreResult<u64> {
    let mut tx = db.read.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let io = |e: std::io::Error| StoreError::Other(format!("cannot write the export: {e}"));
    writeln!(out, "{}", json!({"format": FORMAT, "version": VERSION})).map_err(io)?;
    let mut total = 0u64;
    for table in TABLES {
        let columns = columns(&mut tx, db.backend, table).await?;
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        writeln!(out, "{}", json!({"table": table, "columns": names})).map_err(io)?;
        let order = PAIR_KEYED
            .iter()
            .find(|(t, _)| t == table)
            .map_or("id", |(_, key)| *key);
        let sql = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let values: Vec<Value> = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| read_value(&row, i, *kind))
                .collect::<StoreResult<_>>()?;
            writeln!(out, "{}", Value::Array(values)).map_err(io)?;
            total += 1;
        }
    }
    writeln!(out, "{}", json!({"end": true, "rows": total})).map_err(io)?;
    out.flush().map_err(io)?;
    tx.rollback().await?;
    Ok(total)
}

fn read_value(row: &sqlx::any::AnyRow, i: usize, kind: ColumnType) -> StoreResult<Value> {
    Ok(match kind {
        ColumnType::Integer => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Value::Null, Value::from),
        ColumnType::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Value::Null, Value::from),
    })
}

/// Reads an export into `db`, which must hold no data yet (a fresh database after its
/// migrations), in one transaction: all of it or nothing. Returns the rows imported.
pub async fn import(db: &Db, input: impl BufRead) -> StoreResult<u64> {
    let invalid = |message: String| StoreError::Invalid {
        field: "export file",
        message,
    };
    let mut lines = input.lines().enumerate();
    let mut next_line = move || -> StoreResult<Option<(usize, Value)>> {
        match lines.next() {
            None => Ok(None),
            Some((n, line)) => {
                let line =
                    line.map_err(|e| StoreError::Other(format!("cannot read the export: {e}")))?;
                let value = serde_json::from_str(&line)
                    .map_err(|e| invalid(format!("line {}: {e}", n + 1)))?;
                Ok(Some((n + 1, value)))
            }
        }
    };
    match next_line()? {
        Some((_, header)) if header["format"] == FORMAT && header["version"] == VERSION => {}
        _ => {
            return Err(invalid(format!(
                "not a Confab export (version {VERSION}): the first line must name the format"
            )))
        }
    }
    let mut tx = db.write.begin().await?;
    for table in TABLES {
        let existing: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if existing > 0 {
            return Err(StoreError::Conflict(format!(
                "the target database has data already ({table}); import into a new, empty one"
            )));
        }
    }
    // Every row line of the file (what its end line counts), and the rows imported.
    let mut total = 0u64;
    let mut imported = 0u64;
    let mut pending = next_line()?;
    for table in TABLES {
        // A table an import skips: its rows are counted, not read.
        while let Some((_, header)) = &pending {
            if !header["table"]
                .as_str()
                .is_some_and(|t| SKIPPED_ON_IMPORT.contains(&t))
            {
                break;
            }
            loop {
                pending = next_line()?;
                match &pending {
                    Some((_, Value::Array(_))) => total += 1,
                    _ => break,
                }
            }
        }
        let Some((n, header)) = pending.take() else {
            return Err(invalid(format!("the file ends before the table {table}")));
        };
        if header["table"] != *table {
            return Err(invalid(format!("line {n}: expected the table {table}")));
        }
        let target = columns(&mut tx, db.backend, table).await?;
        let named: Vec<String> = header["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let kinds: Vec<ColumnType> = named
            .iter()
            .map(|name| {
                target
                    .iter()
                    .find(|(t, _)| t == name)
                    .map(|(_, kind)| *kind)
                    .ok_or_else(|| invalid(format!("line {n}: {table} has no column {name}")))
            })
            .collect::<StoreResult<_>>()?;
        let mut batch: Vec<Vec<Value>> = Vec::new();
        let rows_per_insert = (2000 / kinds.len().max(1)).max(1);
        loop {
            pending = next_line()?;
            match &pending {
                Some((n, Value::Array(values))) => {
                    if values.len() != kinds.len() {
                        return Err(invalid(format!(
                            "line {n}: {} values for {} columns",
                            values.len(),
                            kinds.len()
                        )));
                    }
                    batch.push(values.clone());
                    total += 1;
                    imported += 1;
                    if batch.len() == rows_per_insert {
                        insert(&mut tx, table, &named, &kinds, &batch).await?;
                        batch.clear();
                    }
                }
                _ => break,
            }
        }
        if !batch.is_empty() {
            insert(&mut tx, table, &named, &kinds, &batch).await?;
        }
    }
    match pending {
        Some((_, end)) if end["end"] == true && end["rows"] == total => {}
        _ => {
            return Err(invalid(
                "the file is cut off or altered: its end line is missing or counts other rows"
                    .into(),
            ))
        }
    }
    if db.backend == Backend::Postgres {
        // Ids were inserted as they were: new rows continue after the highest.
        for table in TABLES
            .iter()
            .filter(|t| !PAIR_KEYED.iter().any(|(keyed, _)| keyed == *t))
        {
            sqlx::query(&format!(
                "SELECT 1 FROM (SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                              (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)) s"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(imported)
}

async fn insert(
    tx: &mut sqlx::Transaction<'static, Any>,
    table: &str,
    columns: &[String],
    kinds: &[ColumnType],
    rows: &[Vec<Value>],
) -> StoreResult<()> {
    let mut sql = crate::store::SqlBuilder::new(format!(
        "INSERT INTO {table} ({}) VALUES ",
        columns.join(", ")
    ));
    for (r, row) in rows.iter().enumerate() {
        sql.push(if r == 0 { "(" } else { ", (" });
        for (i, (value, kind)) in row.iter().zip(kinds).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            match (kind, value) {
                (ColumnType::Integer, Value::Null) => sql.push_bind(None::<i64>),
                (ColumnType::Integer, Value::Number(n)) if n.is_i64() => sql.push_bind(n.as_i64()),
                (ColumnType::Text, Value::Null) => sql.push_bind(None::<String>),
                (ColumnType::Text, Value::String(s)) => sql.push_bind(Some(s.clone())),
                _ => {
                    return Err(StoreError::Invalid {
                        field: "export file",
                        message: format!("{table}.{}: {value} is not a {kind:?} value", columns[i]),
                    })
                }
            };
        }
        sql.push(")");
    }
    sql.build().execute(&mut **tx).await?;
    Ok(())
}
