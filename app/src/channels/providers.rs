//! What server functions may ask of the providers' APIs. The server crate implements it
//! (it owns the HTTP client and the base URLs); `AppState` carries it.

use super::store::ChannelConfig;
use super::WhatsappTemplate;
use async_trait::async_trait;

#[async_trait]
pub trait ProviderApi: Send + Sync + std::fmt::Debug {
    /// The approved templates of a WhatsApp channel (needs its `business_account_id`).
    async fn whatsapp_templates(
        &self,
        channel: &ChannelConfig,
    ) -> Result<Vec<WhatsappTemplate>, String>;

    /// The lead's name and (Instagram) username from the Graph API profile.
    async fn contact_profile(
        &self,
        channel: &ChannelConfig,
        contact_external_id: &str,
    ) -> Result<ContactProfile, String>;
}

/// What a provider tells about a lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactProfile {
    pub name: Option<String>,
    pub username: Option<String>,
}
