//! Your API tokens: create (shown once), see when each was last used, revoke.

use crate::error::AppError;
use crate::i18n::{t, t_string, use_i18n};
use crate::tokens::{create_my_token, list_my_tokens, revoke_my_token};
use crate::ui::locale::error_text;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u64);
    let tokens = Resource::new(move || reload.get(), |_| list_my_tokens());
    let name = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = name.get_untracked();
        leptos::task::spawn_local(async move {
            match create_my_token(wanted).await {
                Ok(token) => {
                    fresh.set(Some(token));
                    error.set(None);
                    name.set(String::new());
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
                                    <th>{t!(i18n, settings.token_created)}</th>
                                    <th>{t!(i18n, settings.token_last_used)}</th>
                                    <th></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr class:inactive=t.revoked_at.is_some()>
                                                <td>{t.name}</td>
                                                <td><LocalTime ms=t.created_at format=date_time/></td>
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
