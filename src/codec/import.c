/* What every importer shares: messages, progress, names, duplicates. */
#include "codec/import.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- a small string → record id hash table (open addressing) ----- */

typedef struct idslot {
    char *key;
    uint64_t hash; /* of key: a probe compares it before the key's text */
    cl_record_id id;
} idslot;

struct idmap {
    idslot *slots;
    size_t cap, used;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    /* FNV's low bits, which pick the slot, depend only on the low bits of
     * the state: keys that differ in a few digits (p1@…, p2@…) clustered
     * into long probe chains (100k rows: 4.6 s of 7.4 s). Fold the high
     * bits down (murmur3's finaliser). */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static void idmap_free(idmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static idslot *idmap_slot(const idmap *m, const char *key, uint64_t h)
{
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key)))
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static const cl_record_id *idmap_get(const idmap *m, const char *key)
{
    idslot *s = idmap_slot(m, key, hash(key));
    return s->key ? &s->id : NULL;
}

static int idmap_grow(idmap *m)
{
    idmap bigger = {calloc(m->cap * 2, sizeof(idslot)), m->cap * 2, m->used};
    if (!bigger.slots)
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *idmap_slot(&bigger, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return CL_OK;
}

/* Insert key → id unless key is there already (the first one stays). */
static int idmap_add(idmap *m, const char *key, const cl_record_id *id)
{
    if ((m->used + 1) * 10 > m->cap * 7 && idmap_grow(m))
        return CL_ENOMEM;
    uint64_t h = hash(key);
    idslot *s = idmap_slot(m, key, h);
    if (s->key)
        return CL_OK;
    if (!(s->key = strdup(key)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    s->hash = h;
    s->id = *id;
    m->used++;
    return CL_OK;
}

static int idmap_new(idmap **out)
{
    idmap *m = calloc(1, sizeof *m);
    if (m && !(m->slots = calloc(1024, sizeof(idslot)))) {
        free(m);
        m = NULL;
    }
    if (!m)
        return cl_seterr(CL_ENOMEM, "out of memory");
    m->cap = 1024;
    *out = m;
    return CL_OK;
}

/* ----- results, messages, progress ----- */

void cl_import_result_free(cl_import_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nnotices; i++)
        free(r->notices[i]);
    free(r->notices);
    for (size_t i = 0; i < r->nproblems; i++)
        free(r->problems[i]);
    free(r->problems);
    free(r->refused);
    memset(r, 0, sizeof *r);
}

/* ----- rows refused one by one (dry_run, skip_bad) ----- */

int imp_rows_init(imp_rows *r, size_t n)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->bad = calloc(n ? n : 1, sizeof *r->bad);
    r->why = calloc(n ? n : 1, sizeof *r->why);
    if (!r->bad || !r->why) {
        imp_rows_free(r);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    return CL_OK;
}

void imp_rows_free(imp_rows *r)
{
    for (size_t i = 0; r->why && i < r->n; i++)
        free(r->why[i]);
    free(r->why);
    free(r->bad);
    memset(r, 0, sizeof *r);
}

bool imp_collecting(const imp *m)
{
    return m->o && (m->o->dry_run || m->o->skip_bad);
}

int imp_row_failed(imp *m, imp_rows *r, size_t i, int rc)
{
    if (rc != CL_EINVAL || !imp_collecting(m) || i >= r->n)
        return rc;
    if (!(r->why[i] = strdup(cl_errmsg())))
        return cl_seterr(CL_ENOMEM, "out of memory");
    r->bad[i] = r->again = true;
    return CL_OK;
}

int imp_row_refused(imp_rows *r, size_t i, const char *why)
{
    if (i >= r->n || r->bad[i])
        return CL_OK;
    if (!(r->why[i] = strdup(why)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    r->bad[i] = true;
    return CL_OK;
}

struct pass {
    int (*fn)(cl_txn *t, void *arg);
    int (*finish)(void *arg);
    void *arg;
    imp_rows *rows;
    const cl_import_opts *o;
    cl_import_result *res;
};

static int keep_problems(const imp_rows *rows, cl_import_result *res)
{
    for (size_t i = 0; i < rows->n; i++) {
        if (!rows->bad[i])
            continue;
        char **p = realloc(res->problems, (res->nproblems + 1) * sizeof *p);
        if (!p)
            return cl_seterr(CL_ENOMEM, "out of memory");
        res->problems = p;
        if (!(p[res->nproblems] = strdup(rows->why[i])))
            return cl_seterr(CL_ENOMEM, "out of memory");
        res->nproblems++;
    }
    return CL_OK;
}

/* One pass; CL_STOP rolls it back (a row was refused, or a dry run). The
 * last pass fills in the refusals before it commits, so that an import that
 * fails after all stores nothing. */
static int pass_fn(cl_txn *t, void *arg)
{
    struct pass *p = arg;
    p->rows->again = false;
    int rc = p->fn(t, p->arg);
    if (rc || p->rows->again)
        return rc ? rc : CL_STOP;
    if ((rc = keep_problems(p->rows, p->res)) || (p->finish && p->res->nproblems && (rc = p->finish(p->arg))))
        return rc;
    return p->o->dry_run ? CL_STOP : CL_OK;
}

int imp_run_rows(cl_store *s, int (*fn)(cl_txn *t, void *arg), int (*finish)(void *arg), void *arg,
                 imp_rows *rows, const cl_import_opts *o, cl_import_result *res)
{
    if (!o || (!o->dry_run && !o->skip_bad))
        return imp_run(s, fn, arg, res);
    struct pass p = {fn, finish, arg, rows, o, res};
    int rc = CL_STOP;
    for (size_t n = 0; rc == CL_STOP && n <= rows->n + 1; n++) { /* each pass refuses one row more, or is the last */
        rc = cl_store_update(s, pass_fn, &p);
        if (rc == CL_STOP && !rows->again)
            rc = CL_OK; /* the dry run's last pass */
    }
    if (rc == CL_STOP)
        rc = cl_seterr(CL_EINVAL, "the import did not settle");
    if (rc)
        cl_import_result_free(res);
    return rc;
}

int imp_notice(imp *m, size_t line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **p = realloc(m->res->notices, (m->res->nnotices + 1) * sizeof *p);
    if (!p)
        return cl_seterr(CL_ENOMEM, "out of memory");
    m->res->notices = p;
    size_t need = strlen(m->name) + strlen(msg) + 48;
    if (!(p[m->res->nnotices] = malloc(need)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    snprintf(p[m->res->nnotices++], need, "%s: line %zu: %s", m->name, line, msg);
    return CL_OK;
}

int imp_fail(imp *m, size_t line, int rc)
{
    return cl_wraperr(rc, "%s: line %zu", m->name, line);
}

void imp_progress(imp *m, size_t done, size_t total)
{
    if (!m->o || !m->o->progress || !total)
        return;
    size_t pm = done * 1000 / total;
    if (pm < m->last_pct + 5 && done != total)
        return;
    m->last_pct = pm;
    m->o->progress(m->o->ctx, done, total);
}

int imp_run(cl_store *s, int (*fn)(cl_txn *t, void *arg), void *arg, cl_import_result *res)
{
    int rc = cl_store_update(s, fn, arg);
    if (rc)
        cl_import_result_free(res);
    return rc;
}

int imp_begin(imp *m, cl_txn *t, const cl_import_opts *o, cl_import_result *res)
{
    cl_import_result_free(res);
    memset(m, 0, sizeof *m);
    m->t = t;
    m->o = o;
    m->res = res;
    m->name = o && o->name ? o->name : "input";
    return CL_OK;
}

static void journal_free(imp *m)
{
    for (size_t i = 0; i < m->njournal; i++) {
        for (size_t k = 0; k < m->journal[i].nwas; k++)
            free(m->journal[i].was[k].value);
        free(m->journal[i].was);
    }
    free(m->journal);
    idmap_free(m->touched);
    m->journal = NULL, m->touched = NULL;
    m->njournal = m->capjournal = 0;
}

void imp_end(imp *m)
{
    journal_free(m);
    idmap_free(m->dups);
    idmap_free(m->fresh);
    idmap_free(m->company_keys);
    m->company_keys = NULL;
    free(m->keys);
    m->keys = NULL;
    for (int i = 0; i <= CL_T_MAX; i++)
        idmap_free(m->labels[i]);
    m->dups = m->fresh = NULL;
    memset(m->labels, 0, sizeof m->labels);
}

/* ----- finding records by their label ----- */

typedef struct scan_ctx {
    imp *m;
    uint8_t type;
} scan_ctx;

static int field_text(cl_txn *t, const cl_record_id *id, uint8_t field, cl_buf *out)
{
    cl_field_state st;
    cl_buf_reset(out);
    int rc = cl_txn_field(t, id, field, &st);
    if (rc == CL_ENOTFOUND)
        return cl_buf_put(out, "", 0);
    return rc ? rc : cl_buf_put(out, st.value, st.value_len);
}

static int label_step(void *arg, const cl_record_id *id)
{
    scan_ctx *c = arg;
    cl_buf v = {0};
    int rc = field_text(c->m->t, id, cl_type_label_field(c->type), &v);
    if (!rc && v.len)
        rc = idmap_add(c->m->labels[c->type], (char *)v.data, id);
    cl_buf_free(&v);
    return rc;
}

static int labels_of(imp *m, uint8_t type, idmap **out)
{
    if (!m->labels[type]) {
        int rc = idmap_new(&m->labels[type]);
        scan_ctx c = {m, type};
        if (!rc)
            rc = cl_query_list(m->t, type, NULL, NULL, 0, label_step, &c, NULL);
        if (rc)
            return rc;
    }
    *out = m->labels[type];
    return CL_OK;
}

int imp_find_label(imp *m, uint8_t type, const char *label, cl_record_id *id)
{
    idmap *map;
    int rc = labels_of(m, type, &map);
    if (rc)
        return rc;
    const cl_record_id *found = idmap_get(map, label);
    if (!found)
        return cl_seterr(CL_ENOTFOUND, "no %s named '%s'", cl_type_name(type), label);
    *id = *found;
    return CL_OK;
}

/* ----- what the import wrote, for undo-import ----- */

static int count_step(void *arg, const cl_field_state *st)
{
    (void)st;
    ++*(size_t *)arg;
    return CL_OK;
}

struct was_fill {
    imp_touched *e;
    size_t cap;
};

static int was_step(void *arg, const cl_field_state *st)
{
    struct was_fill *f = arg;
    imp_touched *e = f->e;
    if (e->nwas == f->cap)
        return cl_seterr(CL_ECORRUPT, "a record's fields changed while they were read");
    imp_field_was *w = &e->was[e->nwas];
    if (!(w->value = malloc(st->value_len + 1)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    memcpy(w->value, st->value, st->value_len);
    w->value[st->value_len] = 0;
    w->field = st->field, w->hlc = st->hlc, w->len = st->value_len;
    e->nwas++;
    return CL_OK;
}

static int journal_add(imp *m, const cl_record_id *id, bool created, imp_touched **out)
{
    int rc = cl_reserve((void **)&m->journal, &m->capjournal, m->njournal + 1, sizeof *m->journal);
    if (rc)
        return rc;
    *out = &m->journal[m->njournal++];
    **out = (imp_touched){*id, created, NULL, 0};
    return CL_OK;
}

/* A record this import has just made: in m->fresh (which the name matching
 * reads too) and in the journal. */
static int journal_created(imp *m, const cl_record_id *id)
{
    char key[CL_RECORD_ID_TEXT];
    imp_touched *e;
    cl_record_id_format(id, key);
    int rc = m->fresh ? CL_OK : idmap_new(&m->fresh);
    if (!rc)
        rc = idmap_add(m->fresh, key, id);
    return rc ? rc : journal_add(m, id, true, &e);
}

/* Before the import first writes to a record that was here before it: the
 * record's fields as they are (its second write finds it in m->touched, and
 * one it created in m->fresh). */
static int journal_touch(imp *m, const cl_record_id *id)
{
    char key[CL_RECORD_ID_TEXT];
    cl_record_id_format(id, key);
    if ((m->fresh && idmap_get(m->fresh, key)) || (m->touched && idmap_get(m->touched, key)))
        return CL_OK;
    imp_touched *e;
    int rc = m->touched ? CL_OK : idmap_new(&m->touched);
    if (rc || (rc = idmap_add(m->touched, key, id)) || (rc = journal_add(m, id, false, &e)))
        return rc;
    size_t n = 0;
    if ((rc = cl_txn_fields(m->t, id, count_step, &n)) || !n)
        return rc;
    if (!(e->was = calloc(n, sizeof *e->was)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    struct was_fill f = {e, n};
    return cl_txn_fields(m->t, id, was_step, &f);
}

/* ----- companies by their name as people read it -----
 * "ACME Inc.", "Acme, Inc." and "Acme" are one company to whoever typed
 * them: a company's key is its name folded (case, accents), without
 * punctuation and without the legal form at its end. */

static const char *const legal_forms[] = {
    "ab", "ag", "aps", "as", "bv", "co", "corp", "corporation", "doo", "gmbh", "inc", "incorporated",
    "kft", "kg", "llc", "llp", "limited", "ltd", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "sl",
    "spa", "sro", "srl", NULL};

static bool legal_form(const char *w, size_t n)
{
    for (const char *const *f = legal_forms; *f; f++)
        if (strlen(*f) == n && !memcmp(*f, w, n))
            return true;
    return false;
}

/* The words of name folded, dots dropped ("S.R.L." is "srl"), legal forms
 * at the end dropped (never the first word); empty when nothing is left. */
static int company_key(const char *name, cl_buf *key)
{
    cl_buf folded = {0};
    int rc = cl_fold(&folded, name, strlen(name));
    size_t ends[64], nw = 0;
    cl_buf_reset(key);
    for (size_t i = 0; !rc && i < folded.len && nw < 64;) {
        unsigned char ch = folded.data[i];
        if (ch == '.' || ch == '\'') { /* inside a word */
            i++;
            continue;
        }
        if (!(isalnum(ch) || ch >= 0x80)) {
            if (key->len && key->data[key->len - 1] != ' ')
                ends[nw++] = key->len, rc = cl_buf_put_u8(key, ' ');
            i++;
            continue;
        }
        rc = cl_buf_put_u8(key, ch), i++;
    }
    if (!rc && key->len && key->data[key->len - 1] != ' ' && nw < 64)
        ends[nw++] = key->len, rc = cl_buf_put_u8(key, ' ');
    /* ends[k]: where word k ends; drop trailing legal forms, keep the first word */
    while (!rc && nw > 1) {
        size_t from = ends[nw - 2] + 1;
        if (!legal_form((const char *)key->data + from, ends[nw - 1] - from))
            break;
        key->len = from, nw--;
    }
    if (!rc && key->len)
        key->data[--key->len] = 0; /* the last space */
    cl_buf_free(&folded);
    return rc ? rc : key->err;
}

static int key_step(void *arg, const cl_record_id *id)
{
    imp *m = arg;
    cl_buf v = {0}, key = {0};
    int rc = field_text(m->t, id, CL_F_NAME, &v);
    if (!rc && v.len && !(rc = company_key((const char *)v.data, &key)) && key.len &&
        !idmap_get(m->company_keys, (const char *)key.data))
        rc = idmap_add(m->company_keys, (const char *)key.data, id);
    cl_buf_free(&v);
    cl_buf_free(&key);
    return rc;
}

/* The company whose key is name's: CL_ENOTFOUND when none. */
static int company_by_key(imp *m, const char *name, cl_record_id *id)
{
    int rc = CL_OK;
    if (!m->company_keys && !(rc = idmap_new(&m->company_keys)))
        rc = cl_query_list(m->t, CL_T_COMPANY, NULL, NULL, 0, key_step, m, NULL);
    cl_buf key = {0};
    if (!rc)
        rc = company_key(name, &key);
    const cl_record_id *found = !rc && key.len ? idmap_get(m->company_keys, (const char *)key.data) : NULL;
    cl_buf_free(&key);
    if (rc)
        return rc;
    if (!found)
        return CL_ENOTFOUND;
    *id = *found;
    return CL_OK;
}

/* A company this import created or changed: its key is known from now on. */
static int remember_key(imp *m, const cl_record_id *id)
{
    return m->company_keys ? key_step(m, id) : CL_OK;
}

int imp_company(imp *m, size_t line, const char *name, const cl_record_id *want, cl_record_id *id)
{
    int rc = imp_find_label(m, CL_T_COMPANY, name, id);
    if (rc != CL_ENOTFOUND)
        return rc;
    if ((rc = company_by_key(m, name, id)) == CL_OK) {
        cl_buf was = {0};
        if (!(rc = field_text(m->t, id, CL_F_NAME, &was)))
            rc = imp_notice(m, line, "company '%s' taken to be '%s' (the same name but for case, punctuation "
                            "or legal form)", name, (const char *)was.data);
        cl_buf_free(&was);
        /* this spelling is that company from now on: one notice per spelling */
        return rc ? rc : idmap_add(m->labels[CL_T_COMPANY], name, id);
    }
    if (rc != CL_ENOTFOUND)
        return rc;
    cl_assign a = {"name", name};
    if (want)
        *id = *want;
    if ((rc = cl_record_put_in(m->t, CL_T_COMPANY, want, &a, 1, want ? NULL : id)) ||
        (rc = journal_created(m, id)))
        return rc;
    m->res->companies++;
    if ((rc = idmap_add(m->labels[CL_T_COMPANY], name, id)))
        return rc;
    return remember_key(m, id);
}

/* ----- duplicates: the same email (any case) or phone (digits only) ----- */

static void dup_key(uint8_t field, const char *v, char *key, size_t cap)
{
    size_t k = 0;
    key[k++] = field == CL_F_EMAIL ? 'e' : 'p';
    key[k++] = ':';
    for (; *v && k + 1 < cap; v++) {
        if (field == CL_F_EMAIL)
            key[k++] = (char)tolower((unsigned char)*v);
        else if (isdigit((unsigned char)*v))
            key[k++] = *v;
    }
    key[k] = 0;
    if (field == CL_F_PHONE && k < 2 + 5)
        key[0] = 0; /* too short to mean anything */
}

/* The duplicate keys of a contact: every email and phone it holds (each
 * item of the lists), with the field each came from. */
typedef struct dup_keys {
    char key[2 * CL_ITEMS_MAX][512];
    uint8_t field[2 * CL_ITEMS_MAX];
    size_t n;
} dup_keys;

static int keys_of(imp *m, const cl_record_id *id, dup_keys *out)
{
    static const uint8_t fields[] = {CL_F_EMAIL, CL_F_PHONE};
    cl_buf v = {0};
    int rc = CL_OK;
    out->n = 0;
    for (size_t i = 0; i < 2 && !rc; i++) {
        cl_items it = {0};
        if ((rc = field_text(m->t, id, fields[i], &v)) || !v.len || (rc = cl_items_parse((char *)v.data, v.len, &it)))
            continue;
        for (size_t k = 0; k < it.n && out->n < 2 * CL_ITEMS_MAX; k++) {
            dup_key(fields[i], it.v[k].value, out->key[out->n], sizeof out->key[0]);
            if (*out->key[out->n])
                out->field[out->n++] = fields[i];
        }
        cl_items_free(&it);
    }
    cl_buf_free(&v);
    return rc;
}

static int index_keys(imp *m, const dup_keys *k, const cl_record_id *id)
{
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < k->n; i++)
        rc = idmap_add(m->dups, k->key[i], id); /* the first contact with a key keeps it */
    return rc;
}

static int dup_index(imp *m, const cl_record_id *id)
{
    dup_keys *k = m->keys ? m->keys : (m->keys = malloc(sizeof *k));
    int rc = k ? keys_of(m, id, k) : cl_seterr(CL_ENOMEM, "out of memory");
    return rc ? rc : index_keys(m, k, id);
}

static int dup_step(void *arg, const cl_record_id *id)
{
    return dup_index(arg, id);
}

/* Index the contacts there are before the first new one is written (so that
 * a new contact never finds itself first). */
static int dup_prepare(imp *m)
{
    if (m->dups)
        return CL_OK;
    int rc = idmap_new(&m->dups);
    return rc ? rc : cl_query_list(m->t, CL_T_CONTACT, NULL, NULL, 0, dup_step, m, NULL);
}

int imp_same_contact(imp *m, const char *name, const char *email, const char *phone, cl_record_id *id)
{
    const char *values[] = {email, phone};
    static const uint8_t fields[] = {CL_F_EMAIL, CL_F_PHONE};
    cl_buf v = {0};
    char key[512];
    int rc = dup_prepare(m), found = 0;
    for (size_t i = 0; i < 2 && !rc && !found; i++) {
        if (!values[i] || !*values[i])
            continue;
        dup_key(fields[i], values[i], key, sizeof key);
        const cl_record_id *other = *key ? idmap_get(m->dups, key) : NULL;
        if (other && !(rc = field_text(m->t, other, CL_F_NAME, &v)) && !strcmp((char *)v.data, name)) {
            *id = *other;
            found = 1;
        }
    }
    cl_buf_free(&v);
    return rc ? rc : found ? CL_OK : CL_ENOTFOUND;
}

int imp_same_name(imp *m, const char *name, cl_record_id *id)
{
    int rc = imp_find_label(m, CL_T_CONTACT, name, id);
    if (rc)
        return rc;
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(id, text);
    return m->fresh && idmap_get(m->fresh, text) ? CL_ENOTFOUND : CL_OK;
}

/* Report the first other contact sharing this one's email or phone. */
static int dup_check(imp *m, size_t line, const cl_record_id *id)
{
    dup_keys *k = m->keys ? m->keys : (m->keys = malloc(sizeof *k));
    cl_buf name = {0};
    int rc = k ? keys_of(m, id, k) : cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < k->n; i++) {
        const cl_record_id *other = idmap_get(m->dups, k->key[i]);
        if (!other || !memcmp(other, id, sizeof *id))
            continue;
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(other, text);
        if (!(rc = field_text(m->t, id, CL_F_NAME, &name)))
            rc = imp_notice(m, line, "%s: possible duplicate of %s (same %s)", (char *)name.data, text,
                            k->field[i] == CL_F_EMAIL ? "email" : "phone");
        m->res->duplicates++;
        break;
    }
    if (!rc)
        rc = index_keys(m, k, id);
    cl_buf_free(&name);
    return rc;
}

/* ----- writing one record ----- */

static int remember_label(imp *m, uint8_t type, const cl_record_id *id)
{
    if (!m->labels[type])
        return CL_OK; /* never looked up: built from the store when needed */
    cl_buf v = {0};
    int rc = field_text(m->t, id, cl_type_label_field(type), &v);
    if (!rc && v.len)
        rc = idmap_add(m->labels[type], (char *)v.data, id);
    cl_buf_free(&v);
    return !rc && type == CL_T_COMPANY ? remember_key(m, id) : rc;
}

int imp_put(imp *m, size_t line, uint8_t type, const cl_record_id *id, const cl_assign *a,
            size_t n, cl_record_id *out)
{
    cl_record_meta meta;
    bool exists = false;
    if (id) {
        int rc = cl_txn_record(m->t, id, &meta);
        if (rc && rc != CL_ENOTFOUND)
            return rc;
        exists = rc == CL_OK;
    }
    uint64_t before, after;
    cl_record_id rid;
    int rc = exists ? journal_touch(m, id) : CL_OK;
    if (!rc)
        rc = cl_txn_op_count(m->t, &before);
    if (!rc && !exists && type == CL_T_CONTACT)
        rc = dup_prepare(m);
    if (rc)
        return rc;
    rc = cl_record_put_in(m->t, type, id, a, n, &rid);
    if (rc)
        return imp_fail(m, line, rc);
    if ((rc = cl_txn_op_count(m->t, &after)))
        return rc;
    if (!exists) {
        if ((rc = journal_created(m, &rid)))
            return rc;
        m->res->created++;
    }
    else if (after != before)
        m->res->updated++;
    else
        m->res->unchanged++;
    if (!exists && type == CL_T_CONTACT && (rc = dup_check(m, line, &rid)))
        return rc;
    if ((rc = remember_label(m, type, &rid)))
        return rc;
    if (out)
        *out = rid;
    return CL_OK;
}
