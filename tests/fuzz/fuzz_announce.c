/* Discovery datagrams (anyone on the LAN can send them): cl_announce_decode;
 * what decodes encodes back to the same bytes. */
#include "fuzz.h"
#include "clientele/net.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_device_id id;
    uint16_t port;
    if (cl_announce_decode(data, size, &id, &port) == CL_OK) {
        unsigned char again[CL_ANNOUNCE_LEN];
        cl_announce_encode(again, &id, port);
        if (size != CL_ANNOUNCE_LEN || memcmp(again, data, size) || port == 0)
            abort();
    }
    return 0;
}
