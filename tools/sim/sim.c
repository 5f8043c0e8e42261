/*
 * clientele-sim — a team mesh of N devices in one process, syncing through
 * the product's own session and merge code (src/sync/session.c over an
 * in-memory sync_link: memlink.c), without sockets or TLS. Issue 19; the
 * figures are in docs/scaling.md.
 *
 *   clientele-sim [--devices N] [--seed S] [--calm] [--csv FILE] … (usage())
 *
 * Every device is real: its own folder, EC key and certificate
 * (cl_identity_load), LMDB store (cl_book_open), pairings (cl_peer_add) and
 * signed log; ops are written through the model (cl_record_put) and reach
 * other devices only as signed segments in OPS frames of real sessions.
 *
 * The world, from the seed:
 *   - pairing: each device pairs (both ways) with --peers random others;
 *   - start: each device creates --creates contacts and makes --edits edits
 *     of --shared company records every device may edit (the first edit of a
 *     record a device does not hold yet creates it: concurrent creations and
 *     edits, so conflicts too);
 *   - --writers W: device 0's folder has been restored W - 1 times, each
 *     restore starting a fresh writer that makes one edit: W origins from
 *     one device (the protocol's limits on origins are measured this way);
 *   - a round: the online devices, in a random order, each pick a random
 *     paired peer that is online, reachable and not yet in a sync this round,
 *     and sync with it (client and server in two threads joined by a pipe).
 *     A device is in at most one sync per round, so a round is one step of
 *     time in which ops move one hop; syncs of a round touch disjoint stores
 *     and run --jobs at a time, and the result does not depend on their
 *     order;
 *   - a partition (unless --calm): from round --partition-at for
 *     --partition-rounds rounds, the devices fall into 2–4 groups that cannot
 *     reach each other, then it heals;
 *   - churn (unless --calm), rounds 1 … --churn-rounds: an online device goes
 *     offline with --p-off, an offline one comes back with --p-on, new
 *     devices with empty folders join (--join-rate × N a round, each paired
 *     with --peers devices), and --edit-rate of the online devices edit; when
 *     the churn ends every device is back online;
 *   - convergence: after the last disturbance, at the end of every round,
 *     every device's digest (cl_txn_digest, what `clientele digest` prints)
 *     is compared; the run ends when all are equal.
 * Rounds are exactly reproducible from the seed; bytes are too, within the
 * few bytes by which DER signatures vary (70–72 bytes each).
 *
 * Not simulated: TLS (its bytes are estimated: memlink.h), the network (no
 * latency, loss or bandwidth: a round is a step of logic, not of time),
 * fsync (CLIENTELE_NOSYNC), the scheduler's timing and backoff, LAN
 * discovery. The signing ledger ($XDG_STATE_HOME/clientele/signed) is one
 * file per machine, so it is turned off here, where one machine holds every
 * device: it guards against restores in place, which the simulation does not
 * make.
 */
#include "sim.h"

#include "clientele/model.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct device {
    char *dir;
    cl_identity *me;
    cl_store *s;
    bool online;
    int group;
    int *peers;             /* indexes of the paired devices */
    bool *met;              /* per peer: we hold a TLS session for it (resumed next time) */
    size_t npeers, cap;
    uint64_t bytes;         /* frames sent and received */
    uint64_t digest_ops;    /* op count when digest was computed; UINT64_MAX none */
    unsigned char digest[CL_SHA256_LEN];
} device;

typedef struct world {
    sim_opts o;
    char *root;
    uint64_t rng;
    device *d;
    int n, cap;
    int groups;             /* of the partition in force; 1 when none */
    int edit_no;
    sim_totals t;
} world;

