// The dashboard in headless Debian Chromium (playwright-core, no browser download), against a
// running `gatehouse-server demo` (started by run.sh: GATEHOUSE_URL, GATEHOUSE_DEMO_JSON).
//
// Story: a read-only viewer signs in, sees the devices and is refused when they try to revoke
// one → the admin signs in → occupancy changes live after a scan posted through the sync API →
// a device is created, paired with its code and revoked → the access log is filtered and
// exported as CSV → a participant is found and their ticket QR shown → a gate that stopped
// calling turns OFFLINE on the live overview (about a minute after it went quiet).
// Screenshots: $GATEHOUSE_SCREENSHOTS (default docs/screenshots/), dashboard-*.png.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const base = process.env.GATEHOUSE_URL;
const demo = JSON.parse(readFileSync(process.env.GATEHOUSE_DEMO_JSON, 'utf8'));
const shots = process.env.GATEHOUSE_SCREENSHOTS || join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });
const results = [];

function check(what, ok, detail = '') {
  results.push({ what, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) throw new Error(`failed: ${what} ${detail}`);
}

async function api(path, body, token) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const pair = (code, name) =>
  api('/sync/v1/pair', { pairing_code: code, app_version: 'e2e-1.0', profile: name ?? 'gate-laptop' });

const scan = (token, checkpoint, payload) =>
  api(
    '/sync/v1/scan',
    {
      scan_id: randomUUID(),
      presented: { payload },
      checkpoint_id: checkpoint,
      requested: null,
      override_reason: null,
      device_time: Date.now(),
    },
    token,
  );

const entry = demo.checkpoints.find((c) => c.name === 'Main gate entry');
const vipDoor = demo.checkpoints.find((c) => c.name === 'VIP door');
const plenary = entry.zone;
const approved = demo.tickets.filter((t) => t.status === 'approved' && !t.blocked);
const blocked = demo.tickets.find((t) => t.blocked);
const event = demo.event_id;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--headless=new'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  const shot = (name) => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });
  async function signIn(who) {
    await page.goto(base + '/');
    check(`${who}: / leads to the sign-in page`, page.url().endsWith('/dashboard/login'));
    await page.fill('input[name=email]', demo[who].email);
    await page.fill('input[name=password]', demo[who].password);
    await Promise.all([page.waitForURL(`**/dashboard/events/${event}`), page.click('button[type=submit]')]);
  }

  // A wrong password stays on the sign-in page with a message.
  await page.goto(base + '/dashboard/login');
  await page.fill('input[name=email]', demo.admin.email);
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.form-error');
  check('a wrong password is refused', (await page.textContent('.form-error')).includes('Wrong email or password'));
  await shot('login');

  // Gates, and some traffic for the chart. Two gates keep calling; a third goes quiet after
  // pairing, and the overview must turn it OFFLINE by itself (no contact for 60 s).
  const [codeA, codeB] = demo.pairing_codes;
  const gateA = await pair(codeA);
  const gateB = await pair(codeB, 'exit-gate');
  const admin = await api('/admin/v1/login', { email: demo.admin.email, password: demo.admin.password });
  const south = await api(`/admin/v1/events/${event}/devices`, { name: 'South gate' }, admin.token);
  const quiet = await pair(south.pairing_code);
  const shown = await (await fetch(`${base}/admin/v1/events/${event}`, { headers: { authorization: `Bearer ${admin.token}` } })).json();
  // What a syncing gate reports: its feed cursor (gate 2 is 40 changes behind) and outbox depth.
  const report = (g, i) =>
    api(
      '/sync/v1/scans',
      {
        scans: [],
        occupancy: [],
        report: { app_version: 'e2e-1.0', profile: null, cursor: shown.feed_head - 40 * i, outbox_depth: 3 * i, device_time: Date.now() },
      },
      g.device_token,
    ).catch(() => {});
  const alive = [gateA, gateB];
  const keepAlive = setInterval(() => alive.forEach(report), 5_000);
  alive.forEach(report);
  keepAlive.unref();
  for (const t of approved.slice(0, 6)) await scan(gateA.device_token, entry.id, t.payload);
  await scan(gateA.device_token, entry.id, blocked.payload);
  await scan(gateB.device_token, vipDoor.id, approved[0].payload);

  // The viewer sees, but may not change.
  await signIn('viewer');
  await page.goto(`${base}/dashboard/events/${event}/devices`);
  check('the viewer sees the devices', (await page.content()).includes(gateA.device_name));
  check('the viewer gets no revoke button', (await page.locator('button.danger').count()) === 0);
  // Post the revoke form anyway, as a crafted page would (with the viewer's own CSRF token).
  await page.evaluate((id) => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = `/dashboard/devices/${id}/revoke`;
    const token = document.querySelector('input[name=csrf]').cloneNode();
    f.appendChild(token);
    document.body.appendChild(f);
    f.submit();
  }, gateA.device_id);
  await page.waitForSelector('.error-page');
  const refusal = await page.textContent('main');
  check('a user without permission is refused with a clear page', refusal.includes('Not allowed') && refusal.includes('devices:manage'));
  await shot('refused');
  await page.goto(`${base}/dashboard/events/${event}`);
  await Promise.all([page.waitForURL('**/dashboard/login'), page.click('.logout button')]);

  // The admin's overview, live.
  await signIn('admin');
  await page.waitForSelector('#live-status.is-live');
  const inside = () => page.textContent(`#live-zones [data-zone="${plenary}"] .inside`);
  const before = Number(await inside());
  await page.evaluate(() => (window.__sameDocument = true));
  const person = approved[6];
  const verdict = await scan(gateA.device_token, entry.id, person.payload);
  check('the scan is admitted', verdict.verdict === 'VALID');
  const t0 = Date.now();
  await page.waitForFunction(
    ([zone, want]) => document.querySelector(`#live-zones [data-zone="${zone}"] .inside`)?.textContent === String(want),
    [plenary, before + 1],
    { timeout: 10_000 },
  );
  const ms = Date.now() - t0;
  check('occupancy changes live after a scan, without a reload', await page.evaluate(() => window.__sameDocument === true), `${ms} ms`);
  check('every paired gate is listed on the overview', (await page.textContent('#live-devices')).includes(gateB.device_name));
  await shot('overview-live');

  // Pair and revoke a device.
  await page.goto(`${base}/dashboard/events/${event}/devices`);
  await page.fill('input[name=name]', 'E2E turnstile');
  await Promise.all([page.waitForURL(`**/dashboard/events/${event}/devices`), page.click('form.card button[type=submit]')]);
  const code = (await page.textContent('[data-pairing-code]')).trim();
  check('a new device shows its pairing code and QR', /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/.test(code) && (await page.locator('svg.qr').count()) === 1, code);
  await shot('pairing');
  const turnstile = await pair(code, 'exit-gate');
  await page.goto(`${base}/dashboard/events/${event}/devices`);
  const row = page.locator(`tr[data-device="${turnstile.device_id}"]`);
  check('the paired device is online', (await row.locator('.status').textContent()) === 'online');
  await Promise.all([page.waitForURL(`**/dashboard/events/${event}/devices`), row.locator('button.danger').click()]);
  check('the device is revoked', (await page.locator(`tr[data-device="${turnstile.device_id}"] .status`).textContent()) === 'revoked');
  const refusedSync = await fetch(`${base}/sync/v1/feed`, { headers: { authorization: `Bearer ${turnstile.device_token}` } });
  check('the revoked device is refused at its next contact', refusedSync.status === 403);
  await shot('devices');

  // The access log, filtered, and its CSV export.
  await page.goto(`${base}/dashboard/events/${event}/access-log`);
  await page.selectOption('select[name=verdict]', 'BLOCKED');
  await Promise.all([page.waitForURL('**/access-log?*'), page.click('form.filters button[type=submit]')]);
  const verdicts = await page.locator('table.log td.verdict').allTextContents();
  check('the log filters by verdict', verdicts.length === 1 && verdicts[0] === 'BLOCKED', verdicts.join(','));
  await page.fill('input[name=q]', person.registration_code);
  await page.selectOption('select[name=verdict]', '');
  await Promise.all([page.waitForURL('**/access-log?*'), page.click('form.filters button[type=submit]')]);
  const personRows = await page.locator('table.log tbody tr').count();
  check('the log filters by participant', personRows === 1 && (await page.content()).includes('Scans of'));
  await page.selectOption('select[name=verdict]', 'BLOCKED');
  await page.fill('input[name=q]', '');
  await Promise.all([page.waitForURL('**/access-log?*'), page.click('form.filters button[type=submit]')]);
  await shot('access-log');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.button[download]')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  check('the CSV export holds the filtered view', csv[0].startsWith('id,server_time') && csv.length === 2 && csv[1].includes(',BLOCKED,'), `${csv.length - 1} rows`);

  // A participant and their ticket QR.
  await page.goto(`${base}/dashboard/events/${event}/participants`);
  await page.fill('input[name=q]', person.name.split(' ')[0]);
  await Promise.all([page.waitForURL('**/participants?*'), page.click('form.filters button[type=submit]')]);
  await page.click(`a[href="/dashboard/participants/${person.participant_id}"]`);
  await page.waitForSelector('svg.qr');
  check('a participant page shows status and ticket QR', (await page.textContent('.person')).includes('approved'));
  await shot('participant');

  // An API key for an integrator: created from the scope grid, shown once, working at once.
  await page.goto(`${base}/dashboard/api-keys`);
  await page.fill('form.api-key-form input[name=name]', 'Registration portal');
  await page.check('form.api-key-form input[value="participants:read"]');
  await page.click('form.api-key-form button[type=submit]');
  const secret = (await page.textContent('[data-secret]')).trim();
  const listed = await fetch(`${base}/api/v1/participants?limit=1&fields=full_name`, { headers: { 'X-API-Key': secret } });
  const events = await fetch(`${base}/api/v1/events`, { headers: { 'X-API-Key': secret } });
  check('a key made in the dashboard works within its scopes', secret.startsWith('ghk_') && listed.status === 200 && events.status === 403, `${listed.status}/${events.status}`);
  await page.goto(`${base}/dashboard/api-keys`);
  check('the key list never shows the secret again', !(await page.content()).includes(secret));
  await shot('api-keys');

  // A kiosk's queue ticket appears on the open Kiosks page, without a reload.
  const hall = await api(`/admin/v1/events/${event}/devices`, { name: 'Hall kiosk' }, admin.token);
  const kiosk = await pair(hall.pairing_code, 'self-service-kiosk');
  alive.push(kiosk);
  await page.goto(`${base}/dashboard/kiosks`);
  await page.evaluate(() => (window.__sameDocument = true));
  const ticketId = randomUUID();
  await api(
    '/sync/v1/kiosk',
    {
      sessions: [],
      tickets: [{
        id: ticketId, event_id: event, device_id: kiosk.device_id, session_id: null,
        desk: 'Accreditation', number: 1, label: 'A-001', issued_at: Date.now(),
      }],
      report: { mode: 'kiosk', kiosk_outbox_depth: 0, device_time: Date.now() },
    },
    kiosk.device_token,
  );
  await page.waitForSelector(`#kiosk-queues [data-ticket="${ticketId}"]`, { timeout: 30_000 });
  check(
    'a ticket a kiosk hands out shows in its desk\'s queue on the open Kiosks page',
    (await page.textContent(`#kiosk-queues [data-ticket="${ticketId}"]`)).includes('A-001')
      && (await page.evaluate(() => window.__sameDocument === true)),
  );
  // The kiosk's row too (the update that brought the ticket may have been read just before it).
  await page.waitForSelector(`#kiosk-devices [data-kiosk="${kiosk.device_id}"]`, { timeout: 30_000 });
  await shot('kiosks');

  // The quiet gate turns OFFLINE on the live overview, without a reload.
  await page.goto(`${base}/dashboard/events/${event}`);
  await page.evaluate(() => (window.__sameDocument = true));
  const t1 = Date.now();
  await page.waitForSelector(`#live-devices tr.status-offline[data-device="${quiet.device_id}"]`, { timeout: 120_000 });
  const alert = await page.textContent('#live-devices [role=alert]');
  check(
    'a gate that stops calling shows OFFLINE on the live overview',
    alert.includes('South gate') && !alert.includes(gateA.device_name) && (await page.evaluate(() => window.__sameDocument === true)),
    `${Math.round((Date.now() - t1) / 1000)} s after opening the page: ${alert.trim()}`,
  );
  await shot('overview');
  clearInterval(keepAlive);
} finally {
  await browser.close();
}
console.log(`dashboard e2e: ${results.filter((r) => r.ok).length}/${results.length} checks passed; screenshots in ${shots}`);
