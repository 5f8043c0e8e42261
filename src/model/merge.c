/* Merging two records that describe the same person or company. */
#include "clientele/model.h"

#include <stdlib.h>
#include <string.h>

typedef struct ref_hit {
    cl_record_id id;
    uint8_t type, field;
} ref_hit;

typedef struct ref_scan {
    cl_txn *t;
    uint8_t type;                  /* of the records being scanned */
    const cl_field_def *defs;
    size_t ndefs;
    uint8_t target;                /* the merged records' type */
    char drop[CL_RECORD_ID_TEXT];
    ref_hit *hits;
    size_t n, cap;
} ref_scan;

static int add_hit(ref_scan *s, const cl_record_id *id, uint8_t field)
{
    if (cl_reserve(&s->hits, &s->cap, s->n + 1, sizeof *s->hits))
        return CL_ENOMEM;
    s->hits[s->n++] = (ref_hit){*id, s->type, field};
    return CL_OK;
}

/* Every reference field of a record that points at drop. */
static int scan_record(void *arg, const cl_record_id *id)
{
    ref_scan *s = arg;
    for (size_t i = 0; i < s->ndefs; i++) {
        const cl_field_def *f = &s->defs[i];
        cl_field_state st;
        if (f->kind != CL_K_REF || f->ref_type != s->target)
            continue;
        int rc = cl_txn_field(s->t, id, f->id, &st);
        if (rc == CL_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        if (st.value_len == CL_RECORD_ID_TEXT - 1 && !memcmp(st.value, s->drop, st.value_len) &&
            (rc = add_hit(s, id, f->id)))
            return rc;
    }
    return CL_OK;
}

/* Collect first, write afterwards: the scan walks indexes the writes touch.
 * Deleted records are moved too, so that restoring one finds keep. */
static int move_refs(cl_txn *t, const cl_record_id *keep, const cl_record_id *drop, uint8_t target,
                     cl_merge_result *res)
{
    ref_scan s = {.t = t, .target = target};
    cl_record_id_format(drop, s.drop);
    int rc = CL_OK;
    for (uint8_t type = 1; type <= CL_T_MAX && !rc; type++) {
        s.type = type;
        s.defs = cl_type_fields(type, &s.ndefs);
        rc = cl_txn_records(t, type, NULL, scan_record, &s);
    }
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(keep, text);
    for (size_t i = 0; i < s.n && !rc; i++) {
        bool self = !memcmp(&s.hits[i].id, keep, sizeof *keep); /* keep referred by drop: nobody */
        rc = cl_txn_write(t, &s.hits[i].id, s.hits[i].type, s.hits[i].field, self ? "" : text,
                          self ? 0 : strlen(text));
        res->refs_moved++;
    }
    free(s.hits);
    return rc;
}

static bool tag_in(const char *tags, const char *tag, size_t n)
{
    for (const char *p = tags; p && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, tag, n))
            return true;
        p += k + (p[k] == ',');
    }
    return false;
}

/* keep's tags, then drop's that keep lacks. */
static int union_tags(const char *a, const char *b, cl_buf *out)
{
    int rc = a ? cl_buf_puts(out, a) : CL_OK;
    for (const char *p = b; !rc && p && *p;) {
        size_t k = strcspn(p, ",");
        if (k && !tag_in(a, p, k) && ((out->len && cl_buf_put_u8(out, ',')) || cl_buf_put(out, p, k)))
            rc = CL_ENOMEM;
        p += k + (p[k] == ',');
    }
    return rc;
}

/* Values of drop that keep holds differently: kept in keep's notes. */
static int lost_values(const cl_record *k, const cl_record *d, const cl_field_def *defs, size_t n, cl_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t f = defs[i].id;
        const char *a = k->values[f], *b = d->values[f];
        if (f == CL_F_NOTES || f == CL_F_TAGS || defs[i].kind == CL_K_REF || !a || !b || !strcmp(a, b))
            continue;
        if ((out->len && cl_buf_put_u8(out, '\n')) || cl_buf_printf(out, "%s: %s", defs[i].name, b))
            return CL_ENOMEM;
    }
    return CL_OK;
}

