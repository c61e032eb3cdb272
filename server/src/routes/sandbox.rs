//! `GET /sandbox/events?channel=&lead=`: the simulated lead's stream. It says only that
//! the lead's conversation changed; the page then reloads its thread.

use crate::error::ApiError;
use app::channels::ChannelKind;
use app::ids::{ChannelId, ConversationId};
use app::state::AppState;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

#[derive(serde::Deserialize)]
pub struct LeadQuery {
    channel: i64,
    lead: String,
}

pub async fn lead_stream(
    State(state): State<AppState>,
    Query(query): Query<LeadQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    app::sandbox::check_lead_id(app::i18n::Locale::en, &query.lead)?;
    let channel = app::channels::store::by_id(&state.db, ChannelId(query.channel))
        .await?
        .filter(|c| c.kind == ChannelKind::Sandbox)
        .ok_or(ApiError::NotFound("Sandbox channel"))?;
    let receiver = state.bus.subscribe();
    let db = state.db.clone();
    let lead = query.lead;
    let stream = futures::stream::unfold(
        (receiver, None::<ConversationId>),
        move |(mut receiver, mut conversation)| {
            let db = db.clone();
            let lead = lead.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) if event.channel_id == channel.id => {
                            if conversation.is_none() {
                                conversation =
                                    app::conversations::store::of_contact(&db, channel.id, &lead)
                                        .await
                                        .ok()
                                        .flatten();
                            }
                            if conversation == Some(event.conversation_id) {
                                let item =
                                    Event::default().event("changed").data(event.id.to_string());
                                return Some((Ok(item), (receiver, conversation)));
                            }
                        }
                        Ok(_) => {}
                        // Missed some: tell the page to reload, it costs one request.
                        Err(RecvError::Lagged(_)) => {
                            return Some((
                                Ok(Event::default().event("changed").data("")),
                                (receiver, conversation),
                            ))
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    let stream = futures::StreamExt::take_until(stream, state.bus.closed());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
