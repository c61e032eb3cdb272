//! Telling the employee that a lead wrote while they look elsewhere: the tab title's
//! unread count (always), a short sound and a browser notification (each only when the
//! employee turned it on in their profile; the browser's permission is asked for by a
//! button there, never on page load). The live stream only carries conversations of
//! channels the employee may use, so nothing here can name a lead they may not see.

use crate::conversations::InboxAttention;
use leptos::prelude::*;

/// Whether the employee wants a sound / a browser notification; kept per browser, since
/// the browser's permission is too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyPrefs {
    pub sound: bool,
    pub desktop: bool,
}

pub const SOUND_KEY: &str = "confab.notify.sound";
pub const DESKTOP_KEY: &str = "confab.notify.desktop";

/// The tab title with the unread count first, so it shows in a narrow tab: "(3) Conversations · Confab".
pub fn title_with_count(title: &str, unread: i64) -> String {
    match unread {
        n if n <= 0 => title.to_owned(),
        n if n > 99 => format!("(99+) {title}"),
        n => format!("({n}) {title}"),
    }
}

/// A notification's body: one line of the message, short enough for every system's popup.
pub fn notification_body(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        one_line
    } else {
        let cut: String = one_line.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Puts the unread count into the tab title (through leptos_meta's title formatter, so
/// every page's own title keeps working).
#[component]
pub fn UnreadTitle(attention: Signal<InboxAttention>) -> impl IntoView {
    view! {
        <leptos_meta::Title formatter=move |text: String| {
            title_with_count(&text, attention.get().unread_conversations)
        }/>
    }
}

/// What a team event asks of one employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToldToMe {
    /// The conversation was given to them: by someone (their name), or in turn (`None`).
    Assigned(Option<String>),
    /// A note names them; the author's name.
    Mentioned(String),
}

/// What an event tells `me`: a conversation given to them or a note naming them, by
/// someone else (nothing for their own acts, or for what concerns others).
pub fn told_to_me(
    event: &crate::events::LiveEvent,
    me: crate::ids::EmployeeId,
) -> Option<(crate::ids::ConversationId, ToldToMe)> {
    use crate::events::EventKind;
    let p = &event.payload;
    let told = match event.kind {
        EventKind::ConversationAssigned
            if p["assignee_id"].as_i64() == Some(me.0) && p["by_id"].as_i64() != Some(me.0) =>
        {
            ToldToMe::Assigned(p["by_name"].as_str().map(str::to_owned))
        }
        EventKind::NoteCreated
            if p["author_id"].as_i64() != Some(me.0)
                && p["mentions"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|a| a["id"].as_i64() == Some(me.0))) =>
        {
            ToldToMe::Mentioned(p["author_name"].as_str().unwrap_or_default().to_owned())
        }
        _ => return None,
    };
    Some((event.conversation_id, told))
}

