//! Client rows, their phones, and the link from a contact to a client.

use super::{Client, ClientCard};
use crate::events::LiveEvent;
use crate::ids::{ClientId, ConversationId, EmployeeId};
use crate::store::{now_ms, Db, StoreError, StoreResult};
use sqlx::Row;
use std::collections::HashMap;

pub async fn phones_of(db: &Db, clients: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
    let mut by_client: HashMap<i64, Vec<String>> = HashMap::new();
    if clients.is_empty() {
        return Ok(by_client);
    }
    let mut sql = crate::store::SqlBuilder::new(
        "SELECT client_id, phone FROM client_phones WHERE client_id IN (",
    );
    for (i, id) in clients.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_bind(*id);
    }
    sql.push(") ORDER BY id");
    for row in sql.build().fetch_all(&db.read).await? {
        by_client
            .entry(row.get("client_id"))
            .or_default()
            .push(row.get("phone"));
    }
    Ok(by_client)
}

fn row_to_client(r: &sqlx::any::AnyRow, phones: &mut HashMap<i64, Vec<String>>) -> Client {
    let id: i64 = r.get("id");
    Client {
        id: ClientId(id),
        name: r.get("name"),
        email: r.get("email"),
        address: r.get("address"),
        notes: r.get("notes"),
        phones: phones.remove(&id).unwrap_or_default(),
    }
}

/// Clients matching a name, email or phone fragment: two queries whatever the count.
pub async fn search(db: &Db, text: &str) -> StoreResult<Vec<Client>> {
    let like = crate::store::like_pattern(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    // NULL matches no phone: too few digits to mean one.
    let phone_like = (digits.len() >= 3).then(|| format!("%{digits}%"));
    let like_op = db.backend.ilike();
    let rows = sqlx::query(&format!(
        "SELECT id, name, email, address, notes FROM clients c
          WHERE c.name {like_op} $1 ESCAPE '\\' OR c.email {like_op} $1 ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM client_phones p WHERE p.client_id = c.id AND p.phone LIKE $2)
          ORDER BY c.name LIMIT 20"
    ))
    .bind(&like)
    .bind(&phone_like)
    .fetch_all(&db.read)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut phones = phones_of(db, &ids).await?;
    Ok(rows.iter().map(|r| row_to_client(r, &mut phones)).collect())
}

/// The client card as `employee` may see it: conversations only on their channels.
pub async fn card(
    db: &Db,
    employee: EmployeeId,
    client: ClientId,
) -> StoreResult<Option<ClientCard>> {
    let Some(row) =
        sqlx::query("SELECT id, name, email, address, notes FROM clients WHERE id = $1")
            .bind(client.0)
            .fetch_optional(&db.read)
            .await?
    else {
        return Ok(None);
    };
    let mut phones = phones_of(db, &[client.0]).await?;
    let conversations = crate::conversations::store::of_client(db, employee, client).await?;
    let documents = crate::documents::store::of_client(db, client).await?;
    Ok(Some(ClientCard {
        client: row_to_client(&row, &mut phones),
        conversations,
        documents,
    }))
}

/// Links (or with `None` unlinks) the contact of a conversation to a client.
pub async fn link(
    db: &Db,
    employee: EmployeeId,
    conversation: ConversationId,
    client: Option<ClientId>,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let target =
        crate::conversations::store::require_access(&mut tx, employee, conversation).await?;
    if let Some(client) = client {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
            .bind(client.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(crate::i18n::td_string!(
                crate::ui::locale::request_locale(),
                account.what_client
            )));
        }
    }
    sqlx::query(
        "UPDATE contacts SET client_id = $2, updated_at = $3
          WHERE id = (SELECT contact_id FROM conversations WHERE id = $1)",
    )
    .bind(conversation.0)
    .bind(client.map(|c| c.0))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let (action, detail) = match client {
        Some(c) => ("linked", Some(format!("client #{c}"))),
        None => ("unlinked", None),
    };
    crate::conversations::store::audit(
        &mut tx,
        Some(employee),
        action,
        conversation,
        detail.as_deref(),
    )
    .await?;
    let event =
        crate::conversations::store::status_event(&mut tx, conversation, target.channel_id).await?;
    tx.commit().await?;
    Ok(vec![event])
}

pub async fn create_and_link(
    db: &Db,
    employee: EmployeeId,
    conversation: ConversationId,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> StoreResult<(ClientId, Vec<LiveEvent>)> {
    {
        let mut conn = db.read.acquire().await?;
        crate::conversations::store::require_access(&mut conn, employee, conversation).await?;
    }
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO clients (name, email, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(name)
    .bind(email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(phone) = phone {
        sqlx::query(
            "INSERT INTO client_phones (client_id, phone, label) VALUES ($1, $2, 'mobile')",
        )
        .bind(id)
        .bind(phone)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let events = link(db, employee, conversation, Some(ClientId(id))).await?;
    Ok((ClientId(id), events))
}

/// Clients by name (or a name/phone/email fragment), A–Z, at most 200.
pub async fn list(db: &Db, text: Option<&str>) -> StoreResult<Vec<Client>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => search(db, text).await,
        None => {
            let rows = sqlx::query(
                "SELECT id, name, email, address, notes FROM clients ORDER BY name LIMIT 200",
            )
            .fetch_all(&db.read)
            .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
            let mut phones = phones_of(db, &ids).await?;
            Ok(rows.iter().map(|r| row_to_client(r, &mut phones)).collect())
        }
    }
}

/// The client with this number and the conversations with it the employee may see (of
/// the client's contacts, and of contacts who wrote from the number without a client).
pub async fn phone_card(
    db: &Db,
    employee: EmployeeId,
    phone: &crate::phone::E164,
) -> StoreResult<super::PhoneCard> {
    let client_id: Option<i64> = sqlx::query_scalar(
        "SELECT client_id FROM client_phones WHERE phone = $1 ORDER BY client_id LIMIT 1",
    )
    .bind(phone.as_str())
    .fetch_optional(&db.read)
    .await?;
    let client = match client_id {
        Some(id) => {
            let row =
                sqlx::query("SELECT id, name, email, address, notes FROM clients WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&db.read)
                    .await?;
            let mut phones = phones_of(db, &[id]).await?;
            row.map(|r| row_to_client(&r, &mut phones))
        }
        None => None,
    };
    let conversations =
        crate::conversations::store::of_phone(db, employee, phone.as_str(), client_id).await?;
    Ok(super::PhoneCard {
        phone: phone.to_string(),
        client,
        conversations,
    })
}
