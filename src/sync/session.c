/* One sync session, both directions (docs/protocol.md):
 *   client → HELLO            server checks pairing (or an INVITE first)
 *   server → HELLO VV         its version vector, as a difference when it can
 *   client → VV
 *   client → [INTRODUCE] OPS… DONE    ops the server lacks, per origin in seq order
 *   server → [INTRODUCE] OPS… DONE    ops the client lacks
 * (INTRODUCE, the sender's paired devices, only to a side whose hello asked.)
 * Received frames are applied in batches of whole frames, each batch in one
 * transaction that also advances the version vector, so an interrupted
 * session loses nothing and the next resumes after the last batch.
 * A session talks through a sync_link (internal.h): a TLS connection for
 * every real sync, memory for the simulator (tools/sim). */
#include "sync/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct session {
    cl_store *s;
    const cl_identity *me;
    sync_link *l;          /* the transport: TLS, or memory (tools/sim) */
    cl_hello mine, theirs;
    unsigned char mine_hash[CL_SHA256_LEN];
    sync_vv theirs_kept;   /* the peer's vector as it last sent it (the base of its difference) */
    sync_vv mine_sent;     /* ours as we last sent it (the base of ours, if the peer holds it) */
    uint64_t sent, received;
    cl_buf buf;
    bool *forked;          /* per entry of mine.vv: its two histories met, send none of it */
    bool introduced;       /* the INTRODUCE we asked for has come */
    uint64_t forks;
    char notice[300];
} session;

/* ----- the transport (internal.h: sync_link) ----- */

static int link_send(sync_link *l, uint8_t type, const void *payload, size_t len)
{
    return l->send(l->ctx, type, payload, len);
}

static int link_recv(sync_link *l, uint8_t *type, const unsigned char **payload, size_t *len)
{
    return l->recv(l->ctx, type, payload, len);
}

static int conn_send(void *ctx, uint8_t type, const void *payload, size_t len)
{
    return cl_conn_send(ctx, type, payload, len);
}

static int conn_recv(void *ctx, uint8_t *type, const unsigned char **payload, size_t *len)
{
    return cl_conn_recv(ctx, type, payload, len);
}

void sync_link_conn(sync_link *l, cl_conn *c)
{
    memset(l, 0, sizeof *l);
    l->send = conn_send;
    l->recv = conn_recv;
    l->ctx = c;
    l->peer = *cl_conn_peer(c);
    snprintf(l->peer_ip, sizeof l->peer_ip, "%s", cl_conn_peer_ip(c));
}

/* Both vectors are kept sorted by writer (sort_vv), so that finding a
 * writer in either is a binary search: a session's per-writer work is
 * n log n, not n² (docs/scaling.md). */
static int vv_cmp(const void *a, const void *b)
{
    return memcmp(((const cl_vv_entry *)a)->origin.b, ((const cl_vv_entry *)b)->origin.b, CL_DEVICE_ID_LEN);
}

static void sort_vv(cl_hello *h)
{
    if (h->nvv > 1)
        qsort(h->vv, h->nvv, sizeof *h->vv, vv_cmp);
}

static const cl_vv_entry *vv_find(const cl_hello *h, const cl_device_id *o)
{
    cl_vv_entry key;
    key.origin = *o;
    return h->nvv ? bsearch(&key, h->vv, h->nvv, sizeof *h->vv, vv_cmp) : NULL;
}

/* Sign what this device wrote since its last sync, then say what we hold:
 * each writer's last checkpoint. */
static int build_hello(session *ss)
{
    cl_signer sg;
    cl_identity_signer(ss->me, &sg);
    int rc = cl_store_seal(ss->s, &sg);
    cl_txn *t;
    if (rc || (rc = cl_store_read(ss->s, &t)))
        return rc;
    cl_hello *h = &ss->mine;
    h->version = CL_PROTOCOL_VERSION;
    if (cl_txn_setting_text(t, CL_SETTING_NAME, h->name, sizeof h->name))
        h->name[0] = 0;
    if (cl_txn_setting_port(t, &h->listen_port))
        h->listen_port = 0;
    if (sync_wants_introductions(ss->s, &ss->l->peer))
        h->flags |= CL_HELLO_INTRODUCE;
    rc = cl_txn_tips(t, cl_hello_vv_add, h);
    if (!rc)
        rc = sync_vv_load(t, &ss->l->peer, SYNC_VV_RECEIVED, &ss->theirs_kept);
    if (!rc)
        rc = sync_vv_load(t, &ss->l->peer, SYNC_VV_SENT, &ss->mine_sent);
    cl_txn_end(t);
    sort_vv(h);
    if (!rc)
        rc = cl_vv_hash(h->vv, h->nvv, ss->mine_hash);
    if (ss->theirs_kept.known)
        memcpy(h->held, ss->theirs_kept.hash, CL_SHA256_LEN);
    if (!rc && !(ss->forked = calloc(h->nvv ? h->nvv : 1, sizeof *ss->forked)))
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    return rc;
}

