/* Syncing on its own: one thread that wakes every 250 ms, looks at what
 * changed and which peers are due, and syncs them one after the other.
 *
 * Addresses heard from LAN discovery are forgeable, so they never reach that
 * thread untested: a second thread, the prober, first checks each one with a
 * connect and pinned handshake that must be done within CAND_PROBE_MS (a
 * tarpit that answers slowly, or never, costs that thread 2 s and the syncs
 * of other peers nothing), at most once per CAND_REPEAT_MS per device and
 * CAND_PER_MIN times a minute in all (a stream of forged packets cannot make
 * this device connect wherever they say). Only an address that proved to be
 * the device is handed to the scheduler. */
#include "sync/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 250
#define CANDIDATES 16
#define CAND_PROBE_MS 2000
#define CAND_REPEAT_MS 10000
#define CAND_PER_MIN 12

typedef struct plan {
    cl_device_id id;
    uint64_t next;      /* monotonic ms of the next attempt */
} plan;

typedef struct candidate {
    cl_device_id id;
    char addr[CL_PEER_ADDR_MAX + 1];
} candidate;

/* When a device's announced address was last probed. */
typedef struct probed {
    cl_device_id id;
    uint64_t at;
} probed;

struct cl_scheduler {
    cl_store *s;
    const cl_identity *me;
    unsigned interval_s;
    pthread_t thread;
    _Atomic bool stopping;
    pthread_mutex_t lock;          /* guards now_requested, cands and the prober's lists */
    bool now_requested;
    candidate cands[CANDIDATES];   /* proved to be their device: for the scheduler */
    size_t ncands;
    pthread_t prober;
    pthread_cond_t heard;          /* something in queue, or stopping */
    candidate queue[CANDIDATES];   /* heard, not yet probed */
    size_t nqueue;
    probed seen[CANDIDATES];
    double tokens;                 /* probes left this minute (refilled smoothly) */
    uint64_t tokens_at;
    plan *plans;                   /* only the scheduler thread touches these */
    size_t nplans;
    uint64_t last_ops, changed_at;
    uint64_t rng;
};

static void *prober_loop(void *arg);

static double jitter(cl_scheduler *sc, double spread)
{
    sc->rng ^= sc->rng << 13, sc->rng ^= sc->rng >> 7, sc->rng ^= sc->rng << 17;
    return 1.0 - spread + 2 * spread * (double)(sc->rng % 10000) / 10000.0;
}

static plan *plan_of(cl_scheduler *sc, const cl_device_id *id)
{
    for (size_t i = 0; i < sc->nplans; i++)
        if (!memcmp(sc->plans[i].id.b, id->b, CL_DEVICE_ID_LEN))
            return &sc->plans[i];
    plan *p = realloc(sc->plans, (sc->nplans + 1) * sizeof *p);
    if (!p)
        return NULL;
    sc->plans = p;
    p[sc->nplans] = (plan){*id, 0}; /* new peer: due at once */
    return &p[sc->nplans++];
}

struct next_args {
    const cl_device_id *id;
    uint64_t next_wall;
};

static int save_next(cl_txn *t, void *arg)
{
    struct next_args *a = arg;
    cl_peer p;
    if (cl_peer_get(t, a->id, &p))
        return CL_OK;
    p.next_attempt_ms = a->next_wall;
    return cl_peer_put(t, &p);
}

/* Sync one peer and plan its next attempt. */
static void sync_peer(cl_scheduler *sc, plan *pl, const char *addr)
{
    cl_sync_result r;
    cl_peer after;
    cl_txn *t;
    int rc = cl_sync_once(sc->s, sc->me, addr, &pl->id, &r);
    uint32_t failures = 0;
    if (!cl_store_read(sc->s, &t)) {
        if (!cl_peer_get(t, &pl->id, &after))
            failures = after.failures;
        cl_txn_end(t);
    }
    double wait_s = sc->interval_s * jitter(sc, 0.1);
    if (rc) {
        double backoff = (double)(1u << (failures < 12 ? failures : 12));
        double cap = sc->interval_s > CL_BACKOFF_MAX_S ? sc->interval_s : CL_BACKOFF_MAX_S;
        wait_s = (backoff < cap ? backoff : cap) * jitter(sc, 0.5);
        cl_log(CL_LOG_INFO, "sync failed (%s); next try in %.0f s", cl_errmsg(), wait_s);
    } else if (r.sent || r.received) {
        cl_log(CL_LOG_INFO, "synced: sent %llu, received %llu ops in %llu ms", (unsigned long long)r.sent,
               (unsigned long long)r.received, (unsigned long long)r.ms);
    }
    pl->next = cl_mono_ms() + (uint64_t)(wait_s * 1000);
    struct next_args a = {&pl->id, cl_now_ms() + (uint64_t)(wait_s * 1000)};
    cl_store_update(sc->s, save_next, &a);
}

