//! When a reply may go out, by the provider's rules (DESIGN.md §4). Shared by the
//! composer (to lock and count down) and the server (to refuse and to tag).

use super::ChannelKind;
use crate::i18n::{td_string, Locale};
use crate::locale::{fill, format_integer};
use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;
/// Meta's standard and WhatsApp's customer-service window.
pub const STANDARD_WINDOW_MS: i64 = 24 * HOUR_MS;
/// Meta's HUMAN_AGENT tag: replies up to 7 days after the lead's last message.
pub const HUMAN_AGENT_WINDOW_MS: i64 = 7 * 24 * HOUR_MS;

/// The state of a conversation's reply window at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyWindow {
    /// No window: SMS and the sandbox.
    Always,
    /// A standard reply (Meta `RESPONSE`, WhatsApp session message) until `closes_at`.
    Open { closes_at: i64 },
    /// Meta only: a reply tagged HUMAN_AGENT until `closes_at`.
    HumanAgent { closes_at: i64 },
    /// WhatsApp outside its window: only an approved template may be sent.
    TemplateOnly,
    /// Meta after the window: nothing may be sent until the lead writes again.
    Closed,
}

impl ReplyWindow {
    /// The window of a conversation whose lead last wrote at `last_inbound_at` (UTC ms).
    pub fn at(
        kind: ChannelKind,
        human_agent: bool,
        last_inbound_at: Option<i64>,
        now: i64,
    ) -> ReplyWindow {
        let since = |last: Option<i64>| last.map(|at| now - at);
        match kind {
            ChannelKind::Sandbox | ChannelKind::TwilioSms => ReplyWindow::Always,
            ChannelKind::Whatsapp => match last_inbound_at {
                Some(at) if now - at < STANDARD_WINDOW_MS => ReplyWindow::Open {
                    closes_at: at + STANDARD_WINDOW_MS,
                },
                _ => ReplyWindow::TemplateOnly,
            },
            ChannelKind::Messenger | ChannelKind::Instagram => {
                match (last_inbound_at, since(last_inbound_at)) {
                    (Some(at), Some(age)) if age < STANDARD_WINDOW_MS => ReplyWindow::Open {
                        closes_at: at + STANDARD_WINDOW_MS,
                    },
                    (Some(at), Some(age)) if human_agent && age < HUMAN_AGENT_WINDOW_MS => {
                        ReplyWindow::HumanAgent {
                            closes_at: at + HUMAN_AGENT_WINDOW_MS,
                        }
                    }
                    _ => ReplyWindow::Closed,
                }
            }
        }
    }

    /// The window once the provider said it closed: WhatsApp still takes templates.
    pub fn closed_for(kind: ChannelKind) -> ReplyWindow {
        if kind == ChannelKind::Whatsapp {
            ReplyWindow::TemplateOnly
        } else {
            ReplyWindow::Closed
        }
    }

    /// Whether free text may be sent.
    pub fn allows_text(self) -> bool {
        matches!(
            self,
            ReplyWindow::Always | ReplyWindow::Open { .. } | ReplyWindow::HumanAgent { .. }
        )
    }

    /// Why text cannot be sent, in words for the employee (in `locale`).
    pub fn refusal(self, locale: Locale, kind: ChannelKind) -> Option<String> {
        match self {
            ReplyWindow::TemplateOnly => {
                Some(td_string!(locale, messaging.window_template_only).to_owned())
            }
            ReplyWindow::Closed => Some(fill(
                td_string!(locale, messaging.window_closed),
                &[("channel", kind.label_in(locale))],
            )),
            _ => None,
        }
    }
}

/// Where an employee continues a conversation in the provider's own inbox when
/// Confab may no longer reply (Meta Business Suite for pages, Instagram's inbox).
pub fn continue_url(kind: ChannelKind, channel_external_id: &str) -> Option<String> {
    let page: String = channel_external_id
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match kind {
        ChannelKind::Messenger => Some(format!(
            "https://business.facebook.com/latest/inbox/messenger?asset_id={page}"
        )),
        ChannelKind::Instagram => Some("https://www.instagram.com/direct/inbox/".into()),
        _ => None,
    }
}

