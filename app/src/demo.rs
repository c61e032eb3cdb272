//! Demo data for a first run on an empty database: an owner and an agent, the sandbox
//! channel, a few clients with documents, and conversations with history, so that a new
//! user meets a working inbox.

use crate::auth::store as employees;
use crate::channels::{store as channels, ChannelKind};
use crate::employees::Permission;
use crate::ids::{ChannelId, ConversationId, EmployeeId};
use crate::messages::store::{insert_history, HistoryMessage};
use crate::messages::{Direction, MessageStatus};
use crate::store::{now_ms, Db, StoreResult};

pub const OWNER_EMAIL: &str = "owner@demo.confab";
pub const OWNER_PASSWORD: &str = "confab-owner";
pub const AGENT_EMAIL: &str = "agent@demo.confab";
pub const AGENT_PASSWORD: &str = "confab-agent";

/// Whether the database has never been set up (no employee at all).
pub async fn is_empty(db: &Db) -> StoreResult<bool> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees")
        .fetch_one(&db.read)
        .await?;
    Ok(count == 0)
}

/// The demo accounts still active with the passwords this file (and the README) publish:
/// a database first made by the local demo and then served publicly is open to anyone.
pub async fn accounts_with_known_passwords(db: &Db) -> StoreResult<Vec<&'static str>> {
    let mut open = Vec::new();
    for (email, password) in [(OWNER_EMAIL, OWNER_PASSWORD), (AGENT_EMAIL, AGENT_PASSWORD)] {
        if let Some((_, hash, true)) = employees::credentials_by_email(db, email).await? {
            if crate::auth::password::verify(password.to_owned(), hash).await {
                open.push(email);
            }
        }
    }
    Ok(open)
}

/// Seeds the demo business when the database is empty. Returns whether it did.
pub async fn seed_if_empty(db: &Db) -> StoreResult<bool> {
    if !is_empty(db).await? {
        return Ok(false);
    }
    let owner_role = employees::create_role(
        db,
        "Owner",
        &[
            Permission::Conversations,
            Permission::Settings,
            Permission::Documents,
        ],
        true,
    )
    .await?;
    let agent_role = employees::create_role(
        db,
        "Agent",
        &[Permission::Conversations, Permission::Documents],
        false,
    )
    .await?;
    let owner =
        employees::create_employee(db, OWNER_EMAIL, "Olivia Owner", OWNER_PASSWORD, owner_role)
            .await?;
    let agent =
        employees::create_employee(db, AGENT_EMAIL, "Ana Agent", AGENT_PASSWORD, agent_role)
            .await?;
    let sandbox = channels::create(db, ChannelKind::Sandbox, "Sandbox shop", "sandbox-1").await?;
    for employee in [owner, agent] {
        channels::grant_access(db, sandbox, employee).await?;
    }
    seed_crm(db).await?;
    seed_conversations(db, sandbox, agent).await?;
    Ok(true)
}

