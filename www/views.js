// The views of the main pane. Each takes the route's params and returns a
// node; app.js swaps it in and re-renders it when the data changes.
import { api, get, record } from './api.js';
import { el, FIELDS, KINDS, STAGES, fieldKind, label, labelField, localDate, sayDate, monthYear, toUnits, fromUnits, toast, debounce } from './ui.js';
import { openLog } from './log.js';
import { picker, pickerField } from './picker.js';

const enc = encodeURIComponent;
const link = (r) => el('a', { href: `#/r/${r.id}` }, label(r));
const refresh = () => window.dispatchEvent(new Event('clientele:refresh'));
const errorBox = (e) => el('p', { class: 'error', role: 'alert' }, e.message);
// Devices by name where we know them (this one, paired peers), else a short id.
let deviceNames = new Map();
async function loadDeviceNames() {
  try {
    const st = await get('/api/status');
    deviceNames = new Map(st.peers.filter((p) => p.name).map((p) => [p.id, p.name]));
    deviceNames.set(st.device_id, st.name ? `${st.name} (this device)` : 'this device');
  } catch { /* short ids then */ }
}
const shortDev = (d) => deviceNames.get(d) ?? `device ${(d || '').slice(0, 11)}`;

async function refLink(id) {
  if (!id) return null;
  const r = await record(id);
  return r ? link(r) : el('span', { class: 'muted' }, '(deleted record)');
}

