/**
 * The large verdict panel of the gate: colour by tone, the verdict word, who it is (name,
 * category, organisation, photo) and the reason in words, translated by reason code.
 */

import type { ScanResult } from '../backend';
import { bindText, hasKey } from '../i18n';
import { h, replaceChildren } from './dom';
import { toneClass } from './verdict';

const TONE_CLASSES = ['tone-go', 'tone-caution', 'tone-stop', 'tone-idle'];

export interface VerdictPanelOptions {
  /** Called when staff press "Override" on an ALREADY_SCANNED result (shown only if given). */
  onOverride?: (result: ScanResult) => void;
}

/** Text of a verdict in the current language (the wire code if a newer backend sent a new one). */
export function verdictLabel(el: HTMLElement, verdict: string): HTMLElement {
  const key = `verdict.${verdict}`;
  if (hasKey(key)) return bindText(el, key);
  el.textContent = verdict;
  return el;
}

/** Reason of a result in the current language; falls back to the backend's English sentence. */
export function reasonLabel(
  el: HTMLElement,
  result: Pick<ScanResult, 'reason_code' | 'reason'>,
): HTMLElement {
  const key = `reason.${result.reason_code}`;
  if (hasKey(key)) return bindText(el, key);
  el.textContent = result.reason;
  return el;
}

export class VerdictPanel {
  readonly el: HTMLElement;

  constructor(private readonly options: VerdictPanelOptions = {}) {
    this.el = h('section', { class: 'verdict-panel tone-idle', 'aria-live': 'assertive' });
    this.clear();
  }

  /** Back to the neutral "ready" state. */
  clear(): void {
    this.el.classList.remove(...TONE_CLASSES);
    this.el.classList.add('tone-idle');
    this.el.removeAttribute('data-verdict');
    replaceChildren(this.el, bindText(h('div', { class: 'verdict-word' }), 'gate.ready'));
  }

  show(result: ScanResult): void {
    this.el.classList.remove(...TONE_CLASSES, 'flash');
    // Restart the flash so two green verdicts in a row still look like two scans.
    void this.el.offsetWidth;
    this.el.classList.add(toneClass(result.verdict), 'flash');
    this.el.dataset.verdict = result.verdict;
    const p = result.participant;
    const photo = p?.photo_url ? h('img', { class: 'verdict-photo', src: p.photo_url, alt: p.name }) : null;
    const movement = result.movement
      ? bindText(h('span', { class: 'verdict-movement' }), `movement.${result.movement}`)
      : null;
    const warnings = result.warnings.map((w) =>
      w.code === 'zone_full'
        ? bindText(h('div', { class: 'verdict-warning' }), 'warning.zone_full', {
            occupancy: w.occupancy ?? '?',
            capacity: w.capacity ?? '?',
          })
        : h('div', { class: 'verdict-warning' }, w.code),
    );
    const override =
      this.options.onOverride && result.verdict === 'ALREADY_SCANNED'
        ? bindText(
            h('button', {
              type: 'button',
              class: 'button verdict-override',
              onclick: () => this.options.onOverride?.(result),
            }),
            'gate.override',
          )
        : null;
    replaceChildren(
      this.el,
      h(
        'div',
        { class: 'verdict-head' },
        verdictLabel(h('div', { class: 'verdict-word' }), result.verdict),
        movement,
      ),
      h(
        'div',
        { class: 'verdict-body' },
        photo,
        h(
          'div',
          { class: 'verdict-who' },
          p ? h('div', { class: 'verdict-name' }, p.name) : null,
          p
            ? h(
                'div',
                { class: 'verdict-category' },
                [p.category, p.organisation].filter(Boolean).join(' · '),
              )
            : null,
          reasonLabel(h('div', { class: 'verdict-reason' }), result),
          ...warnings,
        ),
      ),
      h(
        'div',
        { class: 'verdict-foot' },
        override,
        bindText(h('span', { class: 'verdict-ms' }), 'gate.took', { ms: Math.round(result.ms) }),
      ),
    );
  }
}
