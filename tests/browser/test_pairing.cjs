// Two laptops paired from their pages alone: the office laptop's Devices page
// makes an invitation, the home laptop's page checks it (whom it pairs with),
// confirms, and the two sync. Two real `clientele serve` processes on free
// loopback ports, each page logged in as its owner; bounded waits only.
'use strict';
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const BIN = process.env.CLIENTELE_BIN;
const SRC = process.env.CLIENTELE_SRC || path.join(__dirname, '..', '..');
const SHOTS = [path.join(process.env.CLIENTELE_BUILD || os.tmpdir(), 'screenshots')];
if (process.env.CLIENTELE_SCREENSHOTS_TO_DOCS === '1') SHOTS.push(path.join(SRC, 'docs'));
const WAIT = 10000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clientele-pairing-'));
const servers = [];
let browser;

const cli = (dir, ...args) => execFileSync(BIN, ['--data', dir, ...args], { encoding: 'utf8' }).trim();
let step = 0;
const ok = (what) => console.log(`ok ${++step} - ${what}`);
const check = (cond, what) => { if (!cond) throw new Error(`check failed: ${what}`); };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

// A device: its folder, its serve (UI and peer ports on loopback), its page.
async function device(name) {
  const dir = path.join(work, name);
  cli(dir, 'init', '--name', name);
  const ui = await freePort(), peers = await freePort();
  const srv = spawn(BIN, ['--data', dir, 'serve', '--ui', `127.0.0.1:${ui}`, '--listen', `127.0.0.1:${peers}`, '--no-discovery',
    '--sync-interval', '3600'], { stdio: ['ignore', 'inherit', 'inherit'] });
  servers.push(srv);
  await waitPort(ui);
  await waitPort(peers);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(cli(dir, 'open', '--print-url'));
  await page.waitForSelector('main[data-ready="today"]', { timeout: WAIT });
  await page.evaluate(() => { location.hash = '#/devices'; });
  await page.waitForSelector('main[data-ready="devices"]', { timeout: WAIT });
  return { dir, page, peers, id: cli(dir, 'id').split('\n')[0].trim() };
}

