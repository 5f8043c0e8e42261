/* The small sync messages: DONE (cl_wire_done_decode), INVITE
 * (cl_wire_invite_decode), ERROR text (cl_wire_text_decode). The first byte
 * picks the decoder, the rest is the payload. */
#include "fuzz.h"
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const unsigned char *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        uint64_t count;
        if (cl_wire_done_decode(p, n, &count) == CL_OK) {
            cl_buf b = {0};
            uint64_t again;
            if (cl_wire_done_encode(&b, count) || cl_wire_done_decode(b.data, b.len, &again) || again != count)
                abort();
            cl_buf_free(&b);
        }
        break;
    }
    case 1: {
        cl_invite_msg m;
        if (cl_wire_invite_decode(p, n, &m) == CL_OK) {
            if (memchr(m.name, 0, sizeof m.name) == NULL)
                abort();
            cl_buf b = {0};
            cl_invite_msg g;
            if (cl_wire_invite_encode(&b, &m) || cl_wire_invite_decode(b.data, b.len, &g) ||
                memcmp(g.secret, m.secret, sizeof m.secret) || g.listen_port != m.listen_port ||
                strcmp(g.name, m.name))
                abort();
            cl_buf_free(&b);
        }
        break;
    }
    default: {
        char out[256];
        size_t cap = 1 + (data[0] / 3) % sizeof out;  /* small and large buffers */
        cl_wire_text_decode(p, n, out, cap);
        if (strlen(out) >= cap)
            abort();
        break;
    }
    }
    return 0;
}
