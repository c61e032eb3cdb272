//! The browser's one EventSource per tab on `/api/events`. Every event bumps a version
//! that the list, the open conversation and the red dot refetch on; the browser resumes
//! with `Last-Event-ID` by itself after a drop.

use crate::events::LiveEvent;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Live {
    /// Bumped on every event (and on `resync`).
    pub version: ReadSignal<u64>,
    /// The newest event, for views that only care about one conversation; `None` after a
    /// resync, when every view must reload.
    pub last: ReadSignal<Option<LiveEvent>>,
    /// Whether the stream is connected (the UI says so when it is not).
    pub connected: ReadSignal<bool>,
    /// The newest `presence` event: colleagues viewing or typing. It bumps no `version`
    /// (nothing reloads for it, however often it comes).
    pub presence: ReadSignal<Option<LiveEvent>>,
}

pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(|| Live {
        version: signal(0).0,
        last: signal(None).0,
        connected: signal(true).0,
        presence: signal(None).0,
    })
}

/// Opens the tab's event stream (in the browser) and provides [`Live`] to the children.
pub fn provide_live() -> Live {
    let (version, set_version) = signal(0u64);
    let (last, set_last) = signal(None::<LiveEvent>);
    let (connected, set_connected) = signal(true);
    let (presence, set_presence) = signal(None::<LiveEvent>);
    #[cfg(feature = "hydrate")]
    connect(set_version, set_last, set_connected, set_presence);
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_version, set_last, set_connected, set_presence);
    let live = Live {
        version,
        last,
        connected,
        presence,
    };
    provide_context(live);
    live
}

#[cfg(feature = "hydrate")]
fn connect(
    set_version: WriteSignal<u64>,
    set_last: WriteSignal<Option<LiveEvent>>,
    set_connected: WriteSignal<bool>,
    set_presence: WriteSignal<Option<LiveEvent>>,
) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use send_wrapper::SendWrapper;

    let mut source = match EventSource::new("/api/events") {
        Ok(source) => source,
        Err(err) => {
            leptos::logging::warn!("live updates unavailable: {err:?}");
            set_connected.set(false);
            return;
        }
    };
    let kinds = [
        "message_created",
        "message_updated",
        "conversation_updated",
        "channel_updated",
        "read_state_updated",
        "conversation_assigned",
        "note_created",
        "presence",
        crate::events::RESYNC_EVENT,
    ];
    let streams: Vec<_> = kinds
        .iter()
        .filter_map(|kind| source.subscribe(*kind).ok())
        .collect();
    let mut events = futures::stream::select_all(streams);
    let source = SendWrapper::new(source);
    leptos::task::spawn_local(async move {
        while let Some(item) = events.next().await {
            match item {
                Ok((kind, message)) => {
                    set_connected.set(true);
                    // A resync leaves no event: views that see `None` reload themselves.
                    let event = (kind != crate::events::RESYNC_EVENT)
                        .then(|| message.data().as_string())
                        .flatten()
                        .and_then(|data| serde_json::from_str::<LiveEvent>(&data).ok());
                    if let Some(event) = event
                        .as_ref()
                        .filter(|e| e.kind == crate::events::EventKind::Presence)
                    {
                        set_presence.set(Some(event.clone()));
                        continue;
                    }
                    set_last.set(event);
                    set_version.update(|v| *v += 1);
                }
                // The browser reconnects by itself; say so meanwhile.
                Err(_) => set_connected.set(false),
            }
        }
    });
    on_cleanup(move || {
        source.take().close();
    });
}
