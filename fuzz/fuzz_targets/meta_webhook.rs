//! Messenger (`"object": "page"`) and Instagram (`"object": "instagram"`) webhook bodies,
//! as `routes::webhooks::receive` hands them to the parser once the signature matched:
//! the raw request bytes. Also the Graph API's error bodies, which Meta sends us too.
#![no_main]

mod common;

use confab::channels::inbound::meta::{classify_graph_error, parse, MetaObject};
use libfuzzer_sys::fuzz_target;

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
    for http_status in [400, 429, 500] {
        let _ = classify_graph_error(http_status, body);
    }
});
