/* JSON backups: cl_backup_import into a scratch store (all-or-nothing: a
 * refused file leaves the store as it was). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void digest(cl_store *s, unsigned char out[CL_SHA256_LEN])
{
    cl_txn *t;
    if (cl_store_read(s, &t) || cl_txn_digest(t, out))
        abort();
    cl_txn_end(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_store *s = fuzz_store();
    unsigned char before[CL_SHA256_LEN], after[CL_SHA256_LEN];
    digest(s, before);
    cl_import_opts o = {.name = "fuzz.json"};
    cl_import_result res;
    memset(&res, 0, sizeof res);
    if (cl_backup_import(s, (const char *)data, size, &o, &res) != CL_OK) {
        digest(s, after);
        if (memcmp(before, after, sizeof before))
            abort();
    }
    cl_import_result_free(&res);
    fuzz_store_tick();
    return 0;
}
