//! The CRM pages around the inbox: Clients, Leads, Estimates, Work orders, Invoices and
//! Calls — lists with search, and detail views. Phone numbers and client cards live here.
//! One file per page family (`clients`, `documents`, `calls`); this one holds what they share.

mod calls;
mod client_form;
mod client_import;
mod clients;
mod document_form;
mod documents;

pub use calls::CallsPage;
pub use client_import::ClientImportPage;
pub use clients::{ClientPage, ClientsPage};
pub use documents::{DocumentPage, DocumentsPage};

use crate::calls::list_calls;
use crate::clients::{get_client, list_clients, share_client};
use crate::documents::{get_document, list_documents, DocumentKind};
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

/// A form's refusal shown under the field it names (`field`), when the last answer
/// refused that field.
fn field_error(
    error: RwSignal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> Option<AnyView> {
    move || match error.get() {
        Some(AppError::Validation { field: f, message }) if f == field => {
            Some(view! { <span class="field-error" role="alert">{message}</span> }.into_any())
        }
        _ => None,
    }
}

/// A form's refusal that names no field, as a banner above it.
fn form_banner(error: RwSignal<Option<AppError>>) -> impl Fn() -> Option<AnyView> {
    let i18n = use_i18n();
    move || {
        match error.get() {
        Some(AppError::Validation { .. }) | None => None,
        Some(err) => Some(
            view! { <p class="banner banner-error" role="alert">{error_sentence(i18n.get_locale(), &err)}</p> }
                .into_any(),
        ),
    }
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
