//! `gatehouse-gate`: the headless gate for turnstiles, scripts and tests. Every command prints
//! JSON on stdout (one object, or one line per scan in `run`); failures print
//! `{"error": {"code", "message"}}` and exit with status 1. Logs go to stderr (`GATEHOUSE_LOG`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use gatehouse_core::protocol::Presented;
use gatehouse_core::Movement;
use gatehouse_device::frames::Origin;
use gatehouse_device::gate::{durability_from_env, VerdictLine};
use gatehouse_device::profile::Mode;
use gatehouse_device::station::pairing::pair_device;
use gatehouse_device::station::scanning::{parse_direction, presented, timed_scan};
use gatehouse_device::station::sync_task::SyncTask;
use gatehouse_sync::{Clock, EngineConfig, ScanOptions, ScanStation, Store, SyncEngine};
use serde_json::json;

/// How long a stopping gate waits for the sync round in flight.
const SYNC_STOP_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse-gate",
    version,
    about = "The headless Gatehouse gate"
)]
struct Cli {
    /// The gate's state directory (encrypted store and its key).
    #[arg(
        long = "data",
        global = true,
        env = "GATEHOUSE_GATE_DATA",
        value_name = "DIR"
    )]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trade a pairing code for a device token.
    Pair {
        #[arg(long, value_name = "URL")]
        server: String,
        #[arg(long, value_name = "CODE")]
        code: String,
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// When this device still holds scans the server has not acknowledged (a gate paired
        /// again, a revoked one), write every scan it made to FILE (the evidence export) and
        /// take them out of the upload queue, then pair. Without it, such a device refuses to
        /// pair.
        #[arg(long, value_name = "FILE")]
        export_queued: Option<PathBuf>,
    },
    /// Push the outbox and pull the feed; without --once, keep doing so until killed.
    Sync {
        #[arg(long)]
        once: bool,
        /// Point the gate at another server address first (a moved server).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// Pause between rounds, in ms.
        #[arg(long, default_value_t = 2000, value_name = "MS")]
        interval_ms: u64,
        /// Feed entries per page. Each page is applied with its cursor in one transaction, so
        /// smaller pages lose less work when a slow or flaky link drops mid-sync.
        #[arg(long, default_value_t = 5000, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        page_limit: u32,
    },
    /// Decide and record one scan, with or without the network.
    Scan {
        #[command(flatten)]
        presented: PresentedArgs,
        #[command(flatten)]
        at: CheckpointArgs,
        /// A supervisor's reason to admit someone already inside.
        #[arg(long, value_name = "TEXT")]
        override_reason: Option<String>,
    },
    /// The gate's state: online, cursor, cached participants, outbox depth, last sync.
    Status,
    /// Write every scan this gate made to a CSV file (evidence when the network never returns).
    ExportLogs {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sync in the background and scan: lines from stdin (keyboard-wedge scanners), and QR
    /// codes from a camera (`--camera N`) or replayed images (`--frames DIR`). One JSON verdict
    /// line per scan; a tone per verdict where a sound device exists.
    Run {
        #[command(flatten)]
        at: CheckpointArgs,
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        #[arg(long, default_value_t = 2000, value_name = "MS")]
        interval_ms: u64,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Ask for an admin PIN on stdin and print the argon2 hash for a profile's `admin.pin_hash`.
    HashPin,
    /// Decode every image of a folder and print one JSON line per file.
    DecodeFrames { dir: PathBuf },
}

/// Where `run` reads badges from, besides stdin, and how it answers.
#[derive(Debug, Args)]
struct InputArgs {
    /// Replay the images of DIR (or one image file) as camera frames.
    #[arg(long, value_name = "DIR", conflicts_with = "camera")]
    frames: Option<PathBuf>,
    /// Frames per second for `--frames` (default: as fast as they decode).
    #[arg(long, value_name = "N", requires = "frames")]
    fps: Option<f64>,
    /// Read QR codes from camera N (0 is the first camera).
    #[arg(long, value_name = "N")]
    camera: Option<u32>,
    /// The same badge again within this window is one scan.
    #[arg(long, default_value_t = gatehouse_device::debounce::DEFAULT_WINDOW_MS, value_name = "MS")]
    debounce_ms: gatehouse_core::Millis,
    /// Tone volume from 0.0 to 1.0; 0 turns tones off.
    #[arg(long, default_value_t = 0.8, value_name = "V")]
    volume: f32,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct PresentedArgs {
    /// The text of a scanned QR code.
    #[arg(long, value_name = "TEXT")]
    payload: Option<String>,
    /// A registration code typed by hand.
    #[arg(long, value_name = "REGISTRATION_CODE")]
    code: Option<String>,
}

#[derive(Debug, Args)]
struct CheckpointArgs {
    /// The checkpoint's name or id.
    #[arg(long, value_name = "NAME_OR_ID")]
    checkpoint: String,
    /// The way through a both-ways checkpoint: in or out.
    #[arg(long, value_name = "in|out", value_parser = parse_direction)]
    direction: Option<Movement>,
}

/// A failure with its stable machine code.
struct Failure {
    code: String,
    message: String,
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        let code = if let Some(e) = e.downcast_ref::<gatehouse_device::station::StationError>() {
            e.code()
        } else if let Some(e) = e.downcast_ref::<gatehouse_sync::StoreError>() {
            e.code()
        } else if let Some(e) = e.downcast_ref::<gatehouse_sync::SyncError>() {
            e.code()
        } else if let Some(e) = e.downcast_ref::<gatehouse_device::qr::DecodeFramesError>() {
            e.code()
        } else {
            "failed"
        };
        Failure {
            code: code.to_owned(),
            message: format!("{e:#}"),
        }
    }
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    if let Err(e) = run(cli) {
        let failure = Failure::from(e);
        println!(
            "{}",
            json!({"error": {"code": failure.code, "message": failure.message}})
        );
        std::process::exit(1);
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

struct Settings {
    data: PathBuf,
    durability: gatehouse_sync::Durability,
    clock: Clock,
}

impl Settings {
    fn from(cli_data: Option<PathBuf>) -> anyhow::Result<Self> {
        let data =
            cli_data.context("no state directory: pass --data DIR or set GATEHOUSE_GATE_DATA")?;
        Ok(Settings {
            data,
            durability: durability_from_env().map_err(anyhow::Error::msg)?,
            clock: Clock::from_env().map_err(anyhow::Error::msg)?,
        })
    }

    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.data, self.durability)?)
    }

    fn engine(
        &self,
        server: Option<&str>,
        interval_ms: u64,
        page_limit: u32,
    ) -> anyhow::Result<SyncEngine> {
        let store = self.store()?;
        if let Some(url) = server {
            store.require_pairing()?;
            store.set_server_url(url)?;
        }
        let config = EngineConfig {
            interval: Duration::from_millis(interval_ms),
            page_limit,
            ..EngineConfig::default()
        };
        Ok(SyncEngine::new(store, self.clock, config)?)
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::HashPin = &cli.command {
        return hash_pin();
    }
    if let Command::DecodeFrames { dir } = &cli.command {
        let mut out = std::io::stdout().lock();
        gatehouse_device::qr::decode_frames_command(dir, &mut out)?;
        return Ok(());
    }
    let settings = Settings::from(cli.data)?;
    match cli.command {
        Command::Pair {
            server,
            code,
            profile,
            export_queued,
        } => {
            let mut store = settings.store()?;
            let exported = match export_queued {
                Some(file) => Some(export_and_release(&mut store, &file)?),
                None => None,
            };
            let paired = runtime()?.block_on(pair_device(
                &mut store,
                &server,
                &code,
                profile,
                Mode::Gate,
                settings.clock,
            ))?;
            print(&json!({
                "paired": true,
                "device_id": paired.device_id,
                "device_name": paired.device_name,
                "event_id": paired.event_id,
                "event_name": paired.event_name,
                "clock_offset_ms": store.clock_offset()?,
                "exported": exported,
            }))
        }
        Command::Sync {
            once,
            server,
            interval_ms,
            page_limit,
        } => {
            let mut engine = settings.engine(server.as_deref(), interval_ms, page_limit)?;
            let rt = runtime()?;
            if once {
                let report = rt.block_on(engine.sync_once())?;
                return print(&report);
            }
            let task = SyncTask::start(rt.handle(), engine);
            rt.block_on(async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate() => {}
                }
                task.stop(SYNC_STOP_WAIT).await;
            });
            Ok(())
        }
        Command::Scan {
            presented,
            at,
            override_reason,
        } => {
            let presented = match (presented.payload, presented.code) {
                (Some(payload), _) => Presented::Payload(payload),
                (None, Some(code)) => Presented::RegistrationCode(code),
                (None, None) => anyhow::bail!("pass --payload TEXT or --code REGISTRATION_CODE"),
            };
            let mut station = ScanStation::new(settings.store()?, settings.clock)?;
            let checkpoint = station.checkpoint(&at.checkpoint)?;
            let options = ScanOptions {
                requested: at.direction,
                override_reason,
            };
            let scan = timed_scan(&mut station, &presented, &checkpoint, &options)?;
            print(&VerdictLine::new(&scan, &checkpoint))
        }
        Command::Status => print(&gatehouse_sync::status::gate_status(&settings.store()?)?),
        Command::ExportLogs { out } => {
            let written = gatehouse_sync::status::export_logs(&settings.store()?, &out)?;
            print(&json!({"exported": written, "file": out}))
        }
        Command::Run {
            at,
            server,
            interval_ms,
            input,
        } => run_gate(&settings, at, server.as_deref(), interval_ms, input),
        Command::DecodeFrames { .. } | Command::HashPin => Ok(()),
    }
}

