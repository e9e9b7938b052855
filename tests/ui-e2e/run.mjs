// End-to-end test of the Gatehouse app: the real Tauri binary (gatehouse-app) driven through
// tauri-driver + WebKitWebDriver, against the real `gatehouse-server demo`, with the replay camera
// source (`--frames DIR`) showing QR frames rendered from the demo's tickets.
//
// Story: pair → checkpoint → a badge held to the camera is VALID → the same badge from the hand
// scanner is ALREADY_SCANNED → a supervisor overrides it → a registration code typed by hand is
// VALID → Arabic turns the layout right-to-left. Screenshots go to docs/screenshots/ (or to
// $GATEHOUSE_SCREENSHOTS, as in the test command, which leaves the checkout alone). It also
// measures frame-to-verdict-on-screen time: the app logs when each camera frame arrived
// (GATEHOUSE_APP_TRACE), the page records when the verdict panel changed (MutationObserver).
//
// Run under a display:  xvfb-run -a node tests/ui-e2e/run.mjs
// Needs: tauri-driver on PATH (cargo install tauri-driver --locked), WebKitWebDriver
// (webkit2gtk-driver), and built binaries (see tests/ui-e2e/README.md). No browser download.
// Plain WebDriver over HTTP with node's fetch (driver.mjs): no npm packages.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkBinaries, click, demoServer, exec, framesBin, openApp, pair, root, run, s, screenshot, sleep,
  step, type, until, waitFor, wd, work,
} from './driver.mjs';

const trace = join(work, 'trace.jsonl');
const verdict = () => exec("return document.querySelector('.verdict-panel')?.dataset.verdict ?? null");
async function waitVerdict(v, timeoutMs = 20_000) {
  return until(`verdict ${v}`, async () => (await verdict()) === v, timeoutMs, 50);
}

async function story() {
  checkBinaries();
  // 1. The real server with its demo event.
  const demo = await demoServer();
  const entry = demo.checkpoints.find((c) => c.name === 'Main gate entry') ?? demo.checkpoints.find((c) => c.direction === 'entry');
  // Names shown on the panel tell the scans apart: keep tickets whose name is unique in the demo.
  const count = (n) => demo.tickets.filter((t) => t.name === n).length;
  const admitted = demo.tickets.filter(
    (t) => t.status === 'approved' && !t.blocked && t.zones.includes(entry.zone) && count(t.name) === 1,
  );
  if (admitted.length < 3) throw new Error('the demo needs three admissible tickets');
  const [a, b, c] = admitted;

  // 2. Camera frames: 40 frames of the hall, badge A, 30 frames of hall, badge B: two camera
  //    verdicts to time, before the hand-scanner, override and manual steps.
  const frames = join(work, 'frames');
  execFileSync(framesBin, [frames, '--hold', '3', '--empty', '40', a.payload, '--empty', '30', b.payload]);

  // 3. tauri-driver and a session on the app.
  await openApp(
    ['--data', join(work, 'device'), '--profiles', join(root, 'kiosk-profiles'), '--frames', frames, '--frames-fps', '10'],
    { GATEHOUSE_APP_TRACE: trace, GATEHOUSE_LOG: 'warn' },
  );

  await step('the first run shows the pairing form', async () => {
    await waitFor('#pair-url', 60_000);
    await screenshot('01-pairing');
  });

  await step('pairing with the demo server shows the gate', async () => {
    await pair(demo, 'gate-laptop');
    const screen = await until('gate or checkpoint screen', async () =>
      (await exec("return document.querySelector('.gate-screen') ? 'gate' : document.querySelector('.checkpoint-form') ? 'checkpoint' : null")), 40_000, 200);
    if (screen === 'checkpoint') {
      await screenshot('02-checkpoint');
      await click(`label[for="cp-${entry.id}"]`);
      await click('.checkpoint-form button[type=submit]');
      await waitFor('.gate-screen');
    }
    // Record when the verdict panel changes, to time frame → verdict on screen.
    await exec(`window.__verdicts = [];
      const panel = document.querySelector('.verdict-panel');
      new MutationObserver(() => { if (panel.dataset.verdict) window.__verdicts.push({ v: panel.dataset.verdict, t: Date.now() }); })
        .observe(panel, { attributes: true, attributeFilter: ['data-verdict'] });`);
  });

  await step('a badge held to the camera is VALID', async () => {
    await waitVerdict('VALID', 30_000);
    const name = await exec("return document.querySelector('.verdict-name')?.textContent");
    if (name !== a.name) throw new Error(`the panel shows ${name}, expected ${a.name}`);
    await screenshot('03-valid-camera');
  });

  let timings = [];
  await step('the second camera badge is VALID and timed', async () => {
    await until('badge B on the panel', async () =>
      (await exec("return document.querySelector('.verdict-name')?.textContent")) === b.name, 60_000, 100);
    const seen = await exec('return window.__verdicts');
    const lines = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const line of lines) {
      const shown = seen.find((x) => x.t >= line.frame_arrived_ms && x.v === line.verdict);
      if (shown) timings.push({ frame: line.frame, decode_ms: line.decode_ms, decide_ms: line.decide_ms, emitted_after_ms: line.emitted_after_ms, on_screen_after_ms: shown.t - line.frame_arrived_ms });
    }
    if (timings.length === 0) throw new Error('no camera verdict could be timed');
  });

  await step('the same badge from the hand scanner is ALREADY_SCANNED', async () => {
    await sleep(300);
    // A wedge scanner types fast then presses Enter, on the window (no field focused).
    await exec('document.activeElement?.blur?.()');
    const keys = [];
    for (const ch of a.payload) keys.push({ type: 'keyDown', value: ch }, { type: 'keyUp', value: ch });
    keys.push({ type: 'keyDown', value: '\uE007' }, { type: 'keyUp', value: '\uE007' });
    await wd('POST', s('/actions'), { actions: [{ type: 'key', id: 'scanner', actions: keys }] });
    await waitVerdict('ALREADY_SCANNED', 10_000);
    await screenshot('04-already-scanned');
  });

  await step('a supervisor overrides ALREADY_SCANNED with a reason', async () => {
    await click('.verdict-override');
    await type('#override-reason', 'Lost wristband, checked ID');
    await screenshot('05-override');
    await click('.override-form button[type=submit]');
    await waitVerdict('MANUAL_OVERRIDE', 10_000);
    await screenshot('06-manual-override');
  });

  await step('a registration code typed by hand is VALID', async () => {
    await type('#gate-manual', c.registration_code);
    await click('.manual-entry button[type=submit]');
    await until('a VALID verdict for the typed code', async () =>
      (await verdict()) === 'VALID' && (await exec("return document.querySelector('.verdict-name')?.textContent")) === c.name, 10_000, 50);
    await screenshot('07-valid-manual');
  });

  await step('Arabic lays the screen out right to left', async () => {
    await click('.gate-header .button:last-child');
    await click('[data-lang="ar"]');
    const dir = await until('dir=rtl', async () => (await exec('return document.documentElement.dir')) === 'rtl' && 'rtl', 5_000);
    if (dir !== 'rtl') throw new Error(`dir is ${dir}`);
    await screenshot('08-settings-arabic');
    await click('.settings-form button[type=submit]');
    await waitFor('.gate-screen');
    await screenshot('09-gate-arabic');
  });

  await wd('DELETE', s('')).catch(() => {});
  for (const t of timings) console.log(JSON.stringify({ bench: 'frame_to_verdict_on_screen', ...t }));
}

await run(story);
