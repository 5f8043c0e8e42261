/* Creating, updating, deleting and loading records. */
#include "model/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct put_args {
    uint8_t type;
    const cl_record_id *id;
    const cl_assign *fields;
    size_t n;
    cl_record_id *out_id;
} put_args;

/* The normalised values to write, by field number (NULL: not assigned). */
typedef struct pending {
    char *value[CL_F_MAX + 1];
} pending;

static void pending_free(pending *p)
{
    for (int i = 0; i <= CL_F_MAX; i++)
        free(p->value[i]);
}

/* The items a multi field holds now, as the record shows them (concurrent
 * heads merged: the write supersedes them all); none for a new record. */
static int current_items(cl_txn *t, const cl_record_id *id, const cl_field_def *f, cl_items *out)
{
    cl_record *r;
    memset(out, 0, sizeof *out);
    int rc = id ? cl_record_load(t, id, &r) : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (rc)
        return rc;
    *out = r->items[f->id];
    memset(&r->items[f->id], 0, sizeof r->items[f->id]); /* taken */
    cl_record_free(r);
    return CL_OK;
}

/* `phone=V` on a field of several items sets the preferred one: V replaces
 * its value (or, when V is already one of the items, that item becomes the
 * preferred one); `phone=` removes it; the other items stay. *norm is the
 * one checked value in, the whole list's text out. */
static int set_preferred(cl_txn *t, const cl_record_id *id, const cl_field_def *f, char **norm)
{
    cl_items it;
    cl_buf b = {0};
    size_t same;
    int rc = current_items(t, id, f, &it);
    if (!rc)
        rc = cl_items_find(f->kind, &it, *norm, &same);
    if (!rc && it.n) {
        cl_item *pref = (cl_item *)cl_items_preferred(&it);
        for (size_t i = 0; i < it.n; i++)
            it.v[i].pref = false;
        cl_item *target = same < it.n ? &it.v[same] : pref;
        char *v = strdup(*norm);
        if (!v)
            rc = cl_seterr(CL_ENOMEM, "out of memory");
        else
            free(target->value), target->value = v, target->pref = true;
        if (!rc && !**norm) { /* removed: the next item, if any, is the preferred one */
            free(target->value), free(target->label);
            memmove(target, target + 1, (size_t)(it.v + it.n - target - 1) * sizeof *target);
            it.n--;
        }
        if (!rc)
            rc = cl_items_format(&it, &b);
        char *list = rc ? NULL : cl_buf_steal(&b);
        if (!rc && !list)
            rc = cl_seterr(CL_ENOMEM, "out of memory");
        if (!rc)
            free(*norm), *norm = list;
    }
    cl_items_free(&it);
    cl_buf_free(&b);
    return rc;
}

/* Whether an assignment of a multi field gives its whole list: by the list's
 * name, or a value that is a JSON list. */
static bool whole_list(const cl_field_def *f, const cl_assign *a)
{
    const char *v = a->value ? a->value : "";
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return !strcmp(a->name, f->list) || *v == '[';
}

static int collect(cl_txn *t, uint8_t type, const cl_record_id *id, const cl_assign *a, size_t n, pending *p)
{
    for (size_t i = 0; i < n; i++) {
        const cl_field_def *f = cl_field_lookup(type, a[i].name);
        if (!f)
            return cl_seterr(CL_EINVAL, "%s has no field '%s'", cl_type_name(type), a[i].name);
        char *norm;
        int rc = cl_field_check(t, type, f, a[i].value ? a[i].value : "", &norm);
        if (!rc && f->multi && !whole_list(f, &a[i]) && norm && (rc = set_preferred(t, id, f, &norm)))
            free(norm);
        if (rc)
            return cl_wraperr(rc, "%s", cl_type_name(type));
        free(p->value[f->id]);
        p->value[f->id] = norm ? norm : strdup("");
        if (!p->value[f->id])
            return cl_seterr(CL_ENOMEM, "out of memory");
    }
    return CL_OK;
}

static int check_required(uint8_t type, pending *p)
{
    size_t n;
    const cl_field_def *f = cl_type_fields(type, &n);
    for (size_t i = 0; i < n; i++)
        if (f[i].required && (!p->value[f[i].id] || !*p->value[f[i].id]))
            return cl_seterr(CL_EINVAL, "%s: %s is required", cl_type_name(type), f[i].name);
    return CL_OK;
}

