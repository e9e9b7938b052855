//! `POST /admin/v1/login` and `GET /admin/v1/me`: sign-in is the domain's
//! ([`gatehouse_domain::sessions`]); the session token is answered in the body and as a cookie.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_domain::{sessions, Permission};
use serde::{Deserialize, Serialize};

use crate::auth::{AdminCaller, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;

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
    let session = sessions::sign_in(state.domain(), &req.email, &req.password)
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid_credentials", "wrong email or password"))?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        session.token,
        state.config().session_ttl_hours * 3600
    );
    let me = session.user;
    let body = LoginResponse {
        token: session.token,
        expires_at: session.expires_at,
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
