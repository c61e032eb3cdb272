//! The right panel: the contact as the channel knows them.

use super::list::ChannelBadge;
use crate::conversations::ConversationDetail;
use crate::ui::text::initials;
use crate::ui::time::{date_time, LocalTime};
use leptos::prelude::*;

#[component]
pub fn ContactPanel(state: RwSignal<ConversationDetail>, show: RwSignal<bool>) -> impl IntoView {
    view! {
        <aside class="client-panel" class:open=move || show.get() aria-label="Contact">
            <header class="panel-header">
                <h2>"Contact"</h2>
                <button class="button panel-close" on:click=move |_| show.set(false) aria-label="Close contact panel">"×"</button>
            </header>
            {move || state.with(|detail| {
                let s = &detail.summary;
                view! {
                    <div class="panel-card">
                        <span class="avatar large">{initials(&s.contact_name)}</span>
                        <h3>{s.contact_name.clone()}</h3>
                        <dl>
                            <dt>"Channel"</dt><dd><ChannelBadge kind=s.channel_kind/>" "{s.channel_name.clone()}</dd>
                            {detail.contact_phone.clone().map(|p| view! { <dt>"Phone"</dt><dd>{p}</dd> })}
                            {detail.contact_username.clone().map(|u| view! { <dt>"Username"</dt><dd>"@"{u}</dd> })}
                            <dt>"Contact id"</dt><dd class="mono">{detail.contact_external_id.clone()}</dd>
                            {detail.last_inbound_at.map(|at| view! { <dt>"Last wrote"</dt><dd><LocalTime ms=at format=date_time/></dd> })}
                        </dl>
                    </div>
                    <div class="panel-card">
                        <h3>"History"</h3>
                        {if detail.history.is_empty() {
                            view! { <p class="meta">"Nobody has archived, reopened or answered this conversation yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="history" data-testid="history">
                                    {detail.history.iter().map(|entry| view! {
                                        <li>
                                            <span>{entry.employee_name.clone().unwrap_or_else(|| "Someone".into())}" "{action_words(&entry.action)}</span>
                                            {entry.detail.clone().map(|d| view! { <span class="meta">" ("{d}")"</span> })}
                                            <span class="meta">" · "<LocalTime ms=entry.at format=date_time/></span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </div>
                }
            })}
        </aside>
    }
}

/// "archived" → "archived", as a sentence fragment after the employee's name.
fn action_words(action: &str) -> &'static str {
    match action {
        "archived" => "archived",
        "reopened" => "reopened",
        "sent" => "replied",
        "linked" => "linked a client",
        "unlinked" => "unlinked the client",
        "marked_unread" => "marked it unread",
        _ => "changed the conversation",
    }
}
