/**
 * The gate's scanning screen: camera preview, the large verdict panel, the last scans, manual
 * entry of a registration code, search by name, override of ALREADY_SCANNED, the direction toggle
 * of a `both` checkpoint, and the status bar. A keyboard-wedge scanner works without focusing any
 * field. Nothing here waits on the backend with the screen locked: each call is fire-and-show.
 */

import type { AppState, Backend, DeviceStatus, Movement, ScanResult, ScanSource } from '../backend';
import { attempt } from '../components/call';
import { h, replaceChildren } from '../components/dom';
import { Subscriptions, type Screen } from '../components/screen';
import { StatusBar } from '../components/statusBar';
import { VerdictPanel } from '../components/verdictPanel';
import { bindText } from '../i18n';
import { overrideForm } from './overrideForm';
import { RECENT_LIMIT, RecentScans } from './recentScans';
import { SearchPanel } from './searchPanel';
import { attachWedge } from './wedge';

/** How long a verdict stays on screen before the panel goes back to "ready". */
export const VERDICT_HOLD_MS = 10_000;

export interface GateHooks {
  onSettings(): void;
  /** The backend answered with a new app state (e.g. after a direction change). */
  onState(state: AppState): void;
}

export class GateScreen implements Screen {
  readonly el: HTMLElement;
  private readonly subs = new Subscriptions();
  private readonly panel: VerdictPanel;
  private readonly recent: RecentScans;
  private readonly search: SearchPanel | null;
  private readonly status = new StatusBar();
  private readonly camera: HTMLImageElement;
  private readonly cameraWait: HTMLElement;
  private readonly overlay: HTMLElement;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly backend: Backend,
    private state: AppState,
    private readonly hooks: GateHooks,
  ) {
    const profile = state.profile;
    this.panel = new VerdictPanel(profile.allow_override ? { onOverride: (r) => this.openOverride(r) } : {});
    this.recent = new RecentScans((r) => this.showResult(r, false));
    this.search = profile.allow_search
      ? new SearchPanel(backend, (hit) => {
          this.submitScan(hit.registration_code, 'manual');
          // Done with this person: clear the search so the next wedge scan is not typed into it.
          this.search?.clear();
        })
      : null;
    this.camera = h('img', { class: 'camera-frame', hidden: true });
    bindText(this.camera, 'gate.cameraAlt', undefined, 'alt');
    this.cameraWait = bindText(h('div', { class: 'camera-wait' }), 'gate.waitingCamera');
    this.overlay = h('div', { class: 'overlay', hidden: true });

    this.el = h(
      'div',
      { class: 'screen gate-screen' },
      this.header(),
      h(
        'main',
        { class: 'gate-main' },
        h(
          'div',
          { class: 'gate-scan' },
          h('div', { class: 'camera' }, this.camera, this.cameraWait),
          this.panel.el,
        ),
        h(
          'aside',
          { class: 'gate-tools' },
          profile.allow_manual_entry ? this.manualEntry() : null,
          this.search?.el,
          this.recent.el,
        ),
      ),
      this.status.el,
      this.overlay,
    );

    this.subs.add(attachWedge(window, (text) => this.submitScan(text, 'wedge')));
    this.subs.addAsync(backend.onVerdict((r) => this.showResult(r)));
    this.subs.addAsync(backend.onStatus((s) => this.showStatus(s)));
    this.subs.addAsync(backend.onCameraFrame((f) => this.showFrame(f.data_url)));
    void this.load();
  }

  dispose(): void {
    clearTimeout(this.holdTimer);
    this.search?.dispose();
    this.subs.dispose();
  }

  /** Shows one answer: on the panel (held for a while) and on top of the last scans. */
  showResult(result: ScanResult, fresh = true): void {
    this.panel.show(result);
    if (fresh) this.recent.add(result);
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      if (this.overlay.hidden) this.panel.clear();
    }, VERDICT_HOLD_MS);
  }

  submitScan(text: string, source: ScanSource): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    void attempt(this.backend.scan({ text: trimmed, source })).then((r) => {
      if (r) this.showResult(r);
    });
  }

  private async load(): Promise<void> {
    const [recent, status] = await Promise.all([
      attempt(this.backend.recentScans({ limit: RECENT_LIMIT })),
      attempt(this.backend.status()),
    ]);
    if (recent) {
      this.recent.set(recent);
      // A camera verdict decided while this screen was being built (before its listener was
      // attached) still belongs on the panel: the person at the gate is waiting for it.
      const latest = recent[0];
      const idle = this.panel.el.dataset.verdict === undefined;
      if (latest && idle && Date.now() - latest.at_ms < VERDICT_HOLD_MS) this.showResult(latest, false);
    }
    if (status) this.showStatus(status);
  }

  private showStatus(status: DeviceStatus): void {
    this.status.show(status);
    // Tell staff what the preview's absence means, so nobody waits for a camera that is not
    // coming: without one, the hand scanner and typed codes still work.
    const camera = status.camera ?? 'starting';
    if (camera === 'unavailable') {
      this.camera.hidden = true;
      this.cameraWait.hidden = false;
    }
    if (!this.camera.hidden) return;
    const key = camera === 'off' ? 'gate.noCamera' : camera === 'unavailable' ? 'gate.cameraUnavailable' : 'gate.waitingCamera';
    bindText(this.cameraWait, key);
  }

  private showFrame(dataUrl: string): void {
    this.camera.src = dataUrl;
    if (this.camera.hidden) {
      this.camera.hidden = false;
      this.cameraWait.hidden = true;
    }
  }

  private header(): HTMLElement {
    const cp = this.state.checkpoints.find((c) => c.id === this.state.checkpoint_id);
    const place = h(
      'div',
      { class: 'gate-place' },
      h('div', { class: 'gate-checkpoint' }, cp?.name ?? ''),
      h('div', { class: 'gate-zone' }, [this.state.device?.event_name, cp?.zone].filter(Boolean).join(' · ')),
    );
    const direction =
      cp?.direction === 'both'
        ? this.directionToggle()
        : cp
          ? bindText(h('div', { class: 'gate-direction-fixed' }), `direction.${cp.direction}`)
          : null;
    const settings = bindText(
      h('button', { type: 'button', class: 'button', onclick: () => this.hooks.onSettings() }),
      'gate.settings',
    );
    return h('header', { class: 'gate-header' }, place, direction, settings);
  }

  private directionToggle(): HTMLElement {
    const choices: Array<{ value: Movement | null; key: 'movement.in' | 'movement.out' | 'movement.auto' }> =
      [
        { value: 'in', key: 'movement.in' },
        { value: 'out', key: 'movement.out' },
        { value: null, key: 'movement.auto' },
      ];
    const group = h('div', { class: 'segmented', role: 'group' });
    bindText(group, 'settings.direction', undefined, 'aria-label');
    const buttons = choices.map((c) => {
      const b = bindText(
        h('button', {
          type: 'button',
          class: 'button segment',
          'aria-pressed': String((this.state.direction ?? null) === c.value),
          onclick: () => this.setDirection(c.value),
        }),
        c.key,
      );
      return b;
    });
    replaceChildren(group, ...buttons);
    return group;
  }

  private setDirection(direction: Movement | null): void {
    const checkpoint_id = this.state.checkpoint_id;
    if (!checkpoint_id) return;
    void attempt(this.backend.selectCheckpoint({ checkpoint_id, direction })).then((s) => {
      if (s) this.hooks.onState(s);
    });
  }

  private manualEntry(): HTMLElement {
    const input = h('input', {
      type: 'text',
      class: 'field-input field-code',
      id: 'gate-manual',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
    });
    const form = h(
      'form',
      { class: 'manual-entry' },
      bindText(h('label', { class: 'field-label', for: 'gate-manual' }), 'gate.manual'),
      h(
        'div',
        { class: 'field-row' },
        input,
        bindText(h('button', { type: 'submit', class: 'button button-primary' }), 'gate.manualSubmit'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submitScan(input.value, 'manual');
      input.value = '';
    });
    return form;
  }

  private openOverride(result: ScanResult): void {
    clearTimeout(this.holdTimer);
    const close = () => {
      this.overlay.hidden = true;
      replaceChildren(this.overlay);
    };
    const form = overrideForm(
      result,
      (reason) => {
        close();
        void attempt(this.backend.overrideScan({ scan_id: result.scan_id, reason })).then((r) => {
          if (r) this.showResult(r);
        });
      },
      close,
    );
    replaceChildren(this.overlay, h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true' }, form));
    this.overlay.hidden = false;
  }
}
