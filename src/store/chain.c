/* Authenticated logs: each writer's ops form a hash chain, and its device
 * signs checkpoints of it (docs/merge.md "Authors and forks", docs/storage.md
 * "checkpoints" and "writers").
 *
 * The chain value after a writer's first L ops is canonical (it depends on
 * the ops and L only, never on where anybody put checkpoints), and cheap to
 * extend: the ops are hashed in blocks of CHAIN_BLOCK,
 *
 *   c(0)        = H("clientele chain 2" | writer)
 *   c(L), L > 0 = H(c(q) | op(q+1) | … | op(L)),  q = CHAIN_BLOCK·⌊(L−1)/CHAIN_BLOCK⌋
 *
 * with H = SHA-512 cut to 256 bits (util.h cl_hash: faster than SHA-256 on
 * the machines we run on, for the same security), so that hashing streams
 * over whole blocks (one pass over the ops' bytes, not one finalisation per
 * op) and a value at any L is at most one
 * block of ops away from a value this folder keeps. Hypercore signs Merkle
 * roots and Scuttlebutt signs every message; signing a checkpoint every
 * CL_SEGMENT_OPS ops costs one ECDSA signature per thousands of ops, which
 * is what keeps a full sync of a big book within its time. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_BLOCK 256
#define CP_KEY_LEN (4 + 8)                       /* writer number, seq */
#define CP_FIXED (CL_CHAIN_LEN * 2)              /* chain, block base; then the signature */
#define WRITER_SIGNED 1                          /* flags: this writer's ops come signed */

/* ----- the chain ----- */

typedef struct chain {
    uint64_t pos;
    unsigned char base[CL_CHAIN_LEN]; /* c(q) for the block being hashed; c(pos) when pos is a multiple */
    cl_hash_ctx *ctx;                 /* has absorbed base | op(q+1) … op(pos) */
    cl_buf enc;                       /* scratch: an op's fixed-width head */
    size_t absorbed;                  /* bytes of the last op absorbed */
} chain;

static void chain_seed(const cl_device_id *w, unsigned char out[CL_CHAIN_LEN])
{
    unsigned char in[17 + CL_DEVICE_ID_LEN];
    memcpy(in, "clientele chain 2", 17);
    memcpy(in + 17, w->b, CL_DEVICE_ID_LEN);
    cl_hash(in, sizeof in, out);
}

static int chain_start(chain *c, const unsigned char base[CL_CHAIN_LEN], uint64_t pos)
{
    unsigned char junk[CL_CHAIN_LEN];
    memmove(c->base, base, CL_CHAIN_LEN);
    if (c->ctx)
        cl_hash_end(c->ctx, junk); /* a chain placed anew */
    c->ctx = NULL;
    c->pos = pos;
    int rc = cl_hash_begin(&c->ctx);
    if (!rc)
        cl_hash_update(c->ctx, c->base, CL_CHAIN_LEN);
    return rc;
}

static void chain_free(chain *c)
{
    unsigned char junk[CL_CHAIN_LEN];
    if (c->ctx)
        cl_hash_end(c->ctx, junk);
    c->ctx = NULL;
    cl_buf_free(&c->enc);
}

/* The bytes of an op that the chain covers: every field, fixed widths, so
 * that one byte string means one op. */
static int chain_absorb(chain *c, const cl_op *op)
{
    cl_buf *b = &c->enc;
    cl_buf_reset(b);
    int rc = cl_buf_reserve(b, 48 + op->nseen * 28u + op->value_len);
    if (rc)
        return rc;
    unsigned char n4[4];
    cl_buf_put_be64(b, op->seq);
    cl_buf_put_be64(b, op->hlc);
    cl_buf_put(b, op->record.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, op->type);
    cl_buf_put_u8(b, op->field);
    cl_buf_put_u8(b, op->nseen);
    for (unsigned i = 0; i < op->nseen; i++) {
        cl_buf_put(b, op->seen[i].origin.b, CL_DEVICE_ID_LEN);
        cl_buf_put_be64(b, op->seen[i].seq);
    }
    cl_be32_put(n4, op->value_len);
    cl_buf_put(b, n4, 4);
    cl_buf_put(b, op->value, op->value_len); /* one update per op: the hash's per-call cost shows */
    cl_hash_update(c->ctx, b->data, b->len);
    c->absorbed = b->len;
    if (++c->pos % CHAIN_BLOCK)
        return CL_OK;
    unsigned char next[CL_CHAIN_LEN];
    cl_hash_end(c->ctx, next);
    c->ctx = NULL;
    return chain_start(c, next, c->pos);
}

