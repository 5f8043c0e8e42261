/* HELLO payloads: cl_wire_hello_decode; what decodes re-encodes and decodes
 * to the same hello. */
#include "fuzz.h"
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_hello h;
    if (cl_wire_hello_decode(data, size, &h) != CL_OK)
        return 0;
    if (h.version == CL_PROTOCOL_VERSION) {
        cl_buf b = {0};
        cl_hello g;
        if (cl_wire_hello_encode(&b, &h) || cl_wire_hello_decode(b.data, b.len, &g))
            abort();
        if (g.version != h.version || g.listen_port != h.listen_port || strcmp(g.name, h.name) ||
            g.flags != h.flags || memcmp(g.held, h.held, sizeof h.held) || g.nvv || h.nvv)
            abort();
        free(g.vv);
        cl_buf_free(&b);
    }
    free(h.vv);
    return 0;
}
