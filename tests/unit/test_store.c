/* The store: the CRDT rules of docs/merge.md, idempotence, gaps, limits. */
#include "storeutil.h"

#include "clientele/codec.h"
#include "clientele/hlc.h"

#include <lmdb.h>

#include <stdio.h>

static cl_record_id rid(uint8_t n)
{
    cl_record_id id;
    memset(id.b, n, sizeof id.b);
    return id;
}

static void writes_are_read_back_and_noop_writes_add_no_op(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(1);
    put_field(f->s[0], &r, CL_F_NAME, "Ada");
    put_field(f->s[0], &r, CL_F_NAME, "Ada");
    char *v = field_of(f->s[0], &r, CL_F_NAME);
    assert_string_equal(v, "Ada");
    free(v);
    assert_int_equal(vv_of(f->s[0], cl_store_self(f->s[0])), 1);
}

static void a_later_edit_that_saw_the_value_is_no_conflict(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(2);
    put_field(f->s[0], &r, CL_F_PHONE, "111");
    push_all(f->s[0], f->s[1]);
    put_field(f->s[1], &r, CL_F_PHONE, "222");
    push_all(f->s[1], f->s[0]);
    op_list c = {0};
    for (int i = 0; i < 2; i++) {
        char *v = field_of(f->s[i], &r, CL_F_PHONE);
        assert_string_equal(v, "222");
        free(v);
        assert_int_equal(conflicts_of(f->s[i], &r, CL_F_PHONE, &c), 0);
    }
}

static void concurrent_writes_converge_and_keep_the_loser(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(3);
    put_field(f->s[0], &r, CL_F_NAME, "Ion");
    push_all(f->s[0], f->s[1]);
    put_field(f->s[0], &r, CL_F_PHONE, "from-A");
    put_field(f->s[1], &r, CL_F_PHONE, "from-B");
    put_field(f->s[1], &r, CL_F_EMAIL, "b@x.ro"); /* another field: no conflict */
    push_all(f->s[0], f->s[1]);
    push_all(f->s[1], f->s[0]);
    char d0[65], d1[65];
    tu_digest(f->s[0], d0);
    tu_digest(f->s[1], d1);
    assert_string_equal(d0, d1);
    char *w0 = field_of(f->s[0], &r, CL_F_PHONE), *w1 = field_of(f->s[1], &r, CL_F_PHONE);
    assert_string_equal(w0, w1);
    for (int i = 0; i < 2; i++) {
        op_list c = {0};
        assert_int_equal(conflicts_of(f->s[i], &r, CL_F_PHONE, &c), 1);
        assert_string_not_equal(c.v[0].value, w0); /* the loser is kept */
        assert_true(!strcmp(c.v[0].value, "from-A") || !strcmp(c.v[0].value, "from-B"));
        op_list_free(&c);
        op_list e = {0};
        assert_int_equal(conflicts_of(f->s[i], &r, CL_F_EMAIL, &e), 0);
        char *em = field_of(f->s[i], &r, CL_F_EMAIL);
        assert_string_equal(em, "b@x.ro");
        free(em);
    }
    free(w0);
    free(w1);
    /* resolving is an ordinary write that supersedes both */
    put_field(f->s[0], &r, CL_F_PHONE, "from-B");
    push_all(f->s[0], f->s[1]);
    for (int i = 0; i < 2; i++) {
        op_list c = {0};
        assert_int_equal(conflicts_of(f->s[i], &r, CL_F_PHONE, &c), 0);
        char *v = field_of(f->s[i], &r, CL_F_PHONE);
        assert_string_equal(v, "from-B");
        free(v);
    }
}

static void delete_and_restore_are_last_writer_wins(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(4);
    put_field(f->s[0], &r, CL_F_NAME, "Temp");
    put_field(f->s[0], &r, CL_F_DELETED, "1");
    cl_txn *t;
    cl_record_meta m;
    assert_int_equal(cl_store_read(f->s[0], &t), CL_OK);
    assert_int_equal(cl_txn_record(t, &r, &m), CL_OK);
    assert_true(m.deleted);
    cl_txn_end(t);
    put_field(f->s[0], &r, CL_F_DELETED, "0");
    push_all(f->s[0], f->s[1]);
    assert_int_equal(cl_store_read(f->s[1], &t), CL_OK);
    assert_int_equal(cl_txn_record(t, &r, &m), CL_OK);
    assert_false(m.deleted);
    cl_txn_end(t);
}

