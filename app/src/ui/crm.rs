//! The CRM pages around the inbox: Clients, Leads, Estimates, Work orders, Invoices and
//! Calls — lists with search, and detail views. Phone numbers and client cards live here.

use crate::clients::{get_client, list_clients, share_client};
use crate::documents::{get_document, list_calls, list_documents, DocumentKind};
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ids::{ClientId, DocumentId};
use crate::locale::{error_text, format_amount};
use crate::ui::inbox::start::StartConversation;
use crate::ui::phone::PhoneNumber;
use crate::ui::status::StatusChip;
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
    placeholder: fn(Locale) -> &'static str,
    text: Memo<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let placeholder = move || placeholder(i18n.get_locale());
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
/// (`what`, worded by [`error_sentence`]) when the URL has no valid id.
fn resource_for_url_id<I, T, F, Fut>(what: &'static str, fetch: F) -> Resource<Result<T, AppError>>
where
    I: std::str::FromStr + Clone + PartialEq + Send + Sync + 'static,
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(I) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<I>().ok()));
    Resource::new(
        move || id.get(),
        move |id| async move {
            match id {
                Some(id) => fetch(id).await,
                None => Err(AppError::NotFound(what.into())),
            }
        },
    )
}

/// An error's sentence in the employee's language, with the names of the things these
/// pages look up ("Client", "Document") translated too.
fn error_sentence(locale: Locale, err: &AppError) -> String {
    match err {
        AppError::NotFound(what) => {
            let what = match what.as_str() {
                "Client" => td_string!(locale, crm.what_client),
                "Document" => td_string!(locale, crm.what_document),
                other => other,
            };
            error_text(locale, &AppError::NotFound(what.to_owned()))
        }
        err => error_text(locale, err),
    }
}

