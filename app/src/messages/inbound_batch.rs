//! The store's writes for a batch of inbound messages, in a fixed number of statements
//! however many messages the batch holds: the contacts in one upsert, new leads'
//! conversations in one insert, the messages in one, their attachments in one, the
//! conversations' new states in one update. With SQLite every statement is a round trip
//! to the database's own thread, and the single writer waits for each; a batch of 64
//! messages one by one took about 200 of them.
//!
//! The outcome is the one the messages would have had written one after another: each
//! contact keeps the last name, phone and username given, each conversation the state
//! after its last message.

use super::store::{load, message_event_payload, InboundMessage};
use super::{AttachmentKind, Direction, Message, MessageKind, MessageStatus};
use crate::conversations::store as conversations;
use crate::events::store::EventDraft;
use crate::events::EventKind;
use crate::ids::{ChannelId, ConversationId, MessageId};
use crate::store::{now_ms, SqlBuilder, StoreResult};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Rows per statement for the attachments, whose number per message is the provider's:
/// keeps every statement well under the backends' limits on bound values.
const ATTACHMENT_ROWS: usize = 500;

/// Writes `batch` inside the caller's transaction. For each message, in order: its events
/// as drafts (for the caller to append after the batch's writes), or `None` when its
/// provider id is stored already (a provider's retry, or an earlier copy in the batch).
pub(crate) async fn record_batch_in(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
) -> StoreResult<Vec<Option<Vec<EventDraft>>>> {
    let now = now_ms();
    let fresh = first_copies(batch);
    follow_number_changes(tx, batch, &fresh).await?;
    // WhatsApp: a Brazilian or Mexican number's other form is the same lead.
    let leads: Vec<_> = fresh
        .iter()
        .map(|&i| (batch[i].0, batch[i].1.contact_external_id.as_str()))
        .collect();
    let keep_phone =
        crate::channels::whatsapp_identity::store::follow_equivalent_forms(tx, &leads).await?;
    let contacts = upsert_contacts(tx, batch, &updatable(batch, &fresh), &keep_phone, now).await?;
    let details = reaction_details(tx, batch, &fresh).await?;
    let inserted = insert_messages(tx, batch, &fresh, &contacts, &details, now).await?;
    insert_attachments(tx, batch, &inserted, now).await?;
    let reopened = update_conversations(tx, batch, &inserted, &contacts, now).await?;
    let updated = update_in_place(tx, batch, &fresh, &inserted, &contacts, &details, now).await?;
    let mut assigned = auto_assign_new(tx, &contacts, now).await?;

    let mut out: Vec<Option<Vec<EventDraft>>> = vec![None; batch.len()];
    let mut announced = std::collections::HashSet::new();
    // Read once per batch, not once per message.
    let listeners = crate::integrations::outbox::Listeners::load(tx).await?;
    for (i, (channel, inbound)) in batch.iter().enumerate() {
        if let Some(draft) = updated.get(&i) {
            out[i] = Some(vec![draft.clone()]);
            continue;
        }
        let Some(&message_id) = inserted.get(&i) else {
            continue;
        };
        let contact = &contacts[&(channel.0, inbound.contact_external_id.as_str())];
        let mut drafts = Vec::with_capacity(2);
        // A conversation that an inbound message took out of the archive says so first,
        // once (its state as the batch left it).
        if let Some(draft) = reopened.get(&contact.conversation_id) {
            if is_from_lead(inbound) && announced.insert(contact.conversation_id) {
                drafts.push(draft.clone());
                listeners
                    .enqueue(
                        tx,
                        crate::integrations::IntegrationEvent::ConversationReopened,
                        &serde_json::json!({
                            "conversation_id": contact.conversation_id.0,
                            "channel_id": channel.0,
                            "by": "lead",
                        }),
                    )
                    .await?;
            }
        }
        let message = if inbound.attachments.is_empty() {
            // All of it is known here: spare the writer two reads (as `load` would read it).
            let (direction, status) = direction_and_status(inbound);
            Message {
                id: MessageId(message_id),
                conversation_id: contact.conversation_id,
                direction,
                body: inbound.body.clone(),
                status,
                error: None,
                sender_name: None,
                created_at: if direction == Direction::Inbound {
                    written_at(inbound, now)
                } else {
                    now
                },
                read_at: None,
                attachments: Vec::new(),
                delivery_note: None,
                kind: inbound.kind,
                detail: details.get(&i).cloned(),
            }
        } else {
            load(tx, MessageId(message_id)).await?
        };
        drafts.push(EventDraft {
            kind: EventKind::MessageCreated,
            conversation_id: contact.conversation_id,
            channel_id: *channel,
            payload: message_event_payload(&message),
        });
        // A new conversation given to someone in turn says so after its first message.
        if let Some(draft) = assigned.remove(&contact.conversation_id) {
            drafts.push(draft);
        }
        if !inbound.from_business
            && listeners.want(crate::integrations::IntegrationEvent::MessageReceived)
        {
            // Outgoing webhooks: in this transaction, so sent if and only if it commits.
            listeners
                .enqueue(
                    tx,
                    crate::integrations::IntegrationEvent::MessageReceived,
                    &serde_json::json!({
                        "conversation_id": contact.conversation_id.0,
                        "channel_id": channel.0,
                        "message_id": message_id,
                        "contact": {
                            "external_id": inbound.contact_external_id,
                            "name": inbound.contact_name,
                        },
                        "text": inbound.body,
                        "created_at": message.created_at,
                    }),
                )
                .await?;
        }
        out[i] = Some(drafts);
    }
    Ok(out)
}

