//! The conversation list: Open / Archived, search and filters, newest activity first, live.

use super::{list_params, ListParams};
use crate::channels::ChannelKind;
use crate::conversations::ListCursor;
use crate::conversations::{
    list_conversations, my_channels, AssigneeFilter, ConversationStatus, ConversationSummary,
};
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ids::ConversationId;
use crate::locale::{error_text, fill, format_integer};
use crate::ui::live::use_live;
use crate::ui::text::initials;
use crate::ui::time::{list_time, now_ms, use_mounted};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_params_map;

/// A chip's filter turned on, or off when it was on.
fn toggled(current: AssigneeFilter, chip: AssigneeFilter) -> AssigneeFilter {
    if current == chip {
        AssigneeFilter::All
    } else {
        chip
    }
}

#[component]
pub fn ConversationList() -> impl IntoView {
    let live = use_live();
    let i18n = use_i18n();
    let params = list_params();
    let route = use_params_map();
    let selected = Memo::new(move |_| {
        route
            .read()
            .get("id")
            .and_then(|id| id.parse::<ConversationId>().ok())
    });
    let page = Resource::new(
        move || (params.get(), live.version.get()),
        |(params, _)| list_conversations(params.status, params.filter, None),
    );
    let channels = Resource::new(|| (), |_| my_channels());
    // Pages after the first, loaded as the employee scrolls down; a new view starts over.
    let more = RwSignal::new(Vec::<ConversationSummary>::new());
    let more_next = RwSignal::new(None::<Option<ListCursor>>);
    let loading_more = RwSignal::new(false);
    Effect::new(move |_| {
        params.track();
        more.set(Vec::new());
        more_next.set(None);
    });
    let load_more = move |first_next: Option<ListCursor>| {
        let cursor = more_next.get_untracked().unwrap_or(first_next);
        let Some(cursor) = cursor else { return };
        if loading_more.get_untracked() {
            return;
        }
        loading_more.set(true);
        let p = params.get_untracked();
        leptos::task::spawn_local(async move {
            if let Ok(page) = list_conversations(p.status, p.filter, Some(cursor)).await {
                more.update(|m| m.extend(page.items));
                more_next.set(Some(page.next));
            }
            loading_more.set(false);
        });
    };
    let status_tab = move |status: ConversationStatus, label: fn(Locale) -> &'static str| {
        let active = move || params.get().status == status;
        view! {
            <a href=move || params.get().with(|p| p.status = status).list_href() role="tab"
                aria-selected=move || active().to_string() class:active=active>{move || label(i18n.get_locale())}</a>
        }
    };
    let chip = move |label: fn(Locale) -> &'static str,
                     on: fn(&ListParams) -> bool,
                     toggle: fn(&mut ListParams)| {
        view! {
            <a class="chip" class:active=move || on(&params.get()) aria-current=move || on(&params.get()).then_some("true")
                href=move || params.get().with(toggle).list_href()>{move || label(i18n.get_locale())}</a>
        }
    };
    view! {
        <section class="list-pane" aria-label=move || t_string!(i18n, inbox.conversations)>
            <header class="list-header">
                <div class="list-title">
                    <h1>{t!(i18n, inbox.conversations)}</h1>
                    // Write to any number: a lead who called, a number from a card.
                    <super::start::StartConversation ask_number=true/>
                </div>
                <div class="segmented" role="tablist" aria-label=move || t_string!(i18n, inbox.status_tabs_label)>
                    {status_tab(ConversationStatus::Open, |l| td_string!(l, inbox.tab_open))}
                    {status_tab(ConversationStatus::Archived, |l| td_string!(l, inbox.tab_archived))}
                </div>
                <Form method="GET" action="/conversations" attr:class="search" attr:role="search">
                    {move || {
                        let p = params.get();
                        view! {
                            {(p.status == ConversationStatus::Archived).then(|| view! { <input type="hidden" name="status" value="archived"/> })}
                            {p.filter.channel.map(|c| view! { <input type="hidden" name="channel" value=c.to_string()/> })}
                            {p.filter.unread_only.then(|| view! { <input type="hidden" name="unread" value="1"/> })}
                            {p.filter.awaiting_only.then(|| view! { <input type="hidden" name="awaiting" value="1"/> })}
                            {(p.filter.assignee != AssigneeFilter::All).then(|| view! { <input type="hidden" name="assignee" value=p.filter.assignee.as_str()/> })}
                        }
                    }}
                    <label class="visually-hidden" for="list-search">{t!(i18n, inbox.search_label)}</label>
                    <input id="list-search" type="search" name="q" maxlength="100" placeholder=move || t_string!(i18n, inbox.search_placeholder)
                        prop:value=move || params.get().filter.query.unwrap_or_default()/>
                </Form>
                <div class="chips" aria-label=move || t_string!(i18n, inbox.filters_label)>
                    // Mine and Unassigned exclude each other; neither is the whole team's list.
                    {chip(|l| td_string!(l, inbox.filter_mine), |p| p.filter.assignee == AssigneeFilter::Mine, |p| p.filter.assignee = toggled(p.filter.assignee, AssigneeFilter::Mine))}
                    {chip(|l| td_string!(l, inbox.filter_unassigned), |p| p.filter.assignee == AssigneeFilter::Unassigned, |p| p.filter.assignee = toggled(p.filter.assignee, AssigneeFilter::Unassigned))}
                    {chip(|l| td_string!(l, inbox.filter_unread), |p| p.filter.unread_only, |p| p.filter.unread_only = !p.filter.unread_only)}
                    {chip(|l| td_string!(l, inbox.filter_awaiting), |p| p.filter.awaiting_only, |p| p.filter.awaiting_only = !p.filter.awaiting_only)}
                    <Transition fallback=|| ()>
                        {move || channels.get().and_then(|r| r.ok()).filter(|list| list.len() > 1).map(|list| {
                            list.into_iter().map(|c| {
                                let id = c.id;
                                let on = move || params.get().filter.channel == Some(id);
                                view! {
                                    <a class="chip" class:active=on aria-current=move || on().then_some("true")
                                        href=move || params.get().with(|p| p.filter.channel = if p.filter.channel == Some(id) { None } else { Some(id) }).list_href()>
                                        <span class=format!("channel-dot channel-{}", c.kind.as_str())></span>{c.display_name}
                                    </a>
                                }
                            }).collect_view()
                        })}
                    </Transition>
                </div>
                {move || (!live.connected.get()).then(|| view! {
                    <p class="banner banner-warn" role="status">{t!(i18n, inbox.reconnecting)}</p>
                })}
            </header>
            <super::first_hour::FirstHourGuide/>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, inbox.loading_conversations)}</p> }>
                {move || page.get().map(|result| match result {
                    Err(crate::error::AppError::Forbidden) => view! { <crate::ui::Forbidden section=crate::ui::ForbiddenSection::Conversations/> }.into_any(),
                    Err(err) => view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(page) if page.items.is_empty() => {
                        let p = params.get_untracked();
                        let narrowed = p.filter != Default::default();
                        view! {
                            <p class="list-empty" data-testid="list-empty">
                                {if narrowed {
                                    let clear_href = p.with(|p| p.filter = Default::default()).list_href();
                                    view! { {t!(i18n, inbox.empty_nothing_matches, <a> = <a href=clear_href.clone()/>)} }.into_any()
                                } else if p.status == ConversationStatus::Open {
                                    view! { {t!(i18n, inbox.empty_open, <a> = <a href="/sandbox" target="_blank"/>)} }.into_any()
                                } else {
                                    view! { {t!(i18n, inbox.empty_archived)} }.into_any()
                                }}
                            </p>
                        }.into_any()
                    }
                    Ok(page) => {
                        let first_next = page.next;
                        let first = page.items;
                        // The first page is always fresh; later pages fill in below it.
                        let items = Memo::new(move |_| {
                            let mut all = first.clone();
                            more.with(|m| all.extend(m.iter().filter(|c| !first.iter().any(|f| f.id == c.id)).cloned()));
                            all
                        });
                        let has_more = move || more_next.get().unwrap_or(first_next).is_some();
                        // Windowed: only the rows near the viewport are in the page, between two
                        // spacers, so thousands of conversations scroll like fifty.
                        let scroll_top = RwSignal::new(0i32);
                        let viewport = RwSignal::new(0i32);
                        let window = Memo::new(move |_| {
                            visible_window(items.with(Vec::len), scroll_top.get(), viewport.get())
                        });
                        let on_scroll = move |ev: leptos::ev::Event| {
                            use leptos::wasm_bindgen::JsCast;
                            if let Some(el) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()) {
                                scroll_top.set(el.scroll_top());
                                viewport.set(el.client_height());
                                if el.scroll_top() + el.client_height() > el.scroll_height() - 200 {
                                    load_more(first_next);
                                }
                            }
                        };
                        let rows = move || {
                            let (start, end) = window.get();
                            items.with(|all| all[start.min(all.len())..end.min(all.len())].to_vec())
                        };
                        view! {
                            <ul class="conversation-list" data-testid="conversation-list" on:scroll=on_scroll>
                                <li class="list-spacer" aria-hidden="true" style:height=move || format!("{}px", window.get().0 as i32 * ROW_HEIGHT)></li>
                                <For each=rows key=|c| (c.id, c.last_message_at, c.unread_count, c.awaiting_reply, c.status, c.assignee.as_ref().map(|a| a.id)) let:item>
                                    <ConversationRow item=item selected=selected params=params/>
                                </For>
                                <li class="list-spacer" aria-hidden="true"
                                    style:height=move || format!("{}px", items.with(Vec::len).saturating_sub(window.get().1) as i32 * ROW_HEIGHT)></li>
                                {move || has_more().then(|| view! {
                                    <li class="list-more">
                                        <button class="button" on:click=move |_| load_more(first_next) disabled=move || loading_more.get()>
                                            {move || if loading_more.get() { t_string!(i18n, inbox.loading) } else { t_string!(i18n, inbox.show_more) }}
                                        </button>
                                    </li>
                                })}
                            </ul>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

/// The height of one row of the list, in CSS pixels (`.conversation-list > li.row`).
pub const ROW_HEIGHT: i32 = 86;
/// Rows kept in the page above and below the viewport.
const OVERSCAN: usize = 20;

/// Which rows `[start, end)` to put in the page for a scroll position. Before the list
/// has been measured (on the server, before hydration) it is the first page.
pub fn visible_window(len: usize, scroll_top: i32, viewport: i32) -> (usize, usize) {
    if viewport <= 0 {
        return (0, len.min(crate::conversations::PAGE_SIZE as usize));
    }
    let first = (scroll_top.max(0) / ROW_HEIGHT) as usize;
    let shown = (viewport / ROW_HEIGHT) as usize + 1;
    let start = first.saturating_sub(OVERSCAN);
    let end = (first + shown + OVERSCAN).min(len);
    (start.min(end), end)
}

#[component]
pub fn ChannelBadge(kind: ChannelKind) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || kind.label_in(i18n.get_locale());
    view! {
        <span class=format!("channel-badge channel-{}", kind.as_str()) title=label>
            <span aria-hidden="true">{kind.short_label()}</span>
            <span class="visually-hidden">{label}</span>
        </span>
    }
}

/// Marks a practice channel's conversation (connected to Confab's simulator, not to the
/// provider), wherever its channel is named.
#[component]
pub fn PracticeTag() -> impl IntoView {
    let i18n = use_i18n();
    view! { <span class="practice-tag" data-testid="practice-tag">{t!(i18n, sandbox.practice_tag)}</span> }
}

#[component]
fn ConversationRow(
    item: ConversationSummary,
    selected: Memo<Option<ConversationId>>,
    params: Memo<ListParams>,
) -> impl IntoView {
    let mounted = use_mounted();
    let i18n = use_i18n();
    let id = item.id;
    let unread = item.unread_count > 0;
    let unread_count = item.unread_count;
    let at = item.last_message_at;
    let preview_text = item.preview.clone();
    let preview_outbound = item.preview_outbound;
    let preview = move || match (&preview_text, preview_outbound) {
        (Some(p), true) => fill(
            td_string!(i18n.get_locale(), inbox.preview_you),
            &[("text", p)],
        ),
        (Some(p), false) => p.clone(),
        (None, _) => String::new(),
    };
    let unread_label = move || {
        let locale = i18n.get_locale();
        let template = if unread_count == 1 {
            td_string!(locale, inbox.unread_label_singular)
        } else {
            td_string!(locale, inbox.unread_label_plural)
        };
        fill(
            template,
            &[("count", &format_integer(locale, unread_count))],
        )
    };
    view! {
        <li class="row">
            <a href=move || params.get().conversation_href(id)
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
                        <span class="row-time">{move || if mounted.get() { list_time(i18n.get_locale(), at, now_ms()) } else { String::new() }}</span>
                    </span>
                    <span class="row-page">
                        <span class="row-channel">{item.channel_name.clone()}{item.channel_simulated.then(|| view! { " "<PracticeTag/> })}</span>
                        {item.assignee.clone().map(|a| view! {
                            <span class="row-assignee" data-testid="row-assignee" title=move || t_string!(i18n, inbox.assigned_to)>{a.name}</span>
                        })}
                    </span>
                    <span class="row-bottom">
                        <span class="row-preview">{preview}</span>
                        {if unread {
                            view! { <span class="unread-pill" data-testid="unread" aria-label=unread_label>{move || format_integer(i18n.get_locale(), unread_count)}</span> }.into_any()
                        } else if item.awaiting_reply {
                            view! { <span class="awaiting-dot" data-testid="awaiting" title=move || t_string!(i18n, inbox.filter_awaiting)><span class="visually-hidden">{t!(i18n, inbox.filter_awaiting)}</span></span> }.into_any()
                        } else {
                            ().into_any()
                        }}
                    </span>
                </span>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_kinds_keep_their_names_in_english() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.label_in(Locale::en), kind.label());
        }
        assert_eq!(ChannelKind::Whatsapp.label_in(Locale::pt_BR), "WhatsApp");
        assert_eq!(
            ChannelKind::Sandbox.label_in(Locale::pt_BR),
            "Ambiente de teste"
        );
    }

    #[test]
    fn the_window_follows_the_scroll_with_overscan() {
        assert_eq!(
            visible_window(5000, 0, 0),
            (0, 50),
            "unmeasured: the first page"
        );
        assert_eq!(visible_window(10, 0, 0), (0, 10));
        let (start, end) = visible_window(5000, 1000 * ROW_HEIGHT, 10 * ROW_HEIGHT);
        assert_eq!((start, end), (1000 - OVERSCAN, 1000 + 11 + OVERSCAN));
        assert_eq!(visible_window(30, 0, 8 * ROW_HEIGHT), (0, 29));
        assert_eq!(
            visible_window(30, 100 * ROW_HEIGHT, 8 * ROW_HEIGHT),
            (30, 30),
            "past the end: nothing"
        );
    }
}
