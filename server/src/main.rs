//! # gatehouse-server
//!
//! The platform server where central admins and outside systems work: events, participants, the
//! device sync API, the REST API, webhooks and the live dashboard.

fn main() {
    eprintln!("gatehouse-server: not built yet");
    std::process::exit(2);
}