static void applying_twice_changes_nothing(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(5);
    put_field(f->s[0], &r, CL_F_NAME, "Twice");
    put_field(f->s[0], &r, CL_F_NOTES, "n");
    op_list l = {0};
    read_ops(f->s[0], cl_store_self(f->s[0]), 0, SIZE_MAX, &l);
    size_t applied;
    assert_int_equal(apply_list(f->s[1], &l, &applied), CL_OK);
    assert_int_equal(applied, 2);
    char before[65], after[65];
    tu_digest(f->s[1], before);
    assert_int_equal(apply_list(f->s[1], &l, &applied), CL_OK);
    assert_int_equal(applied, 0);
    tu_digest(f->s[1], after);
    assert_string_equal(before, after);
    op_list_free(&l);
}

static void a_gap_is_refused_and_nothing_is_stored(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(6);
    put_field(f->s[0], &r, CL_F_NAME, "One");
    put_field(f->s[0], &r, CL_F_NAME, "Two");
    op_list l = {0};
    read_ops(f->s[0], cl_store_self(f->s[0]), 1, SIZE_MAX, &l); /* seq 2 only */
    char before[65], after[65];
    tu_digest(f->s[1], before);
    size_t applied;
    assert_int_equal(apply_list(f->s[1], &l, &applied), CL_EPROTO);
    tu_digest(f->s[1], after);
    assert_string_equal(before, after);
    assert_int_equal(vv_of(f->s[1], cl_store_self(f->s[0])), 0);
    op_list_free(&l);
}

static void an_op_contradicting_the_type_is_refused(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(7);
    put_field(f->s[0], &r, CL_F_NAME, "Typed");
    op_list l = {0};
    read_ops(f->s[0], cl_store_self(f->s[0]), 0, SIZE_MAX, &l);
    push_all(f->s[0], f->s[1]);
    /* a forged op from device 3 saying the record is a company */
    l.v[0].op.origin = *cl_store_self(f->s[2]);
    l.v[0].op.type = CL_T_COMPANY;
    size_t applied;
    assert_int_equal(apply_list(f->s[1], &l, &applied), CL_EPROTO);
    op_list_free(&l);
}

static void an_op_superseded_before_it_arrives_is_no_conflict(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(8);
    put_field(f->s[0], &r, CL_F_TITLE, "x");     /* X on A */
    push_all(f->s[0], f->s[1]);
    put_field(f->s[1], &r, CL_F_TITLE, "y");     /* Y on B saw X */
    /* C receives Y (B's log) before X (A's log) */
    op_list ly = {0}, lx = {0};
    read_ops(f->s[1], cl_store_self(f->s[1]), 0, SIZE_MAX, &ly);
    read_ops(f->s[0], cl_store_self(f->s[0]), 0, SIZE_MAX, &lx);
    size_t applied;
    assert_int_equal(apply_list(f->s[2], &ly, &applied), CL_OK);
    assert_int_equal(apply_list(f->s[2], &lx, &applied), CL_OK);
    op_list c = {0};
    assert_int_equal(conflicts_of(f->s[2], &r, CL_F_TITLE, &c), 0);
    char *v = field_of(f->s[2], &r, CL_F_TITLE);
    assert_string_equal(v, "y");
    free(v);
    char d1[65], d2[65];
    tu_digest(f->s[1], d1);
    tu_digest(f->s[2], d2);
    assert_string_equal(d1, d2);
    op_list_free(&ly);
    op_list_free(&lx);
}

/* Ops of one origin that b lacks, sent alone (not what else a holds). */
static void push_origin(cl_store *a, cl_store *b, const cl_device_id *o)
{
    op_list l = {0};
    size_t applied;
    read_ops(a, o, vv_of(b, o), SIZE_MAX, &l);
    assert_int_equal(apply_list(b, &l, &applied), CL_OK);
    op_list_free(&l);
}

