//! Conversations: the list, the open conversation and its composer, the contact panel.

use crate::channels::{ChannelKind, ChannelStatus};
use crate::conversations::{
    archive_conversation, get_conversation, list_conversations, mark_conversation_read,
    reopen_conversation, ConversationDetail, ConversationStatus, ConversationSummary,
};
use crate::ids::ConversationId;
use crate::messages::{
    retry_message, send_message, Direction, Message, MessageBody, MessageStatus, MAX_BODY_CHARS,
};
use crate::ui::live::use_live;
use crate::ui::text::{initials, MessageText};
use crate::ui::time::{
    clock, date_time, day_label, list_time, local_parts, now_ms, use_mounted, LocalTime,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MAX_BODY_CHARS - 100;

fn status_from_query() -> Memo<ConversationStatus> {
    let query = use_query_map();
    Memo::new(move |_| ConversationStatus::parse(&query.read().get("status").unwrap_or_default()))
}

fn list_href(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "/conversations",
        ConversationStatus::Archived => "/conversations?status=archived",
    }
}

fn conversation_href(id: ConversationId, status: ConversationStatus) -> String {
    match status {
        ConversationStatus::Open => format!("/conversations/{id}"),
        ConversationStatus::Archived => format!("/conversations/{id}?status=archived"),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let location = use_location();
    let has_selection = move || location.pathname.get().trim_end_matches('/') != "/conversations";
    view! {
        <Title text="Conversations · Confab"/>
        <div class="inbox" class:has-selection=has_selection>
            <ConversationList/>
            <leptos_router::components::Outlet/>
        </div>
    }
}

#[component]
fn ConversationList() -> impl IntoView {
    let live = use_live();
    let status = status_from_query();
    let params = use_params_map();
    let selected = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    let page = Resource::new(
        move || (status.get(), live.version.get()),
        |(status, _)| list_conversations(status, None),
    );
    let mounted = use_mounted();
    view! {
        <section class="list-pane" aria-label="Conversations">
            <header class="list-header">
                <h1>"Conversations"</h1>
                <div class="segmented" role="tablist" aria-label="Show">
                    <a href=list_href(ConversationStatus::Open) role="tab"
                        aria-selected=move || (status.get() == ConversationStatus::Open).to_string()
                        class:active=move || status.get() == ConversationStatus::Open>"Open"</a>
                    <a href=list_href(ConversationStatus::Archived) role="tab"
                        aria-selected=move || (status.get() == ConversationStatus::Archived).to_string()
                        class:active=move || status.get() == ConversationStatus::Archived>"Archived"</a>
                </div>
                {move || (!live.connected.get()).then(|| view! {
                    <p class="banner banner-warn" role="status">"Reconnecting… new messages will appear when the connection is back."</p>
                })}
            </header>
            <Transition fallback=|| view! { <p class="list-empty">"Loading conversations…"</p> }>
                {move || page.get().map(|result| match result {
                    Err(err) => view! { <p class="banner banner-error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="list-empty">
                            {match status.get() {
                                ConversationStatus::Open => "No open conversations. When a lead writes, the conversation appears here — try the ",
                                ConversationStatus::Archived => "No archived conversations yet. Archive a conversation when it is done; see also the ",
                            }}
                            <a href="/sandbox" target="_blank">"sandbox"</a>"."
                        </p>
                    }.into_any(),
                    Ok(page) => view! {
                        <ul class="conversation-list" data-testid="conversation-list">
                            <For each=move || page.items.clone() key=|c| (c.id, c.last_message_at, c.unread_count, c.awaiting_reply, c.status) let:item>
                                <ConversationRow item=item selected=selected status=status mounted=mounted/>
                            </For>
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChannelBadge(kind: ChannelKind) -> impl IntoView {
    view! {
        <span class=format!("channel-badge channel-{}", kind.as_str()) title=kind.label()>
            <span aria-hidden="true">{kind.short_label()}</span>
            <span class="visually-hidden">{kind.label()}</span>
        </span>
    }
}

#[component]
fn ConversationRow(
    item: ConversationSummary,
    selected: Memo<Option<ConversationId>>,
    status: Memo<ConversationStatus>,
    mounted: ReadSignal<bool>,
) -> impl IntoView {
    let id = item.id;
    let unread = item.unread_count > 0;
    let at = item.last_message_at;
    let preview = match (&item.preview, item.preview_outbound) {
        (Some(p), true) => format!("You: {p}"),
        (Some(p), false) => p.clone(),
        (None, _) => String::new(),
    };
    view! {
        <li>
            <a href=move || conversation_href(id, status.get())
                class="conversation-row" class:unread=unread class:selected=move || selected.get() == Some(id)
                aria-current=move || (selected.get() == Some(id)).then_some("page")
                data-conversation-id=id.to_string()>
                <span class="avatar">
                    {initials(&item.contact_name)}
                    <ChannelBadge kind=item.channel_kind/>
                </span>
                <span class="row-main">
                    <span class="row-top">
                        <span class="contact-name">{item.contact_name.clone()}</span>
                        <span class="row-time">{move || if mounted.get() { list_time(at, now_ms()) } else { String::new() }}</span>
                    </span>
                    <span class="row-page">{item.channel_name.clone()}</span>
                    <span class="row-bottom">
                        <span class="row-preview">{preview}</span>
                        {if unread {
                            view! { <span class="unread-pill" data-testid="unread" aria-label=format!("{} unread", item.unread_count)>{item.unread_count}</span> }.into_any()
                        } else if item.awaiting_reply {
                            view! { <span class="awaiting-dot" data-testid="awaiting" title="Awaiting reply"><span class="visually-hidden">"Awaiting reply"</span></span> }.into_any()
                        } else {
                            ().into_any()
                        }}
                    </span>
                </span>
            </a>
        </li>
    }
}

#[component]
pub fn NoConversationSelected() -> impl IntoView {
    view! {
        <section class="thread-pane empty-thread">
            <div class="empty-state">
                <h2>"Pick a conversation"</h2>
                <p>"Choose a conversation on the left to read and reply. To see a new one arrive, open the "
                <a href="/sandbox" target="_blank">"sandbox"</a>" and write as a lead."</p>
            </div>
        </section>
    }
}

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
    let live = use_live();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    // Refetch when an event concerns this conversation.
    let (tick, set_tick) = signal(0u64);
    Effect::new(move |_| {
        if let Some(event) = live.last.get() {
            if Some(event.conversation_id) == id.get_untracked() {
                set_tick.update(|t| *t += 1);
            }
        }
    });
    Effect::new(move |_| {
        // A resync (or a reconnect) may have hidden changes: refetch too.
        live.version.track();
        if live.last.get_untracked().is_none() {
            set_tick.update(|t| *t += 1);
        }
    });
    let detail = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_conversation(id).await,
                None => Err(crate::error::AppError::NotFound("Conversation".into())),
            }
        },
    );
    // Opening the conversation marks it read.
    Effect::new(move |_| {
        if let Some(Ok(d)) = detail.get() {
            if d.summary.unread_count > 0 {
                let id = d.summary.id;
                leptos::task::spawn_local(async move {
                    let _ = mark_conversation_read(id).await;
                });
            }
        }
    });
    let status = status_from_query();
    view! {
        <Transition fallback=|| view! { <section class="thread-pane"><p class="list-empty">"Loading…"</p></section> }>
            {move || detail.get().map(|result| match result {
                Err(err) => view! {
                    <section class="thread-pane empty-thread">
                        <div class="empty-state">
                            <h2>"This conversation can't be shown"</h2>
                            <p>{err.to_string()}</p>
                            <a class="button" href=list_href(status.get())>"Back to the list"</a>
                        </div>
                    </section>
                }.into_any(),
                Ok(detail) => view! { <Conversation detail=detail set_tick=set_tick/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Conversation(detail: ConversationDetail, set_tick: WriteSignal<u64>) -> impl IntoView {
    let summary = detail.summary.clone();
    let id = summary.id;
    let status = status_from_query();
    let archived = summary.status == ConversationStatus::Archived;
    let action_error = RwSignal::new(None::<String>);
    let toggle_archive = move |_| {
        leptos::task::spawn_local(async move {
            let result = if archived {
                reopen_conversation(id).await
            } else {
                archive_conversation(id).await
            };
            match result {
                Ok(()) => {
                    action_error.set(None);
                    set_tick.update(|t| *t += 1);
                }
                Err(err) => action_error.set(Some(err.to_string())),
            }
        });
    };
    let show_panel = RwSignal::new(false);
    view! {
        <Title text=format!("{} · Confab", summary.contact_name)/>
        <section class="thread-pane" aria-label=format!("Conversation with {}", summary.contact_name)>
            <header class="thread-header">
                <a class="back-button" href=move || list_href(status.get()) aria-label="Back to conversations">"‹"</a>
                <span class="avatar">{initials(&summary.contact_name)}<ChannelBadge kind=summary.channel_kind/></span>
                <div class="thread-title">
                    <h2>{summary.contact_name.clone()}</h2>
                    <span class="meta">{summary.channel_kind.label()}" · "{summary.channel_name.clone()}</span>
                </div>
                <div class="thread-actions">
                    <button class="button" on:click=toggle_archive data-testid="archive-toggle">
                        {if archived { "Reopen" } else { "Archive" }}
                    </button>
                    <button class="button panel-toggle" aria-expanded=move || show_panel.get().to_string()
                        on:click=move |_| show_panel.update(|s| *s = !*s)>"Contact"</button>
                </div>
            </header>
            {move || action_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            <Thread detail=detail.clone()/>
            <Composer detail=detail.clone() set_tick=set_tick/>
        </section>
        <ContactPanel detail=detail show=show_panel/>
    }
}

#[component]
fn Thread(detail: ConversationDetail) -> impl IntoView {
    let mounted = use_mounted();
    let messages = detail.messages.clone();
    // Grouping by day needs the browser's zone: recompute once mounted.
    let items = Memo::new(move |_| {
        mounted.track();
        thread_items(&messages)
    });
    let scroller = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        items.track();
        if let Some(el) = scroller.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let archived_line = (detail.summary.status == ConversationStatus::Archived).then(|| {
        let by = detail
            .archived_by
            .clone()
            .unwrap_or_else(|| "an employee".into());
        let at = detail.archived_at.unwrap_or(detail.summary.last_message_at);
        view! {
            <p class="system-line" data-testid="archived-line">
                "Archived by "{by}" · "<LocalTime ms=at format=date_time/>
            </p>
        }
    });
    view! {
        <div class="thread" node_ref=scroller data-testid="thread">
            {detail.has_older.then(|| view! { <p class="system-line">"Older messages are kept up to the last 500."</p> })}
            <For each=move || items.get() key=|item| item.key() let:item>
                {match item {
                    ThreadItem::Day { at, .. } => view! {
                        <div class="day-separator" role="separator">
                            <span>{move || if mounted.get() { day_label(at, now_ms()) } else { String::new() }}</span>
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
    }
}

#[component]
fn Bubble(message: Message, first: bool, last: bool) -> impl IntoView {
    let outbound = message.direction == Direction::Outbound;
    let body = message.body.clone();
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
                <MessageText body=body/>
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

/// Why the composer is locked, if it is.
fn composer_lock(detail: &ConversationDetail) -> Option<&'static str> {
    match detail.channel_status {
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
fn Composer(detail: ConversationDetail, set_tick: WriteSignal<u64>) -> impl IntoView {
    let id = detail.summary.id;
    if let Some(reason) = composer_lock(&detail) {
        return view! { <div class="composer-locked" role="status">{reason}</div> }.into_any();
    }
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
                    sending.update(|s| s.retain(|(l, _)| *l != local));
                    match result {
                        Ok(_) => set_tick.update(|t| *t += 1),
                        Err(err) => {
                            // Nothing is lost: the text comes back to the composer.
                            if text.get_untracked().is_empty() {
                                text.set(body);
                            }
                            error.set(Some(err.to_string()));
                        }
                    }
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
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="composer-error">{e}</p> })}
            <div class="composer-row">
                <label class="visually-hidden" for="composer-text">"Reply"</label>
                <textarea id="composer-text" name="body" rows="1" placeholder="Write a reply…" title="Enter sends, Shift+Enter makes a new line"
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
    }
    .into_any()
}

#[component]
fn ContactPanel(detail: ConversationDetail, show: RwSignal<bool>) -> impl IntoView {
    let s = detail.summary;
    view! {
        <aside class="client-panel" class:open=move || show.get() aria-label="Contact">
            <header class="panel-header">
                <h2>"Contact"</h2>
                <button class="button panel-close" on:click=move |_| show.set(false) aria-label="Close contact panel">"×"</button>
            </header>
            <div class="panel-card">
                <span class="avatar large">{initials(&s.contact_name)}</span>
                <h3>{s.contact_name.clone()}</h3>
                <dl>
                    <dt>"Channel"</dt><dd><ChannelBadge kind=s.channel_kind/>" "{s.channel_name.clone()}</dd>
                    {detail.contact_phone.map(|p| view! { <dt>"Phone"</dt><dd>{p}</dd> })}
                    {detail.contact_username.map(|u| view! { <dt>"Username"</dt><dd>"@"{u}</dd> })}
                    <dt>"Contact id"</dt><dd class="mono">{detail.contact_external_id}</dd>
                    {detail.last_inbound_at.map(|at| view! { <dt>"Last wrote"</dt><dd><LocalTime ms=at format=date_time/></dd> })}
                </dl>
            </div>
        </aside>
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
