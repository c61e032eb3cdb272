//! Assignment's rows (issue 24, point 2): who answers a conversation, whom it may be given
//! to (an active employee with Conversations and its channel), new conversations handed
//! out in turn, and conversations taken back from someone who may no longer answer them.

use super::store::{audit, require_access};
use super::Assignee;
use crate::events::{store as events, EventKind, LiveEvent};
use crate::i18n::td_string;
use crate::ids::{ChannelId, ConversationId, EmployeeId};
use crate::integrations::IntegrationEvent;
use crate::store::{Db, StoreError, StoreResult};
use sqlx::{AnyConnection, Row};

/// The employee `e` (with role `r`) may answer conversations at all.
macro_rules! may_answer {
    () => {
        "e.active = 1 AND (',' || r.permissions || ',') LIKE '%,conversations,%'"
    };
}
const MAY_ANSWER: &str = may_answer!();

/// The employees who may answer the conversations of channel `$1`, as [`Assignee`]s
/// ([`to_assignee`]); narrowed and ordered by what follows.
const ANSWERERS: &str = concat!(
    "SELECT e.id, e.name FROM employees e
   JOIN roles r ON r.id = e.role_id
   JOIN channel_access a ON a.employee_id = e.id AND a.channel_id = $1
  WHERE ",
    may_answer!()
);

fn to_assignee(r: &sqlx::any::AnyRow) -> Assignee {
    Assignee {
        id: EmployeeId(r.get("id")),
        name: r.get("name"),
    }
}

/// The employees a conversation may be given to, by name, when the actor may use it.
pub async fn assignable(
    db: &Db,
    actor: EmployeeId,
    id: ConversationId,
) -> StoreResult<Vec<Assignee>> {
    let mut conn = db.read.acquire().await?;
    let target = require_access(&mut conn, actor, id).await?;
    answerers(&mut conn, target.channel_id).await
}

/// The employees who may answer the conversations of `channel`, by name.
pub async fn answerers(conn: &mut AnyConnection, channel: ChannelId) -> StoreResult<Vec<Assignee>> {
    let rows = sqlx::query(&format!("{ANSWERERS} ORDER BY e.name, e.id"))
        .bind(channel.0)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(to_assignee).collect())
}

/// `employee`, when they may answer conversations of `channel`.
async fn qualified(
    conn: &mut AnyConnection,
    channel: ChannelId,
    employee: EmployeeId,
) -> StoreResult<Option<Assignee>> {
    let row = sqlx::query(&format!("{ANSWERERS} AND e.id = $2"))
        .bind(channel.0)
        .bind(employee.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(to_assignee))
}

