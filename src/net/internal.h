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
};

#endif
