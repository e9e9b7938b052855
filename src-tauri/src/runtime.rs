//! The device runtime behind the window: the paired store and its scan station, the selected
//! checkpoint, the profile, the sync engine task, recent scans, the kiosk's admin door and the
//! kiosk's record of each attendee's visit.
//!
//! **Kiosk visits.** In kiosk mode, an attendee the kiosk identifies (a scanned QR, a typed code,
//! or a name + date of birth search) opens a visit ([`KioskSession`]) that collects what
//! happened: the check-in and its verdict, the badge, the queue ticket. The visit ends at the
//! idle reset (the UI's `kiosk_session_end`, which also says the language shown) or when the next
//! attendee is identified. Each change is stored at once and queued for the server in the store's
//! kiosk outbox (see `gatehouse_sync::kiosk`), after the scan's own transaction.
//!
//! Every method here may block on SQLite for a few milliseconds, so the Tauri commands call them
//! on the blocking pool (never on the UI thread); the only async step is pairing (HTTP).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gatehouse_core::protocol::{ParticipantSummary, Presented};
use gatehouse_core::{
    BadgeOutcome, Checkpoint, Identification, KioskSession, Millis, Movement, ParticipantId,
    RegistrationCode, TicketClaims, Verdict,
};
use gatehouse_device::badge;
use gatehouse_device::profile::{Mode, PrinterSettings, Profile};
use gatehouse_device::sound::Speaker;
use gatehouse_sync::store::meta;
use gatehouse_sync::{
    cache, kiosk, read_scanner_line, Clock, Durability, EngineConfig, ScanOptions, ScanStation,
    Store, StoreError, SyncEngine,
};
use tokio::sync::{watch, Notify};

use crate::error::CommandError;
use crate::pin::{PinAnswer, PinGuard};
use crate::search::SearchIndex;
use crate::wire::*;

/// Meta keys this app adds to the device store (gatehouse-gate ignores them).
const CHECKPOINT_KEY: &str = "app_checkpoint_id";
const DIRECTION_KEY: &str = "app_direction";
/// Longest language tag a visit keeps.
const MAX_LANGUAGE_LEN: usize = 35;
/// Most people a kiosk's name and date of birth search lists.
const KIOSK_FIND_SHOWN: usize = 20;
/// Recent scans kept for the list and for overrides.
const RECENT_KEPT: usize = 500;

/// The profile used before any is chosen: gate mode, every language, every staff action.
pub const DEFAULT_PROFILE: &str = "name = \"default\"\nmode = \"gate\"\n";

/// How the app was started.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub profile_file: Option<PathBuf>,
    pub profiles_dir: PathBuf,
    pub server: Option<String>,
}

/// Where the scan came from, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Camera,
    Wedge,
    Manual,
}

impl Source {
    /// How a kiosk attendee identified themselves with a scan from this source.
    fn identification(self) -> Identification {
        match self {
            Source::Camera | Source::Wedge => Identification::Scan,
            Source::Manual => Identification::Code,
        }
    }

    pub fn parse(s: &str) -> Result<Source, CommandError> {
        match s {
            "camera" => Ok(Source::Camera),
            "wedge" => Ok(Source::Wedge),
            "manual" => Ok(Source::Manual),
            other => Err(CommandError::new(
                "bad_source",
                format!("scan source {other:?}: expected camera, wedge or manual"),
            )),
        }
    }
}

/// What a presented text is: a ticket payload or a registration code. Staff typing a short
/// text by hand meant a registration code (so garbage reads `bad_registration_code`); anything
/// else is what a scanner read.
pub fn presented(text: &str, source: Source) -> Presented {
    let line = text.trim_end_matches(['\r', '\n']);
    if source == Source::Manual && line.trim().chars().count() < 40 {
        let typed = line.trim();
        return match RegistrationCode::parse(typed) {
            Ok(code) => Presented::RegistrationCode(code.as_str().to_owned()),
            Err(_) => Presented::RegistrationCode(typed.to_owned()),
        };
    }
    read_scanner_line(line)
}

struct SyncTask {
    stop: watch::Sender<bool>,
    nudge: Arc<Notify>,
}

struct Gate {
    station: Option<ScanStation>,
    profile: Profile,
    mode: Mode,
    checkpoint: Option<Checkpoint>,
    direction: Option<Movement>,
    recent: VecDeque<ScanResult>,
    presented: HashMap<String, Presented>,
    /// The kiosk attendee's visit in progress.
    visit: Option<KioskSession>,
    /// The language the kiosk shows now (the UI's `kiosk_language`), written into the visit in
    /// progress each time it is saved.
    language: Option<String>,
}