static int chain_value(const chain *c, unsigned char out[CL_CHAIN_LEN])
{
    if (c->pos % CHAIN_BLOCK == 0) {
        memcpy(out, c->base, CL_CHAIN_LEN);
        return CL_OK;
    }
    return cl_hash_peek(c->ctx, out);
}

/* What a checkpoint's signature covers. */
static void cp_digest(const cl_device_id *w, uint64_t seq, const unsigned char chain_v[CL_CHAIN_LEN],
                      unsigned char out[CL_SHA256_LEN])
{
    unsigned char in[22 + CL_DEVICE_ID_LEN + 8 + CL_CHAIN_LEN];
    memcpy(in, "clientele checkpoint 2", 22);
    memcpy(in + 22, w->b, CL_DEVICE_ID_LEN);
    cl_be64_put(in + 22 + CL_DEVICE_ID_LEN, seq);
    memcpy(in + 22 + CL_DEVICE_ID_LEN + 8, chain_v, CL_CHAIN_LEN);
    cl_sha256(in, sizeof in, out);
}

/* ----- stored checkpoints ----- */

typedef struct stored_cp {
    cl_checkpoint cp;
    unsigned char base[CL_CHAIN_LEN];
} stored_cp;

static int cp_parse(const MDB_val *k, const MDB_val *v, stored_cp *out)
{
    if (k->mv_size != CP_KEY_LEN || v->mv_size < CP_FIXED || v->mv_size > CP_FIXED + CL_SIG_MAX)
        return cl_seterr(CL_ECORRUPT, "a stored checkpoint is damaged");
    const unsigned char *p = v->mv_data;
    out->cp.seq = cl_be64_get((const unsigned char *)k->mv_data + 4);
    memcpy(out->cp.chain, p, CL_CHAIN_LEN);
    memcpy(out->base, p + CL_CHAIN_LEN, CL_CHAIN_LEN);
    out->cp.sig_len = v->mv_size - CP_FIXED;
    memcpy(out->cp.sig, p + CP_FIXED, out->cp.sig_len);
    return CL_OK;
}

/* A checkpoint of writer number num: with dir < 0 the last one at or before
 * seq upto, with dir > 0 the first one after it. CL_ENOTFOUND: none. */
static int cp_find(cl_txn *t, uint32_t num, uint64_t upto, int dir, stored_cp *out)
{
    MDB_cursor *c;
    unsigned char key[CP_KEY_LEN];
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_CHECKPOINTS], &c);
    if (rc)
        return st_err(t, rc, "checkpoints");
    cl_be32_put(key, num);
    cl_be64_put(key + 4, upto == UINT64_MAX ? upto : upto + 1);
    MDB_val k = {sizeof key, key}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (dir < 0) /* the entry before the first one past upto */
        rc = rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST) : rc ? rc : mdb_cursor_get(c, &k, &v, MDB_PREV);
    if (!rc && (k.mv_size != CP_KEY_LEN || cl_be32_get(k.mv_data) != num))
        rc = MDB_NOTFOUND;
    if (!rc && dir < 0 && cl_be64_get((const unsigned char *)k.mv_data + 4) > upto)
        rc = MDB_NOTFOUND;
    int out_rc = rc ? (rc == MDB_NOTFOUND ? CL_ENOTFOUND : st_err(t, rc, "checkpoints")) : cp_parse(&k, &v, out);
    mdb_cursor_close(c);
    return out_rc;
}

static int cp_put(cl_txn *t, uint32_t num, const cl_checkpoint *cp, const unsigned char base[CL_CHAIN_LEN])
{
    unsigned char key[CP_KEY_LEN], val[CP_FIXED + CL_SIG_MAX];
    cl_be32_put(key, num);
    cl_be64_put(key + 4, cp->seq);
    memcpy(val, cp->chain, CL_CHAIN_LEN);
    memcpy(val + CL_CHAIN_LEN, base, CL_CHAIN_LEN);
    memcpy(val + CP_FIXED, cp->sig, cp->sig_len);
    return st_put(t, DB_CHECKPOINTS, key, sizeof key, val, CP_FIXED + cp->sig_len, 0);
}

