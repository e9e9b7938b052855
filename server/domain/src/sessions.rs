//! Admin sign-in: a password checked with argon2 (off the async threads), a session token kept
//! as a SHA-256 digest and expiring after the configured hours, and sign-out. The admin API and
//! the dashboard sign in through here; only the way the token travels differs (a JSON body, a
//! cookie).

use gatehouse_core::TenantId;
use gatehouse_db::crypto::{self, digest, new_token};
use gatehouse_db::users;

use crate::{now_ms, Domain, DomainError, DomainResult};

pub use gatehouse_db::users::SessionUser;

/// Session tokens start with this.
pub const SESSION_TOKEN_PREFIX: &str = "ghs_";

/// A new session, its token shown once.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: i64,
    pub user: SessionUser,
}

/// Signs in with an email and a password. `None`: wrong email or password (the same answer for
/// both, so an address's existence does not leak).
pub async fn sign_in(
    domain: &Domain,
    email: &str,
    password: &str,
) -> DomainResult<Option<Session>> {
    let user = users::find_for_login(domain.db(), email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => crypto::verify_password(&password, &hash),
        None => false,
    })
    .await
    .map_err(|e| DomainError::internal("check a password", e))?;
    let Some(user) = user.filter(|_| ok) else {
        return Ok(None);
    };
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
    Ok(Some(Session {
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

/// Ends a session (sign-out).
pub async fn sign_out(domain: &Domain, tenant: TenantId, token_digest: &str) -> DomainResult<()> {
    let mut tx = domain.db().begin().await?;
    users::end_session(&mut tx, tenant, token_digest).await?;
    tx.commit().await?;
    Ok(())
}
