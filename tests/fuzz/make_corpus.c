/* Writes the binary seeds of the fuzz corpora (valid messages made with the
 * encoders, and a few broken ones) into tests/fuzz/corpus/<harness>/.
 * Usage: clientele-fuzz-seeds CORPUS-DIR. The text seeds (JSON, vCard, CSV,
 * ids) are written by hand and checked in. */
#include "clientele/model.h"
#include "clientele/net.h"
#include "clientele/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *root;

static void put(const char *harness, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", root, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static cl_device_id dev(unsigned char seed)
{
    cl_device_id d;
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        d.b[i] = (unsigned char)(seed * 31 + i);
    return d;
}

static cl_record_id rec(unsigned char seed)
{
    cl_record_id r;
    for (int i = 0; i < CL_RECORD_ID_LEN; i++)
        r.b[i] = (unsigned char)(seed * 17 + i);
    return r;
}

static cl_op op(cl_device_id o, uint64_t seq, cl_record_id r, uint8_t type, uint8_t field, const char *v)
{
    cl_op x;
    memset(&x, 0, sizeof x);
    x.origin = o;
    x.seq = seq;
    x.hlc = (117679130721124352ull + seq * 65536) ;
    x.record = r;
    x.type = type;
    x.field = field;
    x.value = v;
    x.value_len = (uint32_t)strlen(v);
    return x;
}

/* An unsigned (legacy) segment: the fuzzers' stores take it without a key. */
static void batch(cl_buf *b, const cl_op *ops, size_t n)
{
    cl_writer w = {.id = ops[0].origin, .device = ops[0].origin};
    cl_checkpoint cp = {.seq = ops[n - 1].seq};
    cl_wire_ops_begin(b, &w);
    for (size_t i = 0; i < n; i++)
        cl_wire_ops_add(b, &ops[i]);
    cl_wire_ops_end(b, (uint32_t)n, &cp);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    cl_buf b = {0};
    cl_device_id a = dev(1), c = dev(2);
    cl_record_id r1 = rec(1), r2 = rec(2);

    /* ops: a contact with a name and phone, a company, an update that saw the
     * earlier write, a concurrent write seen from another origin, a delete */
    cl_op ops[6];
    ops[0] = op(a, 1, r1, CL_T_CONTACT, CL_F_NAME, "Ana Pop");
    ops[1] = op(a, 2, r1, CL_T_CONTACT, CL_F_PHONE, "+40 721 000 111");
    ops[2] = op(a, 3, r2, CL_T_COMPANY, CL_F_NAME, "Acme");
    ops[3] = op(a, 4, r1, CL_T_CONTACT, CL_F_COMPANY, "");
    ops[3].nseen = 0;
    ops[4] = op(a, 5, r1, CL_T_CONTACT, CL_F_PHONE, "+40 721 000 222");
    ops[4].nseen = 2;
    ops[4].seen[0] = (cl_op_id){a, 2};
    ops[4].seen[1] = (cl_op_id){c, 1};
    ops[5] = op(a, 6, r2, CL_T_COMPANY, CL_F_DELETED, "1");
    batch(&b, ops, 6);
    put("fuzz_wire_ops", "batch6", b.data, b.len);
    put("fuzz_apply", "batch6", b.data, b.len);
    put("fuzz_wire_ops", "truncated", b.data, b.len - 3);
    batch(&b, ops, 1);
    put("fuzz_wire_ops", "one", b.data, b.len);
    put("fuzz_apply", "one", b.data, b.len);

    /* apply refusals: a gap, a type that contradicts, an unknown field and type */
    cl_op bad[3];
    bad[0] = op(c, 1, r1, CL_T_DEAL, CL_F_TITLE, "type clash after batch6");
    bad[1] = op(c, 3, r2, CL_T_COMPANY, CL_F_NAME, "gap");
    batch(&b, bad, 2);
    put("fuzz_apply", "gap", b.data, b.len);
    bad[0] = op(c, 1, rec(9), 77, 200, "unknown type and field");
    batch(&b, bad, 1);
    put("fuzz_apply", "unknown", b.data, b.len);
    bad[0] = op(c, 1, rec(8), CL_T_TASK, CL_F_DUE, "\xff\xfe not utf-8");
    batch(&b, bad, 1);
    put("fuzz_apply", "badutf8", b.data, b.len);

    /* hello */
    cl_hello h;
    memset(&h, 0, sizeof h);
    h.version = CL_PROTOCOL_VERSION;
    h.listen_port = 7701;
    strcpy(h.name, "office desktop");
    cl_vv_entry vv[2] = {{a, 6, {1}}, {c, 1, {2}}};
    h.vv = vv;
    h.nvv = 2;
    cl_buf_reset(&b);
    cl_wire_hello_encode(&b, &h);
    put("fuzz_wire_hello", "hello", b.data, b.len);
    h.flags = CL_HELLO_INTRODUCE;
    cl_buf_reset(&b);
    cl_wire_hello_encode(&b, &h);
    put("fuzz_wire_hello", "introduce", b.data, b.len);
    /* the vector of that hello, whole and as a difference */
    cl_vv_msg vm = {.set = vv, .nset = 2};
    cl_vv_hash(vv, 2, vm.hash);
    cl_wire_vv_encode(&b, &vm);
    put("fuzz_wire_vv", "whole", b.data, b.len);
    cl_device_id gone1[1] = {dev(7)};
    vm.nset = 1;
    vm.gone = gone1;
    vm.ngone = 1;
    memset(vm.base, 0x42, sizeof vm.base);
    cl_wire_vv_encode(&b, &vm);
    put("fuzz_wire_vv", "difference", b.data, b.len);
    vm.nset = vm.ngone = 0;
    cl_wire_vv_encode(&b, &vm);
    put("fuzz_wire_vv", "nothing_changed", b.data, b.len);
    h.flags = 0; /* the plain hello again, for the frame below */
    cl_buf_reset(&b);
    cl_wire_hello_encode(&b, &h);
    /* a whole HELLO frame, then an OPS frame, for the frame parser */
    cl_buf fr = {0};
    unsigned char hdr[CL_FRAME_HDR];
    cl_frame_header(hdr, CL_MSG_HELLO, b.len);
    cl_buf_put(&fr, hdr, sizeof hdr);
    cl_buf_put(&fr, b.data, b.len);
    h.version = CL_PROTOCOL_VERSION + 1;
    cl_buf_reset(&b);
    cl_wire_hello_encode(&b, &h);
    put("fuzz_wire_hello", "version2", b.data, b.len);
    h.version = 1;
    h.nvv = 0;
    cl_buf_reset(&b);
    cl_wire_hello_encode(&b, &h);
    put("fuzz_wire_hello", "novv", b.data, b.len);

    batch(&b, ops, 2);
    cl_frame_header(hdr, CL_MSG_OPS, b.len);
    cl_buf_put(&fr, hdr, sizeof hdr);
    cl_buf_put(&fr, b.data, b.len);
    put("fuzz_frame", "hello_ops", fr.data, fr.len);

    /* introduce */
    cl_introduction intro[3] = {{a, "office desktop", "192.168.1.10:7701"}, {c, "", ""}, {dev(9), "Ana's laptop", "[::1]:7701"}};
    cl_wire_introduce_encode(&b, intro, 3);
    put("fuzz_wire_introduce", "three", b.data, b.len);
    cl_wire_introduce_encode(&b, intro, 0);
    put("fuzz_wire_introduce", "none", b.data, b.len);
    cl_wire_introduce_encode(&b, intro, 1);
    b.len -= 3;
    put("fuzz_wire_introduce", "truncated", b.data, b.len);
    put("fuzz_frame", "hello_ops_cut", fr.data, fr.len - 7);
    static const unsigned char zero[] = {0, 0, 0, 0, 3}, huge[] = {0x00, 0x10, 0x00, 0x02, 2, 1, 2, 3};
    put("fuzz_frame", "zero_length", zero, sizeof zero);
    put("fuzz_frame", "over_limit", huge, sizeof huge);
    cl_buf_free(&fr);

    /* small messages: first byte 0 done, 1 invite, 2 text */
    cl_buf_reset(&b);
    cl_buf_put_u8(&b, 0);
    cl_buf_put_varint(&b, 123456);
    put("fuzz_wire_small", "done", b.data, b.len);
    cl_invite_msg m;
    memset(&m, 0, sizeof m);
    memcpy(m.secret, "0123456789", CL_INVITE_SECRET);
    m.listen_port = 7701;
    strcpy(m.name, "laptop");
    cl_buf inv = {0};
    cl_wire_invite_encode(&inv, &m);
    cl_buf_reset(&b);
    cl_buf_put_u8(&b, 1);
    cl_buf_put(&b, inv.data, inv.len);
    put("fuzz_wire_small", "invite", b.data, b.len);
    cl_buf_free(&inv);
    static const char text[] = "\x02" "unknown device\x1b[31m red\n";
    put("fuzz_wire_small", "text", text, sizeof text - 1);

    /* discovery */
    unsigned char ann[CL_ANNOUNCE_LEN];
    cl_announce_encode(ann, &a, 7701);
    put("fuzz_announce", "good", ann, sizeof ann);
    ann[4] = 2;
    put("fuzz_announce", "version2", ann, sizeof ann);
    cl_announce_encode(ann, &a, 0);
    put("fuzz_announce", "port0", ann, sizeof ann);

    /* ids */
    char idtext[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&a, idtext);
    put("fuzz_ids", "device", idtext, strlen(idtext));
    char rtext[CL_RECORD_ID_TEXT];
    cl_record_id_format(&r1, rtext);
    put("fuzz_ids", "record", rtext, strlen(rtext));
    cl_buf_free(&b);
    return 0;
}
