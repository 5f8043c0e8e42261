/* Paired peers and pending requests, kept in the store's peers and pending
 * tables as small JSON objects (keyed by device id) so that fields can be
 * added without a schema change. */
#include "sync/internal.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_str(char *dst, size_t cap, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static uint64_t get_u64(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* ----- JSON for people and the API ----- */

static bool add_ms(cJSON *o, const char *name, uint64_t ms)
{
    if (!ms)
        return cJSON_AddNullToObject(o, name) != NULL;
    char iso[32];
    cl_format_iso(ms, iso);
    return cJSON_AddStringToObject(o, name, iso) != NULL;
}

static bool add_introduced_by(cJSON *o, const cl_peer *p)
{
    if (!p->introduced)
        return cJSON_AddNullToObject(o, "introduced_by") != NULL;
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&p->introduced_by, id);
    return cJSON_AddStringToObject(o, "introduced_by", id) != NULL;
}

cJSON *cl_peer_json(const cl_peer *p)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&p->id, id);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "name", p->name) &&
              cJSON_AddStringToObject(o, "addr", p->addr) && add_ms(o, "added", p->added_ms) &&
              add_ms(o, "last_sync", p->last_sync_ms) && add_ms(o, "last_attempt", p->last_attempt_ms) &&
              add_ms(o, "next_attempt", p->next_attempt_ms) &&
              cJSON_AddNumberToObject(o, "last_sent", (double)p->last_sent) &&
              cJSON_AddNumberToObject(o, "last_received", (double)p->last_received) &&
              cJSON_AddNumberToObject(o, "failures", p->failures) &&
              cJSON_AddStringToObject(o, "last_error", p->last_error) &&
              cJSON_AddBoolToObject(o, "revoked", p->revoked) &&
              cJSON_AddBoolToObject(o, "introducer", p->introducer) && add_introduced_by(o, p);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *cl_pending_json(const cl_pending *p)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&p->id, id);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "name", p->name) &&
              cJSON_AddStringToObject(o, "addr", p->addr) && add_ms(o, "first", p->first_ms) &&
              add_ms(o, "last", p->last_ms) && cJSON_AddNumberToObject(o, "attempts", p->attempts);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ----- storage ----- */

static int peer_decode(const cl_device_id *id, const void *v, size_t n, cl_peer *p)
{
    cJSON *o = cJSON_ParseWithLength(v, n);
    if (!o)
        return cl_seterr(CL_ECORRUPT, "a stored peer is damaged");
    memset(p, 0, sizeof *p);
    p->id = *id;
    copy_str(p->name, sizeof p->name, o, "name");
    copy_str(p->addr, sizeof p->addr, o, "addr");
    copy_str(p->last_error, sizeof p->last_error, o, "last_error");
    p->added_ms = get_u64(o, "added");
    p->last_sync_ms = get_u64(o, "last_sync");
    p->last_attempt_ms = get_u64(o, "last_attempt");
    p->next_attempt_ms = get_u64(o, "next_attempt");
    p->last_sent = get_u64(o, "sent");
    p->last_received = get_u64(o, "received");
    p->failures = (uint32_t)get_u64(o, "failures");
    p->introducer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "introducer"));
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "introduced_by");
    p->introduced = cJSON_IsString(by) && cl_device_id_parse(by->valuestring, &p->introduced_by) == CL_OK;
    cJSON_Delete(o);
    return CL_OK;
}

int cl_peer_put(cl_txn *t, const cl_peer *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "addr", p->addr);
    cJSON_AddStringToObject(o, "last_error", p->last_error);
    cJSON_AddNumberToObject(o, "added", (double)p->added_ms);
    cJSON_AddNumberToObject(o, "last_sync", (double)p->last_sync_ms);
    cJSON_AddNumberToObject(o, "last_attempt", (double)p->last_attempt_ms);
    cJSON_AddNumberToObject(o, "next_attempt", (double)p->next_attempt_ms);
    cJSON_AddNumberToObject(o, "sent", (double)p->last_sent);
    cJSON_AddNumberToObject(o, "received", (double)p->last_received);
    cJSON_AddNumberToObject(o, "failures", p->failures);
    if (p->introducer)
        cJSON_AddTrueToObject(o, "introducer");
    if (p->introduced) {
        char by[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&p->introduced_by, by);
        cJSON_AddStringToObject(o, "introduced_by", by);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = cl_txn_kv_put(t, CL_TAB_PEERS, p->id.b, CL_DEVICE_ID_LEN, s, strlen(s));
    cJSON_free(s);
    return rc;
}

