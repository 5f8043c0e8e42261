/* In-process replicas for store tests: writes, exchanges of op batches. */
#ifndef CLIENTELE_STOREUTIL_H
#define CLIENTELE_STOREUTIL_H

#include "testutil.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

/* An op with its value owned (ops read from LMDB die with the txn). */
typedef struct owned_op {
    cl_op op;
    char *value;
} owned_op;

typedef struct op_list {
    owned_op *v;
    size_t n, cap;
} op_list;

static inline int op_list_add(void *ctx, const cl_op *op)
{
    op_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    owned_op *o = &l->v[l->n++];
    o->op = *op;
    o->value = malloc(op->value_len + 1);
    memcpy(o->value, op->value, op->value_len);
    o->value[op->value_len] = 0;
    o->op.value = o->value;
    return 0;
}

static inline void op_list_free(op_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].value);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Ops of origin in (after, after+limit]. */
static inline void read_ops(cl_store *s, const cl_device_id *origin, uint64_t after, size_t limit, op_list *out)
{
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_ops_after(t, origin, after, limit, op_list_add, out), CL_OK);
    cl_txn_end(t);
}

static inline int apply_list(cl_store *s, op_list *l, size_t *applied)
{
    cl_op *ops = malloc((l->n ? l->n : 1) * sizeof *ops);
    for (size_t i = 0; i < l->n; i++)
        ops[i] = l->v[i].op;
    int rc = cl_store_apply(s, ops, l->n, applied);
    free(ops);
    return rc;
}

typedef struct vv_list {
    cl_device_id o[64];
    uint64_t seq[64];
    size_t n;
} vv_list;

static inline int vv_add(void *ctx, const cl_device_id *o, uint64_t seq)
{
    vv_list *v = ctx;
    v->o[v->n] = *o;
    v->seq[v->n++] = seq;
    return 0;
}

static inline uint64_t vv_of(cl_store *s, const cl_device_id *o)
{
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    uint64_t v;
    assert_int_equal(cl_txn_vv(t, o, &v), CL_OK);
    cl_txn_end(t);
    return v;
}

/* Send b everything a has that b lacks, one batch; returns ops applied. */
static inline size_t push_all(cl_store *a, cl_store *b)
{
    vv_list vv = {0};
    cl_txn *t;
    assert_int_equal(cl_store_read(a, &t), CL_OK);
    assert_int_equal(cl_txn_vv_each(t, vv_add, &vv), CL_OK);
    cl_txn_end(t);
    op_list l = {0};
    for (size_t i = 0; i < vv.n; i++)
        read_ops(a, &vv.o[i], vv_of(b, &vv.o[i]), SIZE_MAX, &l);
    size_t applied = 0;
    int rc = apply_list(b, &l, &applied);
    if (rc)
        fprintf(stderr, "apply: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
    op_list_free(&l);
    return applied;
}

struct write_args {
    const cl_record_id *id;
    uint8_t type, field;
    const char *value;
};

static inline int write_fn(cl_txn *t, void *arg)
{
    struct write_args *w = arg;
    return cl_txn_write(t, w->id, w->type, w->field, w->value, strlen(w->value));
}

static inline void put_field(cl_store *s, const cl_record_id *id, uint8_t field, const char *value)
{
    struct write_args w = {id, CL_T_CONTACT, field, value};
    int rc = cl_store_update(s, write_fn, &w);
    if (rc)
        fprintf(stderr, "write: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
}

/* The winning value of a field as a string ("" when unset). Caller frees. */
static inline char *field_of(cl_store *s, const cl_record_id *id, uint8_t field)
{
    cl_txn *t;
    cl_field_state st;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    int rc = cl_txn_field(t, id, field, &st);
    char *v = rc ? strdup("") : strndup(st.value, st.value_len);
    cl_txn_end(t);
    return v;
}

static inline size_t conflicts_of(cl_store *s, const cl_record_id *id, uint8_t field, op_list *out)
{
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_conflicts(t, id, field, op_list_add, out), CL_OK);
    cl_txn_end(t);
    return out->n;
}

#endif
