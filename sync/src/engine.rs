//! The sync engine: pairing, then rounds of *push the outbox, pull the feed* for as long as the
//! gate runs, backing off with jitter while the server cannot be reached.
//!
//! - **Down**: `GET /sync/v1/feed?after=CURSOR`; each page is applied in one transaction together
//!   with the new cursor, so an interrupted first sync resumes at the last whole page.
//! - **Up**: `POST /sync/v1/scans` in batches from the scan [`Outbox`]; only the ids the server
//!   acknowledged leave it, so a lost answer just means the batch is sent again (the server
//!   upserts by id).
//! - **Up, kiosk records**: after the scans, `POST /sync/v1/kiosk` from the kiosk [`Outbox`]
//!   (visits and queue tickets, see [`crate::kiosk`]), acknowledged the same way. A refusal
//!   (the tenant has no `KIOSK_MODE`, an older server) keeps them queued, is noted in the
//!   store's `kiosk_refused`, and does not stop the round: scans and the feed go on.
//! - A refusal of the scans is kept the same way (`scans_refused`): the gate still pulls its
//!   feed, and its status says why its scans wait.
//! - Every answer carries `server_time`; the engine keeps the device's offset to it.
//! - A [`SyncRefusal`] with `wipe: true` means this device was revoked: the cache and keys are
//!   erased at once and the engine stops.
//!
//! The engine owns its own [`Store`] connection; scans never wait for it beyond one page's commit.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::protocol::{
    DeviceReport, FeedPage, KioskAck, KioskReport, KioskUpload, OccupancyCounter, PairRequest,
    PairResponse, ScanUpload, SyncRefusal, UploadAck, SYNC_PREFIX,
};
use gatehouse_core::{AccessLog, ZoneId};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{watch, Notify};

use crate::cache;
use crate::clock::{offset_from_round_trip, Clock};
use crate::error::{StoreError, SyncError};
use crate::kiosk::{self, KioskRecord};
use crate::outbox::{Batch, Outbox};
use crate::store::{meta, set_meta, Pairing, Store};

/// The version this gate reports to the server.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the engine paces itself.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Feed entries asked for per page.
    pub page_limit: u32,
    /// Scans per upload request.
    pub upload_batch: usize,
    /// Pause between rounds while the server answers.
    pub interval: Duration,
    /// First pause after a failed round; doubles per failure up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Per-request time limit.
    pub request_timeout: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            page_limit: 5000,
            upload_batch: 1000,
            interval: Duration::from_secs(2),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pulled: u64,
    pub pushed: u64,
    pub offline_duplicates: u64,
    pub cursor: i64,
    pub outbox_depth: u64,
    pub clock_offset_ms: i64,
    /// Kiosk records (visits, queue tickets) the server acknowledged this round.
    pub kiosk_pushed: u64,
    pub kiosk_outbox_depth: u64,
    /// Why the server refused the kiosk records this round (they stay queued).
    pub kiosk_refused: Option<String>,
    /// Why the server refused the scans this round (they stay queued; the feed was still
    /// pulled).
    pub scans_refused: Option<String>,
}

/// Exponential backoff with jitter: each pause is drawn from [½·d, d] where d doubles per
/// failure, so a room of gates coming back online does not hammer the server in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            failures: 0,
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The pause before the next attempt after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.failures.min(16))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let half = ceiling / 2;
        half + rand::thread_rng().gen_range(Duration::ZERO..=half)
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| SyncError::Protocol(format!("cannot build the HTTP client: {e}")))
}

fn check_url(url: &str) -> Result<String, SyncError> {
    let url = url.trim().trim_end_matches('/');
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(url.to_owned()),
        _ => Err(SyncError::BadServerUrl(url.to_owned())),
    }
}

