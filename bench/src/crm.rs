//! The CRM figures (issue 22): a business with many clients generated in SQL, then the
//! Clients list and its search as server time in the store, and a CSV import of 10,000
//! clients beside the same rows written with plain INSERTs (the floor) in the same run.

use crate::report::{p95_under_ms, ServerRow, StoreRow, Target};
use crate::store::measure;
use app::clients::import::{Column, PhoneLabel};
use app::clients::{import_store, store as clients};
use app::i18n::Locale;
use app::ids::{ClientId, EmployeeId};
use app::store::Db;
use std::time::Instant;

/// First names and surnames the generated clients are made of (with a number, so that
/// names repeat as in a real list but every client can be found alone).
const FIRST: [&str; 10] = [
    "Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Isabel", "João",
];
const LAST: [&str; 10] = [
    "Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Rocha", "Almeida", "Gomes",
];

fn sql_case(column: &str, values: &[&str]) -> String {
    let arms: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!(" WHEN {i} THEN '{v}'"))
        .collect();
    format!("CASE {column}{arms} END")
}

/// Adds `n` shared clients with a mobile number and an email each, all in SQL; returns the
/// owner (who sees them all: the Clients page needs the Documents permission).
pub async fn generate(db: &Db, n: i64) -> Result<EmployeeId, String> {
    let owner = crate::store::demo_owner(db).await?;
    let now = app::store::now_ms();
    let first = sql_case("i % 10", &FIRST);
    let last = sql_case("(i / 10) % 10", &LAST);
    let statements = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
             INSERT INTO clients (name, email, shared, created_at, updated_at)
             SELECT {first} || ' ' || {last} || ' ' || i, 'client' || i || '@bench.example', 1, {now}, {now} FROM n"
        ),
        "INSERT INTO client_phones (client_id, phone, label)
         SELECT id, '+55219' || printf('%08d', id), 'mobile' FROM clients WHERE email LIKE '%@bench.example'"
            .to_owned(),
        "ANALYZE".to_owned(),
    ];
    for sql in statements {
        sqlx::query(&sql)
            .execute(&db.write)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(owner)
}

/// The Clients list and its search, `k` iterations each.
pub async fn list_figures(db: &Db, owner: EmployeeId, k: usize) -> Vec<StoreRow> {
    let list = |text: Option<&'static str>, after: Option<&'static str>| {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                let after = after.map(|name| (name, ClientId(0)));
                clients::list(&db, owner, text, after)
                    .await
                    .map(|l| l.len())
            }
        }
    };
    let pages = [
        ("Clients list: first page, A–Z", None, p95_under_ms(10.0)),
        // Halfway down the alphabet: keyset paging must not slow down further in.
        (
            "Clients list: a page in the middle (keyset)",
            Some("Gabriela"),
            p95_under_ms(10.0),
        ),
    ];
    let mut out = Vec::new();
    for (name, after, target) in pages {
        out.push(StoreRow {
            name: name.to_owned(),
            timings: measure(k, list(None, after)).await,
            target,
        });
    }
    // Searches are typed as you go, like the inbox's message search (its target too).
    let searches = [
        // Common: the first 20 matches come early in name order.
        (
            "Clients search: a common surname",
            Some("Souza"),
            p95_under_ms(50.0),
        ),
        // One client in the whole list: every name is looked at.
        (
            "Clients search: one client by name",
            Some("Gomes 54321"),
            p95_under_ms(50.0),
        ),
        (
            "Clients search: one client by phone digits",
            Some("21900054321"),
            p95_under_ms(50.0),
        ),
    ];
    for (name, text, target) in searches {
        out.push(StoreRow {
            name: name.to_owned(),
            timings: measure(k, list(text, None)).await,
            target,
        });
    }
    out
}

/// A CSV file of `n` new clients as a business exports them from a spreadsheet: a name, a
/// number written the local way, an email.
fn csv_file(n: usize) -> String {
    let mut text = String::from("Nome;Celular;E-mail\n");
    for i in 0..n {
        text.push_str(&format!(
            "{} {} Import {i};(31) 98{:03}-{:04};import{i}@bench.example\n",
            FIRST[i % 10],
            LAST[(i / 10) % 10],
            i / 10_000,
            i % 10_000
        ));
    }
    text
}

/// Imports `n` clients from a CSV file into the generated business, and the same rows with
/// plain INSERTs in one transaction (removed again) as the baseline.
pub async fn import_figure(
    db: &Db,
    owner: EmployeeId,
    n: usize,
) -> Result<(ServerRow, String), String> {
    let text = csv_file(n);
    // The baseline: the rows alone, as fast as the store can take them.
    let started = Instant::now();
    let mut tx = db.write.begin().await.map_err(|e| e.to_string())?;
    let now = app::store::now_ms();
    for i in 0..n {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clients (name, email, shared, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
        )
        .bind(format!("Baseline {i}"))
        .bind(format!("baseline{i}@bench.example"))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        sqlx::query(
            "INSERT INTO client_phones (client_id, phone, label) VALUES ($1, $2, 'mobile')",
        )
        .bind(id)
        .bind(format!("+5531{:09}", i))
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    let baseline = started.elapsed();
    sqlx::query("DELETE FROM clients WHERE email LIKE 'baseline%@bench.example'")
        .execute(&db.write)
        .await
        .map_err(|e| e.to_string())?;

    let columns = [
        Column::Name,
        Column::Phone(PhoneLabel::Mobile),
        Column::Email,
    ];
    let started = Instant::now();
    let report = import_store::import(db, owner, Locale::en, &text, &columns)
        .await
        .map_err(|e| e.to_string())?;
    let confab = started.elapsed();
    if report.created != n || !report.refused.is_empty() {
        return Err(format!(
            "the import made {} clients of {n} ({} refused)",
            report.created,
            report.refused.len()
        ));
    }
    // The same file again: every row found by its number and left as it is.
    let started = Instant::now();
    let again = import_store::import(db, owner, Locale::en, &text, &columns)
        .await
        .map_err(|e| e.to_string())?;
    let again_time = started.elapsed();
    let note = format!(
        "CSV import: {n} rows ({} KB; numbers written the local way, normalised to E.164), checked, matched by phone and email against the clients there are and written with a history line and a creation event each: {} created in {:.2} s; the same file again, {} unchanged and {} created, in {:.2} s. Baseline: the same number of clients with one phone each, two plain INSERTs a row in one transaction.",
        text.len() / 1000,
        report.created,
        confab.as_secs_f64(),
        again.unchanged,
        again.created,
        again_time.as_secs_f64()
    );
    Ok((
        ServerRow {
            name: format!(
                "CSV import of {n} clients into the list (preview checks, duplicates, history)"
            ),
            confab: confab.as_secs_f64(),
            baseline: baseline.as_secs_f64(),
            unit: "s",
            target_on_ratio: false,
            target: Target::AtMost {
                limit: 5.0,
                unit: "s",
            },
        },
        note,
    ))
}