/* ----- positioning a chain from what the folder holds ----- */

struct absorb_ctx {
    chain *c;
    int err;
};

static int absorb_step(void *arg, const cl_op *op)
{
    struct absorb_ctx *a = arg;
    if (op->seq != a->c->pos + 1)
        return a->err = cl_seterr(CL_ECORRUPT, "the op log has a gap before seq %llu", (unsigned long long)op->seq);
    return a->err = chain_absorb(a->c, op);
}

/* Absorb the stored ops of writer w up to seq upto. */
static int absorb_log(cl_txn *t, const cl_device_id *w, chain *c, uint64_t upto)
{
    if (upto <= c->pos)
        return CL_OK;
    struct absorb_ctx a = {c, CL_OK};
    int rc = cl_txn_ops_after(t, w, c->pos, (size_t)(upto - c->pos), absorb_step, &a);
    if (rc || a.err)
        return rc ? rc : a.err;
    return c->pos == upto ? CL_OK : CL_ENOTFOUND;
}

/* Place c at position pos of writer w (number num, 0 when the folder has
 * none of its ops): from the nearest checkpoint at or before pos, or from
 * the start. CL_ENOTFOUND when the folder holds fewer than pos ops. */
static int chain_at(cl_txn *t, const cl_device_id *w, uint32_t num, uint64_t pos, chain *c)
{
    stored_cp s;
    int rc = num ? cp_find(t, num, pos, -1, &s) : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND) {
        unsigned char seed[CL_CHAIN_LEN];
        chain_seed(w, seed);
        rc = chain_start(c, seed, 0);
    } else if (!rc) {
        uint64_t q = s.cp.seq - s.cp.seq % CHAIN_BLOCK;
        if (!(rc = chain_start(c, s.base, q)) && !(rc = absorb_log(t, w, c, s.cp.seq))) {
            unsigned char v[CL_CHAIN_LEN];
            if (!(rc = chain_value(c, v)) && memcmp(v, s.cp.chain, CL_CHAIN_LEN))
                rc = cl_seterr(CL_ECORRUPT, "the op log does not match its checkpoint at seq %llu",
                               (unsigned long long)s.cp.seq);
        }
    }
    return rc ? rc : absorb_log(t, w, c, pos);
}

/* ----- writers ----- */

static void writer_derive(const cl_device_id *device, const unsigned char nonce[CL_NONCE_LEN], cl_device_id *out)
{
    unsigned char in[18 + CL_DEVICE_ID_LEN + CL_NONCE_LEN], h[CL_SHA256_LEN];
    memcpy(in, "clientele writer 2", 18);
    memcpy(in + 18, device->b, CL_DEVICE_ID_LEN);
    memcpy(in + 18 + CL_DEVICE_ID_LEN, nonce, CL_NONCE_LEN);
    cl_sha256(in, sizeof in, h);
    memcpy(out->b, h, CL_DEVICE_ID_LEN);
}

/* value: flags (1) · device (20) · nonce length (1) · nonce · public key (rest) */
static int writer_get(cl_txn *t, const cl_device_id *id, cl_writer *w, unsigned *flags)
{
    MDB_val v;
    *flags = 0;
    int rc = st_get(t, DB_WRITERS, id->b, CL_DEVICE_ID_LEN, &v);
    if (rc)
        return rc;
    const unsigned char *p = v.mv_data;
    if (v.mv_size < 22 || (p[21] != 0 && p[21] != CL_NONCE_LEN) || v.mv_size < 22u + p[21] ||
        v.mv_size - 22 - p[21] > CL_PUBKEY_MAX)
        return cl_seterr(CL_ECORRUPT, "a stored writer is damaged");
    cl_device_id wid = *id; /* id may point into *w */
    memset(w, 0, sizeof *w);
    w->id = wid;
    *flags = p[0];
    memcpy(w->device.b, p + 1, CL_DEVICE_ID_LEN);
    w->has_nonce = p[21] != 0;
    memcpy(w->nonce, p + 22, p[21]);
    w->pubkey_len = v.mv_size - 22 - p[21];
    memcpy(w->pubkey, p + 22 + p[21], w->pubkey_len);
    return CL_OK;
}

