/* Text a user or a peer types or sends: device ids (cl_device_id_parse),
 * record ids (cl_record_id_parse), HOST:PORT addresses (cl_addr_parse),
 * type names (cl_type_parse) and field names. What parses formats back to
 * text that parses to the same value. */
#include "fuzz.h"
#include "clientele/net.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    cl_device_id d, d2;
    if (cl_device_id_parse(s, &d) == CL_OK) {
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&d, text);
        if (cl_device_id_parse(text, &d2) || memcmp(&d, &d2, sizeof d))
            abort();
    }
    cl_record_id r, r2;
    if (cl_record_id_parse(s, &r) == CL_OK) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(&r, text);
        if (cl_record_id_parse(text, &r2) || memcmp(&r, &r2, sizeof r))
            abort();
    }
    char host[256];
    uint16_t port;
    if (cl_addr_parse(s, host, sizeof host, &port) == CL_OK && strlen(host) >= sizeof host)
        abort();
    char tiny[4];
    (void)cl_addr_parse(s, tiny, sizeof tiny, &port);
    uint8_t type;
    if (cl_type_parse(s, &type) == CL_OK) {
        if (!cl_type_name(type))
            abort();
        for (uint8_t t = 1; t <= CL_T_MAX; t++)
            (void)cl_field_lookup(t, s);
    }
    (void)cl_field_lookup(CL_T_CONTACT, s);
    free(s);
    return 0;
}
