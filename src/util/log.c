#include "clientele/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum cl_log_level threshold(void)
{
    const char *v = getenv("CLIENTELE_LOG");
    if (!v) return CL_LOG_INFO;
    if (!strcmp(v, "debug")) return CL_LOG_DEBUG;
    if (!strcmp(v, "warn")) return CL_LOG_WARN;
    if (!strcmp(v, "error")) return CL_LOG_ERROR;
    return CL_LOG_INFO;
}

void cl_log(enum cl_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < threshold())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one write per line so that lines of several threads never interleave */
    char out[1100];
    int n = snprintf(out, sizeof out, "clientele[%d] %s: %s\n", (int)getpid(), names[level], line);
    if (n > (int)sizeof out - 1)
        n = (int)sizeof out - 1;
    if (write(STDERR_FILENO, out, (size_t)n) < 0) { /* nowhere left to report */ }
}
