//! The audit log: who changed what, when, with the row before and after as JSON. Every helper that
//! changes an admin-visible row records here in the same transaction, so the log cannot miss a
//! change that committed.

use gatehouse_core::TenantId;
use serde::Serialize;

use super::{exec_tx, now_ms, on_pool, Db, Tx};

/// Who made a change: an admin user, a device, an integrator's API key, or the server itself
/// (seeding, migrations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(uuid::Uuid),
    Device(gatehouse_core::DeviceId),
    ApiKey(uuid::Uuid),
    System(&'static str),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Device(id) => write!(f, "device:{id}"),
            Actor::ApiKey(id) => write!(f, "api_key:{id}"),
            Actor::System(what) => write!(f, "system:{what}"),
        }
    }
}

/// Records one change. `before`/`after` are whatever the caller wants to keep of the row.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Tx,
    tenant: TenantId,
    actor: &Actor,
    action: &str,
    entity_kind: &str,
    entity_id: &str,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<(), sqlx::Error> {
    let before = before.and_then(|b| serde_json::to_string(b).ok());
    let after = after.and_then(|a| serde_json::to_string(a).ok());
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, actor, action, entity_kind, entity_id, before_json, after_json, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(tenant.to_string())
    .bind(actor.to_string())
    .bind(action)
    .bind(entity_kind)
    .bind(entity_id)
    .bind(before)
    .bind(after)
    .bind(now_ms())
    .execute(c)
    .await)?;
    Ok(())
}

/// One audit entry as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: i64,
}

type AuditRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

/// The tenant's latest entries, newest first.
pub async fn recent(db: &Db, tenant: TenantId, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows: Vec<AuditRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT actor, action, entity_kind, entity_id, before_json, after_json, at FROM audit_log \
         WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(tenant.to_string())
    .bind(limit)
    .fetch_all(p)
    .await)?;
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(rows
        .into_iter()
        .map(
            |(actor, action, entity_kind, entity_id, before, after, at)| AuditEntry {
                actor,
                action,
                entity_kind,
                entity_id,
                before: json(before),
                after: json(after),
                at,
            },
        )
        .collect())
}
