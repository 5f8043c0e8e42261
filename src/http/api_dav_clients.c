/* The API's DAV clients (app passwords, docs/dav.md): what `clientele dav
 * add | list | rm` does, for the Devices page.
 *
 *   GET    /api/dav-clients        → 200 {"clients":[{"name","added"}…],
 *                                     "network": {"urls","fingerprint"} or null}
 *   POST   /api/dav-clients        {"name"} → 201 {"name","password"}
 *   DELETE /api/dav-clients/NAME   → 204
 *
 * The password is in the POST's answer only: the folder keeps its hash
 * (http/dav_auth.c). The page's login and CSRF token guard these like every
 * other endpoint; an app password opens none of them. */
#include "http/internal.h"

#include "clientele/sync.h"

#include <stdlib.h>
#include <string.h>

/* "network": {"urls": ["https://IP:PORT/dav/"…], "fingerprint"} when serve
 * was asked for --dav-listen (every local address for a wildcard host). */
static bool add_network(cJSON *o, const cl_http *h)
{
    const char *l = h->cfg.dav_listen, *colon = l ? strrchr(l, ':') : NULL;
    if (!colon)
        return cJSON_AddNullToObject(o, "network") != NULL;
    char host[128], addrs[CL_INVITE_TEXT], *save = NULL;
    snprintf(host, sizeof host, "%.*s", (int)(colon - l), l);
    cl_invite_addresses(host, (unsigned)atoi(colon + 1), addrs, sizeof addrs);
    cJSON *n = cJSON_AddObjectToObject(o, "network");
    cJSON *urls = n ? cJSON_AddArrayToObject(n, "urls") : NULL;
    for (char *a = strtok_r(addrs, ",", &save); urls && a; a = strtok_r(NULL, ",", &save)) {
        char url[160];
        snprintf(url, sizeof url, "https://%s/dav/", a);
        if (!cJSON_AddItemToArray(urls, cJSON_CreateString(url)))
            return false;
    }
    return urls && cJSON_AddStringToObject(n, "fingerprint", h->cfg.dav_fingerprint ? h->cfg.dav_fingerprint : "");
}

int http_api_dav_clients_get(struct mg_connection *conn, cl_http *h)
{
    cl_dav_client *v = NULL;
    size_t n = 0;
    int rc = cl_dav_clients(h->cfg.store, &v, &n);
    cJSON *o = rc ? NULL : cJSON_CreateObject();
    cJSON *a = o ? cJSON_AddArrayToObject(o, "clients") : NULL;
    if (!rc && (!a || !add_network(o, h)))
        rc = http_oom();
    for (size_t i = 0; !rc && i < n; i++) {
        char added[32];
        cl_format_iso(v[i].added_ms, added);
        cJSON *c = cJSON_CreateObject();
        bool ok = c && cJSON_AddStringToObject(c, "name", v[i].name) && cJSON_AddStringToObject(c, "added", added);
        if (!ok || !cJSON_AddItemToArray(a, c))
            cJSON_Delete(c), rc = http_oom();
    }
    free(v);
    return http_send_result(conn, rc, o);
}

int http_api_dav_clients_post(struct mg_connection *conn, cl_http *h, const char *body, size_t len)
{
    static const char *const keys[] = {"name", NULL};
    cJSON *o;
    int rc = http_parse_object(body, len, &o);
    const cJSON *jn = rc ? NULL : cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!rc)
        rc = http_only_keys(o, keys);
    if (!rc && !cJSON_IsString(jn))
        rc = cl_seterr(CL_EINVAL, "\"name\" must be the client's name (a string): the user name it logs in with");
    char password[CL_DAV_PASSWORD_LEN + 1];
    if (!rc)
        rc = cl_dav_client_add(h->cfg.store, jn->valuestring, password);
    if (rc == CL_EEXIST) {
        int st = http_send_error(conn, 409, "exists", "there is an app named '%s' already: remove it first, or "
                                                      "choose another name", jn->valuestring);
        cJSON_Delete(o);
        return st;
    }
    cJSON *j = rc ? NULL : cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "name", jn->valuestring) && cJSON_AddStringToObject(j, "password", password);
    cJSON_Delete(o);
    memset(password, 0, sizeof password);
    int st = rc ? http_send_cl_error(conn, rc) : ok ? http_send_json(conn, 201, j) : http_send_cl_error(conn, http_oom());
    cJSON_Delete(j);
    return st;
}

/* name: the rest of the path, as civetweb decoded it. */
int http_api_dav_client_delete(struct mg_connection *conn, cl_http *h, const char *name)
{
    int rc = cl_dav_client_rm(h->cfg.store, name);
    if (rc == CL_EINVAL || rc == CL_ENOTFOUND) /* a name no client can have: no such client either */
        return http_send_error(conn, 404, "not_found", "no DAV client is named '%s' (GET /api/dav-clients lists them)", name);
    return rc ? http_send_cl_error(conn, rc) : http_send_empty(conn, 204);
}
