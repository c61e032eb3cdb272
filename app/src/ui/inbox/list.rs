//! The conversation list: Open / Archived, newest activity first, live.

use super::{conversation_href, list_href, status_from_query};
use crate::channels::ChannelKind;
use crate::conversations::{list_conversations, ConversationStatus, ConversationSummary};
use crate::ids::ConversationId;
use crate::ui::live::use_live;
use crate::ui::text::initials;
use crate::ui::time::{list_time, now_ms, use_mounted};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConversationList() -> impl IntoView {
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
                    Err(crate::error::AppError::Forbidden) => view! { <crate::ui::Forbidden section="Conversations"/> }.into_any(),
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
pub fn ChannelBadge(kind: ChannelKind) -> impl IntoView {
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
