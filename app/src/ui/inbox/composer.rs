//! The composer: Enter sends, Shift+Enter makes a new line, at most 1,000 characters with
//! a counter near the limit. A reply shows at once as "sending"; if the server refuses it,
//! the text comes back so nothing typed is lost.

use crate::channels::help::{channel_help_for, settings_href, ChannelHelp, ChannelState};
use crate::channels::media_rules::{self, MediaRefusal};
use crate::channels::window::{provider_limit_error, ReplyWindow};
use crate::channels::ChannelStatus;
use crate::conversations::ConversationDetail;
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ids::ConversationId;
use crate::locale::{error_text, fill};
use crate::messages::{
    send_message, send_template, whatsapp_templates, MessageBody, TemplateChoice, MAX_BODY_CHARS,
};
use crate::ui::time::use_mounted;
use crate::ui::upload::{human_size, PickedFile};
use leptos::prelude::*;

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MAX_BODY_CHARS - 100;

/// Why replying is impossible, if it is: the channel's state, then the reply window
/// (whether the window refuses is [`ReplyWindow::refusal`]'s call; its words are ours).
fn lock_reason(locale: Locale, detail: &ConversationDetail) -> Option<String> {
    match detail.channel_status {
        ChannelStatus::Connected => detail
            .reply_window
            .refusal(locale, detail.summary.channel_kind),
        ChannelStatus::SyncLost => {
            let detail = detail
                .channel_status_detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            Some(fill(
                td_string!(locale, reply.lock_sync_lost),
                &[("detail", &detail)],
            ))
        }
        ChannelStatus::Disconnected => Some(td_string!(locale, reply.lock_disconnected).to_owned()),
    }
}

/// "5 h 12 min", "3 days": how long until `closes_at`.
pub fn time_left(locale: Locale, ms: i64) -> String {
    let minutes = (ms / 60_000).max(0);
    match minutes {
        m if m >= 48 * 60 => fill(
            td_string!(locale, reply.time_days),
            &[("days", &(m / (24 * 60)).to_string())],
        ),
        m if m >= 60 => fill(
            td_string!(locale, reply.time_hours_minutes),
            &[
                ("hours", &(m / 60).to_string()),
                ("minutes", &(m % 60).to_string()),
            ],
        ),
        m => fill(
            td_string!(locale, reply.time_minutes),
            &[("minutes", &m.to_string())],
        ),
    }
}

/// How long the window stays open, in words (after hydration: it reads the clock).
fn window_note(locale: Locale, window: ReplyWindow, now: i64) -> Option<String> {
    match window {
        ReplyWindow::Open { closes_at } => Some(fill(
            td_string!(locale, reply.window_open),
            &[("time", &time_left(locale, closes_at - now))],
        )),
        ReplyWindow::HumanAgent { closes_at } => Some(fill(
            td_string!(locale, reply.window_human_agent),
            &[("time", &time_left(locale, closes_at - now))],
        )),
        _ => None,
    }
}

/// The id of the conversation's newest answer (0 when none).
fn newest_answer(detail: &ConversationDetail) -> i64 {
    detail
        .messages
        .iter()
        .filter(|m| m.direction == crate::messages::Direction::Outbound)
        .map(|m| m.id.0)
        .max()
        .unwrap_or(0)
}

/// Who answered the lead after the answer `since` (not `me`): the name of the newest.
fn answered_by_other(detail: &ConversationDetail, since: i64, me: Option<&str>) -> Option<String> {
    detail
        .messages
        .iter()
        .rev()
        .filter(|m| m.direction == crate::messages::Direction::Outbound && m.id.0 > since)
        .find(|m| m.sender_name.as_deref() != me)
        .map(|m| m.sender_name.clone().unwrap_or_default())
}

