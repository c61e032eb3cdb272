//! Calls: the phone log of the business, logged by hand or posted by its phone system.
//!
//! A call names a number (E.164); its client is the one holding that number (found when
//! it is read, so a client created later claims the calls of their number). The client's
//! name and id show only to employees who see that client (`clients::store::visible_sql`).
//! The Calls page needs the Documents permission; so does the API (`crm:read/crm:write`).

use crate::error::AppError;
use crate::ids::ClientId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

/// How many calls one page of the list holds.
pub const PAGE_SIZE: i64 = 50;
/// The longest note a call keeps.
pub const MAX_NOTES_CHARS: usize = 2000;
/// The longest id a phone system may give a call.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;
/// The longest call we accept (a day), in seconds.
pub const MAX_DURATION_SECONDS: i64 = 86_400;

/// Which way a call went. A missed call is an inbound call nobody answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    Inbound,
    Outbound,
    Missed,
}

impl CallDirection {
    pub const ALL: [CallDirection; 3] = [
        CallDirection::Inbound,
        CallDirection::Outbound,
        CallDirection::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
            CallDirection::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The stored `direction` column and `missed` flag.
    pub fn columns(self) -> (&'static str, i64) {
        match self {
            CallDirection::Inbound => ("inbound", 0),
            CallDirection::Outbound => ("outbound", 0),
            CallDirection::Missed => ("inbound", 1),
        }
    }

    pub fn from_columns(direction: &str, missed: bool) -> Self {
        match (direction, missed) {
            ("outbound", _) => CallDirection::Outbound,
            (_, true) => CallDirection::Missed,
            _ => CallDirection::Inbound,
        }
    }
}

/// A call in the Calls page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub id: i64,
    /// The client with this number, when the employee sees them.
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    /// In E.164.
    pub phone: String,
    /// The same number as people read it (`crate::phone::display`).
    pub phone_display: String,
    pub direction: CallDirection,
    /// Kept for older readers: `direction` is inbound or missed.
    pub inbound: bool,
    pub started_at: i64,
    pub duration_seconds: i64,
    pub notes: Option<String>,
    /// The phone system's id of the call, when it posted it.
    pub external_id: Option<String>,
}

/// What the list is narrowed to; every part is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallFilter {
    /// Words in the number, the client's name or the notes.
    pub text: String,
    pub direction: Option<CallDirection>,
    /// Exactly this number (E.164).
    pub phone: Option<String>,
    pub client_id: Option<ClientId>,
    /// Calls started at or after this instant (UTC ms).
    pub since: Option<i64>,
    /// Calls started before this instant (UTC ms).
    pub until: Option<i64>,
}

/// Where the next page starts (keyset pagination on the newest-first order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCursor {
    pub started_at: i64,
    pub id: i64,
}

impl Call {
    pub fn cursor(&self) -> CallCursor {
        CallCursor {
            started_at: self.started_at,
            id: self.id,
        }
    }
}

/// A call to log, already checked ([`NewCall::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    /// In E.164.
    pub phone: String,
    pub direction: CallDirection,
    pub started_at: i64,
    pub duration_seconds: i64,
    pub notes: Option<String>,
    pub external_id: Option<String>,
}

/// Reads a duration as typed: "m:ss", "h:mm:ss" or whole minutes ("5"). Empty is zero.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let number = |s: &str| -> Option<i64> {
        if s.is_empty() || s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let seconds = match parts.as_slice() {
        [minutes] => number(minutes)? * 60,
        [minutes, seconds] => {
            let s = number(seconds)?;
            (s < 60).then_some(())?;
            number(minutes)? * 60 + s
        }
        [hours, minutes, seconds] => {
            let (m, s) = (number(minutes)?, number(seconds)?);
            (m < 60 && s < 60).then_some(())?;
            number(hours)? * 3600 + m * 60 + s
        }
        _ => return None,
    };
    (seconds <= MAX_DURATION_SECONDS).then_some(seconds)
}

/// A duration as the list shows it: "m:ss", or "h:mm:ss" from an hour on.
pub fn format_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds >= 3600 {
        format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            (seconds % 3600) / 60,
            seconds % 60
        )
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

#[cfg(feature = "ssr")]
impl NewCall {
    /// Checks a call's parts as given (by the form or the API), in `locale`.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        locale: crate::i18n::Locale,
        country: crate::phone::Country,
        phone: &str,
        direction: &str,
        started_at: i64,
        duration_seconds: i64,
        notes: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<NewCall, AppError> {
        use crate::i18n::td_string;
        if phone.trim().is_empty() {
            return Err(AppError::validation(
                "phone",
                td_string!(locale, calls.phone_required),
            ));
        }
        let phone = crate::phone::normalize(phone, country)
            .map_err(|e| AppError::validation("phone", e.message(locale)))?
            .to_string();
        let direction = CallDirection::parse(direction.trim()).ok_or_else(|| {
            AppError::validation("direction", td_string!(locale, calls.direction_invalid))
        })?;
        let now = crate::store::now_ms();
        // From 2000 on, and not more than a day ahead (a clock a little off is fine).
        if !(946_684_800_000..=now + 86_400_000).contains(&started_at) {
            return Err(AppError::validation(
                "started_at",
                td_string!(locale, calls.time_invalid),
            ));
        }
        if !(0..=MAX_DURATION_SECONDS).contains(&duration_seconds) {
            return Err(AppError::validation(
                "duration",
                td_string!(locale, calls.duration_invalid),
            ));
        }
        let notes = notes.map(str::trim).filter(|n| !n.is_empty());
        if notes.is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS) {
            return Err(AppError::validation(
                "notes",
                crate::locale::fill(
                    td_string!(locale, calls.notes_too_long),
                    &[(
                        "max",
                        &crate::locale::format_integer(locale, MAX_NOTES_CHARS as i64),
                    )],
                ),
            ));
        }
        let external_id = external_id.map(str::trim).filter(|n| !n.is_empty());
        if external_id.is_some_and(|n| {
            n.chars().count() > MAX_EXTERNAL_ID_CHARS || n.chars().any(char::is_control)
        }) {
            return Err(AppError::validation(
                "external_id",
                td_string!(locale, calls.external_id_invalid),
            ));
        }
        Ok(NewCall {
            phone,
            direction,
            started_at,
            duration_seconds,
            notes: notes.map(str::to_owned),
            external_id: external_id.map(str::to_owned),
        })
    }
}

