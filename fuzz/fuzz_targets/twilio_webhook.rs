//! Twilio SMS / MMS webhooks and status callbacks: the raw form body, decoded as
//! `routes::webhooks::receive` does (`form_params`, which the signature check also reads),
//! then parsed.
#![no_main]

mod common;

use confab::channels::inbound::twilio::{form_params, parse};
use confab::channels::inbound::InboundEvent;
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

/// The parameters Twilio posts (see `inbound/twilio.rs`).
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
    "MediaUrl1", "MediaUrl9", "MediaUrl10", "MediaUrl11", "MediaContentType0",
    "MediaContentType1", "MediaContentType10", "MessageStatus", "SmsStatus", "ErrorCode",
    "ErrorMessage",
];
/// And their values.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "SM1", "MM1", "+14017122661", "+15558675310", "whatsapp:+14017122661", "received",
    "queued", "sent", "delivered", "read", "undelivered", "failed", "canceled", "0", "1",
    "10", "11", "30003", "30008", "21610", "image/jpeg", "video/mp4", "audio/ogg",
    "application/pdf", "https://api.twilio.com/m/0",
];

fuzz_target!(|body: &[u8]| {
    let params = match form_params(body) {
        Ok(params) => params,
        Err(_) => {
            assert!(
                std::str::from_utf8(body).is_err(),
                "a UTF-8 form was refused"
            );
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
        // Not `check_event`: a message may be blank here (`Body=` and no media), which
        // the parser keeps and the Meta and WhatsApp ones ignore.
        assert!(!m.contact_external_id.is_empty() && !m.provider_id.is_empty());
        assert_eq!(m.contact_phone.as_ref(), Some(&m.contact_external_id));
        // Twilio attaches at most 10 media, whatever NumMedia says.
        assert!(m.attachments.len() <= 10, "{m:?}");
    } else {
        common::check_event(&addressed.event);
    }
});

// Half the mutations edit the body as a list of form parameters (see `common`).
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    common::mutate_form(data, size, max_size, seed, NAMES, WORDS)
});
