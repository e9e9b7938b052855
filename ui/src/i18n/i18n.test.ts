import { afterEach, describe, expect, it } from 'vitest';
import { REASON_CODES, VERDICTS } from '../backend';
import { h } from '../components/dom';
import { LANGUAGES, bindText, hasKey, setLanguage, t } from './index';
import { TABLES } from './strings';

const codes = Object.keys(TABLES) as Array<keyof typeof TABLES>;
const englishKeys = Object.keys(TABLES.en).sort();

afterEach(() => {
  setLanguage('en');
  document.body.replaceChildren();
});

describe('the translation table', () => {
  it('offers English, French, Amharic and Arabic', () => {
    expect(codes.sort()).toEqual(['am', 'ar', 'en', 'fr']);
    expect(LANGUAGES.map((l) => l.code).sort()).toEqual(['am', 'ar', 'en', 'fr']);
  });

  it.each(codes)('has every key, and only those, in %s, none of them empty', (code) => {
    const table: Record<string, string> = TABLES[code];
    expect(Object.keys(table).sort()).toEqual(englishKeys);
    for (const key of englishKeys) expect(table[key]?.trim(), `${code} ${key}`).toBeTruthy();
  });

  it.each(codes)('translates every verdict and every reason code in %s', (code) => {
    const table: Record<string, string> = TABLES[code];
    for (const v of VERDICTS) expect(table[`verdict.${v}`], `${code} verdict.${v}`).toBeTruthy();
    for (const r of REASON_CODES) expect(table[`reason.${r}`], `${code} reason.${r}`).toBeTruthy();
  });

  it.each(codes)('keeps the same {placeholders} in %s as in English', (code) => {
    const table: Record<string, string> = TABLES[code];
    const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of englishKeys) {
      expect(names(table[key] ?? ''), `${code} ${key}`).toEqual(
        names(TABLES.en[key as keyof typeof TABLES.en]),
      );
    }
  });

  it('writes Amharic in Ethiopic script and Arabic in Arabic script', () => {
    expect(TABLES.am['verdict.VALID']).toMatch(/[\u1200-\u137F]/);
    expect(TABLES.ar['verdict.VALID']).toMatch(/[\u0600-\u06FF]/);
    expect(TABLES.fr['reason.already_inside']).not.toEqual(TABLES.en['reason.already_inside']);
  });
});

describe('switching language', () => {
  it('sets dir=rtl and lang=ar on <html> for Arabic, and back to ltr for French', () => {
    setLanguage('ar');
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('ar');
    setLanguage('fr');
    expect(document.documentElement.dir).toBe('ltr');
    expect(document.documentElement.lang).toBe('fr');
  });

  it('falls back to English for a language it does not have', () => {
    expect(setLanguage('de')).toBe('en');
    expect(t('verdict.VALID')).toBe('Valid');
  });

  it('re-translates bound text in place, keeping its parameters', () => {
    const el = bindText(h('p'), 'kiosk.welcome', { name: 'Amina' });
    document.body.appendChild(el);
    expect(el.textContent).toBe('Welcome, Amina!');
    setLanguage('fr');
    expect(el.textContent).toBe('Bienvenue, Amina !');
    setLanguage('am');
    expect(el.textContent).toBe('እንኳን ደህና መጡ፣ Amina!');
  });

  it('isolates a Latin name inside an Arabic sentence so it keeps its direction', () => {
    setLanguage('ar');
    expect(t('kiosk.welcome', { name: 'Amina Tesfaye' })).toBe('أهلًا بك يا \u2068Amina Tesfaye\u2069!');
    setLanguage('en');
    expect(t('kiosk.welcome', { name: 'Amina Tesfaye' })).toBe('Welcome, Amina Tesfaye!');
  });

  it('knows which keys exist, for keys built from wire codes', () => {
    expect(hasKey('reason.already_inside')).toBe(true);
    expect(hasKey('reason.some_future_code')).toBe(false);
  });
});
