//! Devices: gate laptops, turnstile PCs and kiosks paired to one event.
//!
//! A device is created with a one-time pairing code (only its SHA-256 is kept) that expires; the
//! device trades it for a bearer token (again kept only as SHA-256). Pairing and token checks
//! find the device by that digest, which is how they learn its tenant; everything after is
//! scoped to that tenant. A revoked device keeps its token digest so that the server can tell it
//! to wipe itself, rather than merely not knowing it.

use gatehouse_core::protocol::DeviceReport;
use gatehouse_core::{DeviceId, EventId, TenantId};
use serde::Serialize;
use sqlx::{Decode, Row, Type};

use super::{exec_tx, now_ms, on_pool, parse_id, Db, Tx};

/// A device as the admin API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub name: String,
    /// `awaiting_pairing`, `paired` or `revoked`.
    pub state: &'static str,
    pub pairing_expires_at: Option<i64>,
    pub paired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub app_version: Option<String>,
    pub profile: Option<String>,
    pub last_seen_at: Option<i64>,
    /// The feed cursor the device last reported.
    pub sync_cursor: Option<i64>,
    /// Feed entries the device had not yet synced at its last upload.
    pub sync_lag: Option<i64>,
    pub outbox_depth: Option<i64>,
    /// Server clock minus device clock at the last upload, ms.
    pub clock_offset_ms: Option<i64>,
    pub created_at: i64,
    /// `gate` or `kiosk`, as the device said with its last kiosk upload; `None` before one.
    pub mode: Option<String>,
}

const COLUMNS: &str =
    "id, tenant_id, event_id, name, pairing_expires_at, paired_at, revoked_at, app_version, \
     profile, last_seen_at, sync_cursor, sync_lag, outbox_depth, clock_offset_ms, created_at, mode";

fn from_row<'r, R>(r: &'r R) -> Result<Device, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let tenant: String = r.try_get(1)?;
    let event: String = r.try_get(2)?;
    let paired_at: Option<i64> = r.try_get(5)?;
    let revoked_at: Option<i64> = r.try_get(6)?;
    Ok(Device {
        id: parse_id(&id)?,
        tenant_id: parse_id(&tenant)?,
        event_id: parse_id(&event)?,
        name: r.try_get(3)?,
        state: match (revoked_at, paired_at) {
            (Some(_), _) => "revoked",
            (None, Some(_)) => "paired",
            (None, None) => "awaiting_pairing",
        },
        pairing_expires_at: r.try_get(4)?,
        paired_at,
        revoked_at,
        app_version: r.try_get(7)?,
        profile: r.try_get(8)?,
        last_seen_at: r.try_get(9)?,
        sync_cursor: r.try_get(10)?,
        sync_lag: r.try_get(11)?,
        outbox_depth: r.try_get(12)?,
        clock_offset_ms: r.try_get(13)?,
        created_at: r.try_get(14)?,
        mode: r.try_get(15)?,
    })
}

pub async fn create(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    name: &str,
    pairing_code_hash: &str,
    pairing_expires_at: i64,
) -> Result<DeviceId, sqlx::Error> {
    let id = DeviceId(uuid::Uuid::now_v7());
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO devices (id, tenant_id, event_id, name, pairing_code_hash, pairing_expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(tenant.to_string())
    .bind(event.to_string())
    .bind(name)
    .bind(pairing_code_hash)
    .bind(pairing_expires_at)
    .bind(now_ms())
    .execute(c)
    .await)?;
    Ok(id)
}

pub async fn find(db: &Db, tenant: TenantId, id: DeviceId) -> Result<Option<Device>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2");
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(from_row).transpose()
    })
}

pub async fn list(db: &Db, tenant: TenantId, event: EventId) -> Result<Vec<Device>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND event_id = $2 ORDER BY created_at, id");
    on_pool!(db, p => {
        let rows = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(event.to_string())
            .fetch_all(p)
            .await?;
        rows.iter().map(from_row).collect()
    })
}

