//! The first-run setup page: the owner's account, made with the one-time code from the
//! server's log. Once an owner exists it only says so and points to the sign-in page.

use crate::i18n::{t, t_string, use_i18n};
use crate::locale::error_text;
use crate::setup::{setup_needed, CreateFirstOwner};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SetupPage() -> impl IntoView {
    let i18n = use_i18n();
    let needed = Resource::new(|| (), |_| setup_needed());
    let create = ServerAction::<CreateFirstOwner>::new();
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(i18n.get_locale(), &e))
    };
    view! {
        <Title text=move || t_string!(i18n, account.setup_page_title)/>
        <main class="centered-page">
            <div class="card login-card">
                <h1><span class="brand-mark" aria-hidden="true">"C"</span>" "{t!(i18n, account.setup_heading)}</h1>
                <Suspense fallback=|| ()>
                    {move || needed.get().map(|needed| match needed {
                        Ok(true) => view! {
                            <p class="meta">{t!(i18n, account.setup_intro)}</p>
                            <ActionForm action=create>
                                <label for="setup-code">{t!(i18n, account.setup_code)}</label>
                                <input id="setup-code" name="code" required maxlength="40" autocomplete="off"
                                    spellcheck="false" aria-describedby="setup-code-hint" autofocus/>
                                <p class="hint" id="setup-code-hint">{t!(i18n, account.setup_code_hint)}</p>
                                <label for="setup-name">{t!(i18n, account.setup_name)}</label>
                                <input id="setup-name" name="name" required maxlength="80" autocomplete="name"/>
                                <label for="setup-email">{t!(i18n, account.setup_email)}</label>
                                <input id="setup-email" name="email" type="email" required maxlength="254" autocomplete="username"/>
                                <label for="setup-password">{t!(i18n, account.setup_password)}</label>
                                <input id="setup-password" name="password" type="password" required minlength="10"
                                    maxlength="256" autocomplete="new-password" aria-describedby="setup-password-hint"/>
                                <p class="hint" id="setup-password-hint">{t!(i18n, account.setup_password_hint)}</p>
                                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                                <button type="submit" class="button primary" data-testid="setup-submit"
                                    disabled=move || create.pending().get()>
                                    {move || if create.pending().get() { t_string!(i18n, account.setup_creating) } else { t_string!(i18n, account.setup_submit) }}
                                </button>
                            </ActionForm>
                        }.into_any(),
                        Ok(false) => view! {
                            <p role="status">{t!(i18n, account.setup_done)}</p>
                            <a class="button primary" href="/login">{t!(i18n, account.setup_go_sign_in)}</a>
                        }.into_any(),
                        Err(err) => view! {
                            <p class="banner banner-error" role="alert">{error_text(i18n.get_locale_untracked(), &err)}</p>
                        }.into_any(),
                    })}
                </Suspense>
            </div>
        </main>
    }
}