static int send_hello(session *ss)
{
    cl_buf_reset(&ss->buf);
    int rc = cl_wire_hello_encode(&ss->buf, &ss->mine);
    return rc ? rc : link_send(ss->l, CL_MSG_HELLO, ss->buf.data, ss->buf.len);
}

static int send_error(sync_link *l, const char *msg)
{
    return link_send(l, CL_MSG_ERROR, msg, strlen(msg));
}

static uint64_t their_seq(const cl_hello *h, const cl_device_id *o)
{
    const cl_vv_entry *e = vv_find(h, o);
    return e ? e->seq : 0;
}

/* ----- two histories of one writer (docs/merge.md "Authors and forks") ----- */

struct fork_args {
    const cl_device_id *writer;
    uint64_t seq;
    char *notice;
    size_t cap;
};

static int fork_fn(cl_txn *t, void *arg)
{
    struct fork_args *a = arg;
    cl_device_id dev, cur;
    char who[CL_DEVICE_ID_TEXT];
    cl_txn_writer_device(t, a->writer, &dev);
    cl_device_id_format(&dev, who);
    int rc = cl_txn_current_writer(t, &cur);
    if (rc)
        return rc;
    if (!memcmp(dev.b, cl_store_self(cl_txn_store(t))->b, CL_DEVICE_ID_LEN)) {
        snprintf(a->notice, a->cap, "another copy of this folder has been writing as this device (a restored "
                 "backup or a cloned folder): this copy goes on as a new writer; nothing is lost");
        /* stop reusing the numbers the other copy uses */
        return memcmp(cur.b, a->writer->b, CL_DEVICE_ID_LEN) ? CL_OK : cl_txn_new_writer(t, a->notice);
    }
    snprintf(a->notice, a->cap, "device %s has two histories after its op %llu (its folder was copied and both "
             "copies wrote): the two are not exchanged with each other yet", who, (unsigned long long)a->seq);
    return cl_txn_set_notice(t, a->notice);
}

static void note_fork(session *ss, const cl_device_id *writer, uint64_t seq)
{
    struct fork_args a = {writer, seq, ss->notice, sizeof ss->notice};
    ss->forks++;
    if (cl_store_update(ss->s, fork_fn, &a))
        cl_log(CL_LOG_WARN, "cannot record a fork: %s", cl_errmsg());
    cl_log(CL_LOG_WARN, "%s", ss->notice);
}

/* Compare the peer's tips with what this folder holds. Where the peer is
 * behind on a writer, the chain must agree at the peer's tip, or the two
 * hold different histories of it: then neither is sent. Where the peer holds
 * more of this folder's current writer, another copy of this folder wrote
 * as this device. One read transaction for every writer; a tip equal to
 * ours is checked against our hello without reading the store (a sync with
 * nothing to send reads nothing per writer). */
