/* The CRDT: applying one op to the op log, the version vector and the
 * materialized state. docs/merge.md explains the rules implemented here. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

/* ----- version vector, cached per transaction ----- */

static int vv_slot(cl_txn *t, const cl_device_id *origin, vv_entry **out)
{
    for (size_t i = 0; i < t->nvv; i++)
        if (!memcmp(t->vv[i].origin.b, origin->b, CL_DEVICE_ID_LEN)) {
            *out = &t->vv[i];
            return CL_OK;
        }
    if (cl_reserve(&t->vv, &t->capvv, t->nvv + 1, sizeof *t->vv))
        return CL_ENOMEM;
    vv_entry *e = &t->vv[t->nvv];
    MDB_val v;
    int rc = st_get(t, DB_VV, origin->b, CL_DEVICE_ID_LEN, &v);
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    if (!rc && v.mv_size != 8)
        return cl_seterr(CL_ECORRUPT, "stored version vector is damaged");
    e->origin = *origin;
    e->seq = rc ? 0 : cl_be64_get(v.mv_data);
    e->num = 0;
    e->dirty = false;
    t->nvv++;
    *out = e;
    return CL_OK;
}

int st_vv_get(cl_txn *t, const cl_device_id *origin, uint64_t *seq)
{
    vv_entry *e;
    int rc = vv_slot(t, origin, &e);
    if (!rc)
        *seq = e->seq;
    return rc;
}

/* ----- the clock, loaded once per transaction ----- */

static int clock_load(cl_txn *t)
{
    if (t->hlc_loaded)
        return CL_OK;
    MDB_val v;
    int rc = st_get(t, DB_META, "hlc", 3, &v);
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    t->clock.last = (!rc && v.mv_size == 8) ? cl_be64_get(v.mv_data) : 0;
    t->hlc_loaded = true;
    return CL_OK;
}

/* ----- heads: the field's writes that no other write has superseded ----- */

/* A field of a record created in this transaction and not written since is
 * known to be empty without asking LMDB: the common case of a bulk load. */
static bool known_empty(const cl_txn *t, const cl_record_id *rec, uint8_t field)
{
    const record_cache *r = &t->rec;
    return r->loaded && r->fresh && !(r->written & (1ull << field)) && !memcmp(r->id.b, rec->b, CL_RECORD_ID_LEN);
}

int st_heads(cl_txn *t, const cl_record_id *rec, uint8_t field, cl_field_state *cur,
             bool *exists, cl_op_id *heads, size_t *nheads)
{
    unsigned char key[STATE_KEY_LEN];
    MDB_val v;
    *exists = false;
    *nheads = 0;
    if (known_empty(t, rec, field))
        return CL_OK;
    state_key(key, rec, field);
    int rc = st_get(t, DB_STATE, key, sizeof key, &v);
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (rc || (rc = state_decode(t, v.mv_data, v.mv_size, field, cur)))
        return rc;
    *exists = true;
    if (!cur->conflicted) {
        heads[0] = cur->by;
        *nheads = 1;
        return CL_OK;
    }
    MDB_val h;
    if ((rc = st_get(t, DB_HEADS, key, sizeof key, &h)))
        return rc == CL_ENOTFOUND ? cl_seterr(CL_ECORRUPT, "conflict heads missing") : rc;
    return heads_decode(h.mv_data, h.mv_size, heads, nheads);
}

static bool heads_remove(cl_op_id *heads, size_t *n, const cl_op_id *id)
{
    for (size_t i = 0; i < *n; i++)
        if (!opid_cmp(&heads[i], id)) {
            memmove(&heads[i], &heads[i + 1], (*n - i - 1) * sizeof *heads);
            (*n)--;
            return true;
        }
    return false;
}

/* Heads are kept sorted so that every replica stores the same bytes. */
static void heads_insert(cl_op_id *heads, size_t *n, const cl_op_id *id)
{
    size_t i = 0;
    while (i < *n && opid_cmp(&heads[i], id) < 0)
        i++;
    if (*n == HEADS_MAX) { /* a pathological pile of concurrent writes */
        cl_log(CL_LOG_WARN, "more than %d concurrent values of one field: oldest dropped from the conflict list", HEADS_MAX);
        return;
    }
    memmove(&heads[i + 1], &heads[i], (*n - i) * sizeof *heads);
    heads[i] = *id;
    (*n)++;
}

