//! Limits on sign-in attempts, so passwords cannot be guessed at speed, and the bound on
//! the argon2 work sign-ins may cause.
//!
//! An attempt counts under three limits, each over the last fifteen minutes:
//! - its account from its address: five, the lock-out a guesser meets first. It is per
//!   address so that a stranger guessing from elsewhere cannot lock the owner out;
//! - its address, whichever accounts: twenty, against one address trying a common password
//!   on many accounts. An office behind one address still has room for everyone's typos
//!   (a success does not count);
//! - its account, from any address: fifty, against guessing spread over many addresses.
//!   Generous, as it is the one limit strangers can use to lock the owner out: it takes
//!   ten addresses doing nothing but that, and it still caps a botnet at 200 guesses an
//!   hour per account.
//!
//! The attempt is recorded before its password is checked, in the same step as the check
//! of the limits (`store::record_login_attempt`), so parallel guesses count one by one: of
//! 300 at once, five are checked and the rest refused. A refused attempt checks no password
//! and is not recorded (else a stranger's refused guesses would keep the account's limit
//! full). A successful sign-in takes its own attempt back and clears its account's
//! attempts from its address. Attempts live in the database, so every process of one
//! business counts them together; rows older than the window are pruned.

use super::password::HashingPool;
use crate::store::{Db, StoreResult};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Attempts on one account from one address.
pub const MAX_PER_ACCOUNT_AT_ADDRESS: i64 = 5;
/// Attempts from one address on any accounts.
pub const MAX_PER_ADDRESS: i64 = 20;
/// Attempts on one account from any addresses.
pub const MAX_PER_ACCOUNT: i64 = 50;
/// How often a process deletes expired attempts (on its next sign-in past that).
const PRUNE_EVERY_MS: i64 = 60 * 1000;

/// Sign-in limits and argon2 work of one server process (`AppState::login_limiter`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    /// Where sign-ins check passwords: a bounded number at once.
    pub hashing: HashingPool,
    last_pruned: AtomicI64,
}

/// A recorded attempt, allowed to check its password.
#[derive(Debug, Clone)]
pub struct Attempt {
    id: String,
    keys: Keys,
}

/// Which limit refused an attempt: its account's (from its address or from all), or its
/// address's. Tells the message apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    Account,
    Address,
}

/// An attempt refused: when it may be tried again, and which limit is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub wait_ms: i64,
    pub scope: LockScope,
}

/// The keys of the three limits, hashed: the table keeps neither emails nor addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Keys {
    account_at_address: String,
    address: String,
    account: String,
}

impl Keys {
    fn new(email: &str, ip: IpAddr) -> Self {
        let network = network(ip);
        let key = |parts: &[&str]| hex::encode(Sha256::digest(parts.join("\n").as_bytes()));
        Keys {
            account_at_address: key(&["account+address", email, &network]),
            address: key(&["address", &network]),
            account: key(&["account", email]),
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.account_at_address, &self.address, &self.account]
    }

    fn limits(&self) -> [(&str, i64); 3] {
        [
            (&self.account_at_address, MAX_PER_ACCOUNT_AT_ADDRESS),
            (&self.address, MAX_PER_ADDRESS),
            (&self.account, MAX_PER_ACCOUNT),
        ]
    }
}

/// The address as limits see it: IPv4 as is, IPv6 by its /64, the block one subscriber
/// usually gets (else one client would have 2^64 fresh addresses to guess from).
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl LoginLimiter {
    /// Records a sign-in attempt of `email` from `ip`, or says which limit refuses it and
    /// for how long.
    pub async fn begin(
        &self,
        db: &Db,
        email: &str,
        ip: IpAddr,
        now: i64,
    ) -> StoreResult<Result<Attempt, Locked>> {
        self.prune_now_and_then(db, now).await;
        let keys = Keys::new(email, ip);
        let id = hex::encode(rand::random::<[u8; 16]>());
        let since = now - WINDOW_MS;
        if super::store::record_login_attempt(db, keys.limits(), &id, now, since).await? {
            return Ok(Ok(Attempt { id, keys }));
        }
        let counts = super::store::login_attempts_since(db, keys.all(), since).await?;
        Ok(Err(lockout(&keys, &counts, now)))
    }

    /// The attempt signed in: it does not count, and its account's attempts from its
    /// address are forgotten.
    pub async fn succeeded(&self, db: &Db, attempt: &Attempt) -> StoreResult<()> {
        super::store::forget_login_attempt(
            db,
            attempt.keys.all(),
            &attempt.id,
            Some(&attempt.keys.account_at_address),
        )
        .await
    }

    /// The attempt checked no password (the server was too busy): it does not count.
    pub async fn withdraw(&self, db: &Db, attempt: &Attempt) -> StoreResult<()> {
        super::store::forget_login_attempt(db, attempt.keys.all(), &attempt.id, None).await
    }

    /// Deletes expired attempts, at most once a minute per process; a failure only logs
    /// (the next sign-in tries again, and old rows count for nothing meanwhile).
    async fn prune_now_and_then(&self, db: &Db, now: i64) {
        let last = self.last_pruned.load(Ordering::Relaxed);
        if now - last < PRUNE_EVERY_MS
            || self
                .last_pruned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match super::store::prune_login_attempts(db, now - WINDOW_MS).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(count = n, "expired sign-in attempts removed"),
            Err(err) => tracing::warn!(error = %err, "could not remove expired sign-in attempts"),
        }
    }
}

