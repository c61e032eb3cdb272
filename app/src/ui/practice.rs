//! `/sandbox` on a practice channel: the lead's phone as the provider's app shows it. What
//! the lead writes goes to `POST /sandbox/practice/{channel}`, where the simulator turns it
//! into the provider's signed webhook; the business's replies arrive as the simulator's
//! copy of the provider's API received them. The lead can read them (a read receipt where
//! the provider has one), move their clock forward (the windows close) and, on SMS, turn
//! their phone off (deliveries fail).

use crate::channels::ChannelKind;
#[cfg(feature = "hydrate")]
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
#[cfg(feature = "hydrate")]
use crate::ids::ChannelId;
use crate::locale::{error_text, fill};
use crate::practice::{
    practice_thread, PracticeAction, PracticeMessage, PracticePhone, PracticeStatus,
};
use crate::sandbox::SandboxChannel;
use crate::ui::text::MessageText;
use crate::ui::time::{clock, LocalTime};
use leptos::prelude::*;

/// How the provider's app and rules look to the lead, per kind.
fn kind_rules(locale: Locale, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Messenger => td_string!(locale, sandbox.rules_messenger),
        ChannelKind::Instagram => td_string!(locale, sandbox.rules_instagram),
        ChannelKind::Whatsapp => td_string!(locale, sandbox.rules_whatsapp),
        ChannelKind::TwilioSms => td_string!(locale, sandbox.rules_twilio_sms),
        ChannelKind::Sandbox => "",
    }
}

/// The mark under a message the lead wrote: sent, or seen by the business.
fn own_mark(locale: Locale, kind: ChannelKind, status: PracticeStatus) -> Option<&'static str> {
    match (kind, status) {
        // SMS tells the sender nothing after sending.
        (ChannelKind::TwilioSms, _) => None,
        (_, PracticeStatus::Read) => Some(td_string!(locale, sandbox.mark_seen)),
        _ => Some(td_string!(locale, sandbox.mark_sent)),
    }
}

/// The steps "It is now … later" offers, in hours.
const LATER_STEPS: [u32; 3] = [1, 25, 24 * 8];

fn later_label(locale: Locale, hours: u32) -> String {
    if hours.is_multiple_of(24) {
        fill(
            td_string!(locale, sandbox.later_days),
            &[("days", &(hours / 24).to_string())],
        )
    } else {
        fill(
            td_string!(locale, sandbox.later_hours),
            &[("hours", &hours.to_string())],
        )
    }
}

