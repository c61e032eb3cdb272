//! The open conversation: header, messages, composer and contact panel. The page loads it
//! once per conversation (server-rendered); live events then refresh its state in place,
//! so what the employee is typing, their scroll position and focus are never disturbed.

use super::composer::Composer;
use super::contact::ContactPanel;
use super::list::ChannelBadge;
use super::list_params;
use crate::conversations::{
    archive_conversation, get_conversation, mark_conversation_read, mark_conversation_unread,
    older_messages, reopen_conversation, ConversationDetail, ConversationStatus,
};
use crate::ids::ConversationId;
use crate::messages::{
    retry_message, Attachment, AttachmentKind, AttachmentState, Direction, Message, MessageStatus,
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
                "m{}-{}-{}-{}",
                message.id,
                message.status.as_str(),
                first_of_group,
                last_of_group
            ),
            ThreadItem::ReadMarker { at } => format!("r{at}"),
        }
    }
}

const GROUP_GAP_MS: i64 = 5 * 60_000;

fn thread_items(messages: &[Message]) -> Vec<ThreadItem> {
    let last_read = messages
        .iter()
        .rposition(|m| m.direction == Direction::Outbound && m.status == MessageStatus::Read);
    let mut items = Vec::with_capacity(messages.len() + 4);
    let mut last_day = None;
    for (i, m) in messages.iter().enumerate() {
        let (date, _, _) = local_parts(m.created_at);
        let day = (date.year, date.month, date.day);
        let new_day = last_day != Some(day);
        if new_day {
            items.push(ThreadItem::Day {
                key: day,
                at: m.created_at,
            });
            last_day = Some(day);
        }
        let prev = (!new_day)
            .then(|| i.checked_sub(1).map(|p| &messages[p]))
            .flatten();
        let next = messages.get(i + 1).filter(|n| {
            let (d, _, _) = local_parts(n.created_at);
            (d.year, d.month, d.day) == day
        });
        let same_group = |a: &Message, b: &Message| {
            a.direction == b.direction && (b.created_at - a.created_at).abs() < GROUP_GAP_MS
        };
        items.push(ThreadItem::Message {
            message: m.clone(),
            first_of_group: prev.is_none_or(|p| !same_group(p, m)),
            last_of_group: next.is_none_or(|n| !same_group(m, n)),
        });
        if Some(i) == last_read {
            if let Some(at) = m.read_at {
                items.push(ThreadItem::ReadMarker { at });
            }
        }
    }
    items
}

