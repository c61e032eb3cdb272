//! The Leads, Estimates, Work orders and Invoices lists (filtered by status, with a form for
//! a new one), and one document's page (edit, convert, where it came from and went).

use super::document_form::{input_of, ConvertButton, DocumentForm};
use super::*;
use crate::ui::inbox::encode_component;
use crate::ui::status::status_label;

fn query_status() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("status").unwrap_or_default())
}

/// The list's link with `status` (empty: all) and the search text kept.
fn status_href(kind: DocumentKind, status: &str, text: &str) -> String {
    let mut params: Vec<String> = Vec::new();
    if !status.is_empty() {
        params.push(format!("status={status}"));
    }
    if !text.is_empty() {
        params.push(format!("q={}", encode_component(text)));
    }
    if params.is_empty() {
        kind_path(kind).to_owned()
    } else {
        format!("{}?{}", kind_path(kind), params.join("&"))
    }
}

#[component]
pub fn DocumentsPage(kind: DocumentKind) -> impl IntoView {
    let text = query_text();
    let status = query_status();
    let documents = Resource::new(
        move || (text.get(), status.get()),
        move |(q, s)| list_documents(kind, q, s),
    );
    let i18n = use_i18n();
    let creating = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let saved = Callback::new(move |id: DocumentId| {
        navigate(&format!("/documents/{id}"), Default::default());
    });
    view! {
        <Title text=move || kind_page_title(i18n.get_locale(), kind)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{move || kind_title(i18n.get_locale(), kind)}</h1>
                <ListSearch action=kind_path(kind) placeholder=|l| td_string!(l, crm.documents_search) text=text/>
                <p class="crm-actions"><button type="button" class="button primary" data-testid="new-document" on:click=move |_| creating.update(|c| *c = !*c)>
                    {move || format!("+ {}", kind_label(i18n.get_locale(), kind))}</button></p>
            </header>
            {move || creating.get().then(|| view! {
                <DocumentForm kind=kind start=input_of(kind, None, None) editing=None saved=saved cancel=Callback::new(move |()| creating.set(false))/>
            })}
            <nav class="chips" aria-label=move || t_string!(i18n, crm.status) data-testid="status-filter">
                <a class="chip" class:active=move || status.get().is_empty() href=move || status_href(kind, "", &text.get()) aria-current=move || status.get().is_empty().then_some("true")>{t!(i18n, documents.all_statuses)}</a>
                {kind.statuses().iter().map(|s| view! {
                    <a class="chip" data-status=*s class:active=move || status.get() == *s href=move || status_href(kind, s, &text.get()) aria-current=move || (status.get() == *s).then_some("true")>
                        {move || status_label(i18n.get_locale(), kind, s)}</a>
                }).collect_view()}
            </nav>
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
                                            // Labelled for phones, where the rows become cards without the table's head.
                                            <td data-label=move || t_string!(i18n, crm.amount)>{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}</td>
                                            <td data-label=move || t_string!(i18n, crm.date)><LocalTime ms=d.created_at format=date_time/></td>
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
    let editing = RwSignal::new(false);
    let saved = Callback::new(move |_: DocumentId| {
        editing.set(false);
        document.refetch();
    });
    view! {
        <Title text=move || t_string!(i18n, crm.document_page_title)/>
        <div class="settings crm">
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || document.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(row) => {
                        let d = row.document;
                        let kind = d.kind;
                        let start = input_of(kind, Some(&d), row.client_id);
                        let client_name = row.client_name.clone().unwrap_or_default();
                        let id = d.id;
                        view! {
                            <header class="settings-header">
                                <p><a href=kind_path(kind)>{move || format!("‹ {}", kind_title(i18n.get_locale(), kind))}</a></p>
                                <h1>{move || kind_label(i18n.get_locale(), kind)}" "{d.number.clone()}</h1>
                                <p class="crm-actions">
                                    <button type="button" class="button" data-testid="edit-document" on:click=move |_| editing.update(|e| *e = !*e)>{t!(i18n, documents.edit)}</button>
                                    {kind.converts_to().map(|target| view! { " "<ConvertButton id=id target=target/> })}
                                </p>
                            </header>
                            {move || editing.get().then(|| view! {
                                <DocumentForm kind=kind start=start.clone() client_name=client_name.clone() editing=Some(id) saved=saved cancel=Callback::new(move |()| editing.set(false))/>
                            })}
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
                                {d.source_document_id.map(|source| view! {
                                    <dt>{t!(i18n, documents.source)}</dt>
                                    <dd><a data-testid="document-source" href=format!("/documents/{source}")>{row.source_number.clone().unwrap_or_else(|| source.to_string())}</a></dd>
                                })}
                                {(!row.converted_into.is_empty()).then(|| view! {
                                    <dt>{t!(i18n, documents.converted_into)}</dt>
                                    <dd data-testid="document-converted">{row.converted_into.into_iter().map(|(next, next_kind, number)| view! {
                                        <a href=format!("/documents/{next}")>{move || kind_label(i18n.get_locale(), next_kind)}" "{number}</a>" "
                                    }).collect_view()}</dd>
                                })}
                            </dl>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}
