/* Byte layouts of stored keys and values (docs/storage.md). */
#include "store/internal.h"

#include <string.h>

void op_key(unsigned char k[OP_KEY_LEN], const cl_device_id *origin, uint64_t seq)
{
    memcpy(k, origin->b, CL_DEVICE_ID_LEN);
    cl_be64_put(k + CL_DEVICE_ID_LEN, seq);
}

void opid_put(unsigned char out[OPID_LEN], const cl_op_id *id)
{
    op_key(out, &id->origin, id->seq);
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

/* value: hlc(8) record(16) type(1) field(1) nseen(1) seen(28 each) value(rest) */
int op_encode(cl_buf *b, const cl_op *op)
{
    cl_buf_reset(b);
    int rc = cl_buf_reserve(b, 27 + op->nseen * OPID_LEN + op->value_len);
    if (rc)
        return rc;
    cl_buf_put_be64(b, op->hlc);
    cl_buf_put(b, op->record.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, op->type);
    cl_buf_put_u8(b, op->field);
    cl_buf_put_u8(b, op->nseen);
    for (unsigned i = 0; i < op->nseen; i++) {
        unsigned char id[OPID_LEN];
        opid_put(id, &op->seen[i]);
        cl_buf_put(b, id, OPID_LEN);
    }
    return cl_buf_put(b, op->value, op->value_len);
}

int op_decode(const unsigned char key[OP_KEY_LEN], const void *v, size_t vl, cl_op *op)
{
    const unsigned char *p = v;
    memcpy(op->origin.b, key, CL_DEVICE_ID_LEN);
    op->seq = cl_be64_get(key + CL_DEVICE_ID_LEN);
    if (vl < 27)
        return cl_seterr(CL_ECORRUPT, "stored op is truncated");
    op->hlc = cl_be64_get(p);
    memcpy(op->record.b, p + 8, CL_RECORD_ID_LEN);
    op->type = p[24];
    op->field = p[25];
    op->nseen = p[26];
    size_t off = 27 + (size_t)op->nseen * OPID_LEN;
    if (op->nseen > CL_MAX_SEEN || vl < off)
        return cl_seterr(CL_ECORRUPT, "stored op is truncated");
    for (unsigned i = 0; i < op->nseen; i++)
        opid_get(p + 27 + i * OPID_LEN, &op->seen[i]);
    op->value = (const char *)p + off;
    op->value_len = (uint32_t)(vl - off);
    return CL_OK;
}

void state_key(unsigned char k[STATE_KEY_LEN], const cl_record_id *id, uint8_t field)
{
    memcpy(k, id->b, CL_RECORD_ID_LEN);
    k[CL_RECORD_ID_LEN] = field;
}

/* value: hlc(8) origin(20) seq(8) flags(1: bit 0 conflicted) value(rest) */
int state_decode(const void *v, size_t vl, uint8_t field, cl_field_state *st)
{
    const unsigned char *p = v;
    if (vl < 37)
        return cl_seterr(CL_ECORRUPT, "stored field state is truncated");
    st->field = field;
    st->hlc = cl_be64_get(p);
    opid_get(p + 8, &st->by);
    st->conflicted = p[36] & 1;
    st->value = (const char *)p + 37;
    st->value_len = (uint32_t)(vl - 37);
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