/// Gives the conversation to `to` (or to nobody); a no-op (and no event) when it already
/// is so. Recorded in the history, told to the channel's streams and to integrations.
pub async fn assign(
    db: &Db,
    actor: EmployeeId,
    id: ConversationId,
    to: Option<EmployeeId>,
) -> StoreResult<Vec<LiveEvent>> {
    let mut tx = db.write.begin().await?;
    let target = require_access(&mut tx, actor, id).await?;
    let assignee = match to {
        Some(employee) => Some(
            qualified(&mut tx, target.channel_id, employee)
                .await?
                .ok_or_else(|| StoreError::Invalid {
                    field: "assignee",
                    message: td_string!(
                        crate::locale::request_locale(),
                        messaging.assignee_cannot_answer
                    )
                    .into(),
                })?,
        ),
        None => None,
    };
    let current = sqlx::query(
        "SELECT c.assignee_id, e.name FROM conversations c
           LEFT JOIN employees e ON e.id = c.assignee_id WHERE c.id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *tx)
    .await?;
    let before: Option<i64> = current.get("assignee_id");
    if before == to.map(|e| e.0) {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    set_assignee(&mut tx, id, to).await?;
    match &assignee {
        Some(a) => audit(&mut tx, Some(actor), "assigned", id, Some(&a.name)).await?,
        None => {
            let name: Option<String> = current.get("name");
            audit(&mut tx, Some(actor), "unassigned", id, name.as_deref()).await?
        }
    }
    let events = announce(&mut tx, id, target.channel_id, assignee, Some(actor)).await?;
    tx.commit().await?;
    Ok(events)
}

async fn set_assignee(
    conn: &mut AnyConnection,
    id: ConversationId,
    to: Option<EmployeeId>,
) -> StoreResult<()> {
    sqlx::query("UPDATE conversations SET assignee_id = $2 WHERE id = $1")
        .bind(id.0)
        .bind(to.map(|e| e.0))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `conversation_assigned` to the channel's streams (the assignee's tab notifies them)
/// and to integrations, in the change's transaction.
async fn announce(
    conn: &mut AnyConnection,
    id: ConversationId,
    channel: ChannelId,
    assignee: Option<Assignee>,
    by: Option<EmployeeId>,
) -> StoreResult<Vec<LiveEvent>> {
    let by = match by {
        Some(by) => sqlx::query_scalar("SELECT name FROM employees WHERE id = $1")
            .bind(by.0)
            .fetch_optional(&mut *conn)
            .await?
            .map(|name: String| (by, name)),
        None => None,
    };
    let draft = assignment_draft(conn, id, channel, assignee.as_ref(), by).await?;
    events::append_drafts(conn, vec![draft]).await
}

/// Tells integrations of the assignment (in the transaction) and drafts its live event;
/// `by` is null when it went in turn or was taken back.
async fn assignment_draft(
    conn: &mut AnyConnection,
    id: ConversationId,
    channel: ChannelId,
    assignee: Option<&Assignee>,
    by: Option<(EmployeeId, String)>,
) -> StoreResult<events::EventDraft> {
    let by_id = by.as_ref().map(|(id, _)| id.0);
    crate::integrations::outbox::enqueue(
        conn,
        IntegrationEvent::ConversationAssigned,
        serde_json::json!({
            "conversation_id": id.0,
            "channel_id": channel.0,
            "assignee_id": assignee.map(|a| a.id.0),
            "assigned_by": by_id,
        }),
    )
    .await?;
    Ok(events::EventDraft {
        kind: EventKind::ConversationAssigned,
        conversation_id: id,
        channel_id: channel,
        payload: serde_json::json!({
            "assignee_id": assignee.map(|a| a.id.0),
            "assignee_name": assignee.map(|a| a.name.clone()),
            "by_id": by_id,
            "by_name": by.map(|(_, name)| name),
        }),
    })
}

/// Hands the new conversations of channels that assign automatically to the employees
/// with the channel who are signed in, in turn (after whoever got the channel's last
/// one). A conversation nobody is signed in for stays unassigned. Their events, to append
/// with the batch's.
pub async fn auto_assign(
    conn: &mut AnyConnection,
    created: &[(ConversationId, ChannelId)],
    now: i64,
) -> StoreResult<Vec<events::EventDraft>> {
    let mut drafts = Vec::new();
    for (id, channel) in created {
        let auto: Option<i64> = sqlx::query_scalar(
            "SELECT last_assignee_id FROM channels WHERE id = $1 AND auto_assign = 1",
        )
        .bind(channel.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|last: Option<i64>| last.unwrap_or(0));
        let Some(last) = auto else {
            continue;
        };
        let next = sqlx::query(&format!(
            "{ANSWERERS}
                AND EXISTS (SELECT 1 FROM sessions s WHERE s.employee_id = e.id AND s.expires_at > $2)
              ORDER BY CASE WHEN e.id > $3 THEN 0 ELSE 1 END, e.id
              LIMIT 1"
        ))
        .bind(channel.0)
        .bind(now)
        .bind(last)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(assignee) = next.as_ref().map(to_assignee) else {
            continue;
        };
        set_assignee(conn, *id, Some(assignee.id)).await?;
        sqlx::query("UPDATE channels SET last_assignee_id = $2 WHERE id = $1")
            .bind(channel.0)
            .bind(assignee.id.0)
            .execute(&mut *conn)
            .await?;
        audit(conn, Some(assignee.id), "auto_assigned", *id, None).await?;
        drafts.push(assignment_draft(conn, *id, *channel, Some(&assignee), None).await?);
    }
    Ok(drafts)
}

/// Takes back the conversations of `employee` they may no longer answer (deactivated,
/// their role lost Conversations, or the channel was taken from them): unassigned, in the
/// history as theirs, announced. In the caller's transaction.
pub async fn release_unqualified(
    conn: &mut AnyConnection,
    employee: EmployeeId,
) -> StoreResult<Vec<LiveEvent>> {
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.channel_id FROM conversations c
          WHERE c.assignee_id = $1
            AND NOT EXISTS (SELECT 1 FROM employees e
                              JOIN roles r ON r.id = e.role_id
                              JOIN channel_access a ON a.employee_id = e.id AND a.channel_id = c.channel_id
                             WHERE e.id = $1 AND {MAY_ANSWER})"
    ))
    .bind(employee.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let (id, channel) = (
            ConversationId(row.get("id")),
            ChannelId(row.get("channel_id")),
        );
        set_assignee(conn, id, None).await?;
        audit(conn, Some(employee), "released", id, None).await?;
        out.extend(announce(conn, id, channel, None, None).await?);
    }
    Ok(out)
}

