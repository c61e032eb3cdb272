//! Employees, their roles and the channels each may use: Settings › Employees, Roles and
//! Conversations. Only employees whose role has the `settings` permission reach these.

use crate::channels::Channel;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::ids::{ChannelId, EmployeeId, RoleId};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

/// What a role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The Conversations section: reading and answering chats.
    Conversations,
    /// Channels, employees and roles.
    Settings,
    /// Leads, estimates, orders and invoices.
    Documents,
}

impl Permission {
    pub const ALL: [Permission; 3] = [
        Permission::Conversations,
        Permission::Settings,
        Permission::Documents,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Conversations => "conversations",
            Permission::Settings => "settings",
            Permission::Documents => "documents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::Conversations => "Conversations",
            Permission::Settings => "Settings",
            Permission::Documents => "Documents",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Permission::Conversations => {
                "read and answer conversations of the channels given to them"
            }
            Permission::Settings => "manage channels, employees and roles",
            Permission::Documents => "create and edit leads, estimates, orders and invoices",
        }
    }

    /// Parses the stored comma-separated list, ignoring unknown names.
    pub fn parse_list(s: &str) -> Vec<Permission> {
        let mut list: Vec<Permission> = s.split(',').filter_map(Permission::parse).collect();
        list.sort_by_key(|p| p.as_str());
        list.dedup();
        list
    }

    pub fn join(list: &[Permission]) -> String {
        Permission::parse_list(
            &list
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub permissions: Vec<Permission>,
    /// The owner role always keeps Settings and Conversations, so nobody locks the business out.
    pub is_owner: bool,
    pub employee_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: EmployeeId,
    pub name: String,
    pub email: String,
    pub role_id: RoleId,
    pub active: bool,
    pub channel_ids: Vec<ChannelId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAccess {
    pub channel: Channel,
    pub employee_ids: Vec<EmployeeId>,
    /// Provider channels: the URL to give Meta or Twilio.
    pub webhook_url: Option<String>,
    /// Meta channels: the one URL their app shares (`/webhooks/meta/{app}`), to give
    /// Meta once per app: it serves every page, account and number of the app.
    pub app_webhook_url: Option<String>,
    /// Meta channels: the verify token to give Meta with the webhook URL.
    pub verify_token: Option<String>,
    /// The channel's id at the provider (page, account, number).
    pub external_id: Option<String>,
    /// New conversations go to the signed-in employees with the channel in turn.
    #[serde(default)]
    pub auto_assign: bool,
}

/// Everything the settings pages show, in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub employees: Vec<TeamMember>,
    pub roles: Vec<Role>,
    pub channels: Vec<ChannelAccess>,
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_NAME_CHARS: usize = 80;

/// Checks a person's or role's name: 1–80 characters. Refusals are in `locale`.
pub fn check_name(locale: Locale, field: &str, name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(AppError::validation(
            field,
            crate::locale::fill(
                td_string!(locale, account.name_length),
                &[(
                    "max",
                    &crate::locale::format_integer(locale, MAX_NAME_CHARS as i64),
                )],
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            td_string!(locale, account.name_control_characters),
        ));
    }
    Ok(name.to_owned())
}

pub fn check_email(locale: Locale, email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= crate::auth::MAX_EMAIL_LEN
        && email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(AppError::validation(
            "email",
            td_string!(locale, account.email_invalid),
        ))
    }
}

pub fn check_password(locale: Locale, password: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS || password.len() > crate::auth::MAX_PASSWORD_LEN {
        return Err(AppError::validation(
            "password",
            crate::locale::fill(
                td_string!(locale, account.password_too_short),
                &[(
                    "min",
                    &crate::locale::format_integer(locale, MIN_PASSWORD_CHARS as i64),
                )],
            ),
        ));
    }
    Ok(())
}

#[server(endpoint = "settings_team")]
pub async fn settings_team() -> Result<Team, AppError> {
    crate::auth::session::require_permission(Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    let mut team = store::team(&state.db).await?;
    for access in &mut team.channels {
        if access.channel.kind == crate::channels::ChannelKind::Sandbox {
            continue;
        }
        access.webhook_url = Some(format!(
            "{}/webhooks/{}/{}",
            state.public_url,
            access.channel.kind.as_str(),
            access.channel.id.0
        ));
        // A channel whose credentials cannot be opened (another CONFAB_SECRET_KEY) still
        // lists, so that it can be reconnected here.
        match crate::channels::store::config(&state.db, &state.secret_key, access.channel.id).await
        {
            Ok(Some(config)) => {
                access.verify_token = config.credentials.get("verify_token").map(str::to_owned);
                access.app_webhook_url = config
                    .credentials
                    .get("app_secret")
                    .filter(|secret| !secret.is_empty())
                    .map(|secret| {
                        format!(
                            "{}/webhooks/meta/{}",
                            state.public_url,
                            state.secret_key.meta_app_token(secret)
                        )
                    });
                access.external_id = Some(config.external_id);
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(channel = %access.channel.id, error = %err, "channel credentials unreadable");
            }
        }
    }
    Ok(team)
}

#[server(endpoint = "create_employee", input = Json)]
pub async fn create_employee(
    name: String,
    email: String,
    password: String,
    role_id: RoleId,
    channel_ids: Vec<ChannelId>,
) -> Result<EmployeeId, AppError> {
    let actor = crate::auth::session::require_permission(Permission::Settings).await?;
    let locale = crate::locale::request_locale();
    let name = check_name(locale, "name", &name)?;
    let email = check_email(locale, &email)?;
    check_password(locale, &password)?;
    let state = crate::state::AppState::current()?;
    let id = store::create(&state.db, &name, &email, &password, role_id, &channel_ids).await?;
    // A new employee has no live stream yet: no other stream needs to re-check.
    tracing::info!(actor = %actor.id, employee = %id, "employee created");
    Ok(id)
}

#[server(endpoint = "update_employee", input = Json)]
pub async fn update_employee(
    id: EmployeeId,
    name: String,
    role_id: RoleId,
) -> Result<(), AppError> {
    let actor = crate::auth::session::require_permission(Permission::Settings).await?;
    let name = check_name(crate::locale::request_locale(), "name", &name)?;
    let state = crate::state::AppState::current()?;
    let events = store::update(&state.db, actor.id, id, &name, role_id).await?;
    state.bus.publish(events);
    state.bus.access_changed_for([id]);
    Ok(())
}

/// Deactivating ends the employee's sessions, live streams and API tokens at once;
/// reactivating revives none of them.
#[server(endpoint = "set_employee_active", input = Json)]
pub async fn set_employee_active(id: EmployeeId, active: bool) -> Result<(), AppError> {
    let actor = crate::auth::session::require_permission(Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    let events = store::set_active(&state.db, actor.id, id, active).await?;
    state.bus.publish(events);
    tracing::info!(actor = %actor.id, employee = %id, active, "employee activation changed");
    state.bus.access_changed_for([id]);
    Ok(())
}

/// A new password ends every session and live stream of the employee, and (unless
/// `keep_tokens`) revokes their API tokens: whoever knew the old password may have
/// made one. Resetting one's own password keeps this tab signed in (a new session).
#[server(endpoint = "reset_password", input = Json)]
pub async fn reset_password(
    id: EmployeeId,
    password: String,
    #[server(default)] keep_tokens: bool,
) -> Result<(), AppError> {
    let actor = crate::auth::session::require_permission(Permission::Settings).await?;
    check_password(crate::locale::request_locale(), &password)?;
    let state = crate::state::AppState::current()?;
    let revoked = store::reset_password(&state.db, id, &password, !keep_tokens).await?;
    if actor.id == id {
        crate::auth::session::sign_in(id).await?;
    }
    state.bus.access_changed_for([id]);
    tracing::info!(actor = %actor.id, employee = %id, tokens_revoked = revoked, "password reset");
    Ok(())
}

/// Creates (no `id`) or changes a role.
#[server(endpoint = "save_role", input = Json)]
pub async fn save_role(
    id: Option<RoleId>,
    name: String,
    permissions: Vec<Permission>,
) -> Result<RoleId, AppError> {
    crate::auth::session::require_permission(Permission::Settings).await?;
    let name = check_name(crate::locale::request_locale(), "name", &name)?;
    let state = crate::state::AppState::current()?;
    let (id, events) = store::save_role(&state.db, id, &name, &permissions).await?;
    state.bus.publish(events);
    state
        .bus
        .access_changed_for(store::employees_with_role(&state.db, id).await?);
    Ok(id)
}

/// Who may use a channel: exactly these employees.
#[server(endpoint = "set_channel_access", input = Json)]
pub async fn set_channel_access(
    channel_id: ChannelId,
    employee_ids: Vec<EmployeeId>,
) -> Result<(), AppError> {
    crate::auth::session::require_permission(Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    let (concerned, events) =
        store::set_channel_access(&state.db, channel_id, &employee_ids).await?;
    state.bus.publish(events);
    state.bus.access_changed_for(concerned);
    Ok(())
}

/// Connects a channel: a sandbox (no credentials) or a provider channel with the keys
/// its kind needs (sealed at rest, never sent back except the verify token), for these
/// employees. An empty `verify_token` is generated.
#[server(endpoint = "create_channel", input = Json)]
pub async fn create_channel(
    kind: crate::channels::ChannelKind,
    name: String,
    #[server(default)] credentials: Vec<(String, String)>,
    #[server(default)] human_agent: bool,
    employee_ids: Vec<EmployeeId>,
) -> Result<ChannelId, AppError> {
    use crate::channels::ChannelKind;
    crate::auth::session::require_permission(Permission::Settings).await?;
    let name = check_name(crate::locale::request_locale(), "name", &name)?;
    let state = crate::state::AppState::current()?;
    let id = if kind == ChannelKind::Sandbox {
        let external_id = format!("sandbox-{}", crate::store::now_ms());
        crate::channels::store::create(&state.db, kind, &name, &external_id).await?
    } else {
        let credentials = with_verify_token(kind, credentials);
        let credentials = crate::channels::credentials::Credentials::parse(kind, &credentials)?;
        crate::channels::store::create_connected(
            &state.db,
            &state.secret_key,
            kind,
            &name,
            &credentials,
            human_agent,
        )
        .await?
    };
    let (concerned, _) = store::set_channel_access(&state.db, id, &employee_ids).await?;
    state.bus.access_changed_for(concerned);
    Ok(id)
}

/// New credentials for a channel (after "sync lost", or a rotated token): connects it again.
#[server(endpoint = "reconnect_channel", input = Json)]
pub async fn reconnect_channel(
    channel_id: ChannelId,
    credentials: Vec<(String, String)>,
    #[server(default)] human_agent: bool,
) -> Result<(), AppError> {
    crate::auth::session::require_permission(Permission::Settings).await?;
    let state = crate::state::AppState::current()?;
    let channel = crate::channels::store::by_id(&state.db, channel_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                td_string!(crate::locale::request_locale(), account.what_channel).to_owned(),
            )
        })?;
    // A practice channel takes its tokens from the simulator only (`renew_practice_token`).
    if channel.simulated {
        return Err(AppError::validation(
            "channel_id",
            td_string!(
                crate::locale::request_locale(),
                settings.practice_reconnect_only
            ),
        ));
    }
    // Only what changed needs typing (usually the new token): the rest is kept.
    let credentials =
        crate::channels::store::keep_untyped(&state.db, &state.secret_key, channel_id, credentials)
            .await?;
    let credentials = with_verify_token(channel.kind, credentials);
    let credentials = crate::channels::credentials::Credentials::parse(channel.kind, &credentials)?;
    crate::channels::store::reconnect(
        &state.db,
        &state.secret_key,
        channel_id,
        &credentials,
        human_agent,
    )
    .await?;
    // Who may use the channel is unchanged: no stream needs to re-check. Its composers
    // unlock live, and the replies waiting go.
    state
        .bus
        .publish(crate::channels::store::announce(&state.db, channel_id).await?);
    state.outbox.notify_one();
    Ok(())
}

/// Meta kinds need a verify token: generate one when the owner left it empty.
#[cfg(feature = "ssr")]
fn with_verify_token(
    kind: crate::channels::ChannelKind,
    mut credentials: Vec<(String, String)>,
) -> Vec<(String, String)> {
    credentials.retain(|(_, v)| !v.trim().is_empty());
    let needs = crate::channels::credential_keys(kind).contains(&"verify_token");
    if needs && !credentials.iter().any(|(k, _)| k == "verify_token") {
        let token = format!("confab-{:016x}", rand::random::<u64>());
        credentials.push(("verify_token".into(), token));
    }
    credentials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_lists_round_trip_and_ignore_junk() {
        assert_eq!(
            Permission::parse_list("settings, conversations,nonsense,settings"),
            vec![Permission::Conversations, Permission::Settings]
        );
        assert_eq!(
            Permission::join(&[Permission::Settings, Permission::Conversations]),
            "conversations,settings"
        );
    }

    #[test]
    fn inputs_are_checked() {
        let english = Locale::en;
        assert!(check_name(english, "name", "  ").is_err());
        assert!(check_name(english, "name", &"x".repeat(81)).is_err());
        assert_eq!(check_name(english, "name", " Ana ").unwrap(), "Ana");
        assert!(check_email(english, "ana").is_err());
        assert!(check_email(english, "ana@host").is_err());
        assert!(check_email(english, "a na@host.com").is_err());
        assert_eq!(
            check_email(english, " Ana@Example.com ").unwrap(),
            "ana@example.com"
        );
        assert!(check_password(english, "short").is_err());
        assert!(check_password(english, "long enough!").is_ok());
    }

    #[test]
    fn refusals_are_in_the_language_asked_for() {
        let message = |err: AppError| match err {
            AppError::Validation { message, .. } => message,
            other => panic!("not a validation error: {other:?}"),
        };
        assert_eq!(
            message(check_name(Locale::en, "name", "").unwrap_err()),
            "Give a name of 1 to 80 characters."
        );
        assert_eq!(
            message(check_name(Locale::pt_BR, "name", "").unwrap_err()),
            "Informe um nome de 1 a 80 caracteres."
        );
        assert_eq!(
            message(check_password(Locale::en, "short").unwrap_err()),
            "Choose a password of at least 10 characters."
        );
        assert_eq!(
            message(check_password(Locale::pt_BR, "short").unwrap_err()),
            "Escolha uma senha de pelo menos 10 caracteres."
        );
        assert_eq!(
            message(check_email(Locale::pt_BR, "ana").unwrap_err()),
            "Digite um e-mail válido, como ana@exemplo.com."
        );
    }
}
