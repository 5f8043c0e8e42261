/* Derived data kept in step with the state: the record table, records by
 * type, the search text and the due-task index. Rebuilt once per record per
 * run of consecutive ops touching it (see record_cache). */
#include "store/internal.h"

#include <string.h>

#define REC_FIXED 22 /* type(1) flags(1) created(8) updated(8) nconflicts(4) */

bool idx_searchable(uint8_t field)
{
    switch (field) {
    case CL_F_NAME: case CL_F_INDUSTRY: case CL_F_WEBSITE: case CL_F_EMAIL: case CL_F_PHONE:
    case CL_F_ADDRESS: case CL_F_NOTES: case CL_F_TAGS: case CL_F_TITLE: case CL_F_SUMMARY:
    case CL_F_CITY:
        return true;
    }
    return false;
}

static int record_decode(const void *v, size_t vl, cl_record_meta *m, char due[DUE_LEN + 1])
{
    const unsigned char *p = v;
    if (vl != REC_FIXED && vl != REC_FIXED + DUE_LEN)
        return cl_seterr(CL_ECORRUPT, "stored record entry is damaged");
    m->type = p[0];
    m->deleted = p[1] & 1;
    m->created = cl_be64_get(p + 2);
    m->updated = cl_be64_get(p + 10);
    m->nconflicts = cl_be32_get(p + 18);
    due[0] = 0;
    if (vl > REC_FIXED) {
        memcpy(due, p + REC_FIXED, DUE_LEN);
        due[DUE_LEN] = 0;
    }
    return CL_OK;
}

int st_record_get(cl_txn *t, const cl_record_id *id, cl_record_meta *m, char due[DUE_LEN + 1])
{
    MDB_val v;
    int rc = st_get(t, DB_RECORDS, id->b, CL_RECORD_ID_LEN, &v);
    if (rc)
        return rc;
    return record_decode(v.mv_data, v.mv_size, m, due);
}

int idx_touch(cl_txn *t, const cl_record_id *id, const cl_op *op, cl_record_meta **meta)
{
    record_cache *rc_ = &t->rec;
    if (rc_->loaded && !memcmp(rc_->id.b, id->b, CL_RECORD_ID_LEN)) {
        *meta = &rc_->meta;
        if (rc_->meta.type != op->type)
            return cl_seterr(CL_EPROTO, "op for a record of another type");
        return CL_OK;
    }
    int rc = idx_flush(t);
    if (rc)
        return rc;
    memset(rc_, 0, sizeof *rc_);
    cl_buf_reset(&t->search_text);
    rc_->id = *id;
    rc = st_record_get(t, id, &rc_->meta, rc_->due);
    rc_->nconflicts_loaded = rc ? 0 : rc_->meta.nconflicts;
    if (rc == CL_ENOTFOUND) {
        rc_->meta.type = op->type;
        rc_->dirty = true; /* a new record: enters the type index at flush */
        rc_->fresh = true;
        unsigned char k[1 + CL_RECORD_ID_LEN];
        k[0] = op->type;
        memcpy(k + 1, id->b, CL_RECORD_ID_LEN);
        rc = st_put_tail(t, DB_BYTYPE, k, sizeof k, "", 0, &t->tail[DB_BYTYPE]);
    } else if (!rc && rc_->meta.type != op->type) {
        rc = cl_seterr(CL_EPROTO, "op for a record of another type");
    }
    if (rc)
        return rc;
    rc_->loaded = true;
    *meta = &rc_->meta;
    return CL_OK;
}

