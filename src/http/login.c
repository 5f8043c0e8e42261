/* The page is its owner's alone (DESIGN §6): other accounts on the machine
 * reach 127.0.0.1 too, so serving the page and its token to anyone who asks
 * would make the folder's 0700 worthless while `serve` runs.
 *
 *   clientele open [--print-url]   makes a one-time login code (kept as its
 *                                  hash in the folder, 2 minutes) and opens
 *                                  http://HOST:PORT/login?code=CODE
 *   GET /login?code=CODE           spends the code and sets a session cookie
 *                                  (HttpOnly, SameSite=Strict; its hash kept
 *                                  in the folder for 30 days), then → /
 *
 * Only the folder's owner can read the folder, so only the owner can make a
 * code: the way Jupyter's token URLs work. Without the cookie, GET / says how
 * to get in (no token, no data) and the API answers 401. */
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_BYTES 16
#define CODE_TTL_MS (2 * 60 * 1000ull)
#define SESSION_TTL_MS (30ull * 24 * 3600 * 1000)
/* The cookie's name carries the port: browsers share cookies between the
 * ports of one host, and two folders may be served side by side. */
#define COOKIE_FMT "clientele_session_%d"
#define HASH_KEY 16 /* bytes of SHA-256 after the prefix */

/* meta key: prefix · first 16 bytes of SHA-256(secret) */
static size_t secret_key(const char *prefix, const char *secret, size_t n, unsigned char *key)
{
    unsigned char h[CL_SHA256_LEN];
    size_t pl = strlen(prefix);
    cl_sha256(secret, n, h);
    memcpy(key, prefix, pl);
    memcpy(key + pl, h, HASH_KEY);
    return pl + HASH_KEY;
}

static int put_expiry(cl_txn *t, const char *prefix, const char *secret, uint64_t ttl_ms)
{
    unsigned char key[32], v[8];
    size_t kl = secret_key(prefix, secret, strlen(secret), key);
    cl_be64_put(v, cl_now_ms() + ttl_ms);
    return cl_txn_kv_put(t, CL_TAB_META, key, kl, v, 8);
}

/* Whether prefix·hash(secret) is stored and not expired (an expired one is
 * forgotten in write transactions). */
static bool valid(cl_txn *t, const char *prefix, const char *secret, size_t n, bool spend)
{
    unsigned char key[32];
    const void *v;
    size_t vl, kl = secret_key(prefix, secret, n, key);
    if (cl_txn_kv_get(t, CL_TAB_META, key, kl, &v, &vl) || vl != 8)
        return false;
    bool live = cl_be64_get(v) > cl_now_ms();
    if (spend || !live)
        cl_txn_kv_del(t, CL_TAB_META, key, kl);
    return live;
}

/* ----- the one-time URL (clientele open) ----- */

struct code_arg {
    char code[64];
    char addr[128];
};

static int code_fn(cl_txn *t, void *arg)
{
    struct code_arg *a = arg;
    unsigned char raw[CODE_BYTES];
    int rc = cl_random(raw, sizeof raw);
    if (rc)
        return rc;
    cl_base32_encode(raw, sizeof raw, a->code, true);
    char addr[sizeof a->addr];
    if (!cl_txn_setting_text(t, CL_SETTING_UI_ADDR, addr, sizeof addr))
        memcpy(a->addr, addr, sizeof addr);
    return put_expiry(t, "login:", a->code, CODE_TTL_MS);
}

int cl_http_login_url(cl_store *s, char *url, size_t cap)
{
    struct code_arg a = {.addr = "127.0.0.1:8080"};
    int rc = cl_store_update(s, code_fn, &a);
    if (!rc)
        snprintf(url, cap, "http://%s/login?code=%s", a.addr, a.code);
    return rc;
}

int http_note_address(cl_txn *t, const char *host, int port)
{
    char addr[128];
    /* a browser cannot open 0.0.0.0: the loopback address reaches it too */
    snprintf(addr, sizeof addr, "%s:%d", strcmp(host, "0.0.0.0") ? host : "127.0.0.1", port);
    return cl_txn_setting_put_text(t, CL_SETTING_UI_ADDR, addr);
}

/* ----- the session cookie ----- */

/* The value of our cookie in a Cookie header, or NULL. Bounded: a header is
 * at most civetweb's request size. */
static const char *cookie_value(const cl_http *h, const char *header, size_t *len)
{
    char name[40];
    size_t nl = (size_t)snprintf(name, sizeof name, COOKIE_FMT "=", h->port);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > nl && !strncmp(p, name, nl)) {
            *len = n - nl;
            return p + nl;
        }
        p = end;
    }
    return NULL;
}

bool http_logged_in(const cl_http *h, struct mg_connection *conn)
{
    size_t n = 0;
    const char *sid = cookie_value(h, mg_get_header(conn, "Cookie"), &n);
    if (!sid || n > 64)
        return false;
    cl_txn *t;
    if (cl_store_read(h->cfg.store, &t))
        return false;
    bool ok = valid(t, "session:", sid, n, false);
    cl_txn_end(t);
    return ok;
}

struct login_arg {
    const char *code;
    char sid[64];
    bool ok;
};

static int login_fn(cl_txn *t, void *arg)
{
    struct login_arg *a = arg;
    a->ok = valid(t, "login:", a->code, strlen(a->code), true); /* once: spent here */
    if (!a->ok)
        return CL_OK;
    unsigned char raw[32];
    int rc = cl_random(raw, sizeof raw);
    if (rc)
        return rc;
    cl_base32_encode(raw, sizeof raw, a->sid, true);
    return put_expiry(t, "session:", a->sid, SESSION_TTL_MS);
}

int http_login(struct mg_connection *conn, cl_http *h, const char *query)
{
    char code[64] = "";
    if (query)
        mg_get_var(query, strlen(query), "code", code, sizeof code);
    struct login_arg a = {.code = code};
    if (!code[0] || cl_store_update(h->cfg.store, login_fn, &a) || !a.ok)
        return http_send_login_page(conn, 403, "That login link is used, expired or wrong.");
    char cookie[200];
    snprintf(cookie, sizeof cookie, COOKIE_FMT "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%llu", h->port,
             a.sid, (unsigned long long)(SESSION_TTL_MS / 1000));
    mg_response_header_start(conn, 303);
    mg_response_header_add(conn, "Set-Cookie", cookie, -1);
    mg_response_header_add(conn, "Location", "/", -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "Content-Length", "0", -1);
    mg_response_header_send(conn);
    return 303;
}

int http_send_login_page(struct mg_connection *conn, int status, const char *why)
{
    char body[1024];
    int n = snprintf(body, sizeof body,
                     "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>clientele</title>"
                     "<link rel=\"icon\" href=\"/icon.svg\"></head><body><h1>clientele</h1><p>%s</p>"
                     "<p>This page is for the owner of the client book only. To open it, run "
                     "<code>clientele open</code> on this computer (or <code>clientele open --print-url</code> "
                     "and open the address it prints).</p></body></html>",
                     why);
    mg_response_header_start(conn, status);
    mg_response_header_add(conn, "Content-Type", "text/html; charset=utf-8", -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "Content-Security-Policy", "default-src 'none'; img-src 'self'", -1);
    mg_response_header_add(conn, "X-Frame-Options", "DENY", -1);
    char len[16];
    snprintf(len, sizeof len, "%d", n);
    mg_response_header_add(conn, "Content-Length", len, -1);
    mg_response_header_send(conn);
    if (strcmp(mg_get_request_info(conn)->request_method, "HEAD"))
        mg_write(conn, body, (size_t)n);
    return status;
}
