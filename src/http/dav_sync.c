/* Sync tokens of the DAV collections (RFC 6578): a client's sync costs what
 * changed, not the size of the book.
 *
 * A token is "http://clientele.invalid/sync/N", N the op count of the read
 * transaction that answered. The dav table keeps, under "t" · N, the version
 * vector of that moment; the records changed since are those of the ops of
 * each origin beyond it — found in the op log by (origin, seq), so the cost
 * is the ops since, never the book. Tokens are kept (about 30 bytes per device
 * the book has met) for the last DAV_TOKENS_KEPT moments a client was answered
 * at (docs/dav.md). */
#include "http/dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VV_ENTRY (CL_DEVICE_ID_LEN + 8)

static void token_key(uint64_t n, unsigned char key[9])
{
    key[0] = 't';
    cl_be64_put(key + 1, n);
}

static int vv_step(void *ctx, const cl_device_id *o, uint64_t seq)
{
    cl_buf *b = ctx;
    return cl_buf_put(b, o->b, CL_DEVICE_ID_LEN) || cl_buf_put_be64(b, seq) ? cl_seterr(CL_ENOMEM, "out of memory")
                                                                             : CL_OK;
}

int dav_token_take(cl_txn *t, dav_token *tok)
{
    memset(tok, 0, sizeof *tok);
    int rc = cl_txn_op_count(t, &tok->n);
    return rc ? rc : cl_txn_vv_each(t, vv_step, &tok->vv);
}

/* The moments kept, oldest first (keys are "t" · big-endian count). */
struct kept {
    uint64_t n[DAV_TOKENS_KEPT + 1];
    size_t len;
    size_t total;
};

static int kept_step(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct kept *kp = ctx;
    (void)v, (void)vl;
    if (kl == 9 && kp->len < sizeof kp->n / sizeof *kp->n)
        kp->n[kp->len++] = cl_be64_get((const unsigned char *)k + 1);
    kp->total++;
    return 0;
}

/* Beyond DAV_TOKENS_KEPT moments the oldest go: a client that comes back
 * with one starts over (valid-sync-token), as RFC 6578 §3.7 allows. */
static int prune(cl_txn *t)
{
    struct kept kp = {.len = 0};
    int rc = cl_txn_kv_prefix(t, CL_TAB_DAV, "t", 1, kept_step, &kp);
    for (size_t i = 0; !rc && kp.total > DAV_TOKENS_KEPT && i < kp.len; i++, kp.total--) {
        unsigned char key[9];
        token_key(kp.n[i], key);
        rc = cl_txn_kv_del(t, CL_TAB_DAV, key, sizeof key);
    }
    return rc;
}

static int keep_fn(cl_txn *t, void *arg)
{
    const dav_token *tok = arg;
    unsigned char key[9];
    const void *v;
    size_t vl;
    token_key(tok->n, key);
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl);
    if (rc != CL_ENOTFOUND)
        return rc;
    rc = cl_txn_kv_put(t, CL_TAB_DAV, key, sizeof key, tok->vv.data ? tok->vv.data : (const void *)"", tok->vv.len);
    return rc ? rc : prune(t);
}

int dav_token_keep(cl_store *s, const dav_token *tok)
{
    cl_txn *t;
    unsigned char key[9];
    const void *v;
    size_t vl;
    token_key(tok->n, key);
    int rc = cl_store_read(s, &t); /* kept already: no write */
    if (!rc) {
        rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl);
        cl_txn_end(t);
    }
    return rc == CL_ENOTFOUND ? cl_store_update(s, keep_fn, (void *)tok) : rc;
}

void dav_token_text(const dav_token *tok, char out[DAV_TOKEN_MAX])
{
    snprintf(out, DAV_TOKEN_MAX, DAV_TOKEN_PREFIX "%llu", (unsigned long long)tok->n);
}

void dav_token_free(dav_token *tok)
{
    cl_buf_free(&tok->vv);
}