/* (hlc, origin, seq) order: the last-writer-wins rule. */
static int lww_cmp(uint64_t ha, const cl_op_id *a, uint64_t hb, const cl_op_id *b)
{
    if (ha != hb)
        return ha < hb ? -1 : 1;
    return opid_cmp(a, b);
}

static int head_index(const cl_op_id *heads, size_t n, const cl_op_id *id)
{
    for (size_t i = 0; i < n; i++)
        if (!opid_cmp(&heads[i], id))
            return (int)i;
    return -1;
}

/* The head with the greatest (hlc, origin, seq). The new op's stamp and the
 * current winner's (cur, when it is still a head) are known; the others are
 * read from the log, which happens only when the field is in conflict or
 * its winner was superseded. */
static int best_head(cl_txn *t, const cl_op_id *heads, size_t n, const cl_op_id *me, uint64_t me_hlc,
                     const cl_field_state *cur, cl_op_id *best, uint64_t *best_hlc)
{
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        uint64_t h;
        if (!opid_cmp(&heads[i], me)) {
            h = me_hlc;
        } else if (cur && !opid_cmp(&heads[i], &cur->by)) {
            h = cur->hlc;
        } else {
            cl_op op;
            int rc = cl_txn_op(t, &heads[i], &op);
            if (rc)
                return rc == CL_ENOTFOUND ? cl_seterr(CL_ECORRUPT, "a head of a field is missing") : rc;
            h = op.hlc;
        }
        if (!found || lww_cmp(h, &heads[i], *best_hlc, best) > 0) {
            *best = heads[i];
            *best_hlc = h;
            found = true;
        }
    }
    return CL_OK; /* no head at all (cannot happen): the winner stays */
}

/* An op referenced as seen before it arrived: remember it, so that it is not
 * taken for a head when it does arrive. Returns whether op itself was such. */
static int supersede_pending(cl_txn *t, const cl_op *op, const unsigned char skey[STATE_KEY_LEN],
                             cl_op_id *heads, size_t *nheads, bool *superseded)
{
    unsigned char id[OPID_LEN];
    int rc;
    *superseded = false;
    if (t->superseded_count) {
        MDB_val v;
        opid_put(id, &(cl_op_id){op->origin, op->seq});
        rc = st_get(t, DB_SUPERSEDED, id, OPID_LEN, &v);
        if (rc && rc != CL_ENOTFOUND)
            return rc;
        if (!rc) {
            *superseded = true;
            t->superseded_count--;
            if ((rc = st_del(t, DB_SUPERSEDED, id, OPID_LEN, NULL, 0)))
                return rc;
        }
    }
    for (unsigned i = 0; i < op->nseen; i++) {
        if (heads_remove(heads, nheads, &op->seen[i]))
            continue;
        uint64_t known;
        if ((rc = st_vv_get(t, &op->seen[i].origin, &known)))
            return rc;
        if (known >= op->seen[i].seq)
            continue; /* arrived and already superseded */
        opid_put(id, &op->seen[i]);
        if ((rc = st_put(t, DB_SUPERSEDED, id, OPID_LEN, skey, STATE_KEY_LEN, 0)))
            return rc;
        t->superseded_count++;
    }
    return CL_OK;
}

static int put_state(cl_txn *t, const unsigned char key[STATE_KEY_LEN], const unsigned char winner[OP_KEY_LEN],
                     bool conflicted)
{
    unsigned char v[STATE_VAL_LEN];
    state_encode(v, winner, conflicted);
    /* a new record's fields usually come after every existing key */
    return t->rec.fresh ? st_put_tail(t, DB_STATE, key, STATE_KEY_LEN, v, sizeof v, &t->tail[DB_STATE])
                        : st_put(t, DB_STATE, key, STATE_KEY_LEN, v, sizeof v, 0);
}

static int put_heads(cl_txn *t, const unsigned char key[STATE_KEY_LEN], const cl_op_id *heads, size_t n)
{
    unsigned char v[HEADS_MAX * OPID_LEN];
    for (size_t i = 0; i < n; i++)
        opid_put(v + i * OPID_LEN, &heads[i]);
    return st_put(t, DB_HEADS, key, STATE_KEY_LEN, v, n * OPID_LEN, 0);
}

