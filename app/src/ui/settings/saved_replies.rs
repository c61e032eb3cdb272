//! Settings › Saved replies: the team's snippets. A title and a text whose placeholders
//! ({client.name} …) are filled for the conversation when an agent types `/` in the
//! composer; added, changed and deleted here.

use crate::error::AppError;
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::locale::error_text;
use crate::replies::{
    delete_saved_reply, save_saved_reply, saved_replies, SavedReply, MAX_TITLE_CHARS, PLACEHOLDERS,
};
use leptos::prelude::*;

#[component]
pub fn SavedReplySettings() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u64);
    let replies = Resource::new(move || reload.get(), |_| saved_replies());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // The reply being changed (`None`: a new one).
    let editing = RwSignal::new(None::<i64>);
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let clear = move || {
        editing.set(None);
        title.set(String::new());
        body.set(String::new());
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let save = save_saved_reply(
            editing.get_untracked(),
            title.get_untracked(),
            body.get_untracked(),
        );
        crate::ui::save_once(busy, error, save, move |_| {
            clear();
            reload.update(|r| *r += 1);
        });
    };
    let edit = move |reply: SavedReply| {
        editing.set(Some(reply.id));
        title.set(reply.title);
        body.set(reply.body);
        error.set(None);
    };
    let delete = move |reply: SavedReply| {
        let question = crate::locale::fill(
            td_string!(
                i18n.get_locale_untracked(),
                settings.saved_reply_delete_confirm
            ),
            &[("title", &reply.title)],
        );
        if !crate::ui::confirmed(&question) {
            return;
        }
        crate::ui::save_once(busy, error, delete_saved_reply(reply.id), move |_| {
            if editing.get_untracked() == Some(reply.id) {
                clear();
            }
            reload.update(|r| *r += 1);
        });
    };
    view! {
        <section class="settings-section" data-testid="saved-replies">
            <h2>{t!(i18n, settings.saved_replies_heading)}</h2>
            <p class="meta">{t!(i18n, settings.saved_replies_intro)}</p>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &e)}</p> })}
            <form class="card settings-form" on:submit=save data-testid="saved-reply-form">
                <label>{t!(i18n, settings.saved_reply_title)}
                    <input name="title" required maxlength=MAX_TITLE_CHARS.to_string() placeholder=move || t_string!(i18n, settings.saved_reply_title_placeholder)
                        prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, settings.saved_reply_text)}
                    <textarea name="body" required rows="4" maxlength="1000"
                        prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
                <p class="meta">{t!(i18n, settings.saved_reply_placeholders)}" "
                    {PLACEHOLDERS.iter().map(|p| view! { <code>{*p}</code>" " }).collect_view()}</p>
                <p class="form-actions">
                    <button class="button primary" type="submit" data-testid="saved-reply-save" disabled=move || busy.get()>
                        {move || if editing.get().is_some() { t_string!(i18n, settings.saved_reply_update) } else { t_string!(i18n, settings.saved_reply_add) }}
                    </button>
                    {move || editing.get().is_some().then(|| view! {
                        <button class="button" type="button" on:click=move |_| clear()>{t!(i18n, settings.cancel_edit)}</button>
                    })}
                </p>
            </form>
            <Transition fallback=move || view! { <p class="list-empty">{t!(i18n, settings.loading)}</p> }>
                {move || replies.get().map(|r| match r {
                    Err(err) => view! { <p class="banner banner-error" role="alert">{move || error_text(i18n.get_locale(), &err)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="list-empty">{t!(i18n, settings.saved_replies_none)}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="saved-reply-list">
                            {list.into_iter().map(|reply| {
                                let (for_edit, for_delete) = (reply.clone(), reply.clone());
                                view! {
                                    <li class="card saved-reply" data-testid="saved-reply">
                                        <div>
                                            <strong>{reply.title.clone()}</strong>
                                            <p class="saved-reply-body">{reply.body.clone()}</p>
                                        </div>
                                        <div class="saved-reply-actions">
                                            <button class="button" type="button" on:click=move |_| edit(for_edit.clone())>{t!(i18n, settings.edit)}</button>
                                            <button class="button" type="button" on:click=move |_| delete(for_delete.clone())>{t!(i18n, settings.delete)}</button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
