/* A TLS front (net.h): the DAV server reached from the office Wi-Fi
 * (`serve --dav-listen`, docs/dav.md) is the page's civetweb, which serves
 * only loopback in plain HTTP; this terminates TLS with mbedTLS and the
 * device's certificate and relays the bytes to a loopback port, so TLS is
 * done by the same library and key as the peers' connections, and civetweb
 * needs no TLS library of its own.
 *
 * One acceptor thread; one thread per connection (at most
 * CL_FRONT_MAX_CONNS, PER_ADDRESS from one address: beyond, a connection is
 * closed at once). Every wait is
 * a poll that also watches the stop pipe, so stopping is prompt. */
#include "net/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#define HANDSHAKE_MS 10000
#define IDLE_MS 120000
#define CONNECT_MS 5000
#define RELAY_BUF 16384
#define PER_ADDRESS 8           /* connections from one address at once */

struct cl_tls_front {
    const cl_identity *me;
    int lfd;
    uint16_t port;
    int stop[2];                /* a pipe: readable once stopping */
    char target[64];
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_cond_t idle;        /* signalled when active drops */
    int active;
    uint32_t from[CL_FRONT_MAX_CONNS]; /* the address of each slot's connection; 0: free */
};

typedef struct relay {
    cl_tls_front *f;
    int slot;
    int fd, inner;
    uint64_t deadline;          /* of the handshake; 0 after it */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
} relay;

/* Wait for fd to be ready for events, at most ms (cut to the handshake's
 * deadline); false on timeout, stop or error. */
static bool ready(relay *r, int fd, short events, int ms)
{
    if (r->deadline) {
        uint64_t now = cl_mono_ms();
        if (now >= r->deadline)
            return false;
        if (r->deadline - now < (uint64_t)ms)
            ms = (int)(r->deadline - now);
    }
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = r->f->stop[0], .events = POLLIN}};
    int n;
    while ((n = poll(p, 2, ms)) < 0 && errno == EINTR)
        ;
    return n > 0 && !p[1].revents && (p[0].revents & (events | POLLHUP | POLLERR));
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    relay *r = ctx;
    if (!ready(r, r->fd, POLLOUT, IDLE_MS))
        return MBEDTLS_ERR_SSL_TIMEOUT;
    ssize_t w = send(r->fd, buf, len, MSG_NOSIGNAL);
    return w < 0 ? (errno == EINTR || errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_CONN_RESET) : (int)w;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    relay *r = ctx;
    if (!ready(r, r->fd, POLLIN, IDLE_MS))
        return MBEDTLS_ERR_SSL_TIMEOUT;
    ssize_t n = recv(r->fd, buf, len, 0);
    return n < 0 ? (errno == EINTR || errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_CONN_RESET) : (int)n;
}

static int handshake(relay *r)
{
    int rc = net_tls_config(r->f->me, true, &r->conf, &r->cert, &r->key);
    if (rc)
        return rc;
    mbedtls_ssl_conf_authmode(&r->conf, MBEDTLS_SSL_VERIFY_NONE);
    if ((rc = mbedtls_ssl_setup(&r->ssl, &r->conf)))
        return net_tls_err(rc, "TLS setup");
    mbedtls_ssl_set_bio(&r->ssl, r, bio_send, bio_recv, NULL);
    r->deadline = cl_mono_ms() + HANDSHAKE_MS;
    while ((rc = mbedtls_ssl_handshake(&r->ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        ;
    r->deadline = 0;
    return rc ? net_tls_err(rc, "DAV client") : CL_OK;
}

static bool send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w, n -= (size_t)w;
    }
    return true;
}

static bool tls_write_all(relay *r, const unsigned char *p, size_t n)
{
    while (n) {
        int w = mbedtls_ssl_write(&r->ssl, p, n);
        if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (w <= 0)
            return false;
        p += w, n -= (size_t)w;
    }
    return true;
}

/* Client → inner: what TLS holds or the socket brings. False to close. */
static bool client_to_inner(relay *r, unsigned char *buf)
{
    int n = mbedtls_ssl_read(&r->ssl, buf, RELAY_BUF);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
        return true;
    return n > 0 && send_all(r->inner, buf, (size_t)n);
}

static bool inner_to_client(relay *r, unsigned char *buf)
{
    ssize_t n = recv(r->inner, buf, RELAY_BUF, 0);
    if (n < 0 && errno == EINTR)
        return true;
    return n > 0 && tls_write_all(r, buf, (size_t)n);
}

static void pump(relay *r)
{
    unsigned char *buf = malloc(RELAY_BUF);
    for (bool open = buf != NULL; open;) {
        if (mbedtls_ssl_get_bytes_avail(&r->ssl)) { /* decrypted already: no poll would tell */
            open = client_to_inner(r, buf);
            continue;
        }
        struct pollfd p[3] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->inner, .events = POLLIN},
                              {.fd = r->f->stop[0], .events = POLLIN}};
        int n = poll(p, 3, IDLE_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || p[2].revents)
            break;
        if (p[0].revents)
            open = client_to_inner(r, buf);
        if (open && p[1].revents)
            open = inner_to_client(r, buf);
    }
    free(buf);
    mbedtls_ssl_close_notify(&r->ssl);
}

