/*
 * Convergence property test. Five in-process replicas make random writes and
 * deletes of random fields of shared records and exchange op batches through a
 * "network" that reorders, duplicates and delays them. After a final exchange:
 *   - every replica has the same digest;
 *   - every field's value is that of its max-(hlc, origin) write (nothing lost);
 *   - every replica lists exactly the conflicts the definition gives: the
 *     field's writes that no other write saw, other than the winner.
 * Seeded: `test_convergence --seed N [--schedules K]` replays a failure.
 */
#include "storeutil.h"

#include <stdio.h>

#define REPLICAS 5
#define RECORDS 4
#define STEPS 80

static const uint8_t FIELDS[] = {CL_F_NAME, CL_F_PHONE, CL_F_EMAIL, CL_F_NOTES, CL_F_DELETED};

static long conflicts_checked; /* evidence that the schedules do make conflicts */

typedef struct message {
    int to;
    op_list ops;
} message;

typedef struct world {
    uint64_t rng;
    char *dir[REPLICAS];
    cl_store *s[REPLICAS];
    message *q;
    size_t nq, capq;
    int writes;
} world;

static cl_record_id record(int i)
{
    cl_record_id id;
    memset(id.b, 0xA0 + i, sizeof id.b);
    return id;
}

static uint64_t pick(world *w, uint64_t n)
{
    return tu_rand(&w->rng) % n;
}

static void random_write(world *w)
{
    int r = (int)pick(w, REPLICAS);
    cl_record_id id = record((int)pick(w, RECORDS));
    uint8_t field = FIELDS[pick(w, sizeof FIELDS)];
    char value[32];
    if (field == CL_F_DELETED)
        snprintf(value, sizeof value, "%d", (int)pick(w, 2));
    else
        snprintf(value, sizeof value, "v%d-%d", r, w->writes);
    w->writes++;
    put_field(w->s[r], &id, field, value);
}

/* Queue a slice of one origin's ops from one replica to another. */
static void random_send(world *w)
{
    int a = (int)pick(w, REPLICAS), b = (int)pick(w, REPLICAS);
    if (a == b)
        return;
    int o = (int)pick(w, REPLICAS);
    const cl_device_id *origin = cl_store_self(w->s[o]);
    uint64_t have = vv_of(w->s[a], origin);
    if (!have)
        return;
    uint64_t from = pick(w, have), len = 1 + pick(w, have - from);
    if (w->nq == w->capq) {
        w->capq = w->capq ? 2 * w->capq : 16;
        w->q = realloc(w->q, w->capq * sizeof *w->q);
    }
    message *m = &w->q[w->nq++];
    memset(m, 0, sizeof *m);
    m->to = b;
    read_ops(w->s[a], origin, from, len, &m->ops);
}

/* Deliver a random queued message; keep it for later when it leaves a gap,
 * and sometimes keep it anyway to deliver it twice. */
static void random_deliver(world *w)
{
    if (!w->nq)
        return;
    size_t i = pick(w, w->nq);
    message *m = &w->q[i];
    size_t applied;
    int rc = apply_list(w->s[m->to], &m->ops, &applied);
    assert_true(rc == CL_OK || rc == CL_EPROTO);
    if (rc == CL_OK && pick(w, 3)) {
        op_list_free(&m->ops);
        w->q[i] = w->q[--w->nq];
    }
}

static void settle(world *w)
{
    while (w->nq) {
        size_t applied;
        message *m = &w->q[w->nq - 1];
        int rc = apply_list(w->s[m->to], &m->ops, &applied);
        assert_true(rc == CL_OK || rc == CL_EPROTO);
        op_list_free(&m->ops);
        w->nq--;
    }
    for (bool moved = true; moved;) {
        moved = false;
        for (int a = 0; a < REPLICAS; a++)
            for (int b = 0; b < REPLICAS; b++)
                if (a != b && push_all(w->s[a], w->s[b]))
                    moved = true;
    }
}

