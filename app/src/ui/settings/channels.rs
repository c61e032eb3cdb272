//! Settings › Conversations: the channels, and who may use each.

use super::{run_change, use_team, ChangeStatus};
use crate::channels::{ChannelKind, ChannelStatus};
use crate::employees::{create_channel, reconnect_channel, set_channel_access, ChannelAccess};
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::ids::EmployeeId;
use crate::practice::{add_practice_channel, expire_practice_token, renew_practice_token};
use crate::sandbox::set_sandbox_enabled;
use leptos::prelude::*;

#[component]
pub fn ChannelSettings() -> impl IntoView {
    let (data, team) = use_team();
    let i18n = use_i18n();
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
        run_change(
            data,
            |l| td_string!(l, settings.channel_connected),
            async move { change.await.map(|_| ()) },
        );
        new_name.set(String::new());
        new_keys.set(Vec::new());
        new_access.set(everyone());
    };
    view! {
        <section class="settings-section">
            <h2>{t!(i18n, settings.channels_heading)}</h2>
            <p class="meta">{t!(i18n, settings.channels_intro)}</p>
            <ChangeStatus/>
            <For each=move || team.get().channels key=|c| (c.channel.id, c.employee_ids.clone(), c.channel.status, c.verify_token.clone()) let:access>
                <ChannelCard access=access/>
            </For>
            <AddPracticeChannel/>
            <form class="card settings-form" on:submit=add data-testid="add-channel">
                <h3>{t!(i18n, settings.connect_heading)}</h3>
                <label>{t!(i18n, settings.kind)}
                    <select name="kind" on:change=move |ev| {
                        new_kind.set(ChannelKind::parse(&event_target_value(&ev)).unwrap_or(ChannelKind::Sandbox));
                        new_keys.set(Vec::new());
                    }>
                        {ChannelKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || new_kind.get() == k>{move || kind_title(i18n.get_locale(), k)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <p class="meta">{move || kind_help(i18n.get_locale(), new_kind.get())}</p>
                <label>{t!(i18n, settings.channel_name)}
                    <input name="name" required maxlength="80" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                </label>
                {move || view! { <CredentialFields kind=new_kind.get() keys=new_keys/> }}
                <Show when=move || matches!(new_kind.get(), ChannelKind::Messenger | ChannelKind::Instagram)>
                    <label class="check">
                        <input type="checkbox" name="human_agent" prop:checked=move || human_agent.get()
                            on:change=move |ev| human_agent.set(event_target_checked(&ev))/>
                        {t!(i18n, settings.human_agent)}
                    </label>
                </Show>
                <EmployeePicker chosen=new_access/>
                <button class="button primary" type="submit">{t!(i18n, settings.connect_channel)}</button>
            </form>
        </section>
    }
}

/// A kind of channel in the "Kind" picker.
fn kind_title(locale: Locale, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Sandbox => td_string!(locale, settings.kind_title_sandbox),
        ChannelKind::Messenger => td_string!(locale, settings.kind_title_messenger),
        ChannelKind::Instagram => td_string!(locale, settings.kind_title_instagram),
        ChannelKind::Whatsapp => td_string!(locale, settings.kind_title_whatsapp),
        ChannelKind::TwilioSms => td_string!(locale, settings.kind_title_twilio_sms),
    }
}

/// The name employees know a kind of channel by (on the channel's card).
fn kind_label(locale: Locale, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Sandbox => td_string!(locale, settings.kind_sandbox),
        ChannelKind::Messenger => td_string!(locale, settings.kind_messenger),
        ChannelKind::Instagram => td_string!(locale, settings.kind_instagram),
        ChannelKind::Whatsapp => td_string!(locale, settings.kind_whatsapp),
        ChannelKind::TwilioSms => td_string!(locale, settings.kind_twilio_sms),
    }
}

