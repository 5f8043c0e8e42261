#include "clientele/hlc.h"

uint64_t cl_hlc_tick(cl_hlc *c, uint64_t wall_ms)
{
    uint64_t physical = cl_hlc_make(wall_ms, 0);
    /* When the wall clock is behind what we have seen, count logically; a
     * counter overflow carries into the millisecond part, which keeps order. */
    c->last = physical > c->last ? physical : c->last + 1;
    return c->last;
}

void cl_hlc_observe(cl_hlc *c, uint64_t remote, uint64_t wall_ms)
{
    uint64_t limit = cl_hlc_make(wall_ms + CL_HLC_MAX_AHEAD_MS, 0xffff);
    if (remote > limit)
        remote = limit;
    if (remote > c->last)
        c->last = remote;
}
