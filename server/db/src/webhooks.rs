//! The webhook tables: subscriptions (per tenant), messages (the outbox) and deliveries (one per
//! message and subscription). Every function that reads or changes a tenant's rows takes the
//! [`TenantId`] first and puts it in the `WHERE` clause; only the delivery worker's claim works
//! across tenants, as it serves them all.

use gatehouse_core::TenantId;
use serde::Serialize;
use sqlx::{Decode, Row, Type};
use uuid::Uuid;

use crate::{decode, exec_tx, flag, on_pool, on_tx, parse_id, Db, Tx};

/// A subscription as the API shows it (secrets never leave through this type).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Subscription {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the server disabled it (410 Gone, sustained failure); `None` when enabled or paused.
    pub disabled_reason: Option<String>,
    /// Since when no delivery has succeeded, while failing.
    pub failing_since: Option<i64>,
    /// Until when deliveries wait after a failure (the circuit breaker).
    pub circuit_open_until: Option<i64>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub tenant_id: TenantId,
}

const SUB_COLUMNS: &str =
    "id, tenant_id, url, description, event_types, enabled, disabled_reason, \
     failing_since, previous_secret_expires_at, created_at, updated_at, circuit_open_until";

fn sub_from_row<'r, R>(r: &'r R) -> Result<Subscription, sqlx::Error>
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
    let types: String = r.try_get(4)?;
    let enabled: i64 = r.try_get(5)?;
    Ok(Subscription {
        id: parse_id(&id)?,
        tenant_id: parse_id(&tenant)?,
        url: r.try_get(2)?,
        description: r.try_get(3)?,
        event_types: serde_json::from_str(&types)
            .map_err(|e| decode(format!("subscription {id}: event types: {e}")))?,
        enabled: enabled != 0,
        disabled_reason: r.try_get(6)?,
        failing_since: r.try_get(7)?,
        previous_secret_expires_at: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
        circuit_open_until: r.try_get(11)?,
    })
}

/// What a new subscription is made of.
pub struct NewSubscription<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a [String],
    pub sealed_secret: &'a str,
    pub enabled: bool,
}

pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewSubscription<'_>,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO webhook_subscriptions (id, tenant_id, url, description, event_types, sealed_secret, \
         enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(tenant.to_string())
    .bind(new.url)
    .bind(new.description)
    .bind(serde_json::to_string(new.event_types).unwrap_or_else(|_| "[]".into()))
    .bind(new.sealed_secret)
    .bind(flag(new.enabled))
    .bind(now)
    .execute(c)
    .await)?;
    Ok(id)
}

pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<Subscription>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY created_at, id"
    );
    on_pool!(db, p => {
        let rows = sqlx::query(&sql).bind(tenant.to_string()).fetch_all(p).await?;
        rows.iter().map(sub_from_row).collect()
    })
}

