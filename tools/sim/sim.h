/* clientele-sim: what its files share (sim.c: the world and its rounds;
 * report.c: figures). */
#ifndef CLIENTELE_SIM_H
#define CLIENTELE_SIM_H

#include "memlink.h"

#include <stdio.h>

/* The command line (sim.c: usage). */
typedef struct sim_opts {
    int devices;            /* at the start */
    uint64_t seed;
    int peers;              /* each device pairs with this many random others (both ways) */
    int jobs;               /* syncs of one round run at once (they touch disjoint stores) */
    int shared;             /* records every device may edit */
    int creates, edits;     /* each device's own records, and its edits of shared ones, at the start */
    int writers;            /* device 0 writes under this many writers (a folder restored writers - 1 times) */
    bool calm;              /* no partition, no churn */
    int partition_at, partition_rounds, groups; /* groups 0: 2–4 from the seed */
    int churn_rounds;       /* rounds 1 … churn_rounds: devices leave and come back, join, edit */
    double p_off, p_on, join_rate, edit_rate;
    int max_rounds;
    const char *dir;        /* where the folders go: a fresh one under it */
    const char *csv;        /* append one line of figures (a header first when new) */
    bool keep, quiet;
} sim_opts;

/* Figures of one run (report.c prints them). */
typedef struct sim_totals {
    int start_devices, final_devices, joined, offline_max;
    size_t origins;              /* writers in the converged version vector */
    int rounds;                  /* until every device held the same digest; 0: never */
    int quiet_rounds;            /* of which after the last partition, churn or edit */
    int groups;
    uint64_t syncs, failed, full_handshakes;
    uint64_t ops_moved;
    uint64_t segments;           /* OPS frames: each a signed segment the receiver verifies */
    uint64_t bytes;              /* frames, both ways, every sync */
    uint64_t tls_bytes;          /* bytes + the TLS estimate (memlink.h) */
    uint64_t hello_bytes, hellos;
    uint64_t max_device_bytes;   /* sent + received by the busiest device */
    uint64_t noop_bytes, noop_hello; /* one more sync after convergence: nothing to send */
    double noop_ms;
    uint64_t ops_total;          /* ops in every converged log */
    double setup_s, sync_s, digest_s, wall_s;
    double sync_ms_max;
    long rss_start_kb, rss_kb, anon_kb;
    uint64_t disk_bytes;
} sim_totals;

void sim_report(FILE *out, const sim_opts *o, const sim_totals *t);
int sim_csv(const char *path, const sim_opts *o, const sim_totals *t);
/* VmRSS and RssAnon of this process in KiB. */
void sim_rss(long *rss, long *anon);

#endif
