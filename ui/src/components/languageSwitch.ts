/**
 * The language switch: one button per language the profile offers, each in its own script.
 */

import { LANGUAGES, bindText, currentLanguage, onLanguageChange, setLanguage } from '../i18n';
import { h } from './dom';

/** Builds the switch; `offered` are the profile's language codes (unknown codes are skipped). */
export function languageSwitch(offered: readonly string[]): { el: HTMLElement; dispose: () => void } {
  const langs = LANGUAGES.filter((l) => offered.length === 0 || offered.includes(l.code));
  const buttons = langs.map((l) =>
    h(
      'button',
      {
        type: 'button',
        class: 'button lang-button',
        lang: l.code,
        dir: l.dir,
        'data-lang': l.code,
        onclick: () => setLanguage(l.code),
      },
      l.native,
    ),
  );
  const el = h('nav', { class: 'language-switch' }, ...buttons);
  bindText(el, 'common.language', undefined, 'aria-label');
  const mark = () => {
    for (const b of buttons) {
      b.setAttribute('aria-pressed', String(b.dataset.lang === currentLanguage()));
    }
  };
  mark();
  const dispose = onLanguageChange(mark);
  return { el, dispose };
}
