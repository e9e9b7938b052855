/**
 * Gate settings: switch checkpoint and direction, language, and the high-contrast large-text mode.
 */

import type { AppState, Backend } from '../backend';
import { attempt } from '../components/call';
import { h } from '../components/dom';
import { languageSwitch } from '../components/languageSwitch';
import type { Screen } from '../components/screen';
import { bindText } from '../i18n';
import { CheckpointChooser } from '../pairing/checkpointPicker';
import { isHighContrast, setHighContrast } from './display';

export class SettingsScreen implements Screen {
  readonly el: HTMLElement;
  private readonly disposeLang: () => void;

  constructor(backend: Backend, state: AppState, onDone: (s: AppState) => void) {
    const chooser = new CheckpointChooser(state.checkpoints, {
      checkpoint_id: state.checkpoint_id ?? undefined,
      direction: state.direction ?? null,
    });
    const lang = languageSwitch(state.profile.languages);
    this.disposeLang = lang.dispose;
    const contrast = h('input', { type: 'checkbox', id: 'settings-contrast', checked: isHighContrast() });
    contrast.addEventListener('change', () => setHighContrast(contrast.checked));
    const device = state.device
      ? bindText(h('p', { class: 'card-help' }), 'settings.device', {
          name: state.device.name,
          event: state.device.event_name,
        })
      : null;
    const form = h(
      'form',
      { class: 'card settings-form' },
      bindText(h('h1', { class: 'card-title' }), 'settings.title'),
      device,
      bindText(h('h2', { class: 'field-label' }), 'settings.checkpoint'),
      chooser.el,
      bindText(h('h2', { class: 'field-label' }), 'common.language'),
      lang.el,
      h(
        'label',
        { class: 'toggle', for: 'settings-contrast' },
        contrast,
        bindText(h('span'), 'settings.contrast'),
      ),
      h(
        'div',
        { class: 'button-row' },
        bindText(h('button', { type: 'submit', class: 'button button-primary' }), 'settings.apply'),
        bindText(
          h('button', { type: 'button', class: 'button', onclick: () => onDone(state) }),
          'common.back',
        ),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const choice = chooser.current();
      if (!choice) {
        onDone(state);
        return;
      }
      void attempt(backend.selectCheckpoint(choice)).then((s) => s && onDone(s));
    });
    this.el = h('div', { class: 'screen centre-screen' }, form);
  }

  dispose(): void {
    this.disposeLang();
  }
}
