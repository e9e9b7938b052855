/**
 * The one door between the web front end and the Rust side of the Gatehouse app.
 *
 * Every screen talks to the device runtime through the {@link Backend} interface below and
 * nothing else: the Tauri implementation ({@link tauriBackend}) calls Tauri commands with
 * `invoke` and listens to Tauri events with `listen`; unit tests pass a test double with the same
 * interface. `ui/BACKEND.md` restates this contract for the engineer who implements it in Rust.
 *
 * Wire conventions (what the Rust side implements):
 * - Command names are snake_case (`app_state`, `select_checkpoint`, ...).
 * - A command that takes input takes exactly ONE parameter named `args`, a struct with the
 *   snake_case fields listed here: `#[tauri::command] async fn pair(args: PairArgs) -> ...`.
 *   JavaScript sends `invoke('pair', { args: { server_url, pairing_code, profile } })`.
 * - Every command returns `Result<T, CommandError>`; the error serialises as
 *   `{ code: string, message: string }` ({@link CommandError}), `code` a stable machine code.
 * - Optional fields are omitted or `null` (serde `Option`), never empty strings.
 * - Times are Unix milliseconds (`*_ms`); durations in seconds say `_s`.
 */

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

// ----- Vocabulary shared with gatehouse-core (core/src/decide.rs, core/src/domain.rs) -----

