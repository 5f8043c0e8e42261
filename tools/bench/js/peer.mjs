// One device of W1 for one library, run as its own Node process by w1.mjs:
//   node peer.mjs LIB DIR
// Commands arrive over the IPC channel ({id, cmd, ...}); answers go back the
// same way. Between the two devices, data moves over a loopback TCP socket in
// length-prefixed frames (u32 BE length + bytes), and every byte is counted.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [, , LIB, DIR] = process.argv;
const BATCH = 10000;
const FIELDS = [['name', 16], ['email', 24], ['phone', 12], ['company', 16],
  ['title', 16], ['city', 12], ['notes', 100], ['tags', 16]];

const value = (prefix, r, width, pad) => `${prefix}-${r}-`.padEnd(width, pad);
const id = (r) => `c${r}`;
const now = () => performance.now();

// The edits of the delta phase: [record, field, value] for side 'a' or 'b'.
function* edits(side, n) {
  for (let r = 0; r < n; r++) {
    if (side === 'a' && r % 100 === 0) yield [r, 'notes', value('notesa', r, 100, 'y')];
    if (side === 'b' && r % 100 === 50) yield [r, 'notes', value('notesb', r, 100, 'y')];
    if (side === 'b' && r % 200 === 0) yield [r, 'phone', value('phb', r, 12, 'y')];
  }
}
// What every device must hold after the delta phase.
function* expected(n) {
  for (let r = 0; r < n; r++) {
    if (r % 100 === 0) yield [r, 'notes', value('notesa', r, 100, 'y')];
    if (r % 100 === 50) yield [r, 'notes', value('notesb', r, 100, 'y')];
    if (r % 200 === 0) yield [r, 'phone', value('phb', r, 12, 'y')];
  }
}

// ----- durable files: append bytes and fsync (file and folder) -----
fs.mkdirSync(DIR, { recursive: true });
function fsyncDir(dir) {
  const fd = fs.openSync(dir, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}
function writeDurable(file, bytes, append) {
  const fd = fs.openSync(path.join(DIR, file), append ? 'a' : 'w');
  fs.writeSync(fd, bytes);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  if (!append) fsyncDir(DIR);
}
// Make every file of a folder durable (for leveldb, which writes without fsync).
function fsyncTree(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else {
      let fd;
      try { fd = fs.openSync(p, 'r'); } catch (e) { if (e.code === 'ENOENT') continue; throw e; } // compacted away meanwhile
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    }
  }
  fsyncDir(dir);
}

// ----- frames over a socket -----
class Conn {
  constructor(sock) {
    this.sock = sock; this.bytes = 0; this.chunks = []; this.have = 0; this.waiters = []; this.frames = [];
    sock.on('data', (d) => { this.bytes += d.length; this.chunks.push(d); this.have += d.length; this.pump(); });
    sock.on('error', () => {});
    // A peer that fails closes the socket: whoever waits for a frame gets an error, not a hang.
    sock.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w.rej(new Error('the other device closed the connection')); });
  }
  // Joins the chunks only once a whole frame is there (no quadratic copying).
  pump() {
    for (;;) {
      if (this.have < 4) return;
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const len = this.chunks[0].readUInt32BE(0);
      if (this.have < 4 + len) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const f = all.subarray(4, 4 + len);
      const rest = all.subarray(4 + len);
      this.chunks = rest.length ? [rest] : [];
      this.have = rest.length;
      if (this.waiters.length) this.waiters.shift().res(f); else this.frames.push(f);
    }
  }
  send(bytes) {
    const b = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(b.length);
    this.bytes += 4 + b.length;
    this.sock.write(h);
    this.sock.write(b);
  }
  sendJSON(o) { this.send(JSON.stringify(o)); }
  recv() {
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    if (this.closed) return Promise.reject(new Error('the other device closed the connection'));
    return new Promise((res, rej) => this.waiters.push({ res, rej }));
  }
  async recvJSON() { return JSON.parse((await this.recv()).toString()); }
}

// ================================================================ libraries
// Each: load(n), edit(side, n), get(r, field), serve(conn), sync(conn).

