/* LAN discovery. Announcements carry the device id and the sync port, nothing
 * else; they never grant trust (see cl_discovery_fn). */
#include "clientele/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct cl_discovery {
    int fd;
    uint16_t port;
    unsigned char announcement[CL_ANNOUNCE_LEN];
    cl_device_id self;
    unsigned interval_ms;
    bool loopback_only;
    cl_discovery_fn fn;
    void *ctx;
    pthread_t thread;
    _Atomic bool stopping;
};

void cl_announce_encode(unsigned char out[CL_ANNOUNCE_LEN], const cl_device_id *id, uint16_t port)
{
    memcpy(out, "CLNT", 4);
    out[4] = 1;
    memcpy(out + 5, id->b, CL_DEVICE_ID_LEN);
    out[25] = (unsigned char)(port >> 8);
    out[26] = (unsigned char)port;
}

int cl_announce_decode(const unsigned char *p, size_t n, cl_device_id *id, uint16_t *port)
{
    if (n != CL_ANNOUNCE_LEN || memcmp(p, "CLNT", 4) || p[4] != 1)
        return CL_EPROTO;
    memcpy(id->b, p + 5, CL_DEVICE_ID_LEN);
    *port = (uint16_t)(p[25] << 8 | p[26]);
    return *port ? CL_OK : CL_EPROTO;
}

static void send_to(cl_discovery *d, struct in_addr to)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(d->port), .sin_addr = to};
    if (sendto(d->fd, d->announcement, sizeof d->announcement, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
        cl_log(CL_LOG_DEBUG, "announce: %s", strerror(errno));
}

static void announce(cl_discovery *d)
{
    struct ifaddrs *ifs;
    struct in_addr lo_bcast;
    inet_pton(AF_INET, "127.255.255.255", &lo_bcast);
    send_to(d, lo_bcast);
    if (d->loopback_only || getifaddrs(&ifs))
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
            (i->ifa_flags & IFF_BROADCAST) && !(i->ifa_flags & IFF_LOOPBACK) && i->ifa_broadaddr)
            send_to(d, ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr);
    freeifaddrs(ifs);
}

static void receive(cl_discovery *d)
{
    unsigned char buf[512];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(d->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
    cl_device_id id;
    uint16_t port;
    if (n < 0 || cl_announce_decode(buf, (size_t)n, &id, &port))
        return; /* garbage: ignored without a word, it costs nothing */
    if (!memcmp(id.b, d->self.b, CL_DEVICE_ID_LEN))
        return;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    d->fn(d->ctx, &id, ip, port);
}

static void *loop(void *arg)
{
    cl_discovery *d = arg;
    uint64_t next = 0;
    while (!d->stopping) {
        uint64_t now = cl_mono_ms();
        if (now >= next) {
            announce(d);
            next = now + d->interval_ms;
        }
        struct pollfd p = {.fd = d->fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0)
            receive(d);
    }
    return NULL;
}

int cl_discovery_start(const cl_device_id *self, uint16_t port, uint16_t sync_port, bool loopback_only,
                       unsigned interval_ms, cl_discovery_fn fn, void *ctx, cl_discovery **out)
{
    cl_discovery *d = calloc(1, sizeof *d);
    if (!d)
        return cl_seterr(CL_ENOMEM, "out of memory");
    d->self = *self;
    d->port = port;
    d->interval_ms = interval_ms;
    d->loopback_only = loopback_only;
    d->fn = fn;
    d->ctx = ctx;
    cl_announce_encode(d->announcement, self, sync_port);
    int one = 1;
    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (d->fd < 0 || setsockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(d->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
        setsockopt(d->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) ||
        bind(d->fd, (struct sockaddr *)&sa, sizeof sa)) {
        int rc = cl_seterr(CL_EIO, "discovery on UDP port %u: %s", port, strerror(errno));
        if (d->fd >= 0)
            close(d->fd);
        free(d);
        return rc;
    }
    if (pthread_create(&d->thread, NULL, loop, d)) {
        close(d->fd);
        free(d);
        return cl_seterr(CL_EIO, "cannot start the discovery thread");
    }
    *out = d;
    return CL_OK;
}

void cl_discovery_stop(cl_discovery *d)
{
    if (!d)
        return;
    d->stopping = true;
    pthread_join(d->thread, NULL);
    close(d->fd);
    free(d);
}