static int merged_notes(const cl_record *k, const cl_record *d, const cl_field_def *defs, size_t n, cl_buf *out)
{
    cl_buf lost = {0};
    const char *a = k->values[CL_F_NOTES], *b = d->values[CL_F_NOTES];
    int rc = lost_values(k, d, defs, n, &lost);
    if (!rc && a)
        rc = cl_buf_puts(out, a);
    if (!rc && b && (!a || !strstr(a, b)))
        rc = (out->len && cl_buf_puts(out, "\n\n")) || cl_buf_puts(out, b);
    if (!rc && lost.len)
        rc = (out->len && cl_buf_puts(out, "\n\n")) || cl_buf_printf(out, "From the merged %s '%s':\n%s",
                                                                    cl_type_name(d->type), cl_record_label(d),
                                                                    (char *)lost.data);
    cl_buf_free(&lost);
    return rc ? CL_ENOMEM : CL_OK;
}

/* The fields keep gets: its empty ones from drop, tags and notes combined. */
static int fill_fields(cl_txn *t, const cl_record *k, const cl_record *d, cl_merge_result *res)
{
    size_t n, na = 0;
    const cl_field_def *defs = cl_type_fields(k->type, &n);
    cl_assign a[CL_F_MAX + 1];
    cl_buf tags = {0}, notes = {0};
    char keep_id[CL_RECORD_ID_TEXT];
    cl_record_id_format(&k->id, keep_id);
    int rc = CL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t f = defs[i].id;
        const char *dv = d->values[f];
        if (f == CL_F_TAGS && cl_field_lookup(k->type, "tags")) {
            rc = union_tags(k->values[f], dv, &tags);
            a[na].name = defs[i].name, a[na++].value = tags.data ? (char *)tags.data : "";
        } else if (f == CL_F_NOTES) {
            rc = merged_notes(k, d, defs, n, &notes);
            a[na].name = defs[i].name, a[na++].value = notes.data ? (char *)notes.data : "";
        } else if (!k->values[f] && dv && !(defs[i].kind == CL_K_REF && !strcmp(dv, keep_id))) {
            a[na].name = defs[i].name, a[na++].value = dv;
            res->fields_filled++;
        }
    }
    if (rc)
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    else
        rc = cl_record_put_in(t, k->type, &k->id, a, na, NULL);
    cl_buf_free(&tags);
    cl_buf_free(&notes);
    return rc;
}

static int load_live(cl_txn *t, const cl_record_id *id, cl_record **out)
{
    int rc = cl_record_load(t, id, out);
    if (rc == CL_ENOTFOUND || (!rc && (*out)->deleted)) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        cl_record_free(rc ? NULL : *out);
        *out = NULL;
        return cl_seterr(rc ? CL_ENOTFOUND : CL_EINVAL, rc ? "no record %s" : "record %s is deleted", text);
    }
    return rc;
}

int cl_record_merge_in(cl_txn *t, const cl_record_id *keep, const cl_record_id *drop, cl_merge_result *res)
{
    cl_merge_result dummy;
    res = res ? res : &dummy;
    memset(res, 0, sizeof *res);
    if (!memcmp(keep, drop, sizeof *keep))
        return cl_seterr(CL_EINVAL, "a record cannot be merged with itself");
    cl_record *k = NULL, *d = NULL;
    int rc = load_live(t, keep, &k);
    if (!rc)
        rc = load_live(t, drop, &d);
    if (!rc && k->type != d->type)
        rc = cl_seterr(CL_EINVAL, "cannot merge a %s with a %s", cl_type_name(k->type), cl_type_name(d->type));
    if (!rc)
        rc = fill_fields(t, k, d, res);
    if (!rc)
        rc = move_refs(t, keep, drop, k->type, res);
    if (!rc)
        rc = cl_txn_write(t, drop, d->type, CL_F_DELETED, "1", 1);
    cl_record_free(k);
    cl_record_free(d);
    return rc;
}

typedef struct merge_args {
    const cl_record_id *keep, *drop;
    cl_merge_result *res;
} merge_args;

static int merge_fn(cl_txn *t, void *arg)
{
    merge_args *m = arg;
    return cl_record_merge_in(t, m->keep, m->drop, m->res);
}

int cl_record_merge(cl_store *s, const cl_record_id *keep, const cl_record_id *drop, cl_merge_result *res)
{
    merge_args m = {keep, drop, res};
    return cl_store_update(s, merge_fn, &m);
}
