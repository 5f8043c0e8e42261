/* Remote ops applied to a store: an OPS payload is decoded, its values
 * checked and the segment applied as a peer's would be (sync/session.c).
 * Bad ones (gaps, wrong types, unknown fields, oversized values, invalid
 * text, bad signatures or chains) must be refused with an error and leave
 * the store as it was; good ones are applied and the record is read back
 * (record, JSON, history), and now and then the digest of the whole store
 * is taken. Unsigned segments take the legacy path, so most inputs reach
 * the merge. */
#include "fuzz.h"
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

static int count_change(void *ctx, const cl_change *c)
{
    (void)c;
    ++*(size_t *)ctx;
    return 0;
}

static void read_back(cl_store *s, const cl_op *ops, size_t n)
{
    cl_txn *t;
    if (cl_store_read(s, &t))
        abort();
    for (size_t i = 0; i < n && i < 8; i++) {
        cl_record *r;
        if (cl_record_load(t, &ops[i].record, &r) == CL_OK) {
            (void)cl_record_label(r);
            cJSON *j = cl_json_record(r);
            char *text = j ? cJSON_PrintUnformatted(j) : NULL;
            cJSON_free(text);
            cJSON_Delete(j);
            cl_record_free(r);
        }
        size_t changes = 0;
        (void)cl_history(t, &ops[i].record, count_change, &changes);
    }
    cl_txn_end(t);
}

struct apply_args {
    const cl_segment *seg;
    size_t applied;
};

static int apply_fn(cl_txn *t, void *arg)
{
    struct apply_args *a = arg;
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < a->seg->n; i++)
        rc = cl_op_check_remote(&a->seg->ops[i]);
    return rc ? rc : cl_txn_apply_segment(t, a->seg, &a->applied);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_store *s = fuzz_store();
    cl_segment seg;
    if (cl_wire_ops_decode(data, size, &seg) == CL_OK) {
        const cl_op *ops = seg.ops;
        size_t n = seg.n;
        uint64_t before = fuzz_op_count(s);
        struct apply_args a = {&seg, 0};
        int rc = cl_store_update(s, apply_fn, &a);
        size_t applied = rc ? 0 : a.applied;
        if (rc != CL_OK) {
            /* refused: nothing of the batch may remain */
            if (fuzz_op_count(s) != before)
                abort();
            if (!cl_errmsg()[0])
                abort();
        }
        read_back(s, ops, n);
        if (applied && applied % 7 == 0) {
            cl_txn *t;
            unsigned char d[CL_SHA256_LEN];
            if (cl_store_read(s, &t) || cl_txn_digest(t, true, d))
                abort();
            cl_txn_end(t);
        }
        free((void *)ops);
    }
    fuzz_store_tick();
    return 0;
}
