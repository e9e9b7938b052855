/**
 * Self-service kiosk for attendees who have never seen it: attract screen → scan the QR, type the
 * code, or find yourself by name and date of birth → welcome with next steps → badge and/or queue
 * number → back to the attract screen. After the profile's idle timeout the kiosk rebuilds itself
 * from nothing, so the next attendee sees nothing of the last one (names, typed text, language).
 * Touch-first: big targets, one question per screen, a language switch on every screen.
 */

import type { AppState, Backend, KioskMatch, ScanResult } from '../backend';
import { attempt } from '../components/call';
import { h, replaceChildren, type Child } from '../components/dom';
import { languageSwitch } from '../components/languageSwitch';
import { Subscriptions, type Screen } from '../components/screen';
import { clearToasts } from '../components/toast';
import { admits } from '../components/verdict';
import { reasonLabel } from '../components/verdictPanel';
import { bindText, currentLanguage, onLanguageChange, setLanguage, type Key } from '../i18n';
import { isHighContrast, setHighContrast } from '../settings/display';
import { adminPinDialog, hiddenCorner } from './adminExit';
import { codeKeypad } from './codeKeypad';
import { dateOfBirthField } from './dateOfBirth';
import { attachWedge } from '../gate/wedge';
import { IdleTimer, idleTimeoutMs } from './idle';

/** Reasons an attendee can fix alone (retype, rescan); every other refusal goes to the help desk. */
const SELF_FIXABLE = new Set(['bad_registration_code', 'misread']);

/** Queue desks the kiosk hands numbers for. */
export const DESKS = { registration: 'registration', help: 'help' } as const;

type Step = 'attract' | 'code' | 'find' | 'matches' | 'welcome' | 'help';

export class KioskScreen implements Screen {
  readonly el: HTMLElement;
  private readonly subs = new Subscriptions();
  private readonly idle: IdleTimer;
  private stage!: HTMLElement;
  private overlay!: HTMLElement;
  private camera: HTMLImageElement | null = null;
  private disposeLang: () => void = () => undefined;
  private step: Step = 'attract';
  /** Bumped at every reset: answers for an earlier attendee are dropped, never shown. */
  private session = 0;

  /** `onState` gets the app's state once staff have left kiosk mode with the PIN. */
  constructor(
    private readonly backend: Backend,
    private readonly state: AppState,
    private readonly onState: (s: AppState) => void = () => undefined,
  ) {
    this.el = h('div', { class: 'screen kiosk-screen' });
    this.idle = new IdleTimer(idleTimeoutMs(state.profile.idle_timeout_s), () => this.reset());
    for (const ev of ['pointerdown', 'keydown', 'input']) {
      const poke = () => this.idle.poke();
      this.el.addEventListener(ev, poke);
    }
    this.subs.addAsync(backend.onVerdict((r) => this.onCameraVerdict(r)));
    // A USB hand scanner at the kiosk: a burst typed outside any field is a QR read.
    this.subs.add(attachWedge(window, (text) => this.onWedge(text)));
    this.subs.addAsync(backend.onCameraFrame((f) => this.camera && (this.camera.src = f.data_url)));
    // The backend records each visit in the language shown, check-ins from the camera included.
    this.subs.add(
      onLanguageChange((language) => void backend.kioskLanguage({ language }).catch(() => undefined)),
    );
    this.reset();
  }

  dispose(): void {
    this.idle.stop();
    this.disposeLang();
    this.subs.dispose();
  }

  /** Forgets the last attendee: rebuilds every element, back to defaults and the attract screen. */
  reset(): void {
    if (this.session > 0) {
      // Their visit is over: the backend records it with the language they saw. Quietly: nothing
      // about the last attendee may reach the next one's screen, not even an error.
      this.backend.kioskSessionEnd({ language: currentLanguage() }).catch(() => undefined);
    }
    this.session += 1;
    this.idle.stop();
    this.disposeLang();
    clearToasts();
    setLanguage(this.state.profile.default_language);
    setHighContrast(this.state.profile.high_contrast);
    const lang = languageSwitch(this.state.profile.languages);
    this.disposeLang = lang.dispose;
    const largeText = bindText(
      h('button', {
        type: 'button',
        class: 'button kiosk-large-text',
        'aria-pressed': String(isHighContrast()),
        onclick: () => {
          setHighContrast(!isHighContrast());
          largeText.setAttribute('aria-pressed', String(isHighContrast()));
        },
      }),
      'kiosk.largeText',
    );
    this.stage = h('main', { class: 'kiosk-stage' });
    this.overlay = h('div', { class: 'overlay', hidden: true });
    replaceChildren(
      this.el,
      hiddenCorner(() => this.openAdmin()),
      h('header', { class: 'kiosk-bar' }, lang.el, largeText),
      this.stage,
      this.overlay,
    );
    this.showAttract();
  }

