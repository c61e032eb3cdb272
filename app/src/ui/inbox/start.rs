//! The "+ Conversation" menu of a client (every channel the employee may use, with the
//! number or identity it would reach, an existing conversation to open, or why not) or of
//! a phone number that may be nobody's yet (the channels that write first). In the inbox
//! the menu first asks for the number.

use super::list::ChannelBadge;
use crate::conversations::start::{
    conversation_options, number_conversation_options, start_conversation,
    start_number_conversation, StartOption,
};
use crate::error::AppError;
use crate::i18n::{t, td_string, use_i18n};
use crate::ids::ClientId;
use crate::locale::error_text;
use leptos::prelude::*;

#[component]
pub fn StartConversation(
    /// The client to write to; or, without one, `phone`.
    #[prop(optional)]
    client: Option<ClientId>,
    /// A number to write to, in any form the business's country reads.
    #[prop(optional, into)]
    phone: Option<String>,
    /// Asks for the number in the menu (the inbox's own "+ Conversation").
    #[prop(optional)]
    ask_number: bool,
    /// Where the conversation opens (a modal); the inbox when not given.
    #[prop(optional)]
    on_started: Option<Callback<crate::ids::ConversationId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let options = RwSignal::new(None::<Result<Vec<StartOption>, AppError>>);
    let error = RwSignal::new(None::<AppError>);
    let navigate = leptos_router::hooks::use_navigate();
    let number = RwSignal::new(phone);
    let load = move || {
        let phone = number.get_untracked();
        leptos::task::spawn_local(async move {
            let found = match (client, phone) {
                (Some(client), _) => conversation_options(client).await,
                (None, Some(phone)) => number_conversation_options(phone).await,
                (None, None) => return,
            };
            options.set(Some(found));
        });
    };
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open && !ask_number {
            load();
        }
    };
    let typed = NodeRef::<leptos::html::Input>::new();
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = typed.get_untracked() else {
            return;
        };
        options.set(None);
        error.set(None);
        number.set(Some(input.value()));
        load();
    };
    let start = Callback::new(move |option: StartOption| {
        let navigate = navigate.clone();
        let phone = number.get_untracked();
        leptos::task::spawn_local(async move {
            let started = match (client, phone) {
                (Some(client), _) => {
                    start_conversation(client, option.channel_id, option.address.clone()).await
                }
                (None, Some(phone)) => start_number_conversation(phone, option.channel_id).await,
                (None, None) => return,
            };
            match started {
                Ok(id) => {
                    open.set(false);
                    match on_started {
                        Some(opened) => {
                            opened.try_run(id);
                        }
                        None => navigate(&format!("/conversations/{id}"), Default::default()),
                    }
                }
                Err(err) => error.set(Some(err)),
            }
        });
    });
    view! {
        <div class="start-conversation">
            <button class="button" type="button" on:click=toggle aria-expanded=move || open.get().to_string()
                data-testid="start-conversation">{t!(i18n, reply.start_button)}</button>
            <Show when=move || open.get()>
                <div class="start-options card" role="menu">
                    {ask_number.then(|| view! {
                        <form class="start-number" on:submit=find data-testid="start-number-form">
                            <label for="start-number">{t!(i18n, reply.start_number_label)}</label>
                            <input id="start-number" name="phone" type="tel" inputmode="tel" autocomplete="off"
                                required maxlength="40" node_ref=typed/>
                            <button class="button" type="submit">{t!(i18n, reply.start_number_find)}</button>
                        </form>
                    })}
                    {move || match options.get() {
                        None if ask_number && number.get().is_none() => ().into_any(),
                        None => view! { <p class="meta">{t!(i18n, reply.start_loading)}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <p class="meta">{t!(i18n, reply.start_no_channel)}</p> }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|option| {
                            let label = format!("{} · {}", option.channel_name, option.address_display);
                            let badge = view! { <ChannelBadge kind=option.channel_kind/> };
                            match (&option.unavailable, option.existing) {
                                (Some(reason), _) => {
                                    let reason = reason.clone();
                                    view! {
                                        <div class="start-option unavailable" role="menuitem" aria-disabled="true">
                                            {badge}" "<span>{option.channel_name.clone()}" "{option.address_display.clone()}</span>
                                            <span class="meta">{reason}</span>
                                        </div>
                                    }.into_any()
                                }
                                (None, Some(id)) => match on_started {
                                    Some(opened) => view! {
                                        <button class="start-option" role="menuitem" type="button" on:click=move |_| opened.run(id)>
                                            {badge}" "<span>{label}</span><span class="meta">{t!(i18n, reply.open_conversation)}</span>
                                        </button>
                                    }.into_any(),
                                    None => view! {
                                        <a class="start-option" role="menuitem" href=format!("/conversations/{id}")>
                                            {badge}" "<span>{label}</span><span class="meta">{t!(i18n, reply.open_conversation)}</span>
                                        </a>
                                    }.into_any(),
                                },
                                (None, None) => {
                                    let locale = i18n.get_locale();
                                    let note = match &option.note {
                                        Some(note) => note.clone(),
                                        None => td_string!(locale, reply.start_conversation).to_owned(),
                                    };
                                    view! {
                                        <button class="start-option" role="menuitem" type="button"
                                            on:click={let option = option.clone(); move |_| start.run(option.clone())}>
                                            {badge}" "<span>{label}</span>
                                            <span class="meta">{note}</span>
                                        </button>
                                    }.into_any()
                                }
                            }
                        }).collect_view().into_any(),
                    }}
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
                </div>
            </Show>
        </div>
    }
}
