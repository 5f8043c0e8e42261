// The global "log an interaction" dialog (key L): kind, who, when, what was
// said, and an optional follow-up task. Enter saves; a failed save keeps it all.
import { api, get } from './api.js';
import { el, KINDS, toast } from './ui.js';
import { pickerField } from './picker.js';

const dialog = () => document.getElementById('log-dialog');

function nowLocal() {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

async function build(pre) {
  // Picking a contact fills in the company they work at.
  const company = pickerField('Company', { type: 'company', name: 'company', id: 'log-company', value: pre.company });
  const contact = pickerField('Who', { type: 'contact', name: 'contact', id: 'log-contact', value: pre.contact,
    onPick: (c) => { if (c.fields.company && !company.value && !company.unpicked()) company.set(c.fields.company); } });
  // a deal field only once there are deals (one record asked, not all)
  const hasDeals = pre.deal || (await get('/api/records?type=deal&limit=1')).items.length > 0;
  const deal = hasDeals ? pickerField('Deal', { type: 'deal', name: 'deal', id: 'log-deal', value: pre.deal }) : null;
  await Promise.all([contact.ready, company.ready, deal?.ready]);
  const summary = el('textarea', { name: 'summary', id: 'log-summary', rows: 3, required: true, placeholder: 'What was said, what was promised…' });
  const form = el('form', { method: 'dialog' },
    el('h1', { id: 'log-title' }, 'Log an interaction'),
    el('label', { for: 'log-kind' }, 'Kind', el('select', { name: 'kind', id: 'log-kind' }, KINDS.map((k) => el('option', { value: k, selected: k === (pre.kind || 'call') }, k)))),
    contact.field, company.field, deal?.field,
    el('label', { for: 'log-date' }, 'When', el('input', { type: 'datetime-local', name: 'date', id: 'log-date', value: nowLocal() })),
    el('label', { for: 'log-summary' }, 'Summary (Enter saves, Shift+Enter for a new line)', summary),
    el('label', { for: 'log-task' }, 'Follow-up task (optional)', el('input', { name: 'task', id: 'log-task', placeholder: 'Send the proposal' })),
    el('label', { for: 'log-due' }, 'Follow-up due', el('input', { type: 'date', name: 'due', id: 'log-due' })),
    el('div', { class: 'row' }, el('span', { class: 'spacer' }),
      el('button', { type: 'button', onclick: () => dialog().close() }, 'Cancel'),
      el('button', { type: 'submit', class: 'primary' }, 'Save')));
  summary.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(form); });
  return form;
}

async function save(form) {
  form.querySelector('.error')?.remove();
  const v = (n) => (form.elements[n]?.value ?? '').trim();
  const fields = { kind: v('kind'), summary: v('summary') };
  for (const n of ['contact', 'company', 'deal']) if (v(n)) fields[n] = v(n);
  if (v('date')) fields.date = new Date(v('date')).toISOString();
  try {
    await api('POST', '/api/records', { type: 'interaction', fields });
    if (v('task')) {
      const t = { title: v('task') };
      if (v('due')) t.due = v('due');
      for (const n of ['contact', 'company', 'deal']) if (v(n)) t[n] = v(n);
      await api('POST', '/api/records', { type: 'task', fields: t });
    }
    dialog().close();
    toast(`Logged ${fields.kind}: ${fields.summary.slice(0, 40)}`);
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
