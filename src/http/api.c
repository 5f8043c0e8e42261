/* The JSON API under /api/ (DESIGN §6). Each request reads in its own read
 * transaction (LMDB's MDB_NOTLS lets civetweb's worker threads do so); writes
 * go through the model, one write transaction each. */
#include "clientele/codec.h"
#include "clientele/hlc.h"
#include "clientele/sync.h"
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_DEFAULT 200
#define LIST_MAX 1000
#define STOP 2 /* a callback's "enough": not an error */

static int oom(void)
{
    return cl_seterr(CL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ helpers */

/* Parse a body that must be one JSON object; *out owned by the caller. */
static int parse_object(const char *body, size_t len, cJSON **out)
{
    /* body[len] is a NUL that cJSON must see to refuse trailing bytes; a NUL
     * inside would hide what follows it. */
    *out = body && !memchr(body, 0, len) ? cJSON_ParseWithLengthOpts(body, len + 1, NULL, true) : NULL;
    if (!*out) /* cJSON's error pointer is a global: useless with threads */
        return cl_seterr(CL_EINVAL, "the body is not valid JSON");
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return cl_seterr(CL_EINVAL, "the body must be a JSON object");
    }
    return CL_OK;
}

/* Every key of o must be one of the NULL-terminated allowed names. */
static int only_keys(const cJSON *o, const char *const *allowed)
{
    for (const cJSON *k = o->child; k; k = k->next) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, k->string))
            a++;
        if (!*a)
            return cl_seterr(CL_EINVAL, "unexpected key \"%s\" in the body", k->string);
    }
    return CL_OK;
}

/* A query parameter, URL-decoded into out; false when absent. */
static bool query_var(const char *query, const char *name, char *out, size_t n)
{
    return query && mg_get_var(query, strlen(query), name, out, n) >= 0;
}

static cJSON *items_object(cJSON **items)
{
    cJSON *o = cJSON_CreateObject();
    *items = cJSON_AddArrayToObject(o, "items");
    if (!*items) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Load a record and append its JSON to arr. */
static int add_record(cl_txn *t, const cl_record_id *id, cJSON *arr)
{
    cl_record *r;
    int rc = cl_record_load(t, id, &r);
    if (rc)
        return rc;
    cJSON *j = cl_json_record(r);
    cl_record_free(r);
    return j && cJSON_AddItemToArray(arr, j) ? CL_OK : oom();
}

static int send_record(struct mg_connection *conn, cl_store *s, const cl_record_id *id, int status)
{
    cl_txn *t;
    cl_record *r = NULL;
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = cl_record_load(t, id, &r);
    cl_txn_end(t);
    if (!rc && r->deleted) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        rc = cl_seterr(CL_ENOTFOUND, "record %s is deleted", text);
    }
    cJSON *j = rc ? NULL : cl_json_record(r);
    cl_record_free(r);
    if (rc || !j)
        return http_send_cl_error(conn, rc ? rc : oom());
    http_send_json(conn, status, j);
    cJSON_Delete(j);
    return status;
}

/* ------------------------------------------------------------ records */

typedef struct list_ctx {
    cl_txn *t;
    cJSON *items;
    size_t limit, count;
    bool has_ref, more;
    cl_record_id ref, last;
} list_ctx;

/* Does any reference field of the record point at ref? */
static bool refers_to(const cl_record *r, const cl_record_id *ref)
{
    char want[CL_RECORD_ID_TEXT];
    cl_record_id_format(ref, want);
    size_t n;
    const cl_field_def *defs = cl_type_fields(r->type, &n);
    for (size_t i = 0; i < n; i++)
        if (defs[i].kind == CL_K_REF && r->values[defs[i].id] && !strcmp(r->values[defs[i].id], want))
            return true;
    return false;
}

static int list_step(void *arg, const cl_record_id *id)
{
    list_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    if (c->has_ref && !refers_to(r, &c->ref)) {
        cl_record_free(r);
        return CL_OK;
    }
    if (c->count == c->limit) {
        cl_record_free(r);
        c->more = true;
        return STOP;
    }
    cJSON *j = cl_json_record(r);
    cl_record_free(r);
    if (!j || !cJSON_AddItemToArray(c->items, j))
        return oom();
    c->count++;
    c->last = *id;
    return CL_OK;
}

