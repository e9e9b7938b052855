//! Admin sign-in: a password checked with argon2 (off the async threads), a session token kept
//! as a SHA-256 digest and expiring after the configured hours, and sign-out. The admin API and
//! the dashboard sign in through here; only the way the token travels differs (a JSON body, a
//! cookie).
//!
//! Guessing is made slow and blind ([`SignIns`]):
//! - **Throttle.** [`MAX_FAILURES_PER_ACCOUNT`] failed sign-ins of one email, or
//!   [`MAX_FAILURES_PER_ADDRESS`] from one client address, within [`FAILURE_WINDOW`] refuse every
//!   further attempt of that email or address, right password or not, until the oldest failure
//!   leaves the window ([`SignIn::Throttled`] says when). An attempt counts as a failure from the
//!   moment it starts, so parallel guesses are counted too; a success takes its own back and
//!   clears the account's.
//! - **No oracle.** An unknown email is checked against a dummy argon2 hash, so it costs what a
//!   known one costs and answers the same.
//! - **Bounded memory.** At most [`MAX_CONCURRENT_PASSWORD_CHECKS`] argon2 checks run at once per
//!   node (each takes ~19 MiB); the others wait their turn.
//!
//! Live views that belong to a session end with it: [`ended`] resolves at sign-out (announced on
//! this node at once, noticed from another within [`RECHECK_EVERY`]) or expiry.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gatehouse_core::TenantId;
use gatehouse_db::crypto::{self, digest, new_token};
use gatehouse_db::users;
use tokio::sync::{broadcast, Semaphore};

use crate::{now_ms, Domain, DomainError, DomainResult};

pub use gatehouse_db::users::SessionUser;

/// Session tokens start with this.
pub const SESSION_TOKEN_PREFIX: &str = "ghs_";
/// Failed sign-ins of one email within [`FAILURE_WINDOW`] before it is throttled.
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// Failed sign-ins from one client address within [`FAILURE_WINDOW`] before it is throttled
/// (higher than per account: several people may share an address).
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// How long a failed sign-in counts.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Argon2 checks run at once per node; each holds ~19 MiB while it runs.
pub const MAX_CONCURRENT_PASSWORD_CHECKS: usize = 4;
/// How often a live view re-reads its session (to notice a sign-out on another node).
pub const RECHECK_EVERY: Duration = Duration::from_secs(15);

/// A new session, its token shown once.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: i64,
    pub user: SessionUser,
}

/// How a sign-in ended.
#[derive(Debug, Clone)]
pub enum SignIn {
    SignedIn(Session),
    /// Wrong email or password (the same answer for both, so an address's existence does not
    /// leak).
    Refused,
    /// Too many failures of this email or from this address: not even checked.
    Throttled {
        retry_after_seconds: u64,
    },
}

impl SignIn {
    /// How long a throttled client waits, in words people read: "3 minutes".
    pub fn wait_in_words(retry_after_seconds: u64) -> String {
        let minutes = retry_after_seconds.div_ceil(60).max(1);
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    }
}

/// What is throttled: an email (whether or not it exists) or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Account(String),
    Address(IpAddr),
}

impl Subject {
    fn limit(&self) -> usize {
        match self {
            Subject::Account(_) => MAX_FAILURES_PER_ACCOUNT,
            Subject::Address(_) => MAX_FAILURES_PER_ADDRESS,
        }
    }
}

/// Failed sign-ins per email and per address, within the window. Every entry was an argon2
/// check (a throttled attempt records nothing), so the map grows no faster than this node can
/// check passwords, and entries leave it with the window.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Subject, VecDeque<Instant>>>,
}

/// One attempt under way, counted as a failure until [`Throttle::succeeded`] takes it back.
#[derive(Debug)]
pub struct Attempt {
    subjects: Vec<Subject>,
    at: Instant,
}

impl Throttle {
    /// Starts an attempt of `email` from `client` at `now`, or says how many seconds until one
    /// may be made.
    pub fn begin(&self, email: &str, client: Option<IpAddr>, now: Instant) -> Result<Attempt, u64> {
        let mut subjects = vec![Subject::Account(normalise(email))];
        subjects.extend(client.map(|ip| Subject::Address(canonical(ip))));
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let wait = subjects
            .iter()
            .filter_map(|s| {
                let list = failures.get_mut(s)?;
                forget_before(list, now);
                let oldest = *list.front()?;
                (list.len() >= s.limit()).then(|| {
                    (oldest + FAILURE_WINDOW)
                        .saturating_duration_since(now)
                        .as_secs()
                        .max(1)
                })
            })
            .max();
        if let Some(seconds) = wait {
            return Err(seconds);
        }
        for s in &subjects {
            failures.entry(s.clone()).or_default().push_back(now);
        }
        failures.retain(|_, list| {
            forget_before(list, now);
            !list.is_empty()
        });
        Ok(Attempt { subjects, at: now })
    }

