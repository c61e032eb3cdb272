//! Settings › Conversations: the channels, and who may use each.

use super::{run_change, use_team, ChangeStatus};
use crate::channels::{ChannelKind, ChannelStatus};
use crate::employees::{create_channel, reconnect_channel, set_channel_access, ChannelAccess};
use crate::ids::EmployeeId;
use leptos::prelude::*;

#[component]
pub fn ChannelSettings() -> impl IntoView {
    let (data, team) = use_team();
    let new_name = RwSignal::new(String::new());
    // A new channel starts with every active employee ticked; untick before adding.
    let new_access = RwSignal::new(Vec::<EmployeeId>::new());
    let everyone = move || {
        team.with(|t| {
            t.employees
                .iter()
                .filter(|e| e.active)
                .map(|e| e.id)
                .collect::<Vec<_>>()
        })
    };
    Effect::new(move |_| new_access.set(everyone()));
    let new_kind = RwSignal::new(ChannelKind::Sandbox);
    let new_keys = RwSignal::new(Vec::<(String, String)>::new());
    let human_agent = RwSignal::new(true);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = new_kind.get_untracked();
        let change = create_channel(
            kind,
            new_name.get_untracked(),
            new_keys.get_untracked(),
            human_agent.get_untracked(),
            new_access.get_untracked(),
        );
        run_change(data, "Channel connected.", async move {
            change.await.map(|_| ())
        });
        new_name.set(String::new());
        new_keys.set(Vec::new());
        new_access.set(everyone());
    };
    view! {
        <section class="settings-section">
            <h2>"Channels and who may use them"</h2>
            <p class="meta">"An employee sees a channel's conversations, live events and files only when ticked here."</p>
            <ChangeStatus/>
            <For each=move || team.get().channels key=|c| (c.channel.id, c.employee_ids.clone(), c.channel.status, c.verify_token.clone()) let:access>
                <ChannelCard access=access/>
            </For>
            <form class="card settings-form" on:submit=add data-testid="add-channel">
                <h3>"Connect a channel"</h3>
                <label>"Kind"
                    <select name="kind" on:change=move |ev| {
                        new_kind.set(ChannelKind::parse(&event_target_value(&ev)).unwrap_or(ChannelKind::Sandbox));
                        new_keys.set(Vec::new());
                    }>
                        {ChannelKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || new_kind.get() == k>{kind_title(k)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <p class="meta">{move || kind_help(new_kind.get())}</p>
                <label>"Name employees know it by (the page, account or number)"
                    <input name="name" required maxlength="80" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                </label>
                {move || view! { <CredentialFields kind=new_kind.get() keys=new_keys/> }}
                <Show when=move || matches!(new_kind.get(), ChannelKind::Messenger | ChannelKind::Instagram)>
                    <label class="check">
                        <input type="checkbox" name="human_agent" prop:checked=move || human_agent.get()
                            on:change=move |ev| human_agent.set(event_target_checked(&ev))/>
                        "The Meta app has the Human Agent permission (replies up to 7 days after the lead's last message)"
                    </label>
                </Show>
                <EmployeePicker chosen=new_access/>
                <button class="button primary" type="submit">"Connect channel"</button>
            </form>
        </section>
    }
}

fn kind_title(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Sandbox => "Sandbox (a simulated page for trying Confab)",
        ChannelKind::Messenger => "Facebook Messenger",
        ChannelKind::Instagram => "Instagram",
        ChannelKind::Whatsapp => "WhatsApp (Cloud API)",
        ChannelKind::TwilioSms => "SMS by Twilio",
    }
}

fn kind_help(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Sandbox => "Leads write to it from /sandbox; nothing leaves Confab.",
        ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp => {
            "From your Meta app. After connecting, paste the webhook URL and verify token shown on the channel's card into the app's Webhooks settings."
        }
        ChannelKind::TwilioSms => {
            "From the Twilio console. After connecting, set the number's \"A message comes in\" webhook to the URL shown on the channel's card (HTTP POST)."
        }
    }
}

fn key_label(key: &str) -> &'static str {
    match key {
        "page_id" => "Page ID",
        "account_id" => "Instagram account ID",
        "phone_number_id" => "Phone number ID",
        "app_secret" => "App secret",
        "access_token" => "Access token",
        "verify_token" => "Verify token (leave empty to generate one)",
        "account_sid" => "Account SID",
        "auth_token" => "Auth token",
        "phone_number" => "Twilio phone number (E.164, like +15558675310)",
        "business_account_id" => {
            "WhatsApp business account ID (optional: lists your approved templates)"
        }
        _ => "Value",
    }
}

