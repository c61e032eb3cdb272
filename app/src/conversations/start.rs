//! "+ Conversation": start a conversation with a client, even one who never wrote, on a
//! channel that allows it. SMS and WhatsApp can write first to a phone number (WhatsApp
//! with an approved template); Messenger, Instagram and the sandbox only answer leads who
//! wrote before, so there the option is the existing conversation or a reason why not.

use crate::channels::ChannelKind;
use crate::error::AppError;
use crate::ids::{ChannelId, ClientId, ConversationId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One way to reach a client, as the "+ Conversation" menu shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartOption {
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    /// The phone number (E.164) or the lead's name on that channel; empty when unavailable.
    pub address: String,
    /// The address as people read it (a number formatted by `crate::phone::display`).
    pub address_display: String,
    /// The conversation there is already, to open instead of starting one.
    pub existing: Option<ConversationId>,
    /// What to know before starting (WhatsApp: a template first).
    pub note: Option<String>,
    /// Why this channel cannot reach the client.
    pub unavailable: Option<String>,
}

/// The identity a channel uses for a phone number: E.164 for SMS, WhatsApp's wa_id
/// (digits only). `None` without a country code: Confab never guesses one.
pub fn phone_identity(kind: ChannelKind, phone: &str) -> Option<String> {
    let digits = phone.strip_prefix('+')?;
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match kind {
        ChannelKind::TwilioSms => Some(phone.to_owned()),
        ChannelKind::Whatsapp => Some(digits.to_owned()),
        _ => None,
    }
}

/// The ways the signed-in employee can reach a client, channel by channel.
#[server(endpoint = "conversation_options")]
pub async fn conversation_options(client_id: ClientId) -> Result<Vec<StartOption>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    Ok(store::options(&state.db, employee.id, client_id).await?)
}

/// Starts (or finds) the conversation with a client on a channel at an address from
/// `conversation_options`; the composer there writes the first message.
#[server(endpoint = "start_conversation")]
pub async fn start_conversation(
    client_id: ClientId,
    channel_id: ChannelId,
    address: String,
) -> Result<ConversationId, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let options = store::options(&state.db, employee.id, client_id).await?;
    let option = options
        .into_iter()
        .find(|o| o.channel_id == channel_id && o.address == address)
        .ok_or_else(|| {
            let locale = crate::locale::request_locale();
            AppError::validation(
                "address",
                crate::i18n::td_string!(locale, messaging.start_cannot_reach_there),
            )
        })?;
    open_or_start(&state, employee.id, Some(client_id), option).await
}

/// The ways to write to a phone number that may be nobody's client yet (a missed call, a
/// number in the CRM): SMS, and WhatsApp with a template.
#[server(endpoint = "number_conversation_options")]
pub async fn number_conversation_options(phone: String) -> Result<Vec<StartOption>, AppError> {
    let (employee, state, phone) = writing_to(&phone).await?;
    Ok(store::number_options(&state.db, employee, &phone).await?.0)
}

/// Who writes (with the Conversations permission), and the number they typed, read in the
/// business's country.
#[cfg(feature = "ssr")]
async fn writing_to(
    phone: &str,
) -> Result<
    (
        crate::ids::EmployeeId,
        crate::state::AppState,
        crate::phone::E164,
    ),
    AppError,
> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Conversations)
            .await?;
    let state = crate::state::AppState::current()?;
    let phone = crate::phone::normalize(phone, state.db.country)
        .map_err(|e| AppError::validation("phone", e.message(crate::locale::request_locale())))?;
    Ok((employee.id, state, phone))
}

/// Starts (or finds) the conversation with a number on a channel from
/// `number_conversation_options`; the contact is linked to the client holding the number,
/// if the employee sees one, and otherwise offers to create one.
#[server(endpoint = "start_number_conversation")]
pub async fn start_number_conversation(
    phone: String,
    channel_id: ChannelId,
) -> Result<ConversationId, AppError> {
    let (employee, state, phone) = writing_to(&phone).await?;
    let (options, client) = store::number_options(&state.db, employee, &phone).await?;
    let option = options
        .into_iter()
        .find(|o| o.channel_id == channel_id)
        .ok_or_else(|| {
            let locale = crate::locale::request_locale();
            AppError::validation(
                "channel_id",
                crate::i18n::td_string!(locale, messaging.start_cannot_write_first),
            )
        })?;
    open_or_start(&state, employee, client, option).await
}

/// The conversation an option leads to: the one there is already, or a new one (contact
/// and conversation made together); an unavailable option says why.
#[cfg(feature = "ssr")]
async fn open_or_start(
    state: &crate::state::AppState,
    employee: crate::ids::EmployeeId,
    client: Option<ClientId>,
    option: StartOption,
) -> Result<ConversationId, AppError> {
    if let Some(reason) = option.unavailable {
        return Err(AppError::validation("channel_id", reason));
    }
    if let Some(existing) = option.existing {
        return Ok(existing);
    }
    let (id, events) = store::start(&state.db, employee, client, &option).await?;
    state.bus.publish(events);
    Ok(id)
}

