//! Tenants and the modules each has switched on.

use gatehouse_core::TenantId;

use crate::{Domain, DomainResult, FeatureFlag};

/// The features the tenant has switched on.
pub async fn features(domain: &Domain, tenant: TenantId) -> DomainResult<Vec<FeatureFlag>> {
    Ok(gatehouse_db::tenants::features(domain.db(), tenant).await?)
}

/// Whether the tenant has `flag` switched on.
pub async fn has(domain: &Domain, tenant: TenantId, flag: FeatureFlag) -> DomainResult<bool> {
    Ok(features(domain, tenant).await?.contains(&flag))
}
