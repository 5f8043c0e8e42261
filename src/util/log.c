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
    /* Names and messages from other devices land here: a CR or LF would
     * forge log lines, an ESC sequence would reach whoever reads the log on a
     * terminal. One write per line so that lines of several threads never
     * interleave. */
    cl_buf out = {0};
    int rc = cl_buf_printf(&out, "clientele[%d] %s: ", (int)getpid(), names[level]);
    if (!rc)
        rc = cl_escape_controls(&out, line, strlen(line), false);
    if (!rc)
        rc = cl_buf_put_u8(&out, '\n');
    if (!rc && write(STDERR_FILENO, out.data, out.len) < 0) { /* nowhere left to report */ }
    cl_buf_free(&out);
}
