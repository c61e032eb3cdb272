//! The sign-in page.

use crate::auth::Login;
use crate::i18n::{t, t_string, use_i18n};
use crate::locale::error_text;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(i18n.get_locale(), &e))
    };
    view! {
        <Title text=move || t_string!(i18n, common.login_page_title)/>
        <main class="centered-page">
            <div class="card login-card">
                <h1><span class="brand-mark" aria-hidden="true">"C"</span>" "{t!(i18n, common.login_heading)}</h1>
                <ActionForm action=login>
                    <label for="email">{t!(i18n, common.login_email)}</label>
                    <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" autofocus/>
                    <label for="password">{t!(i18n, common.login_password)}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"/>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { t_string!(i18n, common.login_signing_in) } else { t_string!(i18n, common.login_submit) }}
                    </button>
                </ActionForm>
                <p class="hint">{t!(i18n, common.login_sandbox_hint, <a> = <a href="/sandbox"/>)}</p>
            </div>
        </main>
    }
}
