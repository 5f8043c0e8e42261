/*
 * Fork property test: replicas that are restored from earlier snapshots of
 * themselves (as new files, or copied over their live file) and cloned (a
 * snapshot opened as one more replica of the same device, both in use), at
 * random points, while every replica writes and exchanges *signed segments*
 * (what sync sends: cl_store_seal, cl_txn_apply_segment) with the others.
 * After a final exchange:
 *   - every replica has the same digest and the same log, chain for chain;
 *   - every write survives on every replica, except those a restore undid
 *     before they had left the replica that made them (no one else held
 *     them: a backup cannot bring back what it does not hold);
 *   - no two histories of one writer ever met: a copy always went on as a
 *     new writer (docs/merge.md "Authors and forks").
 * Seeded: `test_forks --seed N [--schedules K]` replays a failure.
 */
#include "storeutil.h"

#include "clientele/net.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEVICES 3
#define MAX_REPLICAS 6
#define RECORDS 3
#define STEPS 60
#define MAX_WRITES 256

static const uint8_t FIELDS[] = {CL_F_NAME, CL_F_PHONE, CL_F_NOTES, CL_F_DELETED};

static cl_identity *ident[DEVICES];
static char *key_dir[DEVICES];
static long restores, clones, writers_started;

typedef struct replica {
    char *dir;
    cl_store *s;
    int dev;
} replica;

typedef struct made {
    cl_op_id id;
    char value[24];
    bool gone;          /* undone by a restore before it left its replica */
} made;

typedef struct world {
    uint64_t rng;
    replica r[MAX_REPLICAS];
    int n;
    char *snap[MAX_REPLICAS]; /* a copy of data.mdb of replica i, or NULL */
    made w[MAX_WRITES];
    int nw;
    char *state;        /* this schedule's XDG_STATE_HOME: the signing ledger */
} world;

static uint64_t pick(world *w, uint64_t n) { return tu_rand(&w->rng) % n; }

static cl_record_id record(int i)
{
    cl_record_id id;
    memset(id.b, 0xB0 + i, sizeof id.b);
    return id;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void copy_file(const char *from, const char *to, bool in_place)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, in_place ? "r+b" : "wb");
    assert_non_null(in);
    assert_non_null(out);
    if (in_place) /* the same file, its bytes replaced: the inode stays */
        assert_int_equal(ftruncate(fileno(out), 0), 0);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, k, out), k);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static cl_store *open_replica(const char *dir, int dev)
{
    cl_store *s;
    assert_int_equal(cl_book_open(dir, cl_identity_device(ident[dev]), &s), CL_OK);
    writers_started += cl_store_open_notice(s) != NULL;
    return s;
}

/* ----- writing ----- */

static int current(cl_store *s, cl_op_id *id)
{
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_current_writer(t, &id->origin), CL_OK);
    assert_int_equal(cl_txn_vv(t, &id->origin, &id->seq), CL_OK);
    cl_txn_end(t);
    return 0;
}

static void random_write(world *w)
{
    if (w->nw == MAX_WRITES)
        return;
    replica *r = &w->r[pick(w, (uint64_t)w->n)];
    cl_record_id id = record((int)pick(w, RECORDS));
    uint8_t field = FIELDS[pick(w, sizeof FIELDS)];
    made *x = &w->w[w->nw];
    if (field == CL_F_DELETED)
        snprintf(x->value, sizeof x->value, "%d", (int)pick(w, 2));
    else
        snprintf(x->value, sizeof x->value, "v%d", w->nw);
    cl_op_id before, after;
    current(r->s, &before);
    put_field(r->s, &id, field, x->value);
    current(r->s, &after);
    if (after.seq == before.seq && !memcmp(after.origin.b, before.origin.b, CL_DEVICE_ID_LEN))
        return; /* the field said so already: no op */
    x->id = after;
    x->gone = false;
    w->nw++;
}

/* ----- exchanging signed segments, as a sync session does ----- */

static int tip_add(void *ctx, const cl_device_id *writer, uint64_t seq, const unsigned char chain[CL_CHAIN_LEN])
{
    (void)chain;
    vv_list *v = ctx;
    v->o[v->n] = *writer;
    v->seq[v->n++] = seq;
    return v->n == 64;
}

static uint64_t tip_in(const vv_list *v, const cl_device_id *w)
{
    for (size_t i = 0; i < v->n; i++)
        if (!memcmp(v->o[i].b, w->b, CL_DEVICE_ID_LEN))
            return v->seq[i];
    return 0;
}

static void tips(cl_store *s, vv_list *v)
{
    cl_txn *t;
    v->n = 0;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_tips(t, tip_add, v), CL_OK);
    cl_txn_end(t);
}