// A form whose failed submit keeps what was typed and says why.
function submitForm(form, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    form.querySelector('.error')?.remove();
    const btn = form.querySelector('button[type=submit]');
    if (btn) btn.disabled = true;
    try {
      await fn(new FormData(form));
      form.reset();
    } catch (e) {
      form.append(errorBox(e));
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  return form;
}

function fieldsFrom(data, names) {
  const f = {};
  for (const n of names) {
    const v = (data.get(n) ?? '').toString().trim();
    if (v) f[n] = v;
  }
  return f;
}

// ------------------------------------------------------------------ today

// GET /api/today names what the rows refer to: a link from that, no request.
function nameLink(id, names) {
  const n = id && names[id];
  if (!n) return id ? el('span', { class: 'muted' }, '(deleted record)') : null;
  return el('a', { href: `#/r/${id}` }, n.label);
}
const money = (d) => d && d.amount ? fromUnits(toUnits(d.amount), d.currency) : '';
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// A task's row: check-off with Undo, what it is about (contact or company,
// the deal with its value), when it is due.
function taskItem(t, names = {}) {
  const done = t.fields.done === true;
  const due = t.fields.due, today = localDate();
  const box = el('input', { type: 'checkbox', checked: done, 'aria-label': `Done: ${t.fields.title}` });
  box.addEventListener('change', async () => {
    try {
      await api('PATCH', `/api/records/${t.id}`, { fields: { done: box.checked } });
      if (box.checked) toast(`Done: ${t.fields.title}`, { action: 'Undo', onAction: () =>
        api('PATCH', `/api/records/${t.id}`, { fields: { done: false } }).then(refresh, (e) => toast(e.message, { bad: true })) });
      refresh();
    } catch (e) { box.checked = !box.checked; toast(e.message, { bad: true }); }
  });
  const who = t.fields.contact || t.fields.company, deal = t.fields.deal && names[t.fields.deal];
  const company = t.fields.contact && names[t.fields.contact]?.company;
  return el('li', { class: done ? 'done' : '', dataset: { id: t.id } }, box,
    el('span', { class: 'grow' }, el('a', { class: 'title', href: `#/r/${t.id}` }, t.fields.title),
      who ? el('span', { class: 'meta' }, ' · ', nameLink(who, names), company ? [' at ', nameLink(company, names)] : null) : null,
      deal ? el('span', { class: 'meta' }, ' · ', nameLink(t.fields.deal, names), money(deal) ? ` (${money(deal)})` : null) : null),
    due ? el('span', { class: due < today && !done ? 'overdue' : 'meta' }, due < today ? `overdue · ${sayDate(due)}` : sayDate(due)) : null);
}

function nextBirthday(b) {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(b || '');
  if (!m) return null;
  const now = new Date(), today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  let d = new Date(now.getFullYear(), +m[1] - 1, +m[2]);
  if (d < today) d = new Date(now.getFullYear() + 1, +m[1] - 1, +m[2]);
  return { date: d, days: Math.round((d - today) / 86400000) };
}

function interactionItem(i, names = {}) {
  const who = i.fields.contact || i.fields.company;
  return el('li', {}, el('span', { class: 'kind' }, i.fields.kind),
    el('span', { class: 'grow' }, el('a', { href: `#/r/${i.id}` }, i.fields.summary),
      who ? el('span', { class: 'meta' }, ' · ', nameLink(who, names)) : null),
    el('span', { class: 'meta' }, sayDate(i.fields.date)));
}

// A deal's row on Today: company, value, and why it is listed.
function dealItem(d, names, why, late) {
  return el('li', { dataset: { id: d.id } },
    el('span', { class: 'grow' }, el('a', { class: 'title', href: `#/r/${d.id}` }, d.fields.title),
      d.fields.company ? el('span', { class: 'meta' }, ' · ', nameLink(d.fields.company, names)) : null,
      money(d.fields) ? el('span', { class: 'meta' }, ` · ${money(d.fields)}`) : null),
    el('span', { class: late ? 'overdue' : 'meta' }, why));
}

function promiseWhy(d) {
  const by = d.fields.promised_by, today = localDate();
  return by < today ? `promised ${sayDate(by)} · late` : by === today ? 'promised today' : `promised by ${sayDate(by)}`;
}

// Someone to get back to: how long it has been, and a Log button that clears it.
function touchItem(r, names) {
  const since = r.last_contact ? `last contact ${sayDate(r.last_contact)}` : 'never contacted';
  return el('li', { dataset: { id: r.id } },
    el('span', { class: 'grow' }, link(r),
      r.type === 'contact' && r.fields.company ? el('span', { class: 'meta' }, ' · ', nameLink(r.fields.company, names)) : null),
    el('span', { class: 'overdue' }, `${since} · every ${plural(+r.fields.cadence, 'day')}`),
    el('button', { type: 'button', onclick: () => openLog({ [r.type]: r.id, company: r.type === 'contact' ? r.fields.company : undefined }) }, 'Log'));
}

function occasionItem(o) {
  const when = o.in_days === 0 ? 'today 🎂' : o.in_days === 1 ? 'tomorrow' : `in ${o.in_days} days`;
  const years = o.years ? (o.occasion === 'birthday' ? ` · turns ${o.years}` : ` · ${plural(o.years, 'year')}`) : '';
  return el('li', {}, el('span', { class: 'grow' }, link(o), el('span', { class: 'meta' }, ` · ${o.occasion}`)),
    el('span', { class: 'meta' }, `${when}${years}`));
}

// One section of Today: a heading with the count, the first rows, the rest
// folded (so that the next section stays in sight), a note when the API
// holds more than it sent; nothing at all when empty unless `empty` says
// what to do.
const SECTION_ROWS = 10;
function todaySection(id, title, sec, item, empty, rows = SECTION_ROWS) {
  if (!sec.count && !empty) return null;
  const unsent = sec.count - sec.items.length, folded = sec.items.slice(rows);
  return [el('h2', { id: `h-${id}` }, title, el('span', { class: 'count' }, String(sec.count))),
    sec.count ? el('ul', { class: 'list', id, 'aria-labelledby': `h-${id}` }, sec.items.slice(0, rows).map(item),
      folded.length ? el('li', { class: 'fold' }, el('details', {}, el('summary', {}, `${folded.length} more`),
        el('ul', { class: 'list' }, folded.map(item)))) : null,
      unsent > 0 ? el('li', { class: 'muted' }, `and ${unsent} more not shown`) : null)
      : el('p', { class: 'empty', id }, empty)];
}

export async function today() {
  const t = await get('/api/today');
  const n = t.names;
  const addTask = submitForm(el('form', { class: 'inline', 'aria-label': 'Add a task' },
    el('label', {}, 'New task', el('input', { name: 'title', required: true, placeholder: 'Send the proposal to…', size: 34 })),
    el('label', {}, 'Due', el('input', { name: 'due', type: 'date', value: localDate() })),
    el('button', { type: 'submit', class: 'primary' }, 'Add task')), async (d) => {
    await api('POST', '/api/records', { type: 'task', fields: fieldsFrom(d, ['title', 'due']) });
    refresh();
  });
  const counts = [[t.due_today.count, 'due today'], [t.overdue.count, 'overdue'], [t.promises.count, 'promise at risk', 'promises at risk'],
    [t.get_back_to.count, 'person to get back to', 'people to get back to']].filter(([c]) => c).map(([c, one, many]) => plural(c, one, many ?? one));
  const due = t.due_today.count + t.overdue.count;
  return el('section', { 'aria-labelledby': 'h-today' },
    el('h1', { id: 'h-today' }, 'Today', el('span', { class: 'meta' }, new Date().toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long' }))),
    el('p', { class: 'summary', id: 'today-summary' }, counts.length ? counts.join(' · ') : 'Nothing due, nothing late: a good day to call someone.'),
    due ? el('div', { id: 'due-list' },
      todaySection('due-today', 'Due today', t.due_today, (x) => taskItem(x, n)),
      todaySection('overdue-list', 'Overdue', t.overdue, (x) => taskItem(x, n)))
      : el('p', { class: 'empty', id: 'due-list' }, 'Nothing due. Add a follow-up below, or from a contact\'s page.'),
    addTask,
    todaySection('promises-list', 'Promises at risk', t.promises, (d) => dealItem(d, n, promiseWhy(d), d.fields.promised_by < localDate())),
    todaySection('stuck-list', 'Stuck deals', t.stuck, (d) => dealItem(d, n, `${plural(d.days_in_stage, 'day')} in ${d.fields.stage}`, false)),
    todaySection('touch-list', 'People to get back to', t.get_back_to, (r) => touchItem(r, n)),
    todaySection('week-list', 'This week', t.this_week, (x) => taskItem(x, n)),
    todaySection('occasions-list', 'Birthdays and anniversaries', t.occasions, occasionItem,
      'No birthdays or anniversaries in the next 30 days. Add them on a contact\'s page to be reminded.', 5),
    el('h2', {}, 'Recent interactions'),
    t.recent.items.length ? el('ul', { class: 'list', id: 'recent-list' }, t.recent.items.map((i) => interactionItem(i, n)))
      : el('p', { class: 'empty', id: 'recent-list' }, 'Nothing logged yet. Press L to log a call, meeting or lunch.'));
}

// ------------------------------------------------------------------ lists

const LISTS = {
  companies: { type: 'company', title: 'Companies', one: 'company', extra: (r) => [r.fields.industry, r.fields.phone] },
  contacts: { type: 'contact', title: 'Contacts', one: 'contact', extra: (r, names) => [r.fields.title, names[r.fields.company]?.label, r.fields.email] },
};

function newRecordForm(spec) {
  const inputs = [el('label', {}, 'Name', el('input', { name: 'name', required: true, size: 28, placeholder: spec.type === 'company' ? 'Acme Ltd' : 'Dragoș Ionescu' }))];
  if (spec.type === 'contact')
    inputs.push(pickerField('Company', { type: 'company', name: 'company', id: 'new-contact-company' }).field,
    el('label', {}, 'Email', el('input', { name: 'email', type: 'email', size: 22 })));
  else inputs.push(el('label', {}, 'Industry', el('input', { name: 'industry', size: 18 })));
  return submitForm(el('form', { class: 'inline', 'aria-label': `New ${spec.one}` }, inputs,
    el('button', { type: 'submit', class: 'primary' }, `Add ${spec.one}`)), async (d) => {
    const r = await api('POST', '/api/records', { type: spec.type, fields: fieldsFrom(d, ['name', 'company', 'email', 'industry']) });
    location.hash = `#/r/${r.id}`;
  });
}

// Lists come a page at a time in name order (the server's name index and
// cursor: a book of 100,000 contacts opens as fast as one of 100, and pages
// to its end); each page names the companies its rows refer to.
const LIST_PAGE = 200;
// How far each list was shown, so that a live update redraws as much of it
// (not the first page only, under the reader's eyes).
const listShown = new Map();

async function listView(spec, params) {
  const q = params.get('q') || '';
  const results = el('div', { id: 'results' });
  let asked = 0; // a filter typed on: only the latest answer is shown
  const fill = async (text) => {
    const mine = ++asked;
    const ul = el('ul', { class: 'list' }), more = el('button', { type: 'button', id: 'show-more' }, 'Show more');
    const count = el('p', { class: 'meta', id: 'list-count' });
    let cursor = null, shown = 0;
    const memo = `${spec.type}?${text}`;
    const page = async (limit = LIST_PAGE) => {
      const qs = new URLSearchParams({ type: spec.type, sort: 'name', names: '1', limit: String(limit) });
      if (text) qs.set('q', text);
      if (cursor) qs.set('cursor', cursor);
      const got = await get(`/api/records?${qs}`);
      ul.append(...got.items.map((r) => el('li', {}, el('span', { class: 'grow' }, link(r)),
        el('span', { class: 'meta' }, spec.extra(r, got.names).filter(Boolean).join(' · ')))));
      shown += got.items.length;
      cursor = got.next;
      listShown.set(memo, Math.max(shown, listShown.get(memo) ?? 0));
      more.hidden = !cursor;
      count.textContent = cursor ? `the first ${shown.toLocaleString('en')}, by name` : `${shown.toLocaleString('en')} ${shown === 1 ? spec.one : spec.title.toLowerCase()}`;
    };
    more.addEventListener('click', () => {
      listShown.set(memo, shown + LIST_PAGE); // a redraw meanwhile shows as much
      page().catch((e) => toast(e.message, { bad: true }));
    });
    const before = listShown.get(memo) ?? LIST_PAGE;
    do await page(Math.min(1000, Math.max(LIST_PAGE, before - shown))); while (cursor && shown < before && mine === asked);
    if (mine !== asked) return;
    results.replaceChildren(...(shown ? [count, ul, more]
      : [el('p', { class: 'empty' }, text ? `No ${spec.title.toLowerCase()} match “${text}”.` : `No ${spec.title.toLowerCase()} yet: add the first one above.`)]));
  };
  const filter = el('input', { id: `filter-${spec.type}`, type: 'search', value: q, 'data-keep': true, placeholder: 'Filter (ignores case and accents)', size: 34 });
  filter.addEventListener('input', debounce(() => {
    history.replaceState(null, '', `#/${spec === LISTS.companies ? 'companies' : 'contacts'}${filter.value ? '?q=' + enc(filter.value) : ''}`);
    fill(filter.value).catch((e) => results.replaceChildren(errorBox(e)));
  }, 120));
  await fill(q);
  return el('section', {}, el('h1', {}, spec.title),
    el('div', { class: 'row' }, el('label', { class: 'sr', for: filter.id }, `Filter ${spec.title.toLowerCase()}`), filter),
    newRecordForm(spec), results);
}

export const companies = (p) => listView(LISTS.companies, p);
export const contacts = (p) => listView(LISTS.contacts, p);

// ------------------------------------------------------------------ record page

function displayValue(r, name, kind) {
  const v = r.fields[name];
  if (v === undefined || v === '') return el('span', { class: 'unset' }, 'add…');
  if (kind.startsWith('ref:')) return el('span', {}, '…');
  if (kind === 'bool') return v ? 'yes' : 'no';
  if (name === 'birthday') {
    const n = nextBirthday(v), born = new Date(v + 'T00:00:00');
    if (!n || isNaN(born)) return String(v);
    const when = n.days === 0 ? 'today 🎂' : n.days === 1 ? 'tomorrow' : `in ${n.days} days`;
    return `${born.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })} · next ${when}`;
  }
  if (kind === 'date') return `${sayDate(v)}  (${v})`;
  if (kind === 'days') return `every ${plural(+v, 'day')}`;
  return String(v);
}

async function editorInput(name, kind, value) {
  const id = `edit-${name}`;
  if (kind.startsWith('enum:')) return el('select', { id, name }, el('option', { value: '' }, '—'),
    kind.slice(5).split(',').map((c) => el('option', { value: c, selected: c === value }, c)));
  if (kind === 'bool') return el('select', { id, name }, el('option', { value: 'false' }, 'no'), el('option', { value: 'true', selected: value === true }, 'yes'));
  if (kind === 'long') return el('textarea', { id, name, rows: 3 }, value ?? '');
  if (kind === 'days') return el('input', { id, name, type: 'number', min: 1, max: 3650, step: 1, value: value ?? '', placeholder: 'days, like 30' });
  return el('input', { id, name, type: kind === 'date' ? 'date' : 'text', value: value ?? '' });
}

// Click (or Enter) to edit; Enter saves, Esc cancels; a failed save keeps the text.
function editable(r, name, kind, dd) {
  const show = async () => {
    const btn = el('button', { type: 'button', class: 'value', dataset: { field: name } }, displayValue(r, name, kind));
    if (kind.startsWith('ref:') && r.fields[name]) {
      const target = await record(r.fields[name]);
      btn.replaceChildren(target ? label(target) : '(deleted record)');
    }
    // the row's name and value, read together by screen readers
    btn.setAttribute('aria-label', `${name.replace('_', ' ')}: ${btn.textContent === 'add…' ? 'empty' : btn.textContent}. Edit`);
    btn.addEventListener('click', edit);
    dd.replaceChildren(btn);
    if (kind.startsWith('ref:') && r.fields[name]) dd.append(el('a', { href: `#/r/${r.fields[name]}`, class: 'meta' }, 'open →'));
    const v = r.fields[name];
    const out = !v ? null : name === 'email' ? `mailto:${v}` : name === 'phone' ? `tel:${v.replace(/[^\d+]/g, '')}`
      : name === 'website' ? (/^https?:\/\//i.test(v) ? v : `https://${v}`) : null;
    if (out) dd.append(el('a', { href: out, class: 'meta', rel: 'noopener noreferrer', target: name === 'website' ? '_blank' : null },
      name === 'email' ? 'write →' : name === 'phone' ? 'call →' : 'visit →'));
  };
  const edit = async () => {
    // Until the editor is in place the page counts as busy: a live re-render
    // while a picker loads would otherwise drop the editor before it appears.
    dd.dataset.opening = '1';
    // a reference: the typeahead picker (its text input takes the keys below)
    const pick = kind.startsWith('ref:') ? picker({ type: kind.slice(4), name, id: `edit-${name}`, value: r.fields[name] ?? '' }) : null;
    if (pick) await pick.ready;
    const input = pick ? pick.input : await editorInput(name, kind, r.fields[name]);
    input.setAttribute('aria-label', name.replace('_', ' '));
    const box = el('div', { class: 'editor' }, pick ? pick.el : input,
      el('button', { type: 'button', class: 'primary', onclick: () => save() }, 'Save'),
      el('button', { type: 'button', onclick: () => cancel() }, 'Cancel'));
    const wrap = el('div', {}, box);
    const cancel = () => { show(); window.dispatchEvent(new Event('clientele:idle')); };
    const save = async () => {
      wrap.querySelector('.error')?.remove();
      if (pick?.unpicked()) {
        wrap.append(errorBox(new Error(`“${input.value.trim()}” is not picked: pick a ${kind.slice(4)} from the list, or clear the field.`)));
        input.focus();
        return;
      }
      let v = pick ? pick.value : input.value;
      if (kind === 'bool') v = v === 'true';
      try {
        const updated = await api('PATCH', `/api/records/${r.id}`, { fields: { [name]: v } });
        Object.assign(r, updated);
        await show();
        toast(`Saved ${name.replace('_', ' ')}`);
        window.dispatchEvent(new Event('clientele:idle'));
      } catch (e) {
        wrap.append(errorBox(e));
        input.focus();
      }
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.defaultPrevented) return; // the picker used the key (moved in or closed its list)
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); cancel(); }
      else if (ev.key === 'Enter' && !(input.tagName === 'TEXTAREA' && ev.shiftKey)) { ev.preventDefault(); save(); }
    });
    dd.replaceChildren(wrap);
    delete dd.dataset.opening;
    input.focus();
    input.select?.();
  };
  show();
  return dd;
}

