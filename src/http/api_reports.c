/* GET /api/reports: the Reports view's numbers as the model sums them
 * (reports.c) — the page draws them and shows them, never sums on its own:
 * {"pipeline":[{"stage","count","sums":[{"currency","amount"}]}],
 *  "closing":[{"month","count","sums"}], "outcomes":[{"month","won":{…},
 *  "lost":{…}}], "interactions":[{"month","count"}]}. An amount is a decimal
 * string ("1300.5"); "overflow":true marks a tally whose sums are partial. */
#include "http/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* 13005000 units → "1300.5" */
static void amount_text(int64_t units, char out[32])
{
    uint64_t u = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    uint64_t whole = u / CL_REPORT_SCALE, frac = u % CL_REPORT_SCALE;
    int n = snprintf(out, 32, "%s%" PRIu64, units < 0 ? "-" : "", whole);
    if (frac) {
        snprintf(out + n, 32 - (size_t)n, ".%0*" PRIu64, CL_REPORT_SCALE_DIGITS, frac);
        for (size_t k = strlen(out); out[k - 1] == '0'; k--)
            out[k - 1] = 0;
    }
}

static bool add_tally(cJSON *o, const cl_tally *t)
{
    cJSON *sums = cJSON_AddArrayToObject(o, "sums");
    bool ok = sums && cJSON_AddNumberToObject(o, "count", t->count) && (!t->overflow || cJSON_AddTrueToObject(o, "overflow"));
    for (size_t i = 0; ok && i < t->nsums; i++) {
        char text[32];
        amount_text(t->sums[i].units, text);
        cJSON *s = cJSON_CreateObject();
        ok = s && cJSON_AddItemToArray(sums, s) && cJSON_AddStringToObject(s, "currency", t->sums[i].currency) &&
             cJSON_AddStringToObject(s, "amount", text);
    }
    return ok;
}

static bool add_month(cJSON *arr, const char *month, cJSON **row)
{
    *row = cJSON_CreateObject();
    return *row && cJSON_AddItemToArray(arr, *row) && cJSON_AddStringToObject(*row, "month", month);
}

static bool report_json(cJSON *top, const cl_report *r)
{
    cJSON *p = cJSON_AddArrayToObject(top, "pipeline"), *c = cJSON_AddArrayToObject(top, "closing");
    cJSON *o = cJSON_AddArrayToObject(top, "outcomes"), *n = cJSON_AddArrayToObject(top, "interactions"), *row;
    bool ok = p && c && o && n;
    for (size_t i = 0; ok && i < CL_REPORT_STAGES; i++) {
        row = cJSON_CreateObject();
        ok = row && cJSON_AddItemToArray(p, row) && cJSON_AddStringToObject(row, "stage", cl_report_stage(i)) &&
             add_tally(row, &r->stages[i]);
    }
    for (size_t i = 0; ok && i < r->nclosing; i++)
        ok = add_month(c, r->closing[i].month, &row) && add_tally(row, &r->closing[i].tally);
    for (size_t i = 0; ok && i < r->noutcomes; i++) {
        cJSON *won, *lost;
        ok = add_month(o, r->outcomes[i].month, &row) && (won = cJSON_AddObjectToObject(row, "won")) &&
             (lost = cJSON_AddObjectToObject(row, "lost")) && add_tally(won, &r->outcomes[i].won) &&
             add_tally(lost, &r->outcomes[i].lost);
    }
    for (size_t i = 0; ok && i < r->ninteractions; i++)
        ok = add_month(n, r->interactions[i].month, &row) && cJSON_AddNumberToObject(row, "count", r->interactions[i].count);
    return ok;
}

int http_api_reports(struct mg_connection *conn, cl_http *h)
{
    cJSON *top = cJSON_CreateObject();
    cl_txn *t = NULL;
    cl_report r;
    int rc = top ? cl_store_read(h->cfg.store, &t) : http_oom();
    if (!rc)
        rc = cl_report_build(t, &r);
    cl_txn_end(t);
    if (!rc) {
        if (!report_json(top, &r))
            rc = http_oom();
        cl_report_free(&r);
    }
    return http_send_result(conn, rc, top);
}
