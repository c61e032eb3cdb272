//! The sandbox channel's webhook body (what the lead simulator posts), read as
//! `routes::webhooks::sandbox` does: JSON into `SandboxWebhook`, then `validate` in the
//! request's language.
#![no_main]

use app::i18n::Locale;
use app::sandbox::{SandboxWebhook, MAX_LEAD_NAME_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(hook) = serde_json::from_slice::<SandboxWebhook>(body) else {
        return;
    };
    let verdicts = [Locale::en, Locale::pt_BR].map(|locale| hook.validate(locale).is_ok());
    // The language changes the sentence, never the verdict.
    assert_eq!(verdicts[0], verdicts[1], "{hook:?}");
    // What is read back serialises to the same webhook (the simulator posts that).
    let again: SandboxWebhook = serde_json::from_slice(&serde_json::to_vec(&hook).unwrap())
        .expect("a serialised webhook reads back");
    assert_eq!(again, hook);
    if !verdicts[0] {
        return;
    }
    // What passed is what the store may take.
    let token = |s: &str| {
        (8..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    match &hook {
        SandboxWebhook::Message {
            lead_id,
            name,
            message_id,
            text,
        } => {
            assert!(token(lead_id) && token(message_id), "{hook:?}");
            assert!((1..=MAX_LEAD_NAME_CHARS).contains(&name.trim().chars().count()));
            assert!(!text.trim().is_empty());
        }
        SandboxWebhook::Read { lead_id, watermark } => {
            assert!(token(lead_id) && *watermark >= 0, "{hook:?}");
        }
    }
});
