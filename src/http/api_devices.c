/* The API's devices: this device's status and addresses, paired peers,
 * pending requests, invitations, "sync now". The http layer pairs through
 * the sync layer's peer table and invitations; it never syncs itself (the
 * scheduler does, on sync_now). */
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

/* This device's addresses for peers: the host serve's listener is bound to
 * (every local address for a wildcard) with the port it bound; "" when this
 * process has no listener. */
static void peer_addresses(cl_http *h, char *out, size_t cap)
{
    out[0] = 0;
    const char *l = h->cfg.peer_listen, *colon = l ? strrchr(l, ':') : NULL;
    uint16_t port = 0;
    cl_txn *t;
    if (!colon || cl_store_read(h->cfg.store, &t))
        return;
    bool known = !cl_txn_setting_port(t, &port);
    cl_txn_end(t);
    char host[128];
    snprintf(host, sizeof host, "%.*s", (int)(colon - l), l);
    if (known)
        cl_invite_addresses(host, port, out, cap);
}

/* o[key] = the comma-separated list as an array of strings. */
static bool add_list(cJSON *o, const char *key, const char *list)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    char copy[CL_INVITE_TEXT], *save = NULL;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *x = strtok_r(copy, ",", &save); a && x; x = strtok_r(NULL, ",", &save))
        if (!cJSON_AddItemToArray(a, cJSON_CreateString(x)))
            return false;
    return a != NULL;
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
    char addrs[CL_INVITE_TEXT];
    peer_addresses(h, addrs, sizeof addrs);
    bool ok = cJSON_AddStringToObject(o, "device_id", id) && cJSON_AddStringToObject(o, "name", name) &&
              cJSON_AddNumberToObject(o, "op_count", (double)ops) &&
              cJSON_AddNumberToObject(o, "conflicts", (double)nconf) &&
              cJSON_AddBoolToObject(o, "can_sync", h->cfg.sync_now != NULL) && add_list(o, "addresses", addrs) &&
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

/* Answer with the peer's entry as it is now. */
static int send_peer(struct mg_connection *conn, cl_http *h, const cl_device_id *dev, int status)
{
    cl_peer p;
    cl_txn *t;
    int rc = cl_store_read(h->cfg.store, &t);
    if (!rc) {
        rc = cl_peer_get(t, dev, &p);
        cl_txn_end(t);
    }
    cJSON *j = rc ? NULL : cl_peer_json(&p);
    int st = rc || !j ? http_send_cl_error(conn, rc ? rc : http_oom()) : http_send_json(conn, status, j);
    cJSON_Delete(j);
    return st;
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
    cJSON_Delete(o);
    return rc ? http_send_cl_error(conn, rc) : send_peer(conn, h, &dev, 201);
}

/* PATCH /api/peers/ID {"introducer": bool} → the peer: take introductions
 * from it or stop (clientele peer introducer; docs/introductions.md). */
int http_api_peer_patch(struct mg_connection *conn, cl_http *h, const char *idtext, const char *body, size_t len)
{
    static const char *const keys[] = {"introducer", NULL};
    cl_device_id dev;
    if (cl_device_id_parse(idtext, &dev))
        return http_send_error(conn, 404, "not_found", "no device %s: %s", idtext, cl_errmsg());
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    const cJSON *ji = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "introducer");
    if (!rc)
        rc = http_only_keys(o, keys);
    if (!rc && !cJSON_IsBool(ji))
        rc = cl_seterr(CL_EINVAL, "\"introducer\" must be true or false");
    if (!rc)
        rc = cl_peer_set_introducer(h->cfg.store, h->cfg.ident, &dev, cJSON_IsTrue(ji));
    cJSON_Delete(o);
    if (!rc && h->cfg.sync_now && cJSON_IsTrue(ji))
        h->cfg.sync_now(h->cfg.sync_ctx); /* learn the team now, not at the next interval */
    return rc ? http_send_cl_error(conn, rc) : send_peer(conn, h, &dev, 200);
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

/* POST /api/peers/ID/revoke: revoke a device for the whole mesh (clientele
 * peer revoke; docs/revocation.md). 204; 409 when revoked here already. */
