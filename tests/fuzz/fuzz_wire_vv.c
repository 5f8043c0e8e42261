/* VV payloads: cl_wire_vv_decode, then what a session does with one
 * (sync_vv_patch): a difference is applied to a fixed base of three writers. What
 * decodes re-encodes to the same message; a vector it patches to is sorted,
 * names each writer once and has the hash it claims; and the difference
 * from the base to it (sync_vv_diff) patches back to the same vector. */
#include "fuzz.h"
#include "clientele/wire.h"
#include "sync/internal.h"

#include <stdlib.h>
#include <string.h>

static void base_of(sync_vv *b, cl_vv_entry v[3])
{
    memset(v, 0, 3 * sizeof *v);
    for (int i = 0; i < 3; i++) {
        v[i].origin.b[0] = (unsigned char)(0x10 * (i + 1)); /* sorted */
        v[i].seq = (uint64_t)i + 1;
        v[i].chain[0] = (unsigned char)i;
    }
    b->v = v;
    b->n = 3;
    b->known = true;
    if (cl_vv_hash(v, 3, b->hash))
        abort();
}

static void check_patched(const sync_vv *base, const cl_vv_msg *m)
{
    cl_vv_entry *v, *again;
    size_t n, nagain;
    if (sync_vv_patch(base, m, &v, &n) != CL_OK)
        return;
    unsigned char h[CL_SHA256_LEN];
    if (cl_vv_hash(v, n, h) || memcmp(h, m->hash, CL_SHA256_LEN))
        abort();
    for (size_t i = 1; i < n; i++)
        if (memcmp(v[i - 1].origin.b, v[i].origin.b, CL_DEVICE_ID_LEN) >= 0)
            abort();
    cl_vv_msg d;
    if (sync_vv_diff(base, v, n, h, &d) || sync_vv_patch(base, &d, &again, &nagain) || nagain != n ||
        (n && memcmp(again, v, n * sizeof *v)))
        abort();
    free(d.set);
    free(d.gone);
    free(again);
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_vv_msg m, g;
    if (cl_wire_vv_decode(data, size, &m) != CL_OK)
        return 0;
    cl_buf b = {0};
    if (cl_wire_vv_encode(&b, &m) || cl_wire_vv_decode(b.data, b.len, &g) || g.nset != m.nset ||
        g.ngone != m.ngone || (m.nset && memcmp(g.set, m.set, m.nset * sizeof *m.set)) ||
        (m.ngone && memcmp(g.gone, m.gone, m.ngone * sizeof *m.gone)))
        abort();
    free(g.set);
    free(g.gone);
    cl_buf_free(&b);
    sync_vv base, none = {0};
    cl_vv_entry v[3];
    base_of(&base, v);
    check_patched(&none, &m); /* a difference from a base nobody holds is refused there */
    static const unsigned char zero[CL_SHA256_LEN];
    if (memcmp(m.base, zero, CL_SHA256_LEN)) /* any difference is taken as one from the base */
        memcpy(m.base, base.hash, CL_SHA256_LEN);
    check_patched(&base, &m);
    /* the same changes as a difference from the base, claiming a hash no
     * vector has: refused, whatever they are */
    memcpy(m.base, base.hash, CL_SHA256_LEN);
    memset(m.hash, 0, sizeof m.hash);
    cl_vv_entry *r;
    size_t nr;
    if (sync_vv_patch(&base, &m, &r, &nr) == CL_OK)
        abort();
    free(m.set);
    free(m.gone);
    return 0;
}