/// Whether an option's channel can write first (or only answer).
pub fn writes_first(kind: ChannelKind) -> bool {
    matches!(kind, ChannelKind::TwilioSms | ChannelKind::Whatsapp)
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::{phone_identity, writes_first, StartOption};
    use crate::channels::{ChannelKind, ChannelStatus};
    use crate::events::LiveEvent;
    use crate::i18n::td_string;
    use crate::ids::{ClientId, ConversationId, EmployeeId};
    use crate::locale::{fill, request_locale};
    use crate::store::{now_ms, Db, StoreError, StoreResult};
    use sqlx::Row;

    /// The options with their notes and reasons in the request's language.
    pub async fn options(
        db: &Db,
        employee: EmployeeId,
        client: ClientId,
    ) -> StoreResult<Vec<StartOption>> {
        let locale = request_locale();
        // Only a client this employee may see and attach (clients::store's access rule): a
        // private client's numbers are not shown to, nor linked by, anyone else.
        if !crate::clients::store::linkable(db, employee, client).await? {
            return Err(StoreError::NotFound(td_string!(
                locale,
                messaging.not_found_client
            )));
        }
        let phones = crate::clients::store::phones_of(db, &[client.0])
            .await?
            .remove(&client.0)
            .unwrap_or_default();
        // The client's contacts on channels the employee may use, with their conversations.
        let contacts = sqlx::query(
            "SELECT ct.channel_id, ct.external_id, COALESCE(ct.name, ct.username, ct.phone, ct.external_id) AS label,
                    c.id AS conversation_id
               FROM contacts ct
               JOIN channel_access a ON a.channel_id = ct.channel_id AND a.employee_id = $1
               LEFT JOIN conversations c ON c.contact_id = ct.id
              WHERE ct.client_id = $2",
        )
        .bind(employee.0)
        .bind(client.0)
        .fetch_all(&db.read)
        .await?;
        let mut out = Vec::new();
        for channel in crate::channels::store::accessible(db, employee).await? {
            out.extend(channel_options(db, &channel, &phones, &contacts));
        }
        // What can be done first; the reasons why not after.
        out.sort_by_key(|o| o.unavailable.is_some());
        Ok(out)
    }

    /// The options for one number, whoever holds it: each channel that writes first, with
    /// the conversation there is already with that number. `client` is the client holding
    /// the number whom the employee sees, linked to the new contact.
    pub async fn number_options(
        db: &Db,
        employee: EmployeeId,
        phone: &crate::phone::E164,
    ) -> StoreResult<(Vec<StartOption>, Option<ClientId>)> {
        let phone = phone.as_str();
        let digits = phone.trim_start_matches('+');
        let contacts = sqlx::query(
            "SELECT ct.channel_id, ct.external_id, COALESCE(ct.name, ct.username, ct.phone, ct.external_id) AS label,
                    c.id AS conversation_id
               FROM contacts ct
               JOIN channel_access a ON a.channel_id = ct.channel_id AND a.employee_id = $1
               LEFT JOIN conversations c ON c.contact_id = ct.id
              WHERE ct.phone = $2 OR ct.external_id = $2 OR ct.external_id = $3",
        )
        .bind(employee.0)
        .bind(phone)
        .bind(digits)
        .fetch_all(&db.read)
        .await?;
        let phones = [phone.to_owned()];
        let mut out = Vec::new();
        for channel in crate::channels::store::accessible(db, employee).await? {
            if writes_first(channel.kind) {
                out.extend(channel_options(db, &channel, &phones, &contacts));
            }
        }
        out.sort_by_key(|o| o.unavailable.is_some());
        // A shared client is linked only for those who may see shared clients (as when
        // linking by hand: `clients::store::may_link`), else starting would reveal them.
        let documents = crate::clients::store::has_documents(db, employee).await?;
        let client = crate::calls::store::visible_client_of(db, employee, phone, documents)
            .await?
            .map(|(id, _)| id);
        Ok((out, client))
    }

    /// The options of one channel for `phones` (a client's numbers, or one number typed),
    /// given the `contacts` on the employee's channels that may already be them
    /// (`channel_id`, `external_id`, `label`, `conversation_id`).
    fn channel_options(
        db: &Db,
        channel: &crate::channels::Channel,
        phones: &[String],
        contacts: &[sqlx::any::AnyRow],
    ) -> Vec<StartOption> {
        let locale = request_locale();
        let mut out = Vec::new();
        let option = |address: String| StartOption {
            channel_id: channel.id,
            channel_kind: channel.kind,
            channel_name: channel.display_name.clone(),
            // A number (the client's, or a contact's without a name) as people read
            // it; a name is left as it is.
            address_display: crate::phone::display(&address, db.country),
            address,
            existing: None,
            note: None,
            unavailable: None,
        };
        if channel.status != ChannelStatus::Connected {
            out.push(StartOption {
                unavailable: Some(fill(
                    td_string!(locale, messaging.start_not_connected),
                    &[("channel", &channel.display_name)],
                )),
                ..option(String::new())
            });
            return out;
        }
        let known: Vec<_> = contacts
            .iter()
            .filter(|r| r.get::<i64, _>("channel_id") == channel.id.0)
            .collect();
        if writes_first(channel.kind) {
            if phones.is_empty() {
                out.push(StartOption {
                    unavailable: Some(td_string!(locale, messaging.start_no_phone).to_owned()),
                    ..option(String::new())
                });
            }
            for phone in phones {
                let Some(identity) = phone_identity(channel.kind, phone) else {
                    out.push(StartOption {
                        unavailable: Some(fill(
                            td_string!(locale, messaging.start_no_country_code),
                            &[("phone", &crate::phone::display(phone, db.country))],
                        )),
                        ..option(phone.clone())
                    });
                    continue;
                };
                // WhatsApp may know the number in another form (Brazil's ninth digit).
                let forms = crate::channels::whatsapp_identity::equivalent_wa_ids(&identity);
                let existing = known
                    .iter()
                    .find(|r| {
                        let id = r.get::<String, _>("external_id");
                        id == identity
                            || (channel.kind == ChannelKind::Whatsapp && forms.contains(&id))
                    })
                    .and_then(|r| r.get::<Option<i64>, _>("conversation_id"))
                    .map(ConversationId);
                let note = (channel.kind == ChannelKind::Whatsapp && existing.is_none())
                    .then(|| td_string!(locale, messaging.start_note_template).to_owned());
                out.push(StartOption {
                    existing,
                    note,
                    ..option(phone.clone())
                });
            }
        } else if known.is_empty() {
            out.push(StartOption {
                unavailable: Some(fill(
                    td_string!(locale, messaging.start_answers_only),
                    &[
                        ("kind", channel.kind.label_in(locale)),
                        ("channel", &channel.display_name),
                    ],
                )),
                ..option(String::new())
            });
        } else {
            for r in known {
                out.push(StartOption {
                    existing: r
                        .get::<Option<i64>, _>("conversation_id")
                        .map(ConversationId),
                    ..option(r.get("label"))
                });
            }
        }
        out
    }

    /// Creates the contact (linked to the client, if any) and its conversation, in one
    /// transaction.
    pub async fn start(
        db: &Db,
        employee: EmployeeId,
        client: Option<ClientId>,
        option: &StartOption,
    ) -> StoreResult<(ConversationId, Vec<LiveEvent>)> {
        let identity = phone_identity(option.channel_kind, &option.address).ok_or_else(|| {
            let locale = request_locale();
            StoreError::Invalid {
                field: "address",
                message: td_string!(locale, messaging.start_cannot_write_first).to_owned(),
            }
        })?;
        let now = now_ms();
        let mut tx = db.write.begin().await?;
        // The contact WhatsApp already knows under another form of the number (the wa_id
        // its send answer gave) is the one to open: one number, one thread.
        let mut identity = identity;
        if option.channel_kind == ChannelKind::Whatsapp {
            for form in crate::channels::whatsapp_identity::equivalent_wa_ids(&identity) {
                let known: Option<String> = sqlx::query_scalar(
                    "SELECT external_id FROM contacts WHERE channel_id = $1 AND external_id = $2",
                )
                .bind(option.channel_id.0)
                .bind(&form)
                .fetch_optional(&mut *tx)
                .await?;
                if known.is_some() {
                    identity = form;
                }
            }
        }
        // The contact is named after its client; a number of nobody's, as people read it.
        let name: String = match client {
            Some(client) => {
                sqlx::query_scalar("SELECT name FROM clients WHERE id = $1")
                    .bind(client.0)
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => option.address_display.clone(),
        };
        let contact: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (channel_id, external_id, name, phone, client_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (channel_id, external_id)
             DO UPDATE SET client_id = COALESCE(contacts.client_id, excluded.client_id), updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(option.channel_id.0)
        .bind(&identity)
        .bind(&name)
        .bind(&option.address)
        .bind(client.map(|c| c.0))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let (id, _) = crate::conversations::store::upsert_for_contact(
            &mut tx,
            option.channel_id,
            contact,
            now,
        )
        .await?;
        crate::conversations::store::audit(
            &mut tx,
            Some(employee),
            "started",
            id,
            Some(&format!(
                "{} · {}",
                option.channel_name, option.address_display
            )),
        )
        .await?;
        let event =
            crate::conversations::store::status_event(&mut tx, id, option.channel_id).await?;
        tx.commit().await?;
        Ok((id, vec![event]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_identities_need_a_country_code() {
        assert_eq!(
            phone_identity(ChannelKind::TwilioSms, "+5511987654321").as_deref(),
            Some("+5511987654321")
        );
        assert_eq!(
            phone_identity(ChannelKind::Whatsapp, "+5511987654321").as_deref(),
            Some("5511987654321")
        );
        assert_eq!(phone_identity(ChannelKind::TwilioSms, "11987654321"), None);
        assert_eq!(phone_identity(ChannelKind::TwilioSms, "+55 11"), None);
        assert_eq!(
            phone_identity(ChannelKind::Messenger, "+5511987654321"),
            None
        );
        assert!(writes_first(ChannelKind::TwilioSms) && !writes_first(ChannelKind::Instagram));
    }
}