static int compare_tips(session *ss)
{
    cl_txn *t = NULL;
    cl_device_id cur;
    size_t *odd = calloc(ss->theirs.nvv ? ss->theirs.nvv : 1, sizeof *odd), nodd = 0;
    if (!odd)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = cl_store_read(ss->s, &t);
    if (!rc)
        rc = cl_txn_current_writer(t, &cur);
    for (size_t i = 0; !rc && i < ss->theirs.nvv; i++) {
        const cl_vv_entry *e = &ss->theirs.vv[i], *m = vv_find(&ss->mine, &e->origin);
        unsigned char mine[CL_CHAIN_LEN];
        bool diverged, ahead_of_me;
        if (m && m->seq == e->seq) {
            diverged = memcmp(m->chain, e->chain, CL_CHAIN_LEN) != 0;
            ahead_of_me = false;
        } else {
            int crc = cl_txn_chain_at(t, &e->origin, e->seq, mine);
            if (crc && crc != CL_ENOTFOUND) {
                rc = crc;
                break;
            }
            diverged = !crc && memcmp(mine, e->chain, CL_CHAIN_LEN);
            ahead_of_me = crc == CL_ENOTFOUND && !memcmp(cur.b, e->origin.b, CL_DEVICE_ID_LEN);
        }
        if (diverged || ahead_of_me)
            odd[nodd++] = i;
        if (m && diverged)
            ss->forked[m - ss->mine.vv] = true;
    }
    if (t)
        cl_txn_end(t);
    for (size_t k = 0; !rc && k < nodd; k++) /* rare: a write each, after the read */
        note_fork(ss, &ss->theirs.vv[odd[k]].origin, ss->theirs.vv[odd[k]].seq);
    free(odd);
    return rc;
}

typedef struct batch {
    cl_buf *buf;
    uint32_t count;
    int err;
} batch;

static int batch_add(void *ctx, const cl_op *op)
{
    batch *b = ctx;
    if ((b->err = cl_wire_ops_add(b->buf, op)))
        return b->err;
    b->count++;
    return CL_OK;
}

/* The next segment of writer w after `after`, encoded into ss->buf, in one
 * short read transaction: the log is never in memory. */
static int encode_segment(session *ss, const cl_device_id *w, uint64_t after, uint64_t *end)
{
    cl_txn *t;
    cl_writer wr;
    cl_checkpoint cp;
    batch b = {&ss->buf, 0, 0};
    int rc = cl_store_read(ss->s, &t);
    if (rc)
        return rc;
    rc = cl_txn_checkpoint_after(t, w, after, &cp); /* CL_ENOTFOUND: cut since the hello */
    if (!rc && (rc = cl_txn_writer(t, w, &wr)) == CL_ENOTFOUND) {
        memset(&wr, 0, sizeof wr); /* a writer known only from its ops: a legacy one */
        wr.id = wr.device = *w;
        rc = CL_OK;
    }
    if (!rc)
        rc = cl_wire_ops_begin(&ss->buf, &wr);
    if (!rc)
        rc = cl_txn_ops_after(t, w, after, (size_t)(cp.seq - after), batch_add, &b);
    cl_txn_end(t);
    if (rc || b.err)
        return rc ? rc : b.err;
    if (b.count != cp.seq - after)
        return cl_seterr(CL_ECORRUPT, "the op log has a gap after seq %llu", (unsigned long long)after);
    *end = cp.seq;
    ss->sent += b.count;
    return cl_wire_ops_end(&ss->buf, b.count, &cp);
}

/* Stream the segments of one writer after `after`, a frame each. */
static int send_origin(session *ss, const cl_device_id *o, uint64_t after, uint64_t upto)
{
    while (after < upto) {
        int rc = encode_segment(ss, o, after, &after);
        if (rc == CL_ENOTFOUND)
            return CL_OK; /* a revocation received in this session took them out */
        if (!rc)
            rc = link_send(ss->l, CL_MSG_OPS, ss->buf.data, ss->buf.len);
        if (rc)
            return rc;
    }
    return CL_OK;
}

/* The devices this one is paired with, to a peer that asked (docs/introductions.md). */
static int send_introductions(session *ss)
{
    cl_introduction *v;
    size_t n;
    int rc = sync_introductions_collect(ss->s, &ss->l->peer, &v, &n);
    if (rc)
        return rc;
    rc = cl_wire_introduce_encode(&ss->buf, v, n);
    free(v);
    return rc ? rc : link_send(ss->l, CL_MSG_INTRODUCE, ss->buf.data, ss->buf.len);
}

static int recv_introductions(session *ss, const unsigned char *p, size_t n)
{
    if (!(ss->mine.flags & CL_HELLO_INTRODUCE) || ss->introduced)
        return cl_seterr(CL_EPROTO, "introductions that were not asked for");
    ss->introduced = true;
    cl_introduction *v;
    size_t count;
    int rc = cl_wire_introduce_decode(p, n, &v, &count);
    if (!rc)
        rc = sync_introductions_take(ss->s, ss->me, &ss->l->peer, v, count);
    free(v);
    return rc;
}

