// node table.mjs DIR N — one table of W1 results (DIR/clientele-N.json and
// DIR/<lib>-N.json), each figure with its ratio to clientele (lib / clientele:
// above 1 means clientele is faster, smaller or lighter).
import fs from 'node:fs';
import path from 'node:path';

const [dir, n] = process.argv.slice(2);
const read = (name) => { try { return JSON.parse(fs.readFileSync(path.join(dir, `${name}-${n}.json`), 'utf8')); } catch { return null; } };
const base = read('clientele');
const libs = ['clientele', 'yjs', 'automerge', 'loro', 'pouchdb'];
const rows = [
  ['load (ms)', (j) => j.load?.ms],
  ['load (field writes/s)', (j) => j.load?.ops_per_s, true],
  ['full sync (ms)', (j) => j.full_sync?.ms],
  ['full sync (MB on the wire)', (j) => j.full_sync?.bytes / 1e6],
  ['delta sync (ms)', (j) => j.delta_sync?.ms],
  ['delta sync (KB on the wire)', (j) => j.delta_sync?.bytes / 1e3],
  ['both edits kept, converged', (j) => j.delta_sync ? (j.delta_sync.converged ? 'yes' : 'NO') : undefined],
  ['  edited fields wrong (of N/40)', (j) => j.delta_sync ? (j.delta_sync.edited_fields_wrong ?? 0) : undefined],
  ['no-op sync (ms)', (j) => j.noop_sync?.ms],
  ['  of which TLS handshake (ms)', (j) => j.noop_sync?.handshake_ms],
  ['  TLS session resumed', (j) => j.noop_sync ? (j.noop_sync.resumed ? 'yes' : 'no') : undefined],
  ['peak private memory (MB)', (j) => j.peak_private_mb],
  ['disk after load (MB)', (j) => j.disk_bytes / 1e6],
];
const fmt = (v) => v === undefined || Number.isNaN(v) ? '—' : typeof v === 'string' ? v : Number.isInteger(v) ? String(v)
  : v >= 100000 ? v.toFixed(0) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const cell = (j, get, higherBetter) => {
  if (!j) return 'not run';
  const v = get(j), b = base && !base.error ? get(base) : undefined;
  if (j.error && (v === undefined || Number.isNaN(v))) return 'failed';
  if (typeof v !== 'number' || j === base || typeof b !== 'number' || !b) return fmt(v);
  const ratio = higherBetter ? b / v : v / b;
  return `${fmt(v)} (${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×)`;
};
const head = ['W1, N = ' + Number(n).toLocaleString('en'), ...libs];
const table = [head, ...rows.map(([label, get, hb]) => [label, ...libs.map((l) => cell(read(l), get, hb))])];
const widths = head.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
console.log(line(table[0]));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of table.slice(1)) console.log(line(r));
console.log('\n(×: the library\'s figure divided by clientele\'s — for field writes/s clientele\'s divided by the library\'s — so above 1 means clientele is better.)');
for (const l of libs) { const j = read(l); if (j?.error) console.log(`${l} failed: ${j.error.split('\n')[0]}`); }
