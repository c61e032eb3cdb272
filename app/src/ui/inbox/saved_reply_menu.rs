//! Saved replies in the composer: typing `/` at the start opens the team's replies,
//! filled for this conversation, filtered as one types ("/hou" finds "Opening hours"),
//! taken with ↑/↓ and Enter (or Tab, or a tap); the menu button opens them all.

use crate::i18n::{t, t_string, use_i18n};
use crate::ids::ConversationId;
use crate::replies::{saved_replies_for, SavedReply};
use leptos::prelude::*;

/// What follows a leading `/` while it is still a search (one line).
pub fn slash_query(text: &str) -> Option<&str> {
    let query = text.strip_prefix('/')?;
    (!query.contains('\n') && query.chars().count() <= 40).then_some(query)
}

/// The replies whose title (or text) holds `query`, any case.
pub fn matching<'a>(query: &str, replies: &'a [SavedReply]) -> Vec<&'a SavedReply> {
    let query = query.trim().to_lowercase();
    let mut found: Vec<&SavedReply> = replies
        .iter()
        .filter(|r| r.title.to_lowercase().contains(&query))
        .collect();
    found.extend(
        replies
            .iter()
            .filter(|r| !r.title.to_lowercase().contains(&query))
            .filter(|r| r.body.to_lowercase().contains(&query)),
    );
    found.truncate(8);
    found
}

/// The menu's state, shared by the composer's keys and its view.
#[derive(Clone, Copy)]
pub struct SlashMenu {
    text: RwSignal<String>,
    replies: RwSignal<Option<Vec<SavedReply>>>,
    /// Opened by its button: every reply, whatever the text.
    forced: RwSignal<bool>,
    closed: RwSignal<bool>,
    highlighted: RwSignal<usize>,
    choices: Memo<Vec<SavedReply>>,
}

impl SlashMenu {
    pub fn new(id: ConversationId, text: RwSignal<String>) -> Self {
        let replies = RwSignal::new(None::<Vec<SavedReply>>);
        let forced = RwSignal::new(false);
        let closed = RwSignal::new(false);
        let wanted = Memo::new(move |_| {
            !closed.get() && (forced.get() || text.with(|t| slash_query(t).is_some()))
        });
        // The replies are read the first time they are wanted, then kept.
        Effect::new(move |_| {
            if wanted.get() && replies.with_untracked(Option::is_none) {
                replies.set(Some(Vec::new()));
                leptos::task::spawn_local(async move {
                    if let Ok(list) = saved_replies_for(id).await {
                        replies.set(Some(list));
                    }
                });
            }
        });
        let choices = Memo::new(move |_| {
            if !wanted.get() {
                return Vec::new();
            }
            let query = text.with(|t| slash_query(t).unwrap_or("").to_owned());
            replies.with(|list| {
                list.as_deref()
                    .map(|list| matching(&query, list).into_iter().cloned().collect())
                    .unwrap_or_default()
            })
        });
        SlashMenu {
            text,
            replies,
            forced,
            closed,
            highlighted: RwSignal::new(0),
            choices,
        }
    }

    /// The text changed by typing: the menu may open again.
    pub fn typed(&self) {
        self.closed.set(false);
        self.highlighted.set(0);
        if self.text.with_untracked(|t| !t.starts_with('/')) {
            self.forced.set(false);
        }
    }

    fn take(&self, reply: &SavedReply) {
        self.text.set(reply.body.clone());
        self.forced.set(false);
        self.closed.set(true);
    }

    /// The composer's key, when the menu is open and the key is the menu's: true when it
    /// was taken (the composer then does nothing with it).
    pub fn key(&self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let n = self.choices.with_untracked(Vec::len);
        if n == 0 {
            return false;
        }
        match ev.key().as_str() {
            "ArrowDown" => self.highlighted.update(|h| *h = (*h + 1) % n),
            "ArrowUp" => self.highlighted.update(|h| *h = (*h + n - 1) % n),
            "Enter" | "Tab" if !ev.shift_key() => {
                let chosen = self
                    .choices
                    .with_untracked(|c| c.get(self.highlighted.get_untracked()).cloned());
                if let Some(reply) = chosen {
                    self.take(&reply);
                }
            }
            "Escape" => {
                self.closed.set(true);
                self.forced.set(false);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    /// The button that opens every reply.
    pub fn button(self) -> impl IntoView {
        let i18n = use_i18n();
        view! {
            <button type="button" class="button slash-button" data-testid="saved-replies-button"
                title=move || t_string!(i18n, inbox.saved_replies_title)
                on:click=move |_| { self.closed.set(false); self.forced.update(|f| *f = !*f); }>
                "/"<span class="visually-hidden">{t!(i18n, inbox.saved_replies_title)}</span>
            </button>
        }
    }

    pub fn view(self) -> impl IntoView {
        let i18n = use_i18n();
        move || {
            let list = self.choices.get();
            let loaded = self
                .replies
                .with(|r| r.as_ref().is_some_and(|l| !l.is_empty()));
            let open = !self.closed.get()
                && (self.forced.get() || self.text.with(|t| slash_query(t).is_some()));
            if !open {
                return ().into_any();
            }
            if list.is_empty() {
                return view! {
                    <p class="mention-menu saved-reply-menu empty" role="status" data-testid="saved-reply-menu">
                        {move || if loaded { t_string!(i18n, inbox.saved_replies_no_match) } else { t_string!(i18n, inbox.saved_replies_none) }}
                    </p>
                }
                .into_any();
            }
            view! {
                <ul class="mention-menu saved-reply-menu" role="listbox" data-testid="saved-reply-menu"
                    aria-label=move || t_string!(i18n, inbox.saved_replies_title)>
                    {list.into_iter().enumerate().map(|(i, reply)| {
                        let chosen = reply.clone();
                        view! {
                            <li role="option" aria-selected=move || (self.highlighted.get() == i).to_string()
                                class:active=move || self.highlighted.get() == i
                                on:mousedown=move |ev| { ev.prevent_default(); self.take(&chosen); }>
                                <strong>{reply.title}</strong>
                                <span class="meta">{reply.body}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_slash_searches_titles_first_then_texts() {
        assert_eq!(slash_query("/hou"), Some("hou"));
        assert_eq!(slash_query("/"), Some(""));
        assert_eq!(slash_query("see /hours"), None);
        assert_eq!(slash_query("/a\nb"), None);
        let reply = |id, title: &str, body: &str| SavedReply {
            id,
            title: title.into(),
            body: body.into(),
            updated_at: 0,
        };
        let replies = [
            reply(1, "Opening hours", "We open at 9."),
            reply(2, "Price list", "Our hours of work and prices…"),
            reply(3, "Thanks", "Thank you!"),
        ];
        let ids = |q: &str| -> Vec<i64> { matching(q, &replies).iter().map(|r| r.id).collect() };
        assert_eq!(ids("HOUR"), [1, 2], "the title's match first");
        assert_eq!(ids(""), [1, 2, 3]);
        assert!(ids("zzz").is_empty());
    }
}
