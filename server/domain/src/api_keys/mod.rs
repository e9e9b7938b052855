//! API keys for integrators: create (the key is in that one answer and nowhere else), rotate (a
//! new secret; the old one keeps working for a grace period), revoke; and what every request made
//! with a key goes through ([`authenticate`], then [`take_request`]): the checksum before any
//! lookup, revocation, expiry, the tenant's `REST_API` feature, the key's allowed addresses, its
//! rate limit ([`rate_limit`]), and a use counted ([`usage`]). The format, scopes and tiers are
//! in [`format`].

pub mod format;
pub mod rate_limit;
pub mod usage;

use std::net::IpAddr;

use gatehouse_db::api_keys as rows;
use gatehouse_db::crypto::digest;
use gatehouse_db::permissions::{FeatureFlag, Permission, API_SCOPES};
use serde::Deserialize;
use serde_json::json;

use crate::unit::UnitOfWork;
use crate::{now_ms, Author, Domain, DomainError, DomainResult, ErrorKind};
use format::Tier;
use rate_limit::Decision;

pub use gatehouse_db::api_keys::{find, list, ApiKey};

/// Longest key name accepted.
const MAX_NAME_LEN: usize = 120;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(default = "standard")]
    pub tier: String,
    pub rate_limit_per_minute: Option<u32>,
    /// Unix ms after which the key is refused.
    pub expires_at: Option<i64>,
    /// CIDR blocks (`203.0.113.0/24`, `2001:db8::/32`, or one address) the key may be used
    /// from; absent or empty: anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

fn standard() -> String {
    "STANDARD".to_owned()
}

/// Refuses scopes beyond what `granted` (the permissions of the admin making or rotating a key)
/// covers, naming the first such scope and the permission it needs (table: [`API_SCOPES`]).
pub fn require_scopes_within(scopes: &[String], granted: &[Permission]) -> DomainResult<()> {
    for scope in scopes {
        let missing = format::expand(scope).into_iter().find(|concrete| {
            !granted
                .iter()
                .any(|p| p.api_scopes().contains(&concrete.as_str()))
        });
        let Some(concrete) = missing else {
            continue;
        };
        let needs: Vec<&str> = API_SCOPES
            .iter()
            .filter(|(_, scopes)| scopes.contains(&concrete.as_str()))
            .map(|(p, _)| p.as_str())
            .collect();
        let needs = match needs.as_slice() {
            [] => "a permission no one holds".to_owned(),
            [one] => format!("the permission {one}"),
            several => format!("one of the permissions {}", several.join(", ")),
        };
        let what = if *scope == concrete {
            format!("the scope {scope:?}")
        } else {
            format!("the scope {scope:?} (it includes {concrete:?})")
        };
        return Err(DomainError::forbidden(
            "scope_not_permitted",
            format!(
                "{what} is beyond your own permissions: it needs {needs}. A key may do no \
                 more than the admin who makes it"
            ),
        ));
    }
    Ok(())
}

/// Checks and stores a new key; answers it with its secret (the only time anyone sees it).
/// The admin API and the dashboard both create keys here. `granted` are the creator's
/// permissions: the key's scopes must be within them.
pub async fn create(
    domain: &Domain,
    author: &Author,
    created_by: &str,
    granted: &[Permission],
    new: &NewKey,
) -> DomainResult<(rows::ApiKey, String)> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(DomainError::invalid(
            "invalid_name",
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    if new.scopes.is_empty() {
        return Err(DomainError::invalid(
            "invalid_scope",
            "give at least one scope, e.g. \"events:read\"",
        ));
    }
    for scope in &new.scopes {
        format::validate_scope(scope).map_err(|m| DomainError::invalid("invalid_scope", m))?;
    }
    require_scopes_within(&new.scopes, granted)?;
    let tier = Tier::parse(&new.tier, new.rate_limit_per_minute)
        .map_err(|m| DomainError::invalid("invalid_tier", m))?;
    let now = now_ms();
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(DomainError::invalid(
            "invalid_expiry",
            "expires_at must be in the future (Unix ms)",
        ));
    }

    let mut allowed_ips = Vec::new();
    for block in &new.allowed_ips {
        let (addr, bits) = format::parse_cidr(block)
            .map_err(|m| DomainError::invalid("invalid_allowed_ips", m))?;
        allowed_ips.push(format!("{addr}/{bits}"));
    }
    let key = format::generate();
    let id = uuid::Uuid::now_v7();
    let prefix = &key[..format::DISPLAY_LEN];
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::insert(
        unit.tx(),
        &rows::NewApiKey {
            id,
            tenant_id: author.tenant,
            name,
            prefix,
            digest: &digest(&key),
            scopes: &new.scopes,
            tier: tier.name(),
            rate_limit_per_minute: i64::from(tier.per_minute()),
            expires_at: new.expires_at,
            created_by,
            created_at: now,
            allowed_ips: &allowed_ips,
        },
    )
    .await?;
    unit.audit(
        &author.actor,
        "api_key.created",
        ("api_key", &id.to_string()),
        None::<&()>,
        Some(&json!({ "name": name, "prefix": prefix, "scopes": new.scopes, "tier": tier.name() })),
    )
    .await?;
    unit.commit().await?;
    let stored = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a new API key", id))?;
    Ok((stored, key))
}

