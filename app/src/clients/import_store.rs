//! The SQL of the CSV import and export (`super::import` plans, this writes): existing
//! clients looked up in bulk (a few queries whatever the file's size), then one transaction
//! for the whole import. Imported clients are shared with the team.

use super::import::{self, Column, Existing, ImportReport, Plan};
use super::store::{phones_of, row_to_client, visible_sql, CLIENT_COLUMNS};
use super::Client;
use crate::i18n::Locale;
use crate::ids::EmployeeId;
use crate::integrations::IntegrationEvent;
use crate::store::{now_ms, Db, SqlBuilder, StoreResult};
use sqlx::Row;
use std::collections::HashMap;

/// Binds per lookup query (well under both backends' limits).
const CHUNK: usize = 500;

/// The clients the employee sees that have one of these phones or emails.
pub async fn existing(
    db: &Db,
    employee: EmployeeId,
    phones: &[String],
    emails: &[String],
) -> StoreResult<Vec<Existing>> {
    let mut ids: Vec<i64> = Vec::new();
    for (column, values) in [("phone", phones), ("email", emails)] {
        for chunk in values.chunks(CHUNK) {
            // The employee's id is the first placeholder, used by the visibility clause.
            let mut sql = SqlBuilder::new("SELECT DISTINCT c.id FROM (SELECT ");
            sql.push_bind(employee.0)
                .push(" AS me) v CROSS JOIN clients c ");
            if column == "phone" {
                sql.push("JOIN client_phones p ON p.client_id = c.id WHERE p.phone IN (");
            } else {
                sql.push("WHERE c.email IN (");
            }
            for (i, v) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push_bind(v.clone());
            }
            sql.push(") AND ");
            sql.push(&visible_sql("c", "v.me", true));
            for row in sql.build().fetch_all(&db.read).await? {
                ids.push(row.get("id"));
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut sql =
            SqlBuilder::new("SELECT id, email, notes, address FROM clients WHERE id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_bind(*id);
        }
        sql.push(") ORDER BY id");
        let rows = sql.build().fetch_all(&db.read).await?;
        let mut phones = phones_of(db, chunk).await?;
        for r in rows {
            let id: i64 = r.get("id");
            out.push(Existing {
                id,
                email: r.get("email"),
                notes: r.get("notes"),
                address: r.get("address"),
                phones: phones.remove(&id).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// Imports the file's text with the owner's columns: checks, plans and writes in one
/// transaction. Refusals of the file itself are `Invalid` (field `file` or `columns`).
pub async fn import(
    db: &Db,
    employee: EmployeeId,
    locale: Locale,
    text: &str,
    columns: &[Column],
) -> StoreResult<ImportReport> {
    let table = import::read_table(text).map_err(|e| invalid(e.into_app_error(locale)))?;
    import::check_columns(locale, &table.header, columns).map_err(invalid)?;
    let (rows, refused) = import::check_rows(locale, db.country, &table, columns);
    let (phones, emails) = import::lookup_keys(&rows);
    let existing = existing(db, employee, &phones, &emails).await?;
    let plan = import::plan(rows, &existing);
    let (created, updated, unchanged) = apply(db, employee, &plan).await?;
    tracing::info!(employee = %employee, created, updated, unchanged, refused = refused.len(), "clients imported from CSV");
    Ok(ImportReport {
        created,
        updated,
        unchanged,
        refused,
    })
}

fn invalid(err: crate::error::AppError) -> crate::store::StoreError {
    match err {
        crate::error::AppError::Validation { field, message } => {
            crate::store::StoreError::Invalid {
                field: if field == "columns" {
                    "columns"
                } else {
                    "file"
                },
                message,
            }
        }
        other => crate::store::StoreError::Invalid {
            field: "file",
            message: other.to_string(),
        },
    }
}

fn client_json(
    id: i64,
    name: Option<&str>,
    fields: &[(&str, Option<&str>)],
    phones: &[(String, import::PhoneLabel)],
) -> serde_json::Value {
    let mut v = serde_json::json!({ "id": id, "source": "csv_import" });
    if let Some(name) = name {
        v["name"] = name.into();
    }
    for (k, value) in fields {
        if let Some(value) = value {
            v[*k] = (*value).into();
        }
    }
    v["phones"] = phones
        .iter()
        .map(|(p, l)| serde_json::json!({ "phone": p, "label": l.as_str() }))
        .collect();
    v
}

/// Writes the plan: creates, fills and adds phones, with history rows and integration
/// events, in one transaction. Returns (created, updated, unchanged).
pub async fn apply(
    db: &Db,
    employee: EmployeeId,
    plan: &Plan,
) -> StoreResult<(usize, usize, usize)> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let mut new_phones: Vec<(i64, String, &'static str)> = Vec::new();
    let mut history: Vec<(i64, &'static str, String)> = Vec::new();
    // Read once: a file of 10,000 lines queues up to 10,000 events.
    let listeners = crate::integrations::outbox::Listeners::load(&mut tx).await?;
    for c in &plan.create {
        let id = super::edit_store::insert_shared(
            &mut tx,
            &c.name,
            [&c.email, &c.address, &c.notes],
            now,
        )
        .await?;
        new_phones.extend(c.phones.iter().map(|(p, l)| (id, p.clone(), l.as_str())));
        history.push((
            id,
            "imported",
            serde_json::json!({ "lines": c.lines }).to_string(),
        ));
        listeners
            .enqueue(
                &mut tx,
                IntegrationEvent::ClientCreated,
                &client_json(
                    id,
                    Some(&c.name),
                    &[
                        ("email", c.email.as_deref()),
                        ("address", c.address.as_deref()),
                        ("notes", c.notes.as_deref()),
                    ],
                    &c.phones,
                ),
            )
            .await?;
    }
    let (mut updated, mut unchanged) = (0, 0);
    for u in &plan.update {
        if !u.changes_something() {
            unchanged += 1;
            continue;
        }
        updated += 1;
        sqlx::query(
            "UPDATE clients SET email = COALESCE($2, email), notes = COALESCE($3, notes),
                    address = COALESCE($4, address), updated_at = $5 WHERE id = $1",
        )
        .bind(u.id)
        .bind(&u.email)
        .bind(&u.notes)
        .bind(&u.address)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        new_phones.extend(u.phones.iter().map(|(p, l)| (u.id, p.clone(), l.as_str())));
        history.push((
            u.id,
            "updated",
            serde_json::json!({ "fields": u.fields(), "source": "csv_import", "lines": u.lines })
                .to_string(),
        ));
        listeners
            .enqueue(
                &mut tx,
                IntegrationEvent::ClientUpdated,
                &client_json(
                    u.id,
                    None,
                    &[
                        ("email", u.email.as_deref()),
                        ("address", u.address.as_deref()),
                        ("notes", u.notes.as_deref()),
                    ],
                    &u.phones,
                ),
            )
            .await?;
    }
    for chunk in new_phones.chunks(CHUNK / 3) {
        let mut sql =
            SqlBuilder::new("INSERT INTO client_phones (client_id, phone, label) VALUES ");
        for (i, (id, phone, label)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .push_bind(*id)
                .push(", ")
                .push_bind(phone.clone())
                .push(", ")
                .push_bind(*label)
                .push(")");
        }
        sql.build().execute(&mut *tx).await?;
    }
    for chunk in history.chunks(CHUNK / 5) {
        let mut sql = SqlBuilder::new(
            "INSERT INTO client_history (client_id, at, employee_id, what, detail) VALUES ",
        );
        for (i, (id, what, detail)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .push_bind(*id)
                .push(", ")
                .push_bind(now)
                .push(", ")
                .push_bind(employee.0)
                .push(", ")
                .push_bind(*what)
                .push(", ")
                .push_bind(detail.clone())
                .push(")");
        }
        sql.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok((plan.create.len(), updated, unchanged))
}

/// Every client the employee sees whose name, email or phone contains `text` (all of them
/// without it), A–Z: the Clients list as filtered, for the CSV export.
pub async fn export(db: &Db, employee: EmployeeId, text: Option<&str>) -> StoreResult<Vec<Client>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let like = text.map(crate::store::like_pattern);
    let phone_like = text.and_then(|t| {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        (digits.len() >= 3).then(|| format!("%{digits}%"))
    });
    let like_op = db.backend.ilike();
    let rows = sqlx::query(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c
          WHERE ($1 IS NULL OR c.name {like_op} $1 ESCAPE '\\' OR c.email {like_op} $1 ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM client_phones p WHERE p.client_id = c.id AND p.phone LIKE $2))
            AND {}
          ORDER BY c.name, c.id",
        visible_sql("c", "$3", true)
    ))
    .bind(&like)
    .bind(&phone_like)
    .bind(employee.0)
    .fetch_all(&db.read)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut phones: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        phones.extend(phones_of(db, chunk).await?);
    }
    Ok(rows
        .iter()
        .map(|r| row_to_client(r, &mut phones, db.country))
        .collect())
}
