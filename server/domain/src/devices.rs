//! Devices: the gates and kiosks of an event, and their trust.
//!
//! A device's life: **created** by an admin (a one-time pairing code, shown once, kept as a
//! digest, expiring after the configured time) → **paired** (the code is traded for a device
//! token, also kept only as a digest) → optionally **re-paired** (a new code; the old token stops
//! working at once) → **revoked** (the device is told to wipe its cache at its next contact; a
//! revoked device can never pair again). Every step is audited; pairing and token rotation name
//! the device itself as the author.

use gatehouse_core::protocol::{PairRequest, PairResponse};
use gatehouse_core::{DeviceId, EventId};
use gatehouse_db::crypto::{digest, new_pairing_code, new_token, normalize_pairing_code};
use gatehouse_db::devices::{self as rows, PairingLookup};
use serde_json::json;

use crate::unit::UnitOfWork;
use crate::{now_ms, Actor, Author, Domain, DomainError, DomainResult};

pub use gatehouse_db::devices::{find, find_by_token, list, Device};

/// What every device token starts with.
pub const DEVICE_TOKEN_PREFIX: &str = "ghd_";
/// Longest device name accepted.
pub const MAX_NAME_LEN: usize = 120;
/// A device's last-contact time is written at most this often by authentication alone.
const TOUCH_INTERVAL_MS: i64 = 5_000;

/// A pairing code as handed to the admin, once.
#[derive(Debug, Clone)]
pub struct PairingCode {
    pub device_id: DeviceId,
    pub code: String,
    pub expires_at: i64,
}

/// Creates a device of `event` waiting to be paired with the returned code.
pub async fn create(
    domain: &Domain,
    author: &Author,
    event: EventId,
    name: &str,
) -> DomainResult<(Device, PairingCode)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(DomainError::invalid(
            "invalid_name",
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    let code = new_pairing_code();
    let expires_at = now_ms() + domain.settings().pairing_code_ttl_seconds * 1000;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let device_id = rows::create(
        unit.tx(),
        author.tenant,
        event,
        name,
        &digest(&normalize_pairing_code(&code)),
        expires_at,
    )
    .await?;
    unit.audit(
        &author.actor,
        "device.created",
        ("device", &device_id.to_string()),
        None::<&()>,
        Some(&json!({ "name": name, "event_id": event })),
    )
    .await?;
    unit.notify_live(event);
    unit.commit().await?;
    let device = rows::find(domain.db(), author.tenant, device_id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a device", device_id))?;
    Ok((
        device,
        PairingCode {
            device_id,
            code,
            expires_at,
        },
    ))
}

/// Forgets the device's token and hands out a new pairing code (a replaced laptop, a lost token).
pub async fn repair(domain: &Domain, author: &Author, id: DeviceId) -> DomainResult<PairingCode> {
    let before = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("device {:?}", id.to_string())))?;
    let code = new_pairing_code();
    let expires_at = now_ms() + domain.settings().pairing_code_ttl_seconds * 1000;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    let reset = rows::reset_pairing(
        unit.tx(),
        author.tenant,
        id,
        &digest(&normalize_pairing_code(&code)),
        expires_at,
    )
    .await?;
    if !reset {
        return Err(DomainError::conflict(
            "device_revoked",
            "a revoked device cannot be paired again; create a new one",
        ));
    }
    unit.audit(
        &author.actor,
        "device.rotated",
        ("device", &id.to_string()),
        Some(&before),
        None::<&()>,
    )
    .await?;
    unit.notify_live(before.event_id);
    unit.commit().await?;
    Ok(PairingCode {
        device_id: id,
        code,
        expires_at,
    })
}

/// Revokes a device: its token is refused from now on and its next contact tells it to wipe.
/// Returns the device as it is now (revoking twice changes nothing).
pub async fn revoke(domain: &Domain, author: &Author, id: DeviceId) -> DomainResult<Device> {
    let before = rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::not_found(&format!("device {:?}", id.to_string())))?;
    let mut unit = UnitOfWork::begin(domain, author.tenant).await?;
    if rows::revoke(unit.tx(), author.tenant, id, now_ms()).await? {
        unit.audit(
            &author.actor,
            "device.revoked",
            ("device", &id.to_string()),
            Some(&before),
            None::<&()>,
        )
        .await?;
    }
    unit.notify_live(before.event_id);
    unit.commit().await?;
    rows::find(domain.db(), author.tenant, id)
        .await?
        .ok_or_else(|| DomainError::internal("read back a device", id))
}

