/**
 * An on-screen keypad for registration codes, so a touch kiosk without a keyboard can take one.
 * It offers only the 31 symbols codes use (core/src/regcode.rs: no 0/O, 1/I/L look-alikes) and
 * shows the code in its printed groups of three (`K7M-4QX-9PT`).
 */

import { h } from '../components/dom';
import { bindText } from '../i18n';

/** The registration-code alphabet, as in core `regcode::ALPHABET`. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Characters in a registration code, check character included. */
export const CODE_LENGTH = 9;

/** Groups typed characters as printed: `K7M4Q` → `K7M-4Q`. */
export function formatCode(raw: string): string {
  const chars = raw
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .slice(0, CODE_LENGTH);
  return (chars.match(/.{1,3}/g) ?? []).join('-');
}

/** A keypad for registration codes that types into `input`, keeping its value formatted. */
export function codeKeypad(input: HTMLInputElement): HTMLElement {
  return keypad(input, CODE_ALPHABET, formatCode, 'keypad-code');
}

/** Digits for the admin PIN (a kiosk may have no keyboard at all). */
export function pinKeypad(input: HTMLInputElement): HTMLElement {
  return keypad(input, '1234567890', (raw) => raw.replace(/\D/g, '').slice(0, 12), 'keypad-pin');
}

function keypad(
  input: HTMLInputElement,
  alphabet: string,
  format: (raw: string) => string,
  kind: string,
): HTMLElement {
  const bare = () => input.value.replace(/-/g, '');
  const set = (raw: string) => {
    input.value = format(raw);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  input.addEventListener('input', () => {
    const formatted = format(input.value);
    if (formatted !== input.value) input.value = formatted;
  });
  const keys = [...alphabet].map((ch) =>
    h('button', { type: 'button', class: 'button keypad-key', onclick: () => set(bare() + ch) }, ch),
  );
  const del = bindText(
    h(
      'button',
      {
        type: 'button',
        class: 'button keypad-key keypad-backspace',
        onclick: () => set(bare().slice(0, -1)),
      },
      '⌫',
    ),
    'kiosk.backspace',
    undefined,
    'aria-label',
  );
  return h('div', { class: `keypad ${kind}`, dir: 'ltr' }, ...keys, del);
}
