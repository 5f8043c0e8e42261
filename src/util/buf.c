#include "clientele/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cl_buf_reserve(cl_buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > SIZE_MAX / 4 - b->len) /* the doubling below would overflow */
        return b->err = cl_seterr(CL_ENOMEM, "out of memory: %zu more bytes asked", extra);
    if (b->len + extra + 1 <= b->cap)
        return CL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (!p)
        return b->err = cl_seterr(CL_ENOMEM, "out of memory");
    p[b->len] = 0; /* a buffer that has memory is a C string, even before any append */
    b->data = p;
    b->cap = cap;
    return CL_OK;
}

int cl_buf_put(cl_buf *b, const void *p, size_t n)
{
    int rc = cl_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return CL_OK;
}

int cl_buf_puts(cl_buf *b, const char *s)
{
    return cl_buf_put(b, s, strlen(s));
}

int cl_buf_printf(cl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return b->err = cl_seterr(CL_EINVAL, "bad format");
    int rc = cl_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CL_OK;
}

int cl_buf_put_u8(cl_buf *b, uint8_t v)
{
    return cl_buf_put(b, &v, 1);
}

int cl_buf_put_be64(cl_buf *b, uint64_t v)
{
    unsigned char x[8];
    cl_be64_put(x, v);
    return cl_buf_put(b, x, 8);
}

int cl_buf_put_varint(cl_buf *b, uint64_t v)
{
    unsigned char x[10];
    size_t n = 0;
    do {
        x[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            x[n] |= 0x80;
        n++;
    } while (v);
    return cl_buf_put(b, x, n);
}

void cl_buf_reset(cl_buf *b)
{
    b->len = 0;
    b->err = CL_OK;
    if (b->data)
        b->data[0] = 0;
}

void cl_buf_free(cl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = CL_OK;
}

char *cl_buf_steal(cl_buf *b)
{
    if (b->err) { /* a failed run of appends hands over nothing partial */
        cl_buf_free(b);
        return NULL;
    }
    if (!b->data) { /* nothing was ever appended: "" (reserve leaves it unset) */
        if (cl_buf_reserve(b, 0))
            return NULL;
        b->data[0] = 0;
    }
    char *p = (char *)b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = CL_OK;
    return p;
}

void cl_reader_init(cl_reader *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
}

size_t cl_reader_left(const cl_reader *r)
{
    return (size_t)(r->end - r->p);
}

int cl_get_u8(cl_reader *r, uint8_t *v)
{
    if (r->p >= r->end)
        return CL_ECORRUPT;
    *v = *r->p++;
    return CL_OK;
}

int cl_get_be64(cl_reader *r, uint64_t *v)
{
    if (cl_reader_left(r) < 8)
        return CL_ECORRUPT;
    *v = cl_be64_get(r->p);
    r->p += 8;
    return CL_OK;
}

int cl_get_varint(cl_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return CL_ECORRUPT;
        unsigned char c = *r->p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return CL_OK;
        }
    }
    return CL_ECORRUPT;
}

int cl_get_bytes(cl_reader *r, size_t n, const unsigned char **p)
{
    if (cl_reader_left(r) < n)
        return CL_ECORRUPT;
    *p = r->p;
    r->p += n;
    return CL_OK;
}

void cl_be64_put(unsigned char out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)v;
        v >>= 8;
    }
}

uint64_t cl_be64_get(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

void cl_be32_put(unsigned char out[4], uint32_t v)
{
    out[0] = (unsigned char)(v >> 24);
    out[1] = (unsigned char)(v >> 16);
    out[2] = (unsigned char)(v >> 8);
    out[3] = (unsigned char)v;
}

uint32_t cl_be32_get(const unsigned char in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

int cl_reserve(void *items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return CL_OK;
    size_t n = *cap ? *cap : 16;
    while (n < need && n <= SIZE_MAX / 2)
        n *= 2;
    void *old, *p;
    memcpy(&old, items, sizeof old); /* items is a T **: read it without aliasing */
    if (n < need || n > SIZE_MAX / size || !(p = realloc(old, n * size)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    memcpy(items, &p, sizeof p);
    *cap = n;
    return CL_OK;
}