/// Which full limit refused an attempt, and the wait until it has room: until its oldest
/// attempt in the window is fifteen minutes old (the longest wait when several are full).
fn lockout(keys: &Keys, counts: &[(String, i64, i64)], now: i64) -> Locked {
    let full = |key: &str, max: i64| {
        counts
            .iter()
            .find(|(k, n, _)| k == key && *n >= max)
            .map(|(_, _, oldest)| (WINDOW_MS - (now - oldest)).max(0))
    };
    let account = [
        full(&keys.account_at_address, MAX_PER_ACCOUNT_AT_ADDRESS),
        full(&keys.account, MAX_PER_ACCOUNT),
    ]
    .into_iter()
    .flatten()
    .max();
    let address = full(&keys.address, MAX_PER_ADDRESS);
    match (account, address) {
        (Some(a), Some(b)) if b > a => Locked {
            wait_ms: b,
            scope: LockScope::Address,
        },
        (Some(wait_ms), _) => Locked {
            wait_ms,
            scope: LockScope::Account,
        },
        (None, Some(wait_ms)) => Locked {
            wait_ms,
            scope: LockScope::Address,
        },
        // Expired between the two queries: any wait is over already.
        (None, None) => Locked {
            wait_ms: 0,
            scope: LockScope::Account,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    async fn failures(limiter: &LoginLimiter, db: &Db, email: &str, from: &str, n: i64, at: i64) {
        for _ in 0..n {
            assert!(limiter
                .begin(db, email, ip(from), at)
                .await
                .unwrap()
                .is_ok());
        }
    }

    #[tokio::test]
    async fn five_attempts_lock_the_account_at_that_address_for_the_rest_of_the_window() {
        let (db, dir) = crate::store::temp_db("limiter-five").await;
        let limiter = LoginLimiter::default();
        for i in 0..MAX_PER_ACCOUNT_AT_ADDRESS {
            failures(&limiter, &db, "ana@x.com", "203.0.113.1", 1, i * 1000).await;
        }
        let locked = limiter
            .begin(&db, "ana@x.com", ip("203.0.113.1"), 10_000)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(
            locked,
            Locked {
                wait_ms: WINDOW_MS - 10_000,
                scope: LockScope::Account
            }
        );
        // The same account from elsewhere, and another account from there, still try.
        assert!(limiter
            .begin(&db, "ana@x.com", ip("198.51.100.2"), 10_000)
            .await
            .unwrap()
            .is_ok());
        assert!(limiter
            .begin(&db, "bia@x.com", ip("203.0.113.1"), 10_000)
            .await
            .unwrap()
            .is_ok());
        // The window passes (and pruning drops what it no longer needs).
        assert!(limiter
            .begin(&db, "ana@x.com", ip("203.0.113.1"), WINDOW_MS + 1)
            .await
            .unwrap()
            .is_ok());
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts WHERE at = 0")
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(left, 0, "expired attempts are pruned");
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_success_clears_its_account_at_its_address_and_does_not_count() {
        let (db, dir) = crate::store::temp_db("limiter-success").await;
        let limiter = LoginLimiter::default();
        failures(&limiter, &db, "ana@x.com", "203.0.113.1", 4, 0).await;
        let right = limiter
            .begin(&db, "ana@x.com", ip("203.0.113.1"), 1)
            .await
            .unwrap()
            .unwrap();
        limiter.succeeded(&db, &right).await.unwrap();
        failures(&limiter, &db, "ana@x.com", "203.0.113.1", 5, 2).await;
        // A withdrawn attempt (never checked) leaves no trace either.
        let (db2, dir2) = crate::store::temp_db("limiter-withdraw").await;
        let busy = limiter
            .begin(&db2, "ana@x.com", ip("203.0.113.1"), 0)
            .await
            .unwrap()
            .unwrap();
        limiter.withdraw(&db2, &busy).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts")
            .fetch_one(&db2.read)
            .await
            .unwrap();
        assert_eq!(left, 0);
        std::fs::remove_dir_all(dir).ok();
        std::fs::remove_dir_all(dir2).ok();
    }

    #[tokio::test]
    async fn an_address_trying_many_accounts_and_an_account_tried_from_many_addresses_stop() {
        let (db, dir) = crate::store::temp_db("limiter-spray").await;
        let limiter = LoginLimiter::default();
        for i in 0..MAX_PER_ADDRESS {
            failures(&limiter, &db, &format!("u{i}@x.com"), "203.0.113.1", 1, 0).await;
        }
        let locked = limiter
            .begin(&db, "new@x.com", ip("203.0.113.1"), 1)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(locked.scope, LockScope::Address);
        // An IPv6 client counts by its /64: another address in it is the same client.
        for i in 0..MAX_PER_ADDRESS {
            let from = format!("2001:db8:1:2::{i:x}");
            failures(&limiter, &db, &format!("v{i}@x.com"), &from, 1, 0).await;
        }
        assert!(limiter
            .begin(&db, "new@x.com", ip("2001:db8:1:2:ffff::1"), 1)
            .await
            .unwrap()
            .is_err());
        // Ten addresses at five each fill the account's limit for everyone.
        for i in 0..MAX_PER_ACCOUNT / MAX_PER_ACCOUNT_AT_ADDRESS {
            let from = format!("198.51.100.{i}");
            failures(&limiter, &db, "ana@x.com", &from, 5, 0).await;
        }
        let locked = limiter
            .begin(&db, "ana@x.com", ip("192.0.2.77"), 1)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(locked.scope, LockScope::Account);
        std::fs::remove_dir_all(dir).ok();
    }
}
