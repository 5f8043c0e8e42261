/* The version vectors of a session (docs/protocol.md "Version vectors").
 * With many writers the vector is most of what a sync sends (53 bytes a
 * writer, both ways, every time: docs/scaling.md), yet between two syncs of
 * a pair few writers move. So each side keeps, per peer, the vector it last
 * received from it and the one it last sent it, and sends only the
 * difference from what the other side says (by hash) it holds; a side that
 * holds something else gets the whole vector, so a lost frame or two
 * sessions at once cost bytes, never a wrong vector (the result is checked
 * against the sender's hash).
 *
 * They are kept in the peers table beside the peer's entry, under its id and
 * a tag byte (peer entries are the keys of exactly 20 bytes): the hash, then
 * the entries sorted by writer, 60 bytes each (writer · seq u64 BE · chain). */
#include "sync/internal.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY (CL_DEVICE_ID_LEN + 8 + CL_CHAIN_LEN)

static void vv_key(const cl_device_id *peer, char which, unsigned char key[CL_DEVICE_ID_LEN + 1])
{
    memcpy(key, peer->b, CL_DEVICE_ID_LEN);
    key[CL_DEVICE_ID_LEN] = (unsigned char)which;
}

void sync_vv_free(sync_vv *v)
{
    free(v->v);
    memset(v, 0, sizeof *v);
}

int sync_vv_load(cl_txn *t, const cl_device_id *peer, char which, sync_vv *out)
{
    unsigned char key[CL_DEVICE_ID_LEN + 1];
    const unsigned char *p;
    size_t len;
    memset(out, 0, sizeof *out);
    vv_key(peer, which, key);
    int rc = cl_txn_kv_get(t, CL_TAB_PEERS, key, sizeof key, (const void **)&p, &len);
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (rc)
        return rc;
    size_t n = len >= CL_SHA256_LEN ? (len - CL_SHA256_LEN) / ENTRY : 0;
    if (len < CL_SHA256_LEN || len != CL_SHA256_LEN + n * ENTRY || n > CL_WIRE_MAX_VV)
        return CL_OK; /* damaged: as if none were kept (the whole vector is sent) */
    if (!(out->v = calloc(n ? n : 1, sizeof *out->v)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    memcpy(out->hash, p, CL_SHA256_LEN);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = p + CL_SHA256_LEN + i * ENTRY;
        memcpy(out->v[i].origin.b, e, CL_DEVICE_ID_LEN);
        out->v[i].seq = cl_be64_get(e + CL_DEVICE_ID_LEN);
        memcpy(out->v[i].chain, e + CL_DEVICE_ID_LEN + 8, CL_CHAIN_LEN);
    }
    out->n = n;
    out->known = true;
    return CL_OK;
}

struct save_args {
    const cl_device_id *peer;
    char which;
    const cl_buf *value;
};

static int save_fn(cl_txn *t, void *arg)
{
    struct save_args *a = arg;
    unsigned char key[CL_DEVICE_ID_LEN + 1];
    cl_peer p;
    if (cl_peer_get(t, a->peer, &p))
        return CL_OK; /* unpaired meanwhile: nothing to keep */
    vv_key(a->peer, a->which, key);
    return cl_txn_kv_put(t, CL_TAB_PEERS, key, sizeof key, a->value->data, a->value->len);
}

int sync_vv_save(cl_store *s, const cl_device_id *peer, char which, const cl_vv_entry *v, size_t n,
                 const unsigned char hash[CL_SHA256_LEN])
{
    cl_buf b = {0};
    int rc = cl_buf_put(&b, hash, CL_SHA256_LEN);
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char seq[8];
        cl_be64_put(seq, v[i].seq);
        if (!(rc = cl_buf_put(&b, v[i].origin.b, CL_DEVICE_ID_LEN)) && !(rc = cl_buf_put(&b, seq, sizeof seq)))
            rc = cl_buf_put(&b, v[i].chain, CL_CHAIN_LEN);
    }
    struct save_args a = {peer, which, &b};
    if (!rc)
        rc = cl_store_update(s, save_fn, &a);
    cl_buf_free(&b);
    return rc;
}

int sync_vv_forget(cl_txn *t, const cl_device_id *peer)
{
    unsigned char key[CL_DEVICE_ID_LEN + 1];
    vv_key(peer, SYNC_VV_RECEIVED, key);
    int rc = cl_txn_kv_del(t, CL_TAB_PEERS, key, sizeof key);
    vv_key(peer, SYNC_VV_SENT, key);
    return rc ? rc : cl_txn_kv_del(t, CL_TAB_PEERS, key, sizeof key);
}

