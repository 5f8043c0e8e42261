/* Taking a writer's ops out again: what a revocation does to ops of the
 * revoked device that arrived before the revocation did (docs/revocation.md).
 *
 * The state of a field is a function of the set of its ops (docs/merge.md),
 * so a record is merged again from the ops that remain: its derived data is
 * forgotten and the remaining ops are folded in once more, each after the
 * ops it saw, with the ops taken out counted as never arrived. The result is
 * what a folder that never received them holds. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

/* ops copied out of the transaction: the log is changed while they are used */
typedef struct opset {
    cl_op *v;
    size_t n, cap;
} opset;

static void opset_free(opset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free((void *)s->v[i].value);
    free(s->v);
    *s = (opset){0};
}

static int opset_add(void *ctx, const cl_op *op)
{
    opset *s = ctx;
    if (cl_reserve(&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return CL_ENOMEM;
    char *value = malloc(op->value_len ? op->value_len : 1);
    if (!value)
        return cl_seterr(CL_ENOMEM, "out of memory");
    memcpy(value, op->value, op->value_len);
    s->v[s->n] = *op;
    s->v[s->n++].value = value;
    return CL_OK;
}

typedef struct ids {
    cl_record_id *v;
    size_t n, cap;
} ids;

static int touched_add(void *ctx, const cl_op *op)
{
    ids *r = ctx;
    if (r->n && !memcmp(r->v[r->n - 1].b, op->record.b, CL_RECORD_ID_LEN))
        return CL_OK; /* runs of one record are the common case */
    if (cl_reserve(&r->v, &r->cap, r->n + 1, sizeof *r->v))
        return CL_ENOMEM;
    r->v[r->n++] = op->record;
    return CL_OK;
}

static int record_cmp(const void *a, const void *b) { return memcmp(a, b, CL_RECORD_ID_LEN); }

static void ids_unique(ids *r)
{
    qsort(r->v, r->n, sizeof *r->v, record_cmp);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!k || memcmp(r->v[k - 1].b, r->v[i].b, CL_RECORD_ID_LEN))
            r->v[k++] = r->v[i];
    r->n = k;
}

/* Every entry of db whose key starts with the record's id. */
static int del_record_keys(cl_txn *t, int db, const cl_record_id *id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
    if (rc)
        return st_err(t, rc, "cursor");
    for (;;) {
        MDB_val k = {CL_RECORD_ID_LEN, (void *)id->b}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size < CL_RECORD_ID_LEN || memcmp(k.mv_data, id->b, CL_RECORD_ID_LEN))
            break;
        if ((rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? st_err(t, rc, "forget a record") : CL_OK;
}

/* The ops named as seen before they arrived that point at this record: the
 * merge below names again those the remaining ops still see. */
struct pending_ctx {
    const cl_record_id *id;
    unsigned char (*keys)[OPID_LEN];
    size_t n, cap;
};

static int pending_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    struct pending_ctx *p = arg;
    if (kl != OPID_LEN || vl < CL_RECORD_ID_LEN || memcmp(v, p->id->b, CL_RECORD_ID_LEN))
        return CL_OK;
    if (cl_reserve(&p->keys, &p->cap, p->n + 1, sizeof *p->keys))
        return CL_ENOMEM;
    memcpy(p->keys[p->n++], k, OPID_LEN);
    return CL_OK;
}

static int forget_pending(cl_txn *t, const cl_record_id *id)
{
    if (!t->superseded_count)
        return CL_OK;
    struct pending_ctx p = {id, NULL, 0, 0};
    int rc = st_kv_each(t, DB_SUPERSEDED, pending_step, &p);
    for (size_t i = 0; !rc && i < p.n; i++) {
        rc = st_del(t, DB_SUPERSEDED, p.keys[i], OPID_LEN, NULL, 0);
        if (!rc && t->superseded_count)
            t->superseded_count--;
    }
    free(p.keys);
    return rc;
}

typedef struct ranked {
    cl_op_id id;
    size_t at;   /* its place in the opset */
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    return opid_cmp(&((const ranked *)a)->id, &((const ranked *)b)->id);
}

/* Fold the ops of a record each after the ops of the set it saw. Passes
 * over the set, most of it causal already (it comes in stamp order); a
 * pass that folds nothing means a cycle, which signed logs cannot hold. */
static int fold_causally(cl_txn *t, const opset *s, const bool *keep)
{
    ranked *r = malloc((s->n ? s->n : 1) * sizeof *r);
    bool *done = calloc(s->n ? s->n : 1, 1);
    size_t nr = 0;
    int rc = r && done ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < s->n; i++)
        if (keep[i])
            r[nr++] = (ranked){{s->v[i].origin, s->v[i].seq}, i};
    if (!rc)
        qsort(r, nr, sizeof *r, ranked_cmp);
    size_t left = nr;
    while (!rc && left) {
        size_t before = left;
        for (size_t i = 0; !rc && i < s->n; i++) {
            if (!keep[i] || done[i])
                continue;
            bool ready = true;
            for (unsigned k = 0; ready && k < s->v[i].nseen; k++) {
                ranked key = {s->v[i].seen[k], 0};
                const ranked *hit = bsearch(&key, r, nr, sizeof *r, ranked_cmp);
                ready = !hit || done[hit->at];
            }
            if (!ready)
                continue;
            rc = st_fold(t, &s->v[i]);
            done[i] = true;
            left--;
        }
        if (!rc && left == before)
            rc = cl_seterr(CL_ECORRUPT, "ops of a record that saw each other in a circle");
    }
    free(r);
    free(done);
    return rc;
}

/* Merge a record again from the ops of s that keep says stay. */
static int remerge(cl_txn *t, const cl_record_id *id, const opset *s, const bool *keep)
{
    int rc = idx_forget(t, id, s->v, s->n);
    if (!rc)
        rc = del_record_keys(t, DB_STATE, id);
    if (!rc)
        rc = del_record_keys(t, DB_HEADS, id);
    if (!rc)
        rc = forget_pending(t, id);
    if (!rc)
        rc = fold_causally(t, s, keep);
    return rc ? rc : idx_flush(t);
}

static int cut_log(cl_txn *t, const cl_device_id *w, uint64_t to, uint64_t held)
{
    uint32_t num;
    int rc = st_origin_num(t, w, false, &num);
    for (uint64_t seq = to + 1; !rc && seq <= held; seq++) {
        unsigned char key[OP_KEY_LEN];
        op_key(key, num, seq);
        rc = st_del(t, DB_OPS, key, sizeof key, NULL, 0);
    }
    return rc ? rc : st_vv_set(t, w, to);
}

int cl_txn_cut_writer(cl_txn *t, const cl_device_id *w, uint64_t point, uint64_t *cut)
{
    uint64_t held, to;
    ids touched = {0};
    opset *sets = NULL;
    if (cut)
        *cut = 0;
    int rc = st_vv_get(t, w, &held);
    if (rc || held <= point)
        return rc;
    if ((rc = idx_flush(t)) || (rc = st_chain_cut(t, w, point, &to)) ||
        (rc = cl_txn_ops_after(t, w, to, SIZE_MAX, touched_add, &touched)))
        goto out;
    ids_unique(&touched);
    /* every op of each record, read before any is taken out: the walk
     * from a field's heads passes through the ops to be taken out */
    if (!(sets = calloc(touched.n ? touched.n : 1, sizeof *sets))) {
        rc = cl_seterr(CL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; !rc && i < touched.n; i++)
        rc = cl_txn_history(t, &touched.v[i], opset_add, &sets[i]);
    if (!rc)
        rc = cut_log(t, w, to, held);
    for (size_t i = 0; !rc && i < touched.n; i++) {
        bool *keep = malloc(sets[i].n ? sets[i].n : 1);
        if (!keep) {
            rc = cl_seterr(CL_ENOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < sets[i].n; k++)
            keep[k] = sets[i].v[k].seq <= to || memcmp(sets[i].v[k].origin.b, w->b, CL_DEVICE_ID_LEN);
        rc = remerge(t, &touched.v[i], &sets[i], keep);
        free(keep);
    }
    if (!rc && cut)
        *cut = held - to;
out:
    for (size_t i = 0; sets && i < touched.n; i++)
        opset_free(&sets[i]);
    free(sets);
    free(touched.v);
    return rc;
}

/* ----- revocations: the records of type CL_T_SYSTEM -----
 * One op each, in its author's log: field CL_F_REVOKE holds the revoked
 * device in hex, then a line "WRITER SEQ" per writer of it the author held,
 * writers in ascending order; the record id is a hash of the author and the
 * device, so no one but the author can write over it. */

#define REV_ID_TAG "clientele revocation 4"
#define HEX_ID (CL_DEVICE_ID_TEXT - 1)

void st_revocation_id(const cl_device_id *author, const cl_device_id *device, cl_record_id *out)
{
    unsigned char in[sizeof REV_ID_TAG - 1 + 2 * CL_DEVICE_ID_LEN], h[CL_SHA256_LEN];
    memcpy(in, REV_ID_TAG, sizeof REV_ID_TAG - 1);
    memcpy(in + sizeof REV_ID_TAG - 1, author->b, CL_DEVICE_ID_LEN);
    memcpy(in + sizeof REV_ID_TAG - 1 + CL_DEVICE_ID_LEN, device->b, CL_DEVICE_ID_LEN);
    cl_sha256(in, sizeof in, h);
    memcpy(out->b, h, CL_RECORD_ID_LEN);
}

static bool hex_id(const char *p, const char *end, cl_device_id *id)
{
    char text[CL_DEVICE_ID_TEXT];
    if (end - p < HEX_ID)
        return false;
    memcpy(text, p, HEX_ID);
    text[HEX_ID] = 0;
    return !cl_device_id_parse(text, id);
}

/* Read a revocation's value: the device, then fn for each writer's point. */
static int rev_parse(const char *v, size_t len, cl_device_id *device,
                     int (*fn)(void *ctx, const cl_device_id *w, uint64_t point), void *ctx)
{
    const char *p = v, *end = v + len;
    if (!hex_id(p, end, device) || p + HEX_ID == end || p[HEX_ID] != '\n')
        return cl_seterr(CL_EPROTO, "a revocation that names no device");
    cl_device_id prev = {{0}};
    bool first = true;
    for (p += HEX_ID + 1; p < end;) {
        cl_device_id w;
        uint64_t point = 0;
        const char *q = p + HEX_ID + 1;
        if (!hex_id(p, end, &w) || q > end || p[HEX_ID] != ' ' || q == end || *q < '0' || *q > '9')
            return cl_seterr(CL_EPROTO, "a revocation's writer line is malformed");
        for (int digits = 0; q < end && *q >= '0' && *q <= '9'; q++)
            if (++digits > 19)
                return cl_seterr(CL_EPROTO, "a revocation's point is too large");
            else
                point = point * 10 + (uint64_t)(*q - '0');
        if (q == end || *q != '\n' || (!first && memcmp(prev.b, w.b, CL_DEVICE_ID_LEN) >= 0))
            return cl_seterr(CL_EPROTO, "a revocation's writer lines are malformed or out of order");
        int rc = fn ? fn(ctx, &w, point) : CL_OK;
        if (rc)
            return rc;
        prev = w, first = false, p = q + 1;
    }
    return CL_OK;
}

int st_system_check(cl_txn *t, const cl_op *op)
{
    cl_device_id device, author;
    cl_record_id id;
    if (op->field != CL_F_REVOKE)
        return cl_seterr(CL_EPROTO, "an op on a revocation that is not one");
    int rc = rev_parse(op->value, op->value_len, &device, NULL, NULL);
    if (rc)
        return rc;
    st_revocation_id(&op->origin, &device, &id);
    if (memcmp(id.b, op->record.b, CL_RECORD_ID_LEN))
        return cl_seterr(CL_EPROTO, "a revocation under another device's name: refused");
    cl_txn_writer_device(t, &op->origin, &author);
    if (!memcmp(author.b, device.b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EPROTO, "a device that revokes itself: refused");
    return CL_OK;
}

/* Each revocation this folder holds: fn(author writer, device, value). */
static int each_revocation(cl_txn *t, int (*fn)(void *ctx, const cl_device_id *author, const cl_device_id *device,
                                                const char *v, size_t len), void *ctx)
{
    MDB_cursor *c;
    unsigned char from = CL_T_SYSTEM;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_BYTYPE], &c);
    if (rc)
        return st_err(t, rc, "type index");
    MDB_val k = {1, &from}, v;
    int err = CL_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !err && !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 1 + CL_RECORD_ID_LEN || ((unsigned char *)k.mv_data)[0] != CL_T_SYSTEM)
            break;
        cl_record_id id;
        cl_field_state st;
        cl_device_id device;
        memcpy(id.b, (unsigned char *)k.mv_data + 1, CL_RECORD_ID_LEN);
        if ((err = cl_txn_field(t, &id, CL_F_REVOKE, &st)) == CL_ENOTFOUND) {
            err = CL_OK;
            continue;
        }
        if (!err && !(err = rev_parse(st.value, st.value_len, &device, NULL, NULL)))
            err = fn(ctx, &st.by.origin, &device, st.value, st.value_len);
    }
    mdb_cursor_close(c);
    return err == CL_STOP ? CL_OK : err;
}