/* A discovered address for this peer, if any (taken off the list). */
static bool take_candidate(cl_scheduler *sc, const cl_device_id *id, char *addr, size_t cap)
{
    bool found = false;
    pthread_mutex_lock(&sc->lock);
    for (size_t i = 0; i < sc->ncands && !found; i++)
        if (!memcmp(sc->cands[i].id.b, id->b, CL_DEVICE_ID_LEN)) {
            snprintf(addr, cap, "%s", sc->cands[i].addr);
            sc->cands[i] = sc->cands[--sc->ncands];
            found = true;
        }
    pthread_mutex_unlock(&sc->lock);
    return found;
}

static void round_of_syncs(cl_scheduler *sc)
{
    uint64_t now = cl_mono_ms(), ops = sc->last_ops;
    if (cl_store_op_count(sc->s, &ops) == CL_OK && ops != sc->last_ops) {
        sc->last_ops = ops;
        sc->changed_at = now;
    }
    bool changed = sc->changed_at && now - sc->changed_at >= CL_SYNC_DEBOUNCE_MS;
    pthread_mutex_lock(&sc->lock);
    bool forced = sc->now_requested;
    sc->now_requested = false;
    pthread_mutex_unlock(&sc->lock);
    if (changed)
        sc->changed_at = 0;
    cl_peer *peers;
    size_t n;
    if (cl_peer_list(sc->s, &peers, &n))
        return;
    for (size_t i = 0; i < n && !sc->stopping; i++) {
        plan *pl = plan_of(sc, &peers[i].id);
        char addr[CL_PEER_ADDR_MAX + 1];
        /* a discovered address is worth a try when it is new, or when the
         * peer announces itself again after failing (it came back) */
        bool cand = pl && take_candidate(sc, &peers[i].id, addr, sizeof addr) &&
                    (strcmp(addr, peers[i].addr) || peers[i].failures);
        if (!pl || (!peers[i].addr[0] && !cand) || peers[i].revoked)
            continue;
        bool due = now >= pl->next || forced || cand || (changed && peers[i].failures == 0);
        if (due)
            sync_peer(sc, pl, cand ? addr : NULL);
    }
    free(peers);
}

/* Sign what this device wrote since the last round, here rather than in the
 * next sync's hello: a peer's sync then does not wait for it (a bulk import
 * takes a fraction of a second to sign). Only a read when nothing is new. */
static void seal_new_ops(cl_scheduler *sc)
{
    cl_signer sg;
    cl_identity_signer(sc->me, &sg);
    if (cl_store_seal(sc->s, &sg))
        cl_log(CL_LOG_WARN, "cannot sign this device's new edits: %s", cl_errmsg());
}

