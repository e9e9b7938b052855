//! Who is calling. Authentication is an extractor: a handler that needs a caller names
//! [`DeviceCaller`] or [`AdminCaller`] in its arguments and cannot forget to check it.
//!
//! - Devices send `Authorization: Bearer <device token>`. A revoked device's token is still
//!   recognised, and refused with `device_revoked` (the sync API adds `wipe: true`).
//! - Admins send `Authorization: Bearer <session token>` (or the `gatehouse_session` cookie) from
//!   `POST /admin/v1/login`. Permission checks go through [`AdminCaller::require`].
//! - Integrators send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`
//!   ([`ApiCaller`]); scope checks go through [`ApiCaller::require`]. The extractor also refuses
//!   tenants without the `REST_API` feature and keys over their rate limit.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use gatehouse_core::TenantId;

use crate::crypto::digest;
use crate::db::devices::Device;
use crate::db::{self, now_ms};
use crate::error::ApiError;
use crate::permissions::{FeatureFlag, Permission};
use crate::rest_api::rate_limit::DecisionSlot;
use crate::state::AppState;

/// The cookie that may carry an admin session (for the dashboard).
pub const SESSION_COOKIE: &str = "gatehouse_session";
/// A device's last-contact time is written at most this often by authentication alone.
const TOUCH_INTERVAL_MS: i64 = 5_000;

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim()).filter(|t| !t.is_empty())
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A paired, not revoked device.
#[derive(Debug, Clone)]
pub struct DeviceCaller(pub Device);

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized(
                "missing_token",
                "send the device token as Authorization: Bearer <token>",
            )
        })?;
        let device = db::devices::find_by_token(state.db(), &digest(token))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "unknown_token",
                    "this device token is not known (rotated or never issued); pair the device again",
                )
            })?;
        if device.revoked_at.is_some() {
            return Err(ApiError::forbidden(
                "device_revoked",
                "this device was revoked: erase its participant cache and keys, then pair again",
            ));
        }
        let now = now_ms();
        if device
            .last_seen_at
            .is_none_or(|t| now - t > TOUCH_INTERVAL_MS)
        {
            let mut tx = state.db().begin().await?;
            db::devices::touch(&mut tx, device.tenant_id, device.id, now).await?;
            tx.commit().await?;
        }
        Ok(DeviceCaller(device))
    }
}

/// A signed-in admin user.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    pub user_id: uuid::Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub permissions: Vec<Permission>,
}

impl AdminCaller {
    /// Refuses with 403 unless the caller holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "permission_denied",
                format!("this needs the permission {permission}"),
            ))
        }
    }

    pub fn actor(&self) -> db::audit::Actor {
        db::audit::Actor::User(self.user_id)
    }
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)
            .or_else(|| cookie(parts, SESSION_COOKIE))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing_session",
                    "sign in with POST /admin/v1/login and send Authorization: Bearer <session>",
                )
            })?;
        let user = db::users::session(state.db(), &digest(token), now_ms())
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "invalid_session",
                    "this session is unknown or has expired; sign in again",
                )
            })?;
        Ok(AdminCaller {
            user_id: user.user_id,
            tenant_id: user.tenant_id,
            email: user.email,
            permissions: user.permissions,
        })
    }
}

/// The header integrators may send their API key in, instead of `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A request made with a valid, unexpired, unrevoked API key.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub key: db::api_keys::ApiKey,
}

impl ApiCaller {
    pub fn tenant_id(&self) -> TenantId {
        self.key.tenant_id
    }

    /// The key as the author of changes in the audit log.
    pub fn actor(&self) -> db::audit::Actor {
        db::audit::Actor::ApiKey(self.key.id)
    }

    /// Refuses with 403 unless the key's scopes allow `scope` (`resource:action`).
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if crate::api_keys::allows(&self.key.scopes, scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "insufficient_scope",
                format!(
                    "this API key's scopes ({}) do not include {scope}",
                    self.key.scopes.join(", ")
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let sent = parts
            .headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .or_else(|| bearer(parts))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing_api_key",
                    "send an API key as Authorization: Bearer <key> or X-API-Key: <key>",
                )
            })?;
        // The checksum catches typos and foreign tokens without touching the database.
        if !crate::api_keys::well_formed(sent) {
            return Err(ApiError::unauthorized(
                "invalid_api_key",
                "this is not a Gatehouse API key (they start with ghk_ and are 42 characters; \
                 the last 6 are a checksum)",
            ));
        }
        let (key, rest_api_on) = db::api_keys::find_for_request(state.db(), &digest(sent))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("unknown_api_key", "this API key is not known")
            })?;
        let now = now_ms();
        if key.revoked_at.is_some() {
            return Err(ApiError::unauthorized(
                "api_key_revoked",
                format!("API key {} was revoked", key.prefix),
            ));
        }
        if key.expires_at.is_some_and(|t| t <= now) {
            return Err(ApiError::unauthorized(
                "api_key_expired",
                format!("API key {} has expired", key.prefix),
            ));
        }
        if !rest_api_on {
            return Err(ApiError::forbidden(
                "feature_disabled",
                format!(
                    "the REST API is switched off for this tenant (feature flag {}); \
                     an administrator of the tenant can switch it on",
                    FeatureFlag::RestApi
                ),
            ));
        }
        if !key.allowed_ips.is_empty() {
            let client = parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip());
            if !client.is_some_and(|ip| crate::api_keys::ip_allowed(&key.allowed_ips, ip)) {
                return Err(ApiError::forbidden(
                    "ip_not_allowed",
                    format!(
                        "API key {} may only be used from {}; this request came from {}",
                        key.prefix,
                        key.allowed_ips.join(", "),
                        client.map_or("an unknown address".to_owned(), |ip| ip.to_string())
                    ),
                ));
            }
        }
        let per_minute = u32::try_from(key.rate_limit_per_minute).unwrap_or(u32::MAX);
        let decision = state
            .rate_limits()
            .check(key.id, per_minute, std::time::Instant::now());
        if let Some(slot) = parts.extensions.get::<DecisionSlot>() {
            slot.put(decision);
        }
        if !decision.allowed {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "API key {} may make {per_minute} requests per minute; retry in {} s",
                    key.prefix, decision.retry_after_seconds
                ),
            ));
        }
        state.api_key_usage().record(key.tenant_id, key.id, now);
        Ok(ApiCaller { key })
    }
}
