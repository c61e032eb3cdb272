//! argon2id password hashing, run off the async threads (it is deliberately slow), and
//! the bound on how many sign-in checks run at once.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A valid hash of a random password, verified when the email is unknown (equal timing).
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Pq1+fG4HRGEpi5nTCz1ON3lUsJUGEGFShYCnEQlu5VU";

/// argon2 checks that run at once: each holds about 19 MiB (m=19456 KiB) for ~50 ms of a
/// core, so four keep memory under 80 MiB and still use a small server's cores.
pub const MAX_RUNNING: usize = 4;
/// Sign-in checks that may wait for one of those slots. Past it a sign-in is answered
/// "too busy, try again in a moment" at once: a queue of 32 clears in well under a second,
/// and a flood of requests costs a refusal each instead of a growing queue of waiting
/// requests (their passwords included) in memory.
pub const MAX_WAITING: usize = 32;

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a password on a blocking thread, unbounded: for checks behind a session (the
/// current password in the profile). Sign-ins go through a [`HashingPool`].
pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, &hash))
        .await
        .unwrap_or(false)
}

/// The pool is full: more checks are running and waiting than it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Runs argon2-sized jobs at most [`MAX_RUNNING`] at a time, with at most [`MAX_WAITING`]
/// more waiting; one per server process (in `AppState::login_limiter`).
#[derive(Debug)]
pub struct HashingPool {
    /// Running and waiting jobs: a job that cannot take one is refused.
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    gauge: Arc<Gauge>,
}

#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// Counts a job as running while it lives (also when the job panics).
struct Running(Arc<Gauge>);

impl Running {
    fn start(gauge: Arc<Gauge>) -> Self {
        let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.peak.fetch_max(now, Ordering::SeqCst);
        Running(gauge)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for HashingPool {
    fn default() -> Self {
        HashingPool {
            admitted: Arc::new(Semaphore::new(MAX_RUNNING + MAX_WAITING)),
            running: Arc::new(Semaphore::new(MAX_RUNNING)),
            gauge: Arc::default(),
        }
    }
}

impl HashingPool {
    /// Runs `job` on a blocking thread once a slot is free; `Err(Busy)` at once when the
    /// queue is full, `Ok(None)` if the job panicked. The slot is held by the job itself,
    /// so a request that goes away mid-check does not free it before argon2 is done.
    pub async fn run<T, F>(&self, job: F) -> Result<Option<T>, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let Ok(slot) = self.running.clone().acquire_owned().await else {
            return Ok(None);
        };
        let gauge = self.gauge.clone();
        let done = tokio::task::spawn_blocking(move || {
            // Dropped in this order: the job stops counting before its slot is free.
            let _held = (Running::start(gauge), slot, admitted);
            job()
        })
        .await;
        Ok(done.ok())
    }

    /// Whether `password` matches `hash`, within the bound.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        Ok(self
            .run(move || verify_now(&password, &hash))
            .await?
            .unwrap_or(false))
    }

    /// The most jobs that ever ran at once in this pool (for tests and curious operators).
    pub fn peak_running(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), h.clone()).await);
        assert!(!verify("wrong horse".into(), h).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_runs_at_most_its_bound_and_refuses_past_its_queue() {
        let pool = Arc::new(HashingPool::default());
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        // Jobs that wait for the test fill every running and waiting slot.
        let mut jobs = Vec::new();
        for _ in 0..MAX_RUNNING + MAX_WAITING {
            let (pool, released) = (pool.clone(), released.clone());
            jobs.push(tokio::spawn(async move {
                pool.run(move || released.lock().unwrap().recv().ok()).await
            }));
        }
        // Every job is admitted before the next one is refused.
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        while pool.gauge.now.load(Ordering::SeqCst) < MAX_RUNNING {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            pool.verify("x".into(), DUMMY_HASH.into()).await,
            Err(Busy),
            "past the queue a check is refused at once"
        );
        for _ in 0..MAX_RUNNING + MAX_WAITING {
            release.send(()).unwrap();
        }
        for job in jobs {
            assert_eq!(job.await.unwrap(), Ok(Some(Some(()))));
        }
        assert_eq!(pool.peak_running(), MAX_RUNNING);
        assert_eq!(pool.verify("x".into(), DUMMY_HASH.into()).await, Ok(false));
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
