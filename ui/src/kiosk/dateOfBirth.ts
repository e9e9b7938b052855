/**
 * Date of birth as three touch-friendly lists (day, month by name, year) instead of a native date
 * picker, which differs from one webview to the next and is awkward on a touch screen.
 */

import { h } from '../components/dom';
import { bindText, language, onLanguageChange, type Key } from '../i18n';

export interface DateOfBirthField {
  el: HTMLElement;
  /** `YYYY-MM-DD`, or null until day, month and year are all chosen (and form a real date). */
  value(): string | null;
}

function monthNames(): string[] {
  try {
    const fmt = new Intl.DateTimeFormat(language().locale, { month: 'long', timeZone: 'UTC' });
    return Array.from({ length: 12 }, (_, m) => fmt.format(new Date(Date.UTC(2000, m, 1))));
  } catch {
    return Array.from({ length: 12 }, (_, m) => String(m + 1));
  }
}

export function dateOfBirthField(idPrefix: string, thisYear = new Date().getFullYear()): DateOfBirthField {
  const blank = (key: Key) => bindText(h('option', { value: '' }), key);
  const day = h(
    'select',
    { id: `${idPrefix}-day`, class: 'field-input kiosk-input' },
    blank('kiosk.day'),
    ...Array.from({ length: 31 }, (_, i) => h('option', { value: String(i + 1) }, String(i + 1))),
  );
  const month = h(
    'select',
    { id: `${idPrefix}-month`, class: 'field-input kiosk-input' },
    blank('kiosk.month'),
    ...monthNames().map((name, i) => h('option', { value: String(i + 1) }, name)),
  );
  const year = h(
    'select',
    { id: `${idPrefix}-year`, class: 'field-input kiosk-input' },
    blank('kiosk.year'),
    ...Array.from({ length: 110 }, (_, i) =>
      h('option', { value: String(thisYear - i) }, String(thisYear - i)),
    ),
  );
  for (const [el, key] of [
    [day, 'kiosk.day'],
    [month, 'kiosk.month'],
    [year, 'kiosk.year'],
  ] as const) {
    bindText(el, key, undefined, 'aria-label');
  }
  const el = h('div', { class: 'date-of-birth' }, day, month, year);
  // Month names come from Intl, not the table: rename them when the language changes.
  const stop = onLanguageChange(() => {
    if (!month.isConnected) {
      stop();
      return;
    }
    const names = monthNames();
    Array.from(month.options)
      .slice(1)
      .forEach((option, i) => (option.textContent = names[i] ?? option.textContent));
  });
  return {
    el,
    value() {
      const d = Number(day.value);
      const m = Number(month.value);
      const y = Number(year.value);
      if (!d || !m || !y) return null;
      const date = new Date(Date.UTC(y, m - 1, d));
      if (date.getUTCMonth() !== m - 1) return null; // 31 February
      return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    },
  };
}
