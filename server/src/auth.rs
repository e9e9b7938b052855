//! Who is calling. Authentication is an extractor: a handler that needs a caller names
//! [`DeviceCaller`] or [`AdminCaller`] in its arguments and cannot forget to check it.
//!
//! - Devices send `Authorization: Bearer <device token>`. A revoked device's token is still
//!   recognised, and refused with `device_revoked` (the sync API adds `wipe: true`).
//! - Admins send `Authorization: Bearer <session token>` (or the `gatehouse_session` cookie) from
//!   `POST /admin/v1/login`. Permission checks go through [`AdminCaller::require`].

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use gatehouse_core::TenantId;

use crate::crypto::digest;
use crate::db::devices::Device;
use crate::db::{self, now_ms};
use crate::error::ApiError;
use crate::permissions::Permission;
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
