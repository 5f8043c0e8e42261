/* The sync protocol (docs/protocol.md). */
#include "clientele/sync.h"

int cl_sync_once(cl_store *s, const cl_identity *me, const char *addr,
                 const cl_device_id *expect, cl_sync_result *res)
{
    (void)s, (void)me, (void)addr, (void)expect, (void)res;
    return cl_seterr(CL_EIO, "sync is not built yet");
}