fn kind_help(locale: Locale, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Sandbox => td_string!(locale, settings.kind_help_sandbox),
        ChannelKind::Messenger | ChannelKind::Instagram | ChannelKind::Whatsapp => {
            td_string!(locale, settings.kind_help_meta)
        }
        ChannelKind::TwilioSms => td_string!(locale, settings.kind_help_twilio_sms),
    }
}

fn key_label(locale: Locale, key: &str) -> &'static str {
    match key {
        "page_id" => td_string!(locale, settings.key_page_id),
        "account_id" => td_string!(locale, settings.key_account_id),
        "phone_number_id" => td_string!(locale, settings.key_phone_number_id),
        "app_secret" => td_string!(locale, settings.key_app_secret),
        "access_token" => td_string!(locale, settings.key_access_token),
        "verify_token" => td_string!(locale, settings.key_verify_token),
        "account_sid" => td_string!(locale, settings.key_account_sid),
        "auth_token" => td_string!(locale, settings.key_auth_token),
        "phone_number" => td_string!(locale, settings.key_phone_number),
        "business_account_id" => td_string!(locale, settings.key_business_account_id),
        "login" => td_string!(locale, settings.key_login),
        _ => td_string!(locale, settings.key_value),
    }
}

/// One input per credential of a kind; secrets are password fields and never shown back.
#[component]
fn CredentialFields(
    kind: ChannelKind,
    keys: RwSignal<Vec<(String, String)>>,
    /// Reconnecting: a field left empty keeps what is stored, so none is required.
    #[prop(optional)]
    keep: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let optional = crate::channels::optional_credential_keys(kind);
    crate::channels::credential_keys(kind)
        .iter()
        .chain(optional)
        .map(|key| {
            let key = *key;
            let required = !keep && key != "verify_token" && !optional.contains(&key);
            let secret = !crate::channels::is_public_credential(key) && key != "verify_token";
            let set = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                keys.update(|list| {
                    list.retain(|(k, _)| k != key);
                    list.push((key.to_owned(), value));
                });
            };
            if key == "login" {
                // Instagram: which of Meta's two documented ways the account sends by.
                // Left alone it is Instagram Login (the default the server assumes).
                return view! {
                    <label>{move || key_label(i18n.get_locale(), key)}
                        <select name=key data-testid="instagram-login" on:change=set>
                            <option value="instagram" selected>{move || td_string!(i18n.get_locale(), settings.login_instagram)}</option>
                            <option value="facebook">{move || td_string!(i18n.get_locale(), settings.login_facebook)}</option>
                        </select>
                    </label>
                }
                .into_any();
            }
            let label = move || match (kind, key) {
                (ChannelKind::Instagram, "page_id") => {
                    td_string!(i18n.get_locale(), settings.key_instagram_page_id)
                }
                _ => key_label(i18n.get_locale(), key),
            };
            view! {
                <label>{label}
                    <input name=key type=if secret { "password" } else { "text" } autocomplete="off"
                        required=required maxlength="1024" on:input=set/>
                </label>
            }
            .into_any()
        })
        .collect_view()
}

