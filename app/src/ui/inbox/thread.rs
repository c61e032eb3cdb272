//! The open conversation: header, messages, composer and contact panel. The page loads it
//! once per conversation (server-rendered); live events then refresh its state in place,
//! so what the employee is typing, their scroll position and focus are never disturbed.

use super::contact::ContactPanel;
use super::list::ChannelBadge;
use super::list_params;
use crate::conversations::notes::Note;
use crate::conversations::{
    archive_conversation, get_conversation, mark_conversation_handled, mark_conversation_read,
    mark_conversation_unread, older_messages, reopen_conversation, ConversationDetail,
    ConversationStatus,
};
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ids::ConversationId;
use crate::locale::{error_text, fill};
use crate::messages::{
    retry_message, Attachment, AttachmentKind, AttachmentState, DeliveryNote, Direction, Message,
    MessageKind, MessageStatus,
};
use crate::ui::live::use_live;
use crate::ui::text::{initials, MessageText};
use crate::ui::time::{clock, date_time, day_label, local_parts, now_ms, use_mounted, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// How close to the bottom (px) still counts as "at the bottom".
const BOTTOM_SLACK: i32 = 48;
/// Older messages load when the reader scrolls this close to the top.
const OLDER_SLACK: i32 = 300;

/// The part of the thread drawn between bubbles.
#[derive(Clone, PartialEq)]
enum ThreadItem {
    Day {
        key: (i32, u32, u32),
        at: i64,
    },
    Message {
        message: Message,
        first_of_group: bool,
        last_of_group: bool,
    },
    ReadMarker {
        at: i64,
    },
    /// A private note of the team, where it was written among the messages.
    Note(Note),
}

impl ThreadItem {
    fn key(&self) -> String {
        match self {
            ThreadItem::Day { key, .. } => format!("d{}-{}-{}", key.0, key.1, key.2),
            ThreadItem::Message {
                message,
                first_of_group,
                last_of_group,
            } => format!(
                "m{}-{}-{:?}-{}-{}",
                message.id,
                message.status.as_str(),
                message.delivery_note,
                first_of_group,
                last_of_group
            ),
            ThreadItem::ReadMarker { at } => format!("r{at}"),
            ThreadItem::Note(note) => format!("n{}", note.id),
        }
    }
}

const GROUP_GAP_MS: i64 = 5 * 60_000;

/// A message or a note, in the thread's order.
enum Entry<'a> {
    Message(&'a Message),
    Note(&'a Note),
}

impl Entry<'_> {
    fn at(&self) -> i64 {
        match self {
            Entry::Message(m) => m.created_at,
            Entry::Note(n) => n.created_at,
        }
    }
}

/// The thread's lines: messages grouped by sender and minute, a line per day, the lead's
/// read marker, and the notes written since the oldest message shown (older ones come
/// with the older messages).
fn thread_items(messages: &[Message], notes: &[Note], has_older: bool) -> Vec<ThreadItem> {
    let last_read = messages
        .iter()
        .rposition(|m| m.direction == Direction::Outbound && m.status == MessageStatus::Read)
        .map(|i| messages[i].id);
    let oldest = messages.first().map(|m| m.created_at);
    let mut entries: Vec<Entry> = messages.iter().map(Entry::Message).collect();
    entries.extend(
        notes
            .iter()
            .filter(|n| !has_older || oldest.is_none_or(|o| n.created_at >= o))
            .map(Entry::Note),
    );
    // Stable: a note written at a message's millisecond follows it.
    entries.sort_by_key(Entry::at);
    let mut items = Vec::with_capacity(entries.len() + 4);
    let mut last_day = None;
    let day_of = |at: i64| {
        let (date, _, _) = local_parts(at);
        (date.year, date.month, date.day)
    };
    let same_group = |a: &Message, b: &Message| {
        a.direction == b.direction && (b.created_at - a.created_at).abs() < GROUP_GAP_MS
    };
    for (i, entry) in entries.iter().enumerate() {
        let day = day_of(entry.at());
        let new_day = last_day != Some(day);
        if new_day {
            items.push(ThreadItem::Day {
                key: day,
                at: entry.at(),
            });
            last_day = Some(day);
        }
        let m = match entry {
            Entry::Note(note) => {
                items.push(ThreadItem::Note((*note).clone()));
                continue;
            }
            Entry::Message(m) => *m,
        };
        // Neighbours in the group: messages of the same day, with no note between.
        let prev = (!new_day)
            .then(|| i.checked_sub(1).map(|p| &entries[p]))
            .flatten()
            .and_then(|p| match p {
                Entry::Message(p) => Some(*p),
                Entry::Note(_) => None,
            });
        let next = entries
            .get(i + 1)
            .and_then(|n| match n {
                Entry::Message(n) => Some(*n),
                Entry::Note(_) => None,
            })
            .filter(|n| day_of(n.created_at) == day);
        items.push(ThreadItem::Message {
            message: m.clone(),
            first_of_group: prev.is_none_or(|p| !same_group(p, m)),
            last_of_group: next.is_none_or(|n| !same_group(m, n)),
        });
        if Some(m.id) == last_read {
            if let Some(at) = m.read_at {
                items.push(ThreadItem::ReadMarker { at });
            }
        }
    }
    items
}

#[component]
pub fn ConversationPane() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    let detail = Resource::new(
        move || id.get(),
        move |id| {
            let what = td_string!(i18n.get_locale_untracked(), inbox.conversation);
            async move {
                match id {
                    Some(id) => get_conversation(id).await,
                    None => Err(AppError::NotFound(what.into())),
                }
            }
        },
    );
    let view_params = list_params();
    view! {
        <Transition fallback=move || view! { <section class="thread-pane"><p class="list-empty">{t!(i18n, inbox.loading)}</p></section> }>
            {move || detail.get().map(|result| match result {
                Err(err) => view! {
                    <section class="thread-pane empty-thread">
                        <div class="empty-state">
                            <h2>{t!(i18n, inbox.cannot_show_title)}</h2>
                            <p>{move || error_text(i18n.get_locale(), &err)}</p>
                            <a class="button" href=view_params.get().list_href()>{t!(i18n, inbox.back_to_list)}</a>
                        </div>
                    </section>
                }.into_any(),
                Ok(detail) => view! { <Conversation initial=detail/> }.into_any(),
            })}
        </Transition>
    }
}

