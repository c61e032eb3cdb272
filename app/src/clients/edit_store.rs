//! The SQL of clients kept by hand (`super::edit`): each change in one transaction with its
//! history line and its integration event.

use super::edit::{CheckedClient, ClientRecord, HistoryEntry, PhoneInput, RecordFilter};
use super::import::PhoneLabel;
use super::store::visible_sql;
use crate::ids::{ClientId, EmployeeId};
use crate::integrations::{outbox, IntegrationEvent};
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

fn not_found() -> StoreError {
    StoreError::NotFound(crate::i18n::td_string!(
        crate::locale::request_locale(),
        account.what_client
    ))
}

/// The client's stored fields, when the employee (who holds Documents) sees it.
async fn visible(
    conn: &mut AnyConnection,
    employee: EmployeeId,
    client: ClientId,
) -> StoreResult<CheckedClient> {
    let row = sqlx::query(&format!(
        "SELECT c.name, c.email, c.address, c.notes FROM clients c WHERE c.id = $1 AND {}",
        visible_sql("c", "$2", true)
    ))
    .bind(client.0)
    .bind(employee.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(not_found)?;
    let phones = labelled_phones(&mut *conn, &[client.0])
        .await?
        .remove(&client.0)
        .unwrap_or_default();
    Ok(CheckedClient {
        name: row.get("name"),
        phones,
        email: row.get("email"),
        address: row.get("address"),
        notes: row.get("notes"),
    })
}

/// The numbers of these clients with their labels, in the order they were entered.
async fn labelled_phones(
    conn: &mut AnyConnection,
    clients: &[i64],
) -> StoreResult<HashMap<i64, Vec<(String, PhoneLabel)>>> {
    let mut by_client: HashMap<i64, Vec<(String, PhoneLabel)>> = HashMap::new();
    if clients.is_empty() {
        return Ok(by_client);
    }
    let mut sql = crate::store::SqlBuilder::new(
        "SELECT client_id, phone, label FROM client_phones WHERE client_id IN (",
    );
    for (i, id) in clients.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_bind(*id);
    }
    sql.push(") ORDER BY id");
    for row in sql.build().fetch_all(&mut *conn).await? {
        let label: Option<String> = row.get("label");
        by_client.entry(row.get("client_id")).or_default().push((
            row.get("phone"),
            label
                .as_deref()
                .and_then(PhoneLabel::parse)
                .unwrap_or(PhoneLabel::Other),
        ));
    }
    Ok(by_client)
}

const RECORD_COLUMNS: &str =
    "c.id, c.name, c.email, c.address, c.notes, c.shared, c.created_at, c.updated_at";

/// The records of these rows (of [`RECORD_COLUMNS`]), with their numbers.
async fn to_records(
    conn: &mut AnyConnection,
    rows: &[sqlx::any::AnyRow],
) -> StoreResult<Vec<ClientRecord>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut phones = labelled_phones(conn, &ids).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            ClientRecord {
                id: ClientId(id),
                name: r.get("name"),
                phones: phones
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(phone, label)| PhoneInput {
                        phone,
                        label: label.as_str().to_owned(),
                    })
                    .collect(),
                email: r.get("email"),
                address: r.get("address"),
                notes: r.get("notes"),
                shared: r.get::<i64, _>("shared") != 0,
                created_at: r.get("created_at"),
                updated_at: r.get("updated_at"),
            }
        })
        .collect())
}

/// Clients the employee (who holds Documents) sees, in id order, at most `limit`: the
/// API's list, paged by id so that a page costs the same at any depth.
pub async fn records(
    db: &Db,
    employee: EmployeeId,
    filter: &RecordFilter,
    limit: i64,
) -> StoreResult<Vec<ClientRecord>> {
    let like = db.backend.ilike();
    let digits: String = filter.text.chars().filter(char::is_ascii_digit).collect();
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM clients c
          WHERE c.id > $2 AND c.updated_at >= $3
            AND ($4 = '' OR EXISTS (SELECT 1 FROM client_phones fp WHERE fp.client_id = c.id AND fp.phone = $4))
            AND ($5 = '' OR c.email = $5)
            AND ($6 = '%%' OR c.name {like} $6 ESCAPE '\\' OR c.email {like} $6 ESCAPE '\\'
                 OR ($7 <> '%%' AND EXISTS (SELECT 1 FROM client_phones tp
                                              WHERE tp.client_id = c.id AND tp.phone LIKE $7)))
            AND {}
          ORDER BY c.id LIMIT $8",
        visible_sql("c", "$1", true)
    );
    let mut conn = db.read.acquire().await?;
    let rows = sqlx::query(&sql)
        .bind(employee.0)
        .bind(filter.after_id.unwrap_or(0))
        .bind(filter.updated_since.unwrap_or(i64::MIN))
        .bind(filter.phone.clone().unwrap_or_default())
        .bind(filter.email.clone().unwrap_or_default())
        .bind(crate::store::like_pattern(&filter.text))
        .bind(crate::store::like_pattern(&digits))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    to_records(&mut conn, &rows).await
}