/// One input per credential of a kind; secrets are password fields and never shown back.
#[component]
fn CredentialFields(kind: ChannelKind, keys: RwSignal<Vec<(String, String)>>) -> impl IntoView {
    let optional = crate::channels::optional_credential_keys(kind);
    crate::channels::credential_keys(kind)
        .iter()
        .chain(optional)
        .map(|key| {
            let key = *key;
            let required = key != "verify_token" && !optional.contains(&key);
            let secret = !crate::channels::is_public_credential(key) && key != "verify_token";
            let set = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                keys.update(|list| {
                    list.retain(|(k, _)| k != key);
                    list.push((key.to_owned(), value));
                });
            };
            view! {
                <label>{key_label(key)}
                    <input name=key type=if secret { "password" } else { "text" } autocomplete="off"
                        required=required maxlength="1024" on:input=set/>
                </label>
            }
        })
        .collect_view()
}

#[component]
fn ChannelCard(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let channel = access.channel.clone();
    let chosen = RwSignal::new(access.employee_ids.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            "Access saved; it applies at once.",
            set_channel_access(channel.id, chosen.get_untracked()),
        );
    };
    let reconnect = (access.channel.kind != ChannelKind::Sandbox)
        .then(|| view! { <Reconnect access=access.clone()/> });
    view! {
        <div class="card channel-card">
        <form class="settings-form" on:submit=save data-channel=access.channel.display_name.clone()>
            <h3>
                <span class=format!("channel-badge channel-{}", access.channel.kind.as_str())>{access.channel.kind.short_label()}</span>
                " "{access.channel.display_name.clone()}
                <span class="meta">" · "{access.channel.kind.label()}</span>
            </h3>
            {match access.channel.status {
                ChannelStatus::Connected => None,
                ChannelStatus::SyncLost => Some(view! {
                    <p class="banner banner-error" role="alert" data-testid="sync-lost">
                        "Sync lost: "{access.channel.status_detail.clone().unwrap_or_default()}
                        " Enter new credentials below to reconnect this channel."
                    </p>
                }.into_any()),
                ChannelStatus::Disconnected => Some(view! { <p class="banner">"Disconnected."</p> }.into_any()),
            }}
            {access.webhook_url.clone().map(|url| view! {
                <dl class="channel-facts">
                    <dt>"Webhook URL"</dt><dd><code data-testid="webhook-url">{url}</code></dd>
                    {access.verify_token.clone().map(|t| view! { <dt>"Verify token"</dt><dd><code data-testid="verify-token">{t}</code></dd> })}
                    {access.external_id.clone().map(|t| view! { <dt>"Provider ID"</dt><dd><code>{t}</code></dd> })}
                </dl>
            })}
            <EmployeePicker chosen=chosen/>
            <button class="button primary" type="submit">"Save access"</button>
        </form>
        {reconnect}
        </div>
    }
}

/// New credentials for a provider channel (after sync lost or a rotated token).
#[component]
fn Reconnect(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let keys = RwSignal::new(Vec::<(String, String)>::new());
    let open = RwSignal::new(access.channel.status == ChannelStatus::SyncLost);
    let id = access.channel.id;
    let kind = access.channel.kind;
    let human_agent = access.channel.human_agent;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            "Channel reconnected.",
            reconnect_channel(id, keys.get_untracked(), human_agent),
        );
    };
    view! {
        <details class="reconnect" prop:open=move || open.get()>
            <summary>"Reconnect with new credentials"</summary>
            <form class="settings-form" on:submit=save>
                <CredentialFields kind=kind keys=keys/>
                <button class="button" type="submit">"Reconnect"</button>
            </form>
        </details>
    }
}

/// Ticks for the active employees: who may use a channel.
#[component]
fn EmployeePicker(chosen: RwSignal<Vec<EmployeeId>>) -> impl IntoView {
    let (_, team) = use_team();
    view! {
        <fieldset>
            <legend>"Who may use it"</legend>
            {move || team.get().employees.into_iter().filter(|e| e.active).map(|e| {
                let id = e.id;
                view! {
                    <label class="check">
                        <input type="checkbox" name=e.email.clone() prop:checked=move || chosen.with(|l| l.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|l| { l.retain(|x| *x != id); if on { l.push(id) } });
                            }/>
                        {e.name}" "<span class="meta">{e.email}</span>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}
