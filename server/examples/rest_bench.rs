//! Figures for the REST API, printed as JSON lines, on the demo data (5,000 participants):
//!
//! - `participants_page`: `GET /api/v1/participants?limit=100`, 16 clients in a closed loop;
//! - `participant_get`: `GET /api/v1/participants/{id}` (ids spread over the demo), same load;
//! - `participants_page_200rps`: the same page with 200 requests/s offered (open loop), the load
//!   the issue sets its p99 target at;
//! - `checkin_200rps`: `POST /api/v1/events/{event_id}/checkins` (a registration code at the entry
//!   gate, decided and recorded by the server) with 200 requests/s offered.
//!
//! The server runs in this process on 127.0.0.1 with a temporary SQLite database (or PostgreSQL
//! with `--database-url URL`), so client and server share the machine's cores. The key used has a
//! rate limit far above what the bench sends, so the figures are the server's, not the limiter's.
//!
//! `cargo run --release -p gatehouse-server --example rest_bench [-- --database-url postgres://...]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_db::{self as db, now_ms};
use gatehouse_domain::crypto::digest;
use gatehouse_server::config::{Config, LogFormat};
use serde_json::{json, Value};

const CONCURRENCY: usize = 16;
const CLOSED_LOOP: Duration = Duration::from_secs(10);
const OPEN_RATE: u64 = 200;
const OPEN_SECONDS: u64 = 10;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut latencies: Vec<f64>, seconds: f64, errors: usize, extra: Value) {
    latencies.sort_by(|a, b| a.total_cmp(b));
    let mut line = json!({
        "name": name,
        "requests": latencies.len(),
        "errors": errors,
        "seconds": (seconds * 100.0).round() / 100.0,
        "requests_per_second": (latencies.len() as f64 / seconds).round(),
        "p50_ms": (percentile(&latencies, 0.50) * 1000.0).round() / 1000.0,
        "p99_ms": (percentile(&latencies, 0.99) * 1000.0).round() / 1000.0,
    });
    if let (Some(l), Some(e)) = (line.as_object_mut(), extra.as_object()) {
        l.extend(e.clone());
    }
    println!("{line}");
}

/// `CONCURRENCY` clients, each sending its next request when the last one answered.
async fn closed_loop(
    http: &reqwest::Client,
    key: &str,
    urls: Arc<Vec<String>>,
) -> (Vec<f64>, f64, usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (http, key, urls) = (http.clone(), key.to_owned(), urls.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = worker;
            while started.elapsed() < CLOSED_LOOP {
                let url = &urls[i % urls.len()];
                i += CONCURRENCY;
                let t = Instant::now();
                match http.get(url).bearer_auth(&key).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    (all, started.elapsed().as_secs_f64(), errors)
}

/// `OPEN_RATE` requests per second whatever the answers' pace (latency includes any queueing);
/// `request(i)` builds the i-th request.
async fn open_loop(request: impl Fn(usize) -> reqwest::RequestBuilder) -> (Vec<f64>, f64, usize) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / OPEN_RATE));
    let mut tasks = Vec::new();
    for i in 0..(OPEN_RATE * OPEN_SECONDS) as usize {
        tick.tick().await;
        let sent = request(i);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            match sent.send().await {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    Some(t.elapsed().as_secs_f64() * 1000.0)
                }
                _ => None,
            }
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        match t.await {
            Ok(Some(l)) => all.push(l),
            _ => errors += 1,
        }
    }
    (all, started.elapsed().as_secs_f64(), errors)
}

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
    let dialect = state.db().dialect();

    let key = gatehouse_domain::api_keys::format::generate();
    let scopes = vec!["*".to_owned()];
    let mut tx = state.db().begin().await?;
    db::api_keys::insert(
        &mut tx,
        &db::api_keys::NewApiKey {
            id: uuid::Uuid::now_v7(),
            tenant_id: demo.tenant,
            name: "rest_bench",
            prefix: &key[..gatehouse_domain::api_keys::format::DISPLAY_LEN],
            digest: &digest(&key),
            scopes: &scopes,
            tier: "CUSTOM",
            rate_limit_per_minute: 100_000_000,
            expires_at: None,
            created_by: "rest_bench",
            created_at: now_ms(),
            allowed_ips: &[],
        },
    )
    .await?;
    tx.commit().await?;

    let listener = gatehouse_server::app::bind(state.config()).await?;
    let base = format!("http://{}/api/v1", listener.local_addr()?);
    let server_state = state.clone();
    tokio::spawn(async move { gatehouse_server::app::serve(listener, server_state).await });

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .build()?;
    let page_url = format!("{base}/participants?limit=100");
    let first: Value = http
        .get(&page_url)
        .bearer_auth(&key)
        .send()
        .await?
        .json()
        .await?;
    let ids: Vec<String> = first["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(ids.len() == 100, "the demo's first page: {first}");

    let extra = json!({"database": dialect, "concurrency": CONCURRENCY});
    let (l, s, e) = closed_loop(&http, &key, Arc::new(vec![page_url.clone()])).await;
    report("participants_page", l, s, e, extra.clone());

    let singles: Vec<String> = ids
        .iter()
        .map(|id| format!("{base}/participants/{id}"))
        .collect();
    let (l, s, e) = closed_loop(&http, &key, Arc::new(singles)).await;
    report("participant_get", l, s, e, extra);

    let (l, s, e) = open_loop(|_| http.get(&page_url).bearer_auth(&key)).await;
    report(
        "participants_page_200rps",
        l,
        s,
        e,
        json!({"database": dialect, "offered_per_second": OPEN_RATE}),
    );

    // Check-ins decided by the server: the first page's people by registration code at the
    // demo's entry gate (a person's second pass is ALREADY_SCANNED, still decided and recorded).
    let event = demo.event.id;
    let checkpoints: Value = http
        .get(format!("{base}/events/{event}/checkpoints"))
        .bearer_auth(&key)
        .send()
        .await?
        .json()
        .await?;
    let entry = checkpoints["data"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["direction"] == "entry"))
        .and_then(|c| c["id"].as_str())
        .ok_or_else(|| anyhow::anyhow!("the demo has no entry checkpoint: {checkpoints}"))?
        .to_owned();
    let codes: Vec<String> = first["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["registration_code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(!codes.is_empty(), "no registration codes on the first page");
    let checkin_url = format!("{base}/events/{event}/checkins");
    let (l, s, e) = open_loop(|i| {
        http.post(&checkin_url)
            .bearer_auth(&key)
            .json(&json!({"checkpoint_id": entry, "registration_code": codes[i % codes.len()]}))
    })
    .await;
    report(
        "checkin_200rps",
        l,
        s,
        e,
        json!({"database": dialect, "offered_per_second": OPEN_RATE}),
    );
    state.db().close().await;
    Ok(())
}