/// One client the employee (who holds Documents) sees.
pub async fn record(db: &Db, employee: EmployeeId, id: ClientId) -> StoreResult<ClientRecord> {
    let mut conn = db.read.acquire().await?;
    let rows = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM clients c WHERE c.id = $1 AND {}",
        visible_sql("c", "$2", true)
    ))
    .bind(id.0)
    .bind(employee.0)
    .fetch_all(&mut *conn)
    .await?;
    to_records(&mut conn, &rows)
        .await?
        .pop()
        .ok_or_else(not_found)
}

async fn write_phones(
    conn: &mut AnyConnection,
    client: ClientId,
    phones: &[(String, super::import::PhoneLabel)],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM client_phones WHERE client_id = $1")
        .bind(client.0)
        .execute(&mut *conn)
        .await?;
    for (phone, label) in phones {
        sqlx::query("INSERT INTO client_phones (client_id, phone, label) VALUES ($1, $2, $3)")
            .bind(client.0)
            .bind(phone)
            .bind(label.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn add_history(
    conn: &mut AnyConnection,
    client: ClientId,
    employee: EmployeeId,
    what: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO client_history (client_id, at, employee_id, what, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(client.0)
    .bind(now_ms())
    .bind(employee.0)
    .bind(what)
    .bind(detail.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What integrations receive about a client.
fn client_json(id: ClientId, client: &CheckedClient) -> serde_json::Value {
    serde_json::json!({
        "id": id.0,
        "name": client.name,
        "email": client.email,
        "address": client.address,
        "notes": client.notes,
        "phones": client.phones.iter().map(|(phone, label)| {
            serde_json::json!({ "phone": phone, "label": label.as_str() })
        }).collect::<Vec<_>>(),
    })
}

/// The names of the fields that differ between two versions of a client.
pub fn changed_fields(before: &CheckedClient, after: &CheckedClient) -> Vec<&'static str> {
    [
        ("name", before.name == after.name),
        ("phones", before.phones == after.phones),
        ("email", before.email == after.email),
        ("address", before.address == after.address),
        ("notes", before.notes == after.notes),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(field, _)| field)
    .collect()
}

/// Inserts a client shared with the team (by hand, the API or a CSV import): its id.
/// `texts` are the email, address and notes.
pub(super) async fn insert_shared(
    conn: &mut AnyConnection,
    name: &str,
    texts: [&Option<String>; 3],
    now: i64,
) -> StoreResult<i64> {
    let [email, address, notes] = texts;
    Ok(sqlx::query_scalar(
        "INSERT INTO clients (name, email, address, notes, created_at, updated_at, shared)
         VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING id",
    )
    .bind(name)
    .bind(email)
    .bind(address)
    .bind(notes)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Creates a client shared with the team.
pub async fn create(
    db: &Db,
    employee: EmployeeId,
    client: &CheckedClient,
) -> StoreResult<ClientId> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let id = ClientId(
        insert_shared(
            &mut tx,
            &client.name,
            [&client.email, &client.address, &client.notes],
            now,
        )
        .await?,
    );
    write_phones(&mut tx, id, &client.phones).await?;
    add_history(&mut tx, id, employee, "created", serde_json::json!({})).await?;
    outbox::enqueue(
        &mut tx,
        IntegrationEvent::ClientCreated,
        client_json(id, client),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces a client's fields; nothing is written when nothing changed.
pub async fn update(
    db: &Db,
    employee: EmployeeId,
    id: ClientId,
    client: &CheckedClient,
) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    let before = visible(&mut tx, employee, id).await?;
    let fields = changed_fields(&before, client);
    if fields.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE clients SET name = $2, email = $3, address = $4, notes = $5, updated_at = $6
          WHERE id = $1",
    )
    .bind(id.0)
    .bind(&client.name)
    .bind(&client.email)
    .bind(&client.address)
    .bind(&client.notes)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if before.phones != client.phones {
        write_phones(&mut tx, id, &client.phones).await?;
    }
    add_history(
        &mut tx,
        id,
        employee,
        "updated",
        serde_json::json!({ "fields": fields }),
    )
    .await?;
    let mut data = client_json(id, client);
    data["changed"] = serde_json::json!(fields);
    outbox::enqueue(&mut tx, IntegrationEvent::ClientUpdated, data).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a client; contacts, documents and calls stay, linked to nobody.
pub async fn delete(db: &Db, employee: EmployeeId, id: ClientId) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    let before = visible(&mut tx, employee, id).await?;
    for table in ["contacts", "documents", "calls"] {
        sqlx::query(&format!(
            "UPDATE {table} SET client_id = NULL WHERE client_id = $1"
        ))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    outbox::enqueue(
        &mut tx,
        IntegrationEvent::ClientDeleted,
        client_json(id, &before),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves everything of `merged` to `kept` and deletes `merged`; `kept` takes the fields it
/// lacks from `merged`, and its history records the merge.
pub async fn merge(
    db: &Db,
    employee: EmployeeId,
    kept: ClientId,
    merged: ClientId,
) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    let mut into = visible(&mut tx, employee, kept).await?;
    let from = visible(&mut tx, employee, merged).await?;
    for (phone, label) in &from.phones {
        if !into.phones.iter().any(|(p, _)| p == phone) {
            into.phones.push((phone.clone(), *label));
        }
    }
    into.email = into.email.or(from.email.clone());
    into.address = into.address.or(from.address.clone());
    into.notes = match (into.notes, &from.notes) {
        (Some(mine), Some(theirs)) if mine != *theirs => Some(format!("{mine}\n{theirs}")),
        (mine, theirs) => mine.or(theirs.clone()),
    };
    sqlx::query(
        "UPDATE clients SET email = $2, address = $3, notes = $4, updated_at = $5,
                shared = CASE WHEN shared <> 0 OR $6 <> 0 THEN 1 ELSE 0 END
          WHERE id = $1",
    )
    .bind(kept.0)
    .bind(&into.email)
    .bind(&into.address)
    .bind(&into.notes)
    .bind(now_ms())
    .bind(i64::from(merged_is_shared(&mut tx, merged).await?))
    .execute(&mut *tx)
    .await?;
    write_phones(&mut tx, kept, &into.phones).await?;
    for table in ["contacts", "documents", "calls", "client_history"] {
        sqlx::query(&format!(
            "UPDATE {table} SET client_id = $1 WHERE client_id = $2"
        ))
        .bind(kept.0)
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    add_history(
        &mut tx,
        kept,
        employee,
        "merged",
        serde_json::json!({ "merged_id": merged.0, "merged_name": from.name }),
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        IntegrationEvent::ClientsMerged,
        serde_json::json!({ "kept": client_json(kept, &into), "merged_id": merged.0 }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn merged_is_shared(conn: &mut AnyConnection, client: ClientId) -> StoreResult<bool> {
    let shared: i64 = sqlx::query_scalar("SELECT shared FROM clients WHERE id = $1")
        .bind(client.0)
        .fetch_one(&mut *conn)
        .await?;
    Ok(shared != 0)
}

/// A client's history, newest first, at most 200 lines.
pub async fn history(
    db: &Db,
    employee: EmployeeId,
    id: ClientId,
) -> StoreResult<Vec<HistoryEntry>> {
    let mut conn = db.read.acquire().await?;
    visible(&mut conn, employee, id).await?;
    let rows = sqlx::query(
        "SELECT h.at, h.what, h.detail, e.name AS employee_name FROM client_history h
           LEFT JOIN employees e ON e.id = h.employee_id
          WHERE h.client_id = $1 ORDER BY h.at DESC, h.id DESC LIMIT 200",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let detail: Option<String> = r.get("detail");
            let detail: serde_json::Value = detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or_default();
            let mut words: Vec<String> = detail["fields"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(name) = detail["merged_name"].as_str() {
                words.push(name.to_owned());
            }
            HistoryEntry {
                at: r.get("at"),
                employee_name: r.get("employee_name"),
                what: r.get("what"),
                detail: words,
            }
        })
        .collect())
}
