/* Test helper: make a real conflict in a data folder, the way two devices
 * would, without the network: a second store (another device) receives every
 * op of DIR, both then set FIELD of RECORD without seeing each other, and the
 * second device's op is applied to DIR.
 *   make_conflict DIR RECORD FIELD VALUE_HERE VALUE_OTHER
 * FIELD "deleted": the other device deletes the record while this one deletes
 * and restores it (naming it VALUE_HERE): a conflict on the hidden field.
 * Exit 0 on success; the error on stderr otherwise. */
#include "clientele/model.h"
#include "clientele/net.h"
#include "clientele/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ops {
    cl_op *v;
    size_t n, cap;
    const cl_device_id *only; /* keep ops of this origin only (NULL: all) */
    cl_txn *t;
} ops;

static int keep_op(void *arg, const cl_op *op)
{
    ops *o = arg;
    if (o->only && memcmp(&op->origin, o->only, sizeof *o->only))
        return CL_OK;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
        if (!o->v)
            return CL_ENOMEM;
    }
    o->v[o->n] = *op;
    char *val = malloc(op->value_len + 1);
    if (!val)
        return CL_ENOMEM;
    memcpy(val, op->value, op->value_len);
    o->v[o->n++].value = val;
    return CL_OK;
}

static int each_origin(void *arg, const cl_device_id *origin, uint64_t seq)
{
    ops *o = arg;
    (void)seq;
    return cl_txn_ops_after(o->t, origin, 0, SIZE_MAX, keep_op, o);
}

/* Every op of s (of origin only, when given), deep-copied. */
static int all_ops(cl_store *s, const cl_device_id *only, ops *o)
{
    o->only = only;
    int rc = cl_store_read(s, &o->t);
    if (!rc)
        rc = cl_txn_vv_each(o->t, each_origin, o);
    cl_txn_end(o->t);
    return rc;
}

static void ops_free(ops *o)
{
    for (size_t i = 0; i < o->n; i++)
        free((char *)o->v[i].value);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static int run(const char *dir, const char *rec, const char *field, const char *here, const char *other, const char *tmp)
{
    cl_identity *ida = NULL;
    cl_store *a = NULL, *b = NULL;
    cl_device_id bid;
    cl_record_id id;
    cl_record_meta m;
    cl_txn *t;
    ops o = {0};
    int rc = cl_record_id_parse(rec, &id);
    if (!rc)
        rc = cl_identity_load(dir, false, &ida);
    if (!rc)
        rc = cl_book_open(dir, cl_identity_device(ida), &a);
    if (!rc && !(rc = cl_random(&bid, sizeof bid)))
        rc = cl_book_open(tmp, &bid, &b);
    if (!rc && !(rc = all_ops(a, NULL, &o)))
        rc = cl_store_apply(b, o.v, o.n, NULL);
    ops_free(&o);
    if (!rc && !(rc = cl_store_read(a, &t))) {
        rc = cl_txn_record(t, &id, &m);
        cl_txn_end(t);
    }
    cl_assign fa = {field, here}, fb = {field, other};
    if (!strcmp(field, "deleted")) { /* the other device deletes; here deletes and restores */
        cl_assign lbl = {cl_field_by_id(m.type, cl_type_label_field(m.type))->name, here};
        if (!rc)
            rc = cl_record_delete(b, &id);
        if (!rc)
            rc = cl_record_delete(a, &id);
        if (!rc)
            rc = cl_record_put(a, m.type, &id, &lbl, 1, NULL);
    } else {
        if (!rc)
            rc = cl_record_put(b, m.type, &id, &fb, 1, NULL);
        if (!rc)
            rc = cl_record_put(a, m.type, &id, &fa, 1, NULL);
    }
    if (!rc && !(rc = all_ops(b, &bid, &o)))
        rc = cl_store_apply(a, o.v, o.n, NULL);
    ops_free(&o);
    cl_store_close(b);
    cl_store_close(a);
    cl_identity_free(ida);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: make_conflict DIR RECORD FIELD VALUE_HERE VALUE_OTHER\n");
        return 2;
    }
    char tmp[] = "/tmp/clientele-conflict-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("make_conflict: mkdtemp");
        return 1;
    }
    int rc = run(argv[1], argv[2], argv[3], argv[4], argv[5], tmp);
    { /* remove the other device's folder */
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "make_conflict: could not remove %s\n", tmp);
    }
    if (rc) {
        fprintf(stderr, "make_conflict: %s\n", cl_errmsg());
        return 1;
    }
    return 0;
}
