/*
 * clientele-bench — workload W1 of issue 8 through the real code paths
 * (and `related`, the reference index's figure: queries.c).
 *
 *   clientele-bench w1 [--records N] [--json FILE] [--clientele PATH] [--keep DIR]
 *                      [--noop-runs K] [--no-raw]
 *
 * Phases (every one in its own process, so that each process's private memory
 * can be sampled from /proc/PID/status while it runs):
 *   load   a child process of this program (`_load`) writes N records × 8 fields
 *          into device A's fresh data folder through cl_store_update/cl_txn_write,
 *          10,000 records per transaction; every commit is an fsync'ed LMDB commit.
 *   raw    a child (`_raw`) puts the same 8N values under 17-byte keys (record id
 *          + field number) into a bare LMDB environment, same batches: the
 *          "raw LMDB for the same data" the disk target is measured against.
 *   full   device A runs as a real `clientele serve` process (the binary next to
 *          this one); an empty device B (paired) syncs with it from a child
 *          process (`_sync`) calling cl_sync_once: real TLS over 127.0.0.1.
 *   delta  A sets notes of r % 100 == 0, B sets notes of r % 100 == 50 and phone
 *          of r % 200 == 0 (both before syncing), then B syncs with A (one
 *          session moves ops both ways); digests compared with `clientele digest`
 *          and every edited field checked on both devices.
 *   noop   the same sync again with nothing to send, K times (median); a
 *          protocol-level client (`_noop`) splits it into handshake and the rest.
 *   small  a fixed-size delta whatever N (A: notes of 50 records, B: phone of 50
 *          others), synced the same way: a delta's cost against the book's size.
 *
 * W1 names record r "c<r>"; our record ids are 16 bytes (48-bit milliseconds
 * then 80 bits). The benchmark derives record r's id from r: the start
 * milliseconds, 16 random bits (top bit clear), then r as a big-endian u64, so
 * ids grow with r exactly as ids made by one process do, and the "c<r>" → id
 * mapping is a function (no table in memory). W1's `company` is a plain string
 * while a contact's company field is a reference: it is written to the text
 * field `address` (as tests/tools/fill.c does). Values are written with
 * cl_txn_write (store layer), of W1's widths, made valid for their fields
 * (an email ends in "@e.u", a phone's letters become digits): a peer checks
 * every value it receives as the model would (docs/merge.md).
 *
 * Output: human-readable figures on stdout and, with --json, exactly
 * {"records":N,"load":{"ms","ops_per_s"},"full_sync":{"ms","bytes"},
 *  "delta_sync":{"ms","bytes","converged"},"noop_sync":{"ms"},"peak_private_mb",
 *  "disk_bytes"} plus extra keys.
 */
#include "bench.h"

#include "clientele/model.h"
#include "clientele/net.h"
#include "clientele/sync.h"
#include "clientele/wire.h"

#include <lmdb.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

#define BATCH 10000

/* ------------------------------------------------------------ W1 itself */

/* In field-number order, the order in which cl_record_put_in writes a new
 * record's fields (the label, name, is also the first): the state table's keys
 * are record · field, so this order appends to the B-tree. */
static const struct w1_field {
    const char *name;
    uint8_t id;
    size_t width;
} W1[] = {
    {"name", CL_F_NAME, 16},        {"email", CL_F_EMAIL, 24}, {"phone", CL_F_PHONE, 12},
    {"company", CL_F_ADDRESS, 16},  {"notes", CL_F_NOTES, 100}, {"tags", CL_F_TAGS, 16},
    {"title", CL_F_TITLE, 16},      {"city", CL_F_CITY, 12},
};
#define W1_FIELDS (sizeof W1 / sizeof W1[0])
#define W1_NOTES 4
#define W1_PHONE 2

/* An email or phone value made one its field accepts, keeping its width. */
static void w1_valid(char *out, size_t width, uint8_t field)
{
    if (field == CL_F_EMAIL && width >= 6)
        memcpy(out + width - 4, "@e.u", 4);
    for (size_t i = 0; field == CL_F_PHONE && i < width; i++)
        if (out[i] == 'y' || out[i] == 'z')
            out[i] = out[i] == 'y' ? '.' : '/';
        else if (out[i] >= 'a' && out[i] <= 'w')
            out[i] = (char)('0' + out[i] % 10);
}

/* `<prefix>-<r>-` right-padded with `pad` to width, valid for field. out
 * needs width + 1. By hand rather than snprintf, which cost 13% of the
 * load's instructions. */
static void w1_value(char *out, size_t width, uint8_t field, const char *prefix, long r, char pad)
{
    char digits[24];
    size_t nd = 0, n = 0;
    unsigned long u = (unsigned long)r;
    do
        digits[nd++] = (char)('0' + u % 10);
    while ((u /= 10) && nd < sizeof digits);
    while (*prefix && n < width)
        out[n++] = *prefix++;
    if (n < width)
        out[n++] = '-';
    while (nd && n < width)
        out[n++] = digits[--nd];
    if (n < width)
        out[n++] = '-';
    memset(out + n, pad, width - n);
    out[width] = 0;
    if (field == CL_F_EMAIL || field == CL_F_PHONE)
        w1_valid(out, width, field);
}

/* The record id of W1's "c<r>" (see the header comment). */
static void w1_id(uint64_t base, long r, cl_record_id *id)
{
    cl_be64_put(id->b, base);
    cl_be64_put(id->b + 8, (uint64_t)r);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* RssAnon and RssFile of a process in KiB (0 when gone). */
static void proc_rss(pid_t pid, long *anon, long *file)
{
    char path[64], line[256];
    *anon = *file = 0;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "RssAnon:", 8))
            *anon = atol(line + 8);
        else if (!strncmp(line, "RssFile:", 8))
            *file = atol(line + 8);
    }
    fclose(f);
}