// One device deleted the record while another edited it. Deleting supersedes
// both heads; keeping is a delete followed by a restore (both ordinary writes).
function deletedConflictBox(r, c) {
  const lf = labelField(r.type);
  const deleter = c.value === '1' ? c : c.winner;
  const act = async (keepIt) => {
    try {
      await api('DELETE', `/api/records/${r.id}`);
      if (keepIt) await api('PATCH', `/api/records/${r.id}`, { fields: { [lf]: r.fields[lf] } });
      toast(keepIt ? `Kept ${label(r)}` : `Deleted ${label(r)}`);
      refresh();
    } catch (e) { toast(e.message, { bad: true }); }
  };
  return el('div', { class: 'conflict', dataset: { field: 'deleted' } },
    el('div', {}, `${shortDev(deleter.device)} deleted this record (${sayDate(deleter.at)}) while another device changed it.`),
    el('div', { class: 'choice' }, el('button', { type: 'button', onclick: () => act(true) }, 'Keep the record'),
      el('button', { type: 'button', class: 'danger', onclick: () => act(false) }, 'Delete it')));
}

function conflictBox(r, c) {
  if (c.field === 'deleted') return deletedConflictBox(r, c);
  const keep = async (value) => {
    try {
      await api('PATCH', `/api/records/${r.id}`, { fields: { [c.field]: value } });
      toast(`Kept “${value}” for ${c.field}`);
      refresh();
    } catch (e) { toast(e.message, { bad: true }); }
  };
  const choice = (who, v) => el('div', { class: 'choice' },
    el('button', { type: 'button', onclick: () => keep(v.value), 'aria-label': `Keep ${String(v.value)} for ${c.field}` }, 'Keep'),
    el('strong', {}, String(v.value === '' ? '(empty)' : v.value)),
    el('span', { class: 'meta' }, `${who} · ${shortDev(v.device)} · ${sayDate(v.at)}`));
  return el('div', { class: 'conflict', dataset: { field: c.field } },
    el('div', {}, el('strong', {}, c.field), ' was changed on two devices at the same time:'),
    choice('shown now', c.winner), choice('other value', c));
}

async function employerHistory(hist) {
  const moves = hist.items.filter((c) => c.field === 'company');
  if (moves.length < 1) return null;
  const parts = [];
  for (let i = 0; i < moves.length; i++) {
    const m = moves[i], next = moves[i + 1];
    if (!m.to) continue;
    const co = await record(m.to);
    const name = co ? label(co) : '(deleted company)';
    parts.push(next ? `at ${name} until ${monthYear(next.at)}` : `now at ${name} (since ${monthYear(m.at)})`);
  }
  return parts.length > 1 ? el('p', { class: 'employer meta', id: 'employers' }, 'Employers: ' + parts.join(', ')) : null;
}

// A value of a change as the page shows it elsewhere: names for references,
// amounts grouped, dates said, booleans as yes/no.
function sayValue(type, c, v, name) {
  if (v === '') return null;
  const kind = fieldKind(type, c.field);
  if (kind === 'ref') return name || v;
  if (kind === 'decimal') return fromUnits(toUnits(v));
  if (kind === 'date' || kind === 'datetime') return sayDate(v);
  if (kind === 'bool') return v === 'true' ? 'yes' : 'no';
  if (kind === 'days') return `every ${plural(+v, 'day')}`;
  return v;
}

