/* Length-prefixed frames. */
#include "clientele/net.h"

int cl_frame_parse(const unsigned char *buf, size_t len, uint8_t *type,
                   const unsigned char **payload, size_t *plen, size_t *consumed)
{
    if (len < 4)
        return CL_FRAME_NEED_MORE;
    uint32_t n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
    if (n == 0)
        return cl_seterr(CL_EPROTO, "empty frame");
    if (n - 1 > CL_FRAME_MAX)
        return cl_seterr(CL_EPROTO, "frame of %u bytes is over the limit of %u", n - 1, CL_FRAME_MAX);
    if (len - 4 < n)
        return CL_FRAME_NEED_MORE;
    *type = buf[4];
    *payload = buf + CL_FRAME_HDR;
    *plen = n - 1;
    *consumed = 4 + (size_t)n;
    return CL_FRAME_COMPLETE;
}

void cl_frame_header(unsigned char hdr[CL_FRAME_HDR], uint8_t type, size_t plen)
{
    uint32_t n = (uint32_t)plen + 1;
    hdr[0] = (unsigned char)(n >> 24);
    hdr[1] = (unsigned char)(n >> 16);
    hdr[2] = (unsigned char)(n >> 8);
    hdr[3] = (unsigned char)n;
    hdr[4] = type;
}