pub async fn find(
    db: &Db,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Subscription>, sqlx::Error> {
    let sql =
        format!("SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2");
    on_pool!(db, p => {
        let row = sqlx::query(&sql).bind(tenant.to_string()).bind(id.to_string()).fetch_optional(p).await?;
        row.as_ref().map(sub_from_row).transpose()
    })
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Changes {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// Applies `changes`. Enabling clears the reason it was disabled, its failure streak and its
/// open circuit, so it starts afresh.
pub async fn update(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    changes: &Changes,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let types = changes
        .event_types
        .as_ref()
        .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".into()));
    let enabled = changes.enabled.map(flag);
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET url = COALESCE($1, url), description = COALESCE($2, description), \
         event_types = COALESCE($3, event_types), enabled = COALESCE($4, enabled), \
         disabled_reason = CASE WHEN $4 = 1 THEN NULL ELSE disabled_reason END, \
         failing_since = CASE WHEN $4 = 1 THEN NULL ELSE failing_since END, \
         circuit_open_until = CASE WHEN $4 = 1 THEN NULL ELSE circuit_open_until END, \
         updated_at = $5 WHERE tenant_id = $6 AND id = $7",
    )
    .bind(&changes.url)
    .bind(&changes.description)
    .bind(types)
    .bind(enabled)
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Deletes a subscription and its deliveries.
pub async fn delete(tx: &mut Tx, tenant: TenantId, id: Uuid) -> Result<bool, sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "DELETE FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id IN \
         (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2)",
    )
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2")
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(c)
        .await)?;
    let n = exec_tx!(tx, c => sqlx::query("DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Replaces the secret; the old one keeps signing until `previous_expires_at`.
pub async fn rotate_secret(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    sealed_new: &str,
    previous_expires_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET sealed_previous_secret = sealed_secret, sealed_secret = $1, \
         previous_secret_expires_at = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5",
    )
    .bind(sealed_new)
    .bind(previous_expires_at)
    .bind(now)
    .bind(tenant.to_string())
    .bind(id.to_string())
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// The enabled subscriptions of a tenant with their filters, for fan-out at enqueue time; none
/// while the tenant's `WEBHOOKS` feature is off.
pub async fn enabled_filters(
    tx: &mut Tx,
    tenant: TenantId,
) -> Result<Vec<(String, Vec<String>)>, sqlx::Error> {
    let rows: Vec<(String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT s.id, s.event_types FROM webhook_subscriptions s \
         JOIN tenant_features f ON f.tenant_id = s.tenant_id AND f.flag = 'WEBHOOKS' AND f.enabled = 1 \
         WHERE s.tenant_id = $1 AND s.enabled = 1",
    )
    .bind(tenant.to_string())
    .fetch_all(c)
    .await)?;
    rows.into_iter()
        .map(|(id, types)| {
            let filters = serde_json::from_str(&types)
                .map_err(|e| decode(format!("subscription {id}: event types: {e}")))?;
            Ok((id, filters))
        })
        .collect()
}

/// One delivery of one message to one subscription, as integrators see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The `webhook-id` header: the same on every attempt and on redelivery.
    pub message_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (the schedule is spent, or the endpoint is gone).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// The start of the endpoint's last answer.
    pub last_response: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.subscription_id, d.message_id, m.event_type, d.status, \
     d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, \
     d.last_response, d.created_at, d.delivered_at";

fn delivery_from_row<'r, R>(r: &'r R) -> Result<Delivery, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = r.try_get(0)?;
    let sub: String = r.try_get(1)?;
    Ok(Delivery {
        id: parse_id(&id)?,
        subscription_id: parse_id(&sub)?,
        message_id: r.try_get(2)?,
        event_type: r.try_get(3)?,
        status: r.try_get(4)?,
        attempts: r.try_get(5)?,
        next_attempt_at: r.try_get(6)?,
        last_attempt_at: r.try_get(7)?,
        last_status_code: r.try_get(8)?,
        last_error: r.try_get(9)?,
        last_response: r.try_get(10)?,
        created_at: r.try_get(11)?,
        delivered_at: r.try_get(12)?,
    })
}

/// A subscription's deliveries, newest first; `status` narrows them, `before` pages on.
pub async fn deliveries(
    db: &Db,
    tenant: TenantId,
    subscription: Uuid,
    status: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id \
         WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND ($3 = '' OR d.status = $3) \
         AND ($4 = '' OR d.id < $4) ORDER BY d.id DESC LIMIT $5"
    );
    on_pool!(db, p => {
        let rows = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(subscription.to_string())
            .bind(status.unwrap_or(""))
            .bind(before.map(|b| b.to_string()).unwrap_or_default())
            .bind(limit)
            .fetch_all(p)
            .await?;
        rows.iter().map(delivery_from_row).collect()
    })
}

pub async fn find_delivery(
    db: &Db,
    tenant: TenantId,
    subscription: Uuid,
    id: Uuid,
) -> Result<Option<Delivery>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id \
         WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND d.id = $3"
    );
    on_pool!(db, p => {
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(subscription.to_string())
            .bind(id.to_string())
            .fetch_optional(p)
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    })
}

/// The messages a subscription was sent between `since` (inclusive) and `until` (exclusive),
/// oldest first; with `only_failed`, those that failed and were not delivered or queued since.
pub async fn messages_between(
    db: &Db,
    tenant: TenantId,
    subscription: Uuid,
    since: i64,
    until: i64,
    only_failed: bool,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = on_pool!(db, p => sqlx::query_as(
        "SELECT DISTINCT d.message_id FROM webhook_deliveries d \
         WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND d.created_at >= $3 AND d.created_at < $4 \
         AND ($5 = 0 OR (d.status = 'failed' AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
             WHERE e.subscription_id = d.subscription_id AND e.message_id = d.message_id \
             AND e.status IN ('delivered', 'pending')))) \
         ORDER BY d.message_id LIMIT $6",
    )
    .bind(tenant.to_string())
    .bind(subscription.to_string())
    .bind(since)
    .bind(until)
    .bind(flag(only_failed))
    .bind(limit)
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Rows per multi-row insert (7 parameters each).
const INSERT_CHUNK: usize = 1_000;