struct point_ctx {
    const cl_device_id *device, *writer;
    bool revoked;
    uint64_t point;   /* the least of the points the revocations give */
    cl_device_id by;
};

static int point_step(void *arg, const cl_device_id *w, uint64_t point)
{
    struct point_ctx *p = arg;
    if (!memcmp(w->b, p->writer->b, CL_DEVICE_ID_LEN) && point < p->point)
        p->point = point;
    return CL_OK;
}

static int revocation_step(void *arg, const cl_device_id *author, const cl_device_id *device, const char *v,
                           size_t len)
{
    struct point_ctx *p = arg;
    if (memcmp(device->b, p->device->b, CL_DEVICE_ID_LEN))
        return CL_OK;
    cl_device_id d;
    uint64_t was = p->point;
    p->point = UINT64_MAX;
    int rc = rev_parse(v, len, &d, point_step, p);
    if (p->point == UINT64_MAX)
        p->point = 0; /* a writer the revoker did not know: nothing of it stands */
    if (p->revoked && was < p->point)
        p->point = was;
    if (!p->revoked)
        p->by = *author;
    p->revoked = true;
    return rc;
}

int st_revoked_point(cl_txn *t, const cl_device_id *device, const cl_device_id *writer, bool *revoked,
                     uint64_t *point, cl_device_id *by)
{
    struct point_ctx p = {device, writer, false, 0, {{0}}};
    int rc = each_revocation(t, revocation_step, &p);
    *revoked = p.revoked;
    *point = p.point;
    if (by)
        *by = p.by;
    return rc;
}