/* One sync: a is the client, b the server. */
typedef struct job {
    world *w;
    int a, b;
    int rc_client, rc_server;
    sim_wire sent[2];       /* by a, by b */
    uint64_t ops;           /* applied on both sides */
    double ms;
    bool full;              /* a full handshake (a had no session for b) */
    char err[400];          /* "client: " or "server: " and the error */
} job;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: small, and every seed gives a good stream. */
static uint64_t rnd(world *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int pick(world *w, int n) { return (int)(rnd(w) % (uint64_t)n); }
static bool chance(world *w, double p) { return (double)(rnd(w) >> 11) / 9007199254740992.0 < p; }

/* n × rate, rounded up or down at random so that the mean is right. */
static int draw(world *w, double x)
{
    int k = (int)x;
    return k + chance(w, x - k);
}

static int fail(const char *what)
{
    fprintf(stderr, "clientele-sim: %s: %s\n", what, cl_errmsg());
    return 1;
}

/* ------------------------------------------------------------ devices */

static int name_fn(cl_txn *t, void *arg)
{
    return cl_txn_setting_put_text(t, CL_SETTING_NAME, arg);
}

/* A new device with an empty folder, its key and its name (the hello
 * carries it, as a real device's). */
static int device_new(world *w)
{
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        device *d = realloc(w->d, (size_t)cap * sizeof *d);
        if (!d)
            return cl_seterr(CL_ENOMEM, "out of memory");
        w->d = d, w->cap = cap;
    }
    device *d = &w->d[w->n];
    memset(d, 0, sizeof *d);
    char name[32];
    snprintf(name, sizeof name, "sim-%05d", w->n);
    if (!(d->dir = malloc(strlen(w->root) + 16)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    sprintf(d->dir, "%s/%s", w->root, name);
    if (mkdir(d->dir, 0700))
        return cl_seterr(CL_EIO, "mkdir %s: %s", d->dir, strerror(errno));
    int rc = cl_identity_load(d->dir, true, &d->me);
    if (!rc)
        rc = cl_book_open(d->dir, cl_identity_device(d->me), &d->s);
    if (!rc)
        rc = cl_store_update(d->s, name_fn, name);
    d->online = true;
    d->group = 0;
    d->digest_ops = UINT64_MAX;
    w->n++;
    return rc;
}

static bool paired(const device *a, int b)
{
    for (size_t i = 0; i < a->npeers; i++)
        if (a->peers[i] == b)
            return true;
    return false;
}

static int peer_push(device *a, int b)
{
    if (a->npeers == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 8;
        int *p = realloc(a->peers, cap * sizeof *p);
        bool *m = p ? realloc(a->met, cap * sizeof *m) : NULL;
        if (!p || !m) {
            a->peers = p ? p : a->peers;
            return cl_seterr(CL_ENOMEM, "out of memory");
        }
        a->peers = p, a->met = m, a->cap = cap;
    }
    a->met[a->npeers] = false;
    a->peers[a->npeers++] = b;
    return CL_OK;
}

/* Pair a and b both ways, in their stores (the session checks it) and here. */
static int pair(world *w, int a, int b)
{
    device *da = &w->d[a], *db = &w->d[b];
    if (a == b || paired(da, b))
        return CL_OK;
    int rc = cl_peer_add(da->s, cl_identity_device(db->me), NULL, NULL);
    if (!rc)
        rc = cl_peer_add(db->s, cl_identity_device(da->me), NULL, NULL);
    if (!rc)
        rc = peer_push(da, b);
    return rc ? rc : peer_push(db, a);
}

/* Device i pairs with `peers` random others among the first n. */
static int pair_random(world *w, int i, int n)
{
    int want = w->o.peers < n - 1 ? w->o.peers : n - 1;
    for (int k = 0, tries = 0; k < want && tries < 100 * want; tries++) {
        int j = pick(w, n);
        if (j == i || paired(&w->d[i], j))
            continue;
        int rc = pair(w, i, j);
        if (rc)
            return rc;
        k++;
    }
    return CL_OK;
}

/* ------------------------------------------------------------ writes */

/* Shared record k: an id every device derives from the seed (48 bits of a
 * fixed millisecond, as ids are made, then the seed and k). */
static cl_record_id shared_id(const world *w, int k)
{
    cl_record_id id;
    cl_be64_put(id.b, (UINT64_C(1767225600000) << 16) | (w->o.seed & 0xffff));
    cl_be64_put(id.b + 8, (uint64_t)k + 1);
    return id;
}

static int write_create(world *w, int i)
{
    char name[64], email[64], notes[96];
    int k = w->edit_no++;
    snprintf(name, sizeof name, "Contact %d-%d", i, k);
    snprintf(email, sizeof email, "c%d.%d@example.com", i, k);
    snprintf(notes, sizeof notes, "met at the fair; written on device %d", i);
    cl_assign f[] = {{"name", name}, {"email", email}, {"notes", notes}};
    return cl_record_put(w->d[i].s, CL_T_CONTACT, NULL, f, 3, NULL);
}

static bool holds(cl_store *s, const cl_record_id *id)
{
    cl_txn *t;
    cl_record_meta m;
    bool ok = !cl_store_read(s, &t) && !cl_txn_record(t, id, &m);
    cl_txn_end(t);
    return ok;
}

/* An edit of a random shared record; it creates the record (with its
 * name, which is required) when this device holds none of it yet. */
static int write_shared(world *w, int i)
{
    int k = pick(w, w->o.shared);
    cl_record_id id = shared_id(w, k);
    char name[32], value[64];
    snprintf(name, sizeof name, "Shared %d", k);
    snprintf(value, sizeof value, "edit %d by device %d", w->edit_no++, i);
    cl_assign f[2] = {{chance(w, 0.5) ? "notes" : "industry", value}, {"name", name}};
    size_t n = holds(w->d[i].s, &id) ? 1 : 2;
    return cl_record_put(w->d[i].s, CL_T_COMPANY, &id, f, n, NULL);
}

static int new_writer_fn(cl_txn *t, void *arg)
{
    return cl_txn_new_writer(t, arg);
}

/* Device 0's folder as after writers - 1 restores from backups (docs/merge.md
 * "Authors and forks"): each restore starts a fresh writer, which makes an
 * edit. The store's warning per new writer is not printed. */
static int restores(world *w)
{
    int rc = CL_OK;
    const char *level = getenv("CLIENTELE_LOG");
    char *saved = level ? strdup(level) : NULL;
    setenv("CLIENTELE_LOG", "error", 1);
    for (int k = 1; !rc && k < w->o.writers; k++)
        if (!(rc = cl_store_update(w->d[0].s, new_writer_fn, "simulated restore")))
            rc = write_shared(w, 0);
    if (saved)
        setenv("CLIENTELE_LOG", saved, 1);
    else
        unsetenv("CLIENTELE_LOG");
    free(saved);
    return rc;
}

static int write_some(world *w, int i, int creates, int edits)
{
    int rc = CL_OK;
    for (int k = 0; !rc && k < creates; k++)
        rc = write_create(w, i);
    for (int k = 0; !rc && k < edits; k++)
        rc = write_shared(w, i);
    return rc;
}

/* ------------------------------------------------------------ one sync */

typedef struct serve_args {
    device *b;
    sync_link *l;
    sim_pipe *p;
    int rc;
    char err[300];
} serve_args;

static void *serve_thread(void *arg)
{
    serve_args *a = arg;
    a->rc = sync_serve(a->b->s, a->b->me, a->l);
    if (a->rc)
        snprintf(a->err, sizeof a->err, "%s", cl_errmsg());
    sim_pipe_close(a->p, 1);
    return NULL;
}

static size_t peer_slot(const device *a, int b)
{
    size_t i = 0;
    while (i < a->npeers && a->peers[i] != b)
        i++;
    return i;
}

/* The session of cl_sync_once and of the listener, both sides, over memory. */
static void run_sync(job *j)
{
    device *a = &j->w->d[j->a], *b = &j->w->d[j->b];
    sim_pipe *p;
    sync_link la, lb;
    double start = now_s();
    if ((j->rc_client = sim_pipe_new(&p))) {
        snprintf(j->err, sizeof j->err, "%s", cl_errmsg());
        return;
    }
    sim_pipe_link(p, 0, cl_identity_device(b->me), &la);
    sim_pipe_link(p, 1, cl_identity_device(a->me), &lb);
    serve_args sa = {b, &lb, p, CL_OK, ""};
    pthread_t th;
    if (pthread_create(&th, NULL, serve_thread, &sa)) {
        j->rc_client = cl_seterr(CL_ENOMEM, "cannot start a thread");
        snprintf(j->err, sizeof j->err, "%s", cl_errmsg());
        sim_pipe_free(p);
        return;
    }
    cl_sync_result res;
    memset(&res, 0, sizeof res);
    j->rc_client = sync_client(a->s, a->me, &la, NULL, &res);
    if (j->rc_client)
        snprintf(j->err, sizeof j->err, "client: %s", cl_errmsg());
    sim_pipe_close(p, 0);
    pthread_join(th, NULL);
    j->rc_server = sa.rc;
    if (sa.rc && !j->rc_client)
        snprintf(j->err, sizeof j->err, "server: %s", sa.err);
    j->sent[0] = *sim_pipe_sent(p, 0);
    j->sent[1] = *sim_pipe_sent(p, 1);
    j->ops = res.sent + res.received;
    sim_pipe_free(p);
    size_t slot = peer_slot(a, j->b);
    j->full = slot < a->npeers && !a->met[slot];
    if (slot < a->npeers)
        a->met[slot] = true;
    j->ms = (now_s() - start) * 1e3;
}

typedef struct pool {
    job *jobs;
    size_t n;
    atomic_size_t next;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        run_sync(&p->jobs[i]);
    return NULL;
}

/* Run the round's syncs, --jobs at a time: they touch disjoint stores. */
static void run_jobs(world *w, job *jobs, size_t n)
{
    pool p = {jobs, n, 0};
    int k = w->o.jobs > 1 ? w->o.jobs : 1;
    pthread_t th[16];
    int started = 0;
    for (; started < k - 1 && started < 16; started++)
        if (pthread_create(&th[started], NULL, worker, &p))
            break;
    worker(&p);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* ------------------------------------------------------------ rounds */

/* The round's syncs: a device meets at most one peer. */
static size_t plan(world *w, job *jobs, bool *busy, int *order, int *cand)
{
    int n = 0;
    for (int i = 0; i < w->n; i++) {
        busy[i] = false;
        if (w->d[i].online)
            order[n++] = i;
    }
    for (int i = n - 1; i > 0; i--) { /* Fisher–Yates */
        int k = pick(w, i + 1), x = order[i];
        order[i] = order[k], order[k] = x;
    }
    size_t m = 0;
    for (int i = 0; i < n; i++) {
        device *a = &w->d[order[i]];
        int nc = 0;
        if (busy[order[i]])
            continue;
        for (size_t k = 0; k < a->npeers; k++) {
            device *b = &w->d[a->peers[k]];
            if (b->online && !busy[a->peers[k]] && b->group == a->group)
                cand[nc++] = a->peers[k];
        }
        if (!nc)
            continue;
        int b = cand[pick(w, nc)];
        busy[order[i]] = busy[b] = true;
        jobs[m++] = (job){.w = w, .a = order[i], .b = b};
    }
    return m;
}

typedef struct round_stats {
    size_t syncs, failed;
    uint64_t ops, bytes, hello;
    double ms_max;
} round_stats;

static void account(world *w, job *jobs, size_t m, round_stats *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->syncs = m;
    for (size_t i = 0; i < m; i++) {
        job *j = &jobs[i];
        uint64_t bytes = j->sent[0].bytes + j->sent[1].bytes;
        if (j->rc_client || j->rc_server) {
            if (w->t.failed++ < 5)
                fprintf(stderr, "clientele-sim: sync %d → %d failed: %s\n", j->a, j->b, j->err);
            rs->failed++;
        }
        rs->ops += j->ops;
        rs->bytes += bytes;
        rs->hello += j->sent[0].hello_bytes + j->sent[1].hello_bytes;
        rs->ms_max = j->ms > rs->ms_max ? j->ms : rs->ms_max;
        w->d[j->a].bytes += bytes;
        w->d[j->b].bytes += bytes;
        w->t.tls_bytes += bytes + SIM_TLS_RECORD_OVERHEAD * (j->sent[0].tls_records + j->sent[1].tls_records) +
                          (j->full ? SIM_TLS_FULL_BYTES : SIM_TLS_RESUMED_BYTES);
        w->t.full_handshakes += j->full;
        w->t.segments += j->sent[0].ops_frames + j->sent[1].ops_frames;
        w->t.hellos += 2;
    }
    w->t.syncs += m;
    w->t.ops_moved += rs->ops;
    w->t.bytes += rs->bytes;
    w->t.hello_bytes += rs->hello;
    w->t.sync_ms_max = rs->ms_max > w->t.sync_ms_max ? rs->ms_max : w->t.sync_ms_max;
}

/* ------------------------------------------------------------ disturbances */

static int partition_end(const sim_opts *o) { return o->partition_at + o->partition_rounds; }

/* The first round with no partition, churn or edit left. */
static int quiet_from(const sim_opts *o)
{
    if (o->calm)
        return 1;
    int q = o->churn_rounds + 1;
    return o->partition_rounds && partition_end(o) > q ? partition_end(o) : q;
}

static void partition(world *w, int r)
{
    const sim_opts *o = &w->o;
    if (o->calm || !o->partition_rounds)
        return;
    if (r == o->partition_at) {
        w->groups = o->groups ? o->groups : 2 + pick(w, 3);
        w->t.groups = w->groups;
        for (int i = 0; i < w->n; i++)
            w->d[i].group = pick(w, w->groups);
    } else if (r == partition_end(o)) {
        w->groups = 1;
        for (int i = 0; i < w->n; i++)
            w->d[i].group = 0;
    }
}

static int join(world *w, int n0)
{
    int rc = device_new(w);
    if (rc)
        return rc;
    int i = w->n - 1;
    w->d[i].group = w->groups > 1 ? pick(w, w->groups) : 0;
    w->t.joined++;
    return pair_random(w, i, n0);
}

/* Devices leave and come back, new ones join, some edit. */
static int churn(world *w, int r)
{
    const sim_opts *o = &w->o;
    if (o->calm || r > o->churn_rounds + 1)
        return CL_OK;
    int offline = 0, rc = CL_OK;
    for (int i = 0; i < w->n; i++) {
        device *d = &w->d[i];
        d->online = r > o->churn_rounds ? true : d->online ? !chance(w, o->p_off) : chance(w, o->p_on);
        offline += !d->online;
    }
    w->t.offline_max = offline > w->t.offline_max ? offline : w->t.offline_max;
    if (r > o->churn_rounds)
        return CL_OK;
    int n0 = w->n;
    for (int k = draw(w, o->join_rate * w->o.devices); !rc && k > 0; k--)
        rc = join(w, n0);
    for (int k = draw(w, o->edit_rate * (w->n - offline)); !rc && k > 0; k--) {
        int i = pick(w, w->n);
        if (w->d[i].online)
            rc = chance(w, 0.25) ? write_create(w, i) : write_shared(w, i);
    }
    return rc;
}

/* ------------------------------------------------------------ convergence */

static int device_digest(device *d)
{
    uint64_t ops;
    int rc = cl_store_op_count(d->s, &ops);
    if (rc || ops == d->digest_ops)
        return rc; /* the state is a function of the ops: same count, same ops here */
    cl_txn *t;
    if ((rc = cl_store_read(d->s, &t)))
        return rc;
    rc = cl_txn_digest(t, false, d->digest);
    cl_txn_end(t);
    if (!rc)
        d->digest_ops = ops;
    return rc;
}

/* How many devices differ from device 0's digest (all are online now). */
static int differing(world *w, int *out)
{
    double start = now_s();
    int n = 0, rc = CL_OK;
    for (int i = 0; !rc && i < w->n; i++)
        rc = device_digest(&w->d[i]);
    for (int i = 1; !rc && i < w->n; i++)
        n += memcmp(w->d[i].digest, w->d[0].digest, CL_SHA256_LEN) != 0;
    w->t.digest_s += now_s() - start;
    *out = n;
    return rc;
}

/* ------------------------------------------------------------ the run */

typedef struct scratch {
    job *jobs;
    bool *busy;
    int *order, *cand;
    int cap;
} scratch;

static int scratch_fit(scratch *s, const world *w)
{
    int need = w->n;
    for (int i = 0; i < w->n; i++)
        need = (int)w->d[i].npeers > need ? (int)w->d[i].npeers : need;
    if (need <= s->cap)
        return CL_OK;
    free(s->jobs), free(s->busy), free(s->order), free(s->cand);
    s->cap = 2 * need;
    s->jobs = calloc((size_t)s->cap, sizeof *s->jobs);
    s->busy = calloc((size_t)s->cap, sizeof *s->busy);
    s->order = calloc((size_t)s->cap, sizeof *s->order);
    s->cand = calloc((size_t)s->cap, sizeof *s->cand);
    return s->jobs && s->busy && s->order && s->cand ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

static int online_count(const world *w)
{
    int n = 0;
    for (int i = 0; i < w->n; i++)
        n += w->d[i].online;
    return n;
}

/* One round; *left gets the devices whose digest differs (-1: not checked). */
static int round_run(world *w, int r, scratch *sc, int *left)
{
    int rc;
    partition(w, r);
    if ((rc = churn(w, r)) || (rc = scratch_fit(sc, w)))
        return rc;
    size_t m = plan(w, sc->jobs, sc->busy, sc->order, sc->cand);
    double start = now_s();
    run_jobs(w, sc->jobs, m);
    double secs = now_s() - start;
    w->t.sync_s += secs;
    round_stats rs;
    account(w, sc->jobs, m, &rs);
    *left = -1;
    if (r >= quiet_from(&w->o) && (rc = differing(w, left)))
        return rc;
    if (w->o.quiet)
        return CL_OK;
    printf("round %3d: %5d online, %2d group(s), %5zu syncs (%zu failed), %7" PRIu64 " ops, %10" PRIu64
           " bytes (hello %5.1f%%), %6.2f s, slowest sync %6.1f ms", r, online_count(w), w->groups, rs.syncs,
           rs.failed, rs.ops, rs.bytes, rs.bytes ? 100.0 * (double)rs.hello / (double)rs.bytes : 0.0, secs,
           rs.ms_max);
    if (*left >= 0)
        printf(", differing from device 0: %d", *left);
    putchar('\n');
    fflush(stdout);
    return CL_OK;
}

/* Two more syncs of one pair once converged: what a sync costs when nothing
 * is new. The second is reported: the first still carries, as a difference
 * of the version vectors, the writers that moved since that pair last met. */
static void noop_sync(world *w)
{
    for (int i = 0; i < w->n; i++) {
        if (!w->d[i].npeers)
            continue;
        job j = {.w = w, .a = i, .b = w->d[i].peers[0]};
        run_sync(&j);
        j = (job){.w = w, .a = i, .b = w->d[i].peers[0]};
        run_sync(&j);
        w->t.noop_bytes = j.sent[0].bytes + j.sent[1].bytes;
        w->t.noop_hello = j.sent[0].hello_bytes;
        w->t.noop_ms = j.ms;
        return;
    }
}

static int count_vv(void *ctx, const cl_device_id *o, uint64_t seq)
{
    (void)o, (void)seq;
    ++*(size_t *)ctx;
    return 0;
}

static void final_figures(world *w)
{
    cl_txn *t;
    if (!cl_store_read(w->d[0].s, &t)) {
        cl_txn_vv_each(t, count_vv, &w->t.origins);
        cl_txn_op_count(t, &w->t.ops_total);
    }
    cl_txn_end(t);
    for (int i = 0; i < w->n; i++) {
        struct stat st;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/data.mdb", w->d[i].dir);
        if (!stat(path, &st))
            w->t.disk_bytes += (uint64_t)st.st_blocks * 512;
        if (w->d[i].bytes > w->t.max_device_bytes)
            w->t.max_device_bytes = w->d[i].bytes;
    }
    w->t.final_devices = w->n;
    sim_rss(&w->t.rss_kb, &w->t.anon_kb);
}

static int setup(world *w)
{
    double start = now_s();
    int rc = CL_OK;
    for (int i = 0; !rc && i < w->o.devices; i++)
        rc = device_new(w);
    for (int i = 0; !rc && i < w->n; i++)
        rc = pair_random(w, i, w->n);
    for (int i = 0; !rc && i < w->n; i++)
        rc = write_some(w, i, w->o.creates, w->o.edits);
    if (!rc)
        rc = restores(w);
    w->t.setup_s = now_s() - start;
    return rc;
}

static int simulate(world *w)
{
    scratch sc = {0};
    int rc = setup(w);
    if (rc)
        return fail("setting up the devices");
    if (!w->o.quiet)
        printf("%d devices ready in %.1f s (keys, stores, pairings, first edits)\n", w->n, w->t.setup_s);
    for (int r = 1; r <= w->o.max_rounds; r++) {
        int left;
        if ((rc = round_run(w, r, &sc, &left)))
            break;
        if (left == 0) {
            w->t.rounds = r;
            w->t.quiet_rounds = r - quiet_from(&w->o) + 1;
            break;
        }
    }
    free(sc.jobs), free(sc.busy), free(sc.order), free(sc.cand);
    if (rc)
        return fail("a round");
    if (w->t.rounds)
        noop_sync(w);
    final_figures(w);
    return CL_OK;
}

/* ------------------------------------------------------------ set-up and teardown */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void teardown(world *w)
{
    for (int i = 0; i < w->n; i++) {
        cl_store_close(w->d[i].s);
        cl_identity_free(w->d[i].me);
        free(w->d[i].peers);
        free(w->d[i].met);
        free(w->d[i].dir);
    }
    free(w->d);
    if (w->root && !w->o.keep)
        nftw(w->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else if (w->root)
        fprintf(stderr, "clientele-sim: kept %s\n", w->root);
    free(w->root);
}

/* The process's side of 1,000 stores: two files each, no fsync, small maps
 * that grow on demand, no per-sync log lines, no shared ledger (header). */
static void environment(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    setenv("CLIENTELE_NOSYNC", "1", 1);
    setenv("CLIENTELE_MAPSIZE", "4194304", 0);
    setenv("CLIENTELE_LOG", "warn", 0);
    setenv("XDG_STATE_HOME", "", 1);
    setenv("HOME", "", 1);
}

static int usage(FILE *to)
{
    fprintf(to,
            "usage: clientele-sim [--devices N] [--seed S] [--peers K] [--jobs J] [--calm]\n"
            "                     [--shared R] [--creates C] [--edits E] [--writers W]\n"
            "                     [--partition-at R] [--partition-rounds L] [--groups G]\n"
            "                     [--churn-rounds C] [--p-off P] [--p-on P] [--join-rate X] [--edit-rate X]\n"
            "                     [--max-rounds M] [--dir DIR] [--csv FILE] [--keep] [--quiet]\n"
            "Simulates N devices syncing pairwise through the real session code in memory\n"
            "(docs/scaling.md). Exit 0 when every device converged, 1 otherwise, 2 on usage.\n");
    return 2;
}

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* --name VALUE for the numeric options: their limits and where they go. */
static bool option(sim_opts *o, const char *name, const char *val)
{
    struct { const char *name; double lo, hi; int *i; double *d; } t[] = {
        {"--devices", 2, 100000, &o->devices, NULL},     {"--peers", 1, 1000, &o->peers, NULL},
        {"--jobs", 1, 16, &o->jobs, NULL},               {"--shared", 1, 1e6, &o->shared, NULL},
        {"--creates", 0, 1000, &o->creates, NULL},       {"--edits", 0, 1000, &o->edits, NULL},
        {"--writers", 1, 100000, &o->writers, NULL},
        {"--partition-at", 1, 1e6, &o->partition_at, NULL},
        {"--partition-rounds", 0, 1e6, &o->partition_rounds, NULL},
        {"--groups", 0, 100, &o->groups, NULL},          {"--churn-rounds", 0, 1e6, &o->churn_rounds, NULL},
        {"--max-rounds", 1, 1e6, &o->max_rounds, NULL},  {"--p-off", 0, 1, NULL, &o->p_off},
        {"--p-on", 0, 1, NULL, &o->p_on},                {"--join-rate", 0, 1, NULL, &o->join_rate},
        {"--edit-rate", 0, 1, NULL, &o->edit_rate},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        double v;
        if (strcmp(name, t[k].name))
            continue;
        if (!num(val, t[k].lo, t[k].hi, &v))
            return false;
        if (t[k].i)
            *t[k].i = (int)v;
        else
            *t[k].d = v;
        return true;
    }
    if (!strcmp(name, "--seed"))
        return (o->seed = strtoull(val, NULL, 10)), true;
    if (!strcmp(name, "--dir"))
        return (o->dir = val), true;
    if (!strcmp(name, "--csv"))
        return (o->csv = val), true;
    return false;
}

/* 0: run; 1: --help was printed; 2: a usage error was printed. */
static int parse(int argc, char **argv, sim_opts *o)
{
    *o = (sim_opts){.devices = 100, .seed = 1, .peers = 4, .jobs = 2, .shared = 64, .creates = 2,
                    .edits = 3, .writers = 1, .partition_at = 3, .partition_rounds = 6, .churn_rounds = 12,
                    .p_off = 0.05, .p_on = 0.3, .join_rate = 0.005, .edit_rate = 0.02,
                    .max_rounds = 200, .dir = "/tmp"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help"))
            return usage(stdout), 1;
        else if (!strcmp(argv[i], "--calm"))
            o->calm = true;
        else if (!strcmp(argv[i], "--keep"))
            o->keep = true;
        else if (!strcmp(argv[i], "--quiet"))
            o->quiet = true;
        else if (i + 1 >= argc || !option(o, argv[i], argv[i + 1]))
            return usage(stderr);
        else
            i++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    world w = {0};
    int bad = parse(argc, argv, &w.o);
    if (bad)
        return bad == 1 ? 0 : 2;
    environment();
    w.rng = w.o.seed;
    w.groups = 1;
    w.t.start_devices = w.o.devices;
    sim_rss(&w.t.rss_start_kb, &(long){0});
    double start = now_s();
    if (!(w.root = malloc(strlen(w.o.dir) + 32)))
        return 1;
    sprintf(w.root, "%s/clientele-sim.XXXXXX", w.o.dir);
    if (!mkdtemp(w.root)) {
        fprintf(stderr, "clientele-sim: cannot make a folder in %s: %s\n", w.o.dir, strerror(errno));
        free(w.root);
        return 1;
    }
    int rc = simulate(&w);
    w.t.wall_s = now_s() - start;
    if (!rc) {
        sim_report(stdout, &w.o, &w.t);
        if (w.o.csv && sim_csv(w.o.csv, &w.o, &w.t))
            rc = fail(w.o.csv);
    }
    teardown(&w);
    return rc || !w.t.rounds || w.t.failed ? 1 : 0;
}
