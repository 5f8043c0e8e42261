/* Introductions (docs/introductions.md): a device can take the devices a
 * peer is paired with — typically the office desktop, paired with the whole
 * team — and pair with them itself, so that a new colleague's laptop pairs
 * once. The peer entry of the introducer says introducer; a device it
 * introduced says by whom, and stays paired for as long as the introducer
 * names it. Nothing an introducer says overrides a device paired by hand or
 * brings back a revoked one. */
#include "sync/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same(const cl_device_id *a, const cl_device_id *b)
{
    return !memcmp(a->b, b->b, CL_DEVICE_ID_LEN);
}

static int idlist_add(sync_idlist *l, const cl_device_id *id)
{
    if (cl_reserve(&l->ids, &l->cap, l->n + 1, sizeof *l->ids))
        return CL_ENOMEM;
    l->ids[l->n++] = *id;
    return CL_OK;
}

static bool idlist_has(const sync_idlist *l, const cl_device_id *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (same(&l->ids[i], id))
            return true;
    return false;
}

void sync_forget_sessions(const cl_identity *me, const sync_idlist *list)
{
    for (size_t i = 0; i < list->n; i++)
        cl_conn_forget_session(me, &list->ids[i]);
}

/* ----- the peers a device introduced ----- */

static int key_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)v;
    (void)vl;
    cl_device_id id;
    if (kl != CL_DEVICE_ID_LEN)
        return CL_OK;
    memcpy(id.b, k, CL_DEVICE_ID_LEN);
    return idlist_add(arg, &id);
}

/* The peers whose entry says introduced by `by`. */
static int introduced_by(cl_txn *t, const cl_device_id *by, sync_idlist *out)
{
    sync_idlist all = {0}, keep = {0};
    int rc = cl_txn_kv_each(t, CL_TAB_PEERS, key_step, &all);
    for (size_t i = 0; !rc && i < all.n; i++) {
        cl_peer p;
        if (cl_peer_get(t, &all.ids[i], &p) == CL_OK && p.introduced && same(&p.introduced_by, by))
            rc = idlist_add(&keep, &p.id);
    }
    free(all.ids);
    if (rc)
        free(keep.ids);
    else
        *out = keep;
    return rc;
}

int sync_introduced_drop(cl_txn *t, const cl_device_id *by, bool unpair, sync_idlist *gone)
{
    sync_idlist l = {0};
    int rc = introduced_by(t, by, &l);
    for (size_t i = 0; !rc && i < l.n; i++) {
        cl_peer p;
        if ((rc = cl_peer_get(t, &l.ids[i], &p)))
            break;
        if (unpair) {
            rc = sync_unpair(t, &p.id);
            if (!rc && gone)
                rc = idlist_add(gone, &p.id);
        } else {
            p.introduced = false;
            rc = cl_peer_put(t, &p);
        }
    }
    free(l.ids);
    return rc;
}

/* ----- turning introductions on and off ----- */

struct set_args {
    const cl_device_id *id;
    bool on;
    sync_idlist gone;
};

static int set_fn(cl_txn *t, void *arg)
{
    struct set_args *a = arg;
    cl_peer p;
    cl_device_id by;
    a->gone.n = 0; /* the function runs again when the map grew */
    if (cl_txn_revoked(t, a->id, &by) == CL_OK) {
        char text[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&by, text);
        return cl_seterr(CL_EDENIED, "that device has been revoked (by %s)", text);
    }
    int rc = cl_peer_get(t, a->id, &p);
    if (rc || p.introducer == a->on)
        return rc;
    p.introducer = a->on;
    if ((rc = cl_peer_put(t, &p)))
        return rc;
    return a->on ? CL_OK : sync_introduced_drop(t, a->id, true, &a->gone);
}

int cl_peer_set_introducer(cl_store *s, const cl_identity *me, const cl_device_id *id, bool on)
{
    struct set_args a = {id, on, {0}};
    int rc = cl_store_update(s, set_fn, &a);
    if (!rc)
        sync_forget_sessions(me, &a.gone);
    free(a.gone.ids);
    return rc;
}

bool sync_wants_introductions(cl_store *s, const cl_device_id *from)
{
    cl_txn *t;
    cl_peer p;
    if (cl_store_read(s, &t))
        return false;
    bool on = cl_peer_get(t, from, &p) == CL_OK && p.introducer && cl_txn_revoked(t, from, NULL) == CL_ENOTFOUND;
    cl_txn_end(t);
    return on;
}

/* ----- what an introducer says ----- */