/// Refetches the conversation into `state`.
fn refresh(id: ConversationId, state: RwSignal<ConversationDetail>, older: RwSignal<Vec<Message>>) {
    leptos::task::spawn_local(async move {
        if let Ok(fresh) = get_conversation(id).await {
            // Older pages stay, minus anything the fresh page now holds (the thread is in
            // the provider's order, so ids alone do not say which page a message is on).
            older.update(|o| o.retain(|m| fresh.messages.iter().all(|f| f.id != m.id)));
            state.set(fresh);
        }
    });
}

#[component]
fn Conversation(
    initial: ConversationDetail,
    /// Shown in a modal over another page: this closes it (instead of going to the list).
    #[prop(optional)]
    close: Option<Callback<()>>,
) -> impl IntoView {
    let live = use_live();
    let i18n = use_i18n();
    let id = initial.summary.id;
    super::presence::provide_own_presence(id);
    let state = RwSignal::new(initial);
    let older = RwSignal::new(Vec::<Message>::new());
    let older_left = RwSignal::new(None::<bool>);
    // Follow live events of this conversation (and resyncs).
    Effect::new(move |first: Option<()>| {
        live.version.track();
        if first.is_some() {
            let ours = live
                .last
                .get_untracked()
                .is_none_or(|e| e.conversation_id == id);
            if ours {
                refresh(id, state, older);
            }
        }
    });
    // Seeing the conversation marks it read.
    Effect::new(move |_| {
        if state.with(|s| s.summary.unread_count > 0) {
            leptos::task::spawn_local(async move {
                let _ = mark_conversation_read(id).await;
            });
        }
    });
    let archived =
        Memo::new(move |_| state.with(|s| s.summary.status == ConversationStatus::Archived));
    let action_error = RwSignal::new(None::<AppError>);
    let toggle_archive = move |_| {
        let archive = !archived.get_untracked();
        leptos::task::spawn_local(async move {
            let result = if archive {
                archive_conversation(id).await
            } else {
                reopen_conversation(id).await
            };
            match result {
                Ok(()) => {
                    action_error.set(None);
                    refresh(id, state, older);
                }
                Err(err) => action_error.set(Some(err)),
            }
        });
    };
    // Awaiting a reply with none on its way (a reply failed, or the lead's message needs
    // none): the employee may say it is dealt with.
    let awaiting = Memo::new(move |_| state.with(|s| s.summary.awaiting_reply));
    let mark_handled = move |_| {
        leptos::task::spawn_local(async move {
            match mark_conversation_handled(id).await {
                Ok(()) => {
                    action_error.set(None);
                    refresh(id, state, older);
                }
                Err(err) => action_error.set(Some(err)),
            }
        });
    };
    let show_panel = RwSignal::new(false);
    let view_params = list_params();
    let navigate = leptos_router::hooks::use_navigate();
    // Unread again for this employee: leave the conversation, or opening it would read it.
    let mark_unread = move |_| {
        let navigate = navigate.clone();
        // Read now: a live update may replace this view (and its signals) before the
        // answer comes.
        let list_href = view_params.get_untracked().list_href();
        leptos::task::spawn_local(async move {
            match (mark_conversation_unread(id).await, close) {
                (Ok(()), Some(close)) => {
                    close.try_run(());
                }
                (Ok(()), None) => navigate(&list_href, Default::default()),
                (Err(err), _) => action_error.set(Some(err)),
            }
        });
    };
    let summary = state.get_untracked().summary;
    let messages = Memo::new(move |_| {
        let mut all = older.get();
        state.with(|s| all.extend(s.messages.iter().cloned()));
        all
    });
    let has_older = Memo::new(move |_| {
        older_left
            .get()
            .unwrap_or_else(|| state.with(|s| s.has_older))
    });
    let load_older = Callback::new(move |_: ()| {
        let Some(oldest) = messages.with_untracked(|m| m.first().map(|m| m.id)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match older_messages(id, oldest).await {
                Ok((page, more)) => {
                    older.update(|o| {
                        let mut merged = page;
                        merged.append(o);
                        *o = merged;
                    });
                    older_left.set(Some(more));
                }
                Err(err) => action_error.set(Some(err)),
            }
        });
    });
    view! {
        {close.is_none().then(|| view! { <Title text=format!("{} · Confab", summary.contact_name)/> })}
        <section class="thread-pane" aria-label={
            let name = summary.contact_name.clone();
            move || fill(td_string!(i18n.get_locale(), inbox.conversation_with), &[("name", &name)])
        }>
            <header class="thread-header">
                {match close {
                    Some(close) => view! {
                        <button class="button close-chat-button" type="button" aria-label=move || t_string!(i18n, inbox.close_chat) data-testid="close-chat"
                            on:click=move |_| close.run(())>"×"</button>
                    }.into_any(),
                    None => view! {
                        <a class="back-button" href=move || view_params.get().list_href() aria-label=move || t_string!(i18n, inbox.back_to_conversations)>"‹"</a>
                    }.into_any(),
                }}
                <span class="avatar">{initials(&summary.contact_name)}<ChannelBadge kind=summary.channel_kind/></span>
                <div class="thread-title">
                    <h2>{summary.contact_name.clone()}</h2>
                    <span class="meta">{move || summary.channel_kind.label_in(i18n.get_locale())}" · "{summary.channel_name.clone()}
                        {summary.channel_simulated.then(|| view! { " "<super::list::PracticeTag/> })}</span>
                    <super::assignee::AssigneePicker state=state on_change=Callback::new(move |_| refresh(id, state, older))/>
                </div>
                <div class="thread-actions">
                    {move || awaiting.get().then(|| view! {
                        <button class="button" on:click=mark_handled data-testid="mark-handled" title=move || t_string!(i18n, inbox.mark_handled_title)>{t!(i18n, inbox.mark_handled)}</button>
                    })}
                    <button class="button" on:click=mark_unread title=move || t_string!(i18n, inbox.mark_unread_title)>{t!(i18n, inbox.mark_unread)}</button>
                    <button class="button" on:click=toggle_archive data-testid="archive-toggle">
                        {move || if archived.get() { t_string!(i18n, inbox.reopen) } else { t_string!(i18n, inbox.archive) }}
                    </button>
                    <button class="button panel-toggle" aria-expanded=move || show_panel.get().to_string()
                        on:click=move |_| show_panel.update(|s| *s = !*s)>{t!(i18n, inbox.contact)}</button>
                </div>
            </header>
            {move || action_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
            <Thread messages=messages has_older=has_older load_older=load_older state=state/>
            <super::presence::PresenceLine id=id/>
            <super::note_composer::ComposerTabs state=state on_sent=Callback::new(move |_| refresh(id, state, older))/>
        </section>
        {close.is_none().then(|| view! {
            <ContactPanel state=state show=show_panel on_change=Callback::new(move |_| refresh(id, state, older))/>
        })}
    }
}