#[component]
fn ChannelCard(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let channel = access.channel.clone();
    let chosen = RwSignal::new(access.employee_ids.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            |l| td_string!(l, settings.access_saved),
            set_channel_access(channel.id, chosen.get_untracked()),
        );
    };
    let kind = access.channel.kind;
    let reconnect = if access.channel.kind == ChannelKind::Sandbox {
        view! { <SandboxSwitch access=access.clone()/> }.into_any()
    } else if access.channel.simulated {
        view! { <PracticeControls access=access.clone()/> }.into_any()
    } else {
        view! { <Reconnect access=access.clone()/> }.into_any()
    };
    view! {
        // The composer's "Open the channel's settings" lands here.
        <div class="card channel-card" id=format!("channel-{}", access.channel.id)>
        <form class="settings-form" on:submit=save data-channel=access.channel.display_name.clone()>
            <h3>
                <span class=format!("channel-badge channel-{}", access.channel.kind.as_str())>{access.channel.kind.short_label()}</span>
                " "{access.channel.display_name.clone()}
                <span class="meta">" · "{move || kind_label(i18n.get_locale(), kind)}</span>
                {access.channel.simulated.then(|| view! { " "<span class="practice-tag">{t!(i18n, sandbox.practice_tag)}</span> })}
            </h3>
            {match access.channel.status {
                ChannelStatus::Connected => None,
                ChannelStatus::SyncLost => {
                    let detail = access.channel.status_detail.clone().unwrap_or_default();
                    Some(view! {
                        <p class="banner banner-error" role="alert" data-testid="sync-lost">
                            {t!(i18n, settings.sync_lost, detail = move || detail.clone())}
                        </p>
                    }.into_any())
                }
                ChannelStatus::Disconnected => Some(view! { <p class="banner">{t!(i18n, settings.disconnected)}</p> }.into_any()),
            }}
            {access.webhook_url.clone().map(|url| view! {
                <dl class="channel-facts">
                    <dt>{t!(i18n, settings.webhook_url)}</dt><dd><code data-testid="webhook-url">{url}</code></dd>
                    {access.app_webhook_url.clone().map(|u| view! {
                        <dt>{t!(i18n, settings.app_webhook_url)}</dt>
                        <dd><code data-testid="app-webhook-url">{u}</code><br/><span class="meta">{t!(i18n, settings.app_webhook_hint)}</span></dd>
                    })}
                    {access.verify_token.clone().map(|t| view! { <dt>{t!(i18n, settings.verify_token)}</dt><dd><code data-testid="verify-token">{t}</code></dd> })}
                    {access.external_id.clone().map(|t| view! { <dt>{t!(i18n, settings.provider_id)}</dt><dd><code>{t}</code></dd> })}
                </dl>
            })}
            <EmployeePicker chosen=chosen/>
            <button class="button primary" type="submit">{t!(i18n, settings.save_access)}</button>
        </form>
        <AutoAssignSwitch access=access.clone()/>
        {reconnect}
        </div>
    }
}

/// Whether the channel's new conversations go to its signed-in employees in turn.
#[component]
fn AutoAssignSwitch(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let channel = access.channel.id;
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let done: super::Sentence = if on {
            |l| td_string!(l, settings.auto_assign_on)
        } else {
            |l| td_string!(l, settings.auto_assign_off)
        };
        run_change(
            data,
            done,
            crate::conversations::assign::set_channel_auto_assign(channel, on),
        );
    };
    view! {
        <div class="settings-form">
            <label class="check">
                <input type="checkbox" data-testid="auto-assign" prop:checked=access.auto_assign on:change=toggle/>
                {t!(i18n, settings.auto_assign)}
            </label>
            <p class="meta">{t!(i18n, settings.auto_assign_hint)}</p>
        </div>
    }
}

/// New credentials for a provider channel (after sync lost or a rotated token).
#[component]
fn Reconnect(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let keys = RwSignal::new(Vec::<(String, String)>::new());
    let open = RwSignal::new(access.channel.status == ChannelStatus::SyncLost);
    let id = access.channel.id;
    let kind = access.channel.kind;
    let human_agent = access.channel.human_agent;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_change(
            data,
            |l| td_string!(l, settings.channel_reconnected),
            reconnect_channel(id, keys.get_untracked(), human_agent),
        );
    };
    view! {
        <details class="reconnect" prop:open=move || open.get()>
            <summary>{t!(i18n, settings.reconnect_summary)}</summary>
            <form class="settings-form" on:submit=save>
                <p class="meta">{t!(i18n, settings.reconnect_keep_hint)}</p>
                <CredentialFields kind=kind keys=keys keep=true/>
                <button class="button" type="submit">{t!(i18n, settings.reconnect)}</button>
            </form>
        </details>
    }
}

