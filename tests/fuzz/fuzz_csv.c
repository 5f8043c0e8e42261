/* CSV files: cl_csv_parse (every cell read back), then cl_csv_import of rows
 * of the type the first byte picks into a scratch store (all-or-nothing). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t type = (uint8_t)(1 + data[0] % CL_T_MAX);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    cl_csv *c;
    if (cl_csv_parse(text, len, "fuzz.csv", &c) != CL_OK)
        return 0;
    for (size_t r = 0; r < c->nrows; r++)
        for (size_t k = 0; k < c->ncols; k++)
            if (!cl_csv_cell(c, r, k))
                abort();
    cl_csv_free(c);
    cl_store *s = fuzz_store();
    uint64_t before = fuzz_op_count(s);
    cl_import_opts o = {.name = "fuzz.csv", .type = type};
    cl_import_result res;
    memset(&res, 0, sizeof res);
    if (cl_csv_import(s, text, len, &o, &res) != CL_OK) {
        if (fuzz_op_count(s) != before)
            abort();
    }
    cl_import_result_free(&res);
    fuzz_store_tick();
    return 0;
}