static void chain_at(cl_store *s, const cl_device_id *w, uint64_t seq, unsigned char out[CL_CHAIN_LEN])
{
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_chain_at(t, w, seq, out), CL_OK);
    cl_txn_end(t);
}

typedef struct seg_arg {
    cl_segment seg;
    size_t applied;
} seg_arg;

static int apply_fn(cl_txn *t, void *arg)
{
    seg_arg *a = arg;
    return cl_txn_apply_segment(t, &a->seg, &a->applied);
}

/* The segment of writer w after `after` in a, applied to b. */
static size_t send_segment(cl_store *a, cl_store *b, const cl_device_id *w, uint64_t *after)
{
    cl_txn *t;
    seg_arg s = {0};
    op_list l = {0};
    assert_int_equal(cl_store_read(a, &t), CL_OK);
    assert_int_equal(cl_txn_checkpoint_after(t, w, *after, &s.seg.cp), CL_OK);
    if (cl_txn_writer(t, w, &s.seg.writer) == CL_ENOTFOUND)
        s.seg.writer = (cl_writer){.id = *w, .device = *w};
    cl_txn_end(t);
    read_ops(a, w, *after, (size_t)(s.seg.cp.seq - *after), &l);
    cl_op *ops = malloc(l.n * sizeof *ops);
    for (size_t i = 0; i < l.n; i++)
        ops[i] = l.v[i].op;
    s.seg.ops = ops;
    s.seg.n = l.n;
    int rc = cl_store_update(b, apply_fn, &s);
    if (rc) {
        char wt[CL_DEVICE_ID_TEXT];
        cl_device_id_format(w, wt);
        fail_msg("a signed segment of %s (%llu..%llu) was refused: %s", wt, (unsigned long long)*after + 1,
                 (unsigned long long)s.seg.cp.seq, cl_errmsg());
    }
    *after = s.seg.cp.seq;
    free(ops);
    op_list_free(&l);
    return s.applied;
}

static size_t push(world *w, int from, int to)
{
    replica *a = &w->r[from], *b = &w->r[to];
    cl_signer sg;
    cl_identity_signer(ident[a->dev], &sg);
    assert_int_equal(cl_store_seal(a->s, &sg), CL_OK);
    vv_list ta, tb;
    tips(a->s, &ta);
    tips(b->s, &tb);
    size_t moved = 0;
    for (size_t i = 0; i < ta.n; i++) {
        uint64_t theirs = tip_in(&tb, &ta.o[i]);
        if (theirs >= ta.seq[i])
            continue;
        unsigned char ca[CL_CHAIN_LEN], cb[CL_CHAIN_LEN];
        chain_at(a->s, &ta.o[i], theirs, ca);
        chain_at(b->s, &ta.o[i], theirs, cb);
        assert_memory_equal(ca, cb, CL_CHAIN_LEN); /* two histories of one writer met */
        for (uint64_t after = theirs; after < ta.seq[i];)
            moved += send_segment(a->s, b->s, &ta.o[i], &after);
    }
    return moved;
}

static void random_push(world *w)
{
    int a = (int)pick(w, (uint64_t)w->n), b = (int)pick(w, (uint64_t)w->n);
    if (a != b)
        push(w, a, b);
}

/* ----- snapshots, restores, clones ----- */

static void snapshot(world *w)
{
    int i = (int)pick(w, (uint64_t)w->n);
    char *db = path_in(w->r[i].dir, "data.mdb");
    free(w->snap[i]);
    w->snap[i] = path_in(w->state, "snapXXXXXX");
    int fd = mkstemp(w->snap[i]);
    assert_true(fd >= 0);
    close(fd);
    copy_file(db, w->snap[i], false); /* no transaction is open: the file is consistent */
    free(db);
}

static bool held_in(cl_store *s, const cl_op_id *id);

/* Whether a replica other than i holds the op. */
static bool held_elsewhere(world *w, int i, const cl_op_id *id)
{
    for (int k = 0; k < w->n; k++)
        if (k != i && held_in(w->r[k].s, id))
            return true;
    return false;
}

static bool held_in(cl_store *s, const cl_op_id *id)
{
    cl_txn *t;
    cl_op op;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    bool held = cl_txn_op(t, id, &op) == CL_OK;
    cl_txn_end(t);
    return held;
}