static int cut_fn(cl_txn *t, void *arg)
{
    uint64_t cut;
    int rc = cl_txn_cut_writer(t, arg, 0, &cut);
    assert_true(rc || cut == 4);
    return rc;
}

static int count_referrers(void *ctx, const cl_record_id *id, uint8_t field)
{
    (void)id, (void)field;
    ++*(int *)ctx;
    return CL_OK;
}

/* A writer's ops taken out leave what a folder that never had them holds:
 * a record it created is gone, a conflict it was in is over, a value it
 * wrote that another device then replaced stays replaced, its references
 * and search text are gone (docs/revocation.md). */
static void a_cut_writer_leaves_the_state_of_never_having_it(void **state)
{
    tu_stores *f = *state;
    cl_store *thief = f->s[0], *x = f->s[1], *y = f->s[2];
    const cl_device_id *tw = cl_store_self(thief), *xw = cl_store_self(x), *yw = cl_store_self(y);
    cl_record_id r1 = rid(21), r2 = rid(22);
    char r2text[CL_RECORD_ID_TEXT];
    cl_record_id_format(&r2, r2text);
    put_field(x, &r1, CL_F_NAME, "Ion Pop");
    put_field(x, &r1, CL_F_PHONE, "+40 1");
    push_origin(x, y, xw);
    push_origin(x, thief, xw);
    put_field(thief, &r1, CL_F_PHONE, "+40 666");   /* saw X's phone */
    put_field(thief, &r1, CL_F_EMAIL, "t@evil.ro");
    put_field(thief, &r2, CL_F_NAME, "Made Up Person");
    put_field(thief, &r1, CL_F_COMPANY, r2text);
    push_origin(thief, x, tw);
    put_field(x, &r1, CL_F_PHONE, "+40 2");          /* saw the thief's phone */
    put_field(y, &r1, CL_F_EMAIL, "y@x.ro");         /* concurrent with the thief's email */
    push_origin(y, x, yw);
    push_origin(x, y, xw);
    op_list c = {0};
    assert_int_equal(conflicts_of(x, &r1, CL_F_EMAIL, &c), 1);
    op_list_free(&c);

    assert_int_equal(cl_store_update(x, cut_fn, (void *)tw), CL_OK);
    char dx[65], dy[65];
    tu_digest(x, dx);
    tu_digest(y, dy);
    assert_string_equal(dx, dy);
    assert_int_equal(conflicts_of(x, &r1, CL_F_EMAIL, &c), 0);
    char *v = field_of(x, &r1, CL_F_EMAIL);
    assert_string_equal(v, "y@x.ro");
    free(v);
    v = field_of(x, &r1, CL_F_PHONE);
    assert_string_equal(v, "+40 2");
    free(v);
    cl_txn *t;
    cl_record_meta m;
    int refs = 0;
    const char *text;
    size_t len;
    assert_int_equal(cl_store_read(x, &t), CL_OK);
    assert_int_equal(cl_txn_record(t, &r2, &m), CL_ENOTFOUND);
    assert_int_equal(cl_txn_referrers(t, &r2, count_referrers, &refs), CL_OK);
    assert_int_equal(cl_txn_former_referrers(t, &r2, count_referrers, &refs), CL_OK);
    assert_int_equal(refs, 0);
    assert_int_equal(cl_txn_search_text(t, &r1, &text, &len), CL_OK);
    assert_null(memmem(text, len, "evil", 4));
    assert_non_null(memmem(text, len, "ion pop", 7));
    assert_int_equal(cl_txn_record(t, &r1, &m), CL_OK);
    cl_txn_end(t);
    /* X's second phone saw X's first only through the thief's: without it
     * the two are concurrent, on X as on Y, and shown as a conflict */
    cl_record_meta my;
    assert_int_equal(cl_store_read(y, &t), CL_OK);
    assert_int_equal(cl_txn_record(t, &r1, &my), CL_OK);
    cl_txn_end(t);
    assert_int_equal(m.nconflicts, my.nconflicts);
    assert_int_equal(m.nconflicts, 1);
    assert_int_equal(conflicts_of(x, &r1, CL_F_PHONE, &c), 1);
    assert_string_equal(c.v[0].value, "+40 1");
    op_list_free(&c);
    assert_int_equal(vv_of(x, tw), 0);
    /* the two go on syncing as before */
    put_field(y, &r1, CL_F_NOTES, "after");
    push_origin(y, x, yw);
    tu_digest(x, dx);
    tu_digest(y, dy);
    assert_string_equal(dx, dy);
}