#[component]
pub fn PracticeChat(channel: SandboxChannel) -> impl IntoView {
    let i18n = use_i18n();
    let channel_id = channel.id;
    let kind = channel.kind;
    let ready = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let thread = RwSignal::new(None::<PracticePhone>);
    let busy = RwSignal::new(false);
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match practice_thread(channel_id).await {
                Ok(t) => thread.set(Some(t)),
                Err(err) => error.set(Some(error_text(i18n.get_locale_untracked(), &err))),
            }
        });
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match crate::sandbox::sandbox_lead(false).await {
                Ok(lead) => {
                    let known = super::sandbox::stored(super::sandbox::LEAD_KEY).as_deref()
                        == Some(lead.as_str());
                    name.set(
                        super::sandbox::stored(super::sandbox::NAME_KEY)
                            .filter(|_| known)
                            .unwrap_or_else(|| {
                                super::sandbox::default_name(i18n.get_locale_untracked(), &lead)
                            }),
                    );
                    username.set(format!("lead_{}", lead.get(5..9).unwrap_or("0000")));
                    super::sandbox::store(super::sandbox::LEAD_KEY, &lead);
                    ready.set(true);
                    refresh();
                    super::sandbox::follow(channel_id, refresh);
                }
                Err(err) => error.set(Some(error_text(i18n.get_locale_untracked(), &err))),
            }
        });
    });
    #[cfg(feature = "hydrate")]
    let post = move |action: PracticeAction, on_done: Option<Box<dyn FnOnce(bool) + 'static>>| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = post_action(channel_id, &action).await;
            busy.set(false);
            let ok = outcome.is_ok();
            match outcome {
                Ok(()) => {
                    error.set(None);
                    refresh();
                }
                Err(message) => error.set(Some(message)),
            }
            if let Some(done) = on_done {
                done(ok);
            }
        });
    };
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let act = move |action: PracticeAction, on_done: Option<Box<dyn FnOnce(bool) + 'static>>| {
        if let Err(err) = action.validate(i18n.get_locale_untracked()) {
            error.set(Some(error_text(i18n.get_locale_untracked(), &err)));
            if let Some(done) = on_done {
                done(false);
            }
        } else {
            #[cfg(feature = "hydrate")]
            post(action, on_done);
        }
    };
    let send = move || {
        // Until the server has made this browser a lead (its cookie), nothing can go.
        if !ready.get_untracked() {
            return;
        }
        let sent = text.get_untracked();
        let action = PracticeAction::Message {
            name: name.get_untracked().trim().to_owned(),
            username: (kind == ChannelKind::Instagram)
                .then(|| username.get_untracked().trim().to_owned()),
            message_id: super::sandbox::random_token("msg-"),
            text: sent.clone(),
        };
        #[cfg(feature = "hydrate")]
        super::sandbox::store(super::sandbox::NAME_KEY, name.get_untracked().trim());
        text.set(String::new());
        act(
            action,
            Some(Box::new(move |ok| {
                if !ok {
                    text.set(sent);
                }
            })),
        );
    };
    let unread = move || {
        thread.with(|t| {
            t.as_ref().is_some_and(|t| {
                t.messages.iter().any(|m| {
                    !m.from_lead
                        && matches!(m.status, PracticeStatus::Sent | PracticeStatus::Delivered)
                })
            })
        })
    };
    let has_written = move || {
        thread.with(|t| {
            t.as_ref()
                .is_some_and(|t| t.messages.iter().any(|m| m.from_lead))
        })
    };
    let phone_off = move || thread.with(|t| t.as_ref().is_some_and(|t| t.phone_off));
    let address =
        move || thread.with(|t| t.as_ref().map(|t| t.address.clone()).unwrap_or_default());
    view! {
        <section class=format!("lead-chat practice-chat card practice-{}", kind.as_str()) data-testid="practice-chat" data-kind=kind.as_str()>
            <div class="lead-identity">
                <span class=format!("channel-badge channel-{}", kind.as_str())>{kind.short_label()}</span>
                <strong>{kind.label()}</strong>
                <span class="practice-tag">{t!(i18n, sandbox.practice_tag)}</span>
                <span class="meta" data-testid="lead-address">{address}</span>
                <p class="meta practice-rules">{move || kind_rules(i18n.get_locale(), kind)}</p>
                <label for="lead-name">{t!(i18n, sandbox.your_name)}</label>
                <input id="lead-name" maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <Show when=move || kind == ChannelKind::Instagram>
                    <label for="lead-username">{t!(i18n, sandbox.your_username)}</label>
                    <input id="lead-username" maxlength="30" prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
                </Show>
            </div>
            <div class="practice-controls" role="group" aria-label=move || t_string!(i18n, sandbox.simulator_controls)>
                <button class="button" type="button" data-testid="lead-read" disabled=move || !unread() || busy.get()
                    on:click=move |_| act(PracticeAction::Read, None)>{t!(i18n, sandbox.read_now)}</button>
                <span class="meta">{t!(i18n, sandbox.later_intro)}</span>
                {LATER_STEPS.into_iter().map(|hours| view! {
                    <button class="button" type="button" data-testid=format!("later-{hours}") disabled=move || !has_written() || busy.get()
                        on:click=move |_| act(PracticeAction::Later { hours }, None)>{move || later_label(i18n.get_locale(), hours)}</button>
                }).collect_view()}
                <Show when=move || kind == ChannelKind::TwilioSms>
                    <label class="check">
                        <input type="checkbox" data-testid="phone-off" prop:checked=phone_off disabled=move || !has_written() || busy.get()
                            on:change=move |ev| act(PracticeAction::PhoneOff { off: event_target_checked(&ev) }, None)/>
                        {t!(i18n, sandbox.phone_off)}
                    </label>
                </Show>
            </div>
            <div class="thread lead-thread" data-testid="lead-thread">
                {move || thread.with(|t| t.as_ref().is_none_or(|t| t.messages.is_empty())).then(|| view! { <p class="list-empty">{t!(i18n, sandbox.empty)}</p> })}
                <For each=move || visible(thread.get()) key=|m| (m.provider_id.clone(), m.status, m.sent_at) let:m>
                    {practice_bubble(i18n.get_locale_untracked(), kind, m)}
                </For>
            </div>
            <super::sandbox::LeadComposer text=text send=send disabled=Signal::derive(move || !ready.get() || busy.get())>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </super::sandbox::LeadComposer>
        </section>
    }
}

