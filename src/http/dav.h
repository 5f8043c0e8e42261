/* Private to the DAV server's files (dav.c, dav_sync.c, dav_auth.c). */
#ifndef CLIENTELE_HTTP_DAV_H
#define CLIENTELE_HTTP_DAV_H

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

#endif
