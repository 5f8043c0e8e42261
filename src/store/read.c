/* Reading the store: records, fields, conflicts, indexes, the op log, the
 * version vector and the digest. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

/* Pending derived data must be visible to reads inside a write transaction. */
static int settle(cl_txn *t)
{
    return t->write ? st_flush(t) : CL_OK;
}

/* Walk the keys of db that start with prefix, from `from` (or the prefix). */
static int scan_prefix(cl_txn *t, int db, const void *prefix, size_t plen, const void *from, size_t flen,
                       int (*fn)(void *ctx, MDB_val *k, MDB_val *v), void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
    if (rc)
        return st_err(t, rc, "cursor");
    MDB_val k = {from ? flen : plen, (void *)(from ? from : prefix)}, v;
    int stop = 0;
    rc = mdb_cursor_get(c, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    while (!rc && !stop && k.mv_size >= plen && !memcmp(k.mv_data, prefix, plen)) {
        stop = fn(ctx, &k, &v);
        if (!stop)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (stop)
        return stop;
    return rc && rc != MDB_NOTFOUND ? st_err(t, rc, "cursor") : CL_OK;
}

int cl_txn_record(cl_txn *t, const cl_record_id *id, cl_record_meta *meta)
{
    int rc = settle(t);
    if (rc)
        return rc;
    rc = st_record_get(t, id, meta, NULL);
    if (rc == CL_ENOTFOUND) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        return cl_seterr(CL_ENOTFOUND, "no record %s", text);
    }
    return rc;
}

int cl_txn_field(cl_txn *t, const cl_record_id *id, uint8_t field, cl_field_state *st)
{
    unsigned char key[STATE_KEY_LEN];
    MDB_val v;
    state_key(key, id, field);
    int rc = st_get(t, DB_STATE, key, sizeof key, &v);
    if (rc)
        return rc;
    return state_decode(t, v.mv_data, v.mv_size, field, st);
}

struct fields_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_field_state *st);
    void *ctx;
    int err;
};

static int fields_step(void *arg, MDB_val *k, MDB_val *v)
{
    struct fields_ctx *f = arg;
    if (k->mv_size != STATE_KEY_LEN)
        return 0;
    cl_field_state st;
    uint8_t field = ((unsigned char *)k->mv_data)[CL_RECORD_ID_LEN];
    if ((f->err = state_decode(f->t, v->mv_data, v->mv_size, field, &st)))
        return f->err;
    return f->fn(f->ctx, &st);
}

int cl_txn_fields(cl_txn *t, const cl_record_id *id,
                  int (*fn)(void *ctx, const cl_field_state *st), void *ctx)
{
    struct fields_ctx f = {t, fn, ctx, 0};
    return scan_prefix(t, DB_STATE, id->b, CL_RECORD_ID_LEN, NULL, 0, fields_step, &f);
}

int cl_txn_op(cl_txn *t, const cl_op_id *id, cl_op *op)
{
    unsigned char key[OP_KEY_LEN];
    MDB_val v;
    int rc = op_id_key(t, id, false, key);
    if (!rc)
        rc = st_get(t, DB_OPS, key, sizeof key, &v);
    if (rc)
        return rc;
    return op_decode(t, key, v.mv_data, v.mv_size, op);
}

int cl_txn_conflicts(cl_txn *t, const cl_record_id *id, uint8_t field,
                     int (*fn)(void *ctx, const cl_op *op), void *ctx)
{
    cl_field_state cur;
    cl_op_id heads[HEADS_MAX];
    size_t n;
    bool exists;
    int rc = st_heads(t, id, field, &cur, &exists, heads, &n);
    if (rc || !exists || !cur.conflicted)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!opid_cmp(&heads[i], &cur.by))
            continue;
        cl_op op;
        if ((rc = cl_txn_op(t, &heads[i], &op)))
            return rc == CL_ENOTFOUND ? cl_seterr(CL_ECORRUPT, "conflicting op missing") : rc;
        if ((rc = fn(ctx, &op)))
            return rc;
    }
    return CL_OK;
}

