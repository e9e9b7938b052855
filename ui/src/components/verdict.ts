/**
 * How a verdict looks: its tone (green go, amber caution, red stop), the same mapping as core
 * `Verdict::signal()` in core/src/decide.rs, so the screen and the sound always agree.
 */

import type { Verdict } from '../backend';

export type Tone = 'go' | 'caution' | 'stop';

const TONES: Record<Verdict, Tone> = {
  VALID: 'go',
  MANUAL_OVERRIDE: 'go',
  EXPIRED: 'caution',
  NOT_YET_VALID: 'caution',
  ALREADY_SCANNED: 'caution',
  PENDING: 'caution',
  INVALID: 'stop',
  UNKNOWN: 'stop',
  REVOKED: 'stop',
  WRONG_ZONE: 'stop',
  BLOCKED: 'stop',
};

export function verdictTone(verdict: Verdict): Tone {
  // An unexpected string from a newer backend is shown as a stop, never as a go.
  return TONES[verdict] ?? 'stop';
}

/** The CSS class carrying the colour: `tone-go`, `tone-caution`, `tone-stop`. */
export function toneClass(verdict: Verdict): string {
  return `tone-${verdictTone(verdict)}`;
}

/** Whether the verdict let the person through. */
export function admits(verdict: Verdict): boolean {
  return verdict === 'VALID' || verdict === 'MANUAL_OVERRIDE';
}