/// The conversation in a modal window over the page the employee is on (from a phone
/// number's card): the same conversation component as the inbox, live.
#[component]
pub fn ConversationModal(id: ConversationId, close: Callback<()>) -> impl IntoView {
    let detail = Resource::new(move || id, get_conversation);
    let i18n = use_i18n();
    view! {
        <div class="modal-backdrop" on:click=move |_| close.run(())></div>
        <div class="modal chat-modal" role="dialog" aria-modal="true" aria-label=move || t_string!(i18n, inbox.conversation) data-testid="chat-modal"
            on:keydown=move |ev| if ev.key() == "Escape" { close.run(()) }>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, inbox.loading)}</p> }>
                {move || detail.get().map(|result| match result {
                    Err(err) => view! {
                        <div class="empty-state"><p>{move || error_text(i18n.get_locale(), &err)}</p>
                            <button class="button" on:click=move |_| close.run(())>{t!(i18n, inbox.close)}</button></div>
                    }.into_any(),
                    Ok(detail) => view! { <Conversation initial=detail close=close/> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Thread(
    messages: Memo<Vec<Message>>,
    has_older: Memo<bool>,
    load_older: Callback<()>,
    state: RwSignal<ConversationDetail>,
) -> impl IntoView {
    let mounted = use_mounted();
    let i18n = use_i18n();
    // Grouping by day needs the browser's zone: recompute once mounted.
    let items = Memo::new(move |_| {
        mounted.track();
        let has_older = has_older.get();
        state.with(|s| messages.with(|m| thread_items(m, &s.notes, has_older)))
    });
    let scroller = NodeRef::<leptos::html::Div>::new();
    let at_bottom = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let newest = Memo::new(move |_| messages.with(|m| m.last().map(|m| m.id)));
    // New messages: follow them when the reader is at the bottom, else offer a pill.
    Effect::new(move |previous: Option<Option<crate::ids::MessageId>>| {
        let current = newest.get();
        if let Some(el) = scroller.get() {
            if previous.is_none() || at_bottom.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            } else if previous != Some(current) {
                unseen.set(true);
            }
        }
        current
    });
    // Scrolling near the top loads older messages; the reader stays on the same message
    // while they are put above it.
    let anchor = StoredValue::new(None::<(i32, i32)>);
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            if el.scroll_top() < OLDER_SLACK
                && has_older.get_untracked()
                && anchor.get_value().is_none()
            {
                anchor.set_value(Some((el.scroll_height(), el.scroll_top())));
                load_older.run(());
                keep_place(el.clone(), anchor, KEEP_PLACE_FRAMES);
            }
            let bottom = el.scroll_height() - el.scroll_top() - el.client_height() <= BOTTOM_SLACK;
            at_bottom.set(bottom);
            if bottom {
                unseen.set(false);
            }
        }
    };
    let to_bottom = move |_| {
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        unseen.set(false);
    };
    let archived_line = move || {
        state.with(|s| {
            (s.summary.status == ConversationStatus::Archived).then(|| {
                let by = s.archived_by.clone().unwrap_or_else(|| {
                    td_string!(i18n.get_locale(), inbox.archived_by_unknown).to_owned()
                });
                let at = s.archived_at.unwrap_or(s.summary.last_message_at);
                view! {
                    <p class="system-line" data-testid="archived-line">
                        {t!(i18n, inbox.archived_by, by = by, time = move || view! { <LocalTime ms=at format=date_time/> })}
                    </p>
                }
            })
        })
    };
    view! {
        <div class="thread-wrap">
            // Focusable, so the keyboard scrolls it too (it may hold nothing else to focus).
            <div class="thread" node_ref=scroller on:scroll=on_scroll data-testid="thread" tabindex="0"
                role="log" aria-label=move || t_string!(i18n, inbox.messages_label)>
                {move || {
                    let pruned = state.with(|s| s.history_pruned_at.is_some());
                    if has_older.get() {
                        view! { <button class="button older-button" data-testid="older" on:click=move |_| load_older.run(())>{t!(i18n, inbox.show_older)}</button> }.into_any()
                    } else if pruned {
                        view! { <p class="system-line" data-testid="history-pruned">{t!(i18n, inbox.history_pruned)}</p> }.into_any()
                    } else {
                        ().into_any()
                    }
                }}
                <For each=move || items.get() key=|item| item.key() let:item>
                    {match item {
                        ThreadItem::Day { at, .. } => view! {
                            <div class="day-separator" role="separator">
                                <span>{move || if mounted.get() { day_label(i18n.get_locale(), at, now_ms()) } else { String::new() }}</span>
                            </div>
                        }.into_any(),
                        ThreadItem::ReadMarker { at } => view! {
                            <p class="read-marker" data-testid="read-marker">{t!(i18n, inbox.read_marker, time = move || view! { <LocalTime ms=at format=clock/> })}</p>
                        }.into_any(),
                        ThreadItem::Message { message, first_of_group, last_of_group } => view! {
                            <Bubble message=message first=first_of_group last=last_of_group/>
                        }.into_any(),
                        ThreadItem::Note(note) => view! { <NoteLine note=note/> }.into_any(),
                    }}
                </For>
                {archived_line}
            </div>
            {move || unseen.get().then(|| view! {
                <button class="new-messages-pill" on:click=to_bottom>{t!(i18n, inbox.new_messages)}</button>
            })}
        </div>
    }
}

/// A private note in the thread: in the team's colour, never the lead's or a reply.
#[component]
fn NoteLine(note: Note) -> impl IntoView {
    let i18n = use_i18n();
    let author = note
        .author_name
        .clone()
        .unwrap_or_else(|| td_string!(i18n.get_locale_untracked(), reply.someone).to_owned());
    let at = note.created_at;
    view! {
        <div class="note-line" role="note" data-testid="note" data-note-id=note.id.to_string()>
            <div class="note-head">
                <span class="note-tag">{t!(i18n, inbox.note_tag)}</span>
                <strong>{author}</strong>
                <span class="meta"><LocalTime ms=at format=clock/></span>
            </div>
            <MessageText body=note.body/>
        </div>
    }
}

/// How many frames to wait for older messages before giving up keeping the place (~5 s).
const KEEP_PLACE_FRAMES: u32 = 300;

/// Once older messages have been put above, scrolls by their height, so the reader stays
/// on the message they were reading; checks once a frame until the content grows.
fn keep_place(
    el: leptos::web_sys::HtmlDivElement,
    anchor: StoredValue<Option<(i32, i32)>>,
    frames_left: u32,
) {
    request_animation_frame(move || {
        let Some((height, top)) = anchor.get_value() else {
            return;
        };
        if el.scroll_height() != height {
            el.set_scroll_top(top + (el.scroll_height() - height));
            anchor.set_value(None);
        } else if frames_left == 0 {
            anchor.set_value(None);
        } else {
            keep_place(el, anchor, frames_left - 1);
        }
    });
}

#[component]
fn Bubble(message: Message, first: bool, last: bool) -> impl IntoView {
    let outbound = message.direction == Direction::Outbound;
    let kind = message.kind;
    // A line of another kind (a tapped button, a reaction …) says what it was; its body is
    // then the detail under that sentence.
    let event = (kind != MessageKind::Text).then(|| {
        let message = message.clone();
        view! { <EventLine message=message/> }
    });
    let body = if kind == MessageKind::Text {
        message.body.clone()
    } else {
        String::new()
    };
    let attachments = message.attachments.clone();
    let id = message.id;
    let i18n = use_i18n();
    let retry_error = RwSignal::new(None::<AppError>);
    let state = outbound.then(|| match message.status {
        MessageStatus::Pending => view! { <span class="state state-pending" title=move || t_string!(i18n, inbox.status_sending)>"🕓"<span class="visually-hidden">{t!(i18n, inbox.status_sending)}</span></span> }.into_any(),
        MessageStatus::Sent => view! { <span class="state state-sent" title=move || t_string!(i18n, inbox.status_sent)>"✓"</span> }.into_any(),
        MessageStatus::Delivered => view! { <span class="state state-delivered" title=move || t_string!(i18n, inbox.status_delivered)>"✓✓"</span> }.into_any(),
        MessageStatus::Read => view! { <span class="state state-read" title=move || t_string!(i18n, inbox.status_read)>"✓✓"</span> }.into_any(),
        MessageStatus::Failed => {
            let error = message.error.clone();
            let reason = move || {
                error.clone().unwrap_or_else(|| {
                    td_string!(i18n.get_locale(), inbox.failed_default_reason).to_owned()
                })
            };
            view! {
                <span class="state state-failed" role="alert">
                    {t!(i18n, inbox.not_sent_reason, reason = reason)}" "
                    <button class="link-button" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            if let Err(err) = retry_message(id).await {
                                retry_error.set(Some(err));
                            }
                        });
                    }>{t!(i18n, inbox.retry)}</button>
                    {move || retry_error.get().map(|e| error_text(i18n.get_locale(), &e))}
                </span>
            }.into_any()
        }
        MessageStatus::Received => ().into_any(),
    });
    view! {
        <div class="bubble-row" class:outbound=outbound class:inbound=!outbound class:group-first=first class:group-last=last
            data-message-id=id.to_string() data-status=message.status.as_str()>
            <div class="bubble" class:bubble-event=kind != MessageKind::Text data-kind=kind.as_str()>
                {event}
                {attachments.into_iter().map(|a| view! { <AttachmentView attachment=a/> }).collect_view()}
                {(!body.is_empty()).then(|| view! { <MessageText body=body/> })}
            </div>
            {last.then(|| view! {
                <div class="bubble-meta">
                    {outbound.then(|| message.sender_name.clone()).flatten().map(|n| view! { <span>{n}" · "</span> })}
                    <LocalTime ms=message.created_at format=clock/>
                    {state}
                </div>
            })}
            {(!last && outbound && message.status == MessageStatus::Failed).then(|| view! { <div class="bubble-meta">{t!(i18n, inbox.not_sent)}</div> })}
            {outbound.then_some(message.delivery_note).flatten().map(|note| view! {
                <div class="bubble-meta delivery-note" data-delivery-note=match note {
                    DeliveryNote::NotConfirmed => "not_confirmed",
                    DeliveryNote::SentAgain => "sent_again",
                }>
                    {match note {
                        DeliveryNote::NotConfirmed => t!(i18n, inbox.delivery_not_confirmed).into_any(),
                        DeliveryNote::SentAgain => t!(i18n, inbox.delivery_sent_again).into_any(),
                    }}
                </div>
            })}
        </div>
    }
}