/* Parameters of GET /api/records: type (required), q, limit, cursor, and
 * ref (an addition: records referencing the record ref). */
static int list_params(const char *query, uint8_t *type, char *q, size_t qn, list_ctx *c, cl_record_id *cursor,
                       bool *has_cursor)
{
    char buf[64];
    if (!query_var(query, "type", buf, sizeof buf))
        return cl_seterr(CL_EINVAL, "missing ?type= (company, contact, interaction, task or deal)");
    int rc = cl_type_parse(buf, type);
    if (rc)
        return rc;
    q[0] = 0;
    if (query && mg_get_var(query, strlen(query), "q", q, qn) == -2)
        return cl_seterr(CL_EINVAL, "the search text is too long (at most %zu bytes)", qn - 1);
    c->limit = LIST_DEFAULT;
    if (query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1)
            return cl_seterr(CL_EINVAL, "limit must be a positive number, not '%s'", buf);
        c->limit = v > LIST_MAX ? LIST_MAX : (size_t)v; /* more pages follow through "next" */
    }
    *has_cursor = query_var(query, "cursor", buf, sizeof buf) && buf[0];
    if (*has_cursor && (rc = cl_record_id_parse(buf, cursor)))
        return cl_wraperr(rc, "cursor");
    c->has_ref = query_var(query, "ref", buf, sizeof buf) && buf[0];
    if (c->has_ref && (rc = cl_record_id_parse(buf, &c->ref)))
        return cl_wraperr(rc, "ref");
    return CL_OK;
}