#[component]
pub fn ConversationPane() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_conversation(id).await,
                None => Err(crate::error::AppError::NotFound("Conversation".into())),
            }
        },
    );
    let view_params = list_params();
    view! {
        <Transition fallback=|| view! { <section class="thread-pane"><p class="list-empty">"Loading…"</p></section> }>
            {move || detail.get().map(|result| match result {
                Err(err) => view! {
                    <section class="thread-pane empty-thread">
                        <div class="empty-state">
                            <h2>"This conversation can't be shown"</h2>
                            <p>{err.to_string()}</p>
                            <a class="button" href=view_params.get().list_href()>"Back to the list"</a>
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
            // Older pages stay, minus anything the fresh page now holds.
            let first_fresh = fresh.messages.first().map(|m| m.id);
            older.update(|o| o.retain(|m| first_fresh.is_none_or(|f| m.id < f)));
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
    let id = initial.summary.id;
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
    let action_error = RwSignal::new(None::<String>);
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
                Err(err) => action_error.set(Some(err.to_string())),
            }
        });
    };
    let show_panel = RwSignal::new(false);
    let view_params = list_params();
    let navigate = leptos_router::hooks::use_navigate();
    // Unread again for the team: leave the conversation, or opening it would read it.
    let mark_unread = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match (mark_conversation_unread(id).await, close) {
                (Ok(()), Some(close)) => close.run(()),
                (Ok(()), None) => {
                    navigate(&view_params.get_untracked().list_href(), Default::default())
                }
                (Err(err), _) => action_error.set(Some(err.to_string())),
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
                Err(err) => action_error.set(Some(err.to_string())),
            }
        });
    });
    view! {
        {close.is_none().then(|| view! { <Title text=format!("{} · Confab", summary.contact_name)/> })}
        <section class="thread-pane" aria-label=format!("Conversation with {}", summary.contact_name)>
            <header class="thread-header">
                {match close {
                    Some(close) => view! {
                        <button class="button close-chat-button" type="button" aria-label="Close the chat" data-testid="close-chat"
                            on:click=move |_| close.run(())>"×"</button>
                    }.into_any(),
                    None => view! {
                        <a class="back-button" href=move || view_params.get().list_href() aria-label="Back to conversations">"‹"</a>
                    }.into_any(),
                }}
                <span class="avatar">{initials(&summary.contact_name)}<ChannelBadge kind=summary.channel_kind/></span>
                <div class="thread-title">
                    <h2>{summary.contact_name.clone()}</h2>
                    <span class="meta">{summary.channel_kind.label()}" · "{summary.channel_name.clone()}</span>
                </div>
                <div class="thread-actions">
                    <button class="button" on:click=mark_unread title="Mark as unread for the team">"Mark unread"</button>
                    <button class="button" on:click=toggle_archive data-testid="archive-toggle">
                        {move || if archived.get() { "Reopen" } else { "Archive" }}
                    </button>
                    <button class="button panel-toggle" aria-expanded=move || show_panel.get().to_string()
                        on:click=move |_| show_panel.update(|s| *s = !*s)>"Contact"</button>
                </div>
            </header>
            {move || action_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            <Thread messages=messages has_older=has_older load_older=load_older state=state/>
            <Composer state=state on_sent=Callback::new(move |_| refresh(id, state, older))/>
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
    view! {
        <div class="modal-backdrop" on:click=move |_| close.run(())></div>
        <div class="modal chat-modal" role="dialog" aria-modal="true" aria-label="Conversation" data-testid="chat-modal"
            on:keydown=move |ev| if ev.key() == "Escape" { close.run(()) }>
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || detail.get().map(|result| match result {
                    Err(err) => view! {
                        <div class="empty-state"><p>{err.to_string()}</p>
                            <button class="button" on:click=move |_| close.run(())>"Close"</button></div>
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
    // Grouping by day needs the browser's zone: recompute once mounted.
    let items = Memo::new(move |_| {
        mounted.track();
        messages.with(|m| thread_items(m))
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
                let by = s
                    .archived_by
                    .clone()
                    .unwrap_or_else(|| "an employee".into());
                let at = s.archived_at.unwrap_or(s.summary.last_message_at);
                view! {
                    <p class="system-line" data-testid="archived-line">
                        "Archived by "{by}" · "<LocalTime ms=at format=date_time/>
                    </p>
                }
            })
        })
    };
    view! {
        <div class="thread-wrap">
            <div class="thread" node_ref=scroller on:scroll=on_scroll data-testid="thread">
                {move || {
                    let pruned = state.with(|s| s.history_pruned_at.is_some());
                    if has_older.get() {
                        view! { <button class="button older-button" data-testid="older" on:click=move |_| load_older.run(())>"Show older messages"</button> }.into_any()
                    } else if pruned {
                        view! { <p class="system-line" data-testid="history-pruned">"Older messages were removed: a conversation keeps its latest 500."</p> }.into_any()
                    } else {
                        ().into_any()
                    }
                }}
                <For each=move || items.get() key=|item| item.key() let:item>
                    {match item {
                        ThreadItem::Day { at, .. } => view! {
                            <div class="day-separator" role="separator">
                                <span>{move || if mounted.get() { day_label(crate::i18n::use_i18n().get_locale(), at, now_ms()) } else { String::new() }}</span>
                            </div>
                        }.into_any(),
                        ThreadItem::ReadMarker { at } => view! {
                            <p class="read-marker" data-testid="read-marker">"Read "<LocalTime ms=at format=clock/></p>
                        }.into_any(),
                        ThreadItem::Message { message, first_of_group, last_of_group } => view! {
                            <Bubble message=message first=first_of_group last=last_of_group/>
                        }.into_any(),
                    }}
                </For>
                {archived_line}
            </div>
            {move || unseen.get().then(|| view! {
                <button class="new-messages-pill" on:click=to_bottom>"New messages ↓"</button>
            })}
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
    let body = message.body.clone();
    let attachments = message.attachments.clone();
    let id = message.id;
    let retry_error = RwSignal::new(None::<String>);
    let state = outbound.then(|| match message.status {
        MessageStatus::Pending => view! { <span class="state state-pending" title="Sending">"🕓"<span class="visually-hidden">"Sending"</span></span> }.into_any(),
        MessageStatus::Sent => view! { <span class="state state-sent" title="Sent">"✓"</span> }.into_any(),
        MessageStatus::Delivered => view! { <span class="state state-delivered" title="Delivered">"✓✓"</span> }.into_any(),
        MessageStatus::Read => view! { <span class="state state-read" title="Read">"✓✓"</span> }.into_any(),
        MessageStatus::Failed => {
            let reason = message.error.clone().unwrap_or_else(|| "The channel refused this message.".into());
            view! {
                <span class="state state-failed" role="alert">
                    "! Not sent: "{reason}" "
                    <button class="link-button" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            if let Err(err) = retry_message(id).await {
                                retry_error.set(Some(err.to_string()));
                            }
                        });
                    }>"Retry"</button>
                    {move || retry_error.get()}
                </span>
            }.into_any()
        }
        MessageStatus::Received => ().into_any(),
    });
    view! {
        <div class="bubble-row" class:outbound=outbound class:inbound=!outbound class:group-first=first class:group-last=last
            data-message-id=id.to_string() data-status=message.status.as_str()>
            <div class="bubble">
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
            {(!last && outbound && message.status == MessageStatus::Failed).then(|| view! { <div class="bubble-meta">"! Not sent"</div> })}
        </div>
    }
}

