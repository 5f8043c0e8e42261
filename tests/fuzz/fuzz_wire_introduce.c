/* INTRODUCE payloads: cl_wire_introduce_decode; what decodes is within the
 * limits, re-encodes and decodes to the same introductions. */
#include "fuzz.h"
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_introduction *v, *w;
    size_t n, m;
    if (cl_wire_introduce_decode(data, size, &v, &n) != CL_OK)
        return 0;
    if (n > CL_INTRODUCE_MAX || (n && !v))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!memchr(v[i].name, 0, sizeof v[i].name) || !memchr(v[i].addr, 0, sizeof v[i].addr) ||
            strchr(v[i].addr, ' ') || !cl_name_valid(v[i].name, strlen(v[i].name)))
            abort();
    cl_buf b = {0};
    if (cl_wire_introduce_encode(&b, v, n) || cl_wire_introduce_decode(b.data, b.len, &w, &m) || m != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (memcmp(w[i].id.b, v[i].id.b, CL_DEVICE_ID_LEN) || strcmp(w[i].name, v[i].name) ||
            strcmp(w[i].addr, v[i].addr))
            abort();
    free(w);
    free(v);
    cl_buf_free(&b);
    return 0;
}
