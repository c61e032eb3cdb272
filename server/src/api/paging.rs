//! Keyset paging for the API's lists: a page holds at most `limit` items and, when more
//! follow, an opaque `next_cursor` naming the last item's sort key and id. The store
//! fetches `limit + 1` rows after the cursor (`WHERE (key, id) > (…)` on an index), so a
//! page costs the same at the millionth row as at the first.
//!
//! A cursor is the URL-safe base64 of the JSON `[key, id]`: clients pass it back as given
//! and never build one.

use crate::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How many items a page holds when the request names no `limit`.
pub const DEFAULT_LIMIT: usize = 50;
/// The most items a page holds.
pub const MAX_LIMIT: usize = 100;

/// A page of a list.
#[derive(Debug, Serialize, Deserialize)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The cursor after an item whose sort key is `key` and id `id`.
pub fn encode<K: Serialize>(key: &K, id: i64) -> String {
    let json = serde_json::to_vec(&(key, id)).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The sort key and id a cursor names, or a 422 on `cursor` for one this API did not give.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<(K, i64), ApiError> {
    let invalid = || ApiError::Invalid {
        field: "cursor".into(),
        message: "cursor is not one this API gave out".into(),
    };
    if cursor.len() > 2_000 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// The page size a request asked for: [`DEFAULT_LIMIT`] when absent, 1 to [`MAX_LIMIT`].
pub fn limit(asked: Option<i64>) -> Result<usize, ApiError> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::Invalid {
            field: "limit".into(),
            message: format!("limit must be between 1 and {MAX_LIMIT}"),
        }),
    }
}

/// The page of `rows` fetched as `limit + 1`: the first `limit`, and a cursor after the
/// last of them when the extra row shows that more follow. `key` gives an item's sort key
/// and id.
pub fn page<T, K: Serialize>(
    mut rows: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> (K, i64),
) -> CursorPage<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(|last| {
            let (k, id) = key(last);
            encode(&k, id)
        })
    } else {
        None
    };
    CursorPage {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = encode(&"Ana Souza", 42);
        assert_eq!(decode::<String>(&c).unwrap(), ("Ana Souza".to_owned(), 42));
        assert_eq!(
            decode::<i64>(&encode(&1_700_000_000_000i64, 7)).unwrap(),
            (1_700_000_000_000, 7)
        );
        assert!(decode::<String>("abc").is_err());
        assert!(decode::<i64>(&c).is_err(), "a key of another type");
        assert!(decode::<String>(&"A".repeat(3000)).is_err());
    }

    #[test]
    fn pages_cut_at_the_limit_and_name_the_last_item() {
        let p = page((1..=4).collect::<Vec<i64>>(), 3, |n| ((), *n));
        assert_eq!(p.items, vec![1, 2, 3]);
        assert_eq!(decode::<()>(&p.next_cursor.unwrap()).unwrap().1, 3);
        let p = page((1..=3).collect::<Vec<i64>>(), 3, |n| ((), *n));
        assert_eq!(p.next_cursor, None);
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
