//! Messenger (`"object": "page"`) and Instagram (`"object": "instagram"`) webhook bodies,
//! as `routes::webhooks::receive` hands them to the parser once the signature matched:
//! the raw request bytes. Also the Graph API's error bodies, which Meta sends us too.
#![no_main]

mod common;

use confab::channels::inbound::meta::{classify_graph_error, parse, MetaObject};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

/// The keys and values Meta's webhooks and Graph errors use (see `inbound/meta.rs`).
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "object", "page", "instagram", "entry", "id", "time", "messaging", "standby", "changes",
    "field", "messages", "sender", "recipient", "timestamp", "message", "delivery",
    "watermark", "mids", "read", "mid", "is_echo", "metadata", "is_deleted",
    "is_unsupported", "text", "attachments", "payload", "url", "title", "type",
    "sticker_id", "image", "video", "reel", "ig_reel", "audio", "sticker", "file",
    "location", "coordinates", "lat", "long", "fallback", "share", "story_mention",
    "template", "elements", "template_type", "reaction", "postback", "error", "code",
    "error_subcode", "error_data", "messaging_product", "whatsapp", "error_user_msg",
    "details", "is_transient",
];

fuzz_target!(|body: &[u8]| {
    for object in [MetaObject::Page, MetaObject::Instagram] {
        let Ok(events) = parse(object, body) else {
            continue;
        };
        for addressed in &events {
            // Routed by the page / Instagram account id: an entry without one is refused.
            assert!(!addressed.business_id.is_empty(), "{addressed:?}");
            common::check_event(&addressed.event);
        }
    }
    // A client error, throttling or a server fault (each reads the body again: one a run).
    let http_status = [400, 429, 500][body.len() % 3];
    let _ = classify_graph_error(http_status, body);
});

// Half the mutations edit the body as a JSON document (see `common`).
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    common::mutate_json(data, size, max_size, seed, WORDS)
});
