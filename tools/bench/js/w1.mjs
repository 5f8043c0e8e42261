// W1 (issue 8) with one JavaScript library, two devices in two Node processes:
//   node w1.mjs --lib yjs|automerge|loro|pouchdb --records N [--json FILE]
// Prints the figures and writes the same JSON shape as clientele-bench.
// Phases as clientele-bench: load on A (durable: state written and fsync'ed),
// full sync A → empty B over a loopback socket, concurrent edits then one sync
// session both ways (convergence and both edits checked), no-op syncs (median
// of 3). Private memory: peak RssAnon of each process, sampled every 5 ms.
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const LIB = args.lib, N = Number(args.records || 100000);
const here = path.dirname(new URL(import.meta.url).pathname);
const work = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), `w1-${LIB}-`));

// A self-signed EC P-256 certificate per device (as clientele's identities).
for (const name of ['a', 'b'])
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '3650', '-subj', `/CN=${name}`, '-keyout', path.join(work, `${name}.key`), '-out', path.join(work, `${name}.crt`)],
  { stdio: 'ignore' });

function du(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : fs.statSync(p).blocks * 512;
  }
  return total;
}

function rssAnonKb(pid) {
  try {
    const m = /RssAnon:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

function start(name) {
  const child = fork(path.join(here, 'peer.mjs'), [LIB, path.join(work, name)],
    { execArgv: ['--max-old-space-size=16384'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const dev = { child, peak: 0, pending: new Map(), seq: 0 };
  dev.timer = setInterval(() => { dev.peak = Math.max(dev.peak, rssAnonKb(child.pid)); }, 5);
  dev.ready = new Promise((res) => child.on('message', (m) => {
    if (m.ready) return res();
    const p = dev.pending.get(m.id);
    dev.pending.delete(m.id);
    if (m.ok) p.res(m); else p.rej(new Error(`${name}: ${m.error}`));
  }));
  child.on('exit', (code) => {
    for (const p of dev.pending.values()) p.rej(new Error(`${name} exited with ${code}`));
  });
  dev.call = (cmd, extra = {}) => new Promise((res, rej) => {
    const id = ++dev.seq;
    dev.pending.set(id, { res, rej });
    child.send({ id, cmd, n: N, ...extra });
  });
  return dev;
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const fmt = (x) => x.toFixed(1);

const A = start('a'), B = start('b');
let exitCode = 0;
const partial = { records: N, lib: LIB }; // what was measured before a failure
try {
  await Promise.all([A.ready, B.ready]);
  const load = await A.call('load');
  const disk = du(path.join(work, 'a'));
  const rate = N * 8 / (load.ms / 1000);
  Object.assign(partial, { load: { ms: load.ms, ops_per_s: N * 8 / (load.ms / 1000) }, disk_bytes: disk });
  console.log(`${LIB}: load ${fmt(load.ms)} ms, ${rate.toFixed(0)} field writes/s, disk ${(disk / 1e6).toFixed(1)} MB`);
  const { port } = await A.call('listen');
  const full = await B.call('sync', { port });
  partial.full_sync = { ms: full.ms, bytes: full.bytes };
  console.log(`${LIB}: full sync ${fmt(full.ms)} ms, ${(full.bytes / 1e6).toFixed(1)} MB on the wire`);
  await A.call('edit', { side: 'a' });
  await B.call('edit', { side: 'b' });
  const delta = await B.call('sync', { port });
  const va = await A.call('verify'), vb = await B.call('verify');
  const converged = va.digest === vb.digest && va.wrong === 0 && vb.wrong === 0;
  console.log(`${LIB}: delta sync ${fmt(delta.ms)} ms, ${(delta.bytes / 1e3).toFixed(1)} KB; digests ${va.digest === vb.digest ? 'equal' : 'DIFFER'}, ` +
    `edited fields wrong: A ${va.wrong}/${va.checked}, B ${vb.wrong}/${vb.checked}` + (va.conflicts ? `, ${va.conflicts} documents in conflict` : ''));
  const noops = [], hss = [];
  let resumed = 0;
  for (let i = 0; i < 3; i++) {
    const r = await B.call('sync', { port });
    noops.push(r.ms); hss.push(r.handshake_ms); resumed += r.resumed ? 1 : 0;
  }
  console.log(`${LIB}: no-op sync ${fmt(median(noops))} ms (TLS handshake ${fmt(median(hss))} ms, resumed in ${resumed} of 3)`);
  const peak = Math.max(A.peak, B.peak) / 1024;
  console.log(`${LIB}: peak private memory A ${fmt(A.peak / 1024)} MB, B ${fmt(B.peak / 1024)} MB`);
  const out = {
    records: N, lib: LIB,
    load: { ms: load.ms, ops_per_s: rate },
    full_sync: { ms: full.ms, bytes: full.bytes },
    delta_sync: { ms: delta.ms, bytes: delta.bytes, converged, digests_equal: va.digest === vb.digest,
      edited_fields_checked: va.checked, edited_fields_wrong: Math.max(va.wrong, vb.wrong), documents_in_conflict: va.conflicts },
    noop_sync: { ms: median(noops), handshake_ms: median(hss), after_handshake_ms: median(noops) - median(hss), resumed: resumed === 3 },
    peak_private_mb: peak, peak_private_mb_by_process: { a: A.peak / 1024, b: B.peak / 1024 },
    disk_bytes: disk,
  };
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(out) + '\n');
} catch (e) {
  console.error(`${LIB}: ${e.stack || e}`);
  const peak = Math.max(A.peak, B.peak) / 1024;
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ ...partial, peak_private_mb: peak, error: String(e.message || e).split('\n')[0] }) + '\n');
  exitCode = 1;
} finally {
  for (const d of [A, B]) { clearInterval(d.timer); d.child.kill('SIGKILL'); }
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
