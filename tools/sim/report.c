/* clientele-sim: the figures of a run, for people and as one CSV line
 * (tools/bench/scaling_sim.sh collects them for docs/scaling.md). */
#include "sim.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sim_rss(long *rss, long *anon)
{
    char line[256];
    *rss = *anon = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss = atol(line + 6);
        else if (!strncmp(line, "RssAnon:", 8))
            *anon = atol(line + 8);
    }
    if (f)
        fclose(f);
}

static double per(uint64_t x, uint64_t n) { return n ? (double)x / (double)n : 0.0; }

void sim_report(FILE *out, const sim_opts *o, const sim_totals *t)
{
    fprintf(out, "\nclientele-sim: %d devices (%d joined, %d in all), seed %" PRIu64 ", %s\n", t->start_devices,
            t->joined, t->final_devices, o->seed,
            o->calm ? "calm (no partition, no churn)" : "partition and churn");
    if (!o->calm)
        fprintf(out, "  partition: %d groups, rounds %d-%d; churn: rounds 1-%d, up to %d offline at once\n",
                t->groups, o->partition_at, o->partition_at + o->partition_rounds - 1, o->churn_rounds,
                t->offline_max);
    if (t->rounds)
        fprintf(out, "  converged after %d rounds (%d after the last disturbance): %zu origins, %" PRIu64
                " ops in every log\n", t->rounds, t->quiet_rounds, t->origins, t->ops_total);
    else
        fprintf(out, "  NOT converged within %d rounds\n", o->max_rounds);
    fprintf(out, "  syncs: %" PRIu64 " (%" PRIu64 " failed), %" PRIu64 " ops applied, in %" PRIu64
            " signed segments (%.1f ops each)\n", t->syncs, t->failed, t->ops_moved, t->segments,
            per(t->ops_moved, t->segments));
    fprintf(out, "  frame bytes: %" PRIu64 " in all, %.0f per device (busiest %" PRIu64 "), %.0f per sync\n",
            t->bytes, per(2 * t->bytes, (uint64_t)t->final_devices), t->max_device_bytes, per(t->bytes, t->syncs));
    fprintf(out, "  hello: %.0f bytes on average (%.1f%% of all bytes)\n", per(t->hello_bytes, t->hellos),
            100.0 * per(t->hello_bytes, t->bytes));
    if (t->rounds)
        fprintf(out, "  a no-op sync at convergence: %" PRIu64 " frame bytes (hello %" PRIu64 " for %zu origins), "
                "%.1f ms\n", t->noop_bytes, t->noop_hello, t->origins, t->noop_ms);
    fprintf(out, "  with TLS (estimated, %" PRIu64 " full handshakes): %" PRIu64 " bytes\n", t->full_handshakes,
            t->tls_bytes);
    fprintf(out, "  time: %.1f s in all: set-up %.1f s, syncs %.1f s (%.2f ms a sync, slowest %.1f ms), digests %.1f s\n",
            t->wall_s, t->setup_s, t->sync_s, 1e3 * t->sync_s / (double)(t->syncs ? t->syncs : 1), t->sync_ms_max,
            t->digest_s);
    fprintf(out, "  memory: %ld MB resident (%ld MB anonymous), %.0f KB a device; disk %.0f KB a device\n",
            t->rss_kb / 1024, t->anon_kb / 1024, per((uint64_t)(t->rss_kb - t->rss_start_kb), (uint64_t)t->final_devices),
            per(t->disk_bytes, (uint64_t)t->final_devices) / 1024);
}

static const char HEADER[] =
    "devices,seed,scenario,final_devices,origins,rounds,quiet_rounds,syncs,failed,ops_moved,bytes,"
    "bytes_per_device,max_device_bytes,bytes_per_sync,hello_mean,hello_final,noop_sync_bytes,noop_sync_ms,"
    "tls_bytes,wall_s,setup_s,sync_s,digest_s,ms_per_sync,rss_mb,kb_per_device,disk_kb_per_device,ops_total,segments\n";

int sim_csv(const char *path, const sim_opts *o, const sim_totals *t)
{
    struct stat st;
    bool fresh = stat(path, &st) || st.st_size == 0;
    FILE *f = fopen(path, "a");
    if (!f)
        return cl_seterr(CL_EIO, "cannot open %s", path);
    if (fresh)
        fputs(HEADER, f);
    fprintf(f, "%d,%" PRIu64 ",%s,%d,%zu,%d,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.0f,%" PRIu64
            ",%.0f,%.0f,%" PRIu64 ",%" PRIu64 ",%.2f,%" PRIu64 ",%.1f,%.1f,%.1f,%.1f,%.3f,%ld,%.0f,%.0f,%" PRIu64 ",%" PRIu64 "\n",
            t->start_devices, o->seed, o->calm ? "calm" : "storm", t->final_devices, t->origins, t->rounds,
            t->quiet_rounds, t->syncs, t->failed, t->ops_moved, t->bytes,
            per(2 * t->bytes, (uint64_t)t->final_devices), t->max_device_bytes, per(t->bytes, t->syncs),
            per(t->hello_bytes, t->hellos), t->noop_hello, t->noop_bytes, t->noop_ms, t->tls_bytes, t->wall_s,
            t->setup_s, t->sync_s, t->digest_s, 1e3 * t->sync_s / (double)(t->syncs ? t->syncs : 1),
            t->rss_kb / 1024, per((uint64_t)(t->rss_kb - t->rss_start_kb), (uint64_t)t->final_devices),
            per(t->disk_bytes, (uint64_t)t->final_devices) / 1024, t->ops_total, t->segments);
    return fclose(f) ? cl_seterr(CL_EIO, "cannot write %s", path) : CL_OK;
}
