//! The small event every store and station test starts from: one hall, an entry gate, an exit
//! gate, a both-ways door, one ticket key and the participants a test names, applied through the
//! same feed path a real sync uses (no server needed). Feature `test-support`: the tests of this
//! crate and of `gatehouse-device`'s station share it.

use gatehouse_core::protocol::{Change, FeedEntry, FeedPage, KeyRecord, Presented};
use gatehouse_core::{
    Checkpoint, CheckpointId, DeviceId, Direction, EventId, EventKeys, Participant, ParticipantId,
    ParticipantStatus, RegistrationCode, TenantId, TicketClaims, TicketKey, Zone, ZoneId,
};
use uuid::Uuid;

use crate::engine::apply_page;
use crate::{Clock, Durability, Pairing, ScanStation, Store};

pub const TENANT: TenantId = TenantId(Uuid::from_u128(0x7e4a47));
pub const EVENT: EventId = EventId(Uuid::from_u128(0xe7e47));
pub const HALL: ZoneId = ZoneId(Uuid::from_u128(0x4a11));
pub const ENTRY: CheckpointId = CheckpointId(Uuid::from_u128(0xe1));
pub const EXIT: CheckpointId = CheckpointId(Uuid::from_u128(0xe2));
pub const DOOR: CheckpointId = CheckpointId(Uuid::from_u128(0xe3));
pub const DEVICE: DeviceId = DeviceId(Uuid::from_u128(0xde1));
pub const KEY_SECRET: [u8; 32] = [0x42; 32];
/// A moment at the event (2026-09-21), for tickets and records dated by hand.
pub const NOW: i64 = 1_790_000_000_000;

/// The event's key ring: key 1.
pub fn keys() -> EventKeys {
    let mut ring = EventKeys::new(TENANT, EVENT);
    ring.insert(TicketKey::new(1, KEY_SECRET));
    ring
}

/// An approved delegate of the hall, number `n` (their id and registration code follow from it).
pub fn participant(n: u128, name: &str) -> Participant {
    Participant {
        id: ParticipantId(Uuid::from_u128(0x9000_0000 + n)),
        event_id: EVENT,
        full_name: name.to_owned(),
        organisation: Some("Delegation".to_owned()),
        category: "delegate".to_owned(),
        status: ParticipantStatus::Approved,
        zones: vec![HALL],
        valid_from: None,
        valid_until: None,
        credential_seq: 1,
        blocked: false,
        registration_code: RegistrationCode::generate((n as u64).to_be_bytes()).display(),
        birth_check: None,
    }
}

/// The text of `p`'s badge QR, issued at [`NOW`].
pub fn ticket(p: &Participant) -> String {
    keys()
        .issue(
            &TicketClaims {
                participant_id: p.id,
                issued_at: NOW,
                credential_seq: p.credential_seq,
            },
            [7; 12],
        )
        .expect("issue")
}

/// An active checkpoint into the hall.
pub fn checkpoint(id: CheckpointId, name: &str, direction: Direction) -> Checkpoint {
    Checkpoint {
        id,
        event_id: EVENT,
        zone_id: HALL,
        name: name.to_owned(),
        direction,
        active: true,
    }
}

/// A feed page of `changes` after `from_seq`, the last page.
pub fn page(from_seq: i64, changes: Vec<Change>) -> FeedPage {
    let entries: Vec<FeedEntry> = changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| FeedEntry {
            seq: from_seq + i as i64 + 1,
            change,
        })
        .collect();
    FeedPage {
        event_id: EVENT,
        tenant_id: TENANT,
        cursor: from_seq + entries.len() as i64,
        entries,
        more: false,
        server_time: NOW,
    }
}

/// The event as the feed brings it: the hall ("Plenary hall", 1,000 places), "Main entrance",
/// "Main exit", "Side door", key 1, then `people`.
pub fn event_changes(people: &[Participant]) -> Vec<Change> {
    let mut changes = vec![
        Change::Zone(Zone {
            id: HALL,
            event_id: EVENT,
            name: "Plenary hall".to_owned(),
            capacity: Some(1000),
            multiple_entry: false,
        }),
        Change::Checkpoint(checkpoint(ENTRY, "Main entrance", Direction::Entry)),
        Change::Checkpoint(checkpoint(EXIT, "Main exit", Direction::Exit)),
        Change::Checkpoint(checkpoint(DOOR, "Side door", Direction::Both)),
        Change::Key(KeyRecord {
            key_id: 1,
            secret_hex: TicketKey::new(1, KEY_SECRET).secret_hex(),
            retired: false,
        }),
    ];
    changes.extend(people.iter().cloned().map(Change::Participant));
    changes
}

/// A store in `dir`, paired as "Gate A" to the event "Summit", holding the event and `people`.
pub fn paired_store(dir: &std::path::Path, people: &[Participant]) -> Store {
    paired_store_as(dir, people, DEVICE)
}

/// [`paired_store`] for another device.
pub fn paired_store_as(dir: &std::path::Path, people: &[Participant], device: DeviceId) -> Store {
    let mut store = Store::open(dir, Durability::Normal).expect("open store");
    store
        .save_pairing(&Pairing {
            server_url: "http://127.0.0.1:9".to_owned(),
            device_id: device,
            device_name: "Gate A".to_owned(),
            device_token: "token".to_owned(),
            tenant_id: TENANT,
            event_id: EVENT,
            event_name: "Summit".to_owned(),
            profile: None,
        })
        .expect("pair");
    apply_page(&mut store, &page(0, event_changes(people)), 0).expect("apply");
    store
}

/// A scan station on the store in `dir`.
pub fn station(dir: &std::path::Path) -> ScanStation {
    ScanStation::open(dir, Durability::Normal, Clock::system()).expect("station")
}

/// `p`'s badge, presented to a camera.
pub fn payload(p: &Participant) -> Presented {
    Presented::Payload(ticket(p))
}
