//! The Clients list and one client's page.

use super::*;

#[component]
pub fn ClientsPage() -> impl IntoView {
    let text = query_text();
    let clients = Resource::new(move || text.get(), list_clients);
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, crm.clients_page_title)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{t!(i18n, crm.clients_heading)}</h1><ListSearch action="/clients" placeholder=|l| td_string!(l, crm.clients_search) text=text/>
                <p class="crm-actions"><a class="button" href="/clients/import" data-testid="clients-import">{t!(i18n, clients.import.import_link)}</a>" "<a class="button" rel="external" download="clients.csv" href=move || super::client_import::export_href(&text.get()) data-testid="clients-export">{t!(i18n, clients.import.export_button)}</a></p></header>
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
