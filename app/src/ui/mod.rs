//! The screens: the HTML shell, the router, and one module per page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy};

use crate::i18n::{t, td_string, use_i18n, I18nContextProvider};
use crate::locale::fill;

pub mod crm;
pub mod icons;
pub mod inbox;
pub mod layout;
pub mod lazy_pages;
pub mod live;
pub mod locale;
pub mod login;
pub mod notify;
pub mod phone;
pub mod practice;
pub mod profile;
pub mod sandbox;
pub mod settings;
pub mod setup;
pub mod status;
pub mod text;
pub mod time;
pub mod tokens;
pub mod upload;

/// A response's Content-Security-Policy nonce: made by the server's security-headers
/// middleware (which puts it in the policy) and given to Leptos by [`provide_csp_nonce`],
/// so that the inline hydration and resource scripts carry it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
impl CspNonce {
    /// 128 random bits, in hex.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        CspNonce(hex::encode(bytes))
    }
}

/// Gives Leptos the response's nonce. Call it in the render's additional context (the
/// root owner): the resource scripts streamed after the app read it there.
#[cfg(feature = "ssr")]
pub fn provide_csp_nonce() {
    if let Some(nonce) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // The language: the cookie (set from the profile at sign-in, or by the picker), else
        // the browser's Accept-Language; it also sets `<html lang>`.
        <I18nContextProvider cookie_options=crate::ui::locale::cookie_options() ssr_lang_header_getter=crate::ui::locale::accept_language_options()>
        <Title text="Confab"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=login::LoginPage/>
                <Route path=path!("/setup") view={Lazy::<lazy_pages::SetupRoute>::new()}/>
                <Route path=path!("/sandbox") view={Lazy::<lazy_pages::SandboxRoute>::new()}/>
                <ParentRoute path=path!("") view=layout::EmployeeArea>
                    <Route path=path!("") view=|| view! { <Redirect path="/conversations"/> }/>
                    <ParentRoute path=path!("conversations") view=inbox::InboxPage>
                        <Route path=path!("") view=inbox::NoConversationSelected/>
                        <Route path=path!(":id") view=inbox::ConversationPane/>
                    </ParentRoute>
                    <Route path=path!("profile") view={Lazy::<lazy_pages::ProfileRoute>::new()}/>
                    <Route path=path!("tokens") view={Lazy::<lazy_pages::TokensRoute>::new()}/>
                    <Route path=path!("clients") view={Lazy::<lazy_pages::ClientsRoute>::new()}/>
                    <Route path=path!("clients/import") view={Lazy::<lazy_pages::ClientImportRoute>::new()}/>
                    <Route path=path!("clients/:id") view={Lazy::<lazy_pages::ClientRoute>::new()}/>
                    <Route path=path!("leads") view={Lazy::<lazy_pages::LeadsRoute>::new()}/>
                    <Route path=path!("estimates") view={Lazy::<lazy_pages::EstimatesRoute>::new()}/>
                    <Route path=path!("orders") view={Lazy::<lazy_pages::OrdersRoute>::new()}/>
                    <Route path=path!("invoices") view={Lazy::<lazy_pages::InvoicesRoute>::new()}/>
                    <Route path=path!("documents/:id") view={Lazy::<lazy_pages::DocumentRoute>::new()}/>
                    <Route path=path!("calls") view={Lazy::<lazy_pages::CallsRoute>::new()}/>
                    <ParentRoute path=path!("settings") view={Lazy::<lazy_pages::SettingsRoute>::new()}>
                        <Route path=path!("") view=|| view! { <Redirect path="/settings/employees"/> }/>
                        <Route path=path!("employees") view={Lazy::<lazy_pages::EmployeeSettingsRoute>::new()}/>
                        <Route path=path!("roles") view={Lazy::<lazy_pages::RoleSettingsRoute>::new()}/>
                        <Route path=path!("conversations") view={Lazy::<lazy_pages::ChannelSettingsRoute>::new()}/>
                        <Route path=path!("replies") view={Lazy::<lazy_pages::SavedReplySettingsRoute>::new()}/>
                        <Route path=path!("integrations") view={Lazy::<lazy_pages::IntegrationSettingsRoute>::new()}/>
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
        </I18nContextProvider>
    }
}

/// What a [`Forbidden`] notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForbiddenSection {
    ThisPage,
    Conversations,
}

/// Says that the employee's role does not include a section (the page middleware answers
/// such pages with 403).
#[component]
pub fn Forbidden(section: ForbiddenSection) -> impl IntoView {
    let i18n = use_i18n();
    let title = move || {
        let locale = i18n.get_locale();
        let section = match section {
            ForbiddenSection::ThisPage => td_string!(locale, common.this_page),
            ForbiddenSection::Conversations => td_string!(locale, common.menu_conversations),
        };
        fill(
            td_string!(locale, common.forbidden_title),
            &[("section", section)],
        )
    };
    view! {
        <section class="empty-thread forbidden" data-testid="forbidden">
            <div class="empty-state">
                <h2>{title}</h2>
                <p>{t!(i18n, common.forbidden_hint)}</p>
            </div>
        </section>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <main class="centered-page">
            <div class="card">
                <h1>{t!(i18n, common.not_found_title)}</h1>
                <p>{t!(i18n, common.not_found_text)}" "<a href="/conversations">{t!(i18n, common.not_found_link)}</a></p>
            </div>
        </main>
    }
}

/// Saves in the background, once at a time: nothing when `busy` already, else `busy` while
/// `save` runs, then its value to `done`, or its error to `error` (what was typed stays).
pub fn save_once<T: 'static>(
    busy: RwSignal<bool>,
    error: RwSignal<Option<crate::error::AppError>>,
    save: impl std::future::Future<Output = Result<T, crate::error::AppError>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    leptos::task::spawn_local(async move {
        let result = save.await;
        busy.set(false);
        match result {
            Ok(value) => {
                error.set(None);
                done(value);
            }
            Err(err) => error.set(Some(err)),
        }
    });
}

/// The browser's own yes/no question (never asked during server rendering).
pub fn confirmed(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        false
    }
}