  private go(step: Step, ...content: Child[]): void {
    this.step = step;
    this.camera = null;
    replaceChildren(this.stage, h('div', { class: `kiosk-step kiosk-${step}` }, ...content));
    if (step !== 'attract') this.idle.poke();
  }

  private showAttract(): void {
    const camera = h('img', { class: 'kiosk-camera', hidden: true });
    bindText(camera, 'gate.cameraAlt', undefined, 'alt');
    camera.addEventListener('load', () => (camera.hidden = false), { once: true });
    this.go(
      'attract',
      bindText(h('h1', { class: 'kiosk-title' }), 'kiosk.attractTitle'),
      this.state.device?.event_name ? h('p', { class: 'kiosk-event' }, this.state.device.event_name) : null,
      bindText(h('p', { class: 'kiosk-lead' }), 'kiosk.attractScan'),
      camera,
      bindText(h('p', { class: 'kiosk-or' }), 'kiosk.or'),
      h(
        'div',
        { class: 'kiosk-choices' },
        this.bigButton('kiosk.typeCode', () => this.showCode()),
        this.bigButton('kiosk.findMe', () => this.showFind()),
      ),
    );
    this.camera = camera;
  }

  private showCode(problem?: ScanResult): void {
    const input = h('input', {
      type: 'text',
      id: 'kiosk-code',
      class: 'field-input field-code kiosk-input',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
    });
    const form = h(
      'form',
      { class: 'kiosk-form' },
      bindText(h('label', { class: 'field-label', for: 'kiosk-code' }), 'kiosk.codeLabel'),
      input,
      problem ? reasonLabel(h('div', { class: 'field-problem', role: 'alert' }), problem) : null,
      codeKeypad(input),
      h(
        'div',
        { class: 'kiosk-actions' },
        this.bigButton('kiosk.continue', null, 'submit'),
        this.bigButton('common.back', () => this.reset()),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.busy();
      void this.ask(this.backend.scan({ text, source: 'manual' })).then((r) =>
        r ? this.showResult(r) : this.showCode(),
      );
    });
    this.go('code', form);
    queueMicrotask(() => input.focus());
  }

  private showFind(): void {
    const name = h('input', {
      type: 'text',
      id: 'kiosk-name',
      class: 'field-input kiosk-input',
      autocomplete: 'off',
    });
    const dob = dateOfBirthField('kiosk-dob');
    const problem = h('div', { class: 'field-problem', role: 'alert' });
    const form = h(
      'form',
      { class: 'kiosk-form' },
      bindText(h('label', { class: 'field-label', for: 'kiosk-name' }), 'kiosk.nameLabel'),
      name,
      bindText(h('label', { class: 'field-label', for: 'kiosk-dob-day' }), 'kiosk.dobLabel'),
      dob.el,
      problem,
      h(
        'div',
        { class: 'kiosk-actions' },
        this.bigButton('kiosk.search', null, 'submit'),
        this.bigButton('common.back', () => this.reset()),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const date_of_birth = dob.value();
      const query = { name: name.value.trim(), date_of_birth: date_of_birth ?? '' };
      if (!query.name || !date_of_birth) {
        bindText(problem, 'kiosk.needNameDob');
        return;
      }
      this.busy();
      void this.ask(this.backend.kioskFind(query)).then((matches) =>
        matches ? this.showMatches(matches) : this.showFind(),
      );
    });
    this.go('find', form);
    queueMicrotask(() => name.focus());
  }

