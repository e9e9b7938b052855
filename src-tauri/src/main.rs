//! # gatehouse-app
//!
//! The desktop app gate staff and kiosk attendees see: a Tauri window over the device runtime of
//! `gatehouse-device`, in gate mode or fullscreen kiosk mode.

fn main() {
    eprintln!("gatehouse-app: the desktop shell is not built yet; use gatehouse-gate");
    std::process::exit(2);
}
