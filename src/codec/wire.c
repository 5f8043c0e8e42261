/* Sync frame payloads (docs/protocol.md has the byte layouts). */
#include "clientele/wire.h"

#include <stdlib.h>
#include <string.h>

static int bad(const char *what)
{
    return cl_seterr(CL_EPROTO, "malformed %s message", what);
}

static int put_text(cl_buf *b, const char *s)
{
    size_t n = strlen(s);
    int rc = cl_buf_put_varint(b, n);
    return rc ? rc : cl_buf_put(b, s, n);
}

static int get_text(cl_reader *r, char *out, size_t cap)
{
    uint64_t n;
    const unsigned char *p;
    if (cl_get_varint(r, &n) || n >= cap || cl_get_bytes(r, (size_t)n, &p))
        return CL_EPROTO;
    memcpy(out, p, (size_t)n);
    out[n] = 0;
    return cl_utf8_valid(out, (size_t)n) ? CL_OK : CL_EPROTO;
}

/* hello: version varint, listen_port varint, name text, flags varint, held 32 */
int cl_hello_vv_add(void *hello, const cl_device_id *origin, uint64_t seq, const unsigned char chain[CL_CHAIN_LEN])
{
    cl_hello *h = hello;
    if (h->nvv == CL_WIRE_MAX_VV)
        return cl_seterr(CL_EFULL, "more than %d origins", CL_WIRE_MAX_VV);
    if (cl_reserve(&h->vv, &h->capvv, h->nvv + 1, sizeof *h->vv))
        return CL_ENOMEM;
    h->vv[h->nvv] = (cl_vv_entry){*origin, seq, {0}};
    memcpy(h->vv[h->nvv++].chain, chain, CL_CHAIN_LEN);
    return CL_OK;
}

int cl_wire_hello_encode(cl_buf *b, const cl_hello *h)
{
    int rc = cl_buf_put_varint(b, h->version);
    if (!rc) rc = cl_buf_put_varint(b, h->listen_port);
    if (!rc) rc = put_text(b, h->name);
    if (!rc) rc = cl_buf_put_varint(b, h->flags);
    return rc ? rc : cl_buf_put(b, h->held, CL_SHA256_LEN);
}

int cl_wire_hello_decode(const unsigned char *p, size_t n, cl_hello *h)
{
    cl_reader r;
    uint64_t port;
    const unsigned char *held;
    cl_reader_init(&r, p, n);
    memset(h, 0, sizeof *h);
    if (cl_get_varint(&r, &h->version))
        return bad("hello");
    if (h->version != CL_PROTOCOL_VERSION)
        return CL_OK;
    if (cl_get_varint(&r, &port) || port > 65535 || get_text(&r, h->name, sizeof h->name) ||
        cl_get_varint(&r, &h->flags) || cl_get_bytes(&r, CL_SHA256_LEN, &held) || cl_reader_left(&r))
        return bad("hello");
    h->listen_port = (uint16_t)port;
    memcpy(h->held, held, CL_SHA256_LEN);
    return CL_OK;
}

/* vv: base 32, hash 32, nset varint, nset × (writer 20, seq varint, chain 32),
 *     ngone varint, ngone × writer 20 */
int cl_wire_vv_encode(cl_buf *b, const cl_vv_msg *m)
{
    cl_buf_reset(b);
    int rc = cl_buf_put(b, m->base, CL_SHA256_LEN);
    if (!rc) rc = cl_buf_put(b, m->hash, CL_SHA256_LEN);
    if (!rc) rc = cl_buf_put_varint(b, m->nset);
    for (size_t i = 0; !rc && i < m->nset; i++) {
        rc = cl_buf_put(b, m->set[i].origin.b, CL_DEVICE_ID_LEN);
        if (!rc) rc = cl_buf_put_varint(b, m->set[i].seq);
        if (!rc) rc = cl_buf_put(b, m->set[i].chain, CL_CHAIN_LEN);
    }
    if (!rc) rc = cl_buf_put_varint(b, m->ngone);
    for (size_t i = 0; !rc && i < m->ngone; i++)
        rc = cl_buf_put(b, m->gone[i].b, CL_DEVICE_ID_LEN);
    return rc;
}

static int vv_bad(cl_vv_msg *m)
{
    free(m->set);
    free(m->gone);
    m->set = NULL;
    m->gone = NULL;
    m->nset = m->ngone = 0;
    return bad("version vector");
}

