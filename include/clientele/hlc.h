/*
 * clientele — hybrid logical clock.
 *
 * A timestamp is 64 bits: milliseconds since the epoch in the high 48 bits, a
 * logical counter in the low 16. Timestamps from one clock only grow; a clock
 * moves past every remote timestamp it observes, so an edit made after seeing
 * another edit is stamped later even when wall clocks disagree.
 *
 * THE BOUND. A remote timestamp may pull this clock forward by at most
 * CL_HLC_MAX_AHEAD_MS beyond the local wall clock. A laptop whose clock is a year
 * ahead therefore cannot drag everybody's clocks a year into the future: its own
 * ops keep their (future) stamps, but the ops other devices make afterwards are
 * stamped from their own clocks. An author who edits the very field the future
 * op wrote still wins, because a local write is always stamped above the values
 * its author saw in that field (see cl_txn_write in store.h), without moving the
 * clock itself.
 */
#ifndef CLIENTELE_HLC_H
#define CLIENTELE_HLC_H

#include <stdint.h>

#define CL_HLC_MAX_AHEAD_MS (60ull * 60 * 1000)  /* one hour */
/* No op may be stamped later than 9999-12-31T23:59:59.999Z (ISO 8601's last
 * instant): such an op is refused, whoever signed it, so no stamp is near
 * the top of the 64 bits and nothing computed from one can wrap. */
#define CL_HLC_MAX_MS 253402300799999ull

typedef struct cl_hlc {
    uint64_t last;  /* greatest timestamp issued or observed */
} cl_hlc;

static inline uint64_t cl_hlc_make(uint64_t ms, uint16_t logical) { return (ms << 16) | logical; }
static inline uint64_t cl_hlc_ms(uint64_t t) { return t >> 16; }

/* A new timestamp for a local event at wall time wall_ms: greater than every
 * timestamp this clock has issued or observed. */
uint64_t cl_hlc_tick(cl_hlc *c, uint64_t wall_ms);

/* Observe a remote timestamp: afterwards cl_hlc_tick() returns values above
 * min(remote, (wall_ms + CL_HLC_MAX_AHEAD_MS) << 16). */
void cl_hlc_observe(cl_hlc *c, uint64_t remote, uint64_t wall_ms);

#endif
