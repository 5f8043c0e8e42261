/* GET /api/today: the today view in one answer, a section per question of
 * the model (agenda.c), each with its count and its first `limit` records,
 * plus the names of the records they refer to — so that the page draws
 * Today from one request whatever the number of rows. */
#include "clientele/codec.h"
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TODAY_LIMIT 50          /* records per section unless ?limit= says */
#define TODAY_LIMIT_MAX 500
#define OCCASION_DAYS 30
#define RECENT 10

typedef struct section {
    cl_txn *t;
    cJSON *items;
    cJSON *names;               /* id → {"type","label",…}: shared by all sections */
    size_t count, limit;
    cJSON *last;                /* the record just added; NULL when over the limit */
} section;

/* names[id] = {"type","label"} — for a deal also its stage and value, for a
 * contact its company (named too): what a row shows beside a reference. */
int http_add_name(cl_txn *t, cJSON *names, const char *id)
{
    cl_record_id rid;
    cl_record *r;
    if (cJSON_GetObjectItemCaseSensitive(names, id) || cl_record_id_parse(id, &rid))
        return CL_OK;
    int rc = cl_record_load(t, &rid, &r);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    cJSON *n = cJSON_AddObjectToObject(names, id);
    bool ok = n && cJSON_AddStringToObject(n, "type", cl_type_name(r->type)) &&
              cJSON_AddStringToObject(n, "label", cl_record_label(r)) && (!r->deleted || cJSON_AddTrueToObject(n, "deleted"));
    static const uint8_t shown[] = {CL_F_STAGE, CL_F_AMOUNT, CL_F_CURRENCY};
    for (size_t i = 0; ok && r->type == CL_T_DEAL && i < sizeof shown; i++)
        if (r->values[shown[i]])
            ok = cJSON_AddStringToObject(n, cl_field_by_id(r->type, shown[i])->name, r->values[shown[i]]) != NULL;
    char company[CL_RECORD_ID_TEXT] = "";
    if (ok && r->type == CL_T_CONTACT && r->values[CL_F_COMPANY]) {
        snprintf(company, sizeof company, "%s", r->values[CL_F_COMPANY]);
        ok = cJSON_AddStringToObject(n, "company", company) != NULL;
    }
    cl_record_free(r);
    rc = ok ? CL_OK : http_oom();
    return !rc && *company ? http_add_name(t, names, company) : rc;
}

/* Count the record; while under the limit, add it and the names of what it
 * refers to. */
static int section_add(section *s, const cl_record_id *id)
{
    s->last = NULL;
    if (s->count++ >= s->limit)
        return CL_OK;
    cl_record *r;
    int rc = cl_record_load(s->t, id, &r);
    if (rc)
        return rc;
    cJSON *j = cl_json_record(r);
    if (!j || !cJSON_AddItemToArray(s->items, j))
        rc = (cJSON_Delete(j), http_oom());
    else
        s->last = j;
    size_t n;
    const cl_field_def *f = cl_type_fields(r->type, &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (f[i].kind == CL_K_REF && r->values[f[i].id])
            rc = http_add_name(s->t, s->names, r->values[f[i].id]);
    cl_record_free(r);
    return rc;
}

static int plain_step(void *arg, const cl_record_id *id)
{
    return section_add(arg, id);
}

/* The record just added gets a number (days late, days in stage, …). */
static int note_number(section *s, const char *name, double v)
{
    return !s->last || cJSON_AddNumberToObject(s->last, name, v) ? CL_OK : http_oom();
}

static int stuck_step(void *arg, const cl_record_id *id, int days)
{
    int rc = section_add(arg, id);
    return rc ? rc : note_number(arg, "days_in_stage", days);
}

static int touch_step(void *arg, const cl_touch *tc)
{
    section *s = arg;
    int rc = section_add(s, &tc->id);
    if (!rc && s->last && *tc->last && !cJSON_AddStringToObject(s->last, "last_contact", tc->last))
        rc = http_oom();
    if (!rc)
        rc = note_number(s, "days_since", tc->days_since);
    return rc;
}

static int occasion_step(void *arg, const cl_occasion *o)
{
    section *s = arg;
    int rc = section_add(s, &o->id);
    if (!rc && s->last && !cJSON_AddStringToObject(s->last, "occasion", o->field == CL_F_BIRTHDAY ? "birthday" : "anniversary"))
        rc = http_oom();
    if (!rc)
        rc = note_number(s, "in_days", o->in_days);
    if (!rc && o->years)
        rc = note_number(s, "years", o->years);
    return rc;
}

/* {"count":N,"items":[…]} under top[name], ready to be filled. */
static int section_open(cJSON *top, const char *name, cl_txn *t, cJSON *names, size_t limit, section *s)
{
    cJSON *o = cJSON_AddObjectToObject(top, name);
    *s = (section){.t = t, .names = names, .limit = limit, .items = o ? cJSON_AddArrayToObject(o, "items") : NULL};
    return s->items ? CL_OK : http_oom();
}

static int section_close(cJSON *top, const char *name, const section *s)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(top, name);
    return cJSON_AddNumberToObject(o, "count", (double)s->count) ? CL_OK : http_oom();
}

static int fill(cJSON *top, cl_txn *t, size_t limit)
{
    char today[11], yesterday[11], tomorrow[11], week[11], promised[11];
    cl_today(today);
    cl_day_offset(-1, yesterday);
    cl_day_offset(1, tomorrow);
    cl_day_offset(CL_WEEK_DAYS, week);
    cl_day_offset(CL_PROMISE_DAYS, promised);
    cJSON *names = cJSON_CreateObject();
    if (!names || !cJSON_AddStringToObject(top, "date", today))
        return (cJSON_Delete(names), http_oom());
    section s;
    int rc = CL_OK;
#define SECTION(name, lim, call)                                                     \
    if (!rc && !(rc = section_open(top, name, t, names, lim, &s)) && !(rc = (call))) \
        rc = section_close(top, name, &s);
    SECTION("due_today", limit, cl_query_tasks_due(t, today, today, plain_step, &s))
    SECTION("overdue", limit, cl_query_tasks_due(t, NULL, yesterday, plain_step, &s))
    SECTION("this_week", limit, cl_query_tasks_due(t, tomorrow, week, plain_step, &s))
    SECTION("promises", limit, cl_query_promises(t, promised, plain_step, &s))
    SECTION("stuck", limit, cl_query_stuck(t, CL_STUCK_DAYS, stuck_step, &s))
    SECTION("get_back_to", limit, cl_query_keep_in_touch(t, touch_step, &s))
    SECTION("occasions", limit, cl_query_occasions(t, OCCASION_DAYS, occasion_step, &s))
    SECTION("recent", RECENT, cl_query_recent(t, RECENT, plain_step, &s))
#undef SECTION
    if (!cJSON_AddItemToObject(top, "names", names))
        return (cJSON_Delete(names), rc ? rc : http_oom());
    return rc;
}

int http_api_today(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    size_t limit = TODAY_LIMIT;
    if (http_query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1 || v > TODAY_LIMIT_MAX)
            return http_send_error(conn, 400, "invalid", "limit must be a number from 1 to %d", TODAY_LIMIT_MAX);
        limit = (size_t)v;
    }
    cJSON *top = cJSON_CreateObject();
    cl_txn *t = NULL;
    int rc = top ? cl_store_read(h->cfg.store, &t) : http_oom();
    if (!rc)
        rc = fill(top, t, limit);
    cl_txn_end(t);
    return http_send_result(conn, rc, top);
}