int cl_wire_vv_decode(const unsigned char *p, size_t n, cl_vv_msg *m)
{
    cl_reader r;
    const unsigned char *base, *hash, *x;
    uint64_t k;
    cl_reader_init(&r, p, n);
    memset(m, 0, sizeof *m);
    if (cl_get_bytes(&r, CL_SHA256_LEN, &base) || cl_get_bytes(&r, CL_SHA256_LEN, &hash) || cl_get_varint(&r, &k) ||
        k > CL_WIRE_MAX_VV || k > cl_reader_left(&r) / (CL_DEVICE_ID_LEN + 1 + CL_CHAIN_LEN))
        return bad("version vector");
    memcpy(m->base, base, CL_SHA256_LEN);
    memcpy(m->hash, hash, CL_SHA256_LEN);
    if (!(m->set = calloc(k ? k : 1, sizeof *m->set)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (m->nset = 0; m->nset < k; m->nset++) {
        cl_vv_entry *e = &m->set[m->nset];
        if (cl_get_bytes(&r, CL_DEVICE_ID_LEN, &x) || cl_get_varint(&r, &e->seq))
            return vv_bad(m);
        memcpy(e->origin.b, x, CL_DEVICE_ID_LEN);
        if (cl_get_bytes(&r, CL_CHAIN_LEN, &x))
            return vv_bad(m);
        memcpy(e->chain, x, CL_CHAIN_LEN);
    }
    if (cl_get_varint(&r, &k) || k > CL_WIRE_MAX_VV || k * CL_DEVICE_ID_LEN != cl_reader_left(&r))
        return vv_bad(m);
    if (!(m->gone = calloc(k ? k : 1, sizeof *m->gone))) {
        vv_bad(m);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    for (m->ngone = 0; m->ngone < k; m->ngone++) {
        cl_get_bytes(&r, CL_DEVICE_ID_LEN, &x); /* the length was checked above */
        memcpy(m->gone[m->ngone].b, x, CL_DEVICE_ID_LEN);
    }
    return CL_OK;
}

int cl_vv_hash(const cl_vv_entry *v, size_t n, unsigned char out[CL_SHA256_LEN])
{
    static const char tag[] = "clientele vv 5";
    cl_sha256_ctx *c;
    if (cl_sha256_begin(&c))
        return CL_ENOMEM;
    cl_sha256_update(c, tag, sizeof tag - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char seq[8];
        cl_be64_put(seq, v[i].seq);
        cl_sha256_update(c, v[i].origin.b, CL_DEVICE_ID_LEN);
        cl_sha256_update(c, seq, sizeof seq);
        cl_sha256_update(c, v[i].chain, CL_CHAIN_LEN);
    }
    cl_sha256_end(c, out);
    return CL_OK;
}

/* ops: writer 20, count u32 BE, device 20, nonce length u8 (0 or 16), nonce,
 *      public key length varint, public key, then per op:
 *        seq varint, hlc u64 BE, record 16, type u8, field u8, nseen u8,
 *        nseen × (tag u8: 0 same origin | 1 origin 20 follows; seq varint),
 *        value_len varint, value
 *      then the checkpoint: chain 32, signature length u8, signature */
#define OPS_COUNT_AT CL_DEVICE_ID_LEN

int cl_wire_ops_begin(cl_buf *b, const cl_writer *w)
{
    static const unsigned char zero[4];
    size_t nl = w->has_nonce ? CL_NONCE_LEN : 0;
    cl_buf_reset(b);
    int rc = cl_buf_put(b, w->id.b, CL_DEVICE_ID_LEN);
    if (!rc) rc = cl_buf_put(b, zero, 4);
    if (!rc) rc = cl_buf_put(b, w->device.b, CL_DEVICE_ID_LEN);
    if (!rc) rc = cl_buf_put_u8(b, (uint8_t)nl);
    if (!rc) rc = cl_buf_put(b, w->nonce, nl);
    if (!rc) rc = cl_buf_put_varint(b, w->pubkey_len);
    return rc ? rc : cl_buf_put(b, w->pubkey, w->pubkey_len);
}

int cl_wire_ops_add(cl_buf *b, const cl_op *op)
{
    /* the most an op takes: seq 10, hlc 8, record 16, type, field, nseen,
     * per seen pair tag 1 + origin 20 + seq 10, value_len 10, the value;
     * so that the puts below whose result is not checked cannot fail */
    int rc = cl_buf_reserve(b, 56 + op->nseen * 31u + op->value_len);
    if (rc)
        return rc;
    cl_buf_put_varint(b, op->seq);
    cl_buf_put_be64(b, op->hlc);
    cl_buf_put(b, op->record.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, op->type);
    cl_buf_put_u8(b, op->field);
    cl_buf_put_u8(b, op->nseen);
    for (unsigned i = 0; i < op->nseen; i++) {
        bool same = !memcmp(op->seen[i].origin.b, op->origin.b, CL_DEVICE_ID_LEN);
        cl_buf_put_u8(b, same ? 0 : 1);
        if (!same && (rc = cl_buf_put(b, op->seen[i].origin.b, CL_DEVICE_ID_LEN)))
            return rc;
        if ((rc = cl_buf_put_varint(b, op->seen[i].seq)))
            return rc;
    }
    rc = cl_buf_put_varint(b, op->value_len);
    return rc ? rc : cl_buf_put(b, op->value, op->value_len);
}

int cl_wire_ops_end(cl_buf *b, uint32_t count, const cl_checkpoint *cp)
{
    cl_be32_put(b->data + OPS_COUNT_AT, count);
    int rc = cl_buf_put(b, cp->chain, CL_CHAIN_LEN);
    if (!rc) rc = cl_buf_put_u8(b, (uint8_t)cp->sig_len);
    return rc ? rc : cl_buf_put(b, cp->sig, cp->sig_len);
}

static int decode_op(cl_reader *r, const cl_device_id *origin, cl_op *op)
{
    const unsigned char *p;
    uint64_t len;
    uint8_t nseen;
    memset(op, 0, sizeof *op);
    op->origin = *origin;
    if (cl_get_varint(r, &op->seq) || cl_get_be64(r, &op->hlc) || cl_get_bytes(r, CL_RECORD_ID_LEN, &p))
        return CL_EPROTO;
    memcpy(op->record.b, p, CL_RECORD_ID_LEN);
    if (cl_get_u8(r, &op->type) || cl_get_u8(r, &op->field) || cl_get_u8(r, &nseen) || nseen > CL_MAX_SEEN)
        return CL_EPROTO;
    op->nseen = nseen;
    for (unsigned i = 0; i < nseen; i++) {
        uint8_t tag;
        if (cl_get_u8(r, &tag) || tag > 1)
            return CL_EPROTO;
        op->seen[i].origin = *origin;
        if (tag == 1) {
            if (cl_get_bytes(r, CL_DEVICE_ID_LEN, &p))
                return CL_EPROTO;
            memcpy(op->seen[i].origin.b, p, CL_DEVICE_ID_LEN);
        }
        if (cl_get_varint(r, &op->seen[i].seq))
            return CL_EPROTO;
    }
    if (cl_get_varint(r, &len) || len > CL_MAX_VALUE || cl_get_bytes(r, (size_t)len, &p))
        return CL_EPROTO;
    op->value = (const char *)p;
    op->value_len = (uint32_t)len;
    return CL_OK;
}

static int decode_writer(cl_reader *r, cl_writer *w, uint32_t *count)
{
    const unsigned char *p;
    uint8_t nl;
    uint64_t kl;
    memset(w, 0, sizeof *w);
    if (cl_get_bytes(r, CL_DEVICE_ID_LEN, &p))
        return CL_EPROTO;
    memcpy(w->id.b, p, CL_DEVICE_ID_LEN);
    if (cl_get_bytes(r, 4, &p))
        return CL_EPROTO;
    *count = cl_be32_get(p);
    if (cl_get_bytes(r, CL_DEVICE_ID_LEN, &p))
        return CL_EPROTO;
    memcpy(w->device.b, p, CL_DEVICE_ID_LEN);
    if (cl_get_u8(r, &nl) || (nl != 0 && nl != CL_NONCE_LEN) || cl_get_bytes(r, nl, &p))
        return CL_EPROTO;
    w->has_nonce = nl != 0;
    memcpy(w->nonce, p, nl);
    if (cl_get_varint(r, &kl) || kl > CL_PUBKEY_MAX || cl_get_bytes(r, (size_t)kl, &p))
        return CL_EPROTO;
    memcpy(w->pubkey, p, (size_t)kl);
    w->pubkey_len = (size_t)kl;
    return CL_OK;
}

static int decode_checkpoint(cl_reader *r, cl_checkpoint *cp)
{
    const unsigned char *p;
    uint8_t sl;
    if (cl_get_bytes(r, CL_CHAIN_LEN, &p))
        return CL_EPROTO;
    memcpy(cp->chain, p, CL_CHAIN_LEN);
    if (cl_get_u8(r, &sl) || sl > CL_SIG_MAX || cl_get_bytes(r, sl, &p))
        return CL_EPROTO;
    memcpy(cp->sig, p, sl);
    cp->sig_len = sl;
    return CL_OK;
}

int cl_wire_ops_decode(const unsigned char *p, size_t n, cl_segment *seg)
{
    cl_reader r;
    uint32_t count;
    cl_reader_init(&r, p, n);
    memset(seg, 0, sizeof *seg);
    if (decode_writer(&r, &seg->writer, &count))
        return bad("ops");
    /* every op takes at least 29 bytes: a count beyond that is a lie; a
     * segment has at least one op */
    if (!count || count > cl_reader_left(&r) / 29)
        return bad("ops");
    cl_op *v = malloc(count * sizeof *v);
    if (!v)
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < count; i++)
        if (decode_op(&r, &seg->writer.id, &v[i])) {
            free(v);
            return bad("ops");
        }
    if (decode_checkpoint(&r, &seg->cp) || cl_reader_left(&r)) {
        free(v);
        return bad("ops");
    }
    seg->cp.seq = v[count - 1].seq;
    seg->ops = v;
    seg->n = count;
    return CL_OK;
}

int cl_wire_done_encode(cl_buf *b, uint64_t count)
{
    cl_buf_reset(b);
    return cl_buf_put_varint(b, count);
}

int cl_wire_done_decode(const unsigned char *p, size_t n, uint64_t *count)
{
    cl_reader r;
    cl_reader_init(&r, p, n);
    if (cl_get_varint(&r, count) || cl_reader_left(&r))
        return bad("done");
    return CL_OK;
}

void cl_wire_text_decode(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) /* printable only: it goes to logs and terminals */
        out[k++] = p[i] >= 0x20 && p[i] != 0x7f ? (char)p[i] : '?';
    out[k] = 0;
}

/* invite: secret 10, listen_port varint, name text */
int cl_wire_invite_encode(cl_buf *b, const cl_invite_msg *m)
{
    cl_buf_reset(b);
    int rc = cl_buf_put(b, m->secret, CL_INVITE_SECRET);
    if (!rc) rc = cl_buf_put_varint(b, m->listen_port);
    return rc ? rc : put_text(b, m->name);
}

int cl_wire_invite_decode(const unsigned char *p, size_t n, cl_invite_msg *m)
{
    cl_reader r;
    const unsigned char *s;
    uint64_t port;
    cl_reader_init(&r, p, n);
    if (cl_get_bytes(&r, CL_INVITE_SECRET, &s) || cl_get_varint(&r, &port) || port > 65535 ||
        get_text(&r, m->name, sizeof m->name) || cl_reader_left(&r))
        return bad("invitation");
    memcpy(m->secret, s, CL_INVITE_SECRET);
    m->listen_port = (uint16_t)port;
    return CL_OK;
}

/* introduce: n varint, n × (device 20, name text, addr text) */
int cl_wire_introduce_encode(cl_buf *b, const cl_introduction *v, size_t n)
{
    if (n > CL_INTRODUCE_MAX)
        return cl_seterr(CL_EINVAL, "more than %d introductions", CL_INTRODUCE_MAX);
    cl_buf_reset(b);
    int rc = cl_buf_put_varint(b, n);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = cl_buf_put(b, v[i].id.b, CL_DEVICE_ID_LEN);
        if (!rc) rc = put_text(b, v[i].name);
        if (!rc) rc = put_text(b, v[i].addr);
    }
    return rc;
}

