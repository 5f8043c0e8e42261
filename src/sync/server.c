/* The peer listener: an accept thread and one thread per connection.
 *
 * A stranger must not be able to hold the door shut, so connections are
 * admitted in two classes (docs/security.md, "Denial of service"):
 *   - strangers: connections not yet known to come from a paired device (in
 *     their TLS handshake, or unpaired and reading their first frame). At most
 *     SYNC_MAX_STRANGERS at once and SYNC_MAX_PER_ADDR per IP address; each
 *     must finish its handshake and first frame within SYNC_HANDSHAKE_MS
 *     (cl_conn_accept_within), however it paces its bytes. When a class is
 *     full, its oldest connection (if older than SYNC_EVICT_AFTER_MS) is cut
 *     to make room, so a flood cannot keep a newcomer out for longer than it
 *     takes to handshake;
 *   - paired: after the handshake, a connection whose certificate is a paired
 *     device's moves to the CL_SYNC_MAX_CONNS slots that strangers never take. */
#include "sync/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for every admitted connection plus as many cut ones whose threads are
 * still ending. */
#define SLOTS (CL_SYNC_MAX_CONNS + 2 * SYNC_MAX_STRANGERS)

typedef struct slot {
    int fd;                    /* -1: free */
    bool paired;               /* counts against CL_SYNC_MAX_CONNS */
    bool cut;                  /* shut down to make room: no longer counted */
    uint64_t since;            /* cl_mono_ms() of the accept */
    char ip[INET6_ADDRSTRLEN];
} slot;

struct cl_sync_server {
    cl_store *s;
    const cl_identity *me;
    int fd;
    uint16_t port;
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    _Atomic bool stopping;   /* read by the acceptor and connection threads */
    int active;
    slot slots[SLOTS];       /* sockets in progress, cut at stop */
    uint64_t quiet_until;    /* refusals are logged once a second at most... */
    unsigned quieted;        /* ...with a count of those left out */
};

typedef struct job {
    cl_sync_server *srv;
    int fd, slot;
} job;

/* One log line per second at most for refused connections: a flood must not
 * fill the disk through the log. Called with the lock held. */
static void note_refusal(cl_sync_server *srv, const char *why, const char *ip)
{
    uint64_t now = cl_mono_ms();
    if (now < srv->quiet_until) {
        srv->quieted++;
        return;
    }
    if (srv->quieted)
        cl_log(CL_LOG_WARN, "refused a connection from %s: %s (and %u more refused in the last second)", ip, why,
               srv->quieted);
    else
        cl_log(CL_LOG_WARN, "refused a connection from %s: %s", ip, why);
    srv->quiet_until = now + 1000;
    srv->quieted = 0;
}

/* Move slot i to the paired class; false when that class is full. */
static bool promote(cl_sync_server *srv, int i)
{
    pthread_mutex_lock(&srv->lock);
    int n = 0;
    for (int k = 0; k < SLOTS; k++)
        n += srv->slots[k].fd >= 0 && srv->slots[k].paired && !srv->slots[k].cut;
    bool ok = n < CL_SYNC_MAX_CONNS;
    if (ok)
        srv->slots[i].paired = true;
    else
        note_refusal(srv, "too many syncs at once", srv->slots[i].ip);
    pthread_mutex_unlock(&srv->lock);
    return ok;
}

static void *serve_one(void *arg)
{
    job *j = arg;
    cl_sync_server *srv = j->srv;
    cl_conn *c;
    if (cl_conn_accept_within(srv->me, j->fd, SYNC_TIMEOUT_MS, SYNC_HANDSHAKE_MS, &c) == CL_OK) {
        if (!sync_is_paired(srv->s, cl_conn_peer(c)) || promote(srv, j->slot))
            sync_serve_conn(srv->s, srv->me, c); /* closes c and the socket */
        else
            cl_conn_close(c);
    } else if (!srv->stopping) {
        pthread_mutex_lock(&srv->lock);
        note_refusal(srv, cl_errmsg(), srv->slots[j->slot].ip);
        pthread_mutex_unlock(&srv->lock);
    }
    pthread_mutex_lock(&srv->lock);
    srv->slots[j->slot].fd = -1;
    srv->active--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
    free(j);
    return NULL;
}

static bool is_stranger(const slot *sl, const char *ip)
{
    return sl->fd >= 0 && !sl->paired && !sl->cut && (!ip || !strcmp(sl->ip, ip));
}

/* The oldest stranger (of ip, or of any address when ip is NULL) once `count`
 * of them reach `cap`: -1 when there is room, -2 when the class is full and
 * none is old enough to cut. Called with the lock held. */
static int victim(const cl_sync_server *srv, const char *ip, int cap, uint64_t now)
{
    int n = 0, oldest = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!is_stranger(&srv->slots[i], ip))
            continue;
        n++;
        if (oldest < 0 || srv->slots[i].since < srv->slots[oldest].since)
            oldest = i;
    }
    if (n < cap)
        return -1;
    return now - srv->slots[oldest].since >= SYNC_EVICT_AFTER_MS ? oldest : -2;
}