static void *loop(void *arg)
{
    cl_scheduler *sc = arg;
    while (!sc->stopping) {
        seal_new_ops(sc);
        round_of_syncs(sc);
        for (int i = 0; i < TICK_MS / 50 && !sc->stopping; i++) {
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int cl_scheduler_start(cl_store *s, const cl_identity *me, unsigned interval_s, cl_scheduler **out)
{
    cl_scheduler *sc = calloc(1, sizeof *sc);
    if (!sc)
        return cl_seterr(CL_ENOMEM, "out of memory");
    sc->s = s;
    sc->me = me;
    sc->interval_s = interval_s ? interval_s : 60;
    if (cl_store_op_count(s, &sc->last_ops))
        sc->last_ops = 0; /* unknown: the first round counts as a change */
    cl_random(&sc->rng, sizeof sc->rng);
    sc->rng |= 1;
    sc->tokens = CAND_PER_MIN;
    sc->tokens_at = cl_mono_ms();
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->heard, NULL);
    if (pthread_create(&sc->thread, NULL, loop, sc)) {
        pthread_mutex_destroy(&sc->lock);
        pthread_cond_destroy(&sc->heard);
        free(sc);
        return cl_seterr(CL_EIO, "cannot start the sync scheduler");
    }
    if (pthread_create(&sc->prober, NULL, prober_loop, sc)) {
        sc->stopping = true;
        pthread_join(sc->thread, NULL);
        pthread_mutex_destroy(&sc->lock);
        pthread_cond_destroy(&sc->heard);
        free(sc);
        return cl_seterr(CL_EIO, "cannot start the discovery prober");
    }
    *out = sc;
    return CL_OK;
}

void cl_scheduler_sync_now(void *sched)
{
    cl_scheduler *sc = sched;
    pthread_mutex_lock(&sc->lock);
    sc->now_requested = true;
    pthread_mutex_unlock(&sc->lock);
}

/* Put (id, addr) in list (replacing id's entry); false when the list is full. */
static bool list_put(candidate *list, size_t *n, const cl_device_id *id, const char *addr)
{
    size_t i = 0;
    while (i < *n && memcmp(list[i].id.b, id->b, CL_DEVICE_ID_LEN))
        i++;
    if (i == CANDIDATES)
        return false;
    list[i].id = *id;
    snprintf(list[i].addr, sizeof list[i].addr, "%s", addr);
    if (i == *n)
        (*n)++;
    return true;
}

void cl_scheduler_candidate(cl_scheduler *sc, const cl_device_id *id, const char *addr)
{
    pthread_mutex_lock(&sc->lock);
    if (list_put(sc->queue, &sc->nqueue, id, addr))
        pthread_cond_signal(&sc->heard);
    pthread_mutex_unlock(&sc->lock);
}

/* Whether id may be probed now (and note that it is): the per-device and the
 * per-minute limits. Called with the lock held. */
static bool may_probe(cl_scheduler *sc, const cl_device_id *id, uint64_t now)
{
    size_t i = 0, oldest = 0;
    for (; i < CANDIDATES && sc->seen[i].at; i++) {
        if (!memcmp(sc->seen[i].id.b, id->b, CL_DEVICE_ID_LEN))
            break;
        if (sc->seen[i].at < sc->seen[oldest].at)
            oldest = i;
    }
    if (i < CANDIDATES && sc->seen[i].at && now - sc->seen[i].at < CAND_REPEAT_MS)
        return false;
    sc->tokens += (double)(now - sc->tokens_at) * CAND_PER_MIN / 60000.0;
    sc->tokens = sc->tokens > CAND_PER_MIN ? CAND_PER_MIN : sc->tokens;
    sc->tokens_at = now;
    if (sc->tokens < 1)
        return false;
    sc->tokens -= 1;
    sc->seen[i < CANDIDATES ? i : oldest] = (probed){*id, now};
    return true;
}

/* Whether addr is news for the peer: another address than the one it has,
 * or it has been failing (it came back). Unpaired since: no. */
static bool worth_probing(cl_scheduler *sc, const cl_device_id *id, const char *addr)
{
    cl_txn *t;
    cl_peer p;
    if (cl_store_read(sc->s, &t))
        return false;
    bool ok = cl_peer_get(t, id, &p) == CL_OK && (strcmp(addr, p.addr) || p.failures);
    cl_txn_end(t);
    return ok;
}

static void probe_one(cl_scheduler *sc, const candidate *c)
{
    char who[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&c->id, who);
    int rc = cl_conn_probe(sc->me, c->addr, &c->id, CAND_PROBE_MS);
    if (rc) {
        cl_log(CL_LOG_INFO, "discovery: %s announced at %s, but: %s", who, c->addr, cl_errmsg());
        return;
    }
    pthread_mutex_lock(&sc->lock);
    list_put(sc->cands, &sc->ncands, &c->id, c->addr);
    pthread_mutex_unlock(&sc->lock);
}

static void *prober_loop(void *arg)
{
    cl_scheduler *sc = arg;
    pthread_mutex_lock(&sc->lock);
    while (!sc->stopping) {
        if (!sc->nqueue) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L; /* to see `stopping` */
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&sc->heard, &sc->lock, &ts);
            continue;
        }
        candidate c = sc->queue[0];
        sc->queue[0] = sc->queue[--sc->nqueue];
        bool go = may_probe(sc, &c.id, cl_mono_ms());
        pthread_mutex_unlock(&sc->lock);
        if (go && worth_probing(sc, &c.id, c.addr))
            probe_one(sc, &c);
        pthread_mutex_lock(&sc->lock);
    }
    pthread_mutex_unlock(&sc->lock);
    return NULL;
}

void cl_scheduler_stop(cl_scheduler *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->stopping = true;
    pthread_cond_signal(&sc->heard);
    pthread_mutex_unlock(&sc->lock);
    pthread_join(sc->thread, NULL);
    pthread_join(sc->prober, NULL);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->heard);
    free(sc->plans);
    free(sc);
}
