//! Webhook bodies → normalized events. One parser per provider family; each is a pure
//! function of the raw bytes (signatures are checked before any of them runs), so the
//! provider fixtures and fuzzers can drive them directly.

pub mod meta;
pub mod signature;
pub mod twilio;
pub mod whatsapp;

pub use app::messages::store::{InboundAttachment, InboundMessage, ProviderStatus};

/// One thing a provider told us, in Confab's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEvent {
    /// A message from the lead, or (with `from_business`) one the business wrote outside
    /// Confab (a Messenger / Instagram echo).
    Message(InboundMessage),
    /// A new state of one of our messages, by the provider's message id.
    Status(ProviderStatus),
    /// Messenger `message_deliveries`: everything we sent up to `watermark` (UTC ms) arrived.
    DeliveredUpTo {
        contact_external_id: String,
        watermark: i64,
    },
    /// Messenger `message_reads`: the lead read everything up to `watermark` (UTC ms).
    ReadUpTo {
        contact_external_id: String,
        watermark: i64,
    },
    /// Instagram `messaging_seen`: the lead read this message (and so all before it).
    ReadMessage {
        contact_external_id: String,
        provider_id: String,
    },
    /// An event Confab does not act on (opt-ins, handover, comments, types Meta adds
    /// later …): answered 200, logged at debug with what it was.
    Ignored(String),
}

/// An event together with the business-side id it was addressed to (the page id, the
/// Instagram account id, the WhatsApp phone number id, the Twilio number), so that a
/// webhook shared by several channels of one app reaches the right one.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressed {
    pub business_id: String,
    pub event: InboundEvent,
}

/// The body could not be read as the provider's format: 400, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// The provider payloads (`server/tests/fixtures/providers`, see its SOURCES.md), read
/// by the parsers' and signatures' tests.
#[cfg(test)]
pub(crate) mod test_fixtures {
    pub fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/providers")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
    }

    pub fn fixture_json(name: &str) -> serde_json::Value {
        serde_json::from_slice(&fixture(name)).unwrap()
    }
}
