/* Derived data kept in step with the state: the record table, records by
 * type, and the indexes the model's spec describes (the search text, the
 * reference index, the ordered indexes). Rebuilt once per record per run of
 * consecutive ops touching it (see record_cache); rebuilt from the state
 * when a folder was last indexed under another spec. */
#include "store/internal.h"

#include <string.h>

#define REC_FIXED 22 /* type(1) flags(1) created(8) updated(8) nconflicts(4), then the ordered keys */

void idx_spec_set(cl_store *s, const cl_index_spec *spec)
{
    s->spec = *spec;
    if (s->spec.norders > CL_ORDER_MAX)
        s->spec.norders = CL_ORDER_MAX;
    for (size_t i = 0; i < s->spec.norders; i++) {
        const cl_order_spec *o = &s->spec.orders[i];
        if (o->type < CL_INDEX_TYPES)
            s->order_deps[o->type] |= 1ull << o->field | 1ull << o->unless_field | 1ull << CL_F_DELETED;
    }
}

bool idx_searchable(const cl_txn *t, uint8_t type, uint8_t field)
{
    return type < CL_INDEX_TYPES && field <= CL_F_LIMIT && (t->s->spec.search[type] >> field & 1);
}

bool idx_orders_depend(const cl_txn *t, uint8_t type, uint8_t field)
{
    return type < CL_INDEX_TYPES && field <= CL_F_LIMIT && (t->s->order_deps[type] >> field & 1);
}

bool idx_is_ref(const cl_txn *t, uint8_t type, uint8_t field)
{
    return type < CL_INDEX_TYPES && field <= CL_F_LIMIT && (t->s->spec.refs[type] >> field & 1);
}

static const cl_order_spec *order_of(const cl_txn *t, size_t i)
{
    return &t->s->spec.orders[i];
}

static int record_decode(cl_txn *t, const void *v, size_t vl, cl_record_meta *m, order_keys *keys)
{
    const unsigned char *p = v;
    if (vl < REC_FIXED)
        return cl_seterr(CL_ECORRUPT, "stored record entry is damaged");
    m->type = p[0];
    m->deleted = p[1] & 1;
    m->created = cl_be64_get(p + 2);
    m->updated = cl_be64_get(p + 10);
    m->nconflicts = cl_be32_get(p + 18);
    if (!keys)
        return CL_OK;
    keys->n = 0;
    for (size_t off = REC_FIXED; off < vl;) {
        uint8_t i = p[off];
        if (i >= t->s->spec.norders || keys->n == CL_ORDER_MAX || off + 1 + order_of(t, i)->key_len > vl)
            return cl_seterr(CL_ECORRUPT, "stored record entry is damaged");
        keys->order[keys->n] = i;
        memcpy(keys->key[keys->n++], p + off + 1, order_of(t, i)->key_len);
        off += 1 + order_of(t, i)->key_len;
    }
    return CL_OK;
}