#[component]
pub fn Composer(state: RwSignal<ConversationDetail>, on_sent: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let id = state.with_untracked(|s| s.summary.id);
    let lock = Memo::new(move |_| {
        let locale = i18n.get_locale();
        state.with(|s| lock_reason(locale, s))
    });
    let (pause, fix) = follow_channel(state);
    let continue_url = Memo::new(move |_| {
        state.with(|s| {
            (s.channel_status == ChannelStatus::Connected && s.reply_window == ReplyWindow::Closed)
                .then(|| s.continue_url.clone())
                .flatten()
        })
    });
    let template_only = Memo::new(move |_| {
        state.with(|s| {
            s.channel_status == ChannelStatus::Connected
                && s.reply_window == ReplyWindow::TemplateOnly
        })
    });
    let mounted = use_mounted();
    let note = move || {
        mounted
            .get()
            .then(|| {
                let locale = i18n.get_locale();
                state.with(|s| window_note(locale, s.reply_window, crate::ui::time::now_ms()))
            })
            .flatten()
    };
    let kind = state.with_untracked(|s| s.summary.channel_kind);
    let text = RwSignal::new(String::new());
    // An unsent reply survives switching conversations and reloading the page: it is
    // kept in the browser per conversation until it is sent.
    Effect::new(move |_| {
        if let Some(draft) = drafts::load(id) {
            if text.get_untracked().is_empty() {
                text.set(draft);
            }
        }
    });
    Effect::new(move |loaded: Option<()>| {
        let current = text.get();
        if loaded.is_some() {
            drafts::save(id, &current);
        }
    });
    let error = RwSignal::new(None::<String>);
    let slash = super::saved_reply_menu::SlashMenu::new(id, text);
    let presence = super::presence::use_own_presence();
    let me = crate::ui::layout::use_me();
    // The newest answer when the conversation was opened (or last answered here): an
    // answer of a colleague's after it asks before this one goes too.
    let answered_up_to = StoredValue::new(newest_answer(&state.get_untracked()));
    let sending = RwSignal::new(Vec::<(u64, String)>::new());
    let next_local = StoredValue::new(0u64);
    let count = Memo::new(move |_| text.with(|t| t.chars().count()));
    let provider_limit = Memo::new(move |_| {
        let locale = i18n.get_locale();
        text.with(|t| provider_limit_error(locale, kind, t))
    });
    let too_long = move || count.get() > MAX_BODY_CHARS || provider_limit.with(Option::is_some);
    let blank = move || text.with(|t| t.trim().is_empty());
    let picked = RwSignal::new(None::<PickedFile>);
    let progress = RwSignal::new(None::<f64>);
    let drag_over = RwSignal::new(false);
    let uploading = move || progress.with(Option::is_some);
    let send_file = move |file: PickedFile| {
        let locale = i18n.get_locale_untracked();
        // The same table the server and the sender read: refused here, nothing uploads.
        match media_rules::check(kind, &file.mime, Some(file.size as usize)) {
            Err(MediaRefusal::Type) => {
                error.set(Some(media_rules::type_refusal(locale, kind, &file.mime)));
                return;
            }
            Err(MediaRefusal::Size { limit }) => {
                error.set(Some(fill(
                    td_string!(locale, reply.file_too_large),
                    &[
                        ("channel", kind.label_in(locale)),
                        ("limit", &human_size(locale, limit as u64)),
                        ("size", &human_size(locale, file.size)),
                    ],
                )));
                return;
            }
            Ok(_) => {}
        }
        let caption = text.get_untracked();
        if !caption.trim().is_empty() {
            if let Err(err) = MessageBody::parse(locale, &caption) {
                error.set(Some(error_text(locale, &err)));
                return;
            }
        }
        error.set(None);
        #[cfg(feature = "hydrate")]
        {
            let url = format!(
                "/media/send/{}?name={}&caption={}",
                id,
                js_sys::encode_uri_component(&file.name),
                js_sys::encode_uri_component(caption.trim())
            );
            progress.set(Some(0.0));
            leptos::task::spawn_local(async move {
                match crate::ui::upload::upload(locale, url, file.clone(), move |p| {
                    progress.set(Some(p))
                })
                .await
                {
                    // The employee may have moved on meanwhile (the composer is gone):
                    // only the `try_` reads, which do nothing then.
                    Ok(()) => {
                        crate::ui::upload::forget_preview(&file);
                        picked.set(None);
                        if text.try_get_untracked().is_some_and(|t| t == caption) {
                            text.set(String::new());
                        }
                        on_sent.try_run(());
                    }
                    Err(message) => error.set(Some(message)),
                }
                progress.set(None);
            });
        }
    };
    let send = move || {
        if uploading() {
            return;
        }
        if let Some(file) = picked.get_untracked() {
            send_file(file);
            return;
        }
        let locale = i18n.get_locale_untracked();
        let body = text.get_untracked();
        let mine = me.get_untracked().map(|(_, name)| name);
        let since = answered_up_to.get_value();
        let other = state.with_untracked(|s| answered_by_other(s, since, mine.as_deref()));
        if let Some(other) = other {
            let question = fill(
                td_string!(locale, reply.answered_meanwhile),
                &[("name", &other)],
            );
            if !crate::ui::confirmed(&question) {
                return;
            }
        }
        answered_up_to.set_value(state.with_untracked(newest_answer));
        match MessageBody::parse(locale, &body) {
            Err(err) => error.set(Some(error_text(locale, &err))),
            Ok(valid) => {
                error.set(None);
                let local = next_local.get_value();
                next_local.set_value(local + 1);
                sending.update(|s| s.push((local, valid.as_str().to_owned())));
                text.set(String::new());
                leptos::task::spawn_local(async move {
                    let result = send_message(id, body.clone()).await;
                    match result {
                        Ok(_) => {
                            on_sent.try_run(());
                        }
                        Err(err) => {
                            if text.try_get_untracked().is_some_and(|t| t.is_empty()) {
                                text.set(body);
                            }
                            error.set(Some(error_text(locale, &err)));
                        }
                    }
                    sending.update(|s| s.retain(|(l, _)| *l != local));
                });
            }
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if slash.key(&ev) {
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        {pause}
        <div class="sending-list">
            <For each=move || sending.get() key=|(l, _)| *l let:item>
                <div class="bubble-row outbound group-first group-last" data-status="sending">
                    <div class="bubble"><p class="bubble-text">{item.1}</p></div>
                    <div class="bubble-meta"><span class="state state-pending">"🕓 "{t!(i18n, reply.sending)}</span></div>
                </div>
            </For>
        </div>
        <Show
            when=move || lock.get().is_none()
            fallback=move || view! {
                <div class="composer-locked" role="status" data-testid="composer-locked">
                    <p>{move || lock.get()}</p>
                    {fix}
                    {move || template_only.get().then(|| view! { <TemplatePicker id=id/> })}
                    {move || continue_url.get().map(|url| view! {
                        <a class="button" href=url target="_blank" rel="noopener noreferrer">
                            {t!(i18n, reply.continue_in, channel = kind.label())}
                        </a>
                    })}
                </div>
            }
        >
            <form class="composer" class:drag-over=move || drag_over.get()
                on:submit=move |ev| { ev.prevent_default(); send(); }
                on:dragover=move |ev| { ev.prevent_default(); drag_over.set(true); }
                on:dragleave=move |_| drag_over.set(false)
                on:drop=move |ev| {
                    ev.prevent_default();
                    drag_over.set(false);
                    #[cfg(feature = "hydrate")]
                    if let Some(file) = crate::ui::upload::from_drop(&ev) {
                        picked.set(Some(file));
                    }
                }>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="composer-error">{e}</p> })}
                {slash.view()}
                {move || picked.get().map(|file| view! {
                    <div class="file-preview" data-testid="file-preview">
                        {file.preview.clone().map(|src| view! { <img src=src alt=fill(td_string!(i18n.get_locale(), reply.preview_alt), &[("name", &file.name)])/> })}
                        <span class="file-name">"📎 "{file.name.clone()}" · "{move || human_size(i18n.get_locale(), file.size)}</span>
                        // Where the provider shows no text with this file, the caption
                        // follows it as its own message: say so before it goes.
                        {
                            let mime = file.mime.clone();
                            move || (!media_rules::takes_caption(kind, &mime) && !blank()).then(|| view! {
                                <p class="caption-note" role="note" data-testid="caption-separate">
                                    {fill(td_string!(i18n.get_locale(), reply.caption_separate), &[("channel", kind.label_in(i18n.get_locale()))])}
                                </p>
                            })
                        }
                        {move || progress.get().map(|p| view! {
                            <progress max="1" value=p.to_string() aria-label=move || t_string!(i18n, reply.uploading)></progress>
                        })}
                        <button type="button" class="link-button" disabled=uploading
                            on:click=move |_| {
                                #[cfg(feature = "hydrate")]
                                if let Some(file) = picked.get_untracked() { crate::ui::upload::forget_preview(&file); }
                                picked.set(None);
                            }>{t!(i18n, reply.remove)}</button>
                    </div>
                })}
                <div class="composer-row">
                    <label class="button attach-button" title=move || t_string!(i18n, reply.attach_title)>
                        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                            <path d="M21 11.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6l7.8-7.8"/>
                        </svg>
                        <span class="visually-hidden">{t!(i18n, reply.attach)}</span>
                        <input type="file" class="visually-hidden" name="file" data-testid="attach-input"
                            accept="image/*,video/*,audio/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,.csv"
                            on:change=move |ev| {
                                let _ = &ev;
                                #[cfg(feature = "hydrate")]
                                if let Some(file) = crate::ui::upload::from_input(&ev) {
                                    picked.set(Some(file));
                                    error.set(None);
                                }
                            }/>
                    </label>
                    {slash.button()}
                    <label class="visually-hidden" for="composer-text">{t!(i18n, reply.reply_label)}</label>
                    <textarea id="composer-text" name="body" rows="1" placeholder=move || t_string!(i18n, reply.reply_placeholder)
                        title=move || t_string!(i18n, reply.reply_hint)
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            text.set(event_target_value(&ev));
                            error.set(None);
                            slash.typed();
                            if let Some(presence) = presence { presence.typing(); }
                        }
                        on:keydown=on_keydown
                        aria-describedby="composer-counter"></textarea>
                    <button type="submit" class="button primary send-button"
                        disabled=move || (blank() && picked.with(Option::is_none)) || too_long() || uploading()
                        title=move || if blank() { t_string!(i18n, reply.write_first).to_owned() } else if too_long() { fill(td_string!(i18n.get_locale(), reply.shorten_to), &[("max", &MAX_BODY_CHARS.to_string())]) } else { t_string!(i18n, reply.send_enter).to_owned() }>
                        {t!(i18n, reply.send)}
                    </button>
                </div>
                <div class="composer-foot">
                    <span class="window-note" data-testid="window-note">{note}</span>
                    <span id="composer-counter" class="counter" class:over=too_long aria-live="polite">
                        {move || provider_limit.get().or_else(|| (count.get() >= COUNTER_FROM).then(|| format!("{} / {MAX_BODY_CHARS}", count.get())))}
                    </span>
                </div>
            </form>
        </Show>
    }
}