struct ids_ctx {
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
    size_t skip;   /* bytes of key before the record id */
    const cl_record_id *after;
};

static int ids_step(void *arg, MDB_val *k, MDB_val *v)
{
    (void)v;
    struct ids_ctx *c = arg;
    if (k->mv_size != c->skip + CL_RECORD_ID_LEN)
        return 0;
    cl_record_id id;
    memcpy(id.b, (unsigned char *)k->mv_data + c->skip, CL_RECORD_ID_LEN);
    if (c->after && !memcmp(id.b, c->after->b, CL_RECORD_ID_LEN))
        return 0;
    return c->fn(c->ctx, &id);
}

int cl_txn_records(cl_txn *t, uint8_t type, const cl_record_id *after,
                   int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    int rc = settle(t);
    if (rc)
        return rc;
    unsigned char from[1 + CL_RECORD_ID_LEN];
    from[0] = type;
    if (after)
        memcpy(from + 1, after->b, CL_RECORD_ID_LEN);
    struct ids_ctx c = {fn, ctx, 1, after};
    return scan_prefix(t, DB_BYTYPE, &type, 1, after ? from : NULL, sizeof from, ids_step, &c);
}

int cl_txn_conflicted(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    int rc = settle(t);
    if (rc)
        return rc;
    struct ids_ctx c = {fn, ctx, 0, NULL};
    return scan_prefix(t, DB_CONFLICTED, "", 0, NULL, 0, ids_step, &c);
}

int cl_txn_search_text(cl_txn *t, const cl_record_id *id, const char **text, size_t *len)
{
    int rc = settle(t);
    MDB_val v;
    if (!rc)
        rc = st_get(t, DB_SEARCH, id->b, CL_RECORD_ID_LEN, &v);
    if (rc == CL_ENOTFOUND) {
        *text = "";
        *len = 0;
        return CL_OK;
    }
    if (!rc) {
        *text = v.mv_data;
        *len = v.mv_size;
    }
    return rc;
}

struct ordered_ctx {
    int (*fn)(void *ctx, const cl_record_id *id, const unsigned char *key);
    void *ctx;
    uint8_t order;
    size_t key_len;
    const unsigned char *from, *to;
    bool reverse;
};

/* One entry of an ordered index: 1 if it lies past the range (stop). */
static int ordered_entry(struct ordered_ctx *c, const MDB_val *k, int *stop)
{
    const unsigned char *p = k->mv_data;
    *stop = 0;
    if (k->mv_size != 1 + c->key_len + CL_RECORD_ID_LEN || p[0] != c->order) {
        *stop = 1;
        return CL_OK;
    }
    const unsigned char *key = p + 1;
    if (c->reverse ? c->from && memcmp(key, c->from, c->key_len) < 0 : c->to && memcmp(key, c->to, c->key_len) > 0) {
        *stop = 1;
        return CL_OK;
    }
    cl_record_id id;
    memcpy(id.b, key + c->key_len, CL_RECORD_ID_LEN);
    return c->fn(c->ctx, &id, key);
}

int cl_txn_ordered(cl_txn *t, size_t order, const unsigned char *from, const unsigned char *to, bool reverse,
                   int (*fn)(void *ctx, const cl_record_id *id, const unsigned char *key), void *ctx)
{
    int rc = settle(t);
    if (rc)
        return rc;
    if (order >= t->s->spec.norders)
        return cl_seterr(CL_EINVAL, "no ordered index %zu", order);
    struct ordered_ctx c = {fn, ctx, (uint8_t)order, t->s->spec.orders[order].key_len, from, to, reverse};
    /* the start: the bound's first entry, or past the last one when reversed */
    unsigned char start[1 + CL_ORDER_KEY_MAX + CL_RECORD_ID_LEN];
    const unsigned char *bound = reverse ? to : from;
    start[0] = (uint8_t)(order + (reverse && !bound));
    memset(start + 1, reverse ? 0xff : 0, c.key_len + CL_RECORD_ID_LEN);
    if (bound)
        memcpy(start + 1, bound, c.key_len);
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_ORDERS], &cur)))
        return st_err(t, rc, "cursor");
    size_t start_len = reverse && !bound ? 1 : 1 + c.key_len + CL_RECORD_ID_LEN;
    MDB_val k = {start_len, start}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (reverse && rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    else if (reverse && !rc && !(k.mv_size == start_len && !memcmp(k.mv_data, start, start_len)))
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV); /* landed past the start */
    int stop = 0, err = CL_OK;
    while (!rc && !stop && !err) {
        err = ordered_entry(&c, &k, &stop);
        if (!err && !stop)
            rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_PREV : MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (err)
        return err;
    return rc && rc != MDB_NOTFOUND ? st_err(t, rc, "cursor") : CL_OK;
}

