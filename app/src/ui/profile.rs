//! The employee's own profile: language, notifications, a way to their API tokens, and
//! signing out on every device.

use crate::account::{ChangeMyEmail, ChangeMyPassword};
use crate::auth::{current_employee, set_my_language, LogoutEverywhere};
use crate::i18n::{t, t_string, use_i18n};
use crate::locale::{error_text, native_name, parse_tag, tag, LOCALES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, common.profile_page_title)/>
        <div class="settings">
            <header class="settings-header">
                <h1>{t!(i18n, common.profile_heading)}</h1>
            </header>
            <LanguageSection/>
            <AccountSection/>
            <NotificationSection/>
            <section class="settings-section">
                <h2>{t!(i18n, common.profile_tokens_heading)}</h2>
                <p class="meta">{t!(i18n, common.profile_tokens_text)}" "<a href="/tokens">{t!(i18n, common.profile_tokens_link)}</a></p>
            </section>
            <SessionsSection/>
        </div>
    }
}

/// "Sign out on every device": ends all of the employee's sessions, this one too; the
/// answer sends the browser to the sign-in page.
#[component]
fn SessionsSection() -> impl IntoView {
    let i18n = use_i18n();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    let failed = move || {
        everywhere
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|err| error_text(i18n.get_locale(), &err))
    };
    view! {
        <section class="settings-section">
            <h2 id="sessions-heading">{t!(i18n, account.sessions_heading)}</h2>
            <div class="card settings-form">
                <p class="meta" id="sessions-text">{t!(i18n, account.sessions_text)}</p>
                <ActionForm action=everywhere>
                    <button type="submit" class="button" data-testid="sign-out-everywhere"
                        aria-describedby="sessions-text" disabled=move || everywhere.pending().get()>
                        {t!(i18n, account.sessions_sign_out_everywhere)}
                    </button>
                </ActionForm>
            </div>
            {move || failed().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
        </section>
    }
}

/// The employee's password, and for those who manage the team (owners) their email. Each
/// form asks for the current password.
#[component]
fn AccountSection() -> impl IntoView {
    let i18n = use_i18n();
    let employee = Resource::new(|| (), |_| current_employee());
    let password = ServerAction::<ChangeMyPassword>::new();
    let email = ServerAction::<ChangeMyEmail>::new();
    let password_outcome = move || {
        password.value().get().map(|result| {
            saved_or_refused(i18n.get_locale(), result, |l| {
                crate::i18n::td_string!(l, account.account_password_saved)
            })
        })
    };
    let email_outcome = move || {
        email.value().get().map(|result| {
            saved_or_refused(i18n.get_locale(), result, |l| {
                crate::i18n::td_string!(l, account.account_email_saved)
            })
        })
    };
    // A form that succeeded starts empty again: the passwords typed are not left in it.
    let password_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(password.value().get(), Some(Ok(()))) {
            if let Some(form) = password_form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="settings-section">
            <h2 id="account-heading">{t!(i18n, account.account_heading)}</h2>
            <Transition fallback=|| ()>
                {move || employee.get().and_then(|r| r.ok()).flatten()
                    .filter(|me| me.can(crate::employees::Permission::Settings))
                    .map(|me| {
                    view! {
                            <div class="card settings-form">
                                <ActionForm action=email>
                                    <label for="account-email">{t!(i18n, account.account_email)}</label>
                                    <input id="account-email" name="email" type="email" required maxlength="254"
                                        autocomplete="username" value=me.email.clone() data-testid="account-email"/>
                                    <label for="account-email-password">{t!(i18n, account.account_current_password)}</label>
                                    <input id="account-email-password" name="current_password" type="password" required
                                        maxlength="256" autocomplete="current-password"/>
                                    {email_outcome}
                                    <button type="submit" class="button" disabled=move || email.pending().get()>
                                        {t!(i18n, account.account_save_email)}
                                    </button>
                                </ActionForm>
                            </div>
                    }
                })}
            </Transition>
            <div class="card settings-form">
                <ActionForm action=password node_ref=password_form>
                            <label for="account-current-password">{t!(i18n, account.account_current_password)}</label>
                            <input id="account-current-password" name="current_password" type="password" required
                                maxlength="256" autocomplete="current-password" data-testid="account-current-password"/>
                            <label for="account-new-password">{t!(i18n, account.account_new_password)}</label>
                            <input id="account-new-password" name="new_password" type="password" required minlength="10"
                                maxlength="256" autocomplete="new-password" data-testid="account-new-password"/>
                            <label class="check">
                                <input type="checkbox" name="keep_tokens" value="true" data-testid="account-keep-tokens"/>
                                " "{t!(i18n, account.account_keep_tokens)}
                            </label>
                            <button type="submit" class="button" data-testid="account-save-password"
                                disabled=move || password.pending().get()>
                                {t!(i18n, account.account_save_password)}
                            </button>
                </ActionForm>
                {password_outcome}
            </div>
        </section>
    }
}