static int send_missing(session *ss)
{
    if (ss->theirs.flags & CL_HELLO_INTRODUCE) {
        int rc = send_introductions(ss);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < ss->mine.nvv; i++) {
        uint64_t theirs = their_seq(&ss->theirs, &ss->mine.vv[i].origin);
        if (theirs < ss->mine.vv[i].seq && !ss->forked[i]) {
            int rc = send_origin(ss, &ss->mine.vv[i].origin, theirs, ss->mine.vv[i].seq);
            if (rc)
                return rc;
        }
    }
    int rc = cl_wire_done_encode(&ss->buf, ss->sent);
    return rc ? rc : link_send(ss->l, CL_MSG_DONE, ss->buf.data, ss->buf.len);
}

static int peer_error(const unsigned char *p, size_t n)
{
    char msg[300];
    cl_wire_text_decode(p, n, msg, sizeof msg);
    return cl_seterr(CL_EDENIED, "the peer says: %s", msg);
}

/* ----- the version vectors (vectors.c) ----- */

/* Ours: the difference from what we last sent the peer when its hello says
 * it holds exactly that, else the whole vector. */
static int send_vv(session *ss)
{
    bool held = ss->mine_sent.known && !memcmp(ss->theirs.held, ss->mine_sent.hash, CL_SHA256_LEN);
    cl_vv_msg m;
    int rc = sync_vv_diff(held ? &ss->mine_sent : NULL, ss->mine.vv, ss->mine.nvv, ss->mine_hash, &m);
    if (!rc && !(rc = cl_wire_vv_encode(&ss->buf, &m)))
        rc = link_send(ss->l, CL_MSG_VV, ss->buf.data, ss->buf.len);
    free(m.set);
    free(m.gone);
    bool same = ss->mine_sent.known && !memcmp(ss->mine_sent.hash, ss->mine_hash, CL_SHA256_LEN);
    if (!rc && !same && sync_vv_save(ss->s, &ss->l->peer, SYNC_VV_SENT, ss->mine.vv, ss->mine.nvv, ss->mine_hash))
        cl_log(CL_LOG_WARN, "cannot keep the version vector sent: %s", cl_errmsg());
    return rc;
}

/* Theirs: rebuilt from what we kept of it, checked, kept for next time;
 * then compared with what this folder holds. */
static int recv_vv(session *ss)
{
    uint8_t type;
    const unsigned char *p;
    size_t n;
    int rc = link_recv(ss->l, &type, &p, &n);
    if (!rc && type == CL_MSG_ERROR)
        return peer_error(p, n);
    if (!rc && type != CL_MSG_VV)
        return cl_seterr(CL_EPROTO, "expected the version vector, got message %u", type);
    cl_vv_msg m;
    if (!rc && !(rc = cl_wire_vv_decode(p, n, &m))) {
        rc = sync_vv_patch(&ss->theirs_kept, &m, &ss->theirs.vv, &ss->theirs.nvv);
        free(m.set);
        free(m.gone);
    }
    if (rc)
        return rc;
    bool same = ss->theirs_kept.known && !memcmp(ss->theirs_kept.hash, m.hash, CL_SHA256_LEN);
    if (!same && sync_vv_save(ss->s, &ss->l->peer, SYNC_VV_RECEIVED, ss->theirs.vv, ss->theirs.nvv, m.hash))
        cl_log(CL_LOG_WARN, "cannot keep the peer's version vector: %s", cl_errmsg());
    return compare_tips(ss);
}

/* Received OPS frames wait here, checked, until enough have come to be worth
 * one commit (an fsync per frame would cost more than applying them). They
 * are kept as bytes and decoded a second time to be applied, on purpose: a
 * decoded op is a 592-byte cl_op (its seen array) against some 40 bytes on
 * the wire, so a batch of SYNC_COMMIT_OPS kept decoded would hold ~19 MB, the
 * whole of W1's private-memory figure; the bytes hold at most 4 MB. */
typedef struct inbox {
    cl_buf bytes;          /* the payloads, back to back */
    size_t *len;           /* length of each payload */
    size_t nframes, cap, nops;
    size_t nrecords;       /* runs of ops of one record: about the records touched */
    size_t applied;
} inbox;

