/**
 * A test double of the backend contract for unit tests only (never imported by the app): canned
 * answers, a log of calls, and methods to fire the Tauri events a screen listens to.
 */

import type {
  AppState,
  Backend,
  CameraFrame,
  DeviceStatus,
  KioskMatch,
  PrintOutcome,
  QueueTicket,
  ScanResult,
  SearchHit,
  Unlisten,
} from '../backend';

export function profile(overrides: Partial<AppState['profile']> = {}): AppState['profile'] {
  return {
    name: 'gate-laptop',
    allow_override: true,
    allow_manual_entry: true,
    allow_search: true,
    idle_timeout_s: 30,
    languages: ['en', 'fr', 'am', 'ar'],
    default_language: 'en',
    theme: 'default',
    high_contrast: false,
    ...overrides,
  };
}

export function gateState(overrides: Partial<AppState> = {}): AppState {
  return {
    paired: true,
    mode: 'gate',
    profile: profile(),
    device: { name: 'Gate 3 laptop', event_name: 'Addis Summit 2026' },
    checkpoints: [
      { id: 'cp-main', name: 'Main entrance', direction: 'both', zone: 'Plenary hall' },
      { id: 'cp-exit', name: 'North exit', direction: 'exit', zone: 'Plenary hall' },
    ],
    checkpoint_id: 'cp-main',
    direction: null,
    ...overrides,
  };
}

let seq = 0;
export function result(overrides: Partial<ScanResult> = {}): ScanResult {
  seq += 1;
  return {
    scan_id: `scan-${seq}`,
    verdict: 'VALID',
    reason_code: 'admitted',
    reason: 'Access granted.',
    participant: { id: 'p-1', name: 'Amina Tesfaye', category: 'Delegate', organisation: 'AU Commission' },
    movement: 'in',
    warnings: [],
    ms: 0.8,
    at_ms: Date.UTC(2026, 10, 22, 7, 0, 0),
    ...overrides,
  };
}

type Handler<T> = (cb: (payload: T) => void) => Promise<Unlisten>;

class Channel<T> {
  private readonly listeners = new Set<(p: T) => void>();
  readonly listen: Handler<T> = (cb) => {
    this.listeners.add(cb);
    return Promise.resolve(() => this.listeners.delete(cb));
  };
  emit(payload: T): void {
    for (const cb of this.listeners) cb(payload);
  }
  get count(): number {
    return this.listeners.size;
  }
}

export interface Call {
  command: string;
  args?: unknown;
}

export class FakeBackend implements Backend {
  calls: Call[] = [];
  state: AppState = gateState();
  /** What `scan` answers; a function gets the args. */
  scanAnswer: (args: { text: string; source: string }) => Promise<ScanResult> = () =>
    Promise.resolve(result());
  overrideAnswer: (args: { scan_id: string; reason: string }) => Promise<ScanResult> = (args) =>
    Promise.resolve(
      result({ scan_id: args.scan_id, verdict: 'MANUAL_OVERRIDE', reason_code: 'admitted_on_override' }),
    );
  searchAnswer: (args: { query: string; limit: number }) => Promise<SearchHit[]> = () => Promise.resolve([]);
  recent: ScanResult[] = [];
  deviceStatus: DeviceStatus = { online: true, last_sync_ms: Date.UTC(2026, 10, 22, 6, 59), outbox_depth: 0 };
  matches: KioskMatch[] = [];
  pin = '4321';
  exited = false;

  readonly verdicts = new Channel<ScanResult>();
  readonly statuses = new Channel<DeviceStatus>();
  readonly frames = new Channel<CameraFrame>();

  private log<T>(command: string, args: unknown, answer: Promise<T> | T): Promise<T> {
    this.calls.push({ command, args });
    return Promise.resolve(answer);
  }

  callsTo(command: string): Call[] {
    return this.calls.filter((c) => c.command === command);
  }

  appState = () => this.log('app_state', undefined, this.state);
  pair = (args: Parameters<Backend['pair']>[0]) => {
    this.state = { ...this.state, paired: true };
    return this.log('pair', args, this.state);
  };
  selectCheckpoint = (args: Parameters<Backend['selectCheckpoint']>[0]) => {
    this.state = { ...this.state, checkpoint_id: args.checkpoint_id, direction: args.direction };
    return this.log('select_checkpoint', args, this.state);
  };
  scan = (args: Parameters<Backend['scan']>[0]) => this.log('scan', args, this.scanAnswer(args));
  overrideScan = (args: Parameters<Backend['overrideScan']>[0]) =>
    this.log('override_scan', args, this.overrideAnswer(args));
  search = (args: Parameters<Backend['search']>[0]) => this.log('search', args, this.searchAnswer(args));
  recentScans = (args: Parameters<Backend['recentScans']>[0]) => this.log('recent_scans', args, this.recent);
  status = () => this.log('status', undefined, this.deviceStatus);
  kioskFind = (args: Parameters<Backend['kioskFind']>[0]) => this.log('kiosk_find', args, this.matches);
  kioskCheckIn = (args: Parameters<Backend['kioskCheckIn']>[0]) =>
    this.log(
      'kiosk_check_in',
      args,
      result({ participant: { id: args.participant_id, name: 'Amina Tesfaye', category: 'Delegate' } }),
    );
  queueTicket = (args: Parameters<Backend['queueTicket']>[0]) =>
    this.log<QueueTicket>('queue_ticket', args, {
      number: 42,
      label: `${args.desk.charAt(0).toUpperCase()}-042`,
      desk: args.desk,
      issued_at_ms: 0,
    });
  kioskSessionEnd = (args: Parameters<Backend['kioskSessionEnd']>[0]) =>
    this.log('kiosk_session_end', args, undefined);
  kioskLanguage = (args: Parameters<Backend['kioskLanguage']>[0]) =>
    this.log('kiosk_language', args, undefined);
  /** What `print_badge` answers: printed by default; a saved file when the kiosk has no printer. */
  printOutcome: PrintOutcome = { printed: true };
  printBadge = (args: Parameters<Backend['printBadge']>[0]) =>
    this.log<PrintOutcome>('print_badge', args, this.printOutcome);
  verifyAdminPin = (args: Parameters<Backend['verifyAdminPin']>[0]) =>
    this.log('verify_admin_pin', args, args.pin === this.pin);
  exitKiosk = () => {
    this.exited = true;
    this.state = { ...this.state, mode: 'gate' };
    return this.log('exit_kiosk', undefined, undefined);
  };
  onVerdict = (cb: (r: ScanResult) => void) => this.verdicts.listen(cb);
  onStatus = (cb: (s: DeviceStatus) => void) => this.statuses.listen(cb);
  onCameraFrame = (cb: (f: CameraFrame) => void) => this.frames.listen(cb);
}

/** Lets pending promises (backend answers) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