int st_record_get(cl_txn *t, const cl_record_id *id, cl_record_meta *m, order_keys *keys)
{
    MDB_val v;
    int rc = st_get(t, DB_RECORDS, id->b, CL_RECORD_ID_LEN, &v);
    if (rc)
        return rc;
    return record_decode(t, v.mv_data, v.mv_size, m, keys);
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
    rc = st_record_get(t, id, &rc_->meta, &rc_->keys);
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
        if (!err && idx_searchable(t, t->rec.meta.type, field) && st.value_len) {
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

/* ----- ordered indexes: key order(1) key(key_len) record(16) ----- */

static size_t order_entry(unsigned char *k, uint8_t order, const unsigned char *key, size_t key_len,
                          const cl_record_id *id)
{
    k[0] = order;
    memcpy(k + 1, key, key_len);
    memcpy(k + 1 + key_len, id->b, CL_RECORD_ID_LEN);
    return 1 + key_len + CL_RECORD_ID_LEN;
}

/* The key of record id in order o, from its state; *in false: not in it. */
static int order_key(cl_txn *t, const cl_record_id *id, const cl_order_spec *o, unsigned char *key, bool *in)
{
    cl_field_state st;
    int rc = CL_OK;
    *in = !t->rec.meta.deleted;
    if (*in && o->unless_field && !(rc = cl_txn_field(t, id, o->unless_field, &st)))
        for (size_t i = 0; *in && i < CL_ORDER_UNLESS_MAX && o->unless_values[i]; i++)
            *in = !(st.value_len == strlen(o->unless_values[i]) && !memcmp(st.value, o->unless_values[i], st.value_len));
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    rc = *in ? cl_txn_field(t, id, o->field, &st) : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND || (!rc && !st.value_len)) {
        *in = false;
        return CL_OK;
    }
    if (rc)
        return rc;
    memset(key, 0, o->key_len);
    if (o->key) {
        int k = o->key(st.value, st.value_len, key);
        if (k < 0)
            return k;
        *in = k > 0;
    } else if ((*in = st.value_len >= o->key_len))
        memcpy(key, st.value, o->key_len);
    return CL_OK;
}

static const unsigned char *keys_find(const order_keys *k, uint8_t order)
{
    for (uint8_t i = 0; i < k->n; i++)
        if (k->order[i] == order)
            return k->key[i];
    return NULL;
}

/* Every ordered index of the record's type: move its entry to the key its
 * state gives now. */
static int rebuild_orders(cl_txn *t, const cl_record_id *id)
{
    record_cache *r = &t->rec;
    order_keys now = {0};
    for (uint8_t i = 0; i < t->s->spec.norders; i++) {
        const cl_order_spec *o = order_of(t, i);
        if (o->type != r->meta.type)
            continue;
        const unsigned char *was = keys_find(&r->keys, i);
        /* none of the fields it is made of written since the record was
         * loaded: its key stands (a contact's name written, its birthday's
         * order is not asked about) */
        uint64_t deps = 1ull << o->field | 1ull << o->unless_field | 1ull << CL_F_DELETED;
        if (!(r->written & deps)) {
            if (was) {
                now.order[now.n] = i;
                memcpy(now.key[now.n++], was, o->key_len);
            }
            continue;
        }
        unsigned char key[CL_ORDER_KEY_MAX], k[1 + CL_ORDER_KEY_MAX + CL_RECORD_ID_LEN];
        bool in;
        int rc = order_key(t, id, o, key, &in);
        if (rc)
            return rc;
        if (was && in && !memcmp(was, key, o->key_len)) {
            now.order[now.n] = i;
            memcpy(now.key[now.n++], key, o->key_len);
            continue;
        }
        if (was && (rc = st_del(t, DB_ORDERS, k, order_entry(k, i, was, o->key_len, id), NULL, 0)))
            return rc;
        if (in && (rc = st_put(t, DB_ORDERS, k, order_entry(k, i, key, o->key_len, id), "", 0, 0)))
            return rc;
        if (in) {
            now.order[now.n] = i;
            memcpy(now.key[now.n++], key, o->key_len);
        }
        r->dirty = true;
    }
    r->keys = now;
    return CL_OK;
}

/* ----- the reference index: key target(16) referrer(16) field(1) -----
 * The value says which: REF_NOW (empty), the field's winner is target's id;
 * REF_ONCE, an op wrote target's id there and the field holds another value
 * now (a contact who moved to another company). Both follow from the set of
 * ops and the winner, so every device that holds the same ops has the same
 * index, whatever the order the ops came in. */
#define REF_ONCE "f"


static void refs_key(unsigned char k[REFS_KEY_LEN], const cl_record_id *target, const cl_record_id *rec,
                     uint8_t field)
{
    memcpy(k, target->b, CL_RECORD_ID_LEN);
    memcpy(k + CL_RECORD_ID_LEN, rec->b, CL_RECORD_ID_LEN);
    k[2 * CL_RECORD_ID_LEN] = field;
}

/* A value that is a record id: only those are indexed (the model checks
 * the rest; a newer version's value of another shape is kept, not indexed). */
static bool ref_target(const char *v, size_t len, cl_record_id *id)
{
    char text[CL_RECORD_ID_TEXT];
    if (len != CL_RECORD_ID_TEXT - 1)
        return false;
    memcpy(text, v, len);
    text[len] = 0;
    return !cl_record_id_parse(text, id);
}

int idx_ref_moved(cl_txn *t, const cl_record_id *rec, uint8_t type, uint8_t field,
                  const char *from, size_t from_len, const char *to, size_t to_len)
{
    if (!idx_is_ref(t, type, field) || (from_len == to_len && !memcmp(from, to, to_len)))
        return CL_OK;
    unsigned char k[REFS_KEY_LEN];
    cl_record_id target;
    int rc = CL_OK;
    if (ref_target(from, from_len, &target)) {
        refs_key(k, &target, rec, field);
        rc = st_put(t, DB_REFS, k, sizeof k, REF_ONCE, 1, 0);
    }
    if (!rc && ref_target(to, to_len, &target)) {
        refs_key(k, &target, rec, field);
        rc = st_put(t, DB_REFS, k, sizeof k, "", 0, 0);
    }
    return rc;
}

int idx_ref_written(cl_txn *t, const cl_record_id *rec, uint8_t type, uint8_t field, const char *value,
                    size_t len)
{
    unsigned char k[REFS_KEY_LEN];
    cl_record_id target;
    MDB_val v;
    if (!idx_is_ref(t, type, field) || !ref_target(value, len, &target))
        return CL_OK;
    refs_key(k, &target, rec, field);
    int rc = st_get(t, DB_REFS, k, sizeof k, &v);
    return rc == CL_ENOTFOUND ? st_put(t, DB_REFS, k, sizeof k, REF_ONCE, 1, 0) : rc;
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
    if (!rc && r->orders_dirty)
        rc = rebuild_orders(t, &r->id);
    if (!rc && !r->nconflicts_loaded != !r->meta.nconflicts)
        rc = r->meta.nconflicts ? st_put(t, DB_CONFLICTED, r->id.b, CL_RECORD_ID_LEN, "", 0, 0)
                                : st_del(t, DB_CONFLICTED, r->id.b, CL_RECORD_ID_LEN, NULL, 0);
    if (!rc && r->dirty) {
        unsigned char v[REC_FIXED + CL_ORDER_MAX * (1 + CL_ORDER_KEY_MAX)];
        v[0] = r->meta.type;
        v[1] = r->meta.deleted ? 1 : 0;
        cl_be64_put(v + 2, r->meta.created);
        cl_be64_put(v + 10, r->meta.updated);
        cl_be32_put(v + 18, r->meta.nconflicts);
        size_t vl = REC_FIXED;
        for (uint8_t i = 0; i < r->keys.n; i++) {
            size_t kl = order_of(t, r->keys.order[i])->key_len;
            v[vl] = r->keys.order[i];
            memcpy(v + vl + 1, r->keys.key[i], kl);
            vl += 1 + kl;
        }
        rc = r->fresh ? st_put_tail(t, DB_RECORDS, r->id.b, CL_RECORD_ID_LEN, v, vl, &t->tail[DB_RECORDS])
                      : st_put(t, DB_RECORDS, r->id.b, CL_RECORD_ID_LEN, v, vl, 0);
    }
    r->loaded = false;
    return rc;
}

/* Take a record out of every table derived from its ops (its entry, the
 * type, search, order and conflict indexes, and the references of values
 * ops wrote into it: refs names each (type, field, value) given); its ops
 * stay in the log. Used to merge a record again from fewer ops (revoke.c). */
int idx_forget(cl_txn *t, const cl_record_id *id, const cl_op *refs, size_t nrefs)
{
    int rc = idx_flush(t);
    if (rc)
        return rc;
    cl_record_meta m;
    order_keys keys;
    if ((rc = st_record_get(t, id, &m, &keys)))
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    unsigned char k[1 + CL_ORDER_KEY_MAX + CL_RECORD_ID_LEN];
    for (uint8_t i = 0; !rc && i < keys.n; i++)
        rc = st_del(t, DB_ORDERS, k, order_entry(k, keys.order[i], keys.key[i], order_of(t, keys.order[i])->key_len, id),
                    NULL, 0);
    k[0] = m.type;
    memcpy(k + 1, id->b, CL_RECORD_ID_LEN);
    if (!rc)
        rc = st_del(t, DB_BYTYPE, k, 1 + CL_RECORD_ID_LEN, NULL, 0);
    if (!rc)
        rc = st_del(t, DB_SEARCH, id->b, CL_RECORD_ID_LEN, NULL, 0);
    if (!rc)
        rc = st_del(t, DB_CONFLICTED, id->b, CL_RECORD_ID_LEN, NULL, 0);
    if (!rc)
        rc = st_del(t, DB_RECORDS, id->b, CL_RECORD_ID_LEN, NULL, 0);
    for (size_t i = 0; !rc && i < nrefs; i++) {
        cl_record_id target;
        unsigned char rk[REFS_KEY_LEN];
        if (!idx_is_ref(t, refs[i].type, refs[i].field) || !ref_target(refs[i].value, refs[i].value_len, &target))
            continue;
        refs_key(rk, &target, id, refs[i].field);
        rc = st_del(t, DB_REFS, rk, sizeof rk, NULL, 0);
    }
    return rc;
}

/* ----- the spec a folder is indexed under (meta "indexed") ----- */

static int spec_print(const cl_index_spec *sp, unsigned char out[CL_SHA256_LEN])
{
    cl_buf b = {0};
    const char *name = sp->name ? sp->name : "";
    int rc = cl_buf_put(&b, name, strlen(name) + 1);
    if (!rc) rc = cl_buf_put_u8(&b, sp->max_type);
    for (size_t i = 0; !rc && i < CL_INDEX_TYPES; i++)
        if (!(rc = cl_buf_put_be64(&b, sp->search[i])))
            rc = cl_buf_put_be64(&b, sp->refs[i]);
    for (size_t i = 0; !rc && i < sp->norders; i++) {
        const cl_order_spec *o = &sp->orders[i];
        unsigned char fixed[5] = {o->type, o->field, o->unless_field, o->key_len, o->key != NULL};
        rc = cl_buf_put(&b, fixed, sizeof fixed);
        for (size_t k = 0; !rc && k < CL_ORDER_UNLESS_MAX; k++) {
            const char *unless = o->unless_values[k] ? o->unless_values[k] : "";
            rc = cl_buf_put(&b, unless, strlen(unless) + 1);
        }
    }
    if (!rc)
        cl_sha256(b.data, b.len, out);
    cl_buf_free(&b);
    return rc;
}

int idx_check(cl_txn *t, bool *current)
{
    unsigned char want[CL_SHA256_LEN];
    MDB_val v;
    int rc = spec_print(&t->s->spec, want);
    if (!rc)
        rc = st_get(t, DB_META, "indexed", 7, &v);
    *current = !rc && v.mv_size == sizeof want && !memcmp(v.mv_data, want, sizeof want);
    return rc == CL_ENOTFOUND ? CL_OK : rc;
}

/* The first record after `after` (NULL: the first of all), its meta only:
 * entries written under another spec keep keys this one cannot read. */
static int next_record(cl_txn *t, const cl_record_id *after, cl_record_id *id, cl_record_meta *m)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_RECORDS], &c);
    if (rc)
        return st_err(t, rc, "records");
    MDB_val k = {CL_RECORD_ID_LEN, after ? (void *)after->b : NULL}, v;
    rc = mdb_cursor_get(c, &k, &v, after ? MDB_SET_RANGE : MDB_FIRST);
    if (!rc && after && k.mv_size == CL_RECORD_ID_LEN && !memcmp(k.mv_data, after->b, CL_RECORD_ID_LEN))
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    int err = rc ? st_err(t, rc, "records") : k.mv_size != CL_RECORD_ID_LEN
                                                  ? cl_seterr(CL_ECORRUPT, "stored record entry is damaged")
                                                  : record_decode(t, v.mv_data, v.mv_size, m, NULL);
    if (!err)
        memcpy(id->b, k.mv_data, CL_RECORD_ID_LEN);
    mdb_cursor_close(c);
    return err;
}

