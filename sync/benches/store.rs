//! Store benchmarks, printed as JSON lines:
//!
//! - `feed_apply`: applying a first sync's participants to an empty encrypted store;
//! - `scan_decide_record`: decide + durable record of one scan with N participants cached
//!   (default 1,000,000; `BENCH_PARTICIPANTS` to change), under both durability settings.
//!
//! `cargo bench -p gatehouse-sync --bench store`

use std::time::Instant;

use gatehouse_core::protocol::{Change, FeedEntry, FeedPage, KeyRecord, Presented};
use gatehouse_core::{
    Checkpoint, CheckpointId, DeviceId, Direction, EventId, EventKeys, Participant, ParticipantId,
    ParticipantStatus, RegistrationCode, TenantId, TicketClaims, TicketKey, Zone, ZoneId,
};
use gatehouse_sync::engine::apply_page;
use gatehouse_sync::{Clock, Durability, Pairing, ScanOptions, ScanStation, Store};
use serde_json::json;
use uuid::Uuid;

const TENANT: TenantId = TenantId(Uuid::from_u128(1));
const EVENT: EventId = EventId(Uuid::from_u128(2));
const HALL: ZoneId = ZoneId(Uuid::from_u128(3));
const ENTRY: CheckpointId = CheckpointId(Uuid::from_u128(4));
const SECRET: [u8; 32] = [0x5a; 32];

fn participant(i: u64) -> Participant {
    Participant {
        id: ParticipantId(Uuid::from_u128(0x1000_0000_0000 + i as u128)),
        event_id: EVENT,
        full_name: format!("Participant Number {i}"),
        organisation: Some("Delegation of Somewhere".into()),
        category: "delegate".into(),
        status: ParticipantStatus::Approved,
        zones: vec![HALL],
        valid_from: None,
        valid_until: None,
        credential_seq: 1,
        blocked: false,
        registration_code: RegistrationCode::generate(i.to_be_bytes())
            .as_str()
            .to_owned(),
        birth_check: None,
    }
}

fn page(cursor: i64, changes: Vec<Change>) -> FeedPage {
    let n = changes.len() as i64;
    FeedPage {
        event_id: EVENT,
        tenant_id: TENANT,
        entries: changes
            .into_iter()
            .enumerate()
            .map(|(i, change)| FeedEntry {
                seq: cursor + i as i64 + 1,
                change,
            })
            .collect(),
        cursor: cursor + n,
        more: false,
        server_time: 0,
    }
}

fn setup(dir: &std::path::Path, durability: Durability) -> Store {
    let mut store = Store::open(dir, durability).expect("open");
    store
        .save_pairing(&Pairing {
            server_url: "http://127.0.0.1:9".into(),
            device_id: DeviceId(Uuid::from_u128(5)),
            device_name: "bench".into(),
            device_token: "t".into(),
            tenant_id: TENANT,
            event_id: EVENT,
            event_name: "bench".into(),
            profile: None,
        })
        .expect("pair");
    let layout = vec![
        Change::Zone(Zone {
            id: HALL,
            event_id: EVENT,
            name: "Hall".into(),
            capacity: None,
            multiple_entry: false,
        }),
        Change::Checkpoint(Checkpoint {
            id: ENTRY,
            event_id: EVENT,
            zone_id: HALL,
            name: "Entry".into(),
            direction: Direction::Both,
            active: true,
        }),
        Change::Key(KeyRecord {
            key_id: 1,
            secret_hex: TicketKey::new(1, SECRET).secret_hex(),
            retired: false,
        }),
    ];
    apply_page(&mut store, &page(0, layout), 0).expect("layout");
    store
}

/// Loads `n` participants in feed pages of `page_size`; returns seconds.
fn load(store: &mut Store, n: u64, page_size: u64) -> f64 {
    let started = Instant::now();
    let mut cursor = 3;
    let mut i = 0;
    while i < n {
        let end = (i + page_size).min(n);
        let changes = (i..end)
            .map(|k| Change::Participant(participant(k)))
            .collect();
        let p = page(cursor, changes);
        cursor = p.cursor;
        apply_page(store, &p, 0).expect("apply");
        i = end;
    }
    started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[idx] * 1000.0).round() / 1000.0
}

fn main() {
    let participants: u64 = std::env::var("BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let scans: u64 = std::env::var("BENCH_SCANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);

    {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = setup(dir.path(), Durability::Normal);
        let n = 100_000;
        let secs = load(&mut store, n, 5_000);
        println!(
            "{}",
            json!({"bench": "feed_apply", "participants": n, "page": 5000, "seconds": (secs * 1000.0).round() / 1000.0,
                   "per_second": (n as f64 / secs).round()})
        );
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = setup(dir.path(), Durability::Normal);
    let load_secs = load(&mut store, participants, 10_000);
    drop(store);

    let mut ring = EventKeys::new(TENANT, EVENT);
    ring.insert(TicketKey::new(1, SECRET));
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let tickets: Vec<Presented> = (0..scans)
        .map(|k| {
            let i = next() % participants;
            let claims = TicketClaims {
                participant_id: participant(i).id,
                issued_at: 1_790_000_000_000,
                credential_seq: 1,
            };
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&k.to_be_bytes());
            Presented::Payload(ring.issue(&claims, nonce).expect("issue"))
        })
        .collect();

    for durability in [Durability::Normal, Durability::Full] {
        let mut station = ScanStation::new(
            Store::open(dir.path(), durability).expect("open"),
            Clock::system(),
        )
        .expect("station");
        let cp = station.checkpoint("Entry").expect("checkpoint");
        let options = ScanOptions::default();
        let mut times = Vec::with_capacity(tickets.len());
        let mut admitted = 0u64;
        for t in &tickets {
            let started = Instant::now();
            let outcome = station.scan(t, &cp, &options).expect("scan");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            admitted += u64::from(outcome.decision.verdict.admits());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{}",
            json!({
                "bench": "scan_decide_record",
                "participants": participants,
                "load_seconds": (load_secs * 10.0).round() / 10.0,
                "scans": scans,
                "admitted": admitted,
                "durability": format!("{durability:?}").to_lowercase(),
                "mean_ms": (mean * 1000.0).round() / 1000.0,
                "p50_ms": percentile(&times, 0.50),
                "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0),
            })
        );
    }
}
