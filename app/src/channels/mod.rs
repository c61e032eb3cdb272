//! Channels: the business's pages, accounts and numbers that leads write to.

use crate::ids::ChannelId;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod credentials;
pub mod help;
pub mod media_rules;
#[cfg(feature = "ssr")]
pub mod providers;
#[cfg(feature = "ssr")]
pub mod store;
pub mod whatsapp_identity;
pub mod window;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Sandbox,
    Messenger,
    Instagram,
    Whatsapp,
    TwilioSms,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Sandbox,
        ChannelKind::Messenger,
        ChannelKind::Instagram,
        ChannelKind::Whatsapp,
        ChannelKind::TwilioSms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sandbox => "sandbox",
            ChannelKind::Messenger => "messenger",
            ChannelKind::Instagram => "instagram",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::TwilioSms => "twilio_sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A badge-sized abbreviation.
    pub fn short_label(self) -> &'static str {
        match self {
            ChannelKind::Sandbox => "SB",
            ChannelKind::Messenger => "M",
            ChannelKind::Instagram => "IG",
            ChannelKind::Whatsapp => "WA",
            ChannelKind::TwilioSms => "SMS",
        }
    }

    /// The name in a language: the providers' names stay as they are; the sandbox's is
    /// translated.
    pub fn label_in(self, locale: crate::i18n::Locale) -> &'static str {
        match self {
            ChannelKind::Sandbox => crate::i18n::td_string!(locale, messaging.channel_sandbox),
            other => other.label(),
        }
    }

    /// The name employees know the provider by.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Sandbox => "Sandbox",
            ChannelKind::Messenger => "Messenger",
            ChannelKind::Instagram => "Instagram",
            ChannelKind::Whatsapp => "WhatsApp",
            ChannelKind::TwilioSms => "SMS",
        }
    }
}

/// The keys a kind of channel needs, the first being its id at the provider.
pub fn credential_keys(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::Messenger => &["page_id", "app_secret", "access_token", "verify_token"],
        ChannelKind::Instagram => &["account_id", "app_secret", "access_token", "verify_token"],
        ChannelKind::Whatsapp => &[
            "phone_number_id",
            "app_secret",
            "access_token",
            "verify_token",
        ],
        ChannelKind::TwilioSms => &["account_sid", "auth_token", "phone_number"],
        ChannelKind::Sandbox => &[],
    }
}

/// Keys a kind may have but does not need: WhatsApp's business account id lets Confab
/// list the approved templates; an Instagram account says how it was connected (`login`:
/// `instagram`, the default, or `facebook`, which needs the linked Page's `page_id`).
pub fn optional_credential_keys(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::Whatsapp => &["business_account_id"],
        ChannelKind::Instagram => &["login", "page_id"],
        _ => &[],
    }
}

/// An approved WhatsApp template, as the employee picks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappTemplate {
    pub name: String,
    pub language: String,
    /// The body text with `{{1}}`, `{{2}}` … where the variables go.
    pub body: String,
}

impl WhatsappTemplate {
    /// How many variables the body has (the highest `{{n}}`).
    pub fn variable_count(&self) -> usize {
        let mut highest = 0;
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("{{") {
            rest = &rest[start + 2..];
            if let Some(end) = rest.find("}}") {
                if let Ok(n) = rest[..end].trim().parse::<usize>() {
                    highest = highest.max(n);
                }
                rest = &rest[end + 2..];
            }
        }
        highest
    }

    /// The text the lead will read, with the variables filled in.
    pub fn render(&self, values: &[String]) -> String {
        let mut text = self.body.clone();
        for (i, value) in values.iter().enumerate() {
            text = text.replace(&format!("{{{{{}}}}}", i + 1), value);
        }
        text
    }
}

/// The credential that names the channel at the provider (and routes its webhooks).
pub fn external_id_key(kind: ChannelKind) -> Option<&'static str> {
    match kind {
        ChannelKind::Messenger => Some("page_id"),
        ChannelKind::Instagram => Some("account_id"),
        ChannelKind::Whatsapp => Some("phone_number_id"),
        ChannelKind::TwilioSms => Some("phone_number"),
        ChannelKind::Sandbox => None,
    }
}

/// Keys that are not secret and may be shown back to the owner.
pub fn is_public_credential(key: &str) -> bool {
    matches!(
        key,
        "page_id" | "account_id" | "phone_number_id" | "account_sid" | "phone_number" | "login"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Connected,
    SyncLost,
    Disconnected,
}

impl ChannelStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "connected" => ChannelStatus::Connected,
            "sync_lost" => ChannelStatus::SyncLost,
            _ => ChannelStatus::Disconnected,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub display_name: String,
    pub status: ChannelStatus,
    pub status_detail: Option<String>,
    /// Meta channels: replies may use the HUMAN_AGENT tag (7 days instead of 24 hours).
    pub human_agent: bool,
    /// A practice channel: connected to the simulator built into Confab, not to the
    /// provider (`/sandbox` plays its leads). Never talks to the internet.
    #[serde(default)]
    pub simulated: bool,
    /// Until when (UTC ms) the provider asked Confab to stop sending on this channel (a
    /// rate limit): replies wait, uncounted, and the composer says so. `None`: not paused.
    #[serde(default)]
    pub paused_until: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_count_and_fill_their_variables() {
        let t = WhatsappTemplate {
            name: "order_ready".into(),
            language: "pt_BR".into(),
            body: "Olá {{1}}, seu pedido {{2}} está pronto. {{1}}!".into(),
        };
        assert_eq!(t.variable_count(), 2);
        assert_eq!(
            t.render(&["Ana".into(), "#42".into()]),
            "Olá Ana, seu pedido #42 está pronto. Ana!"
        );
        let plain = WhatsappTemplate {
            body: "Hello {{x}} }}{{".into(),
            ..t
        };
        assert_eq!(plain.variable_count(), 0);
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ChannelKind::parse("telegram"), None);
    }
}