struct refs_ctx {
    int (*fn)(void *ctx, const cl_record_id *id, uint8_t field);
    void *ctx;
    bool once;          /* the referrers of once (a value), not of now (none) */
};

static int referrer_step(void *arg, MDB_val *k, MDB_val *v)
{
    struct refs_ctx *c = arg;
    if (k->mv_size != REFS_KEY_LEN)
        return cl_seterr(CL_ECORRUPT, "the reference index is damaged");
    if ((v->mv_size != 0) != c->once)
        return CL_OK;
    cl_record_id id;
    memcpy(id.b, (unsigned char *)k->mv_data + CL_RECORD_ID_LEN, CL_RECORD_ID_LEN);
    return c->fn(c->ctx, &id, ((unsigned char *)k->mv_data)[2 * CL_RECORD_ID_LEN]);
}

int cl_txn_referrers(cl_txn *t, const cl_record_id *target,
                     int (*fn)(void *ctx, const cl_record_id *id, uint8_t field), void *ctx)
{
    int rc = settle(t);
    struct refs_ctx c = {fn, ctx, false};
    return rc ? rc : scan_prefix(t, DB_REFS, target->b, CL_RECORD_ID_LEN, NULL, 0, referrer_step, &c);
}

int cl_txn_former_referrers(cl_txn *t, const cl_record_id *target,
                            int (*fn)(void *ctx, const cl_record_id *id, uint8_t field), void *ctx)
{
    int rc = settle(t);
    struct refs_ctx c = {fn, ctx, true};
    return rc ? rc : scan_prefix(t, DB_REFS, target->b, CL_RECORD_ID_LEN, NULL, 0, referrer_step, &c);
}

/* History needs no index of its own: every op of a field is a head or was
 * seen by a later op of the field, so walking the seen links back from the
 * heads finds them all. */
typedef struct walk {
    cl_op *ops;          /* found; values borrowed from the transaction */
    size_t n, cap;
    cl_op_id *todo;
    size_t ntodo, captodo;
} walk;

static bool walk_known(const walk *w, const cl_op_id *id)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->ops[i].seq == id->seq && !memcmp(w->ops[i].origin.b, id->origin.b, CL_DEVICE_ID_LEN))
            return true;
    for (size_t i = 0; i < w->ntodo; i++)
        if (!opid_cmp(&w->todo[i], id))
            return true;
    return false;
}

static int walk_push(walk *w, const cl_op_id *id)
{
    if (walk_known(w, id))
        return CL_OK;
    if (cl_reserve(&w->todo, &w->captodo, w->ntodo + 1, sizeof *w->todo))
        return CL_ENOMEM;
    w->todo[w->ntodo++] = *id;
    return CL_OK;
}

