// What the app's end-to-end stories share: paths to the built binaries, child processes that are
// stopped at the end, the real demo server, a minimal W3C WebDriver client over node's fetch (no
// npm packages, no browser download) talking to tauri-driver, screenshots and step reporting.
//
// Each story (run.mjs: the gate; kiosk.mjs: the self-service kiosk) is its own node process:
// the state below is that process's.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
export const appBin = process.env.GATEHOUSE_APP_BIN || join(target, 'debug/gatehouse-app');
export const serverBin = process.env.GATEHOUSE_SERVER_BIN || join(target, 'debug/gatehouse-server');
export const framesBin = process.env.QR_FRAMES_BIN || join(target, 'debug/examples/qr_frames');
const shots = process.env.GATEHOUSE_SCREENSHOTS || join(root, 'docs/screenshots');
export const work = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
const children = [];
const results = [];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** Starts a child process whose output is kept (`child.log()`) and which is stopped at the end. */
export function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.log = () => log;
  children.push(child);
  return child;
}

/** Polls `fn` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function until(what, fn, timeoutMs = 30_000, stepMs = 100) {
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

export function checkBinaries() {
  for (const [what, path] of [['app', appBin], ['server', serverBin], ['frame generator', framesBin]]) {
    if (!existsSync(path)) throw new Error(`the ${what} binary ${path} does not exist (see tests/ui-e2e/README.md)`);
  }
}

/** `gatehouse-server demo` on a free port; resolves to its demo.json. */
export async function demoServer() {
  const port = await freePort();
  const serverDir = join(work, 'server');
  const server = start(serverBin, ['demo', '--data', serverDir, '--bind', `127.0.0.1:${port}`]);
  const demoFile = join(serverDir, 'demo.json');
  await until('demo.json', () => existsSync(demoFile) && JSON.parse(readFileSync(demoFile, 'utf8')), 120_000, 250)
    .catch((e) => { throw new Error(`${e}\nserver log:\n${server.log()}`); });
  return JSON.parse(readFileSync(demoFile, 'utf8'));
}

// ----- a minimal W3C WebDriver client -----
let base = '';
let session = '';
export async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}
export const s = (p) => `/session/${session}${p}`;
export const exec = (script, args = []) => wd('POST', s('/execute/sync'), { script, args });

/** tauri-driver on free ports and a session on the app started with `args`. */
export async function openApp(args, env = {}) {
  const driverPort = await freePort();
  const nativePort = await freePort();
  start('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], env);
  base = `http://127.0.0.1:${driverPort}`;
  await until('tauri-driver', () => fetch(`${base}/status`).then((r) => r.ok), 20_000, 200);
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: appBin, args } } },
  });
  session = created.sessionId;
}

export async function find(css) {
  const v = await wd('POST', s('/element'), { using: 'css selector', value: css });
  return Object.values(v)[0];
}
export async function waitFor(css, timeoutMs = 30_000) {
  return until(`element ${css}`, () => find(css), timeoutMs, 200);
}
export const click = async (css) => wd('POST', s(`/element/${await waitFor(css)}/click`), {});
export const type = async (css, text) => wd('POST', s(`/element/${await waitFor(css)}/value`), { text });
export async function screenshot(name) {
  const png = await wd('GET', s('/screenshot'));
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, `${name}.png`), Buffer.from(png, 'base64'));
}
/** The page's visible text. */
export const pageText = () => exec('return document.body.innerText');

/** Pairs the app from its first-run form with `profile`; resolves to the screen it shows next. */
export async function pair(demo, profile) {
  await type('#pair-url', demo.server_url);
  await type('#pair-code', demo.pairing_codes[0]);
  await exec(
    "const p = document.getElementById('pair-profile'); p.value = arguments[0]; p.dispatchEvent(new Event('change'));",
    [profile],
  );
  await click('.pairing-form button[type=submit]');
}

export async function step(name, fn) {
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

/** Runs a story, stops everything it started, prints `N passed, M failed` and exits 0 only if all passed. */
export async function run(story) {
  let failed = false;
  try {
    await story();
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
}
