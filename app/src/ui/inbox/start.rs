//! The "+ Conversation" menu of a client: every channel the employee may use, with the
//! number or identity it would reach, an existing conversation to open, or why not.

use super::list::ChannelBadge;
use crate::conversations::start::{conversation_options, start_conversation, StartOption};
use crate::ids::ClientId;
use leptos::prelude::*;

#[component]
pub fn StartConversation(
    client: ClientId,
    /// Where the conversation opens (a modal); the inbox when not given.
    #[prop(optional)]
    on_started: Option<Callback<crate::ids::ConversationId>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let options = RwSignal::new(None::<Result<Vec<StartOption>, String>>);
    let error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            leptos::task::spawn_local(async move {
                options.set(Some(
                    conversation_options(client)
                        .await
                        .map_err(|e| e.to_string()),
                ));
            });
        }
    };
    let start = Callback::new(move |option: StartOption| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match start_conversation(client, option.channel_id, option.address.clone()).await {
                Ok(id) => {
                    open.set(false);
                    match on_started {
                        Some(opened) => opened.run(id),
                        None => navigate(&format!("/conversations/{id}"), Default::default()),
                    }
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    });
    view! {
        <div class="start-conversation">
            <button class="button" type="button" on:click=toggle aria-expanded=move || open.get().to_string()
                data-testid="start-conversation">"+ Conversation"</button>
            <Show when=move || open.get()>
                <div class="start-options card" role="menu">
                    {move || match options.get() {
                        None => view! { <p class="meta">"Looking at the channels…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <p class="meta">"You have no channel to write from."</p> }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|option| {
                            let label = format!("{} · {}", option.channel_name, option.address);
                            let badge = view! { <ChannelBadge kind=option.channel_kind/> };
                            match (&option.unavailable, option.existing) {
                                (Some(reason), _) => view! {
                                    <div class="start-option unavailable" role="menuitem" aria-disabled="true">
                                        {badge}" "<span>{option.channel_name.clone()}" "{option.address.clone()}</span>
                                        <span class="meta">{reason.clone()}</span>
                                    </div>
                                }.into_any(),
                                (None, Some(id)) => match on_started {
                                    Some(opened) => view! {
                                        <button class="start-option" role="menuitem" type="button" on:click=move |_| opened.run(id)>
                                            {badge}" "<span>{label}</span><span class="meta">"Open the conversation"</span>
                                        </button>
                                    }.into_any(),
                                    None => view! {
                                        <a class="start-option" role="menuitem" href=format!("/conversations/{id}")>
                                            {badge}" "<span>{label}</span><span class="meta">"Open the conversation"</span>
                                        </a>
                                    }.into_any(),
                                },
                                (None, None) => {
                                    let note = option.note.clone();
                                    view! {
                                        <button class="start-option" role="menuitem" type="button"
                                            on:click={let option = option.clone(); move |_| start.run(option.clone())}>
                                            {badge}" "<span>{label}</span>
                                            <span class="meta">{note.unwrap_or_else(|| "Start a conversation".into())}</span>
                                        </button>
                                    }.into_any()
                                }
                            }
                        }).collect_view().into_any(),
                    }}
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                </div>
            </Show>
        </div>
    }
}
