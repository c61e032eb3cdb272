//! The sandbox channel's webhook body (what the lead simulator posts), read by the route's
//! own `routes::webhooks::sandbox_event`: JSON into `SandboxWebhook`, `validate` in the
//! request's language, then the event the store takes.
#![no_main]

mod common;

use app::i18n::Locale;
use app::sandbox::{check_lead_id, SandboxWebhook, MAX_LEAD_NAME_CHARS};
use confab::channels::inbound::InboundEvent;
use confab::routes::webhooks::sandbox_event;
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

/// The simulator's keys, and values on the edges of what `validate` takes.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "type", "message", "read", "lead_id", "name", "message_id", "text", "watermark",
    "lead-0001", "abc_DEF-", "abcdefg",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", "  Ana  ",
    "\u{a0}", "Olá, tudo bem?",
];

fuzz_target!(|body: &[u8]| {
    let [en, pt] = [Locale::en, Locale::pt_BR].map(|locale| sandbox_event(body, locale).ok());
    // The language changes the sentence, never the verdict nor the event.
    assert_eq!(en, pt, "{:?}", String::from_utf8_lossy(body));
    let Some(event) = en else {
        return;
    };
    // What passed is what the store may take: the ids it keys on, a text to show.
    common::check_event(&event);
    let token_ok = |id: &str| check_lead_id(Locale::en, id).is_ok();
    match &event {
        InboundEvent::Message(m) => {
            assert!(token_ok(&m.contact_external_id), "{m:?}");
            assert!(token_ok(&m.provider_id), "{m:?}");
            let name = m.contact_name.as_deref().unwrap_or_default();
            assert_eq!(name, name.trim(), "{m:?}");
            assert!(
                (1..=MAX_LEAD_NAME_CHARS).contains(&name.chars().count()),
                "{m:?}"
            );
            assert!(!m.body.trim().is_empty(), "{m:?}");
        }
        InboundEvent::ReadUpTo {
            contact_external_id,
            watermark,
        } => assert!(
            token_ok(contact_external_id) && *watermark >= 0,
            "{event:?}"
        ),
        other => panic!("the sandbox makes messages and reads only: {other:?}"),
    }
    // The simulator posts a serialised `SandboxWebhook`: what was read reads back the same.
    let hook: SandboxWebhook = serde_json::from_slice(body).expect("it was read above");
    let again = serde_json::to_vec(&hook).unwrap();
    assert_eq!(sandbox_event(&again, Locale::en).ok(), Some(event));
});

// Half the mutations edit the body as a JSON document (see `common`).
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    common::mutate_json(data, size, max_size, seed, WORDS)
});