/* An address goes to the peers table and to connect(): printable ASCII, no
 * spaces (its syntax is checked where it is used). */
static bool addr_chars_ok(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return false;
    return true;
}

static int decode_introduction(cl_reader *r, cl_introduction *e)
{
    const unsigned char *id;
    if (cl_get_bytes(r, CL_DEVICE_ID_LEN, &id) || get_text(r, e->name, sizeof e->name) ||
        get_text(r, e->addr, sizeof e->addr))
        return CL_EPROTO;
    memcpy(e->id.b, id, CL_DEVICE_ID_LEN);
    return cl_name_valid(e->name, strlen(e->name)) && addr_chars_ok(e->addr) ? CL_OK : CL_EPROTO;
}

int cl_wire_introduce_decode(const unsigned char *p, size_t n, cl_introduction **out, size_t *count)
{
    cl_reader r;
    uint64_t k;
    cl_reader_init(&r, p, n);
    *out = NULL;
    *count = 0;
    if (cl_get_varint(&r, &k) || k > CL_INTRODUCE_MAX || k > cl_reader_left(&r) / (CL_DEVICE_ID_LEN + 2))
        return bad("introduce");
    cl_introduction *v = calloc(k ? k : 1, sizeof *v);
    if (!v)
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++)
        if (decode_introduction(&r, &v[i])) {
            free(v);
            return bad("introduce");
        }
    if (cl_reader_left(&r)) {
        free(v);
        return bad("introduce");
    }
    *out = k ? v : (free(v), NULL);
    *count = (size_t)k;
    return CL_OK;
}
