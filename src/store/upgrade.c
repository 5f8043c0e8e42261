/* Bringing a folder written by an older clientele to the current schema, in
 * the one write transaction that opens it (store.c: init_meta): a crash or a
 * full disk leaves the folder as it was, and the next open tries again. */
#include "store/internal.h"

#include <string.h>

/* Run fn over every entry of the database dbi. */
static int each_entry(cl_txn *t, MDB_dbi dbi, int (*fn)(cl_txn *t, MDB_val *k, MDB_val *v))
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, dbi, &c);
    if (rc)
        return st_err(t, rc, "upgrade");
    MDB_val k, v;
    int err = CL_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !err; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        err = fn(t, &k, &v);
    mdb_cursor_close(c);
    return err ? err : rc == MDB_NOTFOUND ? CL_OK : st_err(t, rc, "upgrade");
}

/* ----- schema 1 → 2: an index of records with open conflicts ----- */

static int index_if_conflicted(cl_txn *t, MDB_val *k, MDB_val *v)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size >= 22 && cl_be32_get(p + 18))
        return st_put(t, DB_CONFLICTED, k->mv_data, k->mv_size, "", 0, 0);
    return CL_OK;
}

static int upgrade_1_to_2(cl_txn *t)
{
    return each_entry(t, t->s->dbi[DB_RECORDS], index_if_conflicted);
}

/* ----- schema 2 → 3: numbered origins, states that point at their op -----
 * Schema 2 keyed the op log ("ops") by whole device ids, named seen ops the
 * same way, and copied each field's winning value into its state ("state").
 * Schema 3 writes "log" and "fields" (docs/storage.md) and drops the old two. */

#define V2_OPID 28     /* origin(20) seq(8) */
#define V2_OP_FIXED 27 /* hlc(8) record(16) type(1) field(1) nseen(1) */
#define V2_STATE_FIXED 37 /* hlc(8) origin(20) seq(8) flags(1) */

static void v2_opid(const unsigned char *p, cl_op_id *id)
{
    memcpy(id->origin.b, p, CL_DEVICE_ID_LEN);
    id->seq = cl_be64_get(p + CL_DEVICE_ID_LEN);
}

/* Devices are numbered in the order of the version vector, which is the
 * order of the old log's keys: the new log is then written by appends. */
static int number_origin(cl_txn *t, MDB_val *k, MDB_val *v)
{
    (void)v;
    uint32_t num;
    if (k->mv_size != CL_DEVICE_ID_LEN)
        return cl_seterr(CL_ECORRUPT, "upgrade: the version vector is damaged");
    cl_device_id id;
    memcpy(id.b, k->mv_data, CL_DEVICE_ID_LEN);
    return st_origin_num(t, &id, true, &num);
}

static int copy_op(cl_txn *t, MDB_val *k, MDB_val *v)
{
    const unsigned char *p = v->mv_data;
    cl_op op = {0};
    if (k->mv_size != V2_OPID || v->mv_size < V2_OP_FIXED || p[26] > CL_MAX_SEEN ||
        v->mv_size < V2_OP_FIXED + (size_t)p[26] * V2_OPID)
        return cl_seterr(CL_ECORRUPT, "upgrade: a stored op is damaged");
    cl_op_id id;
    v2_opid(k->mv_data, &id);
    op.origin = id.origin;
    op.seq = id.seq;
    op.hlc = cl_be64_get(p);
    memcpy(op.record.b, p + 8, CL_RECORD_ID_LEN);
    op.type = p[24];
    op.field = p[25];
    op.nseen = p[26];
    for (unsigned i = 0; i < op.nseen; i++)
        v2_opid(p + V2_OP_FIXED + i * V2_OPID, &op.seen[i]);
    size_t off = V2_OP_FIXED + (size_t)op.nseen * V2_OPID;
    op.value = (const char *)p + off;
    op.value_len = (uint32_t)(v->mv_size - off);
    unsigned char key[OP_KEY_LEN];
    int rc = op_id_key(t, &id, true, key);
    if (!rc)
        rc = op_encode(t, &t->enc, &op);
    return rc ? rc : st_put_tail(t, DB_OPS, key, sizeof key, t->enc.data, t->enc.len, &t->tail[DB_OPS]);
}