/* Fold op (stored under opkey) into the field's state: heads, winner,
 * conflict flag. Sets *winner_changed when the visible value changed, and
 * *winner to the op that now shows (usually op itself). snap,
 * when not NULL, is the field as the caller just read it in this transaction
 * (a local write). */
static int merge_field(cl_txn *t, const cl_op *op, const unsigned char opkey[OP_KEY_LEN],
                       const field_snapshot *snap, cl_record_meta *meta, bool *winner_changed, cl_op_id *winner)
{
    unsigned char key[STATE_KEY_LEN];
    field_snapshot f;
    bool superseded;
    cl_op_id me = {op->origin, op->seq};
    int rc = CL_OK;
    state_key(key, &op->record, op->field);
    if (snap)
        f = *snap;
    else
        rc = st_heads(t, &op->record, op->field, &f.cur, &f.exists, f.heads, &f.n);
    if (rc || (rc = supersede_pending(t, op, key, f.heads, &f.n, &superseded)))
        return rc;
    cl_field_state cur = f.cur;
    cl_op_id *heads = f.heads;
    size_t n = f.n;
    bool exists = f.exists;
    if (!superseded)
        heads_insert(heads, &n, &me);
    /* Causality first: only heads can win, so an op that saw the winner
     * replaces it whatever the two stamps say; the stamps decide only
     * between writes that did not see each other. */
    cl_op_id best = cur.by;
    uint64_t best_hlc = cur.hlc;
    bool cur_is_head = exists && head_index(heads, n, &cur.by) >= 0;
    if ((rc = best_head(t, heads, n, &me, op->hlc, cur_is_head ? &cur : NULL, &best, &best_hlc)))
        return rc;
    bool op_wins = !opid_cmp(&best, &me);
    bool conflicted = n > 1;
    *winner = best;
    bool was_conflicted = exists && cur.conflicted;
    *winner_changed = op_wins;
    if (op_wins) {
        rc = put_state(t, key, opkey, conflicted);
    } else if (conflicted != was_conflicted || opid_cmp(&best, &cur.by)) {
        unsigned char curkey[OP_KEY_LEN];
        if (!(rc = op_id_key(t, &best, false, curkey)))
            rc = put_state(t, key, curkey, conflicted);
        *winner_changed = opid_cmp(&best, &cur.by) != 0;
    }
    if (rc)
        return rc;
    if (conflicted)
        rc = put_heads(t, key, heads, n);
    else if (was_conflicted)
        rc = st_del(t, DB_HEADS, key, sizeof key, NULL, 0);
    if (conflicted && !was_conflicted)
        meta->nconflicts++;
    else if (!conflicted && was_conflicted && meta->nconflicts)
        meta->nconflicts--;
    return rc;
}

static int check_op(const cl_index_spec *spec, const cl_op *op)
{
    if ((op->type < 1 || op->type > spec->max_type) && op->type != CL_T_SYSTEM)
        return cl_seterr(CL_EPROTO, "op with unknown record type %u", op->type);
    if (op->field > CL_F_LIMIT) /* the model's fields, and a newer version's: kept */
        return cl_seterr(CL_EPROTO, "op with unknown field %u", op->field);
    if (op->nseen > CL_MAX_SEEN || op->value_len > CL_MAX_VALUE)
        return cl_seterr(CL_EPROTO, "op over the size limits");
    if (op->seq == 0)
        return cl_seterr(CL_EPROTO, "op with seq 0");
    if (cl_hlc_ms(op->hlc) > CL_HLC_MAX_MS)
        return cl_seterr(CL_EPROTO, "op stamped after the year 9999");
    return CL_OK;
}

/* The record id a reference field holds before op is merged ("" when none,
 * or when it holds something else): the reference index moves from it. */
static int ref_before(cl_txn *t, const cl_op *op, const field_snapshot *snap, char out[CL_RECORD_ID_TEXT])
{
    cl_field_state st;
    int rc = snap ? (snap->exists ? CL_OK : CL_ENOTFOUND) : cl_txn_field(t, &op->record, op->field, &st);
    if (snap && !rc)
        st = snap->cur;
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    if (st.value_len == CL_RECORD_ID_TEXT - 1) {
        memcpy(out, st.value, st.value_len);
        out[st.value_len] = 0;
    }
    return CL_OK;
}