static int revoke_fn(cl_txn *t, void *arg) { return cl_txn_revoke(t, arg); }

/* A revocation is an op: it travels, and the folder that applies it takes
 * out the revoked device's ops past the point the revoker held. */
static void a_revocation_travels_and_takes_out_later_ops(void **state)
{
    tu_stores *f = *state;
    cl_store *thief = f->s[0], *a = f->s[1], *x = f->s[2];
    const cl_device_id *tw = cl_store_self(thief);
    cl_record_id r1 = rid(31), r2 = rid(32);
    put_field(thief, &r1, CL_F_NAME, "Early Edit");
    put_field(thief, &r1, CL_F_PHONE, "+40 1");
    push_all(thief, a);
    push_all(thief, x);
    assert_int_equal(cl_store_update(a, revoke_fn, (void *)tw), CL_OK);
    assert_int_equal(cl_store_update(a, revoke_fn, (void *)tw), CL_EEXIST);
    assert_int_equal(cl_store_update(a, revoke_fn, (void *)cl_store_self(a)), CL_EINVAL);
    put_field(thief, &r1, CL_F_PHONE, "+40 666");   /* after the point */
    put_field(thief, &r2, CL_F_NAME, "Planted");
    push_all(thief, x);                              /* x has not heard yet */
    assert_int_equal(vv_of(x, tw), 4);
    push_all(a, x);                                  /* now it has */
    push_all(a, x);                                  /* and gets back what the cut took below the point */
    assert_int_equal(vv_of(x, tw), 2);
    char da[65], dx[65];
    tu_digest(a, da);
    tu_digest(x, dx);
    assert_string_equal(da, dx);
    char *v = field_of(x, &r1, CL_F_PHONE);
    assert_string_equal(v, "+40 1");
    free(v);
    cl_txn *t;
    cl_record_meta m;
    cl_device_id by;
    assert_int_equal(cl_store_read(x, &t), CL_OK);
    assert_int_equal(cl_txn_record(t, &r2, &m), CL_ENOTFOUND);
    assert_int_equal(cl_txn_revoked(t, tw, &by), CL_OK);
    assert_memory_equal(by.b, cl_store_self(a)->b, CL_DEVICE_ID_LEN);
    assert_int_equal(cl_txn_revoked(t, cl_store_self(a), &by), CL_ENOTFOUND);
    cl_txn_end(t);
}

static void a_clock_a_year_ahead_does_not_freeze_others(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(9), other = rid(10);
    cl_clock_offset_set(31536000000); /* A is a year ahead */
    put_field(f->s[0], &r, CL_F_PHONE, "future");
    cl_clock_offset_set(0);
    push_all(f->s[0], f->s[1]);
    /* B's other edits keep B's own time, within the bound */
    put_field(f->s[1], &other, CL_F_NAME, "now");
    cl_txn *t;
    cl_field_state st;
    assert_int_equal(cl_store_read(f->s[1], &t), CL_OK);
    assert_int_equal(cl_txn_field(t, &other, CL_F_NAME, &st), CL_OK);
    assert_true(cl_hlc_ms(st.hlc) <= cl_now_ms() + CL_HLC_MAX_AHEAD_MS + 1000);
    cl_txn_end(t);
    /* and B replacing the future value still wins everywhere */
    put_field(f->s[1], &r, CL_F_PHONE, "fixed");
    push_all(f->s[1], f->s[0]);
    for (int i = 0; i < 2; i++) {
        char *v = field_of(f->s[i], &r, CL_F_PHONE);
        assert_string_equal(v, "fixed");
        free(v);
    }
}