function yjsLib() {
  const Y = require('yjs');
  const doc = new Y.Doc();
  const root = doc.getMap('records');
  const persist = (u) => writeDurable('updates.bin', u, true);
  // One round both ways: vectors, then the missing updates.
  async function exchange(conn, first) {
    if (first) conn.send(Y.encodeStateVector(doc));
    const theirVec = await conn.recv();
    if (!first) conn.send(Y.encodeStateVector(doc));
    conn.send(Y.encodeStateAsUpdate(doc, theirVec));
    const upd = await conn.recv();
    if (upd.length > 2) { Y.applyUpdate(doc, upd); persist(upd); }
    if (first) await conn.recv(); else conn.send('ok'); // the server has applied and persisted
  }
  return {
    load(n) {
      for (let from = 0; from < n; from += BATCH) {
        doc.transact(() => {
          for (let r = from; r < Math.min(n, from + BATCH); r++)
            root.set(id(r), new Y.Map(FIELDS.map(([f, w]) => [f, value(f, r, w, 'x')])));
        });
      }
      writeDurable('updates.bin', Y.encodeStateAsUpdate(doc), false);
    },
    edit(side, n) {
      const sv = Y.encodeStateVector(doc);
      doc.transact(() => { for (const [r, f, v] of edits(side, n)) root.get(id(r)).set(f, v); });
      persist(Y.encodeStateAsUpdate(doc, sv));
    },
    get: (r, f) => root.get(id(r))?.get(f),
    serve: (conn) => exchange(conn, false),
    sync: (conn) => exchange(conn, true),
  };
}

function loroLib() {
  const { LoroDoc, LoroMap, VersionVector } = require('loro-crdt');
  const doc = new LoroDoc();
  const root = doc.getMap('records');
  const persist = (u) => writeDurable('updates.bin', u, true);
  async function exchange(conn, first) {
    if (first) conn.send(doc.oplogVersion().encode());
    const theirVec = VersionVector.decode(new Uint8Array(await conn.recv()));
    if (!first) conn.send(doc.oplogVersion().encode());
    conn.send(doc.export({ mode: 'update', from: theirVec }));
    const upd = new Uint8Array(await conn.recv());
    const st = doc.import(upd);
    if (st.success && st.success.size > 0) persist(upd);
    if (first) await conn.recv(); else conn.send('ok'); // the server has applied and persisted
  }
  return {
    load(n) {
      for (let from = 0; from < n; from += BATCH) {
        for (let r = from; r < Math.min(n, from + BATCH); r++) {
          const m = root.setContainer(id(r), new LoroMap());
          for (const [f, w] of FIELDS) m.set(f, value(f, r, w, 'x'));
        }
        doc.commit();
      }
      writeDurable('snapshot.bin', doc.export({ mode: 'snapshot' }), false);
    },
    edit(side, n) {
      const vv = doc.oplogVersion();
      for (const [r, f, v] of edits(side, n)) root.get(id(r)).set(f, v);
      doc.commit();
      persist(doc.export({ mode: 'update', from: vv }));
    },
    get: (r, f) => root.get(id(r))?.get(f),
    serve: (conn) => exchange(conn, false),
    sync: (conn) => exchange(conn, true),
  };
}

