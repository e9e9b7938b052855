/**
 * The app shell: asks the backend for its state and shows the matching screen — pairing on first
 * run, the checkpoint picker until a checkpoint is chosen, then the gate's scanning screen or the
 * kiosk, with settings reachable from the gate. The profile sets the language, theme and contrast
 * once when it first arrives; after that staff choices stand.
 */

import type { AppState, Backend } from './backend';
import { attempt } from './components/call';
import { h, replaceChildren } from './components/dom';
import type { Screen } from './components/screen';
import { GateScreen } from './gate/gateScreen';
import { bindText, setLanguage } from './i18n';
import { KioskScreen } from './kiosk/kioskScreen';
import { CheckpointPicker } from './pairing/checkpointPicker';
import { PairingScreen } from './pairing/pairingScreen';
import { setHighContrast, setTheme } from './settings/display';
import { SettingsScreen } from './settings/settingsScreen';

export type ScreenName = 'pairing' | 'checkpoint' | 'gate' | 'kiosk' | 'settings';

/** Which screen an app state calls for (settings is only ever opened by staff). */
export function screenFor(state: AppState): Exclude<ScreenName, 'settings'> {
  if (!state.paired) return 'pairing';
  if (state.mode === 'kiosk') return 'kiosk';
  const chosen = state.checkpoint_id && state.checkpoints.some((c) => c.id === state.checkpoint_id);
  return chosen ? 'gate' : 'checkpoint';
}

export class App {
  private screen: Screen | null = null;
  private profileApplied: string | null = null;
  state: AppState | null = null;
  current: ScreenName | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly backend: Backend,
  ) {}

  /** Loads the state; on failure shows a retry button instead of a blank window. */
  async start(): Promise<void> {
    replaceChildren(this.root, bindText(h('p', { class: 'loading' }), 'app.loading'));
    const state = await attempt(this.backend.appState());
    if (!state) {
      replaceChildren(
        this.root,
        h(
          'div',
          { class: 'screen centre-screen' },
          bindText(
            h('button', { type: 'button', class: 'button button-primary', onclick: () => void this.start() }),
            'app.retry',
          ),
        ),
      );
      return;
    }
    this.show(state);
  }

  /** Shows the screen `state` calls for. */
  show(state: AppState): void {
    this.state = state;
    this.applyProfile(state);
    const name = screenFor(state);
    const onState = (s: AppState) => this.show(s);
    switch (name) {
      case 'pairing':
        this.mount(name, new PairingScreen(this.backend, state, onState));
        break;
      case 'checkpoint':
        this.mount(name, new CheckpointPicker(this.backend, state, onState));
        break;
      case 'kiosk':
        this.mount(name, new KioskScreen(this.backend, state, onState));
        break;
      case 'gate':
        this.mount(
          name,
          new GateScreen(this.backend, state, { onSettings: () => this.openSettings(), onState }),
        );
        break;
    }
  }

  openSettings(): void {
    if (!this.state) return;
    this.mount('settings', new SettingsScreen(this.backend, this.state, (s) => this.show(s)));
  }

  private applyProfile(state: AppState): void {
    const key = state.paired ? `${state.mode}:${state.profile.name}` : 'unpaired';
    if (this.profileApplied === key) return;
    this.profileApplied = key;
    setLanguage(state.profile.default_language);
    setHighContrast(state.profile.high_contrast);
    setTheme(state.profile.theme);
    document.documentElement.dataset.mode = state.mode;
  }

  private mount(name: ScreenName, screen: Screen): void {
    this.screen?.dispose();
    this.screen = screen;
    this.current = name;
    replaceChildren(this.root, screen.el);
  }
}