/// Checks a reply's text against the provider's own limit (on top of Confab's 1,000
/// characters): Instagram counts UTF-8 bytes, Twilio 1,600 characters. The sentence is in
/// `locale`.
pub fn provider_limit_error(locale: Locale, kind: ChannelKind, text: &str) -> Option<String> {
    match kind {
        ChannelKind::Instagram if text.len() > 1000 => Some(fill(
            td_string!(locale, messaging.instagram_too_long),
            &[("bytes", &count_in(locale, text.len()))],
        )),
        ChannelKind::TwilioSms if text.chars().count() > 1600 => {
            Some(td_string!(locale, messaging.sms_too_long).to_owned())
        }
        _ => None,
    }
}

/// A count in a sentence of the server's: as English always wrote it (`1001`), with the
/// thousands separator in Portuguese (`1.001`).
pub fn count_in(locale: Locale, n: usize) -> String {
    match locale {
        Locale::en => n.to_string(),
        _ => format_integer(locale, i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * STANDARD_WINDOW_MS;

    #[test]
    fn messenger_goes_from_response_to_human_agent_to_closed() {
        let at = |age| ReplyWindow::at(ChannelKind::Messenger, true, Some(NOW - age), NOW);
        assert_eq!(
            at(HOUR_MS),
            ReplyWindow::Open {
                closes_at: NOW - HOUR_MS + STANDARD_WINDOW_MS
            }
        );
        assert!(matches!(
            at(2 * STANDARD_WINDOW_MS),
            ReplyWindow::HumanAgent { .. }
        ));
        assert_eq!(at(8 * STANDARD_WINDOW_MS), ReplyWindow::Closed);
        assert_eq!(
            ReplyWindow::at(
                ChannelKind::Messenger,
                false,
                Some(NOW - 2 * STANDARD_WINDOW_MS),
                NOW
            ),
            ReplyWindow::Closed,
            "without the Human Agent permission the window is 24 hours"
        );
        assert_eq!(
            ReplyWindow::at(ChannelKind::Instagram, true, None, NOW),
            ReplyWindow::Closed
        );
    }

    #[test]
    fn whatsapp_needs_a_template_after_a_day_and_sms_never_closes() {
        assert!(
            ReplyWindow::at(ChannelKind::Whatsapp, true, Some(NOW - HOUR_MS), NOW).allows_text()
        );
        let late = ReplyWindow::at(
            ChannelKind::Whatsapp,
            true,
            Some(NOW - STANDARD_WINDOW_MS),
            NOW,
        );
        assert_eq!(late, ReplyWindow::TemplateOnly);
        assert!(!late.allows_text() && late.refusal(Locale::en, ChannelKind::Whatsapp).is_some());
        assert_eq!(
            ReplyWindow::at(ChannelKind::TwilioSms, true, None, NOW),
            ReplyWindow::Always
        );
    }

    #[test]
    fn a_provider_closed_window_still_takes_whatsapp_templates() {
        assert_eq!(
            ReplyWindow::closed_for(ChannelKind::Whatsapp),
            ReplyWindow::TemplateOnly
        );
        assert_eq!(
            ReplyWindow::closed_for(ChannelKind::Messenger),
            ReplyWindow::Closed
        );
    }

    #[test]
    fn instagram_counts_bytes() {
        let english = Locale::en;
        assert!(provider_limit_error(english, ChannelKind::Instagram, &"a".repeat(1000)).is_none());
        assert!(provider_limit_error(english, ChannelKind::Instagram, &"é".repeat(501)).is_some());
        assert!(provider_limit_error(english, ChannelKind::Messenger, &"é".repeat(501)).is_none());
    }

    #[test]
    fn refusals_and_limits_speak_both_languages() {
        let long = "é".repeat(501);
        assert_eq!(
            provider_limit_error(Locale::en, ChannelKind::Instagram, &long).unwrap(),
            "Instagram takes at most 1,000 bytes; this message has 1002 (accents and emoji count as 2–4). Shorten it."
        );
        assert_eq!(
            provider_limit_error(Locale::pt_BR, ChannelKind::Instagram, &long).unwrap(),
            "O Instagram aceita no máximo 1.000 bytes; esta mensagem tem 1.002 (acentos e emojis contam como 2–4). Encurte-a."
        );
        assert_eq!(
            ReplyWindow::Closed.refusal(Locale::en, ChannelKind::Messenger).unwrap(),
            "Messenger allows replies only for a while after the lead's last message, and that time is over. Continue in Messenger; the composer unlocks when they write again."
        );
        assert!(ReplyWindow::TemplateOnly
            .refusal(Locale::pt_BR, ChannelKind::Whatsapp)
            .is_some_and(|t| t.contains("modelo aprovado")));
    }
}
