/* App passwords of the DAV server (docs/dav.md). Address books and calendars
 * cannot send the page's CSRF token or follow its login link, so each client
 * gets its own password, made here and shown once:
 *
 *   clientele dav add NAME   → a random password (160 bits, base32)
 *   clientele dav list       → the names, when each was made
 *   clientele dav rm NAME    → that client is refused from its next request
 *
 * The folder keeps SHA-256(name · NUL · password), not the password. A fast
 * hash is enough here, unlike for passwords people choose: guessing 160 random
 * bits is out of reach however fast each guess is, and a slow hash would cost
 * every DAV request (a client authenticates each one, HTTP Basic). */
#include "http/dav.h"

#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "dav-client:"
#define PASSWORD_BYTES 20

static size_t client_key(const char *name, unsigned char *key)
{
    size_t pl = strlen(KEY_PREFIX), n = strlen(name);
    memcpy(key, KEY_PREFIX, pl);
    memcpy(key + pl, name, n);
    return pl + n;
}

static void password_hash(const char *name, const char *password, size_t n, unsigned char out[CL_SHA256_LEN])
{
    cl_sha256_ctx *c;
    if (cl_sha256_begin(&c)) { /* out of memory: a hash no password gives */
        memset(out, 0, CL_SHA256_LEN);
        return;
    }
    cl_sha256_update(c, name, strlen(name) + 1);
    cl_sha256_update(c, password, n);
    cl_sha256_end(c, out);
}

static int check_name(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > CL_DAV_NAME_MAX || !cl_name_valid(name, n) || strchr(name, ':'))
        return cl_seterr(CL_EINVAL, "a DAV client's name is 1 to %d characters of text without ':' (it is the user name "
                                    "the client logs in with), not '%s'", CL_DAV_NAME_MAX, name);
    return CL_OK;
}

struct add_arg {
    const char *name;
    char *password;
};

static int add_fn(cl_txn *t, void *arg)
{
    struct add_arg *a = arg;
    unsigned char key[sizeof KEY_PREFIX + CL_DAV_NAME_MAX], v[CL_SHA256_LEN + 8];
    const void *old;
    size_t kl = client_key(a->name, key), ol;
    int rc = cl_txn_kv_get(t, CL_TAB_META, key, kl, &old, &ol);
    if (rc != CL_ENOTFOUND)
        return rc ? rc : cl_seterr(CL_EEXIST, "there is a DAV client named '%s' already (dav rm it first)", a->name);
    password_hash(a->name, a->password, strlen(a->password), v);
    cl_be64_put(v + CL_SHA256_LEN, cl_now_ms());
    return cl_txn_kv_put(t, CL_TAB_META, key, kl, v, sizeof v);
}

int cl_dav_client_add(cl_store *s, const char *name, char password[CL_DAV_PASSWORD_LEN + 1])
{
    unsigned char raw[PASSWORD_BYTES];
    int rc = check_name(name);
    if (!rc)
        rc = cl_random(raw, sizeof raw);
    if (rc)
        return rc;
    cl_base32_encode(raw, sizeof raw, password, true);
    struct add_arg a = {name, password};
    return cl_store_update(s, add_fn, &a);
}

static int rm_fn(cl_txn *t, void *arg)
{
    const char *name = arg;
    unsigned char key[sizeof KEY_PREFIX + CL_DAV_NAME_MAX];
    const void *v;
    size_t kl = client_key(name, key), vl;
    int rc = cl_txn_kv_get(t, CL_TAB_META, key, kl, &v, &vl);
    if (rc == CL_ENOTFOUND)
        return cl_seterr(CL_ENOTFOUND, "no DAV client is named '%s' (dav list shows them)", name);
    return rc ? rc : cl_txn_kv_del(t, CL_TAB_META, key, kl);
}

int cl_dav_client_rm(cl_store *s, const char *name)
{
    int rc = check_name(name);
    return rc ? rc : cl_store_update(s, rm_fn, (void *)name);
}

struct list_arg {
    cl_dav_client *v;
    size_t n, cap;
};

static int list_step(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct list_arg *l = ctx;
    size_t pl = strlen(KEY_PREFIX);
    if (kl <= pl || kl > pl + CL_DAV_NAME_MAX || memcmp(k, KEY_PREFIX, pl) || vl != CL_SHA256_LEN + 8)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        cl_dav_client *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return cl_seterr(CL_ENOMEM, "out of memory");
        l->v = nv, l->cap = cap;
    }
    cl_dav_client *c = &l->v[l->n++];
    memcpy(c->name, (const char *)k + pl, kl - pl);
    c->name[kl - pl] = 0;
    c->added_ms = cl_be64_get((const unsigned char *)v + CL_SHA256_LEN);
    return 0;
}

int cl_dav_clients(cl_store *s, cl_dav_client **out, size_t *n)
{
    cl_txn *t;
    struct list_arg l = {0};
    int rc = cl_store_read(s, &t);
    if (!rc) {
        rc = cl_txn_kv_each(t, CL_TAB_META, list_step, &l);
        cl_txn_end(t);
    }
    if (rc)
        free(l.v), l.v = NULL, l.n = 0;
    *out = l.v;
    *n = l.n;
    return rc;
}

bool dav_password_ok(cl_txn *t, const char *name, const char *password, size_t n)
{
    unsigned char key[sizeof KEY_PREFIX + CL_DAV_NAME_MAX], h[CL_SHA256_LEN];
    const void *v;
    size_t vl;
    if (check_name(name) || cl_txn_kv_get(t, CL_TAB_META, key, client_key(name, key), &v, &vl) ||
        vl != CL_SHA256_LEN + 8)
        return false;
    password_hash(name, password, n, h);
    unsigned char diff = 0; /* compared in constant time */
    for (size_t i = 0; i < CL_SHA256_LEN; i++)
        diff |= h[i] ^ ((const unsigned char *)v)[i];
    return diff == 0;
}
