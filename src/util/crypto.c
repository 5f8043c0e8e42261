/* Hashing, signature checks and randomness, through mbedTLS (the util
 * layer's one dependency beyond libc: a home-made SHA-256, ECDSA or DRBG
 * would be worse). */
#include "clientele/util.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cl_sha256_ctx {
    mbedtls_sha256_context c;
};

void cl_sha256(const void *p, size_t n, unsigned char out[CL_SHA256_LEN])
{
    mbedtls_sha256_ret(p, n, out, 0);
}

int cl_sha256_begin(cl_sha256_ctx **ctx)
{
    *ctx = malloc(sizeof **ctx);
    if (!*ctx)
        return cl_seterr(CL_ENOMEM, "out of memory");
    mbedtls_sha256_init(&(*ctx)->c);
    mbedtls_sha256_starts_ret(&(*ctx)->c, 0);
    return CL_OK;
}

void cl_sha256_update(cl_sha256_ctx *ctx, const void *p, size_t n)
{
    mbedtls_sha256_update_ret(&ctx->c, p, n);
}

void cl_sha256_end(cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN])
{
    mbedtls_sha256_finish_ret(&ctx->c, out);
    mbedtls_sha256_free(&ctx->c);
    free(ctx);
}

int cl_sha256_peek(const cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN])
{
    mbedtls_sha256_context copy;
    mbedtls_sha256_init(&copy);
    mbedtls_sha256_clone(&copy, &ctx->c);
    int rc = mbedtls_sha256_finish_ret(&copy, out);
    mbedtls_sha256_free(&copy);
    return rc ? cl_seterr(CL_EIO, "SHA-256 failed") : CL_OK;
}

struct cl_hash_ctx {
    mbedtls_sha512_context c;
};

int cl_hash_begin(cl_hash_ctx **ctx)
{
    *ctx = malloc(sizeof **ctx);
    if (!*ctx)
        return cl_seterr(CL_ENOMEM, "out of memory");
    mbedtls_sha512_init(&(*ctx)->c);
    mbedtls_sha512_starts_ret(&(*ctx)->c, 0);
    return CL_OK;
}

void cl_hash_update(cl_hash_ctx *ctx, const void *p, size_t n)
{
    mbedtls_sha512_update_ret(&ctx->c, p, n);
}

int cl_hash_peek(const cl_hash_ctx *ctx, unsigned char out[CL_HASH_LEN])
{
    unsigned char full[64];
    mbedtls_sha512_context copy;
    mbedtls_sha512_init(&copy);
    mbedtls_sha512_clone(&copy, &ctx->c);
    int rc = mbedtls_sha512_finish_ret(&copy, full);
    mbedtls_sha512_free(&copy);
    memcpy(out, full, CL_HASH_LEN);
    return rc ? cl_seterr(CL_EIO, "SHA-512 failed") : CL_OK;
}

void cl_hash_end(cl_hash_ctx *ctx, unsigned char out[CL_HASH_LEN])
{
    unsigned char full[64];
    mbedtls_sha512_finish_ret(&ctx->c, full);
    mbedtls_sha512_free(&ctx->c);
    free(ctx);
    memcpy(out, full, CL_HASH_LEN);
}

void cl_hash(const void *p, size_t n, unsigned char out[CL_HASH_LEN])
{
    unsigned char full[64];
    mbedtls_sha512_ret(p, n, full, 0);
    memcpy(out, full, CL_HASH_LEN);
}

int cl_sig_verify(const unsigned char *pubkey, size_t pubkey_len, const unsigned char digest[CL_SHA256_LEN],
                  const unsigned char *sig, size_t sig_len)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = CL_OK;
    if (mbedtls_pk_parse_public_key(&pk, pubkey, pubkey_len) || !mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA))
        rc = cl_seterr(CL_EINVAL, "unreadable public key");
    else if (mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, CL_SHA256_LEN, sig, sig_len))
        rc = cl_seterr(CL_EDENIED, "bad signature");
    mbedtls_pk_free(&pk);
    return rc;
}

void cl_device_id_of_pubkey(const unsigned char *pubkey, size_t pubkey_len, cl_device_id *out)
{
    unsigned char h[CL_SHA256_LEN];
    cl_sha256(pubkey, pubkey_len, h);
    memcpy(out->b, h, CL_DEVICE_ID_LEN);
}

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static bool seeded;
static pid_t seeded_pid;

int cl_random(void *out, size_t n)
{
    int rc = CL_OK;
    pthread_mutex_lock(&rng_lock);
    if (!seeded || seeded_pid != getpid()) { /* a forked child reseeds */
        if (seeded)
            mbedtls_ctr_drbg_free(&drbg), mbedtls_entropy_free(&entropy);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                  (const unsigned char *)"clientele", 9) != 0) {
            rc = cl_seterr(CL_EIO, "cannot seed the random generator");
            goto out;
        }
        seeded = true;
        seeded_pid = getpid();
    }
    unsigned char *p = out;
    while (n) {
        size_t k = n > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : n;
        if (mbedtls_ctr_drbg_random(&drbg, p, k) != 0) {
            rc = cl_seterr(CL_EIO, "random generator failed");
            goto out;
        }
        p += k;
        n -= k;
    }
out:
    pthread_mutex_unlock(&rng_lock);
    return rc;
}