static int die_cl(const char *what)
{
    fprintf(stderr, "clientele-bench: %s: %s\n", what, cl_errmsg());
    return 1;
}

static int open_device(const char *dir, cl_identity **me, cl_store **s)
{
    if (cl_identity_load(dir, false, me))
        return die_cl(dir);
    if (cl_book_open(dir, cl_identity_device(*me), s)) {
        cl_identity_free(*me);
        return die_cl(dir);
    }
    return 0;
}

/* Device dir and the paired peer it syncs with, named by its device id. */
static int open_device_and_peer(const char *dir, const char *peer, cl_device_id *expect, cl_identity **me,
                                cl_store **s)
{
    if (cl_device_id_parse(peer, expect))
        return die_cl("device id");
    return open_device(dir, me, s);
}

static void print_self_rss(void)
{
    long anon, file;
    proc_rss(0, &anon, &file);
    printf(" self_anon_kb=%ld self_file_kb=%ld\n", anon, file);
}

/* ------------------------------------------------------- child: _load */

struct load_arg {
    uint64_t base;
    long from, to;
};

static int load_fn(cl_txn *t, void *arg)
{
    struct load_arg *a = arg;
    char v[128];
    for (long r = a->from; r < a->to; r++) {
        cl_record_id id;
        w1_id(a->base, r, &id);
        for (size_t i = 0; i < W1_FIELDS; i++) {
            w1_value(v, W1[i].width, W1[i].id, W1[i].name, r, 'x');
            int rc = cl_txn_write(t, &id, CL_T_CONTACT, W1[i].id, v, W1[i].width);
            if (rc)
                return rc;
        }
    }
    return CL_OK;
}

static int child_load(const char *dir, long n, uint64_t base)
{
    cl_identity *me;
    cl_store *s;
    if (open_device(dir, &me, &s))
        return 1;
    double t0 = now_ms();
    for (long from = 0; from < n; from += BATCH) {
        struct load_arg a = {base, from, from + BATCH < n ? from + BATCH : n};
        if (cl_store_update(s, load_fn, &a))
            return die_cl("load");
    }
    double ms = now_ms() - t0;
    printf("ms=%.3f", ms);
    print_self_rss();
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}

/* -------------------------------------------------------- child: _raw */

static int mdb_fail(const char *what, int rc)
{
    fprintf(stderr, "clientele-bench: raw LMDB %s: %s\n", what, mdb_strerror(rc));
    return 1;
}

static int child_raw(const char *dir, long n, uint64_t base)
{
    MDB_env *env;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (rc)
        return mdb_fail("create", rc);
    size_t map = (size_t)n * 1600 + (64u << 20);
    if ((rc = mdb_env_set_mapsize(env, map)) || (rc = mdb_env_open(env, dir, 0, 0600)))
        return mdb_fail("open", rc);
    double t0 = now_ms();
    char v[128];
    unsigned char key[CL_RECORD_ID_LEN + 1];
    for (long from = 0; from < n; from += BATCH) {
        MDB_txn *txn;
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)))
            return mdb_fail("begin", rc);
        long to = from + BATCH < n ? from + BATCH : n;
        for (long r = from; r < to; r++) {
            cl_record_id id;
            w1_id(base, r, &id);
            memcpy(key, id.b, CL_RECORD_ID_LEN);
            for (size_t i = 0; i < W1_FIELDS; i++) {
                w1_value(v, W1[i].width, W1[i].id, W1[i].name, r, 'x');
                key[CL_RECORD_ID_LEN] = W1[i].id;
                MDB_val k = {sizeof key, key}, d = {W1[i].width, v};
                if ((rc = mdb_put(txn, dbi, &k, &d, 0)))
                    return mdb_fail("put", rc);
            }
        }
        if ((rc = mdb_txn_commit(txn)))
            return mdb_fail("commit", rc);
    }
    printf("ms=%.3f\n", now_ms() - t0);
    mdb_env_close(env);
    return 0;
}

/* ------------------------------------------------------- child: _edit */

struct edit_arg {
    uint64_t base;
    long n;
    char side;
};

/* The fixed-size delta (sides 'c' and 'd'): 50 records each, whatever N, so
 * that a delta's cost can be seen not to depend on the size of the book. */
static int edit_small_fn(cl_txn *t, void *arg)
{
    struct edit_arg *a = arg;
    char v[128];
    long stride = a->n / 50;
    for (long k = 0; k < 50; k++) {
        long r = (k * stride + (a->side == 'c' ? 7 : 13)) % a->n;
        cl_record_id id;
        w1_id(a->base, r, &id);
        int rc = a->side == 'c'
                     ? (w1_value(v, W1[W1_NOTES].width, CL_F_NOTES, "notesc", r, 'z'),
                        cl_txn_write(t, &id, CL_T_CONTACT, CL_F_NOTES, v, W1[W1_NOTES].width))
                     : (w1_value(v, W1[W1_PHONE].width, CL_F_PHONE, "phd", r, 'z'),
                        cl_txn_write(t, &id, CL_T_CONTACT, CL_F_PHONE, v, W1[W1_PHONE].width));
        if (rc)
            return rc;
    }
    return CL_OK;
}