static void restore(world *w)
{
    int i = (int)pick(w, (uint64_t)w->n);
    if (!w->snap[i])
        return;
    replica *r = &w->r[i];
    char *view = tu_tmpdir(), *vdb = path_in(view, "data.mdb"), *db = path_in(r->dir, "data.mdb");
    cl_store *backup;
    copy_file(w->snap[i], vdb, false);
    assert_int_equal(cl_book_open(view, cl_identity_device(ident[r->dev]), &backup), CL_OK);
    for (int k = 0; k < w->nw; k++) /* what only this replica held, and the backup does not */
        if (!w->w[k].gone && !held_elsewhere(w, i, &w->w[k].id) && !held_in(backup, &w->w[k].id))
            w->w[k].gone = true;
    cl_store_close(backup);
    tu_rmdir(view);
    free(view);
    free(vdb);
    cl_store_close(r->s);
    bool in_place = pick(w, 2);
    if (!in_place) { /* restored as new files */
        tu_rmdir(r->dir);
        assert_int_equal(mkdir(r->dir, 0700), 0);
    }
    copy_file(w->snap[i], db, in_place);
    free(db);
    r->s = open_replica(r->dir, r->dev);
    restores++;
}

static void clone(world *w)
{
    int i = (int)pick(w, (uint64_t)w->n);
    if (!w->snap[i] || w->n == MAX_REPLICAS)
        return;
    replica *c = &w->r[w->n];
    c->dir = tu_tmpdir();
    c->dev = w->r[i].dev;
    char *db = path_in(c->dir, "data.mdb");
    copy_file(w->snap[i], db, false);
    free(db);
    c->s = open_replica(c->dir, c->dev);
    w->n++;
    clones++;
}

/* ----- the end ----- */

static void settle(world *w)
{
    for (bool moved = true; moved;) {
        moved = false;
        for (int a = 0; a < w->n; a++)
            for (int b = 0; b < w->n; b++)
                if (a != b && push(w, a, b))
                    moved = true;
    }
}

static void check(world *w)
{
    char d0[65], d[65];
    tu_digest(w->r[0].s, d0);
    for (int i = 1; i < w->n; i++) {
        tu_digest(w->r[i].s, d);
        assert_string_equal(d0, d);
    }
    for (int k = 0; k < w->nw; k++) {
        if (w->w[k].gone)
            continue;
        for (int i = 0; i < w->n; i++) {
            cl_txn *t;
            cl_op op;
            assert_int_equal(cl_store_read(w->r[i].s, &t), CL_OK);
            if (cl_txn_op(t, &w->w[k].id, &op) != CL_OK)
                fail_msg("write %d (%s) is missing on replica %d", k, w->w[k].value, i);
            assert_int_equal(op.value_len, strlen(w->w[k].value));
            assert_memory_equal(op.value, w->w[k].value, op.value_len);
            cl_txn_end(t);
        }
    }
}

static void run_schedule(uint64_t seed)
{
    world w = {.rng = seed * 0x9E3779B97F4A7C15ull + 7};
    w.state = tu_tmpdir();
    setenv("XDG_STATE_HOME", w.state, 1);
    w.n = DEVICES;
    for (int i = 0; i < DEVICES; i++) {
        w.r[i].dir = tu_tmpdir();
        w.r[i].dev = i;
        w.r[i].s = open_replica(w.r[i].dir, i);
    }
    for (int step = 0; step < STEPS; step++) {
        uint64_t p = pick(&w, 100);
        if (p < 40)
            random_write(&w);
        else if (p < 75)
            random_push(&w);
        else if (p < 85)
            snapshot(&w);
        else if (p < 95)
            restore(&w);
        else
            clone(&w);
    }
    settle(&w);
    check(&w);
    for (int i = 0; i < w.n; i++) {
        cl_store_close(w.r[i].s);
        tu_rmdir(w.r[i].dir);
        free(w.r[i].dir);
        free(w.snap[i]);
    }
    tu_rmdir(w.state);
    free(w.state);
}

static void restored_and_cloned_replicas_lose_nothing(void **state)
{
    (void)state;
    tu_schedules_run(run_schedule);
    printf("%ld restores, %ld clones, %ld fresh writers\n", restores, clones, writers_started);
    assert_true(restores > 0 && clones > 0 && writers_started > 0);
}

int main(int argc, char **argv)
{
    setenv("CLIENTELE_NOSYNC", "1", 1);
    setenv("CLIENTELE_LOG", "error", 1); /* every copy says so: thousands of lines */
    tu_schedules_init(argc, argv, 400);
    for (int i = 0; i < DEVICES; i++) { /* keys made once: P-256 key generation is the slow part */
        key_dir[i] = tu_tmpdir();
        if (cl_identity_load(key_dir[i], true, &ident[i]))
            return fprintf(stderr, "cannot make a key: %s\n", cl_errmsg()), 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(restored_and_cloned_replicas_lose_nothing, tu_schedules_report),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < DEVICES; i++) {
        cl_identity_free(ident[i]);
        tu_rmdir(key_dir[i]);
        free(key_dir[i]);
    }
    return rc;
}
