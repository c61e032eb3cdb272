//! Client rows, their phones, and the link from a contact to a client.
//!
//! Who sees a client: everyone who may see one of its conversations (or the channel it was
//! created from); and, once shared (every client not created from a conversation, and
//! those someone with Documents shared), everyone on the path they reach it by — the
//! Clients pages and search need Documents, the phone card Conversations. Every query that
//! returns a client filters with [`visible_sql`].

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

/// The columns [`row_to_client`] reads, of a client aliased `c`.
pub(super) const CLIENT_COLUMNS: &str = "c.id, c.name, c.email, c.address, c.notes, c.shared";

/// The client of a row, with its phones (taken from `phones`) shown as `country`'s
/// business reads them.
pub(super) fn row_to_client(
    r: &sqlx::any::AnyRow,
    phones: &mut HashMap<i64, Vec<String>>,
    country: crate::phone::Country,
) -> Client {
    let id: i64 = r.get("id");
    let phones = phones.remove(&id).unwrap_or_default();
    Client {
        id: ClientId(id),
        name: r.get("name"),
        email: r.get("email"),
        address: r.get("address"),
        notes: r.get("notes"),
        phones_display: phones
            .iter()
            .map(|p| crate::phone::display(p, country))
            .collect(),
        phones,
        shared: r.get::<i64, _>("shared") != 0,
    }
}

/// SQL true when the client aliased `client` is visible to the employee whose id is the
/// parameter `employee` (e.g. `$1`): one of its contacts is on a channel they may use, or
/// it was created from a conversation on such a channel; with `shared_counts`, also when
/// it is shared with the team. Both sides are aliases or placeholders, never input.
pub fn visible_sql(client: &str, employee: &str, shared_counts: bool) -> String {
    let shared = if shared_counts {
        format!("{client}.shared <> 0 OR ")
    } else {
        String::new()
    };
    format!(
        "({shared}EXISTS (SELECT 1 FROM channel_access va
                 WHERE va.employee_id = {employee} AND va.channel_id = {client}.origin_channel_id)
          OR EXISTS (SELECT 1 FROM contacts vct
                       JOIN channel_access vca ON vca.channel_id = vct.channel_id AND vca.employee_id = {employee}
                      WHERE vct.client_id = {client}.id))"
    )
}

/// The permissions of the employee's role (none when they are not active).
pub async fn role_permissions(
    db: &Db,
    employee: EmployeeId,
) -> StoreResult<Vec<crate::employees::Permission>> {
    let permissions: Option<String> = sqlx::query_scalar(
        "SELECT r.permissions FROM employees e JOIN roles r ON r.id = e.role_id
          WHERE e.id = $1 AND e.active = 1",
    )
    .bind(employee.0)
    .fetch_optional(&db.read)
    .await?;
    Ok(permissions
        .map(|p| crate::employees::Permission::parse_list(&p))
        .unwrap_or_default())
}

/// Whether the employee's role holds the Documents permission (shared clients and the
/// documents not made from a conversation are theirs to see).
pub async fn has_documents(db: &Db, employee: EmployeeId) -> StoreResult<bool> {
    Ok(role_permissions(db, employee)
        .await?
        .contains(&crate::employees::Permission::Documents))
}

