/* Loading a field of several items (items.c): the record shows the preferred
 * item as the field's value and the whole list beside it, and concurrent
 * heads of the field are merged per item instead of being shown as a
 * conflict (docs/merge.md, "Fields of several items"). The merge needs the
 * version both heads came from: the nearest op that both had seen, found by
 * walking the seen links (a bounded walk: a field's history is short). */
#include "model/internal.h"

#include <stdlib.h>
#include <string.h>

#define WALK_MAX 1024 /* ops visited from one head; beyond, the base is taken as empty */

typedef struct walk {
    cl_op_id *v;
    size_t n, cap;
} walk;

static bool walk_has(const walk *w, const cl_op_id *id)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].seq == id->seq && !memcmp(w->v[i].origin.b, id->origin.b, CL_DEVICE_ID_LEN))
            return true;
    return false;
}

/* Every op reachable from head through the seen links, head first, in
 * breadth-first order (the same order on every device: seen lists are part
 * of the ops). Ops this folder does not hold end their branch. */
static int walk_from(cl_txn *t, const cl_op_id *head, walk *w)
{
    w->n = 0;
    if (cl_reserve(&w->v, &w->cap, 1, sizeof *w->v))
        return CL_ENOMEM;
    w->v[w->n++] = *head;
    for (size_t i = 0; i < w->n && w->n < WALK_MAX; i++) {
        cl_op op;
        int rc = cl_txn_op(t, &w->v[i], &op);
        if (rc == CL_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        for (uint8_t k = 0; k < op.nseen && w->n < WALK_MAX; k++) {
            if (walk_has(w, &op.seen[k]))
                continue;
            if (cl_reserve(&w->v, &w->cap, w->n + 1, sizeof *w->v))
                return CL_ENOMEM;
            w->v[w->n++] = op.seen[k];
        }
    }
    return CL_OK;
}

/* The items of the nearest op of b's history that a's history holds too
 * (none when they share no ancestor). */
static int base_items(cl_txn *t, const cl_op_id *a, const cl_op_id *b, cl_items *out)
{
    walk wa = {0}, wb = {0};
    memset(out, 0, sizeof *out);
    int rc = walk_from(t, a, &wa);
    if (!rc)
        rc = walk_from(t, b, &wb);
    for (size_t i = 0; !rc && i < wb.n; i++) {
        cl_op op;
        if (!walk_has(&wa, &wb.v[i]) || cl_txn_op(t, &wb.v[i], &op) != CL_OK)
            continue;
        rc = cl_items_parse(op.value, op.value_len, out);
        break;
    }
    free(wa.v);
    free(wb.v);
    return rc;
}

/* Merge one losing head into acc (the winner's side so far). */
static int merge_head(cl_txn *t, const cl_field_def *f, const cl_op_id *winner, const cl_conflict *c, cl_items *acc)
{
    cl_items base, loser, out;
    int rc = base_items(t, winner, &c->op, &base);
    if (rc)
        return rc;
    if (!(rc = cl_items_parse(c->value, strlen(c->value), &loser))) {
        if (!(rc = cl_items_merge3(f->kind, &base, &loser, acc, &out))) {
            cl_items_free(acc);
            *acc = out;
        }
        cl_items_free(&loser);
    }
    cl_items_free(&base);
    return rc;
}

/* Drop the conflicts of field from r: the merge answered them. */
static void drop_conflicts(cl_record *r, uint8_t field)
{
    size_t k = 0;
    for (size_t i = 0; i < r->nconflicts; i++) {
        if (r->conflicts[i].field == field)
            free(r->conflicts[i].value);
        else
            r->conflicts[k++] = r->conflicts[i];
    }
    r->nconflicts = k;
}

int model_load_items(cl_txn *t, cl_record *r, const cl_field_def *f, const cl_op_id *winner)
{
    const char *v = r->values[f->id] ? r->values[f->id] : "";
    cl_items *it = &r->items[f->id];
    int rc = cl_items_parse(v, strlen(v), it);
    for (size_t i = 0; !rc && i < r->nconflicts; i++)
        if (r->conflicts[i].field == f->id)
            rc = merge_head(t, f, winner, &r->conflicts[i], it);
    if (rc)
        return rc;
    drop_conflicts(r, f->id);
    const cl_item *pref = cl_items_preferred(it);
    free(r->values[f->id]);
    r->values[f->id] = pref ? strdup(pref->value) : NULL;
    return pref && !r->values[f->id] ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}
