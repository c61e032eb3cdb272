//! The first hour's guide at the top of the conversation list (`crate::onboarding`): three
//! steps, each a link, ticked when done; gone once a real channel is connected, or when
//! hidden in this browser.

use crate::i18n::{t, t_string, use_i18n};
use crate::onboarding::first_hour;
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
const HIDDEN_KEY: &str = "confab.first_hour.hidden";

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

#[component]
pub fn FirstHourGuide() -> impl IntoView {
    let i18n = use_i18n();
    // Loaded in the browser only: whether it shows depends on this browser's choice too,
    // and the server and the hydrating browser both render nothing first.
    let steps = LocalResource::new(first_hour);
    let hidden = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let stored = storage().and_then(|s| s.get_item(HIDDEN_KEY).ok().flatten());
        hidden.set(stored.is_some());
    });
    let hide = move |_| {
        hidden.set(true);
        #[cfg(feature = "hydrate")]
        if let Some(s) = storage() {
            let _ = s.set_item(HIDDEN_KEY, "1");
        }
    };
    let step = move |done: bool, href: &'static str, label: AnyView, testid: &'static str| {
        view! {
            <li class:done=done data-testid=testid>
                <span class="first-hour-tick" aria-hidden="true">{if done { "✓" } else { "○" }}</span>
                <a href=href>{label}</a>
                {done.then(|| view! { <span class="visually-hidden">{t!(i18n, inbox.first_hour_done)}</span> })}
            </li>
        }
    };
    move || {
        let state = steps.get().and_then(|r| r.ok()).flatten();
        state.filter(|_| !hidden.get()).map(|state| {
            view! {
                <section class="first-hour" data-testid="first-hour" aria-labelledby="first-hour-heading">
                    <div class="first-hour-top">
                        <h2 id="first-hour-heading">{t!(i18n, inbox.first_hour_heading)}</h2>
                        <button class="icon-button" type="button" on:click=hide
                            aria-label=move || t_string!(i18n, inbox.first_hour_hide) title=move || t_string!(i18n, inbox.first_hour_hide)>"×"</button>
                    </div>
                    <ol>
                        {if state.practice_channels {
                            step(state.practice_tried, "/sandbox", t!(i18n, inbox.first_hour_practice).into_any(), "first-hour-practice").into_any()
                        } else {
                            step(false, "/settings/conversations#practice", t!(i18n, inbox.first_hour_add_practice).into_any(), "first-hour-practice").into_any()
                        }}
                        {step(false, "/settings/conversations", t!(i18n, inbox.first_hour_connect).into_any(), "first-hour-connect")}
                        {step(state.team_invited, "/settings/employees", t!(i18n, inbox.first_hour_team).into_any(), "first-hour-team")}
                    </ol>
                </section>
            }
        })
    }
}