/// `HH:MM` of `at` in `zone`: what a printed queue ticket says, in the time of the venue's
/// clocks (the kiosk's time zone), not UTC.
fn clock_time<Z: chrono::TimeZone>(at: Millis, zone: &Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.with_timezone(zone).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// A language tag as a visit keeps it (`en`, `fr`, `pt-BR`), or `None` for anything else.
fn language_tag(language: Option<&str>) -> Option<&str> {
    language.map(str::trim).filter(|l| {
        !l.is_empty()
            && l.len() <= MAX_LANGUAGE_LEN
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

impl Gate {
    /// Makes the visit in progress the one of `who`: the open visit if it is theirs or nobody's
    /// yet (or `who` is not known), else a new one, after ending the previous attendee's.
    fn visit_of(
        &mut self,
        who: Option<ParticipantId>,
        how: Option<Identification>,
        now: Millis,
    ) -> Result<&mut KioskSession, CommandError> {
        let station = self.station.as_mut().ok_or_else(CommandError::not_paired)?;
        let theirs = self.visit.as_ref().is_some_and(|v| {
            who.is_none() || v.participant_id.is_none() || v.participant_id == who
        });
        if !theirs {
            if let Some(mut previous) = self.visit.take() {
                previous.ended_at = Some(now);
                kiosk::save_session(station.store_mut(), &mut previous)?;
            }
            let pairing = station.store().require_pairing()?;
            self.visit = Some(kiosk::new_session(&pairing, who, how, now));
        }
        let visit = self
            .visit
            .as_mut()
            .ok_or_else(|| CommandError::new("internal", "no visit in progress"))?;
        if visit.participant_id.is_none() && who.is_some() {
            visit.participant_id = who;
            visit.identified_by = how;
        }
        Ok(visit)
    }

    /// Stores the visit in progress as it is now, in the language shown now, and queues it for
    /// upload. A visit ended by the next attendee keeps the language of its last save: the next
    /// attendee may have switched before showing their code.
    fn save_visit(&mut self) -> Result<(), CommandError> {
        let station = self.station.as_mut().ok_or_else(CommandError::not_paired)?;
        if let Some(visit) = self.visit.as_mut() {
            if let Some(language) = &self.language {
                visit.language = Some(language.clone());
            }
            kiosk::save_session(station.store_mut(), visit)?;
        }
        Ok(())
    }

    /// Records a kiosk check-in in the visit of the person it identified.
    fn record_check_in(
        &mut self,
        how: Identification,
        outcome: &gatehouse_sync::ScanOutcome,
    ) -> Result<(), CommandError> {
        let Some(who) = outcome.participant.as_ref().map(|p| p.id) else {
            return Ok(());
        };
        let visit = self.visit_of(Some(who), Some(how), outcome.log.device_time)?;
        visit.scan_id = Some(outcome.log.id);
        visit.verdict = Some(outcome.decision.verdict);
        self.save_visit()
    }
}

/// The app's state, shared by the commands, the camera loop and the status loop.
pub struct Runtime {
    config: Config,
    clock: Clock,
    gate: Mutex<Gate>,
    status_store: Mutex<Option<Store>>,
    search: Mutex<SearchIndex>,
    pins: Mutex<PinGuard>,
    sync: Mutex<Option<SyncTask>>,
    speaker: Mutex<Option<Speaker>>,
    kiosk_unlocked: AtomicBool,
    camera: Mutex<CameraState>,
}

/// What the camera loop is doing, for the status bar and the preview's placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraState {
    /// No camera configured (`--no-camera`): hand scanner and typed codes only.
    Off,
    /// Waiting for pairing and a checkpoint, or opening the device.
    Starting,
    /// Frames are arriving.
    Live,
    /// The camera could not be opened or stopped delivering frames.
    Unavailable,
}

impl CameraState {
    pub fn as_str(self) -> &'static str {
        match self {
            CameraState::Off => "off",
            CameraState::Starting => "starting",
            CameraState::Live => "live",
            CameraState::Unavailable => "unavailable",
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

fn default_profile() -> Profile {
    Profile::parse(Path::new("(built-in default profile)"), DEFAULT_PROFILE)
        .expect("the built-in default profile is valid")
}

fn parse_movement(s: Option<&str>) -> Result<Option<Movement>, CommandError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => gatehouse_device::gate::parse_direction(s)
            .map(Some)
            .map_err(|m| CommandError::new("bad_direction", m)),
    }
}

impl Runtime {
    /// Opens the device state in `config.data` (pairing it is the UI's first screen when absent).
    pub fn open(config: Config, clock: Clock) -> Result<Runtime, CommandError> {
        let store = Store::open(&config.data, Durability::Normal)?;
        let pairing = store.pairing()?;
        if let (Some(url), Some(_)) = (&config.server, &pairing) {
            store.set_server_url(url)?;
        }
        let profile = match (&config.profile_file, pairing.as_ref().and_then(|p| p.profile.clone())) {
            (Some(file), _) => Profile::load(file)?,
            (None, Some(name)) => Self::load_named(&config.profiles_dir, &name).unwrap_or_else(|e| {
                tracing::warn!(error = %e.message, "the paired profile cannot be loaded; using the default");
                default_profile()
            }),
            (None, None) => default_profile(),
        };
        let station = match pairing {
            Some(_) => {
                store.set_meta(meta::MODE, mode_str(profile.mode))?;
                Some(ScanStation::new(store, clock)?)
            }
            None => None,
        };
        let speaker = profile
            .sound
            .enabled
            .then(|| Speaker::start(profile.sound.volume));
        let rt = Runtime {
            config,
            clock,
            gate: Mutex::new(Gate {
                station,
                mode: profile.mode,
                profile,
                checkpoint: None,
                direction: None,
                recent: VecDeque::new(),
                presented: HashMap::new(),
                visit: None,
                language: None,
            }),
            status_store: Mutex::new(None),
            search: Mutex::new(SearchIndex::default()),
            pins: Mutex::new(PinGuard::default()),
            sync: Mutex::new(None),
            speaker: Mutex::new(speaker),
            kiosk_unlocked: AtomicBool::new(false),
            camera: Mutex::new(CameraState::Starting),
        };
        rt.restore_selection()?;
        rt.load_recent()?;
        Ok(rt)
    }

    /// The profile in force (window, camera, debounce settings).
    pub fn profile(&self) -> Profile {
        lock(&self.gate).profile.clone()
    }

    fn load_named(dir: &Path, name: &str) -> Result<Profile, CommandError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(CommandError::new(
                "unknown_profile",
                format!("{name:?} is not a profile name (letters, digits, - and _ only)"),
            ));
        }
        let file = dir.join(format!("{name}.toml"));
        if !file.is_file() {
            return Err(CommandError::new(
                "unknown_profile",
                format!("no profile named {name:?} in {}", dir.display()),
            ));
        }
        Ok(Profile::load(&file)?)
    }

    /// Profile names offered at pairing: the `.toml` files of the profiles folder.
    pub fn available_profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.config.profiles_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let path = e.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))
                    .flatten()
            })
            .collect();
        names.sort();
        names
    }

    fn restore_selection(&self) -> Result<(), CommandError> {
        let mut gate = lock(&self.gate);
        let Some(station) = &gate.station else {
            return Ok(());
        };
        let store = station.store();
        let wanted = store
            .meta(CHECKPOINT_KEY)?
            .or_else(|| gate.profile.checkpoint.clone());
        let direction = match store.meta(DIRECTION_KEY)? {
            Some(d) => parse_movement(Some(&d))?,
            None => parse_movement(gate.profile.direction.as_deref())?,
        };
        if let Some(wanted) = wanted {
            match station.checkpoint(&wanted) {
                Ok(c) => {
                    gate.checkpoint = Some(c);
                    gate.direction = direction;
                }
                Err(StoreError::UnknownCheckpoint(_)) => {}
                Err(e) => tracing::warn!(error = %e, "cannot restore the selected checkpoint"),
            }
        }
        Ok(())
    }

    fn load_recent(&self) -> Result<(), CommandError> {
        let mut gate = lock(&self.gate);
        let Some(station) = &gate.station else {
            return Ok(());
        };
        let conn = station.store().conn();
        let logs = cache::local_scans(conn)?;
        let mut recent = VecDeque::new();
        for (log, _) in logs.iter().rev().take(RECENT_KEPT) {
            let who = match log.participant_id {
                Some(id) => cache::participant_by_id(conn, id)?,
                None => None,
            };
            let summary = who.as_ref().map(ParticipantSummary::from);
            recent.push_back(ScanResult::from_log(log, summary.as_ref()));
        }
        gate.recent = recent;
        Ok(())
    }

    /// Starts the background sync engine on its own store connection (once).
    pub fn start_sync(&self) -> Result<(), CommandError> {
        let mut sync = lock(&self.sync);
        if sync.is_some() || lock(&self.gate).station.is_none() {
            return Ok(());
        }
        let store = Store::open(&self.config.data, Durability::Normal)?;
        let engine = SyncEngine::new(store, self.clock, EngineConfig::default())?;
        let (stop, stop_rx) = watch::channel(false);
        let nudge = Arc::new(Notify::new());
        tauri::async_runtime::spawn(engine.run(stop_rx, nudge.clone()));
        *sync = Some(SyncTask { stop, nudge });
        Ok(())
    }

    /// Stops the sync engine (app exit).
    pub fn stop_sync(&self) {
        if let Some(task) = lock(&self.sync).take() {
            let _ = task.stop.send(true);
        }
    }

    fn nudge_sync(&self) {
        if let Some(task) = lock(&self.sync).as_ref() {
            task.nudge.notify_one();
        }
    }

    // ----- app_state, pair, select_checkpoint -----

    pub fn app_state(&self) -> Result<AppState, CommandError> {
        let gate = lock(&self.gate);
        let mut state = AppState {
            paired: false,
            mode: mode_str(gate.mode),
            profile: ProfileView::from(&gate.profile),
            device: None,
            checkpoints: Vec::new(),
            checkpoint_id: gate.checkpoint.as_ref().map(|c| c.id.to_string()),
            direction: gate.direction.map(Movement::as_str),
            available_profiles: self.available_profiles(),
        };
        let Some(station) = &gate.station else {
            return Ok(state);
        };
        let store = station.store();
        let pairing = store.require_pairing()?;
        state.paired = true;
        state.device = Some(DeviceInfo {
            name: pairing.device_name,
            event_name: pairing.event_name,
        });
        for c in cache::checkpoints(store.conn())? {
            if !c.active {
                continue;
            }
            let zone = cache::zone(store.conn(), c.zone_id)?
                .map(|z| z.name)
                .unwrap_or_default();
            state.checkpoints.push(CheckpointInfo::new(&c, zone));
        }
        Ok(state)
    }

    /// Pairs with a server, loads the chosen profile and runs the first sync.
    pub async fn pair(&self, args: PairArgs) -> Result<AppState, CommandError> {
        let profile_name = args.profile.trim().to_owned();
        let profile = Self::load_named(&self.config.profiles_dir, &profile_name)?;
        if args.pairing_code.trim().is_empty() {
            return Err(CommandError::new(
                "bad_pairing_code",
                "Type the pairing code.",
            ));
        }
        let mut store = Store::open(&self.config.data, Durability::Normal)?;
        if store.pairing()?.is_some() && lock(&self.gate).station.is_some() {
            return Err(CommandError::new(
                "already_paired",
                "This device is already paired; remove its state folder to pair it again.",
            ));
        }
        gatehouse_sync::pair(
            &mut store,
            &args.server_url,
            &args.pairing_code,
            Some(profile_name),
            self.clock,
        )
        .await?;
        // Before the first sync, so that a kiosk announces itself as one.
        store.set_meta(meta::MODE, mode_str(profile.mode))?;
        // The first sync brings checkpoints, keys and participants; offline is not fatal.
        let engine_store = Store::open(&self.config.data, Durability::Normal)?;
        let mut engine = SyncEngine::new(engine_store, self.clock, EngineConfig::default())?;
        if let Err(e) = engine.sync_once().await {
            tracing::warn!(error = %e, "the first sync failed; the engine keeps trying");
        }
        drop(engine);
        {
            let mut gate = lock(&self.gate);
            gate.station = Some(ScanStation::new(store, self.clock)?);
            gate.mode = profile.mode;
            gate.profile = profile;
            *lock(&self.speaker) = gate
                .profile
                .sound
                .enabled
                .then(|| Speaker::start(gate.profile.sound.volume));
        }
        self.restore_selection()?;
        self.start_sync()?;
        self.app_state()
    }

    pub fn select_checkpoint(&self, args: SelectCheckpointArgs) -> Result<AppState, CommandError> {
        let direction = parse_movement(args.direction.as_deref())?;
        {
            let mut gate = lock(&self.gate);
            let station = gate.station.as_ref().ok_or_else(CommandError::not_paired)?;
            let checkpoint = station.checkpoint(args.checkpoint_id.trim())?;
            let store = station.store();
            store.set_meta(CHECKPOINT_KEY, &checkpoint.id.to_string())?;
            store.set_meta(DIRECTION_KEY, direction.map(Movement::as_str).unwrap_or(""))?;
            gate.checkpoint = Some(checkpoint);
            gate.direction = direction;
        }
        self.app_state()
    }

    /// Whether the camera loop may decide scans: paired, a checkpoint chosen.
    pub fn ready_to_scan(&self) -> bool {
        let gate = lock(&self.gate);
        gate.station.is_some() && gate.checkpoint.is_some()
    }

    // ----- scan, override_scan, recent_scans -----

    /// Decides and records one presented text at the selected checkpoint.
    pub fn scan(&self, text: &str, source: Source) -> Result<ScanResult, CommandError> {
        self.decide(presented(text, source), None, Some(source.identification()))
    }

    /// Decides and records a scan; in kiosk mode, `identified_by` also puts the check-in in the
    /// visit of the person identified.
    fn decide(
        &self,
        presented: Presented,
        override_reason: Option<String>,
        identified_by: Option<Identification>,
    ) -> Result<ScanResult, CommandError> {
        let mut guard = lock(&self.gate);
        let gate = &mut *guard;
        let station = gate.station.as_mut().ok_or_else(CommandError::not_paired)?;
        let checkpoint = gate
            .checkpoint
            .as_ref()
            .ok_or_else(CommandError::no_checkpoint)?;
        let options = ScanOptions {
            requested: gate.direction,
            override_reason,
        };
        let started = Instant::now();
        let outcome = station.scan(&presented, checkpoint, &options)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let result = ScanResult::from_outcome(&outcome, ms);
        if let Some(speaker) = lock(&self.speaker).as_ref() {
            speaker.play_signal(outcome.decision.verdict.signal());
        }
        if gate.presented.len() > 4 * RECENT_KEPT {
            gate.presented.clear();
        }
        gate.presented.insert(result.scan_id.clone(), presented);
        gate.recent.push_front(result.clone());
        gate.recent.truncate(RECENT_KEPT);
        if let (Mode::Kiosk, Some(how)) = (gate.mode, identified_by) {
            // The scan is recorded and answered whatever becomes of its visit.
            if let Err(e) = gate.record_check_in(how, &outcome) {
                tracing::warn!(code = %e.code, error = %e.message, "the kiosk visit was not recorded");
            }
        }
        drop(guard);
        self.nudge_sync();
        Ok(result)
    }

    /// Re-decides an `ALREADY_SCANNED` scan with a supervisor's reason.
    pub fn override_scan(&self, args: OverrideArgs) -> Result<ScanResult, CommandError> {
        let reason = args.reason.trim().to_owned();
        let presented = {
            let gate = lock(&self.gate);
            if !gate.profile.actions.r#override {
                return Err(CommandError::new(
                    "override_forbidden",
                    format!(
                        "The profile {:?} does not allow overrides.",
                        gate.profile.name
                    ),
                ));
            }
            let earlier = gate
                .recent
                .iter()
                .find(|r| r.scan_id == args.scan_id)
                .ok_or_else(|| {
                    CommandError::new(
                        "unknown_scan",
                        format!("No recent scan {} on this device.", args.scan_id),
                    )
                })?;
            if earlier.verdict != Verdict::AlreadyScanned.as_str() {
                return Err(CommandError::new(
                    "not_overridable",
                    format!(
                        "Only an ALREADY_SCANNED scan can be overridden; this one was {}.",
                        earlier.verdict
                    ),
                ));
            }
            gate.presented.get(&args.scan_id).cloned().ok_or_else(|| {
                CommandError::new(
                    "unknown_scan",
                    "That scan was made before the app started; scan the badge again.",
                )
            })?
        };
        if reason.is_empty() {
            return Err(CommandError::new(
                "reason_required",
                "An override needs a reason.",
            ));
        }
        self.decide(presented, Some(reason), None)
    }

    pub fn recent_scans(&self, limit: usize) -> Vec<ScanResult> {
        lock(&self.gate)
            .recent
            .iter()
            .take(limit)
            .cloned()
            .collect()
    }

    // ----- status -----

    pub fn status(&self) -> Result<DeviceStatus, CommandError> {
        let checkpoint = {
            let gate = lock(&self.gate);
            if gate.station.is_none() {
                return Ok(DeviceStatus {
                    online: false,
                    last_sync_ms: None,
                    outbox_depth: 0,
                    kiosk_outbox_depth: 0,
                    occupancy: None,
                    camera: self.camera_state().as_str(),
                });
            }
            gate.checkpoint.clone()
        };
        let mut slot = lock(&self.status_store);
        if slot.is_none() {
            *slot = Some(Store::open(&self.config.data, Durability::Normal)?);
        }
        let store = slot.as_ref().ok_or_else(CommandError::not_paired)?;
        let occupancy = match checkpoint {
            Some(c) => {
                let zone = cache::zone(store.conn(), c.zone_id)?;
                let inside = cache::estimated_occupancy(store.conn(), c.zone_id)?;
                inside.map(|inside| ZoneOccupancy {
                    zone: zone.as_ref().map(|z| z.name.clone()).unwrap_or_default(),
                    inside,
                    capacity: zone.and_then(|z| z.capacity),
                })
            }
            None => None,
        };
        Ok(DeviceStatus {
            online: store.meta(meta::ONLINE)?.as_deref() == Some("1"),
            last_sync_ms: store.meta(meta::LAST_SYNC_AT)?.and_then(|t| t.parse().ok()),
            outbox_depth: gatehouse_sync::engine::outbox_depth(store)?,
            kiosk_outbox_depth: kiosk::outbox_depth(store)?,
            occupancy,
            camera: self.camera_state().as_str(),
        })
    }

    pub fn camera_state(&self) -> CameraState {
        *lock(&self.camera)
    }

    /// Set by the camera loop as it starts, runs and fails.
    pub fn set_camera_state(&self, state: CameraState) {
        *lock(&self.camera) = state;
    }

    // ----- search and kiosk -----

    /// Participants by name or code from the device cache, best first, at most `limit` (≤ 200).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CommandError> {
        Ok(self.search_index()?.search(query, limit.min(200)))
    }

    /// The search index, brought up to date with the device cache.
    fn search_index(&self) -> Result<MutexGuard<'_, SearchIndex>, CommandError> {
        let gate = lock(&self.gate);
        let station = gate.station.as_ref().ok_or_else(CommandError::not_paired)?;
        let store = station.store();
        let version = (store.cursor()?, cache::participant_count(store.conn())?);
        let mut index = lock(&self.search);
        index.refresh(store.conn(), version)?;
        Ok(index)
    }

    /// The attendee finds themselves by name and date of birth: the name search's best matches
    /// whose [`birth_check`](gatehouse_core::birth_check) agrees with the date typed. A name alone
    /// lists nobody (a kiosk must not show who is registered), nor does a participant whose date
    /// of birth the server does not know: the kiosk then sends the attendee to the help desk.
    pub fn kiosk_find(&self, args: &KioskFindArgs) -> Result<Vec<SearchHit>, CommandError> {
        let dob = args.date_of_birth.trim();
        if !gatehouse_core::is_iso_date(dob) {
            return Err(CommandError::new(
                "bad_date_of_birth",
                format!("{dob:?} is not a date like 1990-04-25"),
            ));
        }
        if args.name.trim().chars().count() < 2 {
            return Ok(Vec::new());
        }
        Ok(self
            .search_index()?
            .search_born(&args.name, dob, KIOSK_FIND_SHOWN))
    }

    pub fn kiosk_check_in(&self, participant_id: &str) -> Result<ScanResult, CommandError> {
        let code = self.participant(participant_id)?.registration_code;
        self.decide(
            Presented::RegistrationCode(code),
            None,
            Some(Identification::Search),
        )
    }

    /// Ends the kiosk visit in progress (the idle reset, "Done"), keeping the language the kiosk
    /// showed. Nothing happens when no visit is open.
    pub fn kiosk_session_end(&self, language: Option<&str>) -> Result<(), CommandError> {
        let mut guard = lock(&self.gate);
        let gate = &mut *guard;
        let Some(mut visit) = gate.visit.take() else {
            return Ok(());
        };
        visit.ended_at = Some(now_ms());
        if let Some(language) = language_tag(language).or(gate.language.as_deref()) {
            visit.language = Some(language.to_owned());
        }
        let station = gate.station.as_mut().ok_or_else(CommandError::not_paired)?;
        kiosk::save_session(station.store_mut(), &mut visit)?;
        drop(guard);
        self.nudge_sync();
        Ok(())
    }

    /// The kiosk's UI switched language: the visit in progress is saved in it from now on (a
    /// check-in made by the camera loop included). A tag that is not one is ignored.
    pub fn kiosk_language(&self, language: &str) {
        if let Some(language) = language_tag(Some(language)) {
            lock(&self.gate).language = Some(language.to_owned());
        }
    }

    fn participant(
        &self,
        participant_id: &str,
    ) -> Result<gatehouse_core::Participant, CommandError> {
        let id: ParticipantId = participant_id.trim().parse().map_err(|_| {
            CommandError::new(
                "bad_participant_id",
                format!("{participant_id:?} is not a participant id"),
            )
        })?;
        let gate = lock(&self.gate);
        let station = gate.station.as_ref().ok_or_else(CommandError::not_paired)?;
        cache::participant_by_id(station.store().conn(), id)?.ok_or_else(|| {
            CommandError::new(
                "unknown_participant",
                format!("No participant {participant_id} on this device."),
            )
        })
    }

    /// The desk's display name for what the kiosk asks (`registration`, `help`, or a desk name).
    pub fn desk_name(desks: &[String], asked: &str) -> Result<String, CommandError> {
        let asked = asked.trim();
        if let Some(d) = desks.iter().find(|d| d.eq_ignore_ascii_case(asked)) {
            return Ok(d.clone());
        }
        let lower = asked.to_ascii_lowercase();
        let pick = |words: &[&str], fallback: &str| {
            desks
                .iter()
                .find(|d| {
                    let d = d.to_ascii_lowercase();
                    words.iter().any(|w| d.contains(w))
                })
                .cloned()
                .unwrap_or_else(|| fallback.to_owned())
        };
        match lower.as_str() {
            "registration" => Ok(pick(&["registr", "accredit"], "Registration")),
            "help" => Ok(pick(&["help", "info"], "Help desk")),
            _ => Err(CommandError::new(
                "unknown_desk",
                format!("No desk {asked:?}; this kiosk knows {}", desks.join(", ")),
            )),
        }
    }

    /// The next number at a desk, counted on this device; printed too when the profile names a
    /// printer queue.
    pub fn queue_ticket(&self, desk: &str) -> Result<QueueTicket, CommandError> {
        self.queue_ticket_with(desk, "lp")
    }

    fn queue_ticket_with(&self, desk: &str, lp_command: &str) -> Result<QueueTicket, CommandError> {
        let mut guard = lock(&self.gate);
        let gate = &mut *guard;
        let desk = Self::desk_name(&gate.profile.queue_desks, desk)?;
        let now = now_ms();
        let visit = match gate.mode {
            Mode::Kiosk => Some(gate.visit_of(None, None, now)?.id),
            Mode::Gate => None,
        };
        let station = gate.station.as_mut().ok_or_else(CommandError::not_paired)?;
        let pairing = station.store().require_pairing()?;
        let series = gate.profile.queue_series.as_deref().unwrap_or("");
        let ticket =
            kiosk::issue_queue_ticket(station.store_mut(), &pairing, visit, &desk, series, now)?;
        if let Some(v) = gate.visit.as_mut().filter(|v| Some(v.id) == visit) {
            v.queue_ticket_id = Some(ticket.id);
            gate.save_visit()?;
        }
        let event = pairing.event_name;
        let number = u64::from(ticket.number);
        let printer = gate.profile.printer.clone();
        drop(guard);
        self.nudge_sync();
        if let Some(queue) = &printer.queue {
            // The number is on screen whatever the printer does: a fault is logged, not shown.
            let taken_at = clock_time(now, &chrono::Local);
            let pdf = badge::render_queue_ticket(&event, &desk, &ticket.label, &taken_at);
            let printed = badge::save(
                &pdf,
                &self.badge_dir(&printer),
                &format!("queue-{}", ticket.label),
                now,
            )
            .and_then(|file| badge::print_file(lp_command, queue, &file));
            if let Err(e) = printed {
                tracing::warn!(code = e.code(), error = %e, "the queue ticket was not printed");
            }
        }
        Ok(QueueTicket {
            id: ticket.id.to_string(),
            number,
            label: ticket.label,
            desk,
            issued_at_ms: now,
        })
    }

    /// Makes the participant's badge: a fresh ticket sealed with the event's newest key (the
    /// gates accept it like any other), rendered as a PDF, saved in the profile's `badge_dir`
    /// (relative to the data folder; `badges` by default) and sent to the CUPS queue when the
    /// profile names one. `printed` is true only when `lp` took the job.
    pub fn print_badge(&self, participant_id: &str) -> Result<PrintOutcome, CommandError> {
        self.print_badge_with(participant_id, "lp")
    }

    /// Where badges and queue tickets are written: the profile's `badge_dir`, relative paths
    /// inside the data folder.
    fn badge_dir(&self, printer: &PrinterSettings) -> PathBuf {
        self.config
            .data
            .join(printer.badge_dir.as_deref().unwrap_or(Path::new("badges")))
    }

    fn print_badge_with(
        &self,
        participant_id: &str,
        lp_command: &str,
    ) -> Result<PrintOutcome, CommandError> {
        let who = self.participant(participant_id)?;
        let gate = lock(&self.gate);
        let station = gate.station.as_ref().ok_or_else(CommandError::not_paired)?;
        let store = station.store();
        let pairing = store.require_pairing()?;
        let now = now_ms();
        let ticket = badge_ticket(store, &pairing, &who, now)?;
        let rendered = badge::render(&badge::Badge {
            event: &pairing.event_name,
            name: &who.full_name,
            organisation: who.organisation.as_deref(),
            category: &who.category,
            registration_code: &who.registration_code,
            qr_text: &ticket,
        })
        .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
        let printer = gate.profile.printer.clone();
        drop(gate);
        let file = badge::save(
            &rendered.pdf,
            &self.badge_dir(&printer),
            &who.registration_code,
            now,
        )
        .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
        let printed = match &printer.queue {
            Some(queue) => {
                let job = badge::print_file(lp_command, queue, &file)
                    .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
                tracing::info!(participant = %who.id, queue, job, "badge sent to the printer");
                true
            }
            None => {
                tracing::info!(participant = %who.id, file = %file.display(), "badge saved");
                false
            }
        };
        self.record_badge(who.id, printed);
        Ok(PrintOutcome {
            printed,
            file: Some(file.display().to_string()),
        })
    }

    /// Puts the badge in the visit of the person it was made for (kiosk mode only).
    fn record_badge(&self, who: ParticipantId, printed: bool) {
        let mut guard = lock(&self.gate);
        let gate = &mut *guard;
        if gate.mode != Mode::Kiosk {
            return;
        }
        let recorded = match gate.visit_of(Some(who), None, now_ms()) {
            Ok(visit) => {
                visit.badge = Some(if printed {
                    BadgeOutcome::Printed
                } else {
                    BadgeOutcome::Saved
                });
                gate.save_visit()
            }
            Err(e) => Err(e),
        };
        drop(guard);
        match recorded {
            Ok(()) => self.nudge_sync(),
            Err(e) => {
                tracing::warn!(code = %e.code, error = %e.message, "the badge was not recorded in the visit")
            }
        }
    }

    pub fn verify_admin_pin(&self, pin: &str) -> Result<bool, CommandError> {
        let profile = self.profile();
        let answer = lock(&self.pins).attempt(now_ms(), || profile.verify_pin(pin));
        match answer {
            PinAnswer::Accepted => {
                self.kiosk_unlocked.store(true, Ordering::SeqCst);
                Ok(true)
            }
            PinAnswer::Refused => Ok(false),
            PinAnswer::LockedUntil(until) => Err(CommandError::new(
                "pin_locked",
                format!(
                    "Too many wrong PINs: try again in {} s.",
                    ((until - now_ms()) / 1000).max(1)
                ),
            )),
        }
    }

    /// Leaves kiosk mode after a verified PIN; the window is unlocked by the caller.
    pub fn exit_kiosk(&self) -> Result<(), CommandError> {
        if !self.kiosk_unlocked.swap(false, Ordering::SeqCst) {
            return Err(CommandError::new(
                "pin_required",
                "Enter the admin PIN before leaving kiosk mode.",
            ));
        }
        if let Err(e) = self.kiosk_session_end(None) {
            tracing::warn!(code = %e.code, error = %e.message, "the last kiosk visit was not closed");
        }
        lock(&self.gate).mode = Mode::Gate;
        Ok(())
    }

    /// Waits until the gate can scan, checking every `step`; `false` if `give_up` says so.
    pub fn wait_ready(&self, step: Duration, give_up: impl Fn() -> bool) -> bool {
        while !self.ready_to_scan() {
            if give_up() {
                return false;
            }
            std::thread::sleep(step);
        }
        true
    }
}