/* A segment's ops must be what a local write of this version would store. */
static int check_values(const cl_segment *seg)
{
    for (size_t k = 0; k < seg->n; k++) {
        int rc = cl_op_check_remote(&seg->ops[k]);
        if (rc) {
            char who[CL_DEVICE_ID_TEXT];
            cl_device_id_format(&seg->writer.id, who);
            return cl_wraperr(rc, "op %llu of %s", (unsigned long long)seg->ops[k].seq, who);
        }
    }
    return CL_OK;
}

static int inbox_apply_fn(cl_txn *t, void *arg)
{
    inbox *in = arg;
    size_t off = 0;
    in->applied = 0;
    for (size_t i = 0; i < in->nframes; off += in->len[i++]) {
        cl_segment seg;
        size_t applied = 0;
        int rc = cl_wire_ops_decode(in->bytes.data + off, in->len[i], &seg);
        if (!rc) /* its values were checked when it arrived (inbox_add) */
            rc = cl_txn_apply_segment(t, &seg, &applied);
        free((void *)seg.ops);
        if (rc)
            return rc;
        in->applied += applied;
    }
    return CL_OK;
}

/* Apply what the inbox holds in one transaction (with the version vector). */
static int inbox_flush(session *ss, inbox *in)
{
    if (!in->nframes)
        return CL_OK;
    int rc = cl_store_update(ss->s, inbox_apply_fn, in);
    if (!rc)
        ss->received += in->applied;
    cl_buf_reset(&in->bytes);
    in->nframes = in->nops = in->nrecords = 0;
    return rc;
}

/* Keep a frame: refused here, before it is kept, when it is malformed or a
 * value is one this version would not store. */
static int inbox_add(inbox *in, const unsigned char *p, size_t n)
{
    cl_segment seg;
    int rc = cl_wire_ops_decode(p, n, &seg);
    if (!rc)
        rc = check_values(&seg);
    for (size_t k = 0; !rc && k < seg.n; k++)
        in->nrecords += !k || memcmp(seg.ops[k].record.b, seg.ops[k - 1].record.b, CL_RECORD_ID_LEN);
    size_t nops = seg.n;
    free((void *)seg.ops);
    if (rc)
        return rc;
    if (cl_reserve(&in->len, &in->cap, in->nframes + 1, sizeof *in->len))
        return CL_ENOMEM;
    if ((rc = cl_buf_put(&in->bytes, p, n)))
        return rc;
    in->len[in->nframes++] = n;
    in->nops += nops;
    return CL_OK;
}

static int recv_frames(session *ss, inbox *in)
{
    for (;;) {
        uint8_t type;
        const unsigned char *p;
        size_t n;
        int rc = link_recv(ss->l, &type, &p, &n);
        if (rc)
            return rc;
        if (type == CL_MSG_DONE) {
            uint64_t count;
            return cl_wire_done_decode(p, n, &count);
        }
        if (type == CL_MSG_ERROR)
            return peer_error(p, n);
        if (type == CL_MSG_INTRODUCE) {
            if ((rc = recv_introductions(ss, p, n)))
                return rc;
            continue;
        }
        if (type != CL_MSG_OPS)
            return cl_seterr(CL_EPROTO, "unexpected message %u during sync", type);
        if ((rc = inbox_add(in, p, n)))
            return rc;
        bool full = in->nops >= SYNC_COMMIT_OPS || in->bytes.len >= SYNC_COMMIT_BYTES ||
                    in->nrecords >= SYNC_COMMIT_RECORDS;
        if (full && (rc = inbox_flush(ss, in)))
            return rc;
    }
}

/* Receive OPS frames until DONE. What arrived whole is applied even when the
 * session then fails: the next sync starts after it. */
static int recv_until_done(session *ss)
{
    inbox in = {0};
    int rc = recv_frames(ss, &in);
    cl_err_saved e;
    cl_err_save(&e, rc);
    int frc = inbox_flush(ss, &in);
    if (rc && !frc)
        cl_err_restore(&e); /* report the session's error, not the flush's success */
    cl_buf_free(&in.bytes);
    free(in.len);
    return rc ? rc : frc;
}