static int walk_field(cl_txn *t, walk *w, const cl_record_id *id, uint8_t field)
{
    field_snapshot f;
    int rc = st_heads(t, id, field, &f.cur, &f.exists, f.heads, &f.n);
    if (!rc)
        rc = walk_push(w, &f.cur.by);
    for (size_t i = 0; !rc && i < f.n; i++)
        rc = walk_push(w, &f.heads[i]);
    while (!rc && w->ntodo) {
        cl_op_id next = w->todo[--w->ntodo];
        if (cl_reserve(&w->ops, &w->cap, w->n + 1, sizeof *w->ops))
            return CL_ENOMEM;
        cl_op *op = &w->ops[w->n];
        rc = cl_txn_op(t, &next, op);
        if (rc == CL_ENOTFOUND) { /* seen by its successor, not arrived yet */
            rc = CL_OK;
            continue;
        }
        if (rc)
            return rc;
        w->n++;
        for (unsigned k = 0; !rc && k < op->nseen; k++)
            rc = walk_push(w, &op->seen[k]);
    }
    return rc;
}

static int lww_order(const void *a, const void *b)
{
    const cl_op *x = a, *y = b;
    if (x->hlc != y->hlc)
        return x->hlc < y->hlc ? -1 : 1;
    int c = memcmp(x->origin.b, y->origin.b, CL_DEVICE_ID_LEN);
    return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

struct fields_of {
    uint64_t mask;
};

static int note_field(void *ctx, const cl_field_state *st)
{
    ((struct fields_of *)ctx)->mask |= 1ull << st->field;
    return CL_OK;
}

int cl_txn_history(cl_txn *t, const cl_record_id *id,
                   int (*fn)(void *ctx, const cl_op *op), void *ctx)
{
    struct fields_of fo = {0};
    walk w = {0};
    int rc = cl_txn_fields(t, id, note_field, &fo);
    for (uint8_t f = 0; !rc && f <= CL_F_LIMIT; f++)
        if (fo.mask & (1ull << f))
            rc = walk_field(t, &w, id, f);
    if (!rc)
        qsort(w.ops, w.n, sizeof *w.ops, lww_order);
    for (size_t i = 0; !rc && i < w.n; i++)
        rc = fn(ctx, &w.ops[i]);
    free(w.ops);
    free(w.todo);
    return rc;
}

int cl_txn_vv(cl_txn *t, const cl_device_id *origin, uint64_t *seq)
{
    if (t->write) /* the entries this transaction moved are not written yet */
        return st_vv_get(t, origin, seq);
    MDB_val v;
    int rc = st_get(t, DB_VV, origin->b, CL_DEVICE_ID_LEN, &v);
    *seq = 0;
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (!rc && v.mv_size != 8)
        return cl_seterr(CL_ECORRUPT, "version vector is damaged");
    if (!rc)
        *seq = cl_be64_get(v.mv_data);
    return rc;
}

struct vv_ctx {
    int (*fn)(void *ctx, const cl_device_id *o, uint64_t seq);
    void *ctx;
};

static int vv_step(void *arg, MDB_val *k, MDB_val *v)
{
    struct vv_ctx *c = arg;
    if (k->mv_size != CL_DEVICE_ID_LEN || v->mv_size != 8)
        return cl_seterr(CL_ECORRUPT, "version vector is damaged");
    cl_device_id o;
    memcpy(o.b, k->mv_data, CL_DEVICE_ID_LEN);
    return c->fn(c->ctx, &o, cl_be64_get(v->mv_data));
}

int cl_txn_vv_each(cl_txn *t, int (*fn)(void *ctx, const cl_device_id *o, uint64_t seq), void *ctx)
{
    int rc = settle(t);
    if (rc)
        return rc;
    struct vv_ctx c = {fn, ctx};
    return scan_prefix(t, DB_VV, "", 0, NULL, 0, vv_step, &c);
}

struct ops_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_op *op);
    void *ctx;
    size_t left;
};

static int ops_step(void *arg, MDB_val *k, MDB_val *v)
{
    struct ops_ctx *c = arg;
    if (!c->left)
        return CL_STOP;
    cl_op op;
    if (k->mv_size != OP_KEY_LEN)
        return cl_seterr(CL_ECORRUPT, "op log key is damaged");
    int rc = op_decode(c->t, k->mv_data, v->mv_data, v->mv_size, &op);
    if (rc)
        return rc;
    c->left--;
    return c->fn(c->ctx, &op);
}