/* A slot for a new stranger from ip, making room if its class is full; -1
 * when it must be refused (*why says why). Called with the lock held. */
static int admit(cl_sync_server *srv, const char *ip, const char **why)
{
    uint64_t now = cl_mono_ms();
    int v = victim(srv, ip, SYNC_MAX_PER_ADDR, now);
    if (v == -1)
        v = victim(srv, NULL, SYNC_MAX_STRANGERS, now);
    if (v == -2) {
        *why = "too many unidentified connections at once";
        return -1;
    }
    int free_slot = -1;
    for (int i = 0; i < SLOTS && free_slot < 0; i++)
        if (srv->slots[i].fd < 0)
            free_slot = i;
    if (free_slot < 0) {
        *why = "too many connections at once";
        return -1;
    }
    if (v >= 0) { /* its thread sees the socket fail and frees the slot */
        shutdown(srv->slots[v].fd, SHUT_RDWR);
        srv->slots[v].cut = true;
    }
    slot *sl = &srv->slots[free_slot];
    *sl = (slot){.fd = -1, .since = now};
    snprintf(sl->ip, sizeof sl->ip, "%s", ip);
    return free_slot;
}

static void release(cl_sync_server *srv, int i)
{
    pthread_mutex_lock(&srv->lock);
    srv->slots[i].fd = -1;
    srv->active--;
    pthread_mutex_unlock(&srv->lock);
}

static void dispatch(cl_sync_server *srv, int fd, const char *ip)
{
    const char *why = "shutting down";
    pthread_mutex_lock(&srv->lock);
    int i = srv->stopping ? -1 : admit(srv, ip, &why);
    if (i < 0) {
        if (!srv->stopping)
            note_refusal(srv, why, ip);
        pthread_mutex_unlock(&srv->lock);
        close(fd);
        return;
    }
    srv->slots[i].fd = fd;
    srv->active++;
    pthread_mutex_unlock(&srv->lock);
    job *j = malloc(sizeof *j);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (j) {
        *j = (job){srv, fd, i};
        if (pthread_create(&th, &attr, serve_one, j) == 0) {
            pthread_attr_destroy(&attr);
            return;
        }
        free(j);
    }
    pthread_attr_destroy(&attr);
    close(fd);
    release(srv, i);
}

static void ip_of(const struct sockaddr_storage *sa, char *out, size_t cap)
{
    const void *a = sa->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                              : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!inet_ntop(sa->ss_family, a, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

static void *accept_loop(void *arg)
{
    cl_sync_server *srv = arg;
    while (!srv->stopping) {
        struct pollfd p = {.fd = srv->fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        struct sockaddr_storage sa = {0};
        socklen_t len = sizeof sa;
        int fd = accept4(srv->fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                cl_log(CL_LOG_WARN, "accept: %s", strerror(errno));
            continue;
        }
        char ip[INET6_ADDRSTRLEN];
        ip_of(&sa, ip, sizeof ip);
        dispatch(srv, fd, ip);
    }
    return NULL;
}

static int save_port(cl_txn *t, void *arg)
{
    const uint16_t *port = arg;
    return cl_txn_setting_put_port(t, *port);
}

int cl_sync_server_start(cl_store *s, const cl_identity *me, const char *addr, cl_sync_server **out)
{
    cl_sync_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return cl_seterr(CL_ENOMEM, "out of memory");
    srv->s = s;
    srv->me = me;
    for (int i = 0; i < SLOTS; i++)
        srv->slots[i].fd = -1;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    int rc = cl_listen(addr, &srv->fd, &srv->port);
    if (!rc)
        rc = cl_store_update(s, save_port, &srv->port);
    if (!rc && pthread_create(&srv->acceptor, NULL, accept_loop, srv))
        rc = cl_seterr(CL_EIO, "cannot start the listener thread");
    if (rc) {
        if (srv->fd > 0)
            close(srv->fd);
        pthread_mutex_destroy(&srv->lock);
        pthread_cond_destroy(&srv->idle);
        free(srv);
        return rc;
    }
    *out = srv;
    return CL_OK;
}

uint16_t cl_sync_server_port(const cl_sync_server *srv)
{
    return srv->port;
}

void cl_sync_server_stop(cl_sync_server *srv)
{
    if (!srv)
        return;
    srv->stopping = true;
    pthread_join(srv->acceptor, NULL);
    close(srv->fd);
    pthread_mutex_lock(&srv->lock);
    for (int i = 0; i < SLOTS; i++)
        if (srv->slots[i].fd >= 0)
            shutdown(srv->slots[i].fd, SHUT_RDWR);
    while (srv->active)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->idle);
    free(srv);
}
