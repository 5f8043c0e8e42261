// node targets.mjs DIR — issue 8's targets against the results in DIR
// (clientele-<N>.json and <lib>-<N>.json), as a markdown table.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const read = (lib, n) => { try { return JSON.parse(fs.readFileSync(path.join(dir, `${lib}-${n}.json`), 'utf8')); } catch { return null; } };
const c10 = read('clientele', 10000), c100 = read('clientele', 100000), c1m = read('clientele', 1000000);
const f = (v, d = 0) => (typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');
const verdict = (ok, miss) => (ok ? '**met**' : `**missed** ${miss}`);
const rows = [];
const pct = (have, want) => `${Math.abs(have / want * 100 - 100).toFixed(0)} %`;
if (c100) {
  const r = c100.load.ops_per_s;
  rows.push(['load ≥ 1,000,000 field writes/s, durable', `${f(r)} /s at 100k (${f(c10?.load.ops_per_s)} at 10k, ${f(c1m?.load.ops_per_s)} at 1M)`, verdict(r >= 1e6, `by ${pct(r, 1e6)} at 100k`)]);
  const fs_ = c100.full_sync.ms;
  rows.push(['full sync, N = 100k, ≤ 1.5 s', `${f(fs_)} ms`, verdict(fs_ <= 1500, `by ${pct(fs_, 1500)}`)]);
  const d = c100.delta_sync.ms;
  rows.push(['delta sync ≤ 100 ms and flat in N', `W1's delta (N/40 field writes: 250 / 2,500 / 25,000 ops): ${f(c10?.delta_sync.ms)} / ${f(d)} / ${f(c1m?.delta_sync.ms)} ms; fixed 100-op delta: ${f(c10?.small_delta_sync?.ms)} / ${f(c100.small_delta_sync?.ms)} / ${f(c1m?.small_delta_sync?.ms)} ms at 10k / 100k / 1M`,
    verdict(d <= 100 && (c1m?.small_delta_sync?.ms ?? 1e9) <= 100, d <= 100 ? 'at 1M' : `by ${pct(d, 100)} at 100k`)]);
  const a = c100.noop_sync.after_handshake_ms;
  rows.push(['no-op sync ≤ 20 ms after the handshake', `${f(a, 2)} ms of protocol after a ${f(c100.noop_sync.handshake_ms, 1)} ms handshake; ${f(c100.noop_sync.ms, 1)} ms in all (\`cl_sync_once\`), ${f(c1m?.noop_sync.ms, 1)} ms at 1M`, verdict(a <= 20, '')]);
}
if (c1m) rows.push(['peak private memory ≤ 64 MB at N = 1M', `${f(c1m.peak_private_mb, 1)} MB (loader ${f(c1m.peak_private_mb_by_process.load, 1)}, serve A ${f(c1m.peak_private_mb_by_process.serve_a, 1)}, sync B ${f(c1m.peak_private_mb_by_process.sync_b, 1)})`, verdict(c1m.peak_private_mb <= 64, `: ${(c1m.peak_private_mb / 64).toFixed(1)}× the bound`)]);
if (c100) rows.push(['disk ≤ 3× raw LMDB', `${f(c100.disk_ratio, 2)}× (${f(c100.disk_bytes / 1e6, 1)} MB against ${f(c100.raw_lmdb.disk_bytes / 1e6, 1)} MB at 100k)`, verdict(c100.disk_ratio <= 3, `by ${pct(c100.disk_ratio, 3)}`)]);
for (const n of [100000, 10000]) {
  const c = read('clientele', n);
  if (!c) continue;
  const losses = [];
  for (const lib of ['yjs', 'automerge', 'loro', 'pouchdb']) {
    const j = read(lib, n);
    if (!j) continue;
    for (const [name, get] of [['load', (x) => x.load?.ms], ['full sync', (x) => x.full_sync?.ms], ['delta sync', (x) => x.delta_sync?.ms], ['no-op sync', (x) => x.noop_sync?.ms]]) {
      const v = get(j);
      if (typeof v === 'number' && v < get(c)) losses.push(`${name} vs ${lib} (${f(v, 1)} < ${f(get(c), 1)} ms)`);
    }
  }
  rows.push([`faster than each library in every phase (N = ${n.toLocaleString('en')})`, losses.length ? `slower in: ${losses.join('; ')}` : 'faster in every phase', verdict(!losses.length, `in ${losses.length} of 16`)]);
}
console.log('| target | measured | verdict |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