/// Follows the conversation's channel live: a `channel_updated` event (sync lost,
/// reconnected, paused by its provider, pause over) changes `state` at once, so the
/// composer locks or unlocks without a reload. Returns the pause note (when the provider
/// asked Confab to wait) and, for a locked channel, the way out: a link to the channel's
/// settings for those who may reconnect it, else whom to ask.
fn follow_channel(state: RwSignal<ConversationDetail>) -> (impl IntoView, impl IntoView + Copy) {
    let i18n = use_i18n();
    let live = crate::ui::live::use_live();
    let (channel_id, kind) =
        state.with_untracked(|s| (s.summary.channel_id, s.summary.channel_kind));
    let paused_until = RwSignal::new(None::<i64>);
    let help = RwSignal::new(None::<ChannelHelp>);
    let apply = move |fresh: ChannelState| {
        state.update(|s| {
            s.channel_status = fresh.status;
            s.channel_status_detail = fresh.status_detail.clone();
        });
        paused_until.set(fresh.paused_until);
    };
    let load = move || {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = channel_help_for(channel_id).await {
                apply(fresh.state.clone());
                help.set(Some(fresh));
            }
        });
    };
    // After hydration: the pause (not in the page) and who can fix the channel.
    Effect::new(move |_| load());
    Effect::new(move |first: Option<()>| {
        live.version.track();
        if first.is_none() {
            return;
        }
        match live.last.get_untracked() {
            Some(event)
                if event.kind == crate::events::EventKind::ChannelUpdated
                    && event.channel_id == channel_id =>
            {
                if let Ok(fresh) = serde_json::from_value::<ChannelState>(event.payload) {
                    apply(fresh);
                }
            }
            // A resync: whatever happened meanwhile is read again.
            None => load(),
            Some(_) => {}
        }
    });
    let mounted = use_mounted();
    let pause = move || {
        let until = paused_until.get()?;
        let now = crate::ui::time::now_ms();
        if !mounted.get() || until <= now {
            return None;
        }
        let locale = i18n.get_locale();
        let time = if until - now < 12 * 3_600_000 {
            crate::ui::time::clock(locale, until)
        } else {
            crate::ui::time::date_time(locale, until)
        };
        let text = fill(
            td_string!(locale, reply.paused_until),
            &[("channel", kind.label_in(locale)), ("time", &time)],
        );
        Some(
            view! { <p class="banner composer-paused" role="status" data-testid="composer-paused">{text}</p> },
        )
    };
    let fix = move || {
        let broken = state.with(|s| s.channel_status != ChannelStatus::Connected);
        let help = help.get().filter(|_| broken)?;
        let locale = i18n.get_locale();
        Some(if help.can_fix {
            view! {
                <a class="button" href=settings_href(channel_id) data-testid="composer-fix">
                    {td_string!(locale, reply.lock_settings_link)}
                </a>
            }
            .into_any()
        } else {
            let text = if help.fixers.is_empty() {
                td_string!(locale, reply.lock_ask_owner).to_owned()
            } else {
                fill(
                    td_string!(locale, reply.lock_ask),
                    &[("names", &help.fixers.join(", "))],
                )
            };
            view! { <p class="meta" data-testid="composer-ask">{text}</p> }.into_any()
        })
    };
    (pause, fix)
}