/// "Ana assigned you the conversation with Pedro", "Ana mentioned you…": a notice in the
/// corner (always), with the chime and a browser notification as the employee chose for
/// new messages.
#[component]
pub fn TeamNotice(me: Signal<Option<crate::ids::EmployeeId>>) -> impl IntoView {
    use crate::i18n::{t, td_string, use_i18n};
    let i18n = use_i18n();
    let live = crate::ui::live::use_live();
    let notice = RwSignal::new(None::<(crate::ids::ConversationId, String)>);
    Effect::new(move |_| {
        live.version.track();
        let (Some(event), Some(me)) = (live.last.get_untracked(), me.get_untracked()) else {
            return;
        };
        let Some((conversation, told)) = told_to_me(&event, me) else {
            return;
        };
        leptos::task::spawn_local(async move {
            // The lead's name, read as this employee (the stream only carries
            // conversations of their channels).
            let Ok(summary) = crate::conversations::get_conversation_summary(conversation).await
            else {
                return;
            };
            let locale = i18n.get_locale_untracked();
            let name = summary.contact_name.as_str();
            let (title, text) = match &told {
                ToldToMe::Assigned(Some(by)) => (
                    td_string!(locale, inbox.assigned_notification_title),
                    crate::locale::fill(
                        td_string!(locale, inbox.assigned_you),
                        &[("by", by), ("name", name)],
                    ),
                ),
                ToldToMe::Assigned(None) => (
                    td_string!(locale, inbox.assigned_notification_title),
                    crate::locale::fill(
                        td_string!(locale, inbox.assigned_you_in_turn),
                        &[("name", name)],
                    ),
                ),
                ToldToMe::Mentioned(by) => (
                    td_string!(locale, inbox.mentioned_notification_title),
                    crate::locale::fill(
                        td_string!(locale, inbox.mentioned_you),
                        &[("by", by), ("name", name)],
                    ),
                ),
            };
            #[cfg(feature = "hydrate")]
            browser::tell_team(title, &text, conversation.0);
            #[cfg(not(feature = "hydrate"))]
            let _ = title;
            notice.set(Some((conversation, text)));
        });
    });
    move || {
        notice.get().map(|(conversation, text)| {
            view! {
                <div class="team-notice" role="status" data-testid="team-notice">
                    <span>{text}</span>
                    <a href=format!("/conversations/{conversation}") on:click=move |_| notice.set(None)>{t!(i18n, inbox.open_it)}</a>
                    <button class="button" type="button" on:click=move |_| notice.set(None)
                        aria-label=move || crate::i18n::t_string!(i18n, inbox.dismiss)>"×"</button>
                </div>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::events::{EventKind, LiveEvent};
    use crate::messages::{Direction, Message};
    use crate::ui::live::Live;
    use wasm_bindgen::prelude::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn load_prefs() -> NotifyPrefs {
        let on = |key| {
            storage()
                .and_then(|s| s.get_item(key).ok().flatten())
                .is_some_and(|v| v == "on")
        };
        NotifyPrefs {
            sound: on(SOUND_KEY),
            desktop: on(DESKTOP_KEY),
        }
    }

    pub fn save_pref(key: &str, on: bool) {
        if let Some(storage) = storage() {
            let _ = if on {
                storage.set_item(key, "on")
            } else {
                storage.remove_item(key)
            };
        }
    }

    /// "granted", "denied", "default", or "unsupported" when the browser has no Notification API.
    pub fn permission() -> String {
        let supported = web_sys::window()
            .and_then(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).ok())
            .unwrap_or(false);
        if !supported {
            return "unsupported".into();
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => "granted",
            web_sys::NotificationPermission::Denied => "denied",
            _ => "default",
        }
        .into()
    }

    /// Asks the browser for permission (only ever from a click) and reports the answer.
    pub fn request_permission(done: impl Fn(String) + 'static) {
        let Ok(promise) = web_sys::Notification::request_permission() else {
            done(permission());
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done(permission());
        });
    }

    /// A short two-tone chime from Web Audio: no file to download, nothing to decode.
    pub fn chime() {
        let Ok(audio) = web_sys::AudioContext::new() else {
            return;
        };
        let now = audio.current_time();
        for (i, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
            let (Ok(oscillator), Ok(gain)) = (audio.create_oscillator(), audio.create_gain())
            else {
                return;
            };
            let start = now + i as f64 * 0.12;
            oscillator.frequency().set_value(frequency);
            gain.gain().set_value(0.0);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.15, start + 0.01);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.0, start + 0.18);
            let _ = oscillator.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&audio.destination());
            let _ = oscillator.start_with_when(start);
            let _ = oscillator.stop_with_when(start + 0.2);
        }
        // Let the context go once the chime is over.
        let close = Closure::once_into_js(move || {
            let _ = audio.close();
        });
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(close.unchecked_ref(), 600);
        }
    }

    fn show_notification(title: &str, body: &str, conversation: i64) {
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        // One notification per conversation: a second message replaces the first.
        options.set_tag(&format!("confab-conversation-{conversation}"));
        options.set_icon("/favicon.svg");
        let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else {
            return;
        };
        let on_click = Closure::<dyn Fn()>::new(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window
                    .location()
                    .set_href(&format!("/conversations/{conversation}"));
            }
        });
        notification.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        on_click.forget();
    }

    /// The path of the conversation open in this tab, if any.
    fn open_conversation() -> Option<i64> {
        let path = web_sys::window()?.location().pathname().ok()?;
        path.strip_prefix("/conversations/")?.parse().ok()
    }

    fn tab_hidden() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden())
    }

    /// An assignment or a mention, told as the employee chose for new messages: the
    /// chime, and a browser notification that opens the conversation.
    pub fn tell_team(title: &str, text: &str, conversation: i64) {
        let prefs = load_prefs();
        if prefs.sound {
            chime();
        }
        if prefs.desktop && permission() == "granted" {
            show_notification(title, &notification_body(text, 140), conversation);
        }
    }

    /// Watches the live stream: for a new message from a lead, not in the conversation the
    /// employee is looking at, plays the chime and/or shows a notification as they chose.
    pub fn watch_new_messages(live: Live, i18n: leptos_i18n::I18nContext<crate::i18n::Locale>) {
        Effect::new(move |_| {
            live.version.track();
            let Some(event) = live.last.get_untracked() else {
                return;
            };
            let Some(conversation) = new_lead_message(&event) else {
                return;
            };
            let looking_at_it = !tab_hidden() && open_conversation() == Some(conversation.0);
            if looking_at_it {
                return;
            }
            let prefs = load_prefs();
            if prefs.sound {
                chime();
            }
            if prefs.desktop && permission() == "granted" {
                let body = notification_body(&conversation.1, 140);
                let id = conversation.0;
                let fallback = crate::i18n::td_string!(
                    i18n.get_locale_untracked(),
                    common.notification_fallback_title
                );
                leptos::task::spawn_local(async move {
                    let title = crate::conversations::get_conversation_summary(
                        crate::ids::ConversationId(id),
                    )
                    .await
                    .map(|s| s.contact_name)
                    .unwrap_or_else(|_| fallback.to_owned());
                    show_notification(&title, &body, id);
                });
            }
        });
    }

    /// The conversation and text of a message a lead just sent, if the event is one.
    fn new_lead_message(event: &LiveEvent) -> Option<(i64, String)> {
        if event.kind != EventKind::MessageCreated {
            return None;
        }
        let message: Message = serde_json::from_value(event.payload.clone()).ok()?;
        if message.direction != Direction::Inbound {
            return None;
        }
        let text = if message.body.trim().is_empty() && !message.attachments.is_empty() {
            "📎".to_owned()
        } else {
            message.body
        };
        Some((event.conversation_id.0, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_and_mentions_are_told_to_the_one_named_and_not_for_their_own_act() {
        use crate::events::{EventKind, LiveEvent};
        use crate::ids::{ChannelId, ConversationId, EmployeeId, EventId};
        let event = |kind, payload: serde_json::Value| LiveEvent {
            id: EventId(1),
            kind,
            conversation_id: ConversationId(7),
            channel_id: ChannelId(1),
            payload,
        };
        let (ana, bruno) = (EmployeeId(1), EmployeeId(2));
        let assigned = |payload| event(EventKind::ConversationAssigned, payload);
        let by_ana = assigned(serde_json::json!({"assignee_id": 2, "by_id": 1, "by_name": "Ana"}));
        assert_eq!(
            told_to_me(&by_ana, bruno),
            Some((ConversationId(7), ToldToMe::Assigned(Some("Ana".into()))))
        );
        assert_eq!(told_to_me(&by_ana, ana), None);
        let own = assigned(serde_json::json!({"assignee_id": 2, "by_id": 2, "by_name": "Bruno"}));
        assert_eq!(told_to_me(&own, bruno), None);
        let in_turn = assigned(serde_json::json!({"assignee_id": 2, "by_id": null}));
        assert_eq!(
            told_to_me(&in_turn, bruno),
            Some((ConversationId(7), ToldToMe::Assigned(None)))
        );
        let note = event(
            EventKind::NoteCreated,
            serde_json::json!({"author_id": 1, "author_name": "Ana", "mentions": [{"id": 2, "name": "Bruno"}]}),
        );
        assert_eq!(
            told_to_me(&note, bruno),
            Some((ConversationId(7), ToldToMe::Mentioned("Ana".into())))
        );
        assert_eq!(told_to_me(&note, ana), None, "her own note");
        assert_eq!(told_to_me(&note, EmployeeId(3)), None, "not named");
        let mut other_kind = by_ana.clone();
        other_kind.kind = EventKind::ConversationUpdated;
        assert_eq!(told_to_me(&other_kind, bruno), None);
    }

    #[test]
    fn the_title_leads_with_the_count() {
        assert_eq!(title_with_count("Inbox", 0), "Inbox");
        assert_eq!(title_with_count("Inbox", 3), "(3) Inbox");
        assert_eq!(title_with_count("Inbox", 120), "(99+) Inbox");
    }

    #[test]
    fn a_notification_body_is_one_short_line() {
        assert_eq!(notification_body("Hi\n\nthere  you", 140), "Hi there you");
        assert_eq!(notification_body("abcdefghij", 6), "abcde…");
        assert_eq!(notification_body("é".repeat(10).as_str(), 4), "ééé…");
    }
}