static int edit_fn(cl_txn *t, void *arg)
{
    struct edit_arg *a = arg;
    char v[128], prefix[16];
    if (a->side == 'c' || a->side == 'd')
        return edit_small_fn(t, arg);
    for (long r = 0; r < a->n; r++) {
        cl_record_id id;
        w1_id(a->base, r, &id);
        int rc = CL_OK;
        if ((a->side == 'a' && r % 100 == 0) || (a->side == 'b' && r % 100 == 50)) {
            snprintf(prefix, sizeof prefix, "notes%c", a->side);
            w1_value(v, W1[W1_NOTES].width, CL_F_NOTES, prefix, r, 'y');
            rc = cl_txn_write(t, &id, CL_T_CONTACT, CL_F_NOTES, v, W1[W1_NOTES].width);
        }
        if (!rc && a->side == 'b' && r % 200 == 0) {
            w1_value(v, W1[W1_PHONE].width, CL_F_PHONE, "phb", r, 'y');
            rc = cl_txn_write(t, &id, CL_T_CONTACT, CL_F_PHONE, v, W1[W1_PHONE].width);
        }
        if (rc)
            return rc;
    }
    return CL_OK;
}

static int child_edit(const char *dir, long n, uint64_t base, char side)
{
    cl_identity *me;
    cl_store *s;
    if (open_device(dir, &me, &s))
        return 1;
    struct edit_arg a = {base, n, side};
    double t0 = now_ms();
    if (cl_store_update(s, edit_fn, &a))
        return die_cl("edit");
    printf("ms=%.3f\n", now_ms() - t0);
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}

/* ----------------------------------------------------- child: _verify */

struct edited {
    uint8_t field;
    size_t w;
    const char *prefix;
};

/* Every field edited in the delta phase holds the edit, on this device. */
static int child_verify(const char *dir, long n, uint64_t base)
{
    cl_identity *me;
    cl_store *s;
    cl_txn *t;
    if (open_device(dir, &me, &s))
        return 1;
    if (cl_store_read(s, &t))
        return die_cl("read");
    long checked = 0, wrong = 0, conflicts = 0;
    char want[128];
    for (long r = 0; r < n; r++) {
        struct edited e[2];
        int ne = 0;
        if (r % 100 == 0)
            e[ne++] = (struct edited){CL_F_NOTES, W1[W1_NOTES].width, "notesa"};
        if (r % 100 == 50)
            e[ne++] = (struct edited){CL_F_NOTES, W1[W1_NOTES].width, "notesb"};
        if (r % 200 == 0)
            e[ne++] = (struct edited){CL_F_PHONE, W1[W1_PHONE].width, "phb"};
        cl_record_id id;
        w1_id(base, r, &id);
        for (int i = 0; i < ne; i++) {
            cl_field_state st;
            w1_value(want, e[i].w, e[i].field, e[i].prefix, r, 'y');
            checked++;
            if (cl_txn_field(t, &id, e[i].field, &st) || st.value_len != e[i].w ||
                memcmp(st.value, want, e[i].w))
                wrong++;
            else if (st.conflicted)
                conflicts++;
        }
    }
    unsigned char d[CL_SHA256_LEN];
    if (cl_txn_digest(t, false, d))
        return die_cl("digest");
    cl_txn_end(t);
    printf("checked=%ld wrong=%ld conflicts=%ld digest=", checked, wrong, conflicts);
    for (int i = 0; i < 8; i++)
        printf("%02x", d[i]);
    printf("\n");
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}

/* ------------------------------------------------------- child: _sync */

/* The peer is named by its device id, as `clientele sync` and the
 * scheduler name a paired device: its TLS session is then resumed. */
static int child_sync(const char *dir, const char *addr, const char *peer)
{
    cl_identity *me;
    cl_store *s;
    cl_device_id expect;
    if (open_device_and_peer(dir, peer, &expect, &me, &s))
        return 1;
    cl_sync_result res;
    double t0 = now_ms();
    if (cl_sync_once(s, me, addr, &expect, &res))
        return die_cl("sync");
    double ms = now_ms() - t0;
    printf("ms=%.3f sent=%" PRIu64 " received=%" PRIu64 " bytes_sent=%" PRIu64 " bytes_received=%" PRIu64
           " handshake_ms=%" PRIu64 " resumed=%d",
           ms, res.sent, res.received, res.bytes_sent, res.bytes_received, res.handshake_ms, res.resumed);
    print_self_rss();
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}

/* ------------------------------------------------------- child: _noop */

/* The protocol of a sync with nothing to exchange (docs/protocol.md), by hand,
 * to split the time: TCP connect + TLS handshake, then HELLO ⇄ HELLO, VV ⇄ VV
 * (whole: this client keeps no vector), DONE ⇄ DONE.
 * Refuses when either side would have ops to send. */
