//! The CRM pages around the inbox: Clients, Leads, Estimates, Work orders, Invoices and
//! Calls — lists with search, and detail views. Phone numbers and client cards live here.

use crate::clients::{get_client, list_clients};
use crate::documents::{format_amount, get_document, list_calls, list_documents, DocumentKind};
use crate::ids::{ClientId, DocumentId};
use crate::ui::inbox::start::StartConversation;
use crate::ui::phone::PhoneNumber;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

fn query_text() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("q").unwrap_or_default())
}

/// The search box of a list page; it submits `?q=` to the page itself.
#[component]
fn ListSearch(
    action: &'static str,
    placeholder: &'static str,
    text: Memo<String>,
) -> impl IntoView {
    view! {
        <Form method="GET" action=action attr:class="search crm-search" attr:role="search">
            <label class="visually-hidden" for="crm-search">{placeholder}</label>
            <input id="crm-search" type="search" name="q" maxlength="100" placeholder=placeholder prop:value=move || text.get()/>
        </Form>
    }
}

/// A client's name linking to their page, or a dash when there is none.
#[component]
fn ClientLink(id: Option<ClientId>, name: Option<String>) -> impl IntoView {
    match (id, name) {
        (Some(id), Some(name)) => view! { <a href=format!("/clients/{id}")>{name}</a> }.into_any(),
        _ => "—".into_any(),
    }
}

/// The object a detail page shows: fetched for the `:id` of its URL, or "not found"
/// (`what`) when the URL has no valid id.
fn resource_for_url_id<I, T, F, Fut>(
    what: &'static str,
    fetch: F,
) -> Resource<Result<T, crate::error::AppError>>
where
    I: std::str::FromStr + Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(I) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>> + Send + 'static,
{
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<I>().ok()));
    Resource::new(
        move || id.get(),
        move |id| async move {
            match id {
                Some(id) => fetch(id).await,
                None => Err(crate::error::AppError::NotFound(what.into())),
            }
        },
    )
}

