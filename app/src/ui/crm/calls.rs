//! The call log: a "Log a call" form, a filter by direction, the list (older pages on
//! demand), each number with its phone card.

use super::*;
use crate::calls::{format_duration, log_call, CallDirection};

/// The instant a `datetime-local` value names in the browser's time zone (UTC ms); now
/// when empty or unreadable.
fn local_input_ms(value: &str) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        if !value.trim().is_empty() {
            let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
            if ms.is_finite() {
                return ms as i64;
            }
        }
    }
    let _ = value;
    crate::ui::time::now_ms()
}

fn direction_label(locale: Locale, d: CallDirection) -> &'static str {
    match d {
        CallDirection::Inbound => td_string!(locale, calls.dir_in),
        CallDirection::Outbound => td_string!(locale, calls.dir_out),
        CallDirection::Missed => td_string!(locale, calls.dir_missed),
    }
}

#[component]
pub fn CallsPage() -> impl IntoView {
    let text = query_text();
    let query = use_query_map();
    let direction = Memo::new(move |_| query.read().get("d").unwrap_or_default());
    // Older pages appended below the first, by cursor.
    let older = RwSignal::new(Vec::<crate::calls::Call>::new());
    let more_error = RwSignal::new(None::<AppError>);
    let reload = RwSignal::new(0u32);
    let calls = Resource::new(
        move || (text.get(), direction.get(), reload.get()),
        |(text, direction, _)| list_calls(text, direction, None, None),
    );
    Effect::new(move |_| {
        let _ = (text.get(), direction.get(), reload.get());
        older.set(Vec::new());
    });
    let i18n = use_i18n();
    let form_open = RwSignal::new(false);
    let phone = RwSignal::new(String::new());
    let dir = RwSignal::new("inbound".to_owned());
    let when = RwSignal::new(String::new());
    let duration = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let form_error = RwSignal::new(None::<AppError>);
    let logged = RwSignal::new(None::<crate::calls::Call>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.set(true);
        form_error.set(None);
        let started_at = local_input_ms(&when.get_untracked());
        let (p, d, du, n) = (
            phone.get_untracked(),
            dir.get_untracked(),
            duration.get_untracked(),
            notes.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match log_call(p, d, started_at, du, n).await {
                Ok(call) => {
                    logged.set(Some(call));
                    phone.set(String::new());
                    duration.set(String::new());
                    notes.set(String::new());
                    when.set(String::new());
                    form_open.set(false);
                    reload.update(|r| *r += 1);
                }
                Err(e) => form_error.set(Some(e)),
            }
            saving.set(false);
        });
    };
    let load_more = move |last: (i64, i64)| {
        let (t, d) = (text.get_untracked(), direction.get_untracked());
        leptos::task::spawn_local(async move {
            match list_calls(t, d, Some(last.0), Some(last.1)).await {
                Ok(page) => older.update(|o| o.extend(page)),
                Err(e) => more_error.set(Some(e)),
            }
        });
    };
    let row = move |k: crate::calls::Call| {
        let d = k.direction;
        view! {
            <tr data-testid="call-row">
                <td><LocalTime ms=k.started_at format=date_time/></td>
                <td><PhoneNumber phone=k.phone.clone() display=k.phone_display.clone()/></td>
                <td>{match k.client_id {
                    Some(_) => view! { <ClientLink id=k.client_id name=k.client_name/> }.into_any(),
                    // A number of nobody's (a missed call, most often): one click to write back.
                    None => view! { <StartConversation phone=k.phone.clone()/> }.into_any(),
                }}</td>
                // Labelled for phones, where the rows become cards without the table's head.
                <td data-label=move || t_string!(i18n, crm.direction)>{move || direction_label(i18n.get_locale(), d)}</td>
                <td data-label=move || t_string!(i18n, crm.duration)>{format_duration(k.duration_seconds)}</td>
                <td>{k.notes.unwrap_or_default()}</td>
            </tr>
        }
    };
    view! {
        <Title text=move || t_string!(i18n, crm.calls_page_title)/>
        <div class="settings crm">
            <header class="settings-header">
                <h1>{t!(i18n, crm.calls_heading)}</h1>
                <ListSearch action="/calls" placeholder=|l| td_string!(l, crm.calls_search) text=text/>
                <p class="crm-actions"><button type="button" class="button primary" data-testid="log-call"
                    on:click=move |_| form_open.update(|o| *o = !*o)>{t!(i18n, calls.log_call)}</button></p>
            </header>
            <nav class="filter-chips" aria-label=move || t_string!(i18n, calls.filter_label)>
                <a href="/calls" class="chip" aria-current=move || direction.get().is_empty().then_some("true")>{t!(i18n, calls.all_directions)}</a>
                {CallDirection::ALL.into_iter().map(|d| view! {
                    <a href=format!("/calls?d={}", d.as_str()) class="chip"
                        aria-current=move || (direction.get() == d.as_str()).then_some("true")>
                        {move || direction_label(i18n.get_locale(), d)}
                    </a>
                }).collect_view()}
            </nav>
            {move || logged.get().map(|c| view! {
                <p class="banner banner-ok" role="status">{t!(i18n, calls.logged)}" "
                    {move || {
                        let locale = i18n.get_locale();
                        match c.client_name.clone() {
                            Some(name) => crate::locale::fill(td_string!(locale, calls.client_found), &[("name", &name)]),
                            None => td_string!(locale, calls.client_none).to_owned(),
                        }
                    }}
                </p>
            })}
            <Show when=move || form_open.get()>
                <form class="card form" data-testid="log-call-form" on:submit=submit>
                    <h2>{t!(i18n, calls.log_title)}</h2>
                    <label>{t!(i18n, calls.number)}
                        <input name="phone" type="tel" required maxlength="40" placeholder=move || t_string!(i18n, calls.number_placeholder)
                            prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/>
                    </label>
                    <label>{t!(i18n, calls.direction)}
                        <select name="direction" on:change=move |ev| dir.set(event_target_value(&ev))>
                            {CallDirection::ALL.into_iter().map(|d| view! {
                                <option value=d.as_str() selected=move || dir.get() == d.as_str()>{move || direction_label(i18n.get_locale(), d)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>{t!(i18n, calls.started_at)}
                        <input name="started_at" type="datetime-local" prop:value=move || when.get()
                            on:input=move |ev| when.set(event_target_value(&ev))/>
                    </label>
                    <label>{t!(i18n, calls.duration)}
                        <input name="duration" maxlength="10" placeholder=move || t_string!(i18n, calls.duration_placeholder)
                            prop:value=move || duration.get() on:input=move |ev| duration.set(event_target_value(&ev))/>
                    </label>
                    <label>{t!(i18n, calls.notes)}
                        <textarea name="notes" maxlength="2000" prop:value=move || notes.get()
                            on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    </label>
                    {move || form_error.get().map(|e| view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
                    <div class="form-actions">
                        <button type="submit" class="button primary" disabled=move || saving.get()>
                            {move || if saving.get() { t_string!(i18n, calls.saving) } else { t_string!(i18n, calls.save) }}
                        </button>
                        <button type="button" class="button" on:click=move |_| form_open.set(false)>{t!(i18n, calls.cancel)}</button>
                    </div>
                </form>
            </Show>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, crm.loading)}</p> }>
                {move || calls.get().map(|r| match r {
                    Err(err) => error_view(i18n.get_locale(), err),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, crm.calls_empty)}</p> }.into_any(),
                    Ok(list) => {
                        let first_full = list.len() as i64 == crate::calls::PAGE_SIZE;
                        let first_last = list.last().map(|c| (c.started_at, c.id));
                        view! {
                            <table class="settings-table" data-testid="calls">
                                <thead><tr><th>{t!(i18n, crm.when)}</th><th>{t!(i18n, crm.phone)}</th><th>{t!(i18n, crm.client)}</th><th>{t!(i18n, crm.direction)}</th><th>{t!(i18n, crm.duration)}</th><th>{t!(i18n, crm.notes)}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(row).collect_view()}
                                    {move || older.get().into_iter().map(row).collect_view()}
                                </tbody>
                            </table>
                            {move || {
                                let o = older.get();
                                let (full, last) = if o.is_empty() {
                                    (first_full, first_last)
                                } else {
                                    (o.len() as i64 % crate::calls::PAGE_SIZE == 0, o.last().map(|c| (c.started_at, c.id)))
                                };
                                (full && last.is_some()).then(|| {
                                    let last = last.unwrap_or_default();
                                    view! { <button type="button" class="button" data-testid="more-calls" on:click=move |_| load_more(last)>{t!(i18n, calls.more)}</button> }
                                })
                            }}
                            {move || more_error.get().map(|e| view! { <p class="form-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}