// One change: "amount: 45,000 → 41,000", "title set to “Buyer”", "company: Acme → Globex".
function sayChange(type, c) {
  if (c.field === 'deleted') return c.to === '1' ? 'deleted' : 'restored';
  const field = c.field.replace(/_/g, ' '), from = sayValue(type, c, c.from, c.from_name), to = sayValue(type, c, c.to, c.to_name);
  return from === null ? `${field} set to “${to}”` : to === null ? `${field} cleared (was “${from}”)` : `${field}: “${from}” → “${to}”`;
}

// The changes written together (a record created with its fields, an
// import's row) as one entry: the first one's time and device, the fields
// folded under it.
function historyEntries(type, changes) {
  const groups = [];
  for (const c of changes) {
    const g = groups.at(-1);
    if (g && g[0].group === c.group) g.push(c); else groups.push([c]);
  }
  return groups.map((g, i) => {
    const c = g[0], meta = el('div', { class: 'meta' }, `${sayDate(c.at)} · ${shortDev(c.device)}${g.some((x) => x.concurrent) ? ' · concurrent edit' : ''}`);
    if (g.length === 1) return { at: c.at, node: el('li', { class: 'change' }, sayChange(type, c), meta) };
    const created = i === 0 && g.every((x) => x.from === '');
    return { at: c.at, node: el('li', { class: 'change' },
      el('details', {}, el('summary', {}, created ? `created with ${plural(g.length, 'field')}` : `${plural(g.length, 'field')} changed together`),
        el('ul', {}, g.map((x) => el('li', {}, sayChange(type, x))))), meta) };
  });
}

// hist: the record's changes; related(type): the records of type that refer to it.
function timeline(hist, related, type) {
  const [interactions, tasks, deals] = ['interaction', 'task', 'deal'].map(related);
  const items = [];
  for (const i of interactions) items.push({ at: i.fields.date || i.created, node: el('li', {}, el('span', { class: 'kind' }, i.fields.kind), ' ', link(i), el('div', { class: 'meta' }, sayDate(i.fields.date))) });
  for (const t of tasks) items.push({ at: t.created, node: el('li', {}, t.fields.done ? '✓ ' : '○ ', link(t), el('div', { class: 'meta' }, t.fields.due ? `task due ${sayDate(t.fields.due)}` : 'task')) });
  for (const d of deals) items.push({ at: d.updated, node: el('li', {}, 'Deal ', link(d), el('div', { class: 'meta' }, [d.fields.stage, d.fields.amount && fromUnits(toUnits(d.fields.amount), d.fields.currency)].filter(Boolean).join(' · '))) });
  items.push(...historyEntries(type, hist.items));
  items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return el('ol', { class: 'timeline', id: 'timeline' }, items.map((x) => x.node));
}

function addTaskForm(r) {
  const refField = ['company', 'contact', 'deal'].includes(r.type) ? r.type : null;
  if (!refField) return null;
  return submitForm(el('form', { class: 'inline', 'aria-label': 'Add a follow-up task' },
    el('label', {}, 'Follow-up task', el('input', { name: 'title', required: true, size: 30 })),
    el('label', {}, 'Due', el('input', { name: 'due', type: 'date' })),
    el('button', { type: 'submit' }, 'Add task')), async (d) => {
    const fields = fieldsFrom(d, ['title', 'due']);
    fields[refField] = r.id;
    if (r.type === 'contact' && r.fields.company) fields.company = r.fields.company;
    await api('POST', '/api/records', { type: 'task', fields });
    refresh();
  });
}

// A record deleted here or on another device: say so, offer to restore it
// (an ordinary edit restores; its history keeps everything).
function deletedPage(r) {
  const lf = labelField(r.type);
  const restore = () => api('PATCH', `/api/records/${r.id}`, { fields: { [lf]: r.fields[lf] } })
    .then(() => refresh(), (e) => toast(e.message, { bad: true }));
  return el('section', {}, el('p', { class: 'meta' }, r.type), el('h1', {}, label(r)),
    el('p', {}, 'This record was deleted. Its history is kept.'),
    el('p', {}, el('button', { type: 'button', onclick: restore }, 'Restore'), ' ', el('a', { href: '#/today' }, 'Back to today')));
}

export async function recordPage(params) {
  const id = params.get('id');
  await loadDeviceNames();
  let r;
  try { r = await get(`/api/records/${enc(id)}?deleted=1`); } catch (e) {
    return el('section', {}, el('h1', {}, 'Not found'), errorBox(e), el('p', {}, el('a', { href: '#/today' }, 'Back to today')));
  }
  if (r.deleted) return deletedPage(r);
  const dl = el('dl', { class: 'fields' });
  for (const [name, kind] of FIELDS[r.type]) {
    const dd = editable(r, name, kind, el('dd', {}));
    dl.append(el('dt', {}, name.replace('_', ' ')), dd);
    for (const c of r.conflicts.filter((x) => x.field === name)) dd.after(el('dd', { class: 'conflict-row' }, conflictBox(r, c)));
  }
  const lifeConflicts = r.conflicts.filter((x) => x.field === 'deleted').map((c) => conflictBox(r, c));
  const del = async () => {
    try {
      await api('DELETE', `/api/records/${r.id}`);
      const lf = labelField(r.type);
      toast(`Deleted ${label(r)}`, { action: 'Undo', ms: 10000, onAction: () =>
        api('PATCH', `/api/records/${r.id}`, { fields: { [lf]: r.fields[lf] } }).then(() => { location.hash = `#/r/${r.id}`; refresh(); }, (e) => toast(e.message, { bad: true })) });
      location.hash = r.type === 'company' ? '#/companies' : r.type === 'contact' ? '#/contacts' : '#/today';
    } catch (e) { toast(e.message, { bad: true }); }
  };
  const sub = [];
  if (r.type === 'contact') {
    if (r.fields.title) sub.push(r.fields.title);
    if (r.fields.company) sub.push(await refLink(r.fields.company));
  }
  // one query each for the changes and for every record that refers to this one
  const [hist, rel] = await Promise.all([get(`/api/records/${r.id}/history`), get(`/api/records/${r.id}/related`)]);
  if (r.type === 'deal') {
    if (r.fields.company) sub.push(await refLink(r.fields.company));
    sub.push(...dealFacts(r, hist));
  }
  const refs = (type) => rel.items.filter((e) => e.record.type === type).map((e) => e.record);
  const by = (field, list = rel.items) => list.filter((e) => e.fields.includes(field)).map((e) => e.record);
  const related = [];
  if (r.type === 'contact') {
    const referred = by('referred_by');
    if (referred.length) related.push(el('h2', { id: 'h-referred' }, 'Referred', el('span', { class: 'count' }, String(referred.length))),
      el('ul', { class: 'list', id: 'referred-list', 'aria-labelledby': 'h-referred' }, referred.map((p) => el('li', {}, el('span', { class: 'grow' }, link(p)),
        el('span', { class: 'meta' }, p.fields.title || '')))));
  }
  if (r.type === 'company') {
    const people = refs('contact');
    related.push(el('h2', {}, 'People'), people.length ? el('ul', { class: 'list' }, people.map((p) => el('li', {}, el('span', { class: 'grow' }, link(p)), el('span', { class: 'meta' }, p.fields.title || ''))))
      : el('p', { class: 'empty' }, 'No contacts at this company yet: add one under Contacts.'));
    const former = by('company', rel.former ?? []).filter((p) => p.type === 'contact');
    if (former.length) related.push(el('h2', { id: 'h-former' }, 'Former people', el('span', { class: 'count' }, String(former.length))),
      el('ul', { class: 'list', id: 'former-list', 'aria-labelledby': 'h-former' }, former.map((p) => el('li', {}, el('span', { class: 'grow' }, link(p)),
        el('span', { class: 'meta' }, p.fields.company ? 'now elsewhere' : 'left')))));
    const ds = refs('deal');
    related.push(el('h2', {}, 'Deals'), ds.length ? el('ul', { class: 'list' }, ds.map((d) => el('li', {}, el('span', { class: 'grow' }, link(d)),
      el('span', { class: 'meta' }, [d.fields.stage, d.fields.amount && fromUnits(toUnits(d.fields.amount), d.fields.currency)].filter(Boolean).join(' · ')))))
      : el('p', { class: 'empty' }, 'No deals with this company yet: add one under Deals.'));
  }
  return el('section', { dataset: { record: r.id } },
    el('p', { class: 'meta' }, r.type),
    el('h1', {}, label(r), sub.length ? el('span', { class: 'meta' }, sub.map((s, i) => [i ? ' · ' : '', s])) : null),
    r.type === 'contact' ? await employerHistory(hist) : null,
    el('div', { class: 'row' },
      ['contact', 'company', 'deal'].includes(r.type) ? el('button', { type: 'button', onclick: () => openLog({ [r.type]: r.id, company: r.type === 'contact' ? r.fields.company : undefined }) }, 'Log interaction') : null,
      el('span', { class: 'spacer' }),
      el('button', { type: 'button', class: 'danger', onclick: del }, 'Delete')),
    lifeConflicts,
    el('h2', {}, 'Details'), el('div', { class: 'card' }, dl),
    related, addTaskForm(r),
    el('h2', {}, 'Timeline'), timeline(hist, refs, r.type));
}

