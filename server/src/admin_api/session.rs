//! `POST /admin/v1/login`, `POST /admin/v1/logout` and `GET /admin/v1/me`: sign-in is the
//! domain's ([`gatehouse_domain::sessions`]); the session token is answered in the body and as a
//! cookie. Too many failed sign-ins answer 429 `login_throttled` with `Retry-After`.

use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_domain::sessions::{self, SignIn};
use gatehouse_domain::Permission;
use serde::{Deserialize, Serialize};

use crate::auth::{AdminCaller, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientAddress, JsonBody};
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
    ClientAddress(client): ClientAddress,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let session = match sessions::sign_in(state.domain(), &req.email, &req.password, client).await?
    {
        SignIn::SignedIn(session) => session,
        SignIn::Refused => {
            return Err(ApiError::unauthorized(
                "invalid_credentials",
                "wrong email or password",
            ))
        }
        SignIn::Throttled {
            retry_after_seconds,
        } => {
            let refusal = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "login_throttled",
                format!(
                    "too many failed sign-ins for this account or from this address; try again \
                     in {}",
                    SignIn::wait_in_words(retry_after_seconds)
                ),
            );
            return Ok(([(RETRY_AFTER, retry_after_seconds.to_string())], refusal).into_response());
        }
    };
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

/// Ends the caller's session: its token stops working and its live streams end.
pub async fn logout(State(state): State<AppState>, caller: AdminCaller) -> ApiResult<Response> {
    sessions::sign_out(state.domain(), caller.tenant_id, &caller.session_digest).await?;
    let gone = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(SET_COOKIE, gone)], StatusCode::NO_CONTENT).into_response())
}
