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
// Plain WebDriver over HTTP with node's fetch: no npm packages.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
const appBin = process.env.GATEHOUSE_APP_BIN || join(target, 'debug/gatehouse-app');
const serverBin = process.env.GATEHOUSE_SERVER_BIN || join(target, 'debug/gatehouse-server');
const framesBin = process.env.QR_FRAMES_BIN || join(target, 'debug/examples/qr_frames');
const shots = process.env.GATEHOUSE_SCREENSHOTS || join(root, 'docs/screenshots');
const work = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
const trace = join(work, 'trace.jsonl');
const children = [];
const results = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}
function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.log = () => log;
  children.push(child);
  return child;
}
async function until(what, fn, timeoutMs = 30_000, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

// ----- a minimal W3C WebDriver client -----
let base = '';
let session = '';
async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}
const s = (p) => `/session/${session}${p}`;
const exec = (script, args = []) => wd('POST', s('/execute/sync'), { script, args });
async function find(css) {
  const v = await wd('POST', s('/element'), { using: 'css selector', value: css });
  return Object.values(v)[0];
}
async function waitFor(css, timeoutMs = 30_000) {
  return until(`element ${css}`, () => find(css), timeoutMs, 200);
}
const click = async (css) => wd('POST', s(`/element/${await waitFor(css)}/click`), {});
const type = async (css, text) => wd('POST', s(`/element/${await waitFor(css)}/value`), { text });
async function screenshot(name) {
  const png = await wd('GET', s('/screenshot'));
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, `${name}.png`), Buffer.from(png, 'base64'));
}
const verdict = () => exec("return document.querySelector('.verdict-panel')?.dataset.verdict ?? null");
async function waitVerdict(v, timeoutMs = 20_000) {
  return until(`verdict ${v}`, async () => (await verdict()) === v, timeoutMs, 50);
}
async function step(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e) });
    console.log(`FAIL ${name}: ${e}`);
    await screenshot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
  }
}

async function main() {
  for (const [what, path] of [['app', appBin], ['server', serverBin], ['frame generator', framesBin]]) {
    if (!existsSync(path)) throw new Error(`the ${what} binary ${path} does not exist (see tests/ui-e2e/README.md)`);
  }
  // 1. The real server with its demo event.
  const port = await freePort();
  const serverDir = join(work, 'server');
  const server = start(serverBin, ['demo', '--data', serverDir, '--bind', `127.0.0.1:${port}`]);
  const demoFile = join(serverDir, 'demo.json');
  await until('demo.json', () => existsSync(demoFile) && JSON.parse(readFileSync(demoFile, 'utf8')), 120_000, 250)
    .catch((e) => { throw new Error(`${e}\nserver log:\n${server.log()}`); });
  const demo = JSON.parse(readFileSync(demoFile, 'utf8'));
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
  const driverPort = await freePort();
  const nativePort = await freePort();
  start('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], {
    GATEHOUSE_APP_TRACE: trace,
    GATEHOUSE_LOG: 'warn',
  });
  base = `http://127.0.0.1:${driverPort}`;
  await until('tauri-driver', () => fetch(`${base}/status`).then((r) => r.ok), 20_000, 200);
  const created = await wd('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        'tauri:options': {
          application: appBin,
          args: ['--data', join(work, 'device'), '--profiles', join(root, 'kiosk-profiles'), '--frames', frames, '--frames-fps', '10'],
        },
      },
    },
  });
  session = created.sessionId;

  await step('the first run shows the pairing form', async () => {
    await waitFor('#pair-url', 60_000);
    await screenshot('01-pairing');
  });

  await step('pairing with the demo server shows the gate', async () => {
    await type('#pair-url', demo.server_url);
    await type('#pair-code', demo.pairing_codes[0]);
    await exec("const p = document.getElementById('pair-profile'); p.value = 'gate-laptop'; p.dispatchEvent(new Event('change'));");
    await click('.pairing-form button[type=submit]');
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

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.log(`FAIL setup: ${e.stack ?? e}`);
} finally {
  if (session) await wd('DELETE', s('')).catch(() => {});
  for (const c of children) c.kill('SIGTERM');
}
const passed = results.filter((r) => r.ok).length;
const failedCount = results.length - passed + (failed ? 1 : 0);
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(failedCount === 0 ? 0 : 1);