/// Writes messages to the outbox: (id, event type, body).
pub async fn insert_messages(
    tx: &mut Tx,
    tenant: TenantId,
    messages: &[(String, &str, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let tenant = tenant.to_string();
    for chunk in messages.chunks(INSERT_CHUNK) {
        exec_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO webhook_messages (id, tenant_id, event_type, payload, created_at) ",
            );
            qb.push_values(chunk, |mut b, (id, kind, body)| {
                b.push_bind(id.clone())
                    .push_bind(tenant.clone())
                    .push_bind(kind.to_string())
                    .push_bind(body.clone())
                    .push_bind(now);
            });
            qb.build().execute(c).await
        })?;
    }
    Ok(())
}

/// Queues deliveries, due at once: (subscription id, message id). Returns their ids.
pub async fn insert_deliveries(
    tx: &mut Tx,
    tenant: TenantId,
    deliveries: &[(String, String)],
    now: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tenant.to_string();
    let mut ids = Vec::with_capacity(deliveries.len());
    for chunk in deliveries.chunks(INSERT_CHUNK) {
        let rows: Vec<(Uuid, &(String, String))> =
            chunk.iter().map(|d| (Uuid::now_v7(), d)).collect();
        exec_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, message_id, status, attempts, \
                 next_attempt_at, created_at) ",
            );
            qb.push_values(&rows, |mut b, (id, (sub, msg))| {
                b.push_bind(id.to_string())
                    .push_bind(tenant.clone())
                    .push_bind(sub.clone())
                    .push_bind(msg.clone())
                    .push_bind("pending")
                    .push_bind(0i64)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(c).await
        })?;
        ids.extend(rows.iter().map(|(id, _)| *id));
    }
    Ok(ids)
}

/// A delivery the worker took, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub message_id: String,
    pub attempts: i64,
    pub payload: String,
    pub url: String,
    pub sealed_secret: String,
    pub sealed_previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
}

type ClaimRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
);