/// The batch's new conversations on channels that assign automatically, handed out
/// ([`crate::conversations::assign_store::auto_assign`]): their events, by conversation.
async fn auto_assign_new(
    tx: &mut AnyConnection,
    contacts: &HashMap<ContactKey<'_>, Contact>,
    now: i64,
) -> StoreResult<HashMap<ConversationId, EventDraft>> {
    let mut created: Vec<(ConversationId, ChannelId)> = contacts
        .iter()
        .filter(|(_, contact)| contact.created)
        .map(|(key, contact)| (contact.conversation_id, ChannelId(key.0)))
        .collect();
    if created.is_empty() {
        return Ok(HashMap::new());
    }
    // In the order they came to be, so turns follow arrival.
    created.sort_by_key(|(id, _)| id.0);
    let drafts = crate::conversations::assign_store::auto_assign(tx, &created, now).await?;
    Ok(drafts
        .into_iter()
        .map(|draft| (draft.conversation_id, draft))
        .collect())
}

/// The provider's time rules the reply window, but never a time in the future.
fn written_at(inbound: &InboundMessage, now: i64) -> i64 {
    inbound.sent_at.map_or(now, |at| at.min(now))
}

fn direction_and_status(inbound: &InboundMessage) -> (Direction, MessageStatus) {
    if inbound.from_business {
        (Direction::Outbound, MessageStatus::Sent)
    } else {
        (Direction::Inbound, MessageStatus::Received)
    }
}

/// Something the lead did that counts as their turn: reopens, opens the reply window,
/// waits for an answer.
fn is_from_lead(inbound: &InboundMessage) -> bool {
    !inbound.from_business && inbound.kind.is_lead_interaction()
}

/// The positions of the batch's messages that are the first with their provider id, and
/// after them the later copies of those that update a line in place (a reaction changed
/// in the same batch): any other later copy would change nothing (as a retry does not),
/// so it writes nothing at all.
fn updatable(batch: &[(ChannelId, &InboundMessage)], fresh: &[usize]) -> Vec<usize> {
    let mut all = fresh.to_vec();
    all.extend(later_updates(batch, fresh));
    all
}

fn later_updates(batch: &[(ChannelId, &InboundMessage)], fresh: &[usize]) -> Vec<usize> {
    (0..batch.len())
        .filter(|i| !fresh.contains(i) && batch[*i].1.kind.updates_in_place())
        .collect()
}

