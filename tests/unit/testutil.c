#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/clientele-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_rmdir(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

cl_device_id tu_device(uint8_t seed)
{
    cl_device_id d;
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        d.b[i] = (uint8_t)(seed * 31 + i);
    d.b[0] = seed; /* origin order follows the seed */
    return d;
}

cl_store *tu_store(const char *dir, uint8_t seed)
{
    cl_device_id d = tu_device(seed);
    cl_store *s = NULL;
    int rc = cl_book_open(dir, &d, &s);
    if (rc)
        fprintf(stderr, "store open: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
    return s;
}

int tu_store_setup(void **state)
{
    tu_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = tu_tmpdir();
    f->s = tu_store(f->dir, 1);
    *state = f;
    return 0;
}

int tu_store_teardown(void **state)
{
    tu_fixture *f = *state;
    cl_store_close(f->s);
    tu_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

int tu_stores_setup(void **state)
{
    tu_stores *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < TU_STORES; i++) {
        f->dir[i] = tu_tmpdir();
        f->s[i] = tu_store(f->dir[i], (uint8_t)(i + 1));
    }
    *state = f;
    return 0;
}

int tu_stores_teardown(void **state)
{
    tu_stores *f = *state;
    for (int i = 0; i < TU_STORES; i++) {
        cl_store_close(f->s[i]);
        tu_rmdir(f->dir[i]);
        free(f->dir[i]);
    }
    free(f);
    return 0;
}

char *tu_export(cl_store *s, uint8_t type, int (*export)(cl_txn *t, uint8_t type, FILE *out, size_t *count))
{
    FILE *m = tmpfile();
    assert_non_null(m);
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(export(t, type, m, NULL), CL_OK);
    cl_txn_end(t);
    return tu_slurp(m);
}

char *tu_slurp(FILE *m)
{
    rewind(m);
    cl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, m)) > 0)
        assert_int_equal(cl_buf_put(&b, chunk, n), CL_OK);
    fclose(m);
    return cl_buf_steal(&b);
}

void tu_digest(cl_store *s, char out[65])
{
    cl_txn *t;
    unsigned char d[CL_SHA256_LEN];
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_digest(t, true, d), CL_OK);
    cl_txn_end(t);
    for (int i = 0; i < CL_SHA256_LEN; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

uint64_t tu_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

uint64_t tu_seed(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--seed"))
            return strtoull(argv[i + 1], NULL, 0);
    const char *e = getenv("CLIENTELE_SEED");
    if (e && *e)
        return strtoull(e, NULL, 0);
    return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static uint64_t sched_base, sched_current;
static long sched_count;
static bool sched_finished;

void tu_schedules_init(int argc, char **argv, long dflt)
{
    sched_base = tu_seed(argc, argv);
    const char *n = getenv("CLIENTELE_SCHEDULES");
    sched_count = n ? atol(n) : dflt;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--schedules"))
            sched_count = atol(argv[i + 1]);
    printf("seed %llu, %ld schedules: replay with --seed %llu\n", (unsigned long long)sched_base, sched_count,
           (unsigned long long)sched_base);
}

void tu_schedules_run(void (*fn)(uint64_t seed))
{
    for (long i = 0; i < sched_count; i++) {
        sched_current = sched_base + (uint64_t)i;
        fn(sched_current);
    }
    sched_finished = true;
    printf("%ld schedules passed (seeds %llu..%llu)\n", sched_count, (unsigned long long)sched_base,
           (unsigned long long)sched_current);
}

long tu_schedules_count(void) { return sched_count; }

int tu_schedules_report(void **state)
{
    (void)state;
    if (!sched_finished)
        printf("FAILED at seed %llu: replay with --seed %llu --schedules 1\n", (unsigned long long)sched_current,
               (unsigned long long)sched_current);
    return 0;
}

cl_record *tu_load(cl_store *s, const cl_record_id *id)
{
    cl_txn *t;
    cl_record *r;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_record_load(t, id, &r), CL_OK);
    cl_txn_end(t);
    return r;
}
