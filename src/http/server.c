/* The civetweb server: start/stop, the Host and CSRF checks, request bodies,
 * the compiled-in assets and the /api/events websocket. */
#include "http/assets.h"
#include "http/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------ responses */

static void common_headers(struct mg_connection *conn)
{
    /* The page is only ever framed, sniffed or referred by itself. */
    mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
    mg_response_header_add(conn, "X-Frame-Options", "DENY", -1);
    mg_response_header_add(conn, "Referrer-Policy", "no-referrer", -1);
}

/* A HEAD answer is the GET answer's headers alone: a body after them would
 * be read as the next response on a kept-alive connection. */
static bool is_head(const struct mg_connection *conn)
{
    return !strcmp(mg_get_request_info(conn)->request_method, "HEAD");
}

static int send_body(struct mg_connection *conn, int status, const char *type, const char *cache,
                     const void *body, size_t len)
{
    char lenbuf[32];
    snprintf(lenbuf, sizeof lenbuf, "%zu", len);
    mg_response_header_start(conn, status);
    common_headers(conn);
    if (type)
        mg_response_header_add(conn, "Content-Type", type, -1);
    mg_response_header_add(conn, "Cache-Control", cache, -1);
    mg_response_header_add(conn, "Content-Length", lenbuf, -1);
    mg_response_header_send(conn);
    if (len && !is_head(conn))
        mg_write(conn, body, len);
    return status;
}

/* The page itself: never cached (it carries the token), with its CSP. */
static int send_page(struct mg_connection *conn, const char *type, const char *csp, const void *body, size_t len)
{
    char lenbuf[32];
    snprintf(lenbuf, sizeof lenbuf, "%zu", len);
    mg_response_header_start(conn, 200);
    common_headers(conn);
    mg_response_header_add(conn, "Content-Type", type, -1);
    mg_response_header_add(conn, "Content-Security-Policy", csp, -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "Content-Length", lenbuf, -1);
    mg_response_header_send(conn);
    if (!is_head(conn))
        mg_write(conn, body, len);
    return 200;
}

int http_send_json(struct mg_connection *conn, int status, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        return http_send_error(conn, 500, "out_of_memory", "out of memory");
    send_body(conn, status, "application/json", "no-store", s, strlen(s));
    cJSON_free(s);
    return status;
}

int http_send_error(struct mg_connection *conn, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    char *s = o && e ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    static const char oom[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}";
    send_body(conn, status, "application/json", "no-store", s ? s : oom, strlen(s ? s : oom));
    cJSON_free(s);
    return status;
}

/* The mapping of docs/architecture.md. */
int http_status_of(int rc)
{
    return rc == CL_EINVAL ? 400 : rc == CL_ENOTFOUND ? 404 : rc == CL_EDENIED ? 403 : rc == CL_EEXIST ? 409 : 500;
}

int http_send_cl_error(struct mg_connection *conn, int rc)
{
    const char *msg = cl_errmsg();
    return http_send_error(conn, http_status_of(rc), cl_errname(rc), "%s", *msg ? msg : cl_errname(rc));
}

int http_send_result(struct mg_connection *conn, int rc, cJSON *j)
{
    int st = rc ? http_send_cl_error(conn, rc) : http_send_json(conn, 200, j);
    cJSON_Delete(j);
    return st;
}

int http_send_empty(struct mg_connection *conn, int status)
{
    return send_body(conn, status, NULL, "no-store", NULL, 0);
}

/* ------------------------------------------------------------ security */

/* The Host header must name the address we serve: a page from another
 * origin that re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its
 * own name and is refused. Listening on 0.0.0.0, any IPv4 literal is fine
 * (rebinding needs a name). */
static bool host_ok(const cl_http *h, const char *host)
{
    if (!host)
        return false;
    const char *colon = strrchr(host, ':');
    char port[16];
    snprintf(port, sizeof port, "%d", h->port);
    if (colon ? strcmp(colon + 1, port) != 0 : h->port != 80) /* browsers omit :80 */
        return false;
    size_t n = colon ? (size_t)(colon - host) : strlen(host);
    if ((n == strlen(h->host) && !strncmp(host, h->host, n)) ||
        (n == 9 && !strncasecmp(host, "localhost", 9)))
        return true;
    if (!strcmp(h->host, "0.0.0.0")) {
        unsigned a, b, c, d;
        char tail;
        char ip[32];
        snprintf(ip, sizeof ip, "%.*s", (int)(n < 31 ? n : 31), host);
        return sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4;
    }
    return false;
}

