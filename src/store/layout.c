/* Byte layouts of stored keys and values (docs/storage.md). Ops and field
 * states name origins by the folder's numbers (origins.c); the rare tables
 * of conflict heads and early references keep whole device ids. */
#include "store/internal.h"

#include <string.h>

#define LOCAL_ID_LEN OP_KEY_LEN   /* an op named inside the folder: number, seq */
#define OP_FIXED 27               /* hlc(8) record(16) type(1) field(1) nseen(1) */

void op_key(unsigned char k[OP_KEY_LEN], uint32_t num, uint64_t seq)
{
    cl_be32_put(k, num);
    cl_be64_put(k + 4, seq);
}

int op_id_key(cl_txn *t, const cl_op_id *id, bool create, unsigned char k[OP_KEY_LEN])
{
    uint32_t num;
    int rc = st_origin_num(t, &id->origin, create, &num);
    if (!rc)
        op_key(k, num, id->seq);
    return rc;
}

static int local_id_get(cl_txn *t, const unsigned char in[LOCAL_ID_LEN], cl_op_id *id)
{
    id->seq = cl_be64_get(in + 4);
    return st_origin_id(t, cl_be32_get(in), &id->origin);
}

void opid_put(unsigned char out[OPID_LEN], const cl_op_id *id)
{
    memcpy(out, id->origin.b, CL_DEVICE_ID_LEN);
    cl_be64_put(out + CL_DEVICE_ID_LEN, id->seq);
}

void opid_get(const unsigned char in[OPID_LEN], cl_op_id *id)
{
    memcpy(id->origin.b, in, CL_DEVICE_ID_LEN);
    id->seq = cl_be64_get(in + CL_DEVICE_ID_LEN);
}

int opid_cmp(const cl_op_id *a, const cl_op_id *b)
{
    int c = memcmp(a->origin.b, b->origin.b, CL_DEVICE_ID_LEN);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* value: hlc(8) record(16) type(1) field(1) nseen(1) seen(12 each) value(rest) */
int op_encode(cl_txn *t, cl_buf *b, const cl_op *op)
{
    cl_buf_reset(b);
    int rc = cl_buf_reserve(b, OP_FIXED + op->nseen * LOCAL_ID_LEN + op->value_len);
    if (rc)
        return rc;
    cl_buf_put_be64(b, op->hlc);
    cl_buf_put(b, op->record.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, op->type);
    cl_buf_put_u8(b, op->field);
    cl_buf_put_u8(b, op->nseen);
    for (unsigned i = 0; i < op->nseen; i++) {
        unsigned char id[LOCAL_ID_LEN];
        /* a seen op may come from a device whose own ops have not arrived */
        if ((rc = op_id_key(t, &op->seen[i], true, id)))
            return rc;
        cl_buf_put(b, id, LOCAL_ID_LEN);
    }
    return cl_buf_put(b, op->value, op->value_len);
}

/* Everything of a stored op but its seen list, which is only counted: what
 * reading a field needs (its stamp, author and value). */
static int op_head(cl_txn *t, const unsigned char key[OP_KEY_LEN], const void *v, size_t vl, cl_op *op)
{
    const unsigned char *p = v;
    cl_op_id self;
    int rc = local_id_get(t, key, &self);
    if (rc)
        return rc;
    op->origin = self.origin;
    op->seq = self.seq;
    if (vl < OP_FIXED)
        return cl_seterr(CL_ECORRUPT, "stored op is truncated");
    op->hlc = cl_be64_get(p);
    memcpy(op->record.b, p + 8, CL_RECORD_ID_LEN);
    op->type = p[24];
    op->field = p[25];
    op->nseen = p[26];
    size_t off = OP_FIXED + (size_t)op->nseen * LOCAL_ID_LEN;
    if (op->nseen > CL_MAX_SEEN || vl < off)
        return cl_seterr(CL_ECORRUPT, "stored op is truncated");
    op->value = (const char *)p + off;
    op->value_len = (uint32_t)(vl - off);
    return CL_OK;
}

int op_decode(cl_txn *t, const unsigned char key[OP_KEY_LEN], const void *v, size_t vl, cl_op *op)
{
    const unsigned char *p = v;
    int rc = op_head(t, key, v, vl, op);
    for (unsigned i = 0; !rc && i < op->nseen; i++)
        rc = local_id_get(t, p + OP_FIXED + i * LOCAL_ID_LEN, &op->seen[i]);
    return rc;
}

void state_key(unsigned char k[STATE_KEY_LEN], const cl_record_id *id, uint8_t field)
{
    memcpy(k, id->b, CL_RECORD_ID_LEN);
    k[CL_RECORD_ID_LEN] = field;
}

/* value: the winning op's key (12), flags (1: bit 0 conflicted). The value
 * itself lives once, in the op log. */
void state_encode(unsigned char v[STATE_VAL_LEN], const unsigned char winner[OP_KEY_LEN], bool conflicted)
{
    memcpy(v, winner, OP_KEY_LEN);
    v[OP_KEY_LEN] = conflicted ? 1 : 0;
}

int state_decode(cl_txn *t, const void *v, size_t vl, uint8_t field, cl_field_state *st)
{
    const unsigned char *p = v;
    if (vl != STATE_VAL_LEN)
        return cl_seterr(CL_ECORRUPT, "stored field state is damaged");
    MDB_val ov;
    cl_op op;
    int rc = st_get(t, DB_OPS, p, OP_KEY_LEN, &ov);
    if (rc == CL_ENOTFOUND)
        return cl_seterr(CL_ECORRUPT, "a field names an op the log does not hold");
    if (rc || (rc = op_head(t, p, ov.mv_data, ov.mv_size, &op)))
        return rc;
    st->field = field;
    st->hlc = op.hlc;
    st->by = (cl_op_id){op.origin, op.seq};
    st->conflicted = p[OP_KEY_LEN] & 1;
    st->value = op.value;
    st->value_len = op.value_len;
    return CL_OK;
}

int heads_decode(const void *v, size_t vl, cl_op_id *heads, size_t *n)
{
    if (vl % OPID_LEN || vl / OPID_LEN > HEADS_MAX)
        return cl_seterr(CL_ECORRUPT, "stored conflict heads are damaged");
    *n = vl / OPID_LEN;
    for (size_t i = 0; i < *n; i++)
        opid_get((const unsigned char *)v + i * OPID_LEN, &heads[i]);
    return CL_OK;
}
