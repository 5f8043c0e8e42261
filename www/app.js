// The page: routes (#/today, #/companies, #/contacts, #/r/ID, #/deals,
// #/reports, #/conflicts, #/devices, #/search?q=), keyboard, live updates.
import { clearCache, get } from './api.js';
import { el, debounce, setSchema, toast } from './ui.js';
import * as views from './views.js';
import { openLog } from './log.js';

const ROUTES = {
  today: views.today, companies: views.companies, contacts: views.contacts, r: views.recordPage,
  deals: views.deals, reports: views.reports, conflicts: views.conflicts, devices: views.devices, search: views.search,
};
const main = document.getElementById('main');
let pending = false;   // data changed while the user was typing
let rendering = null;

function parseHash() {
  const [path, qs] = (location.hash.slice(2) || 'today').split('?');
  const [name, id] = path.split('/');
  const params = new URLSearchParams(qs || '');
  if (id) params.set('id', decodeURIComponent(id));
  return { name: ROUTES[name] ? name : 'today', params };
}

// Typing in progress: an open (or opening) in-place editor, or a form field
// with unsaved text (filters excepted: they are restored from the address).
function busy() {
  if (document.getElementById('log-dialog').open) return true;
  if (main.querySelector('.editor, [data-opening]')) return true;
  return [...main.querySelectorAll('input, textarea')].some((i) => !i.dataset.keep && i.type !== 'checkbox' && i.value !== i.defaultValue);
}

async function render({ keepScroll = false } = {}) {
  const { name, params } = parseHash();
  const focusId = document.activeElement?.id, sel = [document.activeElement?.selectionStart, document.activeElement?.selectionEnd];
  const y = scrollY;
  clearCache();
  const job = (rendering = ROUTES[name](params));
  let node;
  try { node = await job; } catch (e) { node = el('section', {}, el('h1', {}, 'Something went wrong'), el('p', { class: 'error', role: 'alert' }, e.message)); }
  if (job !== rendering) return; // a newer render won
  // The user started typing while the data loaded: keep their editor.
  if (keepScroll && busy()) { pending = true; return; }
  // Same data, same page: leave the DOM (and the pointer, focus, selection) alone.
  if (keepScroll && main.firstElementChild?.isEqualNode(node)) return;
  // Someone typing outside the view (the search box, the Log dialog) keeps the
  // focus: taking it would turn the rest of their letters into shortcuts.
  const active = document.activeElement;
  const typingElsewhere = !!active && !main.contains(active) &&
    (!!active.closest('dialog[open]') || active.matches('input, textarea, select, [contenteditable]'));
  main.replaceChildren(node);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${node.querySelector('h1')?.textContent ?? 'clientele'} — clientele`;
  if (keepScroll) scrollTo(0, y);
  // a view may name what the user acted on last (a deal just moved): it keeps the focus
  const mark = main.querySelector('[data-focus]');
  mark?.removeAttribute('data-focus');
  // (the focus of when the render began is given back only if the user has
  // not moved on since: the data may come back after they pressed / and typed)
  const f = typingElsewhere ? null : mark || (focusId && document.getElementById(focusId));
  if (f && keepScroll) { f.focus(); try { f.setSelectionRange(sel[0], sel[1]); } catch { /* not text */ } }
  else if (!keepScroll && !typingElsewhere) main.focus({ preventScroll: true });
  main.dataset.ready = name;
}

async function refresh() {
  if (busy()) { pending = true; return; }
  pending = false;
  await Promise.all([render({ keepScroll: true }), status()]);
}

// Rail badges: conflicts count and the sync dot.
async function status() {
  try {
    const st = await get('/api/status');
    const badge = document.getElementById('conflict-badge');
    badge.hidden = !st.conflicts;
    badge.textContent = st.conflicts || '';
    const dot = document.getElementById('sync-dot');
    const now = Date.now(), fresh = st.peers.map((p) => p.last_sync ? now - Date.parse(p.last_sync) : Infinity);
    dot.className = 'dot' + (!st.peers.length ? '' : st.peers.some((p) => p.last_error) ? ' red' : fresh.every((ms) => ms < 15 * 60000) ? ' green' : ' amber');
    dot.title = !st.peers.length ? 'no paired devices' : dot.className.includes('red') ? 'a sync failed' : dot.className.includes('green') ? 'synced recently' : 'not synced recently';
  } catch { /* shown by the live indicator */ }
}

// Live updates: the server says "data" when records changed (any process,
// a sync) and "status" for the rest (peers, sync results): only the rail and
// the Devices view show that.
let connectedOnce = false;
function connect(delay = 500) {
  const live = document.getElementById('live');
  const ws = new WebSocket(`ws://${location.host}/api/events`);
  ws.onopen = () => {
    live.className = 'live on'; live.textContent = 'live'; delay = 500;
    if (connectedOnce) refresh(); // changes made while we were away
    connectedOnce = true;
  };
  ws.onmessage = (m) => {
    let msg; try { msg = JSON.parse(m.data); } catch { return; }
    if (msg.type === 'data') refresh();
    else if (msg.type === 'status') parseHash().name === 'devices' ? refresh() : status();
  };
  ws.onclose = () => {
    live.className = 'live off'; live.textContent = 'reconnecting…';
    setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
  };
}

