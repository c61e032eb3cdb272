//! Your API tokens: create (shown once), see when each was last used, revoke.

use crate::tokens::{create_my_token, list_my_tokens, revoke_my_token};
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    let reload = RwSignal::new(0u64);
    let tokens = Resource::new(move || reload.get(), |_| list_my_tokens());
    let name = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
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
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <Title text="API tokens · Confab"/>
        <div class="settings">
            <header class="settings-header">
                <h1>"API tokens"</h1>
                <p class="meta">"A token lets another program use Confab's API ("<a href="/api/v1/openapi.json">"OpenAPI"</a>") as you, with your access. Send it as "<code>"Authorization: Bearer …"</code>"."</p>
            </header>
            <section class="settings-section">
                {move || fresh.get().map(|token| view! {
                    <div class="card token-once" role="status">
                        <strong>"Your new token — copy it now, it will not be shown again:"</strong>
                        <code data-testid="new-token">{token}</code>
                    </div>
                })}
                {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
                <form class="card settings-form" on:submit=create>
                    <label>"What is it for?"<input required maxlength="80" placeholder="e.g. Zapier" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <button class="button primary" type="submit">"Create token"</button>
                </form>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || tokens.get().map(|result| match result {
                        Err(err) => view! { <p class="banner banner-error">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="meta">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="settings-table">
                                <thead><tr><th>"Name"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr class:inactive=t.revoked_at.is_some()>
                                                <td>{t.name}</td>
                                                <td><LocalTime ms=t.created_at format=date_time/></td>
                                                <td>{match t.last_used_at {
                                                    Some(at) => view! { <LocalTime ms=at format=date_time/> }.into_any(),
                                                    None => "never".into_any(),
                                                }}</td>
                                                <td>{match t.revoked_at {
                                                    Some(_) => "revoked".into_any(),
                                                    None => view! {
                                                        <button class="button" on:click=move |_| {
                                                            leptos::task::spawn_local(async move {
                                                                match revoke_my_token(id).await {
                                                                    Ok(()) => reload.update(|v| *v += 1),
                                                                    Err(err) => error.set(Some(err.to_string())),
                                                                }
                                                            });
                                                        }>"Revoke"</button>
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
