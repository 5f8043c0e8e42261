/* The peer listener: an accept thread and one thread per connection, at most
 * CL_SYNC_MAX_CONNS at once. */
#include "sync/internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    int fds[CL_SYNC_MAX_CONNS];   /* sockets in progress, cut at stop */
};

typedef struct job {
    cl_sync_server *srv;
    int fd, slot;
} job;

static void *serve_one(void *arg)
{
    job *j = arg;
    cl_sync_server *srv = j->srv;
    cl_conn *c;
    if (cl_conn_accept(srv->me, j->fd, SYNC_TIMEOUT_MS, &c) == CL_OK)
        sync_serve_conn(srv->s, srv->me, c); /* closes c and the socket */
    else if (!srv->stopping)
        cl_log(CL_LOG_WARN, "refused a connection: %s", cl_errmsg());
    pthread_mutex_lock(&srv->lock);
    srv->fds[j->slot] = -1;
    srv->active--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
    free(j);
    return NULL;
}

static void dispatch(cl_sync_server *srv, int fd)
{
    pthread_mutex_lock(&srv->lock);
    int slot = -1;
    for (int i = 0; i < CL_SYNC_MAX_CONNS && slot < 0; i++)
        if (srv->fds[i] < 0)
            slot = i;
    if (slot < 0 || srv->stopping) {
        pthread_mutex_unlock(&srv->lock);
        cl_log(CL_LOG_WARN, "too many syncs at once: a connection was closed");
        close(fd);
        return;
    }
    srv->fds[slot] = fd;
    srv->active++;
    pthread_mutex_unlock(&srv->lock);
    job *j = malloc(sizeof *j);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (j) {
        *j = (job){srv, fd, slot};
        if (pthread_create(&th, &attr, serve_one, j) == 0) {
            pthread_attr_destroy(&attr);
            return;
        }
        free(j);
    }
    pthread_attr_destroy(&attr);
    close(fd);
    pthread_mutex_lock(&srv->lock);
    srv->fds[slot] = -1;
    srv->active--;
    pthread_mutex_unlock(&srv->lock);
}

static void *accept_loop(void *arg)
{
    cl_sync_server *srv = arg;
    while (!srv->stopping) {
        struct pollfd p = {.fd = srv->fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                cl_log(CL_LOG_WARN, "accept: %s", strerror(errno));
            continue;
        }
        dispatch(srv, fd);
    }
    return NULL;
}

static int save_port(cl_txn *t, void *arg)
{
    const uint16_t *port = arg;
    unsigned char v[2] = {(unsigned char)(*port >> 8), (unsigned char)*port};
    return cl_txn_kv_put(t, CL_TAB_META, "listen_port", 11, v, 2);
}

int cl_sync_server_start(cl_store *s, const cl_identity *me, const char *addr, cl_sync_server **out)
{
    cl_sync_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return cl_seterr(CL_ENOMEM, "out of memory");
    srv->s = s;
    srv->me = me;
    for (int i = 0; i < CL_SYNC_MAX_CONNS; i++)
        srv->fds[i] = -1;
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
    for (int i = 0; i < CL_SYNC_MAX_CONNS; i++)
        if (srv->fds[i] >= 0)
            shutdown(srv->fds[i], SHUT_RDWR);
    while (srv->active)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->idle);
    free(srv);
}