static int lww_cmp(const cl_op *a, const cl_op *b)
{
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    int c = memcmp(a->origin.b, b->origin.b, CL_DEVICE_ID_LEN);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool same_op(const cl_op *a, const cl_op_id *b)
{
    return a->seq == b->seq && !memcmp(a->origin.b, b->origin.b, CL_DEVICE_ID_LEN);
}

/* The definition, computed from the whole op set of one field. */
static void check_field(world *w, op_list *all, const cl_record_id *id, uint8_t field)
{
    const cl_op *win = NULL;
    const cl_op *heads[256];
    size_t nheads = 0;
    for (size_t i = 0; i < all->n; i++) {
        const cl_op *x = &all->v[i].op;
        if (memcmp(x->record.b, id->b, CL_RECORD_ID_LEN) || x->field != field)
            continue;
        if (!win || lww_cmp(x, win) > 0)
            win = x;
        bool seen = false;
        for (size_t j = 0; j < all->n && !seen; j++) {
            const cl_op *y = &all->v[j].op;
            if (memcmp(y->record.b, id->b, CL_RECORD_ID_LEN) || y->field != field)
                continue;
            for (unsigned k = 0; k < y->nseen && !seen; k++)
                seen = same_op(x, &y->seen[k]);
        }
        if (!seen && nheads < 256)
            heads[nheads++] = x;
    }
    for (int r = 0; r < REPLICAS; r++) {
        char *v = field_of(w->s[r], id, field);
        assert_string_equal(v, win ? win->value : "");
        free(v);
        op_list c = {0};
        conflicts_of(w->s[r], id, field, &c);
        size_t expect = 0;
        for (size_t h = 0; h < nheads; h++)
            if (heads[h] != win) {
                expect++;
                bool listed = false;
                for (size_t k = 0; k < c.n && !listed; k++)
                    listed = c.v[k].op.seq == heads[h]->seq && !memcmp(c.v[k].op.origin.b, heads[h]->origin.b, CL_DEVICE_ID_LEN);
                assert_true(listed);
            }
        assert_int_equal(c.n, expect);
        conflicts_checked += (long)expect;
        op_list_free(&c);
    }
}

static int note_id(void *ctx, const cl_record_id *id)
{
    cl_record_id **p = ctx;
    *(*p)++ = *id;
    return 0;
}

/* The index of records with open conflicts says what the records say. */
static void check_conflict_index(cl_store *s)
{
    cl_record_id listed[64], *end = listed; /* room for a buggy index to say too much */
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_conflicted(t, note_id, &end), CL_OK);
    int expect = 0;
    for (int i = 0; i < RECORDS; i++) {
        cl_record_id id = record(i);
        cl_record_meta m;
        if (cl_txn_record(t, &id, &m) == CL_OK && m.nconflicts) {
            expect++;
            bool found = false;
            for (cl_record_id *p = listed; p < end && !found; p++)
                found = !memcmp(p->b, id.b, CL_RECORD_ID_LEN);
            assert_true(found);
        }
    }
    assert_int_equal(end - listed, expect);
    cl_txn_end(t);
}

static void check(world *w)
{
    for (int r = 0; r < REPLICAS; r++)
        check_conflict_index(w->s[r]);
    char d0[65], d[65];
    tu_digest(w->s[0], d0);
    for (int r = 1; r < REPLICAS; r++) {
        tu_digest(w->s[r], d);
        assert_string_equal(d0, d);
    }
    op_list all = {0};
    for (int o = 0; o < REPLICAS; o++)
        read_ops(w->s[0], cl_store_self(w->s[o]), 0, SIZE_MAX, &all);
    assert_int_equal(all.n, w->writes > 0 ? all.n : 0);
    for (int i = 0; i < RECORDS; i++) {
        cl_record_id id = record(i);
        for (size_t f = 0; f < sizeof FIELDS; f++)
            check_field(w, &all, &id, FIELDS[f]);
    }
    op_list_free(&all);
}

static int cut_fn(cl_txn *t, void *arg)
{
    return cl_txn_cut_writer(t, arg, 0, NULL);
}

/* One writer's ops taken out of a replica (a revocation's cut) leave what a
 * replica that never received them holds: same digest, same conflicts. */
static void check_cut(world *w)
{
    const cl_device_id *gone = cl_store_self(w->s[1 + pick(w, REPLICAS - 1)]);
    char *dir = tu_tmpdir(), d0[65], d[65];
    cl_store *never = tu_store(dir, REPLICAS + 1);
    for (int o = 0; o < REPLICAS; o++) {
        const cl_device_id *origin = cl_store_self(w->s[o]);
        if (origin == gone)
            continue;
        op_list l = {0};
        size_t applied;
        read_ops(w->s[0], origin, 0, SIZE_MAX, &l);
        assert_int_equal(apply_list(never, &l, &applied), CL_OK);
        op_list_free(&l);
    }
    assert_int_equal(cl_store_update(w->s[0], cut_fn, (void *)gone), CL_OK);
    check_conflict_index(w->s[0]);
    tu_digest(w->s[0], d0);
    tu_digest(never, d);
    assert_string_equal(d0, d);
    cl_store_close(never);
    tu_rmdir(dir);
    free(dir);
}

static void run_schedule(uint64_t seed)
{
    world w = {.rng = seed * 0x9E3779B97F4A7C15ull + 1};
    for (int r = 0; r < REPLICAS; r++) {
        w.dir[r] = tu_tmpdir();
        w.s[r] = tu_store(w.dir[r], (uint8_t)(r + 1));
    }
    for (int step = 0; step < STEPS; step++) {
        uint64_t p = pick(&w, 100);
        if (p < 45)
            random_write(&w);
        else if (p < 75)
            random_send(&w);
        else
            random_deliver(&w);
    }
    settle(&w);
    check(&w);
    check_cut(&w);
    for (int r = 0; r < REPLICAS; r++) {
        cl_store_close(w.s[r]);
        tu_rmdir(w.dir[r]);
        free(w.dir[r]);
    }
    free(w.q);
}

static void replicas_converge_under_reordering_duplicates_and_delays(void **state)
{
    (void)state;
    tu_schedules_run(run_schedule);
    printf("%ld conflict listings checked\n", conflicts_checked);
    assert_true(conflicts_checked > 0);
}

int main(int argc, char **argv)
{
    setenv("CLIENTELE_NOSYNC", "1", 1);
    tu_schedules_init(argc, argv, 2000);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(replicas_converge_under_reordering_duplicates_and_delays, tu_schedules_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
