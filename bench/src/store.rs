//! The store figures: a large business generated in SQL, then what an employee waits for
//! (list, search, open a conversation) as server time in the store.

use crate::report::{p95_under_ms, StoreRow, Timings};
use app::conversations::store as conversations;
use app::conversations::{ConversationStatus, ListFilter, PAGE_SIZE};
use app::ids::{ChannelId, ConversationId, EmployeeId};
use app::store::Db;
use std::time::Instant;

pub async fn measure<F, Fut, T>(iterations: usize, mut run: F) -> Timings
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    // Warm the page cache and the statement cache first, as a running server has them.
    for _ in 0..iterations.min(10) {
        run().await;
    }
    let mut timings = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(run().await);
        timings.push(start.elapsed());
    }
    Timings(timings)
}

/// The demo business's owner, the demo seeded first into an empty database.
pub async fn demo_owner(db: &Db) -> Result<EmployeeId, String> {
    app::demo::seed_if_empty(db)
        .await
        .map_err(|e| e.to_string())?;
    let owner: i64 = sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
        .bind(app::demo::OWNER_EMAIL)
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    Ok(EmployeeId(owner))
}

/// Employees with every bench channel, the owner among them.
pub const TEAM: i64 = 50;

/// The agent who reads as messages come: a few unread only.
const READER_EMAIL: &str = "bench-agent-1@bench.confab";

/// Fills the database: three channels, `n` contacts and conversations, `m` messages each
/// (every 7th conversation not seen by anyone, every 3rd awaiting a reply), a team of
/// [`TEAM`] with their own unread, all in SQL.
pub async fn generate(db: &Db, n: i64, m: i64) -> Result<(EmployeeId, Vec<ChannelId>), String> {
    let EmployeeId(owner) = demo_owner(db).await?;
    let mut channels = Vec::new();
    for (kind, name) in [
        ("sandbox", "Bench A"),
        ("sandbox", "Bench B"),
        ("sandbox", "Bench C"),
    ] {
        let id = app::channels::store::create(
            db,
            app::channels::ChannelKind::parse(kind).unwrap_or(app::channels::ChannelKind::Sandbox),
            name,
            &format!("bench-{name}"),
        )
        .await
        .map_err(|e| e.to_string())?;
        app::channels::store::grant_access(db, id, EmployeeId(owner))
            .await
            .map_err(|e| e.to_string())?;
        channels.push(id);
    }
    let (a, b, c) = (channels[0].0, channels[1].0, channels[2].0);
    let now = app::store::now_ms();
    let mut tx = db.write.begin().await.map_err(|e| e.to_string())?;
    let statements = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
             INSERT INTO contacts (channel_id, external_id, name, phone, created_at, updated_at)
             SELECT CASE i % 3 WHEN 0 THEN {a} WHEN 1 THEN {b} ELSE {c} END, 'bench-' || i,
                    'Lead ' || i, '+55119' || printf('%08d', i), {now}, {now} FROM n"
        ),
        format!(
            "INSERT INTO conversations (channel_id, contact_id, status, last_message_at, unread_count, awaiting_reply, last_inbound_at, created_at)
             SELECT ct.channel_id, ct.id, CASE WHEN ct.id % 10 = 0 THEN 'archived' ELSE 'open' END,
                    {now} - ct.id * 60000, CASE WHEN ct.id % 7 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN ct.id % 3 = 0 THEN 1 ELSE 0 END, {now} - ct.id * 60000, {now}
               FROM contacts ct WHERE ct.external_id LIKE 'bench-%'"
        ),
        format!(
            "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < {m})
             INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at, sent_at)
             SELECT c.id, c.channel_id, CASE WHEN k.j % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
                    'bench-' || c.id || '-' || k.j,
                    'Message ' || k.j || ' about the ' || CASE (c.id + k.j) % 5 WHEN 0 THEN 'screen' WHEN 1 THEN 'battery'
                        WHEN 2 THEN 'bicycle' WHEN 3 THEN 'invoice' ELSE 'pickup' END || ' of order ' || c.id,
                    CASE WHEN k.j % 2 = 0 THEN 'read' ELSE 'received' END,
                    c.last_message_at - ({m} - k.j) * 1000, c.last_message_at - ({m} - k.j) * 1000
               FROM conversations c JOIN contacts ct ON ct.id = c.contact_id, k
              WHERE ct.external_id LIKE 'bench-%'"
        ),
        "UPDATE conversations SET last_message_id = (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = conversations.id)
          WHERE last_message_id IS NULL".to_owned(),
        // The team: the owner and 49 agents on every bench channel, each with their own
        // unread (a seventh of the open conversations), but the reader, who keeps up (a
        // thousandth).
        format!(
            "WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t WHERE i < {agents})
             INSERT INTO employees (email, name, password_hash, role_id, active, created_at)
             SELECT 'bench-agent-' || i || '@bench.confab', 'Agent ' || i, '-',
                    (SELECT id FROM roles WHERE is_owner = 0 ORDER BY id LIMIT 1), 1, {now} FROM t",
            agents = TEAM - 1
        ),
        format!(
            "INSERT INTO channel_access (channel_id, employee_id)
             SELECT ch.id, e.id FROM employees e, channels ch
              WHERE e.email LIKE 'bench-agent-%' AND ch.id IN ({a}, {b}, {c})"
        ),
        format!(
            "INSERT INTO unread_marks (employee_id, conversation_id, channel_id, unread_count)
             SELECT a.employee_id, c.id, c.channel_id, 1 + c.id % 3
               FROM conversations c JOIN channel_access a ON a.channel_id = c.channel_id
              WHERE c.status = 'open' AND c.channel_id IN ({a}, {b}, {c})
                AND CASE WHEN a.employee_id = (SELECT id FROM employees WHERE email = '{READER_EMAIL}')
                         THEN c.id % 1000 = 0 ELSE (c.id + a.employee_id) % 7 = 0 END"
        ),
    ];
    for sql in statements {
        sqlx::query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    sqlx::query("ANALYZE")
        .execute(&db.write)
        .await
        .map_err(|e| e.to_string())?;
    Ok((EmployeeId(owner), channels))
}

