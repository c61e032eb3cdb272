//! The composer: Enter sends, Shift+Enter makes a new line, at most 1,000 characters with
//! a counter near the limit. A reply shows at once as "sending"; if the server refuses it,
//! the text comes back so nothing typed is lost.

use crate::channels::ChannelStatus;
use crate::conversations::ConversationDetail;
use crate::messages::{send_message, MessageBody, MAX_BODY_CHARS};
use leptos::prelude::*;

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MAX_BODY_CHARS - 100;

/// Why replying is impossible, if it is.
fn lock_reason(status: ChannelStatus) -> Option<&'static str> {
    match status {
        ChannelStatus::Connected => None,
        ChannelStatus::SyncLost => {
            Some("This channel lost its connection. Reconnect it in Settings › Conversations.")
        }
        ChannelStatus::Disconnected => {
            Some("This channel is disconnected. Connect it in Settings › Conversations to reply.")
        }
    }
}

#[component]
pub fn Composer(state: RwSignal<ConversationDetail>, on_sent: Callback<()>) -> impl IntoView {
    let id = state.with_untracked(|s| s.summary.id);
    let lock = Memo::new(move |_| state.with(|s| lock_reason(s.channel_status)));
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let sending = RwSignal::new(Vec::<(u64, String)>::new());
    let next_local = StoredValue::new(0u64);
    let count = Memo::new(move |_| text.with(|t| t.chars().count()));
    let too_long = move || count.get() > MAX_BODY_CHARS;
    let blank = move || text.with(|t| t.trim().is_empty());
    let send = move || {
        let body = text.get_untracked();
        match MessageBody::parse(&body) {
            Err(err) => error.set(Some(err.to_string())),
            Ok(valid) => {
                error.set(None);
                let local = next_local.get_value();
                next_local.set_value(local + 1);
                sending.update(|s| s.push((local, valid.as_str().to_owned())));
                text.set(String::new());
                leptos::task::spawn_local(async move {
                    let result = send_message(id, body.clone()).await;
                    match result {
                        Ok(_) => on_sent.run(()),
                        Err(err) => {
                            if text.get_untracked().is_empty() {
                                text.set(body);
                            }
                            error.set(Some(err.to_string()));
                        }
                    }
                    sending.update(|s| s.retain(|(l, _)| *l != local));
                });
            }
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <div class="sending-list">
            <For each=move || sending.get() key=|(l, _)| *l let:item>
                <div class="bubble-row outbound group-first group-last" data-status="sending">
                    <div class="bubble"><p class="bubble-text">{item.1}</p></div>
                    <div class="bubble-meta"><span class="state state-pending">"🕓 Sending…"</span></div>
                </div>
            </For>
        </div>
        <Show
            when=move || lock.get().is_none()
            fallback=move || view! { <div class="composer-locked" role="status">{move || lock.get()}</div> }
        >
            <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="composer-error">{e}</p> })}
                <div class="composer-row">
                    <label class="visually-hidden" for="composer-text">"Reply"</label>
                    <textarea id="composer-text" name="body" rows="1" placeholder="Write a reply…"
                        title="Enter sends, Shift+Enter makes a new line"
                        prop:value=move || text.get()
                        on:input=move |ev| { text.set(event_target_value(&ev)); error.set(None); }
                        on:keydown=on_keydown
                        aria-describedby="composer-counter"></textarea>
                    <button type="submit" class="button primary send-button"
                        disabled=move || blank() || too_long()
                        title=move || if blank() { "Write a message first".to_owned() } else if too_long() { format!("Shorten the message to {MAX_BODY_CHARS} characters") } else { "Send (Enter)".to_owned() }>
                        "Send"
                    </button>
                </div>
                <span id="composer-counter" class="counter" class:over=too_long aria-live="polite">
                    {move || (count.get() >= COUNTER_FROM).then(|| format!("{} / {MAX_BODY_CHARS}", count.get()))}
                </span>
            </form>
        </Show>
    }
}