/// Adds a practice channel (connected to Confab's simulator): to try a provider's ways, or
/// to train a new employee, without an account at the provider.
#[component]
fn AddPracticeChannel() -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let kind = RwSignal::new(ChannelKind::Messenger);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = add_practice_channel(kind.get_untracked());
        run_change(
            data,
            |l| td_string!(l, settings.practice_added),
            async move { change.await.map(|_| ()) },
        );
    };
    view! {
        <form class="card settings-form" id="practice" on:submit=add data-testid="add-practice-channel">
            <h3>{t!(i18n, settings.practice_heading)}</h3>
            <p class="meta">{t!(i18n, settings.practice_intro)}</p>
            <label>{t!(i18n, settings.kind)}
                <select name="practice-kind" on:change=move |ev| {
                    kind.set(ChannelKind::parse(&event_target_value(&ev)).unwrap_or(ChannelKind::Messenger));
                }>
                    {crate::practice::PRACTICE_KINDS.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.get() == k>{move || kind_label(i18n.get_locale(), k)}</option>
                    }).collect_view()}
                </select>
            </label>
            <button class="button" type="submit">{t!(i18n, settings.practice_add)}</button>
        </form>
    }
}

/// A practice channel's own controls: make its token expire (the channel then shows
/// "sync lost", as a real one does), and reconnect it with a new token from the simulator.
#[component]
fn PracticeControls(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let id = access.channel.id;
    let lost = access.channel.status == ChannelStatus::SyncLost;
    let expire = move |_| {
        run_change(
            data,
            |l| td_string!(l, settings.practice_token_expired),
            expire_practice_token(id),
        );
    };
    let renew = move |_| {
        run_change(
            data,
            |l| td_string!(l, settings.channel_reconnected),
            renew_practice_token(id),
        );
    };
    view! {
        <div class="settings-form practice-controls">
            <p class="meta">{t!(i18n, settings.practice_card_help)}</p>
            {if lost {
                view! { <button class="button primary" type="button" data-testid="practice-renew" on:click=renew>{t!(i18n, settings.practice_renew)}</button> }.into_any()
            } else {
                view! { <button class="button" type="button" data-testid="practice-expire" on:click=expire>{t!(i18n, settings.practice_expire)}</button> }.into_any()
            }}
        </div>
    }
}

/// Turns a sandbox channel on or off: off, `/sandbox` and its webhook refuse everyone.
#[component]
fn SandboxSwitch(access: ChannelAccess) -> impl IntoView {
    let (data, _) = use_team();
    let i18n = use_i18n();
    let id = access.channel.id;
    let on = access.channel.status != ChannelStatus::Disconnected;
    let switch = move |_| {
        let done: super::Sentence = if on {
            |l| td_string!(l, sandbox.switched_off)
        } else {
            |l| td_string!(l, sandbox.switched_on)
        };
        run_change(data, done, set_sandbox_enabled(id, !on));
    };
    view! {
        <div class="settings-form sandbox-switch">
            <p class="meta">{move || if on { t!(i18n, sandbox.switch_help_on).into_any() } else { t!(i18n, sandbox.switch_help_off).into_any() }}</p>
            <button class="button" type="button" data-testid="sandbox-switch" on:click=switch>
                {move || if on { t!(i18n, sandbox.switch_off).into_any() } else { t!(i18n, sandbox.switch_on).into_any() }}
            </button>
        </div>
    }
}

/// Ticks for the active employees: who may use a channel.
#[component]
fn EmployeePicker(chosen: RwSignal<Vec<EmployeeId>>) -> impl IntoView {
    let (_, team) = use_team();
    let i18n = use_i18n();
    view! {
        <fieldset>
            <legend>{t!(i18n, settings.who_may_use)}</legend>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_credential_has_a_label() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind_label(Locale::en, kind), kind.label());
            let keys = crate::channels::credential_keys(kind)
                .iter()
                .chain(crate::channels::optional_credential_keys(kind));
            for key in keys {
                for locale in crate::locale::LOCALES {
                    assert_ne!(
                        key_label(locale, key),
                        key_label(locale, "unknown"),
                        "{key} has no label"
                    );
                }
            }
        }
    }
}
