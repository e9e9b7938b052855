//! The station: what a gate or a kiosk does between a person and the store, without a window.
//! The Tauri app, the headless gate and the admin tool drive the same [`Station`]; a window only
//! draws what it answers.
//!
//! The states a device passes through, and what each allows:
//!
//! 1. **unpaired**: pairing only, under the built-in default profile; every other action answers
//!    `not_paired`;
//! 2. **paired**: it lists its checkpoints, searches, hands out queue numbers and prints badges;
//!    a scan answers `no_checkpoint` until a checkpoint is chosen;
//! 3. **scanning**: a checkpoint (and at a both-ways door, a direction) is chosen and survives a
//!    restart; every scan is decided and recorded (and queued for the server) before it is
//!    answered, with a tone;
//! 4. **kiosk**: as scanning, and each attendee the kiosk identifies opens a *visit* that gathers
//!    their check-in, badge and queue ticket until the idle reset or the next attendee; the admin
//!    PIN turns the kiosk into a gate until the app restarts.
//!
//! What wins:
//!
//! - the scan's record: it is durable before anything else happens, and a visit, a tone or a sync
//!   nudge that fails afterwards never undoes it nor hides its answer;
//! - a profile file named at start over the profile chosen at pairing, over the built-in default;
//!   the checkpoint stored on the device over the profile's;
//! - an override needs, in this order: the profile's permission, a scan of this run, that scan
//!   `ALREADY_SCANNED`, and a reason;
//! - a queue number once given: a printer fault is logged, the number stands.
//!
//! One [`Clock`] dates everything: scans, visits, queue tickets, badges and the PIN lock. Every
//! method may wait on SQLite for a few milliseconds, so a UI calls them off its own thread; the
//! only async step is pairing (HTTP). One file per concern:
//!
//! | file | concern |
//! | --- | --- |
//! | [`scanning`] | gate scanning and the supervisor's override |
//! | [`recent`] | the recent scans list |
//! | [`visits`] | kiosk visits |
//! | [`queue`] | queue tickets |
//! | [`printing`] | badges and printed tickets |
//! | [`pairing`] | pairing, profiles and the checkpoint chosen |
//! | [`status`] | the status bar and the camera's state |
//! | [`search`] | search by name, and by name and date of birth |
//! | [`pin`] | the kiosk's admin PIN |
//! | [`sync_task`] | control of the sync engine's task |
//! | [`camera`] | camera reads through the device's scan loop, with a preview tap |

pub mod camera;
pub mod error;
pub mod pairing;
pub mod pin;
pub mod printing;
pub mod queue;
pub mod recent;
pub mod scanning;
pub mod search;
pub mod status;
pub mod sync_task;
pub mod visits;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

use gatehouse_core::{Checkpoint, Movement};
use gatehouse_sync::store::meta;
use gatehouse_sync::{Clock, Durability, ScanStation, Store};

use crate::profile::{Mode, Profile};
use crate::sound::Speaker;

pub use camera::{CameraFeed, FrameInput};
pub use error::StationError;
pub use pairing::{PairRequest, Setup};
pub use printing::Printed;
pub use scanning::{RecordedScan, Source};
pub use search::SearchHit;
pub use status::{CameraState, Status};

/// How a station was started.
#[derive(Debug, Clone)]
pub struct Config {
    /// The device's state directory (the layout of `gatehouse-gate`'s).
    pub data: PathBuf,
    /// A profile file that wins over the one chosen at pairing.
    pub profile_file: Option<PathBuf>,
    /// Where the profiles offered at pairing live.
    pub profiles_dir: PathBuf,
    /// Points a paired device at this server address.
    pub server: Option<String>,
    /// The command that sends a file to a CUPS queue ([`printing::LP`]; tests put a stand-in).
    pub print_command: String,
}

impl Config {
    /// A station on the state in `data`, offering the profiles of `profiles_dir`.
    pub fn new(data: PathBuf, profiles_dir: PathBuf) -> Config {
        Config {
            data,
            profile_file: None,
            profiles_dir,
            server: None,
            print_command: printing::LP.to_owned(),
        }
    }
}

/// The post a device holds now: its scan station once paired, the profile and mode, where it
/// scans, what it scanned, and the kiosk attendee in front of it.
struct Post {
    scanner: Option<ScanStation>,
    profile: Profile,
    mode: Mode,
    checkpoint: Option<Checkpoint>,
    direction: Option<Movement>,
    recent: recent::RecentScans,
    visits: visits::Visits,
}

impl Post {
    fn scanner(&self) -> Result<&ScanStation, StationError> {
        self.scanner.as_ref().ok_or(StationError::NotPaired)
    }

    fn scanner_mut(&mut self) -> Result<&mut ScanStation, StationError> {
        self.scanner.as_mut().ok_or(StationError::NotPaired)
    }
}

/// A gate's or kiosk's whole state, shared by a UI's commands, the camera loop and a status
/// loop (it is `Sync`: put it in an `Arc`).
pub struct Station {
    config: Config,
    clock: Clock,
    post: Mutex<Post>,
    /// A connection of its own for the status bar, so it never waits behind a scan.
    status_store: Mutex<Option<Store>>,
    search: Mutex<search::SearchIndex>,
    pins: Mutex<pin::PinGuard>,
    sync: Mutex<Option<sync_task::SyncTask>>,
    speaker: Mutex<Option<Speaker>>,
    kiosk_unlocked: AtomicBool,
    camera: Mutex<CameraState>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Station {
    /// Opens the device state in `config.data`: paired or not (pairing is then the first
    /// thing a UI offers), with the profile that wins, the checkpoint chosen earlier and the
    /// recent scans.
    pub fn open(config: Config, clock: Clock) -> Result<Station, StationError> {
        let store = Store::open(&config.data, Durability::Normal)?;
        let pairing = store.pairing()?;
        if let (Some(url), Some(_)) = (&config.server, &pairing) {
            store.set_server_url(url)?;
        }
        let chosen = pairing.as_ref().and_then(|p| p.profile.as_deref());
        let profile = pairing::profile_in_force(&config, chosen)?;
        let scanner = match pairing {
            Some(_) => {
                store.set_meta(meta::MODE, pairing::mode_name(profile.mode))?;
                Some(ScanStation::new(store, clock)?)
            }
            None => None,
        };
        let speaker = speaker_for(&profile);
        let station = Station {
            config,
            clock,
            post: Mutex::new(Post {
                scanner,
                mode: profile.mode,
                profile,
                checkpoint: None,
                direction: None,
                recent: recent::RecentScans::default(),
                visits: visits::Visits::default(),
            }),
            status_store: Mutex::new(None),
            search: Mutex::new(search::SearchIndex::default()),
            pins: Mutex::new(pin::PinGuard::default()),
            sync: Mutex::new(None),
            speaker: Mutex::new(speaker),
            kiosk_unlocked: AtomicBool::new(false),
            camera: Mutex::new(CameraState::Starting),
        };
        station.restore_selection()?;
        station.load_recent()?;
        Ok(station)
    }

    /// The clock everything here is dated by.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    fn post(&self) -> MutexGuard<'_, Post> {
        lock(&self.post)
    }
}

/// The tone player a profile asks for.
fn speaker_for(profile: &Profile) -> Option<Speaker> {
    profile
        .sound
        .enabled
        .then(|| Speaker::start(profile.sound.volume))
}