static int writer_put(cl_txn *t, const cl_writer *w, unsigned flags)
{
    unsigned char v[22 + CL_NONCE_LEN + CL_PUBKEY_MAX];
    size_t nl = w->has_nonce ? CL_NONCE_LEN : 0;
    v[0] = (unsigned char)flags;
    memcpy(v + 1, w->device.b, CL_DEVICE_ID_LEN);
    v[21] = (unsigned char)nl;
    memcpy(v + 22, w->nonce, nl);
    memcpy(v + 22 + nl, w->pubkey, w->pubkey_len);
    return st_put(t, DB_WRITERS, w->id.b, CL_DEVICE_ID_LEN, v, 22 + nl + w->pubkey_len, 0);
}

int cl_txn_writer(cl_txn *t, const cl_device_id *id, cl_writer *out)
{
    unsigned flags;
    return writer_get(t, id, out, &flags);
}

void cl_txn_writer_device(cl_txn *t, const cl_device_id *writer, cl_device_id *device)
{
    cl_writer w;
    unsigned flags;
    *device = writer_get(t, writer, &w, &flags) ? *writer : w.device;
}

int cl_txn_current_writer(cl_txn *t, cl_device_id *out)
{
    if (!t->writer_loaded) {
        MDB_val v;
        int rc = st_get(t, DB_META, "writer", 6, &v);
        if (rc && rc != CL_ENOTFOUND)
            return rc;
        if (!rc && v.mv_size != CL_DEVICE_ID_LEN)
            return cl_seterr(CL_ECORRUPT, "the folder's writer is damaged");
        memcpy(t->writer.b, rc ? t->s->self.b : v.mv_data, CL_DEVICE_ID_LEN);
        t->writer_loaded = true;
    }
    *out = t->writer;
    return CL_OK;
}

int st_own_writer_init(cl_txn *t)
{
    cl_writer w = {.id = t->s->self, .device = t->s->self};
    cl_writer old;
    unsigned flags;
    int rc = writer_get(t, &w.id, &old, &flags);
    return rc == CL_ENOTFOUND ? writer_put(t, &w, WRITER_SIGNED) : rc;
}

int cl_txn_new_writer(cl_txn *t, const char *why)
{
    cl_writer w = {.device = t->s->self, .has_nonce = true};
    int rc = cl_random(w.nonce, CL_NONCE_LEN);
    if (rc)
        return rc;
    writer_derive(&w.device, w.nonce, &w.id);
    if ((rc = writer_put(t, &w, WRITER_SIGNED)) || (rc = st_put(t, DB_META, "writer", 6, w.id.b, CL_DEVICE_ID_LEN, 0)))
        return rc;
    t->writer = w.id;
    t->writer_loaded = true;
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&w.id, text);
    cl_log(CL_LOG_WARN, "%s (new writer %s)", why, text);
    return cl_txn_set_notice(t, why);
}

int cl_txn_set_notice(cl_txn *t, const char *text)
{
    cl_buf b = {0};
    unsigned char when[8];
    cl_be64_put(when, cl_now_ms());
    int rc = cl_buf_put(&b, when, 8);
    if (!rc && !(rc = cl_buf_puts(&b, text)))
        rc = st_put(t, DB_META, "notice", 6, b.data, b.len, 0);
    cl_buf_free(&b);
    return rc;
}

int cl_txn_notice(cl_txn *t, char *out, size_t cap, uint64_t *when_ms)
{
    MDB_val v;
    out[0] = 0;
    *when_ms = 0;
    int rc = st_get(t, DB_META, "notice", 6, &v);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    if (v.mv_size < 8)
        return cl_seterr(CL_ECORRUPT, "the folder's notice is damaged");
    *when_ms = cl_be64_get(v.mv_data);
    snprintf(out, cap, "%.*s", (int)(v.mv_size - 8), (const char *)v.mv_data + 8);
    return CL_OK;
}

/* A writer a peer names is the device's key's: its id is the device id or
 * derived from it, and the device id is the key's hash. */
