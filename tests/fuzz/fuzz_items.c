/* A multi field's stored text (cl_items_parse): whatever a peer or an import
 * hands it, a list that parses formats canonically (formatting what that
 * text parses to gives the same text), and merging a list with itself on
 * both sides gives it back. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static char *canonical(const cl_items *it)
{
    cl_buf b = {0};
    if (cl_items_format(it, &b))
        abort(); /* no allocation fails here: a format error is a bug */
    char *s = cl_buf_steal(&b);
    if (!s)
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_items it;
    if (cl_items_parse((const char *)data, size, &it) != CL_OK)
        return 0;
    char *once = canonical(&it);
    cl_items again, merged;
    if (cl_items_parse(once, strlen(once), &again) != CL_OK)
        abort();
    char *twice = canonical(&again);
    if (strcmp(once, twice))
        abort();
    if (cl_items_merge3(CL_K_PHONE, &it, &again, &again, &merged) != CL_OK)
        abort();
    char *m = canonical(&merged);
    if (strcmp(m, once))
        abort();
    free(once), free(twice), free(m);
    cl_items_free(&it), cl_items_free(&again), cl_items_free(&merged);
    return 0;
}