function automergeLib() {
  const A = require('@automerge/automerge');
  let doc = A.init();
  let state = A.initSyncState(); // kept for the one peer, as an app keeps it
  const S = A.ImmutableString; // plain strings (not collaborative text): LWW values like the others
  const persist = () => { const b = A.saveIncremental(doc); if (b.length) writeDurable('changes.bin', b, true); };
  // The Automerge sync protocol: messages both ways until neither side has one.
  async function exchange(conn, first) {
    let changed = false;
    // An empty device asks for the whole document (save/load: much faster than
    // the sync protocol for 8N ops); the sync protocol then only compares heads.
    if (first) {
      const empty = A.getHeads(doc).length === 0;
      conn.send(empty ? 'F' : 'S');
      if (empty) {
        const bytes = new Uint8Array(await conn.recv());
        doc = A.load(bytes);
        writeDurable('changes.bin', bytes, false);
        A.saveIncremental(doc);
      }
    } else if ((await conn.recv()).toString() === 'F') {
      conn.send(A.save(doc));
    }
    for (;;) {
      let msg;
      if (first) {
        [state, msg] = A.generateSyncMessage(doc, state);
        conn.send(msg || new Uint8Array(0));
        const reply = await conn.recv();
        if (reply.length) { [doc, state] = A.receiveSyncMessage(doc, state, new Uint8Array(reply)); changed = true; }
        if (!msg && !reply.length) break;
      } else {
        const m = await conn.recv();
        if (m.length) { [doc, state] = A.receiveSyncMessage(doc, state, new Uint8Array(m)); changed = true; }
        [state, msg] = A.generateSyncMessage(doc, state);
        conn.send(msg || new Uint8Array(0));
        if (!msg && !m.length) break;
      }
    }
    if (changed) persist();
  }
  return {
    load(n) {
      doc = A.change(doc, (d) => { d.records = {}; });
      for (let from = 0; from < n; from += BATCH) {
        doc = A.change(doc, (d) => {
          for (let r = from; r < Math.min(n, from + BATCH); r++) {
            const rec = {};
            for (const [f, w] of FIELDS) rec[f] = new S(value(f, r, w, 'x'));
            d.records[id(r)] = rec;
          }
        });
      }
      writeDurable('changes.bin', A.save(doc), false);
      A.saveIncremental(doc); // later saves append only what is new
    },
    edit(side, n) {
      doc = A.change(doc, (d) => { for (const [r, f, v] of edits(side, n)) d.records[id(r)][f] = new S(v); });
      persist();
    },
    get: (r, f) => { const v = doc.records?.[id(r)]?.[f]; return v == null ? v : v.toString(); },
    serve: (conn) => exchange(conn, false),
    sync: (conn) => exchange(conn, true),
  };
}

function pouchLib() {
  const PouchDB = require('pouchdb-node');
  const dbdir = path.join(DIR, 'db');
  const db = new PouchDB(dbdir);
  let checkpoint = 0; // last seq of the other device we pulled
  let cache = null;
  // Pull what the other side has (CouchDB replication: changes, revs_diff, bulk_get,
  // bulk_docs new_edits:false), 10,000 changes at a time.
  async function pull(conn) {
    let changed = false;
    for (;;) {
      conn.sendJSON({ since: checkpoint });
      const { changes, last_seq: last } = await conn.recvJSON();
      if (!changes.length) break;
      const diff = await db.revsDiff(Object.fromEntries(changes.map((c) => [c.id, c.revs])));
      const want = [];
      for (const [docId, d] of Object.entries(diff)) for (const rev of d.missing) want.push({ id: docId, rev });
      conn.sendJSON({ want });
      const { docs } = await conn.recvJSON();
      if (docs.length) { await db.bulkDocs(docs, { new_edits: false }); changed = true; }
      checkpoint = last;
    }
    conn.sendJSON({ done: true });
    if (changed) { fsyncTree(dbdir); cache = null; }
  }
  async function push(conn) {
    for (;;) {
      const req = await conn.recvJSON();
      if (req.done) return;
      const ch = await db.changes({ since: req.since, style: 'all_docs', limit: BATCH });
      conn.sendJSON({ changes: ch.results.map((c) => ({ id: c.id, revs: c.changes.map((x) => x.rev) })), last_seq: ch.last_seq });
      if (!ch.results.length) continue; // the puller answers with done
      const { want } = await conn.recvJSON();
      const docs = [];
      if (want.length) {
        const got = await db.bulkGet({ docs: want, revs: true });
        for (const r of got.results) for (const d of r.docs) if (d.ok) docs.push(d.ok);
      }
      conn.sendJSON({ docs });
    }
  }
  return {
    async load(n) {
      for (let from = 0; from < n; from += BATCH) {
        const docs = [];
        for (let r = from; r < Math.min(n, from + BATCH); r++) {
          const d = { _id: id(r) };
          for (const [f, w] of FIELDS) d[f] = value(f, r, w, 'x');
          docs.push(d);
        }
        await db.bulkDocs(docs);
      }
      fsyncTree(dbdir); // leveldb does not fsync its writes: make the load durable
    },
    async edit(side, n) {
      const byId = new Map();
      for (const [r, f, v] of edits(side, n)) {
        if (!byId.has(id(r))) byId.set(id(r), await db.get(id(r)));
        byId.get(id(r))[f] = v;
      }
      await db.bulkDocs([...byId.values()]);
      fsyncTree(dbdir);
      cache = null;
    },
    async prepareGet(n) {
      const all = await db.allDocs({ include_docs: true, conflicts: true });
      cache = new Map(all.rows.map((row) => [row.id, row.doc]));
      return n;
    },
    get: (r, f) => cache.get(id(r))?.[f],
    conflicts: () => { let c = 0; for (const d of cache.values()) if (d._conflicts) c++; return c; },
    async serve(conn) { await push(conn); await pull(conn); },
    async sync(conn) { await pull(conn); await push(conn); },
  };
}