/// One page of the Calls page: newest first, narrowed by `text` (number, client, notes)
/// and `direction` (inbound, outbound, missed; empty for all), after the call
/// `(before_at, before_id)` when given.
#[server(endpoint = "list_calls")]
pub async fn list_calls(
    #[server(default)] query: String,
    #[server(default)] direction: String,
    #[server(default)] before_at: Option<i64>,
    #[server(default)] before_id: Option<i64>,
) -> Result<Vec<Call>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    crate::conversations::check_search_text(&query)?;
    let locale = crate::locale::request_locale();
    let direction = match direction.trim() {
        "" => None,
        other => Some(CallDirection::parse(other).ok_or_else(|| {
            AppError::validation(
                "direction",
                crate::i18n::td_string!(locale, calls.direction_invalid),
            )
        })?),
    };
    let cursor = match (before_at, before_id) {
        (Some(started_at), Some(id)) => Some(CallCursor { started_at, id }),
        (None, None) => None,
        _ => {
            return Err(AppError::validation(
                "before_id",
                crate::i18n::td_string!(locale, calls.cursor_invalid),
            ))
        }
    };
    let state = crate::state::AppState::current()?;
    let filter = CallFilter {
        text: query.trim().to_owned(),
        direction,
        ..Default::default()
    };
    Ok(store::list(&state.db, employee.id, &filter, cursor, PAGE_SIZE).await?)
}

/// The number as typed, read into E.164, with the client holding it (when the employee
/// sees them): what the "Log a call" form shows as the number is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberLookup {
    pub phone: String,
    pub phone_display: String,
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
}

#[server(endpoint = "lookup_call_number")]
pub async fn lookup_call_number(phone: String) -> Result<NumberLookup, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let locale = crate::locale::request_locale();
    let state = crate::state::AppState::current()?;
    if phone.trim().is_empty() {
        return Err(AppError::validation(
            "phone",
            crate::i18n::td_string!(locale, calls.phone_required),
        ));
    }
    let phone = crate::phone::normalize(&phone, state.db.country)
        .map_err(|e| AppError::validation("phone", e.message(locale)))?;
    let client = store::visible_client_of(&state.db, employee.id, phone.as_str(), true).await?;
    Ok(NumberLookup {
        phone_display: crate::phone::display(phone.as_str(), state.db.country),
        phone: phone.to_string(),
        client_id: client.as_ref().map(|c| c.0),
        client_name: client.map(|c| c.1),
    })
}

/// Logs a call by hand: the number as typed, which way it went, when it started (UTC ms;
/// the form turns the employee's local time into it), how long it lasted ("m:ss" or
/// minutes) and a note.
#[server(endpoint = "log_call")]
pub async fn log_call(
    phone: String,
    direction: String,
    started_at: i64,
    #[server(default)] duration: String,
    #[server(default)] notes: String,
) -> Result<Call, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let locale = crate::locale::request_locale();
    let state = crate::state::AppState::current()?;
    let duration_seconds = parse_duration(&duration).ok_or_else(|| {
        AppError::validation(
            "duration",
            crate::i18n::td_string!(locale, calls.duration_invalid),
        )
    })?;
    let call = NewCall::check(
        locale,
        state.db.country,
        &phone,
        &direction,
        started_at,
        duration_seconds,
        Some(&notes),
        None,
    )?;
    let (id, _) = store::create(&state.db, Some(employee.id), &call).await?;
    tracing::info!(employee = %employee.id, call = id, "call logged");
    store::get(&state.db, employee.id, id)
        .await?
        .ok_or(AppError::Internal)
}

/// Removes a call from the log.
#[server(endpoint = "delete_call")]
pub async fn delete_call(id: i64) -> Result<(), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    if !store::delete(&state.db, id).await? {
        return Err(AppError::NotFound(
            crate::i18n::td_string!(crate::locale::request_locale(), calls.what_call).to_owned(),
        ));
    }
    tracing::info!(employee = %employee.id, call = id, "call deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_typed() {
        assert_eq!(parse_duration(""), Some(0));
        assert_eq!(parse_duration("5"), Some(300));
        assert_eq!(parse_duration("3:07"), Some(187));
        assert_eq!(parse_duration(" 0:59 "), Some(59));
        assert_eq!(parse_duration("1:02:03"), Some(3723));
        assert_eq!(parse_duration("3:60"), None);
        assert_eq!(parse_duration("1:60:00"), None);
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration("-3"), None);
        assert_eq!(parse_duration("3.5"), None);
        assert_eq!(parse_duration("1441"), None, "more than a day");
        assert_eq!(format_duration(187), "3:07");
        assert_eq!(format_duration(3723), "1:02:03");
    }

    #[test]
    fn directions_map_to_columns_and_back() {
        for d in CallDirection::ALL {
            let (direction, missed) = d.columns();
            assert_eq!(CallDirection::from_columns(direction, missed != 0), d);
            assert_eq!(CallDirection::parse(d.as_str()), Some(d));
        }
        assert_eq!(CallDirection::parse("sideways"), None);
    }
}