/// Takes up to `limit` due deliveries of enabled subscriptions whose circuit is closed, and
/// leases them until `lease_until` (another node, or this one after a crash, takes them again
/// after that). On PostgreSQL rows another node is claiming are skipped, not waited for. On
/// SQLite the candidates are read from the read pool, so an idle poll never holds the single
/// write connection that scans need; the lease is then taken only where the row is still due.
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match db {
        Db::Pg(_) => "FOR NO KEY UPDATE OF d SKIP LOCKED",
        Db::Sqlite { .. } => "",
    };
    let sql = format!(
        "SELECT d.id, d.tenant_id, d.subscription_id, d.message_id, d.attempts, m.payload, s.url, \
         s.sealed_secret, s.sealed_previous_secret, s.previous_secret_expires_at \
         FROM webhook_deliveries d \
         JOIN webhook_subscriptions s ON s.id = d.subscription_id \
         JOIN webhook_messages m ON m.id = d.message_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.leased_until IS NULL OR d.leased_until <= $1) AND s.enabled = 1 \
         AND (s.circuit_open_until IS NULL OR s.circuit_open_until <= $1) \
         ORDER BY d.next_attempt_at, d.id LIMIT $2 {lock}"
    );
    let (mut tx, rows): (Option<Tx>, Vec<ClaimRow>) = match db {
        Db::Sqlite { read, .. } => {
            let rows = sqlx::query_as(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(read)
                .await?;
            (None, rows)
        }
        Db::Pg(_) => {
            let mut tx = db.begin().await?;
            let rows = on_tx!(&mut tx, c => sqlx::query_as(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(c)
                .await)?;
            (Some(tx), rows)
        }
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = match tx.take() {
        Some(tx) => tx,
        None => db.begin().await?,
    };
    let leased: Vec<(String,)> = on_tx!(&mut tx, c => {
        let mut qb = sqlx::QueryBuilder::new("UPDATE webhook_deliveries SET leased_until = ");
        qb.push_bind(lease_until)
            .push(" WHERE status = 'pending' AND next_attempt_at <= ")
            .push_bind(now)
            .push(" AND (leased_until IS NULL OR leased_until <= ")
            .push_bind(now)
            .push(") AND id IN (");
        let mut list = qb.separated(", ");
        for r in &rows {
            list.push_bind(r.0.clone());
        }
        qb.push(") RETURNING id");
        qb.build_query_as::<(String,)>().fetch_all(c).await
    })?;
    tx.commit().await?;
    let leased: std::collections::HashSet<String> = leased.into_iter().map(|(id,)| id).collect();
    Ok(rows
        .into_iter()
        .filter(|r| leased.contains(&r.0))
        .map(|r| Claimed {
            id: r.0,
            tenant_id: r.1,
            subscription_id: r.2,
            message_id: r.3,
            attempts: r.4,
            payload: r.5,
            url: r.6,
            sealed_secret: r.7,
            sealed_previous_secret: r.8,
            previous_secret_expires_at: r.9,
        })
        .collect())
}

/// What became of one attempt, to be written back.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub tenant_id: String,
    pub delivery_id: String,
    pub duration_ms: i64,
    pub subscription_id: String,
    /// `pending` (retry at `next_attempt_at`), `delivered` or `failed`.
    pub status: &'static str,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub response: Option<String>,
}

/// Writes back one attempt; false when the delivery is gone (its subscription was deleted
/// while the request was in flight).
pub async fn record_attempt(tx: &mut Tx, a: &AttemptRecord) -> Result<bool, sqlx::Error> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, leased_until = NULL, last_attempt_at = $4, \
         last_status_code = $5, last_error = $6, last_response = $7, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END WHERE id = $8",
    )
    .bind(a.status)
    .bind(a.attempts)
    .bind(a.next_attempt_at)
    .bind(a.attempted_at)
    .bind(a.status_code)
    .bind(&a.error)
    .bind(&a.response)
    .bind(&a.delivery_id)
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Adds attempts to the log of their deliveries.
pub async fn log_attempts(tx: &mut Tx, attempts: &[AttemptRecord]) -> Result<(), sqlx::Error> {
    for chunk in attempts.chunks(INSERT_CHUNK) {
        exec_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO webhook_attempts (id, tenant_id, delivery_id, attempted_at, duration_ms, status_code, \
                 error, response) ",
            );
            qb.push_values(chunk, |mut b, a| {
                b.push_bind(Uuid::now_v7().to_string())
                    .push_bind(a.tenant_id.clone())
                    .push_bind(a.delivery_id.clone())
                    .push_bind(a.attempted_at)
                    .push_bind(a.duration_ms)
                    .push_bind(a.status_code)
                    .push_bind(a.error.clone())
                    .push_bind(a.response.clone());
            });
            qb.build().execute(c).await
        })?;
    }
    Ok(())
}

/// One attempt as the delivery log shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attempt {
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub response: Option<String>,
}

/// A delivery's attempts, oldest first.
pub async fn attempts(
    db: &Db,
    tenant: TenantId,
    delivery: Uuid,
) -> Result<Vec<Attempt>, sqlx::Error> {
    type AttemptRow = (i64, i64, Option<i64>, Option<String>, Option<String>);
    let rows: Vec<AttemptRow> = on_pool!(db, p => sqlx::query_as(
        "SELECT attempted_at, duration_ms, status_code, error, response FROM webhook_attempts \
         WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempted_at, id",
    )
    .bind(tenant.to_string())
    .bind(delivery.to_string())
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(attempted_at, duration_ms, status_code, error, response)| Attempt {
                attempted_at,
                duration_ms,
                status_code,
                error,
                response,
            },
        )
        .collect())
}

