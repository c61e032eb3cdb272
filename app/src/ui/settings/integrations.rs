//! Settings › Integrations: outgoing webhooks. The owner subscribes a URL to events and
//! sees its signing secret once; each subscription can be paused, resumed, sent a test
//! event, given a new secret or deleted, and shows its delivery log.

use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::integrations::{
    create_webhook_subscription, delete_webhook_subscription, list_webhook_deliveries,
    list_webhook_subscriptions, rotate_webhook_secret, send_webhook_test,
    set_webhook_subscription_active, IntegrationEvent, WebhookSubscription,
};
use crate::locale::error_text;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;

/// An event's name as the owner reads it.
fn event_name(locale: Locale, event: IntegrationEvent) -> &'static str {
    match event {
        IntegrationEvent::MessageReceived => {
            td_string!(locale, integrations.event_message_received)
        }
        IntegrationEvent::ReplySent => td_string!(locale, integrations.event_reply_sent),
        IntegrationEvent::ReplyFailed => td_string!(locale, integrations.event_reply_failed),
        IntegrationEvent::ConversationArchived => {
            td_string!(locale, integrations.event_conversation_archived)
        }
        IntegrationEvent::ConversationReopened => {
            td_string!(locale, integrations.event_conversation_reopened)
        }
        IntegrationEvent::ConversationAssigned => {
            td_string!(locale, integrations.event_conversation_assigned)
        }
        IntegrationEvent::NoteCreated => td_string!(locale, integrations.event_note_created),
        IntegrationEvent::ClientCreated => td_string!(locale, integrations.event_client_created),
        IntegrationEvent::ClientUpdated => td_string!(locale, integrations.event_client_updated),
        IntegrationEvent::ClientDeleted => td_string!(locale, integrations.event_client_deleted),
        IntegrationEvent::ClientsMerged => td_string!(locale, integrations.event_clients_merged),
        IntegrationEvent::DocumentCreated => {
            td_string!(locale, integrations.event_document_created)
        }
        IntegrationEvent::DocumentUpdated => {
            td_string!(locale, integrations.event_document_updated)
        }
        IntegrationEvent::DocumentStatusChanged => {
            td_string!(locale, integrations.event_document_status_changed)
        }
        IntegrationEvent::CallLogged => td_string!(locale, integrations.event_call_logged),
        IntegrationEvent::Test => td_string!(locale, integrations.event_test),
    }
}

/// The events an owner may subscribe to (the test event comes only from its button).
fn subscribable() -> impl Iterator<Item = IntegrationEvent> {
    IntegrationEvent::ALL
        .into_iter()
        .filter(|e| *e != IntegrationEvent::Test)
}

