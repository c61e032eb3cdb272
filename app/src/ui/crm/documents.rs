//! The Leads, Estimates, Work orders and Invoices lists, and one document's page.

use super::*;

#[component]
pub fn DocumentsPage(kind: DocumentKind) -> impl IntoView {
    let text = query_text();
    let documents = Resource::new(
        move || text.get(),
        move |q| list_documents(kind, q, String::new()),
    );
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
