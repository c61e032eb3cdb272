//! Failed sign-ins per account: after five within fifteen minutes, the account refuses
//! sign-ins (even with the right password) until the oldest of them is fifteen minutes
//! old, so passwords cannot be guessed at speed. Kept in memory: a restart forgets it,
//! which costs an attacker a restart they cannot cause.

use std::collections::HashMap;
use std::sync::Mutex;

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Accounts tracked at most; past it, entries whose failures are all old are dropped.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl LoginLimiter {
    /// `Err(ms)` when the account must wait that long before trying again.
    pub fn check(&self, email: &str, now: i64) -> Result<(), i64> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let recent: Vec<i64> = failures
            .get(email)
            .map(|f| {
                f.iter()
                    .copied()
                    .filter(|at| now - at < WINDOW_MS)
                    .collect()
            })
            .unwrap_or_default();
        if recent.len() >= MAX_FAILURES {
            let oldest = recent.iter().copied().min().unwrap_or(now);
            return Err(WINDOW_MS - (now - oldest));
        }
        Ok(())
    }

    pub fn failed(&self, email: &str, now: i64) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| f.iter().any(|at| now - at < WINDOW_MS));
        }
        let list = failures.entry(email.to_owned()).or_default();
        list.retain(|at| now - at < WINDOW_MS);
        list.push(now);
    }

    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_for_the_rest_of_the_window() {
        let limiter = LoginLimiter::default();
        for i in 0..MAX_FAILURES as i64 {
            assert!(limiter.check("ana@x.com", i * 1000).is_ok());
            limiter.failed("ana@x.com", i * 1000);
        }
        let wait = limiter.check("ana@x.com", 10_000).unwrap_err();
        assert_eq!(wait, WINDOW_MS - 10_000);
        assert!(limiter.check("other@x.com", 10_000).is_ok(), "per account");
        assert!(
            limiter.check("ana@x.com", WINDOW_MS + 1).is_ok(),
            "the window passes"
        );
        limiter.succeeded("ana@x.com");
        assert!(limiter.check("ana@x.com", 10_000).is_ok());
    }
}