static int list_records(struct mg_connection *conn, cl_http *h, const char *query)
{
    uint8_t type;
    char q[1024];
    list_ctx c = {0};
    cl_record_id cursor;
    bool has_cursor = false;
    int rc = list_params(query, &type, q, sizeof q, &c, &cursor, &has_cursor);
    if (rc)
        return http_send_cl_error(conn, rc);
    cJSON *top = items_object(&c.items);
    if (!top)
        return http_send_cl_error(conn, oom());
    if ((rc = cl_store_read(h->cfg.store, &c.t)) == CL_OK)
        rc = cl_query_list(c.t, type, q, has_cursor ? &cursor : NULL, 0, list_step, &c, NULL);
    cl_txn_end(c.t);
    if (rc == STOP)
        rc = CL_OK;
    char next[CL_RECORD_ID_TEXT];
    cl_record_id_format(&c.last, next);
    if (!rc && !(c.more ? cJSON_AddStringToObject(top, "next", next) : cJSON_AddNullToObject(top, "next")))
        rc = oom();
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* Read {"type","fields"} / {"fields"} into assignments. */
static int body_assigns(const char *body, size_t len, bool with_type, uint8_t *type, cl_assign **a, size_t *n)
{
    static const char *const create_keys[] = {"type", "fields", NULL}, *const patch_keys[] = {"fields", NULL};
    cJSON *o;
    int rc = parse_object(body, len, &o);
    if (rc)
        return rc;
    rc = only_keys(o, with_type ? create_keys : patch_keys);
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(o, "fields");
    if (!rc && with_type && !cJSON_IsString(jt))
        rc = cl_seterr(CL_EINVAL, "\"type\" must be a string: company, contact, interaction, task or deal");
    if (!rc && with_type)
        rc = cl_type_parse(jt->valuestring, type);
    if (!rc && !jf)
        rc = cl_seterr(CL_EINVAL, "missing \"fields\" object");
    if (!rc)
        rc = cl_json_assigns(*type, jf, a, n);
    cJSON_Delete(o);
    return rc;
}

static int create_record(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    uint8_t type = CL_T_NONE;
    cl_assign *a = NULL;
    size_t n = 0;
    cl_record_id id;
    int rc = body_assigns(body, len, true, &type, &a, &n);
    if (!rc)
        rc = cl_record_put(h->cfg.store, type, NULL, a, n, &id);
    cl_assigns_free(a, n);
    if (rc)
        return http_send_cl_error(conn, rc);
    return send_record(conn, h->cfg.store, &id, 201);
}

static int record_meta(cl_store *s, const cl_record_id *id, cl_record_meta *m)
{
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = cl_txn_record(t, id, m);
    cl_txn_end(t);
    return rc;
}

/* PATCH of a deleted record restores it (the model's rule): that is how the
 * page's "undo" of a delete works. */
static int patch_record(struct mg_connection *conn, cl_http *h, const cl_record_id *id, const char *body, size_t len)
{
    cl_record_meta m;
    int rc = record_meta(h->cfg.store, id, &m);
    if (rc)
        return http_send_cl_error(conn, rc);
    uint8_t type = m.type;
    cl_assign *a = NULL;
    size_t n = 0;
    rc = body_assigns(body, len, false, &type, &a, &n);
    if (!rc)
        rc = cl_record_put(h->cfg.store, type, id, a, n, NULL);
    cl_assigns_free(a, n);
    if (rc)
        return http_send_cl_error(conn, rc);
    return send_record(conn, h->cfg.store, id, 200);
}

static int delete_record(struct mg_connection *conn, cl_http *h, const cl_record_id *id)
{
    cl_record_meta m;
    int rc = record_meta(h->cfg.store, id, &m);
    if (!rc && m.deleted)
        rc = cl_seterr(CL_ENOTFOUND, "the record is already deleted");
    if (!rc)
        rc = cl_record_delete(h->cfg.store, id);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

static int history_step(void *arg, const cl_change *ch)
{
    cJSON *j = cl_json_change(ch);
    return j && cJSON_AddItemToArray(arg, j) ? CL_OK : oom();
}

static int record_history(struct mg_connection *conn, cl_http *h, const cl_record_id *id)
{
    cJSON *items, *top = items_object(&items);
    cl_txn *t = NULL;
    cl_record_meta m;
    int rc = top ? cl_store_read(h->cfg.store, &t) : oom();
    if (!rc)
        rc = cl_txn_record(t, id, &m);
    if (!rc)
        rc = cl_history(t, id, history_step, items);
    cl_txn_end(t);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* /api/records/ID[/history] */
static int record_route(struct mg_connection *conn, cl_http *h, const char *method, const char *rest,
                        const char *body, size_t len)
{
    char idtext[64];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    snprintf(idtext, sizeof idtext, "%.*s", (int)(n < 63 ? n : 63), rest);
    cl_record_id id;
    int rc = cl_record_id_parse(idtext, &id);
    if (rc)
        return http_send_error(conn, 404, "not_found", "no record %s: %s", idtext, cl_errmsg());
    if (slash && !strcmp(slash, "/history"))
        return strcmp(method, "GET") ? http_send_error(conn, 405, "method", "use GET") : record_history(conn, h, &id);
    if (slash)
        return http_send_error(conn, 404, "not_found", "no such API path");
    if (!strcmp(method, "GET"))
        return send_record(conn, h->cfg.store, &id, 200);
    if (!strcmp(method, "PATCH"))
        return patch_record(conn, h, &id, body, len);
    if (!strcmp(method, "DELETE"))
        return delete_record(conn, h, &id);
    return http_send_error(conn, 405, "method", "use GET, PATCH or DELETE");
}

/* ------------------------------------------------------------ views */

static int add_step(void *arg, const cl_record_id *id)
{
    list_ctx *c = arg;
    return add_record(c->t, id, c->items);
}

static int due(struct mg_connection *conn, cl_http *h)
{
    list_ctx c = {0};
    cJSON *top = items_object(&c.items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : oom();
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
    int rc = c.best ? cl_query_list(t, CL_T_INTERACTION, NULL, NULL, 0, recent_step, &c, NULL) : oom();
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

static int recent(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    size_t limit = 10, n = 0;
    if (query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1 || v > 200)
            return http_send_error(conn, 400, "invalid", "limit must be a number from 1 to 200");
        limit = (size_t)v;
    }
    cl_record **best = NULL;
    cl_txn *t = NULL;
    cJSON *items, *top = items_object(&items);
    int rc = top ? cl_store_read(h->cfg.store, &t) : oom();
    if (!rc)
        rc = http_recent(t, limit, &best, &n);
    cl_txn_end(t);
    for (size_t i = 0; i < n; i++) {
        cJSON *j = rc ? NULL : cl_json_record(best[i]);
        if (!rc && !(j && cJSON_AddItemToArray(items, j)))
            rc = oom();
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
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            bday *v = realloc(c->v, cap * sizeof *v);
            if (!v) {
                cl_record_free(r);
                return oom();
            }
            c->v = v, c->cap = cap;
        }
        cJSON *j = cl_json_record(r);
        if (!j || !cJSON_AddNumberToObject(j, "in_days", in)) {
            cJSON_Delete(j);
            cl_record_free(r);
            return oom();
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

static int birthdays(struct mg_connection *conn, cl_http *h, const char *query)
{
    char buf[32];
    bday_ctx c = {.horizon = 30};
    if (query_var(query, "days", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 0 || v > 366)
            return http_send_error(conn, 400, "invalid", "days must be a number from 0 to 366");
        c.horizon = (int)v;
    }
    time_t now = (time_t)(cl_now_ms() / 1000);
    localtime_r(&now, &c.today);
    cJSON *items, *top = items_object(&items);
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : oom();
    if (!rc)
        rc = cl_query_list(c.t, CL_T_CONTACT, NULL, NULL, 0, bday_step, &c, NULL);
    cl_txn_end(c.t);
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, bday_cmp);
    for (size_t i = 0; i < c.n; i++)
        if (rc || !cJSON_AddItemToArray(items, c.v[i].json)) {
            cJSON_Delete(c.v[i].json);
            rc = rc ? rc : oom();
        }
    free(c.v);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* Records with open conflicts, every type (an addition for the Conflicts
 * view). A scan of the record metas: cheap next to loading records. */
static int conflict_step(void *arg, const cl_record_id *id)
{
    list_ctx *c = arg;
    cl_record_meta m;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc || m.deleted || !m.nconflicts)
        return rc;
    c->count++;
    return c->items ? add_record(c->t, id, c->items) : CL_OK;
}

static int count_conflicts(cl_txn *t, cJSON *items, size_t *count)
{
    list_ctx c = {.t = t, .items = items};
    int rc = CL_OK;
    for (uint8_t type = 1; !rc && type <= CL_T_MAX; type++)
        rc = cl_txn_records(t, type, NULL, conflict_step, &c);
    *count = c.count;
    return rc;
}

static int conflicts(struct mg_connection *conn, cl_http *h)
{
    cJSON *items, *top = items_object(&items);
    cl_txn *t = NULL;
    size_t n;
    int rc = top ? cl_store_read(h->cfg.store, &t) : oom();
    if (!rc)
        rc = count_conflicts(t, items, &n);
    cl_txn_end(t);
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, top);
    cJSON_Delete(top);
    return st;
}

/* ------------------------------------------------------------ devices */

static bool add_ms(cJSON *o, const char *name, uint64_t ms)
{
    if (!ms)
        return cJSON_AddNullToObject(o, name) != NULL;
    char iso[32];
    cl_format_iso(ms, iso);
    return cJSON_AddStringToObject(o, name, iso) != NULL;
}

static cJSON *peer_json(const cl_peer *p)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&p->id, id);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "name", p->name) &&
              cJSON_AddStringToObject(o, "addr", p->addr) && add_ms(o, "added", p->added_ms) &&
              add_ms(o, "last_sync", p->last_sync_ms) && add_ms(o, "last_attempt", p->last_attempt_ms) &&
              cJSON_AddNumberToObject(o, "last_sent", (double)p->last_sent) &&
              cJSON_AddNumberToObject(o, "last_received", (double)p->last_received) &&
              cJSON_AddNumberToObject(o, "failures", p->failures) &&
              cJSON_AddStringToObject(o, "last_error", p->last_error);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *pending_json(const cl_pending *p)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&p->id, id);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "name", p->name) &&
              cJSON_AddStringToObject(o, "addr", p->addr) && add_ms(o, "first", p->first_ms) &&
              add_ms(o, "last", p->last_ms) && cJSON_AddNumberToObject(o, "attempts", p->attempts);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Add "peers" and "pending" arrays to o. */