// ------------------------------------------------------------------ deals

// A deal page's header: stage and how long it has been there (from its
// history), the value, the company, a late badge.
function dealFacts(d, hist) {
  const facts = [], stage = d.fields.stage;
  const since = hist.items.filter((c) => c.field === 'stage').at(-1)?.at ?? d.created;
  const days = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 86400000));
  if (stage) facts.push(el('span', { id: 'deal-stage' }, `${stage} · ${days === 0 ? 'since today' : `${plural(days, 'day')} in stage`}`));
  if (d.fields.amount) facts.push(fromUnits(toUnits(d.fields.amount), d.fields.currency));
  const late = d.fields.promised_by && d.fields.promised_by < localDate() && !['won', 'lost'].includes(stage);
  if (late) facts.push(el('span', { class: 'late-badge' }, `late · promised ${sayDate(d.fields.promised_by)}`));
  return facts;
}

const DEAL_DRAG = 'application/x-clientele-deal';

// A deal to another stage (a drag, or Alt+arrows on its card), with Undo; the
// card keeps the focus in the pipeline drawn next (data-focus).
let movedDeal = null;
async function moveDeal(d, stage) {
  const was = d.fields.stage || '';
  movedDeal = { id: d.id, stage };
  try {
    await api('PATCH', `/api/records/${d.id}`, { fields: { stage } });
    toast(`Moved ${label(d)} to ${stage}`, { action: 'Undo', onAction: () =>
      api('PATCH', `/api/records/${d.id}`, { fields: { stage: was } }).then(refresh, (e) => toast(e.message, { bad: true })) });
    refresh();
  } catch (e) { toast(e.message, { bad: true }); }
}

// The pipeline: each stage's count and value from the model's sums (the
// reports), its cards a page at a time (GET /api/records?stage=), so a book of
// any size shows whole totals; a column keeps what was shown through a redraw.
const STAGE_PAGE = 50;
const stageShown = new Map();
function stagePage(stage, limit, cursor) {
  const p = new URLSearchParams({ type: 'deal', stage, limit: String(limit), names: '1' });
  if (cursor) p.set('cursor', cursor);
  return get(`/api/records?${p}`);
}

export async function deals() {
  const asked = STAGES.map((s) => Math.min(1000, stageShown.get(s) ?? STAGE_PAGE));
  const [report, ...pages] = await Promise.all([get('/api/reports'), ...STAGES.map((s, i) => stagePage(s, asked[i]))]);
  // a Show more that landed while this loaded: draw what it showed, not fewer
  if (STAGES.some((s, i) => Math.min(1000, stageShown.get(s) ?? STAGE_PAGE) !== asked[i])) return deals();
  const today = localDate();
  const late = (d) => d.fields.promised_by && d.fields.promised_by < today && !['won', 'lost'].includes(d.fields.stage);
  const form = submitForm(el('form', { class: 'inline', 'aria-label': 'New deal' },
    el('label', {}, 'Title', el('input', { name: 'title', required: true, size: 24 })),
    pickerField('Company', { type: 'company', name: 'company', id: 'new-deal-company' }).field,
    el('label', {}, 'Stage', el('select', { name: 'stage' }, STAGES.map((s) => el('option', { value: s }, s)))),
    el('label', {}, 'Amount', el('input', { name: 'amount', inputmode: 'decimal', size: 9 })),
    el('label', {}, 'Currency', el('input', { name: 'currency', size: 4, maxlength: 3, placeholder: 'EUR' })),
    el('label', {}, 'Promised by', el('input', { name: 'promised_by', type: 'date' })),
    el('button', { type: 'submit', class: 'primary' }, 'Add deal')), async (d) => {
    const f = fieldsFrom(d, ['title', 'company', 'stage', 'amount', 'currency', 'promised_by']);
    if (f.currency) f.currency = f.currency.toUpperCase();
    await api('POST', '/api/records', { type: 'deal', fields: f });
    refresh();
  });
  const shown = new Map(); // id → deal, every card drawn (what a drop names)
  const card = (d, names) => {
    shown.set(d.id, d);
    return el('a', { class: 'deal' + (late(d) ? ' is-late' : ''), href: `#/r/${d.id}`, id: `deal-${d.id}`, draggable: 'true',
      dataset: movedDeal?.id === d.id && (d.fields.stage || 'lead') === movedDeal.stage ? { focus: '1' } : {},
      title: 'Drag to another stage, or Alt+← / Alt+→', ondragstart: (ev) => ev.dataTransfer.setData(DEAL_DRAG, d.id),
      onkeydown: (ev) => {
        if (!ev.altKey || (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight')) return;
        ev.preventDefault();
        const to = STAGES[STAGES.indexOf(d.fields.stage || 'lead') + (ev.key === 'ArrowRight' ? 1 : -1)];
        if (to) moveDeal(d, to);
      } }, el('div', {}, label(d)),
      el('div', { class: 'meta' }, [names[d.fields.company]?.label, d.fields.amount && fromUnits(toUnits(d.fields.amount), d.fields.currency)].filter(Boolean).join(' · ')),
      d.fields.promised_by ? el('div', { class: late(d) ? 'late' : 'meta' }, `${late(d) ? 'late: promised ' : 'promised '}${sayDate(d.fields.promised_by)}`) : null);
  };
  const col = (stage, i) => {
    const sum = report.pipeline.find((x) => x.stage === stage) ?? { count: 0, sums: [] };
    let page = pages[i], count = page.items.length;
    const cards = el('div', { class: 'cards' }, page.items.map((d) => card(d, page.names)));
    const more = el('button', { type: 'button', class: 'more', hidden: !page.next, onclick: async () => {
      try {
        page = await stagePage(stage, STAGE_PAGE, page.next);
        cards.append(...page.items.map((d) => card(d, page.names)));
        count += page.items.length;
        stageShown.set(stage, count);
        more.hidden = !page.next;
        more.textContent = `Show more (${(sum.count - count).toLocaleString('en')} left)`;
      } catch (e) { toast(e.message, { bad: true }); }
    } }, `Show more (${(sum.count - count).toLocaleString('en')} left)`);
    const column = el('div', { class: 'stage', dataset: { stage } }, el('h2', {}, stage, el('span', { class: 'meta' }, ` ${sum.count.toLocaleString('en')}`)),
      el('div', { class: 'totals' }, sumText(sum) || 'no amounts'), cards, more);
    column.addEventListener('dragover', (ev) => { if (ev.dataTransfer.types.includes(DEAL_DRAG)) ev.preventDefault(); });
    column.addEventListener('drop', (ev) => {
      const d = shown.get(ev.dataTransfer.getData(DEAL_DRAG));
      if (!d) return;
      ev.preventDefault();
      if ((d.fields.stage || 'lead') !== stage) moveDeal(d, stage);
    });
    return column;
  };
  const columns = STAGES.map(col);
  if ([...shown.values()].some((d) => movedDeal?.id === d.id && (d.fields.stage || 'lead') === movedDeal.stage)) movedDeal = null; // focused once
  return el('section', {}, el('h1', {}, 'Deals'), form,
    report.pipeline.some((x) => x.count) ? el('div', { class: 'pipeline' }, columns) : el('p', { class: 'empty' }, 'No deals yet. Add the proposal you are working on above.'));
}

// ------------------------------------------------------------------ reports

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs = {}, ...children) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c);
  return n;
}

