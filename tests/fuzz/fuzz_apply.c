/* Remote ops applied to a store: an OPS payload is decoded and handed to
 * cl_store_apply as a peer's batch would be. Bad ops (gaps, wrong types,
 * unknown fields, oversized values, invalid text) must be refused with an
 * error and leave the store as it was; good ones are applied and the
 * record is read back (record, fields, history, conflicts, digest). */
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

static void digest(cl_store *s, unsigned char out[CL_SHA256_LEN])
{
    cl_txn *t;
    if (cl_store_read(s, &t))
        abort();
    if (cl_txn_digest(t, out))
        abort();
    cl_txn_end(t);
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
        unsigned char before[CL_SHA256_LEN], after[CL_SHA256_LEN];
        digest(s, before);
        size_t applied = 0;
        int rc = cl_store_apply(s, ops, n, &applied);
        if (rc != CL_OK) {
            /* refused: nothing of the batch may remain */
            digest(s, after);
            if (memcmp(before, after, sizeof before))
                abort();
            if (!cl_errmsg()[0])
                abort();
        }
        read_back(s, ops, n);
        free(ops);
    }
    fuzz_store_tick();
    return 0;
}
