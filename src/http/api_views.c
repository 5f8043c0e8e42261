/* The API's views: due tasks, recent interactions, birthdays, conflicts. */
#include "clientele/codec.h"
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct scan_ctx {
    cl_txn *t;
    cJSON *items;
    size_t count;
} scan_ctx;

static int add_step(void *arg, const cl_record_id *id)
{
    scan_ctx *c = arg;
    return http_add_record(c->t, id, c->items);
}

int http_api_due(struct mg_connection *conn, cl_http *h)
{
    scan_ctx c = {0};
    cJSON *top = http_items_object(&c.items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : http_oom();
    if (!rc)
        rc = cl_query_due(c.t, add_step, &c);
    cl_txn_end(c.t);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* Recent interactions, newest date first: the today view's second half. The
 * list is in id order (random), so this keeps the best `limit` of a scan. */
typedef struct recent_ctx {
    cl_txn *t;
    size_t limit, n;
    cl_record **best; /* sorted newest first */
} recent_ctx;

static const char *date_of(const cl_record *r)
{
    return r->values[CL_F_DATE] ? r->values[CL_F_DATE] : "";
}

static int recent_step(void *arg, const cl_record_id *id)
{
    recent_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    size_t i = c->n;
    while (i > 0 && strcmp(date_of(c->best[i - 1]), date_of(r)) < 0)
        i--;
    if (i >= c->limit) {
        cl_record_free(r);
        return CL_OK;
    }
    if (c->n == c->limit)
        cl_record_free(c->best[--c->n]);
    memmove(c->best + i + 1, c->best + i, (c->n - i) * sizeof *c->best);
    c->best[i] = r;
    c->n++;
    return CL_OK;
}

int http_recent(cl_txn *t, size_t limit, cl_record ***out, size_t *n)
{
    recent_ctx c = {.t = t, .limit = limit, .best = calloc(limit ? limit : 1, sizeof(cl_record *))};
    int rc = c.best ? cl_query_list(t, CL_T_INTERACTION, NULL, NULL, 0, recent_step, &c, NULL) : http_oom();
    if (rc) {
        for (size_t i = 0; i < c.n; i++)
            cl_record_free(c.best[i]);
        free(c.best);
        c.best = NULL, c.n = 0;
    }
    *out = c.best;
    *n = c.n;
    return rc;
}

int http_api_recent(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    size_t limit = 10, n = 0;
    if (http_query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1 || v > 200)
            return http_send_error(conn, 400, "invalid", "limit must be a number from 1 to 200");
        limit = (size_t)v;
    }
    cl_record **best = NULL;
    cl_txn *t = NULL;
    cJSON *items, *top = http_items_object(&items);
    int rc = top ? cl_store_read(h->cfg.store, &t) : http_oom();
    if (!rc)
        rc = http_recent(t, limit, &best, &n);
    cl_txn_end(t);
    for (size_t i = 0; i < n; i++) {
        cJSON *j = rc ? NULL : cl_json_record(best[i]);
        if (!rc && !(j && cJSON_AddItemToArray(items, j)))
            rc = http_oom();
        cl_record_free(best[i]);
    }
    free(best);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* Contacts whose birthday comes within `days` (local calendar), soonest
 * first, each with "in_days" added: the today view's reminder. */
typedef struct bday {
    int in_days;
    cJSON *json;
} bday;

typedef struct bday_ctx {
    cl_txn *t;
    int horizon;
    struct tm today;
    bday *v;
    size_t n, cap;
} bday_ctx;

/* Days from today to the next occurrence of MM-DD (Feb 29 falls on Mar 1 in
 * other years: mktime normalises it); -1 when the date is not YYYY-MM-DD. */
static int days_until(const struct tm *today, const char *date)
{
    int y, m, d;
    char tail;
    if (!date || sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    struct tm t0 = *today, t1 = {.tm_year = today->tm_year, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12, .tm_isdst = -1};
    t0.tm_hour = 12, t0.tm_min = 0, t0.tm_sec = 0;
    t0.tm_isdst = -1;
    time_t a = mktime(&t0), b = mktime(&t1);
    if (b < a) {
        t1 = (struct tm){.tm_year = today->tm_year + 1, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12, .tm_isdst = -1};
        b = mktime(&t1);
    }
    return (int)((b - a + 43200) / 86400);
}

static int bday_step(void *arg, const cl_record_id *id)
{
    bday_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    int in = days_until(&c->today, r->values[CL_F_BIRTHDAY]);
    if (in >= 0 && in <= c->horizon) {
        if (cl_reserve(&c->v, &c->cap, c->n + 1, sizeof *c->v)) {
            cl_record_free(r);
            return http_oom();
        }
        cJSON *j = cl_json_record(r);
        if (!j || !cJSON_AddNumberToObject(j, "in_days", in)) {
            cJSON_Delete(j);
            cl_record_free(r);
            return http_oom();
        }
        c->v[c->n++] = (bday){in, j};
    }
    cl_record_free(r);
    return CL_OK;
}

static int bday_cmp(const void *a, const void *b)
{
    return ((const bday *)a)->in_days - ((const bday *)b)->in_days;
}

int http_api_birthdays(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    bday_ctx c = {.horizon = 30};
    if (http_query_var(query, "days", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 0 || v > 366)
            return http_send_error(conn, 400, "invalid", "days must be a number from 0 to 366");
        c.horizon = (int)v;
    }
    time_t now = (time_t)(cl_now_ms() / 1000);
    localtime_r(&now, &c.today);
    cJSON *items, *top = http_items_object(&items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : http_oom();
    if (!rc)
        rc = cl_query_list(c.t, CL_T_CONTACT, NULL, NULL, 0, bday_step, &c, NULL);
    cl_txn_end(c.t);
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, bday_cmp);
    for (size_t i = 0; i < c.n; i++)
        if (rc || !cJSON_AddItemToArray(items, c.v[i].json)) {
            cJSON_Delete(c.v[i].json);
            rc = rc ? rc : http_oom();
        }
    free(c.v);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* Records with open conflicts, every type (an addition for the Conflicts
 * view), from the store's index of them. */
static int conflict_step(void *arg, const cl_record_id *id)
{
    scan_ctx *c = arg;
    cl_record_meta m;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc || m.deleted || !m.nconflicts)
        return rc;
    c->count++;
    return c->items ? http_add_record(c->t, id, c->items) : CL_OK;
}

int http_count_conflicts(cl_txn *t, cJSON *items, size_t *count)
{
    scan_ctx c = {.t = t, .items = items};
    int rc = cl_txn_conflicted(t, conflict_step, &c);
    *count = c.count;
    return rc;
}

int http_api_conflicts(struct mg_connection *conn, cl_http *h)
{
    cJSON *items, *top = http_items_object(&items);
    cl_txn *t = NULL;
    size_t n;
    int rc = top ? cl_store_read(h->cfg.store, &t) : http_oom();
    if (!rc)
        rc = http_count_conflicts(t, items, &n);
    cl_txn_end(t);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}
