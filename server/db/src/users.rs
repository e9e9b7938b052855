//! Admin users, their roles and permissions, and login sessions.

use gatehouse_core::TenantId;
use uuid::Uuid;

use super::{exec_tx, now_ms, on_pool, parse_id, Db, Tx};
use crate::permissions::Permission;

/// A user as login needs it.
#[derive(Debug, Clone)]
pub struct UserLogin {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub password_hash: String,
}

/// Who a session belongs to.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub permissions: Vec<Permission>,
    /// When the session ends by itself (Unix ms).
    pub expires_at: i64,
}

pub async fn create_role(
    tx: &mut Tx,
    tenant: TenantId,
    name: &str,
    permissions: &[Permission],
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    exec_tx!(tx, c => sqlx::query("INSERT INTO roles (id, tenant_id, name) VALUES ($1, $2, $3)")
        .bind(id.to_string())
        .bind(tenant.to_string())
        .bind(name)
        .execute(c)
        .await)?;
    for perm in permissions {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO role_permissions (tenant_id, role_id, permission) VALUES ($1, $2, $3)",
        )
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(perm.as_str())
        .execute(c)
        .await)?;
    }
    Ok(id)
}

pub async fn create_user(
    tx: &mut Tx,
    tenant: TenantId,
    email: &str,
    full_name: &str,
    password_hash: &str,
    role: Uuid,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO users (id, tenant_id, email, full_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(tenant.to_string())
    .bind(email.to_lowercase())
    .bind(full_name)
    .bind(password_hash)
    .bind(now_ms())
    .execute(c)
    .await)?;
    exec_tx!(tx, c => sqlx::query("INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3)")
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(role.to_string())
        .execute(c)
        .await)?;
    Ok(id)
}

/// Login knows only an email: emails are unique across tenants, and the user row names its tenant.
pub async fn find_for_login(db: &Db, email: &str) -> Result<Option<UserLogin>, sqlx::Error> {
    let row: Option<(String, String, String, String)> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, tenant_id, email, password_hash FROM users WHERE email = $1",
    )
    .bind(email.trim().to_lowercase())
    .fetch_optional(p)
    .await)?;
    row.map(|(id, tenant, email, password_hash)| {
        Ok(UserLogin {
            id: parse_id(&id)?,
            tenant_id: parse_id(&tenant)?,
            email,
            password_hash,
        })
    })
    .transpose()
}

pub async fn create_session(
    tx: &mut Tx,
    tenant: TenantId,
    user: Uuid,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(tenant.to_string())
    .bind(user.to_string())
    .bind(now_ms())
    .bind(expires_at)
    .execute(c)
    .await)?;
    Ok(())
}

/// The user behind a live session, with their permissions; `None` for unknown or expired tokens.
pub async fn session(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionUser>, sqlx::Error> {
    let row: Option<(String, String, String, i64)> = on_pool!(db, p => sqlx::query_as(
        "SELECT u.id, u.tenant_id, u.email, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(p)
    .await)?;
    let Some((user_id, tenant_id, email, expires_at)) = row else {
        return Ok(None);
    };
    let perms: Vec<(String,)> = on_pool!(db, p => sqlx::query_as(
        "SELECT DISTINCT rp.permission FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id \
         WHERE ur.tenant_id = $1 AND ur.user_id = $2",
    )
    .bind(&tenant_id)
    .bind(&user_id)
    .fetch_all(p)
    .await)?;
    Ok(Some(SessionUser {
        user_id: parse_id(&user_id)?,
        tenant_id: parse_id(&tenant_id)?,
        email,
        permissions: perms
            .into_iter()
            .filter_map(|(p,)| Permission::parse(&p))
            .collect(),
        expires_at,
    }))
}

/// Ends one session (sign-out).
pub async fn end_session(
    tx: &mut Tx,
    tenant: TenantId,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
        .bind(tenant.to_string())
        .bind(token_hash)
        .execute(c)
        .await)?;
    Ok(())
}