/* the writers of one device, collected */
struct writers_ctx {
    cl_txn *t;
    cl_device_id device;
    cl_device_id *w;
    size_t n, cap;
};

static int writer_of_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    struct writers_ctx *c = arg;
    if (kl != CL_DEVICE_ID_LEN || vl < 1 + CL_DEVICE_ID_LEN ||
        memcmp((const unsigned char *)v + 1, c->device.b, CL_DEVICE_ID_LEN))
        return CL_OK;
    if (cl_reserve(&c->w, &c->cap, c->n + 1, sizeof *c->w))
        return CL_ENOMEM;
    memcpy(c->w[c->n++].b, k, CL_DEVICE_ID_LEN);
    return CL_OK;
}

/* The device's writers as the folder knows them, and its first writer,
 * which ops from before signed logs name without a writers entry. */
static int device_writers(struct writers_ctx *c)
{
    int rc = st_kv_each(c->t, DB_WRITERS, writer_of_step, c);
    bool listed = false;
    for (size_t i = 0; i < c->n; i++)
        listed |= !memcmp(c->w[i].b, c->device.b, CL_DEVICE_ID_LEN);
    if (!rc && !listed && !(rc = cl_reserve(&c->w, &c->cap, c->n + 1, sizeof *c->w)))
        c->w[c->n++] = c->device;
    return rc;
}

