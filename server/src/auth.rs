//! Who is calling. Authentication is an extractor: a handler that needs a caller names
//! [`DeviceCaller`] or [`AdminCaller`] in its arguments and cannot forget to check it.
//!
//! - Devices send `Authorization: Bearer <device token>`. A revoked device's token is still
//!   recognised, and refused with `device_revoked` (the sync API adds `wipe: true`).
//! - Admins send `Authorization: Bearer <session token>` from `POST /admin/v1/login`. The
//!   `gatehouse_session` cookie (the dashboard's) is accepted for reads only (`GET`, `HEAD`: the
//!   dashboard links to the CSV export): a browser sends the cookie with whatever a cross-site
//!   page makes it send, while only a script of our own can add the Bearer header, so a change
//!   made with the cookie alone is refused (`bearer_required`). Permission checks go through
//!   [`AdminCaller::require`].
//! - Integrators send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`
//!   ([`ApiCaller`]); scope checks go through [`ApiCaller::require`]. The extractor also refuses
//!   tenants without the `REST_API` feature and keys over their rate limit.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;
use gatehouse_core::TenantId;

use gatehouse_domain::api_keys::{self, ApiKey};
use gatehouse_domain::devices::{self, Device, TokenRefusal};
use gatehouse_domain::{sessions, Actor, Author, Permission};

use crate::error::ApiError;
use crate::extract::ClientAddress;
use crate::rate_limit::DecisionSlot;
use crate::state::AppState;

/// The cookie that may carry an admin session (for the dashboard).
pub const SESSION_COOKIE: &str = "gatehouse_session";

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
        match devices::authenticate(state.domain(), token).await? {
            Ok(device) => Ok(DeviceCaller(device)),
            Err(TokenRefusal::Unknown) => Err(ApiError::unauthorized(
                "unknown_token",
                "this device token is not known (rotated or never issued); pair the device again",
            )),
            Err(TokenRefusal::Revoked) => Err(ApiError::forbidden(
                "device_revoked",
                "this device was revoked: erase its participant cache and keys, then pair again",
            )),
        }
    }
}

/// A signed-in admin user.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    pub user_id: uuid::Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub permissions: Vec<Permission>,
    /// The session's stored digest (to end it at sign-out).
    pub session_digest: String,
    /// When the session expires (Unix ms).
    pub session_expires_at: i64,
}

impl AdminCaller {
    /// The caller of a live session.
    pub fn of_session(user: sessions::SessionUser, token: &str) -> Self {
        AdminCaller {
            user_id: user.user_id,
            tenant_id: user.tenant_id,
            email: user.email,
            permissions: user.permissions,
            session_digest: gatehouse_domain::crypto::digest(token),
            session_expires_at: user.expires_at,
        }
    }

    /// Resolves when the caller's session ends (signed out or expired): a live view ends with it.
    pub fn session_ended(&self, state: &AppState) -> impl std::future::Future<Output = ()> {
        sessions::ended(
            state.domain().clone(),
            self.session_digest.clone(),
            self.session_expires_at,
        )
    }

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

    pub fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }

    /// The caller as the author of a change.
    pub fn author(&self) -> Author {
        Author::new(self.tenant_id, self.actor())
    }
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            match (bearer(parts), cookie(parts, SESSION_COOKIE)) {
                (Some(token), _) => token,
                (None, Some(token)) if matches!(parts.method, Method::GET | Method::HEAD) => token,
                (None, Some(_)) => {
                    return Err(ApiError::unauthorized(
                        "bearer_required",
                        "changes through the admin API need Authorization: Bearer <session>; the \
                     session cookie is accepted for reads only",
                    ))
                }
                (None, None) => return Err(ApiError::unauthorized(
                    "missing_session",
                    "sign in with POST /admin/v1/login and send Authorization: Bearer <session>",
                )),
            };
        let user = sessions::user_of(state.domain(), token)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "invalid_session",
                    "this session is unknown or has expired; sign in again",
                )
            })?;
        Ok(AdminCaller::of_session(user, token))
    }
}

/// The header integrators may send their API key in, instead of `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A request made with a valid, unexpired, unrevoked API key.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub key: ApiKey,
}

impl ApiCaller {
    pub fn tenant_id(&self) -> TenantId {
        self.key.tenant_id
    }

    /// The key as the author of changes in the audit log.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey(self.key.id)
    }

    /// The key as the author of a change.
    pub fn author(&self) -> Author {
        Author::new(self.tenant_id(), self.actor())
    }

    /// Refuses with 403 unless the key's scopes allow `scope` (`resource:action`).
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        Ok(api_keys::require_scope(&self.key, scope)?)
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
        let ClientAddress(client) = ClientAddress::of(parts);
        let key = api_keys::authenticate(state.domain(), sent, client).await?;
        let (decision, allowed) = api_keys::take_request(state.domain(), &key);
        if let Some(slot) = parts.extensions.get::<DecisionSlot>() {
            slot.put(decision);
        }
        allowed?;
        Ok(ApiCaller { key })
    }
}
