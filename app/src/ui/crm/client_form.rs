//! The client form (new client on the Clients page, edit on the client page) and the
//! client page's delete and merge actions.

use super::*;
use crate::clients::edit::{
    create_client, delete_client, merge_clients, update_client, ClientInput, PhoneInput,
};
use crate::clients::import::PhoneLabel;
use crate::clients::Client;

/// The form's starting values: empty for a new client, the client's own (with each
/// number's label) when editing.
pub fn input_of(client: Option<(&Client, &[String])>) -> ClientInput {
    let Some((c, labels)) = client else {
        return ClientInput {
            phones: vec![PhoneInput {
                phone: String::new(),
                label: "mobile".into(),
            }],
            ..Default::default()
        };
    };
    ClientInput {
        name: c.name.clone(),
        phones: c
            .phones_display
            .iter()
            .enumerate()
            .map(|(i, p)| PhoneInput {
                phone: p.clone(),
                label: labels.get(i).cloned().unwrap_or_else(|| "other".into()),
            })
            .collect(),
        email: c.email.clone().unwrap_or_default(),
        address: c.address.clone().unwrap_or_default(),
        notes: c.notes.clone().unwrap_or_default(),
    }
}

fn label_name(locale: Locale, label: PhoneLabel) -> &'static str {
    match label {
        PhoneLabel::Mobile => td_string!(locale, clients.label_mobile),
        PhoneLabel::Home => td_string!(locale, clients.label_home),
        PhoneLabel::Work => td_string!(locale, clients.label_work),
        PhoneLabel::Other => td_string!(locale, clients.label_other),
    }
}

/// Name, numbers (add and remove rows, each labelled), email, address and notes. Saves with
/// `editing` (a client's id) or creates; `saved` gets the client's id.
#[component]
pub fn ClientForm(
    start: ClientInput,
    editing: Option<ClientId>,
    saved: Callback<ClientId>,
    #[prop(optional)] cancel: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(start.name);
    let phones = RwSignal::new(start.phones);
    let email = RwSignal::new(start.email);
    let address = RwSignal::new(start.address);
    let notes = RwSignal::new(start.notes);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ClientInput {
            name: name.get_untracked(),
            phones: phones.get_untracked(),
            email: email.get_untracked(),
            address: address.get_untracked(),
            notes: notes.get_untracked(),
        };
        let save = async move {
            match editing {
                Some(id) => update_client(id, input).await.map(|()| id),
                None => create_client(input).await,
            }
        };
        crate::ui::save_once(busy, error, save, move |id| saved.run(id));
    };
    let field_error = move |field: &'static str| field_error(error, field);
    let other_error = form_banner(error);
    view! {
        <form class="card settings-form client-form" on:submit=submit data-testid="client-form">
            {other_error}
            <label>{t!(i18n, crm.name)}<input name="name" required maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>{field_error("name")}</label>
            <fieldset>
                <legend>{t!(i18n, crm.phones)}</legend>
                {move || (0..phones.with(Vec::len)).map(|i| view! {
                    <div class="phone-row">
                        <input type="tel" inputmode="tel" maxlength="40" data-testid="client-phone" aria-label=move || t_string!(i18n, crm.phones)
                            prop:value=move || phones.with(|p| p.get(i).map(|p| p.phone.clone()).unwrap_or_default())
                            on:input=move |ev| phones.update(|p| if let Some(p) = p.get_mut(i) { p.phone = event_target_value(&ev) })/>
                        <select aria-label=move || t_string!(i18n, clients.phone_label)
                            on:change=move |ev| phones.update(|p| if let Some(p) = p.get_mut(i) { p.label = event_target_value(&ev) })>
                            {PhoneLabel::ALL.into_iter().map(|l| view! {
                                <option value=l.as_str() selected=move || phones.with(|p| p.get(i).is_some_and(|p| p.label == l.as_str()))>{move || label_name(i18n.get_locale(), l)}</option>
                            }).collect_view()}
                        </select>
                        <button type="button" class="button" aria-label=move || t_string!(i18n, clients.remove_phone)
                            on:click=move |_| phones.update(|p| { if i < p.len() { p.remove(i); } })>"×"</button>
                    </div>
                }).collect_view()}
                {field_error("phone")}{field_error("phones")}
                <button type="button" class="button" data-testid="add-phone"
                    on:click=move |_| phones.update(|p| p.push(PhoneInput { phone: String::new(), label: "mobile".into() }))>{t!(i18n, clients.add_phone)}</button>
            </fieldset>
            <label>{t!(i18n, crm.email)}<input type="email" name="email" maxlength="254" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>{field_error("email")}</label>
            <label>{t!(i18n, crm.address)}<input name="address" maxlength="5000" prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))/>{field_error("address")}</label>
            <label>{t!(i18n, crm.notes)}<textarea name="notes" maxlength="5000" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>{field_error("notes")}</label>
            <p class="form-actions">
                <button class="button primary" type="submit" data-testid="client-save" disabled=move || busy.get()>{t!(i18n, clients.save)}</button>
                {cancel.map(|cancel| view! { " "<button type="button" class="button" on:click=move |_| cancel.run(())>{t!(i18n, clients.cancel)}</button> })}
            </p>
        </form>
    }
}

/// Delete (after the browser's confirmation) and merge another client into this one.
#[component]
pub fn ClientActions(client: ClientId, name: String, merged: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<AppError>);
    let merge_text = RwSignal::new(String::new());
    let candidates = Resource::new(
        move || merge_text.get(),
        move |text| async move {
            if text.trim().chars().count() < crate::clients::MIN_SEARCH_CHARS {
                return Ok(Vec::new());
            }
            crate::clients::search_clients(text).await
        },
    );
    let delete = {
        let name = name.clone();
        move |_| {
            let question = crate::locale::fill(
                td_string!(i18n.get_locale(), clients.delete_confirm),
                &[("name", &name)],
            );
            if !crate::ui::confirmed(&question) {
                return;
            }
            leptos::task::spawn_local(async move {
                match delete_client(client).await {
                    Ok(()) => {
                        let navigate = leptos_router::hooks::use_navigate();
                        navigate("/clients", Default::default());
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        }
    };
    let merge = move |other: Client| {
        let question = crate::locale::fill(
            td_string!(i18n.get_locale(), clients.merge_confirm),
            &[("other", &other.name)],
        );
        if !crate::ui::confirmed(&question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match merge_clients(client, other.id).await {
                Ok(()) => {
                    merge_text.set(String::new());
                    merged.run(());
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <section class="settings-section client-actions" data-testid="client-actions">
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_sentence(i18n.get_locale(), &e)}</p> })}
            <label>{t!(i18n, clients.merge_label)}
                <input type="search" data-testid="merge-search" maxlength="100" prop:value=move || merge_text.get() on:input=move |ev| merge_text.set(event_target_value(&ev))/>
            </label>
            <Transition fallback=|| ()>
                {move || candidates.get().and_then(Result::ok).map(|list| view! {
                    <ul class="mini-list">
                        {list.into_iter().filter(|c| c.id != client).map(|c| {
                            let label = format!("{} {}", c.name, c.phones_display.join(" "));
                            let pick = c.clone();
                            view! { <li><button type="button" class="button" data-testid="merge-pick" on:click=move |_| merge(pick.clone())>{label}</button></li> }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
            <p><button type="button" class="button danger" data-testid="client-delete" on:click=delete>{t!(i18n, clients.delete)}</button></p>
        </section>
    }
}
