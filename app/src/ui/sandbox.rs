//! `/sandbox`: play a lead of the sandbox channel. What you write is posted to the sandbox
//! webhook and reaches the inbox through the same path as a provider's message.

use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
#[cfg(feature = "hydrate")]
use crate::ids::ChannelId;
use crate::locale::{error_text, fill};
#[cfg(feature = "hydrate")]
use crate::sandbox::sandbox_lead;
use crate::sandbox::{sandbox_channels, sandbox_thread, LeadMessage, SandboxChannel};
use crate::ui::text::MessageText;
use crate::ui::time::{clock, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SandboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let channels = Resource::new(|| (), |_| sandbox_channels());
    let query = leptos_router::hooks::use_query_map();
    let wanted = Memo::new(move |_| {
        query
            .read()
            .get("channel")
            .and_then(|c| c.parse::<i64>().ok())
    });
    view! {
        <Title text=move || t_string!(i18n, sandbox.page_title)/>
        <main class="sandbox-page">
            <header class="sandbox-header">
                <h1>{t!(i18n, sandbox.heading)}</h1>
                <p>{t!(i18n, sandbox.intro, <a> = <a href="/conversations" target="_blank"/>)}</p>
            </header>
            <Suspense fallback=move || view! { <p>{t!(i18n, sandbox.loading)}</p> }>
                {move || channels.get().map(|result| match result {
                    Err(err) => view! { <p class="banner banner-error">{error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(list) => {
                        let chosen = list
                            .iter()
                            .find(|c| Some(c.id.0) == wanted.get())
                            .or(list.first())
                            .cloned();
                        match chosen {
                            None => view! { <p class="banner banner-warn">{t!(i18n, sandbox.no_channel)}</p> }.into_any(),
                            Some(channel) => {
                                let picker = (list.len() > 1).then(|| {
                                    let current = channel.id;
                                    view! {
                                        <nav class="tabs" aria-label=move || t_string!(i18n, sandbox.write_to)>
                                            {list.iter().map(|c| view! {
                                                <a href=format!("/sandbox?channel={}", c.id) class:active=c.id == current
                                                    data-kind=c.kind.as_str()
                                                    aria-current=(c.id == current).then_some("page")>
                                                    <span class=format!("channel-badge channel-{}", c.kind.as_str()) aria-hidden="true">{c.kind.short_label()}</span>
                                                    " "{c.name.clone()}
                                                </a>
                                            }).collect_view()}
                                        </nav>
                                    }
                                });
                                let chat = if channel.simulated {
                                    view! { <crate::ui::practice::PracticeChat channel=channel/> }.into_any()
                                } else {
                                    view! { <LeadChat channel=channel/> }.into_any()
                                };
                                view! { {picker} {chat} }.into_any()
                            }
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// What went wrong for the lead, worded when shown (so it follows the language).
#[derive(Debug, Clone)]
enum ChatError {
    /// A server function's error.
    App(AppError),
    /// The lead's name is empty or too long.
    NameLength,
    /// Nothing to send.
    EmptyText,
    /// The message is longer than a message may be.
    TextTooLong,
    /// The webhook refused the message with this sentence of the server's.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Server(String),
    /// The webhook refused the message with this HTTP status and no sentence.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Refused(u16),
}

impl ChatError {
    /// The simulator's own check of a message, in the lead's words where they can act on it.
    fn from_validation(err: AppError, text: &str) -> Self {
        match &err {
            AppError::Validation { field, .. } if field == "name" => ChatError::NameLength,
            AppError::Validation { field, .. } if field == "text" => {
                if text.trim().is_empty() {
                    ChatError::EmptyText
                } else {
                    ChatError::TextTooLong
                }
            }
            _ => ChatError::App(err),
        }
    }

    fn text(&self, locale: Locale) -> String {
        match self {
            ChatError::App(err) => error_text(locale, err),
            ChatError::NameLength => fill(
                td_string!(locale, sandbox.name_length),
                &[("max", &crate::sandbox::MAX_LEAD_NAME_CHARS.to_string())],
            ),
            ChatError::EmptyText => td_string!(locale, sandbox.text_empty).to_owned(),
            ChatError::TextTooLong => fill(
                td_string!(locale, sandbox.text_too_long),
                &[("max", &crate::messages::MAX_BODY_CHARS.to_string())],
            ),
            ChatError::Server(message) => message.clone(),
            ChatError::Refused(status) => fill(
                td_string!(locale, sandbox.refused),
                &[("status", &status.to_string())],
            ),
        }
    }
}

/// A random id for the lead's messages (letters and digits). The lead's own id comes from
/// the server, with the cookie that makes this browser that lead.
pub(super) fn random_token(prefix: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut s = String::from(prefix);
        for _ in 0..16 {
            let n = (js_sys::Math::random() * 36.0) as u32;
            s.push(std::char::from_digit(n.min(35), 36).unwrap_or('0'));
        }
        s
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("{prefix}server")
    }
}

#[cfg(feature = "hydrate")]
pub(super) fn stored(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

#[cfg(feature = "hydrate")]
pub(super) fn store(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

#[cfg(feature = "hydrate")]
pub(super) const LEAD_KEY: &str = "confab.sandbox.lead_id";
#[cfg(feature = "hydrate")]
pub(super) const NAME_KEY: &str = "confab.sandbox.name";

#[component]
fn LeadChat(channel: SandboxChannel) -> impl IntoView {
    let i18n = use_i18n();
    let channel_id = channel.id;
    let lead_id = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ChatError>);
    let messages = RwSignal::new(Vec::<LeadMessage>::new());
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let refresh = move || {
        if lead_id.get_untracked().is_some() {
            leptos::task::spawn_local(async move {
                match sandbox_thread(channel_id).await {
                    Ok(list) => messages.set(list),
                    Err(err) => error.set(Some(ChatError::App(err))),
                }
            });
        }
    };
    // In the browser: become this browser's lead (the server sets its cookie the first
    // time), load the thread, follow it live.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match sandbox_lead(false).await {
                Ok(lead) => {
                    // The name typed last is this lead's, not a former one's.
                    let known = stored(LEAD_KEY).as_deref() == Some(lead.as_str());
                    name.set(
                        stored(NAME_KEY)
                            .filter(|_| known)
                            .unwrap_or_else(|| default_name(i18n.get_locale_untracked(), &lead)),
                    );
                    store(LEAD_KEY, &lead);
                    lead_id.set(Some(lead));
                    refresh();
                    follow(channel_id, refresh);
                }
                Err(err) => error.set(Some(ChatError::App(err))),
            }
        });
    });
    // Tell the channel the lead has read our replies (shows "Read" to the employee).
    #[cfg(feature = "hydrate")]
    {
        let acked = StoredValue::new(0i64);
        Effect::new(move |_| {
            let newest = messages.with(|m| {
                m.iter()
                    .filter(|m| !m.from_lead)
                    .map(|m| m.created_at)
                    .max()
            });
            if let (Some(newest), Some(lead)) = (newest, lead_id.get_untracked()) {
                if newest > acked.get_value() {
                    acked.set_value(newest);
                    leptos::task::spawn_local(async move {
                        let read = crate::sandbox::SandboxWebhook::Read {
                            lead_id: lead,
                            watermark: newest,
                        };
                        let _ = post_webhook(channel_id, &read).await;
                    });
                }
            }
        });
    }
    let send = move || {
        let Some(lead) = lead_id.get_untracked() else {
            return;
        };
        let hook = crate::sandbox::SandboxWebhook::Message {
            lead_id: lead,
            name: name.get_untracked().trim().to_owned(),
            message_id: random_token("msg-"),
            text: text.get_untracked(),
        };
        if let Err(err) = hook.validate(i18n.get_locale_untracked()) {
            error.set(Some(ChatError::from_validation(err, &text.get_untracked())));
        } else {
            #[cfg(feature = "hydrate")]
            {
                store(NAME_KEY, name.get_untracked().trim());
                let sent = text.get_untracked();
                text.set(String::new());
                leptos::task::spawn_local(async move {
                    match post_webhook(channel_id, &hook).await {
                        Ok(()) => {
                            error.set(None);
                            refresh();
                        }
                        Err(message) => {
                            text.set(sent);
                            error.set(Some(message));
                        }
                    }
                });
            }
        }
    };
    let new_lead = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match sandbox_lead(true).await {
                Ok(fresh) => {
                    store(LEAD_KEY, &fresh);
                    store(NAME_KEY, &default_name(i18n.get_locale_untracked(), &fresh));
                    // A full reload re-opens the stream for the new lead.
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                }
                Err(err) => error.set(Some(ChatError::App(err))),
            }
        });
    };
    view! {
        <section class="lead-chat card">
            <div class="lead-identity">
                <label for="lead-name">{t!(i18n, sandbox.your_name)}</label>
                <input id="lead-name" maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <span class="meta">{
                    let channel_name = channel.name.clone();
                    t!(i18n, sandbox.writing_to, <strong> = <strong/>, channel = move || channel_name.clone())
                }</span>
                <button class="button" on:click=new_lead>{t!(i18n, sandbox.new_lead)}</button>
                <p class="meta">{t!(i18n, sandbox.new_lead_hint)}</p>
            </div>
            <div class="thread lead-thread" data-testid="lead-thread">
                {move || messages.get().is_empty().then(|| view! { <p class="list-empty">{t!(i18n, sandbox.empty)}</p> })}
                <For each=move || messages.get() key=|m| m.id let:m>
                    <div class="bubble-row group-first group-last" class:outbound=m.from_lead class:inbound=!m.from_lead data-from-lead=m.from_lead.to_string()>
                        <div class="bubble">
                            {m.files.iter().map(|file| lead_file(i18n.get_locale_untracked(), file)).collect_view()}
                            {(!m.body.is_empty()).then(|| view! { <MessageText body=m.body.clone()/> })}
                        </div>
                        <div class="bubble-meta">
                            {(!m.from_lead).then(|| m.sender_name.clone()).flatten().map(|n| view! { <span>{n}" · "</span> })}
                            <LocalTime ms=m.created_at format=clock/>
                        </div>
                    </div>
                </For>
            </div>
            <LeadComposer text=text send=send disabled=Signal::derive(move || lead_id.get().is_none())>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.text(i18n.get_locale())}</p> })}
            </LeadComposer>
        </section>
    }
}