static int rebuild_search(cl_txn *t, const cl_record_id *id)
{
    cl_buf text = {0};
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_STATE], &c);
    if (rc)
        return st_err(t, rc, "state");
    unsigned char key[STATE_KEY_LEN];
    state_key(key, id, 0);
    MDB_val k = {sizeof key, key}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    int err = CL_OK;
    while (!rc && !err && k.mv_size == STATE_KEY_LEN && !memcmp(k.mv_data, id->b, CL_RECORD_ID_LEN)) {
        cl_field_state st;
        uint8_t field = ((unsigned char *)k.mv_data)[CL_RECORD_ID_LEN];
        err = state_decode(t, v.mv_data, v.mv_size, field, &st);
        if (!err && idx_searchable(field) && st.value_len) {
            err = cl_fold(&text, st.value, st.value_len);
            if (!err)
                err = cl_buf_put_u8(&text, '\n');
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = st_err(t, rc, "state");
    if (!err)
        err = t->rec.meta.deleted || !text.len
                  ? st_del(t, DB_SEARCH, id->b, CL_RECORD_ID_LEN, NULL, 0)
                  : st_put(t, DB_SEARCH, id->b, CL_RECORD_ID_LEN, text.data, text.len, 0);
    cl_buf_free(&text);
    return err;
}

static void due_key(unsigned char k[DUE_LEN + CL_RECORD_ID_LEN], const char *due, const cl_record_id *id)
{
    memcpy(k, due, DUE_LEN);
    memcpy(k + DUE_LEN, id->b, CL_RECORD_ID_LEN);
}

/* An open task with a due date is in the due index under its date. */
static int rebuild_due(cl_txn *t, const cl_record_id *id)
{
    record_cache *r = &t->rec;
    char due[DUE_LEN + 1] = "";
    cl_field_state st;
    int rc = CL_OK;
    bool open = !r->meta.deleted;
    if (open && !(rc = cl_txn_field(t, id, CL_F_DONE, &st)))
        open = !(st.value_len == 4 && !memcmp(st.value, "true", 4));
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    rc = open ? cl_txn_field(t, id, CL_F_DUE, &st) : CL_ENOTFOUND;
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    if (!rc && st.value_len >= DUE_LEN) {
        memcpy(due, st.value, DUE_LEN);
        due[DUE_LEN] = 0;
    }
    if (!strcmp(due, r->due))
        return CL_OK;
    unsigned char k[DUE_LEN + CL_RECORD_ID_LEN];
    if (r->due[0]) {
        due_key(k, r->due, id);
        if ((rc = st_del(t, DB_DUE, k, sizeof k, NULL, 0)))
            return rc;
    }
    if (due[0]) {
        due_key(k, due, id);
        if ((rc = st_put(t, DB_DUE, k, sizeof k, "", 0, 0)))
            return rc;
    }
    memcpy(r->due, due, sizeof due);
    r->dirty = true;
    return CL_OK;
}

int idx_flush(cl_txn *t)
{
    record_cache *r = &t->rec;
    if (!r->loaded)
        return CL_OK;
    int rc = CL_OK;
    if (r->search_dirty && r->fresh && !r->search_from_state)
        rc = r->meta.deleted || !t->search_text.len
                 ? st_del(t, DB_SEARCH, r->id.b, CL_RECORD_ID_LEN, NULL, 0)
                 : st_put_tail(t, DB_SEARCH, r->id.b, CL_RECORD_ID_LEN, t->search_text.data, t->search_text.len,
                               &t->tail[DB_SEARCH]);
    else if (r->search_dirty)
        rc = rebuild_search(t, &r->id);
    if (!rc && r->due_dirty)
        rc = rebuild_due(t, &r->id);
    if (!rc && !r->nconflicts_loaded != !r->meta.nconflicts)
        rc = r->meta.nconflicts ? st_put(t, DB_CONFLICTED, r->id.b, CL_RECORD_ID_LEN, "", 0, 0)
                                : st_del(t, DB_CONFLICTED, r->id.b, CL_RECORD_ID_LEN, NULL, 0);
    if (!rc && r->dirty) {
        unsigned char v[REC_FIXED + DUE_LEN];
        v[0] = r->meta.type;
        v[1] = r->meta.deleted ? 1 : 0;
        cl_be64_put(v + 2, r->meta.created);
        cl_be64_put(v + 10, r->meta.updated);
        cl_be32_put(v + 18, r->meta.nconflicts);
        memcpy(v + REC_FIXED, r->due, DUE_LEN);
        size_t vl = REC_FIXED + (r->due[0] ? DUE_LEN : 0);
        rc = r->fresh ? st_put_tail(t, DB_RECORDS, r->id.b, CL_RECORD_ID_LEN, v, vl, &t->tail[DB_RECORDS])
                      : st_put(t, DB_RECORDS, r->id.b, CL_RECORD_ID_LEN, v, vl, 0);
    }
    r->loaded = false;
    return rc;
}
