//! WhatsApp Cloud API webhook bodies (`"object": "whatsapp_business_account"`), as
//! `routes::webhooks::receive` hands them to the parser: the raw request bytes.
#![no_main]

mod common;

use confab::channels::inbound::{whatsapp::parse, InboundEvent};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

/// The keys and values of WhatsApp's webhooks (see `inbound/whatsapp.rs`).
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "object", "whatsapp_business_account", "entry", "id", "changes", "field", "value",
    "messages", "metadata", "phone_number_id", "display_phone_number", "messaging_product",
    "whatsapp", "contacts", "wa_id", "profile", "name", "statuses", "errors", "from",
    "type", "text", "body", "image", "video", "audio", "document", "sticker", "mime_type",
    "filename", "url", "caption", "location", "latitude", "longitude", "address", "button",
    "interactive", "button_reply", "list_reply", "nfm_reply", "title", "reaction", "status",
    "sent", "delivered", "read", "failed", "deleted", "timestamp", "recipient_id", "code",
    "message", "error_data", "details", "formatted_name", "phones", "phone", "unsupported",
];

fuzz_target!(|body: &[u8]| {
    let Ok(events) = parse(body) else {
        return;
    };
    for addressed in &events {
        common::check_event(&addressed.event);
        if let InboundEvent::Message(m) = &addressed.event {
            // Routed by the phone number id; the lead's wa_id becomes a phone number when
            // it is one (`+` and digits), and no phone at all when it is not.
            assert!(!addressed.business_id.is_empty(), "{addressed:?}");
            if let Some(phone) = m.contact_phone.as_deref() {
                let digits = phone.strip_prefix('+').unwrap_or_default();
                assert!(
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                    "{m:?}"
                );
            }
        }
    }
});

// Half the mutations edit the body as a JSON document (see `common`).
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    common::mutate_json(data, size, max_size, seed, WORDS)
});