/* ----- differences ----- */

static int origin_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CL_DEVICE_ID_LEN); /* a cl_vv_entry begins with its writer */
}

static bool same_entry(const cl_vv_entry *a, const cl_vv_entry *b)
{
    return a->seq == b->seq && !memcmp(a->chain, b->chain, CL_CHAIN_LEN);
}

int sync_vv_diff(const sync_vv *from, const cl_vv_entry *to, size_t n, const unsigned char hash[CL_SHA256_LEN],
                 cl_vv_msg *m)
{
    memset(m, 0, sizeof *m);
    memcpy(m->hash, hash, CL_SHA256_LEN);
    size_t nfrom = from && from->known ? from->n : 0;
    m->set = malloc((n ? n : 1) * sizeof *m->set);
    m->gone = malloc((nfrom ? nfrom : 1) * sizeof *m->gone);
    if (!m->set || !m->gone) {
        free(m->set);
        free(m->gone);
        m->set = NULL;
        m->gone = NULL;
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    if (from && from->known)
        memcpy(m->base, from->hash, CL_SHA256_LEN);
    size_t i = 0, k = 0; /* both sorted by writer: one walk */
    while (i < n || k < nfrom) {
        int c = i == n ? 1 : k == nfrom ? -1 : origin_cmp(&to[i], &from->v[k]);
        if (c < 0)
            m->set[m->nset++] = to[i++];
        else if (c > 0)
            m->gone[m->ngone++] = from->v[k++].origin;
        else {
            if (!same_entry(&to[i], &from->v[k]))
                m->set[m->nset++] = to[i];
            i++, k++;
        }
    }
    return CL_OK;
}

int sync_vv_patch(const sync_vv *base, const cl_vv_msg *m, cl_vv_entry **out, size_t *nout)
{
    static const unsigned char zero[CL_SHA256_LEN];
    bool whole = !memcmp(m->base, zero, CL_SHA256_LEN);
    *out = NULL;
    *nout = 0;
    if (!whole && (!base->known || memcmp(m->base, base->hash, CL_SHA256_LEN)))
        return cl_seterr(CL_EPROTO, "a version vector sent as a difference from one this device does not hold");
    size_t nbase = whole ? 0 : base->n;
    cl_vv_entry *set = malloc((m->nset ? m->nset : 1) * sizeof *set);
    cl_vv_entry *v = malloc((nbase + m->nset ? nbase + m->nset : 1) * sizeof *v);
    cl_device_id *gone = malloc((m->ngone ? m->ngone : 1) * sizeof *gone);
    int rc = set && v && gone ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    size_t n = 0;
    if (!rc) {
        if (m->nset)
            memcpy(set, m->set, m->nset * sizeof *set);
        if (m->ngone)
            memcpy(gone, m->gone, m->ngone * sizeof *gone);
        qsort(set, m->nset, sizeof *set, origin_cmp);
        qsort(gone, m->ngone, sizeof *gone, origin_cmp);
        for (size_t i = 0; i < nbase; i++) /* what stays of the base */
            if (!bsearch(&base->v[i], set, m->nset, sizeof *set, origin_cmp) &&
                !bsearch(&base->v[i], gone, m->ngone, sizeof *gone, origin_cmp))
                v[n++] = base->v[i];
        if (m->nset)
            memcpy(v + n, set, m->nset * sizeof *set);
        n += m->nset;
        qsort(v, n, sizeof *v, origin_cmp);
    }
    for (size_t i = 1; !rc && i < n; i++)
        if (!origin_cmp(&v[i - 1], &v[i]))
            rc = cl_seterr(CL_EPROTO, "a version vector that names a writer twice");
    if (!rc && n > CL_WIRE_MAX_VV)
        rc = cl_seterr(CL_EPROTO, "a version vector of more than %d writers", CL_WIRE_MAX_VV);
    unsigned char hash[CL_SHA256_LEN];
    if (!rc && !(rc = cl_vv_hash(v, n, hash)) && memcmp(hash, m->hash, CL_SHA256_LEN))
        rc = cl_seterr(CL_EPROTO, "a version vector that is not the one its hash says");
    free(set);
    free(gone);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *nout = n;
    return CL_OK;
}
