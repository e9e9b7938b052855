//! # gatehouse-device
//!
//! The gate: frame sources (a camera through nokhwa, or replayed images), QR decoding, feedback
//! tones, and the scan loop that turns a frame into a verdict. The binary `gatehouse-gate` is the
//! headless gate for turnstiles, scripts and tests.

pub mod badge;
pub mod debounce;
pub mod frames;
pub mod gate;
pub mod profile;
pub mod qr;
pub mod sound;
pub mod wedge;
