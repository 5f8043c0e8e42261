/* vCard files: cl_vcard_parse, then cl_vcard_import into a scratch store
 * (all-or-nothing: a refused file leaves the store as it was). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_vcard *cards;
    size_t n;
    if (cl_vcard_parse((const char *)data, size, "fuzz.vcf", &cards, &n) != CL_OK)
        return 0;
    cl_vcards_free(cards, n);
    cl_store *s = fuzz_store();
    uint64_t before = fuzz_op_count(s);
    cl_import_opts o = {.name = "fuzz.vcf"};
    cl_import_result res;
    memset(&res, 0, sizeof res);
    if (cl_vcard_import(s, (const char *)data, size, &o, &res) != CL_OK) {
        if (fuzz_op_count(s) != before)
            abort();
    }
    cl_import_result_free(&res);
    fuzz_store_tick();
    return 0;
}