/* Constant-time comparison: the token must not leak through timing. */
static bool token_ok(const cl_http *h, const char *given)
{
    if (!given || strlen(given) != HTTP_TOKEN_LEN)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < HTTP_TOKEN_LEN; i++)
        diff |= (unsigned char)(given[i] ^ h->token[i]);
    return diff == 0;
}

static bool is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

/* ------------------------------------------------------------ bodies */

/* Refuse a body over HTTP_MAX_BODY with 413. A client that sends its whole
 * body before reading the answer (most HTTP libraries) would see a broken
 * pipe instead of the 413 if we closed at once, so a body of sane size is
 * read and dropped first; a client that asked "Expect: 100-continue" has sent
 * nothing yet and gets the answer straight away (unless we started reading:
 * then civetweb has told it to continue). */
static int too_large(struct mg_connection *conn, bool started)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    bool waiting = mg_get_header(conn, "Expect") && !started;
    if (!waiting && ri->content_length <= HTTP_DRAIN_MAX) {
        char scratch[16384];
        long long total = 0;
        int r;
        while (total <= HTTP_DRAIN_MAX && (r = mg_read(conn, scratch, sizeof scratch)) > 0)
            total += r;
    }
    mg_disable_keep_alive(conn); /* what was not read must not be taken for a request */
    return http_send_error(conn, 413, "too_large", "request body over %d bytes", HTTP_MAX_BODY);
}

int http_read_body(struct mg_connection *conn, char **out, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    *out = NULL;
    *len = 0;
    if (ri->content_length > HTTP_MAX_BODY)
        return too_large(conn, false);
    size_t cap = ri->content_length > 0 ? (size_t)ri->content_length + 1 : 4096, n = 0;
    char *b = malloc(cap);
    if (!b)
        return http_send_error(conn, 500, "out_of_memory", "out of memory");
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = cap > HTTP_MAX_BODY ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return cap > HTTP_MAX_BODY ? too_large(conn, true) : http_send_error(conn, 500, "out_of_memory", "out of memory");
            }
            b = nb;
            cap *= 2;
        }
        int r = mg_read(conn, b + n, cap - n - 1);
        if (r <= 0)
            break;
        n += (size_t)r;
        /* all of an announced length read: growing past the limit to look
         * for more would refuse a body of exactly HTTP_MAX_BODY */
        if (ri->content_length >= 0 && n >= (size_t)ri->content_length)
            break;
    }
    if (n > HTTP_MAX_BODY) {
        free(b);
        return too_large(conn, true);
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return 0;
}

/* ------------------------------------------------------------ assets */

static const struct cl_asset *find_asset(const char *path)
{
    for (const struct cl_asset *a = cl_assets; a->path; a++)
        if (!strcmp(a->path, path))
            return a;
    return NULL;
}

/* A validator for an asset: FNV-1a of its bytes. Assets only change with
 * the binary, so the browser revalidates (no-cache) and gets 304s. */
static void asset_etag(const struct cl_asset *a, char out[24])
{
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < a->len; i++)
        x = (x ^ a->data[i]) * 1099511628211ull;
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)x);
}

/* The page with the CSRF token in its meta tag and the today view already
 * in <main>. The token is public to our own origin only: another site can
 * neither read this page nor set the header. */
/* The today view, or a placeholder when it cannot be read (the script will
 * then say what failed). */
static int put_today(const cl_http *h, cl_buf *b)
{
    cl_buf part = {0};
    int rc = http_today_html(h->cfg.store, &part);
    rc = rc ? cl_buf_puts(b, "<p class=\"muted\">Loading…</p>") : cl_buf_put(b, part.data, part.len);
    cl_buf_free(&part);
    return rc;
}

static int fill_index(const cl_http *h, const char *html, size_t len, cl_buf *b)
{
    static const char tok[] = "__CLIENTELE_TOKEN__", today[] = "__CLIENTELE_TODAY__";
    const char *end = html + len;
    int rc = CL_OK;
    while (!rc && html < end) {
        const char *t = strstr(html, tok), *d = strstr(html, today);
        const char *at = t && (!d || t < d) ? t : d;
        if (!at)
            return cl_buf_put(b, html, (size_t)(end - html));
        rc = cl_buf_put(b, html, (size_t)(at - html));
        if (!rc && at == t)
            rc = cl_buf_puts(b, h->token);
        else if (!rc)
            rc = put_today(h, b);
        html = at + (at == t ? sizeof tok : sizeof today) - 1;
    }
    return rc;
}

