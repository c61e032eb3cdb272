//! Your API tokens: create (shown once; reading cards only unless more is ticked, with an
//! optional expiry), see what each may do and when it was last used, revoke.

use crate::error::AppError;
use crate::i18n::{t, t_string, use_i18n};
use crate::i18n::{td_string, Locale};
use crate::locale::error_text;
use crate::tokens::{create_my_token, list_my_tokens, revoke_my_token, TokenScope, DAY_MS};
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u64);
    let tokens = Resource::new(move || reload.get(), |_| list_my_tokens());
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(TokenScope::DEFAULT.to_vec());
    // "none", a number of days, or "date" (then `expiry_date` says which).
    let expiry = RwSignal::new(String::from("none"));
    let expiry_date = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = name.get_untracked();
        let expires_at = match expiry.get_untracked().as_str() {
            "none" => None,
            "date" => match end_of_local_day(&expiry_date.get_untracked()) {
                Some(at) => Some(at),
                None => {
                    error.set(Some(AppError::validation(
                        "expires_at",
                        td_string!(
                            i18n.get_locale_untracked(),
                            settings.token_expiry_date_missing
                        ),
                    )));
                    return;
                }
            },
            days => days
                .parse::<i64>()
                .ok()
                .map(|days| crate::ui::time::now_ms() + days * DAY_MS),
        };
        let chosen = scopes.get_untracked();
        leptos::task::spawn_local(async move {
            match create_my_token(wanted, chosen, expires_at).await {
                Ok(token) => {
                    fresh.set(Some(token));
                    error.set(None);
                    name.set(String::new());
                    scopes.set(TokenScope::DEFAULT.to_vec());
                    expiry.set(String::from("none"));
                    reload.update(|v| *v += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <Title text=move || t_string!(i18n, settings.tokens_page_title)/>
        <div class="settings">
            <header class="settings-header">
                <h1>{t!(i18n, settings.tokens_heading)}</h1>
                <p class="meta">{t!(i18n, settings.tokens_intro, <a> = <a href="/api/v1/openapi.json"/>, <code> = <code/>)}</p>
            </header>
            <section class="settings-section">
                {move || fresh.get().map(|token| view! {
                    <div class="card token-once" role="status">
                        <strong>{t!(i18n, settings.token_once)}</strong>
                        <code data-testid="new-token">{token}</code>
                    </div>
                })}
                {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
                <form class="card settings-form" on:submit=create>
                    <label>{t!(i18n, settings.token_purpose)}<input required maxlength="80" placeholder=move || t_string!(i18n, settings.token_purpose_placeholder) prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <fieldset data-testid="token-scopes">
                        <legend>{t!(i18n, settings.token_scopes)}</legend>
                        {TokenScope::ALL.into_iter().map(|scope| view! {
                            <label class="check">
                                <input type="checkbox" value=scope.as_str()
                                    prop:checked=move || scopes.with(|list| list.contains(&scope))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        scopes.update(|list| { list.retain(|s| *s != scope); if on { list.push(scope) } });
                                    }/>
                                {move || scope_label(i18n.get_locale(), scope)}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <label>{t!(i18n, settings.token_expiry)}
                        <select prop:value=move || expiry.get() on:change=move |ev| expiry.set(event_target_value(&ev))>
                            <option value="none">{t!(i18n, settings.token_expiry_none)}</option>
                            <option value="30">{t!(i18n, settings.token_expiry_30)}</option>
                            <option value="90">{t!(i18n, settings.token_expiry_90)}</option>
                            <option value="365">{t!(i18n, settings.token_expiry_365)}</option>
                            <option value="date">{t!(i18n, settings.token_expiry_date)}</option>
                        </select>
                    </label>
                    <Show when=move || expiry.get() == "date">
                        <label>{t!(i18n, settings.token_expiry_on)}
                            <input type="date" required prop:value=move || expiry_date.get() on:input=move |ev| expiry_date.set(event_target_value(&ev))/>
                        </label>
                    </Show>
                    <button class="button primary" type="submit">{t!(i18n, settings.create_token)}</button>
                </form>
                <Transition fallback=move || view! { <p>{t!(i18n, settings.loading)}</p> }>
                    {move || tokens.get().map(|result| match result {
                        Err(err) => view! { <p class="banner banner-error">{error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="meta">{t!(i18n, settings.no_tokens)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="settings-table">
                                <thead><tr>
                                    <th>{t!(i18n, settings.name)}</th>
                                    <th>{t!(i18n, settings.token_scopes)}</th>
                                    <th>{t!(i18n, settings.token_created)}</th>
                                    <th>{t!(i18n, settings.token_expires)}</th>
                                    <th>{t!(i18n, settings.token_last_used)}</th>
                                    <th></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr class:inactive=t.revoked_at.is_some()>
                                                <td>{t.name}</td>
                                                <td><ScopeList scopes=t.scopes/></td>
                                                <td><LocalTime ms=t.created_at format=date_time/></td>
                                                <td><Expiry expires_at=t.expires_at/></td>
                                                <td>{match t.last_used_at {
                                                    Some(at) => view! { <LocalTime ms=at format=date_time/> }.into_any(),
                                                    None => t!(i18n, settings.token_never).into_any(),
                                                }}</td>
                                                <td>{match t.revoked_at {
                                                    Some(_) => t!(i18n, settings.token_revoked).into_any(),
                                                    None => view! {
                                                        <button class="button" on:click=move |_| {
                                                            leptos::task::spawn_local(async move {
                                                                match revoke_my_token(id).await {
                                                                    Ok(()) => reload.update(|v| *v += 1),
                                                                    Err(err) => error.set(Some(err)),
                                                                }
                                                            });
                                                        }>{t!(i18n, settings.revoke)}</button>
                                                    }.into_any(),
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// A scope in words (its technical name follows, as integrations document it).
pub fn scope_label(locale: Locale, scope: TokenScope) -> String {
    let words = match scope {
        TokenScope::PhoneCardRead => td_string!(locale, settings.scope_phone_card_read),
        TokenScope::ConversationsRead => td_string!(locale, settings.scope_conversations_read),
        TokenScope::ConversationsWrite => td_string!(locale, settings.scope_conversations_write),
        TokenScope::CrmRead => td_string!(locale, settings.scope_crm_read),
        TokenScope::CrmWrite => td_string!(locale, settings.scope_crm_write),
    };
    format!("{words} ({})", scope.as_str())
}

/// A token's scopes, by their technical names.
#[component]
pub fn ScopeList(scopes: Vec<TokenScope>) -> impl IntoView {
    let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    view! { <code class="meta">{names.join(" ")}</code> }
}

/// When a token expires (or that it does not).
#[component]
pub fn Expiry(expires_at: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    match expires_at {
        Some(at) => view! { <LocalTime ms=at format=date_time/> }.into_any(),
        None => t!(i18n, settings.token_expiry_none).into_any(),
    }
}

/// The last moment of the local day `date` (`YYYY-MM-DD`, as a date input gives it), in
/// ms; `None` when it is not such a date.
fn end_of_local_day(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new_with_year_month_day_hr_min_sec(
            year as u32,
            month as i32 - 1,
            day as i32,
            23,
            59,
            59,
        );
        let ms = d.get_time();
        ms.is_finite().then_some(ms as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // Only the browser picks dates; on the server the day ends in UTC.
        let (y, m) = if month <= 2 {
            (i64::from(year) - 1, i64::from(month) + 9)
        } else {
            (i64::from(year), i64::from(month) - 3)
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some((days + 1) * DAY_MS - 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_date_ends_at_its_last_second() {
        assert_eq!(end_of_local_day("1970-01-01"), Some(DAY_MS - 1000));
        assert_eq!(
            end_of_local_day("2026-12-05"),
            Some(1_764_979_199_000 + 365 * DAY_MS)
        );
        assert_eq!(end_of_local_day("2026-13-01"), None);
        assert_eq!(end_of_local_day(""), None);
    }
}
