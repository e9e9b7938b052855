//! `gatehouse-server demo`: a tenant with one event ready to scan, for trying the platform and
//! for end-to-end tests of the devices. Seeds (once) a demo tenant, an event with two zones and
//! three checkpoints, 5,000 participants with international names made deterministically from
//! name lists, two devices awaiting pairing, an admin user and a read-only viewer; then writes `DIR/demo.json` with
//! everything a test needs (admin login, checkpoints, pairing codes, tickets).
//!
//! Running it again on a seeded directory adds nothing: it hands out fresh pairing codes (codes
//! are stored hashed, and spent ones are gone), issues the tickets again and rewrites demo.json.

use std::path::Path;

use gatehouse_core::{
    Checkpoint, CheckpointId, Direction, Event, EventId, Participant, ParticipantId,
    ParticipantStatus, RegistrationCode, Tenant, TenantId, Zone, ZoneId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::Domain;
use gatehouse_db::audit::{self, Actor};
use gatehouse_db::crypto::{self, digest, new_pairing_code, normalize_pairing_code};
use gatehouse_db::participants::{ListFilter, ParticipantRecord};
use gatehouse_db::permissions::{FeatureFlag, Permission};
use gatehouse_db::{self as db, now_ms};

pub const DEMO_TENANT_SLUG: &str = "demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.gatehouse.test";
/// The demo's admin password (a demo is for trying things; real tenants choose their own).
pub const DEMO_ADMIN_PASSWORD: &str = "gatehouse-demo";
/// A read-only demo user (sees the dashboard, changes nothing); same password as the admin.
pub const DEMO_VIEWER_EMAIL: &str = "viewer@demo.gatehouse.test";
/// What the demo's viewer may do: look, never change.
pub const VIEWER_PERMISSIONS: &[Permission] = &[
    Permission::OccupancyRead,
    Permission::AccessLogsRead,
    Permission::ParticipantsRead,
];
pub const DEMO_PARTICIPANTS: usize = 5_000;
/// Devices the demo keeps ready for pairing.
pub const DEMO_DEVICES: usize = 2;
const DAY_MS: i64 = 86_400_000;

/// `DIR/demo.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoFile {
    pub server_url: String,
    pub admin: DemoAdmin,
    /// A read-only user (occupancy, access log and participants; no changes).
    pub viewer: DemoAdmin,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub event_name: String,
    pub checkpoints: Vec<DemoCheckpoint>,
    pub zones: Vec<DemoZone>,
    pub pairing_codes: Vec<String>,
    /// An API key with every scope for `/api/v1/` (a new one each start; the previous is revoked).
    pub api_key: String,
    pub tickets: Vec<DemoTicket>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoAdmin {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoZone {
    pub id: ZoneId,
    pub name: String,
    pub capacity: Option<u32>,
    pub multiple_entry: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoCheckpoint {
    pub id: CheckpointId,
    pub name: String,
    pub direction: Direction,
    /// The zone's id (its name is `zone_name`).
    pub zone: ZoneId,
    pub zone_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoTicket {
    pub participant_id: ParticipantId,
    pub name: String,
    pub registration_code: String,
    /// The QR text.
    pub payload: String,
    pub status: ParticipantStatus,
    pub category: String,
    pub blocked: bool,
    /// Zone ids this badge opens (names in `zone_names`).
    pub zones: Vec<ZoneId>,
    pub zone_names: Vec<String>,
    /// For trying a kiosk's "find me by name and date of birth".
    pub date_of_birth: Option<String>,
}

/// What the demo seeded or found.
pub struct DemoData {
    pub tenant: TenantId,
    pub event: Event,
}

/// Seeds the demo unless the database already has it.
pub async fn seed_or_load(domain: &Domain) -> anyhow::Result<DemoData> {
    let db = domain.db();
    if let Some(tenant) = db::tenants::find_by_slug(db, DEMO_TENANT_SLUG).await? {
        let event = db::events::list_events(db, tenant.id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("the demo tenant exists but has no event"))?;
        ensure_viewer(domain, tenant.id).await?;
        tracing::info!(event = %event.id, "demo data already present");
        return Ok(DemoData {
            tenant: tenant.id,
            event,
        });
    }
    seed(domain).await
}

async fn seed(domain: &Domain) -> anyhow::Result<DemoData> {
    let started = std::time::Instant::now();
    let now = now_ms();
    let tenant = Tenant {
        id: TenantId(uuid::Uuid::now_v7()),
        name: "Gatehouse Demo".into(),
        slug: DEMO_TENANT_SLUG.into(),
    };
    let event = Event {
        id: EventId(uuid::Uuid::now_v7()),
        tenant_id: tenant.id,
        name: "Addis Ababa Summit (demo)".into(),
        starts_at: now - DAY_MS,
        ends_at: now + 4 * DAY_MS,
        time_zone: "Africa/Addis_Ababa".into(),
    };
    let password_hash =
        crypto::hash_password(DEMO_ADMIN_PASSWORD).map_err(|e| anyhow::anyhow!(e))?;
    let system = Actor::System("demo");

    let mut tx = domain.db().begin().await?;
    db::tenants::create(&mut tx, &tenant).await?;
    for flag in FeatureFlag::ALL {
        db::tenants::set_feature(&mut tx, tenant.id, *flag, true).await?;
    }
    let role = db::users::create_role(&mut tx, tenant.id, "Administrator", Permission::ALL).await?;
    db::users::create_user(
        &mut tx,
        tenant.id,
        DEMO_ADMIN_EMAIL,
        "Demo Administrator",
        &password_hash,
        role,
    )
    .await?;
    let viewer = db::users::create_role(&mut tx, tenant.id, "Viewer", VIEWER_PERMISSIONS).await?;
    db::users::create_user(
        &mut tx,
        tenant.id,
        DEMO_VIEWER_EMAIL,
        "Demo Viewer",
        &password_hash,
        viewer,
    )
    .await?;
    db::events::create_event(&mut tx, &event).await?;

    let plenary = Zone {
        id: ZoneId(uuid::Uuid::now_v7()),
        event_id: event.id,
        name: "Plenary hall".into(),
        capacity: Some(2_000),
        multiple_entry: false,
    };
    let vip = Zone {
        id: ZoneId(uuid::Uuid::now_v7()),
        event_id: event.id,
        name: "VIP lounge".into(),
        capacity: Some(80),
        multiple_entry: false,
    };
    for zone in [&plenary, &vip] {
        db::events::create_zone(&mut tx, tenant.id, zone).await?;
    }
    let checkpoints = [
        ("Main gate entry", &plenary, Direction::Entry),
        ("Main gate exit", &plenary, Direction::Exit),
        ("VIP door", &vip, Direction::Both),
    ];
    for (name, zone, direction) in checkpoints {
        let cp = Checkpoint {
            id: CheckpointId(uuid::Uuid::now_v7()),
            event_id: event.id,
            zone_id: zone.id,
            name: name.into(),
            direction,
            active: true,
        };
        db::events::create_checkpoint(&mut tx, tenant.id, &cp).await?;
    }
    for category in CATEGORIES {
        db::events::create_category(&mut tx, tenant.id, event.id, category).await?;
    }
    db::keys::rotate(&mut tx, domain.master(), tenant.id, event.id).await?;

    let people = participants(
        event.id,
        plenary.id,
        vip.id,
        DEMO_PARTICIPANTS,
        0x6a7e_4005e,
    );
    db::participants::insert_many(&mut tx, tenant.id, event.id, &people).await?;
    audit::record(
        &mut tx,
        tenant.id,
        &system,
        "demo.seeded",
        "event",
        &event.id.to_string(),
        None::<&()>,
        Some(&serde_json::json!({"participants": people.len(), "zones": 2, "checkpoints": 3})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        event = %event.id,
        participants = people.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo seeded"
    );
    Ok(DemoData {
        tenant: tenant.id,
        event,
    })
}

/// Adds the read-only viewer to a demo seeded before it existed.
async fn ensure_viewer(domain: &Domain, tenant: TenantId) -> anyhow::Result<()> {
    if db::users::find_for_login(domain.db(), DEMO_VIEWER_EMAIL)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let hash = crypto::hash_password(DEMO_ADMIN_PASSWORD).map_err(|e| anyhow::anyhow!(e))?;
    let mut tx = domain.db().begin().await?;
    let role = db::users::create_role(&mut tx, tenant, "Viewer", VIEWER_PERMISSIONS).await?;
    db::users::create_user(
        &mut tx,
        tenant,
        DEMO_VIEWER_EMAIL,
        "Demo Viewer",
        &hash,
        role,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Hands out pairing codes for the demo's devices: fresh codes for devices still waiting, and new
/// devices when earlier ones were paired (their codes are spent).
pub async fn pairing_codes(domain: &Domain, demo: &DemoData) -> anyhow::Result<Vec<String>> {
    let db = domain.db();
    let waiting = db::devices::awaiting_pairing(db, demo.tenant, demo.event.id).await?;
    let all = db::devices::list(db, demo.tenant, demo.event.id).await?;
    let expires_at = now_ms() + domain.settings().pairing_code_ttl_seconds * 1000;
    let mut codes = Vec::new();
    let mut tx = db.begin().await?;
    for device in waiting.iter().take(DEMO_DEVICES) {
        let code = new_pairing_code();
        db::devices::reset_pairing(
            &mut tx,
            demo.tenant,
            device.id,
            &digest(&normalize_pairing_code(&code)),
            expires_at,
        )
        .await?;
        codes.push(code);
    }
    let mut number = all.len();
    while codes.len() < DEMO_DEVICES {
        number += 1;
        let code = new_pairing_code();
        db::devices::create(
            &mut tx,
            demo.tenant,
            demo.event.id,
            &format!("Demo gate {number}"),
            &digest(&normalize_pairing_code(&code)),
            expires_at,
        )
        .await?;
        codes.push(code);
    }
    tx.commit().await?;
    Ok(codes)
}

/// Name of the demo's all-scopes API key.
const DEMO_API_KEY_NAME: &str = "Demo integration (all scopes)";

/// Issues the demo's API key: keys are stored hashed, so each start revokes the previous demo
/// key and hands out a new one.
pub async fn demo_api_key(domain: &Domain, demo: &DemoData) -> anyhow::Result<String> {
    let db = domain.db();
    let now = now_ms();
    let earlier = db::api_keys::list(db, demo.tenant).await?;
    let key = crate::api_keys::format::generate();
    let scopes = vec!["*".to_owned()];
    let tier = crate::api_keys::format::Tier::Premium;
    let mut tx = db.begin().await?;
    for old in earlier
        .iter()
        .filter(|k| k.name == DEMO_API_KEY_NAME && k.revoked_at.is_none())
    {
        db::api_keys::revoke(&mut tx, demo.tenant, old.id, now).await?;
    }
    db::api_keys::insert(
        &mut tx,
        &db::api_keys::NewApiKey {
            id: uuid::Uuid::now_v7(),
            tenant_id: demo.tenant,
            name: DEMO_API_KEY_NAME,
            prefix: &key[..crate::api_keys::format::DISPLAY_LEN],
            digest: &digest(&key),
            scopes: &scopes,
            tier: tier.name(),
            rate_limit_per_minute: i64::from(tier.per_minute()),
            expires_at: None,
            created_by: "gatehouse-server demo",
            created_at: now,
            allowed_ips: &[],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// Builds demo.json: the event's layout, fresh pairing codes and a spread of tickets.
pub async fn demo_file(
    domain: &Domain,
    demo: &DemoData,
    server_url: &str,
) -> anyhow::Result<DemoFile> {
    let db = domain.db();
    let zones = db::events::zones(db, demo.tenant, demo.event.id).await?;
    let zone_name = |id: ZoneId| {
        zones
            .iter()
            .find(|z| z.id == id)
            .map(|z| z.name.clone())
            .unwrap_or_default()
    };
    let checkpoints = db::events::checkpoints(db, demo.tenant, demo.event.id)
        .await?
        .into_iter()
        .map(|c| DemoCheckpoint {
            id: c.id,
            name: c.name.clone(),
            direction: c.direction,
            zone: c.zone_id,
            zone_name: zone_name(c.zone_id),
        })
        .collect();
    let everyone = db::participants::list(
        db,
        demo.tenant,
        demo.event.id,
        &ListFilter {
            limit: i64::MAX,
            ..ListFilter::default()
        },
    )
    .await?;
    let ring = db::keys::ring(db, domain.master(), demo.tenant, demo.event.id).await?;
    let now = now_ms();
    let mut tickets = Vec::new();
    for p in pick_tickets(&everyone) {
        tickets.push(DemoTicket {
            participant_id: p.gate.id,
            name: p.gate.full_name.clone(),
            registration_code: p.gate.registration_code.clone(),
            payload: crate::tickets::issue(&ring, &p.gate, now)?,
            status: p.gate.status,
            category: p.gate.category.clone(),
            blocked: p.gate.blocked,
            zones: p.gate.zones.clone(),
            zone_names: p.gate.zones.iter().map(|z| zone_name(*z)).collect(),
            date_of_birth: p.date_of_birth.clone(),
        });
    }
    Ok(DemoFile {
        server_url: server_url.to_string(),
        admin: DemoAdmin {
            email: DEMO_ADMIN_EMAIL.into(),
            password: DEMO_ADMIN_PASSWORD.into(),
        },
        viewer: DemoAdmin {
            email: DEMO_VIEWER_EMAIL.into(),
            password: DEMO_ADMIN_PASSWORD.into(),
        },
        tenant_id: demo.tenant,
        event_id: demo.event.id,
        event_name: demo.event.name.clone(),
        checkpoints,
        zones: zones
            .iter()
            .map(|z| DemoZone {
                id: z.id,
                name: z.name.clone(),
                capacity: z.capacity,
                multiple_entry: z.multiple_entry,
            })
            .collect(),
        pairing_codes: pairing_codes(domain, demo).await?,
        api_key: demo_api_key(domain, demo).await?,
        tickets,
    })
}

/// Writes demo.json whole (through a temporary file), so a reader never sees half of it.
pub fn write_demo_file(dir: &Path, file: &DemoFile) -> anyhow::Result<()> {
    let tmp = dir.join("demo.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(file)?)?;
    std::fs::rename(&tmp, dir.join("demo.json"))?;
    Ok(())
}

/// A spread of participants for testing every verdict: approved people of every category
/// (VIP and not), and pending, cancelled, rejected and blocked ones.
fn pick_tickets(everyone: &[ParticipantRecord]) -> Vec<&ParticipantRecord> {
    let mut picked: Vec<&ParticipantRecord> = Vec::new();
    let mut take = |pred: &dyn Fn(&ParticipantRecord) -> bool, n: usize| {
        let found: Vec<&ParticipantRecord> = everyone
            .iter()
            .filter(|p| pred(p) && !picked.iter().any(|q| q.gate.id == p.gate.id))
            .take(n)
            .collect();
        picked.extend(found);
    };
    let approved =
        |p: &ParticipantRecord| p.gate.status == ParticipantStatus::Approved && !p.gate.blocked;
    for category in ["Delegate", "Press", "Staff", "Speaker"] {
        take(&|p| approved(p) && p.gate.category == category, 3);
    }
    take(&|p| approved(p) && p.gate.category == "VIP", 4);
    take(
        &|p| p.gate.status == ParticipantStatus::Pending && !p.gate.blocked,
        2,
    );
    take(
        &|p| p.gate.status == ParticipantStatus::Cancelled && !p.gate.blocked,
        2,
    );
    take(
        &|p| p.gate.status == ParticipantStatus::Rejected && !p.gate.blocked,
        1,
    );
    take(&|p| p.gate.blocked, 2);
    picked
}

const CATEGORIES: [&str; 5] = ["Delegate", "VIP", "Press", "Staff", "Speaker"];

/// Given names and family names by country, in Latin script.
const NAMES: &[(&str, &[&str], &[&str])] = &[
    (
        "ET",
        &[
            "Abebe", "Almaz", "Tigist", "Dawit", "Selam", "Yonas", "Hirut", "Bereket", "Meseret",
            "Tewodros", "Mekdes", "Getachew",
        ],
        &[
            "Bekele", "Tesfaye", "Haile", "Girma", "Alemu", "Kebede", "Wolde", "Tadesse",
            "Mengistu", "Ayele", "Desta", "Negash",
        ],
    ),
    (
        "EG",
        &[
            "Ahmed", "Fatima", "Omar", "Layla", "Youssef", "Nour", "Khaled", "Mariam", "Tarek",
            "Hana",
        ],
        &[
            "El-Sayed",
            "Hassan",
            "Mahmoud",
            "Abdel-Rahman",
            "Farouk",
            "Mostafa",
            "Ibrahim",
            "Saleh",
        ],
    ),
    (
        "SA",
        &[
            "Mohammed", "Aisha", "Abdullah", "Sara", "Faisal", "Reem", "Saud", "Noura",
        ],
        &[
            "Al-Saud",
            "Al-Qahtani",
            "Al-Harbi",
            "Al-Otaibi",
            "Al-Ghamdi",
            "Al-Zahrani",
        ],
    ),
    (
        "FR",
        &[
            "Camille", "Louis", "Chloé", "Hugo", "Léa", "Gabriel", "Manon", "Jules", "Inès",
            "Arthur",
        ],
        &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Lefèvre", "Moreau",
        ],
    ),
    (
        "GB",
        &[
            "Oliver",
            "Amelia",
            "George",
            "Isla",
            "Harry",
            "Ava",
            "Jack",
            "Emily",
            "Charlotte",
            "William",
        ],
        &[
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas",
            "Roberts",
        ],
    ),
    (
        "CN",
        &[
            "Wei", "Fang", "Jing", "Lei", "Min", "Yan", "Hao", "Xiu", "Jun", "Li",
        ],
        &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
        ],
    ),
    (
        "IN",
        &[
            "Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan", "Kavya", "Ishaan",
            "Meera",
        ],
        &[
            "Sharma", "Patel", "Singh", "Kumar", "Iyer", "Reddy", "Gupta", "Nair", "Das", "Mehta",
        ],
    ),
    (
        "BR",
        &[
            "João", "Maria", "Pedro", "Ana", "Lucas", "Beatriz", "Gabriel", "Juliana", "Rafael",
            "Larissa",
        ],
        &[
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Pereira",
            "Costa",
            "Rodrigues",
            "Almeida",
            "Ferreira",
            "Lima",
        ],
    ),
    (
        "NG",
        &[
            "Chinedu",
            "Ngozi",
            "Oluwaseun",
            "Aisha",
            "Emeka",
            "Funmilayo",
            "Tunde",
            "Adaeze",
        ],
        &[
            "Okafor", "Adeyemi", "Balogun", "Eze", "Okonkwo", "Abubakar", "Nwosu", "Olawale",
        ],
    ),
    (
        "KE",
        &[
            "Wanjiru", "Kamau", "Achieng", "Otieno", "Njeri", "Kiprop", "Akinyi", "Mwangi",
        ],
        &[
            "Mwangi", "Odhiambo", "Kariuki", "Wekesa", "Chebet", "Mutua", "Ochieng", "Njoroge",
        ],
    ),
    (
        "JP",
        &[
            "Haruto", "Yui", "Sota", "Hina", "Ren", "Sakura", "Kaito", "Aoi",
        ],
        &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
        ],
    ),
    (
        "MX",
        &[
            "Santiago",
            "Sofía",
            "Mateo",
            "Valentina",
            "Diego",
            "Camila",
            "Emiliano",
            "Ximena",
        ],
        &[
            "Hernández",
            "García",
            "Martínez",
            "López",
            "González",
            "Ramírez",
            "Flores",
            "Cruz",
        ],
    ),
];

const ORGANISATIONS: &[&str] = &[
    "African Union Commission",
    "UNECA",
    "Ministry of Foreign Affairs",
    "World Health Organization",
    "Ethiopian Airlines",
    "Addis Ababa University",
    "African Development Bank",
    "Reuters",
    "Al Jazeera",
    "Le Monde",
    "BBC News",
    "Xinhua",
    "The Hindu",
    "Folha de S.Paulo",
    "UNICEF",
    "Safaricom",
    "Dangote Group",
    "Gatehouse Events",
    "Red Cross",
    "World Bank",
];

/// Strips accents and punctuation for email addresses (`Chloé El-Sayed` → `chloe.elsayed`).
fn ascii_slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' | 'É' => Some('e'),
            'á' | 'ã' | 'â' | 'à' => Some('a'),
            'í' => Some('i'),
            'ó' | 'ô' | 'õ' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ç' => Some('c'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// `count` participants, the same every time for the same seed (ids and codes included).
pub fn participants(
    event: EventId,
    plenary: ZoneId,
    vip: ZoneId,
    count: usize,
    seed: u64,
) -> Vec<ParticipantRecord> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut codes = std::collections::HashSet::new();
    (0..count)
        .map(|i| {
            let (country, given, family) = NAMES[i % NAMES.len()];
            let first = given[rng.gen_range(0..given.len())];
            let last = family[rng.gen_range(0..family.len())];
            let category = match rng.gen_range(0..100) {
                0..=69 => "Delegate",
                70..=77 => "Press",
                78..=85 => "Staff",
                86..=91 => "Speaker",
                _ => "VIP",
            };
            let status = match rng.gen_range(0..100) {
                0..=84 => ParticipantStatus::Approved,
                85..=91 => ParticipantStatus::Pending,
                92..=96 => ParticipantStatus::Cancelled,
                _ => ParticipantStatus::Rejected,
            };
            let blocked = rng.gen_range(0..100) < 2;
            let zones = if matches!(category, "VIP" | "Speaker") {
                vec![plenary, vip]
            } else {
                vec![plenary]
            };
            let code = loop {
                let code = RegistrationCode::generate(rng.gen());
                if codes.insert(code.as_str().to_string()) {
                    break code;
                }
            };
            let id_bits: u128 = rng.gen();
            ParticipantRecord {
                gate: Participant {
                    id: ParticipantId(
                        uuid::Builder::from_random_bytes(id_bits.to_be_bytes()).into_uuid(),
                    ),
                    event_id: event,
                    full_name: format!("{first} {last}"),
                    organisation: Some(
                        ORGANISATIONS[rng.gen_range(0..ORGANISATIONS.len())].to_string(),
                    ),
                    category: category.to_string(),
                    status,
                    zones,
                    valid_from: None,
                    valid_until: None,
                    credential_seq: 0,
                    blocked,
                    registration_code: code.as_str().to_string(),
                    birth_check: None,
                },
                email: Some(format!(
                    "{}.{}{}@example.org",
                    ascii_slug(first),
                    ascii_slug(last),
                    i
                )),
                phone: Some(format!(
                    "+{} {:03} {:06}",
                    200 + i % 80,
                    rng.gen_range(100..999),
                    rng.gen_range(0..999_999)
                )),
                nationality: Some(country.to_string()),
                passport_number: Some(format!("{}{:07}", country, rng.gen_range(0..10_000_000))),
                date_of_birth: Some(format!(
                    "{}-{:02}-{:02}",
                    rng.gen_range(1950..2004),
                    rng.gen_range(1..=12),
                    rng.gen_range(1..=28)
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_participants_are_the_same_every_time_and_varied() {
        let e = EventId(uuid::Uuid::from_u128(1));
        let (a, b) = (
            ZoneId(uuid::Uuid::from_u128(2)),
            ZoneId(uuid::Uuid::from_u128(3)),
        );
        let first = participants(e, a, b, 500, 7);
        let again = participants(e, a, b, 500, 7);
        assert_eq!(first, again);
        for status in ParticipantStatus::ALL {
            assert!(first.iter().any(|p| p.gate.status == status), "{status:?}");
        }
        for category in CATEGORIES {
            assert!(
                first.iter().any(|p| p.gate.category == category),
                "{category}"
            );
        }
        assert!(first.iter().any(|p| p.gate.blocked));
        assert!(first
            .iter()
            .all(|p| RegistrationCode::parse(&p.gate.registration_code).is_ok()));
        assert!(pick_tickets(&first).len() >= 20);
    }

    #[test]
    fn email_slugs_are_plain_ascii() {
        assert_eq!(ascii_slug("Chloé"), "chloe");
        assert_eq!(ascii_slug("El-Sayed"), "elsayed");
    }
}