static uint64_t tu_op_count(cl_store *s)
{
    uint64_t n;
    assert_int_equal(cl_store_op_count(s, &n), CL_OK);
    return n;
}

/* An op from a peer stamped at the last instant allowed: a later edit that saw
 * it still wins (causality first), and nothing wraps; a stamp past the bound
 * (2^64 - 1) is refused with the batch. */
static void the_largest_stamp_freezes_nothing(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(11);
    cl_device_id peer = tu_device(9);
    cl_op op = {.origin = peer, .seq = 1, .hlc = cl_hlc_make(CL_HLC_MAX_MS, 0xffff), .record = r,
                .type = CL_T_CONTACT, .field = CL_F_PHONE, .value = "+40 1", .value_len = 5};
    assert_int_equal(cl_store_apply(f->s[0], &op, 1, NULL), CL_OK);
    put_field(f->s[0], &r, CL_F_PHONE, "+40 2");
    char *v = field_of(f->s[0], &r, CL_F_PHONE);
    assert_string_equal(v, "+40 2");
    free(v);
    cl_txn *t;
    cl_field_state st;
    assert_int_equal(cl_store_read(f->s[0], &t), CL_OK);
    assert_int_equal(cl_txn_field(t, &r, CL_F_PHONE, &st), CL_OK);
    assert_false(st.conflicted);
    assert_true(cl_hlc_ms(st.hlc) < CL_HLC_MAX_MS); /* its own tick: not pushed up to the edge */
    cl_txn_end(t);
    op.seq = 2;
    op.hlc = UINT64_MAX;
    uint64_t before = tu_op_count(f->s[0]);
    assert_int_equal(cl_store_apply(f->s[0], &op, 1, NULL), CL_EPROTO);
    assert_non_null(strstr(cl_errmsg(), "year 9999"));
    assert_int_equal(tu_op_count(f->s[0]), before);
}

/* A folder that met thousands of writers (a year of restored folders and new
 * laptops) finds each one's number by its index: the same ops applied in
 * opposite orders (so with other numbers) give the same digest, ops already
 * held are found and skipped, a gap is still seen, after the folder is
 * reopened too (the dictionary and its index read again). */
#define MANY_WRITERS 3000
static void thousands_of_writers_keep_their_numbers(void **state)
{
    tu_stores *f = *state;
    static cl_op ops[MANY_WRITERS];
    static char values[MANY_WRITERS][16];
    uint64_t rng = 42;
    for (size_t i = 0; i < MANY_WRITERS; i++) {
        for (size_t k = 0; k < CL_DEVICE_ID_LEN; k++)
            ops[i].origin.b[k] = (unsigned char)tu_rand(&rng);
        snprintf(values[i], sizeof values[i], "w%zu", i);
        ops[i].seq = 1;
        ops[i].hlc = cl_hlc_make(cl_now_ms(), (uint16_t)i);
        ops[i].record = rid((uint8_t)(100 + i % 50));
        ops[i].type = CL_T_CONTACT;
        ops[i].field = CL_F_NAME;
        ops[i].value = values[i];
        ops[i].value_len = (uint32_t)strlen(values[i]);
    }
    size_t applied;
    assert_int_equal(cl_store_apply(f->s[0], ops, MANY_WRITERS, &applied), CL_OK);
    assert_int_equal(applied, MANY_WRITERS);
    for (size_t i = MANY_WRITERS; i-- > 0;)
        assert_int_equal(cl_store_apply(f->s[1], &ops[i], 1, NULL), CL_OK);
    char a[65], b[65];
    tu_digest(f->s[0], a);
    tu_digest(f->s[1], b);
    assert_string_equal(a, b);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(cl_store_apply(f->s[0], ops, MANY_WRITERS, &applied), CL_OK);
        assert_int_equal(applied, 0);
        cl_op gap = ops[77];
        gap.seq = 3;
        assert_int_equal(cl_store_apply(f->s[0], &gap, 1, NULL), CL_EPROTO);
        cl_store_close(f->s[0]); /* and once more from the dictionary on disk */
        f->s[0] = tu_store(f->dir[0], 1);
    }
    cl_op next = ops[1234];
    next.seq = 2;
    next.hlc = cl_hlc_make(cl_now_ms() + 1000, 0);
    next.value = "later";
    next.value_len = 5;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cl_store_apply(f->s[k], &next, 1, &applied), CL_OK);
        assert_int_equal(applied, 1);
    }
    tu_digest(f->s[0], a);
    tu_digest(f->s[1], b);
    assert_string_equal(a, b);
}

