/* JSON backups: cl_backup_import into a scratch store (all-or-nothing: a
 * refused file leaves the store as it was). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_store *s = fuzz_store();
    uint64_t before = fuzz_op_count(s);
    cl_import_opts o = {.name = "fuzz.json"};
    cl_import_result res;
    memset(&res, 0, sizeof res);
    if (cl_backup_import(s, (const char *)data, size, &o, &res) != CL_OK) {
        if (fuzz_op_count(s) != before)
            abort();
    }
    cl_import_result_free(&res);
    fuzz_store_tick();
    return 0;
}