    /// The attempt succeeded: it no longer counts, and neither do the account's earlier failures.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for s in &attempt.subjects {
            if let Subject::Account(_) = s {
                failures.remove(s);
            } else if let Some(list) = failures.get_mut(s) {
                if let Some(i) = list.iter().rposition(|t| *t == attempt.at) {
                    list.remove(i);
                }
            }
        }
    }
}

fn forget_before(list: &mut VecDeque<Instant>, now: Instant) {
    while list
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= FAILURE_WINDOW)
    {
        list.pop_front();
    }
}

fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

/// IPv4 clients reaching an IPv6 socket count as their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// This node's sign-in guard (the throttle, the bound on argon2 checks, the dummy hash) and its
/// sign-out notices.
#[derive(Debug)]
pub struct SignIns {
    pub throttle: Throttle,
    checks: Arc<Semaphore>,
    checks_made: Arc<AtomicU64>,
    dummy: Arc<OnceLock<String>>,
    ended: broadcast::Sender<String>,
}

impl Default for SignIns {
    fn default() -> Self {
        SignIns {
            throttle: Throttle::default(),
            checks: Arc::new(Semaphore::new(MAX_CONCURRENT_PASSWORD_CHECKS)),
            checks_made: Arc::default(),
            dummy: Arc::default(),
            ended: broadcast::channel(256).0,
        }
    }
}

impl SignIns {
    /// Checks `password` against `stored`, or against a dummy hash when there is no such user,
    /// so both cost one argon2 check. Waits for a free slot first.
    pub async fn check_password(
        &self,
        stored: Option<String>,
        password: String,
    ) -> DomainResult<bool> {
        let permit = self
            .checks
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| DomainError::internal("wait to check a password", e))?;
        let (made, dummy) = (self.checks_made.clone(), self.dummy.clone());
        tokio::task::spawn_blocking(move || {
            // Released when the check ends, even if the request was dropped meanwhile.
            let _permit = permit;
            made.fetch_add(1, Ordering::Relaxed);
            match stored {
                Some(hash) => crypto::verify_password(&password, &hash),
                None => {
                    // The same work as a real check; no password opens it.
                    let _ = crypto::verify_password(&password, dummy.get_or_init(dummy_hash));
                    false
                }
            }
        })
        .await
        .map_err(|e| DomainError::internal("check a password", e))
    }

    /// Argon2 checks made by this node (both branches of [`SignIns::check_password`]).
    pub fn password_checks(&self) -> u64 {
        self.checks_made.load(Ordering::Relaxed)
    }
}

/// A hash of a random password with the parameters real ones have.
fn dummy_hash() -> String {
    crypto::hash_password(&new_token("")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot make the dummy password hash");
        String::new()
    })
}

/// Signs in with an email and a password from `client` (when known).
pub async fn sign_in(
    domain: &Domain,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
) -> DomainResult<SignIn> {
    let guard = domain.sign_ins();
    let attempt = match guard.throttle.begin(email, client, Instant::now()) {
        Ok(attempt) => attempt,
        Err(retry_after_seconds) => {
            tracing::warn!(?client, "sign-in throttled");
            return Ok(SignIn::Throttled {
                retry_after_seconds,
            });
        }
    };
    let user = users::find_for_login(domain.db(), email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = guard.check_password(stored, password.to_owned()).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Ok(SignIn::Refused);
    };
    guard.throttle.succeeded(attempt);
    let token = new_token(SESSION_TOKEN_PREFIX);
    let expires_at = now_ms() + domain.settings().session_ttl_hours * 3_600_000;
    let mut tx = domain.db().begin().await?;
    users::create_session(
        &mut tx,
        user.tenant_id,
        user.id,
        &digest(&token),
        expires_at,
    )
    .await?;
    tx.commit().await?;
    let user = users::session(domain.db(), &digest(&token), now_ms())
        .await?
        .ok_or_else(|| DomainError::internal("read back a session", "missing"))?;
    Ok(SignIn::SignedIn(Session {
        token,
        expires_at,
        user,
    }))
}