int cl_peer_get(cl_txn *t, const cl_device_id *id, cl_peer *out)
{
    const void *v;
    size_t n;
    int rc = cl_txn_kv_get(t, CL_TAB_PEERS, id->b, CL_DEVICE_ID_LEN, &v, &n);
    if (rc == CL_ENOTFOUND) {
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(id, text);
        return cl_seterr(CL_ENOTFOUND, "device %s is not paired", text);
    }
    return rc ? rc : peer_decode(id, v, n, out);
}

static int pending_decode(const cl_device_id *id, const void *v, size_t n, cl_pending *q)
{
    cJSON *o = cJSON_ParseWithLength(v, n);
    if (!o)
        return cl_seterr(CL_ECORRUPT, "a stored pending request is damaged");
    memset(q, 0, sizeof *q);
    q->id = *id;
    copy_str(q->name, sizeof q->name, o, "name");
    copy_str(q->addr, sizeof q->addr, o, "addr");
    q->first_ms = get_u64(o, "first");
    q->last_ms = get_u64(o, "last");
    q->attempts = (uint32_t)get_u64(o, "attempts");
    cJSON_Delete(o);
    return CL_OK;
}

/* CL_ENOTFOUND when id has no request, CL_ECORRUPT when it is damaged. */
static int pending_get(cl_txn *t, const cl_device_id *id, cl_pending *out)
{
    const void *v;
    size_t n;
    int rc = cl_txn_kv_get(t, CL_TAB_PENDING, id->b, CL_DEVICE_ID_LEN, &v, &n);
    return rc ? rc : pending_decode(id, v, n, out);
}

static int pending_put(cl_txn *t, const cl_pending *q)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "name", q->name) && cJSON_AddStringToObject(o, "addr", q->addr) &&
              cJSON_AddNumberToObject(o, "first", (double)q->first_ms) &&
              cJSON_AddNumberToObject(o, "last", (double)q->last_ms) &&
              cJSON_AddNumberToObject(o, "attempts", q->attempts);
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = cl_txn_kv_put(t, CL_TAB_PENDING, q->id.b, CL_DEVICE_ID_LEN, s, strlen(s));
    cJSON_free(s);
    return rc;
}

int sync_pair(cl_txn *t, const cl_device_id *id, const char *addr, const char *name)
{
    cl_peer p;
    cl_device_id by;
    if (cl_txn_revoked(t, id, &by) == CL_OK) { /* its key is compromised: for good */
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&by, text);
        return cl_seterr(CL_EDENIED, "that device has been revoked (by %s): it cannot be paired again", text);
    }
    int rc = cl_peer_get(t, id, &p);
    if (rc == CL_ENOTFOUND) {
        memset(&p, 0, sizeof p);
        p.id = *id;
        p.added_ms = cl_now_ms();
        cl_pending q; /* a device that asked before: keep the name and address it gave */
        if (pending_get(t, id, &q) == CL_OK) {
            char host[CL_PEER_ADDR_MAX + 1];
            uint16_t port;
            memcpy(p.name, q.name, sizeof p.name);
            if (!cl_addr_parse(q.addr, host, sizeof host, &port)) /* without a port only its IP is known */
                memcpy(p.addr, q.addr, sizeof p.addr);
        }
    } else if (rc) {
        return rc;
    }
    if (addr)
        snprintf(p.addr, sizeof p.addr, "%s", addr);
    if (name)
        snprintf(p.name, sizeof p.name, "%s", name);
    p.introduced = false; /* paired by hand now: no introducer's word can unpair it */
    if ((rc = cl_peer_put(t, &p)))
        return rc;
    return cl_txn_kv_del(t, CL_TAB_PENDING, id->b, CL_DEVICE_ID_LEN);
}

int sync_unpair(cl_txn *t, const cl_device_id *id)
{
    int rc = cl_txn_kv_del(t, CL_TAB_PEERS, id->b, CL_DEVICE_ID_LEN);
    return rc ? rc : sync_vv_forget(t, id);
}

