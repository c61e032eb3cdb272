//! Settings › Employees, Roles and Conversations (channel access). Only for roles with the
//! `settings` permission; the server functions check it again.

use crate::employees::{settings_team, Team};
use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::locale::error_text;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

mod channels;
mod employees;
mod integrations;
mod roles;
mod saved_replies;
mod tokens;

pub use channels::ChannelSettings;
pub use employees::EmployeeSettings;
pub use integrations::IntegrationSettings;
pub use roles::RoleSettings;
pub use saved_replies::SavedReplySettings;

/// A sentence in the employee's language (a translation key).
pub type Sentence = fn(Locale) -> &'static str;

/// The outcome of the last settings change, worded when shown (so it follows the language).
#[derive(Clone)]
pub enum ChangeOutcome {
    Done(Sentence),
    Refused(Sentence),
    Failed(AppError),
}

/// The team data shared by the settings pages, and a way to reload it after a change.
#[derive(Clone, Copy)]
pub struct TeamData {
    pub team: Resource<Result<Team, AppError>>,
    pub reload: RwSignal<u64>,
    /// The outcome of the last change. It lives here, above the pages, because a reload
    /// re-creates the pages and would forget it.
    pub status: RwSignal<Option<ChangeOutcome>>,
}

impl TeamData {
    pub fn refresh(&self) {
        self.reload.update(|v| *v += 1);
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let reload = RwSignal::new(0u64);
    let team = Resource::new(move || reload.get(), |_| settings_team());
    let status = RwSignal::new(None);
    provide_context(TeamData {
        team,
        reload,
        status,
    });
    let location = use_location();
    let i18n = use_i18n();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            status.set(None);
        }
        path
    });
    let tab = move |path: &'static str, label: Sentence| {
        let active = move || location.pathname.get() == path;
        view! { <a href=path class:active=active aria-current=move || active().then_some("page")>{move || label(i18n.get_locale())}</a> }
    };
    view! {
        <Title text=move || t_string!(i18n, settings.page_title)/>
        <div class="settings">
            <header class="settings-header">
                <h1>{t!(i18n, settings.heading)}</h1>
                <nav class="tabs" aria-label=move || t_string!(i18n, settings.heading)>
                    {tab("/settings/employees", |l| td_string!(l, settings.tab_employees))}
                    {tab("/settings/roles", |l| td_string!(l, settings.tab_roles))}
                    {tab("/settings/conversations", |l| td_string!(l, settings.tab_conversations))}
                    {tab("/settings/replies", |l| td_string!(l, settings.tab_saved_replies))}
                    {tab("/settings/integrations", |l| td_string!(l, settings.tab_integrations))}
                </nav>
            </header>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, settings.loading)}</p> }>
                {move || team.get().map(|result| match result {
                    Err(AppError::Forbidden) => view! {
                        <p class="banner banner-error" role="alert">{t!(i18n, settings.forbidden)}</p>
                    }.into_any(),
                    Err(err) => view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(_) => view! { <Outlet/> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// The loaded team (inside `SettingsPage`'s Transition it is always there).
pub fn use_team() -> (TeamData, Signal<Team>) {
    let data = expect_context::<TeamData>();
    let team = Signal::derive(move || {
        data.team.get().and_then(Result::ok).unwrap_or(Team {
            employees: vec![],
            roles: vec![],
            channels: vec![],
        })
    });
    (data, team)
}

/// Runs a settings change and reports its outcome in `status`.
pub fn run_change<F>(data: TeamData, done: Sentence, change: F)
where
    F: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    leptos::task::spawn_local(async move {
        match change.await {
            Ok(()) => {
                data.status.set(Some(ChangeOutcome::Done(done)));
                data.refresh();
            }
            Err(err) => data.status.set(Some(ChangeOutcome::Failed(err))),
        }
    });
}

#[component]
pub fn ChangeStatus() -> impl IntoView {
    let status = expect_context::<TeamData>().status;
    let i18n = use_i18n();
    move || {
        let locale = i18n.get_locale();
        status.get().map(|s| match s {
            ChangeOutcome::Done(msg) => {
                view! { <p class="banner banner-ok" role="status">{msg(locale)}</p> }.into_any()
            }
            ChangeOutcome::Refused(msg) => {
                view! { <p class="banner banner-error" role="alert">{msg(locale)}</p> }.into_any()
            }
            ChangeOutcome::Failed(err) => {
                view! { <p class="banner banner-error" role="alert">{error_text(locale, &err)}</p> }
                    .into_any()
            }
        })
    }
}
