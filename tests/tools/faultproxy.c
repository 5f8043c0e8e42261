/* faultproxy — a loopback TCP proxy for tests that breaks connections on
 * purpose. It listens on 127.0.0.1:PORT (0: any free port, printed on the
 * first line of stdout), forwards every connection to 127.0.0.1:TARGET, and
 * gives each connection, at random (seeded), one fault:
 *   drop      accepted, then closed at once (no byte forwarded)
 *   delay     every chunk held 20–300 ms before it is forwarded
 *   truncate  one direction forwards 0–8 KiB, then both are closed
 *   cut       both directions closed (reset) after 0–800 ms
 *   corrupt   one byte flipped somewhere in the first 4 KiB of a direction
 *   stall     nothing forwarded for 0.5–2 s, then as usual
 * or none (with probability 1 - RATE). SIGUSR1 turns faults off (a clean
 * round), SIGUSR2 on again. It stops by itself after --max-seconds (default
 * 900) or on SIGTERM/SIGINT, and prints what it did to stderr.
 *
 * usage: faultproxy --target PORT [--port PORT] [--seed N] [--rate 0..1]
 *                   [--max-seconds N]
 * Only 127.0.0.1 on both sides. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fault { F_NONE, F_DROP, F_DELAY, F_TRUNCATE, F_CUT, F_CORRUPT, F_STALL, F_COUNT };
static const char *const FAULT_NAMES[F_COUNT] = {"clean", "dropped", "delayed", "truncated",
                                                 "cut", "corrupted", "stalled"};

static atomic_bool faults_on = true;
static atomic_bool stopping = false;
static atomic_ulong counts[F_COUNT];
static atomic_ulong bytes_forwarded;

/* One proxied connection: two directions, each run by its own thread. */
struct conn {
    int fd[2];                 /* 0: the client side, 1: the target side */
    enum fault fault;
    int fault_dir;             /* direction the fault applies to (0: client→target) */
    uint64_t limit;            /* truncate: bytes; corrupt: offset */
    unsigned delay_ms;         /* delay: per chunk; stall: once */
    uint64_t deadline_ms;      /* cut: monotonic time to close at; 0 none */
    atomic_int refs;
};

struct dir {
    struct conn *c;
    int from, to;              /* index into c->fd */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* xorshift64*: the proxy's only source of randomness, so a seed replays it */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static uint64_t rnd_in(uint64_t lo, uint64_t hi) { return lo + rnd() % (hi - lo + 1); }

static void hard_close(struct conn *c)
{
    /* a reset rather than a clean FIN: what a dying network looks like */
    for (int i = 0; i < 2; i++) {
        struct linger l = {1, 0};
        setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &l, sizeof l);
        shutdown(c->fd[i], SHUT_RDWR);
    }
}

static void release(struct conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        close(c->fd[0]);
        close(c->fd[1]);
        free(c);
    }
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *pump(void *arg)
{
    struct dir *d = arg;
    struct conn *c = d->c;
    int from = c->fd[d->from], to = c->fd[d->to];
    bool mine = c->fault_dir == d->from;
    uint64_t done = 0;
    unsigned char buf[16384];
    if (c->fault == F_STALL && mine)
        sleep_ms(c->delay_ms);
    for (;;) {
        int timeout = 200;
        if (c->deadline_ms) {
            uint64_t now = mono_ms();
            if (now >= c->deadline_ms) {
                hard_close(c);
                break;
            }
            if (c->deadline_ms - now < 200)
                timeout = (int)(c->deadline_ms - now);
        }
        struct pollfd p = {from, POLLIN, 0};
        int r = poll(&p, 1, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0) {
            if (atomic_load(&stopping)) {
                hard_close(c);
                break;
            }
            continue;
        }
        size_t want = sizeof buf;
        if (c->fault == F_TRUNCATE && mine && c->limit - done < want)
            want = (size_t)(c->limit - done);
        ssize_t n = want ? recv(from, buf, want, 0) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (want == 0 || n < 0)
                hard_close(c);   /* truncated here (or an error): both sides go */
            else
                shutdown(to, SHUT_WR);  /* a clean end of this direction */
            break;
        }
        if (c->fault == F_CORRUPT && mine && c->limit >= done && c->limit < done + (uint64_t)n)
            buf[c->limit - done] ^= 0x5a;
        if (c->fault == F_DELAY)
            sleep_ms(c->delay_ms);
        if (write_all(to, buf, (size_t)n)) {
            hard_close(c);
            break;
        }
        done += (uint64_t)n;
        atomic_fetch_add(&bytes_forwarded, (unsigned long)n);
    }
    release(c);
    free(d);
    return NULL;
}