/* Fold op, stored in the log under key, into the state of its record:
 * the field's heads and winner, the record's entry and the indexes. */
static int fold_op(cl_txn *t, const cl_op *op, const unsigned char key[OP_KEY_LEN], const field_snapshot *snap)
{
    cl_record_meta *meta;
    int rc = idx_touch(t, &op->record, op, &meta);
    if (rc)
        return rc;
    char was_ref[CL_RECORD_ID_TEXT] = "";
    if (idx_is_ref(t, op->type, op->field) && (rc = ref_before(t, op, snap, was_ref)))
        return rc;
    bool changed = false;
    cl_op_id won;
    if ((rc = merge_field(t, op, key, snap, meta, &changed, &won)))
        return rc;
    /* An op that arrives after an op that saw it can take the winner's place
     * from another head (never its own): derived data then follows that one. */
    const cl_op *shown = op;
    cl_op other;
    if (changed && (won.seq != op->seq || memcmp(won.origin.b, op->origin.b, CL_DEVICE_ID_LEN))) {
        if ((rc = cl_txn_op(t, &won, &other)))
            return rc;
        shown = &other;
        t->rec.search_from_state = true;
    }
    if (changed && (rc = idx_ref_moved(t, &op->record, op->type, op->field, was_ref, strlen(was_ref),
                                       shown->value, shown->value_len)))
        return rc;
    if ((rc = idx_ref_written(t, &op->record, op->type, op->field, op->value, op->value_len)))
        return rc;
    bool first_write = !(t->rec.written & (1ull << op->field));
    t->rec.written |= 1ull << op->field;
    if (op->hlc > meta->updated)
        meta->updated = op->hlc;
    if (!meta->created || op->hlc < meta->created)
        meta->created = op->hlc;
    t->rec.dirty = true;
    if (changed) {
        if (op->field == CL_F_DELETED)
            meta->deleted = shown->value_len == 1 && shown->value[0] == '1';
        bool searchable = idx_searchable(t, op->type, op->field);
        if (searchable && t->rec.fresh && first_write && !t->rec.search_from_state) {
            /* a new record's text grows field by field: no need to read it back */
            if (op->value_len && ((rc = cl_fold(&t->search_text, op->value, op->value_len)) ||
                                  (rc = cl_buf_put_u8(&t->search_text, '\n'))))
                return rc;
        } else if (searchable) {
            t->rec.search_from_state = true;
        }
        if (searchable || op->field == CL_F_DELETED)
            t->rec.search_dirty = true;
        if (idx_orders_depend(t, op->type, op->field))
            t->rec.orders_dirty = true;
    }
    return CL_OK;
}

int st_fold(cl_txn *t, const cl_op *op)
{
    unsigned char key[OP_KEY_LEN];
    int rc = op_id_key(t, &(cl_op_id){op->origin, op->seq}, false, key);
    return rc ? rc : fold_op(t, op, key, NULL);
}

int st_vv_set(cl_txn *t, const cl_device_id *origin, uint64_t seq)
{
    vv_entry *vv;
    int rc = vv_slot(t, origin, &vv);
    if (!rc) {
        vv->seq = seq;
        vv->dirty = true;
    }
    return rc;
}

static int apply_op(cl_txn *t, const cl_op *op, const field_snapshot *snap, bool *applied)
{
    vv_entry *vv;
    int rc = vv_slot(t, &op->origin, &vv);
    if (rc)
        return rc;
    *applied = false;
    if (op->seq <= vv->seq)
        return CL_OK; /* known already: applying twice changes nothing */
    if (op->seq != vv->seq + 1)
        return cl_seterr(CL_EPROTO, "op %llu of an origin arrived before op %llu",
                         (unsigned long long)op->seq, (unsigned long long)vv->seq + 1);
    if ((rc = check_op(&t->s->spec, op)) || (op->type == CL_T_SYSTEM && (rc = st_system_check(t, op))))
        return rc;
    if (!vv->num && (rc = st_origin_num(t, &op->origin, true, &vv->num)))
        return rc;
    unsigned char key[OP_KEY_LEN];
    op_key(key, vv->num, op->seq);
    if ((rc = op_encode(t, &t->enc, op)) ||
        (rc = st_put_tail(t, DB_OPS, key, sizeof key, t->enc.data, t->enc.len, &t->tail[DB_OPS])) ||
        (rc = fold_op(t, op, key, snap)))
        return rc;
    /* vv_slot may have moved the array: look the entry up again */
    if ((rc = vv_slot(t, &op->origin, &vv)))
        return rc;
    vv->seq = op->seq;
    vv->dirty = true;
    *applied = true;
    return op->type == CL_T_SYSTEM ? st_revocation_applied(t, op) : CL_OK;
}

