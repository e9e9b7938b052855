import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '../i18n';
import { FakeBackend, gateState, profile, result } from '../test-support/fakeBackend';
import { LONG_PRESS_MS } from './adminExit';
import { KioskScreen } from './kioskScreen';

const IDLE_S = 30;
let backend: FakeBackend;
let kiosk: KioskScreen;

function kioskState() {
  return gateState({
    mode: 'kiosk',
    profile: profile({ name: 'self-service-kiosk', idle_timeout_s: IDLE_S, default_language: 'en' }),
  });
}

let shown: string[] = [];

function mount(): KioskScreen {
  shown = [];
  kiosk = new KioskScreen(backend, kioskState(), (s) => shown.push(s.mode));
  document.body.appendChild(kiosk.el);
  return kiosk;
}

function button(text: string): HTMLButtonElement {
  const b = [...kiosk.el.querySelectorAll<HTMLButtonElement>('button')].find(
    (x) => x.textContent === text || x.getAttribute('aria-label') === text,
  );
  if (!b) throw new Error(`no button "${text}" in: ${kiosk.el.textContent}`);
  return b;
}

function submit(selector = 'form'): void {
  kiosk.el.querySelector(selector)?.dispatchEvent(new Event('submit', { cancelable: true }));
}

beforeEach(() => {
  vi.useFakeTimers();
  backend = new FakeBackend();
});

afterEach(() => {
  kiosk?.dispose();
  vi.useRealTimers();
  document.body.replaceChildren();
  setLanguage('en');
});

