import { afterEach, describe, expect, it } from 'vitest';
import { h } from '../components/dom';
import { WedgeDetector, attachWedge } from './wedge';

/** Feeds `text` then Enter to a detector, one key every `gapMs`, starting at `start`. */
function type(detector: WedgeDetector, text: string, gapMs: number, start = 1000, inField = false): number {
  let at = start;
  for (const ch of text) {
    detector.key(ch, at, inField);
    at += gapMs;
  }
  detector.key('Enter', at, inField);
  return at;
}

const TICKET = 'NCFOXN%TS3DH0W*5Q0Q9:DKQ8$B5N- 3RLOD9B0WMY:E9:N*N2+.D1E6ESTW8LH4W';

describe('the keyboard-wedge detector', () => {
  it('turns a scanner burst ending in Enter into exactly one scan', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    type(d, TICKET, 8);
    expect(scans).toEqual([TICKET]);
  });

  it('sends nothing for a person typing at human speed', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    type(d, 'HELLO-WORLD', 180);
    expect(scans).toEqual([]);
  });

  it('ignores a fast burst whose Enter comes late (a person pressing Enter afterwards)', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    let at = 0;
    for (const ch of 'GH7K2M9X') d.key(ch, (at += 5));
    expect(d.key('Enter', at + 500)).toBe('ignored');
    expect(scans).toEqual([]);
  });

  it('keeps only the burst when slow keys come before it', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    d.key('x', 0);
    d.key('y', 300);
    type(d, 'GH7K2M9X', 6, 900);
    expect(scans).toEqual(['GH7K2M9X']);
  });

  it('lets Shift pass between the characters of an upper-case burst', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    let at = 0;
    for (const ch of 'AB12') {
      d.key('Shift', (at += 3));
      d.key(ch, (at += 3));
    }
    d.key('Enter', at + 3);
    expect(scans).toEqual(['AB12']);
  });

  it('ignores bursts shorter than a real code', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    type(d, 'ab', 5);
    expect(scans).toEqual([]);
  });

  it('leaves typing inside a text field alone, however fast', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    type(d, TICKET, 5, 0, true);
    expect(scans).toEqual([]);
  });

  it('two bursts make two scans', () => {
    const scans: string[] = [];
    const d = new WedgeDetector((text) => scans.push(text));
    const end = type(d, 'FIRST-CODE', 5);
    type(d, 'SECOND-CODE', 5, end + 2000);
    expect(scans).toEqual(['FIRST-CODE', 'SECOND-CODE']);
  });
});

describe('the window keydown listener', () => {
  let stop: () => void = () => undefined;
  afterEach(() => {
    stop();
    document.body.replaceChildren();
  });

  function press(target: EventTarget, key: string): KeyboardEvent {
    const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
    target.dispatchEvent(e);
    return e;
  }

  it('scans a burst typed with no field focused, and swallows its Enter', () => {
    let now = 0;
    const scans: string[] = [];
    stop = attachWedge(window, (t) => scans.push(t), { now: () => now });
    for (const ch of 'GH7K2M9X') {
      now += 7;
      press(document.body, ch);
    }
    now += 7;
    const enter = press(document.body, 'Enter');
    expect(scans).toEqual(['GH7K2M9X']);
    expect(enter.defaultPrevented).toBe(true);
  });

  it('leaves fast typing in the manual-entry field to the field', () => {
    let now = 0;
    const scans: string[] = [];
    stop = attachWedge(window, (t) => scans.push(t), { now: () => now });
    const input = h('input', { type: 'text' });
    document.body.appendChild(input);
    for (const ch of 'GH7K2M9X') {
      now += 7;
      press(input, ch);
    }
    now += 7;
    const enter = press(input, 'Enter');
    expect(scans).toEqual([]);
    expect(enter.defaultPrevented).toBe(false);
  });

  it('stops listening when detached', () => {
    let now = 0;
    const scans: string[] = [];
    attachWedge(window, (t) => scans.push(t), { now: () => now })();
    for (const ch of 'GH7K2M9X\n') {
      now += 7;
      press(document.body, ch === '\n' ? 'Enter' : ch);
    }
    expect(scans).toEqual([]);
  });
});
