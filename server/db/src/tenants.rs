//! Tenants and their feature flags.

use gatehouse_core::{Tenant, TenantId};

use super::{exec_tx, flag, now_ms, on_pool, parse_id, Db, Tx};
use crate::permissions::FeatureFlag;

pub async fn create(tx: &mut Tx, tenant: &Tenant) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, $2, $3, $4)")
        .bind(tenant.id.to_string())
        .bind(&tenant.name)
        .bind(&tenant.slug)
        .bind(now_ms())
        .execute(c)
        .await)?;
    Ok(())
}

/// Tenants are found by slug only when there is no caller yet (seeding, sign-up).
pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<Tenant>, sqlx::Error> {
    let row: Option<(String, String, String)> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, name, slug FROM tenants WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(p)
    .await)?;
    row.map(|(id, name, slug)| {
        Ok(Tenant {
            id: parse_id(&id)?,
            name,
            slug,
        })
    })
    .transpose()
}

pub async fn set_feature(
    tx: &mut Tx,
    tenant: TenantId,
    feature: FeatureFlag,
    enabled: bool,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id, flag) DO UPDATE SET enabled = excluded.enabled",
    )
    .bind(tenant.to_string())
    .bind(feature.as_str())
    .bind(flag(enabled))
    .execute(c)
    .await)?;
    Ok(())
}

/// The flags the tenant has switched on.
pub async fn features(db: &Db, tenant: TenantId) -> Result<Vec<FeatureFlag>, sqlx::Error> {
    let rows: Vec<(String,)> = on_pool!(db, p => sqlx::query_as(
        "SELECT flag FROM tenant_features WHERE tenant_id = $1 AND enabled = 1 ORDER BY flag",
    )
    .bind(tenant.to_string())
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(f,)| FeatureFlag::parse(&f))
        .collect())
}
