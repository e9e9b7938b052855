// End-to-end test of the self-service kiosk: the real Tauri app (gatehouse-app) paired with the
// real demo server under the `self-service-kiosk` profile, the replay camera source showing one
// attendee's QR, driven through tauri-driver + WebKitWebDriver under Xvfb (driver.mjs).
//
// Story: pairing as a kiosk shows the attract screen → a QR held to the camera welcomes the
// attendee by name → a queue ticket numbers them for the registration desk → "Print my badge"
// writes a PDF badge (no printer in the profile) → after the idle timeout the next attendee sees
// nothing of the last → Arabic lays the kiosk out right to left → someone without their QR finds
// themselves by name and date of birth and is welcomed → a wrong admin PIN keeps the
// kiosk, the right one leaves it → a broken profile stops the app with the file, the key and
// what was expected. Screenshots: docs/screenshots/kiosk-*.png (or $GATEHOUSE_SCREENSHOTS).
//
// Run under a display:  xvfb-run -a node tests/ui-e2e/kiosk.mjs

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  appBin, checkBinaries, click, demoServer, exec, framesBin, openApp, pageText, pair, root, run,
  screenshot, sleep, step, type, until, waitFor, work,
} from './driver.mjs';

// The shortest idle timeout a profile allows, so the reset is seen within the test.
const IDLE_S = 10;
// The demo kiosk profile's admin PIN (kiosk-profiles/self-service-kiosk.toml).
const PIN = '2468';

