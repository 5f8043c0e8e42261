/* The JSON API under /api/ (DESIGN §6): shared helpers, routing and the
 * records endpoints; the views (due, recent, birthdays, conflicts) are in
 * api_views.c, the devices (status, peers, sync) in api_devices.c and the
 * DAV clients (app passwords) in api_dav_clients.c. Each
 * request reads in its own read transaction (LMDB's MDB_NOTLS lets
 * civetweb's worker threads do so); writes go through the model, one write
 * transaction each. */
#include "clientele/codec.h"
#include "http/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 200
#define LIST_MAX 1000

int http_oom(void)
{
    return cl_seterr(CL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ helpers */

/* Parse a body that must be one JSON object; *out owned by the caller. */
int http_parse_object(const char *body, size_t len, cJSON **out)
{
    /* body[len] is a NUL that cJSON must see to refuse trailing bytes; a NUL
     * inside would hide what follows it. */
    *out = NULL;
    if (body && cl_json_check(body, len))
        return CL_EINVAL; /* too deep for cJSON's recursion, or a \u0000 */
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
int http_only_keys(const cJSON *o, const char *const *allowed)
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
bool http_query_var(const char *query, const char *name, char *out, size_t n)
{
    return query && mg_get_var(query, strlen(query), name, out, n) >= 0;
}

cJSON *http_items_object(cJSON **items)
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
int http_add_record(cl_txn *t, const cl_record_id *id, cJSON *arr)
{
    cl_record *r;
    int rc = cl_record_load(t, id, &r);
    if (rc)
        return rc;
    cJSON *j = cl_json_record(r);
    cl_record_free(r);
    return j && cJSON_AddItemToArray(arr, j) ? CL_OK : http_oom();
}

/* with_deleted: a deleted record is sent ("deleted":true) rather than 404, so
 * that the page can show what happened to it (GET …?deleted=1). */
static int send_record_opt(struct mg_connection *conn, cl_store *s, const cl_record_id *id, int status,
                           bool with_deleted)
{
    cl_txn *t;
    cl_record *r = NULL;
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = cl_record_load(t, id, &r);
    cl_txn_end(t);
    if (!rc && r->deleted && !with_deleted) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        rc = cl_seterr(CL_ENOTFOUND, "record %s is deleted", text);
    }
    cJSON *j = rc ? NULL : cl_json_record(r);
    cl_record_free(r);
    if (rc || !j)
        return http_send_cl_error(conn, rc ? rc : http_oom());
    http_send_json(conn, status, j);
    cJSON_Delete(j);
    return status;
}

static int send_record(struct mg_connection *conn, cl_store *s, const cl_record_id *id, int status)
{
    return send_record_opt(conn, s, id, status, false);
}

/* ------------------------------------------------------------ records */

typedef struct list_ctx {
    cl_txn *t;
    cJSON *items;
    size_t limit, count;
    bool has_ref, more, by_name;
    cl_record_id ref, last;
    cl_list_pos pos;            /* by name: the cursor given */
    char stage[16];             /* ?stage= of deals: only those ("" all) */
    cJSON *names;               /* ?names=1: what the records refer to, named */
} list_ctx;

static int list_step(void *arg, const cl_record_id *id)
{
    list_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    /* a deal without a stage is a lead, as the pipeline and the reports say */
    if (c->stage[0] && strcmp(r->values[CL_F_STAGE] ? r->values[CL_F_STAGE] : "lead", c->stage))
        return cl_record_free(r), CL_OK;
    if (c->count == c->limit) {
        cl_record_free(r);
        c->more = true;
        return CL_STOP;
    }
    cJSON *j = cl_json_record(r);
    size_t n;
    const cl_field_def *f = cl_type_fields(r->type, &n);
    for (size_t i = 0; !rc && c->names && i < n; i++)
        if (f[i].kind == CL_K_REF && r->values[f[i].id])
            rc = http_add_name(c->t, c->names, r->values[f[i].id]);
    cl_record_free(r);
    if (!j || !cJSON_AddItemToArray(c->items, j))
        return (cJSON_Delete(j), http_oom());
    c->count++;
    c->last = *id;
    return rc;
}

/* A cursor in name order: "n", the name key in hex, the id. */
#define NAME_CURSOR_LEN (1 + 2 * CL_NAME_KEY + CL_RECORD_ID_TEXT - 1)

static void name_cursor_format(const cl_list_pos *p, char out[NAME_CURSOR_LEN + 1])
{
    out[0] = 'n';
    for (size_t i = 0; i < CL_NAME_KEY; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", p->key[i]);
    cl_record_id_format(&p->id, out + 1 + 2 * CL_NAME_KEY);
}

static int name_cursor_parse(const char *s, cl_list_pos *p)
{
    if (strlen(s) != NAME_CURSOR_LEN || s[0] != 'n')
        return cl_seterr(CL_EINVAL, "cursor: not one of a list by name (give the \"next\" of the page before)");
    for (size_t i = 0; i < CL_NAME_KEY; i++) {
        unsigned v;
        if (sscanf(s + 1 + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)s[2 + 2 * i]))
            return cl_seterr(CL_EINVAL, "cursor: damaged");
        p->key[i] = (unsigned char)v;
    }
    return cl_wraperr(cl_record_id_parse(s + 1 + 2 * CL_NAME_KEY, &p->id), "cursor");
}

/* Parameters of GET /api/records: type (required), q, limit, cursor, and
 * the additions ref (records referencing the record ref), sort=name
 * (companies and contacts in name order; its cursors are positions in it)
 * and stage (deals in one stage: the pipeline's columns, a page each). */
static int list_params(const char *query, uint8_t *type, char *q, size_t qn, list_ctx *c, cl_record_id *cursor,
                       bool *has_cursor)
{
    char buf[64];
    if (!http_query_var(query, "type", buf, sizeof buf))
        return cl_seterr(CL_EINVAL, "missing ?type= (company, contact, interaction, task or deal)");
    int rc = cl_type_parse(buf, type);
    if (rc)
        return rc;
    q[0] = 0;
    if (query && mg_get_var(query, strlen(query), "q", q, qn) == -2)
        return cl_seterr(CL_EINVAL, "the search text is too long (at most %zu bytes)", qn - 1);
    c->limit = LIST_DEFAULT;
    if (http_query_var(query, "limit", buf, sizeof buf)) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (*end || v < 1)
            return cl_seterr(CL_EINVAL, "limit must be a positive number, not '%s'", buf);
        c->limit = v > LIST_MAX ? LIST_MAX : (size_t)v; /* more pages follow through "next" */
    }
    if (http_query_var(query, "sort", buf, sizeof buf) && strcmp(buf, "id")) {
        if (strcmp(buf, "name"))
            return cl_seterr(CL_EINVAL, "sort must be name or id, not '%s'", buf);
        if (*type != CL_T_COMPANY && *type != CL_T_CONTACT)
            return cl_seterr(CL_EINVAL, "only companies and contacts are listed by name");
        c->by_name = true;
    }
    *has_cursor = http_query_var(query, "cursor", buf, sizeof buf) && buf[0];
    if (*has_cursor && (rc = c->by_name ? name_cursor_parse(buf, &c->pos) : cl_record_id_parse(buf, cursor)))
        return c->by_name ? rc : cl_wraperr(rc, "cursor");
    c->has_ref = http_query_var(query, "ref", buf, sizeof buf) && buf[0];
    if (c->has_ref && (rc = cl_record_id_parse(buf, &c->ref)))
        return cl_wraperr(rc, "ref");
    if (c->has_ref && c->by_name)
        return cl_seterr(CL_EINVAL, "?ref= and ?sort=name do not go together");
    if (http_query_var(query, "stage", c->stage, sizeof c->stage) && c->stage[0]) {
        if (*type != CL_T_DEAL)
            return cl_seterr(CL_EINVAL, "only deals have a stage");
        const char *const *k = cl_field_by_id(CL_T_DEAL, CL_F_STAGE)->choices;
        while (*k && strcmp(*k, c->stage))
            k++;
        if (!*k)
            return cl_seterr(CL_EINVAL, "stage must be lead, proposal, negotiation, won or lost, not '%s'", c->stage);
    }
    return CL_OK;
}

/* ?ref=ID: the records of a type that refer to ID, from the model's
 * reference index (in id order, like every list, so cursors work alike). */
typedef struct related_ctx {
    list_ctx *list;
    uint8_t type;
    const cl_record_id *after;
    cl_record_id last;
    bool any;
} related_ctx;

static int related_step(void *arg, const cl_record_id *id, uint8_t field)
{
    (void)field;
    related_ctx *c = arg;
    cl_record_meta m;
    /* a record referring through two fields is listed once */
    if ((c->any && !memcmp(c->last.b, id->b, CL_RECORD_ID_LEN)) ||
        (c->after && memcmp(id->b, c->after->b, CL_RECORD_ID_LEN) <= 0))
        return CL_OK;
    c->any = true;
    c->last = *id;
    int rc = cl_txn_record(c->list->t, id, &m);
    return rc ? rc : m.type == c->type ? list_step(c->list, id) : CL_OK;
}

static int related_list(list_ctx *c, uint8_t type, const char *q, const cl_record_id *after)
{
    if (q[0])
        return cl_seterr(CL_EINVAL, "?ref= and ?q= do not go together");
    related_ctx r = {.list = c, .type = type, .after = after};
    return cl_query_related(c->t, &c->ref, related_step, &r);
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
    cJSON *top = http_items_object(&c.items);
    char flag[8];
    if (top && http_query_var(query, "names", flag, sizeof flag) && !strcmp(flag, "1") &&
        !(c.names = cJSON_AddObjectToObject(top, "names")))
        cJSON_Delete(top), top = NULL;
    if (!top)
        return http_send_cl_error(conn, http_oom());
    cl_list_pos last;
    if ((rc = cl_store_read(h->cfg.store, &c.t)) == CL_OK)
        rc = c.has_ref   ? related_list(&c, type, q, has_cursor ? &cursor : NULL)
             : c.by_name ? cl_query_list_by_name(c.t, type, q, has_cursor ? &c.pos : NULL, 0, list_step, &c, NULL, &last)
                         : cl_query_list(c.t, type, q, has_cursor ? &cursor : NULL, 0, list_step, &c, NULL);
    cl_txn_end(c.t);
    if (rc == CL_STOP)
        rc = CL_OK;
    char next[NAME_CURSOR_LEN + 1];
    if (c.by_name)
        name_cursor_format(&last, next);
    else
        cl_record_id_format(&c.last, next);
    if (!rc && !(c.more ? cJSON_AddStringToObject(top, "next", next) : cJSON_AddNullToObject(top, "next")))
        rc = http_oom();
    return http_send_result(conn, rc, top);
}

/* Read {"type","fields"} / {"fields"} into assignments. */
static int body_assigns(const char *body, size_t len, bool with_type, uint8_t *type, cl_assign **a, size_t *n)
{
    static const char *const create_keys[] = {"type", "fields", NULL}, *const patch_keys[] = {"fields", NULL};
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    if (rc)
        return rc;
    rc = http_only_keys(o, with_type ? create_keys : patch_keys);
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

/* POST /api/merge {"keep":ID,"other":ID}: the duplicate "other" is folded
 * into "keep" (references moved, empty fields filled) and deleted. */
static int merge_records(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"keep", "other", NULL};
    cJSON *o;
    cl_record_id keep, other;
    int rc = http_parse_object(body, len, &o);
    if (rc)
        return http_send_cl_error(conn, rc);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "keep"), *d = cJSON_GetObjectItemCaseSensitive(o, "other");
    rc = http_only_keys(o, keys);
    if (!rc && (!cJSON_IsString(k) || !cJSON_IsString(d)))
        rc = cl_seterr(CL_EINVAL, "\"keep\" and \"other\" must be record ids");
    if (!rc && !(rc = cl_record_id_parse(k->valuestring, &keep)))
        rc = cl_record_id_parse(d->valuestring, &other);
    cJSON_Delete(o);
    if (!rc)
        rc = cl_record_merge(h->cfg.store, &keep, &other, NULL);
    return rc ? http_send_cl_error(conn, rc) : send_record(conn, h->cfg.store, &keep, 200);
}

