/* Private to the net layer. */
#ifndef CLIENTELE_NET_INTERNAL_H
#define CLIENTELE_NET_INTERNAL_H

#include "clientele/net.h"

#include <pthread.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

struct cl_identity {
    mbedtls_pk_context key;
    mbedtls_x509_crt cert;
    cl_device_id device;
    /* PEM copies: every connection parses its own key, because mbedTLS's
     * EC contexts are not safe to share between threads. */
    char *key_pem, *cert_pem;
    /* The public key (DER SubjectPublicKeyInfo) that signs this device's
     * log, and a lock: signing uses `key`, which threads must not share. */
    unsigned char pubkey[CL_PUBKEY_MAX];
    size_t pubkey_len;
    pthread_mutex_t sign_lock;
    char *dir;   /* the data folder: the client keeps its TLS sessions there */
    /* Session-ticket keys of this process as a TLS server, made at load, owned
     * here. Shared by every server connection, which is safe: mbedTLS locks
     * it (MBEDTLS_THREADING_C). A new identity means new keys, so tickets
     * never outlive the process that issued them. */
    mbedtls_ssl_ticket_context *tickets;
};

/* Lifetime of a session ticket; mbedTLS rotates the key every lifetime and
 * accepts the previous one for one more. */
#define NET_TICKET_LIFETIME_S (12 * 3600)

/* Connect a TCP socket to "HOST:PORT" within timeout_ms. */
int net_connect(const char *addr, int timeout_ms, int *fd_out);
/* A TLS config with this device's certificate and key (cert and key are
 * the caller's, initialised, to free after the config), TLS 1.2+, our
 * cipher suites; the caller sets the auth mode. */
int net_tls_config(const cl_identity *me, bool server, mbedtls_ssl_config *conf, mbedtls_x509_crt *cert,
                   mbedtls_pk_context *key);
/* An mbedTLS error as ours: CL_ETIMEOUT, CL_EIO (closed), else CL_ETLS. */
int net_tls_err(int rc, const char *what);
/* Device id of a public key. */
int net_device_id_of_pk(mbedtls_pk_context *pk, cl_device_id *out);

/* ----- the client's saved TLS sessions (resume.c), one file per peer:
 * <dir>/tls-sessions/<peer id in hex>. A cache: every failure is silent and
 * only costs a full handshake next time, so none of these sets cl_errmsg. */

/* Load the session saved for peer into *out (initialised by the caller,
 * freed by the caller with mbedtls_ssl_session_free). False when there is
 * none usable: missing, damaged, saved by another identity, or expired. */
bool net_session_load(const cl_identity *me, const cl_device_id *peer, mbedtls_ssl_session *out);
/* Save s as the session for peer (owner-only file, written then renamed). */
void net_session_save(const cl_identity *me, const cl_device_id *peer, const mbedtls_ssl_session *s);
/* Delete the session saved for peer, if any. */

#endif
