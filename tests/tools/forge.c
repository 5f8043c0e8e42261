/* clientele-forge DIR ADDR VICTIM-ID CASE [OTHER-ID] — a paired device gone
 * bad: it syncs with the device VICTIM-ID at ADDR using the real key of the
 * data folder DIR, but sends one hand-made OPS frame (tests/integration/
 * test_forged_peer.sh). CASE:
 *   gap          its own next op, one seq too far
 *   held         its own last op again, with other content
 *   hlc-max      its own next op, stamped 2^64 - 1
 *   bad-value    its own next op: a task due "not-a-date"
 *   bad-utf8     its own next op: notes that are not UTF-8
 *   own-origin   an op under the victim's own name
 *   forged       an op under OTHER-ID's name, signed with DIR's key
 *   unsigned     an unsigned op under OTHER-ID's name (a writer that signs)
 *   tamper       OTHER-ID's real ops and signature as DIR holds them, one
 *                byte of a value changed (a relay that alters what it relays)
 * Exit 0 when the victim refused (closed the session without its DONE), 1
 * when it took the frame, 2 on a usage or setup error.
 *
 * The chain and checkpoint digests are computed here again, from
 * docs/merge.md rather than by calling the store, so that the frames are
 * right in every respect but the one the case breaks. */
#include "clientele/hlc.h"
#include "clientele/net.h"
#include "clientele/model.h"
#include "clientele/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 4096

typedef struct oplist {
    cl_op op[MAX_OPS];
    char *val[MAX_OPS];
    size_t n;
} oplist;

static int die(const char *what)
{
    fprintf(stderr, "clientele-forge: %s: %s\n", what, cl_errmsg());
    return 2;
}

/* ----- the chain, as docs/merge.md defines it ----- */

static void put_op(cl_buf *b, const cl_op *op)
{
    unsigned char n4[4];
    cl_buf_put_be64(b, op->seq);
    cl_buf_put_be64(b, op->hlc);
    cl_buf_put(b, op->record.b, CL_RECORD_ID_LEN);
    cl_buf_put_u8(b, op->type);
    cl_buf_put_u8(b, op->field);
    cl_buf_put_u8(b, op->nseen);
    for (unsigned i = 0; i < op->nseen; i++) {
        cl_buf_put(b, op->seen[i].origin.b, CL_DEVICE_ID_LEN);
        cl_buf_put_be64(b, op->seen[i].seq);
    }
    cl_be32_put(n4, op->value_len);
    cl_buf_put(b, n4, 4);
    cl_buf_put(b, op->value, op->value_len);
}

/* c(L) of writer w over ops[0..n), which are its seqs 1..n (H: SHA-512 cut to 256 bits) */
static void chain_of(const cl_device_id *w, const cl_op *ops, size_t n, unsigned char out[32])
{
    cl_buf b = {0};
    cl_buf_puts(&b, "clientele chain 2");
    cl_buf_put(&b, w->b, CL_DEVICE_ID_LEN);
    cl_hash(b.data, b.len, out);
    for (size_t start = 0; start < n; start += 256) {
        cl_buf_reset(&b);
        cl_buf_put(&b, out, 32);
        for (size_t i = start; i < n && i < start + 256; i++)
            put_op(&b, &ops[i]);
        cl_hash(b.data, b.len, out);
    }
    cl_buf_free(&b);
}

static int sign(const cl_identity *me, const cl_device_id *w, cl_checkpoint *cp)
{
    cl_signer sg;
    unsigned char in[22 + CL_DEVICE_ID_LEN + 8 + 32], digest[32];
    cl_identity_signer(me, &sg);
    memcpy(in, "clientele checkpoint 2", 22);
    memcpy(in + 22, w->b, CL_DEVICE_ID_LEN);
    cl_be64_put(in + 22 + CL_DEVICE_ID_LEN, cp->seq);
    memcpy(in + 30 + CL_DEVICE_ID_LEN, cp->chain, 32);
    cl_sha256(in, sizeof in, digest);
    return sg.sign(sg.ctx, digest, cp->sig, &cp->sig_len);
}

/* ----- what DIR holds ----- */

static int keep(void *ctx, const cl_op *op)
{
    oplist *l = ctx;
    if (l->n == MAX_OPS)
        return 1;
    l->op[l->n] = *op;
    l->val[l->n] = malloc(op->value_len + 1);
    memcpy(l->val[l->n], op->value, op->value_len);
    l->op[l->n].value = l->val[l->n];
    l->n++;
    return 0;
}

static void oplist_clear(oplist *l)
{
    for (size_t i = 0; i < MAX_OPS; i++) {
        free(l->val[i]);
        l->val[i] = NULL;
    }
    l->n = 0;
}

