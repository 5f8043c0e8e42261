/* The API's devices: this device's status, paired peers, pending requests,
 * "sync now". The http layer uses sync for status only (DESIGN §2). */
#include "clientele/sync.h"
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        rc = http_oom();
    for (size_t i = 0; !rc && i < np; i++) {
        cJSON *j = cl_peer_json(&peers[i]);
        rc = j && cJSON_AddItemToArray(a, j) ? CL_OK : http_oom();
    }
    for (size_t i = 0; !rc && i < nq; i++) {
        cJSON *j = cl_pending_json(&pend[i]);
        rc = j && cJSON_AddItemToArray(b, j) ? CL_OK : http_oom();
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
    size_t nconf = 0;
    char name[CL_NAME_MAX + 1] = "";
    if (cl_txn_setting_text(t, CL_SETTING_NAME, name, sizeof name))
        name[0] = 0;
    uint64_t ops, notice_at = 0;
    char notice[300] = "";
    rc = cl_txn_op_count(t, &ops);
    if (!rc)
        rc = http_count_conflicts(t, NULL, &nconf);
    if (!rc)
        rc = cl_txn_notice(t, notice, sizeof notice, &notice_at);
    cl_txn_end(t);
    if (rc)
        return rc;
    bool ok = cJSON_AddStringToObject(o, "device_id", id) && cJSON_AddStringToObject(o, "name", name) &&
              cJSON_AddNumberToObject(o, "op_count", (double)ops) &&
              cJSON_AddNumberToObject(o, "conflicts", (double)nconf) &&
              cJSON_AddBoolToObject(o, "can_sync", h->cfg.sync_now != NULL) &&
              (!notice[0] || cJSON_AddStringToObject(o, "notice", notice));
    return ok ? add_peers(o, h->cfg.store) : http_oom();
}

int http_api_status(struct mg_connection *conn, cl_http *h)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? status_fill(o, h) : http_oom();
    return http_send_result(conn, rc, o);
}

int http_api_peers_get(struct mg_connection *conn, cl_http *h)
{
    cJSON *o = cJSON_CreateObject();
    int rc = o ? add_peers(o, h->cfg.store) : http_oom();
    /* "items" is the peers array, as every list of the API. */
    if (!rc)
        cJSON_AddItemReferenceToObject(o, "items", cJSON_GetObjectItem(o, "peers"));
    return http_send_result(conn, rc, o);
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

int http_api_peers_post(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"id", "addr", "name", NULL};
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    const cJSON *jid = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "id");
    const char *addr = NULL, *name = NULL;
    cl_device_id dev;
    if (!rc)
        rc = http_only_keys(o, keys);
    if (!rc && !cJSON_IsString(jid))
        rc = cl_seterr(CL_EINVAL, "\"id\" must be the other device's id (a string)");
    if (!rc)
        rc = cl_device_id_parse(jid->valuestring, &dev);
    if (!rc && !memcmp(&dev, cl_store_self(h->cfg.store), sizeof dev))
        rc = cl_seterr(CL_EINVAL, "that is this device's own id");
    if (!rc)
        rc = opt_string(o, "addr", CL_PEER_ADDR_MAX, &addr);
    if (!rc)
        rc = opt_string(o, "name", CL_NAME_MAX, &name);
    if (!rc)
        rc = cl_peer_add(h->cfg.store, &dev, addr, name);
    cl_peer p;
    cl_txn *t = NULL;
    if (!rc && (rc = cl_store_read(h->cfg.store, &t)) == CL_OK)
        rc = cl_peer_get(t, &dev, &p);
    cl_txn_end(t);
    cJSON_Delete(o);
    cJSON *j = rc ? NULL : cl_peer_json(&p);
    int st = rc || !j ? http_send_cl_error(conn, rc ? rc : http_oom()) : http_send_json(conn, 201, j);
    cJSON_Delete(j);
    return st;
}

/* DELETE /api/peers/ID (unpair) and /api/pending/ID (refuse a request). */
int http_api_device_delete(struct mg_connection *conn, cl_http *h, const char *idtext, bool pending)
{
    cl_device_id dev;
    int rc = cl_device_id_parse(idtext, &dev);
    if (rc)
        return http_send_error(conn, 404, "not_found", "no device %s: %s", idtext, cl_errmsg());
    rc = pending ? cl_pending_remove(h->cfg.store, &dev) : cl_peer_remove(h->cfg.store, h->cfg.ident, &dev);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

/* DELETE /api/pending: refuse every pending request ("Refuse all"). */
int http_api_pending_clear(struct mg_connection *conn, cl_http *h)
{
    int rc = cl_pending_dismiss_all(h->cfg.store, NULL);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

int http_api_sync_now(struct mg_connection *conn, cl_http *h)
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