// Horizontal bars, one per row ({label, value, note}), scaled to the largest
// value; each bar says its numbers to a screen reader and on hover.
function bars(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value)), h = 26, width = 640, labelW = 120, barW = width - labelW - 190;
  return svgEl('svg', { id, class: 'chart', viewBox: `0 0 ${width} ${rows.length * h + 4}`, role: 'img', 'aria-label': title },
    rows.map((r, i) => svgEl('g', { transform: `translate(0 ${i * h + 2})` },
      svgEl('title', {}, `${r.label}: ${r.value}${r.note ? ` · ${r.note}` : ''}`),
      svgEl('text', { x: labelW - 8, y: 17, 'text-anchor': 'end', class: 'chart-label' }, r.label),
      svgEl('rect', { x: labelW, y: 4, height: 18, width: Math.max(r.value ? 2 : 0, (r.value / max) * barW), rx: 3, class: r.cls || 'chart-bar' }),
      svgEl('text', { x: labelW + (r.value / max) * barW + 6, y: 17, class: 'chart-value' }, `${r.value}${r.note ? ` · ${r.note}` : ''}`))));
}

const sumText = (t) => t.sums.length ? t.sums.map((x) => fromUnits(toUnits(x.amount), x.currency)).join(' + ') + (t.overflow ? ' (partial)' : '') : '';

// The numbers under a chart, one click away.
function numbers(head, rows) {
  return el('details', { class: 'numbers' }, el('summary', {}, 'The numbers'),
    el('table', {}, el('thead', {}, el('tr', {}, head.map((x) => el('th', {}, x)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((x, i) => el('td', { 'data-label': head[i] }, String(x))))))));
}

const monthName = (m) => new Date(`${m}-01T12:00:00`).toLocaleDateString('en-GB', { month: 'short', year: 'numeric' });

export async function reports() {
  const r = await get('/api/reports');
  const lastYear = (rows) => rows.slice(-12);
  const pipe = r.pipeline.map((s) => ({ label: s.stage, value: s.count, note: sumText(s), cls: `chart-bar stage-${s.stage}` }));
  const closing = r.closing.map((m) => ({ label: monthName(m.month), value: m.count, note: sumText(m) }));
  const outcomes = lastYear(r.outcomes).flatMap((m) => [
    { label: `${monthName(m.month)} won`, value: m.won.count, note: sumText(m.won), cls: 'chart-bar won' },
    { label: 'lost', value: m.lost.count, note: sumText(m.lost), cls: 'chart-bar lost' }]);
  const talks = lastYear(r.interactions).map((m) => ({ label: monthName(m.month), value: m.count }));
  const section = (id, title, rows, table, empty) => [el('h2', { id: `h-${id}` }, title),
    rows.length ? [bars(id, title, rows), table] : el('p', { class: 'empty' }, empty)];
  return el('section', { 'aria-labelledby': 'h-reports' }, el('h1', { id: 'h-reports' }, 'Reports'),
    el('p', { class: 'meta' }, 'Summed exactly by the server for every deal and interaction of the book, per currency.'),
    section('report-pipeline', 'Pipeline by stage', pipe,
      numbers(['Stage', 'Deals', 'Value'], r.pipeline.map((s) => [s.stage, s.count, sumText(s) || '—'])), 'No deals yet.'),
    section('report-closing', 'Expected closings per month (open deals)', closing,
      numbers(['Month', 'Deals', 'Value'], r.closing.map((m) => [m.month, m.count, sumText(m) || '—'])), 'No open deal has a close date.'),
    section('report-outcomes', 'Won and lost per month', outcomes,
      numbers(['Month', 'Won', 'Won value', 'Lost', 'Lost value'], r.outcomes.map((m) => [m.month, m.won.count, sumText(m.won) || '—', m.lost.count, sumText(m.lost) || '—'])),
      'No deal won or lost yet.'),
    section('report-interactions', 'Interactions per month', talks,
      numbers(['Month', 'Interactions'], r.interactions.map((m) => [m.month, m.count])), 'Nothing logged yet.'));
}

// ------------------------------------------------------------------ conflicts

export async function conflicts() {
  const [res] = await Promise.all([get('/api/conflicts'), loadDeviceNames()]);
  return el('section', {}, el('h1', {}, 'Conflicts'),
    el('p', { class: 'meta' }, 'When two devices change the same field without seeing each other’s change, both values are kept here until you choose.'),
    res.items.length ? res.items.map((r) => el('div', { class: 'card spaced' },
      el('h2', {}, link(r), el('span', { class: 'meta' }, ` ${r.type}`)), r.conflicts.map((c) => conflictBox(r, c))))
      : el('p', { class: 'empty', id: 'no-conflicts' }, 'No conflicts. Everything your devices wrote agrees.'));
}

// ------------------------------------------------------------------ devices

function when(iso) { return iso ? sayDate(iso) : 'never'; }

// An invitation made here stays shown (until it expires) when the view is
// drawn again for a live update.
let invitation = null;

function inviteBlock(st) {
  const shown = invitation && Date.parse(invitation.expires) > Date.now() ? invitation : null;
  const make = async () => {
    try { invitation = await api('POST', '/api/invitations', {}); refresh(); } catch (e) { toast(e.message, { bad: true }); }
  };
  const copy = async () => {
    try { await navigator.clipboard.writeText(shown.invitation); toast('Invitation copied'); }
    catch { document.getElementById('invitation').select(); toast('Selected: press Ctrl+C to copy'); }
  };
  const until = shown && new Date(shown.expires).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return [el('h3', {}, 'Invite a device'),
    !st.addresses?.length ? el('p', { class: 'meta' }, 'This process does not listen for peers: run “clientele serve” to invite.')
      : shown ? el('div', {}, el('div', { class: 'row' },
        el('input', { id: 'invitation', readonly: true, value: shown.invitation, size: 60, 'aria-label': 'Invitation', dataset: { keep: '1' } }),
        el('button', { type: 'button', onclick: copy }, 'Copy')),
        el('p', { class: 'meta', id: 'invitation-note' }, `Valid once, until ${until}. On the other device: Devices → Join with an invitation, and paste it.`))
        : el('p', {}, el('button', { type: 'button', class: 'primary', id: 'invite', onclick: make }, 'Invite a device'),
          el('span', { class: 'meta' }, ' a one-line invitation to paste on the other device (valid 10 minutes, once)'))];
}

