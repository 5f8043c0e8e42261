// The one way to pick a referenced record (a contact's company, a task's deal…):
// a typeahead that asks the server for a few matches, never for a whole type,
// so it stays fast in a book of any size.
//
// Type part of a name (case and accents do not matter: the server folds them);
// after a short pause it asks GET /api/records?type=T&q=TEXT&limit=8 and lists
// the matches, the first one highlighted. ↑/↓ move, Enter picks, Esc closes the
// list, × (or emptying the text) clears. The picked id lives in a hidden input
// named like the field, so a form submits it exactly as a <select> did ("" when
// cleared). Text that was typed but not picked makes the field invalid (the
// form will not submit it silently) until a match is picked or the text cleared.
import { get, record } from './api.js';
import { el, label } from './ui.js';

const LIMIT = 8;
const DELAY = 150; // ms of quiet typing before asking the server
const PLURAL = { company: 'companies', contact: 'contacts', deal: 'deals', task: 'tasks', interaction: 'interactions' };

// Case and accents folded, for ranking the few matches shown (the server filters).
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

// A line of context under a match's name: a contact's company, a deal's stage…
async function hintOf(r) {
  const f = r.fields;
  const company = async () => { const c = f.company && await record(f.company); return c ? label(c) : ''; };
  if (r.type === 'company') return [f.industry].filter(Boolean).join(' · ');
  if (r.type === 'contact') return [f.title, await company() || f.email].filter(Boolean).join(' · ');
  if (r.type === 'deal') return [await company(), f.stage].filter(Boolean).join(' · ');
  return '';
}