/// WhatsApp's `user_changed_number`: the lead's contact moves to the new wa_id (given as
/// the message's contact, the old one in `refers_to`) before anything is written for it,
/// so that the notice and all that follows land in the same conversation. Nothing moves
/// when the new id already has a contact of its own.
async fn follow_number_changes(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    fresh: &[usize],
) -> StoreResult<()> {
    for &i in fresh {
        let (channel, inbound) = batch[i];
        let (MessageKind::System, Some(old)) = (inbound.kind, inbound.refers_to.as_deref()) else {
            continue;
        };
        if old == inbound.contact_external_id {
            continue;
        }
        sqlx::query(
            "UPDATE contacts SET external_id = $3
              WHERE channel_id = $1 AND external_id = $2
                AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.channel_id = $1 AND o.external_id = $3)",
        )
        .bind(channel.0)
        .bind(old.to_owned())
        .bind(inbound.contact_external_id.clone())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// For each reaction of the batch, the text of the message it is about (when stored),
/// cut to a line, for the thread to quote.
async fn reaction_details(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    fresh: &[usize],
) -> StoreResult<HashMap<usize, String>> {
    let mut details = HashMap::new();
    for i in updatable(batch, fresh) {
        let (channel, inbound) = batch[i];
        let (MessageKind::Reaction, Some(target)) = (inbound.kind, inbound.refers_to.as_deref())
        else {
            continue;
        };
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM messages WHERE channel_id = $1 AND provider_id = $2",
        )
        .bind(channel.0)
        .bind(target.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
            let line = body.lines().next().unwrap_or_default();
            let mut quote: String = line.chars().take(QUOTE_CHARS).collect();
            if line.chars().count() > QUOTE_CHARS || body.lines().nth(1).is_some() {
                quote.push('…');
            }
            details.insert(i, quote);
        }
    }
    Ok(details)
}

/// How much of a message a reaction quotes.
const QUOTE_CHARS: usize = 80;

/// The batch's reactions and unsends whose line exists already (stored before, or by an
/// earlier message of the batch): a reaction changed or taken back, a message's text and
/// files removed. Their `message_updated` drafts, by position in the batch; nothing for
/// a retry that changes nothing. A changed reaction refreshes the reply window as the
/// first one did.
async fn update_in_place(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    fresh: &[usize],
    inserted: &HashMap<usize, i64>,
    contacts: &HashMap<ContactKey<'_>, Contact>,
    details: &HashMap<usize, String>,
    now: i64,
) -> StoreResult<HashMap<usize, EventDraft>> {
    let mut positions: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|i| !inserted.contains_key(i) && batch[*i].1.kind.updates_in_place())
        .collect();
    positions.extend(later_updates(batch, fresh));
    positions.sort_unstable();
    let mut drafts = HashMap::new();
    for i in positions {
        let (channel, inbound) = batch[i];
        let Some(contact) = contacts.get(&(channel.0, inbound.contact_external_id.as_str())) else {
            continue;
        };
        let conversation = contact.conversation_id;
        let changed: Option<i64> = match inbound.kind {
            MessageKind::Reaction => {
                sqlx::query_scalar(
                    "UPDATE messages SET body = $4, detail = COALESCE($5, detail), sent_at = $6
                      WHERE channel_id = $1 AND provider_id = $2 AND conversation_id = $3
                        AND kind = 'reaction' AND body <> $4
                      RETURNING id",
                )
                .bind(channel.0)
                .bind(inbound.provider_id.clone())
                .bind(conversation.0)
                .bind(inbound.body.clone())
                .bind(details.get(&i).cloned())
                .bind(written_at(inbound, now))
                .fetch_optional(&mut *tx)
                .await?
            }
            _ => {
                let target = inbound.refers_to.as_deref().unwrap_or(&inbound.provider_id);
                let id: Option<i64> = sqlx::query_scalar(
                    "UPDATE messages SET kind = 'removed', body = '', detail = NULL
                      WHERE channel_id = $1 AND provider_id = $2 AND conversation_id = $3
                        AND direction = 'inbound' AND kind <> 'removed'
                      RETURNING id",
                )
                .bind(channel.0)
                .bind(target.to_owned())
                .bind(conversation.0)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = id {
                    sqlx::query("DELETE FROM attachments WHERE message_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                id
            }
        };
        let Some(id) = changed else {
            continue;
        };
        if inbound.kind == MessageKind::Reaction && is_from_lead(inbound) {
            sqlx::query(
                "UPDATE conversations
                    SET window_closed = 0,
                        last_inbound_at = CASE WHEN last_inbound_at > $2 THEN last_inbound_at ELSE $2 END
                  WHERE id = $1",
            )
            .bind(conversation.0)
            .bind(written_at(inbound, now))
            .execute(&mut *tx)
            .await?;
        }
        let message = load(tx, MessageId(id)).await?;
        drafts.insert(
            i,
            EventDraft {
                kind: EventKind::MessageUpdated,
                conversation_id: conversation,
                channel_id: channel,
                payload: message_event_payload(&message),
            },
        );
    }
    Ok(drafts)
}

/// The positions of the batch's messages that are the first with their provider id: a
/// later copy would change nothing (as a retry does not), so it writes nothing at all.
fn first_copies(batch: &[(ChannelId, &InboundMessage)]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    (0..batch.len())
        .filter(|&i| seen.insert((batch[i].0 .0, batch[i].1.provider_id.as_str())))
        .collect()
}

/// A contact of the batch as the store has it after the upsert.
struct Contact {
    conversation_id: ConversationId,
    /// Archived before this batch.
    was_archived: bool,
    /// Its conversation is new in this batch.
    created: bool,
}

type ContactKey<'a> = (i64, &'a str);

