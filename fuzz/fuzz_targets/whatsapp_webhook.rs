//! WhatsApp Cloud API webhook bodies (`"object": "whatsapp_business_account"`), as
//! `routes::webhooks::receive` hands them to the parser: the raw request bytes.
#![no_main]

mod common;

use confab::channels::inbound::{whatsapp::parse, InboundEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(events) = parse(body) else {
        return;
    };
    for addressed in &events {
        common::check_event(&addressed.event);
        if let InboundEvent::Message(m) = &addressed.event {
            // Routed by the phone number id; the lead's wa_id becomes a phone number.
            assert!(!addressed.business_id.is_empty(), "{addressed:?}");
            let phone = m.contact_phone.as_deref().unwrap_or_default();
            assert!(phone.starts_with('+'), "{m:?}");
        }
    }
});
