//! Webhook figures, printed as one JSON line per database:
//!
//! - `deliveries_per_second`: a backlog of [`BURST`] events, written to the outbox in
//!   transactions of 100, until the receiver has every one;
//! - `latency_ms`: enqueue-to-delivery (commit of the event's transaction to the receiver's
//!   handler) at a steady [`RATE`] events per second for [`SECONDS`] seconds, one transaction
//!   per event as a scan makes it; p50, p99 and max.
//!
//! The server's delivery worker runs in this process with a temporary SQLite database, and on
//! PostgreSQL too when `GATEHOUSE_TEST_PG` names a server where it may create a database. The
//! receiver is a local axum server answering 200, on the same cores.
//!
//! `cargo run --release -p gatehouse-server --example webhook_bench`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_core::{Tenant, TenantId};
use gatehouse_db::webhooks as store;
use gatehouse_db::{self as db, now_ms};
use gatehouse_domain::webhooks::{events, outbox, signing, worker};
use gatehouse_domain::FeatureFlag;
use gatehouse_server::config::{Config, LogFormat};
use gatehouse_server::state::AppState;
use serde_json::{json, Value};

const BURST: usize = 5_000;
const RATE: u64 = 200;
const SECONDS: u64 = 10;

#[derive(Default)]
struct Seen {
    count: usize,
    latencies: Vec<i64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut results = vec![run(None).await?];
    if let Some(admin) = std::env::var("GATEHOUSE_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    {
        let name = format!("gh_bench_{}", uuid::Uuid::new_v4().simple());
        admin_exec(&admin, &format!("CREATE DATABASE {name}")).await?;
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => anyhow::bail!("GATEHOUSE_TEST_PG has no database part"),
        };
        let outcome = run(Some(url)).await;
        admin_exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await?;
        results.push(outcome?);
    }
    for r in results {
        println!("{r}");
    }
    Ok(())
}

async fn admin_exec(url: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(sql).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn run(database_url: Option<String>) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_path_buf(),
        database_url,
        log_format: LogFormat::Json,
        webhooks_allow_private: true,
        ..Config::default()
    };
    let state = gatehouse_server::app::open(config).await?;
    let tenant = TenantId(uuid::Uuid::now_v7());
    let mut tx = state.db().begin().await?;
    db::tenants::create(
        &mut tx,
        &Tenant {
            id: tenant,
            name: "Bench".into(),
            slug: format!("bench-{}", tenant.0.simple()),
        },
    )
    .await?;
    db::tenants::set_feature(&mut tx, tenant, FeatureFlag::Webhooks, true).await?;
    tx.commit().await?;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = receiver(seen.clone()).await?;
    let mut tx = state.db().begin().await?;
    store::insert(
        &mut tx,
        tenant,
        &store::NewSubscription {
            url: &url,
            description: "bench",
            event_types: &["*".to_owned()],
            sealed_secret: &state
                .domain()
                .master()
                .seal(signing::new_secret().as_bytes()),
            enabled: true,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    worker::spawn(state.domain().clone());

    // Throughput: a backlog delivered as fast as the worker goes.
    let started = Instant::now();
    for chunk in 0..BURST / 100 {
        let events: Vec<events::Event> = (0..100).map(|i| event(chunk * 100 + i)).collect();
        let mut tx = state.db().begin().await?;
        outbox::enqueue(&mut tx, tenant, &events, now_ms()).await?;
        tx.commit().await?;
        state.domain().wake_webhooks();
    }
    wait_for(&seen, BURST).await?;
    let burst_seconds = started.elapsed().as_secs_f64();
    *seen.lock().unwrap() = Seen::default();

    // Latency at a steady rate, one transaction per event.
    let total = (RATE * SECONDS) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    for i in 0..total {
        tick.tick().await;
        enqueue_one(&state, tenant, i).await?;
    }
    wait_for(&seen, total).await?;
    let mut latencies = std::mem::take(&mut seen.lock().unwrap().latencies);
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let result = json!({
        "database": state.db().dialect(),
        "deliveries_per_second": (BURST as f64 / burst_seconds).round(),
        "burst": BURST,
        "latency_ms": {
            "rate_per_second": RATE,
            "events": total,
            "p50": pct(0.50),
            "p99": pct(0.99),
            "max": latencies.last().copied().unwrap_or_default(),
        },
    });
    state.db().close().await;
    Ok(result)
}

fn event(i: usize) -> events::Event {
    events::Event {
        event_type: events::CHECKIN_SCANNED,
        data: json!({"n": i, "enqueued_at": now_ms()}),
    }
}

async fn enqueue_one(state: &AppState, tenant: TenantId, i: usize) -> anyhow::Result<()> {
    let mut tx = state.db().begin().await?;
    outbox::enqueue(&mut tx, tenant, &[event(i)], now_ms()).await?;
    tx.commit().await?;
    state.domain().wake_webhooks();
    Ok(())
}

async fn wait_for(seen: &Arc<Mutex<Seen>>, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen.lock().unwrap().count < n {
        if Instant::now() > deadline {
            anyhow::bail!(
                "only {} of {n} deliveries arrived",
                seen.lock().unwrap().count
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// A receiver answering 200, noting how long each event took from enqueue.
async fn receiver(seen: Arc<Mutex<Seen>>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |body: String| {
            let seen = seen.clone();
            async move {
                let at = now_ms();
                let sent: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let mut seen = seen.lock().unwrap();
                seen.count += 1;
                if let Some(t) = sent["data"]["enqueued_at"].as_i64() {
                    seen.latencies.push(at - t);
                }
                "ok"
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}
