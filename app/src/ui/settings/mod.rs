//! Settings › Employees, Roles and Conversations (channel access). Only for roles with the
//! `settings` permission; the server functions check it again.

use crate::employees::{settings_team, Team};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

mod channels;
mod employees;
mod roles;

pub use channels::ChannelSettings;
pub use employees::EmployeeSettings;
pub use roles::RoleSettings;

/// The team data shared by the settings pages, and a way to reload it after a change.
#[derive(Clone, Copy)]
pub struct TeamData {
    pub team: Resource<Result<Team, AppError>>,
    pub reload: RwSignal<u64>,
    /// The outcome of the last change. It lives here, above the pages, because a reload
    /// re-creates the pages and would forget it.
    pub status: RwSignal<Option<Result<String, String>>>,
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
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            status.set(None);
        }
        path
    });
    let tab = move |path: &'static str, label: &'static str| {
        let active = move || location.pathname.get() == path;
        view! { <a href=path class:active=active aria-current=move || active().then_some("page")>{label}</a> }
    };
    view! {
        <Title text="Settings · Confab"/>
        <div class="settings">
            <header class="settings-header">
                <h1>"Settings"</h1>
                <nav class="tabs" aria-label="Settings">
                    {tab("/settings/employees", "Employees")}
                    {tab("/settings/roles", "Roles")}
                    {tab("/settings/conversations", "Conversations")}
                </nav>
            </header>
            <Transition fallback=|| view! { <p class="list-empty">"Loading…"</p> }>
                {move || team.get().map(|result| match result {
                    Err(AppError::Forbidden) => view! {
                        <p class="banner banner-error" role="alert">"Settings are for owners and managers. Ask an owner if you need something changed."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="banner banner-error" role="alert">{err.to_string()}</p> }.into_any(),
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
pub fn run_change<F>(data: TeamData, done: &'static str, change: F)
where
    F: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    leptos::task::spawn_local(async move {
        match change.await {
            Ok(()) => {
                data.status.set(Some(Ok(done.to_owned())));
                data.refresh();
            }
            Err(err) => data.status.set(Some(Err(err.to_string()))),
        }
    });
}

#[component]
pub fn ChangeStatus() -> impl IntoView {
    let status = expect_context::<TeamData>().status;
    move || {
        status.get().map(|s| match s {
            Ok(msg) => view! { <p class="banner banner-ok" role="status">{msg}</p> }.into_any(),
            Err(msg) => view! { <p class="banner banner-error" role="alert">{msg}</p> }.into_any(),
        })
    }
}