/// What a pairing code lookup found.
pub enum PairingLookup {
    Unknown,
    Expired,
    Ready(Box<Device>),
}

/// Finds the device waiting for this code (the code names its tenant).
pub async fn find_by_pairing_code(
    db: &Db,
    code_hash: &str,
    now: i64,
) -> Result<PairingLookup, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM devices WHERE pairing_code_hash = $1 AND revoked_at IS NULL"
    );
    let device = on_pool!(db, p => {
        let row = sqlx::query(&sql).bind(code_hash).fetch_optional(p).await?;
        row.as_ref().map(from_row).transpose()
    })?;
    Ok(match device {
        None => PairingLookup::Unknown,
        Some(d) if d.pairing_expires_at.is_none_or(|t| t <= now) => PairingLookup::Expired,
        Some(d) => PairingLookup::Ready(Box::new(d)),
    })
}

/// Spends the pairing code `code_hash`: the device now answers to `token_hash` only. Returns
/// whether this call spent it (a code is spent once, even by two devices racing with it).
#[allow(clippy::too_many_arguments)]
pub async fn complete_pairing(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    code_hash: &str,
    token_hash: &str,
    app_version: &str,
    profile: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let spent = exec_tx!(tx, c => sqlx::query(
        "UPDATE devices SET token_hash = $1, pairing_code_hash = NULL, pairing_expires_at = NULL, paired_at = $2, \
         app_version = $3, profile = $4, last_seen_at = $2 \
         WHERE tenant_id = $5 AND id = $6 AND pairing_code_hash = $7 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .bind(app_version)
    .bind(profile)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .bind(code_hash)
    .execute(c)
    .await)?;
    Ok(spent == 1)
}

/// Gives the device a new pairing code and forgets its token: it must pair again.
pub async fn reset_pairing(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    code_hash: &str,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = exec_tx!(tx, c => sqlx::query(
        "UPDATE devices SET token_hash = NULL, pairing_code_hash = $1, pairing_expires_at = $2, paired_at = NULL \
         WHERE tenant_id = $3 AND id = $4 AND revoked_at IS NULL",
    )
    .bind(code_hash)
    .bind(expires_at)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(done == 1)
}

/// Replaces the token of a paired device (the device asked for a fresh one).
pub async fn replace_token(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("UPDATE devices SET token_hash = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
        .bind(token_hash)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn revoke(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = exec_tx!(tx, c => sqlx::query(
        "UPDATE devices SET revoked_at = $1, pairing_code_hash = NULL, pairing_expires_at = NULL \
         WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(done == 1)
}

/// The device a bearer token belongs to, revoked or not.
pub async fn find_by_token(db: &Db, token_hash: &str) -> Result<Option<Device>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE token_hash = $1");
    on_pool!(db, p => {
        let row = sqlx::query(&sql).bind(token_hash).fetch_optional(p).await?;
        row.as_ref().map(from_row).transpose()
    })
}

pub async fn touch(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(now)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(c)
        .await)?;
    Ok(())
}

/// Stores what the device said about itself on an upload.
pub async fn record_report(
    tx: &mut Tx,
    tenant: TenantId,
    id: DeviceId,
    report: &DeviceReport,
    lag: i64,
    clock_offset_ms: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE devices SET app_version = $1, profile = $2, sync_cursor = $3, sync_lag = $4, outbox_depth = $5, \
         clock_offset_ms = $6, last_seen_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(&report.app_version)
    .bind(&report.profile)
    .bind(report.cursor)
    .bind(lag)
    .bind(i64::try_from(report.outbox_depth).unwrap_or(i64::MAX))
    .bind(clock_offset_ms)
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(())
}

/// Devices of the event still waiting for pairing (the demo hands out their codes again).
pub async fn awaiting_pairing(
    db: &Db,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<Device>, sqlx::Error> {
    Ok(list(db, tenant, event)
        .await?
        .into_iter()
        .filter(|d| d.state == "awaiting_pairing")
        .collect())
}