static int writer_check(const cl_writer *w)
{
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&w->id, text);
    cl_device_id dev, expect;
    if (w->pubkey_len) {
        cl_device_id_of_pubkey(w->pubkey, w->pubkey_len, &dev);
        if (memcmp(dev.b, w->device.b, CL_DEVICE_ID_LEN))
            return cl_seterr(CL_EPROTO, "ops of %s come with a key that is not its device's", text);
    }
    if (w->has_nonce)
        writer_derive(&w->device, w->nonce, &expect);
    else
        expect = w->device;
    if (memcmp(expect.b, w->id.b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EPROTO, "ops of %s name a writer that is not its device's", text);
    return CL_OK;
}

/* ----- sealing this device's ops ----- */

typedef struct sealer {
    cl_txn *t;
    const cl_signer *sg;
    const cl_device_id *w;
    uint32_t num;
    uint64_t tip;
    chain c;
    size_t ops, bytes;   /* since the last checkpoint */
    int err;
} sealer;

static int seal_checkpoint(sealer *z)
{
    cl_checkpoint cp = {.seq = z->c.pos};
    unsigned char digest[CL_SHA256_LEN];
    int rc = chain_value(&z->c, cp.chain);
    if (rc)
        return rc;
    cp_digest(z->w, cp.seq, cp.chain, digest);
    if (z->sg && (rc = z->sg->sign(z->sg->ctx, digest, cp.sig, &cp.sig_len)))
        return rc; /* without a signer: a legacy checkpoint (upgrade) */
    z->ops = z->bytes = 0;
    return cp_put(z->t, z->num, &cp, z->c.base);
}

static int seal_step(void *arg, const cl_op *op)
{
    sealer *z = arg;
    if (op->seq != z->c.pos + 1)
        return z->err = cl_seterr(CL_ECORRUPT, "the op log has a gap before seq %llu", (unsigned long long)op->seq);
    if ((z->err = chain_absorb(&z->c, op)))
        return z->err;
    z->ops++;
    z->bytes += z->c.absorbed + 1 + 3u * op->nseen; /* its wire size is at most this */
    if (z->ops >= CL_SEGMENT_OPS || z->bytes >= CL_SEGMENT_BYTES || z->c.pos == z->tip)
        z->err = seal_checkpoint(z);
    return z->err;
}

/* The ops of writer w not yet covered: none when last >= tip. */
static int unsealed(cl_txn *t, const cl_device_id *w, uint32_t *num, uint64_t *last, uint64_t *tip)
{
    stored_cp s;
    int rc = st_vv_get(t, w, tip);
    if (!rc)
        rc = st_origin_num(t, w, false, num);
    if (rc == CL_ENOTFOUND) {
        *tip = *last = 0;
        return CL_OK;
    }
    if (!rc)
        rc = cp_find(t, *num, UINT64_MAX, -1, &s);
    *last = rc ? 0 : s.cp.seq;
    return rc == CL_ENOTFOUND ? CL_OK : rc;
}

static int seal_writer(cl_txn *t, const cl_signer *sg, cl_writer *w, unsigned flags)
{
    sealer z = {.t = t, .sg = sg, .w = &w->id};
    uint64_t last;
    int rc = CL_OK;
    if (sg && !w->pubkey_len) { /* learn our own key, to hand it on with our ops */
        memcpy(w->pubkey, sg->pubkey, sg->pubkey_len);
        w->pubkey_len = sg->pubkey_len;
        rc = writer_put(t, w, flags | WRITER_SIGNED);
    }
    if (rc || (rc = unsealed(t, &w->id, &z.num, &last, &z.tip)) || last >= z.tip)
        return rc;
    if (!(rc = chain_at(t, &w->id, z.num, last, &z.c))) {
        rc = cl_txn_ops_after(t, &w->id, last, (size_t)(z.tip - last), seal_step, &z);
        if (!rc && !z.err && z.c.pos != z.tip)
            rc = cl_seterr(CL_ECORRUPT, "the op log ends before seq %llu", (unsigned long long)z.tip);
    }
    chain_free(&z.c);
    return rc ? rc : z.err;
}

int st_legacy_writer(cl_txn *t, const cl_device_id *id)
{
    cl_writer w = {.id = *id, .device = *id};
    int rc = writer_put(t, &w, 0);
    return rc ? rc : seal_writer(t, NULL, &w, 0);
}

#define SEALED_MAX 8

