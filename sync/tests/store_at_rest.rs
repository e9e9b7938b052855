//! A stolen gate laptop: the database file alone must not give away who is registered.

use std::os::unix::fs::PermissionsExt;

use gatehouse_sync::store::{DB_FILE, KEY_FILE};
use gatehouse_sync::test_support::*;
use gatehouse_sync::{Durability, Store, StoreError};

#[test]
fn the_database_file_does_not_contain_participant_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = "Abebech Gobena Wolde";
    let store = paired_store(dir.path(), &[participant(1, name)]);
    store.fold_wal().unwrap();
    drop(store);
    for file in [DB_FILE, "gate.db-wal"] {
        let Ok(bytes) = std::fs::read(dir.path().join(file)) else {
            continue;
        };
        let needle = name.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{file} holds the name in clear text"
        );
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "{file} is a plain SQLite file"
        );
    }
}

#[test]
fn the_database_cannot_be_opened_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(paired_store(dir.path(), &[participant(1, "Someone")]));

    let wrong = Store::open_file(&dir.path().join(DB_FILE), &[9; 32], Durability::Normal);
    assert!(matches!(wrong, Err(StoreError::WrongKey)), "{wrong:?}");

    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    let missing = Store::open(dir.path(), Durability::Normal);
    assert!(
        matches!(missing, Err(StoreError::MissingKey { .. })),
        "{missing:?}"
    );
}

#[test]
fn the_key_file_is_readable_by_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), Durability::Normal).unwrap());
    let mode = std::fs::metadata(dir.path().join(KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn reopening_keeps_the_cache_and_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(paired_store(dir.path(), &[participant(1, "Someone")]));
    let store = Store::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        gatehouse_sync::store::MIGRATIONS.len() as i64
    );
    assert_eq!(store.participant_count().unwrap(), 1);
    assert_eq!(store.cursor().unwrap(), 5 + 1);
}

#[test]
fn a_revoked_device_forgets_participants_and_keys_but_keeps_its_own_scans() {
    let dir = tempfile::tempdir().unwrap();
    let p = participant(1, "Kept Out");
    let mut store = paired_store(dir.path(), std::slice::from_ref(&p));
    let mut gate = station(dir.path());
    let cp = gate.checkpoint("Main entrance").unwrap();
    gate.scan(&payload(&p), &cp, &Default::default()).unwrap();

    store.wipe().unwrap();
    let status = gatehouse_sync::status::gate_status(&store).unwrap();
    assert_eq!(status.participants, 0);
    assert!(status.revoked);
    assert_eq!(status.outbox_depth, 1);
    assert!(matches!(store.require_pairing(), Err(StoreError::Revoked)));
    assert!(store.event_keys(TENANT, EVENT).unwrap().is_empty());
}
