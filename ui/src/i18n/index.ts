/**
 * Translation at run time: `t(key)` for a string in the current language, `setLanguage` to switch
 * (which also sets `lang` and `dir` on <html> so Arabic lays itself out right to left), and
 * `bindText` for elements that must re-translate themselves in place when the language changes,
 * so switching language never wipes what a screen holds (typed text, the last verdict).
 */

import { TABLES, type Key } from './strings';

export type { Key } from './strings';

export interface Language {
  code: LangCode;
  /** The language's own name: shown the same in every language so people find theirs. */
  native: string;
  dir: 'ltr' | 'rtl';
  /** BCP 47 tag for Intl formatting. */
  locale: string;
}

export type LangCode = keyof typeof TABLES;

export const LANGUAGES: readonly Language[] = [
  { code: 'en', native: 'English', dir: 'ltr', locale: 'en-GB' },
  { code: 'fr', native: 'Français', dir: 'ltr', locale: 'fr-FR' },
  { code: 'am', native: 'አማርኛ', dir: 'ltr', locale: 'am-ET' },
  { code: 'ar', native: 'العربية', dir: 'rtl', locale: 'ar' },
];

export type Params = Record<string, string | number>;

let current: LangCode = 'en';
const listeners = new Set<(lang: LangCode) => void>();

export function isLangCode(code: string): code is LangCode {
  return Object.prototype.hasOwnProperty.call(TABLES, code);
}

export function language(): Language {
  return LANGUAGES.find((l) => l.code === current) ?? (LANGUAGES[0] as Language);
}

/** Unicode first-strong isolate and pop: keep a Latin name from scrambling an Arabic sentence. */
const FSI = '\u2068';
const PDI = '\u2069';

/**
 * The string for `key` in the current language, with `{placeholders}` filled from `params`.
 * In a right-to-left language each value is isolated (FSI…PDI) so a Latin name or a number keeps
 * its own direction inside the sentence.
 */
export function t(key: Key, params?: Params): string {
  const text = TABLES[current][key] ?? TABLES.en[key] ?? key;
  if (!params) return text;
  const rtl = language().dir === 'rtl';
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in params)) return whole;
    const value = String(params[name]);
    return rtl ? `${FSI}${value}${PDI}` : value;
  });
}

/** Whether `key` names a string in the table (for keys built from wire codes). */
export function hasKey(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(TABLES.en, key);
}

/**
 * Switches language (unknown codes fall back to English), sets `<html lang dir>`, re-translates
 * every element bound with {@link bindText}, and tells listeners.
 */
export function setLanguage(code: string): LangCode {
  current = isLangCode(code) ? code : 'en';
  const lang = language();
  const root = document.documentElement;
  root.lang = lang.code;
  root.dir = lang.dir;
  retranslate(document);
  for (const cb of listeners) cb(current);
  return current;
}

export function currentLanguage(): LangCode {
  return current;
}

export function onLanguageChange(cb: (lang: LangCode) => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

type Attr = 'text' | 'placeholder' | 'aria-label' | 'title' | 'alt';

/**
 * Sets an element's text (or an attribute) to `t(key, params)` and remembers the key, so a later
 * language switch re-translates it without the screen rebuilding itself.
 */
export function bindText<E extends Element>(el: E, key: Key, params?: Params, attr: Attr = 'text'): E {
  const slot = attr === 'text' ? 'i18n' : `i18n-${attr}`;
  el.setAttribute(`data-${slot}`, key);
  if (params) el.setAttribute(`data-${slot}-params`, JSON.stringify(params));
  else el.removeAttribute(`data-${slot}-params`);
  apply(el, attr, key, params);
  return el;
}

function apply(el: Element, attr: Attr, key: Key, params?: Params): void {
  const text = t(key, params);
  if (attr === 'text') el.textContent = text;
  else el.setAttribute(attr, text);
}

const ATTRS: Attr[] = ['text', 'placeholder', 'aria-label', 'title', 'alt'];

/** Re-translates every bound element under `root`. */
export function retranslate(root: ParentNode): void {
  for (const attr of ATTRS) {
    const slot = attr === 'text' ? 'i18n' : `i18n-${attr}`;
    for (const el of Array.from(root.querySelectorAll(`[data-${slot}]`))) {
      const key = el.getAttribute(`data-${slot}`) ?? '';
      if (!hasKey(key)) continue;
      const raw = el.getAttribute(`data-${slot}-params`);
      let params: Params | undefined;
      try {
        params = raw ? (JSON.parse(raw) as Params) : undefined;
      } catch {
        params = undefined;
      }
      apply(el, attr, key, params);
    }
  }
}

/** Formats a Unix-ms time as a short local time in the current language. */
export function formatTime(ms: number): string {
  try {
    return new Intl.DateTimeFormat(language().locale, {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(new Date(ms));
  } catch {
    return new Date(ms).toISOString().slice(11, 19);
  }
}
