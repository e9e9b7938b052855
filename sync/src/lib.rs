//! # gatehouse-sync
//!
//! The device's side of offline-first: its SQLite store (participant cache, keys, outbox of scans,
//! occupancy counters, feed cursor) and the sync client that pulls the server's change feed and
//! pushes the outbox whenever the network allows. A scan never waits for the network.
//!
//! - [`store`]: the encrypted SQLCipher file, its key, durability and migrations;
//! - [`cache`]: how feed changes land in the store and the look-ups a scan makes;
//! - [`scan`]: the scan path, from presented text to a durably recorded verdict;
//! - [`kiosk`]: a kiosk's visits and queue tickets;
//! - [`outbox`]: what waits for the server (scans, kiosk records) until it acknowledges it;
//! - [`engine`]: pairing, the feed pull, the outbox pushes, backoff;
//! - [`status`]: the gate's state at a glance and the CSV evidence export;
//! - [`clock`]: device time, skew for tests, the offset to the server;
//! - `test_support` (feature `test-support`): the small event the tests of this crate and of
//!   the station start from.

pub mod cache;
pub mod clock;
pub mod engine;
pub mod error;
pub mod kiosk;
pub mod outbox;
pub mod scan;
pub mod status;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use clock::Clock;
pub use engine::{pair, EngineConfig, SyncEngine, SyncReport};
pub use error::{StoreError, SyncError};
pub use outbox::Outbox;
pub use scan::{read_scanner_line, ScanOptions, ScanOutcome, ScanStation};
pub use store::{Checkpointer, Durability, Pairing, Store};