/// The endpoint accepted a delivery: its failure streak and circuit end, and if it had been
/// failing, its backlog (deliveries waiting out their backoff) is due now, oldest first, instead
/// of hours later.
pub async fn endpoint_succeeded(
    tx: &mut Tx,
    subscription: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let recovered = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET failing_since = NULL, circuit_open_until = NULL \
         WHERE id = $1 AND (failing_since IS NOT NULL OR circuit_open_until IS NOT NULL)",
    )
    .bind(subscription)
    .execute(c)
    .await)?;
    if recovered == 1 {
        exec_tx!(tx, c => sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE subscription_id = $2 AND status = 'pending' AND next_attempt_at > $1",
        )
        .bind(now)
        .bind(subscription)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// The endpoint failed: the streak starts (if it had not), the circuit opens until
/// `circuit_until`, and a streak older than `disable_before` disables the subscription with
/// `reason`. Returns whether it was disabled now.
pub async fn endpoint_failed(
    tx: &mut Tx,
    subscription: &str,
    now: i64,
    circuit_until: i64,
    disable_before: i64,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, $1), \
         circuit_open_until = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(circuit_until)
    .bind(subscription)
    .execute(c)
    .await)?;
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = $1, updated_at = $2 \
         WHERE id = $3 AND enabled = 1 AND failing_since <= $4",
    )
    .bind(reason)
    .bind(now)
    .bind(subscription)
    .bind(disable_before)
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Disables a subscription for a reason the admin will see (e.g. the endpoint answered 410).
pub async fn disable(
    tx: &mut Tx,
    subscription: &str,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(now)
    .bind(subscription)
    .execute(c)
    .await)?;
    Ok(())
}

/// Rows one pruning statement deletes at most (short transactions on the single SQLite writer).
const PRUNE_BATCH: i64 = 5_000;

/// Deletes settled deliveries (delivered or failed) created before `before`, then messages no
/// delivery refers to. Pending deliveries are never pruned. Returns how many rows went.
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let statements = [
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE status <> 'pending' AND created_at < $1 LIMIT $2)",
        "DELETE FROM webhook_messages WHERE id IN (SELECT m.id FROM webhook_messages m \
         WHERE m.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id) \
         LIMIT $2)",
    ];
    let mut total = 0;
    for sql in statements {
        loop {
            let mut tx = db.begin().await?;
            let n = exec_tx!(&mut tx, c => sqlx::query(sql).bind(before).bind(PRUNE_BATCH).execute(c).await)?;
            tx.commit().await?;
            total += n;
            if n < PRUNE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(total)
}

/// How many deliveries are in each status (tests and the bench).
pub async fn count_by_status(db: &Db, status: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_pool!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE status = $1",
    )
    .bind(status)
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// Devices that stopped calling in before `silent_since` and were not announced yet, and
/// announced devices that called in since: (tenant, device id, back online).
pub async fn device_transitions(
    db: &Db,
    silent_since: i64,
) -> Result<Vec<(String, String, bool)>, sqlx::Error> {
    let rows: Vec<(String, String, i64)> = on_pool!(db, p => sqlx::query_as(
        "SELECT tenant_id, id, CAST(0 AS BIGINT) FROM devices WHERE revoked_at IS NULL AND paired_at IS NOT NULL \
         AND last_seen_at IS NOT NULL AND last_seen_at < $1 AND offline_announced_at IS NULL \
         UNION ALL \
         SELECT tenant_id, id, CAST(1 AS BIGINT) FROM devices WHERE offline_announced_at IS NOT NULL \
         AND last_seen_at > offline_announced_at",
    )
    .bind(silent_since)
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(|(t, d, on)| (t, d, on == 1)).collect())
}

/// Marks a device announced offline (or back online); false when another node did it first.
pub async fn mark_device(
    tx: &mut Tx,
    tenant: TenantId,
    device: &str,
    online: bool,
    silent_since: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = if online {
        exec_tx!(tx, c => sqlx::query(
            "UPDATE devices SET offline_announced_at = NULL WHERE tenant_id = $1 AND id = $2 \
             AND offline_announced_at IS NOT NULL AND last_seen_at > offline_announced_at",
        )
        .bind(tenant.to_string())
        .bind(device)
        .execute(c)
        .await)?
    } else {
        exec_tx!(tx, c => sqlx::query(
            "UPDATE devices SET offline_announced_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND offline_announced_at IS NULL AND revoked_at IS NULL AND last_seen_at < $4",
        )
        .bind(now)
        .bind(tenant.to_string())
        .bind(device)
        .bind(silent_since)
        .execute(c)
        .await)?
    };
    Ok(n == 1)
}