static int history_step(void *arg, const cl_change *ch)
{
    cJSON *j = cl_json_change(ch);
    return j && cJSON_AddItemToArray(arg, j) ? CL_OK : http_oom();
}

static int record_history(struct mg_connection *conn, cl_http *h, const cl_record_id *id)
{
    cJSON *items, *top = http_items_object(&items);
    cl_txn *t = NULL;
    cl_record_meta m;
    int rc = top ? cl_store_read(h->cfg.store, &t) : http_oom();
    if (!rc)
        rc = cl_txn_record(t, id, &m);
    if (!rc)
        rc = cl_history(t, id, history_step, items);
    cl_txn_end(t);
    return http_send_result(conn, rc, top);
}

/* GET /api/records/ID/related: every record that refers to ID, once each,
 * with the fields that do: {"items":[{"fields":["company"],"record":{…}}],
 * "former":[the same, for records that referred to ID once and no longer
 * do: a company's former people]} (the record page's people, deals, tasks
 * and interactions in one query). */
typedef struct referrers_ctx {
    cl_txn *t;
    cJSON *items, *last_fields;
    cl_record_id last;
} referrers_ctx;

static int referrer_step(void *arg, const cl_record_id *id, uint8_t field)
{
    referrers_ctx *c = arg;
    cl_record *r;
    bool again = c->last_fields && !memcmp(c->last.b, id->b, CL_RECORD_ID_LEN);
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    const cl_field_def *f = cl_field_by_id(r->type, field);
    cJSON *name = cJSON_CreateString(f ? f->name : "?"), *e = again ? NULL : cJSON_CreateObject();
    cJSON *fields = again ? c->last_fields : cJSON_AddArrayToObject(e, "fields");
    bool ok = name && fields && cJSON_AddItemToArray(fields, name);
    if (ok)
        name = NULL;
    if (ok && !again) {
        cJSON *rec = cl_json_record(r);
        ok = rec && cJSON_AddItemToObject(e, "record", rec);
        if (!ok)
            cJSON_Delete(rec);
        ok = ok && cJSON_AddItemToArray(c->items, e);
        if (ok)
            e = NULL, c->last_fields = fields, c->last = *id;
    }
    cJSON_Delete(name);
    cJSON_Delete(e);
    cl_record_free(r);
    return ok ? CL_OK : http_oom();
}

