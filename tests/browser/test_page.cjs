// The page in real headless Chromium: the salesperson's day, end to end.
// Starts its own `clientele serve` on free loopback ports; bounded waits only.
// Screenshots go to $CLIENTELE_BUILD/screenshots, and to docs/ when
// CLIENTELE_SCREENSHOTS_TO_DOCS=1 (how docs/ui-*.png were made).
'use strict';
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const BIN = process.env.CLIENTELE_BIN;
const MAKE_CONFLICT = process.env.MAKE_CONFLICT;
const SRC = process.env.CLIENTELE_SRC || path.join(__dirname, '..', '..');
const SHOTS = [path.join(process.env.CLIENTELE_BUILD || os.tmpdir(), 'screenshots')];
if (process.env.CLIENTELE_SCREENSHOTS_TO_DOCS === '1') SHOTS.push(path.join(SRC, 'docs'));
const WAIT = 10000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clientele-browser-'));
const data = path.join(work, 'data');
let server, browser, page;

// The owner's browser gets in as `clientele open` has it: a one-time link that
// sets the session cookie and lands on the page.
async function login(p) {
  await p.goto(cli('open', '--print-url'));
}

function cli(...args) {
  return execFileSync(BIN, ['--data', data, ...args], { encoding: 'utf8' }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

let step = 0;
function ok(what) { console.log(`ok ${++step} - ${what}`); }
function check(cond, what) { if (!cond) throw new Error(`check failed: ${what}`); }

async function shot(page, name) {
  if (name !== 'failure') await page.evaluate(() => document.getElementById('toasts').replaceChildren()); // calm pictures
  for (const dir of SHOTS) {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `ui-${name}.png`) });
  }
}

async function api(page, method, p, body) {
  return page.evaluate(async ([m, p, b]) => {
    const token = document.querySelector('meta[name="clientele-token"]').content;
    const r = await fetch(p, { method: m, headers: { 'X-Clientele-Token': token, 'Content-Type': 'application/json' }, body: b ? JSON.stringify(b) : undefined });
    return r.status === 204 ? null : r.json();
  }, [method, p, body]);
}

async function ready(page, view) {
  await page.waitForSelector(`main[data-ready="${view}"]`, { timeout: WAIT });
}

// Go to a view and wait for it: the old view's mark is taken off first, so
// that a view already shown does not pass for the new one.
async function go(page, hash, view) {
  await page.evaluate((h) => {
    if (location.hash !== h) delete document.getElementById('main').dataset.ready;
    location.hash = h;
  }, hash);
  await ready(page, view);
}

// Until the page has asked the API nothing for `ms` (10 s at most): live
// refreshes of edits made just before have all gone out.
async function apiQuiet(page, ms) {
  let last = Date.now();
  const note = (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) last = Date.now(); };
  page.on('request', note);
  for (const end = Date.now() + 10000; Date.now() - last < ms && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 50));
  page.off('request', note);
}

// The name of the match the picker `id` highlights (aria-activedescendant), or null.
async function highlighted(page, id) {
  return page.evaluate((id) => {
    const a = document.getElementById(id).getAttribute('aria-activedescendant');
    return a ? document.getElementById(a)?.querySelector('.picker-name')?.textContent ?? null : null;
  }, id);
}

// Pick the record called `name` in the reference picker whose text input is #id,
// with the keyboard only: type `typed`, wait for the matches, arrow down to it, Enter.
async function pick(page, id, typed, name) {
  await page.fill(`#${id}`, typed);
  await page.waitForSelector(`#${id}-list:not([hidden]):not([aria-busy]) [role=option] .picker-name:text-is("${name}")`, { timeout: WAIT });
  check(await page.getAttribute(`#${id}`, 'aria-expanded') === 'true', `${id}: the list is announced open`);
  for (let i = 0; i < 8 && await highlighted(page, id) !== name; i++) await page.press(`#${id}`, 'ArrowDown');
  check(await highlighted(page, id) === name, `${id}: ${name} highlighted with the arrow keys`);
  await page.press(`#${id}`, 'Enter');
  check(await page.inputValue(`#${id}`) === name, `${id}: shows the picked name`);
  check(await page.getAttribute(`#${id}`, 'aria-expanded') === 'false', `${id}: the list closed after picking`);
}

// The id a picker holds: the hidden input of its form field.
const pickedId = (page, id) => page.evaluate((id) => document.getElementById(id).closest('.picker').querySelector('input[type=hidden]').value, id);

