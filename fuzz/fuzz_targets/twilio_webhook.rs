//! Twilio SMS / MMS webhooks and status callbacks: the raw form body, decoded as
//! `routes::webhooks::receive` does (`form_params`, which the signature check also reads),
//! then parsed.
#![no_main]

mod common;

use confab::channels::inbound::twilio::{form_params, parse};
use confab::channels::inbound::InboundEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let params = match form_params(body) {
        Ok(params) => params,
        Err(_) => {
            assert!(std::str::from_utf8(body).is_err(), "a UTF-8 form was refused");
            return;
        }
    };
    let Ok(events) = parse(&params) else {
        return;
    };
    assert_eq!(events.len(), 1, "one webhook, one event: {events:?}");
    let addressed = &events[0];
    // Our number (To for a message, From for a status callback) routes it.
    assert!(!addressed.business_id.is_empty(), "{addressed:?}");
    if let InboundEvent::Message(m) = &addressed.event {
        assert!(!m.contact_external_id.is_empty() && !m.provider_id.is_empty());
        assert_eq!(m.contact_phone.as_ref(), Some(&m.contact_external_id));
        // Twilio attaches at most 10 media, whatever NumMedia says.
        assert!(m.attachments.len() <= 10, "{m:?}");
    } else {
        common::check_event(&addressed.event);
    }
});