/// Measures the store figures, `k` iterations each.
pub async fn figures(
    db: &Db,
    owner: EmployeeId,
    channels: &[ChannelId],
    k: usize,
) -> Result<Vec<StoreRow>, String> {
    let open = ListFilter::default();
    let unread = ListFilter {
        unread_only: true,
        ..ListFilter::default()
    };
    let channel = ListFilter {
        channel: Some(channels[1]),
        awaiting_only: true,
        ..ListFilter::default()
    };
    let search = ListFilter {
        query: Some("bicycle".into()),
        ..ListFilter::default()
    };
    // A word's beginning: FTS5 merges the lists of every longer word ("bicycle" in a fifth
    // of all messages), where the whole common word is read newest first.
    let beginning = ListFilter {
        query: Some("bicyc".into()),
        ..ListFilter::default()
    };
    let phone = ListFilter {
        query: Some("+55 11 9000 12345".into()),
        ..ListFilter::default()
    };
    let list_as = |employee: EmployeeId, filter: ListFilter, status: ConversationStatus| {
        let db = db.clone();
        move || {
            let (db, filter) = (db.clone(), filter.clone());
            async move {
                conversations::list(&db, employee, status, &filter, None, PAGE_SIZE)
                    .await
                    .map(|p| p.items.len())
            }
        }
    };
    let list = |filter: ListFilter, status: ConversationStatus| list_as(owner, filter, status);
    let reader: i64 = sqlx::query_scalar("SELECT id FROM employees WHERE email = $1")
        .bind(READER_EMAIL)
        .fetch_one(&db.read)
        .await
        .map_err(|e| e.to_string())?;
    let reader = EmployeeId(reader);
    let unread_of = |employee: EmployeeId| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM unread_marks WHERE employee_id = $1")
                .bind(employee.0)
                .fetch_one(&db.read)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let (owner_unread, reader_unread) = (unread_of(owner).await?, unread_of(reader).await?);
    let tab_count = {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                conversations::attention(&db, owner)
                    .await
                    .map(|a| a.unread_conversations as usize)
            }
        }
    };
    // The page after the first: keyset pagination must not slow down further in.
    let first = conversations::list(db, owner, ConversationStatus::Open, &open, None, PAGE_SIZE)
        .await
        .map_err(|e| e.to_string())?;
    let cursor = first.next;
    let deep = {
        let db = db.clone();
        let open = open.clone();
        move || {
            let (db, open) = (db.clone(), open.clone());
            async move {
                conversations::list(
                    &db,
                    owner,
                    ConversationStatus::Open,
                    &open,
                    cursor,
                    PAGE_SIZE,
                )
                .await
                .map(|p| p.items.len())
            }
        }
    };
    let newest = first
        .items
        .first()
        .map(|c| c.id)
        .unwrap_or(ConversationId(1));
    let open_conversation = {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                conversations::detail(&db, owner, newest, app::conversations::THREAD_PAGE)
                    .await
                    .map(|d| d.messages.len())
            }
        }
    };
    let rows = vec![
        (
            format!("list: first page of Open (each of a team of {TEAM} has their own unread)"),
            measure(k, list(open.clone(), ConversationStatus::Open)).await,
            p95_under_ms(10.0),
        ),
        (
            "list: second page of Open (keyset)".to_owned(),
            measure(k, deep).await,
            p95_under_ms(10.0),
        ),
        (
            "list: Archived".to_owned(),
            measure(k, list(open.clone(), ConversationStatus::Archived)).await,
            p95_under_ms(10.0),
        ),
        (
            format!("list: unread only, the employee's own ({owner_unread} unread)"),
            measure(k, list(unread.clone(), ConversationStatus::Open)).await,
            p95_under_ms(10.0),
        ),
        (
            format!("list: unread only, an employee who keeps up ({reader_unread} unread)"),
            measure(k, list_as(reader, unread, ConversationStatus::Open)).await,
            p95_under_ms(10.0),
        ),
        (
            format!("the tab's count of the employee's own unread ({owner_unread})"),
            measure(k, tab_count).await,
            p95_under_ms(10.0),
        ),
        (
            "list: one channel, awaiting reply".to_owned(),
            measure(k, list(channel, ConversationStatus::Open)).await,
            p95_under_ms(10.0),
        ),
        (
            "search: one word over all messages".to_owned(),
            measure(k, list(search, ConversationStatus::Open)).await,
            p95_under_ms(50.0),
        ),
        (
            "search: the beginning of that word".to_owned(),
            measure(k, list(beginning, ConversationStatus::Open)).await,
            p95_under_ms(50.0),
        ),
        (
            "search: a phone number".to_owned(),
            measure(k, list(phone, ConversationStatus::Open)).await,
            p95_under_ms(50.0),
        ),
        (
            "open a conversation (newest 50 messages)".to_owned(),
            measure(k, open_conversation).await,
            p95_under_ms(5.0),
        ),
    ];
    Ok(rows
        .into_iter()
        .map(|(name, timings, target)| StoreRow {
            name,
            timings,
            target,
        })
        .collect())
}