describe('the self-service kiosk', () => {
  it('welcomes an attendee who types their code, then forgets them after the idle timeout', async () => {
    mount();
    expect(kiosk.el.textContent).toContain('Welcome');
    button('Type my code').click();
    const code = kiosk.el.querySelector<HTMLInputElement>('#kiosk-code');
    if (!code) throw new Error('no code field');
    code.value = 'GH7K-2M9X';
    submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('scan')[0]?.args).toEqual({ text: 'GH7K-2M9X', source: 'manual' });
    expect(kiosk.el.textContent).toContain('Welcome, Amina Tesfaye!');

    await vi.advanceTimersByTimeAsync(IDLE_S * 1000 + 1);
    expect(document.body.textContent).not.toContain('Amina');
    expect(kiosk.el.textContent).toContain('Hold the QR code of your ticket up to the camera');
    expect(kiosk.el.querySelectorAll('input').length).toBe(0);
  });

  it('ends the visit of the attendee with the language they saw when the kiosk resets', async () => {
    mount();
    expect(backend.callsTo('kiosk_session_end')).toEqual([]);
    button('Français').click();
    button('Saisir mon code').click();
    const code = kiosk.el.querySelector<HTMLInputElement>('#kiosk-code');
    if (!code) throw new Error('no code field');
    code.value = 'GH7K-2M9X';
    submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('kiosk_session_end')).toEqual([]);
    await vi.advanceTimersByTimeAsync(IDLE_S * 1000 + 1);
    expect(backend.callsTo('kiosk_session_end').map((c) => c.args)).toEqual([{ language: 'fr' }]);
  });

  it('tells the backend each language the attendee switches to, and the default after a reset', async () => {
    mount();
    button('العربية').click();
    button('Français').click();
    button('Saisir mon code').click();
    const told = () => backend.callsTo('kiosk_language').map((c) => (c.args as { language: string }).language);
    expect(told()).toEqual(['en', 'ar', 'fr']);
    await vi.advanceTimersByTimeAsync(IDLE_S * 1000 + 1);
    expect(told()).toEqual(['en', 'ar', 'fr', 'en']);
  });

  it('wipes typed text, a half-filled name search and the language after the idle timeout', async () => {
    mount();
    button('العربية').click();
    expect(document.documentElement.dir).toBe('rtl');
    button('ابحث عني بالاسم').click();
    const name = kiosk.el.querySelector<HTMLInputElement>('#kiosk-name');
    if (!name) throw new Error('no name field');
    name.value = 'Amina Tesfaye';
    name.dispatchEvent(new Event('input', { bubbles: true }));
    await vi.advanceTimersByTimeAsync(IDLE_S * 1000 + 1);
    expect(kiosk.el.querySelector('#kiosk-name')).toBeNull();
    expect(document.body.innerHTML).not.toContain('Amina');
    expect(document.documentElement.dir).toBe('ltr');
    expect(document.documentElement.lang).toBe('en');
  });

  it('drops an answer that arrives after the kiosk was reset for the next attendee', async () => {
    let answer: (r: ReturnType<typeof result>) => void = () => undefined;
    backend.scanAnswer = () => new Promise((resolve) => (answer = resolve));
    mount();
    button('Type my code').click();
    const code = kiosk.el.querySelector<HTMLInputElement>('#kiosk-code');
    if (!code) throw new Error('no code field');
    code.value = 'K7M-4QX-9PT';
    submit();
    kiosk.reset(); // what the idle timeout does
    answer(result());
    await vi.advanceTimersByTimeAsync(0);
    expect(document.body.textContent).not.toContain('Amina');
    expect(kiosk.el.textContent).toContain('Hold the QR code of your ticket up to the camera');
  });

  it('keeps the screen while the attendee is still touching it', async () => {
    mount();
    button('Type my code').click();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync((IDLE_S - 5) * 1000);
      kiosk.el.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    }
    expect(kiosk.el.querySelector('#kiosk-code')).not.toBeNull();
  });

  it('finds an attendee by name and date of birth, checks them in and prints the badge', async () => {
    backend.matches = [
      {
        id: 'p-9',
        name: 'Amina Tesfaye',
        category: 'Delegate',
        organisation: 'AU Commission',
        registration_code: 'X',
      },
    ];
    mount();
    button('Find me by name').click();
    const name = kiosk.el.querySelector<HTMLInputElement>('#kiosk-name');
    const select = (id: string) => kiosk.el.querySelector<HTMLSelectElement>(`#kiosk-dob-${id}`);
    const [day, month, year] = [select('day'), select('month'), select('year')];
    if (!name || !day || !month || !year) throw new Error('no fields');
    name.value = 'amina tesfaye';
    day.value = '31';
    month.value = '2';
    year.value = '1990';
    submit();
    expect(kiosk.el.textContent).toContain('Enter your name and date of birth.');
    expect(backend.callsTo('kiosk_find')).toEqual([]);
    day.value = '12';
    month.value = '4';
    submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('kiosk_find')[0]?.args).toEqual({
      name: 'amina tesfaye',
      date_of_birth: '1990-04-12',
    });
    expect(kiosk.el.textContent).toContain('Tap your name');
    kiosk.el.querySelector<HTMLButtonElement>('.kiosk-match')?.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('kiosk_check_in')[0]?.args).toEqual({ participant_id: 'p-9' });
    expect(kiosk.el.textContent).toContain('Welcome, Amina Tesfaye!');
    button('Print my badge').click();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('print_badge')[0]?.args).toEqual({ participant_id: 'p-9' });
    expect(kiosk.el.textContent).toContain('Your badge is printing.');
    button('Take a queue number').click();
    await vi.advanceTimersByTimeAsync(0);
    // The ticket shows what the desk will call out.
    expect(kiosk.el.querySelector('.kiosk-ticket-number')?.textContent).toMatch(/^[A-Z]-042$/);
    button('Done').click();
    expect(kiosk.el.textContent).not.toContain('Amina');
  });

  it('sends an attendee to the registration desk for a badge saved where no printer is set', async () => {
    backend.printOutcome = { printed: false, file: '/var/lib/gatehouse/badges/GH7K-2M9X-1.pdf' };
    mount();
    button('Type my code').click();
    const code = kiosk.el.querySelector<HTMLInputElement>('#kiosk-code');
    if (!code) throw new Error('no code field');
    code.value = 'GH7K-2M9X';
    submit();
    await vi.advanceTimersByTimeAsync(0);
    button('Print my badge').click();
    await vi.advanceTimersByTimeAsync(0);
    expect(kiosk.el.textContent).toContain('collect it at the registration desk');
    expect(kiosk.el.textContent).not.toContain('printer is not available');
  });

  it('sends an attendee who is refused to the help desk without showing the staff reason', async () => {
    mount();
    await vi.advanceTimersByTimeAsync(0);
    backend.verdicts.emit(
      result({ verdict: 'BLOCKED', reason_code: 'blocked', reason: 'Access denied: on the block list.' }),
    );
    expect(kiosk.el.textContent).toContain('Please go to the help desk.');
    expect(kiosk.el.textContent).not.toContain('block list');
  });

  it('takes a registration code from the on-screen keypad, grouped as printed', async () => {
    mount();
    button('Type my code').click();
    for (const key of 'K7M4QX9PTZ') button(key).click(); // the tenth is one too many
    button('Delete').click();
    button('T').click();
    expect(kiosk.el.querySelector<HTMLInputElement>('#kiosk-code')?.value).toBe('K7M-4QX-9PT');
    submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('scan')[0]?.args).toEqual({ text: 'K7M-4QX-9PT', source: 'manual' });
  });

  it('checks in a ticket read by a hand scanner on the attract screen', async () => {
    mount();
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 4));
    for (const key of [...'NCFOXN%TS3DH0W', 'Enter']) {
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('scan')[0]?.args).toEqual({ text: 'NCFOXN%TS3DH0W', source: 'wedge' });
    expect(kiosk.el.textContent).toContain('Welcome, Amina Tesfaye!');
  });

  it('asks to retype a code with a typo', async () => {
    backend.scanAnswer = () =>
      Promise.resolve(
        result({
          verdict: 'INVALID',
          reason_code: 'bad_registration_code',
          reason: 'typo',
          participant: null,
        }),
      );
    mount();
    button('Type my code').click();
    const code = kiosk.el.querySelector<HTMLInputElement>('#kiosk-code');
    if (!code) throw new Error('no code field');
    code.value = 'GH7K-2M9Y';
    submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(kiosk.el.querySelector('#kiosk-code')).not.toBeNull();
    expect(kiosk.el.textContent).toContain('That registration code has a typo.');
  });

  it('has a language switch and a large-text toggle on every screen', async () => {
    mount();
    for (const step of [() => undefined, () => button('Type my code').click()]) {
      step();
      expect(kiosk.el.querySelectorAll('.lang-button').length).toBe(4);
      expect(kiosk.el.querySelector('.kiosk-large-text')).not.toBeNull();
    }
    button('Large text').click();
    expect(document.documentElement.classList.contains('high-contrast')).toBe(true);
  });

  it('opens the admin exit on a long press of the corner and leaves kiosk mode with the right PIN', async () => {
    mount();
    const corner = kiosk.el.querySelector('.admin-corner');
    corner?.dispatchEvent(new Event('pointerdown'));
    await vi.advanceTimersByTimeAsync(500);
    corner?.dispatchEvent(new Event('pointerup'));
    await vi.advanceTimersByTimeAsync(LONG_PRESS_MS);
    expect(kiosk.el.querySelector('#admin-pin')).toBeNull();

    corner?.dispatchEvent(new Event('pointerdown'));
    await vi.advanceTimersByTimeAsync(LONG_PRESS_MS);
    const pin = kiosk.el.querySelector<HTMLInputElement>('#admin-pin');
    if (!pin) throw new Error('no PIN prompt');
    pin.value = '0000';
    submit('.admin-dialog');
    await vi.advanceTimersByTimeAsync(0);
    expect(kiosk.el.textContent).toContain('Wrong PIN.');
    expect(backend.exited).toBe(false);
    pin.value = '4321';
    submit('.admin-dialog');
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsTo('verify_admin_pin').map((c) => c.args)).toEqual([
      { pin: '0000' },
      { pin: '4321' },
    ]);
    expect(backend.exited).toBe(true);
    // The app is handed the new state, so it leaves the kiosk screen for the gate.
    expect(shown).toEqual(['gate']);
  });
});