typedef struct own_each {
    cl_txn *t;
    const cl_signer *sg;   /* NULL: only ask whether sealing is needed */
    bool needed;
    int err;
    size_t nsealed;        /* what was signed, for the ledger after the commit */
    cl_device_id sealed[SEALED_MAX];
    uint64_t sealed_seq[SEALED_MAX];
} own_each;

static int own_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    own_each *o = arg;
    (void)v, (void)vl;
    cl_writer w;
    unsigned flags = 0;
    if (kl != CL_DEVICE_ID_LEN)
        return o->err = cl_seterr(CL_ECORRUPT, "a stored writer is damaged");
    if ((o->err = writer_get(o->t, (const cl_device_id *)k, &w, &flags)))
        return o->err;
    if (memcmp(w.device.b, o->t->s->self.b, CL_DEVICE_ID_LEN))
        return 0;
    uint32_t num;
    uint64_t last, tip;
    if ((o->err = unsealed(o->t, &w.id, &num, &last, &tip)))
        return o->err;
    if (o->sg) {
        if (last < tip && o->nsealed < SEALED_MAX) {
            o->sealed[o->nsealed] = w.id;
            o->sealed_seq[o->nsealed++] = tip;
        }
        return o->err = seal_writer(o->t, o->sg, &w, flags);
    }
    o->needed |= last < tip || !w.pubkey_len;
    return 0;
}

static int own_writers(cl_txn *t, own_each *o)
{
    o->t = t;
    int rc = st_kv_each(t, DB_WRITERS, own_step, o);
    return rc ? rc : o->err;
}

static int seal_fn(cl_txn *t, void *arg)
{
    own_each *o = arg;
    o->nsealed = 0; /* the transaction may run again */
    return own_writers(t, o);
}

int cl_store_seal(cl_store *s, const cl_signer *sg)
{
    cl_txn *t;
    own_each o = {0};
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = own_writers(t, &o);
    cl_txn_end(t);
    if (rc || !o.needed)
        return rc; /* the common case: a read, no write transaction */
    o.sg = sg;
    if ((rc = cl_store_update(s, seal_fn, &o)))
        return rc;
    for (size_t i = 0; i < o.nsealed; i++) /* signed ops may leave now: remember how far */
        st_ledger_note(&o.sealed[i], o.sealed_seq[i]);
    return CL_OK;
}

/* ----- tips, chain values, checkpoints for a sender ----- */

struct tips_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_device_id *writer, uint64_t seq, const unsigned char chain[CL_CHAIN_LEN]);
    void *ctx;
};

static int tips_step(void *arg, const cl_device_id *w, uint64_t seq)
{
    struct tips_ctx *c = arg;
    (void)seq;
    uint32_t num;
    stored_cp s;
    int rc = st_origin_num(c->t, w, false, &num);
    if (!rc)
        rc = cp_find(c->t, num, UINT64_MAX, -1, &s);
    if (rc == CL_ENOTFOUND) {
        s.cp.seq = 0;
        chain_seed(w, s.cp.chain);
    } else if (rc) {
        return rc;
    }
    return c->fn(c->ctx, w, s.cp.seq, s.cp.chain);
}

int cl_txn_tips(cl_txn *t, int (*fn)(void *ctx, const cl_device_id *writer, uint64_t seq,
                                     const unsigned char chain[CL_CHAIN_LEN]), void *ctx)
{
    struct tips_ctx c = {t, fn, ctx};
    return cl_txn_vv_each(t, tips_step, &c);
}

int cl_txn_chain_at(cl_txn *t, const cl_device_id *writer, uint64_t seq, unsigned char out[CL_CHAIN_LEN])
{
    uint32_t num = 0;
    chain c = {0};
    int rc = st_origin_num(t, writer, false, &num);
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    if (rc == CL_ENOTFOUND && seq)
        return CL_ENOTFOUND;
    rc = chain_at(t, writer, num, seq, &c);
    if (!rc)
        rc = chain_value(&c, out);
    chain_free(&c);
    return rc;
}

int cl_txn_checkpoint_after(cl_txn *t, const cl_device_id *writer, uint64_t after, cl_checkpoint *out)
{
    uint32_t num;
    stored_cp s;
    int rc = st_origin_num(t, writer, false, &num);
    if (!rc)
        rc = cp_find(t, num, after, 1, &s);
    if (!rc)
        *out = s.cp;
    return rc;
}

