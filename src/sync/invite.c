/* One-step pairing. The inviter keeps a hash of the secret, its expiry and
 * nothing else (meta key "invite:" + 16 bytes of SHA-256(secret)); the joiner
 * proves the secret in its first frame inside a TLS session pinned to the
 * inviter's id. A secret works once. */
#include "sync/internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define INVITE_KEY_LEN (7 + 16)
#define SECRET_TEXT 16   /* base32 symbols of the 80-bit secret */

static void invite_key(unsigned char key[INVITE_KEY_LEN], const unsigned char secret[CL_INVITE_SECRET])
{
    unsigned char h[CL_SHA256_LEN];
    cl_sha256(secret, CL_INVITE_SECRET, h);
    memcpy(key, "invite:", 7);
    memcpy(key + 7, h, 16);
}

struct create_args {
    unsigned char key[INVITE_KEY_LEN];
    uint64_t expires;
};

static int create_fn(cl_txn *t, void *arg)
{
    struct create_args *a = arg;
    unsigned char v[8];
    cl_be64_put(v, a->expires);
    return cl_txn_kv_put(t, CL_TAB_META, a->key, INVITE_KEY_LEN, v, 8);
}

int cl_invite_create(cl_store *s, const cl_device_id *self, const char *addrs, unsigned ttl_s,
                     char text[CL_INVITE_TEXT])
{
    unsigned char secret[CL_INVITE_SECRET];
    struct create_args a = {.expires = cl_now_ms() + (uint64_t)ttl_s * 1000};
    int rc = cl_random(secret, sizeof secret);
    if (rc)
        return rc;
    invite_key(a.key, secret);
    if ((rc = cl_store_update(s, create_fn, &a)))
        return rc;
    char id[CL_DEVICE_ID_TEXT], sym[40], sec[SECRET_TEXT + 1];
    cl_device_id_format(self, id);
    size_t n = 0;
    for (const char *p = id; *p; p++)
        if (*p != '-')
            sym[n++] = *p;
    sym[n] = 0;
    cl_base32_encode(secret, sizeof secret, sec, false);
    if (snprintf(text, CL_INVITE_TEXT, "clientele://%s/%s@%s", sym, sec, addrs) >= CL_INVITE_TEXT)
        return cl_seterr(CL_EINVAL, "too many addresses for one invitation");
    return CL_OK;
}

/* Split an invitation into the inviter's id, the secret and the addresses. */
static int invite_parse(const char *text, cl_device_id *id, unsigned char secret[CL_INVITE_SECRET],
                        char *addrs, size_t cap)
{
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "clientele://", 12))
        return cl_seterr(CL_EINVAL, "not an invitation: it starts with clientele://");
    const char *p = text + 12, *slash = strchr(p, '/'), *at = slash ? strchr(slash, '@') : NULL;
    if (!slash || !at || (size_t)(slash - p) > 60)
        return cl_seterr(CL_EINVAL, "not an invitation: clientele://DEVICEID/SECRET@ADDRESSES expected");
    char idtext[64];
    memcpy(idtext, p, (size_t)(slash - p));
    idtext[slash - p] = 0;
    if (cl_device_id_parse(idtext, id))
        return cl_wraperr(CL_EINVAL, "invitation");
    if (at - slash - 1 != SECRET_TEXT)
        return cl_seterr(CL_EINVAL, "invitation: the secret must have %d symbols", SECRET_TEXT);
    if (cl_base32_decode(slash + 1, SECRET_TEXT, secret))
        return cl_seterr(CL_EINVAL, "invitation: the secret has a symbol that is not base32");
    snprintf(addrs, cap, "%s", at + 1);
    size_t len = strlen(addrs);
    while (len && isspace((unsigned char)addrs[len - 1]))
        addrs[--len] = 0;
    if (!len)
        return cl_seterr(CL_EINVAL, "invitation: no address");
    return CL_OK;
}

int cl_invite_read(const char *text, cl_device_id *inviter, char *addrs, size_t cap)
{
    unsigned char secret[CL_INVITE_SECRET];
    return invite_parse(text, inviter, secret, addrs, cap);
}

