//! Conversations: the list (`list`), the open conversation (`thread`), its composer
//! (`composer`) and the contact panel (`contact`).

use crate::conversations::{AssigneeFilter, ConversationStatus, ListFilter};
use crate::i18n::{t, t_string, use_i18n};
use crate::ids::ConversationId;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

mod assignee;
mod composer;
mod contact;
mod first_hour;
pub mod keys;
mod list;
mod note_composer;
mod presence;
mod saved_reply_menu;
pub mod start;
mod thread;

pub use list::ChannelBadge;
pub use thread::{ConversationModal, ConversationPane};

/// What the list shows, as the URL says it (so a view can be shared and reloaded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pub status: ConversationStatus,
    pub filter: ListFilter,
}

impl ListParams {
    /// The query string, without `?`; empty for the default view.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if self.status == ConversationStatus::Archived {
            parts.push("status=archived".to_owned());
        }
        if let Some(q) = self
            .filter
            .query
            .as_deref()
            .filter(|q| !q.trim().is_empty())
        {
            parts.push(format!("q={}", encode_component(q)));
        }
        if let Some(channel) = self.filter.channel {
            parts.push(format!("channel={channel}"));
        }
        if self.filter.unread_only {
            parts.push("unread=1".to_owned());
        }
        if self.filter.awaiting_only {
            parts.push("awaiting=1".to_owned());
        }
        if self.filter.assignee != AssigneeFilter::All {
            parts.push(format!("assignee={}", self.filter.assignee.as_str()));
        }
        parts.join("&")
    }

    fn with_query(path: String, query: String) -> String {
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    pub fn list_href(&self) -> String {
        Self::with_query("/conversations".into(), self.query())
    }

    pub fn conversation_href(&self, id: ConversationId) -> String {
        Self::with_query(format!("/conversations/{id}"), self.query())
    }

    /// The same view with a change applied.
    pub fn with(&self, change: impl FnOnce(&mut ListParams)) -> ListParams {
        let mut next = self.clone();
        change(&mut next);
        next
    }
}

/// Percent-encodes a query-string value (everything but unreserved characters).
pub fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn list_params() -> Memo<ListParams> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let flag = |name: &str| q.get(name).is_some_and(|v| v == "1" || v == "true");
            ListParams {
                status: ConversationStatus::parse(&q.get("status").unwrap_or_default()),
                filter: ListFilter {
                    query: q.get("q").filter(|v| !v.trim().is_empty()),
                    channel: q.get("channel").and_then(|c| c.parse().ok()),
                    unread_only: flag("unread"),
                    awaiting_only: flag("awaiting"),
                    assignee: AssigneeFilter::parse(&q.get("assignee").unwrap_or_default()),
                },
            }
        })
    })
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let location = use_location();
    let has_selection = move || location.pathname.get().trim_end_matches('/') != "/conversations";
    let i18n = use_i18n();
    // Resources are created outside any reactive branch, so that the server and the
    // browser number them alike (hydration depends on it).
    view! {
        <Title text=move || t_string!(i18n, inbox.page_title)/>
        <div class="inbox" class:has-selection=has_selection>
            <list::ConversationList/>
            <leptos_router::components::Outlet/>
        </div>
        <keys::InboxKeys/>
    }
}

#[component]
pub fn NoConversationSelected() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="thread-pane empty-thread">
            <div class="empty-state">
                <h2>{t!(i18n, inbox.pick_title)}</h2>
                <p>{t!(i18n, inbox.pick_text, <a> = <a href="/sandbox" target="_blank"/>)}</p>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChannelId;

    #[test]
    fn list_params_make_hrefs_that_keep_the_view() {
        let default = ListParams::default();
        assert_eq!(default.list_href(), "/conversations");
        assert_eq!(
            default.conversation_href(ConversationId(7)),
            "/conversations/7"
        );
        let narrowed = default.with(|p| {
            p.status = ConversationStatus::Archived;
            p.filter.query = Some("ação & 50%".into());
            p.filter.channel = Some(ChannelId(2));
            p.filter.unread_only = true;
            p.filter.assignee = AssigneeFilter::Mine;
        });
        assert_eq!(
            narrowed.conversation_href(ConversationId(7)),
            "/conversations/7?status=archived&q=a%C3%A7%C3%A3o%20%26%2050%25&channel=2&unread=1&assignee=mine"
        );
        for filter in [
            AssigneeFilter::All,
            AssigneeFilter::Mine,
            AssigneeFilter::Unassigned,
        ] {
            assert_eq!(AssigneeFilter::parse(filter.as_str()), filter);
        }
        assert_eq!(AssigneeFilter::parse("someone-else"), AssigneeFilter::All);
    }
}
