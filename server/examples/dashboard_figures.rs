//! Figures for the dashboard, printed as one JSON object: server-side render time (median and
//! max over repeated requests, in ms, measured at the client on 127.0.0.1) of the overview, the
//! access log's first page, a deep page (keyset, near the oldest scan), filtered first pages, the
//! whole CSV export of a filtered view (~12,500 rows), and participant searches, on a SQLite database seeded with 100,000
//! participants and 1,000,000 access logs.
//!
//! The server runs in this process with a temporary SQLite database (or PostgreSQL with
//! `--database-url URL`).
//!
//! `cargo run --release -p gatehouse-server --example dashboard_figures`

use std::time::{Duration, Instant};

use gatehouse_core::{AccessLog, Movement, Reason, ScanId, Verdict};
use gatehouse_db::{self as db, access_logs::Source, now_ms};
use gatehouse_server::config::{Config, LogFormat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const PARTICIPANTS: usize = 100_000;
const ACCESS_LOGS: usize = 1_000_000;
/// Rows per write transaction while seeding.
const SEED_TX: usize = 20_000;
/// Requests per measured page.
const RUNS: usize = 15;

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
    let checkpoints = db::events::checkpoints(state.db(), tenant, event).await?;

    let started = Instant::now();
    let extra = gatehouse_domain::demo::participants(
        event,
        plenary,
        vip,
        PARTICIPANTS - gatehouse_domain::demo::DEMO_PARTICIPANTS,
        42,
    );
    let mut tx = state.db().begin().await?;
    db::participants::insert_many(&mut tx, tenant, event, &extra).await?;
    tx.commit().await?;
    let everyone: Vec<_> = db::participants::list(
        state.db(),
        tenant,
        event,
        &db::participants::ListFilter {
            limit: i64::MAX,
            ..Default::default()
        },
    )
    .await?;
    let participants_seconds = started.elapsed().as_secs_f64();

    // A million scans over the last 24 hours, ~5 % refused.
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let now = now_ms();
    let span = 24 * 3_600_000i64;
    let refusals = [
        (Verdict::AlreadyScanned, Reason::AlreadyInside),
        (Verdict::Blocked, Reason::Blocked),
        (Verdict::WrongZone, Reason::NoZoneAccess),
        (Verdict::Revoked, Reason::Reissued),
    ];
    let mut done = 0;
    while done < ACCESS_LOGS {
        let n = SEED_TX.min(ACCESS_LOGS - done);
        let batch: Vec<(AccessLog, i64)> = (0..n)
            .map(|i| {
                let k = done + i;
                let t = now - span + (k as i64 * span / ACCESS_LOGS as i64);
                let cp = &checkpoints[rng.gen_range(0..checkpoints.len())];
                let p = &everyone[rng.gen_range(0..everyone.len())];
                let (verdict, reason) = if rng.gen_range(0..100) < 5 {
                    refusals[rng.gen_range(0..refusals.len())]
                } else {
                    (Verdict::Valid, Reason::Admitted)
                };
                let log = AccessLog {
                    id: ScanId(uuid::Uuid::now_v7()),
                    event_id: event,
                    checkpoint_id: cp.id,
                    zone_id: cp.zone_id,
                    device_id: None,
                    participant_id: Some(p.gate.id),
                    credential_seq: Some(0),
                    movement: Some(if rng.gen_bool(0.6) {
                        Movement::In
                    } else {
                        Movement::Out
                    }),
                    verdict,
                    reason,
                    override_reason: None,
                    device_time: t,
                    corrected_time: t,
                };
                (log, t)
            })
            .collect();
        let mut tx = state.db().begin().await?;
        db::access_logs::insert_many(&mut tx, tenant, &batch, now, Source::Device).await?;
        tx.commit().await?;
        done += n;
    }
    let logs_seconds = started.elapsed().as_secs_f64();
    // PostgreSQL plans by table statistics, which autovacuum keeps after bulk loads; where it is
    // off (as on our test machines) the planner believes the tables are empty. Do its work.
    if let db::Db::Pg(pool) = state.db() {
        sqlx::query("ANALYZE").execute(pool).await?;
    }

    let listener = gatehouse_server::app::bind(state.config()).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server_state = state.clone();
    tokio::spawn(async move { gatehouse_server::app::serve(listener, server_state).await });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()?;
    let login: Value = http
        .post(format!("{url}/admin/v1/login"))
        .json(&json!({"email": gatehouse_domain::demo::DEMO_ADMIN_EMAIL, "password": gatehouse_domain::demo::DEMO_ADMIN_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let cookie = format!(
        "gatehouse_session={}",
        login["token"].as_str().unwrap_or("")
    );

    // A deep page: the keyset position 10 minutes after the oldest scan.
    let deep_after = format!("{}_{}", now - span + 600_000, "0");
    let some = &everyone[1234];
    let surname = some
        .gate
        .full_name
        .split(' ')
        .next_back()
        .unwrap_or("a")
        .to_lowercase();
    let cp = checkpoints[0].id;
    let pages: Vec<(&str, String)> = vec![
        ("overview", format!("/dashboard/events/{event}")),
        (
            "access_log_first",
            format!("/dashboard/events/{event}/access-log"),
        ),
        (
            "access_log_deep",
            format!("/dashboard/events/{event}/access-log?after={deep_after}"),
        ),
        (
            "access_log_verdict_blocked",
            format!("/dashboard/events/{event}/access-log?verdict=BLOCKED"),
        ),
        (
            "access_log_checkpoint_deep",
            format!("/dashboard/events/{event}/access-log?checkpoint={cp}&after={deep_after}"),
        ),
        (
            "access_log_participant",
            format!(
                "/dashboard/events/{event}/access-log?q={}",
                some.gate.registration_code
            ),
        ),
        (
            "participants_search_name",
            format!("/dashboard/events/{event}/participants?q={surname}"),
        ),
        (
            "participants_search_code",
            format!(
                "/dashboard/events/{event}/participants?q={}",
                some.gate.registration_code
            ),
        ),
        (
            "participant_page",
            format!("/dashboard/participants/{}", some.gate.id),
        ),
        ("devices", format!("/dashboard/events/{event}/devices")),
        (
            "csv_export_blocked_whole",
            format!("/admin/v1/events/{event}/access-logs.csv?verdict=BLOCKED"),
        ),
    ];
    let mut figures = serde_json::Map::new();
    for (name, path) in &pages {
        let mut ms = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let res = http
                .get(format!("{url}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            let status = res.status();
            let body = res.bytes().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                status == 200,
                "{name}: {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        figures.insert(
            name.to_string(),
            json!({"median_ms": round(ms[ms.len() / 2]), "max_ms": round(ms[ms.len() - 1])}),
        );
    }
    let out = json!({
        "database": state.db().dialect(),
        "participants": PARTICIPANTS,
        "access_logs": ACCESS_LOGS,
        "runs_per_page": RUNS,
        "seed_seconds": {"participants": round(participants_seconds), "access_logs": round(logs_seconds)},
        "pages": figures,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