/// The lead's message box (Enter sends, Shift+Enter a new line), with `children` above it
/// (the refusal, when there is one). Shared by the sandbox and the practice channels.
#[component]
pub(super) fn LeadComposer(
    text: RwSignal<String>,
    send: impl Fn() + Copy + Send + Sync + 'static,
    disabled: Signal<bool>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            {children()}
            <div class="composer-row">
                <label class="visually-hidden" for="lead-text">{t!(i18n, sandbox.message)}</label>
                <textarea id="lead-text" name="text" rows="1" placeholder=move || t_string!(i18n, sandbox.placeholder)
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        }
                    }></textarea>
                <button type="submit" class="button primary" disabled=move || disabled.get()>{t!(i18n, sandbox.send)}</button>
            </div>
        </form>
    }
}

/// A file the business sent, as the lead's phone shows it: a photo inline, else a link.
fn lead_file(locale: Locale, file: &crate::sandbox::LeadFile) -> AnyView {
    let name = file
        .name
        .clone()
        .unwrap_or_else(|| td_string!(locale, sandbox.file).to_owned());
    if file.is_image() {
        view! {
            <a class="attachment attachment-image" href=file.url.clone() target="_blank" rel="noopener">
                <img src=file.url.clone() alt=name data-testid="lead-file-image" loading="lazy"/>
            </a>
        }
        .into_any()
    } else {
        view! {
            <a class="attachment attachment-file" href=file.url.clone() download=name.clone() data-testid="lead-file-link">"📎 "{name.clone()}</a>
        }
        .into_any()
    }
}

