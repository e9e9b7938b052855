import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App, screenFor } from './app';
import { FakeBackend, gateState, profile, settle } from './test-support/fakeBackend';
import { setLanguage } from './i18n';

let backend: FakeBackend;
let root: HTMLElement;

beforeEach(() => {
  backend = new FakeBackend();
  root = document.createElement('div');
  document.body.appendChild(root);
});

afterEach(() => {
  document.body.replaceChildren();
  document.documentElement.className = '';
  setLanguage('en');
});

describe('choosing the screen', () => {
  it('pairs first, then asks for a checkpoint, then scans', () => {
    expect(screenFor(gateState({ paired: false }))).toBe('pairing');
    expect(screenFor(gateState({ checkpoint_id: null }))).toBe('checkpoint');
    expect(screenFor(gateState({ checkpoint_id: 'gone-since-last-sync' }))).toBe('checkpoint');
    expect(screenFor(gateState())).toBe('gate');
    expect(screenFor(gateState({ mode: 'kiosk', checkpoint_id: null }))).toBe('kiosk');
  });

  it('starts in the profile language and contrast', async () => {
    backend.state = gateState({ profile: profile({ default_language: 'ar', high_contrast: true }) });
    const app = new App(root, backend);
    await app.start();
    expect(app.current).toBe('gate');
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.classList.contains('high-contrast')).toBe(true);
  });

  it('offers a retry instead of a blank window when the backend does not answer', async () => {
    backend.appState = () => Promise.reject({ code: 'not_ready', message: 'Store is opening' });
    const app = new App(root, backend);
    await app.start();
    expect(root.textContent).toContain('Retry');
    backend.appState = () => Promise.resolve(gateState());
    root.querySelector<HTMLButtonElement>('button')?.click();
    await settle();
    expect(app.current).toBe('gate');
  });
});

describe('first run', () => {
  it('checks the server address, pairs, then picks a checkpoint and a direction', async () => {
    backend.state = gateState({
      paired: false,
      checkpoint_id: null,
      available_profiles: ['gate-laptop', 'exit-gate'],
    });
    const app = new App(root, backend);
    await app.start();
    expect(app.current).toBe('pairing');
    const url = root.querySelector<HTMLInputElement>('#pair-url');
    const code = root.querySelector<HTMLInputElement>('#pair-code');
    const form = root.querySelector('form');
    if (!url || !code || !form) throw new Error('no pairing form');
    url.value = 'gatehouse.local';
    code.value = 'K7Q2-9XPA';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(root.textContent).toContain('Enter an address starting with http:// or https://.');
    expect(backend.callsTo('pair')).toEqual([]);
    url.value = 'https://gatehouse.local:8443';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(backend.callsTo('pair')[0]?.args).toEqual({
      server_url: 'https://gatehouse.local:8443',
      pairing_code: 'K7Q2-9XPA',
      profile: 'gate-laptop',
    });
    expect(app.current).toBe('checkpoint');

    root.querySelector<HTMLInputElement>('#dir-out')?.click();
    root.querySelector('form')?.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(backend.callsTo('select_checkpoint')[0]?.args).toEqual({
      checkpoint_id: 'cp-main',
      direction: 'out',
    });
    expect(app.current).toBe('gate');
  });

  it('opens settings from the gate and switches checkpoint', async () => {
    const app = new App(root, backend);
    await app.start();
    [...root.querySelectorAll<HTMLButtonElement>('button')]
      .find((b) => b.textContent === 'Settings')
      ?.click();
    expect(app.current).toBe('settings');
    root.querySelector<HTMLInputElement>('#cp-cp-exit')?.click();
    root.querySelector('form')?.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(backend.callsTo('select_checkpoint')[0]?.args).toEqual({
      checkpoint_id: 'cp-exit',
      direction: null,
    });
    expect(app.current).toBe('gate');
    expect(root.textContent).toContain('North exit');
  });
});