const lib = { yjs: yjsLib, loro: loroLib, automerge: automergeLib, pouchdb: pouchLib }[LIB]();

// ================================================================ commands
let server = null;
let lastSession = null; // the client's TLS session, offered again at the next sync
const tlsOptions = () => ({
  key: fs.readFileSync(path.join(DIR, '..', `${path.basename(DIR)}.key`)),
  cert: fs.readFileSync(path.join(DIR, '..', `${path.basename(DIR)}.crt`)),
  ca: [fs.readFileSync(path.join(DIR, '..', `${path.basename(DIR) === 'a' ? 'b' : 'a'}.crt`))],
  minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305', ecdhCurve: 'P-256',
});
const handlers = {
  async load({ n }) { const t = now(); await lib.load(n); return { ms: now() - t }; },
  async edit({ side, n }) { const t = now(); await lib.edit(side, n); return { ms: now() - t }; },
  // TLS 1.2, ECDHE-ECDSA with ChaCha20-Poly1305, both sides present a
  // self-signed P-256 certificate and accept only the other's (as clientele).
  async listen() {
    server = tls.createServer({ ...tlsOptions(), requestCert: true, rejectUnauthorized: true }, (sock) => {
      sock.setNoDelay(true);
      lib.serve(new Conn(sock)).then(() => sock.end(), (e) => { console.error(e); sock.destroy(); });
    });
    await new Promise((res) => server.listen(0, '127.0.0.1', res));
    return { port: server.address().port };
  },
  // The client offers the TLS session of its previous sync (Node's server
  // issues tickets by default), as clientele resumes between paired devices.
  async sync({ port }) {
    const t = now();
    const raw = net.connect(port, '127.0.0.1');
    raw.setNoDelay(true);
    const sock = tls.connect({ ...tlsOptions(), socket: raw, rejectUnauthorized: true, checkServerIdentity: () => undefined,
      session: lastSession ?? undefined });
    sock.on('session', (s) => { lastSession = s; });
    await new Promise((res, rej) => { sock.once('secureConnect', res); sock.once('error', rej); });
    const resumed = sock.isSessionReused();
    const hs = now() - t;
    const conn = new Conn(sock);
    await lib.sync(conn);
    const ms = now() - t;
    const bytes = raw.bytesRead + raw.bytesWritten;
    sock.end();
    return { ms, bytes, handshake_ms: hs, payload_bytes: conn.bytes, resumed };
  },
  // Edited fields hold both sides' edits; a digest of every record's fields.
  async verify({ n }) {
    if (lib.prepareGet) await lib.prepareGet(n);
    let checked = 0, wrong = 0;
    for (const [r, f, v] of expected(n)) { checked++; if (lib.get(r, f) !== v) wrong++; }
    const h = crypto.createHash('sha256');
    for (let r = 0; r < n; r++) for (const [f] of FIELDS) h.update(`${lib.get(r, f)}\n`);
    return { checked, wrong, digest: h.digest('hex'), conflicts: lib.conflicts ? lib.conflicts() : 0 };
  },
};
process.on('message', async (m) => {
  try {
    process.send({ id: m.id, ok: true, ...(await handlers[m.cmd](m)) });
  } catch (e) {
    process.send({ id: m.id, ok: false, error: String(e && e.stack || e) });
  }
});
process.send({ ready: true });
