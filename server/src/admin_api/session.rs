//! `POST /admin/v1/login` and `GET /admin/v1/me`: sessions are random tokens kept as SHA-256
//! digests; the password check (argon2) runs off the async threads.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::{AdminCaller, SESSION_COOKIE};
use crate::crypto::{self, digest, new_token};
use crate::db::{self, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::permissions::Permission;
use crate::state::AppState;

/// Session tokens start with this.
pub const SESSION_TOKEN_PREFIX: &str = "ghs_";

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Debug, Serialize)]
pub struct Me {
    id: uuid::Uuid,
    email: String,
    tenant_id: gatehouse_core::TenantId,
    permissions: Vec<Permission>,
}

#[derive(Debug, Serialize)]
pub struct LoginResponse {
    token: String,
    expires_at: i64,
    user: Me,
}

pub async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let refused = || ApiError::unauthorized("invalid_credentials", "wrong email or password");
    let user = db::users::find_for_login(state.db(), &req.email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => crypto::verify_password(&password, &hash),
        None => false,
    })
    .await
    .map_err(|e| ApiError::internal("check a password", e))?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(refused());
    };
    let token = new_token(SESSION_TOKEN_PREFIX);
    let expires_at = now_ms() + state.config().session_ttl_hours * 3_600_000;
    let mut tx = state.db().begin().await?;
    db::users::create_session(
        &mut tx,
        user.tenant_id,
        user.id,
        &digest(&token),
        expires_at,
    )
    .await?;
    tx.commit().await?;
    let me = db::users::session(state.db(), &digest(&token), now_ms())
        .await?
        .ok_or_else(|| ApiError::internal("read back a session", "missing"))?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        state.config().session_ttl_hours * 3600
    );
    let body = LoginResponse {
        token,
        expires_at,
        user: Me {
            id: me.user_id,
            email: me.email,
            tenant_id: me.tenant_id,
            permissions: me.permissions,
        },
    };
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

pub async fn me(caller: AdminCaller) -> Json<Me> {
    Json(Me {
        id: caller.user_id,
        email: caller.email,
        tenant_id: caller.tenant_id,
        permissions: caller.permissions,
    })
}
