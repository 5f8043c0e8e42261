// The global "log an interaction" dialog (key L): kind, who, when, what was
// said, and an optional follow-up task. Enter saves; a failed save keeps it all.
import { api, listAll } from './api.js';
import { el, KINDS, label, toast } from './ui.js';

const dialog = () => document.getElementById('log-dialog');

function nowLocal() {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function select(name, items, selected) {
  return el('select', { name, id: `log-${name}` }, el('option', { value: '' }, '—'),
    items.map((r) => el('option', { value: r.id, selected: r.id === selected }, label(r))));
}

async function build(pre) {
  const byName = (a, b) => label(a).localeCompare(label(b));
  const [contacts, companies, deals] = (await Promise.all([listAll('contact'), listAll('company'), listAll('deal')])).map((l) => l.sort(byName));
  const summary = el('textarea', { name: 'summary', id: 'log-summary', rows: 3, required: true, placeholder: 'What was said, what was promised…' });
  const form = el('form', { method: 'dialog' },
    el('h1', { id: 'log-title' }, 'Log an interaction'),
    el('label', { for: 'log-kind' }, 'Kind', el('select', { name: 'kind', id: 'log-kind' }, KINDS.map((k) => el('option', { value: k, selected: k === (pre.kind || 'call') }, k)))),
    el('label', { for: 'log-contact' }, 'Who', select('contact', contacts, pre.contact)),
    el('label', { for: 'log-company' }, 'Company', select('company', companies, pre.company)),
    deals.length ? el('label', { for: 'log-deal' }, 'Deal', select('deal', deals, pre.deal)) : null,
    el('label', { for: 'log-date' }, 'When', el('input', { type: 'datetime-local', name: 'date', id: 'log-date', value: nowLocal() })),
    el('label', { for: 'log-summary' }, 'Summary (Enter saves, Shift+Enter for a new line)', summary),
    el('label', { for: 'log-task' }, 'Follow-up task (optional)', el('input', { name: 'task', id: 'log-task', placeholder: 'Send the proposal' })),
    el('label', { for: 'log-due' }, 'Follow-up due', el('input', { type: 'date', name: 'due', id: 'log-due' })),
    el('div', { class: 'row' }, el('span', { class: 'spacer' }),
      el('button', { type: 'button', onclick: () => dialog().close() }, 'Cancel'),
      el('button', { type: 'submit', class: 'primary' }, 'Save')));
  // Picking a contact fills in the company they work at.
  form.elements.contact.addEventListener('change', () => {
    const c = contacts.find((x) => x.id === form.elements.contact.value);
    if (c?.fields.company && !form.elements.company.value) form.elements.company.value = c.fields.company;
  });
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