/// Revokes a key at once (it answers 401 `revoked_key` from now on) and says how it stands.
pub async fn revoke(
    domain: &Domain,
    author: &Author,
    id: uuid::Uuid,
) -> DomainResult<rows::ApiKey> {
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let before = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("API key {id}")))?;
    if !rows::revoke(unit.tx(), author.tenant, id, now_ms()).await? {
        return Err(DomainError::conflict(
            "already_revoked",
            format!("API key {id} was already revoked"),
        ));
    }
    unit.audit(
        &author.actor,
        "api_key.revoked",
        ("api_key", &id.to_string()),
        Some(&before),
        None::<&()>,
    )
    .await?;
    unit.commit().await?;
    domain.flush_usage().await?;
    rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a revoked API key", id))
}

/// How long a rotated key keeps working unless the admin says otherwise: a day, time to deploy
/// the new secret everywhere.
pub const DEFAULT_GRACE_SECONDS: i64 = 86_400;
/// Longest grace period.
pub const MAX_GRACE_SECONDS: i64 = 30 * 86_400;

/// Issues a new secret in place of key `id`, which keeps working for `grace` seconds; answers
/// (the new key, its secret, the old key as it now stands). The key's scopes must be within
/// `granted`, the rotating admin's permissions (a rotation hands out a new secret).
pub async fn rotate(
    domain: &Domain,
    author: &Author,
    created_by: &str,
    granted: &[Permission],
    id: uuid::Uuid,
    grace: i64,
) -> DomainResult<(rows::ApiKey, String, rows::ApiKey)> {
    if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
        return Err(DomainError::invalid(
            "invalid_grace",
            format!("grace_seconds must be between 0 and {MAX_GRACE_SECONDS}"),
        ));
    }
    let old = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("API key {id}")))?;
    require_scopes_within(&old.scopes, granted)?;
    let now = now_ms();
    if old.revoked_at.is_some() {
        return Err(DomainError::conflict(
            "already_revoked",
            format!("API key {id} was revoked; create a new one instead"),
        ));
    }
    if old.expires_at.is_some_and(|t| t <= now) {
        return Err(DomainError::conflict(
            "already_expired",
            format!("API key {id} has expired; create a new one instead"),
        ));
    }
    let old_ends = old
        .expires_at
        .map_or(now + grace * 1000, |t| t.min(now + grace * 1000));
    let key = format::generate();
    let new_id = uuid::Uuid::now_v7();
    let prefix = &key[..format::DISPLAY_LEN];
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    rows::insert(
        unit.tx(),
        &rows::NewApiKey {
            id: new_id,
            tenant_id: author.tenant,
            name: &old.name,
            prefix,
            digest: &digest(&key),
            scopes: &old.scopes,
            tier: &old.tier,
            rate_limit_per_minute: old.rate_limit_per_minute,
            expires_at: old.expires_at,
            created_by,
            created_at: now,
            allowed_ips: &old.allowed_ips,
        },
    )
    .await?;
    rows::set_expiry(unit.tx(), author.tenant, id, old_ends).await?;
    unit.audit(
        &author.actor,
        "api_key.rotated",
        ("api_key", &id.to_string()),
        Some(&old),
        Some(&json!({ "replaced_by": new_id, "prefix": prefix, "old_key_expires_at": old_ends })),
    )
    .await?;
    unit.commit().await?;
    domain.flush_usage().await?;
    let fresh = rows::find(domain.db(), author.tenant, new_id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a rotated API key", new_id))?;
    let previous = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a rotated API key", id))?;
    Ok((fresh, key, previous))
}