struct refs_ctx {
    cl_txn *t;
    const cl_record_id *id;
    uint8_t type;
};

static int index_ref(void *arg, const cl_field_state *st)
{
    struct refs_ctx *c = arg;
    return idx_ref_moved(c->t, c->id, c->type, st->field, "", 0, st->value, st->value_len);
}

/* After the winners: the values the record's ops ever wrote. */
static int index_ref_once(void *arg, const cl_op *op)
{
    struct refs_ctx *c = arg;
    return idx_ref_written(c->t, c->id, c->type, op->field, op->value, op->value_len);
}

int idx_rebuild(cl_txn *t)
{
    static const int derived[] = {DB_SEARCH, DB_ORDERS, DB_REFS};
    int rc = idx_flush(t);
    for (size_t i = 0; !rc && i < sizeof derived / sizeof derived[0]; i++)
        if ((rc = mdb_drop(t->txn, t->s->dbi[derived[i]], 0)))
            rc = st_err(t, rc, "re-index");
    cl_record_id id;
    cl_record_meta m;
    size_t n = 0;
    while (!rc && !(rc = next_record(t, n ? &id : NULL, &id, &m))) {
        struct refs_ctx c = {t, &id, m.type};
        if ((rc = cl_txn_fields(t, &id, index_ref, &c)) ||
            (t->s->spec.refs[m.type < CL_INDEX_TYPES ? m.type : 0] && (rc = cl_txn_history(t, &id, index_ref_once, &c))))
            break;
        record_cache *r = &t->rec;
        memset(r, 0, sizeof *r);
        cl_buf_reset(&t->search_text);
        r->id = id;
        r->meta = m;
        r->nconflicts_loaded = m.nconflicts;
        r->loaded = r->dirty = r->search_dirty = r->orders_dirty = true;
        r->written = ~0ull; /* every order asked anew */
        rc = idx_flush(t);
        n++;
    }
    if (rc == CL_ENOTFOUND)
        rc = CL_OK;
    unsigned char print[CL_SHA256_LEN];
    if (!rc && !(rc = spec_print(&t->s->spec, print)))
        rc = st_put(t, DB_META, "indexed", 7, print, sizeof print, 0);
    if (!rc && n)
        cl_log(CL_LOG_INFO, "indexed %zu records for this version", n);
    return rc;
}