static int add_peers(cJSON *o, cl_store *s)
{
    cl_peer *peers = NULL;
    cl_pending *pend = NULL;
    size_t np = 0, nq = 0;
    int rc = cl_peer_list(s, &peers, &np);
    if (!rc)
        rc = cl_pending_list(s, &pend, &nq);
    cJSON *a = rc ? NULL : cJSON_AddArrayToObject(o, "peers");
    cJSON *b = rc ? NULL : cJSON_AddArrayToObject(o, "pending");
    if (!rc && !(a && b))
        rc = oom();
    for (size_t i = 0; !rc && i < np; i++) {
        cJSON *j = peer_json(&peers[i]);
        rc = j && cJSON_AddItemToArray(a, j) ? CL_OK : oom();
    }
    for (size_t i = 0; !rc && i < nq; i++) {
        cJSON *j = pending_json(&pend[i]);
        rc = j && cJSON_AddItemToArray(b, j) ? CL_OK : oom();
    }
    free(peers);
    free(pend);
    return rc;
}

static int status_fill(cJSON *o, cl_http *h)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(cl_store_self(h->cfg.store), id);
    cl_txn *t;
    int rc = cl_store_read(h->cfg.store, &t);
    if (rc)
        return rc;
    const void *v;
    size_t n, nconf = 0;
    char name[CL_PEER_NAME_MAX + 1] = "";
    if (cl_txn_kv_get(t, CL_TAB_META, "name", 4, &v, &n) == CL_OK)
        snprintf(name, sizeof name, "%.*s", (int)(n < CL_PEER_NAME_MAX ? n : CL_PEER_NAME_MAX), (const char *)v);
    uint64_t ops = cl_txn_op_count(t);
    rc = count_conflicts(t, NULL, &nconf);
    cl_txn_end(t);
    if (rc)
        return rc;
    bool ok = cJSON_AddStringToObject(o, "device_id", id) && cJSON_AddStringToObject(o, "name", name) &&
              cJSON_AddNumberToObject(o, "op_count", (double)ops) &&
              cJSON_AddNumberToObject(o, "conflicts", (double)nconf) &&
              cJSON_AddBoolToObject(o, "can_sync", h->cfg.sync_now != NULL);
    return ok ? add_peers(o, h->cfg.store) : oom();
}