fn error_view(locale: Locale, err: AppError) -> AnyView {
    match err {
        AppError::Forbidden => {
            view! { <crate::ui::Forbidden section=crate::ui::ForbiddenSection::ThisPage/> }
                .into_any()
        }
        err => {
            view! { <p class="banner banner-error" role="alert">{error_sentence(locale, &err)}</p> }
                .into_any()
        }
    }
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let text = query_text();
    let clients = Resource::new(move || text.get(), list_clients);
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, crm.clients_page_title)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{t!(i18n, crm.clients_heading)}</h1><ListSearch action="/clients" placeholder=|l| td_string!(l, crm.clients_search) text=text/></header>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || clients.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, crm.clients_empty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="clients">
                            <thead><tr><th>{t!(i18n, crm.name)}</th><th>{t!(i18n, crm.phones)}</th><th>{t!(i18n, crm.email)}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| view! {
                                    <tr>
                                        <td><a href=format!("/clients/{}", c.id)>{c.name}</a></td>
                                        <td>{c.phones.into_iter().zip(c.phones_display).map(|(p, d)| view! { <PhoneNumber phone=p display=d/> }).collect_view()}</td>
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
    let i18n = use_i18n();
    let share_error = RwSignal::new(None::<AppError>);
    let share = move |id: ClientId| {
        leptos::task::spawn_local(async move {
            match share_client(id).await {
                Ok(()) => {
                    share_error.set(None);
                    card.refetch();
                }
                Err(err) => share_error.set(Some(err)),
            }
        });
    };
    view! {
        <Title text=move || t_string!(i18n, crm.client_page_title)/>
        <div class="settings crm">
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || card.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(card) => {
                        let c = card.client;
                        view! {
                            <header class="settings-header"><p><a href="/clients">{move || format!("‹ {}", t_string!(i18n, crm.clients_heading))}</a></p><h1>{c.name.clone()}</h1></header>
                            {move || share_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_sentence(i18n.get_locale(), &e)}</p> })}
                            {(!c.shared).then(|| view! { <p class="meta" data-testid="client-private">{t!(i18n, crm.client_private)}</p> })}
                            {card.can_share.then(|| {
                                let id = c.id;
                                view! { <p><button class="button" data-testid="share-client" on:click=move |_| share(id)>{t!(i18n, crm.share_client)}</button></p> }
                            })}
                            <section class="settings-section crm-detail" data-testid="client-detail">
                                <dl class="card">
                                    <dt>{t!(i18n, crm.phones)}</dt><dd>{c.phones_shown().map(|(p, d)| view! { <PhoneNumber phone=p.clone() display=d.clone()/> }).collect_view()}</dd>
                                    <dt>{t!(i18n, crm.email)}</dt><dd>{c.email.clone().unwrap_or_default()}</dd>
                                    <dt>{t!(i18n, crm.address)}</dt><dd>{c.address.clone().unwrap_or_default()}</dd>
                                    <dt>{t!(i18n, crm.notes)}</dt><dd>{c.notes.clone().unwrap_or_default()}</dd>
                                </dl>
                                <h2>{t!(i18n, crm.conversations_heading)}</h2>
                                <StartConversation client=c.id/>
                                {if card.conversations.is_empty() {
                                    view! { <p class="meta">{t!(i18n, crm.no_conversations)}</p> }.into_any()
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
                                <h2>{t!(i18n, crm.documents_heading)}</h2>
                                <ul class="mini-list card">
                                    {card.documents.into_iter().map(|d| view! {
                                        <li><a href=format!("/documents/{}", d.id)>{d.number}" · "{d.title}</a>
                                            <span class="meta"><StatusChip kind=d.kind status=d.status/>" "{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}</span></li>
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

/// A kind's list page heading: "Leads", "Estimates", "Work orders", "Invoices".
fn kind_title(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => td_string!(locale, crm.leads_heading),
        DocumentKind::Estimate => td_string!(locale, crm.estimates_heading),
        DocumentKind::Order => td_string!(locale, crm.orders_heading),
        DocumentKind::Invoice => td_string!(locale, crm.invoices_heading),
    }
}

/// A kind's list page title in the browser tab.
fn kind_page_title(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => td_string!(locale, crm.leads_page_title),
        DocumentKind::Estimate => td_string!(locale, crm.estimates_page_title),
        DocumentKind::Order => td_string!(locale, crm.orders_page_title),
        DocumentKind::Invoice => td_string!(locale, crm.invoices_page_title),
    }
}

/// A document kind's name ([`DocumentKind::label`] in the employee's language).
fn kind_label(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Lead => td_string!(locale, crm.kind_lead),
        DocumentKind::Estimate => td_string!(locale, crm.kind_estimate),
        DocumentKind::Order => td_string!(locale, crm.kind_order),
        DocumentKind::Invoice => td_string!(locale, crm.kind_invoice),
    }
}

#[component]
pub fn DocumentsPage(kind: DocumentKind) -> impl IntoView {
    let text = query_text();
    let documents = Resource::new(move || text.get(), move |q| list_documents(kind, q));
    let i18n = use_i18n();
    view! {
        <Title text=move || kind_page_title(i18n.get_locale(), kind)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{move || kind_title(i18n.get_locale(), kind)}</h1><ListSearch action=kind_path(kind) placeholder=|l| td_string!(l, crm.documents_search) text=text/></header>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || documents.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, crm.documents_empty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="documents-table">
                            <thead><tr><th>{t!(i18n, crm.number)}</th><th>{t!(i18n, crm.title)}</th><th>{t!(i18n, crm.client)}</th><th>{t!(i18n, crm.phone)}</th><th>{t!(i18n, crm.status)}</th><th>{t!(i18n, crm.amount)}</th><th>{t!(i18n, crm.date)}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|row| {
                                    let d = row.document;
                                    view! {
                                        <tr>
                                            <td><a href=format!("/documents/{}", d.id)>{d.number}</a></td>
                                            <td>{d.title}</td>
                                            <td><ClientLink id=row.client_id name=row.client_name/></td>
                                            <td>{row.client_phone.zip(row.client_phone_display).map(|(p, d)| view! { <PhoneNumber phone=p display=d/> })}</td>
                                            <td><StatusChip kind=d.kind status=d.status/></td>
                                            <td>{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}</td>
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
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, crm.document_page_title)/>
        <div class="settings crm">
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || document.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(row) => {
                        let d = row.document;
                        let kind = d.kind;
                        view! {
                            <header class="settings-header">
                                <p><a href=kind_path(kind)>{move || format!("‹ {}", kind_title(i18n.get_locale(), kind))}</a></p>
                                <h1>{move || kind_label(i18n.get_locale(), kind)}" "{d.number.clone()}</h1>
                            </header>
                            <dl class="card crm-detail" data-testid="document-detail">
                                <dt>{t!(i18n, crm.title)}</dt><dd>{d.title}</dd>
                                <dt>{t!(i18n, crm.status)}</dt><dd><StatusChip kind=kind status=d.status/></dd>
                                <dt>{t!(i18n, crm.amount)}</dt><dd>{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}</dd>
                                <dt>{t!(i18n, crm.created)}</dt><dd><LocalTime ms=d.created_at format=date_time/></dd>
                                <dt>{t!(i18n, crm.client)}</dt><dd><ClientLink id=row.client_id name=row.client_name/></dd>
                                {row.client_phone.zip(row.client_phone_display).map(|(p, d)| view! { <dt>{t!(i18n, crm.phone)}</dt><dd><PhoneNumber phone=p display=d/></dd> })}
                                <dt>{t!(i18n, crm.conversation)}</dt><dd>{match row.conversation_id {
                                    Some(c) => view! { <a href=format!("/conversations/{c}")>{t!(i18n, crm.open_conversation)}</a> }.into_any(),
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
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, crm.calls_page_title)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{t!(i18n, crm.calls_heading)}</h1><ListSearch action="/calls" placeholder=|l| td_string!(l, crm.calls_search) text=text/></header>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || calls.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, crm.calls_empty)}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table" data-testid="calls">
                            <thead><tr><th>{t!(i18n, crm.when)}</th><th>{t!(i18n, crm.phone)}</th><th>{t!(i18n, crm.client)}</th><th>{t!(i18n, crm.direction)}</th><th>{t!(i18n, crm.duration)}</th><th>{t!(i18n, crm.notes)}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|k| view! {
                                    <tr>
                                        <td><LocalTime ms=k.started_at format=date_time/></td>
                                        <td><PhoneNumber phone=k.phone.clone() display=k.phone_display.clone()/></td>
                                        <td><ClientLink id=k.client_id name=k.client_name/></td>
                                        <td>{move || if k.inbound { t_string!(i18n, crm.call_in) } else { t_string!(i18n, crm.call_out) }}</td>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_kind_names_are_the_documents_modules() {
        for kind in DocumentKind::ALL {
            assert_eq!(kind_label(Locale::en, kind), kind.label());
        }
    }

    #[test]
    fn not_found_names_the_thing_in_the_language() {
        let err = AppError::NotFound("Client".into());
        assert_eq!(
            error_sentence(Locale::en, &err),
            "Client was not found. It may have been removed."
        );
        assert!(error_sentence(Locale::pt_BR, &err).contains("Cliente"));
    }
}