void cl_invite_addresses(const char *host, unsigned port, char *out, size_t cap)
{
    out[0] = 0;
    if (host && *host && strcmp(host, "0.0.0.0")) {
        snprintf(out, cap, "%s:%u", host, port);
        return;
    }
    char ips[512];
    cl_local_addresses(ips, sizeof ips);
    size_t len = 0;
    char *save = NULL;
    for (char *ip = strtok_r(ips, ",", &save); ip; ip = strtok_r(NULL, ",", &save)) {
        int k = snprintf(out + len, cap - len, "%s%s:%u", len ? "," : "", ip, port);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
}

/* Wrong guesses at an invitation secret: INVITE_GUESSES a minute in this
 * process (a token bucket, refilled smoothly). Beyond, every redemption is
 * refused unchecked until the bucket refills, so guessing cannot go on at the
 * speed of handshakes; each wrong guess is logged. 80 random bits make
 * guessing hopeless anyway: this bounds it and makes it seen. */
#define INVITE_GUESSES 10

static pthread_mutex_t guess_lock = PTHREAD_MUTEX_INITIALIZER;
static double guess_tokens = INVITE_GUESSES;
static uint64_t guess_at;

/* take: spend a token (a wrong guess); else only look whether one is left. */
static bool guess_allowed(bool take)
{
    pthread_mutex_lock(&guess_lock);
    uint64_t now = cl_mono_ms();
    if (guess_at)
        guess_tokens += (double)(now - guess_at) * INVITE_GUESSES / 60000.0;
    guess_tokens = guess_tokens > INVITE_GUESSES ? INVITE_GUESSES : guess_tokens;
    guess_at = now;
    bool ok = guess_tokens >= 1;
    if (ok && take)
        guess_tokens -= 1;
    pthread_mutex_unlock(&guess_lock);
    return ok;
}

static int wrong_guess(const cl_device_id *who, const char *addr)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(who, id);
    guess_allowed(true);
    cl_log(CL_LOG_WARN, "wrong invitation secret from device %s (%s)", id, addr && *addr ? addr : "?");
    return cl_seterr(CL_EDENIED, "invitation refused: unknown or already used");
}

int invite_redeem(cl_txn *t, const unsigned char secret[CL_INVITE_SECRET], const cl_device_id *who,
                  const char *name, const char *addr)
{
    unsigned char key[INVITE_KEY_LEN];
    const void *v;
    size_t n;
    if (!guess_allowed(false))
        return cl_seterr(CL_EDENIED, "invitation refused: too many wrong invitations lately, try again in a minute");
    invite_key(key, secret);
    int rc = cl_txn_kv_get(t, CL_TAB_META, key, sizeof key, &v, &n);
    if (rc == CL_ENOTFOUND)
        return wrong_guess(who, addr);
    if (rc)
        return rc;
    bool expired = n != 8 || cl_be64_get(v) < cl_now_ms();
    if ((rc = cl_txn_kv_del(t, CL_TAB_META, key, sizeof key)))
        return rc;
    if (expired)
        return cl_seterr(CL_EDENIED, "invitation refused: it has expired");
    /* the name the joining device claims: kept readable, its control
     * characters escaped (a name is shown in lists, logs and terminals) */
    cl_buf safe = {0};
    if (cl_escape_controls(&safe, name, strlen(name), false))
        return cl_seterr(CL_ENOMEM, "out of memory");
    char shown[CL_NAME_MAX + 1];
    snprintf(shown, sizeof shown, "%s", safe.len ? (const char *)safe.data : "");
    cl_buf_free(&safe);
    return sync_pair(t, who, addr && *addr ? addr : NULL, shown);
}

/* Present the secret on one address; on WELCOME pair the inviter. */
static int join_at(cl_store *s, const cl_identity *me, const char *addr, const cl_device_id *inviter,
                   const cl_invite_msg *m, char *peer_name, size_t cap)
{
    cl_conn *c;
    int rc = cl_conn_connect(me, addr, inviter, NULL, NULL, SYNC_TIMEOUT_MS, &c);
    if (rc)
        return rc;
    cl_buf b = {0};
    uint8_t type;
    const unsigned char *p;
    size_t n;
    rc = cl_wire_invite_encode(&b, m);
    if (!rc)
        rc = cl_conn_send(c, CL_MSG_INVITE, b.data, b.len);
    if (!rc)
        rc = cl_conn_recv(c, &type, &p, &n);
    if (!rc && type == CL_MSG_ERROR) {
        char msg[300];
        cl_wire_text_decode(p, n, msg, sizeof msg);
        rc = cl_seterr(CL_EDENIED, "%s", msg);
    } else if (!rc && type != CL_MSG_WELCOME) {
        rc = cl_seterr(CL_EPROTO, "unexpected answer %u to an invitation", type);
    }
    if (!rc) {
        cl_wire_text_decode(p, n, peer_name, cap);
        rc = cl_peer_add(s, inviter, addr, peer_name);
    }
    cl_buf_free(&b);
    cl_conn_close(c);
    return rc;
}

int cl_invite_join(cl_store *s, const cl_identity *me, const char *text, cl_device_id *peer,
                   char *peer_name, size_t name_cap)
{
    char addrs[CL_INVITE_TEXT];
    cl_invite_msg m = {0};
    int rc = invite_parse(text, peer, m.secret, addrs, sizeof addrs);
    if (rc)
        return rc;
    if (!memcmp(peer->b, cl_store_self(s)->b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EINVAL, "this invitation was made by this very device");
    cl_txn *t;
    if ((rc = cl_store_read(s, &t)))
        return rc;
    if (cl_txn_setting_text(t, CL_SETTING_NAME, m.name, sizeof m.name))
        m.name[0] = 0;
    if (cl_txn_setting_port(t, &m.listen_port))
        m.listen_port = 0;
    cl_txn_end(t);
    /* try every address; a refusal of the secret is final */
    rc = cl_seterr(CL_EINVAL, "invitation has no address");
    char *save = NULL;
    for (char *a = strtok_r(addrs, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        rc = join_at(s, me, a, peer, &m, peer_name, name_cap);
        if (rc == CL_OK || rc == CL_EDENIED)
            break;
    }
    return rc;
}
