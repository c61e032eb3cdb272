//! Invariants every parsed webhook event keeps, whatever the body was.

use confab::channels::inbound::InboundEvent;

/// A stored message or status can always be found again: it has the ids the store keys on.
pub fn check_event(event: &InboundEvent) {
    match event {
        InboundEvent::Message(m) => {
            assert!(!m.contact_external_id.is_empty(), "{m:?}");
            assert!(!m.provider_id.is_empty(), "{m:?}");
            assert!(!m.body.is_empty() || !m.attachments.is_empty(), "{m:?}");
        }
        InboundEvent::Status(s) => assert!(!s.provider_id.is_empty(), "{s:?}"),
        InboundEvent::DeliveredUpTo {
            contact_external_id,
            ..
        }
        | InboundEvent::ReadUpTo {
            contact_external_id,
            ..
        } => assert!(!contact_external_id.is_empty()),
        InboundEvent::ReadMessage {
            contact_external_id,
            provider_id,
        } => assert!(!contact_external_id.is_empty() && !provider_id.is_empty()),
        InboundEvent::Ignored(_) => {}
    }
}