struct add_args {
    const cl_device_id *id;
    const char *addr, *name;
};

static int add_fn(cl_txn *t, void *arg)
{
    struct add_args *a = arg;
    return sync_pair(t, a->id, a->addr, a->name);
}

int cl_peer_add(cl_store *s, const cl_device_id *id, const char *addr, const char *name)
{
    if (!memcmp(id->b, cl_store_self(s)->b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EINVAL, "that is this device's own id");
    if (addr && strlen(addr) > CL_PEER_ADDR_MAX)
        return cl_seterr(CL_EINVAL, "address too long");
    if (name && !cl_name_valid(name, strlen(name)))
        return cl_seterr(CL_EINVAL, "a device name has at most %d characters on one line, without control characters",
                         CL_NAME_MAX);
    struct add_args a = {id, addr, name};
    return cl_store_update(s, add_fn, &a);
}

/* The devices it introduced stay, as if paired by hand: removing the
 * office desktop must not take the team with it. */
static int remove_fn(cl_txn *t, void *arg)
{
    const cl_device_id *id = arg;
    cl_peer p;
    int rc = cl_peer_get(t, id, &p);
    if (!rc)
        rc = sync_unpair(t, id);
    return rc ? rc : sync_introduced_drop(t, id, false, NULL);
}

int cl_peer_remove(cl_store *s, const cl_identity *me, const cl_device_id *id)
{
    int rc = cl_store_update(s, remove_fn, (void *)id);
    if (!rc)
        cl_conn_forget_session(me, id); /* its master secret is no use any more */
    return rc;
}

struct revoke_args {
    const cl_device_id *id;
    sync_idlist gone;
};

/* A revocation written, and the device no longer a peer here, in one
 * transaction: it travels to every device at their next syncs. The devices
 * it introduced go too: a stolen device's word is worth nothing. */
static int revoke_fn(cl_txn *t, void *arg)
{
    struct revoke_args *a = arg;
    a->gone.n = 0; /* the function runs again when the map grew */
    int rc = cl_txn_revoke(t, a->id);
    cl_peer p;
    if (!rc && cl_peer_get(t, a->id, &p) == CL_OK)
        rc = sync_unpair(t, a->id);
    if (!rc)
        rc = cl_txn_kv_del(t, CL_TAB_PENDING, a->id->b, CL_DEVICE_ID_LEN);
    return rc ? rc : sync_introduced_drop(t, a->id, true, &a->gone);
}

int cl_peer_revoke(cl_store *s, const cl_identity *me, const cl_device_id *id)
{
    struct revoke_args a = {id, {0}};
    int rc = cl_store_update(s, revoke_fn, &a);
    if (!rc) {
        cl_conn_forget_session(me, id);
        sync_forget_sessions(me, &a.gone);
    }
    free(a.gone.ids);
    return rc;
}

bool sync_is_revoked(cl_store *s, const cl_device_id *id, cl_device_id *by)
{
    cl_txn *t;
    if (cl_store_read(s, &t))
        return false;
    bool revoked = cl_txn_revoked(t, id, by) == CL_OK;
    cl_txn_end(t);
    return revoked;
}

struct list_ctx {
    void *items;
    size_t n, size;
    bool pending;
};

static int list_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    struct list_ctx *c = arg;
    if (kl != CL_DEVICE_ID_LEN)
        return CL_OK;
    void *p = realloc(c->items, (c->n + 1) * c->size);
    if (!p)
        return cl_seterr(CL_ENOMEM, "out of memory");
    c->items = p;
    cl_device_id id;
    memcpy(id.b, k, CL_DEVICE_ID_LEN);
    /* skip a damaged entry rather than hide every other */
    int rc = c->pending ? pending_decode(&id, v, vl, (cl_pending *)c->items + c->n)
                        : peer_decode(&id, v, vl, (cl_peer *)c->items + c->n);
    if (rc)
        return CL_OK;
    c->n++;
    return CL_OK;
}

static int list_table(cl_store *s, enum cl_table tab, size_t size, void **out, size_t *n)
{
    struct list_ctx c = {NULL, 0, size, tab == CL_TAB_PENDING};
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    if (rc)
        return rc;
    rc = cl_txn_kv_each(t, tab, list_step, &c);
    cl_txn_end(t);
    if (rc) {
        free(c.items);
        return rc;
    }
    *out = c.items;
    *n = c.n;
    return CL_OK;
}