async function main() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const office = await device('office'), home = await device('home');

  // ----- this device's own address and port, shown
  const where = await office.page.textContent('#device-addresses');
  check(where.includes(`127.0.0.1:${office.peers}`), `the Devices page shows where peers reach this device (${where})`);
  ok('the Devices page shows this device\'s address and port');

  // ----- invite on the office laptop
  await office.page.click('#invite');
  await office.page.waitForSelector('#invitation', { timeout: WAIT });
  const invitation = await office.page.inputValue('#invitation');
  check(invitation.startsWith('clientele://') && invitation.endsWith(`@127.0.0.1:${office.peers}`), `an invitation naming this device's listener (${invitation})`);
  check(/Valid once, until \d\d:\d\d/.test(await office.page.textContent('#invitation-note')), 'the invitation says how long it is valid');
  for (const dir of SHOTS) { fs.mkdirSync(dir, { recursive: true }); await office.page.screenshot({ path: path.join(dir, 'ui-invite.png') }); }
  ok('Invite a device: a one-line invitation, with the time it is valid');

  // ----- join on the home laptop: check whom it pairs with, then confirm
  await home.page.fill('#join-text', 'clientele://not-an-invitation');
  await home.page.click('form[aria-label="Join with an invitation"] button[type=submit]');
  await home.page.waitForSelector('form[aria-label="Join with an invitation"] .error', { timeout: WAIT });
  check(cli(home.dir, 'peer', 'list') === '' || !cli(home.dir, 'peer', 'list').includes(office.id), 'a bad invitation pairs nothing');
  await home.page.fill('#join-text', invitation);
  await home.page.click('form[aria-label="Join with an invitation"] button[type=submit]');
  await home.page.waitForSelector('#join-confirm', { timeout: WAIT });
  check((await home.page.textContent('#join-device')) === office.id, 'the check names the inviting device before anything is paired');
  check(!cli(home.dir, 'peer', 'list').includes(office.id), 'checking pairs nothing yet');
  await home.page.click('#join-confirm');
  await home.page.waitForFunction((id) => document.querySelector('main')?.textContent.includes(id) && !document.getElementById('join-confirm'),
    office.id, { timeout: WAIT });
  check(cli(home.dir, 'peer', 'list').includes(office.id) && cli(office.dir, 'peer', 'list').includes(home.id), 'both devices are paired');
  await office.page.waitForFunction((id) => document.querySelector('main table')?.textContent.includes(id), home.id, { timeout: WAIT });
  ok('Join with an invitation: paste, see whom, confirm; both pages list the other device');

  // ----- then they sync: a company typed at the office appears at home
  cli(office.dir, 'put', 'company', 'name=Paired Works SRL');
  await home.page.click('text=Sync now');
  await home.page.evaluate(() => { location.hash = '#/companies'; });
  await home.page.waitForFunction(() => document.getElementById('results')?.textContent.includes('Paired Works SRL'), null, { timeout: WAIT });
  check(cli(home.dir, 'digest') === cli(office.dir, 'digest'), 'both books are the same after the sync');
  ok('the paired devices sync: the office\'s company shows at home, equal digests');

  // ----- the invitation worked once
  await office.page.evaluate(() => { location.hash = '#/devices'; });
  const third = await device('colleague');
  await third.page.fill('#join-text', invitation);
  await third.page.click('form[aria-label="Join with an invitation"] button[type=submit]');
  await third.page.waitForSelector('#join-confirm', { timeout: WAIT });
  await third.page.click('#join-confirm');
  await third.page.waitForSelector('#join-preview .error', { timeout: WAIT });
  check(!cli(third.dir, 'peer', 'list').includes(office.id), 'a used invitation pairs nobody else');
  ok('an invitation works once: a second device is refused with the reason');

  // ----- the home laptop is stolen: the office revokes it from its Devices page
  await office.page.waitForSelector(`button[aria-label="Revoke home"]`, { timeout: WAIT });
  await office.page.click(`button[aria-label="Revoke home"]`);
  await office.page.waitForSelector('.peer-revoke-confirm', { timeout: WAIT });
  check(await office.page.evaluate(() => document.activeElement?.classList.contains('peer-revoke-confirm')), 'the question takes the focus');
  check(cli(office.dir, 'peer', 'list').includes(home.id), 'asking revokes nothing yet');
  await office.page.click('.peer-revoke-confirm');
  await office.page.waitForFunction((id) => !document.querySelector('main table')?.textContent.includes(id), home.id, { timeout: WAIT });
  let refused = '';
  try { cli(home.dir, 'sync', office.id); } catch (e) { refused = String(e.stderr); }
  check(refused.includes('revoked'), `the office refuses the revoked laptop (${refused})`);
  ok('Revoke asks in the row, then the office refuses the revoked laptop');

  // ----- introductions: the colleague joins the office and learns the meeting-room laptop from it
  const meeting = await device('meeting');
  cli(office.dir, 'peer', 'add', meeting.id, '--addr', `127.0.0.1:${meeting.peers}`, '--name', 'meeting');
  cli(meeting.dir, 'peer', 'add', office.id, '--addr', `127.0.0.1:${office.peers}`);
  const second = cli(office.dir, 'peer', 'invite', '--addr', `127.0.0.1:${office.peers}`);
  await third.page.fill('#join-text', second);
  await third.page.click('form[aria-label="Join with an invitation"] button[type=submit]');
  await third.page.waitForSelector('#join-introducer', { timeout: WAIT });
  await third.page.check('#join-introducer');
  await third.page.click('#join-confirm');
  const officeRow = `tr[data-peer="${office.id}"]`;
  await third.page.waitForSelector(`${officeRow} input.peer-introducer:checked`, { timeout: WAIT });
  await third.page.click('text=Sync now');
  const meetingRow = `tr[data-peer="${meeting.id}"]`;
  await third.page.waitForSelector(`${meetingRow} .peer-introduced`, { timeout: WAIT });
  const said = await third.page.textContent(`${meetingRow} .peer-introduced`);
  check(said === 'introduced by office', `the introduced laptop's row says by whom (${said})`);
  check(!(await third.page.textContent('main table')).includes(home.id), 'the revoked laptop is not introduced');
  for (const dir of SHOTS) await third.page.screenshot({ path: path.join(dir, 'ui-introductions.png') });
  ok('Join with "also pair with its devices": the office introduces the meeting-room laptop, shown as introduced by it');
  await third.page.uncheck(`${officeRow} input.peer-introducer`);
  await third.page.waitForFunction((sel) => !document.querySelector(sel), meetingRow, { timeout: WAIT });
  check(!cli(third.dir, 'peer', 'list').includes(meeting.id), 'turning introductions off unpairs the introduced laptop');
  check(!(await third.page.isChecked(`${officeRow} input.peer-introducer`)), 'the office row says introductions are off');
  ok('unticking introductions from the office unpairs the laptop it introduced');
}

main().then(() => 0, (e) => { console.error(`FAIL: ${e.stack || e}`); return 1; }).then(async (code) => {
  if (browser) await browser.close().catch(() => {});
  for (const s of servers) s.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(code);
});
