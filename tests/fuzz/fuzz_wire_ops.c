/* OPS payloads: cl_wire_ops_decode, and every segment that decodes is
 * encoded again and must give back the same segment (the encoding is
 * canonical except for varints, so compare the decoded re-encoding). */
#include "fuzz.h"
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

static void same_op(const cl_op *a, const cl_op *b)
{
    if (memcmp(a->origin.b, b->origin.b, CL_DEVICE_ID_LEN) || a->seq != b->seq || a->hlc != b->hlc ||
        memcmp(a->record.b, b->record.b, CL_RECORD_ID_LEN) || a->type != b->type || a->field != b->field ||
        a->nseen != b->nseen || a->value_len != b->value_len ||
        (a->value_len && memcmp(a->value, b->value, a->value_len)))
        abort();
    for (unsigned i = 0; i < a->nseen; i++)
        if (memcmp(&a->seen[i].origin, &b->seen[i].origin, sizeof a->seen[i].origin) ||
            a->seen[i].seq != b->seen[i].seq)
            abort();
}

static void same_writer(const cl_segment *a, const cl_segment *b)
{
    if (memcmp(&a->writer, &b->writer, sizeof a->writer) || a->cp.seq != b->cp.seq ||
        memcmp(a->cp.chain, b->cp.chain, CL_CHAIN_LEN) || a->cp.sig_len != b->cp.sig_len ||
        memcmp(a->cp.sig, b->cp.sig, a->cp.sig_len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_segment seg, again;
    if (cl_wire_ops_decode(data, size, &seg) != CL_OK)
        return 0;
    cl_buf b = {0};
    if (cl_wire_ops_begin(&b, &seg.writer))
        abort();
    for (size_t i = 0; i < seg.n; i++)
        if (cl_wire_ops_add(&b, &seg.ops[i]))
            abort();
    if (cl_wire_ops_end(&b, (uint32_t)seg.n, &seg.cp))
        abort();
    if (cl_wire_ops_decode(b.data, b.len, &again) || again.n != seg.n)
        abort();
    same_writer(&seg, &again);
    for (size_t i = 0; i < seg.n; i++)
        same_op(&seg.ops[i], &again.ops[i]);
    free((void *)again.ops);
    cl_buf_free(&b);
    free((void *)seg.ops);
    return 0;
}
