/* Addresses and plain sockets (IPv4: Debian's civetweb has no IPv6 either). */
#include "net/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cl_addr_parse(const char *text, char *host, size_t hostcap, uint16_t *port)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (!colon || colon == text || (size_t)(colon - text) >= hostcap)
        return cl_seterr(CL_EINVAL, "not HOST:PORT: '%s'", text ? text : "");
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return cl_seterr(CL_EINVAL, "not a port number in '%s'", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    *port = (uint16_t)p;
    return CL_OK;
}

static int resolve(const char *addr, struct sockaddr_in *sa)
{
    char host[256];
    uint16_t port;
    int rc = cl_addr_parse(addr, host, sizeof host, &port);
    if (rc)
        return rc;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return cl_seterr(CL_EINVAL, "cannot resolve '%s'", host);
    memcpy(sa, res->ai_addr, sizeof *sa);
    sa->sin_port = htons(port);
    freeaddrinfo(res);
    return CL_OK;
}

int cl_listen(const char *addr, int *fd_out, uint16_t *port_out)
{
    struct sockaddr_in sa;
    int rc = resolve(addr, &sa);
    if (rc)
        return rc;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return cl_seterr(CL_EIO, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 64)) {
        rc = cl_seterr(CL_EIO, "cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return rc;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    if (port_out)
        *port_out = ntohs(sa.sin_port);
    *fd_out = fd;
    return CL_OK;
}

int net_connect(const char *addr, int timeout_ms, int *fd_out)
{
    struct sockaddr_in sa;
    int rc = resolve(addr, &sa);
    if (rc)
        return rc;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return cl_seterr(CL_EIO, "socket: %s", strerror(errno));
    int err = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n = poll(&p, 1, timeout_ms);
        socklen_t len = sizeof err;
        if (n == 0)
            err = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
            err = errno;
    } else if (errno != 0 && errno != EINPROGRESS) {
        err = errno;
    }
    if (err) {
        close(fd);
        return cl_seterr(err == ETIMEDOUT ? CL_ETIMEOUT : CL_EIO, "cannot reach %s: %s", addr, strerror(err));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd_out = fd;
    return CL_OK;
}

void cl_local_addresses(char *out, size_t cap)
{
    struct ifaddrs *ifs, *i;
    size_t len = 0;
    out[0] = 0;
    if (getifaddrs(&ifs))
        return;
    for (int loopback_pass = 0; loopback_pass < 2; loopback_pass++)
        for (i = ifs; i; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP))
                continue;
            if (!!(i->ifa_flags & IFF_LOOPBACK) != loopback_pass)
                continue;
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
            int n = snprintf(out + len, cap - len, "%s%s", len ? "," : "", ip);
            if (n < 0 || (size_t)n >= cap - len)
                break;
            len += (size_t)n;
        }
    freeifaddrs(ifs);
}
