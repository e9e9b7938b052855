//! # gatehouse-device
//!
//! The gate: frame sources (a camera through nokhwa, or replayed images), QR decoding, feedback
//! tones, the scan loop that turns a frame into a verdict, and the [`station`]: everything a
//! gate or kiosk does between a person and the store, without a window, for the Tauri app, the
//! headless gate and the admin tool alike. The binary `gatehouse-gate` is the headless gate for
//! turnstiles, scripts and tests.

pub mod badge;
pub mod debounce;
pub mod frames;
pub mod gate;
pub mod profile;
pub mod qr;
pub mod sound;
pub mod station;
pub mod wedge;