static int send_index(struct mg_connection *conn, const cl_http *h)
{
    const struct cl_asset *a = find_asset("/index.html");
    if (!a)
        return http_send_error(conn, 500, "missing", "index.html is not compiled in");
    cl_buf b = {0};
    if (fill_index(h, (const char *)a->data, a->len, &b)) {
        cl_buf_free(&b);
        return http_send_error(conn, 500, "out_of_memory", "out of memory");
    }
    /* Only our own scripts, styles and connections (the websocket named
     * explicitly: older browsers do not count ws: as 'self'). The Host was
     * checked, so it is safe to repeat. */
    char csp[512];
    snprintf(csp, sizeof csp,
             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self' ws://%.200s; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
             mg_get_header(conn, "Host"));
    int st = send_page(conn, a->content_type, csp, b.data, b.len);
    cl_buf_free(&b);
    return st;
}

static int send_asset(struct mg_connection *conn, const cl_http *h, const char *path)
{
    if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
        return send_index(conn, h);
    const struct cl_asset *a = find_asset(path);
    if (!a)
        return http_send_error(conn, 404, "not_found", "no such page: %s", path);
    char etag[24];
    asset_etag(a, etag);
    const char *inm = mg_get_header(conn, "If-None-Match");
    bool fresh = inm && !strcmp(inm, etag);
    mg_response_header_start(conn, fresh ? 304 : 200);
    common_headers(conn);
    mg_response_header_add(conn, "ETag", etag, -1);
    mg_response_header_add(conn, "Cache-Control", "no-cache", -1);
    if (fresh) {
        mg_response_header_send(conn);
        return 304;
    }
    char lenbuf[32];
    snprintf(lenbuf, sizeof lenbuf, "%zu", a->len);
    mg_response_header_add(conn, "Content-Type", a->content_type, -1);
    mg_response_header_add(conn, "Content-Length", lenbuf, -1);
    mg_response_header_send(conn);
    if (!is_head(conn))
        mg_write(conn, a->data, a->len);
    return 200;
}

/* ------------------------------------------------------------ dispatch */

static int handle(struct mg_connection *conn, void *arg)
{
    cl_http *h = arg;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *method = ri->request_method, *path = ri->local_uri ? ri->local_uri : "/";
    if (!host_ok(h, mg_get_header(conn, "Host")))
        return http_send_error(conn, 403, "denied", "this server answers only to http://%s:%d", h->host, h->port);
    if (http_dav_path(path))
        return http_dav(conn, h, method, path);
    bool api = !strncmp(path, "/api/", 5) || !strcmp(path, "/api");
    bool page = !strcmp(path, "/") || !strcmp(path, "/index.html");
    if (!api && !is_safe_method(method))
        return http_send_error(conn, 405, "method", "%s is not allowed here", method);
    if (!strcmp(path, "/login"))
        return http_login(conn, h, ri->query_string);
    /* scripts, styles and icons hold no data; the page and the API do */
    if ((api || page) && !http_logged_in(h, conn))
        return api ? http_send_error(conn, 401, "login", "not logged in: open the page with 'clientele open'")
                   : http_send_login_page(conn, 200, "You are not logged in.");
    if (!api)
        return send_asset(conn, h, path);
    if (!is_safe_method(method) && !token_ok(h, mg_get_header(conn, "X-Clientele-Token")))
        return http_send_error(conn, 403, "denied", "missing or wrong X-Clientele-Token header");
    char *body = NULL;
    size_t len = 0;
    int st = is_safe_method(method) ? 0 : http_read_body(conn, &body, &len);
    if (!st)
        st = http_api(conn, h, method, path, ri->query_string, body, len);
    free(body);
    return st;
}

/* ------------------------------------------------------------ websocket */

static int ws_connect(const struct mg_connection *conn, void *arg)
{
    cl_http *h = arg;
    /* A websocket is not bound by the same-origin policy: check the Host
     * and that the page opening it is ours. */
    if (!host_ok(h, mg_get_header(conn, "Host")))
        return 1;
    const char *origin = mg_get_header(conn, "Origin"), *host = mg_get_header(conn, "Host");
    if (origin && (strncmp(origin, "http://", 7) || strcmp(origin + 7, host)))
        return 1;
    if (!http_logged_in(h, (struct mg_connection *)conn))
        return 1;
    mg_lock_context(h->mg);
    bool full = h->nws >= HTTP_MAX_WS;
    mg_unlock_context(h->mg);
    if (full)
        cl_log(CL_LOG_WARN, "web UI: more than %d open pages; refusing live updates to one more", HTTP_MAX_WS);
    return full;
}

