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
    size_t left = 0, nr = 0;
    int rc = r && done ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < s->n; i++)
        if (keep[i]) {
            r[nr++] = (ranked){{s->v[i].origin, s->v[i].seq}, i};
            left++;
        }
    if (!rc)
        qsort(r, nr, sizeof *r, ranked_cmp);
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
