/* Mutually authenticated TLS connections carrying frames. Each side presents
 * its self-signed certificate; a certificate is trusted only when its key
 * hashes to the device id we expect (client side) or, on the server side,
 * after the handshake by the caller checking cl_conn_peer() against its
 * pairings (so that an unknown device can be listed as a pending request).
 *
 * Repeat connections to a known device resume the TLS session (RFC 5077
 * tickets: the server seals the session with its ticket key, the client keeps
 * it in a file, see resume.c), which skips the ECDHE and ECDSA work. A resumed
 * handshake carries no Certificate message, so verify() does not run: the pin
 * is checked again after every handshake on the certificate the session
 * carries (MBEDTLS_SSL_KEEP_PEER_CERTIFICATE). */
#include "net/internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

struct cl_conn {
    int fd;
    int timeout_ms;
    /* cl_mono_ms() by which the handshake and the first frame must be done
     * (0: none): a per-read timeout alone lets a peer that drips one byte per
     * timeout hold the connection for ever. Lifted by the first frame. */
    uint64_t deadline;
    bool server;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt own_cert;
    mbedtls_pk_context own_key;
    /* the pin */
    const cl_device_id *expect;
    bool (*is_known)(void *ctx, const cl_device_id *id);
    void *known_ctx;
    bool have_peer, pin_ok;
    cl_device_id peer;
    /* resumption */
    const cl_identity *me;     /* borrowed: the session cache, the ticket keys */
    bool verified;             /* verify() saw a certificate: a full handshake */
    bool ticket_ok;            /* server: the client's ticket was accepted */
    bool offered;              /* client: a saved session was offered... */
    unsigned char offered_master[48]; /* ...with this master secret */
    bool resumed;
    char ip[64];
    uint64_t sent, received;
    unsigned char *rbuf;     /* received bytes not yet returned as frames */
    size_t rstart, rlen, rcap;
};

/* Prefer ChaCha20-Poly1305 (fastest in Debian's build), AES-GCM as fallback. */
static const int SUITES[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    0,
};

static int rng(void *ctx, unsigned char *out, size_t n)
{
    (void)ctx;
    return cl_random(out, n) ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : 0;
}

/* How long the next poll may wait: the per-read timeout, cut to what is left
 * of the deadline; 0 when the deadline has passed. */
static int wait_ms(const cl_conn *c)
{
    if (!c->deadline)
        return c->timeout_ms;
    uint64_t now = cl_mono_ms();
    if (now >= c->deadline)
        return 0;
    uint64_t left = c->deadline - now;
    return left < (uint64_t)c->timeout_ms ? (int)left : c->timeout_ms;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    cl_conn *c = ctx;
    struct pollfd p = {.fd = c->fd, .events = POLLOUT};
    int n = poll(&p, 1, wait_ms(c));
    if (n == 0)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    if (n < 0)
        return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
    ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EINTR || errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_CONN_RESET;
    c->sent += (uint64_t)w;
    return (int)w;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    cl_conn *c = ctx;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int n = poll(&p, 1, wait_ms(c));
    if (n == 0)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    if (n < 0)
        return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r < 0)
        return errno == EINTR || errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_CONN_RESET;
    c->received += (uint64_t)r;
    return (int)r;
}

/* Whether c->peer is the device this side may talk to. */
static bool pinned(cl_conn *c)
{
    if (c->server)
        return true;                 /* decided by the caller after the handshake */
    if (c->expect)
        return !memcmp(c->peer.b, c->expect->b, CL_DEVICE_ID_LEN);
    return c->is_known && c->is_known(c->known_ctx, &c->peer);
}

static int verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    cl_conn *c = ctx;
    if (depth != 0)
        return 0;
    if (net_device_id_of_pk(&crt->pk, &c->peer))
        return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
    c->have_peer = c->verified = true;
    c->pin_ok = pinned(c);
    if (c->pin_ok)
        *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    return 0;
}

/* The identity's ticket callbacks, wrapped to learn whether the client's
 * ticket was accepted; p is the connection (each has its own config). */
static int ticket_write(void *p, const mbedtls_ssl_session *s, unsigned char *start, const unsigned char *end,
                        size_t *tlen, uint32_t *lifetime)
{
    cl_conn *c = p;
    return mbedtls_ssl_ticket_write(c->me->tickets, s, start, end, tlen, lifetime);
}