static int check_version(session *ss)
{
    if (ss->theirs.version == CL_PROTOCOL_VERSION)
        return CL_OK;
    char msg[240];
    if (ss->theirs.version < CL_PROTOCOL_VERSION)
        snprintf(msg, sizeof msg, "sync protocol version %llu is not supported: this device speaks version %d; "
                 "install clientele %s or later on the other device", (unsigned long long)ss->theirs.version,
                 CL_PROTOCOL_VERSION, CL_PROTOCOL_RELEASE);
    else
        snprintf(msg, sizeof msg, "sync protocol version %llu is newer than this device's (%d): upgrade "
                 "clientele on this device", (unsigned long long)ss->theirs.version, CL_PROTOCOL_VERSION);
    send_error(ss->l, msg);
    return cl_seterr(CL_EVERSION, "%s", msg);
}

static int recv_hello(session *ss, const unsigned char *p, size_t n)
{
    int rc = cl_wire_hello_decode(p, n, &ss->theirs);
    return rc ? rc : check_version(ss);
}

static void session_free(session *ss)
{
    free(ss->forked);
    free(ss->mine.vv);
    free(ss->theirs.vv);
    sync_vv_free(&ss->theirs_kept);
    sync_vv_free(&ss->mine_sent);
    cl_buf_free(&ss->buf);
}

/* ----- remembering how syncs went ----- */

typedef struct outcome {
    const cl_device_id *peer;
    const session *ss;
    const char *addr;   /* learned address, or NULL */
    int rc;
} outcome;

static int record_fn(cl_txn *t, void *arg)
{
    outcome *o = arg;
    cl_peer p;
    if (cl_peer_get(t, o->peer, &p))
        return CL_OK; /* unpaired meanwhile: nothing to record */
    uint64_t now = cl_now_ms();
    p.last_attempt_ms = now;
    if (o->addr && *o->addr)
        snprintf(p.addr, sizeof p.addr, "%s", o->addr);
    if (o->ss && o->ss->theirs.name[0])
        snprintf(p.name, sizeof p.name, "%s", o->ss->theirs.name);
    if (o->rc == CL_OK) {
        p.last_sync_ms = now;
        p.last_sent = o->ss->sent;
        p.last_received = o->ss->received;
        p.failures = 0;
        p.last_error[0] = 0;
    } else {
        p.failures++;
        snprintf(p.last_error, sizeof p.last_error, "%s", cl_errmsg());
    }
    return cl_peer_put(t, &p);
}

static void record_outcome(cl_store *s, const cl_device_id *peer, const session *ss, const char *addr, int rc)
{
    cl_err_saved e;
    cl_err_save(&e, rc);
    outcome o = {peer, ss, addr, rc};
    cl_store_update(s, record_fn, &o);
    cl_err_restore(&e); /* the caller reports the sync's error, not ours */
}

/* ----- client ----- */

/* The shape cl_conn_connect asks for. */
static bool is_paired(void *ctx, const cl_device_id *id)
{
    return sync_is_paired(ctx, id);
}

static int client_session(session *ss)
{
    int rc = build_hello(ss);
    if (!rc)
        rc = send_hello(ss);
    uint8_t type;
    const unsigned char *p;
    size_t n;
    if (!rc)
        rc = link_recv(ss->l, &type, &p, &n);
    if (!rc && type == CL_MSG_ERROR)
        return peer_error(p, n);
    if (!rc && type != CL_MSG_HELLO)
        return cl_seterr(CL_EPROTO, "the peer answered hello with message %u", type);
    if (!rc)
        rc = recv_hello(ss, p, n);
    if (!rc)
        rc = recv_vv(ss);
    if (!rc)
        rc = send_vv(ss);
    if (!rc)
        rc = send_missing(ss);
    if (!rc)
        rc = recv_until_done(ss);
    return rc;
}

static int peer_address(cl_store *s, const cl_device_id *id, char *addr, size_t cap)
{
    cl_txn *t;
    cl_peer p;
    int rc = cl_store_read(s, &t);
    if (rc)
        return rc;
    rc = cl_peer_get(t, id, &p);
    cl_txn_end(t);
    if (rc)
        return rc;
    if (!p.addr[0]) {
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(id, text);
        return cl_seterr(CL_ENOTFOUND, "no address known for %s: 'peer add %s --addr HOST:PORT'", text, text);
    }
    snprintf(addr, cap, "%s", p.addr);
    return CL_OK;
}

