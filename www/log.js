// The global "log an interaction" dialog (key L): kind, who, the deal (one of
// theirs), when, what was said, and an optional follow-up task with quick due
// dates. Enter saves; a failed save keeps it all; the toast offers Undo.
import { api, get } from './api.js';
import { el, KINDS, localDate, sayDate, toUnits, fromUnits, toast } from './ui.js';
import { pickerField } from './picker.js';

const dialog = () => document.getElementById('log-dialog');

function nowLocal() {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

// Quick due dates for the follow-up, as people say them.
function inDays(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return localDate(d);
}
const DUE_CHOICES = [
  ['Tomorrow', () => inDays(1)],
  ['Friday', () => inDays(((5 - new Date().getDay() + 7) % 7) || 7)],
  ['In 3 days', () => inDays(3)],
  ['Next week', () => inDays(7)],
];

// The open deals of a contact (else of a company), with their value: the
// deal a call is about is one of those, not any deal of the book.
async function openDeals(contact, company) {
  const ref = contact || company;
  if (!ref) return [];
  const page = await get(`/api/records?type=deal&ref=${encodeURIComponent(ref)}&limit=50`);
  return page.items.filter((d) => !['won', 'lost'].includes(d.fields.stage));
}

function dealChoice(d) {
  const value = d.fields.amount ? ` · ${fromUnits(toUnits(d.fields.amount), d.fields.currency)}` : '';
  return el('option', { value: d.id }, `${d.fields.title}${d.fields.stage ? ` (${d.fields.stage})` : ''}${value}`);
}

async function build(pre) {
  const dealSelect = el('select', { name: 'deal', id: 'log-deal' });
  // the deal list follows the contact (or company) chosen; one open deal is chosen for you
  const fillDeals = async () => {
    const deals = await openDeals(contact.value, company.value).catch(() => []);
    const keep = dealSelect.value || pre.deal || '';
    if (keep && !deals.some((d) => d.id === keep)) {
      const kept = await get(`/api/records/${encodeURIComponent(keep)}`).catch(() => null);
      if (kept) deals.unshift(kept);
    }
    dealSelect.replaceChildren(el('option', { value: '' }, deals.length ? '— no deal —' : 'no open deal'), ...deals.map(dealChoice));
    dealSelect.value = keep || (deals.length === 1 ? deals[0].id : '');
  };
  // Picking a contact fills in the company they work at.
  const company = pickerField('Company', { type: 'company', name: 'company', id: 'log-company', value: pre.company, onPick: () => fillDeals() });
  const contact = pickerField('Who', { type: 'contact', name: 'contact', id: 'log-contact', value: pre.contact,
    onPick: (c) => { if (c.fields.company && !company.value && !company.unpicked()) company.set(c.fields.company); fillDeals(); } });
  await Promise.all([contact.ready, company.ready]);
  await fillDeals();
  const summary = el('textarea', { name: 'summary', id: 'log-summary', rows: 3, required: true, placeholder: 'What was said, what was promised…' });
  const kind = pre.kind || 'call';
  const kinds = el('fieldset', { class: 'kinds', id: 'log-kind' }, el('legend', {}, 'Kind ', el('kbd', {}, 'Alt+K')),
    KINDS.map((k) => el('label', {},
      el('input', { type: 'radio', name: 'kind', value: k, id: `log-kind-${k}`, checked: k === kind }), k)));
  const due = el('input', { type: 'date', name: 'due', id: 'log-due' });
  const quick = el('div', { class: 'row quick-due', role: 'group', 'aria-label': 'Quick due dates' },
    DUE_CHOICES.map(([text, day]) => el('button', { type: 'button', onclick: () => { due.value = day(); due.dispatchEvent(new Event('input')); } }, text)));
  const form = el('form', { method: 'dialog' },
    el('h1', { id: 'log-title' }, 'Log an interaction'),
    kinds, contact.field, company.field,
    el('label', { for: 'log-deal' }, 'Deal', dealSelect),
    el('label', { for: 'log-date' }, 'When', el('input', { type: 'datetime-local', name: 'date', id: 'log-date', value: nowLocal() })),
    el('label', { for: 'log-summary' }, 'Summary (Enter saves, Shift+Enter for a new line)', summary),
    el('label', { for: 'log-task' }, 'Follow-up task (optional)', el('input', { name: 'task', id: 'log-task', placeholder: 'Send the proposal' })),
    el('label', { for: 'log-due' }, 'Follow-up due', due), quick,
    el('div', { class: 'row' }, el('span', { class: 'spacer' }),
      el('button', { type: 'button', onclick: () => dialog().close() }, 'Cancel'),
      el('button', { type: 'submit', class: 'primary' }, 'Save')));
  summary.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  // Alt+K: to the kind, whose arrows then choose it
  form.addEventListener('keydown', (ev) => {
    if (ev.altKey && (ev.key === 'k' || ev.key === 'K')) { ev.preventDefault(); form.querySelector('input[name=kind]:checked')?.focus(); }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(form, contact); });
  return form;
}

async function save(form, contact) {
  form.querySelector('.error')?.remove();
  const v = (n) => (form.elements[n]?.value ?? '').trim();
  const fields = { kind: v('kind'), summary: v('summary') };
  for (const n of ['contact', 'company', 'deal']) if (v(n)) fields[n] = v(n);
  if (v('date')) fields.date = new Date(v('date')).toISOString();
  try {
    const made = [await api('POST', '/api/records', { type: 'interaction', fields })];
    let follow = '';
    if (v('task')) {
      const t = { title: v('task') };
      if (v('due')) t.due = v('due');
      for (const n of ['contact', 'company', 'deal']) if (v(n)) t[n] = v(n);
      made.push(await api('POST', '/api/records', { type: 'task', fields: t }));
      follow = ` · follow-up “${t.title}”${t.due ? ` due ${sayDate(t.due)}` : ''}`;
    }
    dialog().close();
    const who = contact.input.value.trim();
    // Undo takes back what this save wrote: the interaction and its follow-up
    toast(`Logged ${fields.kind}${who ? ` with ${who}` : ''}${follow}`, { action: 'Undo', ms: 10000, onAction: () =>
      Promise.all(made.map((r) => api('DELETE', `/api/records/${r.id}`))).then(() => window.dispatchEvent(new Event('clientele:refresh')),
        (e) => toast(e.message, { bad: true })) });
    window.dispatchEvent(new Event('clientele:refresh'));
  } catch (e) {
    form.append(el('p', { class: 'error', role: 'alert' }, e.message));
  }
}

export async function openLog(pre = {}) {
  const d = dialog();
  if (d.open) return;
  try {
    d.replaceChildren(await build(pre));
  } catch (e) { toast(e.message, { bad: true }); return; }
  d.showModal();
  d.querySelector('#log-summary').focus();
}