static int ticket_parse(void *p, mbedtls_ssl_session *s, unsigned char *buf, size_t len)
{
    cl_conn *c = p;
    int rc = mbedtls_ssl_ticket_parse(c->me->tickets, s, buf, len);
    c->ticket_ok = rc == 0;
    return rc;
}

int net_tls_config(const cl_identity *me, bool server, mbedtls_ssl_config *conf, mbedtls_x509_crt *cert,
                   mbedtls_pk_context *key)
{
    int rc;
    if ((rc = mbedtls_x509_crt_parse(cert, (const unsigned char *)me->cert_pem, strlen(me->cert_pem) + 1)) ||
        (rc = mbedtls_pk_parse_key(key, (const unsigned char *)me->key_pem, strlen(me->key_pem) + 1, NULL, 0)))
        return net_tls_err(rc, "device key");
    rc = mbedtls_ssl_config_defaults(conf, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                     MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc)
        return net_tls_err(rc, "TLS setup");
    mbedtls_ssl_conf_rng(conf, rng, NULL);
    mbedtls_ssl_conf_ciphersuites(conf, SUITES);
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    if ((rc = mbedtls_ssl_conf_own_cert(conf, cert, key)))
        return net_tls_err(rc, "TLS setup");
    return CL_OK;
}

int net_tls_err(int rc, const char *what)
{
    char buf[128];
    mbedtls_strerror(rc, buf, sizeof buf);
    if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
        return cl_seterr(CL_ETIMEOUT, "%s: timed out", what);
    if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_NET_CONN_RESET || rc == 0)
        return cl_seterr(CL_EIO, "%s: connection closed by the other side", what);
    return cl_seterr(CL_ETLS, "%s: %s", what, buf);
}

/* expect: the pinned device of a client, NULL for a server. */
static int conn_new(const cl_identity *me, int fd, bool server, const cl_device_id *expect, int timeout_ms,
                    cl_conn **out)
{
    cl_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    c->fd = fd;
    c->server = server;
    c->expect = expect;
    c->me = me;
    c->timeout_ms = timeout_ms;
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->own_cert);
    mbedtls_pk_init(&c->own_key);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (!getpeername(fd, (struct sockaddr *)&sa, &len) && sa.sin_family == AF_INET)
        inet_ntop(AF_INET, &sa.sin_addr, c->ip, sizeof c->ip);
    *out = c;
    int rc = net_tls_config(me, server, &c->conf, &c->own_cert, &c->own_key);
    if (rc)
        return rc;
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    /* VERIFY_REQUIRED wants a CA chain; our own certificate stands in, and
     * the verify callback decides on the peer's key. */
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->own_cert, NULL);
    mbedtls_ssl_conf_verify(&c->conf, verify, c);
    if (server)
        mbedtls_ssl_conf_session_tickets_cb(&c->conf, ticket_write, ticket_parse, c);
    else /* ask for a ticket only when we will keep it: for a pinned device */
        mbedtls_ssl_conf_session_tickets(&c->conf, expect ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                          : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    if ((rc = mbedtls_ssl_setup(&c->ssl, &c->conf)))
        return net_tls_err(rc, "TLS setup");
    if (!server && (rc = mbedtls_ssl_set_hostname(&c->ssl, NULL)))
        return net_tls_err(rc, "TLS setup");
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    return CL_OK;
}

static int pin_error(cl_conn *c, const char *who)
{
    char got[CL_DEVICE_ID_TEXT], want[CL_DEVICE_ID_TEXT] = "a paired device";
    cl_device_id_format(&c->peer, got);
    if (c->expect)
        cl_device_id_format(c->expect, want);
    return cl_seterr(CL_EDENIED, "%s is device %s, not %s", who, got, want);
}

/* After every successful handshake: the peer is the certificate of the
 * session, pinned again. In a full handshake verify() already did so on the
 * same certificate; in a resumed one (no Certificate message) this is the
 * only check, and it also gives the server its c->peer. */
static int check_peer(cl_conn *c, const char *who)
{
    const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);
    if (!crt)
        return cl_seterr(CL_EDENIED, "%s presented no certificate", who);
    /* the cast: mbedTLS 2.28's key writer lacks a const but only reads */
    if (net_device_id_of_pk((mbedtls_pk_context *)&crt->pk, &c->peer))
        return CL_ETLS;
    c->have_peer = true;
    c->pin_ok = pinned(c);
    return c->pin_ok ? CL_OK : pin_error(c, who);
}