/// Whether the employee may link a conversation to the client (or start one with it): a
/// client they see through their channels, or — with Documents — a shared one.
pub async fn may_link(
    conn: &mut sqlx::AnyConnection,
    employee: EmployeeId,
    documents: bool,
    client: ClientId,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT c.id FROM clients c WHERE c.id = $1 AND {}",
        visible_sql("c", "$2", documents)
    ))
    .bind(client.0)
    .bind(employee.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// [`may_link`] on the read pool, reading the employee's permission itself.
pub async fn linkable(db: &Db, employee: EmployeeId, client: ClientId) -> StoreResult<bool> {
    let documents = has_documents(db, employee).await?;
    let mut conn = db.read.acquire().await?;
    may_link(&mut conn, employee, documents, client).await
}

/// Clients the employee sees (shared ones included: the callers need Documents) matching a
/// name, email or phone fragment: two queries whatever the count.
pub async fn search(db: &Db, employee: EmployeeId, text: &str) -> StoreResult<Vec<Client>> {
    let like = crate::store::like_pattern(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let like_op = db.backend.ilike();
    let visible = visible_sql("c", "$2", true);
    // The numbers are searched once, apart (not once per client), and only with enough
    // digits to mean one: 100,000 clients are one pass over the names and one over the
    // numbers. `name || ''` keeps the name index out of the ordering: walking all of it in
    // name order to find a rare match (a table lookup per entry) costs several times the
    // plain pass and the sort of the few matches.
    let phones = if digits.len() >= 3 {
        "OR c.id IN (SELECT p.client_id FROM client_phones p WHERE p.phone LIKE $3)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c
          WHERE (c.name {like_op} $1 ESCAPE '\\' OR c.email {like_op} $1 ESCAPE '\\' {phones})
            AND {visible}
          ORDER BY c.name || '' LIMIT 20"
    );
    let query = sqlx::query(&sql).bind(&like).bind(employee.0);
    let query = if phones.is_empty() {
        query
    } else {
        query.bind(format!("%{digits}%"))
    };
    let rows = query.fetch_all(&db.read).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut phones = phones_of(db, &ids).await?;
    Ok(rows
        .iter()
        .map(|r| row_to_client(r, &mut phones, db.country))
        .collect())
}

/// The client card as `employee` may see it (`None` when the client is not theirs to
/// see): conversations only on their channels, documents only those they may read.
pub async fn card(
    db: &Db,
    employee: EmployeeId,
    client: ClientId,
) -> StoreResult<Option<ClientCard>> {
    let permissions = role_permissions(db, employee).await?;
    let documents_permission = permissions.contains(&crate::employees::Permission::Documents);
    let may_converse = permissions.contains(&crate::employees::Permission::Conversations);
    let Some(row) = sqlx::query(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = $1 AND {}",
        visible_sql("c", "$2", documents_permission)
    ))
    .bind(client.0)
    .bind(employee.0)
    .fetch_optional(&db.read)
    .await?
    else {
        return Ok(None);
    };
    let mut phones = phones_of(db, &[client.0]).await?;
    // Without Conversations the client's data shows, never their conversations.
    let conversations = if may_converse {
        crate::conversations::store::of_client(db, employee, client).await?
    } else {
        Vec::new()
    };
    let documents =
        crate::documents::store::of_client(db, employee, documents_permission, client).await?;
    let client = row_to_client(&row, &mut phones, db.country);
    let phone_labels = sqlx::query_scalar::<_, Option<String>>(
        "SELECT label FROM client_phones WHERE client_id = $1 ORDER BY id",
    )
    .bind(client.id.0)
    .fetch_all(&db.read)
    .await?
    .into_iter()
    .map(|label| label.unwrap_or_else(|| "other".into()))
    .collect();
    Ok(Some(ClientCard {
        can_share: documents_permission && !client.shared,
        documents_permission,
        may_converse,
        phone_labels,
        client,
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
    let documents = has_documents(db, employee).await?;
    let mut tx = db.write.begin().await?;
    let target =
        crate::conversations::store::require_access(&mut tx, employee, conversation).await?;
    if let Some(client) = client {
        // A client the employee cannot see is "not found": linking it would show it to them.
        if !may_link(&mut tx, employee, documents, client).await? {
            return Err(StoreError::NotFound(crate::i18n::td_string!(
                crate::locale::request_locale(),
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
    let origin = {
        let mut conn = db.read.acquire().await?;
        crate::conversations::store::require_access(&mut conn, employee, conversation)
            .await?
            .channel_id
    };
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    // Private to the conversation's channel until someone with Documents shares it.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO clients (name, email, created_at, updated_at, origin_channel_id, shared)
         VALUES ($1, $2, $3, $3, $4, 0) RETURNING id",
    )
    .bind(name)
    .bind(email)
    .bind(now)
    .bind(origin.0)
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

/// Clients the employee sees, A–Z, a page of [`super::LIST_PAGE`] after the client `after` (name,
/// id) of the page before; or those matching a name/phone/email fragment (the first 20).
pub async fn list(
    db: &Db,
    employee: EmployeeId,
    text: Option<&str>,
    after: Option<(&str, ClientId)>,
) -> StoreResult<Vec<Client>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => search(db, employee, text).await,
        None => {
            // Keyset on the (name, id) index: a page deep in 100,000 clients costs what
            // the first does. The name bound alone is what the index can seek on.
            let (name, id) = after.map_or(("", 0), |(name, id)| (name, id.0));
            let rows = sqlx::query(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients c
                  WHERE c.name >= $2 AND (c.name > $2 OR c.id > $3) AND {}
                  ORDER BY c.name, c.id LIMIT {}",
                visible_sql("c", "$1", true),
                super::LIST_PAGE
            ))
            .bind(employee.0)
            .bind(name)
            .bind(id)
            .fetch_all(&db.read)
            .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
            let mut phones = phones_of(db, &ids).await?;
            Ok(rows
                .iter()
                .map(|r| row_to_client(r, &mut phones, db.country))
                .collect())
        }
    }
}

/// The client with this number the employee sees, and the conversations with it they may
/// see (of the client's contacts, and of contacts who wrote from the number without a
/// client).
pub async fn phone_card(
    db: &Db,
    employee: EmployeeId,
    phone: &crate::phone::E164,
) -> StoreResult<super::PhoneCard> {
    let client_id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT p.client_id FROM client_phones p JOIN clients c ON c.id = p.client_id
          WHERE p.phone = $1 AND {} ORDER BY p.client_id LIMIT 1",
        visible_sql("c", "$2", true)
    ))
    .bind(phone.as_str())
    .bind(employee.0)
    .fetch_optional(&db.read)
    .await?;
    let client = match client_id {
        Some(id) => {
            let row = sqlx::query(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.id = $1"
            ))
            .bind(id)
            .fetch_optional(&db.read)
            .await?;
            let mut phones = phones_of(db, &[id]).await?;
            row.map(|r| row_to_client(&r, &mut phones, db.country))
        }
        None => None,
    };
    let may_converse = role_permissions(db, employee)
        .await?
        .contains(&crate::employees::Permission::Conversations);
    let conversations = if may_converse {
        crate::conversations::store::of_phone(db, employee, phone.as_str(), client_id).await?
    } else {
        Vec::new()
    };
    Ok(super::PhoneCard {
        may_converse,
        phone: phone.to_string(),
        phone_display: crate::phone::display(phone.as_str(), db.country),
        client,
        conversations,
    })
}

/// Shares a private client with the team (the caller holds Documents): from then on it is
/// shared CRM data. Records who shared it and when; sharing a shared client changes nothing.
pub async fn share(db: &Db, employee: EmployeeId, client: ClientId) -> StoreResult<()> {
    let mut tx = db.write.begin().await?;
    if !may_link(&mut tx, employee, true, client).await? {
        return Err(StoreError::NotFound(crate::i18n::td_string!(
            crate::locale::request_locale(),
            account.what_client
        )));
    }
    sqlx::query(
        "UPDATE clients SET shared = 1, shared_at = $2, shared_by = $3, updated_at = $2
          WHERE id = $1 AND shared = 0",
    )
    .bind(client.0)
    .bind(now_ms())
    .bind(employee.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