async function story() {
  checkBinaries();
  const demo = await demoServer();
  const entry = demo.checkpoints.find((c) => c.name === 'Main gate entry');
  if (!entry) throw new Error('the demo has no "Main gate entry" checkpoint');
  const count = (n) => demo.tickets.filter((t) => t.name === n).length;
  const attendee = demo.tickets.find(
    (t) => t.status === 'approved' && !t.blocked && t.zones.includes(entry.zone) && count(t.name) === 1,
  );
  if (!attendee) throw new Error('the demo needs an admissible ticket with a unique name');
  // Someone without their QR, who finds themselves by name and date of birth.
  const searcher = demo.tickets.find(
    (t) => t !== attendee && t.status === 'approved' && !t.blocked && t.zones.includes(entry.zone)
      && count(t.name) === 1 && t.date_of_birth,
  );
  if (!searcher) throw new Error('the demo needs a second admissible ticket with a date of birth');

  // The shipped profiles, with the kiosk's idle timeout shortened.
  const profiles = join(work, 'profiles');
  mkdirSync(profiles, { recursive: true });
  for (const f of readdirSync(join(root, 'kiosk-profiles')).filter((f) => f.endsWith('.toml'))) {
    copyFileSync(join(root, 'kiosk-profiles', f), join(profiles, f));
  }
  const kioskProfile = join(profiles, 'self-service-kiosk.toml');
  writeFileSync(
    kioskProfile,
    readFileSync(kioskProfile, 'utf8').replace(/^idle_timeout_s = \d+$/m, `idle_timeout_s = ${IDLE_S}`),
  );

  // The camera: 3 s of an empty hall, the attendee's QR, then a minute of empty hall.
  const frames = join(work, 'frames');
  execFileSync(framesBin, [frames, '--hold', '3', '--empty', '30', attendee.payload, '--empty', '600']);

  const device = join(work, 'device');
  await openApp(['--data', device, '--profiles', profiles, '--frames', frames, '--frames-fps', '10'], {
    GATEHOUSE_LOG: 'warn',
  });

  await step('the first run shows the pairing form', async () => {
    await waitFor('#pair-url', 60_000);
  });

  await step('pairing as a self-service kiosk shows the attract screen', async () => {
    await pair(demo, 'self-service-kiosk');
    await waitFor('.kiosk-attract', 40_000);
    await screenshot('kiosk-01-attract');
  });

  await step('a QR held to the camera welcomes the attendee by name', async () => {
    await until('the welcome screen', async () =>
      (await exec("return document.querySelector('.kiosk-welcome-name')?.textContent ?? ''")).includes(attendee.name),
    40_000, 100);
    await screenshot('kiosk-02-welcome');
  });

  await step('a queue ticket numbers the attendee for the registration desk', async () => {
    await click('.kiosk-welcome .kiosk-choices button:nth-child(2)');
    const number = await until('a queue number', () =>
      exec("return document.querySelector('.kiosk-ticket-number')?.textContent"), 10_000);
    if (number !== 'A-001') throw new Error(`the first Accreditation ticket of the day reads ${number}, not A-001`);
    const desk = await exec("return document.querySelector('.kiosk-ticket-desk')?.textContent");
    if (!desk.includes('Accreditation')) throw new Error(`the ticket names the desk as: ${desk}`);
    await screenshot('kiosk-03-queue-ticket');
  });

  await step('"Print my badge" writes a PDF badge and sends the attendee to the desk', async () => {
    await click('.kiosk-welcome .kiosk-choices button:nth-child(1)');
    await until('the badge message', async () =>
      (await exec("return document.querySelector('.kiosk-print-status')?.textContent ?? ''")).includes('registration desk'),
    20_000);
    const dir = join(device, 'badges');
    const badges = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pdf')) : [];
    if (badges.length !== 1) throw new Error(`expected one badge in ${dir}, found ${badges.length}`);
    if (!readFileSync(join(dir, badges[0])).subarray(0, 8).toString().startsWith('%PDF-1.4')) {
      throw new Error(`${badges[0]} is not a PDF`);
    }
    await screenshot('kiosk-04-badge');
  });

  await step('after the idle timeout the next attendee sees nothing of the last', async () => {
    await waitFor('.kiosk-attract', (IDLE_S + 10) * 1000);
    const text = await pageText();
    if (text.includes(attendee.name)) throw new Error('the attract screen still shows the last name');
    if (await exec("return document.querySelector('.kiosk-ticket-number')")) {
      throw new Error('the queue number is still on screen');
    }
    await screenshot('kiosk-05-after-idle');
  });

  await step('Arabic lays the kiosk out right to left', async () => {
    await click('.kiosk-bar [data-lang="ar"]');
    await until('dir=rtl', async () => (await exec('return document.documentElement.dir')) === 'rtl', 5_000);
    await screenshot('kiosk-06-arabic');
    await click('.kiosk-bar [data-lang="en"]');
  });

  await step('an attendee without their QR finds themselves by name and date of birth', async () => {
    await click('.kiosk-attract .kiosk-choices button:nth-child(2)');
    await waitFor('#kiosk-name', 10_000);
    await type('#kiosk-name', searcher.name);
    const [year, month, day] = searcher.date_of_birth.split('-').map(Number);
    await exec(`const set = (id, v) => {
        const el = document.getElementById(id);
        el.value = String(v);
        el.dispatchEvent(new Event('change', { bubbles: true }));
      };
      set('kiosk-dob-day', ${day}); set('kiosk-dob-month', ${month}); set('kiosk-dob-year', ${year});`);
    await screenshot('kiosk-09-find');
    await click('.kiosk-form button[type=submit]');
    const listed = await until('the attendee in the list', async () => {
      const names = await exec("return [...document.querySelectorAll('.kiosk-match-name')].map((e) => e.textContent)");
      return names.length ? names : null;
    }, 10_000);
    if (listed.length !== 1 || listed[0] !== searcher.name) {
      throw new Error(`name and date of birth listed ${JSON.stringify(listed)}, not just ${searcher.name}`);
    }
    await screenshot('kiosk-10-found');
    await click('.kiosk-match');
    await until('the welcome screen', async () =>
      (await exec("return document.querySelector('.kiosk-welcome-name')?.textContent ?? ''")).includes(searcher.name),
    10_000, 100);
    await waitFor('.kiosk-attract', (IDLE_S + 10) * 1000);
  });

  await step('a wrong admin PIN keeps the kiosk and the right one leaves it', async () => {
    // A long press on the hidden corner (the UI's own timer runs; the press is dispatched).
    const openPin = () => exec(`const c = document.querySelector('.admin-corner');
      c.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));`);
    await openPin();
    await waitFor('#admin-pin', 10_000);
    await type('#admin-pin', '0000');
    await click('.admin-dialog button[type=submit]');
    await until('the wrong-PIN message', async () =>
      (await exec("return document.querySelector('.admin-dialog .field-problem')?.textContent ?? ''")).length > 0, 5_000);
    await sleep(500);
    if (!(await exec("return !!document.querySelector('.kiosk-screen')"))) throw new Error('a wrong PIN left the kiosk');
    await screenshot('kiosk-07-wrong-pin');
    await type('#admin-pin', PIN);
    await click('.admin-dialog button[type=submit]');
    await until('the staff screen', async () =>
      await exec("return !document.querySelector('.kiosk-screen') && !!document.querySelector('.gate-screen, .checkpoint-form')"),
    10_000);
    await screenshot('kiosk-08-left-kiosk');
  });

  await step('a broken profile stops the app naming the file, the key and what was expected', async () => {
    const broken = join(work, 'broken-kiosk.toml');
    writeFileSync(broken, 'name = "broken"\nmode = "kiosk"\nidle_timeout_s = 2\n');
    const out = spawnSync(appBin, ['--data', join(work, 'broken-device'), '--profile', broken], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const said = `${out.stdout}${out.stderr}`;
    if (out.status === 0) throw new Error('the app started with a broken profile');
    for (const part of ['broken-kiosk.toml', 'idle_timeout_s', '10']) {
      if (!said.includes(part)) throw new Error(`the error does not mention ${part}: ${said}`);
    }
  });
}

await run(story);
