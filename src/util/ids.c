/* Device and record identifiers in their text forms. */
#include "clientele/util.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void cl_base32_encode(const unsigned char *in, size_t n, char *out, bool lower)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = B32[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = B32[(acc << (5 - bits)) & 31];
    out[o] = 0;
    if (lower)
        for (size_t i = 0; i < o; i++)
            out[i] = (char)tolower((unsigned char)out[i]);
}

/* Value of one base32 symbol, reading look-alikes leniently; -1 if none. */
static int b32_value(int c)
{
    c = toupper(c);
    if (c == '0') c = 'O';
    if (c == '1') c = 'I';
    if (c == '8') c = 'B';
    const char *p = c ? strchr(B32, c) : NULL;
    return p ? (int)(p - B32) : -1;
}

int cl_base32_decode(const char *sym, size_t nsym, unsigned char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < nsym; i++) {
        int v = b32_value(sym[i]);
        if (v < 0)
            return CL_EINVAL;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits && (acc & ((1u << bits) - 1)))
        return CL_EINVAL;
    return CL_OK;
}

/* CRC-15 (polynomial 0x4599, as CAN uses) over bytes: it detects every error
 * burst of up to 15 bits, so every wrong symbol and every swap of two
 * neighbouring symbols. */
static uint16_t crc15(const unsigned char *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = 7; b >= 0; b--) {
            int bit = ((p[i] >> b) & 1) ^ ((crc >> 14) & 1);
            crc = (uint16_t)((crc << 1) & 0x7fff);
            if (bit)
                crc ^= 0x4599;
        }
    return crc;
}

void cl_device_id_format(const cl_device_id *id, char out[CL_DEVICE_ID_TEXT])
{
    char sym[36];
    cl_base32_encode(id->b, CL_DEVICE_ID_LEN, sym, false); /* 32 symbols */
    uint16_t crc = crc15(id->b, CL_DEVICE_ID_LEN);
    sym[32] = B32[(crc >> 10) & 31];
    sym[33] = B32[(crc >> 5) & 31];
    sym[34] = B32[crc & 31];
    size_t o = 0;
    for (int i = 0; i < 35; i++) {
        if (i && i % 5 == 0)
            out[o++] = '-';
        out[o++] = sym[i];
    }
    out[o] = 0;
}

int cl_device_id_parse(const char *text, cl_device_id *id)
{
    char sym[35];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        if (b32_value((unsigned char)*p) < 0)
            return cl_seterr(CL_EINVAL, "not a device id: '%c' is not one of its symbols", *p);
        if (n == sizeof sym)
            return cl_seterr(CL_EINVAL, "not a device id: too long (35 symbols expected)");
        sym[n++] = *p;
    }
    if (n != sizeof sym)
        return cl_seterr(CL_EINVAL, "not a device id: %zu symbols, 35 expected", n);
    cl_device_id d;
    if (cl_base32_decode(sym, 32, d.b) != CL_OK)
        return cl_seterr(CL_EINVAL, "not a device id");
    uint16_t crc = crc15(d.b, CL_DEVICE_ID_LEN);
    int c0 = b32_value(sym[32]), c1 = b32_value(sym[33]), c2 = b32_value(sym[34]);
    if (((c0 << 10) | (c1 << 5) | c2) != crc)
        return cl_seterr(CL_EINVAL, "device id check failed: a symbol is mistyped");
    *id = d;
    return CL_OK;
}

void cl_record_id_format(const cl_record_id *id, char out[CL_RECORD_ID_TEXT])
{
    cl_base32_encode(id->b, CL_RECORD_ID_LEN, out, true);
}

int cl_record_id_parse(const char *text, cl_record_id *id)
{
    size_t n = strlen(text);
    if (n != CL_RECORD_ID_TEXT - 1)
        return cl_seterr(CL_EINVAL, "not a record id: '%.40s' (26 letters and digits expected)", text);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)text[i]) || b32_value((unsigned char)text[i]) < 0)
            return cl_seterr(CL_EINVAL, "not a record id: '%s'", text);
    unsigned char b[CL_RECORD_ID_LEN + 1];
    if (cl_base32_decode(text, n, b) != CL_OK)
        return cl_seterr(CL_EINVAL, "not a record id: '%s'", text);
    memcpy(id->b, b, CL_RECORD_ID_LEN);
    return CL_OK;
}

/* 48 bits of milliseconds, then 80 random bits: as unique as 128 random bits
 * for any practical book. Within one process ids only grow (a second id in the
 * same millisecond is the previous one plus one, as monotonic ULIDs do), so a
 * device's new records land at the end of every index keyed by record id and
 * LMDB pages stay full. */
int cl_record_id_new(cl_record_id *id)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static cl_record_id last;
    unsigned char now[6];
    uint64_t ms = cl_now_ms();
    for (int i = 5; i >= 0; i--, ms >>= 8)
        now[i] = (unsigned char)ms;
    pthread_mutex_lock(&lock);
    int rc = CL_OK;
    if (memcmp(now, last.b, 6) > 0) {
        memcpy(last.b, now, 6);
        rc = cl_random(last.b + 6, sizeof last.b - 6);
        last.b[6] &= 0x7f; /* room to count up within the millisecond */
    } else {
        for (int i = CL_RECORD_ID_LEN - 1; i >= 0 && ++last.b[i] == 0; i--)
            ;
    }
    *id = last;
    pthread_mutex_unlock(&lock);
    return rc;
}