/// What a line that is not text says, in `locale`: the sentence, and the detail shown
/// under it (the provider's own words: a referral's source, an order's items …).
fn event_text(locale: Locale, message: &Message) -> (String, Option<String>) {
    let body = message.body.trim();
    let detail = (!body.is_empty()).then(|| body.to_owned());
    match message.kind {
        MessageKind::Text => (message.body.clone(), None),
        MessageKind::Postback => {
            let (title, rest) = body.split_once('\n').unwrap_or((body, ""));
            let rest = rest.trim();
            (
                fill(td_string!(locale, inbox.kind_postback), &[("title", title)]),
                (!rest.is_empty()).then(|| rest.to_owned()),
            )
        }
        MessageKind::Referral => (td_string!(locale, inbox.kind_referral).to_owned(), detail),
        MessageKind::Reaction if body.is_empty() => (
            td_string!(locale, inbox.kind_reaction_removed).to_owned(),
            None,
        ),
        MessageKind::Reaction => match message.detail.as_deref() {
            Some(quote) => (
                fill(
                    td_string!(locale, inbox.kind_reaction),
                    &[("emoji", body), ("quote", quote)],
                ),
                None,
            ),
            None => (
                fill(
                    td_string!(locale, inbox.kind_reaction_no_quote),
                    &[("emoji", body)],
                ),
                None,
            ),
        },
        MessageKind::Removed => (td_string!(locale, inbox.kind_removed).to_owned(), None),
        MessageKind::Unsupported => (
            td_string!(locale, inbox.kind_unsupported).to_owned(),
            detail,
        ),
        MessageKind::Order => (td_string!(locale, inbox.kind_order).to_owned(), detail),
        MessageKind::System => (td_string!(locale, inbox.kind_system).to_owned(), detail),
        MessageKind::WelcomeRequest => (
            td_string!(locale, inbox.kind_welcome_request).to_owned(),
            None,
        ),
        MessageKind::FormReply => (td_string!(locale, inbox.kind_form_reply).to_owned(), detail),
    }
}

