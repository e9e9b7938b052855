//! Figures for the sync API, printed as JSON lines:
//!
//! - `online_scan`: latency of `POST /sync/v1/scan` with 200 scans/s offered (open loop);
//! - `first_sync`: a device's first sync of an event with 100,000 participants (seconds, bytes
//!   on the wire with gzip and without);
//! - `scan_ingestion`: scans per second through `POST /sync/v1/scans` in batches of 1,000.
//!
//! The server runs in this process on 127.0.0.1 with a temporary SQLite database (or PostgreSQL
//! with `--database-url URL`), so client and server share the machine's cores.
//!
//! `cargo run --release -p gatehouse-server --example bench [-- --database-url postgres://...]`

use std::time::{Duration, Instant};

use gatehouse_core::protocol::{
    DeviceReport, FeedPage, OnlineScanRequest, PairRequest, PairResponse, Presented, ScanUpload,
};
use gatehouse_core::{AccessLog, Movement, Reason, ScanId, Verdict};
use gatehouse_db::{self as db, now_ms};
use gatehouse_domain::crypto::{digest, normalize_pairing_code};
use gatehouse_server::config::{Config, LogFormat};
use serde_json::json;

const FEED_PARTICIPANTS: usize = 100_000;
const ONLINE_RATE: u64 = 200;
const ONLINE_SECONDS: u64 = 10;
const INGEST_BATCHES: usize = 20;
const INGEST_BATCH: usize = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let database_url = args
        .iter()
        .position(|a| a == "--database-url")
        .and_then(|i| args.get(i + 1).cloned());
    let dir = tempfile::tempdir()?;
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_path_buf(),
        database_url,
        log_format: LogFormat::Json,
        ..Config::default()
    };
    let state = gatehouse_server::app::open(config).await?;
    let demo = gatehouse_domain::demo::seed_or_load(state.domain()).await?;
    let (tenant, event) = (demo.tenant, demo.event.id);
    let zones = db::events::zones(state.db(), tenant, event).await?;
    let plenary = zones.iter().find(|z| z.name == "Plenary hall").unwrap().id;
    let vip = zones.iter().find(|z| z.name == "VIP lounge").unwrap().id;
    let extra = gatehouse_domain::demo::participants(
        event,
        plenary,
        vip,
        FEED_PARTICIPANTS - gatehouse_domain::demo::DEMO_PARTICIPANTS,
        42,
    );
    let started = Instant::now();
    let mut tx = state.db().begin().await?;
    db::participants::insert_many(&mut tx, tenant, event, &extra).await?;
    tx.commit().await?;
    let seed_seconds = started.elapsed().as_secs_f64();

    let code = "BENCH-CODE-0001";
    let mut tx = state.db().begin().await?;
    db::devices::create(
        &mut tx,
        tenant,
        event,
        "Bench gate",
        &digest(&normalize_pairing_code(code)),
        now_ms() + 3_600_000,
    )
    .await?;
    tx.commit().await?;

    let listener = gatehouse_server::app::bind(state.config()).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server_state = state.clone();
    tokio::spawn(async move { gatehouse_server::app::serve(listener, server_state).await });

    let http = reqwest::Client::builder().no_gzip().build()?;
    let pair: PairResponse = http
        .post(format!("{url}/sync/v1/pair"))
        .json(&PairRequest {
            pairing_code: code.into(),
            app_version: "bench".into(),
            profile: None,
        })
        .send()
        .await?
        .json()
        .await?;
    let token = pair.device_token.clone();

    // First sync of 100,000 participants, gzip on the wire.
    let gz = reqwest::Client::builder().gzip(true).build()?;
    let mut wire_bytes = 0usize;
    let mut entries = 0usize;
    let mut after = 0i64;
    let started = Instant::now();
    loop {
        let res = http
            .get(format!("{url}/sync/v1/feed?after={after}&limit=10000"))
            .bearer_auth(&token)
            .header("accept-encoding", "gzip")
            .send()
            .await?;
        let bytes = res.bytes().await?;
        wire_bytes += bytes.len();
        // Decoding is part of a device's first sync too.
        let text = {
            use std::io::Read;
            let mut d = flate2::read::GzDecoder::new(&bytes[..]);
            let mut s = String::new();
            d.read_to_string(&mut s)?;
            s
        };
        let page: FeedPage = serde_json::from_str(&text)?;
        entries += page.entries.len();
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    let sync_seconds = started.elapsed().as_secs_f64();
    let mut plain_bytes = 0usize;
    let mut after = 0i64;
    loop {
        let res = http
            .get(format!("{url}/sync/v1/feed?after={after}&limit=10000"))
            .bearer_auth(&token)
            .send()
            .await?;
        let bytes = res.bytes().await?;
        plain_bytes += bytes.len();
        let page: FeedPage = serde_json::from_slice(&bytes)?;
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    drop(gz);
    println!(
        "{}",
        json!({"bench": "first_sync", "participants": FEED_PARTICIPANTS, "entries": entries,
               "seconds": sync_seconds, "gzip_bytes": wire_bytes, "json_bytes": plain_bytes,
               "seed_seconds": seed_seconds, "dialect": state.db().dialect()})
    );

    // Online scans at 200/s, open loop: each request starts on schedule whatever the others do.
    let ring = db::keys::ring(state.db(), state.domain().master(), tenant, event).await?;
    let people = db::participants::list(
        state.db(),
        tenant,
        event,
        &db::participants::ListFilter {
            limit: 5_000,
            ..Default::default()
        },
    )
    .await?;
    let payloads: Vec<String> = people
        .iter()
        .map(|p| gatehouse_domain::tickets::issue(&ring, &p.gate, now_ms()).unwrap())
        .collect();
    let checkpoints = db::events::checkpoints(state.db(), tenant, event).await?;
    let entry = checkpoints
        .iter()
        .find(|c| c.name == "Main gate entry")
        .unwrap()
        .id;
    let total = (ONLINE_RATE * ONLINE_SECONDS) as usize;
    let interval = Duration::from_micros(1_000_000 / ONLINE_RATE);
    let mut handles = Vec::with_capacity(total);
    let start = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(start + interval * i as u32).await;
        let http = http.clone();
        let url = url.clone();
        let token = token.clone();
        let payload = payloads[i % payloads.len()].clone();
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let res = http
                .post(format!("{url}/sync/v1/scan"))
                .bearer_auth(&token)
                .json(&OnlineScanRequest {
                    scan_id: ScanId(uuid::Uuid::now_v7()),
                    presented: Presented::Payload(payload),
                    checkpoint_id: entry,
                    requested: None,
                    override_reason: None,
                    device_time: now_ms(),
                })
                .send()
                .await;
            let ok = matches!(&res, Ok(r) if r.status().is_success());
            if let Ok(r) = res {
                let _ = r.bytes().await;
            }
            (t.elapsed(), ok)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut failures = 0;
    for h in handles {
        let (d, ok) = h.await?;
        if !ok {
            failures += 1;
        }
        latencies.push(d.as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{}",
        json!({"bench": "online_scan", "offered_per_second": ONLINE_RATE, "scans": total, "failures": failures,
               "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": latencies[latencies.len() - 1],
               "dialect": state.db().dialect()})
    );

    // Scan ingestion: batches of 1,000 offline scans.
    let (cp, zone) = (entry, plenary);
    let batches: Vec<ScanUpload> = (0..INGEST_BATCHES)
        .map(|b| ScanUpload {
            scans: (0..INGEST_BATCH)
                .map(|i| {
                    let p = &people[(b * INGEST_BATCH + i) % people.len()];
                    AccessLog {
                        id: ScanId(uuid::Uuid::now_v7()),
                        event_id: event,
                        checkpoint_id: cp,
                        zone_id: zone,
                        device_id: None,
                        participant_id: Some(p.gate.id),
                        credential_seq: Some(0),
                        movement: Some(Movement::In),
                        verdict: Verdict::Valid,
                        reason: Reason::Admitted,
                        override_reason: None,
                        device_time: now_ms() - 1_000_000 + (b * INGEST_BATCH + i) as i64,
                        corrected_time: now_ms() - 1_000_000 + (b * INGEST_BATCH + i) as i64,
                    }
                })
                .collect(),
            occupancy: vec![],
            report: DeviceReport {
                app_version: "bench".into(),
                profile: None,
                cursor: 0,
                outbox_depth: 0,
                device_time: now_ms(),
            },
        })
        .collect();
    let bodies: Vec<Vec<u8>> = batches
        .iter()
        .map(|b| serde_json::to_vec(b).unwrap())
        .collect();
    let started = Instant::now();
    for body in bodies {
        let res = http
            .post(format!("{url}/sync/v1/scans"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "upload failed: {}", res.status());
        let _ = res.bytes().await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let scans = INGEST_BATCHES * INGEST_BATCH;
    println!(
        "{}",
        json!({"bench": "scan_ingestion", "scans": scans, "batch": INGEST_BATCH, "seconds": seconds,
               "scans_per_second": scans as f64 / seconds, "dialect": state.db().dialect()})
    );
    Ok(())
}