/// The signed-in user of a session token, while the session lasts.
pub async fn user_of(domain: &Domain, token: &str) -> DomainResult<Option<SessionUser>> {
    user_of_digest(domain, &digest(token)).await
}

/// [`user_of`] for a token known by its digest.
pub async fn user_of_digest(
    domain: &Domain,
    token_digest: &str,
) -> DomainResult<Option<SessionUser>> {
    Ok(users::session(domain.db(), token_digest, now_ms()).await?)
}

/// Ends a session (sign-out); live views of the session on this node end at once.
pub async fn sign_out(domain: &Domain, tenant: TenantId, token_digest: &str) -> DomainResult<()> {
    let mut tx = domain.db().begin().await?;
    users::end_session(&mut tx, tenant, token_digest).await?;
    tx.commit().await?;
    let _ = domain.sign_ins().ended.send(token_digest.to_owned());
    Ok(())
}

/// Resolves when the session of `token_digest`, which lasts until `expires_at` (Unix ms), ends:
/// signed out (at once on this node, within [`RECHECK_EVERY`] from another) or expired. A live
/// view runs until this resolves.
pub async fn ended(domain: Domain, token_digest: String, expires_at: i64) {
    let mut signed_out = domain.sign_ins().ended.subscribe();
    let expiry = Duration::from_millis(u64::try_from(expires_at - now_ms()).unwrap_or(0));
    let expired = tokio::time::sleep(expiry);
    tokio::pin!(expired);
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.tick().await;
    loop {
        tokio::select! {
            _ = &mut expired => return,
            notice = signed_out.recv() => match notice {
                Ok(d) if d == token_digest => return,
                Ok(_) => {}
                // Missed notices: look at the session itself.
                Err(broadcast::error::RecvError::Lagged(_)) => recheck.reset_immediately(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = recheck.tick() => {
                if matches!(user_of_digest(&domain, &token_digest).await, Ok(None)) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[tokio::test]
    async fn an_unknown_email_costs_a_password_check_like_a_known_one() {
        let guard = SignIns::default();
        let unknown = guard.check_password(None, "guess".into()).await.unwrap();
        assert!(!unknown, "no password opens a dummy hash");
        assert_eq!(guard.password_checks(), 1, "the unknown email was checked");
        let dummy = guard.dummy.get().expect("the dummy hash was made");
        assert!(dummy.starts_with("$argon2id$"), "{dummy}");
        let real = crypto::hash_password("right").unwrap();
        assert!(guard
            .check_password(Some(real), "right".into())
            .await
            .unwrap());
        assert_eq!(guard.password_checks(), 2);
    }

    #[test]
    fn an_account_is_throttled_after_its_failures_until_the_oldest_leaves_the_window() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES_PER_ACCOUNT as u64 {
            let at = t0 + Duration::from_secs(i * 60);
            assert!(throttle
                .begin("Admin@Example.org", ip("192.0.2.1"), at)
                .is_ok());
        }
        let later = t0 + Duration::from_secs(300);
        // The same account, whatever its spelling or address.
        let wait = throttle
            .begin(" admin@example.org", ip("198.51.100.7"), later)
            .unwrap_err();
        assert_eq!(wait, 300, "the first failure leaves the window at 600 s");
        assert!(throttle
            .begin("other@example.org", ip("198.51.100.7"), later)
            .is_ok());
        let free = t0 + FAILURE_WINDOW;
        assert!(throttle.begin("admin@example.org", None, free).is_ok());
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            let email = format!("guess{i}@example.org");
            assert!(throttle.begin(&email, ip("::ffff:192.0.2.9"), t0).is_ok());
        }
        assert!(throttle
            .begin("new@example.org", ip("192.0.2.9"), t0)
            .is_err());
        assert!(throttle
            .begin("new@example.org", ip("192.0.2.10"), t0)
            .is_ok());
    }

    #[test]
    fn a_success_takes_back_its_attempt_and_clears_the_account() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT - 1 {
            throttle
                .begin("a@example.org", ip("192.0.2.1"), t0)
                .unwrap();
        }
        let good = throttle
            .begin("a@example.org", ip("192.0.2.1"), t0)
            .unwrap();
        throttle.succeeded(good);
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(throttle.begin("a@example.org", ip("192.0.2.1"), t0).is_ok());
        }
        assert!(throttle
            .begin("a@example.org", ip("192.0.2.1"), t0)
            .is_err());
    }
}