/* An interaction is logged now unless it says when. */
static int default_date(uint8_t type, pending *p)
{
    if (type != CL_T_INTERACTION || (p->value[CL_F_DATE] && *p->value[CL_F_DATE]))
        return CL_OK;
    char iso[32];
    cl_format_iso(cl_now_ms(), iso);
    strcpy(iso + 19, "Z"); /* whole seconds read better */
    free(p->value[CL_F_DATE]);
    p->value[CL_F_DATE] = strdup(iso);
    return p->value[CL_F_DATE] ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

int cl_record_put_in(cl_txn *t, uint8_t type, const cl_record_id *id,
                     const cl_assign *fields, size_t n, cl_record_id *out_id)
{
    pending p = {0};
    cl_record_meta m;
    cl_record_id rid;
    bool create = true;
    int rc = CL_OK;
    if (!cl_type_name(type))
        return cl_seterr(CL_EINVAL, "unknown record type");
    if (id) {
        rid = *id;
        rc = cl_txn_record(t, id, &m);
        if (rc && rc != CL_ENOTFOUND)
            return rc;
        create = rc == CL_ENOTFOUND;
        if (!create && m.type != type) {
            char text[CL_RECORD_ID_TEXT];
            cl_record_id_format(id, text);
            return cl_seterr(CL_EINVAL, "%s is a %s, not a %s", text, cl_type_name(m.type), cl_type_name(type));
        }
    } else if ((rc = cl_record_id_new(&rid))) {
        return rc;
    }
    if ((rc = collect(t, type, create ? NULL : &rid, fields, n, &p)))
        goto out;
    if (create && ((rc = check_required(type, &p)) || (rc = default_date(type, &p))))
        goto out;
    /* the label field first, so that a record's first op names it */
    uint8_t label = cl_type_label_field(type);
    if (p.value[label] && (rc = cl_txn_write(t, &rid, type, label, p.value[label], strlen(p.value[label]))))
        goto out;
    for (uint8_t f = 1; f <= CL_F_MAX && !rc; f++)
        if (p.value[f] && f != label)
            rc = cl_txn_write(t, &rid, type, f, p.value[f], strlen(p.value[f]));
    if (!rc && !create && m.deleted)
        rc = cl_txn_write(t, &rid, type, CL_F_DELETED, "0", 1); /* editing restores */
    if (!rc && out_id)
        *out_id = rid;
out:
    pending_free(&p);
    return rc;
}

static int put_fn(cl_txn *t, void *arg)
{
    put_args *a = arg;
    return cl_record_put_in(t, a->type, a->id, a->fields, a->n, a->out_id);
}

int cl_record_put(cl_store *s, uint8_t type, const cl_record_id *id,
                  const cl_assign *fields, size_t n, cl_record_id *out_id)
{
    put_args a = {type, id, fields, n, out_id};
    return cl_store_update(s, put_fn, &a);
}

static int delete_fn(cl_txn *t, void *arg)
{
    const cl_record_id *id = arg;
    cl_record_meta m;
    int rc = cl_txn_record(t, id, &m);
    if (rc)
        return rc;
    if (m.deleted) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        return cl_seterr(CL_ENOTFOUND, "record %s is already deleted", text);
    }
    return cl_txn_write(t, id, m.type, CL_F_DELETED, "1", 1);
}

int cl_record_delete(cl_store *s, const cl_record_id *id)
{
    return cl_store_update(s, delete_fn, (void *)id);
}

int cl_record_delete_in(cl_txn *t, const cl_record_id *id)
{
    return delete_fn(t, (void *)id);
}

/* ----- loading ----- */

struct load_ctx {
    cl_txn *t;
    cl_record *r;
    uint64_t conflicted;
    cl_op_id winner[CL_F_MAX + 1];
};

static int load_field(void *arg, const cl_field_state *st)
{
    struct load_ctx *c = arg;
    cl_record *r = c->r;
    if (st->field > CL_F_MAX)
        return CL_OK; /* a field of a newer version (docs/merge.md): kept, not shown */
    if (st->conflicted)
        c->conflicted |= 1ull << st->field;
    c->winner[st->field] = st->by;
    if (st->field == CL_F_DELETED || !st->value_len)
        return CL_OK;
    r->values[st->field] = strndup(st->value, st->value_len);
    r->hlcs[st->field] = st->hlc;
    cl_txn_writer_device(c->t, &st->by.origin, &r->by[st->field]); /* people know devices, not writers */
    return r->values[st->field] ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

static int load_conflict(void *arg, const cl_op *op)
{
    struct load_ctx *lc = arg;
    cl_record *r = lc->r;
    cl_conflict *c = realloc(r->conflicts, (r->nconflicts + 1) * sizeof *c);
    if (!c)
        return cl_seterr(CL_ENOMEM, "out of memory");
    r->conflicts = c;
    c += r->nconflicts;
    c->field = op->field;
    cl_txn_writer_device(lc->t, &op->origin, &c->origin);
    c->hlc = op->hlc;
    c->op = (cl_op_id){op->origin, op->seq};
    c->value = strndup(op->value, op->value_len);
    if (!c->value)
        return cl_seterr(CL_ENOMEM, "out of memory");
    r->nconflicts++;
    return CL_OK;
}

int cl_record_load(cl_txn *t, const cl_record_id *id, cl_record **out)
{
    cl_record_meta m;
    int rc = cl_txn_record(t, id, &m);
    if (rc)
        return rc;
    cl_record *r = calloc(1, sizeof *r);
    if (!r)
        return cl_seterr(CL_ENOMEM, "out of memory");
    r->id = *id;
    r->type = m.type;
    r->deleted = m.deleted;
    r->created = m.created;
    r->updated = m.updated;
    struct load_ctx c = {.t = t, .r = r};
    rc = cl_txn_fields(t, id, load_field, &c);
    for (uint8_t f = 0; !rc && f <= CL_F_MAX; f++)
        if (c.conflicted & (1ull << f))
            rc = cl_txn_conflicts(t, id, f, load_conflict, &c);
    size_t nf;
    const cl_field_def *f = cl_type_fields(r->type, &nf);
    for (size_t i = 0; !rc && i < nf; i++)
        if (f[i].multi && (r->values[f[i].id] || (c.conflicted & (1ull << f[i].id))))
            rc = model_load_items(t, r, &f[i], &c.winner[f[i].id]);
    if (rc) {
        cl_record_free(r);
        return rc;
    }
    *out = r;
    return CL_OK;
}

void cl_record_free(cl_record *r)
{
    if (!r)
        return;
    for (int i = 0; i <= CL_F_MAX; i++) {
        free(r->values[i]);
        cl_items_free(&r->items[i]);
    }
    for (size_t i = 0; i < r->nconflicts; i++)
        free(r->conflicts[i].value);
    free(r->conflicts);
    free(r);
}

const char *cl_record_label(const cl_record *r)
{
    const char *v = r->values[cl_type_label_field(r->type)];
    return v ? v : "(unnamed)";
}