/* A field number from a newer version is kept, relayed and counted, not shown. */
static void a_newer_versions_field_is_kept_not_shown(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(12);
    cl_device_id peer = tu_device(9);
    cl_op ops[2] = {
        {.origin = peer, .seq = 1, .hlc = cl_hlc_make(cl_now_ms(), 0), .record = r, .type = CL_T_CONTACT,
         .field = CL_F_NAME, .value = "Ana", .value_len = 3},
        {.origin = peer, .seq = 2, .hlc = cl_hlc_make(cl_now_ms(), 1), .record = r, .type = CL_T_CONTACT,
         .field = 40, .value = "from the future", .value_len = 15},
    };
    assert_int_equal(cl_op_check_remote(&ops[1]), CL_OK);
    assert_int_equal(cl_store_apply(f->s[0], ops, 2, NULL), CL_OK);
    cl_txn *t;
    cl_record *rec;
    assert_int_equal(cl_store_read(f->s[0], &t), CL_OK);
    assert_int_equal(cl_record_load(t, &r, &rec), CL_OK);
    assert_string_equal(rec->values[CL_F_NAME], "Ana");
    cJSON *j = cl_json_record(rec);
    char *text = cJSON_PrintUnformatted(j);
    assert_null(strstr(text, "future"));
    cJSON_free(text);
    cJSON_Delete(j);
    cl_record_free(rec);
    cl_txn_end(t);
    push_all(f->s[0], f->s[1]);
    char d0[65], d1[65];
    tu_digest(f->s[0], d0);
    tu_digest(f->s[1], d1);
    assert_string_equal(d0, d1);
    ops[1].field = CL_F_LIMIT + 1; /* past what any version may use */
    ops[1].seq = 3;
    assert_int_equal(cl_store_apply(f->s[0], &ops[1], 1, NULL), CL_EPROTO);
}

static int put_schema_99(cl_txn *t, void *arg)
{
    (void)arg;
    static const unsigned char v99[8] = {0, 0, 0, 0, 0, 0, 0, 99};
    return cl_txn_kv_put(t, CL_TAB_META, "schema", 6, v99, 8);
}

static void a_newer_schema_is_refused(void **state)
{
    tu_stores *f = *state;
    assert_int_equal(cl_store_update(f->s[2], put_schema_99, NULL), CL_OK);
    cl_store_close(f->s[2]);
    f->s[2] = NULL;
    cl_device_id d = tu_device(3);
    cl_store *s = NULL;
    assert_int_equal(cl_book_open(f->dir[2], &d, &s), CL_EVERSION);
    assert_non_null(strstr(cl_errmsg(), "newer"));
}

static int count_ids(void *ctx, const cl_record_id *id)
{
    (void)id;
    (*(int *)ctx)++;
    return 0;
}

static int conflicted_count(cl_store *s)
{
    cl_txn *t;
    int n = 0;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_conflicted(t, count_ids, &n), CL_OK);
    cl_txn_end(t);
    return n;
}

static int put_schema_1(cl_txn *t, void *arg)
{
    (void)arg;
    static const unsigned char v1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    return cl_txn_kv_put(t, CL_TAB_META, "schema", 6, v1, 8);
}