/// Upserts the contacts of the messages at `fresh` (each once, with the last name, phone
/// and username its messages give, as writing them one by one would leave it) and
/// creates the conversations of new leads.
async fn upsert_contacts<'a>(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &'a InboundMessage)],
    fresh: &[usize],
    keep_phone: &std::collections::HashSet<(i64, String)>,
    now: i64,
) -> StoreResult<HashMap<ContactKey<'a>, Contact>> {
    type Details<'a> = [Option<&'a String>; 3];
    let mut order: Vec<ContactKey<'a>> = Vec::new();
    let mut details: HashMap<ContactKey<'a>, Details<'a>> = HashMap::new();
    for &i in fresh {
        let (channel, inbound) = batch[i];
        let key = (channel.0, inbound.contact_external_id.as_str());
        // A WhatsApp contact keeps the number dialled when the message's is its other form.
        let keeps = keep_phone.contains(&(channel.0, inbound.contact_external_id.clone()));
        let given = [
            inbound.contact_name.as_ref(),
            inbound.contact_phone.as_ref().filter(|_| !keeps),
            inbound.contact_username.as_ref(),
        ];
        let merged = details.entry(key).or_insert_with(|| {
            order.push(key);
            [None; 3]
        });
        for (kept, new) in merged.iter_mut().zip(given) {
            if new.is_some() {
                *kept = new;
            }
        }
    }
    let mut contacts = HashMap::with_capacity(order.len());
    if order.is_empty() {
        return Ok(contacts);
    }
    // PostgreSQL refuses to update one row twice in a statement: each contact is one row.
    let mut upsert = SqlBuilder::new(
        "INSERT INTO contacts (channel_id, external_id, name, phone, username, created_at, updated_at) VALUES ",
    );
    for (row, key) in order.iter().enumerate() {
        let [name, phone, username] = details[key];
        upsert
            .push(if row == 0 { "(" } else { ", (" })
            .push_bind(key.0)
            .push(", ")
            .push_bind(key.1.to_owned())
            .push(", ")
            .push_bind(name.cloned())
            .push(", ")
            .push_bind(phone.cloned())
            .push(", ")
            .push_bind(username.cloned())
            .push(", ")
            .push_bind(now)
            .push(", ")
            .push_bind(now)
            .push(")");
    }
    // The conversation comes back with its contact: one statement fewer per batch.
    upsert.push(
        " ON CONFLICT (channel_id, external_id)
          DO UPDATE SET name = COALESCE(excluded.name, contacts.name),
                        phone = COALESCE(excluded.phone, contacts.phone),
                        username = COALESCE(excluded.username, contacts.username),
                        updated_at = excluded.updated_at
          RETURNING id, channel_id, external_id,
            (SELECT c.id FROM conversations c WHERE c.channel_id = contacts.channel_id AND c.contact_id = contacts.id),
            (SELECT c.status FROM conversations c WHERE c.channel_id = contacts.channel_id AND c.contact_id = contacts.id)",
    );
    let rows = upsert.build().fetch_all(&mut *tx).await?;
    let mut new_leads = Vec::new();
    for row in &rows {
        let channel: i64 = row.get(1);
        let external_id: String = row.get(2);
        let Some(&key) = order
            .iter()
            .find(|key| key.0 == channel && key.1 == external_id)
        else {
            continue;
        };
        match (
            row.get::<Option<i64>, _>(3),
            row.get::<Option<String>, _>(4),
        ) {
            (Some(conversation), Some(status)) => {
                contacts.insert(
                    key,
                    Contact {
                        conversation_id: ConversationId(conversation),
                        was_archived: status == "archived",
                        created: false,
                    },
                );
            }
            // A new lead: no conversation yet.
            _ => new_leads.push((key, row.get::<i64, _>(0))),
        }
    }
    for (key, conversation_id) in conversations::create_for_contacts(
        tx,
        new_leads.iter().map(|(key, id)| (ChannelId(key.0), *id)),
        now,
    )
    .await?
    .into_iter()
    .enumerate()
    .map(|(i, id)| (new_leads[i].0, id))
    {
        contacts.insert(
            key,
            Contact {
                conversation_id,
                was_archived: false,
                created: true,
            },
        );
    }
    if contacts.len() != order.len() {
        return Err(crate::store::StoreError::Other(format!(
            "{} of {} contacts came back from their upsert",
            contacts.len(),
            order.len()
        )));
    }
    Ok(contacts)
}