/* A revoked peer stays listed (the user paired it), saying so. */
static int mark_revoked(cl_store *s, cl_peer *p, size_t n)
{
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    for (size_t i = 0; !rc && i < n; i++) {
        cl_device_id by;
        char text[CL_DEVICE_ID_TEXT];
        if ((p[i].revoked = cl_txn_revoked(t, &p[i].id, &by) == CL_OK)) {
            cl_device_id_format(&by, text);
            snprintf(p[i].last_error, sizeof p[i].last_error, "revoked by %s: not synced with", text);
        }
    }
    cl_txn_end(t);
    return rc;
}

int cl_peer_list(cl_store *s, cl_peer **out, size_t *n)
{
    int rc = list_table(s, CL_TAB_PEERS, sizeof(cl_peer), (void **)out, n);
    if (!rc && (rc = mark_revoked(s, *out, *n))) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int cl_pending_list(cl_store *s, cl_pending **out, size_t *n)
{
    return list_table(s, CL_TAB_PENDING, sizeof(cl_pending), (void **)out, n);
}

static int pending_remove_fn(cl_txn *t, void *arg)
{
    const cl_device_id *id = arg;
    const void *v;
    size_t n;
    int rc = cl_txn_kv_get(t, CL_TAB_PENDING, id->b, CL_DEVICE_ID_LEN, &v, &n);
    if (rc == CL_ENOTFOUND)
        return cl_seterr(CL_ENOTFOUND, "no pending request from that device");
    return rc ? rc : cl_txn_kv_del(t, CL_TAB_PENDING, id->b, CL_DEVICE_ID_LEN);
}

int cl_pending_remove(cl_store *s, const cl_device_id *id)
{
    return cl_store_update(s, pending_remove_fn, (void *)id);
}

/* ----- the caps of the pending list (docs/security.md) ----- */

/* One request as the caps see it. */
typedef struct req {
    cl_device_id id;
    uint64_t last;
    char ip[CL_PEER_ADDR_MAX + 1];   /* the address without its port */
} req;

struct req_list {
    req *r;
    size_t n, cap;
};

/* "a.b.c.d:port" or "a.b.c.d" → "a.b.c.d": the port is the other side's
 * claim, only the IP is where it really comes from. */
static void ip_part(const char *addr, char *out, size_t cap)
{
    snprintf(out, cap, "%s", addr);
    char *colon = strrchr(out, ':');
    if (colon && !strchr(out, ']') && strchr(out, ':') == colon)
        *colon = 0;
}

static int req_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    struct req_list *l = arg;
    if (kl != CL_DEVICE_ID_LEN)
        return CL_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        req *p = realloc(l->r, cap * sizeof *p);
        if (!p)
            return cl_seterr(CL_ENOMEM, "out of memory");
        l->r = p;
        l->cap = cap;
    }
    req *q = &l->r[l->n++];
    memset(q, 0, sizeof *q);
    memcpy(q->id.b, k, CL_DEVICE_ID_LEN);
    cl_pending p;
    if (v && pending_decode(&q->id, v, vl, &p) == CL_OK) { /* a damaged entry counts as the oldest: it goes first */
        ip_part(p.addr, q->ip, sizeof q->ip);
        q->last = p.last_ms;
    }
    return CL_OK;
}

/* Delete the oldest requests (of ip, or of all when ip is NULL) until fewer
 * than keep are left. */
static int prune(cl_txn *t, struct req_list *l, const char *ip, size_t keep)
{
    for (;;) { /* each round deletes one: at most l->n rounds */
        size_t n = 0, oldest = l->n;
        for (size_t i = 0; i < l->n; i++) {
            if (!l->r[i].ip[0] && l->r[i].last == UINT64_MAX)
                continue; /* deleted */
            if (ip && strcmp(l->r[i].ip, ip))
                continue;
            n++;
            if (oldest == l->n || l->r[i].last < l->r[oldest].last)
                oldest = i;
        }
        if (n < keep)
            return CL_OK;
        int rc = cl_txn_kv_del(t, CL_TAB_PENDING, l->r[oldest].id.b, CL_DEVICE_ID_LEN);
        if (rc && rc != CL_ENOTFOUND)
            return rc;
        l->r[oldest].ip[0] = 0;
        l->r[oldest].last = UINT64_MAX;
    }
}

