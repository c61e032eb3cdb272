//! The Clients list and one client's page.

use super::document_form::{input_of, DocumentForm};
use super::*;
use crate::clients::Client;
use crate::ids::DocumentId;

#[component]
pub fn ClientsPage() -> impl IntoView {
    let text = query_text();
    let clients = Resource::new(
        move || text.get(),
        |query| list_clients(query, String::new(), 0),
    );
    let i18n = use_i18n();
    // The pages after the first, A–Z, loaded on request; a new search starts over.
    let more = RwSignal::new(Vec::<Client>::new());
    let more_done = RwSignal::new(false);
    let loading_more = RwSignal::new(false);
    Effect::new(move |_| {
        text.track();
        more.set(Vec::new());
        more_done.set(false);
    });
    let load_more = move |last: Option<(String, ClientId)>| {
        let last = more
            .with_untracked(|m| m.last().map(|c| (c.name.clone(), c.id)))
            .or(last);
        let Some((name, id)) = last else { return };
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(page) = list_clients(String::new(), name, id.0).await {
                more_done.set(page.len() < crate::clients::LIST_PAGE);
                more.update(|m| m.extend(page));
            }
            loading_more.set(false);
        });
    };
    let row = |c: Client| {
        view! {
            <tr>
                <td><a href=format!("/clients/{}", c.id)>{c.name}</a></td>
                <td>{c.phones.into_iter().zip(c.phones_display).map(|(p, d)| view! { <PhoneNumber phone=p display=d/> }).collect_view()}</td>
                <td>{c.email.unwrap_or_default()}</td>
            </tr>
        }
    };
    let adding = RwSignal::new(false);
    let created = Callback::new(move |id: ClientId| {
        let navigate = leptos_router::hooks::use_navigate();
        navigate(&format!("/clients/{id}"), Default::default());
    });
    view! {
        <Title text=move || t_string!(i18n, crm.clients_page_title)/>
        <div class="settings crm">
            <header class="settings-header"><h1>{t!(i18n, crm.clients_heading)}</h1><ListSearch action="/clients" placeholder=|l| td_string!(l, crm.clients_search) text=text/>
                <p class="crm-actions"><button type="button" class="button primary" data-testid="new-client" on:click=move |_| adding.update(|a| *a = !*a)>{t!(i18n, clients.new_client)}</button>" "<a class="button" href="/clients/import" data-testid="clients-import">{t!(i18n, clients.import.import_link)}</a>" "<a class="button" rel="external" download="clients.csv" href=move || super::client_import::export_href(&text.get()) data-testid="clients-export">{t!(i18n, clients.import.export_button)}</a></p></header>
            {move || adding.get().then(|| view! {
                <client_form::ClientForm start=client_form::input_of(None) editing=None saved=created cancel=Callback::new(move |()| adding.set(false))/>
            })}
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || clients.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, crm.clients_empty)}</p> }.into_any(),
                    Ok(list) => {
                        // A full first page of the whole list: there may be more, A–Z.
                        let paged = text.get_untracked().trim().is_empty() && list.len() == crate::clients::LIST_PAGE;
                        let last = list.last().map(|c| (c.name.clone(), c.id));
                        view! {
                            <table class="settings-table" data-testid="clients">
                                <thead><tr><th>{t!(i18n, crm.name)}</th><th>{t!(i18n, crm.phones)}</th><th>{t!(i18n, crm.email)}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(row).collect_view()}
                                    {move || more.get().into_iter().map(row).collect_view()}
                                </tbody>
                            </table>
                            {move || (paged && !more_done.get()).then(|| {
                                let last = last.clone();
                                view! {
                                    <p class="list-more"><button class="button" type="button" data-testid="clients-more"
                                        on:click=move |_| load_more(last.clone()) disabled=move || loading_more.get()>
                                        {move || if loading_more.get() { t_string!(i18n, inbox.loading) } else { t_string!(i18n, inbox.show_more) }}
                                    </button></p>
                                }
                            })}
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let card = resource_for_url_id("Client", |id: ClientId| get_client(id));
    let i18n = use_i18n();
    let editing = RwSignal::new(false);
    let refresh = Callback::new(move |()| card.refetch());
    let saved = Callback::new(move |_: ClientId| {
        editing.set(false);
        refresh.run(());
    });
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
                            <header class="settings-header"><p><a href="/clients">{move || format!("‹ {}", t_string!(i18n, crm.clients_heading))}</a></p><h1>{c.name.clone()}</h1>
                                <p class="crm-actions"><button type="button" class="button" data-testid="edit-client" on:click=move |_| editing.update(|e| *e = !*e)>{t!(i18n, clients.edit)}</button></p></header>
                            {let start = client_form::input_of(Some((&c, &card.phone_labels))); let id = c.id; move || editing.get().then(|| view! {
                                <client_form::ClientForm start=start.clone() editing=Some(id) saved=saved cancel=Callback::new(move |()| editing.set(false))/>
                            })}
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
                                {card.may_converse.then(|| view! {
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
                                })}
                                // Loaded in the browser only: lists of their own that change
                                // with every edit, kept out of the server's render (and of its
                                // resources, which hydration matches one by one).
                                {let (id, name) = (c.id, c.name.clone()); let mounted = crate::ui::time::use_mounted(); move || mounted.get().then(|| view! {
                                    <ClientDocuments client=id name=name.clone()/>
                                    <ClientHistory client=id/>
                                })}
                            </section>
                            <client_form::ClientActions client=c.id name=c.name.clone() merged=refresh/>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

/// What happened to the client, newest first.
#[component]
fn ClientHistory(client: ClientId) -> impl IntoView {
    let i18n = use_i18n();
    let lines = Resource::new(move || client, crate::clients::edit::client_history);
    let what = move |locale: Locale, what: &str| match what {
        "created" => td_string!(locale, clients.history_created),
        "updated" => td_string!(locale, clients.history_updated),
        "merged" => td_string!(locale, clients.history_merged),
        "shared" => td_string!(locale, clients.history_shared),
        _ => td_string!(locale, clients.history_imported),
    };
    view! {
        <h2>{t!(i18n, clients.history)}</h2>
        <Transition fallback=|| ()>
            {move || lines.get().and_then(Result::ok).map(|lines| view! {
                <ul class="mini-list card" data-testid="client-history">
                    {lines.into_iter().map(|l| {
                        let label = what(i18n.get_locale(), &l.what);
                        view! {
                            // Each part in an element of its own: optional text beside other
                            // text does not hydrate reliably.
                            <li data-what=l.what.clone()><LocalTime ms=l.at format=date_time/>
                                <span>{format!(" · {label}")}</span>
                                {(!l.detail.is_empty()).then(|| {
                                    let locale = i18n.get_locale();
                                    let words: Vec<&str> = l.detail.iter().map(|w| field_name(locale, w)).collect();
                                    view! { <span>{format!(" ({})", words.join(", "))}</span> }
                                })}
                                " "<span class="meta">{l.employee_name.unwrap_or_default()}</span></li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </Transition>
    }
}

/// A changed field's name as the form calls it; anything else (a merged client's name) as is.
fn field_name(locale: Locale, field: &str) -> &str {
    match field {
        "name" => td_string!(locale, crm.name),
        "phones" => td_string!(locale, crm.phones),
        "email" => td_string!(locale, crm.email),
        "address" => td_string!(locale, crm.address),
        "notes" => td_string!(locale, crm.notes),
        other => other,
    }
}

/// The client's documents, newest first, a page at a time (all of them reachable), and a
/// form for a new one of any kind, made for this client.
#[component]
fn ClientDocuments(client: ClientId, name: String) -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(0i64);
    let documents = Resource::new(
        move || (client, page.get()),
        move |(client, page)| crate::documents::list_client_documents(client, page),
    );
    let new_kind = RwSignal::new(None::<DocumentKind>);
    let navigate = leptos_router::hooks::use_navigate();
    let saved = Callback::new(move |id: DocumentId| {
        navigate(&format!("/documents/{id}"), Default::default());
    });
    view! {
        <h2>{t!(i18n, crm.documents_heading)}</h2>
        <p class="crm-actions">
            <label>{t!(i18n, documents.new_for_client)}" "
                <select data-testid="new-client-document" on:change=move |ev| new_kind.set(DocumentKind::parse(&event_target_value(&ev)))>
                    <option value="" selected=move || new_kind.get().is_none()>"—"</option>
                    {DocumentKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || new_kind.get() == Some(k)>{move || kind_label(i18n.get_locale(), k)}</option>
                    }).collect_view()}
                </select>
            </label>
        </p>
        {move || new_kind.get().map(|kind| view! {
            <DocumentForm kind=kind start=input_of(kind, None, Some(client)) client_name=name.clone() editing=None saved=saved cancel=Callback::new(move |()| new_kind.set(None))/>
        })}
        <Transition fallback=|| ()>
            {move || documents.get().map(|r| match r {
                Err(err) => error_view(i18n.get_locale(), err),
                Ok((list, more)) => view! {
                    <ul class="mini-list card" data-testid="client-documents">
                        {list.into_iter().map(|d| view! {
                            <li><a href=format!("/documents/{}", d.id)>{move || kind_label(i18n.get_locale(), d.kind)}" "{d.number}" · "{d.title}</a>
                                <span class="meta"><StatusChip kind=d.kind status=d.status/>" "{move || format_amount(i18n.get_locale(), d.amount_cents, &d.currency)}</span></li>
                        }).collect_view()}
                    </ul>
                    <p class="crm-actions">
                        {(page.get_untracked() > 0).then(|| view! { <button type="button" class="button" on:click=move |_| page.update(|p| *p -= 1)>{t!(i18n, documents.newer)}</button>" " })}
                        {more.then(|| view! { <button type="button" class="button" data-testid="client-documents-older" on:click=move |_| page.update(|p| *p += 1)>{t!(i18n, documents.older)}</button> })}
                    </p>
                }.into_any(),
            })}
        </Transition>
    }
}