int sync_introductions_collect(cl_store *s, const cl_device_id *to, cl_introduction **out, size_t *n)
{
    cl_peer *peers;
    size_t np;
    int rc = cl_peer_list(s, &peers, &np); /* marks the revoked */
    if (rc)
        return rc;
    cl_introduction *v = calloc(np ? np : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < np && k < CL_INTRODUCE_MAX; i++) {
        if (peers[i].revoked || same(&peers[i].id, to))
            continue;
        v[k].id = peers[i].id;
        snprintf(v[k].name, sizeof v[k].name, "%s", peers[i].name);
        snprintf(v[k].addr, sizeof v[k].addr, "%s", peers[i].addr);
        k++;
    }
    free(peers);
    if (!v)
        return cl_seterr(CL_ENOMEM, "out of memory");
    *out = v;
    *n = k;
    return CL_OK;
}

struct take_args {
    const cl_device_id *from;
    const cl_introduction *v;
    size_t n;
    size_t added, updated;
    sync_idlist named, gone;
};

/* An address from an introducer is only ever a place to try. */
static bool usable_addr(const char *addr)
{
    char host[CL_PEER_ADDR_MAX + 1];
    uint16_t port;
    return addr[0] && strlen(addr) <= CL_PEER_ADDR_MAX && cl_addr_parse(addr, host, sizeof host, &port) == CL_OK;
}

static int take_one(cl_txn *t, struct take_args *a, const cl_introduction *e)
{
    const cl_device_id *self = cl_store_self(cl_txn_store(t));
    if (same(&e->id, self) || same(&e->id, a->from) || cl_txn_revoked(t, &e->id, NULL) != CL_ENOTFOUND)
        return CL_OK;
    cl_peer p;
    int rc = cl_peer_get(t, &e->id, &p);
    bool mine = rc == CL_OK && p.introduced && same(&p.introduced_by, a->from);
    if (rc == CL_ENOTFOUND) { /* new here: paired on the introducer's word */
        memset(&p, 0, sizeof p);
        p.id = e->id;
        p.added_ms = cl_now_ms();
        p.introduced = true;
        p.introduced_by = *a->from;
        snprintf(p.name, sizeof p.name, "%s", e->name);
        if (usable_addr(e->addr))
            snprintf(p.addr, sizeof p.addr, "%s", e->addr);
        a->added++;
        if ((rc = cl_peer_put(t, &p)))
            return rc;
        return cl_txn_kv_del(t, CL_TAB_PENDING, p.id.b, CL_DEVICE_ID_LEN);
    }
    if (rc)
        return rc;
    /* known: an address is taken where none is known, or, for a device this
     * introducer introduced, where the last try at ours failed */
    bool take_addr = usable_addr(e->addr) && strcmp(p.addr, e->addr) && (!p.addr[0] || (mine && p.failures));
    bool take_name = mine && e->name[0] && strcmp(p.name, e->name) && !p.last_sync_ms;
    if (!take_addr && !take_name)
        return CL_OK;
    if (take_addr)
        snprintf(p.addr, sizeof p.addr, "%s", e->addr);
    if (take_name)
        snprintf(p.name, sizeof p.name, "%s", e->name);
    a->updated++;
    return cl_peer_put(t, &p);
}

static int take_fn(cl_txn *t, void *arg)
{
    struct take_args *a = arg;
    cl_peer intro;
    a->added = a->updated = 0;
    a->gone.n = a->named.n = 0; /* the function runs again when the map grew */
    if (cl_peer_get(t, a->from, &intro) || !intro.introducer || cl_txn_revoked(t, a->from, NULL) != CL_ENOTFOUND)
        return CL_OK; /* turned off (or unpaired) since the hello */
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < a->n; i++)
        if (!(rc = take_one(t, a, &a->v[i])))
            rc = idlist_add(&a->named, &a->v[i].id);
    sync_idlist before = {0};
    if (!rc)
        rc = introduced_by(t, a->from, &before);
    for (size_t i = 0; !rc && i < before.n; i++) /* no longer vouched for */
        if (!idlist_has(&a->named, &before.ids[i]) &&
            !(rc = sync_unpair(t, &before.ids[i])))
            rc = idlist_add(&a->gone, &before.ids[i]);
    free(before.ids);
    return rc;
}

int sync_introductions_take(cl_store *s, const cl_identity *me, const cl_device_id *from,
                            const cl_introduction *v, size_t n)
{
    struct take_args a = {from, v, n, 0, 0, {0}, {0}};
    int rc = cl_store_update(s, take_fn, &a);
    if (!rc) {
        sync_forget_sessions(me, &a.gone);
        char who[CL_DEVICE_ID_TEXT];
        cl_device_id_format(from, who);
        if (a.added || a.updated || a.gone.n)
            cl_log(CL_LOG_INFO, "introductions from %s: %zu devices paired, %zu updated, %zu unpaired", who, a.added,
                   a.updated, a.gone.n);
    }
    free(a.named.ids);
    free(a.gone.ids);
    return rc;
}
