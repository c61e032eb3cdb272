//! Importing clients from a CSV file (`/clients/import`, from the Clients page): the owner
//! picks the file, sees its first rows with the guessed columns, corrects them, imports;
//! then the counts and each refused row with its line and reason. The file goes to
//! `POST /crm/clients/import/preview` and `POST /crm/clients/import` (server routes).

use super::*;
#[cfg(feature = "hydrate")]
use crate::clients::import::MAX_IMPORT_BYTES;
use crate::clients::import::{Column, ImportPreview, ImportReport, PhoneLabel};
use crate::locale::fill;

const ROLES: [Column; 9] = [
    Column::Ignore,
    Column::Name,
    Column::Phone(PhoneLabel::Mobile),
    Column::Phone(PhoneLabel::Home),
    Column::Phone(PhoneLabel::Work),
    Column::Phone(PhoneLabel::Other),
    Column::Email,
    Column::Notes,
    Column::Address,
];

fn role_label(locale: Locale, column: Column) -> &'static str {
    match column {
        Column::Ignore => td_string!(locale, clients.import.role_ignore),
        Column::Name => td_string!(locale, clients.import.role_name),
        Column::Phone(PhoneLabel::Mobile) => td_string!(locale, clients.import.role_phone_mobile),
        Column::Phone(PhoneLabel::Home) => td_string!(locale, clients.import.role_phone_home),
        Column::Phone(PhoneLabel::Work) => td_string!(locale, clients.import.role_phone_work),
        Column::Phone(PhoneLabel::Other) => td_string!(locale, clients.import.role_phone_other),
        Column::Email => td_string!(locale, clients.import.role_email),
        Column::Notes => td_string!(locale, clients.import.role_notes),
        Column::Address => td_string!(locale, clients.import.role_address),
    }
}

/// Posts the picked file to `url`; the JSON answer, or the server's sentence.
#[cfg(feature = "hydrate")]
async fn post_file<T: serde::de::DeserializeOwned>(
    locale: Locale,
    url: String,
    file: send_wrapper::SendWrapper<web_sys::File>,
) -> Result<T, String> {
    let failed = || td_string!(locale, clients.import.failed).to_owned();
    let body: wasm_bindgen::JsValue = (*file).clone().into();
    let request = gloo_net::http::Request::post(&url)
        .header("content-type", "text/csv")
        .header("accept", "application/json")
        .body(body)
        .map_err(|_| failed())?;
    let response = request.send().await.map_err(|_| failed())?;
    if response.ok() {
        return response.json::<T>().await.map_err(|_| failed());
    }
    let text = response.text().await.unwrap_or_default();
    Err(serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(failed))
}