/* New requests listed at most CL_PENDING_RATE per minute (a token bucket in
 * this process): a flood of fresh identities costs a write each otherwise. */
static bool take_token(uint64_t now)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static double tokens = CL_PENDING_RATE;
    static uint64_t at;
    pthread_mutex_lock(&lock);
    if (at)
        tokens += (double)(now - at) * CL_PENDING_RATE / 60000.0;
    if (tokens > CL_PENDING_RATE)
        tokens = CL_PENDING_RATE;
    at = now;
    bool ok = tokens >= 1;
    if (ok)
        tokens -= 1;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Whether a device that asked again within this long is noted again. */
#define PENDING_REPEAT_MS 10000

/* Inside the write transaction that is about to note a request from id at
 * addr: makes room by deleting the oldest requests over the caps and returns
 * CL_OK, or PENDING_SKIP when this one must not be written (the rate is
 * spent, or the same device was noted seconds ago), or a CL_E* code. */
#define PENDING_SKIP 1
static int pending_admit(cl_txn *t, const cl_pending *known, const char *addr)
{
    uint64_t now = cl_now_ms();
    if (known)
        return now - known->last_ms < PENDING_REPEAT_MS && known->last_ms <= now ? PENDING_SKIP : CL_OK;
    if (!take_token(cl_mono_ms()))
        return PENDING_SKIP;
    struct req_list l = {0};
    char ip[CL_PEER_ADDR_MAX + 1];
    ip_part(addr ? addr : "", ip, sizeof ip);
    int rc = cl_txn_kv_each(t, CL_TAB_PENDING, req_step, &l);
    if (!rc)
        rc = prune(t, &l, ip, CL_PENDING_PER_ADDR);
    if (!rc)
        rc = prune(t, &l, NULL, CL_PENDING_MAX);
    free(l.r);
    return rc;
}

int cl_pending_note(cl_txn *t, const cl_device_id *id, const char *name, const char *addr)
{
    cl_pending q;
    int rc = pending_get(t, id, &q);
    bool known = rc == CL_OK;
    if (rc && rc != CL_ENOTFOUND && rc != CL_ECORRUPT)
        return rc;
    if ((rc = pending_admit(t, known ? &q : NULL, addr)))
        return rc == PENDING_SKIP ? CL_OK : rc;
    uint64_t now = cl_now_ms();
    if (!known) {
        memset(&q, 0, sizeof q);
        q.id = *id;
        q.first_ms = now;
    }
    snprintf(q.name, sizeof q.name, "%s", name ? name : "");
    snprintf(q.addr, sizeof q.addr, "%s", addr ? addr : "");
    q.last_ms = now;
    q.attempts++;
    return pending_put(t, &q);
}

/* Collects the keys only (deleting while iterating is not allowed): the
 * value is not needed, so none is parsed. */
static int dismiss_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)v;
    (void)vl;
    return req_step(arg, k, kl, NULL, 0);
}

static int dismiss_all_fn(cl_txn *t, void *arg)
{
    size_t *count = arg;
    struct req_list l = {0};
    int rc = cl_txn_kv_each(t, CL_TAB_PENDING, dismiss_step, &l);
    for (size_t i = 0; !rc && i < l.n; i++)
        rc = cl_txn_kv_del(t, CL_TAB_PENDING, l.r[i].id.b, CL_DEVICE_ID_LEN);
    *count = rc ? 0 : l.n;
    free(l.r);
    return rc;
}

int cl_pending_dismiss_all(cl_store *s, size_t *count)
{
    size_t dummy;
    return cl_store_update(s, dismiss_all_fn, count ? count : &dummy);
}

bool sync_is_paired(cl_store *s, const cl_device_id *id)
{
    cl_txn *t;
    cl_peer p;
    if (cl_store_read(s, &t))
        return false;
    bool ok = cl_peer_get(t, id, &p) == CL_OK && cl_txn_revoked(t, id, NULL) == CL_ENOTFOUND;
    cl_txn_end(t);
    return ok;
}
