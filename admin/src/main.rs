//! # gatehouse-admin
//!
//! The technician's fallback where no webview runs: pair a device, check its sync state and
//! outbox, and test the camera and sound, in a small egui window.

fn main() {
    eprintln!("gatehouse-admin: not built yet");
    std::process::exit(2);
}
