//! # gatehouse-app
//!
//! The desktop app gate staff and kiosk attendees see: a Tauri window (the web front end in
//! `ui/`) over the station of `gatehouse-device` (`gatehouse_device::station`), in gate mode or
//! fullscreen kiosk mode. This crate is glue: commands and events mapping the UI ↔ Rust contract
//! of `ui/BACKEND.md` to the station, and the window itself.
//!
//! With `GATEHOUSE_APP_TRACE=FILE` each camera verdict appends a JSON line with the frame's
//! arrival time, so a test can measure frame-to-screen time.
//!
//! ```text
//! gatehouse-app [--data DIR] [--profile FILE] [--profiles DIR] [--frames DIR] [--server URL]
//! ```
//!
//! The state directory has the layout of `gatehouse-gate`'s, so a device paired with one works
//! with the other.

mod camera;
mod commands;
mod error;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use gatehouse_device::profile::Profile;
use gatehouse_device::station::{self, Config, FrameInput, Station};
use gatehouse_sync::Clock;
use tauri::{Emitter, Manager};

use crate::wire::DeviceStatus;

/// Where the camera's timing lines go (tests).
const TRACE_ENV: &str = "GATEHOUSE_APP_TRACE";

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse-app",
    version,
    about = "The Gatehouse gate and kiosk app"
)]
struct Cli {
    /// The device's state directory (same layout as gatehouse-gate's).
    #[arg(long = "data", env = "GATEHOUSE_GATE_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// The kiosk profile to run under (otherwise the one chosen at pairing).
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Where profiles offered at pairing live (default: beside --profile, or ./kiosk-profiles).
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// Replay the images of this folder as the camera (tests and demos).
    #[arg(long, value_name = "DIR")]
    frames: Option<PathBuf>,
    /// Frames per second of the replay.
    #[arg(long, default_value_t = 10.0, value_name = "FPS")]
    frames_fps: f64,
    /// Play the replayed frames again and again.
    #[arg(long)]
    frames_loop: bool,
    /// No camera at all: hand scanner and manual entry only.
    #[arg(long, conflicts_with = "frames")]
    no_camera: bool,
    /// Point a paired device at this server address.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gatehouse")
}

fn profiles_dir(cli: &Cli) -> PathBuf {
    if let Some(dir) = &cli.profiles {
        return dir.clone();
    }
    if let Some(parent) = cli.profile.as_deref().and_then(Path::parent) {
        if !parent.as_os_str().is_empty() {
            return parent.to_path_buf();
        }
    }
    for candidate in [
        "kiosk-profiles",
        "../kiosk-profiles",
        "/usr/share/gatehouse/kiosk-profiles",
    ] {
        if Path::new(candidate).is_dir() {
            return PathBuf::from(candidate);
        }
    }
    PathBuf::from("kiosk-profiles")
}

/// Fullscreen, and with `window.lock` no decorations and always on top (kiosk).
pub fn apply_window(app: &tauri::AppHandle, profile: &Profile) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let lock = profile.window.lock;
    let results = [
        window.set_fullscreen(profile.window.fullscreen),
        window.set_decorations(!lock),
        window.set_always_on_top(lock),
    ];
    for r in results {
        if let Err(e) = r {
            tracing::warn!(error = %e, "cannot apply the profile's window settings");
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GATEHOUSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    let frames = match (&cli.frames, cli.no_camera) {
        (Some(dir), _) => FrameInput::Replay {
            dir: dir.clone(),
            fps: cli.frames_fps,
            looping: cli.frames_loop,
        },
        (None, true) => FrameInput::None,
        (None, false) => FrameInput::Camera,
    };
    let config = Config {
        profile_file: cli.profile.clone(),
        server: cli.server.clone(),
        ..Config::new(
            cli.data.clone().unwrap_or_else(default_data_dir),
            profiles_dir(&cli),
        )
    };
    let clock = Clock::from_env().map_err(anyhow::Error::msg)?;
    let data = config.data.clone();
    let station = Arc::new(
        Station::open(config, clock)
            .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))
            .with_context(|| format!("cannot open the device state in {}", data.display()))?,
    );

    let app_station = Arc::clone(&station);
    tauri::Builder::default()
        .manage(Arc::clone(&station))
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::pair,
            commands::select_checkpoint,
            commands::scan,
            commands::override_scan,
            commands::search,
            commands::recent_scans,
            commands::status,
            commands::kiosk_find,
            commands::kiosk_check_in,
            commands::queue_ticket,
            commands::kiosk_session_end,
            commands::kiosk_language,
            commands::print_badge,
            commands::verify_admin_pin,
            commands::exit_kiosk,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            apply_window(&handle, &app_station.profile());
            if let Err(e) = app_station.start_sync(tauri::async_runtime::handle().inner()) {
                tracing::warn!(code = e.code(), error = %e, "the sync engine did not start");
            }
            station::camera::spawn(
                Arc::clone(&app_station),
                frames,
                Arc::new(camera::WindowFeed(handle.clone())),
                std::env::var_os(TRACE_ENV).map(PathBuf::from),
            );
            spawn_status_loop(Arc::clone(&app_station), handle);
            Ok(())
        })
        .run(tauri::generate_context!())
        .context("the window could not run")?;
    station.stop_sync();
    Ok(())
}

/// Sends the status bar every 2 s (and at once when it changed) from a thread of its own.
fn spawn_status_loop(station: Arc<Station>, app: tauri::AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("status-loop".into())
        .spawn(move || {
            let mut last = None;
            let mut ticks = 0u32;
            loop {
                std::thread::sleep(Duration::from_millis(500));
                ticks += 1;
                match station.status().map(DeviceStatus::from) {
                    Ok(status) => {
                        if last.as_ref() != Some(&status) || ticks >= 4 {
                            ticks = 0;
                            let _ = app.emit("status", &status);
                            last = Some(status);
                        }
                    }
                    Err(e) => tracing::debug!(code = e.code(), "status unavailable"),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the status loop");
    }
}
