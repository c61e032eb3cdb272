//! The right panel: the contact as the channel knows them, the linked client's card (their
//! other conversations and documents), linking and creating a client, creating a document,
//! and the conversation's history.

use super::list::ChannelBadge;
use super::start::StartConversation;
use crate::clients::{
    create_client_for_conversation, link_client, search_clients, share_client, unlink_client,
    Client, ClientCard,
};
use crate::conversations::ConversationDetail;
use crate::documents::{create_document, Document, DocumentKind};
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ids::ConversationId;
use crate::locale::{error_text, format_amount, format_integer};
use crate::ui::phone::PhoneNumber;
use crate::ui::status::StatusChip;
use crate::ui::text::initials;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;

#[component]
pub fn ContactPanel(
    state: RwSignal<ConversationDetail>,
    show: RwSignal<bool>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = state.with_untracked(|s| s.summary.id);
    let error = RwSignal::new(None::<AppError>);
    // Only a change of client re-draws the client part (a search being typed survives live updates).
    let client = Memo::new(move |_| state.with(|d| d.client.clone()));
    view! {
        <aside class="client-panel" class:open=move || show.get() aria-label=move || t_string!(i18n, reply.contact_panel)>
            <header class="panel-header">
                <h2>{t!(i18n, reply.contact)}</h2>
                <button class="button panel-close" on:click=move |_| show.set(false) aria-label=move || t_string!(i18n, reply.close_contact_panel)>"×"</button>
            </header>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
            {move || state.with(|detail| {
                let s = &detail.summary;
                view! {
                    <div class="panel-card">
                        <span class="avatar large">{initials(&s.contact_name)}</span>
                        <h3>{s.contact_name.clone()}</h3>
                        <dl>
                            <dt>{t!(i18n, reply.channel)}</dt><dd><ChannelBadge kind=s.channel_kind/>" "{s.channel_name.clone()}</dd>
                            {detail.contact_phone.clone().zip(detail.contact_phone_display.clone()).map(|(p, d)| view! { <dt>{t!(i18n, reply.phone)}</dt><dd><PhoneNumber phone=p display=d/></dd> })}
                            {detail.contact_username.clone().map(|u| view! { <dt>{t!(i18n, reply.username)}</dt><dd>"@"{u}</dd> })}
                            <dt>{t!(i18n, reply.contact_id)}</dt><dd class="mono">{detail.contact_external_id.clone()}</dd>
                            {detail.last_inbound_at.map(|at| view! { <dt>{t!(i18n, reply.last_wrote)}</dt><dd><LocalTime ms=at format=date_time/></dd> })}
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
                    <h3>{t!(i18n, reply.history)}</h3>
                    {if detail.history.is_empty() {
                        view! { <p class="meta">{t!(i18n, reply.history_empty)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="history" data-testid="history">
                                {detail.history.iter().map(|entry| view! {
                                    <li>
                                        <span>{entry.employee_name.clone().unwrap_or_else(|| t_string!(i18n, reply.someone).to_owned())}" "{action_words(i18n.get_locale(), &entry.action)}</span>
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
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let unlink = move |_| {
        leptos::task::spawn_local(async move {
            match unlink_client(conversation).await {
                Ok(()) => {
                    on_change.try_run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let c = card.client;
    let client_id = c.id;
    let share = move |_| {
        leptos::task::spawn_local(async move {
            match share_client(client_id).await {
                Ok(()) => {
                    error.set(None);
                    on_change.try_run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <div class="panel-card client-card" data-testid="client-card">
            <div class="card-title"><h3>{c.name.clone()}</h3><button class="link-button" on:click=unlink>{t!(i18n, reply.unlink)}</button></div>
            {(!c.shared).then(|| view! { <p class="meta" data-testid="client-private">{t!(i18n, crm.client_private)}</p> })}
            {card.can_share.then(|| view! { <button class="button" data-testid="share-client" on:click=share>{t!(i18n, crm.share_client)}</button> })}
            <dl>
                {(!c.phones.is_empty()).then(|| view! { <dt>{t!(i18n, reply.phones)}</dt><dd>{c.phones_shown().map(|(p, d)| view! { <PhoneNumber phone=p.clone() display=d.clone()/> }).collect_view()}</dd> })}
                {c.email.clone().map(|e| view! { <dt>{t!(i18n, reply.email)}</dt><dd>{e}</dd> })}
                {c.address.clone().map(|a| view! { <dt>{t!(i18n, reply.address)}</dt><dd>{a}</dd> })}
                {c.notes.clone().map(|n| view! { <dt>{t!(i18n, reply.notes)}</dt><dd>{n}</dd> })}
            </dl>
            <h4>{t!(i18n, reply.conversations)}</h4>
            <ul class="mini-list" data-testid="client-conversations">
                {card.conversations.into_iter().map(|s| view! {
                    <li>
                        <a href=format!("/conversations/{}", s.id) class:current=s.id == conversation
                            title=s.preview.clone().unwrap_or_default()>
                            <ChannelBadge kind=s.channel_kind/>" "{s.contact_name}" · "{s.channel_name}
                            {(s.status == crate::conversations::ConversationStatus::Archived).then(|| view! { " "{t!(i18n, reply.archived_mark)} })}
                        </a>
                        {(s.unread_count > 0).then(|| view! { <span class="unread-pill">{move || format_integer(i18n.get_locale(), s.unread_count)}</span> })}
                        {(s.unread_count == 0 && s.awaiting_reply).then(|| view! { <span class="awaiting-dot" title=move || t_string!(i18n, reply.awaiting_reply)></span> })}
                    </li>
                }).collect_view()}
            </ul>
            <StartConversation client=c.id/>
            <h4>{t!(i18n, reply.documents)}</h4>
            <DocumentList documents=card.documents linked=card.documents_permission/>
            {card.documents_permission.then(|| view! {
                <p><a href=format!("/clients/{}", c.id) data-testid="all-client-documents">{t!(i18n, reply.all_documents)}</a></p>
            })}
        </div>
    }
}

/// Documents, newest first; with `linked` (the employee holds Documents) each number opens
/// the document's page.
#[component]
fn DocumentList(documents: Vec<Document>, linked: bool) -> impl IntoView {
    let i18n = use_i18n();
    if documents.is_empty() {
        return view! { <p class="meta">{t!(i18n, reply.documents_none)}</p> }.into_any();
    }
    view! {
        <ul class="mini-list" data-testid="documents">
            {documents.into_iter().map(|d| view! {
                <li>
                    {if linked {
                        view! { <a class="mono" href=format!("/documents/{}", d.id)>{d.number}</a> }.into_any()
                    } else {
                        view! { <span class="mono">{d.number}</span> }.into_any()
                    }}" "<span>{d.title}</span>
                    <span class="meta"><StatusChip kind=d.kind status=d.status/>" "{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}" · "<LocalTime ms=d.created_at format=date_time/></span>
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
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = state.with_untracked(|s| s.summary.id);
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<Client>::new());
    let asked = StoredValue::new(0u64);
    // Searching clients needs Documents: without it the server says Forbidden (already for
    // the first, empty query) and only "create a client" is offered.
    let searchable = RwSignal::new(true);
    // Search as you type; an older answer arriving late is dropped.
    Effect::new(move |_| {
        let text = query.get();
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let found = search_clients(text).await;
            if asked.try_get_value() == Some(ticket) {
                match found {
                    Ok(list) => results.set(list),
                    Err(AppError::Forbidden) => searchable.set(false),
                    Err(err) => error.set(Some(err)),
                }
            }
        });
    });
    let creating = RwSignal::new(false);
    let (name, phone) = state.with_untracked(|s| {
        (
            s.summary.contact_name.clone(),
            // As people read it; the server reads it back to the same number.
            s.contact_phone_display.clone().unwrap_or_default(),
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
                    on_change.try_run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <div class="panel-card">
            <h3>{t!(i18n, reply.link_client)}</h3>
            <Show when=move || searchable.get() fallback=move || view! { <p class="meta">{t!(i18n, crm.link_needs_documents)}</p> }>
            <label class="visually-hidden" for="client-search">{t!(i18n, reply.client_search_label)}</label>
            <input id="client-search" type="search" placeholder=move || t_string!(i18n, reply.client_search_placeholder) autocomplete="off"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <ul class="mini-list" data-testid="client-results">
                <For each=move || results.get() key=|c| c.id let:c>
                    <li>
                        <span><strong>{c.name.clone()}</strong>" "<span class="meta">{c.phones_display.join(", ")}</span></span>
                        <button class="button" on:click=move |_| {
                            let client = c.id;
                            leptos::task::spawn_local(async move {
                                match link_client(id, client).await {
                                    Ok(()) => { error.set(None); on_change.try_run(()); }
                                    Err(err) => error.set(Some(err)),
                                }
                            });
                        }>{t!(i18n, reply.link)}</button>
                    </li>
                </For>
            </ul>
            {move || (query.with(|q| q.trim().chars().count() >= 2) && results.with(Vec::is_empty)).then(|| view! { <p class="meta">{t!(i18n, reply.no_client_matches)}</p> })}
            </Show>
            <button class="link-button" on:click=move |_| creating.update(|c| *c = !*c)>{t!(i18n, reply.create_client_toggle)}</button>
            <Show when=move || creating.get()>
                <form class="settings-form" on:submit=create>
                    <label>{t!(i18n, reply.name)}<input required maxlength="80" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/></label>
                    <label>{t!(i18n, reply.phone)}<input type="tel" prop:value=move || new_phone.get() on:input=move |ev| new_phone.set(event_target_value(&ev))/></label>
                    <label>{t!(i18n, reply.email)}<input type="email" prop:value=move || new_email.get() on:input=move |ev| new_email.set(event_target_value(&ev))/></label>
                    <button class="button primary" type="submit">{t!(i18n, reply.create_and_link)}</button>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn DocumentsCard(
    state: RwSignal<ConversationDetail>,
    on_change: Callback<()>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
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
                    on_change.try_run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <div class="panel-card">
            <h3>{t!(i18n, reply.from_conversation)}</h3>
            {move || view! { <DocumentList documents=state.with(|s| s.documents.clone()) linked=state.with(|s| s.documents_permission)/> }}
            <Show when=move || state.with(|s| s.documents_permission)>
            <form class="settings-form" on:submit=create data-testid="create-document">
                <label>{t!(i18n, reply.create)}
                    <select on:change=move |ev| if let Some(k) = DocumentKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                        {[DocumentKind::Lead, DocumentKind::Estimate, DocumentKind::Order].into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == DocumentKind::Estimate>{move || kind_label(i18n.get_locale(), k)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t!(i18n, reply.title)}<input name="title" required maxlength="80" placeholder=move || t_string!(i18n, reply.title_placeholder) prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, reply.amount)}<input name="amount" inputmode="decimal" placeholder=move || t_string!(i18n, reply.amount_placeholder) prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/></label>
                <button class="button primary" type="submit">{t!(i18n, reply.create_document)}</button>
            </form>
            </Show>
        </div>
    }
}

/// An audit action as a sentence fragment after the employee's name.
fn action_words(locale: Locale, action: &str) -> &'static str {
    match action {
        "archived" => td_string!(locale, reply.action_archived),
        "reopened" => td_string!(locale, reply.action_reopened),
        "sent" => td_string!(locale, reply.action_sent),
        "linked" => td_string!(locale, reply.action_linked),
        "unlinked" => td_string!(locale, reply.action_unlinked),
        "marked_unread" => td_string!(locale, reply.action_marked_unread),
        "assigned" => td_string!(locale, reply.action_assigned),
        "unassigned" => td_string!(locale, reply.action_unassigned),
        "auto_assigned" => td_string!(locale, reply.action_auto_assigned),
        "released" => td_string!(locale, reply.action_released),
        "marked_handled" => td_string!(locale, reply.action_marked_handled),
        "document_created" => td_string!(locale, reply.action_document_created),
        _ => td_string!(locale, reply.action_other),
    }
}

/// A document kind's name ([`DocumentKind::label`] in the employee's language).
fn kind_label(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => td_string!(locale, reply.kind_lead),
        DocumentKind::Estimate => td_string!(locale, reply.kind_estimate),
        DocumentKind::Order => td_string!(locale, reply.kind_order),
        DocumentKind::Invoice => td_string!(locale, reply.kind_invoice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_labels_match_the_documents_module() {
        for kind in DocumentKind::ALL {
            assert_eq!(kind_label(Locale::en, kind), kind.label());
        }
    }
}