async fn seed_crm(db: &Db) -> StoreResult<()> {
    let now = now_ms();
    let clients = [
        (
            "Maria Souza",
            "maria@example.com",
            "+5511987654321",
            "Rua Augusta 1200, São Paulo",
        ),
        (
            "João Lima",
            "joao@example.com",
            "+5521998877665",
            "Av. Atlântica 500, Rio de Janeiro",
        ),
        (
            "Carla Mendes",
            "carla@example.com",
            "+351912345678",
            "Rua do Ouro 88, Lisboa",
        ),
        // A walk-in client who never wrote: "+ Conversation" reaches her by SMS.
        (
            "Rita Ramos",
            "rita@example.com",
            "+5511912340000",
            "Rua Harmonia 77, São Paulo",
        ),
    ];
    for (i, (name, email, phone, address)) in clients.into_iter().enumerate() {
        let client_id: i64 = sqlx::query_scalar(
            "INSERT INTO clients (name, email, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(name)
        .bind(email)
        .bind(address)
        .bind(now)
        .fetch_one(&db.write)
        .await?;
        sqlx::query(
            "INSERT INTO client_phones (client_id, phone, label) VALUES ($1, $2, 'mobile')",
        )
        .bind(client_id)
        .bind(phone)
        .execute(&db.write)
        .await?;
        let documents = [
            ("lead", "new", "Screen replacement", 0),
            (
                "estimate",
                "sent",
                "Screen replacement and battery",
                45_000 + i as i64 * 5_000,
            ),
            (
                "order",
                "in_progress",
                "Repair order",
                45_000 + i as i64 * 5_000,
            ),
        ];
        for (kind, status, title, amount) in documents {
            sqlx::query(
                "INSERT INTO documents (kind, number, status, title, amount_cents, client_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(kind)
            .bind(format!("{}-{:04}", &kind[..1].to_uppercase(), 1001 + i))
            .bind(status)
            .bind(title)
            .bind(amount)
            .bind(client_id)
            .bind(now - (3 - i as i64) * 86_400_000)
            .execute(&db.write)
            .await?;
        }
        if i == 0 {
            // One finished job, invoiced.
            sqlx::query(
                "INSERT INTO documents (kind, number, status, title, amount_cents, client_id, created_at)
                 VALUES ('invoice', 'I-1001', 'paid', 'Screen replacement', 45000, $1, $2)",
            )
            .bind(client_id)
            .bind(now - 86_400_000)
            .execute(&db.write)
            .await?;
        }
        sqlx::query(
            "INSERT INTO calls (client_id, phone, direction, started_at, duration_seconds, notes)
             VALUES ($1, $2, 'inbound', $3, 180, 'Asked about prices')",
        )
        .bind(client_id)
        .bind(phone)
        .bind(now - 2 * 86_400_000)
        .execute(&db.write)
        .await?;
    }
    Ok(())
}

async fn new_conversation(
    db: &Db,
    channel: ChannelId,
    lead_id: &str,
    name: &str,
    at: i64,
) -> StoreResult<ConversationId> {
    let mut tx = db.write.begin().await?;
    let contact_id: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (channel_id, external_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(channel.0)
    .bind(lead_id)
    .bind(name)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    let (id, _) =
        crate::conversations::store::upsert_for_contact(&mut tx, channel, contact_id, at).await?;
    tx.commit().await?;
    Ok(id)
}

async fn seed_conversations(db: &Db, sandbox: ChannelId, agent: EmployeeId) -> StoreResult<()> {
    const MIN: i64 = 60_000;
    const DAY: i64 = 86_400_000;
    let now = now_ms();
    type Line = (Direction, &'static str, i64);
    let threads: [(&str, &str, &[Line], bool); 4] = [
        (
            "demo-lead-maria",
            "Maria Souza",
            &[
                (
                    Direction::Inbound,
                    "Hi! My phone screen cracked. Can you replace it?",
                    2 * DAY,
                ),
                (
                    Direction::Outbound,
                    "Hello Maria! Yes — which model is it?",
                    2 * DAY - 10 * MIN,
                ),
                (
                    Direction::Inbound,
                    "An iPhone 13. How much would it be?",
                    2 * DAY - 15 * MIN,
                ),
                (
                    Direction::Outbound,
                    "R$ 450 with a 90-day warranty. It takes about two hours.",
                    DAY + 30 * MIN,
                ),
                (
                    Direction::Inbound,
                    "Great, can I bring it tomorrow morning?",
                    25 * MIN,
                ),
            ],
            false,
        ),
        (
            "demo-lead-joao",
            "João Lima",
            &[
                (
                    Direction::Inbound,
                    "Good afternoon, do you repair laptops too?",
                    3 * DAY,
                ),
                (
                    Direction::Outbound,
                    "We do! What's the problem with it?",
                    3 * DAY - 20 * MIN,
                ),
                (
                    Direction::Inbound,
                    "It doesn't turn on after a coffee accident ☕",
                    3 * DAY - 25 * MIN,
                ),
                (
                    Direction::Outbound,
                    "Bring it in and we'll run a free diagnosis.",
                    3 * DAY - 40 * MIN,
                ),
            ],
            false,
        ),
        (
            "demo-lead-carla",
            "Carla Mendes",
            &[
                (Direction::Inbound, "Olá! Is my tablet ready?", 6 * DAY),
                (
                    Direction::Outbound,
                    "Yes, it's ready for pick-up. See you soon!",
                    6 * DAY - 5 * MIN,
                ),
                (
                    Direction::Inbound,
                    "Thanks, picked it up. All good!",
                    5 * DAY,
                ),
            ],
            true,
        ),
        (
            "demo-lead-pedro",
            "Pedro Alves",
            &[(
                Direction::Inbound,
                "Hello, what are your opening hours on Saturday?",
                3 * MIN,
            )],
            false,
        ),
    ];
    for (lead_id, name, lines, archived) in threads {
        let first_at = now - lines.first().map(|l| l.2).unwrap_or(0);
        let conversation = new_conversation(db, sandbox, lead_id, name, first_at).await?;
        // Leads who are already clients come linked (Pedro is new: link him yourself).
        sqlx::query("UPDATE contacts SET client_id = (SELECT id FROM clients WHERE name = $2) WHERE external_id = $1")
            .bind(lead_id)
            .bind(name)
            .execute(&db.write)
            .await?;
        for (direction, body, ago) in lines {
            let status = match direction {
                Direction::Inbound => MessageStatus::Received,
                Direction::Outbound => MessageStatus::Read,
            };
            insert_history(
                db,
                &HistoryMessage {
                    conversation,
                    channel: sandbox,
                    direction: *direction,
                    body,
                    sender: (*direction == Direction::Outbound).then_some(agent),
                    at: now - ago,
                    status,
                },
            )
            .await?;
        }
        let unread = lines
            .iter()
            .rev()
            .take_while(|l| l.0 == Direction::Inbound)
            .count() as i64;
        sqlx::query(
            "UPDATE conversations SET unread_count = $2, status = $3,
                    archived_at = CASE WHEN $3 = 'archived' THEN last_message_at + 3600000 END,
                    archived_by = CASE WHEN $3 = 'archived' THEN $4 END
              WHERE id = $1",
        )
        .bind(conversation.0)
        .bind(if archived { 0 } else { unread })
        .bind(if archived { "archived" } else { "open" })
        .bind(agent.0)
        .execute(&db.write)
        .await?;
        if !archived {
            let mut conn = db.write.acquire().await?;
            crate::conversations::store::add_unread(&mut conn, &[(conversation, sandbox, unread)])
                .await?;
        }
    }
    Ok(())
}
