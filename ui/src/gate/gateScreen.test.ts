import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '../i18n';
import { FakeBackend, gateState, profile, result, settle } from '../test-support/fakeBackend';
import { GateScreen, VERDICT_HOLD_MS } from './gateScreen';
import { SEARCH_DEBOUNCE_MS, SEARCH_LIMIT } from './searchPanel';

let backend: FakeBackend;
let screen: GateScreen;

function mount(state = gateState()): GateScreen {
  screen = new GateScreen(backend, state, { onSettings: vi.fn(), onState: vi.fn() });
  document.body.appendChild(screen.el);
  return screen;
}

function panel(): HTMLElement {
  return screen.el.querySelector('.verdict-panel') as HTMLElement;
}

function typeCode(code: string): void {
  const input = screen.el.querySelector<HTMLInputElement>('#gate-manual');
  if (!input) throw new Error('no manual entry field');
  input.value = code;
  input.form?.dispatchEvent(new Event('submit', { cancelable: true }));
}

beforeEach(() => {
  backend = new FakeBackend();
  setLanguage('en');
});

afterEach(() => {
  screen?.dispose();
  vi.useRealTimers();
  document.body.replaceChildren();
  setLanguage('en');
});

describe('the gate scanning screen', () => {
  it('shows a valid scan in green with the name, category and the reason in words', async () => {
    mount();
    typeCode('GH7K-2M9X');
    await settle();
    expect(backend.callsTo('scan')[0]?.args).toEqual({ text: 'GH7K-2M9X', source: 'manual' });
    expect(panel().classList.contains('tone-go')).toBe(true);
    expect(panel().textContent).toContain('Amina Tesfaye');
    expect(panel().textContent).toContain('Delegate · AU Commission');
    expect(panel().textContent).toContain('Valid');
    expect(panel().textContent).toContain('Access granted.');
  });

  it('shows a verdict decided while the screen was opening, but not an old one', async () => {
    backend.recent = [result({ verdict: 'VALID', at_ms: Date.now() - 500 })];
    mount();
    await settle();
    expect(panel().dataset.verdict).toBe('VALID');
    expect(screen.el.querySelectorAll('.recent-list li').length).toBe(1);

    screen.dispose();
    document.body.replaceChildren();
    backend.recent = [result({ verdict: 'VALID', at_ms: Date.now() - VERDICT_HOLD_MS - 1000 })];
    mount();
    await settle();
    expect(panel().dataset.verdict).toBeUndefined();
  });

  it('shows a verdict from the camera loop in red with the translated reason', async () => {
    mount();
    await settle();
    backend.verdicts.emit(
      result({ verdict: 'BLOCKED', reason_code: 'blocked', reason: 'Access denied: on the block list.' }),
    );
    expect(panel().classList.contains('tone-stop')).toBe(true);
    expect(panel().textContent).toContain('Blocked');
    expect(panel().textContent).toContain('Call the supervisor');
  });

  it('speaks the reason in Arabic when the gate runs in Arabic, and mirrors the page', async () => {
    setLanguage('ar');
    mount();
    await settle();
    backend.verdicts.emit(
      result({ verdict: 'EXPIRED', reason_code: 'expired', reason: 'This badge is no longer valid.' }),
    );
    expect(document.documentElement.dir).toBe('rtl');
    expect(panel().classList.contains('tone-caution')).toBe(true);
    expect(panel().textContent).toContain('هذه الشارة لم تعد صالحة.');
    expect(panel().textContent).not.toContain('no longer valid');
  });

  it('re-translates the verdict on screen when staff switch language', async () => {
    mount();
    await settle();
    backend.verdicts.emit(result({ verdict: 'WRONG_ZONE', reason_code: 'no_zone_access', reason: 'x' }));
    setLanguage('fr');
    expect(panel().textContent).toContain('Mauvaise zone');
    expect(panel().textContent).toContain('Ce badge ne donne pas accès à cette zone.');
  });

  it('sends a hand-scanner burst typed anywhere as a wedge scan', async () => {
    mount();
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 5));
    for (const key of [...'GH7K2M9X', 'Enter']) {
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }
    await settle();
    expect(backend.callsTo('scan').map((c) => c.args)).toEqual([{ text: 'GH7K2M9X', source: 'wedge' }]);
  });

  it('lists the newest scan first and keeps at most 50', async () => {
    backend.recent = Array.from({ length: 50 }, (_, i) =>
      result({ participant: { id: `p${i}`, name: `Person ${i}`, category: 'Staff' } }),
    );
    mount();
    await settle();
    backend.verdicts.emit(result({ participant: { id: 'new', name: 'Newest Arrival', category: 'Press' } }));
    const items = screen.el.querySelectorAll('.recent-item');
    expect(items.length).toBe(50);
    expect(items[0]?.textContent).toContain('Newest Arrival');
  });

  it('lets a supervisor override ALREADY_SCANNED with a reason, turning it green', async () => {
    mount();
    await settle();
    const first = result({ verdict: 'ALREADY_SCANNED', reason_code: 'already_inside', reason: 'x' });
    backend.verdicts.emit(first);
    const button = panel().querySelector<HTMLButtonElement>('.verdict-override');
    expect(button?.textContent).toBe('Override');
    button?.click();
    const form = screen.el.querySelector<HTMLFormElement>('.override-form');
    const reason = form?.querySelector<HTMLInputElement>('input');
    if (!form || !reason) throw new Error('no override form');
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(backend.callsTo('override_scan')).toEqual([]);
    expect(form.textContent).toContain('Give a reason.');
    reason.value = 'Went out through the fire exit';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(backend.callsTo('override_scan')[0]?.args).toEqual({
      scan_id: first.scan_id,
      reason: 'Went out through the fire exit',
    });
    expect(panel().dataset.verdict).toBe('MANUAL_OVERRIDE');
    expect(panel().classList.contains('tone-go')).toBe(true);
    expect(screen.el.querySelectorAll('.recent-item').length).toBe(1);
  });

  it('offers no override where the profile does not allow it', async () => {
    mount(gateState({ profile: profile({ allow_override: false }) }));
    await settle();
    backend.verdicts.emit(result({ verdict: 'ALREADY_SCANNED', reason_code: 'already_inside', reason: 'x' }));
    expect(panel().querySelector('.verdict-override')).toBeNull();
  });

  it('asks the backend once per pause in typing and shows only the first results', async () => {
    vi.useFakeTimers();
    backend.searchAnswer = ({ limit }) =>
      Promise.resolve(
        Array.from({ length: limit }, (_, i) => ({
          id: `p${i}`,
          name: `Tesfaye ${i}`,
          category: 'Delegate',
          registration_code: `CODE${i}`,
          status: 'approved' as const,
        })),
      );
    mount();
    const input = screen.el.querySelector<HTMLInputElement>('#gate-search');
    if (!input) throw new Error('no search field');
    for (const q of ['t', 'te', 'tes', 'tesf']) {
      input.value = q;
      input.dispatchEvent(new Event('input'));
      await vi.advanceTimersByTimeAsync(30);
    }
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(backend.callsTo('search').map((c) => c.args)).toEqual([
      { query: 'tesf', limit: SEARCH_LIMIT + 1 },
    ]);
    expect(screen.el.querySelectorAll('.search-hit').length).toBe(SEARCH_LIMIT);
    expect(screen.el.querySelector('.search-more')?.textContent).toContain(`First ${SEARCH_LIMIT} shown`);
    screen.el.querySelector<HTMLButtonElement>('.search-hit button')?.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('scan')[0]?.args).toEqual({ text: 'CODE0', source: 'manual' });
    expect(input.value).toBe('');
    expect(screen.el.querySelectorAll('.search-hit').length).toBe(0);
  });

  it('shows a small error and stays usable when a scan call fails', async () => {
    mount();
    backend.scanAnswer = () =>
      Promise.reject({ code: 'store_unavailable', message: 'The local store is locked' });
    typeCode('GH7K-2M9X');
    await settle();
    expect(document.querySelector('.toast')?.textContent).toContain('The local store is locked');
    backend.scanAnswer = () => Promise.resolve(result());
    typeCode('GH7K-2M9X');
    await settle();
    expect(panel().textContent).toContain('Amina Tesfaye');
  });

  it('says the device is slow instead of freezing when a call never answers', async () => {
    vi.useFakeTimers();
    mount();
    backend.scanAnswer = () => new Promise(() => undefined);
    typeCode('GH7K-2M9X');
    await vi.advanceTimersByTimeAsync(6000);
    expect(document.querySelector('.toast')?.textContent).toContain('slow to answer');
    expect(panel().classList.contains('tone-idle')).toBe(true);
  });

  it('goes back to ready after a while so the next person is not shown the last verdict', async () => {
    vi.useFakeTimers();
    mount();
    await vi.advanceTimersByTimeAsync(0);
    backend.verdicts.emit(result());
    expect(panel().textContent).toContain('Amina Tesfaye');
    await vi.advanceTimersByTimeAsync(VERDICT_HOLD_MS + 1);
    expect(panel().textContent).not.toContain('Amina Tesfaye');
    expect(panel().textContent).toContain('Ready');
  });

  it('shows the status bar: offline, outbox depth and the zone occupancy', async () => {
    mount();
    await settle();
    backend.statuses.emit({
      online: false,
      outbox_depth: 17,
      occupancy: { zone: 'Plenary hall', inside: 812, capacity: 1200 },
    });
    const bar = screen.el.querySelector('.status-bar')?.textContent ?? '';
    expect(bar).toContain('Offline');
    expect(bar).toContain('To upload: 17');
    expect(bar).toContain('Plenary hall: 812 / 1200');
    expect(bar).not.toContain('Kiosk records');
    backend.statuses.emit({ online: true, outbox_depth: 0, kiosk_outbox_depth: 3 });
    expect(screen.el.querySelector('.status-bar')?.textContent).toContain('Kiosk records to upload: 3');
  });

  it('says when the gate has no camera or the camera broke, instead of waiting for it', async () => {
    mount();
    await settle();
    const placeholder = () => screen.el.querySelector('.camera-wait') as HTMLElement;
    expect(placeholder().textContent).toContain('Waiting for the camera');

    backend.statuses.emit({ online: true, outbox_depth: 0, camera: 'off' });
    expect(placeholder().textContent).toContain('No camera on this gate');

    setLanguage('fr');
    expect(placeholder().textContent).toContain('Pas de caméra');
    setLanguage('en');

    backend.frames.emit({ data_url: 'data:image/jpeg;base64,AAAA' });
    backend.statuses.emit({ online: true, outbox_depth: 0, camera: 'unavailable' });
    expect(placeholder().hidden).toBe(false);
    expect(placeholder().textContent).toContain('camera is not working');
  });

  it('shows camera frames in the preview', async () => {
    mount();
    await settle();
    backend.frames.emit({ data_url: 'data:image/jpeg;base64,AAAA' });
    const img = screen.el.querySelector<HTMLImageElement>('.camera-frame');
    expect(img?.hidden).toBe(false);
    expect(img?.getAttribute('src')).toBe('data:image/jpeg;base64,AAAA');
  });

  it('switches a both-ways checkpoint to exit through the backend', async () => {
    const onState = vi.fn();
    screen = new GateScreen(backend, gateState(), { onSettings: vi.fn(), onState });
    document.body.appendChild(screen.el);
    const out = [...screen.el.querySelectorAll<HTMLButtonElement>('.segment')].find(
      (b) => b.textContent === 'Out',
    );
    out?.click();
    await settle();
    expect(backend.callsTo('select_checkpoint')[0]?.args).toEqual({
      checkpoint_id: 'cp-main',
      direction: 'out',
    });
    expect(onState).toHaveBeenCalledWith(expect.objectContaining({ direction: 'out' }));
  });

  it('stops listening to events once disposed', async () => {
    mount();
    await settle();
    expect(backend.verdicts.count).toBe(1);
    screen.dispose();
    expect(backend.verdicts.count).toBe(0);
  });
});
