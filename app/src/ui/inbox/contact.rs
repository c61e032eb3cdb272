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
                }
            })}
        </aside>
    }
}
