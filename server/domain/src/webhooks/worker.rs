//! The delivery worker, one per server node: claims due deliveries, sends them signed, and
//! writes back what happened; it also announces devices that went silent or came back.
//!
//! - **Claiming** leases rows for twice the request timeout plus a margin (see
//!   [`store::claim_due`]): a node that dies mid-delivery leaves its rows to be taken again when
//!   the lease runs out, with the same `webhook-id`. When a failing endpoint accepts a delivery
//!   again, its backlog is due at once, oldest first. On PostgreSQL several nodes claim side by
//!   side (`SKIP LOCKED`); on SQLite the one process is the only writer.
//! - **Sending** runs up to [`MAX_IN_FLIGHT`] requests at once, without following redirects,
//!   through the SSRF guard, with the configured timeout. 2xx is delivered; 410 Gone disables
//!   the subscription; anything else (or no answer) is retried on the [`schedule`], honouring
//!   `Retry-After`, and opens the endpoint's circuit for as long, so one dead endpoint is not
//!   hammered by its whole backlog at once.
//! - **Recording** happens in batches, one transaction per batch.
//! - **Pruning**: settled deliveries older than [`RETENTION_MS`] leave the log, hourly.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::{DeviceId, TenantId};
use tokio::sync::{mpsc, watch, Semaphore};

use gatehouse_db::webhooks::{self as store, AttemptRecord, Claimed};
use gatehouse_db::{self as db, now_ms, parse_id};

use super::{events, outbox, schedule, signing, ssrf};
use crate::Domain;

/// Requests in flight at once, per node.
pub const MAX_IN_FLIGHT: usize = 64;
/// How often the worker looks for due deliveries when nothing woke it (deliveries enqueued on
/// another node, retries coming due).
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How much of an endpoint's answer is kept for the delivery log.
pub const RESPONSE_KEPT_BYTES: usize = 1_024;
/// Results written back per transaction, at most.
const RECORD_BATCH: usize = 256;
/// How long settled deliveries and their messages stay in the delivery log.
pub const RETENTION_MS: i64 = 30 * 24 * 3_600 * 1_000;
/// How often old deliveries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// The running worker of this node.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Stops claiming and waits, at most `grace`, until the requests in flight are answered and
    /// recorded, so that a restart does not send them again. Dropping the handle instead leaves
    /// the worker running.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!(
                "webhook requests still in flight at shutdown: they are sent again when their lease ends"
            );
        }
    }
}

/// Starts the worker on the current runtime.
pub fn spawn(domain: Domain) -> Worker {
    let (stop, stopped) = watch::channel(false);
    Worker {
        stop,
        task: tokio::spawn(run(domain, stopped)),
    }
}

/// One attempt's result, before it is written back.
struct Outcome {
    claimed: Claimed,
    attempted_at: i64,
    duration_ms: i64,
    status_code: Option<u16>,
    retry_after_ms: Option<u64>,
    error: Option<String>,
    response: Option<String>,
}

