//! # gatehouse-core
//!
//! What a scan means, and nothing else: the domain types a gate supervisor would recognise
//! (events, zones, checkpoints, participants, access logs), the ticket codec printed in every
//! badge's QR code, the registration code printed under it, the single [`decide`] function every
//! verdict comes from, and the types of the device ↔ server sync protocol.
//!
//! Nothing here does I/O, reads a clock or draws randomness: `now` and nonces are arguments, so
//! every rule is testable in microseconds and behaves the same on a gate laptop and on the server.

pub mod base45;
pub mod checkin;
pub mod decide;
pub mod domain;
pub mod export;
pub mod kiosk;
pub mod protocol;
pub mod regcode;
pub mod ticket;

pub use decide::{decide, Decision, Reason, ScanInput, Verdict, Warning};
pub use domain::*;
pub use kiosk::{BadgeOutcome, Identification, KioskSession, QueueTicket};
pub use regcode::{RegistrationCode, RegistrationCodeError};
pub use ticket::{EventKeys, TicketClaims, TicketError, TicketKey};
