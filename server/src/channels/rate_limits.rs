//! Rate limits: a provider saying "stop sending for a while" pauses the channel's sending
//! (or, for WhatsApp's per-lead limit, that conversation's) until it says, instead of
//! retrying each reply a few seconds later and failing it after N attempts. Which answers
//! are rate limits, and how long they ask to wait, as documented (see
//! `server/tests/fixtures/providers/SOURCES.md`):
//!
//! - Graph API (Messenger, Instagram, WhatsApp): error codes 4 (app), 17 (user), 32 (page),
//!   613 (custom) and the Business Use Case codes 80001–80009 ("Rate Limits" page); the
//!   wait is the `X-Business-Use-Case-Usage` header's `estimated_time_to_regain_access`,
//!   in minutes, or `Retry-After` in seconds.
//! - WhatsApp Cloud API: 130429 (the number's throughput), 131048 (spam rate limit) pause
//!   the channel; 131056 is the (business, consumer) pair rate limit: only messages to
//!   that one lead must wait, so only the conversation pauses.
//! - Twilio: error 20429 / HTTP 429 ("Too Many Requests"), with `Retry-After` when given.

use super::SendError;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// What a rate limit stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseScope {
    /// Everything the channel sends.
    Channel,
    /// Only replies to this lead (WhatsApp 131056).
    Conversation,
}

/// Graph API throttling codes: app, user, page, custom, WhatsApp's throughput; the
/// Business Use Case ones are 80001–80014.
const GRAPH_CHANNEL_CODES: [i64; 5] = [4, 17, 32, 613, 130429];
const BUSINESS_USE_CASE_CODES: std::ops::RangeInclusive<i64> = 80001..=80014;
/// WhatsApp's spam rate limit: the number may send no more for now.
const WHATSAPP_SPAM: i64 = 131048;
/// WhatsApp's (business, consumer) pair rate limit.
const WHATSAPP_PAIR: i64 = 131056;

/// The Graph error in `body` as a pause, if it is a rate limit. `reason` is what the
/// employee reads (the provider's words, already worded by the caller).
pub fn graph(body: &[u8], headers: &HeaderMap, reason: String) -> Option<SendError> {
    let error: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = error.pointer("/error/code").and_then(code_number)?;
    let scope = match code {
        WHATSAPP_PAIR => PauseScope::Conversation,
        WHATSAPP_SPAM => PauseScope::Channel,
        c if GRAPH_CHANNEL_CODES.contains(&c) || BUSINESS_USE_CASE_CODES.contains(&c) => {
            PauseScope::Channel
        }
        _ => return None,
    };
    Some(SendError::Paused {
        reason,
        wait: business_use_case_wait(headers).or_else(|| retry_after(headers)),
        scope,
    })
}

/// Twilio's answer as a pause, if it is its rate limit (20429, or HTTP 429).
pub fn twilio(
    http_status: u16,
    body: &[u8],
    headers: &HeaderMap,
    reason: String,
) -> Option<SendError> {
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(code_number));
    (http_status == 429 || code == Some(20429)).then(|| SendError::Paused {
        reason,
        wait: retry_after(headers),
        scope: PauseScope::Channel,
    })
}

/// A code as a number or a string of digits (some relays quote it).
fn code_number(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `Retry-After` in seconds (an HTTP date is not trusted).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`:
/// a JSON object of business object ids, each with a list of usages by type.
pub fn business_use_case_wait(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get("x-business-use-case-usage")?.to_str().ok()?;
    let usage: serde_json::Value = serde_json::from_str(text).ok()?;
    let minutes = usage
        .as_object()?
        .values()
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|u| u.get("estimated_time_to_regain_access"))
        .filter_map(|m| m.as_f64())
        .fold(0.0_f64, f64::max);
    (minutes > 0.0).then(|| Duration::from_secs_f64(minutes.min(7.0 * 24.0 * 60.0) * 60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn wait_and_scope(e: Option<SendError>) -> Option<(Option<Duration>, PauseScope)> {
        match e? {
            SendError::Paused { wait, scope, .. } => Some((wait, scope)),
            _ => None,
        }
    }

    #[test]
    fn graph_throttling_codes_pause_for_the_time_meta_estimates() {
        let body = br#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"A1"}}"#;
        let buc = r#"{"1234":[{"type":"messenger","call_count":100,"total_cputime":10,"total_time":12,"estimated_time_to_regain_access":7},{"type":"pages","call_count":5,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}"#;
        assert_eq!(
            wait_and_scope(graph(
                body,
                &headers(&[("x-business-use-case-usage", buc)]),
                "r".into()
            )),
            Some((Some(Duration::from_secs(7 * 60)), PauseScope::Channel))
        );
        assert_eq!(
            wait_and_scope(graph(body, &headers(&[("retry-after", "30")]), "r".into())),
            Some((Some(Duration::from_secs(30)), PauseScope::Channel))
        );
        assert_eq!(
            wait_and_scope(graph(body, &HeaderMap::new(), "r".into())),
            Some((None, PauseScope::Channel))
        );
        for code in [17, 32, 613, 80006, 130429, 131048] {
            let body = format!(r#"{{"error":{{"message":"x","code":{code}}}}}"#);
            assert_eq!(
                wait_and_scope(graph(body.as_bytes(), &HeaderMap::new(), "r".into())),
                Some((None, PauseScope::Channel)),
                "{code}"
            );
        }
        let pair = br#"{"error":{"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit","type":"OAuthException","code":131056,"error_data":{"messaging_product":"whatsapp","details":"x"}}}"#;
        assert_eq!(
            wait_and_scope(graph(pair, &HeaderMap::new(), "r".into())),
            Some((None, PauseScope::Conversation))
        );
        let expired = br#"{"error":{"message":"expired","code":190}}"#;
        assert_eq!(graph(expired, &HeaderMap::new(), "r".into()), None);
        assert_eq!(graph(b"<html>", &HeaderMap::new(), "r".into()), None);
    }

    #[test]
    fn twilio_429_pauses_for_its_retry_after() {
        let busy = br#"{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}"#;
        assert_eq!(
            wait_and_scope(twilio(
                429,
                busy,
                &headers(&[("retry-after", "3")]),
                "r".into()
            )),
            Some((Some(Duration::from_secs(3)), PauseScope::Channel))
        );
        assert_eq!(
            wait_and_scope(twilio(429, b"", &HeaderMap::new(), "r".into())),
            Some((None, PauseScope::Channel))
        );
        let invalid = br#"{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}"#;
        assert_eq!(twilio(400, invalid, &HeaderMap::new(), "r".into()), None);
    }
}