/// The delivery client: the SSRF guard resolves every name, redirects are not followed, and
/// `HTTP(S)_PROXY` is ignored (a proxy would resolve the name itself, past the guard).
fn client(config: &super::Settings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(config.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(ssrf::GuardedResolver {
            allow_private: config.allow_private,
        }))
        .user_agent(concat!("Gatehouse-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .build()
}

async fn run(domain: Domain, mut stopped: watch::Receiver<bool>) {
    // Without its guarded client the worker sends nothing (deliveries wait, due, for a restart
    // that can build it); it still announces silent devices and prunes the log.
    let http = match client(&domain.settings().webhooks) {
        Ok(http) => Some(http),
        Err(e) => {
            tracing::error!(
                error = %e,
                "cannot build the guarded webhook client: no webhook is sent until the server \
                 restarts with a working TLS setup"
            );
            None
        }
    };
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let (results, inbox) = mpsc::unbounded_channel::<Outcome>();
    let recorder = tokio::spawn(record_loop(domain.clone(), inbox));
    // Whether someone still holds the handle that can stop us.
    let mut stoppable = true;
    let config = domain.settings().webhooks.clone();
    let lease_ms = 2 * config.timeout_ms as i64 + 5_000;
    let sweep_every =
        Duration::from_millis((config.device_offline_seconds as u64 * 500).clamp(500, 30_000));
    let mut next_sweep = tokio::time::Instant::now();
    let mut next_prune = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if *stopped.borrow() {
            break;
        }
        let free = permits.available_permits();
        let mut full = false;
        if let (Some(http), true) = (&http, free > 0) {
            let now = now_ms();
            match store::claim_due(domain.db(), now, now + lease_ms, free as i64).await {
                Ok(batch) => {
                    full = batch.len() == free;
                    if !batch.is_empty() {
                        tracing::debug!(count = batch.len(), "claimed webhook deliveries");
                    }
                    for claimed in batch {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            return;
                        };
                        let (domain, http, results) =
                            (domain.clone(), http.clone(), results.clone());
                        tokio::spawn(async move {
                            let outcome = attempt(&domain, &http, claimed).await;
                            let _ = results.send(outcome);
                            drop(permit);
                        });
                    }
                }
                Err(gatehouse_db::DbError::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed; will retry")
                }
            }
        }
        if tokio::time::Instant::now() >= next_sweep {
            match sweep_devices(&domain).await {
                Ok(_) => {}
                Err(gatehouse_db::DbError::PoolClosed) => return,
                Err(e) => tracing::warn!(error = %e, "device offline sweep failed; will retry"),
            }
            next_sweep = tokio::time::Instant::now() + sweep_every;
        }
        if tokio::time::Instant::now() >= next_prune {
            match store::prune(domain.db(), now_ms() - RETENTION_MS).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned old webhook deliveries"),
                Err(gatehouse_db::DbError::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "pruning webhook deliveries failed; will retry")
                }
            }
            next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
        }
        if full && permits.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            _ = domain.webhook_wakeups().notified() => {}
            _ = tokio::time::sleep(POLL_EVERY) => {}
            changed = stopped.changed(), if stoppable => stoppable = changed.is_ok(),
        }
    }
    // Let what was sent be answered and recorded.
    let _ = permits.acquire_many(MAX_IN_FLIGHT as u32).await;
    drop(results);
    let _ = recorder.await;
}

/// The keys that sign a delivery now: the current secret, and the previous one during its
/// overlap.
fn signing_keys(domain: &Domain, c: &Claimed, now: i64) -> Vec<Vec<u8>> {
    let open = |sealed: &str| {
        let plain = domain.master().open(sealed).ok()?;
        signing::key_of(std::str::from_utf8(&plain).ok()?)
    };
    let mut keys: Vec<Vec<u8>> = open(&c.sealed_secret).into_iter().collect();
    if let (Some(previous), Some(until)) = (&c.sealed_previous_secret, c.previous_secret_expires_at)
    {
        if until > now {
            keys.extend(open(previous));
        }
    }
    keys
}

async fn attempt(domain: &Domain, http: &reqwest::Client, claimed: Claimed) -> Outcome {
    let attempted_at = now_ms();
    let started = std::time::Instant::now();
    let mut outcome = send(domain, http, claimed, attempted_at).await;
    outcome.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    outcome
}

async fn send(
    domain: &Domain,
    http: &reqwest::Client,
    claimed: Claimed,
    attempted_at: i64,
) -> Outcome {
    let mut outcome = Outcome {
        claimed,
        attempted_at,
        duration_ms: 0,
        status_code: None,
        retry_after_ms: None,
        error: None,
        response: None,
    };
    let c = &outcome.claimed;
    let keys = signing_keys(domain, c, attempted_at);
    if keys.is_empty() {
        outcome.error =
            Some("the subscription's secret cannot be read (master key changed?)".into());
        return outcome;
    }
    let url = match reqwest::Url::parse(&c.url) {
        Ok(u) => u,
        Err(e) => {
            outcome.error = Some(format!("the URL does not parse: {e}"));
            return outcome;
        }
    };
    if !ssrf::literal_host_allowed(&url, domain.settings().webhooks.allow_private) {
        outcome.error =
            Some("refused: the URL names a private, loopback or link-local address".into());
        return outcome;
    }
    let timestamp = attempted_at / 1_000;
    let signature = signing::signature_header(&keys, &c.message_id, timestamp, &c.payload);
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &c.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(c.payload.clone())
        .send()
        .await;
    match sent {
        Ok(mut response) => {
            let status = response.status();
            outcome.status_code = Some(status.as_u16());
            outcome.retry_after_ms = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| schedule::parse_retry_after(v, now_ms()));
            let mut kept = Vec::new();
            while kept.len() < RESPONSE_KEPT_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            kept.truncate(RESPONSE_KEPT_BYTES);
            outcome.response = Some(String::from_utf8_lossy(&kept).into_owned());
            if !status.is_success() {
                outcome.error = Some(format!("the endpoint answered {status}"));
            }
        }
        Err(e) => outcome.error = Some(describe(&e, domain.settings().webhooks.timeout_ms)),
    }
    outcome
}