static int status(struct mg_connection *conn, cl_http *h)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? status_fill(o, h) : oom();
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, o);
    cJSON_Delete(o);
    return st;
}

static int peers_get(struct mg_connection *conn, cl_http *h)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? add_peers(o, h->cfg.store) : oom();
    /* "items" is the peers array, as every list of the API. */
    if (!rc)
        cJSON_AddItemReferenceToObject(o, "items", cJSON_GetObjectItem(o, "peers"));
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, o);
    cJSON_Delete(o);
    return st;
}

/* An optional string member: NULL when absent; CL_EINVAL when not a short
 * single-line string. */
static int opt_string(const cJSON *o, const char *key, size_t max, const char **out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!j || cJSON_IsNull(j))
        return CL_OK;
    if (!cJSON_IsString(j))
        return cl_seterr(CL_EINVAL, "\"%s\" must be a string", key);
    size_t n = strlen(j->valuestring);
    if (n > max || !cl_utf8_valid(j->valuestring, n) || strchr(j->valuestring, '\n'))
        return cl_seterr(CL_EINVAL, "\"%s\" must be one line of at most %zu bytes", key, max);
    *out = j->valuestring;
    return CL_OK;
}

static int peers_post(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"id", "addr", "name", NULL};
    cJSON *o;
    int rc = parse_object(body, len, &o);
    const cJSON *jid = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "id");
    const char *addr = NULL, *name = NULL;
    cl_device_id dev;
    if (!rc)
        rc = only_keys(o, keys);
    if (!rc && !cJSON_IsString(jid))
        rc = cl_seterr(CL_EINVAL, "\"id\" must be the other device's id (a string)");
    if (!rc)
        rc = cl_device_id_parse(jid->valuestring, &dev);
    if (!rc && !memcmp(&dev, cl_store_self(h->cfg.store), sizeof dev))
        rc = cl_seterr(CL_EINVAL, "that is this device's own id");
    if (!rc)
        rc = opt_string(o, "addr", CL_PEER_ADDR_MAX, &addr);
    if (!rc)
        rc = opt_string(o, "name", CL_PEER_NAME_MAX, &name);
    if (!rc)
        rc = cl_peer_add(h->cfg.store, &dev, addr, name);
    cl_peer p;
    cl_txn *t = NULL;
    if (!rc && (rc = cl_store_read(h->cfg.store, &t)) == CL_OK)
        rc = cl_peer_get(t, &dev, &p);
    cl_txn_end(t);
    cJSON_Delete(o);
    cJSON *j = rc ? NULL : peer_json(&p);
    int st = rc || !j ? http_send_cl_error(conn, rc ? rc : oom()) : http_send_json(conn, 201, j);
    cJSON_Delete(j);
    return st;
}

