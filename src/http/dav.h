/* Private to the DAV server's files (dav.c, dav_sync.c, dav_auth.c, dav_files.c). */
#ifndef CLIENTELE_HTTP_DAV_H
#define CLIENTELE_HTTP_DAV_H

#include "http/dav_xml.h"
#include "http/internal.h"

#define DAV_ROOT "/dav/"
#define DAV_TOKEN_PREFIX "http://clientele.invalid/sync/"
#define DAV_TOKEN_MAX 64
#define DAV_TOKENS_KEPT 1000  /* moments whose sync token is honoured */

/* ----- sync tokens (dav_sync.c) ----- */

/* The book's state at a moment: the op count of a read transaction (the log
 * only grows, so the count names the moment) and the version vector then,
 * which says which ops came after it. */
typedef struct dav_token {
    uint64_t n;
    cl_buf vv;     /* n × [device id (20) · seq (8)] */
} dav_token;

/* The state seen by read transaction t. */
int dav_token_take(cl_txn *t, dav_token *tok);
/* Keep it in the folder (the dav table) so that its text can be given back:
 * a write of its own, done once per moment. */
int dav_token_keep(cl_store *s, const dav_token *tok);
void dav_token_text(const dav_token *tok, char out[DAV_TOKEN_MAX]);
void dav_token_free(dav_token *tok);
/* Which records a collection's items come from: a bit per record type
 * (DAV_TYPE) whose records it holds, and the types whose names its items
 * show (a contact's card names its company, a task its contact). */
#define DAV_TYPE(t) (1u << (t))
typedef struct dav_scope {
    uint32_t types, named;
} dav_scope;
/* Every record of the scope changed since the moment the token names (and
 * those naming a renamed one), each once, deleted ones included. CL_EINVAL
 * for a token this folder did not give. */
int dav_changed_since(cl_txn *t, const char *token, dav_scope scope, int (*fn)(void *ctx, const cl_record_id *id),
                      void *ctx);

/* ----- app passwords (dav_auth.c) ----- */

bool dav_password_ok(cl_txn *t, const char *name, const char *password, size_t n);

/* ----- answers and multistatus bodies (dav.c), for dav_files.c too -----
 * Each send returns the status sent. */

/* headers: name, value, … NULL; Content-Length is added, the body left out
 * for HEAD. Written raw once a 100 Continue went out (dav_read_body). */
int dav_send(struct mg_connection *conn, int status, const char *const *headers, const char *body, size_t len);
int dav_send_text(struct mg_connection *conn, int status, const char *type, const char *etag, const char *body,
                  size_t len);
/* A one-line text/plain answer. */
int dav_send_msg(struct mg_connection *conn, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The error cl_seterr recorded for rc, with the status http_status_of gives it. */
int dav_send_error(struct mg_connection *conn, int rc);
/* A precondition broken, as RFC 4918 §16 writes it: <d:error><ns:what/></d:error>. */
int dav_send_condition(struct mg_connection *conn, int status, const char *ns, const char *what);
/* Text for XML (& < > " escaped); a path segment as an href writes it (%XX). */
int dav_put_xml(cl_buf *b, const char *s, size_t n);
int dav_put_segment(cl_buf *b, const char *s);
/* <p:name> of a property, its namespace declared on it unless it is DAV:,
 * CardDAV's, CalDAV's or calendarserver's (the multistatus declares those),
 * with xml:lang when lang is not NULL; <p:name/> when empty. */
int dav_open_prop(cl_buf *b, const dav_prop *p, const char *lang, bool empty);
int dav_close_prop(cl_buf *b, const dav_prop *p);
/* <?xml …?><d:multistatus xmlns:d="DAV:" …> */
int dav_ms_begin(cl_buf *b);
/* </d:multistatus> and the 207 (or the error rc names); frees b. */
int dav_send_multistatus(struct mg_connection *conn, int rc, cl_buf *b);
/* http_read_body, after the interim 100 Continue a client that sent
 * Expect: 100-continue waits for (when the body will be read). */
int dav_read_body(struct mg_connection *conn, char **body, size_t *len);
/* The request's If-Match / If-None-Match against the resource's ETag now
 * (NULL: no resource). */
bool dav_preconditions_hold(struct mg_connection *conn, const char *etag);

/* ----- the plain WebDAV folder /dav/files/ (dav_files.c) ----- */

#define DAV_FILES "/dav/files/"

/* Whether a path is the folder's (/dav/files, /dav/files/…). */
bool dav_files_path(const char *path);
/* Answer a request to the folder (after the app password was checked). */
int dav_files(struct mg_connection *conn, cl_http *h, const char *method, const char *path);
/* The methods the folder answers, for OPTIONS' Allow: COPY and MOVE only
 * where civetweb lets them through (1.16 on; 1.15 refuses them itself). */
const char *dav_files_allow(void);
/* The folder's <d:response> in a PROPFIND of /dav/ with Depth 1. */
int dav_files_root_response(cl_txn *t, cl_buf *b, const dav_request *q);

#endif