#[component]
pub fn IntegrationSettings() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u64);
    let subscriptions = Resource::new(move || reload.get(), |_| list_webhook_subscriptions());
    let error = RwSignal::new(None::<AppError>);
    // The secret of a new subscription (or a new secret), shown until the page is left.
    let secret = RwSignal::new(None::<String>);
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let events = RwSignal::new(Vec::<IntegrationEvent>::new());
    let busy = RwSignal::new(false);
    let subscribe = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let save = create_webhook_subscription(
            url.get_untracked(),
            description.get_untracked(),
            events.get_untracked(),
        );
        crate::ui::save_once(busy, error, save, move |created| {
            secret.set(Some(created.secret));
            url.set(String::new());
            description.set(String::new());
            events.set(Vec::new());
            reload.update(|r| *r += 1);
        });
    };
    view! {
        <section class="settings-section" data-testid="integrations">
            <h2>{t!(i18n, integrations.heading)}</h2>
            <p class="meta">{t!(i18n, integrations.intro)}</p>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &e)}</p> })}
            {move || secret.get().map(|s| view! {
                <div class="banner" role="status">
                    <p>{t!(i18n, integrations.secret_once)}</p>
                    <p><code class="mono" data-testid="webhook-secret">{s}</code></p>
                </div>
            })}
            <form class="card settings-form" on:submit=subscribe data-testid="webhook-form">
                <label>{t!(i18n, integrations.url)}
                    <input type="url" name="url" required maxlength="2000" placeholder="https://crm.example.com/confab"
                        prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, integrations.description)}
                    <input name="description" maxlength="200" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/></label>
                <fieldset>
                    <legend>{t!(i18n, integrations.events)}</legend>
                    {subscribable().map(|event| view! {
                        <label class="check"><input type="checkbox" value=event.as_str()
                            prop:checked=move || events.with(|e| e.contains(&event))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                events.update(|e| {
                                    e.retain(|x| *x != event);
                                    if on { e.push(event); }
                                });
                            }/>" "{move || event_name(i18n.get_locale(), event)}</label>
                    }).collect_view()}
                </fieldset>
                <p class="form-actions"><button class="button primary" type="submit" data-testid="webhook-subscribe" disabled=move || busy.get()>{t!(i18n, integrations.subscribe)}</button></p>
            </form>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, settings.loading)}</p> }>
                {move || subscriptions.get().map(|r| match r {
                    Err(err) => view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, integrations.none)}</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|s| view! {
                        <SubscriptionCard subscription=s reload=reload secret=secret error=error/>
                    }).collect_view().into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SubscriptionCard(
    subscription: WebhookSubscription,
    reload: RwSignal<u64>,
    secret: RwSignal<Option<String>>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = subscription.id;
    let active = subscription.active;
    let notice = RwSignal::new(None::<fn(Locale) -> &'static str>);
    let log_open = RwSignal::new(false);
    let log_version = RwSignal::new(0u64);
    let after = move |result: Result<(), AppError>, done: Option<fn(Locale) -> &'static str>| {
        match result {
            Ok(()) => {
                error.set(None);
                notice.set(done);
                reload.update(|r| *r += 1);
            }
            Err(err) => error.set(Some(err)),
        }
    };
    let toggle = move |_| {
        leptos::task::spawn_local(async move {
            after(set_webhook_subscription_active(id, !active).await, None);
        });
    };
    let test = move |_| {
        leptos::task::spawn_local(async move {
            let result = send_webhook_test(id).await;
            log_version.update(|v| *v += 1);
            log_open.set(true);
            match result {
                Ok(()) => {
                    error.set(None);
                    notice.set(Some(|l| td_string!(l, integrations.test_sent)));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let rotate = move |_| {
        if !crate::ui::confirmed(td_string!(i18n.get_locale(), integrations.rotate_confirm)) {
            return;
        }
        leptos::task::spawn_local(async move {
            match rotate_webhook_secret(id).await {
                Ok(new_secret) => {
                    error.set(None);
                    secret.set(Some(new_secret));
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let delete = move |_| {
        if !crate::ui::confirmed(td_string!(i18n.get_locale(), integrations.delete_confirm)) {
            return;
        }
        leptos::task::spawn_local(async move {
            after(delete_webhook_subscription(id).await, None);
        });
    };
    let events = subscription.events.clone();
    view! {
        <article class="card webhook" data-testid="webhook" data-active=active.to_string()>
            <p><strong class="mono">{subscription.url.clone()}</strong>
                {(!active).then(|| view! { " "<span class="chip" data-testid="webhook-paused">{t!(i18n, integrations.paused)}</span> })}</p>
            {(!subscription.description.is_empty()).then(|| view! { <p>{subscription.description.clone()}</p> })}
            <p class="meta">{move || events.iter().map(|e| event_name(i18n.get_locale(), *e)).collect::<Vec<_>>().join(", ")}</p>
            {move || notice.get().map(|n| view! { <p class="meta" role="status">{move || n(i18n.get_locale())}</p> })}
            <p class="form-actions">
                <button type="button" class="button" data-testid="webhook-test" on:click=test>{t!(i18n, integrations.send_test)}</button>" "
                <button type="button" class="button" data-testid="webhook-toggle" on:click=toggle>
                    {move || if active { t_string!(i18n, integrations.pause) } else { t_string!(i18n, integrations.resume) }}</button>" "
                <button type="button" class="button" data-testid="webhook-rotate" on:click=rotate>{t!(i18n, integrations.rotate)}</button>" "
                <button type="button" class="button" data-testid="webhook-log-toggle" aria-expanded=move || log_open.get().to_string()
                    on:click=move |_| log_open.update(|o| *o = !*o)>{t!(i18n, integrations.log)}</button>" "
                <button type="button" class="button danger" data-testid="webhook-delete" on:click=delete>{t!(i18n, integrations.delete)}</button>
            </p>
            {move || log_open.get().then(|| view! { <DeliveryLog id=id version=log_version/> })}
        </article>
    }
}

/// The newest deliveries of a subscription: what, when, how many attempts, the receiver's
/// last answer, and whether it arrived, was given up or is tried again.
#[component]
fn DeliveryLog(id: i64, version: RwSignal<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let log = Resource::new(move || version.get(), move |_| list_webhook_deliveries(id));
    view! {
        <p><button type="button" class="button" data-testid="webhook-log-refresh" on:click=move |_| version.update(|v| *v += 1)>{t!(i18n, integrations.refresh)}</button></p>
        <Transition fallback=|| ()>
            {move || log.get().map(|r| match r {
                Err(err) => view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, integrations.log_empty)}</p> }.into_any(),
                Ok(list) => view! {
                    <table class="settings-table" data-testid="webhook-log">
                        <thead><tr><th>{t!(i18n, integrations.event)}</th><th>{t!(i18n, integrations.queued)}</th><th>{t!(i18n, integrations.attempts)}</th><th>{t!(i18n, integrations.answer)}</th><th>{t!(i18n, integrations.state)}</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|d| {
                                let event = IntegrationEvent::parse(&d.event);
                                let state = match (d.delivered_at, d.gave_up_at) {
                                    (Some(at), _) => view! { <span data-state="delivered">{t!(i18n, integrations.delivered)}" "<LocalTime ms=at format=date_time/></span> }.into_any(),
                                    (None, Some(at)) => view! { <span data-state="gave_up">{t!(i18n, integrations.gave_up)}" "<LocalTime ms=at format=date_time/></span> }.into_any(),
                                    (None, None) => view! { <span data-state="pending">{t!(i18n, integrations.retrying)}</span> }.into_any(),
                                };
                                let raw = d.event.clone();
                                view! {
                                    <tr>
                                        <td>{move || event.map(|e| event_name(i18n.get_locale(), e).to_owned()).unwrap_or_else(|| raw.clone())}</td>
                                        <td><LocalTime ms=d.created_at format=date_time/></td>
                                        <td>{d.attempts}</td>
                                        <td>{d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}
                                            {d.last_error.map(|e| view! { <span class="meta">" "{e}</span> })}</td>
                                        <td>{state}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Transition>
    }
}