static int load_ops(cl_store *s, const cl_device_id *w, uint64_t after, size_t limit, oplist *l)
{
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = cl_txn_ops_after(t, w, after, limit, keep, l);
    cl_txn_end(t);
    return rc;
}

static uint64_t tip_of(const cl_hello *h, const cl_device_id *w)
{
    for (size_t i = 0; i < h->nvv; i++)
        if (!memcmp(h->vv[i].origin.b, w->b, CL_DEVICE_ID_LEN))
            return h->vv[i].seq;
    return 0;
}

static cl_op new_op(const cl_device_id *w, uint64_t seq, uint8_t type, uint8_t field, const char *v)
{
    cl_op op;
    memset(&op, 0, sizeof op);
    op.origin = *w;
    op.seq = seq;
    op.hlc = cl_hlc_make(cl_now_ms(), 0);
    cl_record_id_new(&op.record);
    op.type = type;
    op.field = field;
    op.value = v;
    op.value_len = (uint32_t)strlen(v);
    return op;
}

/* ----- the cases ----- */

typedef struct forge {
    cl_identity *me;
    cl_store *s;
    cl_hello theirs;
    cl_device_id victim, other;
    cl_writer w;           /* whose name the frame's ops bear */
    oplist *log;           /* DIR's own log, then the frame's ops */
    cl_checkpoint cp;
} forge;

/* DIR's own writer: its whole log, to extend the chain the victim holds */
static int own_log(forge *f)
{
    cl_txn *t;
    int rc = cl_store_read(f->s, &t);
    if (!rc && !(rc = cl_txn_current_writer(t, &f->w.id)))
        rc = cl_txn_writer(t, &f->w.id, &f->w);
    cl_txn_end(t);
    return rc ? rc : load_ops(f->s, &f->w.id, 0, MAX_OPS - 1, f->log);
}

/* Replace the end of DIR's log by op (at op->seq) and sign the result. */
static int own_case(forge *f, cl_op op)
{
    oplist *l = f->log;
    if (tip_of(&f->theirs, &f->w.id) != l->n) {
        fprintf(stderr, "clientele-forge: sync DIR with the victim first (it holds %llu of %zu ops)\n",
                (unsigned long long)tip_of(&f->theirs, &f->w.id), l->n);
        return 2;
    }
    size_t at = op.seq - 1 < l->n ? op.seq - 1 : l->n;
    l->op[at] = op;
    l->n = at + 1;
    f->cp.seq = op.seq;
    chain_of(&f->w.id, l->op, l->n, f->cp.chain);
    l->op[0] = l->op[at]; /* the frame: the new op alone, after what the victim holds */
    l->n = 1;
    return sign(f->me, &f->w.id, &f->cp) ? die("sign") : 0;
}

static int build(forge *f, const char *c)
{
    static char bad_utf8[] = "\xff\xfe not text";
    uint64_t tip = f->log->n;
    if (!strcmp(c, "gap"))
        return own_case(f, new_op(&f->w.id, tip + 2, CL_T_CONTACT, CL_F_NAME, "Gap"));
    if (!strcmp(c, "held"))
        return own_case(f, new_op(&f->w.id, tip, CL_T_CONTACT, CL_F_NAME, "Rewritten"));
    if (!strcmp(c, "hlc-max")) {
        cl_op op = new_op(&f->w.id, tip + 1, CL_T_CONTACT, CL_F_NAME, "Forever");
        op.hlc = UINT64_MAX;
        return own_case(f, op);
    }
    if (!strcmp(c, "bad-value"))
        return own_case(f, new_op(&f->w.id, tip + 1, CL_T_TASK, CL_F_DUE, "not-a-date"));
    if (!strcmp(c, "bad-utf8"))
        return own_case(f, new_op(&f->w.id, tip + 1, CL_T_CONTACT, CL_F_NOTES, bad_utf8));
    const cl_device_id *name = !strcmp(c, "own-origin") ? &f->victim : &f->other;
    uint64_t next = tip_of(&f->theirs, name) + 1;
    oplist_clear(f->log);
    if (!strcmp(c, "tamper")) { /* OTHER's real segment, as DIR holds it */
        cl_txn *t;
        int rc = cl_store_read(f->s, &t);
        if (!rc && !(rc = cl_txn_checkpoint_after(t, name, next - 1, &f->cp)))
            rc = cl_txn_writer(t, name, &f->w);
        cl_txn_end(t);
        if (rc || (rc = load_ops(f->s, name, next - 1, (size_t)(f->cp.seq - next + 1), f->log)) || !f->log->n)
            return die("DIR holds nothing of OTHER-ID that the victim lacks");
        f->log->val[0][0] ^= 1;
        return 0;
    }
    f->w = (cl_writer){.id = *name, .device = *name};
    f->log->op[0] = new_op(name, next, CL_T_CONTACT, CL_F_NAME, "Forged");
    f->log->n = 1;
    f->cp.seq = next;
    if (!strcmp(c, "unsigned"))
        return 0;
    /* no key given: the victim must check with the one it knows */
    return sign(f->me, name, &f->cp) ? die("sign") : 0;
}

