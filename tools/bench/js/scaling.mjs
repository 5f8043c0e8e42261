// node scaling.mjs DIR DATFILE — the scaling table of W1 (markdown) from
// DIR/<lib>-<N>.json, and a data file for plot.gp: one line per N with the
// times in ms (NaN where a run is missing).
import fs from 'node:fs';
import path from 'node:path';

const [dir, dat] = process.argv.slice(2);
const Ns = [10000, 100000, 1000000];
const libs = ['clientele', 'yjs', 'automerge', 'loro', 'pouchdb'];
const read = (lib, n) => { try { return JSON.parse(fs.readFileSync(path.join(dir, `${lib}-${n}.json`), 'utf8')); } catch { return null; } };
const f = (v, d = 1) => (typeof v === 'number' && !Number.isNaN(v) ? v.toFixed(d) : '—');

console.log('| N | load (ms) | load CPU (ms) | load (field writes/s) | full sync (ms) | full sync CPU, B + A (ms) | W1 delta sync (ms) | W1 delta ops | small delta (100 ops, ms) | no-op sync (ms) | of which after the handshake (ms) | peak private (MB) | disk (MB) | disk / raw LMDB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const n of Ns) {
  const j = read('clientele', n);
  if (!j) continue;
  console.log(`| ${n.toLocaleString('en')} | ${f(j.load.ms)} | ${f(j.load.cpu_ms, 0)} | ${f(j.load.ops_per_s, 0)} | ${f(j.full_sync.ms)} | ${f(j.full_sync.cpu_ms_b, 0)} + ${f(j.full_sync.cpu_ms_serve_a, 0)} | ${f(j.delta_sync.ms)} | ${j.delta_sync.ops_sent + j.delta_sync.ops_received} | ${f(j.small_delta_sync?.ms)} | ${f(j.noop_sync.ms)} | ${f(j.noop_sync.after_handshake_ms, 2)} | ${f(j.peak_private_mb)} | ${f(j.disk_bytes / 1e6)} | ${f(j.disk_ratio, 2)}× |`);
}
console.log('\n| N | phase | ' + libs.join(' | ') + ' |');
console.log('|---|---|' + libs.map(() => '---').join('|') + '|');
for (const n of Ns)
  for (const [label, get] of [['load (ms)', (j) => j.load.ms], ['full sync (ms)', (j) => j.full_sync.ms],
    ['delta sync (ms)', (j) => j.delta_sync.ms], ['no-op sync (ms)', (j) => j.noop_sync.ms], ['peak private (MB)', (j) => j.peak_private_mb]])
    console.log(`| ${n.toLocaleString('en')} | ${label} | ` + libs.map((l) => { const j = read(l, n); if (!j) return '—'; let v; try { v = get(j); } catch { v = undefined; } return v === undefined && j.error ? 'failed' : f(v); }).join(' | ') + ' |');

const cols = [];
for (const l of libs) for (const [k, get] of [['load', (j) => j.load.ms], ['full', (j) => j.full_sync.ms], ['delta', (j) => j.delta_sync.ms], ['noop', (j) => j.noop_sync.ms]]) cols.push([`${l}_${k}`, l, get]);
cols.push(['clientele_small', 'clientele', (j) => j.small_delta_sync?.ms ?? NaN]);
const lines = ['# N ' + cols.map((c) => c[0]).join(' ')];
for (const n of Ns) lines.push(`${n} ` + cols.map(([, l, get]) => { const j = read(l, n); let v; try { v = j ? get(j) : NaN; } catch { v = NaN; } return typeof v === 'number' && !Number.isNaN(v) ? v.toFixed(3) : 'NaN'; }).join(' '));
fs.writeFileSync(dat, lines.join('\n') + '\n');