static int record_related(struct mg_connection *conn, cl_http *h, const cl_record_id *id)
{
    referrers_ctx c = {0};
    cJSON *top = http_items_object(&c.items);
    cl_record_meta m;
    int rc = top ? cl_store_read(h->cfg.store, &c.t) : http_oom();
    if (!rc)
        rc = cl_txn_record(c.t, id, &m);
    if (!rc)
        rc = cl_query_related(c.t, id, referrer_step, &c);
    if (!rc && !(c.items = cJSON_AddArrayToObject(top, "former")))
        rc = http_oom();
    c.last_fields = NULL;
    if (!rc)
        rc = cl_query_formerly_related(c.t, id, referrer_step, &c);
    cl_txn_end(c.t);
    return http_send_result(conn, rc, top);
}

/* /api/records/ID[/history|/related] */
static int record_route(struct mg_connection *conn, cl_http *h, const char *method, const char *rest,
                        const char *query, const char *body, size_t len)
{
    char idtext[64];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    snprintf(idtext, sizeof idtext, "%.*s", (int)(n < 63 ? n : 63), rest);
    cl_record_id id;
    int rc = cl_record_id_parse(idtext, &id);
    if (rc)
        return http_send_error(conn, 404, "not_found", "no record %s: %s", idtext, cl_errmsg());
    bool history = slash && !strcmp(slash, "/history"), related = slash && !strcmp(slash, "/related");
    if ((history || related) && strcmp(method, "GET"))
        return http_send_error(conn, 405, "method", "use GET");
    if (history)
        return record_history(conn, h, &id);
    if (related)
        return record_related(conn, h, &id);
    if (slash)
        return http_send_error(conn, 404, "not_found", "no such API path");
    if (!strcmp(method, "GET"))
        return send_record_opt(conn, h->cfg.store, &id, 200, query && !strcmp(query, "deleted=1"));
    if (!strcmp(method, "PATCH"))
        return patch_record(conn, h, &id, body, len);
    if (!strcmp(method, "DELETE"))
        return delete_record(conn, h, &id);
    return http_send_error(conn, 405, "method", "use GET, PATCH or DELETE");
}

