//! The right panel: the contact as the channel knows them, the linked client's card (their
//! other conversations and documents), linking and creating a client, creating a document,
//! and the conversation's history.

use super::list::ChannelBadge;
use super::start::StartConversation;
use crate::clients::{
    create_client_for_conversation, link_client, search_clients, unlink_client, Client, ClientCard,
};
use crate::conversations::ConversationDetail;
use crate::documents::{create_document, format_amount, Document, DocumentKind};
use crate::ids::ConversationId;
use crate::ui::phone::PhoneNumber;
use crate::ui::text::initials;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;

#[component]
pub fn ContactPanel(
    state: RwSignal<ConversationDetail>,
    show: RwSignal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let id = state.with_untracked(|s| s.summary.id);
    let error = RwSignal::new(None::<String>);
    // Only a change of client re-draws the client part (a search being typed survives live updates).
    let client = Memo::new(move |_| state.with(|d| d.client.clone()));
    view! {
        <aside class="client-panel" class:open=move || show.get() aria-label="Contact and client">
            <header class="panel-header">
                <h2>"Contact"</h2>
                <button class="button panel-close" on:click=move |_| show.set(false) aria-label="Close contact panel">"×"</button>
            </header>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            {move || state.with(|detail| {
                let s = &detail.summary;
                view! {
                    <div class="panel-card">
                        <span class="avatar large">{initials(&s.contact_name)}</span>
                        <h3>{s.contact_name.clone()}</h3>
                        <dl>
                            <dt>"Channel"</dt><dd><ChannelBadge kind=s.channel_kind/>" "{s.channel_name.clone()}</dd>
                            {detail.contact_phone.clone().map(|p| view! { <dt>"Phone"</dt><dd><PhoneNumber phone=p/></dd> })}
                            {detail.contact_username.clone().map(|u| view! { <dt>"Username"</dt><dd>"@"{u}</dd> })}
                            <dt>"Contact id"</dt><dd class="mono">{detail.contact_external_id.clone()}</dd>
                            {detail.last_inbound_at.map(|at| view! { <dt>"Last wrote"</dt><dd><LocalTime ms=at format=date_time/></dd> })}
                        </dl>
                    </div>
                }
            })}
            {move || match client.get() {
                Some(card) => view! { <ClientCardView card=card conversation=id on_change=on_change error=error/> }.into_any(),
                None => view! { <LinkClient state=state on_change=on_change error=error/> }.into_any(),
            }}
            <DocumentsCard state=state on_change=on_change error=error/>
            {move || state.with(|detail| view! {
                <div class="panel-card">
                    <h3>"History"</h3>
                    {if detail.history.is_empty() {
                        view! { <p class="meta">"Nobody has archived, reopened or answered this conversation yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="history" data-testid="history">
                                {detail.history.iter().map(|entry| view! {
                                    <li>
                                        <span>{entry.employee_name.clone().unwrap_or_else(|| "Someone".into())}" "{action_words(&entry.action)}</span>
                                        {entry.detail.clone().map(|d| view! { <span class="meta">" ("{d}")"</span> })}
                                        <span class="meta">" · "<LocalTime ms=entry.at format=date_time/></span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
            })}
        </aside>
    }
}

#[component]
fn ClientCardView(
    card: ClientCard,
    conversation: ConversationId,
    on_change: Callback<()>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let unlink = move |_| {
        leptos::task::spawn_local(async move {
            match unlink_client(conversation).await {
                Ok(()) => on_change.run(()),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let c = card.client;
    view! {
        <div class="panel-card client-card" data-testid="client-card">
            <div class="card-title"><h3>{c.name.clone()}</h3><button class="link-button" on:click=unlink>"Unlink"</button></div>
            <dl>
                {(!c.phones.is_empty()).then(|| view! { <dt>"Phones"</dt><dd>{c.phones.iter().map(|p| view! { <PhoneNumber phone=p.clone()/> }).collect_view()}</dd> })}
                {c.email.clone().map(|e| view! { <dt>"Email"</dt><dd>{e}</dd> })}
                {c.address.clone().map(|a| view! { <dt>"Address"</dt><dd>{a}</dd> })}
                {c.notes.clone().map(|n| view! { <dt>"Notes"</dt><dd>{n}</dd> })}
            </dl>
            <h4>"Conversations"</h4>
            <ul class="mini-list" data-testid="client-conversations">
                {card.conversations.into_iter().map(|s| view! {
                    <li>
                        <a href=format!("/conversations/{}", s.id) class:current=s.id == conversation
                            title=s.preview.clone().unwrap_or_default()>
                            <ChannelBadge kind=s.channel_kind/>" "{s.contact_name}" · "{s.channel_name}
                            {(s.status == crate::conversations::ConversationStatus::Archived).then_some(" (archived)")}
                        </a>
                        {(s.unread_count > 0).then(|| view! { <span class="unread-pill">{s.unread_count}</span> })}
                        {(s.unread_count == 0 && s.awaiting_reply).then(|| view! { <span class="awaiting-dot" title="Awaiting reply"></span> })}
                    </li>
                }).collect_view()}
            </ul>
            <StartConversation client=c.id/>
            <h4>"Documents"</h4>
            <DocumentList documents=card.documents/>
        </div>
    }
}

#[component]
fn DocumentList(documents: Vec<Document>) -> impl IntoView {
    if documents.is_empty() {
        return view! { <p class="meta">"None yet."</p> }.into_any();
    }
    view! {
        <ul class="mini-list" data-testid="documents">
            {documents.into_iter().map(|d| view! {
                <li>
                    <span class="mono">{d.number}</span>" "<span>{d.title}</span>
                    <span class="meta">" · "{d.status}" · "{format_amount(d.amount_cents, &d.currency)}" · "<LocalTime ms=d.created_at format=date_time/></span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn LinkClient(
    state: RwSignal<ConversationDetail>,
    on_change: Callback<()>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = state.with_untracked(|s| s.summary.id);
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<Client>::new());
    let asked = StoredValue::new(0u64);
    // Search as you type; an older answer arriving late is dropped.
    Effect::new(move |_| {
        let text = query.get();
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let found = search_clients(text).await;
            if asked.get_value() == ticket {
                match found {
                    Ok(list) => results.set(list),
                    Err(err) => error.set(Some(err.to_string())),
                }
            }
        });
    });
    let creating = RwSignal::new(false);
    let (name, phone) = state.with_untracked(|s| {
        (
            s.summary.contact_name.clone(),
            s.contact_phone.clone().unwrap_or_default(),
        )
    });
    let new_name = RwSignal::new(name);
    let new_phone = RwSignal::new(phone);
    let new_email = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, p, e) = (
            new_name.get_untracked(),
            new_phone.get_untracked(),
            new_email.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_client_for_conversation(id, n, p, e).await {
                Ok(_) => {
                    error.set(None);
                    on_change.run(());
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <div class="panel-card">
            <h3>"Link a client"</h3>
            <label class="visually-hidden" for="client-search">"Find a client by name, phone or email"</label>
            <input id="client-search" type="search" placeholder="Name, phone or email" autocomplete="off"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <ul class="mini-list" data-testid="client-results">
                <For each=move || results.get() key=|c| c.id let:c>
                    <li>
                        <span><strong>{c.name.clone()}</strong>" "<span class="meta">{c.phones.join(", ")}</span></span>
                        <button class="button" on:click=move |_| {
                            let client = c.id;
                            leptos::task::spawn_local(async move {
                                match link_client(id, client).await {
                                    Ok(()) => { error.set(None); on_change.run(()); }
                                    Err(err) => error.set(Some(err.to_string())),
                                }
                            });
                        }>"Link"</button>
                    </li>
                </For>
            </ul>
            {move || (query.with(|q| q.trim().chars().count() >= 2) && results.with(Vec::is_empty)).then(|| view! { <p class="meta">"No client matches."</p> })}
            <button class="link-button" on:click=move |_| creating.update(|c| *c = !*c)>"Or create a new client"</button>
            <Show when=move || creating.get()>
                <form class="settings-form" on:submit=create>
                    <label>"Name"<input required maxlength="80" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/></label>
                    <label>"Phone"<input type="tel" prop:value=move || new_phone.get() on:input=move |ev| new_phone.set(event_target_value(&ev))/></label>
                    <label>"Email"<input type="email" prop:value=move || new_email.get() on:input=move |ev| new_email.set(event_target_value(&ev))/></label>
                    <button class="button primary" type="submit">"Create and link"</button>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn DocumentsCard(
    state: RwSignal<ConversationDetail>,
    on_change: Callback<()>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = state.with_untracked(|s| s.summary.id);
    let kind = RwSignal::new(DocumentKind::Estimate);
    let title = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (k, t, a) = (
            kind.get_untracked(),
            title.get_untracked(),
            amount.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_document(id, k, t, a).await {
                Ok(_) => {
                    error.set(None);
                    title.set(String::new());
                    amount.set(String::new());
                    on_change.run(());
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <div class="panel-card">
            <h3>"From this conversation"</h3>
            {move || view! { <DocumentList documents=state.with(|s| s.documents.clone())/> }}
            <form class="settings-form" on:submit=create data-testid="create-document">
                <label>"Create"
                    <select on:change=move |ev| if let Some(k) = DocumentKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                        {[DocumentKind::Lead, DocumentKind::Estimate, DocumentKind::Order].into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == DocumentKind::Estimate>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Title"<input name="title" required maxlength="80" placeholder="e.g. Screen replacement" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/></label>
                <label>"Amount"<input name="amount" inputmode="decimal" placeholder="450.00" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/></label>
                <button class="button primary" type="submit">"Create document"</button>
            </form>
        </div>
    }
}

/// An audit action as a sentence fragment after the employee's name.
fn action_words(action: &str) -> &'static str {
    match action {
        "archived" => "archived",
        "reopened" => "reopened",
        "sent" => "replied",
        "linked" => "linked a client",
        "unlinked" => "unlinked the client",
        "marked_unread" => "marked it unread",
        "document_created" => "created a document",
        _ => "changed the conversation",
    }
}
