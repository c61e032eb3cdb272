//! Conversations: the list (`list`), the open conversation (`thread`), its composer
//! (`composer`) and the contact panel (`contact`).

use crate::conversations::ConversationStatus;
use crate::ids::ConversationId;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

mod composer;
mod contact;
mod list;
mod thread;

pub use thread::ConversationPane;

fn status_from_query() -> Memo<ConversationStatus> {
    let query = use_query_map();
    Memo::new(move |_| ConversationStatus::parse(&query.read().get("status").unwrap_or_default()))
}

fn list_href(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "/conversations",
        ConversationStatus::Archived => "/conversations?status=archived",
    }
}

fn conversation_href(id: ConversationId, status: ConversationStatus) -> String {
    match status {
        ConversationStatus::Open => format!("/conversations/{id}"),
        ConversationStatus::Archived => format!("/conversations/{id}?status=archived"),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let location = use_location();
    let has_selection = move || location.pathname.get().trim_end_matches('/') != "/conversations";
    // Resources are created outside any reactive branch, so that the server and the
    // browser number them alike (hydration depends on it).
    view! {
        <Title text="Conversations · Confab"/>
        <div class="inbox" class:has-selection=has_selection>
            <list::ConversationList/>
            <leptos_router::components::Outlet/>
        </div>
    }
}

#[component]
pub fn NoConversationSelected() -> impl IntoView {
    view! {
        <section class="thread-pane empty-thread">
            <div class="empty-state">
                <h2>"Pick a conversation"</h2>
                <p>"Choose a conversation on the left to read and reply. To see a new one arrive, open the "
                <a href="/sandbox" target="_blank">"sandbox"</a>" and write as a lead."</p>
            </div>
        </section>
    }
}