/* DELETE /api/peers/ID (unpair) and /api/pending/ID (refuse a request). */
static int device_delete(struct mg_connection *conn, cl_http *h, const char *idtext, bool pending)
{
    cl_device_id dev;
    int rc = cl_device_id_parse(idtext, &dev);
    if (rc)
        return http_send_error(conn, 404, "not_found", "no device %s: %s", idtext, cl_errmsg());
    rc = pending ? cl_pending_remove(h->cfg.store, &dev) : cl_peer_remove(h->cfg.store, &dev);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

static int sync_now(struct mg_connection *conn, cl_http *h)
{
    if (!h->cfg.sync_now)
        return http_send_error(conn, 503, "unavailable", "this process does not sync (serve without sync)");
    h->cfg.sync_now(h->cfg.sync_ctx);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "started", true);
    http_send_json(conn, 202, o);
    cJSON_Delete(o);
    return 202;
}

/* ------------------------------------------------------------ routing */

static int wrong_method(struct mg_connection *conn, const char *allowed)
{
    return http_send_error(conn, 405, "method", "use %s", allowed);
}

int http_api(struct mg_connection *conn, cl_http *h, const char *method, const char *path, const char *query,
             const char *body, size_t len)
{
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    const char *p = path + 4; /* after "/api" */
    if (!strcmp(p, "/records"))
        return get ? list_records(conn, h, query) : post ? create_record(conn, h, body, len) : wrong_method(conn, "GET or POST");
    if (!strncmp(p, "/records/", 9))
        return record_route(conn, h, method, p + 9, body, len);
    if (!strcmp(p, "/due"))
        return get ? due(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/recent"))
        return get ? recent(conn, h, query) : wrong_method(conn, "GET");
    if (!strcmp(p, "/birthdays"))
        return get ? birthdays(conn, h, query) : wrong_method(conn, "GET");
    if (!strcmp(p, "/conflicts"))
        return get ? conflicts(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/status"))
        return get ? status(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/peers"))
        return get ? peers_get(conn, h) : post ? peers_post(conn, h, body, len) : wrong_method(conn, "GET or POST");
    if (!strncmp(p, "/peers/", 7))
        return !strcmp(method, "DELETE") ? device_delete(conn, h, p + 7, false) : wrong_method(conn, "DELETE");
    if (!strncmp(p, "/pending/", 9))
        return !strcmp(method, "DELETE") ? device_delete(conn, h, p + 9, true) : wrong_method(conn, "DELETE");
    if (!strcmp(p, "/sync"))
        return post ? sync_now(conn, h) : wrong_method(conn, "POST");
    return http_send_error(conn, 404, "not_found", "no such API path: %s", path);
}