static int child_noop(const char *dir, const char *addr, const char *peer)
{
    cl_identity *me;
    cl_store *s;
    cl_txn *t;
    cl_device_id expect;
    if (open_device_and_peer(dir, peer, &expect, &me, &s))
        return 1;
    cl_hello mine = {.version = CL_PROTOCOL_VERSION}, theirs = {0};
    snprintf(mine.name, sizeof mine.name, "bench");
    if (cl_store_read(s, &t) || cl_txn_tips(t, cl_hello_vv_add, &mine))
        return die_cl("version vector");
    cl_txn_end(t);
    cl_conn *c;
    cl_buf b = {0};
    uint8_t type;
    const unsigned char *p;
    size_t n;
    uint64_t count;
    double t0 = now_ms();
    if (cl_conn_connect(me, addr, &expect, NULL, NULL, 15000, &c))
        return die_cl("connect");
    double t1 = now_ms();
    if (cl_wire_hello_encode(&b, &mine) || cl_conn_send(c, CL_MSG_HELLO, b.data, b.len))
        return die_cl("hello");
    if (cl_conn_recv(c, &type, &p, &n) || type != CL_MSG_HELLO || cl_wire_hello_decode(p, n, &theirs))
        return die_cl("their hello");
    /* the vectors: theirs whole (our hello holds none of it), then ours whole */
    cl_vv_msg vm = {.set = mine.vv, .nset = mine.nvv}, got;
    if (cl_conn_recv(c, &type, &p, &n) || type != CL_MSG_VV || cl_wire_vv_decode(p, n, &got))
        return die_cl("their version vector");
    theirs.vv = got.set;
    theirs.nvv = got.nset;
    free(got.gone);
    if (cl_vv_hash(mine.vv, mine.nvv, vm.hash) || cl_wire_vv_encode(&b, &vm) ||
        cl_conn_send(c, CL_MSG_VV, b.data, b.len))
        return die_cl("version vector");
    for (size_t i = 0; i < mine.nvv; i++) {
        uint64_t seq = 0;
        for (size_t j = 0; j < theirs.nvv; j++)
            if (!memcmp(theirs.vv[j].origin.b, mine.vv[i].origin.b, CL_DEVICE_ID_LEN))
                seq = theirs.vv[j].seq;
        if (seq != mine.vv[i].seq) {
            fprintf(stderr, "clientele-bench: _noop: the devices differ: not a no-op sync\n");
            return 1;
        }
    }
    if (theirs.nvv != mine.nvv) {
        fprintf(stderr, "clientele-bench: _noop: the devices differ: not a no-op sync\n");
        return 1;
    }
    cl_buf_reset(&b);
    if (cl_wire_done_encode(&b, 0) || cl_conn_send(c, CL_MSG_DONE, b.data, b.len))
        return die_cl("done");
    if (cl_conn_recv(c, &type, &p, &n) || type != CL_MSG_DONE || cl_wire_done_decode(p, n, &count))
        return die_cl("their done");
    double t2 = now_ms();
    printf("handshake_ms=%.3f after_ms=%.3f bytes=%" PRIu64 " resumed=%d\n", t1 - t0, t2 - t1,
           cl_conn_bytes_sent(c) + cl_conn_bytes_received(c), cl_conn_resumed(c));
    cl_conn_close(c);
    cl_buf_free(&b);
    free(mine.vv);
    free(theirs.vv);
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}

/* ================================================== the driver: w1 */

