//! The sign-in page.

use crate::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Sign in · Confab"/>
        <main class="centered-page">
            <div class="card login-card">
                <h1><span class="brand-mark" aria-hidden="true">"C"</span>" Sign in to Confab"</h1>
                <ActionForm action=login>
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"/>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="hint">"Want to play the lead? Open the "<a href="/sandbox">"sandbox"</a>" in another tab."</p>
            </div>
        </main>
    }
}