  private showMatches(matches: KioskMatch[]): void {
    if (matches.length === 0) {
      this.showHelp('kiosk.noMatch');
      return;
    }
    this.go(
      'matches',
      bindText(h('h1', { class: 'kiosk-title' }), 'kiosk.pickYou'),
      h(
        'div',
        { class: 'kiosk-matches' },
        ...matches.map((m) =>
          h(
            'button',
            {
              type: 'button',
              class: 'button kiosk-button kiosk-match',
              onclick: () => {
                this.busy();
                void this.ask(this.backend.kioskCheckIn({ participant_id: m.id })).then((r) =>
                  r ? this.showResult(r) : this.showHelp('kiosk.helpDesk'),
                );
              },
            },
            h('span', { class: 'kiosk-match-name' }, m.name),
            h(
              'span',
              { class: 'kiosk-match-meta' },
              [m.organisation, m.category].filter(Boolean).join(' · '),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'kiosk-actions' },
        this.bigButton('common.back', () => this.reset()),
      ),
    );
  }

  /** Routes a check-in answer: welcome if in (or already in), a retry if fixable, else help. */
  showResult(result: ScanResult): void {
    const p = result.participant;
    if (p && (admits(result.verdict) || result.verdict === 'ALREADY_SCANNED')) {
      this.showWelcome(result);
    } else if (SELF_FIXABLE.has(result.reason_code)) {
      this.showCode(result);
    } else {
      this.showHelp('kiosk.helpDesk');
    }
  }

  private showWelcome(result: ScanResult): void {
    const p = result.participant;
    if (!p) return;
    const printStatus = h('p', { class: 'kiosk-print-status', role: 'status' });
    const ticket = h('div', { class: 'kiosk-ticket' });
    const print = this.bigButton('kiosk.printBadge', () => {
      print.disabled = true;
      bindText(printStatus, 'kiosk.printing');
      void this.ask(this.backend.printBadge({ participant_id: p.id }), 20_000).then((outcome) => {
        if (outcome?.printed) bindText(printStatus, 'kiosk.printed');
        else if (outcome?.file) bindText(printStatus, 'kiosk.badgeSaved');
        else {
          bindText(printStatus, 'kiosk.printFailed');
          print.disabled = false;
        }
      });
    });
    this.go(
      'welcome',
      bindText(h('h1', { class: 'kiosk-title kiosk-welcome-name' }), 'kiosk.welcome', { name: p.name }),
      result.verdict === 'ALREADY_SCANNED'
        ? bindText(h('p', { class: 'kiosk-lead' }), 'kiosk.alreadyIn')
        : null,
      bindText(h('p', { class: 'kiosk-lead' }), 'kiosk.nextSteps'),
      h('div', { class: 'kiosk-choices' }, print, this.queueButton(DESKS.registration, ticket)),
      printStatus,
      ticket,
      h(
        'div',
        { class: 'kiosk-actions' },
        this.bigButton('kiosk.done', () => this.reset(), 'button', 'primary'),
      ),
    );
  }

  private showHelp(message: Key): void {
    const ticket = h('div', { class: 'kiosk-ticket' });
    this.go(
      'help',
      bindText(h('h1', { class: 'kiosk-title' }), message),
      h('div', { class: 'kiosk-choices' }, this.queueButton(DESKS.help, ticket)),
      ticket,
      h(
        'div',
        { class: 'kiosk-actions' },
        this.bigButton('kiosk.done', () => this.reset(), 'button', 'primary'),
      ),
    );
  }

  private queueButton(desk: string, into: HTMLElement): HTMLButtonElement {
    const button = this.bigButton('kiosk.queueTicket', () => {
      button.disabled = true;
      void this.ask(this.backend.queueTicket({ desk })).then((q) => {
        if (!q) {
          button.disabled = false;
          return;
        }
        replaceChildren(
          into,
          bindText(h('div', { class: 'kiosk-ticket-label' }), 'kiosk.queueNumber'),
          // The label the desk calls out (`A-001`); the bare number from an older backend.
          h('div', { class: 'kiosk-ticket-number' }, q.label ?? String(q.number)),
          bindText(h('div', { class: 'kiosk-ticket-desk' }), 'kiosk.queueDesk', { desk: q.desk }),
        );
      });
    });
    return button;
  }

  /**
   * A backend call made for the attendee in front of the kiosk. If the kiosk resets before the
   * answer arrives (idle timeout, "Done"), the answer is dropped: nothing of the previous
   * attendee can appear on the next one's screen.
   */
  private ask<T>(work: Promise<T>, timeoutMs?: number): Promise<T | undefined> {
    const session = this.session;
    return new Promise((resolve) => {
      void attempt(work, timeoutMs).then((value) => {
        if (session === this.session) resolve(value);
      });
    });
  }

  private busy(): void {
    replaceChildren(this.stage, bindText(h('p', { class: 'kiosk-lead kiosk-busy' }), 'kiosk.busy'));
  }

  private onWedge(text: string): void {
    if (this.step !== 'attract' && this.step !== 'code' && this.step !== 'find') return;
    this.idle.poke();
    this.busy();
    void this.ask(this.backend.scan({ text, source: 'wedge' })).then((r) =>
      r ? this.showResult(r) : this.reset(),
    );
  }

  private onCameraVerdict(result: ScanResult): void {
    // A QR shown to the camera counts while nobody is in the middle of a check-in.
    if (this.step === 'attract' || this.step === 'code' || this.step === 'find') {
      this.idle.poke();
      this.showResult(result);
    }
  }

  private openAdmin(): void {
    this.idle.poke();
    replaceChildren(
      this.overlay,
      adminPinDialog(
        this.backend,
        () => {
          this.overlay.hidden = true;
          replaceChildren(this.overlay);
        },
        () => void attempt(this.backend.appState()).then((s) => s && this.onState(s)),
      ),
    );
    this.overlay.hidden = false;
  }

  private bigButton(
    key: Key,
    onClick: (() => void) | null,
    type: 'button' | 'submit' = 'button',
    variant: 'primary' | 'plain' = type === 'submit' ? 'primary' : 'plain',
  ): HTMLButtonElement {
    const b = h('button', {
      type,
      class: `button kiosk-button${variant === 'primary' ? ' button-primary' : ''}`,
    });
    if (onClick) b.addEventListener('click', onClick);
    return bindText(b, key);
  }
}