async function main() {
  cli('init', '--name', 'Laptop');
  const port = await freePort(), lport = await freePort();
  server = spawn(BIN, ['--data', data, 'serve', '--ui', `127.0.0.1:${port}`, '--listen', `127.0.0.1:${lport}`, '--no-discovery'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitPort(port);
  const url = `http://127.0.0.1:${port}/`;

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  // Playwright's polling helpers evaluate strings, which our CSP forbids: the
  // scenario bypasses the CSP, and a last step checks the page under it.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', bypassCSP: true });
  page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // a refused save (400) and a name taken (409) are expected parts of the scenario; anything else is not
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[09]/.test(m.text())) errors.push(m.text()); });

  // not logged in: the page says how to get in and holds no token
  await page.goto(url);
  check(await page.locator('meta[name="clientele-token"]').count() === 0, 'the page without a login holds no token');
  check((await page.textContent('body')).includes('clientele open'), 'the page without a login says how to get in');
  await login(page);
  check(new URL(page.url()).pathname === '/', 'the login link lands on the page');
  await ready(page, 'today');
  await page.waitForSelector('#live.on', { timeout: WAIT });
  check(await page.locator('#due-list.empty').count() === 1, 'empty today view teaches');
  ok('the page opens on Today, live updates connected');

  // ----- a company and a contact
  await page.click('a[data-nav=companies]');
  await ready(page, 'companies');
  await page.fill('form[aria-label="New company"] input[name=name]', 'Acme Ltd');
  await page.fill('form[aria-label="New company"] input[name=industry]', 'Steel');
  await page.click('form[aria-label="New company"] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('main[data-ready=r] h1')?.textContent.startsWith('Acme Ltd'), null, { timeout: WAIT });
  const acme = await page.evaluate(() => location.hash.slice(4));
  ok('create a company');

  await page.click('a[data-nav=contacts]');
  await ready(page, 'contacts');
  await page.fill('form[aria-label="New contact"] input[name=name]', 'Dragoș Ionescu');
  await pick(page, 'new-contact-company', 'acme', 'Acme Ltd');
  check(await pickedId(page, 'new-contact-company') === acme, 'the picker holds the company id');
  await page.click('form[aria-label="New contact"] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('main[data-ready=r] h1')?.textContent.startsWith('Dragoș Ionescu'), null, { timeout: WAIT });
  const dragos = await page.evaluate(() => location.hash.slice(4));
  const h1 = await page.textContent('main h1');
  check(h1.includes('Acme Ltd'), `contact header names the company: ${h1}`);
  ok('create a contact at the company');

  // ----- log a call with a follow-up task, from the keyboard
  await page.locator('main').focus();
  await page.keyboard.press('l');
  await page.waitForSelector('#log-dialog[open] #log-summary', { timeout: WAIT });
  await page.keyboard.press('Alt+k'); // the kind by keyboard: Alt+K, then the arrows
  check(await page.evaluate(() => document.activeElement?.name === 'kind'), 'Alt+K goes to the kind');
  await page.keyboard.press('ArrowRight');
  check(await page.isChecked('#log-kind-meeting'), 'an arrow chooses the next kind');
  await page.keyboard.press('ArrowLeft');
  check(await page.isChecked('#log-kind-call'), 'and back to call');
  await page.fill('#log-contact', 'dragos');
  await page.waitForSelector('#log-contact-list:not([hidden]) [role=option]:has-text("Dragoș Ionescu")', { timeout: WAIT });
  // the contact's company is its hint; Escape closes the list, not the dialog
  check((await page.textContent('#log-contact-list [role=option]')).includes('Acme Ltd'), 'a contact match names its company');
  await page.press('#log-contact', 'Escape');
  check(await page.isHidden('#log-contact-list') && await page.locator('#log-dialog[open]').count() === 1, 'Escape closed the list, the dialog stays');
  await page.press('#log-contact', 'ArrowDown'); // opens it again
  await page.waitForSelector('#log-contact-list:not([hidden]) [role=option]:has-text("Dragoș Ionescu")', { timeout: WAIT });
  await page.press('#log-contact', 'Enter');
  check(await page.inputValue('#log-contact') === 'Dragoș Ionescu' && await pickedId(page, 'log-contact') === dragos, 'the contact is picked');
  check(await pickedId(page, 'log-company') === acme, 'picking the contact fills in the company');
  await page.waitForFunction(() => document.getElementById('log-company').value === 'Acme Ltd', null, { timeout: WAIT });
  check(await page.locator('#log-dialog[open]').count() === 1, 'Enter on a match picks it, it does not save the dialog');
  await page.fill('#log-task', 'Send the proposal');
  await page.fill('#log-due', new Date().toISOString().slice(0, 10));
  await page.fill('#log-summary', 'Discussed the renewal for next year');
  await shot(page, 'log');
  await page.press('#log-summary', 'Enter');
  await page.waitForSelector('#log-dialog:not([open])', { state: 'attached', timeout: WAIT });
  await page.waitForFunction(() => document.getElementById('timeline')?.textContent.includes('Discussed the renewal'), null, { timeout: WAIT });
  ok('log a call with L; Enter saves; it shows on the contact timeline');

  // ----- today: the task and the call
  await go(page, '#/today', 'today');
  await page.waitForFunction(() => document.getElementById('due-list')?.textContent.includes('Send the proposal') &&
    document.getElementById('recent-list')?.textContent.includes('Discussed the renewal'), null, { timeout: WAIT });
  await shot(page, 'today');
  ok('Today shows the due task and the recent call');
  // the same, for a client that only dumps the first DOM (chromium --dump-dom)
  const profile = fs.mkdtempSync(path.join(work, 'profile-'));
  const dom = execFileSync('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
    '--dump-dom', cli('open', '--print-url')], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'] });
  check(dom.includes('Send the proposal') && dom.includes('Discussed the renewal'), 'chromium --dump-dom of / shows the due task and the call');
  ok('GET / rendered (even without waiting for scripts) shows due tasks and recent interactions');

  // add a second task from Today and check the first one off
  await page.fill('form[aria-label="Add a task"] input[name=title]', 'Call back about the discount');
  await page.click('form[aria-label="Add a task"] button[type=submit]');
  await page.waitForFunction(() => document.getElementById('due-list')?.textContent.includes('Call back about the discount'), null, { timeout: WAIT });
  await page.click('input[aria-label="Done: Send the proposal"]');
  await page.waitForFunction(() => !document.getElementById('due-list')?.textContent.includes('Send the proposal'), null, { timeout: WAIT });
  const due = await api(page, 'GET', '/api/due');
  check(due.items.length === 1 && due.items[0].fields.title === 'Call back about the discount', 'API agrees the task is done');
  ok('add a task and check it off in one click');

  // ----- search, with and without diacritics
  await go(page, '#/contacts', 'contacts');
  for (const q of ['dragos', 'DRAGOȘ', 'ionescu acme']) {
    await page.fill('#filter-contact', q);
    await page.waitForFunction(() => document.getElementById('results')?.textContent.includes('Dragoș Ionescu'), null, { timeout: WAIT });
  }
  await page.fill('#filter-contact', 'nobody-here');
  await page.waitForFunction(() => document.getElementById('results')?.textContent.includes('No contacts match'), null, { timeout: WAIT });
  await page.fill('#filter-contact', '');
  await page.press('body', 'Escape').catch(() => {});
  await page.locator('main').focus();
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement.id) === 'search', '/ focuses the search');
  await page.keyboard.type('dragos');
  await page.waitForFunction(() => document.getElementById('search-results')?.textContent.includes('Dragoș Ionescu'), null, { timeout: WAIT });
  await shot(page, 'search');
  check((await page.textContent('#search-results li')).includes('Acme Ltd'), 'a contact hit names its company');
  await page.keyboard.press('ArrowDown');
  check(await page.evaluate(() => document.activeElement.textContent) === 'Dragoș Ionescu', 'ArrowDown goes from the box to the first hit');
  await page.keyboard.press('ArrowUp');
  check(await page.evaluate(() => document.activeElement.id) === 'search', 'ArrowUp from the first hit goes back to the box');
  await page.fill('#search', 'discount');
  await page.waitForFunction(() => document.getElementById('search-results')?.textContent.includes('Call back about the discount'), null, { timeout: WAIT });
  check((await page.textContent('#search-results')).includes('Tasks'), 'tasks are searched');
  ok('search ignores case and diacritics (dragos finds Dragoș), list filter and global search; hits name their company, arrows walk them, tasks are found');

  // ----- typing into the search while the page still loads: its first render used to take the
  // focus, and the letters after it became shortcuts (an `l` opened Log, Enter saved a junk record)
  const interactions = async () => (await api(page, 'GET', '/api/records?type=interaction')).items.length;
  const logged = await interactions();
  await page.route('**/api/today', async (r) => { await new Promise((f) => setTimeout(f, 400)); await r.continue(); });
  const scriptUp = page.waitForRequest((r) => r.url().endsWith('/api/schema'), { timeout: WAIT }); // its keys are listened to
  await page.goto(url, { waitUntil: 'commit' });
  await scriptUp;
  await page.keyboard.press('/');
  await page.keyboard.type('marcel lupu ella', { delay: 60 }); // goes on past the first render
  await ready(page, 'search');
  check(await page.evaluate(() => document.activeElement.id) === 'search', `the search keeps the focus (it is on ${await page.evaluate(() => document.activeElement.id || document.activeElement.tagName)})`);
  check(await page.inputValue('#search') === 'marcel lupu ella', `every letter went into the search: ${await page.inputValue('#search')}`);
  check(await page.locator('#log-dialog[open]').count() === 0, 'no letter opened the Log dialog');
  check(await interactions() === logged, 'nothing was saved');
  await page.unroute('**/api/today');
  await page.fill('#search', '');
  ok('typing / and a search while the page loads: every letter goes into the search, no shortcut fires');

  // ----- edit a field in place: Enter saves, Esc cancels, an error keeps the text
  await page.fill('#search', '');
  const recordAsks = [];
  const noteAsk = (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/api/records')) recordAsks.push(u); };
  page.on('request', noteAsk);
  await go(page, `#/r/${dragos}`, 'r');
  await page.waitForSelector('#timeline', { timeout: WAIT });
  page.off('request', noteAsk);
  const asks = (end) => recordAsks.filter((u) => u.pathname === `/api/records/${dragos}${end}`).length;
  check(asks('/history') >= 1 && asks('/history') === asks('/related') && !recordAsks.some((u) => u.searchParams.has('ref')),
    `a record page asks for its history once and its related records once per render (asked: ${recordAsks.map((u) => u.pathname + u.search).join(' ')})`);
  await page.click('button[data-field=phone]');
  await page.fill('#edit-phone', '+40 721 555 000');
  await page.press('#edit-phone', 'Enter');
  await page.waitForFunction(() => document.querySelector('button[data-field=phone]')?.textContent.includes('+40 721 555 000'), null, { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${dragos}`)).fields.phone === '+40 721 555 000', 'phone stored');
  await page.click('button[data-field=title]');
  await page.fill('#edit-title', 'Should not be saved');
  await page.press('#edit-title', 'Escape');
  await page.waitForSelector('button[data-field=title]', { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${dragos}`)).fields.title === undefined, 'Esc saved nothing');
  await page.click('button[data-field=email]');
  await page.fill('#edit-email', 'not an email');
  await page.press('#edit-email', 'Enter');
  await page.waitForSelector('dd .error', { timeout: WAIT });
  check(await page.inputValue('#edit-email') === 'not an email', 'typed text kept after a failed save');
  await shot(page, 'edit-error');
  await page.press('#edit-email', 'Escape');
  ok('edit in place: Enter saves, Esc cancels, a refused value stays with its reason');

  // ----- every field of every type, filled, is shown and editable: driven by
  // GET /api/schema, so a field added to the schema table is covered here too
  const schema = await api(page, 'GET', '/api/schema');
  const sample = { text: 'Sample text', date: '2024-05-06', datetime: '2024-05-06T10:00:00Z', bool: true, decimal: '1234.50',
    currency: 'EUR', tags: 'alpha, beta', email: 'someone@example.com', url: 'https://example.com', phone: '+40 721 000 111', days: '30' };
  const made = {};
  // referenced types first; a type that refers to itself comes twice, the second refers to the first
  const refersToItself = (t) => t.fields.some((f) => f.kind === 'ref' && f.ref === t.name);
  const first = ['company', 'contact', 'deal'], rest = schema.types.map((t) => t.name).filter((n) => !first.includes(n));
  const order = [...first, ...rest].flatMap((n) => refersToItself(schema.types.find((t) => t.name === n)) ? [n, n] : [n]);
  for (const name of order) {
    const type = schema.types.find((t) => t.name === name);
    const fields = {};
    for (const f of type.fields) {
      if (f.kind === 'ref') { if (made[f.ref]) fields[f.name] = made[f.ref]; }
      else fields[f.name] = f.kind === 'enum' ? f.choices[0] : f.kind === 'text' ? `${f.name} of the full ${name}` : sample[f.kind];
    }
    const r = await api(page, 'POST', '/api/records', { type: name, fields });
    made[name] = r.id;
    await go(page, `#/r/${r.id}`, 'r');
    await page.waitForSelector(`main section[data-record="${r.id}"]`, { timeout: WAIT });
    for (const f of type.fields) {
      if (f.kind === 'ref' && !fields[f.name]) continue; // a type that refers to itself: checked on its second record
      // a reference shows "…" until its record's name has loaded; a live event may re-render meanwhile
      await page.waitForFunction((n) => {
        const b = document.querySelectorAll(`main button[data-field=${n}]`);
        return b.length === 1 && !['', '…', 'add…'].includes(b[0].textContent.trim());
      }, f.name, { timeout: WAIT }).catch(() => {});
      const btn = page.locator(`main button[data-field=${f.name}]`);
      check(await btn.count() === 1, `${name}.${f.name} is shown (${await btn.count()} buttons)`);
      const shown = (await btn.textContent()).trim();
      check(shown && shown !== 'add…' && shown !== '…', `${name}.${f.name} shows its value (${shown})`);
      await btn.click();
      await page.waitForSelector(`#edit-${f.name}`, { timeout: WAIT });
      await page.press(`#edit-${f.name}`, 'Escape');
      await page.waitForSelector(`button[data-field=${f.name}]`, { timeout: WAIT });
    }
  }
  ok(`every field of every type (${schema.types.map((t) => `${t.name} ${t.fields.length}`).join(', ')}), filled, is shown and opens its editor`);

  // ----- a live re-render while a reference's editor is opening keeps the editor:
  // a refresh is held in flight (its answers for the deal's history and for the
  // contact's name held back), the contact is clicked meanwhile, the refresh ends
  // first and the picker (waiting on the same name) after it
  await go(page, `#/r/${made.deal}`, 'r');
  await page.waitForFunction((id) => !['', '…'].includes(document.querySelector(`main section[data-record="${id}"] button[data-field=contact]`)?.textContent.trim() ?? ''),
    made.deal, { timeout: WAIT });
  const within = (p, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`timed out: ${what}`)), WAIT))]);
  const holder = () => { const h = {}; h.seen = new Promise((r) => { h.arrived = r; }); h.go = new Promise((r) => { h.release = r; }); return h; };
  const hist = holder(), name = holder();
  const isHist = (u) => u.pathname === `/api/records/${made.deal}/history`;
  const isName = (u) => u.pathname === `/api/records/${made.contact}`;
  await page.route(isHist, async (r) => { hist.arrived(); await hist.go; await r.continue(); });
  await page.route(isName, async (r) => { name.arrived(); await name.go; await r.continue(); });
  cli('put', 'company', 'name=Refresh Trigger SRL');
  await within(Promise.all([hist.seen, name.seen]), 'the refresh asks for the history and the name');
  await page.click('main button[data-field=contact]'); // the view still shown: the refresh is not done
  hist.release();
  await new Promise((r) => setTimeout(r, 300)); // the refresh has had its chance to replace the view
  name.release();
  await page.waitForSelector('main #edit-contact', { state: 'visible', timeout: WAIT });
  await page.unroute(isHist); await page.unroute(isName);
  await page.press('#edit-contact', 'Escape');
  await page.waitForSelector('main button[data-field=contact]', { timeout: WAIT });
  ok('a live update while a reference editor opens does not drop the editor');

  // ----- a change by another process appears without reload
  await page.evaluate(() => { window.__noReload = true; });
  await go(page, '#/companies', 'companies');
  cli('put', 'company', 'name=Globex Corporation', 'industry=Logistics');
  await page.waitForFunction(() => document.getElementById('results')?.textContent.includes('Globex Corporation'), null, { timeout: WAIT });
  check(await page.evaluate(() => window.__noReload === true), 'the page was not reloaded');
  ok('a company added by `clientele put` in another process appears without reload');

  // ----- employer history: Dragoș moves to Globex
  const globex = cli('list', 'company', '--query', 'globex', '--json');
  const globexId = JSON.parse(globex).items[0].id;
  await go(page, `#/r/${dragos}`, 'r');
  await page.click('button[data-field=company]');
  await page.waitForFunction(() => document.getElementById('edit-company')?.value === 'Acme Ltd', null, { timeout: WAIT });
  await pick(page, 'edit-company', 'globex', 'Globex Corporation');
  check(await page.locator('#edit-company').count() === 1, 'Enter on a match picks it, the editor stays open');
  check(await pickedId(page, 'edit-company') === globexId, 'the picker holds Globex\'s id');
  await page.press('#edit-company', 'Enter'); // now Enter saves
  await page.waitForFunction(() => /at Acme Ltd until .*now at Globex Corporation/.test(document.getElementById('employers')?.textContent ?? ''), null, { timeout: WAIT });
  await shot(page, 'contact');
  ok('a contact\'s employer history comes from the history of its company field');

  // ----- relationships both ways: the company keeps Dragoș as a former person,
  // Dragoș's page lists whom he referred
  const referred = await api(page, 'POST', '/api/records', { type: 'contact', fields: { name: 'Irina Referred', referred_by: dragos } });
  await go(page, `#/r/${acme}`, 'r');
  await page.waitForFunction(() => document.getElementById('former-list')?.textContent.includes('Dragoș Ionescu'), null, { timeout: WAIT });
  check(!(await page.textContent('main')).match(/People[\s\S]*Dragoș Ionescu[\s\S]*Former people/), 'Dragoș is no longer among Acme\'s people');
  await go(page, `#/r/${dragos}`, 'r');
  await page.waitForFunction(() => document.getElementById('referred-list')?.textContent.includes('Irina Referred') &&
    document.getElementById('h-referred')?.textContent.includes('1'), null, { timeout: WAIT });
  ok('a company lists a contact who moved as a former person; a referrer\'s page lists whom they referred');
  await api(page, 'DELETE', `/api/records/${referred.id}`);

  // ----- a conflict from two devices, resolved with one click
  execFileSync(MAKE_CONFLICT, [data, dragos, 'title', 'Buyer', 'Head of purchasing']);
  await page.waitForSelector('.conflict[data-field=title]', { timeout: WAIT });
  await page.waitForFunction(() => document.getElementById('conflict-badge').textContent === '1', null, { timeout: WAIT });
  await go(page, '#/conflicts', 'conflicts');
  await shot(page, 'conflicts');
  await page.click('button[aria-label="Keep Head of purchasing for title"]');
  await page.waitForSelector('#no-conflicts', { timeout: WAIT });
  const after = await api(page, 'GET', `/api/records/${dragos}`);
  check(after.conflicts.length === 0 && after.fields.title === 'Head of purchasing', 'conflict resolved to the kept value');
  ok('a conflict made by two writers shows both values; one click keeps one');

  // ----- the history reads in names and true values
  await go(page, `#/r/${dragos}`, 'r');
  await page.waitForSelector(`main section[data-record="${dragos}"] #timeline`, { timeout: WAIT });
  const changes = await page.$$eval('#timeline li.change', (ls) => ls.map((l) => l.textContent));
  check(changes.some((t) => t.startsWith('company: “Acme Ltd” → “Globex Corporation”')), `the employer change by name (${changes.join(' | ')})`);
  check(!changes.some((t) => /[a-z0-9]{26}/.test(t)), 'no raw record id in the history');
  check(changes.some((t) => /^created with \d+ fields/.test(t)), 'the fields the record was created with are one entry');
  const concurrent = changes.filter((t) => t.startsWith('title') && t.includes('concurrent edit'));
  check(concurrent.length >= 1 && concurrent.every((t) => !(t.includes('Buyer') && t.includes('Head of purchasing'))),
    `a concurrent edit says what its own device replaced, not the other device's value (${concurrent.join(' | ')})`);
  ok('history: references by name, the creation folded, a concurrent edit with its true "from"');
  await go(page, '#/conflicts', 'conflicts');

  // delete on one device, delete-and-restore on another: keep the record
  execFileSync(MAKE_CONFLICT, [data, acme, 'deleted', 'Acme Ltd', '']);
  await page.waitForSelector('.conflict[data-field=deleted]', { timeout: WAIT });
  await page.click('.conflict[data-field=deleted] button:has-text("Keep the record")');
  await page.waitForSelector('#no-conflicts', { timeout: WAIT });
  const acmeNow = await api(page, 'GET', `/api/records/${acme}`);
  check(acmeNow.deleted === false && acmeNow.conflicts.length === 0, 'the record was kept');
  ok('a delete that raced an edit is resolved by keeping the record');

  // ----- deals: pipeline, totals per currency, late promises stand out
  await go(page, '#/deals', 'deals');
  const addDeal = async (title, stage, amount, currency, promised) => {
    await page.fill('form[aria-label="New deal"] input[name=title]', title);
    await pick(page, 'new-deal-company', 'acme', 'Acme Ltd');
    check(await pickedId(page, 'new-deal-company') === acme, 'the deal form holds the company id');
    await page.selectOption('form[aria-label="New deal"] select[name=stage]', stage);
    await page.fill('form[aria-label="New deal"] input[name=amount]', amount);
    await page.fill('form[aria-label="New deal"] input[name=currency]', currency);
    if (promised) await page.fill('form[aria-label="New deal"] input[name=promised_by]', promised);
    await page.click('form[aria-label="New deal"] button[type=submit]');
    await page.waitForFunction((t) => document.querySelector('.pipeline')?.textContent.includes(t), title, { timeout: WAIT });
  };
  await addDeal('Steel frames 2027', 'proposal', '1200.50', 'EUR', '2020-01-15');
  await addDeal('Spare parts', 'proposal', '99.50', 'eur', '');
  await addDeal('Consulting', 'negotiation', '5000', 'USD', '');
  const totals = await page.textContent('.stage[data-stage=proposal] .totals');
  check(totals.replace(/\s/g, '') === '1300EUR', `proposal total is 1 300 EUR (got ${totals})`);
  check(await page.locator('.stage[data-stage=proposal] .deal.is-late').count() === 1, 'the late promise stands out');
  await shot(page, 'deals');
  ok('deals pipeline by stage with totals per currency; late promised-by stands out');

  // ----- a deal moves between stages by drag, or from the keyboard (Alt+arrows on its card)
  const dealId = async (q) => (await api(page, 'GET', `/api/records?type=deal&q=${encodeURIComponent(q)}`)).items[0].id;
  const consulting = await dealId('consulting'), steel = await dealId('steel frames');
  await page.focus(`#deal-${consulting}`);
  await page.keyboard.press('Alt+ArrowRight');
  await page.waitForSelector(`.stage[data-stage=won] #deal-${consulting}`, { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${consulting}`)).fields.stage === 'won', 'Alt+→ moved the deal to the next stage');
  await page.waitForFunction((id) => document.activeElement?.id === `deal-${id}`, consulting, { timeout: WAIT })
    .catch(async () => check(false, `the moved card keeps the focus (it is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))})`));
  await page.keyboard.press('Alt+ArrowLeft');
  await page.waitForSelector(`.stage[data-stage=negotiation] #deal-${consulting}`, { timeout: WAIT });
  await page.dragAndDrop(`#deal-${steel}`, '.stage[data-stage=negotiation]');
  await page.waitForSelector(`.stage[data-stage=negotiation] #deal-${steel}`, { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${steel}`)).fields.stage === 'negotiation', 'the drop stored the stage');
  await page.click('.toast:has-text("Moved Steel frames 2027") button:has-text("Undo")');
  await page.waitForSelector(`.stage[data-stage=proposal] #deal-${steel}`, { timeout: WAIT });
  await go(page, `#/r/${steel}`, 'r');
  await page.waitForSelector(`main section[data-record="${steel}"] #deal-stage`, { timeout: WAIT });
  const header = await page.textContent('main h1');
  check(/proposal · (since today|\d+ days? in stage)/.test(header) && /1\s?200\.50 EUR/.test(header) && header.includes('Acme Ltd') && header.includes('late'),
    `the deal's header: stage with its days, value, company, late badge (${header})`);
  ok('deals move between stages by drag or Alt+arrows, with Undo; a deal\'s header says stage, days in it, value, company, late');

  // ----- a stage of many deals: the column's count and value are the whole stage's, its cards come a page at a time
  for (let i = 0; i < 60; i++)
    await api(page, 'POST', '/api/records', { type: 'deal', fields: { title: `Old loss ${i}`, stage: 'lost', amount: '10', currency: 'EUR' } });
  await go(page, '#/deals', 'deals');
  const lost = '.stage[data-stage=lost]';
  const lostCards = () => page.locator(`${lost} .deal`).count();
  check(await lostCards() === 50, `the lost column shows its first 50 cards (${await lostCards()})`);
  check((await page.textContent(`${lost} h2`)).trim().endsWith('60') && (await page.textContent(`${lost} .totals`)).replace(/\s/g, '') === '600EUR',
    `the lost column counts and sums all 60 deals (${await page.textContent(`${lost} h2`)}, ${await page.textContent(`${lost} .totals`)})`);
  await page.click(`${lost} button.more:has-text("10 left")`);
  await page.waitForFunction((sel) => document.querySelectorAll(`${sel} .deal`).length === 60, lost, { timeout: WAIT });
  check(await page.isHidden(`${lost} button.more`), 'with every card shown, Show more is gone');
  const lostIds = await page.$$eval(`${lost} .deal`, (as) => as.map((a) => a.id));
  check(new Set(lostIds).size === 60, 'no card shown twice');
  await api(page, 'POST', '/api/records', { type: 'deal', fields: { title: 'One more loss', stage: 'lost' } });
  await page.waitForFunction((sel) => document.querySelector(`${sel} h2`)?.textContent.trim().endsWith('61'), lost, { timeout: WAIT });
  check(await lostCards() === 60, `a live redraw keeps the cards shown (${await lostCards()})`);
  ok('a stage of 60 deals: whole count and value, 50 cards then Show more, a live redraw keeps them');

  // ----- reports: drawn from the server's sums, which are the book's
  await go(page, '#/reports', 'reports');
  await page.waitForSelector('#report-pipeline rect', { timeout: WAIT });
  const rep = await api(page, 'GET', '/api/reports');
  const allDeals = [];
  for (let cursor = '', n = 0; n < 50; n++) {
    const got = await api(page, 'GET', `/api/records?type=deal&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    allDeals.push(...got.items);
    if (!(cursor = got.next)) break;
  }
  const units = (a) => { const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(a); return (m[1] ? -1n : 1n) * BigInt(m[2] + (m[3] || '').padEnd(4, '0').slice(0, 4)); };
  for (const st of rep.pipeline) {
    const mine = allDeals.filter((d) => (d.fields.stage || 'lead') === st.stage);
    check(st.count === mine.length, `${st.stage}: ${st.count} deals in the report, ${mine.length} in the book`);
    for (const sum of st.sums) {
      const want = mine.filter((d) => d.fields.amount && (d.fields.currency || '') === sum.currency).reduce((a, d) => a + units(d.fields.amount), 0n);
      check(units(sum.amount) === want, `${st.stage} ${sum.currency}: ${sum.amount} in the report`);
    }
  }
  const shownRows = await page.$$eval('#report-pipeline + details.numbers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(shownRows.length === 5 && shownRows.every((row, i) => row[0] === rep.pipeline[i].stage && row[1] === String(rep.pipeline[i].count)),
    `the page's numbers are the report's (${JSON.stringify(shownRows)})`);
  check(/1\s?300 EUR/.test(shownRows.find((row) => row[0] === 'proposal')[2]), 'proposal: 1 300 EUR, summed exactly');
  await shot(page, 'reports');
  ok('Reports: pipeline, closings, won and lost, interactions per month, drawn as SVG; the totals equal the book\'s sums');

  // ----- reference pickers: a typeahead that asks the server (case and accents folded there)
  const co = {};
  for (const name of ['Café Noir', 'Cafés du Monde', 'Crème Brûlée SA', 'Ångström Labs'])
    co[name] = (await api(page, 'POST', '/api/records', { type: 'company', fields: { name } })).id;
  await go(page, '#/contacts', 'contacts');
  // a late answer to an older query never replaces the matches of a newer one: the
  // answer for "caf" is held back until "ANGSTROM" has been answered and shown
  await page.evaluate(() => { // note each answer the page has read (in the page's own order)
    window.__answered = [];
    const json = Response.prototype.json;
    Response.prototype.json = function () { const p = json.call(this), u = this.url; p.then(() => window.__answered.push(u), () => {}); return p; };
  });
  const isCaf = (u) => u.pathname === '/api/records' && u.searchParams.get('type') === 'company' && u.searchParams.get('q') === 'caf';
  let heldRoute, onHeld;
  const held = new Promise((r) => { onHeld = r; });
  await page.route(isCaf, (route) => { heldRoute = route; onHeld(); });
  await page.fill('#new-contact-company', 'caf');
  await held;
  await page.fill('#new-contact-company', 'ANGSTROM');
  await page.waitForSelector('#new-contact-company-list:not([hidden]):not([aria-busy]) .picker-name:text-is("Ångström Labs")', { timeout: WAIT });
  await heldRoute.continue();
  await page.waitForFunction(() => window.__answered.some((u) => new URL(u).searchParams.get('q') === 'caf'), null, { timeout: WAIT });
  const shown = await page.$$eval('#new-contact-company-list:not([hidden]) .picker-name', (ns) => ns.map((n) => n.textContent));
  check(shown.join('|') === 'Ångström Labs', `the late answer for "caf" left the matches for "ANGSTROM" alone (shown: ${shown.join('|')})`);
  await page.unroute(isCaf);
  ok('a picker drops a late answer to an older query (ANGSTROM finds Ångström Labs)');

  await page.fill('form[aria-label="New contact"] input[name=name]', 'Zoë Martín');
  await pick(page, 'new-contact-company', 'brulee', 'Crème Brûlée SA');
  check(await pickedId(page, 'new-contact-company') === co['Crème Brûlée SA'], 'brulee picks Crème Brûlée SA');
  await page.fill('#new-contact-company', '');
  check(await pickedId(page, 'new-contact-company') === '', 'emptying the text clears the pick');
  await page.fill('#new-contact-company', 'cafe');
  await page.waitForSelector('#new-contact-company-list:not([hidden]):not([aria-busy]) [role=option]', { timeout: WAIT });
  const cafes = await page.$$eval('#new-contact-company-list [role=option] .picker-name', (ns) => ns.map((n) => n.textContent).sort());
  check(cafes.join('|') === 'Café Noir|Cafés du Monde', `cafe finds both cafés (got ${cafes.join('|')})`);
  check(await page.evaluate(() => !document.querySelector('form[aria-label="New contact"]').checkValidity()), 'typed but not picked: the form will not submit');
  await pick(page, 'new-contact-company', 'cafe', 'Cafés du Monde');
  await page.click('form[aria-label="New contact"] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('main[data-ready=r] h1')?.textContent.startsWith('Zoë Martín'), null, { timeout: WAIT });
  const zoe = await page.evaluate(() => location.hash.slice(4));
  check((await api(page, 'GET', `/api/records/${zoe}`)).fields.company === co['Cafés du Monde'], 'the contact\'s company field holds the picked company\'s id');
  ok('pick a company by typing part of its name without accents, with the keyboard; the form stores its id');

  // editing shows the referenced company's name; unpicked text is not saved; × clears
  await page.click('button[data-field=company]');
  await page.waitForFunction(() => document.getElementById('edit-company')?.value === 'Cafés du Monde', null, { timeout: WAIT });
  check(await pickedId(page, 'edit-company') === co['Cafés du Monde'], 'the editor holds the current company');
  await page.fill('#edit-company', 'no such company');
  await page.waitForSelector('.editor .picker-msg:has-text("No company matches")', { timeout: WAIT });
  await page.click('.editor button.primary');
  await page.waitForSelector('dd .error:has-text("pick a company")', { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${zoe}`)).fields.company === co['Cafés du Monde'], 'text that was not picked changed nothing');
  await page.click('.editor .picker-clear');
  check(await page.inputValue('#edit-company') === '' && await pickedId(page, 'edit-company') === '', '× empties the picker');
  check(await page.evaluate(() => document.activeElement.id) === 'edit-company', '× leaves the focus in the picker');
  await page.press('#edit-company', 'Enter');
  await page.waitForFunction(() => document.querySelector('button[data-field=company]')?.textContent === 'add…', null, { timeout: WAIT });
  check(((await api(page, 'GET', `/api/records/${zoe}`)).fields.company ?? '') === '', 'the cleared reference is stored empty');
  ok('editing a reference shows its name; × and Enter clear it; unpicked text is refused with a reason');

  // a fresh page under a fake clock: typing sends one query once it pauses, and no
  // picker ever lists a whole type (the views here, Today and a record, list none)
  const fake = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', bypassCSP: true });
  await fake.clock.install();
  const fp = await fake.newPage();
  await login(fp);
  fp.on('pageerror', (e) => errors.push(e.message));
  const whole = [], asked = [];
  fp.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname !== '/api/records') return;
    const t = u.searchParams.get('type');
    if (u.searchParams.has('q')) asked.push(u);
    else if (!u.searchParams.has('ref') && (t === 'company' || t === 'contact')) whole.push(u.href);
  });
  await fp.goto(url);
  await ready(fp, 'today');
  await fp.clock.pauseAt(await fp.evaluate(() => Date.now() + 1000)); // timers fire only when told
  await fp.locator('main').focus();
  await fp.keyboard.press('l');
  await fp.waitForSelector('#log-dialog[open] #log-company', { timeout: WAIT });
  await fp.focus('#log-company');
  await fp.keyboard.type('brulee');
  check(asked.length === 0, `nothing asked while typing (asked: ${asked.map(String).join(' ')})`);
  await fp.clock.runFor(200);
  await fp.waitForSelector('#log-company-list:not([hidden]) .picker-name:text-is("Crème Brûlée SA")', { timeout: WAIT });
  check(asked.length === 1 && asked[0].searchParams.get('type') === 'company' && asked[0].searchParams.get('q') === 'brulee' &&
    asked[0].searchParams.get('limit') === '8', `six keys, one query for 8 matches (asked: ${asked.map(String).join(' ')})`);
  await fp.press('#log-company', 'Enter');
  check(await pickedId(fp, 'log-company') === co['Crème Brûlée SA'], 'picked in the log dialog');
  await fp.focus('#log-contact');
  await fp.keyboard.type('zoe');
  await fp.clock.runFor(200);
  await fp.waitForSelector('#log-contact-list:not([hidden]) [role=option]:has-text("Zoë Martín")', { timeout: WAIT });
  check(asked.length === 2 && asked[1].searchParams.get('type') === 'contact' && asked[1].searchParams.get('limit') === '8', 'one query for the contact');
  await fp.press('#log-contact', 'Escape'); // closes the list
  await fp.press('#log-contact', 'Escape'); // closes the dialog
  await fp.waitForSelector('#log-dialog:not([open])', { state: 'attached', timeout: WAIT });
  await fp.clock.resume();
  await go(fp, `#/r/${zoe}`, 'r');
  await fp.click('button[data-field=referred_by]');
  await fp.fill('#edit-referred_by', 'dragos');
  await fp.waitForSelector('#edit-referred_by-list:not([hidden]) [role=option]:has-text("Dragoș Ionescu")', { timeout: WAIT });
  await fp.press('#edit-referred_by', 'Escape'); // closes the list, the editor stays
  check(await fp.locator('#edit-referred_by').count() === 1, 'Escape with the list open keeps the editor');
  await fp.press('#edit-referred_by', 'Escape'); // cancels the editor
  await fp.waitForSelector('button[data-field=referred_by]', { timeout: WAIT });
  check(whole.length === 0, `no picker listed a whole type: ${whole.join(' ')}`);
  check(asked.every((u) => u.searchParams.get('limit') === '8'), 'pickers ask for 8 matches');
  await fake.close();
  ok('pickers query the server once typing pauses (fake clock), 8 matches at a time, never a whole type');

  // ----- birthdays on Today; delete with undo
  const soon = new Date(Date.now() + 3 * 86400000);
  const bday = `1980-${String(soon.getMonth() + 1).padStart(2, '0')}-${String(soon.getDate()).padStart(2, '0')}`;
  await api(page, 'PATCH', `/api/records/${dragos}`, { fields: { birthday: bday } });
  await go(page, '#/today', 'today');
  await page.waitForFunction(() => [...document.querySelectorAll('h2')].find((h) => h.textContent.startsWith('Birthdays'))
    ?.nextElementSibling?.textContent.includes('Dragoș Ionescu'), null, { timeout: WAIT });
  ok('an upcoming birthday shows on Today');

  // ----- Today as a triage: a promise at risk, someone to get back to, counts,
  // and one request for the whole view however many tasks there are
  const dayStr = (n) => { const d = new Date(Date.now() + n * 86400000); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; };
  const late = await api(page, 'POST', '/api/records', { type: 'deal', fields: { title: 'Forklift lease', company: acme, stage: 'proposal', amount: '12500', currency: 'EUR', promised_by: dayStr(-1) } });
  const quiet = await api(page, 'POST', '/api/records', { type: 'contact', fields: { name: 'Radu Quiet', company: acme, cadence: '30' } });
  await api(page, 'POST', '/api/records', { type: 'interaction', fields: { kind: 'call', summary: 'Last spoke', date: dayStr(-31), contact: quiet.id } });
  for (let i = 0; i < 40; i++)
    await api(page, 'POST', '/api/records', { type: 'task', fields: { title: `Follow-up ${i}`, due: dayStr(0), contact: i % 2 ? dragos : quiet.id, deal: late.id } });
  const todayAsks = [];
  const noteToday = (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/api/')) todayAsks.push(u.pathname + u.search); };
  await go(page, '#/companies', 'companies');
  await apiQuiet(page, 800); // the live redraws the 40 new tasks caused, on the old view, are not Today's
  page.on('request', noteToday);
  await go(page, '#/today', 'today');
  await page.waitForSelector('#promises-list', { timeout: WAIT });
  page.off('request', noteToday);
  // (a live refresh for the tasks just added may ask once more)
  check(!todayAsks.some((u) => u.startsWith('/api/records')) && todayAsks.length <= 4,
    `Today with 40 tasks due asks the API a bounded number of times (asked: ${todayAsks.join(' ')})`);
  const promiseRow = await page.textContent(`#promises-list li[data-id="${late.id}"]`);
  check(promiseRow.includes('Forklift lease') && promiseRow.includes('Acme Ltd') && /12\s?500/.test(promiseRow) && promiseRow.includes('late'),
    `the promise of yesterday is at risk, with its company and value (${promiseRow})`);
  const touchRow = await page.textContent(`#touch-list li[data-id="${quiet.id}"]`);
  check(touchRow.includes('Radu Quiet') && touchRow.includes('every 30 days'), `Radu (30-day cadence, last call 31 days ago) is to get back to (${touchRow})`);
  const dueRow = await page.locator('#due-today li', { hasText: 'Follow-up 2' }).first().textContent();
  check(/Acme Ltd/.test(dueRow) && dueRow.includes('Forklift lease') && /12\s?500/.test(dueRow), `a due task names the company and the deal with its value (${dueRow})`);
  const dueCount = (await api(page, 'GET', '/api/today')).due_today.count;
  check(dueCount >= 40 && (await page.textContent('#h-due-today .count')) === String(dueCount), `Due today has its count (${dueCount})`);
  check(/\d+ promises? at risk/.test(await page.textContent('#today-summary')), 'the summary line counts the promises');
  await shot(page, 'today-triage');
  await page.click(`#touch-list li[data-id="${quiet.id}"] button:has-text("Log")`);
  await page.waitForSelector('#log-dialog[open] #log-summary', { timeout: WAIT });
  await page.waitForFunction(() => document.getElementById('log-contact').value === 'Radu Quiet', null, { timeout: WAIT });
  await page.fill('#log-summary', 'Caught up about the lease');
  await page.press('#log-summary', 'Enter');
  await page.waitForSelector('#log-dialog:not([open])', { state: 'attached', timeout: WAIT });
  await page.waitForFunction((id) => document.querySelector('main[data-ready="today"]') && !document.querySelector(`#touch-list li[data-id="${id}"]`), quiet.id, { timeout: WAIT });
  ok('Today triages: a promise of yesterday at risk, a 30-day cadence passed (logging a call clears it), rows with company and deal value, one request');

  // ----- following up fast: the deal is one of the contact's open deals (with its value,
  // chosen when it is the only one), quick due dates, a toast that names the follow-up and undoes both
  await api(page, 'POST', '/api/records', { type: 'deal', fields: { title: 'Old win', contact: quiet.id, stage: 'won', amount: '900', currency: 'EUR' } });
  const only = await api(page, 'POST', '/api/records', { type: 'deal', fields: { title: 'Van rental', contact: quiet.id, stage: 'lead', amount: '3000', currency: 'EUR' } });
  await go(page, `#/r/${quiet.id}`, 'r');
  await page.click('main button:has-text("Log interaction")');
  await page.waitForSelector('#log-dialog[open] #log-summary', { timeout: WAIT });
  await page.waitForFunction(() => document.querySelectorAll('#log-deal option').length > 1, null, { timeout: WAIT });
  const dealOptions = await page.$$eval('#log-deal option', (os) => os.map((o) => o.textContent));
  check(dealOptions.length === 2 && /Van rental \(lead\) · 3\s?000 EUR/.test(dealOptions[1]) && !dealOptions.some((o) => o.includes('Old win') || o.includes('Forklift')),
    `the deal list holds the contact's open deals with their value, nothing else (${dealOptions.join(' | ')})`);
  check(await page.inputValue('#log-deal') === only.id, 'the one open deal is chosen');
  await page.fill('#log-summary', 'Agreed on the van');
  await page.fill('#log-task', 'Send the van contract');
  await page.click('.quick-due button:has-text("Friday")');
  const friday = await page.inputValue('#log-due');
  check(new Date(friday + 'T12:00:00').getDay() === 5 && friday > dayStr(0), `Friday sets the coming Friday (${friday})`);
  await page.press('#log-summary', 'Enter');
  await page.waitForSelector('#log-dialog:not([open])', { state: 'attached', timeout: WAIT });
  const loggedToast = await page.waitForSelector('.toast:has-text("Send the van contract")', { timeout: WAIT });
  const toastText = await loggedToast.textContent();
  check(toastText.startsWith('Logged call with Radu Quiet · follow-up “Send the van contract” due'), `the toast names the follow-up (${toastText})`);
  const madeTask = (await api(page, 'GET', '/api/records?type=task&q=van%20contract')).items;
  check(madeTask.length === 1 && madeTask[0].fields.deal === only.id && madeTask[0].fields.due === friday, 'the follow-up is stored with the deal and the date');
  await page.click('.toast:has-text("Send the van contract") button:has-text("Undo")');
  for (let i = 0; i < 50 && (await api(page, 'GET', '/api/records?type=task&q=van%20contract')).items.length; i++) await new Promise((r) => setTimeout(r, 100));
  check((await api(page, 'GET', '/api/records?type=task&q=van%20contract')).items.length === 0 &&
    (await api(page, 'GET', '/api/records?type=interaction&q=agreed%20van')).items.length === 0, 'Undo takes back the interaction and its follow-up');
  ok('Log: the deal picked from the contact\'s open deals with amounts, quick due dates, a toast that names the follow-up and undoes both');
  const spare = (await api(page, 'GET', '/api/records?type=deal&q=spare')).items[0].id;
  await go(page, `#/r/${spare}`, 'r');
  await page.click('main button.danger');
  await page.waitForFunction(() => location.hash === '#/today', null, { timeout: WAIT });
  let gone = false;
  try { cli('get', spare); } catch { gone = true; }
  check(gone, 'deleted');
  await page.click('.toast:has-text("Deleted Spare parts") button:has-text("Undo")');
  await page.waitForFunction((id) => location.hash === `#/r/${id}`, spare, { timeout: WAIT });
  check((await api(page, 'GET', `/api/records/${spare}`)).fields.title === 'Spare parts', 'undo restored the deal');
  ok('delete offers undo, and undo restores the record');

  // ----- devices: this id, a pending request accepted, sync now
  await go(page, '#/devices', 'devices');
  check((await page.textContent('#device-id')) === cli('id'), 'device id shown');
  const other = path.join(work, 'other');
  const otherId = execFileSync(BIN, ['--data', other, 'init', '--name', 'Desktop'], { encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync(BIN, ['--data', other, 'peer', 'add', cli('id'), '--addr', `127.0.0.1:${lport}`]);
  try { execFileSync(BIN, ['--data', other, 'sync'], { stdio: 'ignore', timeout: 20000 }); } catch { /* refused: unknown to us */ }
  const pendingShown = await page.waitForFunction((id) => document.querySelector('main')?.textContent.includes(id), otherId, { timeout: WAIT })
    .then(() => true, () => false);
  if (pendingShown) {
    await shot(page, 'devices');
    await page.click('main button:has-text("Accept")');
    await page.waitForFunction((id) => document.querySelector('main table')?.textContent.includes(id), otherId, { timeout: WAIT });
    ok('a pending request from an unknown device shows live and is accepted');
  } else {
    console.log('# note: peer sync did not list the other device as a pending request; accept flow not checked');
    await shot(page, 'devices');
  }
  const st = await api(page, 'GET', '/api/status');
  if (st.can_sync) {
    await page.click('main button:has-text("Sync now")');
    await page.waitForSelector('.toast:has-text("Syncing")', { timeout: WAIT });
    ok('sync now asks the server to sync');
  }

  // ----- address book & calendar apps: an app password made on the Devices page, used by a DAV client, removed
  await go(page, '#/devices', 'devices');
  check(await page.locator('#no-apps').count() === 1, 'no app passwords at first');
  const davStatus = (user, pw) => fetch(`${url}dav/`, { method: 'PROPFIND', headers: { Depth: '0',
    Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` } }).then((r) => r.status);
  await page.fill('#app-name', 'phone');
  await page.click('form[aria-label="Add an app"] button[type=submit]');
  await page.waitForSelector('#app-password', { timeout: WAIT });
  const appPw = await page.inputValue('#app-password');
  check(/^[a-z2-7]{32}$/.test(appPw), `a password is shown (${appPw})`);
  check(await page.textContent('#app-url') === `${url}dav/` && await page.textContent('#app-user') === 'phone', 'with the address and user name to enter');
  check(/will not be shown again/.test(await page.textContent('#app-password-note')), 'saying it will not be shown again');
  check((await page.textContent('#app-new')).includes('docs/dav.md'), 'pointing at docs/dav.md');
  check(await page.evaluate(() => document.activeElement?.id) === 'app-password', 'the focus moves to the new password');
  check(await page.locator('#app-password-copy').count() === 1, 'with a Copy button');
  check((await page.textContent('#apps li[data-app="phone"]')).includes('added today'), 'the list names the app and when it was added');
  check(await davStatus('phone', appPw) === 207 && await davStatus('phone', 'x'.repeat(32)) === 401, 'the password opens /dav/ (207), another does not (401)');
  await page.fill('#app-name', 'phone');
  await page.click('form[aria-label="Add an app"] button[type=submit]');
  await page.waitForSelector('form[aria-label="Add an app"] .error', { timeout: WAIT });
  check(/already/.test(await page.textContent('form[aria-label="Add an app"] .error')) && await page.inputValue('#app-name') === 'phone',
    'a name taken already is refused in words, the name typed kept');
  await page.fill('#app-name', '');
  await page.setViewportSize({ width: 360, height: 760 });
  const appsWide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(appsWide <= 360, `the new password fits 360 px (scroll width ${appsWide})`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('#app-done');
  await page.waitForFunction(() => !document.getElementById('app-password') && document.getElementById('apps'), null, { timeout: WAIT });
  await page.click('#apps li[data-app="phone"] .app-remove');
  await page.waitForSelector('#apps li[data-app="phone"] .app-remove-confirm', { timeout: WAIT });
  check(await page.evaluate(() => document.activeElement?.classList.contains('app-remove-confirm')), 'Remove asks first, the focus on the question');
  await page.click('#apps li[data-app="phone"] button:has-text("Cancel")');
  await page.waitForSelector('#apps li[data-app="phone"] .app-remove', { timeout: WAIT });
  check(await davStatus('phone', appPw) === 207, 'Cancel removes nothing');
  await page.click('#apps li[data-app="phone"] .app-remove');
  await page.click('#apps li[data-app="phone"] .app-remove-confirm');
  await page.waitForSelector('#no-apps', { timeout: WAIT });
  check((await api(page, 'GET', '/api/dav-clients')).clients.length === 0, 'the list is empty');
  check(await davStatus('phone', appPw) === 401, 'the removed app\'s password gets 401 at /dav/');
  // one left shown for the sweeps below (every width, axe): a list row and a password on screen
  await page.fill('#app-name', 'tablet');
  await page.click('form[aria-label="Add an app"] button[type=submit]');
  await page.waitForSelector('#app-password', { timeout: WAIT });
  ok('app passwords on the Devices page: add (shown once, with the address), use at /dav/, refused twice, remove after a question');

  // ----- a phone, a tablet, a small laptop, a desktop: every view usable, nothing cut off sideways
  const someDeal = (await api(page, 'GET', '/api/records?type=deal&limit=1')).items[0].id;
  const views = [['#/today', 'today'], ['#/companies', 'companies'], ['#/contacts', 'contacts'], [`#/r/${dragos}`, 'r'],
    [`#/r/${acme}`, 'r'], [`#/r/${someDeal}`, 'r'], ['#/deals', 'deals'], ['#/reports', 'reports'], ['#/conflicts', 'conflicts'], ['#/devices', 'devices'],
    ['#/search?q=acme', 'search']];
  for (const width of [360, 768, 900, 1280]) {
    await page.setViewportSize({ width, height: 760 });
    for (const [hash, view] of views) {
      await go(page, '#/today', 'today');
      await go(page, hash, view);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= width, `${hash} fits ${width} px (scroll width ${wide})`);
    }
    if (width === 768) {
      await go(page, '#/today', 'today');
      await shot(page, 'tablet-today');
      await go(page, '#/deals', 'deals');
      await shot(page, 'tablet-deals');
    }
    if (width === 360) {
      await go(page, `#/r/${dragos}`, 'r');
      await shot(page, 'phone-contact');
      await go(page, '#/today', 'today');
      await shot(page, 'phone-today');
      // the rail is a menu: closed, it hides the sections; a section chosen closes it
      check(await page.isHidden('.rail a[data-nav=deals]'), 'at 360 px the sections are behind the menu');
      await page.click('#menu-btn');
      check(await page.getAttribute('#menu-btn', 'aria-expanded') === 'true', 'the menu says it is open');
      await page.click('.rail a[data-nav=deals]');
      await ready(page, 'deals');
      check(await page.isHidden('.rail a[data-nav=today]') && await page.getAttribute('#menu-btn', 'aria-expanded') === 'false', 'choosing a section closes the menu');
      await shot(page, 'phone-deals');
    }
  }
  await page.setViewportSize({ width: 900, height: 700 });
  await go(page, `#/r/${dragos}`, 'r');
  await page.click('button[data-field=company]');
  await page.fill('#edit-company', 'a');
  await page.waitForSelector('#edit-company-list:not([hidden]):not([aria-busy]) [role=option]', { timeout: WAIT });
  const wideOpen = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wideOpen <= 900, `an open picker fits 900 px (scroll width ${wideOpen})`);
  await page.press('#edit-company', 'Escape');
  await page.press('#edit-company', 'Escape');
  await page.waitForSelector('button[data-field=company]', { timeout: WAIT });
  await shot(page, 'narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
  ok('every view fits 360, 768, 900 and 1280 px without scrolling sideways; at 360 px the rail is a menu');

  // ----- the page works under its Content-Security-Policy (no inline script or style, no eval)
  const strict = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const sp = await strict.newPage();
  await login(sp);
  const cspErrors = [];
  sp.on('console', (m) => { if (m.type() === 'error') cspErrors.push(m.text()); });
  sp.on('pageerror', (e) => cspErrors.push(e.message));
  await sp.goto(url);
  await sp.waitForSelector('main[data-ready="today"] #recent-list', { timeout: WAIT });
  await sp.waitForSelector('#live.on', { timeout: WAIT });
  await sp.goto(`${url}#/r/${dragos}`);
  await sp.waitForSelector('main[data-ready="r"] #timeline', { timeout: WAIT });
  await sp.goto(`${url}#/conflicts`);
  await sp.waitForSelector('main[data-ready="conflicts"]', { timeout: WAIT });
  await sp.goto(`${url}#/contacts`);
  await sp.waitForSelector('main[data-ready="contacts"]', { timeout: WAIT });
  await sp.fill('#new-contact-company', 'acme');
  await sp.waitForSelector('#new-contact-company-list:not([hidden]) [role=option]:has-text("Acme Ltd")', { timeout: WAIT });
  await sp.press('#new-contact-company', 'Enter');
  check(await sp.inputValue('#new-contact-company') === 'Acme Ltd', 'the picker works under the CSP');
  check(cspErrors.length === 0, `no errors under the CSP: ${cspErrors.join(' | ')}`);
  await strict.close();
  ok('the page works under its strict Content-Security-Policy');

  // ----- dark mode, and no errors in the console
  await page.emulateMedia({ colorScheme: 'dark' });
  await go(page, '#/today', 'today');
  await shot(page, 'today-dark');
  check(errors.length === 0, `no page errors: ${errors.join(' | ')}`);
  ok('dark mode; no script errors');

  // ----- accessibility: axe-core (pinned in package-lock.json) finds nothing serious on any view
  const axePath = require.resolve('axe-core/axe.min.js');
  const axeViews = [['#/today', 'today'], ['#/companies', 'companies'], ['#/contacts', 'contacts'], [`#/r/${dragos}`, 'r'],
    [`#/r/${acme}`, 'r'], ['#/deals', 'deals'], ['#/reports', 'reports'], ['#/conflicts', 'conflicts'], ['#/devices', 'devices'],
    ['#/search?q=acme', 'search']];
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [hash, view] of axeViews) {
      await go(page, '#/today', 'today');
      await go(page, hash, view);
      if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
      const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
      check(found.length === 0, `axe on ${hash} (${scheme}): ${found.join(' | ')}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  ok('axe-core finds no serious or critical violation on any view, light or dark');

  // ----- a big book: the contacts come a page at a time in name order, to the end
  // (last: it adds 5,001 contacts to the book behind the running serve)
  execFileSync(process.env.CLIENTELE_FILL, [data, '5001'], { stdio: 'ignore' });
  await page.emulateMedia({ colorScheme: 'light' });
  await go(page, '#/contacts', 'contacts');
  await page.waitForSelector('#show-more:not([hidden])', { timeout: WAIT });
  const names = () => page.$$eval('#results li .grow a', (as) => as.map((a) => a.textContent));
  let listed = await names();
  check(listed.length === 200 && /the first 200, by name/.test(await page.textContent('#list-count')), `a first page of 200 (${listed.length})`);
  const folded = (x) => x.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  check(listed.every((n, i) => i === 0 || folded(listed[i - 1]).slice(0, 16) <= folded(n).slice(0, 16)), 'in name order');
  await page.click('#show-more');
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 400, null, { timeout: WAIT });
  listed = await names();
  check(new Set(listed).size === 400 || listed.length === 400, 'the second page follows the first');
  const total = (await api(page, 'GET', '/api/records?type=contact&limit=1000')).items.length;
  let all = 0, cursor = '', pages = 0;
  do { // the API pages to the end by name, every contact once
    const got = await api(page, 'GET', `/api/records?type=contact&sort=name&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    all += got.items.length; cursor = got.next; pages++;
  } while (cursor && pages < 20);
  check(total === 1000 && all > 5000 && !cursor, `the pages by name reach the end (${all} contacts in ${pages} pages)`);
  await page.fill('#filter-contact', 'dragos');
  await page.waitForFunction(() => (document.getElementById('results')?.textContent ?? '').includes('Dragoș Ionescu') &&
    document.querySelectorAll('#results li').length < 200, null, { timeout: WAIT });
  check(errors.length === 0, `no page errors: ${errors.join(' | ')}`);
  ok('a big book: contacts a page at a time in name order, Show more, the API pages to the end; the filter narrows it');
  console.log('all browser tests passed');
}

main().then(() => 0, async (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  if (page) { // say what the page showed
    const shown = await page.evaluate(() => [...document.querySelectorAll('.error, .toast')].map((n) => n.textContent).join(' | ')).catch(() => '');
    if (shown) console.error(`the page showed: ${shown}`);
    await shot(page, 'failure').catch(() => {});
  }
  return 1;
}).then(async (code) => {
  if (browser) await browser.close().catch(() => {});
  if (server) { // a clean stop: exit 0 (under the sanitizers, also no leaks)
    const exited = new Promise((r) => server.on('exit', (c, sig) => r(c ?? sig)));
    server.kill('SIGTERM');
    const how = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
    if (how !== 0) { console.error(`FAIL: serve did not stop cleanly on SIGTERM: ${how}`); code = 1; server.kill('SIGKILL'); }
  }
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(code);
});
