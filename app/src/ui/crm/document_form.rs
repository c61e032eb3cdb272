//! The document form (new on a list page or a client's page, edit on the document's page)
//! with its client picker, and the button that turns an estimate into a work order or a
//! work order into an invoice.

use super::*;
use crate::documents::{
    convert_document, create_client_document, update_document, Document, DocumentInput,
};
use crate::ui::status::status_label;

/// The form's starting values: a new document (the kind's first status, `client` when
/// made from a client's page) or the document's own.
pub fn input_of(
    kind: DocumentKind,
    document: Option<&Document>,
    client: Option<ClientId>,
) -> DocumentInput {
    match document {
        None => DocumentInput {
            title: String::new(),
            amount: String::new(),
            status: kind.first_status().to_owned(),
            client_id: client,
        },
        Some(d) => DocumentInput {
            title: d.title.clone(),
            // Either notation parses (`parse_amount`); the dot one is unambiguous.
            amount: format!("{}.{:02}", d.amount_cents / 100, d.amount_cents % 100),
            status: d.status.clone(),
            client_id: client,
        },
    }
}

/// Title, amount, status (the kind's own) and client. Saves with `editing` (a document's
/// id) or creates; `saved` gets the document's id.
#[component]
pub fn DocumentForm(
    kind: DocumentKind,
    start: DocumentInput,
    /// The name of `start`'s client, shown until another is picked.
    #[prop(optional)]
    client_name: Option<String>,
    editing: Option<DocumentId>,
    saved: Callback<DocumentId>,
    #[prop(optional)] cancel: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title = RwSignal::new(start.title);
    let amount = RwSignal::new(start.amount);
    let status = RwSignal::new(start.status);
    let client = RwSignal::new(
        start
            .client_id
            .map(|id| (id, client_name.unwrap_or_default())),
    );
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = DocumentInput {
            title: title.get_untracked(),
            amount: amount.get_untracked(),
            status: status.get_untracked(),
            client_id: client.get_untracked().map(|(id, _)| id),
        };
        let save = async move {
            match editing {
                Some(id) => update_document(id, input).await,
                None => create_client_document(kind, input).await,
            }
        };
        crate::ui::save_once(busy, error, save, move |document| saved.run(document.id));
    };
    let field_error = move |field: &'static str| field_error(error, field);
    let other_error = form_banner(error);
    view! {
        <form class="card settings-form document-form" on:submit=submit data-testid="document-form">
            {other_error}
            <label>{t!(i18n, crm.title)}<input name="title" required maxlength="80" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>{field_error("title")}</label>
            <label>{t!(i18n, crm.amount)}<input name="amount" inputmode="decimal" maxlength="20" placeholder="0,00" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>{field_error("amount")}</label>
            <label>{t!(i18n, crm.status)}
                <select name="status" on:change=move |ev| status.set(event_target_value(&ev))>
                    {kind.statuses().iter().map(|s| view! {
                        <option value=*s selected=move || status.with(|v| v == s)>{move || status_label(i18n.get_locale(), kind, s)}</option>
                    }).collect_view()}
                </select>{field_error("status")}</label>
            <ClientPicker client=client/>
            {field_error("client_id")}
            <p class="form-actions">
                <button class="button primary" type="submit" data-testid="document-save" disabled=move || busy.get()>{t!(i18n, documents.save)}</button>
                {cancel.map(|cancel| view! { " "<button type="button" class="button" on:click=move |_| cancel.run(())>{t!(i18n, documents.cancel)}</button> })}
            </p>
        </form>
    }
}

/// The document's client: the one chosen (with a button to remove it), or a search by name,
/// number or email among the clients the employee sees.
#[component]
fn ClientPicker(client: RwSignal<Option<(ClientId, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let found = Resource::new(
        move || text.get(),
        move |text| async move {
            if text.trim().chars().count() < crate::clients::MIN_SEARCH_CHARS {
                return Ok(Vec::new());
            }
            crate::clients::search_clients(text).await
        },
    );
    view! {
        <fieldset class="client-picker">
            <legend>{t!(i18n, crm.client)}</legend>
            {move || match client.get() {
                Some((_, name)) => view! {
                    <p><span data-testid="document-client">{name}</span>" "
                        <button type="button" class="button" data-testid="document-client-clear" aria-label=move || t_string!(i18n, documents.client_remove)
                            on:click=move |_| client.set(None)>"×"</button></p>
                }.into_any(),
                None => view! {
                    <input type="search" data-testid="document-client-search" maxlength="100" aria-label=move || t_string!(i18n, documents.client_search)
                        placeholder=move || t_string!(i18n, documents.client_search)
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
                    <Transition fallback=|| ()>
                        {move || found.get().and_then(Result::ok).map(|list| view! {
                            <ul class="mini-list">
                                {list.into_iter().map(|c| {
                                    let label = format!("{} {}", c.name, c.phones_display.join(" "));
                                    let (id, name) = (c.id, c.name);
                                    view! { <li><button type="button" class="button" data-testid="document-client-pick"
                                        on:click=move |_| { client.set(Some((id, name.clone()))); text.set(String::new()); }>{label}</button></li> }
                                }).collect_view()}
                            </ul>
                        })}
                    </Transition>
                }.into_any(),
            }}
        </fieldset>
    }
}

/// "Turn into a work order" / "Turn into an invoice": makes the next document, linked to
/// this one, and opens it.
#[component]
pub fn ConvertButton(id: DocumentId, target: DocumentKind) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let convert = move |_| {
        let navigate = navigate.clone();
        crate::ui::save_once(busy, error, convert_document(id), move |document| {
            navigate(&format!("/documents/{}", document.id), Default::default())
        });
    };
    view! {
        <button type="button" class="button" data-testid="convert-document" disabled=move || busy.get() on:click=convert>
            {move || crate::locale::fill(td_string!(i18n.get_locale(), documents.convert_to), &[("kind", kind_label(i18n.get_locale(), target))])}
        </button>
        {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_sentence(i18n.get_locale(), &e)}</p> })}
    }
}