/* Whether this handshake resumed a session. mbedTLS 2.28 records that only
 * in ssl->handshake->resume, private and freed with the handshake, so it is
 * inferred from public state: on the client, the session kept the master
 * secret we offered (a full handshake derives a fresh one from new randoms
 * and ECDHE); on the server, ticket_parse() accepted the client's ticket,
 * upon which 2.28 always resumes. On both, no certificate went through
 * verify(), as in every abbreviated handshake. Only reporting depends on
 * this: check_peer() pins either way. */
static bool was_resumed(cl_conn *c)
{
    if (c->verified)
        return false;
    if (c->server)
        return c->ticket_ok;
    const mbedtls_ssl_session *s = mbedtls_ssl_get_session_pointer(&c->ssl);
    return c->offered && s && !memcmp(s->master, c->offered_master, sizeof c->offered_master);
}

static int handshake(cl_conn *c, const char *who)
{
    int rc;
    do
        rc = mbedtls_ssl_handshake(&c->ssl);
    while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (rc && c->have_peer && !c->pin_ok)
        return pin_error(c, who);
    if (rc)
        return net_tls_err(rc, who);
    if ((rc = check_peer(c, who)))
        return rc;
    c->resumed = was_resumed(c);
    return CL_OK;
}

/* Offer the session saved for the pinned device, if there is a usable one. */
static void offer_session(cl_conn *c)
{
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    if (net_session_load(c->me, c->expect, &s) && mbedtls_ssl_set_session(&c->ssl, &s) == 0) {
        c->offered = true;
        memcpy(c->offered_master, s.master, sizeof c->offered_master);
    }
    mbedtls_ssl_session_free(&s);
}

/* Keep the session of a full handshake for next time. A resumed session is
 * the saved one already (the server sends no new ticket then), and one
 * without a ticket could not be resumed. */
static void keep_session(cl_conn *c)
{
    const mbedtls_ssl_session *s = mbedtls_ssl_get_session_pointer(&c->ssl);
    if (!c->resumed && s && s->ticket_len)
        net_session_save(c->me, c->expect, s);
}

/* One TCP connection and handshake, offering the saved session when resume;
 * *offered says whether one was offered. */
static int connect_once(const cl_identity *me, const char *addr, const cl_device_id *expect,
                        bool (*is_known)(void *ctx, const cl_device_id *id), void *ctx, int timeout_ms,
                        bool resume, bool *offered, cl_conn **out)
{
    int fd, rc = net_connect(addr, timeout_ms, &fd);
    if (rc)
        return rc;
    cl_conn *c = NULL;
    if (!(rc = conn_new(me, fd, false, expect, timeout_ms, &c))) {
        c->is_known = is_known;
        c->known_ctx = ctx;
        if (resume)
            offer_session(c);
        *offered = c->offered;
        rc = handshake(c, addr);
    }
    if (rc) {
        if (c && c->offered) /* a session that took part in a failure is not offered again */
            cl_conn_forget_session(me, expect);
        cl_conn_close(c);
        return rc;
    }
    if (expect)
        keep_session(c);
    *out = c;
    return CL_OK;
}

int cl_conn_connect(const cl_identity *me, const char *addr, const cl_device_id *expect,
                    bool (*is_known)(void *ctx, const cl_device_id *id), void *ctx,
                    int timeout_ms, cl_conn **out)
{
    bool offered = false;
    int rc = connect_once(me, addr, expect, is_known, ctx, timeout_ms, expect != NULL, &offered, out);
    /* The server took the saved session but the handshake then failed (a file
     * damaged in a way its checksum missed, a bug): a lost cache must cost a
     * full handshake, not a failed sync. A wrong peer (CL_EDENIED) is final. */
    if (rc == CL_ETLS && offered)
        rc = connect_once(me, addr, expect, is_known, ctx, timeout_ms, false, &offered, out);
    return rc;
}

int cl_conn_probe(const cl_identity *me, const char *addr, const cl_device_id *expect, int within_ms)
{
    uint64_t start = cl_mono_ms();
    int fd, rc = net_connect(addr, within_ms, &fd);
    if (rc)
        return rc;
    cl_conn *c = NULL;
    if (!(rc = conn_new(me, fd, false, expect, within_ms, &c))) {
        c->deadline = start + (uint64_t)within_ms; /* a tarpit that drips bytes is cut here */
        rc = handshake(c, addr);
    }
    cl_conn_close(c);
    return rc;
}