static void ws_ready(struct mg_connection *conn, void *arg)
{
    cl_http *h = arg;
    mg_lock_context(h->mg);
    bool room = h->nws < HTTP_MAX_WS;
    if (room)
        h->ws[h->nws++] = conn;
    mg_unlock_context(h->mg);
    if (!room) { /* ws_connect let several in at once: the cap is kept here */
        cl_log(CL_LOG_WARN, "web UI: more than %d open pages; refusing live updates to one more", HTTP_MAX_WS);
        mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xf5", 2); /* 1013: try again later */
        return;
    }
    mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_TEXT, "{\"type\":\"hello\"}", 16);
}

static int ws_data(struct mg_connection *conn, int bits, char *data, size_t len, void *arg)
{
    (void)conn, (void)data, (void)len, (void)arg;
    return (bits & 0x0f) != MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE;
}

static void ws_close(const struct mg_connection *conn, void *arg)
{
    cl_http *h = arg;
    mg_lock_context(h->mg);
    for (size_t i = 0; i < h->nws; i++)
        if (h->ws[i] == conn) {
            h->ws[i] = h->ws[--h->nws];
            break;
        }
    mg_unlock_context(h->mg);
}

static void broadcast(cl_http *h, const char *msg)
{
    mg_lock_context(h->mg);
    for (size_t i = 0; i < h->nws; i++)
        mg_websocket_write(h->ws[i], MG_WEBSOCKET_OPCODE_TEXT, msg, strlen(msg));
    mg_unlock_context(h->mg);
}


/* Polls the store's generation (bumped by any process's commit), so edits
 * from a sync or from `clientele put` in another process reach open pages:
 * "data" when records changed, "status" for every other commit (peers,
 * sync results, pending requests), which the page shows only on the rail
 * and the Devices view. */