/* ------------------------------------------------------------ routing */

static int send_schema(struct mg_connection *conn)
{
    cJSON *j = cl_json_schema();
    int st = j ? http_send_json(conn, 200, j) : http_send_cl_error(conn, http_oom());
    cJSON_Delete(j);
    return st;
}

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
        return record_route(conn, h, method, p + 9, query, body, len);
    if (!strcmp(p, "/schema"))
        return get ? send_schema(conn) : wrong_method(conn, "GET");
    if (!strcmp(p, "/reports"))
        return get ? http_api_reports(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/today"))
        return get ? http_api_today(conn, h, query) : wrong_method(conn, "GET");
    if (!strcmp(p, "/due"))
        return get ? http_api_due(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/recent"))
        return get ? http_api_recent(conn, h, query) : wrong_method(conn, "GET");
    if (!strcmp(p, "/birthdays"))
        return get ? http_api_birthdays(conn, h, query) : wrong_method(conn, "GET");
    if (!strcmp(p, "/conflicts"))
        return get ? http_api_conflicts(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/status"))
        return get ? http_api_status(conn, h) : wrong_method(conn, "GET");
    if (!strcmp(p, "/peers"))
        return get ? http_api_peers_get(conn, h) : post ? http_api_peers_post(conn, h, body, len) : wrong_method(conn, "GET or POST");
    size_t plen = strlen(p);
    if (!strncmp(p, "/peers/", 7) && plen > 14 && !strcmp(p + plen - 7, "/revoke")) {
        char idtext[CL_DEVICE_ID_TEXT + 8];
        snprintf(idtext, sizeof idtext, "%.*s", (int)(plen - 14), p + 7);
        return post ? http_api_peer_revoke(conn, h, idtext) : wrong_method(conn, "POST");
    }
    if (!strncmp(p, "/peers/", 7)) {
        if (!strcmp(method, "PATCH"))
            return http_api_peer_patch(conn, h, p + 7, body, len);
        return !strcmp(method, "DELETE") ? http_api_device_delete(conn, h, p + 7, false) : wrong_method(conn, "PATCH or DELETE");
    }
    if (!strcmp(p, "/pending"))
        return !strcmp(method, "DELETE") ? http_api_pending_clear(conn, h) : wrong_method(conn, "DELETE");
    if (!strncmp(p, "/pending/", 9))
        return !strcmp(method, "DELETE") ? http_api_device_delete(conn, h, p + 9, true) : wrong_method(conn, "DELETE");
    if (!strcmp(p, "/invitations"))
        return post ? http_api_invite(conn, h, body, len) : wrong_method(conn, "POST");
    if (!strcmp(p, "/dav-clients"))
        return get ? http_api_dav_clients_get(conn, h) : post ? http_api_dav_clients_post(conn, h, body, len) : wrong_method(conn, "GET or POST");
    if (!strncmp(p, "/dav-clients/", 13))
        return !strcmp(method, "DELETE") ? http_api_dav_client_delete(conn, h, p + 13) : wrong_method(conn, "DELETE");
    if (!strcmp(p, "/join"))
        return post ? http_api_join(conn, h, body, len) : wrong_method(conn, "POST");
    if (!strcmp(p, "/sync"))
        return post ? http_api_sync_now(conn, h) : wrong_method(conn, "POST");
    if (!strcmp(p, "/merge"))
        return post ? merge_records(conn, h, body, len) : wrong_method(conn, "POST");
    return http_send_error(conn, 404, "not_found", "no such API path: %s", path);
}