/// A file or place in a bubble: shown inline when it is media the browser plays.
#[component]
fn AttachmentView(attachment: Attachment) -> impl IntoView {
    let href = attachment.href();
    let name = attachment
        .file_name
        .clone()
        .unwrap_or_else(|| attachment.kind.as_str().to_owned());
    match (attachment.state, attachment.kind) {
        (_, AttachmentKind::Location) => {
            let place = attachment.place.clone().unwrap_or_default();
            let (lat, long) = place.split_once(',').unwrap_or_default();
            let map = format!(
                "https://www.openstreetmap.org/?mlat={}&mlon={}",
                lat.trim(),
                long.trim()
            );
            view! { <a class="attachment attachment-place" href=map target="_blank" rel="noopener noreferrer">"📍 Location "{place.clone()}</a> }.into_any()
        }
        (AttachmentState::Pending, _) => view! { <p class="attachment attachment-pending">"Fetching the "{attachment.kind.as_str()}"…"</p> }.into_any(),
        (AttachmentState::Failed, _) => view! { <p class="attachment attachment-failed">"The "{attachment.kind.as_str()}" could not be fetched from the provider."</p> }.into_any(),
        (AttachmentState::Stored, AttachmentKind::Image | AttachmentKind::Sticker) => view! {
            <a class="attachment attachment-image" href=href.clone() target="_blank" rel="noopener">
                <img src=href.clone() alt=format!("{} from the lead", attachment.kind.as_str()) loading="lazy"/>
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
        }
    }

    #[test]
    fn days_are_separated_and_groups_marked() {
        let day = 86_400_000;
        let t0 = 1_795_701_720_000;
        let items = thread_items(&[
            msg(1, Direction::Inbound, t0 - day, MessageStatus::Received),
            msg(2, Direction::Inbound, t0, MessageStatus::Received),
            msg(3, Direction::Inbound, t0 + 1000, MessageStatus::Received),
            msg(4, Direction::Outbound, t0 + 2000, MessageStatus::Read),
            msg(5, Direction::Outbound, t0 + 3000, MessageStatus::Delivered),
        ]);
        let kinds: Vec<String> = items
            .iter()
            .map(|i| match i {
                ThreadItem::Day { .. } => "day".to_owned(),
                ThreadItem::ReadMarker { .. } => "read".to_owned(),
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
        assert_eq!(kinds, ["day", "1FL", "day", "2F", "3L", "4F", "read", "5L"]);
    }
}