/// What the lead's phone shows: everything the lead wrote, and what reached them (a
/// message the provider refused never arrives).
fn visible(thread: Option<PracticePhone>) -> Vec<PracticeMessage> {
    thread
        .map(|t| t.messages)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.from_lead || m.status != PracticeStatus::Failed)
        .collect()
}

fn practice_bubble(locale: Locale, kind: ChannelKind, m: PracticeMessage) -> impl IntoView {
    let mark = m
        .from_lead
        .then(|| own_mark(locale, kind, m.status))
        .flatten();
    view! {
        <div class="bubble-row group-first group-last" class:outbound=m.from_lead class:inbound=!m.from_lead
            data-from-lead=m.from_lead.to_string() data-status=m.status.as_str()>
            <div class="bubble">
                {m.file_url.clone().map(|url| view! {
                    <a class="attachment attachment-file" href=url target="_blank" rel="noopener" data-testid="lead-file-link">"📎 "{td_string!(locale, sandbox.file)}</a>
                })}
                {(!m.body.is_empty()).then(|| view! { <MessageText body=m.body.clone()/> })}
            </div>
            <div class="bubble-meta">
                <LocalTime ms=m.sent_at format=clock/>
                {mark.map(|mark| view! { <span class="practice-mark">" · "{mark}</span> })}
            </div>
        </div>
    }
}

/// Posts the lead's action; the error is the server's sentence when it gave one.
#[cfg(feature = "hydrate")]
async fn post_action(channel: ChannelId, action: &PracticeAction) -> Result<(), String> {
    let response = gloo_net::http::Request::post(&format!("/sandbox/practice/{channel}"))
        .json(action)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| AppError::Network(e.to_string()).to_string())?;
    if response.ok() {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        message: String,
    }
    Err(response
        .json::<Refusal>()
        .await
        .map(|r| r.message)
        .unwrap_or_else(|_| format!("HTTP {}", response.status())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_practice_kind_explains_its_rules_in_both_languages() {
        for kind in crate::practice::PRACTICE_KINDS {
            let (en, pt) = (
                kind_rules(Locale::en, kind),
                kind_rules(Locale::pt_BR, kind),
            );
            assert!(!en.is_empty() && !pt.is_empty() && en != pt, "{kind:?}");
        }
        assert_eq!(later_label(Locale::en, 24 * 8), "+8 days");
        assert_eq!(later_label(Locale::en, 25), "+25 h");
        assert_eq!(
            own_mark(Locale::en, ChannelKind::TwilioSms, PracticeStatus::Read),
            None
        );
        assert_eq!(
            own_mark(Locale::en, ChannelKind::Whatsapp, PracticeStatus::Read),
            Some("Seen")
        );
    }
}