/// Turns automatic assignment of a channel's new conversations on or off.
pub async fn set_auto_assign(db: &Db, channel: ChannelId, on: bool) -> StoreResult<()> {
    let done = sqlx::query("UPDATE channels SET auto_assign = $2 WHERE id = $1")
        .bind(channel.0)
        .bind(i64::from(on))
        .execute(&db.write)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(td_string!(
            crate::locale::request_locale(),
            account.what_channel
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::ChannelKind;
    use crate::store::now_ms;

    #[tokio::test]
    async fn new_conversations_go_in_turn_to_the_signed_in_only() {
        let (db, _dir) = crate::store::temp_db("auto-assign").await;
        let channel = crate::channels::store::create(&db, ChannelKind::Sandbox, "S", "s-1")
            .await
            .unwrap();
        let role = crate::auth::store::create_role(
            &db,
            "Agent",
            &[crate::employees::Permission::Conversations],
            false,
        )
        .await
        .unwrap();
        let mut team = Vec::new();
        for name in ["Ana", "Bruno", "Carla"] {
            let email = format!("{}@x.test", name.to_lowercase());
            let id = crate::auth::store::create_employee(&db, &email, name, "long password", role)
                .await
                .unwrap();
            crate::channels::store::grant_access(&db, channel, id)
                .await
                .unwrap();
            team.push(id);
        }
        let now = now_ms();
        // Ana and Carla are signed in; Bruno is not.
        for employee in [team[0], team[2]] {
            sqlx::query("INSERT INTO sessions (id, employee_id, data, expires_at) VALUES ($1, $2, '{}', $3)")
                .bind(format!("s-{}", employee.0))
                .bind(employee.0)
                .bind(now + 60_000)
                .execute(&db.write)
                .await
                .unwrap();
        }
        let mut conn = db.write.acquire().await.unwrap();
        let mut given = Vec::new();
        for lead in 0..4 {
            let contact: i64 = sqlx::query_scalar(
                "INSERT INTO contacts (channel_id, external_id, created_at, updated_at) VALUES ($1, $2, 0, 0) RETURNING id",
            )
            .bind(channel.0)
            .bind(format!("lead-{lead}"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            let created =
                super::super::store::create_for_contacts(&mut conn, [(channel, contact)], now)
                    .await
                    .unwrap();
            // Off: nobody gets it.
            let drafts = auto_assign(&mut conn, &[(created[0], channel)], now)
                .await
                .unwrap();
            if lead == 0 {
                assert!(drafts.is_empty());
                sqlx::query("UPDATE channels SET auto_assign = 1")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                continue;
            }
            assert_eq!(drafts.len(), 1);
            given.push(drafts[0].payload["assignee_id"].as_i64().unwrap());
        }
        assert_eq!(
            given,
            [team[0].0, team[2].0, team[0].0],
            "in turn, Bruno skipped"
        );
    }
}