/// The name a new simulated lead starts with: "Lead" and four characters of its id (after
/// its `lead-`).
#[cfg(feature = "hydrate")]
pub(super) fn default_name(locale: Locale, lead_id: &str) -> String {
    fill(
        td_string!(locale, sandbox.default_name),
        &[("code", lead_id.get(5..9).unwrap_or(lead_id))],
    )
}

/// Posts to the sandbox webhook; the error is the server's sentence when it gave one.
#[cfg(feature = "hydrate")]
async fn post_webhook(
    channel: ChannelId,
    hook: &crate::sandbox::SandboxWebhook,
) -> Result<(), ChatError> {
    let response = gloo_net::http::Request::post(&format!("/webhooks/sandbox/{channel}"))
        .json(hook)
        .map_err(|_| ChatError::App(AppError::Internal))?
        .send()
        .await
        .map_err(|e| ChatError::App(AppError::Network(e.to_string())))?;
    if response.ok() {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct ApiError {
        message: String,
    }
    Err(response
        .json::<ApiError>()
        .await
        .map(|e| ChatError::Server(e.message))
        .unwrap_or_else(|_| ChatError::Refused(response.status())))
}

/// Follows the lead's conversation (the cookie says whose): any event in it reloads the
/// thread.
#[cfg(feature = "hydrate")]
pub(super) fn follow(channel: ChannelId, refresh: impl Fn() + 'static) {
    use futures::StreamExt;
    let url = format!("/sandbox/events?channel={channel}");
    let Ok(mut source) = gloo_net::eventsource::futures::EventSource::new(&url) else {
        return;
    };
    let Ok(mut stream) = source.subscribe("changed") else {
        return;
    };
    let source = send_wrapper::SendWrapper::new(source);
    leptos::task::spawn_local(async move {
        while let Some(item) = stream.next().await {
            if item.is_ok() {
                refresh();
            }
        }
    });
    on_cleanup(move || source.take().close());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{SandboxWebhook, MAX_LEAD_NAME_CHARS};

    #[test]
    fn the_lead_sees_the_checks_in_its_language() {
        let long_text = "a".repeat(crate::messages::MAX_BODY_CHARS + 1);
        let long_name = "n".repeat(MAX_LEAD_NAME_CHARS + 1);
        for (name, text) in [
            ("", "hello"),
            (long_name.as_str(), "hello"),
            ("Ana", "  \n "),
            ("Ana", long_text.as_str()),
        ] {
            let hook = SandboxWebhook::Message {
                lead_id: "lead-abcdefgh".to_owned(),
                name: name.to_owned(),
                message_id: "msg-abcdefgh".to_owned(),
                text: text.to_owned(),
            };
            let err = hook.validate(Locale::en).expect_err("the check refuses it");
            let shown = ChatError::from_validation(err.clone(), text);
            assert!(!matches!(shown, ChatError::App(_)), "{err:?}");
            assert_eq!(shown.text(Locale::en), err.to_string());
            assert_ne!(shown.text(Locale::pt_BR), err.to_string());
        }
    }
}