static int copy_state(cl_txn *t, MDB_val *k, MDB_val *v)
{
    const unsigned char *p = v->mv_data;
    if (k->mv_size != STATE_KEY_LEN || v->mv_size < V2_STATE_FIXED)
        return cl_seterr(CL_ECORRUPT, "upgrade: a stored field is damaged");
    cl_op_id by;
    v2_opid(p + 8, &by);
    unsigned char winner[OP_KEY_LEN], nv[STATE_VAL_LEN];
    int rc = op_id_key(t, &by, false, winner);
    if (rc)
        return rc == CL_ENOTFOUND ? cl_seterr(CL_ECORRUPT, "upgrade: a field names an unknown device") : rc;
    state_encode(nv, winner, p[36] & 1);
    return st_put_tail(t, DB_STATE, k->mv_data, k->mv_size, nv, sizeof nv, &t->tail[DB_STATE]);
}

static int upgrade_2_to_3(cl_txn *t)
{
    MDB_dbi ops, state;
    int rc = mdb_dbi_open(t->txn, "ops", 0, &ops);
    if (rc == MDB_NOTFOUND)
        return CL_OK; /* the folder never had a log of the old layout */
    if (rc || (rc = mdb_dbi_open(t->txn, "state", 0, &state)))
        return st_err(t, rc, "upgrade");
    int err = each_entry(t, t->s->dbi[DB_VV], number_origin);
    if (!err)
        err = each_entry(t, ops, copy_op);
    if (!err)
        err = each_entry(t, state, copy_state);
    if (err)
        return err;
    if ((rc = mdb_drop(t->txn, ops, 1)) || (rc = mdb_drop(t->txn, state, 1)))
        return st_err(t, rc, "upgrade");
    cl_log(CL_LOG_INFO, "data folder upgraded to schema 3");
    return CL_OK;
}

/* ----- schema 3 → 4: hash-chained logs with checkpoints -----
 * This device's own ops are signed by the first sync after the upgrade (the
 * store has no key). Other devices' ops came from paired peers under the old
 * rules: their chains get unsigned checkpoints, so that this folder can hand
 * them on to devices that lack them, as a peer always could. */

static int chain_writer(cl_txn *t, MDB_val *k, MDB_val *v)
{
    (void)v;
    cl_device_id id;
    if (k->mv_size != CL_DEVICE_ID_LEN)
        return cl_seterr(CL_ECORRUPT, "upgrade: the version vector is damaged");
    memcpy(id.b, k->mv_data, CL_DEVICE_ID_LEN);
    return memcmp(id.b, t->s->self.b, CL_DEVICE_ID_LEN) ? st_legacy_writer(t, &id) : CL_OK;
}

static int upgrade_3_to_4(cl_txn *t)
{
    int rc = st_own_writer_init(t);
    if (!rc)
        rc = each_entry(t, t->s->dbi[DB_VV], chain_writer);
    if (!rc)
        cl_log(CL_LOG_INFO, "data folder upgraded to schema 4");
    return rc;
}

/* ----- schema 4 → 5: indexes the model describes -----
 * The due index ("due") becomes one ordered index among others ("orders"),
 * and record entries keep their ordered keys in a new form: the indexes are
 * rebuilt from the state (index.c), which store.c does right after this. */
static int upgrade_4_to_5(cl_txn *t)
{
    MDB_dbi due;
    int rc = mdb_dbi_open(t->txn, "due", 0, &due);
    if (rc == MDB_NOTFOUND)
        return CL_OK;
    if (rc || (rc = mdb_drop(t->txn, due, 1)))
        return st_err(t, rc, "upgrade");
    cl_log(CL_LOG_INFO, "data folder upgraded to schema 5");
    return CL_OK;
}

int st_upgrade(cl_txn *t, uint64_t from)
{
    int rc = CL_OK;
    if (from < 2)
        rc = upgrade_1_to_2(t);
    if (!rc && from < 3)
        rc = upgrade_2_to_3(t);
    if (!rc && from < 4)
        rc = upgrade_3_to_4(t);
    if (!rc && from < 5)
        rc = upgrade_4_to_5(t);
    return rc;
}