/// The key a request was made with, if it may be used now from `client`. Refusals: the text is
/// not a Gatehouse key (its checksum fails: no database lookup), unknown, revoked, expired (401);
/// the tenant's REST API is off, or `client` is not among the key's allowed addresses (403).
pub async fn authenticate(
    domain: &Domain,
    sent: &str,
    client: Option<IpAddr>,
) -> DomainResult<ApiKey> {
    let unauthenticated =
        |code, message: String| DomainError::new(ErrorKind::Unauthenticated, code, message);
    // The checksum catches typos and foreign tokens without touching the database.
    if !format::well_formed(sent) {
        return Err(unauthenticated(
            "invalid_api_key",
            "this is not a Gatehouse API key (they start with ghk_ and are 42 characters; \
             the last 6 are a checksum)"
                .to_owned(),
        ));
    }
    let (key, rest_api_on) = rows::find_for_request(domain.db(), &digest(sent))
        .await?
        .ok_or_else(|| {
            unauthenticated("unknown_api_key", "this API key is not known".to_owned())
        })?;
    let now = now_ms();
    if key.revoked_at.is_some() {
        return Err(unauthenticated(
            "api_key_revoked",
            format!("API key {} was revoked", key.prefix),
        ));
    }
    if key.expires_at.is_some_and(|t| t <= now) {
        return Err(unauthenticated(
            "api_key_expired",
            format!("API key {} has expired", key.prefix),
        ));
    }
    if !rest_api_on {
        return Err(DomainError::forbidden(
            "feature_disabled",
            format!(
                "the REST API is switched off for this tenant (feature flag {}); \
                 an administrator of the tenant can switch it on",
                FeatureFlag::RestApi
            ),
        ));
    }
    if !key.allowed_ips.is_empty()
        && !client.is_some_and(|ip| format::ip_allowed(&key.allowed_ips, ip))
    {
        return Err(DomainError::forbidden(
            "ip_not_allowed",
            format!(
                "API key {} may only be used from {}; this request came from {}",
                key.prefix,
                key.allowed_ips.join(", "),
                client.map_or("an unknown address".to_owned(), |ip| ip.to_string())
            ),
        ));
    }
    Ok(key)
}

/// Takes one request from the key's rate limit and, when allowed, counts the use. The decision
/// is returned either way (the answer's `RateLimit-*` headers report it); a refusal is the error
/// `rate_limited`.
pub fn take_request(domain: &Domain, key: &ApiKey) -> (Decision, DomainResult<()>) {
    let per_minute = u32::try_from(key.rate_limit_per_minute).unwrap_or(u32::MAX);
    let decision = domain
        .rate_limits()
        .check(key.id, per_minute, std::time::Instant::now());
    if !decision.allowed {
        let refused = DomainError::new(
            ErrorKind::RateLimited,
            "rate_limited",
            format!(
                "API key {} may make {per_minute} requests per minute; retry in {} s",
                key.prefix, decision.retry_after_seconds
            ),
        );
        return (decision, Err(refused));
    }
    domain
        .api_key_usage()
        .record(key.tenant_id, key.id, now_ms());
    (decision, Ok(()))
}

/// Whether the key's scopes allow `scope` (`resource:action`); refused with `insufficient_scope`.
pub fn require_scope(key: &ApiKey, scope: &str) -> DomainResult<()> {
    if format::allows(&key.scopes, scope) {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "insufficient_scope",
            format!(
                "this API key's scopes ({}) do not include {scope}",
                key.scopes.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_scope_a_key_can_name_is_covered_by_some_permission() {
        for (_, granted) in API_SCOPES {
            for scope in *granted {
                assert!(format::validate_scope(scope).is_ok(), "{scope}");
            }
        }
        assert!(require_scopes_within(&scopes(&["*"]), Permission::ALL).is_ok());
    }

    #[test]
    fn a_key_may_not_exceed_its_creator() {
        let keys_only = [Permission::ApiKeysManage];
        for scope in ["*", "participants:write", "participants:*", "events:read"] {
            let err = require_scopes_within(&scopes(&[scope]), &keys_only).unwrap_err();
            assert_eq!(err.code, "scope_not_permitted");
            assert!(err.message.contains(&format!("{scope:?}")), "{err}");
        }
        let reader = [Permission::ParticipantsRead];
        assert!(require_scopes_within(&scopes(&["participants:read"]), &reader).is_ok());
        let err = require_scopes_within(&scopes(&["participants:*"]), &reader).unwrap_err();
        assert!(err.message.contains("participants:manage"), "{err}");
    }
}
