/* Undoing an import: each kept import leaves a journal in the folder's meta
 * table (what it created, and the fields it changed with their values from
 * before), and `undo-import` takes the newest back with ordinary writes that
 * sync like any edit: records it created are deleted, fields it changed get
 * their old values. What was edited after the import (here or on a paired
 * device) is left as it is: an undo never throws away what someone typed.
 *
 * A journal, key "import/" + 8-byte big-endian number (the newest is the
 * greatest; at most JOURNALS are kept):
 *   "CLU1", at (be64 ms), name length (u8), name,
 *   then per record: id (CL_RECORD_ID_LEN), created (u8),
 *     created: the record's last write's hlc then (be64);
 *     else: n (u8), n × { field (u8), hlc of the import's write (be64),
 *           had a value (u8), length (be32), value }.
 * A field the import changed counts as untouched since when its winning
 * write still has the hlc the import gave it and no concurrent write stands
 * beside it (an undo would hide that write: a conflict is shown, not
 * swallowed); a record it created, when its last write is still the
 * import's and none of its fields is in conflict. */
#include "codec/import.h"

#include <stdlib.h>
#include <string.h>

#define JOURNAL_PREFIX "import/"
#define JOURNAL_KEY_LEN (sizeof JOURNAL_PREFIX - 1 + 8)
#define JOURNALS 10

/* ----- finding the journals ----- */

struct journals {
    size_t n;
    uint64_t oldest, newest;
};

static int journal_step(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct journals *j = ctx;
    (void)v, (void)vl;
    if (kl != JOURNAL_KEY_LEN || memcmp(k, JOURNAL_PREFIX, sizeof JOURNAL_PREFIX - 1))
        return CL_OK;
    uint64_t no = cl_be64_get((const unsigned char *)k + sizeof JOURNAL_PREFIX - 1);
    if (!j->n || no < j->oldest)
        j->oldest = no;
    if (!j->n || no > j->newest)
        j->newest = no;
    j->n++;
    return CL_OK;
}

static void journal_key(unsigned char key[JOURNAL_KEY_LEN], uint64_t no)
{
    memcpy(key, JOURNAL_PREFIX, sizeof JOURNAL_PREFIX - 1);
    cl_be64_put(key + sizeof JOURNAL_PREFIX - 1, no);
}

static int find_journals(cl_txn *t, struct journals *j)
{
    memset(j, 0, sizeof *j);
    return cl_txn_kv_each(t, CL_TAB_META, journal_step, j);
}

/* ----- writing one ----- */

static const imp_field_was *was_of(const imp_touched *e, uint8_t field)
{
    for (size_t i = 0; i < e->nwas; i++)
        if (e->was[i].field == field)
            return &e->was[i];
    return NULL;
}

struct changed {
    const imp_touched *e;
    cl_buf *b;
    size_t n;
};

/* A field the import wrote: its hlc now differs from before (or it is new). */
static int changed_step(void *arg, const cl_field_state *st)
{
    struct changed *c = arg;
    const imp_field_was *w = was_of(c->e, st->field);
    if (w && w->hlc == st->hlc)
        return CL_OK;
    unsigned char len[4];
    cl_be32_put(len, w ? w->len : 0);
    cl_buf_put_u8(c->b, st->field);
    cl_buf_put_be64(c->b, st->hlc);
    cl_buf_put_u8(c->b, w != NULL);
    cl_buf_put(c->b, len, 4);
    if (w)
        cl_buf_put(c->b, w->value, w->len);
    c->n++;
    return c->b->err;
}

static int put_record(cl_txn *t, const imp_touched *e, cl_buf *b)
{
    size_t start = b->len;
    cl_buf_put(b, e->id.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, e->created);
    if (e->created) {
        cl_record_meta meta;
        int rc = cl_txn_record(t, &e->id, &meta);
        return rc ? rc : cl_buf_put_be64(b, meta.updated);
    }
    size_t at = b->len;
    cl_buf_put_u8(b, 0);
    struct changed c = {e, b, 0};
    int rc = b->err ? b->err : cl_txn_fields(t, &e->id, changed_step, &c);
    if (rc)
        return rc;
    if (!c.n || c.n > 255)
        b->len = start; /* nothing changed (or beyond a field number: never) */
    else
        b->data[at] = (uint8_t)c.n;
    return CL_OK;
}

int imp_journal_save(imp *m)
{
    if (!m->njournal || (m->o && m->o->dry_run))
        return CL_OK;
    struct journals j;
    int rc = find_journals(m->t, &j);
    cl_buf b = {0};
    size_t name_len = strlen(m->name) > 255 ? 255 : strlen(m->name);
    cl_buf_put(&b, "CLU1", 4);
    cl_buf_put_be64(&b, cl_now_ms());
    cl_buf_put_u8(&b, (uint8_t)name_len);
    cl_buf_put(&b, m->name, name_len);
    size_t head = b.len;
    for (size_t i = 0; !rc && i < m->njournal; i++)
        rc = put_record(m->t, &m->journal[i], &b);
    if (!rc && !b.err && b.len == head) { /* it changed nothing: the last real import stays the one to undo */
        cl_buf_free(&b);
        return CL_OK;
    }
    unsigned char key[JOURNAL_KEY_LEN];
    journal_key(key, j.n ? j.newest + 1 : 1);
    if (!rc && !(rc = b.err))
        rc = cl_txn_kv_put(m->t, CL_TAB_META, key, sizeof key, b.data, b.len);
    /* the oldest goes once there are more than JOURNALS */
    if (!rc && j.n >= JOURNALS) {
        journal_key(key, j.oldest);
        rc = cl_txn_kv_del(m->t, CL_TAB_META, key, sizeof key);
    }
    cl_buf_free(&b);
    return rc;
}

