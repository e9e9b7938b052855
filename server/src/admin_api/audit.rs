//! `GET /admin/v1/audit`: the tenant's latest changes, newest first.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AdminCaller;
use crate::error::ApiResult;
use crate::extract::QueryParams;
use crate::state::AppState;
use gatehouse_domain::{audit, Permission};

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

pub async fn recent(
    State(state): State<AppState>,
    caller: AdminCaller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::AuditRead)?;
    let entries = audit::recent(
        state.db(),
        caller.tenant_id,
        q.limit.unwrap_or(100).clamp(1, 1000),
    )
    .await?;
    Ok(Json(json!({ "entries": entries })))
}