/// Outside WhatsApp's window: pick an approved template, fill its variables, send.
#[component]
fn TemplatePicker(id: ConversationId) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let templates = RwSignal::new(None::<Result<Vec<crate::channels::WhatsappTemplate>, AppError>>);
    let chosen = RwSignal::new(None::<usize>);
    let values = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<AppError>);
    let load = move |_| {
        open.set(true);
        leptos::task::spawn_local(async move {
            templates.set(Some(whatsapp_templates(id).await));
        });
    };
    let current = move || {
        chosen.get().and_then(|i| {
            templates.with(|t| {
                t.as_ref()
                    .and_then(|t| t.as_ref().ok())
                    .and_then(|l| l.get(i).cloned())
            })
        })
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(template) = current() else { return };
        let choice = TemplateChoice {
            name: template.name.clone(),
            language: template.language.clone(),
            params: values.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match send_template(id, choice).await {
                Ok(_) => {
                    open.set(false);
                    chosen.set(None);
                    error.set(None);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <button class="button primary" type="button" on:click=load data-testid="pick-template">{t!(i18n, reply.send_a_template)}</button>
        }>
            <form class="template-picker" on:submit=send data-testid="template-picker">
                {move || match templates.get() {
                    None => view! { <p class="meta">{t!(i18n, reply.templates_loading)}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <p class="meta">{t!(i18n, reply.templates_none)}</p> }.into_any(),
                    Some(Ok(list)) => view! {
                        <label>{t!(i18n, reply.template)}
                            <select name="template" on:change=move |ev| {
                                let i = event_target_value(&ev).parse::<usize>().ok();
                                let n = i.and_then(|i| templates.with_untracked(|t| t.as_ref().and_then(|t| t.as_ref().ok()).and_then(|l| l.get(i).map(|t| t.variable_count())))).unwrap_or(0);
                                chosen.set(i);
                                values.set(vec![String::new(); n]);
                            }>
                                <option value="">{t!(i18n, reply.choose)}</option>
                                {list.iter().enumerate().map(|(i, t)| view! { <option value=i.to_string()>{format!("{} ({})", t.name, t.language)}</option> }).collect_view()}
                            </select>
                        </label>
                    }.into_any(),
                }}
                {move || current().map(|t| {
                    let n = t.variable_count();
                    view! {
                        {(0..n).map(|i| view! {
                            <label>{move || format!("{} {{{{{}}}}}", t_string!(i18n, reply.variable), i + 1)}
                                <input name=format!("param{}", i + 1) required maxlength="200"
                                    on:input=move |ev| values.update(|v| if let Some(slot) = v.get_mut(i) { *slot = event_target_value(&ev) })/>
                            </label>
                        }).collect_view()}
                        <p class="template-preview" data-testid="template-preview">{move || t.render(&values.get())}</p>
                        <button class="button primary" type="submit">{t!(i18n, reply.send_template)}</button>
                    }
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
            </form>
        </Show>
    }
}

/// Drafts in the browser's local storage, one per conversation.
mod drafts {
    use crate::ids::ConversationId;

    fn key(id: ConversationId) -> String {
        format!("confab.draft.{id}")
    }

    #[cfg(feature = "hydrate")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    #[cfg(feature = "hydrate")]
    pub fn load(id: ConversationId) -> Option<String> {
        storage()?
            .get_item(&key(id))
            .ok()?
            .filter(|d| !d.is_empty())
    }

    #[cfg(feature = "hydrate")]
    pub fn save(id: ConversationId, text: &str) {
        if let Some(storage) = storage() {
            // A full storage loses a draft, never the page.
            let _ = if text.trim().is_empty() {
                storage.remove_item(&key(id))
            } else {
                storage.set_item(&key(id), text)
            };
        }
    }

    // The server renders an empty composer; drafts exist only in the browser.
    #[cfg(not(feature = "hydrate"))]
    pub fn load(id: ConversationId) -> Option<String> {
        let _ = key(id);
        None
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn save(_id: ConversationId, _text: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_naturally() {
        let english = Locale::en;
        assert_eq!(
            time_left(english, 5 * 3_600_000 + 12 * 60_000),
            "5 h 12 min"
        );
        assert_eq!(time_left(english, 3 * 24 * 3_600_000), "3 days");
        assert_eq!(time_left(english, 59_000), "0 min");
        assert_eq!(time_left(english, -5), "0 min");
        assert_eq!(time_left(Locale::pt_BR, 3 * 24 * 3_600_000), "3 dias");
    }
}
