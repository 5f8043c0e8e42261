/* vCard files: cl_vcard_parse_keep_bad (every card's text inside the file,
 * in order, without overlap), cl_vcard_parse, then cl_vcard_import into a
 * scratch store (all-or-nothing: a refused file leaves the store as it was)
 * and with skip_bad (the refused cards' text is no longer than the file). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_vcard *cards;
    size_t n;
    if (cl_vcard_parse_keep_bad((const char *)data, size, "fuzz.vcf", &cards, &n) == CL_OK) {
        size_t end = 0;
        for (size_t i = 0; i < n; i++) {
            if (cards[i].at < end || cards[i].len > size || cards[i].at > size - cards[i].len)
                abort();
            end = cards[i].at + cards[i].len;
        }
        cl_vcards_free(cards, n);
        cl_import_opts ko = {.name = "fuzz.vcf", .skip_bad = true};
        cl_import_result kr;
        memset(&kr, 0, sizeof kr);
        if (cl_vcard_import(fuzz_store(), (const char *)data, size, &ko, &kr) == CL_OK && kr.refused_len > size)
            abort();
        cl_import_result_free(&kr);
    }
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
