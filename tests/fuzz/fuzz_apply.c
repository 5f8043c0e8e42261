/* Remote ops applied to a store: an OPS payload is decoded and handed to
 * cl_store_apply as a peer's batch would be. Bad ops (gaps, wrong types,
 * unknown fields, oversized values, invalid text) must be refused with an
 * error and leave the store as it was; good ones are applied and the
 * record is read back (record, JSON, history), and now and then the
 * digest of the whole store is taken. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_store *s = fuzz_store();
    cl_op *ops;
    size_t n;
    if (cl_wire_ops_decode(data, size, &ops, &n) == CL_OK) {
        uint64_t before = fuzz_op_count(s);
        size_t applied = 0;
        int rc = cl_store_apply(s, ops, n, &applied);
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
            if (cl_store_read(s, &t) || cl_txn_digest(t, d))
                abort();
            cl_txn_end(t);
        }
        free(ops);
    }
    fuzz_store_tick();
    return 0;
}