/// A request error in one sentence, with its causes.
fn describe(e: &reqwest::Error, timeout_ms: u64) -> String {
    if e.is_timeout() {
        return format!("no answer within {timeout_ms} ms");
    }
    let mut text = if e.is_connect() {
        "could not connect".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn record_loop(domain: Domain, mut inbox: mpsc::UnboundedReceiver<Outcome>) {
    let mut batch = Vec::new();
    while inbox.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        if let Err(e) = record(&domain, &batch).await {
            // The rows stay leased and are tried again when the lease runs out.
            tracing::warn!(error = %e, count = batch.len(), "recording webhook attempts failed");
        }
        batch.clear();
        domain.wake_webhooks();
    }
}

async fn record(domain: &Domain, outcomes: &[Outcome]) -> Result<(), gatehouse_db::DbError> {
    let base = domain.settings().webhooks.retry_base_ms;
    let mut tx = domain.db().begin().await?;
    let mut succeeded: HashSet<&str> = HashSet::new();
    let mut rows = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let c = &o.claimed;
        let attempts = c.attempts + 1;
        let mut row = AttemptRecord {
            tenant_id: c.tenant_id.clone(),
            delivery_id: c.id.clone(),
            duration_ms: o.duration_ms,
            subscription_id: c.subscription_id.clone(),
            status: "pending",
            attempts,
            next_attempt_at: None,
            attempted_at: o.attempted_at,
            status_code: o.status_code.map(i64::from),
            error: o.error.clone(),
            response: o.response.clone(),
        };
        match o.status_code {
            Some(code) if (200..300).contains(&code) => {
                row.status = "delivered";
                succeeded.insert(&c.subscription_id);
            }
            Some(410) => {
                row.status = "failed";
                let reason = format!(
                    "disabled automatically on {}: the endpoint answered 410 Gone",
                    events::rfc3339(o.attempted_at)
                );
                store::disable(&mut tx, &c.subscription_id, &reason, o.attempted_at).await?;
                tracing::warn!(subscription = %c.subscription_id, "webhook endpoint answered 410 Gone: subscription disabled");
            }
            _ => {
                let delay = schedule::retry_delay_ms(
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                    base,
                    o.retry_after_ms,
                    rand::random::<f64>(),
                );
                match delay {
                    Some(d) => row.next_attempt_at = Some(o.attempted_at + d as i64),
                    None => row.status = "failed",
                }
                let open_for = schedule::circuit_open_ms(
                    delay.unwrap_or(base),
                    base,
                    o.retry_after_ms.is_some(),
                );
                let disable_before = o.attempted_at - schedule::disable_after_ms(base);
                let reason = format!(
                    "disabled automatically on {}: no delivery succeeded since {}",
                    events::rfc3339(o.attempted_at),
                    events::rfc3339(disable_before)
                );
                let disabled = store::endpoint_failed(
                    &mut tx,
                    &c.subscription_id,
                    o.attempted_at,
                    o.attempted_at + open_for,
                    disable_before,
                    &reason,
                )
                .await?;
                if disabled {
                    tracing::warn!(subscription = %c.subscription_id, "webhook endpoint failing for days: subscription disabled");
                }
            }
        }
        if store::record_attempt(&mut tx, &row).await? {
            rows.push(row);
        }
    }
    store::log_attempts(&mut tx, &rows).await?;
    let now = now_ms();
    for subscription in succeeded {
        store::endpoint_succeeded(&mut tx, subscription, now).await?;
    }
    tx.commit().await
}

/// Announces devices that went silent (`device.offline`, once) and those that came back.
async fn sweep_devices(domain: &Domain) -> Result<usize, gatehouse_db::DbError> {
    let now = now_ms();
    let silent_since = now - domain.settings().webhooks.device_offline_seconds * 1_000;
    let mut queued = 0;
    for (tenant, device, online) in store::device_transitions(domain.db(), silent_since).await? {
        let tenant: TenantId = parse_id(&tenant)?;
        let device_id: DeviceId = parse_id(&device)?;
        let Some(found) = db::devices::find(domain.db(), tenant, device_id).await? else {
            continue;
        };
        let mut tx = domain.db().begin().await?;
        if store::mark_device(&mut tx, tenant, &device, online, silent_since, now).await? {
            queued +=
                outbox::enqueue(&mut tx, tenant, &[events::device(&found, online)], now).await?;
        }
        tx.commit().await?;
    }
    if queued > 0 {
        domain.wake_webhooks();
    }
    Ok(queued)
}
