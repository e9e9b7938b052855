//! # gatehouse-sync
//!
//! The device's side of offline-first: its SQLite store (participant cache, keys, outbox of scans,
//! occupancy counters, feed cursor) and the sync client that pulls the server's change feed and
//! pushes the outbox whenever the network allows. A scan never waits for the network.