/* Peak RssAnon / RssFile of the processes we watch, sampled every 2 ms. */
#define SLOTS 8
static struct slot {
    pid_t pid;
    long anon_kb, file_kb;
    long period_kb;     /* peak RssAnon since slot_period() */
} slots[SLOTS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int sampler_stop;

static void *sampler(void *arg)
{
    (void)arg;
    while (!sampler_stop) {
        pthread_mutex_lock(&slot_lock);
        for (int i = 0; i < SLOTS; i++)
            if (slots[i].pid) {
                long a, f;
                proc_rss(slots[i].pid, &a, &f);
                if (a > slots[i].anon_kb)
                    slots[i].anon_kb = a;
                if (a > slots[i].period_kb)
                    slots[i].period_kb = a;
                if (f > slots[i].file_kb)
                    slots[i].file_kb = f;
            }
        pthread_mutex_unlock(&slot_lock);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int watch(pid_t pid)
{
    pthread_mutex_lock(&slot_lock);
    int i = 0;
    while (i < SLOTS && slots[i].pid)
        i++;
    if (i < SLOTS)
        slots[i] = (struct slot){pid, 0, 0, 0};
    pthread_mutex_unlock(&slot_lock);
    return i < SLOTS ? i : -1;
}

/* Stop watching; returns the peaks in KiB. */
static void unwatch(int i, long *anon, long *file)
{
    *anon = *file = 0;
    if (i < 0)
        return;
    pthread_mutex_lock(&slot_lock);
    *anon = slots[i].anon_kb;
    *file = slots[i].file_kb;
    slots[i].pid = 0;
    pthread_mutex_unlock(&slot_lock);
}

/* The peak RssAnon of a watched process since the last call, in KiB; starts
 * a new period. */
static long slot_period(int i)
{
    if (i < 0)
        return 0;
    pthread_mutex_lock(&slot_lock);
    long kb = slots[i].period_kb;
    slots[i].period_kb = 0;
    pthread_mutex_unlock(&slot_lock);
    return kb;
}

typedef struct child {
    char out[4096];     /* what it printed on stdout */
    double ms;          /* wall time from spawn to exit */
    double cpu_ms;      /* user + system CPU time */
    long anon_kb, file_kb;
    int status;
} child;

/* Run argv (a NULL-terminated array) to completion, capturing stdout. */
static int run(char *const argv[], child *c)
{
    int fd[2];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    memset(c, 0, sizeof *c);
    if (pipe(fd))
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    double t0 = now_ms();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc) {
        close(fd[0]);
        fprintf(stderr, "clientele-bench: cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    int slot = watch(pid);
    size_t len = 0;
    ssize_t k;
    while ((k = read(fd[0], c->out + len, sizeof c->out - 1 - len)) > 0 || (k < 0 && errno == EINTR))
        if (k > 0)
            len += (size_t)k;
    c->out[len] = 0;
    close(fd[0]);
    struct rusage ru;
    while (wait4(pid, &c->status, 0, &ru) < 0 && errno == EINTR)
        ;
    c->ms = now_ms() - t0;
    c->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    unwatch(slot, &c->anon_kb, &c->file_kb);
    if (!WIFEXITED(c->status) || WEXITSTATUS(c->status)) {
        fprintf(stderr, "clientele-bench: %s %s failed (status %d)\n", argv[0], argv[1] ? argv[1] : "",
                c->status);
        return -1;
    }
    return 0;
}

/* The number after "key=" in text (NaN-free: 0 when absent). */
static double field(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; (p = strstr(p, key)); p += kl)
        if ((p == text || p[-1] == ' ') && p[kl] == '=')
            return strtod(p + kl + 1, NULL);
    return 0;
}

static uint64_t du_total;
static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (flag == FTW_F)
        du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* Bytes a folder takes on disk (allocated blocks, as du). */
static uint64_t du(const char *dir)
{
    du_total = 0;
    nftw(dir, du_add, 16, FTW_PHYS);
    return du_total;
}

static int rm_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    uint16_t port = 0;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) && !getsockname(fd, (struct sockaddr *)&a, &l))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* CPU time (user + system, every thread, dead ones too) of a process so far,
 * in ms (10 ms resolution: clock ticks). */
static double proc_cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    /* after ") ": state(3) ... utime is field 14, stime 15 */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct opts {
    long records;
    const char *json, *clientele, *keep;
    int noop_runs;
    bool raw;
} opts;

typedef struct serve {
    pid_t pid;
    int slot;
    FILE *out;
} serve;

static volatile pid_t serve_pid; /* killed if we are interrupted */

/* Start `clientele --data dir serve` on loopback and wait for its "serving" line. */
static int serve_start(const opts *o, const char *dir, uint16_t port, serve *sv)
{
    char data[PATH_MAX + 8], ui[32], listen[32], log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s.log", dir); /* the folder's sibling: not counted on disk */
    snprintf(ui, sizeof ui, "127.0.0.1:%u", free_port());
    snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
    snprintf(data, sizeof data, "%s", dir);
    char *argv[] = {(char *)o->clientele, "--data", data, "serve", "--ui", ui, "--listen", listen,
                    "--no-discovery", "--sync-interval", "3600", NULL};
    int fd[2];
    if (pipe(fd))
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    int rc = posix_spawn(&sv->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc) {
        close(fd[0]);
        fprintf(stderr, "clientele-bench: cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    serve_pid = sv->pid;
    sv->slot = watch(sv->pid);
    sv->out = fdopen(fd[0], "r");
    char line[512];
    while (sv->out && fgets(line, sizeof line, sv->out))
        if (strstr(line, "serving"))
            return 0;
    fprintf(stderr, "clientele-bench: serve did not start (see %s)\n", log);
    return -1;
}

static void on_signal(int sig)
{
    if (serve_pid)
        kill(serve_pid, SIGTERM);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void serve_stop(serve *sv, long *anon, long *file)
{
    kill(sv->pid, SIGTERM);
    int st;
    while (waitpid(sv->pid, &st, 0) < 0 && errno == EINTR)
        ;
    serve_pid = 0;
    unwatch(sv->slot, anon, file);
    if (sv->out)
        fclose(sv->out);
}

/* `clientele --data dir args…`, stdout into c. */
static int cli(const opts *o, const char *dir, child *c, const char *a1, const char *a2, const char *a3,
               const char *a4, const char *a5)
{
    char *argv[] = {(char *)o->clientele, "--data", (char *)dir, (char *)a1, (char *)a2, (char *)a3,
                    (char *)a4, (char *)a5, NULL};
    return run(argv, c);
}

static void chomp(char *s)
{
    s[strcspn(s, "\r\n")] = 0;
}

static double mb(long kb)
{
    return (double)kb / 1024.0;
}

static int w1(const opts *o, const char *self)
{
    char base_dir[PATH_MAX], A[PATH_MAX + 8], B[PATH_MAX + 8], RAW[PATH_MAX + 8];
    if (o->keep) {
        snprintf(base_dir, sizeof base_dir, "%s", o->keep);
        mkdir(base_dir, 0700);
    } else {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(base_dir, sizeof base_dir, "%s/clientele-bench-XXXXXX", tmp);
        if (!mkdtemp(base_dir)) {
            perror("clientele-bench: mkdtemp");
            return 1;
        }
    }
    snprintf(A, sizeof A, "%s/a", base_dir);
    snprintf(B, sizeof B, "%s/b", base_dir);
    snprintf(RAW, sizeof RAW, "%s/raw", base_dir);
    mkdir(RAW, 0700);

    /* 16 random bits after the start milliseconds (top bit clear, as ids have) */
    uint16_t rnd = 0;
    if (cl_random(&rnd, sizeof rnd))
        return die_cl("random");
    uint64_t base = cl_now_ms() << 16 | (rnd & 0x7fff);
    char nrec[32], sbase[32];
    snprintf(nrec, sizeof nrec, "%ld", o->records);
    snprintf(sbase, sizeof sbase, "%" PRIu64, base);

    pthread_t th;
    pthread_create(&th, NULL, sampler, NULL);
    int fail = 1;
    child c;
    char ida[64], idb[64];
    serve sv = {0};
    long serve_anon = 0, serve_file = 0;
    double *noop = NULL, *hs = NULL, *after = NULL, *cliv = NULL, *proc = NULL;

    /* devices */
    if (cli(o, A, &c, "init", "--name", "bench-a", NULL, NULL))
        goto out;
    snprintf(ida, sizeof ida, "%.63s", c.out);
    chomp(ida);
    if (cli(o, B, &c, "init", "--name", "bench-b", NULL, NULL))
        goto out;
    snprintf(idb, sizeof idb, "%.63s", c.out);
    chomp(idb);

    /* phase 1: load */
    printf("W1, %ld records × 8 fields (%ld field writes), data in %s\n", o->records, o->records * 8, base_dir);
    fflush(stdout);
    child load;
    char *la[] = {(char *)self, "_load", A, nrec, sbase, NULL};
    if (run(la, &load))
        goto out;
    double load_ms = field(load.out, "ms");
    long load_anon = (long)field(load.out, "self_anon_kb");
    if (load.anon_kb > load_anon)
        load_anon = load.anon_kb;
    uint64_t disk = du(A);
    double rate = (double)o->records * 8 / (load_ms / 1e3);
    printf("load        %10.1f ms  %12.0f field writes/s  (process %.1f ms, CPU %.0f ms)  disk %.1f MB\n", load_ms,
           rate, load.ms, load.cpu_ms, (double)disk / 1e6);
    fflush(stdout);

    double raw_ms = 0;
    uint64_t raw_disk = 0;
    if (o->raw) {
        child raw;
        char *ra[] = {(char *)self, "_raw", RAW, nrec, sbase, NULL};
        if (run(ra, &raw))
            goto out;
        raw_ms = field(raw.out, "ms");
        raw_disk = du(RAW);
        printf("raw LMDB    %10.1f ms  %12.0f puts/s          disk %.1f MB  (clientele/raw = %.2f×)\n", raw_ms,
               (double)o->records * 8 / (raw_ms / 1e3), (double)raw_disk / 1e6, (double)disk / (double)raw_disk);
        fflush(stdout);
    }

    /* pairing and A's serve process */
    uint16_t port = free_port();
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    if (cli(o, A, &c, "peer", "add", idb, "--name", "bench-b"))
        goto out;
    if (cli(o, B, &c, "peer", "add", ida, "--addr", addr))
        goto out;
    if (serve_start(o, A, port, &sv))
        goto out;

    /* phase 2: full sync */
    child full;
    char *sa[] = {(char *)self, "_sync", B, addr, ida, NULL};
    double a_cpu0 = proc_cpu_ms(sv.pid);
    long a_idle = slot_period(sv.slot);
    if (run(sa, &full))
        goto out;
    long a_full = slot_period(sv.slot);
    double a_cpu_full = proc_cpu_ms(sv.pid) - a_cpu0;
    double full_ms = field(full.out, "ms");
    uint64_t full_bytes = (uint64_t)(field(full.out, "bytes_sent") + field(full.out, "bytes_received"));
    long b_anon = full.anon_kb, b_file = full.file_kb;
    if ((long)field(full.out, "self_anon_kb") > b_anon)
        b_anon = (long)field(full.out, "self_anon_kb");
    printf("full sync   %10.1f ms  %12.0f ops/s  %.0f ops received, %.1f MB on the wire  (process %.1f ms; CPU: "
           "B %.0f ms, serve A %.0f ms)\n",
           full_ms, field(full.out, "received") / (full_ms / 1e3), field(full.out, "received"),
           (double)full_bytes / 1e6, full.ms, full.cpu_ms, a_cpu_full);
    fflush(stdout);
    if ((long)field(full.out, "received") != o->records * 8)
        fprintf(stderr, "clientele-bench: B received %.0f ops, expected %ld\n", field(full.out, "received"),
                o->records * 8);

    /* phase 3: concurrent edits, then one session both ways */
    child ea, eb, delta;
    char *eaa[] = {(char *)self, "_edit", A, nrec, sbase, "a", NULL};
    char *eba[] = {(char *)self, "_edit", B, nrec, sbase, "b", NULL};
    if (run(eaa, &ea) || run(eba, &eb))
        goto out;
    double a_cpu1 = proc_cpu_ms(sv.pid);
    if (run(sa, &delta))
        goto out;
    double a_cpu_delta = proc_cpu_ms(sv.pid) - a_cpu1;
    long a_delta = slot_period(sv.slot);
    double delta_ms = field(delta.out, "ms");
    uint64_t delta_bytes = (uint64_t)(field(delta.out, "bytes_sent") + field(delta.out, "bytes_received"));
    if (delta.anon_kb > b_anon)
        b_anon = delta.anon_kb;
    child va, vb, da, db;
    char *vaa[] = {(char *)self, "_verify", A, nrec, sbase, NULL};
    char *vba[] = {(char *)self, "_verify", B, nrec, sbase, NULL};
    if (run(vaa, &va) || run(vba, &vb) || cli(o, A, &da, "digest", NULL, NULL, NULL, NULL) ||
        cli(o, B, &db, "digest", NULL, NULL, NULL, NULL))
        goto out;
    bool converged = !strcmp(da.out, db.out) && da.out[0] && field(va.out, "wrong") == 0 &&
                     field(vb.out, "wrong") == 0 && field(va.out, "checked") > 0 &&
                     field(va.out, "checked") == field(vb.out, "checked");
    printf("delta sync  %10.1f ms  sent %.0f, received %.0f ops, %.1f KB on the wire (CPU: B %.0f ms, serve A %.0f "
           "ms); edits A %.1f ms, B %.1f ms; %s (%.0f edited fields checked on each side, %.0f/%.0f wrong)\n",
           delta_ms, field(delta.out, "sent"), field(delta.out, "received"), (double)delta_bytes / 1e3, delta.cpu_ms,
           a_cpu_delta, ea.ms, eb.ms, converged ? "converged" : "NOT CONVERGED", field(va.out, "checked"),
           field(va.out, "wrong"), field(vb.out, "wrong"));
    fflush(stdout);

    /* phase 4: no-op syncs */
    int k = o->noop_runs;
    noop = calloc((size_t)k, sizeof *noop), hs = calloc((size_t)k, sizeof *hs);
    after = calloc((size_t)k, sizeof *after), cliv = calloc((size_t)k, sizeof *cliv);
    proc = calloc((size_t)k, sizeof *proc);
    uint64_t noop_bytes = 0;
    int resumed = 0;  /* runs whose TLS session was resumed, of k */
    if (!noop || !hs || !after || !cliv || !proc)
        goto out;
    for (int i = 0; i < k; i++) {
        child n1, n2, n3;
        char *na[] = {(char *)self, "_noop", B, addr, ida, NULL};
        if (run(sa, &n1) || run(na, &n2) || cli(o, B, &n3, "sync", ida, NULL, NULL, NULL))
            goto out;
        if (field(n1.out, "sent") || field(n1.out, "received"))
            fprintf(stderr, "clientele-bench: the no-op sync moved ops\n");
        noop[i] = field(n1.out, "ms");
        proc[i] = n1.ms;
        noop_bytes = (uint64_t)(field(n1.out, "bytes_sent") + field(n1.out, "bytes_received"));
        hs[i] = field(n2.out, "handshake_ms");
        after[i] = field(n2.out, "after_ms");
        cliv[i] = n3.ms;
        resumed += field(n1.out, "resumed") > 0;
        if (n1.anon_kb > b_anon)
            b_anon = n1.anon_kb;
    }
    double noop_ms = median(noop, k), hs_ms = median(hs, k), after_ms = median(after, k),
           cli_ms = median(cliv, k), proc_ms = median(proc, k);
    printf("no-op sync  %10.1f ms  (TCP + TLS handshake %.1f ms, protocol after it %.2f ms; `clientele sync` "
           "process %.1f ms; median of %d; TLS session resumed in %d)\n",
           noop_ms, hs_ms, after_ms, cli_ms, k, resumed);

    long a_noop = slot_period(sv.slot);
    /* a fixed-size delta (50 + 50 fields, whatever N) */
    child sc, sd, small, dc, dd;
    char *sca[] = {(char *)self, "_edit", A, nrec, sbase, "c", NULL};
    char *sda[] = {(char *)self, "_edit", B, nrec, sbase, "d", NULL};
    if (run(sca, &sc) || run(sda, &sd) || run(sa, &small) || cli(o, A, &dc, "digest", NULL, NULL, NULL, NULL) ||
        cli(o, B, &dd, "digest", NULL, NULL, NULL, NULL))
        goto out;
    long a_small = slot_period(sv.slot);
    bool small_converged = !strcmp(dc.out, dd.out) && dc.out[0];
    double small_ms = field(small.out, "ms");
    uint64_t small_bytes = (uint64_t)(field(small.out, "bytes_sent") + field(small.out, "bytes_received"));
    printf("small delta %10.1f ms  (50 + 50 fields, whatever N: sent %.0f, received %.0f ops, %.1f KB; %s)\n",
           small_ms, field(small.out, "sent"), field(small.out, "received"), (double)small_bytes / 1e3,
           small_converged ? "converged" : "NOT CONVERGED");

    serve_stop(&sv, &serve_anon, &serve_file);
    sv.pid = 0;
    double peak = mb(load_anon);
    if (mb(serve_anon) > peak)
        peak = mb(serve_anon);
    if (mb(b_anon) > peak)
        peak = mb(b_anon);
    printf("private memory (peak RssAnon): load %.1f MB, serve A %.1f MB, sync B %.1f MB; LMDB map pages "
           "(peak RssFile): load %.1f MB, serve A %.1f MB, sync B %.1f MB\n",
           mb(load_anon), mb(serve_anon), mb(b_anon), mb(load.file_kb), mb(serve_file), mb(b_file));
    printf("serve A's peak RssAnon by phase: started %.1f MB, full sync %.1f MB, delta (with A's edit) %.1f MB, "
           "no-op %.1f MB, small delta %.1f MB; sync B: full %.1f MB, delta %.1f MB\n",
           mb(a_idle), mb(a_full), mb(a_delta), mb(a_noop), mb(a_small), mb(full.anon_kb), mb(delta.anon_kb));
    printf("disk        %" PRIu64 " bytes (A's data folder)\n", disk);

    if (o->json) {
        FILE *f = fopen(o->json, "w");
        if (!f) {
            perror(o->json);
            goto out;
        }
        char dig[80];
        snprintf(dig, sizeof dig, "%.79s", da.out);
        chomp(dig);
        fprintf(f,
                "{\"records\":%ld,\"load\":{\"ms\":%.3f,\"ops_per_s\":%.0f,\"field_writes\":%ld,\"process_ms\":%.3f,"
                "\"cpu_ms\":%.1f,\"peak_private_mb\":%.2f,\"peak_map_mb\":%.2f},",
                o->records, load_ms, rate, o->records * 8, load.ms, load.cpu_ms, mb(load_anon), mb(load.file_kb));
        fprintf(f,
                "\"full_sync\":{\"ms\":%.3f,\"bytes\":%" PRIu64 ",\"ops\":%.0f,\"ops_per_s\":%.0f,\"process_ms\":%.3f,"
                "\"cpu_ms_b\":%.1f,\"cpu_ms_serve_a\":%.0f},",
                full_ms, full_bytes, field(full.out, "received"), field(full.out, "received") / (full_ms / 1e3),
                full.ms, full.cpu_ms, a_cpu_full);
        fprintf(f,
                "\"delta_sync\":{\"ms\":%.3f,\"bytes\":%" PRIu64 ",\"converged\":%s,\"ops_sent\":%.0f,"
                "\"ops_received\":%.0f,\"fields_checked\":%.0f,\"digest\":\"%s\",\"cpu_ms_b\":%.1f,\"cpu_ms_serve_a\":%.0f,"
                "\"edit_ms_a\":%.1f,\"edit_ms_b\":%.1f},",
                delta_ms, delta_bytes, converged ? "true" : "false", field(delta.out, "sent"),
                field(delta.out, "received"), field(va.out, "checked"), dig, delta.cpu_ms, a_cpu_delta, ea.ms, eb.ms);
        fprintf(f,
                "\"noop_sync\":{\"ms\":%.3f,\"bytes\":%" PRIu64 ",\"handshake_ms\":%.3f,\"after_handshake_ms\":%.3f,"
                "\"process_ms\":%.3f,\"cli_process_ms\":%.3f,\"runs\":%d,\"resumed\":%s},",
                noop_ms, noop_bytes, hs_ms, after_ms, proc_ms, cli_ms, k, resumed == k ? "true" : "false");
        fprintf(f,
                "\"peak_private_mb\":%.2f,\"peak_private_mb_by_process\":{\"load\":%.2f,\"serve_a\":%.2f,"
                "\"sync_b\":%.2f},\"serve_a_peak_private_mb_by_phase\":{\"started\":%.2f,\"full_sync\":%.2f,"
                "\"delta_sync\":%.2f,\"noop_sync\":%.2f,\"small_delta_sync\":%.2f},\"sync_b_peak_private_mb_by_phase\":"
                "{\"full_sync\":%.2f,\"delta_sync\":%.2f},\"peak_map_mb_by_process\":{\"load\":%.2f,\"serve_a\":%.2f,\"sync_b\":%.2f},",
                peak, mb(load_anon), mb(serve_anon), mb(b_anon), mb(a_idle), mb(a_full), mb(a_delta), mb(a_noop),
                mb(a_small), mb(full.anon_kb), mb(delta.anon_kb), mb(load.file_kb), mb(serve_file), mb(b_file));
        fprintf(f, "\"small_delta_sync\":{\"ms\":%.3f,\"bytes\":%" PRIu64 ",\"ops\":%.0f,\"converged\":%s},",
                small_ms, small_bytes, field(small.out, "sent") + field(small.out, "received"),
                small_converged ? "true" : "false");
        fprintf(f, "\"disk_bytes\":%" PRIu64 ",\"raw_lmdb\":{\"ms\":%.3f,\"disk_bytes\":%" PRIu64 ",\"ops_per_s\":%.0f},"
                   "\"disk_ratio\":%.3f}\n",
                disk, raw_ms, raw_disk, raw_ms > 0 ? (double)o->records * 8 / (raw_ms / 1e3) : 0,
                raw_disk ? (double)disk / (double)raw_disk : 0);
        if (fclose(f)) {
            perror(o->json);
            goto out;
        }
    }
    fail = converged && small_converged ? 0 : 1;
out:
    if (sv.pid)
        serve_stop(&sv, &serve_anon, &serve_file);
    if (fail) { /* what A's serve process said, before its folder goes */
        char log[PATH_MAX + 16], line[512];
        snprintf(log, sizeof log, "%s.log", A);
        FILE *lf = fopen(log, "r");
        while (lf && fgets(line, sizeof line, lf))
            if (!strstr(line, " info: synced with"))
                fprintf(stderr, "serve A: %s", line);
        if (lf)
            fclose(lf);
    }
    free(noop), free(hs), free(after), free(cliv), free(proc);
    sampler_stop = 1;
    pthread_join(th, NULL);
    if (!o->keep)
        bench_rmdir(base_dir);
    return fail;
}

int bench_usage(void)
{
    fprintf(stderr, "usage: clientele-bench w1 [--records N] [--json FILE] [--clientele PATH] [--keep DIR]\n"
                    "                          [--noop-runs K] [--no-raw]\n"
                    "       clientele-bench related [--records N] [--related K] [--runs R]\n");
    return 2;
}

void bench_rmdir(const char *dir)
{
    nftw(dir, rm_add, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    unsetenv("CLIENTELE_NOSYNC"); /* every commit durable, as for a user */
    if (argc >= 2 && argv[1][0] == '_') {
        const char *cmd = argv[1];
        if (!strcmp(cmd, "_load") && argc == 5)
            return child_load(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
        if (!strcmp(cmd, "_raw") && argc == 5)
            return child_raw(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
        if (!strcmp(cmd, "_edit") && argc == 6)
            return child_edit(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10), argv[5][0]);
        if (!strcmp(cmd, "_verify") && argc == 5)
            return child_verify(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
        if (!strcmp(cmd, "_sync") && argc == 5)
            return child_sync(argv[2], argv[3], argv[4]);
        if (!strcmp(cmd, "_noop") && argc == 5)
            return child_noop(argv[2], argv[3], argv[4]);
        return bench_usage();
    }
    if (argc >= 2 && !strcmp(argv[1], "related"))
        return bench_related(argc - 2, argv + 2);
    if (argc < 2 || strcmp(argv[1], "w1"))
        return bench_usage();
    opts o = {.records = 100000, .noop_runs = 5, .raw = true};
    static char clientele[PATH_MAX + 16], self[PATH_MAX];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-raw")) {
            o.raw = false;
            continue;
        }
        if (!v)
            return bench_usage();
        if (!strcmp(a, "--records"))
            o.records = atol(v);
        else if (!strcmp(a, "--json"))
            o.json = v;
        else if (!strcmp(a, "--clientele"))
            o.clientele = v;
        else if (!strcmp(a, "--keep"))
            o.keep = v;
        else if (!strcmp(a, "--noop-runs"))
            o.noop_runs = atoi(v);
        else
            return bench_usage();
        i++;
    }
    if (o.records < 200 || o.noop_runs < 1) {
        fprintf(stderr, "clientele-bench: --records must be at least 200, --noop-runs at least 1\n");
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("clientele-bench: /proc/self/exe");
        return 1;
    }
    self[n] = 0;
    if (!o.clientele) {
        snprintf(clientele, sizeof clientele, "%s", self);
        char *slash = strrchr(clientele, '/');
        snprintf(slash + 1, sizeof clientele - (size_t)(slash + 1 - clientele), "clientele");
        o.clientele = clientele;
    }
    if (access(o.clientele, X_OK)) {
        fprintf(stderr, "clientele-bench: no clientele binary at %s (--clientele PATH)\n", o.clientele);
        return 2;
    }
    return w1(&o, self);
}