/** What the gate answers (core `Verdict`, serialised SCREAMING_SNAKE_CASE). */
export const VERDICTS = [
  'VALID',
  'INVALID',
  'UNKNOWN',
  'REVOKED',
  'EXPIRED',
  'NOT_YET_VALID',
  'WRONG_ZONE',
  'ALREADY_SCANNED',
  'MANUAL_OVERRIDE',
  'BLOCKED',
  'PENDING',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Why (core `Reason::code()`); the UI translates by this code. */
export const REASON_CODES = [
  'admitted',
  'exit_recorded',
  'admitted_on_override',
  'checkpoint_closed',
  'unreadable',
  'misread',
  'unsupported_format',
  'wrong_event',
  'unknown_key',
  'forged',
  'bad_registration_code',
  'not_registered',
  'blocked',
  'reissued',
  'cancelled',
  'rejected',
  'pending_approval',
  'not_yet_valid',
  'expired',
  'no_zone_access',
  'already_inside',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Warnings shown beside a verdict without changing it (core `Warning`, tagged by `code`). */
export const WARNING_CODES = ['zone_full'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Which way people pass a checkpoint (core `Direction`). */
export type CheckpointDirection = 'entry' | 'exit' | 'both';
/** One pass: into or out of the checkpoint's zone (core `Movement`). */
export type Movement = 'in' | 'out';
/** Where a registration stands (core `ParticipantStatus`). */
export type ParticipantStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';

export type AppMode = 'gate' | 'kiosk';
export type ScanSource = 'camera' | 'wedge' | 'manual';

// ----- Data shapes -----

/** The kiosk profile the device runs under (kiosk-profiles/*.toml), as the UI needs it. */
export interface Profile {
  name: string;
  /** Whether staff may override an ALREADY_SCANNED verdict with a reason. */
  allow_override: boolean;
  /** Whether the manual registration-code entry is offered. */
  allow_manual_entry: boolean;
  /** Whether search by name is offered. */
  allow_search: boolean;
  /** Kiosk: seconds without a touch before the screen goes back to the attract screen. */
  idle_timeout_s: number;
  /** Language codes offered, e.g. `["en","fr","am","ar"]`. */
  languages: string[];
  default_language: string;
  /** Free-form theme name (`"default"`, `"dark"`); the UI falls back to default if unknown. */
  theme: string;
  /** Start in high-contrast, large-text mode. */
  high_contrast: boolean;
}

export interface DeviceInfo {
  name: string;
  event_name: string;
}

export interface CheckpointInfo {
  id: string;
  name: string;
  direction: CheckpointDirection;
  /** The zone's display name. */
  zone: string;
}

/** Everything the UI needs to choose a screen. */
export interface AppState {
  paired: boolean;
  mode: AppMode;
  profile: Profile;
  device?: DeviceInfo | null;
  checkpoints: CheckpointInfo[];
  /** The checkpoint this device scans at, once chosen. */
  checkpoint_id?: string | null;
  /** For a `both` checkpoint, the way the gate is set to; `null` lets the backend infer it. */
  direction?: Movement | null;
  /** Optional: profile names offered at pairing (kiosk-profiles/*.toml stems). */
  available_profiles?: string[] | null;
}

export interface ScanParticipant {
  id: string;
  name: string;
  category: string;
  organisation?: string | null;
  /** A URL the webview can load (e.g. a Tauri asset URL or data: URL). */
  photo_url?: string | null;
}

export interface ScanWarning {
  code: WarningCode;
  occupancy?: number | null;
  capacity?: number | null;
}

/** The answer to one scan, as decided by core `decide` and recorded by the device. */
export interface ScanResult {
  /** The scan's UUIDv7; pass it to `override_scan`. */
  scan_id: string;
  verdict: Verdict;
  reason_code: ReasonCode;
  /** The English sentence (core `Reason::sentence`); the UI shows its own translation. */
  reason: string;
  participant?: ScanParticipant | null;
  movement?: Movement | null;
  warnings: ScanWarning[];
  /** How long the backend took to decide and record, in milliseconds. */
  ms: number;
  /** When the scan happened (Unix ms). */
  at_ms: number;
}

export interface SearchHit {
  id: string;
  name: string;
  category: string;
  organisation?: string | null;
  registration_code: string;
  status: ParticipantStatus;
}

export interface ZoneOccupancy {
  zone: string;
  inside: number;
  capacity?: number | null;
}

export interface DeviceStatus {
  online: boolean;
  last_sync_ms?: number | null;
  /** Scans recorded here and not yet acknowledged by the server. */
  outbox_depth: number;
  /** Kiosk visits and queue tickets recorded here and not yet acknowledged by the server. */
  kiosk_outbox_depth?: number;
  /** Occupancy of the selected checkpoint's zone. */
  occupancy?: ZoneOccupancy | null;
  /** The camera loop: none configured, opening, frames arriving, or broken. */
  camera?: CameraState | null;
}

export type CameraState = 'off' | 'starting' | 'live' | 'unavailable';

/** A kiosk match for name + date of birth: a search hit without the status. */
export type KioskMatch = Omit<SearchHit, 'status'> & { status?: ParticipantStatus };

export interface QueueTicket {
  /** The ticket's id, as the server's queue knows it. */
  id?: string;
  number: number;
  /** What the desk calls out: the desk's initial and the number, e.g. `R-007`. */
  label?: string;
  desk: string;
  issued_at_ms: number;
}

export interface PrintOutcome {
  printed: boolean;
  /** Where the badge was written when printed to a file (PDF/PNG), if so. */
  file?: string | null;
}

export interface CameraFrame {
  /** `data:image/jpeg;base64,...` */
  data_url: string;
}

/** The error every command returns on failure. */
export interface CommandError {
  code: string;
  message: string;
}

// ----- Command arguments -----

export interface PairArgs {
  server_url: string;
  pairing_code: string;
  /** Profile name, e.g. `gate-laptop`. */
  profile: string;
}
export interface SelectCheckpointArgs {
  checkpoint_id: string;
  direction: Movement | null;
}
export interface ScanArgs {
  text: string;
  source: ScanSource;
}
export interface OverrideArgs {
  scan_id: string;
  reason: string;
}
export interface SearchArgs {
  query: string;
  limit: number;
}
export interface LimitArgs {
  limit: number;
}
export interface KioskFindArgs {
  name: string;
  /** ISO date `YYYY-MM-DD`. */
  date_of_birth: string;
}
export interface ParticipantArgs {
  participant_id: string;
}
export interface QueueTicketArgs {
  desk: string;
}
export interface KioskSessionEndArgs {
  /** The language the kiosk showed the attendee. */
  language: string | null;
}
export interface KioskLanguageArgs {
  /** The language the kiosk shows from now on. */
  language: string;
}
export interface PinArgs {
  pin: string;
}

export type Unlisten = () => void;

/** The whole contract. One method per Tauri command, one `on*` per Tauri event. */
export interface Backend {
  /** `app_state` — what screen to show: paired?, mode, profile, checkpoints, selection. */
  appState(): Promise<AppState>;
  /** `pair` — trade a one-time pairing code for a device token, load the profile. */
  pair(args: PairArgs): Promise<AppState>;
  /** `select_checkpoint` — set where (and for a `both` checkpoint which way) this gate scans. */
  selectCheckpoint(args: SelectCheckpointArgs): Promise<AppState>;
  /** `scan` — decide and record one presented code (ticket payload or registration code). */
  scan(args: ScanArgs): Promise<ScanResult>;
  /** `override_scan` — re-decide an ALREADY_SCANNED scan with a supervisor's reason. */
  overrideScan(args: OverrideArgs): Promise<ScanResult>;
  /** `search` — participants by name or code from the local cache, best first, at most `limit`. */
  search(args: SearchArgs): Promise<SearchHit[]>;
  /** `recent_scans` — this device's latest scans, newest first. */
  recentScans(args: LimitArgs): Promise<ScanResult[]>;
  /** `status` — online?, last sync, outbox depth, this zone's occupancy. */
  status(): Promise<DeviceStatus>;
  /** `kiosk_find` — the attendee finds themselves by name and date of birth. */
  kioskFind(args: KioskFindArgs): Promise<KioskMatch[]>;
  /** `kiosk_check_in` — check in the participant the attendee picked (a scan from the kiosk). */
  kioskCheckIn(args: ParticipantArgs): Promise<ScanResult>;
  /** `queue_ticket` — issue the next number at a desk. */
  queueTicket(args: QueueTicketArgs): Promise<QueueTicket>;
  /** `kiosk_session_end` — the attendee's visit is over (idle reset, "Done"): record it. */
  kioskSessionEnd(args: KioskSessionEndArgs): Promise<void>;
  /** `kiosk_language` — the kiosk switched language: the visit in progress is recorded in it. */
  kioskLanguage(args: KioskLanguageArgs): Promise<void>;
  /** `print_badge` — print (or render to file) the participant's badge. */
  printBadge(args: ParticipantArgs): Promise<PrintOutcome>;
  /** `verify_admin_pin` — true when the PIN opens the kiosk's admin exit. */
  verifyAdminPin(args: PinArgs): Promise<boolean>;
  /** `exit_kiosk` — leave fullscreen kiosk mode (after a verified PIN). */
  exitKiosk(): Promise<void>;

  /** Event `verdict`: a ScanResult from the camera loop. */
  onVerdict(cb: (r: ScanResult) => void): Promise<Unlisten>;
  /** Event `status`: the periodic DeviceStatus. */
  onStatus(cb: (s: DeviceStatus) => void): Promise<Unlisten>;
  /** Event `camera-frame`: JPEG preview frames, about 10 per second. */
  onCameraFrame(cb: (f: CameraFrame) => void): Promise<Unlisten>;
}

/** Command and event names exactly as the Rust side registers them. */
export const COMMANDS = {
  appState: 'app_state',
  pair: 'pair',
  selectCheckpoint: 'select_checkpoint',
  scan: 'scan',
  overrideScan: 'override_scan',
  search: 'search',
  recentScans: 'recent_scans',
  status: 'status',
  kioskFind: 'kiosk_find',
  kioskCheckIn: 'kiosk_check_in',
  queueTicket: 'queue_ticket',
  kioskSessionEnd: 'kiosk_session_end',
  kioskLanguage: 'kiosk_language',
  printBadge: 'print_badge',
  verifyAdminPin: 'verify_admin_pin',
  exitKiosk: 'exit_kiosk',
} as const;

export const EVENTS = {
  verdict: 'verdict',
  status: 'status',
  cameraFrame: 'camera-frame',
} as const;

/** Turns whatever a rejected promise carries into a {@link CommandError}. */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  if (e instanceof Error) return { code: 'ui_error', message: e.message };
  return { code: 'backend_error', message: String(e) };
}

/** Whether the page runs inside the Tauri webview (false in a plain browser during `npm run dev`). */
export function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

function call<T>(command: string, args?: object): Promise<T> {
  return invoke<T>(command, args ? { args } : undefined).catch((e: unknown) => {
    throw toCommandError(e);
  });
}

function on<T>(event: string, cb: (payload: T) => void): Promise<Unlisten> {
  return listen<T>(event, (e) => cb(e.payload));
}

/** The real backend: Tauri commands and events. */
export const tauriBackend: Backend = {
  appState: () => call(COMMANDS.appState),
  pair: (args) => call(COMMANDS.pair, args),
  selectCheckpoint: (args) => call(COMMANDS.selectCheckpoint, args),
  scan: (args) => call(COMMANDS.scan, args),
  overrideScan: (args) => call(COMMANDS.overrideScan, args),
  search: (args) => call(COMMANDS.search, args),
  recentScans: (args) => call(COMMANDS.recentScans, args),
  status: () => call(COMMANDS.status),
  kioskFind: (args) => call(COMMANDS.kioskFind, args),
  kioskCheckIn: (args) => call(COMMANDS.kioskCheckIn, args),
  queueTicket: (args) => call(COMMANDS.queueTicket, args),
  kioskSessionEnd: (args) => call(COMMANDS.kioskSessionEnd, args),
  kioskLanguage: (args) => call(COMMANDS.kioskLanguage, args),
  printBadge: (args) => call(COMMANDS.printBadge, args),
  verifyAdminPin: (args) => call(COMMANDS.verifyAdminPin, args),
  exitKiosk: () => call(COMMANDS.exitKiosk),
  onVerdict: (cb) => on(EVENTS.verdict, cb),
  onStatus: (cb) => on(EVENTS.status, cb),
  onCameraFrame: (cb) => on(EVENTS.cameraFrame, cb),
};
