/**
 * Search by name at the gate. The backend searches its local cache (100,000 participants and
 * more); this panel only debounces the typing, drops answers that arrive after a newer query,
 * and renders the first {@link SEARCH_LIMIT} hits.
 */

import type { Backend, SearchHit } from '../backend';
import { attempt } from '../components/call';
import { debounce } from '../components/debounce';
import { h, replaceChildren } from '../components/dom';
import { bindText } from '../i18n';

export const SEARCH_LIMIT = 20;
export const SEARCH_DEBOUNCE_MS = 150;

export class SearchPanel {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly results: HTMLElement;
  private latest = 0;
  private readonly run = debounce((query: string) => void this.search(query), SEARCH_DEBOUNCE_MS);

  constructor(
    private readonly backend: Backend,
    private readonly onCheckIn: (hit: SearchHit) => void,
  ) {
    this.input = h('input', {
      type: 'search',
      class: 'field-input',
      id: 'gate-search',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    bindText(this.input, 'gate.searchHint', undefined, 'placeholder');
    this.input.addEventListener('input', () => this.run(this.input.value.trim()));
    this.results = h('ul', { class: 'search-results' });
    this.el = h(
      'section',
      { class: 'search' },
      bindText(h('label', { class: 'field-label', for: 'gate-search' }), 'gate.search'),
      this.input,
      this.results,
    );
  }

  dispose(): void {
    this.run.cancel();
  }

  /** Empties the field and the results, and takes focus away from the field. */
  clear(): void {
    this.run.cancel();
    this.latest += 1;
    this.input.value = '';
    this.input.blur();
    replaceChildren(this.results);
  }

  private async search(query: string): Promise<void> {
    const ticket = ++this.latest;
    if (query.length < 2) {
      replaceChildren(this.results);
      return;
    }
    const hits = await attempt(this.backend.search({ query, limit: SEARCH_LIMIT + 1 }));
    if (ticket !== this.latest || hits === undefined) return;
    this.render(hits);
  }

  private render(hits: SearchHit[]): void {
    if (hits.length === 0) {
      replaceChildren(this.results, bindText(h('li', { class: 'search-none' }), 'gate.searchNone'));
      return;
    }
    const shown = hits.slice(0, SEARCH_LIMIT);
    replaceChildren(
      this.results,
      ...shown.map((hit) =>
        h(
          'li',
          { class: 'search-hit' },
          h(
            'div',
            { class: 'search-who' },
            h('div', { class: 'search-name' }, hit.name),
            h(
              'div',
              { class: 'search-meta' },
              [hit.category, hit.organisation, hit.registration_code].filter(Boolean).join(' · '),
            ),
            bindText(h('div', { class: `search-status status-${hit.status}` }), `pstatus.${hit.status}`),
          ),
          bindText(
            h('button', { type: 'button', class: 'button', onclick: () => this.onCheckIn(hit) }),
            'gate.checkIn',
          ),
        ),
      ),
      hits.length > SEARCH_LIMIT
        ? bindText(h('li', { class: 'search-more' }), 'gate.searchMore', { count: SEARCH_LIMIT })
        : null,
    );
  }
}
