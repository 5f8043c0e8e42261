/* Sync frames: cl_frame_parse over a stream of bytes as a peer sends them,
 * fed whole and in two pieces (a frame split across reads). */
#include "fuzz.h"
#include "clientele/net.h"

#include <stdlib.h>

static size_t parse_all(const uint8_t *data, size_t size)
{
    size_t off = 0, frames = 0;
    while (off < size) {
        uint8_t type;
        const unsigned char *payload;
        size_t plen, used;
        int rc = cl_frame_parse(data + off, size - off, &type, &payload, &plen, &used);
        if (rc != CL_FRAME_COMPLETE)
            break;
        if (used != CL_FRAME_HDR + plen || used > size - off || payload != data + off + CL_FRAME_HDR ||
            plen > CL_FRAME_MAX)
            abort();
        off += used;
        frames++;
    }
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t whole = parse_all(data, size);
    /* every prefix of a good stream is a valid prefix: never an error */
    for (size_t cut = 0; cut <= size && cut < 16; cut++) {
        uint8_t type;
        const unsigned char *payload;
        size_t plen, used;
        (void)cl_frame_parse(data, cut, &type, &payload, &plen, &used);
    }
    /* a header round trip */
    if (size >= 1) {
        unsigned char hdr[CL_FRAME_HDR];
        cl_frame_header(hdr, data[0], size - 1);
        uint8_t type;
        const unsigned char *payload;
        size_t plen, used;
        int rc = cl_frame_parse(hdr, sizeof hdr, &type, &payload, &plen, &used);
        if (size - 1 == 0 && rc != CL_FRAME_COMPLETE)
            abort();
        if (size - 1 > 0 && rc != CL_FRAME_NEED_MORE)
            abort();
    }
    (void)whole;
    return 0;
}
