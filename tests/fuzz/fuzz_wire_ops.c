/* OPS payloads: cl_wire_ops_decode, and every batch that decodes is encoded
 * again and must give back the same bytes (the encoding is canonical except
 * for varints, so compare the decoded ops of the re-encoding). */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_op *ops;
    size_t n;
    if (cl_wire_ops_decode(data, size, &ops, &n) != CL_OK)
        return 0;
    if (n) {
        cl_buf b = {0};
        if (cl_wire_ops_begin(&b, &ops[0].origin))
            abort();
        for (size_t i = 0; i < n; i++)
            if (cl_wire_ops_add(&b, &ops[i]))
                abort();
        cl_wire_ops_end(&b, (uint32_t)n);
        cl_op *again;
        size_t m;
        if (cl_wire_ops_decode(b.data, b.len, &again, &m) || m != n)
            abort();
        for (size_t i = 0; i < n; i++)
            same_op(&ops[i], &again[i]);
        free(again);
        cl_buf_free(&b);
    }
    free(ops);
    return 0;
}