static void a_schema_1_folder_is_upgraded(void **state)
{
    tu_stores *f = *state;
    cl_record_id r = rid(11);
    put_field(f->s[0], &r, CL_F_NAME, "Both");
    push_all(f->s[0], f->s[1]);
    put_field(f->s[0], &r, CL_F_PHONE, "a");
    put_field(f->s[1], &r, CL_F_PHONE, "b");
    push_all(f->s[0], f->s[1]);
    assert_int_equal(conflicted_count(f->s[1]), 1);
    /* make the folder look like schema 1: no index of conflicted records */
    assert_int_equal(cl_store_update(f->s[1], put_schema_1, NULL), CL_OK);
    cl_store_close(f->s[1]);
    f->s[1] = NULL;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    assert_int_equal(mdb_env_open(env, f->dir[1], 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "conflicted", 0, &dbi), 0);
    assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    f->s[1] = tu_store(f->dir[1], 2);
    assert_int_equal(conflicted_count(f->s[1]), 1);
    const void *v;
    size_t n;
    cl_txn *t;
    assert_int_equal(cl_store_read(f->s[1], &t), CL_OK);
    assert_int_equal(cl_txn_kv_get(t, CL_TAB_META, "schema", 6, &v, &n), CL_OK);
    assert_int_equal(cl_be64_get(v), CL_SCHEMA_VERSION);
    cl_txn_end(t);
    /* resolving clears the index */
    put_field(f->s[1], &r, CL_F_PHONE, "c");
    assert_int_equal(conflicted_count(f->s[1]), 0);
}

static void another_devices_folder_is_refused(void **state)
{
    tu_stores *f = *state;
    cl_store_close(f->s[2]);
    f->s[2] = NULL;
    cl_device_id d = tu_device(9);
    cl_store *s = NULL;
    assert_int_equal(cl_book_open(f->dir[2], &d, &s), CL_EINVAL);
}

static void a_foreign_file_is_refused(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 1000; i++)
        fputs("this is not an lmdb file\n", fp);
    fclose(fp);
    cl_device_id d = tu_device(1);
    cl_store *s = NULL;
    int rc = cl_book_open(dir, &d, &s);
    assert_true(rc == CL_ECORRUPT || rc == CL_ESTORE);
    tu_rmdir(dir);
    free(dir);
}

struct many {
    int from, to;
};

static int many_fn(cl_txn *t, void *arg)
{
    struct many *m = arg;
    char v[120];
    for (int i = m->from; i < m->to; i++) {
        cl_record_id r;
        memset(r.b, 0, sizeof r.b);
        memcpy(r.b, &i, sizeof i);
        snprintf(v, sizeof v, "%0100d", i);
        int rc = cl_txn_write(t, &r, CL_T_CONTACT, CL_F_NOTES, v, strlen(v));
        if (rc)
            return rc;
    }
    return CL_OK;
}

static void the_map_grows_on_demand(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    setenv("CLIENTELE_MAPSIZE", "262144", 1); /* 256 KiB */
    cl_store *s = tu_store(dir, 1);
    unsetenv("CLIENTELE_MAPSIZE");
    struct many m = {0, 20000};
    int rc = cl_store_update(s, many_fn, &m);
    if (rc)
        fprintf(stderr, "%s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
    uint64_t n;
    assert_int_equal(cl_store_op_count(s, &n), CL_OK);
    assert_int_equal(n, 20000);
    cl_store_close(s);
    tu_rmdir(dir);
    free(dir);
}

int main(void)
{
    setenv("CLIENTELE_NOSYNC", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(writes_are_read_back_and_noop_writes_add_no_op, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(thousands_of_writers_keep_their_numbers, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_later_edit_that_saw_the_value_is_no_conflict, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(concurrent_writes_converge_and_keep_the_loser, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(delete_and_restore_are_last_writer_wins, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(applying_twice_changes_nothing, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_gap_is_refused_and_nothing_is_stored, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(an_op_contradicting_the_type_is_refused, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(an_op_superseded_before_it_arrives_is_no_conflict, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_clock_a_year_ahead_does_not_freeze_others, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_cut_writer_leaves_the_state_of_never_having_it, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_revocation_travels_and_takes_out_later_ops, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(the_largest_stamp_freezes_nothing, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_newer_versions_field_is_kept_not_shown, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(another_devices_folder_is_refused, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(a_schema_1_folder_is_upgraded, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test(a_foreign_file_is_refused),
        cmocka_unit_test(the_map_grows_on_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
