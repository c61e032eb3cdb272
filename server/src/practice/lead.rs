//! What the lead does on a practice channel (`POST /sandbox/practice/{channel}`, see
//! `routes::sandbox`): each action becomes what the provider would post to Confab.

use super::payloads;
use crate::error::ApiError;
use app::channels::store::ChannelConfig;
use app::channels::ChannelKind;
use app::i18n::Locale;
use app::practice::store::{self as practice, NewPracticeMessage};
use app::practice::{lead_address, PracticeAction, PracticeStatus};
use app::sandbox::Refusal;
use app::state::AppState;
use app::store::now_ms;

const HOUR_MS: i64 = 3_600_000;

/// Carries out the lead's action on a practice channel. `lead` is the simulator's lead id
/// (the browser's cookie); the action is validated already.
pub async fn act(
    state: &AppState,
    channel: &ChannelConfig,
    lead: &str,
    action: PracticeAction,
    locale: Locale,
) -> Result<(), ApiError> {
    let kind = channel.channel.kind;
    let id = channel.channel.id;
    let address = lead_address(kind, lead);
    match action {
        PracticeAction::Message {
            name,
            username,
            message_id,
            text,
        } => {
            let name = name.trim();
            let username = username.filter(|_| kind == ChannelKind::Instagram);
            practice::upsert_lead(&state.db, id, &address, name, username.as_deref()).await?;
            let provider_id = super::provider_id_for_lead(kind, id, &address, &message_id);
            let at = now_ms();
            practice::insert_message(
                &state.db,
                &NewPracticeMessage {
                    channel: id,
                    address: &address,
                    provider_id: &provider_id,
                    from_lead: true,
                    body: &text,
                    file_url: None,
                    sent_at: at,
                    status: PracticeStatus::Sent,
                    error: None,
                },
            )
            .await?;
            let delivered = match kind {
                ChannelKind::Messenger | ChannelKind::Instagram => {
                    let hook = payloads::meta_message(
                        payloads::meta_object(kind),
                        &channel.external_id,
                        &address,
                        &provider_id,
                        &text,
                        at,
                    );
                    super::deliver_json(state, channel, &hook).await
                }
                ChannelKind::Whatsapp => {
                    let hook = payloads::whatsapp_message(
                        channel.credentials.value("business_account_id"),
                        &channel.external_id,
                        &address,
                        name,
                        &provider_id,
                        &text,
                        at,
                    );
                    super::deliver_json(state, channel, &hook).await
                }
                ChannelKind::TwilioSms => {
                    let params = payloads::twilio_incoming(
                        channel.credentials.value("account_sid"),
                        &address,
                        &channel.external_id,
                        &provider_id,
                        &text,
                    );
                    super::deliver_form(state, channel, &params).await
                }
                ChannelKind::Sandbox => false,
            };
            if delivered {
                Ok(())
            } else {
                Err(ApiError::Internal(
                    "Confab did not take the practice webhook.".into(),
                ))
            }
        }
        PracticeAction::Read => {
            let unread = practice::unread_by_lead(&state.db, id, &address).await?;
            let Some((newest, _)) = unread.last().cloned() else {
                return Ok(());
            };
            // SMS has no read receipts: the phone shows them read, the business never knows.
            for (provider_id, _) in &unread {
                practice::set_status(&state.db, id, provider_id, PracticeStatus::Read, None)
                    .await?;
            }
            let at = now_ms();
            match kind {
                ChannelKind::Messenger | ChannelKind::Instagram => {
                    let hook = payloads::meta_read(
                        payloads::meta_object(kind),
                        &channel.external_id,
                        &address,
                        &newest,
                        at,
                    );
                    super::deliver_json(state, channel, &hook).await;
                }
                ChannelKind::Whatsapp => {
                    let account = channel.credentials.value("business_account_id");
                    for (provider_id, _) in &unread {
                        let hook = payloads::whatsapp_status(
                            account,
                            &channel.external_id,
                            &address,
                            provider_id,
                            "read",
                            None,
                            at,
                        );
                        super::deliver_json(state, channel, &hook).await;
                    }
                }
                ChannelKind::TwilioSms | ChannelKind::Sandbox => {}
            }
            Ok(())
        }
        PracticeAction::Later { hours } => {
            let events = practice::age(&state.db, id, &address, i64::from(hours) * HOUR_MS).await?;
            state.bus.publish(events);
            Ok(())
        }
        PracticeAction::PhoneOff { off } => {
            if kind != ChannelKind::TwilioSms {
                return Err(ApiError::BadRequest(Refusal::PhoneOffSmsOnly.text(locale)));
            }
            if !practice::set_phone_off(&state.db, id, &address, off).await? {
                return Err(ApiError::BadRequest(Refusal::WriteFirst.text(locale)));
            }
            Ok(())
        }
    }
}