/// A fresh ticket for `who`, sealed with the event's newest key: what a badge's QR carries.
fn badge_ticket(
    store: &Store,
    pairing: &gatehouse_sync::Pairing,
    who: &gatehouse_core::Participant,
    now: Millis,
) -> Result<String, CommandError> {
    cache::event_keys(store.conn(), pairing.tenant_id, pairing.event_id)?
        .issue(
            &TicketClaims {
                participant_id: who.id,
                issued_at: now,
                credential_seq: who.credential_seq,
            },
            rand::random(),
        )
        .map_err(|e| {
            CommandError::new(
                "badge_ticket",
                format!("This kiosk cannot issue a ticket yet ({e}): sync it first."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_profile_is_a_gate_with_every_language() {
        let p = default_profile();
        assert_eq!(p.mode, Mode::Gate);
        assert_eq!(p.languages, ["en", "fr", "am", "ar"]);
    }

    #[test]
    fn a_short_text_typed_by_staff_is_a_registration_code_even_when_garbage() {
        assert!(matches!(
            presented("hello", Source::Manual),
            Presented::RegistrationCode(t) if t == "hello"
        ));
    }

    #[test]
    fn a_long_text_from_a_scanner_is_a_ticket_payload() {
        let text = "A".repeat(92);
        assert!(matches!(
            presented(&format!("{text}\r\n"), Source::Wedge),
            Presented::Payload(t) if t == text
        ));
    }

    #[test]
    fn the_kiosk_asks_for_registration_and_help_and_gets_the_profiles_desk_names() {
        let desks = vec!["Accreditation".to_owned(), "Help desk".to_owned()];
        assert_eq!(
            Runtime::desk_name(&desks, "registration").unwrap(),
            "Accreditation"
        );
        assert_eq!(Runtime::desk_name(&desks, "help").unwrap(), "Help desk");
        assert_eq!(
            Runtime::desk_name(&desks, "help desk").unwrap(),
            "Help desk"
        );
        assert_eq!(
            Runtime::desk_name(&[], "registration").unwrap(),
            "Registration"
        );
        assert_eq!(
            Runtime::desk_name(&desks, "bar").unwrap_err().code,
            "unknown_desk"
        );
    }

    #[test]
    fn the_status_bar_learns_what_the_camera_loop_is_doing() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(
            Config {
                data: dir.path().join("state"),
                profile_file: None,
                profiles_dir: PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../kiosk-profiles"
                )),
                server: None,
            },
            Clock::system(),
        )
        .unwrap();
        assert_eq!(rt.status().unwrap().camera, "starting");
        rt.set_camera_state(CameraState::Off);
        assert_eq!(rt.status().unwrap().camera, "off");
        rt.set_camera_state(CameraState::Unavailable);
        assert_eq!(rt.status().unwrap().camera, "unavailable");
    }

    #[test]
    fn an_unpaired_device_shows_the_pairing_screen_and_refuses_to_scan() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(
            Config {
                data: dir.path().join("state"),
                profile_file: None,
                profiles_dir: PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../kiosk-profiles"
                )),
                server: None,
            },
            Clock::system(),
        )
        .unwrap();
        let state = rt.app_state().unwrap();
        assert!(!state.paired);
        assert!(state.available_profiles.contains(&"gate-laptop".to_owned()));
        assert_eq!(
            rt.scan("ABCD-2345", Source::Manual).unwrap_err().code,
            "not_paired"
        );
        assert_eq!(rt.exit_kiosk().unwrap_err().code, "pin_required");
    }

    #[test]
    fn kiosk_find_rejects_a_malformed_date_of_birth() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(
            Config {
                data: dir.path().to_path_buf(),
                profile_file: None,
                profiles_dir: dir.path().to_path_buf(),
                server: None,
            },
            Clock::system(),
        )
        .unwrap();
        let bad = KioskFindArgs {
            name: "Zoe".into(),
            date_of_birth: "25/04/1990".into(),
        };
        assert_eq!(rt.kiosk_find(&bad).unwrap_err().code, "bad_date_of_birth");
    }

    /// A paired device holding one hall, an entry gate and two people, fed through the same feed
    /// path a real sync uses (no server needed).
    mod paired {
        use super::*;
        use gatehouse_core::protocol::{Change, FeedEntry, FeedPage, KeyRecord};
        use gatehouse_core::{
            CheckpointId, DeviceId, Direction, EventId, EventKeys, Participant, ParticipantStatus,
            TenantId, TicketClaims, TicketKey, Zone, ZoneId,
        };
        use gatehouse_sync::engine::apply_page;
        use gatehouse_sync::Pairing;
        use uuid::Uuid;

        const TENANT: TenantId = TenantId(Uuid::from_u128(0x7e4a47));
        const EVENT: EventId = EventId(Uuid::from_u128(0xe7e47));
        const HALL: ZoneId = ZoneId(Uuid::from_u128(0x4a11));
        const ENTRY: CheckpointId = CheckpointId(Uuid::from_u128(0xe1));
        const SECRET: [u8; 32] = [0x42; 32];

        fn person(n: u128, name: &str) -> Participant {
            Participant {
                id: ParticipantId(Uuid::from_u128(0x9000_0000 + n)),
                event_id: EVENT,
                full_name: name.to_owned(),
                organisation: Some("Delegation".to_owned()),
                category: "delegate".to_owned(),
                status: ParticipantStatus::Approved,
                zones: vec![HALL],
                valid_from: None,
                valid_until: None,
                credential_seq: 1,
                blocked: false,
                registration_code: RegistrationCode::generate((n as u64).to_be_bytes()).display(),
                birth_check: None,
            }
        }

        fn ticket(p: &Participant) -> String {
            let mut keys = EventKeys::new(TENANT, EVENT);
            keys.insert(TicketKey::new(1, SECRET));
            keys.issue(
                &TicketClaims {
                    participant_id: p.id,
                    issued_at: 1_700_000_000_000,
                    credential_seq: p.credential_seq,
                },
                [7; 12],
            )
            .unwrap()
        }

        struct Device {
            _dir: tempfile::TempDir,
            config: Config,
            people: Vec<Participant>,
        }

        const PROFILE: &str = "name = \"test-gate\"\nmode = \"gate\"\n\
            [sound]\nenabled = false\n\
            [actions]\noverride = true\nmanual_entry = true\nsearch = true\n";

        fn device(profile_text: &str) -> Device {
            device_with(profile_text, Vec::new())
        }

        /// A device whose cache holds Zoë, Amina and then `others`.
        fn device_with(profile_text: &str, others: Vec<Participant>) -> Device {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("state");
            let mut people = vec![person(1, "Zoë Ndlovu"), person(2, "Amina Tesfaye")];
            // The server knows Amina's date of birth, not Zoë's.
            people[1].birth_check = gatehouse_core::birth_check(people[1].id, AMINA_BORN);
            people.extend(others);
            let mut store = Store::open(&data, Durability::Normal).unwrap();
            store
                .save_pairing(&Pairing {
                    server_url: "http://127.0.0.1:9".to_owned(),
                    device_id: DeviceId(Uuid::from_u128(0xde1)),
                    device_name: "Gate A".to_owned(),
                    device_token: "token".to_owned(),
                    tenant_id: TENANT,
                    event_id: EVENT,
                    event_name: "Summit".to_owned(),
                    profile: None,
                })
                .unwrap();
            let mut changes = vec![
                Change::Zone(Zone {
                    id: HALL,
                    event_id: EVENT,
                    name: "Plenary hall".to_owned(),
                    capacity: Some(1000),
                    multiple_entry: false,
                }),
                Change::Checkpoint(Checkpoint {
                    id: ENTRY,
                    event_id: EVENT,
                    zone_id: HALL,
                    name: "Main entrance".to_owned(),
                    direction: Direction::Entry,
                    active: true,
                }),
                Change::Key(KeyRecord {
                    key_id: 1,
                    secret_hex: TicketKey::new(1, SECRET).secret_hex(),
                    retired: false,
                }),
            ];
            changes.extend(people.iter().cloned().map(Change::Participant));
            let entries: Vec<FeedEntry> = changes
                .into_iter()
                .enumerate()
                .map(|(i, change)| FeedEntry {
                    seq: i as i64 + 1,
                    change,
                })
                .collect();
            let page = FeedPage {
                event_id: EVENT,
                tenant_id: TENANT,
                cursor: entries.len() as i64,
                entries,
                more: false,
                server_time: 1_700_000_000_000,
            };
            apply_page(&mut store, &page, 0).unwrap();
            let profile_file = dir.path().join("test-gate.toml");
            std::fs::write(&profile_file, profile_text).unwrap();
            Device {
                config: Config {
                    data,
                    profile_file: Some(profile_file),
                    profiles_dir: dir.path().to_path_buf(),
                    server: None,
                },
                _dir: dir,
                people,
            }
        }

        fn open(d: &Device) -> Runtime {
            Runtime::open(d.config.clone(), Clock::system()).unwrap()
        }

        fn at_the_entrance(rt: &Runtime) {
            rt.select_checkpoint(SelectCheckpointArgs {
                checkpoint_id: "Main entrance".into(),
                direction: None,
            })
            .unwrap();
        }

        #[test]
        fn a_paired_device_lists_its_checkpoints_and_scans_only_once_one_is_chosen() {
            let d = device(PROFILE);
            let rt = open(&d);
            let state = rt.app_state().unwrap();
            assert!(state.paired);
            assert_eq!(state.device.unwrap().event_name, "Summit");
            assert_eq!(state.checkpoints[0].name, "Main entrance");
            assert_eq!(state.checkpoints[0].zone, "Plenary hall");
            assert_eq!(
                rt.scan(&ticket(&d.people[0]), Source::Camera)
                    .unwrap_err()
                    .code,
                "no_checkpoint"
            );
            at_the_entrance(&rt);
            assert_eq!(
                rt.scan(&ticket(&d.people[0]), Source::Camera)
                    .unwrap()
                    .verdict,
                "VALID"
            );
        }

        #[test]
        fn second_entry_is_already_scanned_and_a_supervisor_can_override_it_with_a_reason() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            let first = rt.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
            assert_eq!(first.participant.as_ref().unwrap().name, "Zoë Ndlovu");
            let again = rt.scan(&ticket(&d.people[0]), Source::Wedge).unwrap();
            assert_eq!(
                (again.verdict, again.reason_code),
                ("ALREADY_SCANNED", "already_inside")
            );

            let no_reason = OverrideArgs {
                scan_id: again.scan_id.clone(),
                reason: "  ".into(),
            };
            assert_eq!(
                rt.override_scan(no_reason).unwrap_err().code,
                "reason_required"
            );
            let not_refused = OverrideArgs {
                scan_id: first.scan_id.clone(),
                reason: "x".into(),
            };
            assert_eq!(
                rt.override_scan(not_refused).unwrap_err().code,
                "not_overridable"
            );

            let over = rt
                .override_scan(OverrideArgs {
                    scan_id: again.scan_id,
                    reason: "Lost wristband".into(),
                })
                .unwrap();
            assert_eq!(
                (over.verdict, over.reason_code),
                ("MANUAL_OVERRIDE", "admitted_on_override")
            );
            let recent: Vec<_> = rt.recent_scans(10).into_iter().map(|r| r.verdict).collect();
            assert_eq!(recent, ["MANUAL_OVERRIDE", "ALREADY_SCANNED", "VALID"]);
            assert_eq!(rt.status().unwrap().outbox_depth, 3);
        }

        #[test]
        fn a_profile_without_overrides_refuses_them() {
            let d = device(&PROFILE.replace("override = true", "override = false"));
            let rt = open(&d);
            at_the_entrance(&rt);
            rt.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
            let again = rt.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
            let args = OverrideArgs {
                scan_id: again.scan_id,
                reason: "VIP".into(),
            };
            assert_eq!(
                rt.override_scan(args).unwrap_err().code,
                "override_forbidden"
            );
        }

        #[test]
        fn a_typed_registration_code_admits_and_garbage_is_answered_not_failed() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            let code = d.people[1].registration_code.to_lowercase();
            let typed = rt.scan(&code, Source::Manual).unwrap();
            assert_eq!(typed.verdict, "VALID");
            assert_eq!(typed.participant.unwrap().name, "Amina Tesfaye");
            let garbage = rt.scan("hello", Source::Manual).unwrap();
            assert_eq!(
                (garbage.verdict, garbage.reason_code),
                ("INVALID", "bad_registration_code")
            );
        }

        #[test]
        fn search_finds_people_by_name_without_accents() {
            let d = device(PROFILE);
            let rt = open(&d);
            let hits = rt.search("zoe", 21).unwrap();
            assert_eq!(hits.len(), 1);
            assert_eq!(hits[0].name, "Zoë Ndlovu");
            assert_eq!(hits[0].status, "approved");
        }

        #[test]
        fn the_checkpoint_and_recent_scans_survive_a_restart() {
            let d = device(PROFILE);
            let scan_id = {
                let rt = open(&d);
                at_the_entrance(&rt);
                rt.scan(&ticket(&d.people[0]), Source::Camera)
                    .unwrap()
                    .scan_id
            };
            let rt = open(&d);
            let state = rt.app_state().unwrap();
            assert_eq!(state.checkpoint_id, Some(ENTRY.to_string()));
            let recent = rt.recent_scans(50);
            assert_eq!(recent[0].scan_id, scan_id);
            assert_eq!(recent[0].participant.as_ref().unwrap().name, "Zoë Ndlovu");
        }

        #[test]
        fn a_kiosk_check_in_goes_through_the_same_decision_as_a_scan() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            let id = d.people[1].id.to_string();
            assert_eq!(rt.kiosk_check_in(&id).unwrap().verdict, "VALID");
            assert_eq!(rt.kiosk_check_in(&id).unwrap().verdict, "ALREADY_SCANNED");
            assert_eq!(
                rt.kiosk_check_in("nobody").unwrap_err().code,
                "bad_participant_id"
            );
            assert!(!rt.print_badge(&id).unwrap().printed);
        }

        #[test]
        fn a_kiosk_badge_is_saved_without_a_printer_and_sent_to_the_queue_with_one() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            let id = d.people[1].id.to_string();
            let saved = rt.print_badge(&id).unwrap();
            assert!(!saved.printed);
            let file = PathBuf::from(saved.file.unwrap());
            assert!(file.starts_with(d.config.data.join("badges")));
            assert!(std::fs::read(&file).unwrap().starts_with(b"%PDF-1.4"));

            let queued = device(&format!("{PROFILE}[printer]\nqueue = \"badges\"\n"));
            let rt = open(&queued);
            at_the_entrance(&rt);
            let id = queued.people[1].id.to_string();
            // `true` and `false` stand in for CUPS's lp (no print server here).
            assert!(rt.print_badge_with(&id, "true").unwrap().printed);
            let refused = rt.print_badge_with(&id, "false").unwrap_err();
            assert_eq!(refused.code, "printer_failed");

            // A queue ticket is printed beside the badges; a printer fault never costs the number.
            let first = rt.queue_ticket_with("registration", "true").unwrap();
            let second = rt.queue_ticket_with("registration", "false").unwrap();
            assert_eq!((first.number, second.number), (1, 2));
            assert_eq!(
                (first.label.as_str(), second.label.as_str()),
                ("R-001", "R-002")
            );
            // Each printed ticket is filed under the label the desk calls out.
            let mut tickets: Vec<String> = std::fs::read_dir(queued.config.data.join("badges"))
                .unwrap()
                .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("queue-"))
                .collect();
            tickets.sort();
            assert_eq!(tickets.len(), 2, "{tickets:?}");
            assert!(tickets[0].starts_with("queue-R-001-"), "{tickets:?}");
            assert!(tickets[1].starts_with("queue-R-002-"), "{tickets:?}");
        }

        #[test]
        fn the_ticket_on_a_kiosk_badge_is_admitted_at_the_gate() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            let who = d.people[0].clone();
            let ticket = {
                let gate = lock(&rt.gate);
                let store = gate.station.as_ref().unwrap().store();
                badge_ticket(store, &store.require_pairing().unwrap(), &who, now_ms()).unwrap()
            };
            let scan = rt.scan(&ticket, Source::Camera).unwrap();
            assert_eq!(scan.verdict, "VALID");
            assert_eq!(scan.participant.unwrap().name, who.full_name);
        }

        #[test]
        fn queue_numbers_count_up_per_desk() {
            let d = device(PROFILE);
            let rt = open(&d);
            assert_eq!(rt.queue_ticket("registration").unwrap().number, 1);
            assert_eq!(rt.queue_ticket("registration").unwrap().number, 2);
            let help = rt.queue_ticket("help").unwrap();
            assert_eq!((help.number, help.desk.as_str()), (1, "Help desk"));
        }

        const AMINA_BORN: &str = "1990-04-25";

        #[test]
        fn a_kiosk_finds_an_attendee_by_name_and_date_of_birth_only_when_both_agree() {
            let d = device(KIOSK);
            let rt = open(&d);
            let find = |name: &str, born: &str| {
                rt.kiosk_find(&KioskFindArgs {
                    name: name.into(),
                    date_of_birth: born.into(),
                })
                .unwrap()
                .into_iter()
                .map(|h| h.name)
                .collect::<Vec<_>>()
            };
            assert_eq!(find("amina", AMINA_BORN), ["Amina Tesfaye"]);
            assert_eq!(find("Tesfaye", AMINA_BORN), ["Amina Tesfaye"]);
            assert!(
                find("Amina", "1990-04-26").is_empty(),
                "a wrong date lists nobody"
            );
            assert!(find("Zoe", AMINA_BORN).is_empty(), "another person's date");
            assert!(find("a", AMINA_BORN).is_empty(), "too short a name");
            // The one found checks in from the list like any kiosk attendee.
            let hit = rt
                .kiosk_find(&KioskFindArgs {
                    name: "Amina".into(),
                    date_of_birth: AMINA_BORN.into(),
                })
                .unwrap();
            at_the_entrance(&rt);
            assert_eq!(rt.kiosk_check_in(&hit[0].id).unwrap().verdict, "VALID");
        }

        #[test]
        fn a_common_first_name_still_finds_the_one_born_that_day() {
            // 400 other Aminas, whose names sort before Amina Tesfaye's.
            let others = (0..400)
                .map(|n| person(100 + n, &format!("Amina Abebe {n:03}")))
                .collect();
            let d = device_with(KIOSK, others);
            let rt = open(&d);
            let found = rt
                .kiosk_find(&KioskFindArgs {
                    name: "Amina".into(),
                    date_of_birth: AMINA_BORN.into(),
                })
                .unwrap();
            let names: Vec<&str> = found.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names, ["Amina Tesfaye"]);
        }

        #[test]
        fn a_printed_queue_ticket_shows_the_venues_time() {
            // 2026-12-02 07:05 UTC is 10:05 in Addis Ababa (UTC+3).
            let at = 1_796_195_100_000;
            let addis = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
            assert_eq!(clock_time(at, &addis), "10:05");
            assert_eq!(clock_time(at, &chrono::Utc), "07:05");
        }

        #[test]
        fn two_kiosks_at_one_desk_hand_out_labels_of_their_own_series() {
            let first = device(PROFILE);
            let second = device(&PROFILE.replacen("[sound]", "queue_series = \"B\"\n[sound]", 1));
            let a = open(&first).queue_ticket("registration").unwrap();
            let b = open(&second).queue_ticket("registration").unwrap();
            assert_eq!((a.number, b.number), (1, 1));
            assert_eq!((a.label.as_str(), b.label.as_str()), ("R-001", "RB-001"));
        }

        const KIOSK: &str = "name = \"test-kiosk\"\nmode = \"kiosk\"\n\
            [sound]\nenabled = false\n\
            [actions]\noverride = false\nmanual_entry = true\nsearch = true\n";

        fn visits(d: &Device) -> Vec<KioskSession> {
            kiosk::sessions(&Store::open(&d.config.data, Durability::Normal).unwrap()).unwrap()
        }

        #[test]
        fn a_kiosk_check_in_badge_and_queue_ticket_make_one_visit_with_every_outcome() {
            let d = device(KIOSK);
            let rt = open(&d);
            at_the_entrance(&rt);
            let amina = d.people[1].id.to_string();
            assert_eq!(rt.kiosk_check_in(&amina).unwrap().verdict, "VALID");
            assert!(!rt.print_badge(&amina).unwrap().printed);
            let number = rt.queue_ticket("registration").unwrap();
            assert_eq!((number.number, number.label.as_str()), (1, "R-001"));
            rt.kiosk_session_end(Some("fr")).unwrap();
            rt.kiosk_session_end(Some("en")).unwrap(); // nothing open: nothing changes

            let visits = visits(&d);
            assert_eq!(visits.len(), 1);
            let visit = &visits[0];
            assert_eq!(visit.participant_id, Some(d.people[1].id));
            assert_eq!(visit.identified_by, Some(Identification::Search));
            assert_eq!(visit.verdict, Some(Verdict::Valid));
            assert_eq!(visit.outcome(), "checked_in");
            assert_eq!(visit.badge, Some(BadgeOutcome::Saved));
            assert_eq!(
                visit.queue_ticket_id.map(|t| t.to_string()),
                Some(number.id.clone())
            );
            assert_eq!(visit.language.as_deref(), Some("fr"));
            assert!(visit.ended_at.is_some_and(|end| end >= visit.started_at));
            let store = Store::open(&d.config.data, Durability::Normal).unwrap();
            let tickets = kiosk::tickets(&store).unwrap();
            assert_eq!(tickets.len(), 1);
            assert_eq!(tickets[0].session_id, Some(visit.id));
            assert_eq!(tickets[0].desk, "Registration");
            // One visit and one ticket wait for the server beside the scan.
            let status = rt.status().unwrap();
            assert_eq!((status.outbox_depth, status.kiosk_outbox_depth), (1, 2));
        }

        #[test]
        fn the_next_attendee_ends_the_last_ones_visit_and_a_misread_opens_none() {
            let d = device(KIOSK);
            let rt = open(&d);
            at_the_entrance(&rt);
            let typed = d.people[0].registration_code.clone();
            assert_eq!(rt.scan(&typed, Source::Manual).unwrap().verdict, "VALID");
            assert_eq!(rt.scan("hello", Source::Manual).unwrap().verdict, "INVALID");
            assert_eq!(visits(&d).len(), 1, "a misread identifies nobody");
            let next = rt.scan(&ticket(&d.people[1]), Source::Camera).unwrap();
            assert_eq!(next.verdict, "VALID");

            let visits = visits(&d);
            assert_eq!(visits.len(), 2);
            let (first, second) = (&visits[0], &visits[1]);
            assert_eq!(first.participant_id, Some(d.people[0].id));
            assert_eq!(first.identified_by, Some(Identification::Code));
            assert!(first.ended_at.is_some(), "ended by the next attendee");
            assert_eq!(second.participant_id, Some(d.people[1].id));
            assert_eq!(second.identified_by, Some(Identification::Scan));
            assert_eq!(second.scan_id.map(|s| s.to_string()), Some(next.scan_id));
            assert_eq!(second.ended_at, None, "still at the kiosk");
        }

        #[test]
        fn a_visit_keeps_the_language_it_was_made_in_when_the_next_attendee_ends_it() {
            let d = device(KIOSK);
            let rt = open(&d);
            at_the_entrance(&rt);
            rt.kiosk_language("fr");
            let typed = d.people[0].registration_code.clone();
            assert_eq!(rt.scan(&typed, Source::Manual).unwrap().verdict, "VALID");
            // The next attendee switches to Arabic before showing their badge to the camera.
            rt.kiosk_language("ar");
            rt.kiosk_language("<script>"); // not a language: ignored
            rt.scan(&ticket(&d.people[1]), Source::Camera).unwrap();
            let visits = visits(&d);
            assert_eq!(visits.len(), 2);
            assert_eq!(visits[0].language.as_deref(), Some("fr"));
            assert!(visits[0].ended_at.is_some());
            assert_eq!(visits[1].language.as_deref(), Some("ar"));
        }

        #[test]
        fn someone_nobody_could_identify_still_gets_a_visit_with_a_help_desk_number() {
            let d = device(KIOSK);
            let rt = open(&d);
            let help = rt.queue_ticket("help").unwrap();
            assert_eq!(help.label, "H-001");
            rt.kiosk_session_end(Some("ar")).unwrap();
            let visits = visits(&d);
            assert_eq!(visits.len(), 1);
            assert_eq!(visits[0].outcome(), "help");
            assert_eq!(visits[0].language.as_deref(), Some("ar"));
        }

        #[test]
        fn a_gate_records_no_visits_but_queues_its_tickets() {
            let d = device(PROFILE);
            let rt = open(&d);
            at_the_entrance(&rt);
            rt.scan(&ticket(&d.people[0]), Source::Camera).unwrap();
            rt.queue_ticket("registration").unwrap();
            rt.kiosk_session_end(Some("en")).unwrap();
            assert!(visits(&d).is_empty());
            assert_eq!(rt.status().unwrap().kiosk_outbox_depth, 1);
        }

        #[test]
        fn without_an_admin_pin_the_kiosk_cannot_be_left() {
            let d = device(PROFILE);
            let rt = open(&d);
            assert!(!rt.verify_admin_pin("1234").unwrap());
            assert_eq!(rt.exit_kiosk().unwrap_err().code, "pin_required");
        }
    }
}