/// Inserts the messages at `fresh`; the ids of those that were not stored already, by
/// their position in the batch. Ids follow the batch's order.
async fn insert_messages(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    fresh: &[usize],
    contacts: &HashMap<ContactKey<'_>, Contact>,
    details: &HashMap<usize, String>,
    now: i64,
) -> StoreResult<HashMap<usize, i64>> {
    let mut inserted = HashMap::with_capacity(fresh.len());
    if fresh.is_empty() {
        return Ok(inserted);
    }
    let mut insert = SqlBuilder::new(
        "INSERT INTO messages (conversation_id, channel_id, direction, provider_id, body, status, created_at, sent_at, kind, detail) VALUES ",
    );
    for (row, &i) in fresh.iter().enumerate() {
        let (channel, inbound) = batch[i];
        let (direction, status) = direction_and_status(inbound);
        let contact = &contacts[&(channel.0, inbound.contact_external_id.as_str())];
        insert
            .push(if row == 0 { "(" } else { ", (" })
            .push_bind(contact.conversation_id.0)
            .push(", ")
            .push_bind(channel.0)
            .push(", ")
            .push_bind(direction.as_str())
            .push(", ")
            .push_bind(inbound.provider_id.clone())
            .push(", ")
            .push_bind(inbound.body.clone())
            .push(", ")
            .push_bind(status.as_str())
            .push(", ")
            .push_bind(now)
            .push(", ")
            .push_bind(written_at(inbound, now))
            .push(", ")
            .push_bind(inbound.kind.as_str())
            .push(", ")
            .push_bind(details.get(&i).cloned())
            .push(")");
    }
    // Another process may have stored one meanwhile (PostgreSQL): that one is a retry.
    insert.push(
        " ON CONFLICT (channel_id, provider_id) DO NOTHING RETURNING id, channel_id, provider_id",
    );
    let rows = insert.build().fetch_all(&mut *tx).await?;
    let positions: HashMap<(i64, &str), usize> = fresh
        .iter()
        .map(|&i| ((batch[i].0 .0, batch[i].1.provider_id.as_str()), i))
        .collect();
    for row in &rows {
        let provider_id: String = row.get(2);
        if let Some(&i) = positions.get(&(row.get::<i64, _>(1), provider_id.as_str())) {
            inserted.insert(i, row.get::<i64, _>(0));
        }
    }
    Ok(inserted)
}

