//! The "+ Conversation" menu of a client: every channel the employee may use, with the
//! number or identity it would reach, an existing conversation to open, or why not.

use super::list::ChannelBadge;
use crate::conversations::start::{conversation_options, start_conversation, StartOption};
use crate::error::AppError;
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::ids::ClientId;
use crate::ui::locale::{error_text, fill};
use leptos::prelude::*;

/// Why a channel cannot reach the client, in the employee's language. The server words
/// the reason; each known sentence is recognised by rebuilding it from the option, and
/// anything else is shown as the server said it.
fn unavailable_text(locale: Locale, option: &StartOption, reason: &str) -> String {
    let channel = option.channel_name.as_str();
    let address = option.address.as_str();
    let kind = option.channel_kind.label();
    if reason == format!("{channel} is not connected: reconnect it in Settings › Conversations.")
    {
        fill(
            td_string!(locale, reply.unavailable_not_connected),
            &[("channel", channel)],
        )
    } else if reason == "The client has no phone number." {
        td_string!(locale, reply.unavailable_no_phone).to_owned()
    } else if reason
        == format!(
            "{address} has no country code: write it as +… in the client's card to reach it."
        )
    {
        fill(
            td_string!(locale, reply.unavailable_no_country_code),
            &[("phone", address)],
        )
    } else if reason == format!("{kind} can only answer people who wrote to {channel} first.") {
        fill(
            td_string!(locale, reply.unavailable_writes_first),
            &[("kind", kind), ("channel", channel)],
        )
    } else {
        reason.to_owned()
    }
}

/// What to know before starting, in the employee's language (as [`unavailable_text`]).
fn note_text(locale: Locale, note: &str) -> String {
    if note == "Starts with an approved template." {
        td_string!(locale, reply.start_note_template).to_owned()
    } else {
        note.to_owned()
    }
}

#[component]
pub fn StartConversation(
    client: ClientId,
    /// Where the conversation opens (a modal); the inbox when not given.
    #[prop(optional)]
    on_started: Option<Callback<crate::ids::ConversationId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let options = RwSignal::new(None::<Result<Vec<StartOption>, AppError>>);
    let error = RwSignal::new(None::<AppError>);
    let navigate = leptos_router::hooks::use_navigate();
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            leptos::task::spawn_local(async move {
                options.set(Some(conversation_options(client).await));
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
                    {move || match options.get() {
                        None => view! { <p class="meta">{t!(i18n, reply.start_loading)}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <p class="meta">{t!(i18n, reply.start_no_channel)}</p> }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|option| {
                            let label = format!("{} · {}", option.channel_name, option.address);
                            let badge = view! { <ChannelBadge kind=option.channel_kind/> };
                            match (&option.unavailable, option.existing) {
                                (Some(reason), _) => {
                                    let reason = unavailable_text(i18n.get_locale(), &option, reason);
                                    view! {
                                        <div class="start-option unavailable" role="menuitem" aria-disabled="true">
                                            {badge}" "<span>{option.channel_name.clone()}" "{option.address.clone()}</span>
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
                                        Some(note) => note_text(locale, note),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::ChannelKind;
    use crate::ids::ChannelId;

    fn option(kind: ChannelKind, address: &str) -> StartOption {
        StartOption {
            channel_id: ChannelId(1),
            channel_kind: kind,
            channel_name: "Shop page".into(),
            address: address.into(),
            existing: None,
            note: None,
            unavailable: None,
        }
    }

    /// The server's sentences (conversations/start.rs) are recognised and translated.
    #[test]
    fn server_reasons_are_recognised() {
        let cases = [
            (
                option(ChannelKind::Messenger, ""),
                "Shop page is not connected: reconnect it in Settings › Conversations.",
            ),
            (
                option(ChannelKind::Whatsapp, ""),
                "The client has no phone number.",
            ),
            (
                option(ChannelKind::TwilioSms, "5511987654321"),
                "5511987654321 has no country code: write it as +… in the client's card to reach it.",
            ),
            (
                option(ChannelKind::Instagram, ""),
                "Instagram can only answer people who wrote to Shop page first.",
            ),
        ];
        for (option, reason) in &cases {
            assert_eq!(unavailable_text(Locale::en, option, reason), *reason);
            assert_ne!(unavailable_text(Locale::pt_BR, option, reason), *reason);
        }
        let other = option(ChannelKind::Messenger, "");
        assert_eq!(
            unavailable_text(Locale::pt_BR, &other, "Something new."),
            "Something new."
        );
        assert_eq!(
            note_text(Locale::pt_BR, "Starts with an approved template."),
            "Começa com um modelo aprovado."
        );
    }
}
