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
    return http_send_result(conn, rc, top);
}

int http_api_recent(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    size_t limit = 10;
    if (http_query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1 || v > 200)
            return http_send_error(conn, 400, "invalid", "limit must be a number from 1 to 200");
        limit = (size_t)v;
    }
    scan_ctx c = {0};
    cJSON *top = http_items_object(&c.items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : http_oom();
    if (!rc)
        rc = cl_query_recent(c.t, limit, add_step, &c);
    cl_txn_end(c.t);
    return http_send_result(conn, rc, top);
}

/* Contacts whose birthday comes within `days`, soonest first, each with
 * "in_days" added: the today view's reminder. */
static int bday_step(void *arg, const cl_record_id *id, int in_days)
{
    scan_ctx *c = arg;
    int rc = http_add_record(c->t, id, c->items);
    cJSON *last = rc ? NULL : cJSON_GetArrayItem(c->items, cJSON_GetArraySize(c->items) - 1);
    if (!rc && !cJSON_AddNumberToObject(last, "in_days", in_days))
        rc = http_oom();
    return rc;
}

int http_api_birthdays(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    int days = 30;
    if (http_query_var(query, "days", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 0 || v > 366)
            return http_send_error(conn, 400, "invalid", "days must be a number from 0 to 366");
        days = (int)v;
    }
    scan_ctx c = {0};
    cJSON *top = http_items_object(&c.items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : http_oom();
    if (!rc)
        rc = cl_query_birthdays(c.t, days, bday_step, &c);
    cl_txn_end(c.t);
    return http_send_result(conn, rc, top);
}

/* Records with open conflicts, every type (an addition for the Conflicts
 * view): the model's query. */
static int conflict_step(void *arg, const cl_record_id *id)
{
    scan_ctx *c = arg;
    c->count++;
    return c->items ? http_add_record(c->t, id, c->items) : CL_OK;
}

int http_count_conflicts(cl_txn *t, cJSON *items, size_t *count)
{
    scan_ctx c = {.t = t, .items = items};
    int rc = cl_query_conflicted(t, conflict_step, &c);
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
    return http_send_result(conn, rc, top);
}
