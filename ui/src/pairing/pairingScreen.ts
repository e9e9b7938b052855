/**
 * First run of a device: the server address, the one-time pairing code from the admin, and the
 * profile the device runs under. The backend trades the code for a device token.
 */

import type { AppState, Backend } from '../backend';
import { attempt } from '../components/call';
import { h } from '../components/dom';
import type { Screen } from '../components/screen';
import { bindText } from '../i18n';

export const DEFAULT_PROFILE = 'gate-laptop';

/** Whether `url` is an http(s) address a device can reach. */
export function isServerUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

export class PairingScreen implements Screen {
  readonly el: HTMLElement;

  constructor(backend: Backend, state: AppState, onPaired: (s: AppState) => void) {
    const url = h('input', {
      type: 'url',
      id: 'pair-url',
      class: 'field-input',
      autocomplete: 'off',
      required: true,
    });
    url.placeholder = 'https://';
    const code = h('input', {
      type: 'text',
      id: 'pair-code',
      class: 'field-input field-code',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      required: true,
    });
    const profiles = state.available_profiles ?? [];
    const profile: HTMLInputElement | HTMLSelectElement =
      profiles.length > 0
        ? h(
            'select',
            { id: 'pair-profile', class: 'field-input' },
            ...profiles.map((p) => h('option', { value: p }, p)),
          )
        : h('input', { type: 'text', id: 'pair-profile', class: 'field-input', value: DEFAULT_PROFILE });
    const problem = h('div', { class: 'field-problem', role: 'alert' });
    const submit = bindText(
      h('button', { type: 'submit', class: 'button button-primary' }),
      'pairing.submit',
    );

    const form = h(
      'form',
      { class: 'card pairing-form' },
      bindText(h('h1', { class: 'card-title' }), 'pairing.title'),
      bindText(h('p', { class: 'card-help' }), 'pairing.help'),
      bindText(h('label', { class: 'field-label', for: 'pair-url' }), 'pairing.serverUrl'),
      url,
      bindText(h('label', { class: 'field-label', for: 'pair-code' }), 'pairing.code'),
      code,
      bindText(h('label', { class: 'field-label', for: 'pair-profile' }), 'pairing.profile'),
      profile,
      problem,
      submit,
    );
    form.noValidate = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const server_url = url.value.trim();
      const pairing_code = code.value.trim();
      if (!isServerUrl(server_url)) {
        bindText(problem, 'pairing.badUrl');
        return;
      }
      if (!pairing_code) {
        bindText(problem, 'pairing.needCode');
        return;
      }
      problem.textContent = '';
      submit.disabled = true;
      bindText(submit, 'pairing.busy');
      void attempt(
        backend.pair({ server_url, pairing_code, profile: profile.value.trim() || DEFAULT_PROFILE }),
        30_000,
      ).then((s) => {
        submit.disabled = false;
        bindText(submit, 'pairing.submit');
        if (s) onPaired(s);
      });
    });
    this.el = h('div', { class: 'screen centre-screen' }, form);
  }

  dispose(): void {}
}