int cl_sync_once(cl_store *s, const cl_identity *me, const char *addr,
                 const cl_device_id *expect, cl_sync_result *res)
{
    char where[CL_PEER_ADDR_MAX + 1];
    uint64_t start = cl_mono_ms();
    int rc = CL_OK;
    memset(res, 0, sizeof *res);
    cl_device_id by;
    if (expect && sync_is_revoked(s, expect, &by)) {
        char text[CL_DEVICE_ID_TEXT], btext[CL_DEVICE_ID_TEXT];
        cl_device_id_format(expect, text);
        cl_device_id_format(&by, btext);
        return cl_seterr(CL_EDENIED, "device %s has been revoked (by %s): it is not synced with", text, btext);
    }
    if (expect && !sync_is_paired(s, expect)) {
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(expect, text);
        return cl_seterr(CL_EDENIED, "device %s is not paired: 'peer add' it first", text);
    }
    if (!addr && (rc = peer_address(s, expect, where, sizeof where)))
        return rc;
    if (addr)
        snprintf(where, sizeof where, "%s", addr);
    cl_conn *c;
    rc = cl_conn_connect(me, where, expect, is_paired, s, SYNC_TIMEOUT_MS, &c);
    res->handshake_ms = cl_mono_ms() - start;
    if (!rc) {
        sync_link l;
        sync_link_conn(&l, c);
        rc = sync_client(s, me, &l, where, res);
        res->resumed = cl_conn_resumed(c);
        res->bytes_sent = cl_conn_bytes_sent(c);
        res->bytes_received = cl_conn_bytes_received(c);
        cl_conn_close(c);
    } else if (expect) {
        record_outcome(s, expect, NULL, NULL, rc);
    }
    res->ms = cl_mono_ms() - start;
    return rc;
}

int sync_client(cl_store *s, const cl_identity *me, sync_link *l, const char *addr, cl_sync_result *res)
{
    session ss = {.s = s, .me = me, .l = l};
    int rc = client_session(&ss);
    res->peer = l->peer;
    record_outcome(s, &res->peer, &ss, rc ? NULL : addr, rc);
    res->sent = ss.sent;
    res->received = ss.received;
    res->forks = ss.forks;
    snprintf(res->notice, sizeof res->notice, "%s", ss.notice);
    snprintf(res->peer_name, sizeof res->peer_name, "%s", ss.theirs.name);
    session_free(&ss);
    return rc;
}

/* ----- server ----- */

struct pending_args {
    const cl_device_id *id;
    const char *name, *addr;
};

static int pending_fn(cl_txn *t, void *arg)
{
    struct pending_args *a = arg;
    return cl_pending_note(t, a->id, a->name, a->addr);
}

/* HOST:PORT where the other side listens, when it told us its port. */
static void learned_addr(const sync_link *l, uint16_t port, char *out, size_t cap)
{
    if (port && l->peer_ip[0])
        snprintf(out, cap, "%s:%u", l->peer_ip, port);
    else
        out[0] = 0;
}

/* An unknown device: list it as a pending request and say no. */
static void refuse_unknown(session *ss, const unsigned char *p, size_t n, uint8_t type)
{
    char who[CL_DEVICE_ID_TEXT], addr[CL_PEER_ADDR_MAX + 1];
    cl_device_id_format(&ss->l->peer, who);
    cl_hello h = {0};
    if (type == CL_MSG_HELLO)
        cl_wire_hello_decode(p, n, &h);
    learned_addr(ss->l, h.listen_port, addr, sizeof addr);
    if (!addr[0]) /* it does not listen: its IP still tells the user who it is */
        snprintf(addr, sizeof addr, "%s", ss->l->peer_ip);
    struct pending_args a = {&ss->l->peer, h.name, addr};
    cl_store_update(ss->s, pending_fn, &a);
    free(h.vv);
    cl_log(CL_LOG_WARN, "refused unpaired device %s (\"%s\") from %s: listed as a pending request", who, h.name,
           ss->l->peer_ip);
    send_error(ss->l, "this device is not paired with you: ask its owner to accept your request");
}

struct redeem_args {
    const cl_invite_msg *m;
    const cl_device_id *who;
    const char *addr;
};