static void *watch(void *arg)
{
    cl_http *h = arg;
    uint64_t seen = cl_store_generation(h->cfg.store), ops = 0;
    cl_store_op_count(h->cfg.store, &ops);
    pthread_mutex_lock(&h->mu);
    while (!h->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        if (h->stopping)
            break;
        pthread_mutex_unlock(&h->mu);
        uint64_t now = cl_store_generation(h->cfg.store);
        uint64_t n = ops;
        if (now != seen && cl_store_op_count(h->cfg.store, &n) == CL_OK) { /* else: asked again next tick */
            seen = now;
            broadcast(h, n != ops ? "{\"type\":\"data\"}" : "{\"type\":\"status\"}");
            ops = n;
        }
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* ------------------------------------------------------------ start/stop */

struct token_arg {
    char *out;
    const cl_http *h;
};

/* Read the folder's CSRF token, creating it on first start, and note where
 * the page is served (for `clientele open`). Runs in a write transaction so
 * that two processes starting at once agree on one token. */
static int token_fn(cl_txn *t, void *arg)
{
    struct token_arg *a = arg;
    int rc = http_note_address(t, a->h->host, a->h->port);
    if (rc)
        return rc;
    /* one of another length (CL_ECORRUPT when longer) is replaced */
    rc = cl_txn_setting_text(t, CL_SETTING_CSRF_TOKEN, a->out, HTTP_TOKEN_LEN + 1);
    if (rc == CL_OK && strlen(a->out) == HTTP_TOKEN_LEN)
        return CL_OK;
    if (rc != CL_OK && rc != CL_ENOTFOUND && rc != CL_ECORRUPT)
        return rc;
    unsigned char raw[32];
    if ((rc = cl_random(raw, sizeof raw)))
        return rc;
    cl_base32_encode(raw, sizeof raw, a->out, true);
    return cl_txn_setting_put_text(t, CL_SETTING_CSRF_TOKEN, a->out);
}

static int parse_listen(const char *listen, cl_http *h)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == listen || !colon[1] || *end || port < 1 || port > 65535 ||
        (size_t)(colon - listen) >= sizeof h->host)
        return cl_seterr(CL_EINVAL, "web UI address must be HOST:PORT (IPv4), not '%s'", listen ? listen : "");
    snprintf(h->host, sizeof h->host, "%.*s", (int)(colon - listen), listen);
    if (!strcasecmp(h->host, "localhost"))
        snprintf(h->host, sizeof h->host, "127.0.0.1");
    unsigned a, b, c, d;
    char tail;
    if (sscanf(h->host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
        return cl_seterr(CL_EINVAL, "web UI address must be an IPv4 address, not '%s'", h->host);
    h->port = (int)port;
    return CL_OK;
}

/* The DAV server alone, behind the TLS front: its clients name the front's
 * address, so only the port they name is checked (a page elsewhere that
 * re-points a name here cannot pass the front's TLS, whose self-signed
 * certificate a browser does not accept for it). */
static int handle_dav_only(struct mg_connection *conn, void *arg)
{
    cl_http *h = arg;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *path = ri->local_uri ? ri->local_uri : "/", *host = mg_get_header(conn, "Host");
    const char *colon = host ? strrchr(host, ':') : NULL;
    if (!host || (colon ? atoi(colon + 1) != h->public_port : h->public_port != 443))
        return http_send_error(conn, 403, "denied", "this server answers only to port %d", h->public_port);
    if (!http_dav_path(path))
        return http_send_error(conn, 404, "not_found", "only the DAV server is here: /dav/ (docs/dav.md)");
    return http_dav(conn, h, ri->request_method, path);
}

static int start_civetweb(cl_http *h)
{
    char ports[96], err[256] = "";
    snprintf(ports, sizeof ports, "%s:%d", h->host, h->port);
    const char *opts[] = {"listening_ports", ports, "num_threads", HTTP_THREADS, "request_timeout_ms", HTTP_REQUEST_TIMEOUT_MS,
                          "enable_keep_alive", "yes", "enable_websocket_ping_pong", "yes",
                          /* civetweb writes an answer in several small sends: without
                           * TCP_NODELAY the last waits for the client's delayed ACK
                           * (~40 ms each request on a kept-alive connection) */
                          "tcp_nodelay", "1",
                          /* 500 ms by default: a DAV client parsing a big listing
                           * came back to a closed connection */
                          "keep_alive_timeout_ms", HTTP_KEEP_ALIVE_MS,
                          "websocket_timeout_ms", "20000",
                          /* civetweb answers CORS preflights itself, with "*" by
                           * default: empty turns that off (no CORS, DESIGN §6) */
                          "access_control_allow_origin", "", NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_init_data init = {&cb, h, opts};
    struct mg_error_data ed = {NULL, err, sizeof err};
    h->mg = mg_start2(&init, &ed);
    if (!h->mg)
        return cl_seterr(CL_EIO, "cannot serve the web UI on %s: %s", ports, *err ? err : "start failed");
    if (h->public_port) {
        mg_set_request_handler(h->mg, "/", handle_dav_only, h);
        struct mg_server_port sp;
        if (mg_get_server_ports(h->mg, 1, &sp) != 1)
            return cl_seterr(CL_EIO, "the DAV server's loopback port is unknown");
        h->port = sp.port;
        return CL_OK;
    }
    mg_set_request_handler(h->mg, "/", handle, h);
    mg_set_websocket_handler(h->mg, "/api/events", ws_connect, ws_ready, ws_data, ws_close, h);
    return CL_OK;
}

int cl_http_dav_start(const cl_http_config *cfg, uint16_t public_port, cl_http **out, uint16_t *port)
{
    *out = NULL;
    if (!public_port)
        return cl_seterr(CL_EINVAL, "the DAV front needs its public port");
    mg_init_library(0);
    cl_http *h = calloc(1, sizeof *h);
    if (!h)
        return cl_seterr(CL_ENOMEM, "out of memory");
    h->cfg = *cfg;
    h->public_port = public_port;
    snprintf(h->host, sizeof h->host, "127.0.0.1");
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    int rc = start_civetweb(h);
    if (rc) {
        if (h->mg)
            mg_stop(h->mg);
        h->mg = NULL;
        cl_http_stop(h);
        return rc;
    }
    *port = (uint16_t)h->port;
    *out = h;
    return CL_OK;
}

int cl_http_start(const cl_http_config *cfg, cl_http **out)
{
    *out = NULL;
    unsigned want = MG_FEATURES_WEBSOCKET;
    if ((mg_init_library(want) & want) != want)
        return cl_seterr(CL_EIO, "civetweb was built without websocket support");
    cl_http *h = calloc(1, sizeof *h);
    if (!h)
        return cl_seterr(CL_ENOMEM, "out of memory");
    h->cfg = *cfg;
    struct token_arg ta = {h->token, h};
    int rc = parse_listen(cfg->listen, h);
    if (!rc)
        rc = cl_store_update(cfg->store, token_fn, &ta);
    if (!rc)
        rc = start_civetweb(h);
    if (rc) {
        free(h);
        mg_exit_library();
        return rc;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->watching = pthread_create(&h->watcher, NULL, watch, h) == 0;
    if (!h->watching)
        cl_log(CL_LOG_WARN, "web UI: no live updates (cannot start the watcher thread)");
    cl_log(CL_LOG_INFO, "web UI on http://%s:%d/", h->host, h->port);
    *out = h;
    return CL_OK;
}

void cl_http_stop(cl_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (h->watching)
        pthread_join(h->watcher, NULL);
    if (h->mg)
        mg_stop(h->mg); /* waits for the requests in progress */
    mg_exit_library();
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
