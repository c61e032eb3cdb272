//! Settings › Employees › API tokens: every employee's tokens, for whoever manages
//! employees, with a way to revoke any of them (a leaked token, an integration gone).

use crate::error::AppError;
use crate::i18n::{t, use_i18n};
use crate::locale::error_text;
use crate::tokens::{list_team_tokens, revoke_team_token};
use crate::ui::time::{date_time, LocalTime};
use crate::ui::tokens::{Expiry, ScopeList};
use leptos::prelude::*;

#[component]
pub fn TeamTokens() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u64);
    // Loaded in the browser: this section sits in the settings' Outlet, whose view the
    // server may render twice while the team loads, and a server-side resource created in
    // the discarded render would reach the browser as another resource's data.
    let tokens = LocalResource::new(move || {
        reload.track();
        list_team_tokens()
    });
    let error = RwSignal::new(None::<AppError>);
    view! {
        <section class="settings-section" data-testid="team-tokens">
            <h2>{t!(i18n, settings.team_tokens_heading)}</h2>
            <p class="meta">{t!(i18n, settings.team_tokens_intro)}</p>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{error_text(i18n.get_locale(), &e)}</p> })}
            // Not in a Transition: the list is the browser's alone, and the server and the
            // hydrating browser both render "loading" first.
            {move || match tokens.get() {
                None => view! { <p>{t!(i18n, settings.loading)}</p> }.into_any(),
                Some(result) => match result {
                    Err(err) => view! { <p class="banner banner-error">{error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="meta">{t!(i18n, settings.no_tokens)}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="settings-table">
                            <thead><tr>
                                <th>{t!(i18n, settings.team_token_employee)}</th>
                                <th>{t!(i18n, settings.name)}</th>
                                <th>{t!(i18n, settings.token_scopes)}</th>
                                <th>{t!(i18n, settings.token_expires)}</th>
                                <th>{t!(i18n, settings.token_last_used)}</th>
                                <th></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|row| {
                                    let token = row.token;
                                    let id = token.id;
                                    view! {
                                        <tr class:inactive=token.revoked_at.is_some()>
                                            <td>{row.employee_name}</td>
                                            <td>{token.name}</td>
                                            <td><ScopeList scopes=token.scopes/></td>
                                            <td><Expiry expires_at=token.expires_at/></td>
                                            <td>{match token.last_used_at {
                                                Some(at) => view! { <LocalTime ms=at format=date_time/> }.into_any(),
                                                None => t!(i18n, settings.token_never).into_any(),
                                            }}</td>
                                            <td>{match token.revoked_at {
                                                Some(_) => t!(i18n, settings.token_revoked).into_any(),
                                                None => view! {
                                                    <button class="button" on:click=move |_| {
                                                        leptos::task::spawn_local(async move {
                                                            match revoke_team_token(id).await {
                                                                Ok(()) => {
                                                                    error.set(None);
                                                                    reload.update(|v| *v += 1);
                                                                }
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
                },
            }}
        </section>
    }
}
