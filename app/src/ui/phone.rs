//! `PhoneNumber`: every phone number the CRM shows. Hovering it, focusing it or tapping
//! it shows the number's card: the client and every conversation with that number the
//! employee may see, with unread / awaiting-reply state, and "+ Conversation". Cards come
//! from one server function and are kept for the page, so a list of a hundred numbers
//! asks once per number hovered, not once per hover. Numbers show as the server formatted
//! them (`crate::phone::display`: the browser has no numbering plans); links, keys and
//! `data-phone` keep E.164.

use crate::clients::{get_phone_card, PhoneCard};
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::locale::{error_text, fill, format_integer};
use crate::ui::inbox::start::StartConversation;
use crate::ui::inbox::ChannelBadge;
use leptos::prelude::*;
use std::collections::HashMap;

/// The conversation open in the chat modal, if any (one per page).
#[derive(Clone, Copy)]
pub struct ChatModal(RwSignal<Option<crate::ids::ConversationId>>);

/// The chat modal of the pages under it; `ChatModalHost` shows it.
pub fn provide_chat_modal() {
    provide_context(ChatModal(RwSignal::new(None)));
}

/// Where the chat modal appears when a card opens a conversation.
#[component]
pub fn ChatModalHost() -> impl IntoView {
    let modal = use_context::<ChatModal>();
    move || {
        modal.and_then(|m| m.0.get()).map(|id| {
            let close = Callback::new(move |_| {
                if let Some(m) = modal {
                    m.0.set(None)
                }
            });
            view! { <crate::ui::inbox::ConversationModal id=id close=close/> }
        })
    }
}

/// The cards fetched on this page, by number in E.164 (`None` while loading).
#[derive(Clone, Copy)]
pub struct PhoneCards(RwSignal<HashMap<String, Option<Result<PhoneCard, AppError>>>>);

/// Gives the pages under it one shared card cache.
pub fn provide_phone_cards() {
    provide_context(PhoneCards(RwSignal::new(HashMap::new())));
}

fn use_phone_cards() -> PhoneCards {
    use_context::<PhoneCards>().unwrap_or_else(|| {
        let cards = PhoneCards(RwSignal::new(HashMap::new()));
        provide_context(cards);
        cards
    })
}