// picker({ type, name, id, value, placeholder, onPick }) → { el, input, value, set(id), unpicked(), ready }
//   type: the record type searched; name: the form field (hidden input) that holds the id;
//   id: the text input's id (for a <label for>); value: the id referenced now ("" for none);
//   onPick(record): called after the user picks a record.
// `ready` settles once the current reference's name is shown.
export function picker({ type, name, id, value = '', placeholder = `Type to find a ${type}…`, onPick } = {}) {
  const listId = `${id}-list`;
  const input = el('input', {
    id, type: 'text', class: 'picker-input', role: 'combobox', autocomplete: 'off', spellcheck: 'false',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, maxlength: 200, placeholder,
  });
  const hidden = el('input', { type: 'hidden', name, value });
  const list = el('ul', { id: listId, class: 'picker-list', role: 'listbox', 'aria-label': `Matching ${PLURAL[type] ?? type}`, hidden: true });
  const status = el('div', { class: 'sr', role: 'status', 'aria-live': 'polite' });
  const clear = el('button', { type: 'button', class: 'picker-clear', 'aria-label': `Clear ${name.replace('_', ' ')}`, title: 'Clear', hidden: true }, '×');
  const root = el('div', { class: 'picker' }, input, clear, list, status, hidden);

  let picked = { id: '', name: '' };  // the last record picked (or shown when editing)
  let items = [];                     // the matches listed
  let active = -1;                    // index of the highlighted match
  let seq = 0;                        // the newest query: older answers are dropped
  let timer = 0;
  let pending = false;                // a query is waiting for the pause or the answer
  let initial = { id: value, name: '' };

  const text = () => input.value.trim();
  const isOpen = () => !list.hidden;
  // typed but not picked: the form must not drop it silently
  const unpicked = () => text() !== '' && !hidden.value;
  function sync() {
    clear.hidden = input.value === '' && !hidden.value;
    input.setCustomValidity(unpicked() ? `Pick a ${type} from the list, or clear the field.` : '');
  }
  function highlight(i) {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) {
      input.setAttribute('aria-activedescendant', `${id}-opt-${i}`);
      list.children[i]?.scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  }
  function close() {
    list.hidden = true;
    list.removeAttribute('aria-busy');
    input.setAttribute('aria-expanded', 'false');
    highlight(-1);
  }
  function say(msg, visible = false) {
    status.textContent = msg;
    status.className = visible ? 'picker-msg' : 'sr';
  }
  function cancelQuery() { clearTimeout(timer); timer = 0; pending = false; seq++; }

  function choose(r) {
    cancelQuery();
    picked = { id: r.id, name: label(r) };
    hidden.value = r.id;
    input.value = picked.name;
    close();
    say('');
    sync();
    onPick?.(r);
  }

  // Show the record `rid` (or nothing) as the current reference.
  function set(rid) {
    cancelQuery();
    close();
    say('');
    hidden.value = rid || '';
    picked = { id: hidden.value, name: '' };
    input.value = '';
    sync();
    if (!rid) return Promise.resolve();
    return record(rid).then((r) => {
      if (hidden.value !== rid || input.value !== '') return; // the user moved on
      picked.name = r ? label(r) : '(deleted record)';
      input.value = picked.name;
      sync();
    });
  }

  async function search() {
    cancelQuery();
    const q = text();
    const my = seq;
    if (!q) { close(); say(''); return; }
    pending = true;
    let page, hints;
    try {
      page = await get(`/api/records?${new URLSearchParams({ type, q, limit: String(LIMIT) })}`);
      if (my !== seq) return;
      hints = await Promise.all(page.items.map(hintOf));
    } catch (e) {
      if (my === seq) { pending = false; close(); say(e.message, true); }
      return;
    }
    if (my !== seq) return; // a newer query was asked meanwhile: its answer wins
    pending = false;
    const fq = fold(q);
    items = page.items.map((r, i) => ({ r, hint: hints[i], name: label(r) }))
      .sort((a, b) => (fold(b.name).startsWith(fq) - fold(a.name).startsWith(fq)) || a.name.localeCompare(b.name));
    list.removeAttribute('aria-busy');
    list.replaceChildren(...items.map((it, i) => el('li', { id: `${id}-opt-${i}`, role: 'option', 'aria-selected': 'false', dataset: { id: it.r.id } },
      el('span', { class: 'picker-name' }, it.name), it.hint ? el('span', { class: 'picker-hint' }, it.hint) : null)));
    if (!items.length) {
      close();
      say(`No ${type} matches “${q}”.`, true);
      return;
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(0);
    say(`${items.length} ${items.length === 1 ? 'match' : 'matches'}${page.next ? ' (type more to narrow)' : ''}; up and down arrows to move, Enter to pick.`);
  }

  input.addEventListener('input', () => {
    // the text of the picked record again: it is picked again; anything else is a search
    hidden.value = input.value === picked.name && picked.name ? picked.id : '';
    sync();
    cancelQuery();
    if (!text() || hidden.value) { close(); say(''); return; }
    if (isOpen()) list.setAttribute('aria-busy', 'true'); // these matches are for older text
    pending = true;
    timer = setTimeout(search, DELAY);
  });

  // Keys the picker uses are marked handled (preventDefault), so that the
  // record editor, a form or a dialog around it leave them alone.
  input.addEventListener('keydown', (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.isComposing) return;
    const fresh = isOpen() && !list.hasAttribute('aria-busy');
    const now = () => { if (timer || !pending) search(); }; // ask now, unless already asked
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (fresh) highlight((active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
      else if (text()) now();
      else return;
      ev.preventDefault();
    } else if (ev.key === 'Enter') {
      if (fresh && active >= 0) choose(items[active].r);
      else if (unpicked()) now(); // an answer for exactly this text first
      else return;
      ev.preventDefault();
    } else if (ev.key === 'Escape') {
      if (!isOpen() && !pending && !status.textContent) return;
      cancelQuery();
      close();
      say('');
      ev.preventDefault();
    }
  });

  // Mouse: keep the focus in the text while clicking a match.
  list.addEventListener('mousedown', (ev) => ev.preventDefault());
  list.addEventListener('click', (ev) => {
    const li = ev.target.closest('[role=option]');
    const i = li ? [...list.children].indexOf(li) : -1;
    if (i >= 0) choose(items[i].r);
  });
  clear.addEventListener('click', () => { set(''); input.focus(); });
  root.addEventListener('focusout', (ev) => {
    if (!root.contains(ev.relatedTarget)) { cancelQuery(); close(); say(''); }
  });
  // A form reset returns to the reference the form opened with.
  let resetHooked = false;
  root.addEventListener('focusin', () => {
    if (resetHooked || !input.form) return;
    resetHooked = true;
    input.form.addEventListener('reset', () => setTimeout(() => {
      set(initial.id);
      if (initial.name) input.value = picked.name = initial.name;
      sync();
    }, 0));
  });

  const ready = set(value).then(() => {
    initial = { ...picked };
    input.defaultValue = input.value; // an untouched picker is no "unsaved text"
  });
  return {
    el: root, input, ready, set, unpicked,
    get value() { return hidden.value; },
  };
}

// A picker with its visible label, for forms and the log dialog.
export function pickerField(text, opts) {
  const p = picker(opts);
  p.field = el('div', { class: 'field' }, el('label', { for: opts.id }, text), p.el);
  return p;
}