/// The export's link for the list as filtered by `q`.
pub fn export_href(q: &str) -> String {
    let mut out = String::from("/clients/export.csv");
    if !q.trim().is_empty() {
        out.push_str("?q=");
        for b in q.trim().bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[component]
pub fn ClientImportPage() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "hydrate")]
    let file = RwSignal::new(None::<send_wrapper::SendWrapper<web_sys::File>>);
    let preview = RwSignal::new(None::<ImportPreview>);
    let columns = RwSignal::new(Vec::<Column>::new());
    let report = RwSignal::new(None::<ImportReport>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let locale = i18n.get_locale();
            let picked = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            let Some(picked) = picked else { return };
            preview.set(None);
            report.set(None);
            if picked.size() > MAX_IMPORT_BYTES as f64 {
                error.set(Some(fill(
                    td_string!(locale, clients.import.too_large),
                    &[("max", &(MAX_IMPORT_BYTES / (1024 * 1024)).to_string())],
                )));
                return;
            }
            error.set(None);
            busy.set(true);
            let picked = send_wrapper::SendWrapper::new(picked);
            file.set(Some(picked.clone()));
            leptos::task::spawn_local(async move {
                let answer = post_file::<ImportPreview>(
                    locale,
                    "/crm/clients/import/preview".into(),
                    picked,
                )
                .await;
                busy.set(false);
                match answer {
                    Ok(p) => {
                        columns.set(p.columns.clone());
                        preview.set(Some(p));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    let on_import = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let locale = i18n.get_locale();
            let Some(picked) = file.get_untracked() else {
                return;
            };
            let codes: Vec<String> = columns
                .get_untracked()
                .iter()
                .map(|c| c.as_code())
                .collect();
            let url = format!("/crm/clients/import?columns={}", codes.join(","));
            error.set(None);
            busy.set(true);
            leptos::task::spawn_local(async move {
                let answer = post_file::<ImportReport>(locale, url, picked).await;
                busy.set(false);
                match answer {
                    Ok(r) => {
                        preview.set(None);
                        report.set(Some(r));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    view! {
        <Title text=move || t_string!(i18n, clients.import.title)/>
        <div class="settings crm" data-testid="client-import">
            <header class="settings-header">
                <p><a href="/clients">{move || format!("‹ {}", t_string!(i18n, crm.clients_heading))}</a></p>
                <h1>{t!(i18n, clients.import.title)}</h1>
            </header>
            <p class="meta">{t!(i18n, clients.import.intro)}</p>
            <p>
                <label for="client-import-file">{t!(i18n, clients.import.file_label)}</label>" "
                <input id="client-import-file" type="file" accept=".csv,text/csv" data-testid="client-import-file" on:change=on_pick/>
            </p>
            {move || busy.get().then(|| view! { <p class="meta" role="status">{t!(i18n, clients.import.reading)}</p> })}
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            {move || preview.get().map(|p| {
                let count = p.total_rows.to_string();
                view! {
                    <section class="settings-section" data-testid="client-import-preview">
                        <p>{move || fill(t_string!(i18n, clients.import.rows_found), &[("count", &count)])}</p>
                        <div class="table-scroll">
                            <table class="settings-table keep-head">
                                <thead>
                                    <tr>{p.header.iter().cloned().map(|h| view! { <th>{h}</th> }).collect_view()}</tr>
                                    <tr>
                                        {(0..p.header.len()).map(|i| view! {
                                            <th>
                                                <select aria-label=move || t_string!(i18n, clients.import.holds) data-testid="client-import-column"
                                                    on:change=move |ev| {
                                                        let code = event_target_value(&ev);
                                                        if let Some(c) = Column::parse_code(&code) {
                                                            columns.update(|cs| if let Some(slot) = cs.get_mut(i) { *slot = c });
                                                        }
                                                    }>
                                                    {ROLES.iter().map(|role| {
                                                        let role = *role;
                                                        view! {
                                                            <option value=role.as_code() selected=move || columns.with(|cs| cs.get(i) == Some(&role))>
                                                                {move || role_label(i18n.get_locale(), role)}
                                                            </option>
                                                        }
                                                    }).collect_view()}
                                                </select>
                                            </th>
                                        }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.rows.iter().cloned().map(|row| view! {
                                        <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <p><button class="button primary" data-testid="client-import-run" disabled=move || busy.get() on:click=on_import>
                            {move || if busy.get() { t_string!(i18n, clients.import.importing) } else { t_string!(i18n, clients.import.import_button) }}
                        </button></p>
                    </section>
                }
            })}
            {move || report.get().map(|r| {
                let counts = [
                    ("created", r.created.to_string()),
                    ("updated", r.updated.to_string()),
                    ("unchanged", r.unchanged.to_string()),
                    ("refused", r.refused.len().to_string()),
                ];
                view! {
                    <section class="settings-section" data-testid="client-import-report">
                        <p role="status">{move || {
                            let args: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            fill(t_string!(i18n, clients.import.result), &args)
                        }}</p>
                        {(!r.refused.is_empty()).then(|| view! {
                            <table class="settings-table keep-head" data-testid="client-import-refused">
                                <thead><tr><th>{t!(i18n, clients.import.line)}</th><th>{t!(i18n, clients.import.reason)}</th></tr></thead>
                                <tbody>
                                    {r.refused.iter().cloned().map(|row| view! {
                                        <tr><td>{row.line}</td><td>{row.reason}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        <p><a href="/clients">{move || t_string!(i18n, crm.clients_heading)}</a></p>
                    </section>
                }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_export_link_carries_the_filter() {
        assert_eq!(super::export_href(" "), "/clients/export.csv");
        assert_eq!(
            super::export_href("Ana Sá&x"),
            "/clients/export.csv?q=Ana%20S%C3%A1%26x"
        );
    }
}