/// Trades a pairing code for a device token and stores the pairing. A device holding records
/// the server has not acknowledged is refused before the code is spent
/// ([`SyncError::RecordsWaiting`]): under a new pairing they would be refused for good.
pub async fn pair(
    store: &mut Store,
    server_url: &str,
    pairing_code: &str,
    profile: Option<String>,
    clock: Clock,
) -> Result<PairResponse, SyncError> {
    let server_url = check_url(server_url)?;
    let (scans, kiosk) = (Outbox::Scans.depth(store)?, Outbox::Kiosk.depth(store)?);
    if scans + kiosk > 0 {
        return Err(SyncError::RecordsWaiting { scans, kiosk });
    }
    let http = http_client(Duration::from_secs(30))?;
    let sent = clock.now();
    let response = http
        .post(format!("{server_url}{SYNC_PREFIX}/pair"))
        .json(&PairRequest {
            pairing_code: pairing_code.trim().to_owned(),
            app_version: APP_VERSION.to_owned(),
            profile: profile.clone(),
        })
        .send()
        .await
        .map_err(SyncError::Offline)?;
    let paired: PairResponse = read_answer(response).await?;
    let offset = offset_from_round_trip(sent, clock.now(), paired.server_time);
    store.save_pairing(&Pairing {
        server_url,
        device_id: paired.device_id,
        device_name: paired.device_name.clone(),
        device_token: paired.device_token.clone(),
        tenant_id: paired.tenant_id,
        event_id: paired.event_id,
        event_name: paired.event_name.clone(),
        profile,
    })?;
    store.set_meta(meta::CLOCK_OFFSET_MS, &offset.to_string())?;
    Ok(paired)
}

/// Reads a successful answer, or turns a refusal into [`SyncError::Refused`].
async fn read_answer<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, SyncError> {
    let status = response.status();
    let body = response.bytes().await.map_err(SyncError::Offline)?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| SyncError::Protocol(format!("{e} in an answer of {} bytes", body.len())));
    }
    match serde_json::from_slice::<SyncRefusal>(&body) {
        Ok(refusal) if refusal.wipe => Err(SyncError::Revoked),
        Ok(refusal) => Err(SyncError::Refused {
            status: status.as_u16(),
            code: refusal.code,
            message: refusal.message,
        }),
        Err(_) => Err(SyncError::Refused {
            status: status.as_u16(),
            code: format!("http_{}", status.as_u16()),
            message: String::from_utf8_lossy(&body).chars().take(300).collect(),
        }),
    }
}

/// The device's sync client.
pub struct SyncEngine {
    store: Store,
    http: reqwest::Client,
    clock: Clock,
    config: EngineConfig,
    /// Whether this kiosk has told the server it is one since the engine started.
    kiosk_announced: bool,
}

