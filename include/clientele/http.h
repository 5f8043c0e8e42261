/*
 * clientele — http layer: the local web page and its JSON API (civetweb).
 * Errors follow util.h.
 */
#ifndef CLIENTELE_HTTP_H
#define CLIENTELE_HTTP_H

#include "clientele/net.h"
#include "clientele/store.h"

typedef struct cl_http_config {
    cl_store *store;                 /* borrowed; outlives the server */
    const cl_identity *ident;        /* borrowed */
    const char *listen;              /* "127.0.0.1:8080" */
    const char *peer_listen;         /* serve's peer listener ("0.0.0.0:7701"): the
                                      * addresses the Devices page shows and
                                      * invitations name; NULL when it has none */
    /* Ask for a sync with every paired peer now (POST /api/sync); NULL when
     * the process does not sync (the API answers 503 then). */
    void (*sync_now)(void *ctx);
    void *sync_ctx;
    /* serve --dav-listen: where phones reach the DAV server over TLS
     * ("0.0.0.0:8443") and the certificate's fingerprint, for the Devices
     * page; NULL when DAV is on loopback only */
    const char *dav_listen, *dav_fingerprint;
} cl_http_config;

typedef struct cl_http cl_http;

/* Start serving; returns once the port is bound. */
int cl_http_start(const cl_http_config *cfg, cl_http **out);
/* The DAV server alone (serve --dav-listen, behind the TLS front of
 * net.h): plain HTTP on a loopback port of its own (*port), nothing but
 * /dav/ and the .well-known redirects, answering to public_port — the
 * front's — in the Host clients send. cfg->listen is not used. */
int cl_http_dav_start(const cl_http_config *cfg, uint16_t public_port, cl_http **out, uint16_t *port);
/* Stop and free (waits for requests in progress). NULL is fine. */
void cl_http_stop(cl_http *h);

/* A fresh one-time login URL for the page of the folder's serve
 * (http://HOST:PORT/login?code=…, valid 2 minutes, once): following it logs
 * a browser in (docs/security.md). The address is the one serve last served
 * on, else 127.0.0.1:8080. */
int cl_http_login_url(cl_store *s, char *url, size_t cap);

/* ----- the DAV server's clients (http/dav_auth.c, docs/dav.md) ----- */

#define CL_DAV_NAME_MAX 64
#define CL_DAV_PASSWORD_LEN 32
typedef struct cl_dav_client {
    char name[CL_DAV_NAME_MAX + 1];
    uint64_t added_ms;
} cl_dav_client;
/* A new client allowed in with password (random, shown once; the folder
 * keeps its hash). CL_EEXIST when the name is taken, CL_EINVAL for a name
 * that cannot be a user name. */
int cl_dav_client_add(cl_store *s, const char *name, char password[CL_DAV_PASSWORD_LEN + 1]);
/* Refused from its next request on. CL_ENOTFOUND when there is none. */
int cl_dav_client_rm(cl_store *s, const char *name);
/* Every client, in name order; *out (n of them) is the caller's to free. */
int cl_dav_clients(cl_store *s, cl_dav_client **out, size_t *n);

#endif