/// "Saved" (in the sentence `saved` gives), or the refusal.
fn saved_or_refused(
    locale: crate::i18n::Locale,
    result: Result<(), crate::error::AppError>,
    saved: fn(crate::i18n::Locale) -> &'static str,
) -> AnyView {
    match result {
        Ok(()) => view! { <p class="meta" role="status">{saved(locale)}</p> }.into_any(),
        Err(err) => {
            view! { <p class="form-error" role="alert">{error_text(locale, &err)}</p> }.into_any()
        }
    }
}

/// The value of the language picker's "follow the browser" option.
const AUTOMATIC: &str = "auto";

#[component]
fn LanguageSection() -> impl IntoView {
    let i18n = use_i18n();
    let employee = Resource::new(|| (), |_| current_employee());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let choose = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let wanted = (value != AUTOMATIC).then_some(value);
        saved.set(false);
        leptos::task::spawn_local(async move {
            match set_my_language(wanted.clone()).await {
                Ok(()) => {
                    error.set(None);
                    saved.set(true);
                    if let Some(locale) = wanted.as_deref().and_then(parse_tag) {
                        // Switches every text on the page at once (and the cookie).
                        i18n.set_locale(locale);
                    } else {
                        // The browser's language is read by the server: load afresh.
                        #[cfg(feature = "hydrate")]
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                    }
                }
                Err(err) => error.set(Some(error_text(i18n.get_locale_untracked(), &err))),
            }
        });
    };
    view! {
        <section class="settings-section">
            <h2 id="language-heading">{t!(i18n, common.profile_language_heading)}</h2>
            <Transition fallback=|| ()>
                {move || employee.get().and_then(|r| r.ok()).flatten().map(|e| {
                    let current = e.locale.clone().unwrap_or_else(|| AUTOMATIC.to_owned());
                    let is = move |value: &str| current == value;
                    view! {
                        <div class="card settings-form">
                            <label for="language">{t!(i18n, common.profile_language_label)}</label>
                            <select id="language" name="language" data-testid="language" on:change=choose>
                                <option value=AUTOMATIC selected=is(AUTOMATIC)>{t!(i18n, common.profile_language_automatic)}</option>
                                {LOCALES.into_iter().map(|locale| view! {
                                    <option value=tag(locale) selected=is(tag(locale)) lang=tag(locale)>{native_name(locale)}</option>
                                }).collect_view()}
                            </select>
                            <p class="meta">{t!(i18n, common.profile_language_hint)}</p>
                        </div>
                    }
                })}
            </Transition>
            {move || saved.get().then(|| view! { <p class="meta" role="status">{t!(i18n, common.profile_saved)}</p> })}
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn NotificationSection() -> impl IntoView {
    let i18n = use_i18n();
    // Read from the browser after hydration; the server renders both switches off.
    let sound = RwSignal::new(false);
    let desktop = RwSignal::new(false);
    let permission = RwSignal::new(String::from("default"));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let prefs = crate::ui::notify::load_prefs();
        sound.set(prefs.sound);
        desktop.set(prefs.desktop);
        permission.set(crate::ui::notify::permission());
    });
    let set_sound = move |on: bool| {
        sound.set(on);
        #[cfg(feature = "hydrate")]
        {
            crate::ui::notify::save_pref(crate::ui::notify::SOUND_KEY, on);
            if on {
                crate::ui::notify::chime();
            }
        }
    };
    let set_desktop = move |on: bool| {
        desktop.set(on);
        #[cfg(feature = "hydrate")]
        crate::ui::notify::save_pref(crate::ui::notify::DESKTOP_KEY, on);
    };
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        crate::ui::notify::request_permission(move |answer| {
            let granted = answer == "granted";
            permission.set(answer);
            if granted {
                desktop.set(true);
                crate::ui::notify::save_pref(crate::ui::notify::DESKTOP_KEY, true);
            }
        });
    };
    view! {
        <section class="settings-section">
            <h2>{t!(i18n, common.profile_notifications_heading)}</h2>
            <div class="card settings-form">
                <label class="check">
                    <input type="checkbox" data-testid="notify-sound" prop:checked=move || sound.get()
                        on:change=move |ev| set_sound(event_target_checked(&ev))/>
                    {t!(i18n, common.profile_sound)}
                </label>
                {move || match permission.get().as_str() {
                    "granted" => view! {
                        <label class="check">
                            <input type="checkbox" data-testid="notify-desktop" prop:checked=move || desktop.get()
                                on:change=move |ev| set_desktop(event_target_checked(&ev))/>
                            {t!(i18n, common.profile_desktop)}
                        </label>
                    }.into_any(),
                    "denied" => view! { <p class="meta" data-testid="notify-denied">{t!(i18n, common.profile_desktop_denied)}</p> }.into_any(),
                    "unsupported" => view! { <p class="meta">{t!(i18n, common.profile_desktop_unsupported)}</p> }.into_any(),
                    _ => view! {
                        <div>
                            <button type="button" class="button" data-testid="notify-allow" on:click=ask>{t!(i18n, common.profile_desktop_allow)}</button>
                            <p class="meta">{t!(i18n, common.profile_desktop_why)}</p>
                        </div>
                    }.into_any(),
                }}
                <p class="meta">{t!(i18n, common.profile_tab_count)}</p>
            </div>
        </section>
    }
}