// Paste, see whom it pairs with, confirm.
function joinBlock() {
  const input = el('input', { id: 'join-text', name: 'invitation', size: 60, placeholder: 'clientele://…', 'aria-label': 'Invitation to join' });
  const preview = el('div', { id: 'join-preview', 'aria-live': 'polite' });
  let learn = null; // "also take its introductions", shown with the preview
  const pair = async (text, btn) => {
    btn.disabled = true;
    try {
      const r = await api('POST', '/api/join', { invitation: text, pair: true, introducer: learn.checked });
      toast(`Paired with ${r.name || r.device_id}`);
      input.value = '';
      refresh();
    } catch (e) { preview.replaceChildren(errorBox(e)); } finally { btn.disabled = false; }
  };
  const check = submitForm(el('form', { class: 'inline', 'aria-label': 'Join with an invitation' },
    el('label', {}, 'Invitation', input), el('button', { type: 'submit' }, 'Check')), async () => {
    const text = input.value.trim();
    const r = await api('POST', '/api/join', { invitation: text });
    const go = el('button', { type: 'button', class: 'primary', id: 'join-confirm' }, 'Pair');
    go.addEventListener('click', () => pair(text, go));
    learn = el('input', { type: 'checkbox', id: 'join-introducer' });
    preview.replaceChildren(el('p', {}, 'This pairs with device ', el('code', { class: 'mono', id: 'join-device' }, r.device_id),
      ` at ${r.addresses.join(', ')}. Both devices then sync with each other.`),
      el('p', {}, el('label', { class: 'check' }, learn, ' Also pair with the devices it is paired with (the office desktop: the whole team)')), go);
  });
  return [el('h3', {}, 'Join with an invitation'), check, preview];
}

// Address books and calendars (CardDAV and CalDAV clients, docs/dav.md): one app
// password each. A password just made is shown here once: it stays while the
// view is drawn again for live updates, until "Done" (or the app is removed);
// the server keeps only its hash. A removal is confirmed in its row first.
let newApp = null;      // {name, password, focus}
let removingApp = null; // {name, focus}
let revokingPeer = null; // {id, focus}: the peers row that asks "revoke it?"

function appsBlock(res) {
  const davUrl = `${location.origin}/dav/`;
  const head = [el('h2', { id: 'apps-title' }, 'Address book & calendar apps'),
    el('p', { class: 'meta' }, 'Thunderbird, DAVx5, iOS Contacts and other CardDAV and CalDAV apps read and edit this book (contacts, follow-up tasks, client dates) at ',
      el('code', { class: 'mono' }, davUrl), ', each app with its own password. Setup per app: see docs/dav.md.')];
  if (res instanceof Error) return [...head, errorBox(res)];
  // serve --dav-listen: phones on the network reach it over TLS, the device's certificate
  const net = res.network;
  if (net) head.push(el('p', { id: 'apps-network' }, 'From a phone on the network: ',
    ...net.urls.flatMap((u, i) => [i ? ' or ' : '', el('code', { class: 'mono' }, u)]),
    '. When the app asks whether to trust the certificate, compare its SHA-256 fingerprint with ',
    el('code', { class: 'devid', id: 'apps-fingerprint' }, net.fingerprint), '.'));
  const again = () => refresh();
  const remove = async (c, btn) => {
    btn.disabled = true;
    try {
      await api('DELETE', `/api/dav-clients/${enc(c.name)}`);
      if (newApp?.name === c.name) newApp = null;
      removingApp = null;
      toast(`Removed ${c.name}: its password no longer opens the book`);
    } catch (e) { toast(e.message, { bad: true }); }
    refresh();
  };
  const row = (c) => {
    const asking = removingApp?.name === c.name;
    const ask = el('button', { type: 'button', class: asking ? 'danger app-remove-confirm' : 'danger app-remove',
      'aria-label': `${asking ? 'Yes, remove' : 'Remove'} ${c.name}` }, asking ? 'Yes, remove' : 'Remove');
    ask.addEventListener('click', () => asking ? remove(c, ask) : (removingApp = { name: c.name, focus: true }, again()));
    // focus goes to the question once (app.js honours data-focus), not on each live redraw
    if (asking && removingApp.focus) { ask.dataset.focus = '1'; ask.addEventListener('focus', () => { removingApp && (removingApp.focus = false); }); }
    return el('li', { dataset: { app: c.name } },
      el('span', { class: 'grow' }, el('span', { class: 'app-name' }, c.name),
        el('div', { class: 'meta' }, asking ? 'Remove it? The app is refused from its next request; to let it in again, add it anew (a new password).'
          : `added ${sayDate(c.added)}`)),
      ask, asking ? el('button', { type: 'button', onclick: () => { removingApp = null; again(); } }, 'Cancel') : null);
  };
  let shown = null;
  if (newApp) {
    const copy = async () => {
      try { await navigator.clipboard.writeText(newApp.password); toast('Password copied'); }
      catch { document.getElementById('app-password').select(); toast('Selected: press Ctrl+C to copy'); }
    };
    const pw = el('input', { id: 'app-password', class: 'secret', readonly: true, value: newApp.password, size: 34,
      'aria-describedby': 'app-password-note', dataset: { keep: '1' } });
    if (newApp.focus) { pw.dataset.focus = '1'; pw.addEventListener('focus', () => { newApp && (newApp.focus = false); }); }
    shown = el('div', { class: 'card spaced', id: 'app-new', role: 'group', 'aria-labelledby': 'app-new-title' },
      el('h3', { id: 'app-new-title' }, `Enter these in “${newApp.name}”`),
      el('dl', { class: 'creds' },
        el('dt', {}, 'Server'), el('dd', {}, el('code', { class: 'devid', id: 'app-url' }, davUrl),
          net ? el('div', { class: 'meta' }, 'from a phone on the network: ', net.urls.join(' or ')) : null),
        el('dt', {}, 'User name'), el('dd', {}, el('code', { class: 'devid', id: 'app-user' }, newApp.name)),
        el('dt', {}, el('label', { for: 'app-password' }, 'Password')),
        el('dd', {}, el('div', { class: 'row' }, pw, el('button', { type: 'button', id: 'app-password-copy', onclick: copy }, 'Copy')))),
      el('p', { id: 'app-password-note' }, el('strong', {}, 'This password is shown only now and will not be shown again'),
        ' (the book keeps only a hash of it). Lost it? Remove the app and add it again.'),
      el('p', { class: 'meta' }, 'How to set up Thunderbird, GNOME Contacts, DAVx5, iOS and vdirsyncer: see docs/dav.md.'),
      el('p', {}, el('button', { type: 'button', id: 'app-done', onclick: () => { newApp = null; again(); } }, 'Done, I have saved it')));
  }
  const add = submitForm(el('form', { class: 'inline', 'aria-label': 'Add an app' },
    el('label', {}, 'App name (its user name)', el('input', { id: 'app-name', name: 'name', required: true, maxlength: 64, size: 20,
      placeholder: 'phone', autocomplete: 'off' })),
    el('button', { type: 'submit' }, 'Add an app')), async (d) => {
    const name = (d.get('name') ?? '').toString().trim();
    const r = await api('POST', '/api/dav-clients', { name });
    newApp = { name: r.name, password: r.password, focus: true };
    removingApp = null;
    refresh();
  });
  return [...head,
    res.clients.length ? el('ul', { class: 'list', id: 'apps', 'aria-labelledby': 'apps-title' }, res.clients.map(row))
      : el('p', { class: 'empty', id: 'no-apps' }, 'No apps yet. Add one: it gets a password to enter in the app, with the address above.'),
    shown, el('h3', {}, 'Add an app'), add];
}