int cl_conn_accept(const cl_identity *me, int fd, int timeout_ms, cl_conn **out)
{
    return cl_conn_accept_within(me, fd, timeout_ms, 0, out);
}

int cl_conn_accept_within(const cl_identity *me, int fd, int timeout_ms, int within_ms, cl_conn **out)
{
    cl_conn *c = NULL;
    uint64_t start = cl_mono_ms();
    int one = 1; /* small frames must not wait for delayed ACKs (Nagle) */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = conn_new(me, fd, true, NULL, timeout_ms, &c);
    if (!rc && within_ms > 0)
        c->deadline = start + (uint64_t)within_ms;
    if (!rc)
        rc = handshake(c, c->ip[0] ? c->ip : "peer");
    if (rc) {
        cl_conn_close(c);
        return rc;
    }
    *out = c;
    return CL_OK;
}

const cl_device_id *cl_conn_peer(const cl_conn *c) { return &c->peer; }
bool cl_conn_resumed(const cl_conn *c) { return c->resumed; }
const char *cl_conn_peer_ip(const cl_conn *c) { return c->ip; }
uint64_t cl_conn_bytes_sent(const cl_conn *c) { return c->sent; }
uint64_t cl_conn_bytes_received(const cl_conn *c) { return c->received; }

static int write_all(cl_conn *c, const unsigned char *p, size_t n)
{
    while (n) {
        int w = mbedtls_ssl_write(&c->ssl, p, n);
        if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (w <= 0)
            return net_tls_err(w, "send");
        p += w;
        n -= (size_t)w;
    }
    return CL_OK;
}

int cl_conn_write_raw(cl_conn *c, const void *p, size_t n)
{
    return write_all(c, p, n);
}

int cl_conn_send(cl_conn *c, uint8_t type, const void *payload, size_t len)
{
    if (len > CL_FRAME_MAX)
        return cl_seterr(CL_EINVAL, "frame over the limit");
    unsigned char small[CL_FRAME_HDR + 1024];
    cl_frame_header(small, type, len);
    if (len <= sizeof small - CL_FRAME_HDR) { /* one TLS record for a small frame */
        memcpy(small + CL_FRAME_HDR, payload, len);
        return write_all(c, small, CL_FRAME_HDR + len);
    }
    int rc = write_all(c, small, CL_FRAME_HDR);
    return rc ? rc : write_all(c, payload, len);
}

int cl_conn_recv(cl_conn *c, uint8_t *type, const unsigned char **payload, size_t *len)
{
    if (c->rstart) { /* drop the frame returned last time */
        memmove(c->rbuf, c->rbuf + c->rstart, c->rlen - c->rstart);
        c->rlen -= c->rstart;
        c->rstart = 0;
    }
    for (;;) {
        size_t used;
        int rc = cl_frame_parse(c->rbuf, c->rlen, type, payload, len, &used);
        if (rc == CL_FRAME_COMPLETE) {
            c->rstart = used;
            c->deadline = 0; /* the peer has shown it speaks the protocol */
            return CL_OK;
        }
        if (rc < 0)
            return rc;
        size_t need = c->rlen + 16384;
        if (c->rlen >= 4) { /* room for the whole announced frame, within the limit */
            size_t whole = 4 + ((size_t)c->rbuf[0] << 24 | (size_t)c->rbuf[1] << 16 | (size_t)c->rbuf[2] << 8 | c->rbuf[3]);
            if (whole > need)
                need = whole;
        }
        if (need > c->rcap) {
            unsigned char *p = realloc(c->rbuf, need);
            if (!p)
                return cl_seterr(CL_ENOMEM, "out of memory");
            c->rbuf = p;
            c->rcap = need;
        }
        int r = mbedtls_ssl_read(&c->ssl, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (r <= 0)
            return net_tls_err(r, "receive");
        c->rlen += (size_t)r;
    }
}

void cl_conn_close(cl_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0) {
        int saved = c->timeout_ms;
        c->timeout_ms = 200; /* a goodbye must not hang */
        mbedtls_ssl_close_notify(&c->ssl);
        c->timeout_ms = saved;
        close(c->fd);
    }
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->own_cert);
    mbedtls_pk_free(&c->own_key);
    mbedtls_platform_zeroize(c->offered_master, sizeof c->offered_master);
    free(c->rbuf);
    free(c);
}
