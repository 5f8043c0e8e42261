/* The client's saved TLS sessions, so that the next connection to a paired
 * device can resume (RFC 5077 ticket) instead of a full handshake.
 *
 * One file per peer, <dir>/tls-sessions/<peer id in hex>, owner-only in an
 * owner-only folder: it holds the session's master secret. Layout:
 *   SHA-256 of the rest (32) · our device id (20) · mbedtls_ssl_session_save()
 * The checksum turns a damaged file into a miss rather than a handshake that
 * fails; our id keeps sessions made under a replaced key.pem from being
 * offered (the server would take us for the old device). The file is a cache:
 * not fsynced, and any failure here is silent. */
#include "net/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

#define HEAD (CL_SHA256_LEN + CL_DEVICE_ID_LEN)
#define FILE_MAX 16384 /* a session with a P-256 certificate is about 1 KB */

static void session_path(const cl_identity *me, const cl_device_id *peer, char *out, size_t cap)
{
    char hex[2 * CL_DEVICE_ID_LEN + 1];
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", peer->b[i]);
    snprintf(out, cap, "%s/tls-sessions/%s", me->dir, hex);
}

/* The whole file into buf; its length, or 0 when missing or too big. */
static size_t read_small(const char *path, unsigned char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    size_t n = 0;
    ssize_t r;
    while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
        n += (size_t)r;
    close(fd);
    return n < cap ? n : 0;
}

/* Expired by its ticket's lifetime hint: the server would refuse it anyway,
 * and a master secret is better not kept longer than it is useful. */
static bool expired(const mbedtls_ssl_session *s)
{
    time_t now = time(NULL);
    return s->ticket_len == 0 || now < s->start || (uint64_t)(now - s->start) > s->ticket_lifetime;
}

bool net_session_load(const cl_identity *me, const cl_device_id *peer, mbedtls_ssl_session *out)
{
    char path[4096];
    session_path(me, peer, path, sizeof path);
    unsigned char buf[FILE_MAX], sum[CL_SHA256_LEN];
    size_t n = read_small(path, buf, sizeof buf);
    bool ok = n > HEAD;
    if (ok) {
        cl_sha256(buf + CL_SHA256_LEN, n - CL_SHA256_LEN, sum);
        ok = !memcmp(sum, buf, CL_SHA256_LEN) && !memcmp(buf + CL_SHA256_LEN, me->device.b, CL_DEVICE_ID_LEN) &&
             mbedtls_ssl_session_load(out, buf + HEAD, n - HEAD) == 0;
    }
    if (ok && expired(out)) {
        unlink(path);
        ok = false;
    }
    mbedtls_platform_zeroize(buf, sizeof buf);
    return ok;
}

/* Write to a unique temporary name, then rename: concurrent syncs with the
 * same peer (serve's scheduler and a 'clientele sync') each write whole
 * files, and a reader sees an old or a new one, never a mix. */
static void write_atomic(const char *path, const unsigned char *p, size_t n)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return;
    bool ok = write(fd, p, n) == (ssize_t)n;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

void net_session_save(const cl_identity *me, const cl_device_id *peer, const mbedtls_ssl_session *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tls-sessions", me->dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return;
    unsigned char buf[FILE_MAX];
    size_t len;
    if (mbedtls_ssl_session_save(s, buf + HEAD, sizeof buf - HEAD, &len) != 0)
        return;
    memcpy(buf + CL_SHA256_LEN, me->device.b, CL_DEVICE_ID_LEN);
    cl_sha256(buf + CL_SHA256_LEN, CL_DEVICE_ID_LEN + len, buf);
    session_path(me, peer, path, sizeof path);
    write_atomic(path, buf, HEAD + len);
    mbedtls_platform_zeroize(buf, sizeof buf);
}

void cl_conn_forget_session(const cl_identity *me, const cl_device_id *peer)
{
    char path[4096];
    session_path(me, peer, path, sizeof path);
    unlink(path);
}