/// A line that is not text: what the lead did, in the employee's language, and its
/// detail as plain text.
#[component]
fn EventLine(message: Message) -> impl IntoView {
    let i18n = use_i18n();
    let sentence = {
        let message = message.clone();
        move || event_text(i18n.get_locale(), &message).0
    };
    let detail = event_text(i18n.get_locale_untracked(), &message).1;
    view! {
        <p class="bubble-event-line">{sentence}</p>
        {detail.map(|d| view! { <p class="bubble-event-detail">{d}</p> })}
    }
}

/// The kind of an attachment as a word for the sentences about it ("image", "imagem").
fn attachment_noun(locale: Locale, kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Image => td_string!(locale, inbox.attachment_image),
        AttachmentKind::Video => td_string!(locale, inbox.attachment_video),
        AttachmentKind::Audio => td_string!(locale, inbox.attachment_audio),
        AttachmentKind::File => td_string!(locale, inbox.attachment_file),
        AttachmentKind::Sticker => td_string!(locale, inbox.attachment_sticker),
        AttachmentKind::Location => td_string!(locale, inbox.attachment_place),
    }
}

/// A file or place in a bubble: shown inline when it is media the browser plays.
#[component]
fn AttachmentView(attachment: Attachment) -> impl IntoView {
    let i18n = use_i18n();
    let href = attachment.href();
    let kind = attachment.kind;
    let name = attachment
        .file_name
        .clone()
        .unwrap_or_else(|| attachment_noun(i18n.get_locale_untracked(), kind).to_owned());
    let about_kind = move |template: fn(Locale) -> &'static str| {
        move || {
            let locale = i18n.get_locale();
            fill(template(locale), &[("kind", attachment_noun(locale, kind))])
        }
    };
    match (attachment.state, attachment.kind) {
        (_, AttachmentKind::Location) => {
            let place = attachment.place.clone().unwrap_or_default();
            let (lat, long) = place.split_once(',').unwrap_or_default();
            let map = format!(
                "https://www.openstreetmap.org/?mlat={}&mlon={}",
                lat.trim(),
                long.trim()
            );
            view! { <a class="attachment attachment-place" href=map target="_blank" rel="noopener noreferrer">"📍 "{t!(i18n, inbox.attachment_location)}" "{place.clone()}</a> }.into_any()
        }
        (AttachmentState::Pending, _) => view! { <p class="attachment attachment-pending">{about_kind(|l| td_string!(l, inbox.attachment_pending))}</p> }.into_any(),
        (AttachmentState::Failed, _) => match attachment.error.clone() {
            Some(reason) => {
                let text = move || {
                    let locale = i18n.get_locale();
                    fill(
                        td_string!(locale, inbox.attachment_failed_reason),
                        &[("kind", attachment_noun(locale, kind)), ("reason", &reason)],
                    )
                };
                view! { <p class="attachment attachment-failed">{text}</p> }.into_any()
            }
            None => view! { <p class="attachment attachment-failed">{about_kind(|l| td_string!(l, inbox.attachment_failed))}</p> }.into_any(),
        },
        (AttachmentState::Stored, AttachmentKind::Image | AttachmentKind::Sticker) => view! {
            <a class="attachment attachment-image" href=href.clone() target="_blank" rel="noopener">
                <img src=href.clone() alt=about_kind(|l| td_string!(l, inbox.attachment_alt)) loading="lazy"/>
            </a>
        }.into_any(),
        (AttachmentState::Stored, AttachmentKind::Video) => view! { <video class="attachment" src=href controls preload="metadata"></video> }.into_any(),
        (AttachmentState::Stored, AttachmentKind::Audio) => view! { <audio class="attachment" src=href controls preload="metadata"></audio> }.into_any(),
        (AttachmentState::Stored, AttachmentKind::File) => view! { <a class="attachment attachment-file" href=href download=name.clone()>"📎 "{name.clone()}</a> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;

    fn msg(id: i64, direction: Direction, at: i64, status: MessageStatus) -> Message {
        Message {
            id: MessageId(id),
            conversation_id: ConversationId(1),
            direction,
            body: format!("m{id}"),
            status,
            error: None,
            sender_name: None,
            created_at: at,
            read_at: (status == MessageStatus::Read).then_some(at + 1000),
            attachments: Vec::new(),
            delivery_note: None,
            kind: MessageKind::Text,
            detail: None,
        }
    }

    #[test]
    fn lines_that_are_not_text_say_what_the_lead_did() {
        let line = |kind, body: &str, detail: Option<&str>, locale| {
            let message = Message {
                kind,
                body: body.into(),
                detail: detail.map(str::to_owned),
                ..msg(1, Direction::Inbound, 0, MessageStatus::Received)
            };
            event_text(locale, &message)
        };
        assert_eq!(
            line(
                MessageKind::Postback,
                "Get Started\nSHORTLINK · ref spring",
                None,
                Locale::en
            ),
            (
                "Tapped “Get Started”".into(),
                Some("SHORTLINK · ref spring".into())
            )
        );
        assert_eq!(
            line(MessageKind::Reaction, "❤", Some("See you at 9"), Locale::en).0,
            "Reacted ❤ to “See you at 9”"
        );
        assert_eq!(
            line(MessageKind::Reaction, "❤", None, Locale::pt_BR).0,
            "Reagiu com ❤ a uma mensagem"
        );
        assert_eq!(
            line(MessageKind::Reaction, "", None, Locale::en).0,
            "Took back a reaction"
        );
        assert_eq!(
            line(MessageKind::Removed, "", None, Locale::pt_BR),
            ("Mensagem removida pelo contato".into(), None)
        );
        for kind in MessageKind::ALL {
            for locale in [Locale::en, Locale::pt_BR] {
                let (sentence, _) = line(kind, "x", Some("y"), locale);
                assert!(
                    !sentence.is_empty() && !sentence.contains('{'),
                    "{kind:?} {sentence}"
                );
            }
        }
    }

    #[test]
    fn attachment_words_match_the_stored_kinds_in_english() {
        for kind in AttachmentKind::ALL {
            assert_eq!(attachment_noun(Locale::en, kind), kind.as_str());
        }
        assert_eq!(
            fill(
                td_string!(Locale::pt_BR, inbox.attachment_pending),
                &[(
                    "kind",
                    attachment_noun(Locale::pt_BR, AttachmentKind::Video)
                )]
            ),
            "Carregando vídeo…"
        );
    }

    #[test]
    fn days_are_separated_and_groups_marked() {
        let day = 86_400_000;
        let t0 = 1_795_701_720_000;
        let note = |id: i64, at: i64| Note {
            id,
            conversation_id: crate::ids::ConversationId(1),
            author_id: None,
            author_name: Some("Ana".into()),
            body: "call back".into(),
            mentions: Vec::new(),
            created_at: at,
        };
        let messages = [
            msg(1, Direction::Inbound, t0 - day, MessageStatus::Received),
            msg(2, Direction::Inbound, t0, MessageStatus::Received),
            msg(3, Direction::Inbound, t0 + 1000, MessageStatus::Received),
            msg(4, Direction::Outbound, t0 + 2000, MessageStatus::Read),
            msg(5, Direction::Outbound, t0 + 3000, MessageStatus::Delivered),
        ];
        // A note older than the oldest message shown waits for the older messages.
        let notes = [note(90, t0 - 2 * day), note(91, t0 + 1500)];
        let items = thread_items(&messages, &notes, true);
        let kinds: Vec<String> = items
            .iter()
            .map(|i| match i {
                ThreadItem::Day { .. } => "day".to_owned(),
                ThreadItem::ReadMarker { .. } => "read".to_owned(),
                ThreadItem::Note(note) => format!("note{}", note.id),
                ThreadItem::Message {
                    message,
                    first_of_group,
                    last_of_group,
                } => {
                    format!(
                        "{}{}{}",
                        message.id,
                        if *first_of_group { "F" } else { "" },
                        if *last_of_group { "L" } else { "" }
                    )
                }
            })
            .collect();
        // The note between 3 and 4 ends 3's group.
        assert_eq!(
            kinds,
            ["day", "1FL", "day", "2F", "3L", "note91", "4F", "read", "5L"]
        );
        let all = thread_items(&messages, &notes, false);
        assert_eq!(
            all.iter()
                .filter(|i| matches!(i, ThreadItem::Note(_)))
                .count(),
            2
        );
    }
}
