#include "clientele/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errmsg[512];

int cl_seterr(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return code;
}

int cl_wraperr(int code, const char *fmt, ...)
{
    char prefix[256], old[sizeof errmsg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    size_t n = strlen(prefix);
    memcpy(errmsg, prefix, n);
    if (n + 2 < sizeof errmsg) {
        memcpy(errmsg + n, ": ", 2);
        n += 2;
    }
    size_t rest = strlen(old);
    if (rest > sizeof errmsg - 1 - n)
        rest = sizeof errmsg - 1 - n;
    memcpy(errmsg + n, old, rest);
    errmsg[n + rest] = 0;
    return code;
}

void cl_err_save(cl_err_saved *e, int code)
{
    e->code = code;
    memcpy(e->msg, errmsg, sizeof e->msg);
}

int cl_err_restore(const cl_err_saved *e)
{
    memcpy(errmsg, e->msg, sizeof errmsg);
    return e->code;
}

const char *cl_errmsg(void)
{
    return errmsg;
}

const char *cl_errname(int code)
{
    switch (code) {
    case CL_OK: return "ok";
    case CL_ENOMEM: return "out_of_memory";
    case CL_EINVAL: return "invalid";
    case CL_ENOTFOUND: return "not_found";
    case CL_EIO: return "io";
    case CL_ECORRUPT: return "corrupt";
    case CL_EVERSION: return "version";
    case CL_ESTORE: return "store";
    case CL_ETLS: return "tls";
    case CL_EPROTO: return "protocol";
    case CL_EDENIED: return "denied";
    case CL_EEXIST: return "exists";
    case CL_ETIMEOUT: return "timeout";
    case CL_EFULL: return "full";
    case CL_EINTR: return "interrupted";
    case CL_EFORK: return "forked";
    }
    return "error";
}
