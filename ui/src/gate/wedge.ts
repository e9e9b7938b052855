/**
 * Keyboard-wedge scanner detection. A USB hand scanner "types" the code it read, far faster than
 * a person (a few ms between keys), then presses Enter. The gate listens to keys on the whole
 * window, so staff never have to focus a field before scanning; this module tells a scanner burst
 * from a person typing.
 *
 * The logic is pure ({@link WedgeDetector} takes the time of each key as an argument); the DOM
 * glue ({@link attachWedge}) only feeds it keydown events and leaves keys typed into a text field
 * (manual entry, search, override reason) alone.
 */

/** Longest gap between two keys of one scanner burst. People rarely type faster than ~60 ms. */
export const WEDGE_MAX_GAP_MS = 40;
/** Shortest code a scanner sends (registration codes and tickets are far longer). */
export const WEDGE_MIN_LENGTH = 4;

export interface WedgeOptions {
  maxGapMs?: number;
  minLength?: number;
}

export type KeyOutcome =
  /** The key ended a scanner burst: a scan was sent; the caller should `preventDefault`. */
  | 'scan'
  /** A printable key kept in the burst buffer. */
  | 'buffered'
  /** Not ours (inside a text field, a modifier chord, a slow Enter, ...). */
  | 'ignored';

export class WedgeDetector {
  private buffer = '';
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly maxGapMs: number;
  private readonly minLength: number;

  constructor(
    private readonly onScan: (text: string) => void,
    options: WedgeOptions = {},
  ) {
    this.maxGapMs = options.maxGapMs ?? WEDGE_MAX_GAP_MS;
    this.minLength = options.minLength ?? WEDGE_MIN_LENGTH;
  }

  /**
   * Feeds one keydown. `key` is `KeyboardEvent.key`; `atMs` a monotonic time; `inTextField`
   * whether the key goes into an editable element; `chord` whether Ctrl/Alt/Meta is held.
   */
  key(key: string, atMs: number, inTextField = false, chord = false): KeyOutcome {
    if (inTextField || chord) {
      this.reset();
      return 'ignored';
    }
    const fast = atMs - this.lastAt <= this.maxGapMs;
    if (key === 'Enter') {
      const text = this.buffer;
      const burst = fast && text.length >= this.minLength;
      this.reset();
      if (!burst) return 'ignored';
      this.onScan(text);
      return 'scan';
    }
    if (key.length !== 1) {
      // Shift and friends arrive between the characters of an upper-case burst: keep going.
      return 'ignored';
    }
    if (!fast) this.buffer = '';
    this.buffer += key;
    this.lastAt = atMs;
    return 'buffered';
  }

  /** Whether a fast burst is under way (more than one key within the gap). */
  inBurst(): boolean {
    return this.buffer.length > 1;
  }

  reset(): void {
    this.buffer = '';
    this.lastAt = Number.NEGATIVE_INFINITY;
  }
}

/** Whether keys aimed at `target` are typing into a field that should keep them. */
export function isTextField(target: EventTarget | null): boolean {
  if (!target || !(target instanceof Element)) return false;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    const nonText = ['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'];
    return !nonText.includes(target.type);
  }
  return (target as HTMLElement).isContentEditable || target.closest('[contenteditable="true"]') !== null;
}

/**
 * Listens to keydown on `target` (the window) and sends bursts to `onScan`. Returns a function
 * that stops listening. `now` is injectable for tests; by default `performance.now()`.
 */
export function attachWedge(
  target: EventTarget,
  onScan: (text: string) => void,
  options: WedgeOptions & { now?: () => number } = {},
): () => void {
  const detector = new WedgeDetector(onScan, options);
  const now = options.now ?? (() => performance.now());
  const listener = (event: Event) => {
    const e = event as KeyboardEvent;
    const outcome = detector.key(e.key, now(), isTextField(e.target), e.ctrlKey || e.altKey || e.metaKey);
    // A burst's Enter (or space, inside a ticket) must not press the button that has focus.
    if (outcome === 'scan' || (outcome === 'buffered' && detector.inBurst())) e.preventDefault();
  };
  target.addEventListener('keydown', listener);
  return () => target.removeEventListener('keydown', listener);
}