export async function devices() {
  const [st, apps] = await Promise.all([get('/api/status'), get('/api/dav-clients').catch((e) => e)]);
  const copy = async () => {
    try { await navigator.clipboard.writeText(st.device_id); toast('Device id copied'); }
    catch { getSelection().selectAllChildren(document.getElementById('device-id')); toast('Selected: press Ctrl+C to copy'); }
  };
  const syncBtn = el('button', { type: 'button', class: 'primary', disabled: !st.can_sync, onclick: async () => {
    try { await api('POST', '/api/sync'); toast('Syncing with every paired device…'); } catch (e) { toast(e.message, { bad: true }); }
  } }, 'Sync now');
  // a request's address is where it came from; only a HOST:PORT is worth keeping
  const accept = (p) => api('POST', '/api/peers', { id: p.id, addr: /:\d+$/.test(p.addr) ? p.addr : undefined, name: p.name || undefined }).then(() => { toast(`Paired with ${p.name || p.id}`); refresh(); }, (e) => toast(e.message, { bad: true }));
  const refuse = (p) => api('DELETE', `/api/pending/${enc(p.id)}`).then(refresh, (e) => toast(e.message, { bad: true }));
  const refuseAll = () => api('DELETE', '/api/pending').then(refresh, (e) => toast(e.message, { bad: true }));
  const unpair = (p) => api('DELETE', `/api/peers/${enc(p.id)}`).then(refresh, (e) => toast(e.message, { bad: true }));
  const revoke = (p) => api('POST', `/api/peers/${enc(p.id)}/revoke`).then(() => {
    revokingPeer = null;
    toast(`Revoked ${p.name || p.id}: every device refuses it once this reaches it`);
    refresh();
  }, (e) => toast(e.message, { bad: true }));
  // a stolen laptop: asked in its row first, since it cannot be undone
  const peerActions = (p) => {
    if (revokingPeer?.id !== p.id)
      return [el('button', { type: 'button', class: 'link danger', onclick: () => unpair(p) }, 'Unpair'),
        el('button', { type: 'button', class: 'link danger peer-revoke', 'aria-label': `Revoke ${p.name || p.id}`,
          onclick: () => { revokingPeer = { id: p.id, focus: true }; refresh(); } }, 'Revoke…')];
    const yes = el('button', { type: 'button', class: 'danger peer-revoke-confirm', onclick: () => revoke(p) }, 'Yes, revoke');
    if (revokingPeer.focus) { yes.dataset.focus = '1'; yes.addEventListener('focus', () => { revokingPeer && (revokingPeer.focus = false); }); }
    return [el('div', { class: 'meta' }, 'Revoke it for every device? Its edits from now on are refused everywhere; for good.'),
      yes, el('button', { type: 'button', onclick: () => { revokingPeer = null; refresh(); } }, 'Cancel')];
  };
  // introductions (docs/introductions.md): on, the devices it is paired with are paired here too
  const setIntroducer = (p, on) => api('PATCH', `/api/peers/${enc(p.id)}`, { introducer: on }).then(() => {
    toast(on ? `Pairing with the devices ${p.name || p.id} is paired with, at the next sync with it`
      : `The devices ${p.name || p.id} introduced are no longer paired here`);
    refresh();
  }, (e) => { toast(e.message, { bad: true }); refresh(); });
  const nameOf = (id) => st.peers.find((q) => q.id === id)?.name || id;
  const introCell = (p) => p.revoked ? '—' : el('label', { class: 'check' },
    el('input', { type: 'checkbox', class: 'peer-introducer', checked: p.introducer, 'aria-label': `Pair with the devices ${p.name || p.id} is paired with`,
      onchange: (ev) => setIntroducer(p, ev.target.checked) }), ' its devices too');
  const nameCell = (p) => [p.name || '—', p.introduced_by
    ? el('div', { class: 'meta peer-introduced' }, `introduced by ${nameOf(p.introduced_by)}`) : null];
  const add = submitForm(el('form', { class: 'inline', 'aria-label': 'Pair a device' },
    el('label', {}, 'Device id', el('input', { name: 'id', required: true, size: 44, placeholder: 'XXXXX-XXXXX-…' })),
    el('label', {}, 'Address (optional)', el('input', { name: 'addr', size: 18, placeholder: '192.168.1.20:7701' })),
    el('label', {}, 'Name (optional)', el('input', { name: 'name', size: 14 })),
    el('button', { type: 'submit' }, 'Pair')), async (d) => {
    await api('POST', '/api/peers', fieldsFrom(d, ['id', 'addr', 'name']));
    refresh();
  });
  return el('section', {}, el('h1', {}, 'Devices'),
    el('h2', {}, `This device${st.name ? ': ' + st.name : ''}`),
    el('div', { class: 'row' }, el('code', { class: 'devid', id: 'device-id' }, st.device_id),
      el('button', { type: 'button', onclick: copy }, 'Copy'), el('span', { class: 'spacer' }),
      el('span', { class: 'meta' }, `${st.op_count} changes stored`), syncBtn),
    el('p', { class: 'meta', id: 'device-addresses' }, st.addresses?.length ? `Other devices reach this one at ${st.addresses.join(', ')}` : 'Not listening for other devices.'),
    st.can_sync ? null : el('p', { class: 'meta' }, 'This server does not sync: run “clientele serve” with peer sync to sync from here.'),
    st.notice ? el('p', { class: 'notice', id: 'folder-notice', role: 'status' }, st.notice) : null,
    el('h2', {}, 'Paired devices'),
    st.peers.length ? el('table', {}, el('thead', {}, el('tr', {}, ['Name', 'Device id', 'Address', 'Last sync', 'Last error', 'Introductions', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, st.peers.map((p) => el('tr', { dataset: { peer: p.id } }, el('td', { 'data-label': 'Name' }, nameCell(p)), el('td', { class: 'mono', 'data-label': 'Device id' }, p.id),
        el('td', { 'data-label': 'Address' }, p.addr || '—'),
        el('td', { 'data-label': 'Last sync' }, when(p.last_sync)), el('td', { class: p.last_error ? 'late' : 'meta', 'data-label': 'Last error' }, p.last_error || '—'),
        el('td', { 'data-label': 'Introductions' }, introCell(p)),
        el('td', {}, peerActions(p))))))
      : el('p', { class: 'empty' }, 'No paired devices yet: invite one below (or pair by device id, entering this id there too).'),
    inviteBlock(st), joinBlock(),
    el('h3', {}, 'Pair by device id'), add,
    el('h2', {}, 'Requests from unknown devices'),
    st.pending.length > 1 ? el('button', { type: 'button', class: 'danger', id: 'refuse-all', onclick: refuseAll }, `Refuse all ${st.pending.length}`) : null,
    st.pending.length ? el('ul', { class: 'list' }, st.pending.map((p) => el('li', {},
      el('span', { class: 'grow' }, p.name || 'unnamed device', el('div', { class: 'meta mono' }, `${p.id} · ${p.addr || ''} · ${p.attempts} attempt${p.attempts === 1 ? "" : "s"}, last ${when(p.last)}`)),
      el('button', { type: 'button', onclick: () => accept(p) }, 'Accept'),
      el('button', { type: 'button', class: 'danger', onclick: () => refuse(p) }, 'Refuse'))))
      : el('p', { class: 'empty' }, 'None. A device that tries to sync before it is paired shows up here.'),
    appsBlock(apps));
}

// ------------------------------------------------------------------ search

// A hit's second line: what tells it apart (title, stage, date…) and the
// company it belongs to, by name.
async function hitMeta(r) {
  const company = r.fields.company ? await record(r.fields.company) : null;
  return [r.fields.title, r.fields.industry, r.fields.email, r.fields.stage, r.fields.kind, sayDate(r.fields.date || r.fields.due),
    company && label(company)].filter((x) => x && x !== label(r)).join(' · ');
}

export async function search(params) {
  const q = params.get('q') || '';
  const types = [['company', 'Companies'], ['contact', 'Contacts'], ['deal', 'Deals'], ['task', 'Tasks'], ['interaction', 'Interactions']];
  const results = await Promise.all(types.map(([t]) => get(`/api/records?type=${t}&limit=10&q=${enc(q)}`)));
  const blocks = await Promise.all(types.map(async ([, title], i) => results[i].items.length
    ? [el('h2', {}, title), el('ul', { class: 'list' }, await Promise.all(results[i].items.map(async (r) => el('li', {},
      el('span', { class: 'grow' }, link(r)), el('span', { class: 'meta' }, await hitMeta(r))))))] : null));
  const found = blocks.filter(Boolean);
  return el('section', { id: 'search-results' }, el('h1', {}, `Search: “${q}”`),
    found.length ? found : el('p', { class: 'empty' }, 'Nothing matches. Search ignores case and accents: “dragos” finds “Dragoș”; a phone is found however it is spaced.'));
}

export { KINDS };