static void release(cl_tls_front *f, int slot);

static void *relay_main(void *arg)
{
    relay *r = arg;
    cl_tls_front *f = r->f;
    mbedtls_ssl_init(&r->ssl);
    mbedtls_ssl_config_init(&r->conf);
    mbedtls_x509_crt_init(&r->cert);
    mbedtls_pk_init(&r->key);
    int rc = handshake(r);
    if (!rc)
        rc = net_connect(f->target, CONNECT_MS, &r->inner);
    if (!rc) {
        int fl = fcntl(r->inner, F_GETFL);
        fcntl(r->inner, F_SETFL, fl & ~O_NONBLOCK);
        pump(r);
        close(r->inner);
    } else {
        cl_log(CL_LOG_INFO, "DAV over TLS: %s", cl_errmsg());
    }
    close(r->fd);
    mbedtls_ssl_free(&r->ssl);
    mbedtls_ssl_config_free(&r->conf);
    mbedtls_x509_crt_free(&r->cert);
    mbedtls_pk_free(&r->key);
    int slot = r->slot;
    free(r);
    release(f, slot);
    return NULL;
}

/* A slot for a connection from addr, or -1: all taken, or PER_ADDRESS from
 * there already (so that one stranger's idle connections cannot take every
 * slot; each also ends with the handshake's deadline). */
static int reserve(cl_tls_front *f, uint32_t addr)
{
    int slot = -1, same = 0;
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < CL_FRONT_MAX_CONNS; i++) {
        same += f->from[i] == addr;
        if (!f->from[i] && slot < 0)
            slot = i;
    }
    if (slot >= 0 && same < PER_ADDRESS)
        f->from[slot] = addr, f->active++;
    else
        slot = -1;
    pthread_mutex_unlock(&f->mu);
    return slot;
}

static void release(cl_tls_front *f, int slot)
{
    pthread_mutex_lock(&f->mu);
    f->from[slot] = 0;
    f->active--;
    pthread_cond_signal(&f->idle);
    pthread_mutex_unlock(&f->mu);
}

static void take(cl_tls_front *f, int fd, uint32_t addr)
{
    int slot = reserve(f, addr ? addr : 1);
    relay *r = slot >= 0 ? calloc(1, sizeof *r) : NULL;
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (r) {
        r->f = f, r->slot = slot, r->fd = fd, r->inner = -1;
        if (!pthread_create(&th, &at, relay_main, r)) {
            pthread_attr_destroy(&at);
            return;
        }
        free(r);
    }
    pthread_attr_destroy(&at);
    close(fd);
    if (slot >= 0)
        release(f, slot);
}

static void *accept_main(void *arg)
{
    cl_tls_front *f = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN}, {.fd = f->stop[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        int fd = accept4(f->lfd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
        if (fd >= 0)
            take(f, fd, sa.sin_family == AF_INET ? sa.sin_addr.s_addr : 1);
    }
    return NULL;
}

int cl_tls_front_start(const cl_identity *me, const char *listen, const char *target, cl_tls_front **out)
{
    *out = NULL;
    if (strlen(target) >= sizeof ((cl_tls_front *)0)->target)
        return cl_seterr(CL_EINVAL, "relay target too long: %s", target);
    cl_tls_front *f = calloc(1, sizeof *f);
    if (!f)
        return cl_seterr(CL_ENOMEM, "out of memory");
    f->me = me;
    snprintf(f->target, sizeof f->target, "%s", target);
    int rc = cl_listen(listen, &f->lfd, &f->port);
    if (rc) {
        free(f);
        return rc;
    }
    if (pipe2(f->stop, O_CLOEXEC)) {
        close(f->lfd);
        free(f);
        return cl_seterr(CL_EIO, "pipe: %s", strerror(errno));
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->idle, NULL);
    if (pthread_create(&f->acceptor, NULL, accept_main, f)) {
        f->acceptor = 0;
        cl_tls_front_stop(f);
        return cl_seterr(CL_EIO, "cannot start the TLS front's thread");
    }
    *out = f;
    return CL_OK;
}

uint16_t cl_tls_front_port(const cl_tls_front *f)
{
    return f->port;
}

void cl_tls_front_stop(cl_tls_front *f)
{
    if (!f)
        return;
    if (write(f->stop[1], "x", 1) < 0) { /* the pipe is ours and empty: cannot fail */ }
    if (f->acceptor)
        pthread_join(f->acceptor, NULL);
    pthread_mutex_lock(&f->mu);
    while (f->active)
        pthread_cond_wait(&f->idle, &f->mu);
    pthread_mutex_unlock(&f->mu);
    close(f->lfd);
    close(f->stop[0]);
    close(f->stop[1]);
    pthread_cond_destroy(&f->idle);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
