/* Private to the net layer. */
#ifndef CLIENTELE_NET_INTERNAL_H
#define CLIENTELE_NET_INTERNAL_H

#include "clientele/net.h"

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

struct cl_identity {
    mbedtls_pk_context key;
    mbedtls_x509_crt cert;
    cl_device_id device;
    /* PEM copies: every connection parses its own key, because mbedTLS's
     * EC contexts are not safe to share between threads. */
    char *key_pem, *cert_pem;
};

/* Connect a TCP socket to "HOST:PORT" within timeout_ms. */
int net_connect(const char *addr, int timeout_ms, int *fd_out);
/* Device id of a public key. */
int net_device_id_of_pk(mbedtls_pk_context *pk, cl_device_id *out);

#endif