/// A number with its card.
#[component]
pub fn PhoneNumber(
    /// In E.164: what the card is looked up by.
    phone: String,
    /// As people read it (from the server).
    display: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let cards = use_phone_cards();
    let open = RwSignal::new(false);
    let key = phone.clone();
    let show = move || {
        open.set(true);
        let known = cards.0.with_untracked(|c| c.contains_key(&key));
        if !known {
            cards.0.update(|c| {
                c.insert(key.clone(), None);
            });
            let key = key.clone();
            leptos::task::spawn_local(async move {
                let card = get_phone_card(key.clone()).await;
                cards.0.update(|c| {
                    c.insert(key, Some(card));
                });
            });
        }
    };
    let card_key = phone.clone();
    let card = Memo::new(move |_| cards.0.with(|c| c.get(&card_key).cloned().flatten()));
    let label = {
        let display = display.clone();
        move || {
            fill(
                td_string!(i18n.get_locale(), crm.phone_card_label),
                &[("phone", &display)],
            )
        }
    };
    // A tap focuses the number (which opens the card) and then clicks it: the click does
    // what the card's state was when the finger (or mouse button) went down, so it does not
    // close what its own focus just opened. Hover is for a mouse only (a touch screen fakes
    // mouse enter/leave around a tap, and layout shifts after it).
    let open_at_press = StoredValue::new(None::<bool>);
    let show_on_enter = show.clone();
    let show_on_focus = show.clone();
    view! {
        <span class="phone-number" data-phone=phone.clone()
            on:pointerenter=move |ev| if ev.pointer_type() == "mouse" { show_on_enter() }
            on:pointerleave=move |ev| if ev.pointer_type() == "mouse" { open.set(false) }
            on:focusin=move |_| show_on_focus()
            on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button type="button" class="phone-button" aria-expanded=move || open.get().to_string()
                on:pointerdown=move |_| open_at_press.set_value(Some(open.get_untracked()))
                on:click=move |_| {
                    let was_open = open_at_press.get_value().unwrap_or_else(|| open.get_untracked());
                    open_at_press.set_value(None);
                    if was_open { open.set(false) } else { show() }
                }>
                {display}
            </button>
            <Show when=move || open.get()>
                <div class="phone-card card" role="dialog" aria-label=label.clone() data-testid="phone-card">
                    {move || match card.get() {
                        None => view! { <p class="meta">{t!(i18n, crm.phone_card_loading)}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error">{error_text(i18n.get_locale(), &e)}</p> }.into_any(),
                        Some(Ok(card)) => view! { <PhoneCardView card=card/> }.into_any(),
                    }}
                </div>
            </Show>
        </span>
    }
}

#[component]
fn PhoneCardView(card: PhoneCard) -> impl IntoView {
    let i18n = use_i18n();
    let nothing = card.client.is_none() && card.conversations.is_empty();
    let phone = card.phone_display.clone();
    let modal = use_context::<ChatModal>();
    let open_chat = Callback::new(move |id: crate::ids::ConversationId| {
        if let Some(m) = modal {
            m.0.set(Some(id))
        }
    });
    view! {
        {card.client.clone().map(|c| view! {
            <div class="card-title">
                <a href=format!("/clients/{}", c.id)><strong>{c.name.clone()}</strong></a>
            </div>
            <dl>
                <dt>{t!(i18n, crm.phones)}</dt><dd>{c.phones_display.join(", ")}</dd>
                {c.email.clone().map(|e| view! { <dt>{t!(i18n, crm.email)}</dt><dd>{e}</dd> })}
            </dl>
        })}
        {nothing.then(|| view! { <p class="meta">{t!(i18n, crm.phone_card_empty)}</p> })}
        {(!card.conversations.is_empty()).then(|| view! {
            <ul class="mini-list" data-testid="phone-card-conversations">
                {card.conversations.iter().map(|s| {
                    let unread = s.unread_count;
                    view! {
                    <li>
                        <a href=format!("/conversations/{}", s.id)>
                            <ChannelBadge kind=s.channel_kind/>" "{s.contact_name.clone()}" · "{s.channel_name.clone()}
                        </a>
                        {(unread > 0).then(|| view! { <span class="unread-pill" data-testid="unread">{move || format_integer(i18n.get_locale(), unread)}</span> })}
                        {(s.unread_count == 0 && s.awaiting_reply).then(|| view! { <span class="awaiting-dot" title=move || t_string!(i18n, crm.awaiting_reply)></span> })}
                        {modal.is_some().then(|| {
                            let id = s.id;
                            view! { <button type="button" class="button chat-button" data-testid="open-chat" on:click=move |_| open_chat.run(id)>{t!(i18n, crm.chat)}</button> }
                        })}
                    </li>
                    }
                }).collect_view()}
            </ul>
        })}
        {card.may_converse.then(|| match (card.client.as_ref().map(|c| c.id), modal) {
            (Some(id), Some(_)) => view! { <StartConversation client=id on_started=open_chat/> }.into_any(),
            (Some(id), None) => view! { <StartConversation client=id/> }.into_any(),
            // A number of nobody's: write to it (SMS, WhatsApp by template).
            (None, Some(_)) => view! { <StartConversation phone=card.phone.clone() on_started=open_chat/> }.into_any(),
            (None, None) => view! { <StartConversation phone=card.phone.clone()/> }.into_any(),
        })}
        <a class="meta" href=format!("tel:{}", card.phone)>{t!(i18n, crm.call_number, phone = move || phone.clone())}</a>
    }
}
