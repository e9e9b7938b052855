/**
 * The kiosk's hidden way out for staff: a long press on the top start corner opens a PIN prompt;
 * the backend checks the PIN and, if right, leaves kiosk mode.
 */

import type { Backend } from '../backend';
import { attempt } from '../components/call';
import { h, replaceChildren } from '../components/dom';
import { bindText } from '../i18n';
import { pinKeypad } from './codeKeypad';

export const LONG_PRESS_MS = 3000;

/** An invisible corner that calls `onLongPress` after a press held {@link LONG_PRESS_MS}. */
export function hiddenCorner(onLongPress: () => void): HTMLElement {
  const corner = h('div', { class: 'admin-corner', 'aria-hidden': 'true' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => clearTimeout(timer);
  corner.addEventListener('pointerdown', () => {
    cancel();
    timer = setTimeout(onLongPress, LONG_PRESS_MS);
  });
  for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) corner.addEventListener(ev, cancel);
  return corner;
}

/** The PIN prompt; `onClose` hides it, `onExited` runs once the backend has left kiosk mode. */
export function adminPinDialog(
  backend: Backend,
  onClose: () => void,
  onExited: () => void = () => undefined,
): HTMLElement {
  const pin = h('input', {
    type: 'password',
    id: 'admin-pin',
    class: 'field-input',
    inputmode: 'numeric',
    autocomplete: 'off',
  });
  const problem = h('div', { class: 'field-problem', role: 'alert' });
  const form = h(
    'form',
    { class: 'dialog admin-dialog', role: 'dialog', 'aria-modal': 'true' },
    bindText(h('h2', { class: 'card-title' }), 'kiosk.adminTitle'),
    bindText(h('label', { class: 'field-label', for: 'admin-pin' }), 'kiosk.adminPin'),
    pin,
    pinKeypad(pin),
    problem,
    h(
      'div',
      { class: 'button-row' },
      bindText(h('button', { type: 'submit', class: 'button button-primary' }), 'kiosk.adminExit'),
      bindText(h('button', { type: 'button', class: 'button', onclick: onClose }), 'common.cancel'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = pin.value;
    pin.value = '';
    void attempt(backend.verifyAdminPin({ pin: value })).then((ok) => {
      if (ok === undefined) return;
      if (!ok) {
        bindText(problem, 'kiosk.wrongPin');
        return;
      }
      replaceChildren(problem);
      void attempt(backend.exitKiosk().then(() => true)).then((left) => {
        if (left) onExited();
      });
    });
  });
  queueMicrotask(() => pin.focus());
  return form;
}
