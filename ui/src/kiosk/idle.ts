/**
 * The kiosk's idle timer: after the profile's idle timeout without a touch or a key, the kiosk
 * goes back to its attract screen and forgets the last attendee.
 */

export class IdleTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {}

  /** (Re)starts the countdown: call on every touch, key or screen change. */
  poke(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onIdle();
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  running(): boolean {
    return this.timer !== undefined;
  }
}

/** Idle timeout used when a profile gives none or a nonsense value. */
export const DEFAULT_IDLE_TIMEOUT_S = 60;

export function idleTimeoutMs(seconds: number | undefined): number {
  const s =
    typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 5
      ? seconds
      : DEFAULT_IDLE_TIMEOUT_S;
  return s * 1000;
}