static int connect_target(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

static void plan(struct conn *c, double rate)
{
    c->fault = F_NONE;
    if (atomic_load(&faults_on) && (double)(rnd() % 1000000) / 1e6 < rate)
        c->fault = (enum fault)rnd_in(F_DROP, F_COUNT - 1);
    c->fault_dir = (int)(rnd() % 2);
    switch (c->fault) {
    case F_DELAY: c->delay_ms = (unsigned)rnd_in(20, 300); break;
    case F_TRUNCATE: c->limit = rnd_in(0, 8192); break;
    case F_CUT: c->deadline_ms = mono_ms() + rnd_in(0, 800); break;
    case F_CORRUPT: c->limit = rnd_in(0, 4095); break;
    case F_STALL: c->delay_ms = (unsigned)rnd_in(500, 2000); break;
    default: break;
    }
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        atomic_store(&faults_on, false);
    else if (sig == SIGUSR2)
        atomic_store(&faults_on, true);
    else
        atomic_store(&stopping, true);
}

static int usage(void)
{
    fprintf(stderr, "usage: faultproxy --target PORT [--port PORT] [--seed N] [--rate 0..1] [--max-seconds N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    long target = -1, port = 0, max_s = 900;
    unsigned long long seed = 1;
    double rate = 0.3;
    for (int i = 1; i < argc; i += 2) { /* --option value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(argv[i], "--target")) target = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--port")) port = strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(argv[i], "--rate")) rate = strtod(v, NULL);
        else if (!strcmp(argv[i], "--max-seconds")) max_s = strtol(v, NULL, 10);
        else return usage();
    }
    if (target <= 0 || target > 65535 || port < 0 || port > 65535 || rate < 0 || rate > 1 || max_s <= 0)
        return usage();
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof la;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof la) || listen(lfd, 64) ||
        getsockname(lfd, (struct sockaddr *)&la, &len)) {
        perror("faultproxy: listen");
        return 1;
    }
    printf("%u\n", ntohs(la.sin_port));
    fflush(stdout);

    uint64_t end = mono_ms() + (uint64_t)max_s * 1000;
    unsigned long conns = 0;
    while (!atomic_load(&stopping) && mono_ms() < end) {
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0)
            continue;
        conns++;
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(cfd);
            continue;
        }
        plan(c, rate);
        atomic_fetch_add(&counts[c->fault], 1);
        c->fd[0] = cfd;
        c->fd[1] = c->fault == F_DROP ? -1 : connect_target((uint16_t)target);
        if (c->fd[1] < 0) {
            close(cfd);
            free(c);
            continue;
        }
        setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        atomic_store(&c->refs, 2);
        for (int k = 0; k < 2; k++) {
            struct dir *d = malloc(sizeof *d);
            pthread_t th;
            if (d) {
                d->c = c;
                d->from = k;
                d->to = 1 - k;
            }
            if (!d || pthread_create(&th, NULL, pump, d)) {
                free(d);
                hard_close(c);
                release(c);
                continue;
            }
            pthread_detach(th);
        }
    }
    atomic_store(&stopping, true);
    close(lfd);
    sleep_ms(300); /* the pumps notice and let go */
    fprintf(stderr, "faultproxy: %lu connections:", conns);
    for (int f = 0; f < F_COUNT; f++)
        fprintf(stderr, " %lu %s", atomic_load(&counts[f]), FAULT_NAMES[f]);
    fprintf(stderr, "; %lu bytes forwarded\n", atomic_load(&bytes_forwarded));
    return 0;
}