/* Where writer w's log can be cut at or below seq point: its last
 * checkpoint there (0: none), since a log must end at a checkpoint to be
 * handed on. The checkpoints after it are deleted. */
int st_chain_cut(cl_txn *t, const cl_device_id *w, uint64_t point, uint64_t *to)
{
    uint32_t num;
    stored_cp s;
    int rc = st_origin_num(t, w, false, &num);
    if (rc)
        return rc == CL_ENOTFOUND ? (*to = 0, CL_OK) : rc;
    rc = cp_find(t, num, point, -1, &s);
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    *to = rc ? 0 : s.cp.seq;
    while (!(rc = cp_find(t, num, *to, 1, &s))) {
        unsigned char key[CP_KEY_LEN];
        cl_be32_put(key, num);
        cl_be64_put(key + 4, s.cp.seq);
        if ((rc = st_del(t, DB_CHECKPOINTS, key, sizeof key, NULL, 0)))
            return rc;
    }
    return rc == CL_ENOTFOUND ? CL_OK : rc;
}

/* ----- applying a peer's segment ----- */

/* Which writer this is, as far as the folder is concerned: its stored entry
 * (refusing unsigned ops of a writer that signs), or the segment's own
 * account of it, checked against its key. */
static int segment_writer(cl_txn *t, const cl_segment *seg, cl_writer *w, unsigned *flags, bool *known,
                          bool *learned)
{
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&seg->writer.id, text);
    int rc = writer_get(t, &seg->writer.id, w, flags);
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    *known = !rc;
    bool signed_ = seg->cp.sig_len > 0;
    *learned = false;
    if (!*known) {
        *w = seg->writer;
        *flags = 0;
        if ((rc = writer_check(w)))
            return rc;
    } else if (!w->pubkey_len && seg->writer.pubkey_len) {
        cl_writer claimed = seg->writer;
        claimed.device = w->device, claimed.has_nonce = w->has_nonce;
        memcpy(claimed.nonce, w->nonce, CL_NONCE_LEN);
        if ((rc = writer_check(&claimed)))
            return rc;
        *w = claimed;
        *learned = true;
    }
    if (!signed_ && (*flags & WRITER_SIGNED || w->has_nonce))
        return cl_seterr(CL_EPROTO, "unsigned ops of %s, whose ops are signed: refused", text);
    if (signed_ && !w->pubkey_len)
        return cl_seterr(CL_EPROTO, "ops of %s come without the key to check them", text);
    if (!signed_ && !memcmp(w->device.b, t->s->self.b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EPROTO, "unsigned ops under this device's own name: refused");
    return CL_OK;
}

/* Hash the segment's ops onto this folder's chain of its writer; ops the
 * folder has already must be the same ops (same chain value at its tip). */
static int segment_chain(cl_txn *t, const cl_segment *seg, uint32_t num, uint64_t known, chain *c)
{
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&seg->writer.id, text);
    uint64_t first = seg->ops[0].seq;
    if (first > known + 1)
        return cl_seterr(CL_EPROTO, "op %llu of %s arrived before op %llu", (unsigned long long)first, text,
                         (unsigned long long)known + 1);
    int rc = chain_at(t, &seg->writer.id, num, first - 1, c);
    for (size_t i = 0; !rc && i < seg->n; i++) {
        const cl_op *op = &seg->ops[i];
        if (op->seq != first + i || memcmp(op->origin.b, seg->writer.id.b, CL_DEVICE_ID_LEN))
            return cl_seterr(CL_EPROTO, "a segment of %s is not one run of its ops", text);
        /* where the segment leaves what the folder holds, it must agree with it */
        bool last_known = op->seq == known || (i + 1 == seg->n && op->seq < known);
        if (!(rc = chain_absorb(c, op)) && last_known) {
            unsigned char mine[CL_CHAIN_LEN], theirs[CL_CHAIN_LEN];
            if (!(rc = chain_value(c, theirs)) && !(rc = cl_txn_chain_at(t, &seg->writer.id, op->seq, mine)) &&
                memcmp(mine, theirs, CL_CHAIN_LEN))
                return cl_seterr(CL_EFORK, "two different histories of %s before seq %llu: it was written from "
                                 "two copies of one folder", text, (unsigned long long)op->seq + 1);
        }
    }
    return rc;
}