int http_api_peer_revoke(struct mg_connection *conn, cl_http *h, const char *idtext)
{
    cl_device_id dev;
    if (cl_device_id_parse(idtext, &dev))
        return http_send_error(conn, 404, "not_found", "no device %s: %s", idtext, cl_errmsg());
    int rc = cl_peer_revoke(h->cfg.store, h->cfg.ident, &dev); /* CL_EEXIST: 409 "exists" */
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

/* DELETE /api/pending: refuse every pending request ("Refuse all"). */
int http_api_pending_clear(struct mg_connection *conn, cl_http *h)
{
    int rc = cl_pending_dismiss_all(h->cfg.store, NULL);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}

/* POST /api/invitations {"ttl"?: seconds} → 201 {"invitation","expires",
 * "addresses"}: what `clientele peer invite` prints, for this device's
 * listener. */
int http_api_invite(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"ttl", NULL};
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    const cJSON *jt = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "ttl");
    double ttl = CL_INVITE_TTL_S;
    if (!rc)
        rc = http_only_keys(o, keys);
    if (!rc && jt && (!cJSON_IsNumber(jt) || jt->valuedouble < 60 || jt->valuedouble > 86400 || jt->valuedouble != (int)jt->valuedouble))
        rc = cl_seterr(CL_EINVAL, "\"ttl\" must be whole seconds from 60 to 86400");
    if (!rc && jt)
        ttl = jt->valuedouble;
    cJSON_Delete(o);
    char addrs[CL_INVITE_TEXT], text[CL_INVITE_TEXT], expires[32];
    peer_addresses(h, addrs, sizeof addrs);
    if (!rc && !*addrs)
        return http_send_error(conn, 503, "unavailable", "this process does not listen for peers: run clientele serve");
    if (!rc)
        rc = cl_invite_create(h->cfg.store, cl_store_self(h->cfg.store), addrs, (unsigned)ttl, text);
    if (rc)
        return http_send_cl_error(conn, rc);
    cl_format_iso(cl_now_ms() + (uint64_t)ttl * 1000, expires);
    cJSON *j = cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "invitation", text) && cJSON_AddStringToObject(j, "expires", expires) &&
              add_list(j, "addresses", addrs);
    int st = ok ? http_send_json(conn, 201, j) : http_send_cl_error(conn, http_oom());
    cJSON_Delete(j);
    return st;
}

/* POST /api/join {"invitation", "pair"?: bool, "introducer"?: bool} →
 * {"device_id","addresses","paired"} (and "name" once paired): without "pair"
 * the invitation is only read, so that the page shows whom it pairs with
 * before the user confirms; "introducer" takes introductions from it once
 * paired. */
int http_api_join(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"invitation", "pair", "introducer", NULL};
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    const cJSON *ji = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "invitation");
    const cJSON *jp = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "pair");
    if (!rc)
        rc = http_only_keys(o, keys);
    if (!rc && (!cJSON_IsString(ji) || strlen(ji->valuestring) >= CL_INVITE_TEXT))
        rc = cl_seterr(CL_EINVAL, "\"invitation\" must be the one line `clientele peer invite` or the other device's page gave");
    const cJSON *jn = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "introducer");
    if (!rc && jp && !cJSON_IsBool(jp))
        rc = cl_seterr(CL_EINVAL, "\"pair\" must be true or false");
    if (!rc && jn && !cJSON_IsBool(jn))
        rc = cl_seterr(CL_EINVAL, "\"introducer\" must be true or false");
    bool introducer = !rc && cJSON_IsTrue(jn);
    cl_device_id inviter;
    char addrs[CL_INVITE_TEXT], name[CL_NAME_MAX + 1] = "", id[CL_DEVICE_ID_TEXT];
    bool pair = !rc && cJSON_IsTrue(jp);
    if (!rc)
        rc = cl_invite_read(ji->valuestring, &inviter, addrs, sizeof addrs);
    if (!rc && !memcmp(&inviter, cl_store_self(h->cfg.store), sizeof inviter))
        rc = cl_seterr(CL_EINVAL, "this invitation was made by this very device");
    if (!rc && pair)
        rc = cl_invite_join(h->cfg.store, h->cfg.ident, ji->valuestring, &inviter, name, sizeof name);
    if (!rc && pair && introducer)
        rc = cl_peer_set_introducer(h->cfg.store, h->cfg.ident, &inviter, true);
    cJSON_Delete(o);
    /* the other device unreachable, or gone wrong on the way: the gateway's fault */
    if (rc == CL_EIO || rc == CL_ETLS || rc == CL_ETIMEOUT || rc == CL_EPROTO || rc == CL_EVERSION)
        return http_send_error(conn, 502, cl_errname(rc), "could not pair with the other device: %s", cl_errmsg());
    if (rc)
        return http_send_cl_error(conn, rc);
    cl_device_id_format(&inviter, id);
    cJSON *j = cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "device_id", id) && add_list(j, "addresses", addrs) &&
              cJSON_AddBoolToObject(j, "paired", pair) && (!*name || cJSON_AddStringToObject(j, "name", name));
    int st = ok ? http_send_json(conn, 200, j) : http_send_cl_error(conn, http_oom());
    cJSON_Delete(j);
    return st;
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