static int redeem_fn(cl_txn *t, void *arg)
{
    struct redeem_args *a = arg;
    return invite_redeem(t, a->m->secret, a->who, a->m->name, a->addr);
}

/* An INVITE as first frame: pair on a valid secret, then go on as usual. */
static int serve_invite(session *ss, const unsigned char *p, size_t n)
{
    cl_invite_msg m;
    char addr[CL_PEER_ADDR_MAX + 1];
    int rc = cl_wire_invite_decode(p, n, &m);
    if (rc)
        return rc;
    learned_addr(ss->l, m.listen_port, addr, sizeof addr);
    struct redeem_args a = {&m, &ss->l->peer, addr};
    if ((rc = cl_store_update(ss->s, redeem_fn, &a))) {
        send_error(ss->l, cl_errmsg());
        return rc;
    }
    cl_buf_reset(&ss->buf);
    cl_buf_puts(&ss->buf, ss->mine.name);
    return link_send(ss->l, CL_MSG_WELCOME, ss->buf.data, ss->buf.len);
}

static int server_session(session *ss)
{
    uint8_t type;
    const unsigned char *p;
    size_t n;
    int rc = build_hello(ss);
    if (!rc)
        rc = link_recv(ss->l, &type, &p, &n);
    if (rc)
        return rc;
    cl_device_id by;
    if (sync_is_revoked(ss->s, &ss->l->peer, &by)) {
        char text[CL_DEVICE_ID_TEXT], msg[160];
        cl_device_id_format(&by, text);
        snprintf(msg, sizeof msg, "this device has been revoked (by %s): it is not synced with", text);
        send_error(ss->l, msg);
        char who[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&ss->l->peer, who);
        cl_log(CL_LOG_INFO, "refused %s (%s): revoked by %s", who, ss->l->peer_ip, text);
        return cl_seterr(CL_EDENIED, "a revoked device (by %s) was refused", text);
    }
    bool paired = sync_is_paired(ss->s, &ss->l->peer);
    if (type == CL_MSG_INVITE) {
        if (paired) { /* already paired: welcome without spending the secret */
            rc = link_send(ss->l, CL_MSG_WELCOME, ss->mine.name, strlen(ss->mine.name));
        } else if (!(rc = serve_invite(ss, p, n))) {
            paired = true;
        }
        if (!rc)
            rc = link_recv(ss->l, &type, &p, &n);
        if (rc)
            return rc;
    }
    if (!paired) {
        refuse_unknown(ss, p, n, type);
        return cl_seterr(CL_EDENIED, "unpaired device");
    }
    if (type != CL_MSG_HELLO) {
        send_error(ss->l, "expected hello");
        return cl_seterr(CL_EPROTO, "first message was %u, not hello", type);
    }
    if ((rc = recv_hello(ss, p, n)) || (rc = send_hello(ss)) || (rc = send_vv(ss)) || (rc = recv_vv(ss)) ||
        (rc = recv_until_done(ss)))
        return rc;
    return send_missing(ss);
}

void sync_serve_conn(cl_store *s, const cl_identity *me, cl_conn *c)
{
    sync_link l;
    sync_link_conn(&l, c);
    sync_serve(s, me, &l);
    cl_conn_close(c);
}

int sync_serve(cl_store *s, const cl_identity *me, sync_link *l)
{
    session ss = {.s = s, .me = me, .l = l};
    char who[CL_DEVICE_ID_TEXT], addr[CL_PEER_ADDR_MAX + 1];
    cl_device_id_format(&l->peer, who);
    uint64_t start = cl_mono_ms();
    int rc = server_session(&ss);
    if (rc != CL_EDENIED || sync_is_paired(s, &l->peer)) {
        learned_addr(l, ss.theirs.listen_port, addr, sizeof addr);
        record_outcome(s, &l->peer, &ss, addr, rc);
    }
    if (rc && rc != CL_EDENIED)
        cl_log(CL_LOG_WARN, "sync with %s (%s) failed: %s", who, l->peer_ip, cl_errmsg());
    else if (!rc)
        cl_log(CL_LOG_INFO, "synced with %s (%s): sent %llu, received %llu ops in %llu ms", who,
               l->peer_ip, (unsigned long long)ss.sent, (unsigned long long)ss.received,
               (unsigned long long)(cl_mono_ms() - start));
    session_free(&ss);
    return rc;
}
