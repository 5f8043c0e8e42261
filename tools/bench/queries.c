/*
 * clientele-bench related — "who refers to X" against the size of the book.
 *
 *   clientele-bench related [--records N] [--related K] [--runs R]
 *
 * A fresh folder gets N contacts of the W1 shape (no company) written through
 * the model (cl_record_put_in, 10,000 per transaction), one company, and K
 * contacts at it. Then, R times each, in a read transaction of its own:
 *   related  cl_query_related(company), each record it names loaded: the refs
 *            index (what the model, the API and `clientele related` use);
 *   scan     every contact of the book loaded and its company compared: what
 *            answering the question cost before the index (GET /api/records?ref=).
 * Prints the median and the slowest run of each in ms, and checks that both
 * found exactly K contacts.
 */
#include "bench.h"

#include "clientele/model.h"
#include "clientele/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 10000

static int bench_fail(const char *what)
{
    fprintf(stderr, "clientele-bench related: %s\n", what);
    return 1;
}

struct fill_arg {
    long from, to;
    const char *company; /* NULL: no company */
};

static int fill_fn(cl_txn *t, void *arg)
{
    struct fill_arg *a = arg;
    char name[32], email[48], phone[32];
    for (long r = a->from; r < a->to; r++) {
        snprintf(name, sizeof name, "c%ld", r);
        snprintf(email, sizeof email, "c%ld@example.test", r);
        snprintf(phone, sizeof phone, "+40 7%08ld", r % 100000000);
        cl_assign f[] = {{"name", name},
                         {"email", email},
                         {"phone", phone},
                         {"title", "Buyer"},
                         {"city", "Cluj"},
                         {"notes", "met at the fair"},
                         {"tags", "w1"},
                         {"company", a->company ? a->company : ""}};
        int rc = cl_record_put_in(t, CL_T_CONTACT, NULL, f, a->company ? 8 : 7, NULL);
        if (rc)
            return rc;
    }
    return CL_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct scan_ctx {
    cl_txn *t;
    const char *target;
    size_t found;
};

/* Each related record is loaded, as the API and `clientele related` do. */
static int related_step(void *arg, const cl_record_id *rec, uint8_t field)
{
    struct scan_ctx *c = arg;
    cl_record *r;
    (void)field;
    int rc = cl_record_load(c->t, rec, &r);
    if (rc)
        return rc;
    c->found++;
    cl_record_free(r);
    return CL_OK;
}

static int scan_step(void *arg, const cl_record_id *id)
{
    struct scan_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    const char *v = r->values[CL_F_COMPANY];
    c->found += v && !strcmp(v, c->target);
    cl_record_free(r);
    return CL_OK;
}

/* One timed run of either way of answering; *found gets the answer's size. */
static int run_once(cl_store *s, const cl_record_id *company, const char *company_text, bool scan, double *ms,
                    size_t *found)
{
    cl_txn *t;
    double t0 = now_ms();
    int rc = cl_store_read(s, &t);
    if (rc)
        return rc;
    struct scan_ctx c = {t, company_text, 0};
    rc = scan ? cl_txn_records(t, CL_T_CONTACT, NULL, scan_step, &c)
              : cl_query_related(t, company, related_step, &c);
    *found = c.found;
    cl_txn_end(t);
    *ms = now_ms() - t0;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int measure(cl_store *s, const cl_record_id *company, const char *text, bool scan, int runs, size_t want)
{
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms)
        return bench_fail("out of memory");
    for (int i = 0; i < runs; i++) {
        size_t found;
        if (run_once(s, company, text, scan, &ms[i], &found)) {
            free(ms);
            return bench_fail(cl_errmsg());
        }
        if (found != want) {
            free(ms);
            fprintf(stderr, "clientele-bench: %s found %zu contacts, not %zu\n", scan ? "scan" : "related", found,
                    want);
            return 1;
        }
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    printf("%-8s median %8.3f ms  slowest %8.3f ms  (%d runs, %zu found)\n", scan ? "scan" : "related",
           ms[runs / 2], ms[runs - 1], runs, want);
    free(ms);
    return 0;
}

static int fill(cl_store *s, long n, long k, const char *company_text)
{
    double t0 = now_ms();
    for (long from = 0; from < n; from += BATCH) {
        struct fill_arg a = {from, from + BATCH < n ? from + BATCH : n, NULL};
        if (cl_store_update(s, fill_fn, &a))
            return bench_fail(cl_errmsg());
    }
    struct fill_arg a = {n, n + k, company_text};
    if (cl_store_update(s, fill_fn, &a))
        return bench_fail(cl_errmsg());
    printf("book: %ld contacts, 1 company, %ld contacts at it (written in %.0f ms)\n", n + k, k, now_ms() - t0);
    return 0;
}

int bench_related(int argc, char **argv)
{
    long n = 100000, k = 20;
    int runs = 30;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--records"))
            n = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--related"))
            k = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else
            return bench_usage();
    }
    if (argc % 2 || n < 0 || k < 1 || runs < 1)
        return bench_usage();
    char dir[] = "/tmp/clientele-bench-related-XXXXXX";
    if (!mkdtemp(dir))
        return bench_fail("mkdtemp");
    cl_identity *me = NULL;
    cl_store *s = NULL;
    cl_record_id company;
    char company_text[CL_RECORD_ID_TEXT];
    cl_assign name = {"name", "Acme SA"};
    int rc = cl_identity_load(dir, true, &me) || cl_book_open(dir, cl_identity_device(me), &s) ||
             cl_record_put(s, CL_T_COMPANY, NULL, &name, 1, &company);
    if (rc) {
        rc = bench_fail(cl_errmsg());
    } else {
        cl_record_id_format(&company, company_text);
        rc = fill(s, n, k, company_text);
    }
    if (!rc)
        rc = measure(s, &company, company_text, false, runs, (size_t)k);
    if (!rc)
        rc = measure(s, &company, company_text, true, runs < 5 ? runs : 5, (size_t)k);
    cl_store_close(s);
    cl_identity_free(me);
    bench_rmdir(dir);
    return rc;
}
