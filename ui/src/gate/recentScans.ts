/**
 * The list of the last scans at this gate, newest first, capped so it never grows with the queue.
 */

import type { ScanResult } from '../backend';
import { h, replaceChildren } from '../components/dom';
import { reasonLabel, verdictLabel } from '../components/verdictPanel';
import { toneClass } from '../components/verdict';
import { bindText, formatTime } from '../i18n';

export const RECENT_LIMIT = 50;

export class RecentScans {
  readonly el: HTMLElement;
  private readonly list: HTMLOListElement;
  private results: ScanResult[] = [];

  constructor(private readonly onPick: (r: ScanResult) => void) {
    this.list = h('ol', { class: 'recent-list' });
    this.el = h(
      'section',
      { class: 'recent' },
      bindText(h('h2', { class: 'panel-title' }), 'gate.recent'),
      this.list,
    );
    this.render();
  }

  /** Replaces the list (at start, from `recent_scans`). */
  set(results: ScanResult[]): void {
    this.results = results.slice(0, RECENT_LIMIT);
    this.render();
  }

  /** Adds a new result on top, or replaces an earlier one with the same scan id (an override). */
  add(result: ScanResult): void {
    this.results = [result, ...this.results.filter((r) => r.scan_id !== result.scan_id)].slice(
      0,
      RECENT_LIMIT,
    );
    this.render();
  }

  private render(): void {
    if (this.results.length === 0) {
      replaceChildren(this.list, bindText(h('li', { class: 'recent-empty' }), 'gate.recentEmpty'));
      return;
    }
    replaceChildren(
      this.list,
      ...this.results.map((r) =>
        h(
          'li',
          { class: `recent-item ${toneClass(r.verdict)}` },
          h(
            'button',
            { type: 'button', class: 'recent-button', onclick: () => this.onPick(r) },
            h('span', { class: 'recent-time' }, formatTime(r.at_ms)),
            verdictLabel(h('span', { class: 'recent-verdict' }), r.verdict),
            r.participant
              ? h('span', { class: 'recent-name' }, r.participant.name)
              : reasonLabel(h('span', { class: 'recent-name' }), r),
          ),
        ),
      ),
    );
  }
}
