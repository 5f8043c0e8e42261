/* The folder's dictionary of origins. Every op is keyed by its author's
 * device id and sequence number; a device id is 20 bytes and a folder meets
 * a handful of devices in its life, so the op log and the field states name
 * an origin by a number instead: 1, 2, 3 … in the order the folder met them.
 * The numbers are this folder's own (never sent, never reused, never
 * renumbered); the dictionary is read whole once per transaction, with an
 * index by id beside it, so that finding a device's number is a binary
 * search even when restored folders and new laptops have made thousands. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

static int id_cmp(const void *a, const void *b, void *arg)
{
    const cl_device_id *o = arg;
    return memcmp(o[*(const uint32_t *)a].b, o[*(const uint32_t *)b].b, CL_DEVICE_ID_LEN);
}

/* Where id is in the index, or where it would go: the first position whose
 * id is not below it. */
static uint32_t index_pos(const cl_txn *t, const cl_device_id *id)
{
    uint32_t lo = 0, hi = t->norigins;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (memcmp(t->origins[t->byid[mid]].b, id->b, CL_DEVICE_ID_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int index_build(cl_txn *t)
{
    if (cl_reserve(&t->byid, &t->capbyid, t->norigins ? t->norigins : 1, sizeof *t->byid))
        return CL_ENOMEM;
    for (uint32_t i = 0; i < t->norigins; i++)
        t->byid[i] = i;
    qsort_r(t->byid, t->norigins, sizeof *t->byid, id_cmp, t->origins);
    return CL_OK;
}

static int origins_load(cl_txn *t)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_ORIGINS], &c);
    if (rc)
        return st_err(t, rc, "origins");
    t->norigins = 0;
    int err = CL_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !err; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        /* numbers are dense: the n-th key is n */
        if (k.mv_size != 4 || v.mv_size != CL_DEVICE_ID_LEN || cl_be32_get(k.mv_data) != t->norigins + 1) {
            err = cl_seterr(CL_ECORRUPT, "the dictionary of devices is damaged");
            break;
        }
        if ((err = cl_reserve(&t->origins, &t->caporigins, t->norigins + 1, sizeof *t->origins)))
            break;
        memcpy(t->origins[t->norigins++].b, v.mv_data, CL_DEVICE_ID_LEN);
    }
    mdb_cursor_close(c);
    if (err)
        return err;
    if (rc != MDB_NOTFOUND)
        return st_err(t, rc, "origins");
    if ((err = index_build(t)))
        return err;
    t->origins_loaded = true;
    return CL_OK;
}

static int origin_add(cl_txn *t, const cl_device_id *id, uint32_t pos, uint32_t *num)
{
    if (!t->write)
        return cl_seterr(CL_EINVAL, "a new device number in a read transaction");
    unsigned char key[4];
    cl_be32_put(key, t->norigins + 1);
    int rc = cl_reserve(&t->origins, &t->caporigins, t->norigins + 1, sizeof *t->origins);
    if (!rc)
        rc = cl_reserve(&t->byid, &t->capbyid, t->norigins + 1, sizeof *t->byid);
    if (!rc)
        rc = st_put(t, DB_ORIGINS, key, sizeof key, id->b, CL_DEVICE_ID_LEN, MDB_APPEND);
    if (rc)
        return rc;
    memmove(t->byid + pos + 1, t->byid + pos, (t->norigins - pos) * sizeof *t->byid);
    t->byid[pos] = t->norigins;
    t->origins[t->norigins++] = *id;
    *num = t->norigins;
    return CL_OK;
}

int st_origin_num(cl_txn *t, const cl_device_id *id, bool create, uint32_t *num)
{
    int rc = t->origins_loaded ? CL_OK : origins_load(t);
    if (rc)
        return rc;
    uint32_t pos = index_pos(t, id);
    if (pos < t->norigins && !memcmp(t->origins[t->byid[pos]].b, id->b, CL_DEVICE_ID_LEN)) {
        *num = t->byid[pos] + 1;
        return CL_OK;
    }
    return create ? origin_add(t, id, pos, num) : CL_ENOTFOUND;
}

int st_origin_id(cl_txn *t, uint32_t num, cl_device_id *id)
{
    int rc = t->origins_loaded ? CL_OK : origins_load(t);
    if (rc)
        return rc;
    if (num == 0 || num > t->norigins)
        return cl_seterr(CL_ECORRUPT, "an op names device number %u, which the folder does not know", num);
    *id = t->origins[num - 1];
    return CL_OK;
}