fn error_view(err: crate::error::AppError) -> AnyView {
    match err {
        crate::error::AppError::Forbidden => {
            view! { <crate::ui::Forbidden section=crate::ui::ForbiddenSection::ThisPage/> }
                .into_any()
        }
        err => {
            view! { <p class="banner banner-error" role="alert">{err.to_string()}</p> }.into_any()
        }
    }
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let text = query_text();
    let clients = Resource::new(move || text.get(), list_clients);
    view! {
        <Title text="Clients · Confab"/>
        <div class="settings crm">
            <header class="settings-header"><h1>"Clients"</h1><ListSearch action="/clients" placeholder="Search name, phone or email" text=text/></header>
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || clients.get().map(|r| match r {
                    Err(err) => error_view(err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">"No client matches."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="clients">
                            <thead><tr><th>"Name"</th><th>"Phones"</th><th>"Email"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| view! {
                                    <tr>
                                        <td><a href=format!("/clients/{}", c.id)>{c.name}</a></td>
                                        <td>{c.phones.iter().map(|p| view! { <PhoneNumber phone=p.clone()/> }).collect_view()}</td>
                                        <td>{c.email.unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let card = resource_for_url_id("Client", |id: ClientId| get_client(id));
    view! {
        <Title text="Client · Confab"/>
        <div class="settings crm">
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || card.get().map(|r| match r {
                    Err(err) => error_view(err),
                    Ok(card) => {
                        let c = card.client;
                        view! {
                            <header class="settings-header"><p><a href="/clients">"‹ Clients"</a></p><h1>{c.name.clone()}</h1></header>
                            <section class="settings-section crm-detail" data-testid="client-detail">
                                <dl class="card">
                                    <dt>"Phones"</dt><dd>{c.phones.iter().map(|p| view! { <PhoneNumber phone=p.clone()/> }).collect_view()}</dd>
                                    <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_default()}</dd>
                                    <dt>"Address"</dt><dd>{c.address.clone().unwrap_or_default()}</dd>
                                    <dt>"Notes"</dt><dd>{c.notes.clone().unwrap_or_default()}</dd>
                                </dl>
                                <h2>"Conversations"</h2>
                                <StartConversation client=c.id/>
                                {if card.conversations.is_empty() {
                                    view! { <p class="meta">"No conversations you can see."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mini-list card">
                                            {card.conversations.into_iter().map(|s| view! {
                                                <li><a href=format!("/conversations/{}", s.id)>{s.contact_name}" · "{s.channel_name}</a>
                                                    <span class="meta">{s.preview.unwrap_or_default()}</span></li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <h2>"Documents"</h2>
                                <ul class="mini-list card">
                                    {card.documents.into_iter().map(|d| view! {
                                        <li><a href=format!("/documents/{}", d.id)>{d.number}" · "{d.title}</a>
                                            <span class="meta">{d.status}" · "{format_amount(d.amount_cents, &d.currency)}</span></li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

fn kind_path(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => "/leads",
        DocumentKind::Estimate => "/estimates",
        DocumentKind::Order => "/orders",
        DocumentKind::Invoice => "/invoices",
    }
}

fn kind_title(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => "Leads",
        DocumentKind::Estimate => "Estimates",
        DocumentKind::Order => "Work orders",
        DocumentKind::Invoice => "Invoices",
    }
}

#[component]
pub fn DocumentsPage(kind: DocumentKind) -> impl IntoView {
    let text = query_text();
    let documents = Resource::new(move || text.get(), move |q| list_documents(kind, q));
    view! {
        <Title text=format!("{} · Confab", kind_title(kind))/>
        <div class="settings crm">
            <header class="settings-header"><h1>{kind_title(kind)}</h1><ListSearch action=kind_path(kind) placeholder="Search number, title or client" text=text/></header>
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || documents.get().map(|r| match r {
                    Err(err) => error_view(err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">"Nothing here yet. Create one from a conversation's panel."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="documents-table">
                            <thead><tr><th>"Number"</th><th>"Title"</th><th>"Client"</th><th>"Phone"</th><th>"Status"</th><th>"Amount"</th><th>"Date"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|row| {
                                    let d = row.document;
                                    view! {
                                        <tr>
                                            <td><a href=format!("/documents/{}", d.id)>{d.number}</a></td>
                                            <td>{d.title}</td>
                                            <td><ClientLink id=row.client_id name=row.client_name/></td>
                                            <td>{row.client_phone.map(|p| view! { <PhoneNumber phone=p/> })}</td>
                                            <td>{d.status}</td>
                                            <td>{format_amount(d.amount_cents, &d.currency)}</td>
                                            <td><LocalTime ms=d.created_at format=date_time/></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn DocumentPage() -> impl IntoView {
    let document = resource_for_url_id("Document", |id: DocumentId| get_document(id));
    view! {
        <Title text="Document · Confab"/>
        <div class="settings crm">
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || document.get().map(|r| match r {
                    Err(err) => error_view(err),
                    Ok(row) => {
                        let d = row.document;
                        view! {
                            <header class="settings-header">
                                <p><a href=kind_path(d.kind)>{format!("‹ {}", kind_title(d.kind))}</a></p>
                                <h1>{d.kind.label()}" "{d.number.clone()}</h1>
                            </header>
                            <dl class="card crm-detail" data-testid="document-detail">
                                <dt>"Title"</dt><dd>{d.title}</dd>
                                <dt>"Status"</dt><dd>{d.status}</dd>
                                <dt>"Amount"</dt><dd>{format_amount(d.amount_cents, &d.currency)}</dd>
                                <dt>"Created"</dt><dd><LocalTime ms=d.created_at format=date_time/></dd>
                                <dt>"Client"</dt><dd><ClientLink id=row.client_id name=row.client_name/></dd>
                                {row.client_phone.map(|p| view! { <dt>"Phone"</dt><dd><PhoneNumber phone=p/></dd> })}
                                <dt>"Conversation"</dt><dd>{match row.conversation_id {
                                    Some(c) => view! { <a href=format!("/conversations/{c}")>"Open the conversation"</a> }.into_any(),
                                    None => "—".into_any(),
                                }}</dd>
                            </dl>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn CallsPage() -> impl IntoView {
    let text = query_text();
    let calls = Resource::new(move || text.get(), list_calls);
    view! {
        <Title text="Calls · Confab"/>
        <div class="settings crm">
            <header class="settings-header"><h1>"Calls"</h1><ListSearch action="/calls" placeholder="Search phone, client or notes" text=text/></header>
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || calls.get().map(|r| match r {
                    Err(err) => error_view(err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">"No calls match."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="calls">
                            <thead><tr><th>"When"</th><th>"Phone"</th><th>"Client"</th><th>"Direction"</th><th>"Duration"</th><th>"Notes"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|k| view! {
                                    <tr>
                                        <td><LocalTime ms=k.started_at format=date_time/></td>
                                        <td><PhoneNumber phone=k.phone.clone()/></td>
                                        <td><ClientLink id=k.client_id name=k.client_name/></td>
                                        <td>{if k.inbound { "in" } else { "out" }}</td>
                                        <td>{format!("{}:{:02}", k.duration_seconds / 60, k.duration_seconds % 60)}</td>
                                        <td>{k.notes.unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}