/// Trades a pairing code for a device token (shown once; kept as a digest).
pub async fn pair(domain: &Domain, req: &PairRequest) -> DomainResult<PairResponse> {
    let code = normalize_pairing_code(&req.pairing_code);
    if code.is_empty() {
        return Err(DomainError::invalid(
            "pairing_code_missing",
            "pairing_code is empty",
        ));
    }
    if req.app_version.trim().is_empty() {
        return Err(DomainError::invalid(
            "app_version_missing",
            "app_version is empty",
        ));
    }
    let now = now_ms();
    let code_hash = digest(&code);
    let invalid = || {
        DomainError::forbidden(
            "pairing_code_invalid",
            "this pairing code is unknown or was already used; ask an admin for a new one",
        )
    };
    let device = match rows::find_by_pairing_code(domain.db(), &code_hash, now).await? {
        PairingLookup::Unknown => return Err(invalid()),
        PairingLookup::Expired => {
            return Err(DomainError::forbidden(
                "pairing_code_expired",
                "this pairing code has expired; ask an admin for a new one",
            ))
        }
        PairingLookup::Ready(device) => *device,
    };
    let event = gatehouse_db::events::find_event(domain.db(), device.tenant_id, device.event_id)
        .await?
        .ok_or_else(|| DomainError::not_found("the device's event"))?;
    let token = new_token(DEVICE_TOKEN_PREFIX);
    // The code names the device, and so the tenant the change happens in.
    let mut unit = UnitOfWork::begin(domain, device.tenant_id).await?;
    let spent = rows::complete_pairing(
        unit.tx(),
        device.tenant_id,
        device.id,
        &code_hash,
        &digest(&token),
        req.app_version.trim(),
        req.profile.as_deref(),
        now,
    )
    .await?;
    if !spent {
        // Another device spent it between the look-up and now.
        return Err(invalid());
    }
    unit.audit(
        &Actor::Device(device.id),
        "device.paired",
        ("device", &device.id.to_string()),
        None::<&()>,
        Some(&json!({"app_version": req.app_version, "profile": req.profile})),
    )
    .await?;
    unit.notify_live(device.event_id);
    unit.commit().await?;
    tracing::info!(device = %device.id, event = %event.id, "device paired");
    Ok(PairResponse {
        device_id: device.id,
        device_name: device.name,
        device_token: token,
        tenant_id: device.tenant_id,
        event_id: event.id,
        event_name: event.name,
        server_time: now,
    })
}

/// Swaps a paired device's token for a fresh one; the old token stops working at once.
pub async fn rotate_token(domain: &Domain, device: &Device) -> DomainResult<PairResponse> {
    let event = gatehouse_db::events::find_event(domain.db(), device.tenant_id, device.event_id)
        .await?
        .ok_or_else(|| DomainError::not_found("the device's event"))?;
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let mut unit = UnitOfWork::begin(domain, device.tenant_id).await?;
    rows::replace_token(unit.tx(), device.tenant_id, device.id, &digest(&token)).await?;
    unit.audit(
        &Actor::Device(device.id),
        "device.token_rotated",
        ("device", &device.id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    unit.commit().await?;
    Ok(PairResponse {
        device_id: device.id,
        device_name: device.name.clone(),
        device_token: token,
        tenant_id: device.tenant_id,
        event_id: event.id,
        event_name: event.name,
        server_time: now_ms(),
    })
}

/// Why a device token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Rotated or never issued.
    Unknown,
    /// The device was revoked: it must wipe its cache.
    Revoked,
}

/// The device a token belongs to, if it may still talk to the server. Notes its contact (at most
/// every few seconds, so a busy gate does not write on every request).
pub async fn authenticate(
    domain: &Domain,
    token: &str,
) -> DomainResult<Result<Device, TokenRefusal>> {
    let Some(device) = rows::find_by_token(domain.db(), &digest(token)).await? else {
        return Ok(Err(TokenRefusal::Unknown));
    };
    if device.revoked_at.is_some() {
        return Ok(Err(TokenRefusal::Revoked));
    }
    let now = now_ms();
    if device
        .last_seen_at
        .is_none_or(|t| now - t > TOUCH_INTERVAL_MS)
    {
        let mut tx = domain.db().begin().await?;
        rows::touch(&mut tx, device.tenant_id, device.id, now).await?;
        tx.commit().await?;
    }
    Ok(Ok(device))
}