int cl_txn_ops_after(cl_txn *t, const cl_device_id *origin, uint64_t after, size_t limit,
                     int (*fn)(void *ctx, const cl_op *op), void *ctx)
{
    unsigned char from[OP_KEY_LEN];
    uint32_t num;
    int rc = st_origin_num(t, origin, false, &num);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc; /* no op of that device here */
    op_key(from, num, after + 1);
    struct ops_ctx c = {t, fn, ctx, limit};
    rc = scan_prefix(t, DB_OPS, from, 4, from, sizeof from, ops_step, &c);
    return rc == CL_STOP ? CL_OK : rc;
}

int cl_txn_op_count(cl_txn *t, uint64_t *n)
{
    MDB_stat st;
    int mrc = mdb_stat(t->txn, t->s->dbi[DB_OPS], &st);
    *n = mrc ? 0 : st.ms_entries;
    return mrc ? cl_seterr(CL_ESTORE, "counting ops: %s", mdb_strerror(mrc)) : CL_OK;
}

/* ----- digest ----- */

struct digest_ctx {
    cl_txn *t;
    bool everything;       /* deleted records and cleared fields too */
    cl_sha256_ctx *h;
    uint64_t conflicted;   /* bit per field of the current record */
    int err;
};

static int digest_field(void *arg, const cl_field_state *st)
{
    struct digest_ctx *d = arg;
    if (st->conflicted)
        d->conflicted |= 1ull << st->field;
    if (!d->everything && (st->field == CL_F_DELETED || !st->value_len))
        return CL_OK; /* what the book shows: a cleared field is no field */
    unsigned char hdr[5] = {st->field, (unsigned char)(st->value_len >> 24), (unsigned char)(st->value_len >> 16),
                            (unsigned char)(st->value_len >> 8), (unsigned char)st->value_len};
    cl_sha256_update(d->h, hdr, sizeof hdr);
    cl_sha256_update(d->h, st->value, st->value_len);
    return CL_OK;
}

static int digest_conflict(void *arg, const cl_op *op)
{
    struct digest_ctx *d = arg;
    unsigned char id[OPID_LEN];
    opid_put(id, &(cl_op_id){op->origin, op->seq});
    cl_sha256_update(d->h, "c", 1);
    cl_sha256_update(d->h, id, sizeof id);
    return CL_OK;
}

static int digest_record(void *arg, MDB_val *k, MDB_val *v)
{
    struct digest_ctx *d = arg;
    if (k->mv_size != CL_RECORD_ID_LEN || v->mv_size < 1)
        return d->err = cl_seterr(CL_ECORRUPT, "record table is damaged");
    cl_record_id id;
    memcpy(id.b, k->mv_data, CL_RECORD_ID_LEN);
    cl_record_meta meta;
    int rc = d->everything ? CL_OK : st_record_get(d->t, &id, &meta, NULL);
    if (rc)
        return d->err = rc;
    if (!d->everything && meta.deleted)
        return CL_OK;
    cl_sha256_update(d->h, id.b, CL_RECORD_ID_LEN);
    cl_sha256_update(d->h, v->mv_data, 1); /* type */
    d->conflicted = 0;
    rc = cl_txn_fields(d->t, &id, digest_field, d);
    for (uint8_t f = 0; !rc && f <= CL_F_LIMIT; f++)
        if (d->conflicted & (1ull << f))
            rc = cl_txn_conflicts(d->t, &id, f, digest_conflict, d);
    if (rc)
        d->err = rc;
    return rc;
}

int cl_txn_digest(cl_txn *t, bool everything, unsigned char out[CL_SHA256_LEN])
{
    struct digest_ctx d = {t, everything, NULL, 0, 0};
    int rc = settle(t);
    if (rc || (rc = cl_sha256_begin(&d.h)))
        return rc;
    rc = scan_prefix(t, DB_RECORDS, "", 0, NULL, 0, digest_record, &d);
    unsigned char tmp[CL_SHA256_LEN];
    cl_sha256_end(d.h, rc ? tmp : out);
    return rc;
}
