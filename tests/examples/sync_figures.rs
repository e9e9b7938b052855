//! Sync figures, end to end with the real binaries, printed as JSON lines:
//!
//! - `first_sync`: pairing and the first sync of a 100,000-participant event (the demo's 5,000
//!   plus 95,000 seeded through the server's own library before it starts again);
//! - `upload_scans`: uploading 10,000 scans queued while the server was down.
//!
//! ```text
//! cargo build -p gatehouse-server -p gatehouse-device --bins
//! cargo run -p gatehouse-e2e --example sync_figures --features big-event
//! ```
//!
//! Without `big-event` the first sync is of the demo's own 5,000 participants (the server has no
//! bulk-import API yet, so the extra 95,000 go in through its library).
//!
//! `FIGURES_PARTICIPANTS` and `FIGURES_SCANS` change the sizes.

use std::time::{Duration, Instant};

use gatehouse_e2e::{Gate, Server};
use serde_json::json;

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(feature = "big-event")]
fn id<T: std::str::FromStr>(v: &serde_json::Value) -> T {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an id: {v}"))
}

/// Adds `count` participants to the demo event through the server library (server stopped).
#[cfg(feature = "big-event")]
fn seed_more(server: &Server, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    use gatehouse_core::{EventId, TenantId, ZoneId};
    use gatehouse_server::config::{Config, Overrides};
    let demo = &server.demo;
    let zone = |name: &str| -> ZoneId {
        id(&demo["zones"]
            .as_array()
            .and_then(|z| z.iter().find(|z| z["name"] == name))
            .map(|z| z["id"].clone())
            .unwrap_or_default())
    };
    let (plenary, vip) = (zone("Plenary hall"), zone("VIP lounge"));
    let tenant: TenantId = id(&demo["tenant_id"]);
    let event: EventId = id(&demo["event_id"]);
    let config = Config::load(
        None,
        |_| None,
        &Overrides {
            bind: None,
            data_dir: Some(server.data.clone()),
            database_url: None,
        },
    )?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let state = gatehouse_server::app::open(config).await?;
        let people =
            gatehouse_domain::demo::participants(event, plenary, vip, count, 0xf1_9e5_5eed);
        let mut tx = state.db().begin().await?;
        gatehouse_db::participants::insert_many(&mut tx, tenant, event, &people).await?;
        tx.commit().await?;
        state.db().close().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

#[cfg(not(feature = "big-event"))]
fn seed_more(_: &Server, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    if count > 0 {
        eprintln!("without --features big-event the event keeps the demo's 5,000 participants");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let participants = env_usize("FIGURES_PARTICIPANTS", 100_000);
    let scans = env_usize("FIGURES_SCANS", 10_000);
    let data = tempfile::tempdir()?;
    let mut server = Server::start(data.path());
    let already = 5_000.min(participants);
    server.stop();
    seed_more(&server, participants - already)?;
    server.restart();

    let gate = Gate::new();
    let started = Instant::now();
    gate.pair(&server, 0);
    let paired = started.elapsed();
    let report = gate.sync();
    let total = started.elapsed();
    let status = gate.status();
    println!(
        "{}",
        json!({
            "bench": "first_sync",
            "participants": status["participants"],
            "feed_entries": report["pulled"],
            "pair_seconds": (paired.as_secs_f64() * 1000.0).round() / 1000.0,
            "seconds": (total.as_secs_f64() * 1000.0).round() / 1000.0,
        })
    );

    // Queue scans with the server down, then time the upload once it is back.
    server.stop();
    let entry = "Main gate entry";
    let tickets = server.admissible_tickets(entry);
    let mut running = gate.run(entry);
    for ticket in tickets.iter().cycle().take(scans) {
        running.type_line(ticket["payload"].as_str().unwrap_or_default());
    }
    let mut answered = 0;
    while answered < scans {
        if running.answer(Duration::from_secs(60)).is_none() {
            break;
        }
        answered += 1;
    }
    running.finish();
    let queued = gate.status()["outbox_depth"].clone();
    server.restart();
    let started = Instant::now();
    let report = gate.sync_with(&server);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bench": "upload_scans",
            "queued": queued,
            "pushed": report["pushed"],
            "seconds": (seconds * 1000.0).round() / 1000.0,
        })
    );
    Ok(())
}
