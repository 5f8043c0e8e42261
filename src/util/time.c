#include "clientele/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <stdbool.h>

static _Atomic int64_t clock_offset;
static _Atomic bool clock_offset_read;

void cl_clock_offset_set(int64_t ms)
{
    clock_offset = ms;
    clock_offset_read = true;
}

uint64_t cl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (!clock_offset_read) { /* once: this is called for every op */
        const char *off = getenv("CLIENTELE_CLOCK_OFFSET_MS");
        clock_offset = off ? strtoll(off, NULL, 10) : 0;
        clock_offset_read = true;
    }
    ms += clock_offset;
    return ms > 0 ? (uint64_t)ms : 0;
}

uint64_t cl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cl_format_iso(uint64_t ms, char out[32])
{
    if (ms > 253402300799999ull) /* keep to four-digit years */
        ms = 253402300799999ull;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (unsigned)(ms % 1000));
}

void cl_today(char out[11])
{
    time_t t = (time_t)(cl_now_ms() / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
