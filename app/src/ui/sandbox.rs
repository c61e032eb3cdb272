//! `/sandbox`: play a lead of the sandbox channel. What you write is posted to the sandbox
//! webhook and reaches the inbox through the same path as a provider's message.

#[cfg(feature = "hydrate")]
use crate::ids::ChannelId;
use crate::sandbox::{sandbox_channels, sandbox_thread, LeadMessage, SandboxChannel};
use crate::ui::text::MessageText;
use crate::ui::time::{clock, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SandboxPage() -> impl IntoView {
    let channels = Resource::new(|| (), |_| sandbox_channels());
    let query = leptos_router::hooks::use_query_map();
    let wanted = Memo::new(move |_| {
        query
            .read()
            .get("channel")
            .and_then(|c| c.parse::<i64>().ok())
    });
    view! {
        <Title text="Sandbox lead · Confab"/>
        <main class="sandbox-page">
            <header class="sandbox-header">
                <h1>"Sandbox: you are the lead"</h1>
                <p>"Write as a customer would. Employees answer in "<a href="/conversations" target="_blank">"Conversations"</a>"; their replies appear here."</p>
            </header>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || channels.get().map(|result| match result {
                    Err(err) => view! { <p class="banner banner-error">{err.to_string()}</p> }.into_any(),
                    Ok(list) => {
                        let chosen = list
                            .iter()
                            .find(|c| Some(c.id.0) == wanted.get())
                            .or(list.first())
                            .cloned();
                        match chosen {
                            None => view! { <p class="banner banner-warn">"No sandbox channel is set up. Start Confab on an empty database to create the demo."</p> }.into_any(),
                            Some(channel) => {
                                let picker = (list.len() > 1).then(|| {
                                    let current = channel.id;
                                    view! {
                                        <nav class="tabs" aria-label="Write to">
                                            {list.iter().map(|c| view! {
                                                <a href=format!("/sandbox?channel={}", c.id) class:active=c.id == current
                                                    aria-current=(c.id == current).then_some("page")>{c.name.clone()}</a>
                                            }).collect_view()}
                                        </nav>
                                    }
                                });
                                view! { {picker} <LeadChat channel=channel/> }.into_any()
                            }
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// A random id for the simulated lead and its messages (letters and digits).
fn random_token(prefix: &str) -> String {
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
fn stored(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

#[cfg(feature = "hydrate")]
fn store(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

#[cfg(feature = "hydrate")]
const LEAD_KEY: &str = "confab.sandbox.lead_id";
#[cfg(feature = "hydrate")]
const NAME_KEY: &str = "confab.sandbox.name";

#[component]
fn LeadChat(channel: SandboxChannel) -> impl IntoView {
    let channel_id = channel.id;
    let lead_id = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let messages = RwSignal::new(Vec::<LeadMessage>::new());
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let refresh = move || {
        if let Some(lead) = lead_id.get_untracked() {
            leptos::task::spawn_local(async move {
                match sandbox_thread(channel_id, lead).await {
                    Ok(list) => messages.set(list),
                    Err(err) => error.set(Some(err.to_string())),
                }
            });
        }
    };
    // In the browser: restore or create the lead, load the thread, follow it live.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let lead = stored(LEAD_KEY).unwrap_or_else(|| {
            let fresh = random_token("lead-");
            store(LEAD_KEY, &fresh);
            fresh
        });
        name.set(stored(NAME_KEY).unwrap_or_else(|| format!("Lead {}", &lead[5..9])));
        lead_id.set(Some(lead.clone()));
        refresh();
        follow(channel_id, lead, refresh);
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
        if let Err(err) = hook.validate() {
            error.set(Some(err.to_string()));
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
        {
            let fresh = random_token("lead-");
            store(LEAD_KEY, &fresh);
            name.set(format!("Lead {}", &fresh[5..9]));
            store(NAME_KEY, &name.get_untracked());
            // A full reload re-opens the stream for the new lead.
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    };
    view! {
        <section class="lead-chat card">
            <div class="lead-identity">
                <label for="lead-name">"Your name"</label>
                <input id="lead-name" maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <span class="meta">"writing to "<strong>{channel.name.clone()}</strong></span>
                <button class="button" on:click=new_lead>"Start as a new lead"</button>
            </div>
            <div class="thread lead-thread" data-testid="lead-thread">
                {move || messages.get().is_empty().then(|| view! { <p class="list-empty">"Say hello — your message goes to the business's inbox."</p> })}
                <For each=move || messages.get() key=|m| m.id let:m>
                    <div class="bubble-row group-first group-last" class:outbound=m.from_lead class:inbound=!m.from_lead data-from-lead=m.from_lead.to_string()>
                        <div class="bubble">
                            <MessageText body=m.body.clone()/>
                        </div>
                        <div class="bubble-meta">
                            {(!m.from_lead).then(|| m.sender_name.clone()).flatten().map(|n| view! { <span>{n}" · "</span> })}
                            <LocalTime ms=m.created_at format=clock/>
                        </div>
                    </div>
                </For>
            </div>
            <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="composer-row">
                    <label class="visually-hidden" for="lead-text">"Message"</label>
                    <textarea id="lead-text" name="text" rows="1" placeholder="Write as the lead… (Enter sends)"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                ev.prevent_default();
                                send();
                            }
                        }></textarea>
                    <button type="submit" class="button primary" disabled=move || lead_id.get().is_none()>"Send"</button>
                </div>
            </form>
        </section>
    }
}

/// Posts to the sandbox webhook; the error is the server's sentence.
#[cfg(feature = "hydrate")]
async fn post_webhook(
    channel: ChannelId,
    hook: &crate::sandbox::SandboxWebhook,
) -> Result<(), String> {
    let response = gloo_net::http::Request::post(&format!("/webhooks/sandbox/{channel}"))
        .json(hook)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| "Could not reach Confab. Check your connection and try again.".to_owned())?;
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
        .map(|e| e.message)
        .unwrap_or_else(|_| format!("The message was refused ({}).", response.status())))
}

/// Follows the lead's conversation: any event in it reloads the thread.
#[cfg(feature = "hydrate")]
fn follow(channel: ChannelId, lead: String, refresh: impl Fn() + 'static) {
    use futures::StreamExt;
    let url = format!("/sandbox/events?channel={channel}&lead={lead}");
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
