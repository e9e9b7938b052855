/**
 * After pairing (and from settings): choose the checkpoint this gate scans at and, for a
 * checkpoint that is both entry and exit, the way it is set to.
 */

import type { AppState, Backend, CheckpointInfo, Movement } from '../backend';
import { attempt } from '../components/call';
import { h, replaceChildren } from '../components/dom';
import { bindText } from '../i18n';

export interface CheckpointChoice {
  checkpoint_id: string;
  direction: Movement | null;
}

/**
 * A radio list of checkpoints plus the direction choice; `current()` reads the selection.
 * Used by the first-run picker and the settings screen.
 */
export class CheckpointChooser {
  readonly el: HTMLElement;
  private selected: string | null;
  private direction: Movement | null;
  private readonly directionBox: HTMLElement;

  constructor(
    private readonly checkpoints: CheckpointInfo[],
    initial: Partial<CheckpointChoice> = {},
  ) {
    this.selected = initial.checkpoint_id ?? checkpoints[0]?.id ?? null;
    this.direction = initial.direction ?? null;
    this.directionBox = h('fieldset', { class: 'direction-choice' });
    const list = h(
      'div',
      { class: 'checkpoint-list', role: 'radiogroup' },
      ...checkpoints.map((cp) => {
        const radio = h('input', {
          type: 'radio',
          name: 'checkpoint',
          value: cp.id,
          id: `cp-${cp.id}`,
          checked: cp.id === this.selected,
        });
        radio.addEventListener('change', () => {
          this.selected = cp.id;
          this.renderDirection();
        });
        return h(
          'label',
          { class: 'checkpoint-option', for: `cp-${cp.id}` },
          radio,
          h('span', { class: 'checkpoint-name' }, cp.name),
          bindText(h('span', { class: 'checkpoint-zone' }), 'checkpoint.zone', { zone: cp.zone }),
          bindText(h('span', { class: 'checkpoint-direction' }), `direction.${cp.direction}`),
        );
      }),
    );
    this.el = h('div', { class: 'checkpoint-chooser' }, list, this.directionBox);
    this.renderDirection();
  }

  current(): CheckpointChoice | null {
    if (!this.selected) return null;
    const cp = this.checkpoints.find((c) => c.id === this.selected);
    return { checkpoint_id: this.selected, direction: cp?.direction === 'both' ? this.direction : null };
  }

  private renderDirection(): void {
    const cp = this.checkpoints.find((c) => c.id === this.selected);
    if (cp?.direction !== 'both') {
      this.directionBox.hidden = true;
      replaceChildren(this.directionBox);
      return;
    }
    this.directionBox.hidden = false;
    const options: Array<[Movement | null, 'movement.in' | 'movement.out' | 'movement.auto']> = [
      [null, 'movement.auto'],
      ['in', 'movement.in'],
      ['out', 'movement.out'],
    ];
    replaceChildren(
      this.directionBox,
      bindText(h('legend', { class: 'field-label' }), 'checkpoint.direction'),
      ...options.map(([value, key]) => {
        const id = `dir-${value ?? 'auto'}`;
        const radio = h('input', { type: 'radio', name: 'direction', id, checked: value === this.direction });
        radio.addEventListener('change', () => {
          this.direction = value;
        });
        return h('label', { class: 'direction-option', for: id }, radio, bindText(h('span'), key));
      }),
    );
  }
}

export class CheckpointPicker {
  readonly el: HTMLElement;

  constructor(backend: Backend, state: AppState, onState: (s: AppState) => void) {
    const body = h('div', { class: 'picker-body' });
    const start = bindText(
      h('button', { type: 'submit', class: 'button button-primary' }),
      'checkpoint.start',
    );
    const refresh = bindText(
      h('button', {
        type: 'button',
        class: 'button',
        onclick: () => void attempt(backend.appState()).then((s) => s && onState(s)),
      }),
      'checkpoint.refresh',
    );
    let chooser: CheckpointChooser | null = null;
    if (state.checkpoints.length === 0) {
      replaceChildren(body, bindText(h('p', { class: 'card-help' }), 'checkpoint.none'));
      start.disabled = true;
    } else {
      chooser = new CheckpointChooser(state.checkpoints, {
        checkpoint_id: state.checkpoint_id ?? undefined,
        direction: state.direction ?? null,
      });
      replaceChildren(body, chooser.el);
    }
    const form = h(
      'form',
      { class: 'card checkpoint-form' },
      bindText(h('h1', { class: 'card-title' }), 'checkpoint.title'),
      body,
      h('div', { class: 'button-row' }, start, refresh),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const choice = chooser?.current();
      if (!choice) return;
      void attempt(backend.selectCheckpoint(choice)).then((s) => s && onState(s));
    });
    this.el = h('div', { class: 'screen centre-screen' }, form);
  }

  dispose(): void {}
}
