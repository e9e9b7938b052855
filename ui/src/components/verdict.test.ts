import { describe, expect, it } from 'vitest';
import { VERDICTS, type Verdict } from '../backend';
import { admits, toneClass, verdictTone, type Tone } from './verdict';

// The same table as core Verdict::signal() (core/src/decide.rs): green go, amber caution, red stop.
const EXPECTED: Record<Verdict, Tone> = {
  VALID: 'go',
  MANUAL_OVERRIDE: 'go',
  INVALID: 'stop',
  UNKNOWN: 'stop',
  REVOKED: 'stop',
  BLOCKED: 'stop',
  WRONG_ZONE: 'stop',
  EXPIRED: 'caution',
  NOT_YET_VALID: 'caution',
  ALREADY_SCANNED: 'caution',
  PENDING: 'caution',
};

describe('verdict colours', () => {
  it.each(VERDICTS.map((v) => [v, EXPECTED[v]] as const))('%s shows as %s', (verdict, tone) => {
    expect(verdictTone(verdict)).toBe(tone);
    expect(toneClass(verdict)).toBe(`tone-${tone}`);
  });

  it('shows a verdict it does not know as stop, never go', () => {
    expect(verdictTone('SOMETHING_NEW' as Verdict)).toBe('stop');
  });

  it('counts only VALID and MANUAL_OVERRIDE as let through', () => {
    expect(VERDICTS.filter(admits)).toEqual(['VALID', 'MANUAL_OVERRIDE']);
  });
});
