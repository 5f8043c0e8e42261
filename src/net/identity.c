/* The device's key pair and self-signed certificate. The device id is the
 * first 160 bits of SHA-256 over the DER SubjectPublicKeyInfo. */
#include "net/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509_crt.h>

static int rng(void *ctx, unsigned char *out, size_t n)
{
    (void)ctx;
    return cl_random(out, n) ? MBEDTLS_ERR_ENTROPY_SOURCE_FAILED : 0;
}

int net_device_id_of_pk(mbedtls_pk_context *pk, cl_device_id *out)
{
    unsigned char der[512];
    int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
    if (n < 0)
        return cl_seterr(CL_ETLS, "cannot encode the public key");
    unsigned char hash[CL_SHA256_LEN];
    cl_sha256(der + sizeof der - n, (size_t)n, hash); /* written at the end of der */
    memcpy(out->b, hash, CL_DEVICE_ID_LEN);
    return CL_OK;
}

int cl_device_id_of_cert(const unsigned char *der, size_t len, cl_device_id *out)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse_der(&crt, der, len)
                 ? cl_seterr(CL_ETLS, "unreadable certificate")
                 : net_device_id_of_pk(&crt.pk, out);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* Write a file readable by its owner only, atomically (write then rename). */
static int write_private(const char *path, const unsigned char *data, size_t n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return cl_seterr(CL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return cl_seterr(CL_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return CL_OK;
}

/* The whole file, NUL-terminated; NULL on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    cl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (cl_buf_put(&b, chunk, n)) {
            cl_buf_free(&b);
            break;
        }
    fclose(f);
    return b.data ? cl_buf_steal(&b) : NULL;
}

static int create_identity(cl_identity *id, const char *keypath, const char *certpath)
{
    int rc;
    unsigned char buf[4096];
    if ((rc = mbedtls_pk_setup(&id->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) ||
        (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(id->key), rng, NULL)))
        return cl_seterr(CL_ETLS, "cannot create a key: -0x%04x", (unsigned)-rc);
    if (net_device_id_of_pk(&id->key, &id->device))
        return CL_ETLS;
    char idtext[CL_DEVICE_ID_TEXT], subject[128];
    cl_device_id_format(&id->device, idtext);
    snprintf(subject, sizeof subject, "CN=clientele %s", idtext);

    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    unsigned char sbytes[16];
    cl_random(sbytes, sizeof sbytes);
    sbytes[0] &= 0x7f;
    mbedtls_mpi_read_binary(&serial, sbytes, sizeof sbytes);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &id->key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &id->key);
    rc = mbedtls_x509write_crt_set_subject_name(&crt, subject);
    if (!rc) rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject);
    if (!rc) rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
    /* long validity: expiry is checked before the pin, and devices live long */
    if (!rc) rc = mbedtls_x509write_crt_set_validity(&crt, "20000101000000", "20991231235959");
    if (!rc) rc = mbedtls_x509write_crt_pem(&crt, buf, sizeof buf, rng, NULL);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_mpi_free(&serial);
    if (rc)
        return cl_seterr(CL_ETLS, "cannot create the certificate: -0x%04x", (unsigned)-rc);
    if ((rc = write_private(certpath, buf, strlen((char *)buf))))
        return rc;
    if ((rc = mbedtls_pk_write_key_pem(&id->key, buf, sizeof buf)))
        return cl_seterr(CL_ETLS, "cannot encode the key");
    /* the key last: its presence means the identity is complete */
    return write_private(keypath, buf, strlen((char *)buf));
}

/* Fresh random ticket keys for this identity's server side. AES-256-GCM, as
 * mbedTLS recommends: a 256-bit key, no weaker than the suites we offer. */
static int setup_tickets(cl_identity *id)
{
    if (!(id->tickets = malloc(sizeof *id->tickets)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    mbedtls_ssl_ticket_init(id->tickets);
    int rc = mbedtls_ssl_ticket_setup(id->tickets, rng, NULL, MBEDTLS_CIPHER_AES_256_GCM, NET_TICKET_LIFETIME_S);
    if (rc)
        return cl_seterr(CL_ETLS, "cannot set up TLS session tickets: -0x%04x", (unsigned)-rc);
    return CL_OK;
}

int cl_identity_load(const char *dir, bool create, cl_identity **out)
{
    char keypath[4096], certpath[4096];
    snprintf(keypath, sizeof keypath, "%s/key.pem", dir);
    snprintf(certpath, sizeof certpath, "%s/cert.pem", dir);
    cl_identity *id = calloc(1, sizeof *id);
    if (!id)
        return cl_seterr(CL_ENOMEM, "out of memory");
    mbedtls_pk_init(&id->key);
    mbedtls_x509_crt_init(&id->cert);
    pthread_mutex_init(&id->sign_lock, NULL);
    int rc = CL_OK;
    if (access(keypath, F_OK) != 0) {
        if (!create) {
            rc = cl_seterr(CL_ENOTFOUND, "%s has no device key: run 'clientele init'", dir);
            goto fail;
        }
        mbedtls_pk_free(&id->key);
        mbedtls_pk_init(&id->key);
        if ((rc = create_identity(id, keypath, certpath)))
            goto fail;
        mbedtls_pk_free(&id->key);
        mbedtls_pk_init(&id->key);
    }
    struct stat st;
    if (stat(keypath, &st) == 0 && (st.st_mode & 077)) {
        rc = cl_seterr(CL_EDENIED, "%s is readable by other users: run 'chmod 600 %s'", keypath, keypath);
        goto fail;
    }
    if (mbedtls_pk_parse_keyfile(&id->key, keypath, NULL) != 0) {
        rc = cl_seterr(CL_ECORRUPT, "cannot read the device key %s", keypath);
        goto fail;
    }
    if (mbedtls_x509_crt_parse_file(&id->cert, certpath) != 0) {
        rc = cl_seterr(CL_ECORRUPT, "cannot read the device certificate %s", certpath);
        goto fail;
    }
    if (!(id->key_pem = read_file(keypath)) || !(id->cert_pem = read_file(certpath))) {
        rc = cl_seterr(CL_EIO, "cannot read the device key or certificate in %s", dir);
        goto fail;
    }
    cl_device_id certid;
    if ((rc = net_device_id_of_pk(&id->key, &id->device)) || (rc = net_device_id_of_pk(&id->cert.pk, &certid)))
        goto fail;
    if (memcmp(certid.b, id->device.b, CL_DEVICE_ID_LEN)) {
        rc = cl_seterr(CL_ECORRUPT, "%s does not match the device key", certpath);
        goto fail;
    }
    int n = mbedtls_pk_write_pubkey_der(&id->key, id->pubkey, sizeof id->pubkey);
    if (n <= 0) {
        rc = cl_seterr(CL_ETLS, "cannot encode the public key");
        goto fail;
    }
    memmove(id->pubkey, id->pubkey + sizeof id->pubkey - n, (size_t)n); /* written at the end */
    id->pubkey_len = (size_t)n;
    if ((rc = setup_tickets(id)))
        goto fail;
    if (!(id->dir = strdup(dir))) {
        rc = cl_seterr(CL_ENOMEM, "out of memory");
        goto fail;
    }
    *out = id;
    return CL_OK;
fail:
    cl_identity_free(id);
    return rc;
}

void cl_identity_free(cl_identity *id)
{
    if (!id)
        return;
    mbedtls_pk_free(&id->key);
    mbedtls_x509_crt_free(&id->cert);
    free(id->key_pem);
    free(id->cert_pem);
    free(id->dir);
    pthread_mutex_destroy(&id->sign_lock);
    if (id->tickets)
        mbedtls_ssl_ticket_free(id->tickets);
    free(id->tickets);
    free(id);
}

const cl_device_id *cl_identity_device(const cl_identity *id)
{
    return &id->device;
}

void cl_identity_fingerprint(const cl_identity *id, char out[CL_FINGERPRINT_TEXT])
{
    unsigned char h[CL_SHA256_LEN];
    cl_sha256(id->cert.raw.p, id->cert.raw.len, h);
    for (int i = 0; i < CL_SHA256_LEN; i++)
        snprintf(out + 3 * i, 4, "%02X%s", h[i], i + 1 < CL_SHA256_LEN ? ":" : "");
}

static int sign_digest(void *ctx, const unsigned char digest[CL_SHA256_LEN], unsigned char sig[CL_SIG_MAX],
                       size_t *sig_len)
{
    cl_identity *id = ctx;
    pthread_mutex_lock(&id->sign_lock);
    int rc = mbedtls_pk_sign(&id->key, MBEDTLS_MD_SHA256, digest, CL_SHA256_LEN, sig, sig_len, rng, NULL);
    pthread_mutex_unlock(&id->sign_lock);
    return rc ? cl_seterr(CL_ETLS, "cannot sign: -0x%04x", (unsigned)-rc) : CL_OK;
}

void cl_identity_signer(const cl_identity *id, cl_signer *out)
{
    *out = (cl_signer){sign_digest, (void *)id, id->pubkey, id->pubkey_len};
}