impl SyncEngine {
    pub fn new(store: Store, clock: Clock, config: EngineConfig) -> Result<Self, SyncError> {
        let http = http_client(config.request_timeout)?;
        Ok(SyncEngine {
            store,
            http,
            clock,
            config,
            kiosk_announced: false,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One round: push the whole outbox, then pull the feed to its end.
    pub async fn sync_once(&mut self) -> Result<SyncReport, SyncError> {
        let pairing = self.store.require_pairing()?;
        let result = self.round(&pairing).await;
        match &result {
            Ok(_) => {
                self.store.set_meta(meta::ONLINE, "1")?;
                self.store
                    .set_meta(meta::LAST_SYNC_AT, &self.clock.now().to_string())?;
                self.store.set_meta(meta::LAST_ERROR, "")?;
            }
            Err(SyncError::Revoked) => {
                self.store.wipe()?;
            }
            Err(e) => {
                self.store.set_meta(meta::ONLINE, "0")?;
                self.store.set_meta(meta::LAST_ERROR, &e.to_string())?;
            }
        }
        result
    }

    async fn round(&mut self, pairing: &Pairing) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        // A refusal of the scans or of the kiosk records keeps them queued and is noted; the
        // round goes on, so a gate the server will not take scans from still gets its feed.
        let pushed = self.push(pairing).await;
        if let Some((pushed, duplicates)) =
            self.note_refusal(pushed, meta::SCANS_REFUSED, &mut report.scans_refused)?
        {
            report.pushed = pushed;
            report.offline_duplicates = duplicates;
        }
        let pushed = self.push_kiosk(pairing).await;
        if let Some(pushed) =
            self.note_refusal(pushed, meta::KIOSK_REFUSED, &mut report.kiosk_refused)?
        {
            report.kiosk_pushed = pushed;
        }
        report.pulled = self.pull(pairing).await?;
        report.cursor = self.store.cursor()?;
        report.outbox_depth = Outbox::Scans.depth(&self.store)?;
        report.kiosk_outbox_depth = Outbox::Kiosk.depth(&self.store)?;
        report.clock_offset_ms = self.store.clock_offset()?;
        Ok(report)
    }

    /// An upload's result: its value once the server took the records (the note under `key` is
    /// cleared), `None` when the server is there but refused them (they stay queued; the note
    /// and `refused` say why), or the error that ends the round (the network, a revocation).
    fn note_refusal<T>(
        &mut self,
        result: Result<T, SyncError>,
        key: &str,
        refused: &mut Option<String>,
    ) -> Result<Option<T>, SyncError> {
        match result {
            Ok(value) => {
                self.store.set_meta(key, "")?;
                Ok(Some(value))
            }
            Err(SyncError::Refused {
                status,
                code,
                message,
            }) if !(status >= 500 || status == 429) => {
                let why = format!("{code}: {message}");
                tracing::info!(status, %why, what = key, "upload refused; the records stay queued");
                self.store.set_meta(key, &why)?;
                *refused = Some(why);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn url(&self, pairing: &Pairing, path: &str) -> String {
        format!("{}{SYNC_PREFIX}{path}", pairing.server_url)
    }

    /// Pulls feed pages until the server has no more; returns the entries applied.
    pub async fn pull(&mut self, pairing: &Pairing) -> Result<u64, SyncError> {
        let mut applied = 0;
        loop {
            let after = self.store.cursor()?;
            let sent = self.clock.now();
            let response = self
                .http
                .get(self.url(pairing, "/feed"))
                .query(&[
                    ("after", after.to_string()),
                    ("limit", self.config.page_limit.to_string()),
                ])
                .bearer_auth(&pairing.device_token)
                .send()
                .await
                .map_err(SyncError::Offline)?;
            let page: FeedPage = read_answer(response).await?;
            if page.event_id != pairing.event_id {
                return Err(SyncError::Protocol(format!(
                    "the feed is for event {}, this device is paired to {}",
                    page.event_id, pairing.event_id
                )));
            }
            let offset = offset_from_round_trip(sent, self.clock.now(), page.server_time);
            applied += page.entries.len() as u64;
            let more = page.more && page.cursor > after;
            apply_page(&mut self.store, &page, offset)?;
            if !more {
                return Ok(applied);
            }
        }
    }

    /// Uploads the scan outbox in batches; returns (scans acknowledged, of which offline
    /// duplicates).
    pub async fn push(&mut self, pairing: &Pairing) -> Result<(u64, u64), SyncError> {
        let (mut pushed, mut duplicates) = (0, 0);
        let mut after_seq = 0;
        loop {
            let batch: Batch<AccessLog> =
                Outbox::batch(&self.store, after_seq, self.config.upload_batch)?;
            if batch.is_empty() {
                return Ok((pushed, duplicates));
            }
            after_seq = batch.last_seq;
            let upload = ScanUpload {
                scans: batch.records().cloned().collect(),
                occupancy: occupancy_counters(&self.store)?,
                report: DeviceReport {
                    app_version: APP_VERSION.to_owned(),
                    profile: pairing.profile.clone(),
                    cursor: self.store.cursor()?,
                    outbox_depth: Outbox::Scans.depth(&self.store)?,
                    device_time: self.clock.now(),
                },
            };
            let sent = self.clock.now();
            let response = self
                .http
                .post(self.url(pairing, "/scans"))
                .bearer_auth(&pairing.device_token)
                .json(&upload)
                .send()
                .await
                .map_err(SyncError::Offline)?;
            let ack: UploadAck = read_answer(response).await?;
            let offset = offset_from_round_trip(sent, self.clock.now(), ack.server_time);
            Outbox::acknowledge_with(&mut self.store, &batch, ack.stored.iter().copied(), |tx| {
                let mut flag =
                    tx.prepare_cached("UPDATE access_log SET offline_duplicate = 1 WHERE id = ?1")?;
                for id in &ack.offline_duplicates {
                    flag.execute([id.to_string()])?;
                }
                set_meta(tx, meta::CLOCK_OFFSET_MS, &offset.to_string())
            })?;
            pushed += ack.stored.len() as u64;
            duplicates += ack.offline_duplicates.len() as u64;
        }
    }

    /// Uploads the kiosk outbox in batches; returns the records acknowledged. A device running
    /// in kiosk mode sends one empty upload per engine start, so the server lists it as a kiosk
    /// before its first visitor.
    pub async fn push_kiosk(&mut self, pairing: &Pairing) -> Result<u64, SyncError> {
        let mode = self
            .store
            .meta(meta::MODE)?
            .unwrap_or_else(|| "gate".to_owned());
        let mut pushed = 0;
        let mut after_seq = 0;
        loop {
            let batch: Batch<KioskRecord> =
                Outbox::batch(&self.store, after_seq, self.config.upload_batch)?;
            let announce = mode == "kiosk" && !self.kiosk_announced;
            if batch.is_empty() && (after_seq > 0 || !announce) {
                return Ok(pushed);
            }
            after_seq = batch.last_seq;
            let (sessions, tickets) = kiosk::split(&batch);
            let upload = KioskUpload {
                report: KioskReport {
                    mode: mode.clone(),
                    // What will wait once this batch is acknowledged.
                    kiosk_outbox_depth: Outbox::Kiosk
                        .depth(&self.store)?
                        .saturating_sub((sessions.len() + tickets.len()) as u64),
                    device_time: self.clock.now(),
                },
                sessions,
                tickets,
            };
            let response = self
                .http
                .post(self.url(pairing, "/kiosk"))
                .bearer_auth(&pairing.device_token)
                .json(&upload)
                .send()
                .await
                .map_err(SyncError::Offline)?;
            let ack: KioskAck = read_answer(response).await?;
            self.kiosk_announced = true;
            Outbox::acknowledge(&mut self.store, &batch, kiosk::acknowledged(&ack))?;
            pushed += (ack.sessions.len() + ack.tickets.len()) as u64;
            if batch.is_empty() {
                return Ok(pushed);
            }
        }
    }

    /// Runs rounds until `stop` turns true or the device is revoked. A `nudge` starts the next
    /// round early (a scan was just queued).
    pub async fn run(mut self, mut stop: watch::Receiver<bool>, nudge: Arc<Notify>) {
        let mut backoff = Backoff::new(self.config.backoff_base, self.config.backoff_max);
        loop {
            if *stop.borrow() {
                return;
            }
            let delay = match self.sync_once().await {
                Ok(report) => {
                    tracing::debug!(?report, "sync round");
                    backoff.reset();
                    self.config.interval
                }
                Err(SyncError::Revoked) | Err(SyncError::Store(StoreError::Revoked)) => {
                    tracing::warn!("device revoked by the server: cache wiped, sync stopped");
                    return;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::info!(error = %e, ?delay, "sync failed; retrying");
                    delay
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = nudge.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// Applies one feed page, the new cursor and the clock offset in one transaction.
pub fn apply_page(store: &mut Store, page: &FeedPage, clock_offset: i64) -> Result<(), StoreError> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for entry in &page.entries {
        cache::apply_change(&tx, &entry.change)?;
    }
    set_meta(&tx, meta::CURSOR, &page.cursor.to_string())?;
    set_meta(&tx, meta::CLOCK_OFFSET_MS, &clock_offset.to_string())?;
    tx.commit()?;
    Ok(())
}

/// This device's own monotonic pass counters per zone.
pub fn occupancy_counters(store: &Store) -> Result<Vec<OccupancyCounter>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT zone_id, ins, outs FROM occupancy WHERE ins > 0 OR outs > 0")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (zone, ins, outs) = row?;
        out.push(OccupancyCounter {
            zone_id: ZoneId(crate::store::parse_uuid("occupancy zone", &zone)?),
            ins: ins.max(0) as u64,
            outs: outs.max(0) as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_up_to_its_ceiling_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let growing: Vec<Duration> = (0..5).map(|_| b.next_delay()).collect();
        assert!(growing[4] > first, "{growing:?}");
        for _ in 0..20 {
            let d = b.next_delay();
            assert!(
                d >= Duration::from_secs(1) && d <= Duration::from_secs(2),
                "{d:?}"
            );
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn server_addresses_are_checked_before_any_request() {
        assert_eq!(
            check_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(matches!(
            check_url("127.0.0.1:8080"),
            Err(SyncError::BadServerUrl(_))
        ));
        assert!(matches!(
            check_url("ftp://x"),
            Err(SyncError::BadServerUrl(_))
        ));
    }
}