/// `pair --export-queued FILE`: the evidence export of every scan this device made, then its
/// upload queues emptied so that it may pair again. Returns the scans written.
fn export_and_release(store: &mut Store, file: &Path) -> anyhow::Result<u64> {
    let written = gatehouse_sync::status::export_logs(store, file)?;
    gatehouse_sync::Outbox::release_all(store)?;
    Ok(written)
}

/// `hash-pin`: the PIN is read from stdin so it never appears in the shell's history.
fn hash_pin() -> anyhow::Result<()> {
    let mut pin = String::new();
    std::io::stdin()
        .read_line(&mut pin)
        .context("cannot read the PIN from stdin")?;
    let pin = pin.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        pin.len() >= 4 && pin.chars().all(|c| c.is_ascii_digit()),
        "a PIN has at least 4 digits"
    );
    let hash =
        gatehouse_device::profile::hash_pin(pin, rand::random()).map_err(anyhow::Error::msg)?;
    print(&json!({ "pin_hash": hash }))
}

/// `run`: the sync engine on its own connection in the background; scans from stdin and, when
/// asked, from a camera or replayed frames, all through one debounced stream decided here.
fn run_gate(
    settings: &Settings,
    at: CheckpointArgs,
    server: Option<&str>,
    interval_ms: u64,
    input: InputArgs,
) -> anyhow::Result<()> {
    use gatehouse_device::frames::scan_loop::ScanLoop;
    use gatehouse_device::frames::FrameSource;

    let mut station = ScanStation::new(settings.store()?, settings.clock)?;
    let checkpoint = station.checkpoint(&at.checkpoint)?;
    let engine = settings.engine(server, interval_ms, EngineConfig::default().page_limit)?;
    let rt = runtime()?;
    let sync = SyncTask::start(rt.handle(), engine);

    let options = ScanOptions {
        requested: at.direction,
        override_reason: None,
    };
    let source: Option<Box<dyn FrameSource>> = match (&input.frames, input.camera) {
        (Some(dir), _) => Some(Box::new(
            gatehouse_device::frames::replay::ReplaySource::open(dir, input.fps)?,
        )),
        (None, Some(index)) => Some(open_camera(index)?),
        (None, None) => None,
    };
    let speaker =
        (input.volume > 0.0).then(|| gatehouse_device::sound::Speaker::start(input.volume));

    // A hand scanner's trigger is deliberate: every line is a scan. A camera sees a held badge
    // in frame after frame: camera reads (and scanner lines alongside them) share the debounce.
    let reads: Box<dyn Iterator<Item = anyhow::Result<(String, Origin)>>> = match source {
        Some(source) => {
            let mut scans = ScanLoop::new(
                gatehouse_device::debounce::Debounce::new(input.debounce_ms),
                settings.clock,
            );
            scans.add_frames(source, gatehouse_device::qr::QrDecoder::default());
            scans.add_wedge(std::io::BufReader::new(std::io::stdin()));
            Box::new(scans.map(|scan| Ok((scan.text, scan.origin))))
        }
        None => Box::new(
            gatehouse_device::wedge::WedgeLines::new(std::io::stdin().lock()).map(|line| {
                line.map(|text| (text, Origin::Wedge))
                    .context("cannot read stdin")
            }),
        ),
    };
    for read in reads {
        let (text, origin) = read?;
        match timed_scan(
            &mut station,
            &presented(&text, origin),
            &checkpoint,
            &options,
        ) {
            Ok(scan) => {
                if let Some(speaker) = &speaker {
                    speaker.play_signal(scan.verdict().signal());
                }
                print(&VerdictLine::new(&scan, &checkpoint))?
            }
            Err(e) => print(&json!({"error": {"code": e.code(), "message": e.to_string()}}))?,
        }
        sync.nudge();
    }
    rt.block_on(sync.stop(SYNC_STOP_WAIT));
    if let Some(speaker) = speaker {
        speaker.finish();
    }
    Ok(())
}

#[cfg(feature = "camera")]
fn open_camera(index: u32) -> anyhow::Result<Box<dyn gatehouse_device::frames::FrameSource>> {
    use gatehouse_device::frames::camera::{CameraConfig, CameraSource};
    let config = CameraConfig {
        index,
        ..CameraConfig::default()
    };
    Ok(Box::new(CameraSource::open(config)?))
}

#[cfg(not(feature = "camera"))]
fn open_camera(_index: u32) -> anyhow::Result<Box<dyn gatehouse_device::frames::FrameSource>> {
    anyhow::bail!("this gate was built without camera support (feature `camera`)")
}

async fn terminate() {
    #[cfg(unix)]
    {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}