/* A revocation just applied: every writer of the device it names loses what
 * it holds beyond its point (this folder's own writers excepted: what its
 * user typed is not taken from them by another device's view). */
int st_revocation_applied(cl_txn *t, const cl_op *op)
{
    struct writers_ctx c = {t, {{0}}, NULL, 0, 0};
    int rc = rev_parse(op->value, op->value_len, &c.device, NULL, NULL);
    if (rc || !memcmp(c.device.b, cl_store_self(t->s)->b, CL_DEVICE_ID_LEN))
        return rc;
    rc = device_writers(&c);
    for (size_t i = 0; !rc && i < c.n; i++) {
        bool revoked;
        uint64_t point;
        if (!(rc = st_revoked_point(t, &c.device, &c.w[i], &revoked, &point, NULL)) && revoked)
            rc = cl_txn_cut_writer(t, &c.w[i], point, NULL);
    }
    free(c.w);
    return rc;
}

static int id_cmp(const void *a, const void *b) { return memcmp(a, b, CL_DEVICE_ID_LEN); }

int cl_txn_revoke(cl_txn *t, const cl_device_id *device)
{
    cl_device_id author;
    cl_record_id id;
    cl_record_meta m;
    if (!memcmp(device->b, cl_store_self(t->s)->b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EINVAL, "a device cannot revoke itself");
    int rc = cl_txn_current_writer(t, &author);
    if (rc)
        return rc;
    st_revocation_id(&author, device, &id);
    if ((rc = cl_txn_record(t, &id, &m)) != CL_ENOTFOUND)
        return rc ? rc : cl_seterr(CL_EEXIST, "this device has revoked that device already");
    struct writers_ctx c = {t, *device, NULL, 0, 0};
    if ((rc = device_writers(&c)))
        goto out;
    qsort(c.w, c.n, sizeof *c.w, id_cmp);
    cl_buf v = {0};
    char hex[CL_DEVICE_ID_TEXT];
    cl_device_id_format(device, hex);
    rc = rc ? rc : cl_buf_printf(&v, "%s\n", hex);
    for (size_t i = 0; !rc && i < c.n; i++) {
        uint64_t held;
        cl_device_id_format(&c.w[i], hex);
        if (!(rc = st_vv_get(t, &c.w[i], &held)))
            rc = cl_buf_printf(&v, "%s %llu\n", hex, (unsigned long long)held);
    }
    if (!rc)
        rc = cl_txn_write(t, &id, CL_T_SYSTEM, CL_F_REVOKE, (const char *)v.data, v.len);
    cl_buf_free(&v);
out:
    free(c.w);
    return rc;
}

int cl_txn_revoked(cl_txn *t, const cl_device_id *device, cl_device_id *by)
{
    bool revoked;
    uint64_t point;
    int rc = st_revoked_point(t, device, device, &revoked, &point, by);
    return rc ? rc : revoked ? CL_OK : CL_ENOTFOUND;
}