/* ----- the session ----- */

static int hello(forge *f, const char *addr, cl_conn **c)
{
    cl_buf b = {0};
    uint8_t type;
    const unsigned char *p;
    size_t n;
    cl_hello mine = {.version = CL_PROTOCOL_VERSION};
    snprintf(mine.name, sizeof mine.name, "forger");
    int rc = cl_conn_connect(f->me, addr, &f->victim, NULL, NULL, 15000, c);
    if (!rc)
        rc = cl_wire_hello_encode(&b, &mine);
    if (!rc)
        rc = cl_conn_send(*c, CL_MSG_HELLO, b.data, b.len);
    if (!rc)
        rc = cl_conn_recv(*c, &type, &p, &n);
    if (!rc && type != CL_MSG_HELLO)
        rc = cl_seterr(CL_EPROTO, "the victim answered %u", type);
    if (!rc)
        rc = cl_wire_hello_decode(p, n, &f->theirs);
    /* its vector, whole (our hello holds none of it), then ours: whole and empty */
    if (!rc)
        rc = cl_conn_recv(*c, &type, &p, &n);
    if (!rc && type != CL_MSG_VV)
        rc = cl_seterr(CL_EPROTO, "the victim sent %u, not its vector", type);
    cl_vv_msg m;
    if (!rc && !(rc = cl_wire_vv_decode(p, n, &m))) {
        f->theirs.vv = m.set;
        f->theirs.nvv = m.nset;
        free(m.gone);
        cl_vv_msg none = {0};
        if (!(rc = cl_vv_hash(NULL, 0, none.hash)) && !(rc = cl_wire_vv_encode(&b, &none)))
            rc = cl_conn_send(*c, CL_MSG_VV, b.data, b.len);
    }
    cl_buf_free(&b);
    return rc;
}

/* Send the frame and DONE; the victim answers with its own ops and DONE
 * only when it took ours. */
static int send_and_watch(forge *f, cl_conn *c)
{
    cl_buf b = {0};
    uint8_t type;
    const unsigned char *p;
    size_t n;
    int rc = cl_wire_ops_begin(&b, &f->w);
    for (size_t i = 0; !rc && i < f->log->n; i++)
        rc = cl_wire_ops_add(&b, &f->log->op[i]);
    if (!rc)
        rc = cl_wire_ops_end(&b, (uint32_t)f->log->n, &f->cp);
    if (!rc)
        rc = cl_conn_send(c, CL_MSG_OPS, b.data, b.len);
    if (!rc && !(rc = cl_wire_done_encode(&b, f->log->n)))
        rc = cl_conn_send(c, CL_MSG_DONE, b.data, b.len);
    cl_buf_free(&b);
    if (rc)
        return die("send");
    for (int frames = 0; frames < 100000; frames++) { /* bounded: the victim's whole log at most */
        if (cl_conn_recv(c, &type, &p, &n)) {
            printf("refused: the victim closed the session\n");
            return 0;
        }
        if (type == CL_MSG_ERROR) {
            char msg[300];
            cl_wire_text_decode(p, n, msg, sizeof msg);
            printf("refused: %s\n", msg);
            return 0;
        }
        if (type == CL_MSG_DONE) {
            printf("accepted\n");
            return 1;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: clientele-forge DIR ADDR VICTIM-ID CASE [OTHER-ID]\n");
        return 2;
    }
    forge f = {0};
    cl_signer sg;
    cl_conn *c = NULL;
    if (!(f.log = calloc(1, sizeof *f.log)))
        return 2;
    if (cl_device_id_parse(argv[3], &f.victim) || (argc == 6 && cl_device_id_parse(argv[5], &f.other)))
        return die("device id");
    if (cl_identity_load(argv[1], false, &f.me) || cl_book_open(argv[1], cl_identity_device(f.me), &f.s))
        return die("open DIR");
    cl_identity_signer(f.me, &sg);
    if (cl_store_seal(f.s, &sg) || own_log(&f))
        return die("read DIR");
    if (hello(&f, argv[2], &c))
        return die("hello");
    int rc = build(&f, argv[4]);
    if (!rc)
        rc = send_and_watch(&f, c);
    cl_conn_close(c);
    oplist_clear(f.log);
    free(f.log);
    free(f.theirs.vv);
    cl_store_close(f.s);
    cl_identity_free(f.me);
    return rc;
}