int st_apply_unclocked(cl_txn *t, const cl_op *op, bool *applied)
{
    int rc = clock_load(t);
    return rc ? rc : apply_op(t, op, NULL, applied);
}

int st_observe(cl_txn *t, uint64_t hlc)
{
    int rc = clock_load(t);
    if (rc)
        return rc;
    uint64_t before = t->clock.last;
    cl_hlc_observe(&t->clock, hlc, cl_now_ms());
    t->hlc_dirty |= t->clock.last != before;
    return CL_OK;
}

int cl_txn_apply(cl_txn *t, const cl_op *op, bool *applied)
{
    bool dummy;
    int rc = st_apply_unclocked(t, op, applied ? applied : &dummy);
    return rc ? rc : st_observe(t, op->hlc);
}

struct apply_batch {
    const cl_op *ops;
    size_t n, applied;
};

static int apply_batch_fn(cl_txn *t, void *arg)
{
    struct apply_batch *b = arg;
    b->applied = 0;
    for (size_t i = 0; i < b->n; i++) {
        bool applied;
        int rc = cl_txn_apply(t, &b->ops[i], &applied);
        if (rc)
            return rc;
        b->applied += applied;
    }
    return CL_OK;
}

int cl_store_apply(cl_store *s, const cl_op *ops, size_t n, size_t *applied)
{
    struct apply_batch b = {ops, n, 0};
    int rc = cl_store_update(s, apply_batch_fn, &b);
    if (applied)
        *applied = rc ? 0 : b.applied;
    return rc;
}

int cl_txn_write(cl_txn *t, const cl_record_id *record, uint8_t type,
                 uint8_t field, const char *value, size_t len)
{
    cl_record_meta *meta;
    cl_op op = {.record = *record, .type = type, .field = field, .value = value, .value_len = (uint32_t)len};
    if (len > CL_MAX_VALUE)
        return cl_seterr(CL_EINVAL, "value longer than %d bytes", CL_MAX_VALUE);
    int rc = cl_txn_current_writer(t, &op.origin);
    if (!rc)
        rc = idx_touch(t, record, &op, &meta);
    if (rc)
        return rc;
    if (meta->type && meta->type != type)
        return cl_seterr(CL_EINVAL, "record type mismatch");
    field_snapshot f;
    if ((rc = st_heads(t, record, field, &f.cur, &f.exists, f.heads, &f.n)) || (rc = clock_load(t)))
        return rc;
    const cl_field_state *cur = &f.cur;
    if (f.exists && !cur->conflicted && cur->value_len == len && !memcmp(cur->value, value, len))
        return CL_OK; /* the field already says so: nothing to record */
    if (!f.exists && len == 0)
        return CL_OK;
    op.nseen = (uint8_t)(f.n > CL_MAX_SEEN ? CL_MAX_SEEN : f.n);
    memcpy(op.seen, f.heads, op.nseen * sizeof *f.heads);
    uint64_t now = cl_now_ms();
    op.hlc = cl_hlc_tick(&t->clock, now);
    t->hlc_dirty = true;
    /* Causality alone makes this write replace what its author saw; stamping
     * it above that value too (without moving the clock) keeps history in
     * order when a clock ran ahead — within the clock bound only, so that no
     * stamp, however large, is ever pushed up to overflow. */
    if (f.exists && op.hlc <= cur->hlc && cl_hlc_ms(cur->hlc) <= now + CL_HLC_MAX_AHEAD_MS)
        op.hlc = cur->hlc + 1;
    uint64_t seq;
    if ((rc = st_vv_get(t, &op.origin, &seq)))
        return rc;
    op.seq = seq + 1;
    bool applied;
    return apply_op(t, &op, &f, &applied);
}