/* ----- taking the newest back ----- */

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static bool take(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    if (out)
        memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static bool take_u8(reader *r, uint8_t *v)
{
    return take(r, v, 1);
}

static bool take_be64(reader *r, uint64_t *v)
{
    unsigned char b[8];
    if (!take(r, b, 8))
        return false;
    *v = cl_be64_get(b);
    return true;
}

static int damaged(void)
{
    return cl_seterr(CL_ECORRUPT, "the journal of the last import is damaged: nothing was undone");
}

/* A record the import created: deleted unless written to since. */
static int undo_created(cl_txn *t, const cl_record_id *id, uint64_t updated, cl_undo_result *res)
{
    cl_record_meta meta;
    int rc = cl_txn_record(t, id, &meta);
    if (rc == CL_ENOTFOUND || (!rc && meta.deleted))
        return CL_OK; /* gone already */
    if (rc)
        return rc;
    if (meta.updated != updated || meta.nconflicts) {
        res->kept++;
        return CL_OK;
    }
    res->deleted++;
    return cl_txn_write(t, id, meta.type, CL_F_DELETED, "1", 1);
}

/* One field the import changed: its old value back unless written since. */
static int undo_field(cl_txn *t, const cl_record_id *id, uint8_t type, reader *r, cl_undo_result *res)
{
    uint8_t field, had;
    uint64_t hlc;
    unsigned char lenb[4];
    if (!take_u8(r, &field) || !take_be64(r, &hlc) || !take_u8(r, &had) || !take(r, lenb, 4))
        return damaged();
    uint32_t len = cl_be32_get(lenb);
    const char *value = (const char *)r->p;
    if (!take(r, NULL, len))
        return damaged();
    cl_field_state st;
    int rc = cl_txn_field(t, id, field, &st);
    if (rc == CL_ENOTFOUND || (!rc && (st.hlc != hlc || st.conflicted))) {
        res->kept++;
        return CL_OK;
    }
    if (rc)
        return rc;
    res->restored++;
    return cl_txn_write(t, id, type, field, had ? value : "", had ? len : 0);
}

static int undo_record(cl_txn *t, reader *r, cl_undo_result *res)
{
    cl_record_id id;
    uint8_t created, n = 0;
    if (!take(r, id.b, CL_RECORD_ID_LEN) || !take_u8(r, &created))
        return damaged();
    if (created) {
        uint64_t updated;
        return take_be64(r, &updated) ? undo_created(t, &id, updated, res) : damaged();
    }
    cl_record_meta meta;
    int rc = take_u8(r, &n) ? cl_txn_record(t, &id, &meta) : damaged();
    for (uint8_t i = 0; !rc && i < n; i++)
        rc = undo_field(t, &id, meta.type, r, res);
    return rc;
}

static int undo_fn(cl_txn *t, void *arg)
{
    cl_undo_result *res = arg;
    struct journals j;
    memset(res, 0, sizeof *res);
    int rc = find_journals(t, &j);
    if (rc)
        return rc;
    if (!j.n)
        return cl_seterr(CL_ENOTFOUND, "no import to undo");
    unsigned char key[JOURNAL_KEY_LEN];
    const void *v;
    size_t vl;
    journal_key(key, j.newest);
    if ((rc = cl_txn_kv_get(t, CL_TAB_META, key, sizeof key, &v, &vl)))
        return rc;
    /* the value points into the map, which the writes below change: a copy */
    unsigned char *copy = malloc(vl ? vl : 1);
    if (!copy)
        return cl_seterr(CL_ENOMEM, "out of memory");
    memcpy(copy, v, vl);
    reader r = {copy, copy + vl};
    uint8_t name_len;
    if (vl < 4 || memcmp(copy, "CLU1", 4) || !take(&r, NULL, 4) || !take_be64(&r, &res->at) ||
        !take_u8(&r, &name_len) || !take(&r, res->name, name_len))
        rc = damaged();
    else
        res->name[name_len] = 0;
    while (!rc && r.p < r.end)
        rc = undo_record(t, &r, res);
    if (!rc)
        rc = cl_txn_kv_del(t, CL_TAB_META, key, sizeof key);
    free(copy);
    return rc;
}

int cl_import_undo(cl_store *s, cl_undo_result *res)
{
    int rc = cl_store_update(s, undo_fn, res);
    if (rc)
        memset(res, 0, sizeof *res);
    return rc;
}
