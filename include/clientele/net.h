/*
 * clientele — net layer: this device's identity (EC key and self-signed
 * certificate), mutually authenticated TLS connections pinned to device ids,
 * and length-prefixed frames. Errors follow util.h.
 */
#ifndef CLIENTELE_NET_H
#define CLIENTELE_NET_H

#include "clientele/util.h"

typedef struct cl_identity cl_identity;

/* Load the key and certificate of the data folder dir, creating them (EC
 * P-256, owner-only files key.pem and cert.pem) when absent. *out is owned by
 * the caller: cl_identity_free(). */
int cl_identity_load(const char *dir, bool create, cl_identity **out);
void cl_identity_free(cl_identity *id);
const cl_device_id *cl_identity_device(const cl_identity *id);

/* The device id of a DER-encoded certificate's public key. */
int cl_device_id_of_cert(const unsigned char *der, size_t len, cl_device_id *out);

#endif