const search = document.getElementById('search');
search.addEventListener('input', debounce(() => {
  const q = search.value.trim();
  if (q) { history.replaceState(null, '', `#/search?q=${encodeURIComponent(q)}`); render({ keepScroll: true }); }
}, 120));
search.dataset.keep = '1';

// Arrow keys walk the search's hits (down from the box to the first, up from
// the first back to the box); Enter on a hit opens it, as links do.
function moveHit(t, ev) {
  const hits = [...main.querySelectorAll('#search-results li > .grow > a')];
  if (!hits.length) return;
  ev.preventDefault();
  const at = hits.indexOf(t);
  const next = ev.key === 'ArrowDown' ? hits[Math.min(at + 1, hits.length - 1)] : at <= 0 ? search : hits[at - 1];
  next.focus();
}

document.addEventListener('keydown', (ev) => {
  const t = ev.target, typing = t.closest?.('input, textarea, select, [contenteditable]');
  if (ev.key === 'Escape' && t === search) { search.value = ''; search.blur(); location.hash = '#/today'; return; }
  if (ev.key === 'Enter' && t === search) { main.querySelector('#search-results a')?.click(); return; } // open the first hit
  if ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && (t === search || t.closest?.('#search-results'))) { moveHit(t, ev); return; }
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === '/') { ev.preventDefault(); search.focus(); search.select(); }
  else if (ev.key === 'l' || ev.key === 'L') { ev.preventDefault(); openLog(); }
});
document.getElementById('log-open').addEventListener('click', () => openLog());
// On a phone the rail is a menu: the button opens it, choosing a section closes it.
const rail = document.getElementById('rail'), menuBtn = document.getElementById('menu-btn');
const setMenu = (open) => { rail.classList.toggle('open', open); menuBtn.setAttribute('aria-expanded', String(open)); };
menuBtn.addEventListener('click', () => setMenu(!rail.classList.contains('open')));
rail.addEventListener('click', (ev) => { if (ev.target.closest('a, #log-open')) setMenu(false); });
document.getElementById('log-dialog').addEventListener('close', () => { if (pending) refresh(); });
window.addEventListener('hashchange', () => render());
window.addEventListener('clientele:refresh', () => { pending = false; render({ keepScroll: true }); status(); });
window.addEventListener('clientele:idle', () => { if (pending) refresh(); });
main.addEventListener('focusout', () => setTimeout(() => { if (pending && !busy()) refresh(); }, 0));
window.addEventListener('unhandledrejection', (e) => toast(e.reason?.message ?? String(e.reason), { bad: true }));

try { setSchema(await get('/api/schema')); } catch (e) { toast(`Cannot read the fields of the book: ${e.message}`, { bad: true }); }
render();
status();
connect();