static int token_parse(const char *text, uint64_t *n)
{
    size_t pl = strlen(DAV_TOKEN_PREFIX);
    char *end;
    if (strncmp(text, DAV_TOKEN_PREFIX, pl) || !text[pl] || text[pl] == '-')
        return cl_seterr(CL_EINVAL, "not a sync token of this book");
    unsigned long long v = strtoull(text + pl, &end, 10);
    if (*end)
        return cl_seterr(CL_EINVAL, "not a sync token of this book");
    *n = v;
    return CL_OK;
}

/* The records changed, gathered then sorted so each is told once. */
typedef struct changes {
    cl_txn *t;
    uint32_t types, named;       /* the collection's (dav_scope) */
    cl_record_id *v;
    size_t n, cap;
} changes;

static int change_add(changes *c, const cl_record_id *id)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        cl_record_id *nv = realloc(c->v, cap * sizeof *nv);
        if (!nv)
            return cl_seterr(CL_ENOMEM, "out of memory");
        c->v = nv, c->cap = cap;
    }
    c->v[c->n++] = *id;
    return CL_OK;
}

/* the collection's records that name a renamed one (a deleted one has no item) */
static int referrer_step(void *ctx, const cl_record_id *id, uint8_t field)
{
    changes *c = ctx;
    cl_record_meta m;
    (void)field;
    if (cl_txn_record(c->t, id, &m) || m.deleted || !(c->types & DAV_TYPE(m.type)))
        return CL_OK;
    return change_add(c, id);
}

static int op_step(void *ctx, const cl_op *op)
{
    changes *c = ctx;
    int rc = c->types & DAV_TYPE(op->type) ? change_add(c, &op->record) : CL_OK;
    /* a contact's card names its company, a task its contact: renamed, they changed */
    if (!rc && c->named & DAV_TYPE(op->type) && op->field == cl_type_label_field(op->type))
        rc = cl_txn_referrers(c->t, &op->record, referrer_step, c);
    return rc;
}

struct since_ctx {
    changes *c;
    const unsigned char *vv;
    size_t nvv;
};

/* One origin of the vector now: its ops beyond what the token's vector held. */
static int origin_step(void *ctx, const cl_device_id *o, uint64_t seq)
{
    struct since_ctx *s = ctx;
    uint64_t had = 0;
    for (size_t i = 0; i < s->nvv; i++)
        if (!memcmp(s->vv + i * VV_ENTRY, o->b, CL_DEVICE_ID_LEN))
            had = cl_be64_get(s->vv + i * VV_ENTRY + CL_DEVICE_ID_LEN);
    return seq > had ? cl_txn_ops_after(s->c->t, o, had, SIZE_MAX, op_step, s->c) : CL_OK;
}

static int id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CL_RECORD_ID_LEN);
}

int dav_changed_since(cl_txn *t, const char *token, dav_scope scope, int (*fn)(void *ctx, const cl_record_id *id),
                      void *ctx)
{
    uint64_t n = 0;
    unsigned char key[9];
    const void *vv;
    size_t vl;
    int rc = token_parse(token, &n);
    if (rc)
        return rc;
    token_key(n, key);
    if ((rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &vv, &vl)))
        return rc == CL_ENOTFOUND ? cl_seterr(CL_EINVAL, "this book never gave sync token %s", token) : rc;
    if (vl % VV_ENTRY)
        return cl_seterr(CL_ECORRUPT, "sync token %s is damaged", token);
    changes c = {.t = t, .types = scope.types, .named = scope.named};
    struct since_ctx s = {&c, vv, vl / VV_ENTRY};
    rc = cl_txn_vv_each(t, origin_step, &s);
    if (!rc && c.n)
        qsort(c.v, c.n, sizeof *c.v, id_cmp);
    for (size_t i = 0; !rc && i < c.n; i++)
        if (!i || memcmp(c.v[i].b, c.v[i - 1].b, CL_RECORD_ID_LEN))
            rc = fn(ctx, &c.v[i]);
    free(c.v);
    return rc;
}