/// The attachments of the inserted messages. Places need no download; files wait for the
/// media worker.
async fn insert_attachments(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    inserted: &HashMap<usize, i64>,
    now: i64,
) -> StoreResult<()> {
    let mut rows = Vec::new();
    for (i, (_, inbound)) in batch.iter().enumerate() {
        if let Some(&message_id) = inserted.get(&i) {
            rows.extend(inbound.attachments.iter().map(|a| (message_id, a)));
        }
    }
    for chunk in rows.chunks(ATTACHMENT_ROWS) {
        let mut insert = SqlBuilder::new(
            "INSERT INTO attachments (message_id, kind, mime, file_name, source_url, provider_media_id, status, created_at) VALUES ",
        );
        for (row, (message_id, attachment)) in chunk.iter().enumerate() {
            let state = if attachment.kind == AttachmentKind::Location {
                "stored"
            } else {
                "pending"
            };
            insert
                .push(if row == 0 { "(" } else { ", (" })
                .push_bind(*message_id)
                .push(", ")
                .push_bind(attachment.kind.as_str())
                .push(", ")
                .push_bind(attachment.mime.clone())
                .push(", ")
                .push_bind(attachment.file_name.clone())
                .push(", ")
                .push_bind(attachment.source_url.clone())
                .push(", ")
                .push_bind(attachment.provider_media_id.clone())
                .push(", ")
                .push_bind(state)
                .push(", ")
                .push_bind(now)
                .push(")");
        }
        insert.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// What a batch's messages do to one conversation, as writing them one after another
/// would: the lead's reopen it and wait for an answer. The business's own written in its
/// other tools (echoes of the Page Inbox, of instant replies and away messages) show in
/// the thread but answer nothing: what the lead wrote stays unread and awaiting a reply
/// until an employee answers it in Confab.
#[derive(Default)]
struct ConversationChange {
    channel: i64,
    /// Any message from the lead: reopened, the reply window open again.
    from_lead: bool,
    /// The lead's messages in the batch.
    unread: i64,
    /// The newest time a lead's message was written.
    last_inbound_at: i64,
    last_message_id: i64,
    /// Archived before the batch: a lead's message announces its reopening.
    was_archived: bool,
}

/// Sets each touched conversation's state in one statement; the `conversation_updated`
/// drafts of those a lead's message took out of the archive, by conversation.
async fn update_conversations(
    tx: &mut AnyConnection,
    batch: &[(ChannelId, &InboundMessage)],
    inserted: &HashMap<usize, i64>,
    contacts: &HashMap<ContactKey<'_>, Contact>,
    now: i64,
) -> StoreResult<HashMap<ConversationId, EventDraft>> {
    let mut order = Vec::new();
    let mut changes: HashMap<ConversationId, ConversationChange> = HashMap::new();
    for (i, (channel, inbound)) in batch.iter().enumerate() {
        let Some(&message_id) = inserted.get(&i) else {
            continue;
        };
        let contact = &contacts[&(channel.0, inbound.contact_external_id.as_str())];
        let conversation = contact.conversation_id;
        let change = changes.entry(conversation).or_insert_with(|| {
            order.push(conversation);
            ConversationChange {
                channel: channel.0,
                was_archived: contact.was_archived,
                ..Default::default()
            }
        });
        change.last_message_id = message_id;
        if is_from_lead(inbound) {
            change.from_lead = true;
            change.unread += 1;
            change.last_inbound_at = change.last_inbound_at.max(written_at(inbound, now));
        }
    }
    if order.is_empty() {
        return Ok(HashMap::new());
    }
    let mut update = SqlBuilder::new(
        "WITH changes (id, from_lead, unread, last_inbound_at, last_message_id) AS (VALUES ",
    );
    for (row, conversation) in order.iter().enumerate() {
        let change = &changes[conversation];
        update
            .push(if row == 0 { "(" } else { ", (" })
            .push_bind(conversation.0)
            .push(", ")
            .push_bind(i64::from(change.from_lead))
            .push(", ")
            .push_bind(change.unread)
            .push(", ")
            .push_bind(change.last_inbound_at)
            .push(", ")
            .push_bind(change.last_message_id)
            .push(")");
    }
    update.push(
        ")
        UPDATE conversations
           SET status = CASE WHEN changes.from_lead = 1 THEN 'open' ELSE conversations.status END,
               archived_at = CASE WHEN changes.from_lead = 1 THEN NULL ELSE conversations.archived_at END,
               archived_by = CASE WHEN changes.from_lead = 1 THEN NULL ELSE conversations.archived_by END,
               window_closed = CASE WHEN changes.from_lead = 1 THEN 0 ELSE conversations.window_closed END,
               last_inbound_at = CASE WHEN changes.from_lead = 0 OR conversations.last_inbound_at > changes.last_inbound_at
                                      THEN conversations.last_inbound_at ELSE changes.last_inbound_at END,
               last_message_at = ",
    );
    update.push_bind(now).push(
        ",
               last_message_id = changes.last_message_id,
               unread_count = conversations.unread_count + changes.unread,
               awaiting_reply = CASE WHEN changes.unread > 0 THEN 1 ELSE conversations.awaiting_reply END
          FROM changes
         WHERE conversations.id = changes.id",
    );
    update.build().execute(&mut *tx).await?;
    let unread: Vec<_> = order
        .iter()
        .map(|id| (*id, ChannelId(changes[id].channel), changes[id].unread))
        .filter(|(_, _, unread)| *unread > 0)
        .collect();
    conversations::add_unread(tx, &unread).await?;

    let mut reopened = HashMap::new();
    for conversation in order {
        let change = &changes[&conversation];
        if change.was_archived && change.from_lead {
            let draft =
                conversations::status_draft(tx, conversation, ChannelId(change.channel)).await?;
            reopened.insert(conversation, draft);
        }
    }
    Ok(reopened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::ChannelKind;
    use crate::messages::store::InboundAttachment;
    use crate::store::Db;

    async fn temp_db(name: &str) -> (Db, std::path::PathBuf, ChannelId) {
        let (db, dir) = crate::store::temp_db(name).await;
        let channel = crate::channels::store::create(&db, ChannelKind::Sandbox, "S", "s-1")
            .await
            .unwrap();
        (db, dir, channel)
    }

    fn from_lead(lead: &str, provider_id: &str, sent_at: i64) -> InboundMessage {
        InboundMessage {
            contact_external_id: lead.into(),
            provider_id: provider_id.into(),
            body: format!("text of {provider_id}"),
            sent_at: Some(sent_at),
            ..Default::default()
        }
    }

    /// Writes `messages` in one transaction, as one batch or one by one; the kinds of the
    /// events each message drafted.
    async fn write(
        db: &Db,
        messages: &[(ChannelId, &InboundMessage)],
        together: bool,
    ) -> Vec<Option<Vec<String>>> {
        let mut tx = db.write.begin().await.unwrap();
        let mut outcomes = Vec::new();
        if together {
            outcomes = record_batch_in(&mut tx, messages).await.unwrap();
        } else {
            // As the writer's fallback does: a message that writes nothing undoes its
            // contact's upsert too.
            for message in messages {
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await.unwrap();
                let outcome = record_batch_in(&mut savepoint, &[*message])
                    .await
                    .unwrap()
                    .remove(0);
                if outcome.is_some() {
                    savepoint.commit().await.unwrap();
                }
                outcomes.push(outcome);
            }
        }
        tx.commit().await.unwrap();
        outcomes
            .into_iter()
            .map(|drafts| {
                drafts.map(|d| {
                    d.iter()
                        .map(|d| {
                            format!(
                                "{}:{}",
                                d.kind.as_str(),
                                d.payload["body"].as_str().unwrap_or("state")
                            )
                        })
                        .collect()
                })
            })
            .collect()
    }

    /// Everything the writes leave, times of receipt aside (they differ between runs).
    async fn state(db: &Db) -> Vec<String> {
        let queries = [
            "SELECT external_id || '|' || COALESCE(name, '-') || '|' || COALESCE(phone, '-') || '|' || COALESCE(username, '-') FROM contacts ORDER BY external_id",
            "SELECT k.external_id || '|' || c.status || '|' || COALESCE(c.archived_at, -1) || '|' || c.unread_count || '|' || c.awaiting_reply || '|' || COALESCE(c.last_inbound_at, -1) || '|' || c.window_closed || '|' || COALESCE(m.provider_id, '-')
               FROM conversations c JOIN contacts k ON k.id = c.contact_id LEFT JOIN messages m ON m.id = c.last_message_id ORDER BY k.external_id",
            "SELECT m.provider_id || '|' || k.external_id || '|' || m.direction || '|' || m.status || '|' || m.body || '|' || COALESCE(m.sent_at, -1)
               FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id ORDER BY m.id",
            "SELECT m.provider_id || '|' || a.kind || '|' || a.status || '|' || COALESCE(a.source_url, '-') FROM attachments a JOIN messages m ON m.id = a.message_id ORDER BY a.id",
        ];
        let mut rows = Vec::new();
        for sql in queries {
            rows.extend(
                sqlx::query_scalar::<_, String>(sql)
                    .fetch_all(&db.read)
                    .await
                    .unwrap(),
            );
        }
        rows
    }

    /// A batch that mixes everything (a lead written to twice around the business's own
    /// answer, an archived conversation, a new lead giving its details over two messages,
    /// attachments, a copy of a message) leaves the store as the same messages written
    /// one after another, and drafts the same events.
    #[tokio::test]
    async fn a_batch_leaves_what_its_messages_one_by_one_would() {
        let past = now_ms() - 60_000;
        let earlier = from_lead("lead-a", "a-0", past - 10_000);
        let batch = [
            from_lead("lead-a", "a-1", past),
            InboundMessage {
                contact_name: Some("Bea".into()),
                ..from_lead("lead-b", "b-1", past + 1)
            },
            InboundMessage {
                from_business: true,
                ..from_lead("lead-a", "a-echo", past + 2)
            },
            InboundMessage {
                contact_phone: Some("+15555550100".into()),
                ..from_lead("lead-b", "b-2", past - 5)
            },
            from_lead("lead-a", "a-2", past - 3),
            InboundMessage {
                attachments: vec![
                    InboundAttachment {
                        kind: AttachmentKind::Location,
                        mime: None,
                        file_name: None,
                        source_url: Some("geo:1,2".into()),
                        provider_media_id: None,
                    },
                    InboundAttachment {
                        kind: AttachmentKind::Image,
                        mime: Some("image/png".into()),
                        file_name: None,
                        source_url: Some("https://cdn.example/x.png".into()),
                        provider_media_id: None,
                    },
                ],
                ..from_lead("lead-c", "c-1", past)
            },
            InboundMessage {
                contact_name: Some("Not a rename".into()),
                ..from_lead("lead-b", "b-1", past + 1)
            },
        ];
        let mut results = Vec::new();
        for together in [true, false] {
            let (db, dir, channel) = temp_db(if together { "together" } else { "apart" }).await;
            write(&db, &[(channel, &earlier)], false).await;
            sqlx::query("UPDATE conversations SET status = 'archived', archived_at = 5, unread_count = 0, awaiting_reply = 0")
                .execute(&db.write)
                .await
                .unwrap();
            let messages: Vec<(ChannelId, &InboundMessage)> =
                batch.iter().map(|m| (channel, m)).collect();
            let drafted = write(&db, &messages, together).await;
            results.push((drafted, state(&db).await));
            db.close().await;
            let _ = std::fs::remove_dir_all(dir);
        }
        let (together, apart) = (&results[0], &results[1]);
        assert_eq!(together.1, apart.1);
        assert_eq!(together.0, apart.0);
        // And what that is, spelled out.
        let state = &together.1;
        assert!(
            state.contains(&"lead-b|Bea|+15555550100|-".to_string()),
            "{state:?}"
        );
        // The page's own message (an echo from another tool) answers nothing.
        let conversation_a = format!("lead-a|open|-1|2|1|{}|0|a-2", past);
        assert!(state.contains(&conversation_a), "{state:?}");
        assert!(
            state.contains(&format!("lead-b|open|-1|2|1|{}|0|b-2", past + 1)),
            "{state:?}"
        );
        assert!(
            state.contains(&"c-1|image|pending|https://cdn.example/x.png".to_string()),
            "{state:?}"
        );
        assert!(
            state.contains(&"c-1|location|stored|geo:1,2".to_string()),
            "{state:?}"
        );
        let drafted = &together.0;
        assert_eq!(
            drafted[0].as_deref(),
            Some(
                &[
                    "conversation_updated:state".to_string(),
                    "message_created:text of a-1".to_string()
                ][..]
            ),
            "the archived conversation says it is open again, before the message"
        );
        assert_eq!(drafted[4].as_ref().map(Vec::len), Some(1), "said once");
        assert_eq!(drafted[6], None, "the copy is not written");
    }
}
