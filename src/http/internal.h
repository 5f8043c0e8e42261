/* Private to src/http: the server state shared by the request handlers. */
#ifndef CLIENTELE_HTTP_INTERNAL_H
#define CLIENTELE_HTTP_INTERNAL_H

#include "clientele/http.h"
#include "clientele/model.h"

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <pthread.h>

/* Hard limit on a request body: a record is at most a few hundred KiB. */
#define HTTP_MAX_BODY (1024 * 1024)
/* An oversized body up to this size is read and dropped so that the client
 * sees the 413 (see too_large in server.c); beyond it the connection closes. */
#define HTTP_DRAIN_MAX (64ll * 1024 * 1024)
/* Open pages listening to /api/events. Each websocket holds one of civetweb's
 * worker threads, so they are capped well below HTTP_THREADS: the API must
 * always have threads left. */
#define HTTP_MAX_WS 16
/* Slow clients (a header dripped a byte at a time, a connection that says
 * nothing) each hold a worker thread until civetweb's request timeout, which
 * bounds the whole header, not each read: 64 threads and 5 s keep the page
 * answering while dozens of them come and go (tests/http/test_hardening.sh). */
#define HTTP_THREADS "64"
#define HTTP_REQUEST_TIMEOUT_MS "5000"
/* An idle kept-alive connection holds its thread as long: no longer than a
 * slow request may. */
#define HTTP_KEEP_ALIVE_MS "5000"
#define HTTP_TOKEN_LEN 52  /* 32 random bytes in base32 */

struct cl_http {
    cl_http_config cfg;             /* copied; pointers inside are borrowed */
    struct mg_context *mg;
    char host[64];                  /* listen address as given ("127.0.0.1") */
    int port;
    int public_port;                /* cl_http_dav_start: the TLS front's port; else 0 */
    char token[HTTP_TOKEN_LEN + 1]; /* CSRF secret of the data folder */
    /* websocket clients, guarded by mg_lock_context */
    struct mg_connection *ws[HTTP_MAX_WS];
    size_t nws;
    /* the change watcher */
    pthread_t watcher;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping, watching;
};

/* ----- requests and responses (server.c) ----- */

/* Read the whole body into a malloc'd NUL-terminated buffer, refusing more
 * than HTTP_MAX_BODY before reading it when the length is announced. Returns
 * 0 or the HTTP status it sent. */
int http_read_body(struct mg_connection *conn, char **out, size_t *len);

/* Send j (not consumed) with the status; returns status. */
int http_send_json(struct mg_connection *conn, int status, const cJSON *j);
/* Send {"error":{"code","message"}}; returns status. */
int http_send_error(struct mg_connection *conn, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Send the error recorded by cl_seterr for rc, with the status it maps to. */
/* The HTTP status of an error code (400, 404, 403, else 500). */
int http_status_of(int rc);
int http_send_cl_error(struct mg_connection *conn, int rc);
/* The end of a read handler: the error rc names, else 200 with j; frees j either way. */
int http_send_result(struct mg_connection *conn, int rc, cJSON *j);
/* An empty 204. */
int http_send_empty(struct mg_connection *conn, int status);

/* ----- login (login.c) ----- */

/* Whether the request carries a live session cookie. */
bool http_logged_in(const cl_http *h, struct mg_connection *conn);
/* GET /login?code=…: spend the code, set the cookie, → / (303). */
int http_login(struct mg_connection *conn, cl_http *h, const char *query);
/* The page for a browser that is not logged in: how to get in. */
int http_send_login_page(struct mg_connection *conn, int status, const char *why);
/* Remember where the page is served, for `clientele open` (write txn). */
int http_note_address(cl_txn *t, const char *host, int port);

/* ----- the JSON API (api.c) ----- */

/* Handle a request under /api/ (after the Host and token checks). body is
 * the request body (NUL-terminated, len bytes; NULL for none). */
int http_api(struct mg_connection *conn, cl_http *h, const char *method, const char *path,
             const char *query, const char *body, size_t len);

/* Shared helpers of api*.c. They record errors with cl_seterr. */
int http_oom(void);
/* Parse a body that must be one JSON object; *out owned by the caller. */
int http_parse_object(const char *body, size_t len, cJSON **out);
/* Every key of o must be one of the NULL-terminated allowed names. */
int http_only_keys(const cJSON *o, const char *const *allowed);
/* A query parameter, URL-decoded into out; false when absent. */
bool http_query_var(const char *query, const char *name, char *out, size_t n);
/* {"items":[]} with *items pointing at the (borrowed) array; NULL on OOM. */
cJSON *http_items_object(cJSON **items);
/* names[id] = {"type","label"} of the record id names (a deal also with its
 * stage and value, a contact with its company, named too): what a row shows
 * beside a reference (api_today.c). Nothing for an id not here. */
int http_add_name(cl_txn *t, cJSON *names, const char *id);
/* Load a record and append its JSON to arr. */
int http_add_record(cl_txn *t, const cl_record_id *id, cJSON *arr);
/* Count (and, when items is not NULL, list) the records with conflicts. */
int http_count_conflicts(cl_txn *t, cJSON *items, size_t *count);

/* Endpoint handlers (api_views.c, api_devices.c, api_dav_clients.c); each returns the status sent. */
int http_api_due(struct mg_connection *conn, cl_http *h);
int http_api_recent(struct mg_connection *conn, cl_http *h, const char *query);
int http_api_birthdays(struct mg_connection *conn, cl_http *h, const char *query);
int http_api_today(struct mg_connection *conn, cl_http *h, const char *query); /* api_today.c */
int http_api_reports(struct mg_connection *conn, cl_http *h); /* api_reports.c */
int http_api_conflicts(struct mg_connection *conn, cl_http *h);
int http_api_status(struct mg_connection *conn, cl_http *h);
int http_api_peers_get(struct mg_connection *conn, cl_http *h);
int http_api_peers_post(struct mg_connection *conn, cl_http *h, const char *body, size_t len);
int http_api_device_delete(struct mg_connection *conn, cl_http *h, const char *idtext, bool pending);
int http_api_peer_revoke(struct mg_connection *conn, cl_http *h, const char *idtext);
int http_api_peer_patch(struct mg_connection *conn, cl_http *h, const char *idtext, const char *body, size_t len);
int http_api_pending_clear(struct mg_connection *conn, cl_http *h);
int http_api_sync_now(struct mg_connection *conn, cl_http *h);
int http_api_invite(struct mg_connection *conn, cl_http *h, const char *body, size_t len);
int http_api_join(struct mg_connection *conn, cl_http *h, const char *body, size_t len);
/* The DAV server's clients, app passwords (api_dav_clients.c). */
int http_api_dav_clients_get(struct mg_connection *conn, cl_http *h);
int http_api_dav_clients_post(struct mg_connection *conn, cl_http *h, const char *body, size_t len);
int http_api_dav_client_delete(struct mg_connection *conn, cl_http *h, const char *name);

/* ----- the DAV server (dav.c) ----- */

/* Whether a path is the DAV server's (/dav/…, /.well-known/carddav|caldav). */
bool http_dav_path(const char *path);
/* Answer a DAV request (its own login: app passwords, not the page's). */
int http_dav(struct mg_connection *conn, cl_http *h, const char *method, const char *path);

/* ----- the today view rendered on the server (today.c) ----- */

/* Append to out an HTML fragment of the today view (open due tasks, recent
 * interactions) for the page's first paint, before its scripts run: GET /
 * shows what is due even to a client that runs no JavaScript. */
int http_today_html(cl_store *s, cl_buf *out);

#endif
