// Small DOM helpers, formats people read, toasts.

// el('li', {class: 'x', onclick: f}, child, 'text', …)
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else if (k === 'class') n.className = v;
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (v === true) n.setAttribute(k, '');
    else n.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) n.append(c);
  return n;
}

// The schema table comes from the server (GET /api/schema, the model's one
// table): types, their fields in display order with the editor each needs,
// and the field that names a record. setSchema fills these before the first render.
export const TYPES = [];
export const KINDS = [];
export const STAGES = [];
export const FIELDS = {};
const LABELS = {};

const editorKind = (f) => f.kind === 'ref' ? `ref:${f.ref}` : f.kind === 'enum' ? `enum:${f.choices.join(',')}`
  : ['bool', 'date', 'days'].includes(f.kind) ? f.kind : f.multiline ? 'long' : 'text';

const KIND_OF = {};
// A field's kind as the schema names it ("decimal", "date", "ref", …).
export const fieldKind = (type, name) => KIND_OF[type]?.[name] ?? 'text';

export function setSchema(schema) {
  for (const t of schema.types) {
    TYPES.push(t.name);
    LABELS[t.name] = t.label;
    KIND_OF[t.name] = Object.fromEntries(t.fields.flatMap((f) => [[f.name, f.kind], ...(f.list ? [[f.list, f.kind]] : [])]));
    FIELDS[t.name] = t.fields.map((f) => [f.name, editorKind(f)]);
  }
  const choices = (type, field) => schema.types.find((t) => t.name === type)?.fields.find((f) => f.name === field)?.choices ?? [];
  KINDS.push(...choices('interaction', 'kind'));
  STAGES.push(...choices('deal', 'stage'));
}

// The field that names records of a type (name, title or summary).
export const labelField = (type) => LABELS[type] ?? 'name';

export function label(r) {
  if (!r) return '(deleted)';
  return r.fields[labelField(r.type)] || '(unnamed)';
}

export function localDate(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// A date as people say it: today, yesterday, tomorrow, Tue 3 Mar (2025).
export function sayDate(s) {
  if (!s) return '';
  const only = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const d = only ? new Date(s + 'T00:00:00') : new Date(s);
  if (isNaN(d)) return s;
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const now = new Date();
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const diff = Math.round((day - today) / 86400000);
  const time = only ? '' : ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (diff === 0) return 'today' + time;
  if (diff === -1) return 'yesterday' + time;
  if (diff === 1) return 'tomorrow' + time;
  const opts = { weekday: 'short', day: 'numeric', month: 'short' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString('en-GB', opts).replace(',', '') + time;
}

export function monthYear(s) {
  const d = new Date(s);
  return isNaN(d) ? s : d.toLocaleDateString('en-GB', { month: 'long', year: 'numeric' });
}

// Money without floating point: decimal strings summed as BigInt in 1/10000.
const SCALE = 4;
export function toUnits(s) {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(s ?? '').trim());
  if (!m || (!m[2] && !m[3])) return 0n;
  const v = BigInt((m[2] || '0') + (m[3] || '').padEnd(SCALE, '0').slice(0, SCALE));
  return m[1] ? -v : v;
}
export function fromUnits(u, currency) {
  const neg = u < 0n; if (neg) u = -u;
  const whole = u / 10n ** BigInt(SCALE), frac = (u % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').slice(0, 2);
  const w = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return `${neg ? '−' : ''}${w}${frac === '00' ? '' : '.' + frac} ${currency || ''}`.trim();
}

export function toast(message, { bad = false, action, onAction, ms = 6000 } = {}) {
  const box = document.getElementById('toasts');
  const t = el('div', { class: 'toast' + (bad ? ' bad' : ''), role: bad ? 'alert' : 'status' }, el('span', {}, message));
  if (action) t.append(el('button', { type: 'button', onclick: () => { t.remove(); onAction(); } }, action));
  box.append(t);
  while (box.children.length > 3) box.firstElementChild.remove(); // calm: a few at most
  setTimeout(() => t.remove(), ms);
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