/* The checkpoint's signature over the chain as this folder computed it. An
 * honest sender only sends a writer's ops after agreeing on its chain
 * (compare_tips in sync/session.c), so any mismatch is a forgery or an
 * alteration on the way, whoever relayed it. */
static int segment_verify(const cl_segment *seg, const cl_writer *w, const unsigned char computed[CL_CHAIN_LEN])
{
    char text[CL_DEVICE_ID_TEXT];
    unsigned char digest[CL_SHA256_LEN];
    if (!seg->cp.sig_len)
        return CL_OK; /* a legacy segment: vouched for by the paired peer, as before schema 4 */
    cp_digest(&seg->writer.id, seg->cp.seq, computed, digest);
    if (!cl_sig_verify(w->pubkey, w->pubkey_len, digest, seg->cp.sig, seg->cp.sig_len))
        return CL_OK;
    cl_device_id_format(&seg->writer.id, text);
    /* the sender's own account of the chain only sharpens the message */
    return cl_seterr(CL_EPROTO, "ops said to be by %s do not carry its signature (%s): refused", text,
                     memcmp(computed, seg->cp.chain, CL_CHAIN_LEN) ? "altered on the way, or forged" : "forged");
}

int cl_txn_apply_segment(cl_txn *t, const cl_segment *seg, size_t *applied)
{
    cl_writer w;
    unsigned flags;
    bool known_writer, learned_key;
    chain c = {0};
    uint32_t num = 0;
    uint64_t known;
    *applied = 0;
    if (!seg->n || seg->ops[seg->n - 1].seq != seg->cp.seq || seg->cp.sig_len > CL_SIG_MAX)
        return cl_seterr(CL_EPROTO, "a segment that does not end at its checkpoint");
    cl_device_id cur;
    int rc = segment_writer(t, seg, &w, &flags, &known_writer, &learned_key);
    bool revoked;
    uint64_t point;
    /* a revoked device's ops past its point: dropped, not an error (an
     * honest relay that has not heard yet hears in this session) */
    if (!rc && (rc = st_revoked_point(t, &w.device, &w.id, &revoked, &point, NULL)) == CL_OK && revoked &&
        seg->cp.seq > point)
        return CL_OK;
    if (!rc)
        rc = st_vv_get(t, &w.id, &known);
    if (!rc)
        rc = cl_txn_current_writer(t, &cur);
    /* the folder's own current writer: only ops it holds already (signed by
     * a copy of this folder) may come back, and must be the same ones */
    if (!rc && seg->cp.seq > known && !memcmp(w.id.b, cur.b, CL_DEVICE_ID_LEN))
        rc = cl_seterr(CL_EPROTO, "ops under this device's own name that it did not write: refused");
    if (!rc && (rc = st_origin_num(t, &w.id, false, &num)) == CL_ENOTFOUND)
        rc = CL_OK, num = 0;
    if (!rc)
        rc = segment_chain(t, seg, num, known, &c);
    unsigned char computed[CL_CHAIN_LEN];
    if (!rc && !(rc = chain_value(&c, computed)))
        rc = segment_verify(seg, &w, computed);
    uint64_t newest = 0;
    for (size_t i = 0; !rc && i < seg->n; i++) {
        bool fresh;
        if (seg->ops[i].seq > known && !(rc = st_apply_unclocked(t, &seg->ops[i], &fresh))) {
            *applied += fresh;
            newest = seg->ops[i].hlc > newest ? seg->ops[i].hlc : newest;
        }
    }
    if (!rc && newest)
        rc = st_observe(t, newest); /* once per segment: the clock moves past its newest stamp */
    if (!rc && seg->cp.seq > known) {
        cl_checkpoint cp = seg->cp;
        memcpy(cp.chain, computed, CL_CHAIN_LEN);
        if (!(rc = st_origin_num(t, &w.id, true, &num)))
            rc = cp_put(t, num, &cp, c.base);
    }
    unsigned want = flags | (seg->cp.sig_len ? WRITER_SIGNED : 0);
    if (!rc && (!known_writer || want != flags || learned_key))
        rc = writer_put(t, &w, want);
    chain_free(&c);
    return rc;
}
