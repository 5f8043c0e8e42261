/* Frames, wire payloads and TLS connections pinned to device ids, with a real
 * listener on 127.0.0.1 in this process. */
#include "testutil.h"

#include "clientele/sync.h"
#include "clientele/wire.h"
#include "sync/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ssl.h>

static void frames_parse_whole_partial_and_refuse_bad_lengths(void **state)
{
    (void)state;
    unsigned char buf[64];
    cl_frame_header(buf, 7, 3);
    memcpy(buf + CL_FRAME_HDR, "abc", 3);
    uint8_t type;
    const unsigned char *p;
    size_t n, used;
    for (size_t len = 0; len < 8; len++)
        assert_int_equal(cl_frame_parse(buf, len, &type, &p, &n, &used), CL_FRAME_NEED_MORE);
    assert_int_equal(cl_frame_parse(buf, 8, &type, &p, &n, &used), CL_FRAME_COMPLETE);
    assert_int_equal(type, 7);
    assert_int_equal(n, 3);
    assert_int_equal(used, 8);
    assert_memory_equal(p, "abc", 3);
    unsigned char zero[4] = {0, 0, 0, 0};
    assert_int_equal(cl_frame_parse(zero, 4, &type, &p, &n, &used), CL_EPROTO);
    unsigned char huge[5];
    cl_frame_header(huge, 2, CL_FRAME_MAX + 1);
    assert_int_equal(cl_frame_parse(huge, 5, &type, &p, &n, &used), CL_EPROTO);
    cl_frame_header(huge, 2, CL_FRAME_MAX);
    assert_int_equal(cl_frame_parse(huge, 5, &type, &p, &n, &used), CL_FRAME_NEED_MORE);
}

static cl_op sample_op(uint64_t seq, const char *value)
{
    cl_op op;
    memset(&op, 0, sizeof op);
    memset(op.origin.b, 3, sizeof op.origin.b);
    memset(op.record.b, 9, sizeof op.record.b);
    op.seq = seq;
    op.hlc = 123456789 + seq;
    op.type = CL_T_CONTACT;
    op.field = CL_F_PHONE;
    op.nseen = 2;
    op.seen[0].origin = op.origin;
    op.seen[0].seq = seq - 1;
    memset(op.seen[1].origin.b, 4, sizeof op.seen[1].origin.b);
    op.seen[1].seq = 77;
    op.value = value;
    op.value_len = (uint32_t)strlen(value);
    return op;
}

static void ops_round_trip_and_every_truncation_is_refused(void **state)
{
    (void)state;
    cl_buf b = {0};
    cl_op a = sample_op(5, "+40 721"), c = sample_op(6, "");
    cl_writer w = {.id = a.origin, .has_nonce = true, .pubkey_len = 3};
    memset(w.device.b, 9, CL_DEVICE_ID_LEN);
    memset(w.nonce, 7, CL_NONCE_LEN);
    memcpy(w.pubkey, "key", 3);
    cl_checkpoint cp = {.seq = 6, .sig_len = 2};
    memset(cp.chain, 5, CL_CHAIN_LEN);
    memcpy(cp.sig, "ok", 2);
    assert_int_equal(cl_wire_ops_begin(&b, &w), CL_OK);
    assert_int_equal(cl_wire_ops_add(&b, &a), CL_OK);
    assert_int_equal(cl_wire_ops_add(&b, &c), CL_OK);
    assert_int_equal(cl_wire_ops_end(&b, 2, &cp), CL_OK);
    cl_segment seg;
    assert_int_equal(cl_wire_ops_decode(b.data, b.len, &seg), CL_OK);
    const cl_op *ops = seg.ops;
    assert_int_equal(seg.n, 2);
    assert_memory_equal(&seg.writer, &w, sizeof w);
    assert_int_equal(seg.cp.seq, 6);
    assert_memory_equal(seg.cp.chain, cp.chain, CL_CHAIN_LEN);
    assert_int_equal(seg.cp.sig_len, 2);
    assert_int_equal(ops[0].seq, 5);
    assert_int_equal(ops[0].hlc, a.hlc);
    assert_int_equal(ops[0].nseen, 2);
    assert_int_equal(ops[0].seen[1].seq, 77);
    assert_memory_equal(ops[0].seen[1].origin.b, a.seen[1].origin.b, CL_DEVICE_ID_LEN);
    assert_memory_equal(ops[0].value, "+40 721", 7);
    assert_int_equal(ops[1].value_len, 0);
    free((void *)ops);
    for (size_t len = 0; len < b.len; len++) {
        seg.ops = NULL;
        assert_int_equal(cl_wire_ops_decode(b.data, len, &seg), CL_EPROTO);
        assert_null(seg.ops);
    }
    /* a count that promises more ops than the bytes can hold */
    b.data[CL_DEVICE_ID_LEN] = 0x7f;
    assert_int_equal(cl_wire_ops_decode(b.data, b.len, &seg), CL_EPROTO);
    cl_buf_free(&b);
}

static void hello_round_trip_and_a_newer_version_is_read(void **state)
{
    (void)state;
    cl_hello h = {.version = CL_PROTOCOL_VERSION, .listen_port = 7701, .flags = CL_HELLO_INTRODUCE | 8};
    strcpy(h.name, "office");
    memset(h.held, 0xab, sizeof h.held);
    cl_buf b = {0};
    assert_int_equal(cl_wire_hello_encode(&b, &h), CL_OK);
    cl_hello back;
    assert_int_equal(cl_wire_hello_decode(b.data, b.len, &back), CL_OK);
    assert_string_equal(back.name, "office");
    assert_int_equal(back.listen_port, 7701);
    assert_int_equal(back.flags, CL_HELLO_INTRODUCE | 8); /* bits it does not know are kept, not refused */
    assert_memory_equal(back.held, h.held, sizeof h.held);
    assert_int_equal(back.nvv, 0); /* the vector comes in VV */
    for (size_t len = 0; len < b.len; len++)
        assert_int_equal(cl_wire_hello_decode(b.data, len, &back), CL_EPROTO);
    cl_buf_put_u8(&b, 0);
    assert_int_equal(cl_wire_hello_decode(b.data, b.len, &back), CL_EPROTO); /* a byte too many */
    cl_buf_reset(&b);
    cl_buf_put_varint(&b, 99); /* a future version: only the number is read */
    cl_buf_puts(&b, "whatever follows");
    assert_int_equal(cl_wire_hello_decode(b.data, b.len, &back), CL_OK);
    assert_int_equal(back.version, 99);
    cl_buf_free(&b);
}

static void vv_messages_round_trip_and_every_truncation_is_refused(void **state)
{
    (void)state;
    cl_vv_entry set[2];
    memset(set, 0, sizeof set); /* the padding too: the decoded entries are compared whole */
    memset(set[0].origin.b, 5, CL_DEVICE_ID_LEN);
    memset(set[1].origin.b, 6, CL_DEVICE_ID_LEN);
    memset(set[1].chain, 9, CL_CHAIN_LEN);
    set[0].seq = 10;
    set[1].seq = 1u << 30;
    cl_device_id gone[1];
    memset(gone, 7, sizeof gone);
    cl_vv_msg m = {.set = set, .nset = 2, .gone = gone, .ngone = 1};
    memset(m.base, 1, sizeof m.base);
    memset(m.hash, 2, sizeof m.hash);
    cl_buf b = {0};
    assert_int_equal(cl_wire_vv_encode(&b, &m), CL_OK);
    cl_vv_msg back;
    assert_int_equal(cl_wire_vv_decode(b.data, b.len, &back), CL_OK);
    assert_int_equal(back.nset, 2);
    assert_int_equal(back.ngone, 1);
    assert_memory_equal(back.set, set, sizeof set);
    assert_memory_equal(back.gone, gone, sizeof gone);
    assert_memory_equal(back.base, m.base, sizeof m.base);
    free(back.set);
    free(back.gone);
    for (size_t len = 0; len < b.len; len++) {
        assert_int_equal(cl_wire_vv_decode(b.data, len, &back), CL_EPROTO);
        assert_null(back.set);
    }
    cl_buf_free(&b);
}

/* The most writers a vector may name, each with the longest seq, still fit in
 * one frame; one more is refused before anything is sent. */
static void the_largest_vector_fits_a_frame(void **state)
{
    (void)state;
    cl_hello h = {.version = CL_PROTOCOL_VERSION};
    unsigned char chain[CL_CHAIN_LEN];
    memset(chain, 0xee, sizeof chain);
    for (uint32_t i = 0; i < CL_WIRE_MAX_VV; i++) {
        cl_device_id w = {{0}};
        memcpy(w.b, &i, sizeof i);
        assert_int_equal(cl_hello_vv_add(&h, &w, UINT64_MAX, chain), CL_OK);
    }
    cl_device_id more = {{0xff}};
    assert_int_equal(cl_hello_vv_add(&h, &more, 1, chain), CL_EFULL);
    cl_vv_msg m = {.set = h.vv, .nset = h.nvv}, back;
    cl_buf b = {0};
    assert_int_equal(cl_wire_vv_encode(&b, &m), CL_OK);
    assert_true(b.len <= CL_FRAME_MAX);
    assert_int_equal(cl_wire_vv_decode(b.data, b.len, &back), CL_OK);
    assert_int_equal(back.nset, CL_WIRE_MAX_VV);
    assert_int_equal(back.set[CL_WIRE_MAX_VV - 1].seq, UINT64_MAX);
    free(back.set);
    free(back.gone);
    free(h.vv);
    cl_buf_free(&b);
}

/* ----- real TLS on loopback ----- */

typedef struct device {
    char *dir;
    cl_identity *id;
    cl_store *store;
} device;

static void device_open(device *d)
{
    d->dir = tu_tmpdir();
    assert_int_equal(cl_identity_load(d->dir, true, &d->id), CL_OK);
    assert_int_equal(cl_book_open(d->dir, cl_identity_device(d->id), &d->store), CL_OK);
}

static void device_close(device *d)
{
    cl_store_close(d->store);
    cl_identity_free(d->id);
    tu_rmdir(d->dir);
    free(d->dir);
}

typedef struct net_fixture {
    device server, client, stranger;
    cl_sync_server *srv;
    char addr[64];
} net_fixture;

static int net_setup(void **state)
{
    net_fixture *f = calloc(1, sizeof *f);
    device_open(&f->server);
    device_open(&f->client);
    device_open(&f->stranger);
    assert_int_equal(cl_peer_add(f->server.store, cl_identity_device(f->client.id), NULL, "client"), CL_OK);
    assert_int_equal(cl_peer_add(f->client.store, cl_identity_device(f->server.id), NULL, "server"), CL_OK);
    assert_int_equal(cl_sync_server_start(f->server.store, f->server.id, "127.0.0.1:0", &f->srv), CL_OK);
    snprintf(f->addr, sizeof f->addr, "127.0.0.1:%u", cl_sync_server_port(f->srv));
    *state = f;
    return 0;
}

static int net_teardown(void **state)
{
    net_fixture *f = *state;
    cl_sync_server_stop(f->srv);
    device_close(&f->server);
    device_close(&f->client);
    device_close(&f->stranger);
    free(f);
    return 0;
}

static void assert_still_serving(net_fixture *f)
{
    cl_sync_result r;
    int rc = cl_sync_once(f->client.store, f->client.id, f->addr, cl_identity_device(f->server.id), &r);
    if (rc)
        fprintf(stderr, "sync: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
}

static cl_conn *connect_paired(net_fixture *f)
{
    cl_conn *c = NULL;
    assert_int_equal(cl_conn_connect(f->client.id, f->addr, cl_identity_device(f->server.id), NULL, NULL, 5000, &c),
                     CL_OK);
    return c;
}

static void expect_closed(cl_conn *c)
{
    uint8_t type;
    const unsigned char *p;
    size_t n;
    /* the server answers with an ERROR frame or just closes */
    int rc = cl_conn_recv(c, &type, &p, &n);
    assert_true(rc != CL_OK || type == CL_MSG_ERROR);
    cl_conn_close(c);
}

static void a_frame_over_the_limit_is_dropped(void **state)
{
    net_fixture *f = *state;
    cl_conn *c = connect_paired(f);
    unsigned char hdr[CL_FRAME_HDR];
    cl_frame_header(hdr, CL_MSG_HELLO, CL_FRAME_MAX + 10);
    assert_int_equal(cl_conn_write_raw(c, hdr, sizeof hdr), CL_OK);
    expect_closed(c);
    assert_still_serving(f);
}

static void a_truncated_frame_is_dropped(void **state)
{
    net_fixture *f = *state;
    cl_conn *c = connect_paired(f);
    unsigned char hdr[CL_FRAME_HDR];
    cl_frame_header(hdr, CL_MSG_HELLO, 1000);
    assert_int_equal(cl_conn_write_raw(c, hdr, sizeof hdr), CL_OK);
    assert_int_equal(cl_conn_write_raw(c, "partial", 7), CL_OK);
    cl_conn_close(c); /* and hang up */
    assert_still_serving(f);
}

static void garbage_messages_are_dropped(void **state)
{
    net_fixture *f = *state;
    cl_conn *c = connect_paired(f);
    assert_int_equal(cl_conn_send(c, 200, "??", 2), CL_OK);
    expect_closed(c);
    c = connect_paired(f);
    assert_int_equal(cl_conn_send(c, CL_MSG_HELLO, "\x01\xff", 2), CL_OK); /* malformed hello */
    expect_closed(c);
    assert_still_serving(f);
}

/* An older peer is told which version to install; a newer one, that this
 * device is the one to upgrade. */
static void another_protocol_version_gets_a_clear_error(void **state)
{
    net_fixture *f = *state;
    static const struct { const char *hello, *says; } cases[] = {
        {"\x01", "sync protocol version 1 is not supported: this device speaks version 5; install clientele "
                  CL_PROTOCOL_RELEASE " or later on the other device"},
        {"\x02", "sync protocol version 2 is not supported: this device speaks version 5; install clientele "
                  CL_PROTOCOL_RELEASE " or later on the other device"},
        /* 0.3.x would refuse a revocation as a record of an unknown type: it is told to upgrade, before any op */
        {"\x03", "sync protocol version 3 is not supported: this device speaks version 5; install clientele "
                  CL_PROTOCOL_RELEASE " or later on the other device"},
        /* 0.4.x's hello has no flags: it could not ask for introductions */
        {"\x04", "sync protocol version 4 is not supported: this device speaks version 5; install clientele "
                  CL_PROTOCOL_RELEASE " or later on the other device"},
        {"\x06", "sync protocol version 6 is newer than this device's (5): upgrade clientele on this device"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cl_conn *c = connect_paired(f);
        assert_int_equal(cl_conn_send(c, CL_MSG_HELLO, cases[i].hello, 1), CL_OK);
        uint8_t type;
        const unsigned char *p;
        size_t n;
        assert_int_equal(cl_conn_recv(c, &type, &p, &n), CL_OK);
        assert_int_equal(type, CL_MSG_ERROR);
        char msg[300];
        cl_wire_text_decode(p, n, msg, sizeof msg);
        assert_string_equal(msg, cases[i].says);
        cl_conn_close(c);
    }
    assert_still_serving(f);
}

static void introductions_round_trip_and_bad_ones_are_refused(void **state)
{
    (void)state;
    cl_introduction v[2] = {{.name = "office", .addr = "10.0.0.5:7701"}, {.name = "", .addr = ""}};
    memset(v[0].id.b, 1, CL_DEVICE_ID_LEN);
    memset(v[1].id.b, 2, CL_DEVICE_ID_LEN);
    cl_buf b = {0};
    assert_int_equal(cl_wire_introduce_encode(&b, v, 2), CL_OK);
    cl_introduction *back;
    size_t n;
    assert_int_equal(cl_wire_introduce_decode(b.data, b.len, &back, &n), CL_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(back, v, sizeof v);
    free(back);
    for (size_t len = 0; len < b.len; len++) {
        assert_int_equal(cl_wire_introduce_decode(b.data, len, &back, &n), CL_EPROTO);
        assert_null(back);
    }
    /* an address with a space or a control character, a name with a newline */
    static const char *const bad_addr[] = {"10.0.0.5 :7701", "10.0.0.5:77\x01", "host:1\n"};
    for (size_t i = 0; i < 3; i++) {
        strcpy(v[1].addr, bad_addr[i]);
        assert_int_equal(cl_wire_introduce_encode(&b, v, 2), CL_OK);
        assert_int_equal(cl_wire_introduce_decode(b.data, b.len, &back, &n), CL_EPROTO);
    }
    strcpy(v[1].addr, "");
    strcpy(v[1].name, "two\nlines");
    assert_int_equal(cl_wire_introduce_encode(&b, v, 2), CL_OK);
    assert_int_equal(cl_wire_introduce_decode(b.data, b.len, &back, &n), CL_EPROTO);
    /* a count beyond the limit, or beyond what the bytes can hold */
    cl_buf_reset(&b);
    cl_buf_put_varint(&b, CL_INTRODUCE_MAX + 1);
    assert_int_equal(cl_wire_introduce_decode(b.data, b.len, &back, &n), CL_EPROTO);
    cl_buf_reset(&b);
    cl_buf_put_varint(&b, 500);
    cl_buf_puts(&b, "short");
    assert_int_equal(cl_wire_introduce_decode(b.data, b.len, &back, &n), CL_EPROTO);
    static cl_introduction many[CL_INTRODUCE_MAX + 1];
    assert_int_equal(cl_wire_introduce_encode(&b, many, CL_INTRODUCE_MAX + 1), CL_EINVAL);
    cl_buf_free(&b);
}

/* Sends our hello on c; returns the payload of the VV frame that follows the
 * server's hello (valid until the next receive on c). */
static void send_hello(cl_conn *c, const cl_hello *h, const unsigned char **vv, size_t *vvlen)
{
    cl_buf b = {0};
    assert_int_equal(cl_wire_hello_encode(&b, h), CL_OK);
    assert_int_equal(cl_conn_send(c, CL_MSG_HELLO, b.data, b.len), CL_OK);
    cl_buf_free(&b);
    uint8_t type;
    assert_int_equal(cl_conn_recv(c, &type, vv, vvlen), CL_OK);
    assert_int_equal(type, CL_MSG_HELLO);
    assert_int_equal(cl_conn_recv(c, &type, vv, vvlen), CL_OK);
    assert_int_equal(type, CL_MSG_VV);
}

static void send_done(cl_conn *c)
{
    cl_buf b = {0};
    assert_int_equal(cl_wire_done_encode(&b, 0), CL_OK);
    assert_int_equal(cl_conn_send(c, CL_MSG_DONE, b.data, b.len), CL_OK);
    cl_buf_free(&b);
}

/* Our hello, as a raw client of the fixture's server, with flags; then our
 * vector: whole, and empty. */
static cl_conn *raw_hello(net_fixture *f, uint64_t flags)
{
    cl_conn *c = connect_paired(f);
    cl_hello h = {.version = CL_PROTOCOL_VERSION, .flags = flags};
    const unsigned char *p;
    size_t n;
    send_hello(c, &h, &p, &n);
    cl_vv_msg m = {0};
    assert_int_equal(cl_vv_hash(NULL, 0, m.hash), CL_OK);
    cl_buf b = {0};
    assert_int_equal(cl_wire_vv_encode(&b, &m), CL_OK);
    assert_int_equal(cl_conn_send(c, CL_MSG_VV, b.data, b.len), CL_OK);
    cl_buf_free(&b);
    return c;
}

static void a_peer_that_asks_is_told_the_paired_devices_but_itself_and_the_revoked(void **state)
{
    net_fixture *f = *state;
    cl_device_id colleague, thief;
    memset(colleague.b, 0x11, CL_DEVICE_ID_LEN);
    memset(thief.b, 0x22, CL_DEVICE_ID_LEN);
    assert_int_equal(cl_peer_add(f->server.store, &colleague, "127.0.0.1:7801", "colleague"), CL_OK);
    assert_int_equal(cl_peer_add(f->server.store, &thief, "127.0.0.1:7802", "thief"), CL_OK);
    assert_int_equal(cl_peer_revoke(f->server.store, f->server.id, &thief), CL_OK);
    cl_conn *c = raw_hello(f, CL_HELLO_INTRODUCE);
    send_done(c);
    uint8_t type;
    const unsigned char *p;
    size_t n, count;
    assert_int_equal(cl_conn_recv(c, &type, &p, &n), CL_OK);
    assert_int_equal(type, CL_MSG_INTRODUCE);
    cl_introduction *v;
    assert_int_equal(cl_wire_introduce_decode(p, n, &v, &count), CL_OK);
    assert_int_equal(count, 1);
    assert_memory_equal(v[0].id.b, colleague.b, CL_DEVICE_ID_LEN);
    assert_string_equal(v[0].name, "colleague");
    assert_string_equal(v[0].addr, "127.0.0.1:7801");
    free(v);
    cl_conn_close(c);
    /* one that does not ask is told nothing */
    c = raw_hello(f, 0);
    send_done(c);
    do { /* the revocation's op, then DONE */
        assert_int_equal(cl_conn_recv(c, &type, &p, &n), CL_OK);
        assert_int_not_equal(type, CL_MSG_INTRODUCE);
    } while (type == CL_MSG_OPS);
    assert_int_equal(type, CL_MSG_DONE);
    cl_conn_close(c);
}

/* The server's vector after a hello: what it sends for what the hello says it holds. */
static cl_vv_msg vector_for(net_fixture *f, const unsigned char held[CL_SHA256_LEN])
{
    cl_conn *c = connect_paired(f);
    cl_hello h = {.version = CL_PROTOCOL_VERSION};
    memcpy(h.held, held, CL_SHA256_LEN);
    const unsigned char *p;
    size_t n;
    send_hello(c, &h, &p, &n);
    cl_vv_msg m;
    assert_int_equal(cl_wire_vv_decode(p, n, &m), CL_OK);
    cl_conn_close(c);
    return m;
}

/* After a sync, a peer that says it holds the vector it was sent gets only
 * what changed: nothing, when nothing did (a few dozen bytes, however many
 * writers); one that holds something else gets the whole vector. */
static void a_vector_already_held_is_sent_as_nothing(void **state)
{
    net_fixture *f = *state;
    cl_record_id id;
    cl_assign a[] = {{"name", "Server Co"}};
    assert_int_equal(cl_record_put(f->server.store, CL_T_COMPANY, NULL, a, 1, &id), CL_OK);
    assert_still_serving(f);
    cl_txn *t;
    sync_vv kept;
    assert_int_equal(cl_store_read(f->client.store, &t), CL_OK);
    assert_int_equal(sync_vv_load(t, cl_identity_device(f->server.id), SYNC_VV_RECEIVED, &kept), CL_OK);
    cl_txn_end(t);
    assert_true(kept.known);
    assert_true(kept.n >= 1);
    cl_vv_msg m = vector_for(f, kept.hash);
    assert_memory_equal(m.base, kept.hash, CL_SHA256_LEN);
    assert_memory_equal(m.hash, kept.hash, CL_SHA256_LEN);
    assert_int_equal(m.nset, 0);
    assert_int_equal(m.ngone, 0);
    free(m.set);
    free(m.gone);
    unsigned char other[CL_SHA256_LEN];
    memset(other, 0x5a, sizeof other);
    m = vector_for(f, other);
    static const unsigned char zero[CL_SHA256_LEN];
    assert_memory_equal(m.base, zero, CL_SHA256_LEN);
    assert_int_equal(m.nset, kept.n);
    free(m.set);
    free(m.gone);
    sync_vv_free(&kept);
    assert_still_serving(f); /* the server, told of other bases meanwhile, still syncs */
}

static void introductions_not_asked_for_end_the_session_and_pair_nobody(void **state)
{
    net_fixture *f = *state;
    cl_introduction v = {.name = "planted", .addr = "127.0.0.1:9"};
    memset(v.id.b, 0x33, CL_DEVICE_ID_LEN);
    cl_buf b = {0};
    assert_int_equal(cl_wire_introduce_encode(&b, &v, 1), CL_OK);
    cl_conn *c = raw_hello(f, 0); /* the server does not take introductions from the client */
    assert_int_equal(cl_conn_send(c, CL_MSG_INTRODUCE, b.data, b.len), CL_OK);
    expect_closed(c);
    cl_peer *peers;
    size_t n;
    assert_int_equal(cl_peer_list(f->server.store, &peers, &n), CL_OK);
    assert_int_equal(n, 1); /* the client alone */
    free(peers);
    cl_buf_free(&b);
    assert_still_serving(f);
}

static void the_client_refuses_a_server_with_another_key(void **state)
{
    net_fixture *f = *state;
    cl_conn *c = NULL;
    int rc = cl_conn_connect(f->client.id, f->addr, cl_identity_device(f->stranger.id), NULL, NULL, 5000, &c);
    assert_int_equal(rc, CL_EDENIED);
    assert_non_null(strstr(cl_errmsg(), "not"));
    assert_null(c);
}

static void an_unpaired_client_reads_and_writes_nothing(void **state)
{
    net_fixture *f = *state;
    char before[65], after[65];
    tu_digest(f->server.store, before);
    cl_record_id id;
    cl_assign a[] = {{"name", "Intruder Inc"}};
    assert_int_equal(cl_record_put(f->stranger.store, CL_T_COMPANY, NULL, a, 1, &id), CL_OK);
    assert_int_equal(cl_peer_add(f->stranger.store, cl_identity_device(f->server.id), NULL, NULL), CL_OK);
    cl_sync_result r;
    assert_int_equal(cl_sync_once(f->stranger.store, f->stranger.id, f->addr, cl_identity_device(f->server.id), &r),
                     CL_EDENIED);
    assert_int_equal(r.received, 0);
    tu_digest(f->server.store, after);
    assert_string_equal(before, after);
    cl_pending *q;
    size_t n;
    assert_int_equal(cl_pending_list(f->server.store, &q, &n), CL_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(q[0].id.b, cl_identity_device(f->stranger.id)->b, CL_DEVICE_ID_LEN);
    free(q);
}


/* ----- TLS session resumption ----- */

/* A listener of our own rather than the sync server, to see the server side
 * of each connection: it accepts until stopped, echoes one frame, and records
 * the last successful handshake. */
typedef struct echo {
    const cl_identity *id;
    int fd;
    char addr[64];
    pthread_t th;
    pthread_mutex_t lock;
    int handshakes;
    bool resumed;
    cl_device_id peer;
} echo;

static void *echo_run(void *arg)
{
    echo *e = arg;
    int fd;
    while ((fd = accept(e->fd, NULL, NULL)) >= 0) {
        cl_conn *c;
        if (cl_conn_accept(e->id, fd, 5000, &c) != CL_OK)
            continue;
        pthread_mutex_lock(&e->lock);
        e->handshakes++;
        e->resumed = cl_conn_resumed(c);
        e->peer = *cl_conn_peer(c);
        pthread_mutex_unlock(&e->lock);
        uint8_t type;
        const unsigned char *p;
        size_t n;
        if (cl_conn_recv(c, &type, &p, &n) == CL_OK)
            cl_conn_send(c, type, p, n);
        cl_conn_close(c);
    }
    return NULL;
}

static void echo_start(echo *e, const cl_identity *id)
{
    memset(e, 0, sizeof *e);
    e->id = id;
    uint16_t port;
    assert_int_equal(cl_listen("127.0.0.1:0", &e->fd, &port), CL_OK);
    snprintf(e->addr, sizeof e->addr, "127.0.0.1:%u", port);
    pthread_mutex_init(&e->lock, NULL);
    assert_int_equal(pthread_create(&e->th, NULL, echo_run, e), 0);
}

static void echo_stop(echo *e)
{
    shutdown(e->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(e->th, NULL);
    close(e->fd);
    pthread_mutex_destroy(&e->lock);
}

/* What the server saw of the last handshake. */
static void echo_saw(echo *e, bool *resumed, cl_device_id *peer)
{
    pthread_mutex_lock(&e->lock);
    *resumed = e->resumed;
    *peer = e->peer;
    pthread_mutex_unlock(&e->lock);
}

static int echo_handshakes(echo *e)
{
    pthread_mutex_lock(&e->lock);
    int n = e->handshakes;
    pthread_mutex_unlock(&e->lock);
    return n;
}

static bool known_all(void *ctx, const cl_device_id *id)
{
    (void)ctx;
    (void)id;
    return true;
}

static const cl_device_id *dev(const device *d) { return cl_identity_device(d->id); }

static void assert_same_device(const cl_device_id *a, const cl_device_id *b)
{
    assert_memory_equal(a->b, b->b, CL_DEVICE_ID_LEN);
}

/* Connect from d to e pinning expect, send a frame and read it back; the
 * client's view of the handshake in *resumed and *peer. */
static int talk(const device *d, const echo *e, const cl_device_id *expect, bool *resumed, cl_device_id *peer)
{
    cl_conn *c = NULL;
    int rc = cl_conn_connect(d->id, e->addr, expect, NULL, NULL, 5000, &c);
    if (rc) {
        assert_null(c);
        return rc;
    }
    *resumed = cl_conn_resumed(c);
    *peer = *cl_conn_peer(c);
    assert_int_equal(cl_conn_send(c, 42, "ping", 4), CL_OK);
    uint8_t type;
    const unsigned char *p;
    size_t n;
    assert_int_equal(cl_conn_recv(c, &type, &p, &n), CL_OK);
    assert_int_equal(type, 42);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "ping", 4);
    cl_conn_close(c);
    return CL_OK;
}

/* A connection from client to e that must succeed, resumed or not, with the
 * server on both ends being `server` and the client being `client`. */
static void talk_ok(const device *client, echo *e, const device *server, bool want_resumed)
{
    bool resumed, srv_resumed;
    cl_device_id peer, srv_peer;
    int rc = talk(client, e, dev(server), &resumed, &peer);
    if (rc)
        fprintf(stderr, "connect: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
    assert_int_equal(resumed, want_resumed);
    assert_same_device(&peer, dev(server));
    echo_saw(e, &srv_resumed, &srv_peer);
    assert_int_equal(srv_resumed, want_resumed);
    assert_same_device(&srv_peer, dev(client));
}

/* Where d keeps its session for peer (docs/security.md). */
static void session_file(const device *d, const cl_device_id *peer, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/tls-sessions/", d->dir);
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", peer->b[i]);
}

static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void spill(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void a_second_connection_resumes_and_both_sides_know_the_peer(void **state)
{
    net_fixture *f = *state;
    echo e;
    echo_start(&e, f->server.id);
    talk_ok(&f->client, &e, &f->server, false);
    /* the saved session is as private as key.pem */
    char path[4096];
    session_file(&f->client, dev(&f->server), path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *slash = strrchr(path, '/');
    *slash = 0;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    talk_ok(&f->client, &e, &f->server, true);
    talk_ok(&f->client, &e, &f->server, true);
    echo_stop(&e);
}

static void a_connection_without_expected_id_neither_resumes_nor_saves(void **state)
{
    net_fixture *f = *state;
    echo e;
    echo_start(&e, f->server.id);
    for (int i = 0; i < 2; i++) {
        cl_conn *c = NULL;
        assert_int_equal(cl_conn_connect(f->client.id, e.addr, NULL, known_all, NULL, 5000, &c), CL_OK);
        assert_false(cl_conn_resumed(c));
        assert_same_device(cl_conn_peer(c), dev(&f->server));
        cl_conn_close(c);
    }
    char path[4096];
    session_file(&f->client, dev(&f->server), path, sizeof path);
    assert_int_not_equal(access(path, F_OK), 0);
    echo_stop(&e);
}

/* A file whose content no longer matches its checksum, a truncated one, and
 * a well-formed one (checksum recomputed) with a wrong master secret, which
 * the server takes and the handshake then fails on: each costs one full
 * handshake, never a failed connection. */
static void a_damaged_session_file_means_a_full_handshake(void **state)
{
    net_fixture *f = *state;
    echo e;
    echo_start(&e, f->server.id);
    char path[4096];
    session_file(&f->client, dev(&f->server), path, sizeof path);
    unsigned char buf[16384];
    talk_ok(&f->client, &e, &f->server, false);

    size_t n = slurp(path, buf, sizeof buf);
    assert_true(n > 100);
    buf[n / 2] ^= 0x55;
    spill(path, buf, n);
    talk_ok(&f->client, &e, &f->server, false);
    talk_ok(&f->client, &e, &f->server, true);

    slurp(path, buf, sizeof buf);
    spill(path, buf, 40);
    talk_ok(&f->client, &e, &f->server, false);

    /* layout (src/net/resume.c): SHA-256 of the rest · our id (20) · session */
    n = slurp(path, buf, sizeof buf);
    const size_t head = CL_SHA256_LEN + CL_DEVICE_ID_LEN;
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    assert_int_equal(mbedtls_ssl_session_load(&s, buf + head, n - head), 0);
    s.master[0] ^= 1;
    assert_int_equal(mbedtls_ssl_session_save(&s, buf + head, sizeof buf - head, &n), 0);
    mbedtls_ssl_session_free(&s);
    cl_sha256(buf + CL_SHA256_LEN, n + CL_DEVICE_ID_LEN, buf);
    spill(path, buf, head + n);
    int before = echo_handshakes(&e);
    talk_ok(&f->client, &e, &f->server, false);
    talk_ok(&f->client, &e, &f->server, true);
    echo_stop(&e);
    assert_int_equal(e.handshakes, before + 2); /* the failed attempt is not one */
}

/* S's session filed under T's name: at T's listener the ticket means nothing
 * (full handshake, T's own certificate); at S's listener, pinning T, the
 * session does resume, and the client must refuse it for being S. */
static void a_session_of_another_device_is_never_accepted_as_the_expected_one(void **state)
{
    net_fixture *f = *state;
    device *S = &f->server, *T = &f->stranger;
    echo es, et;
    echo_start(&es, S->id);
    echo_start(&et, T->id);
    talk_ok(&f->client, &es, S, false);
    char spath[4096], tpath[4096];
    session_file(&f->client, dev(S), spath, sizeof spath);
    session_file(&f->client, dev(T), tpath, sizeof tpath);
    unsigned char buf[16384];
    size_t n = slurp(spath, buf, sizeof buf);

    spill(tpath, buf, n);
    talk_ok(&f->client, &et, T, false);

    spill(tpath, buf, n);
    bool resumed;
    cl_device_id peer;
    assert_int_equal(talk(&f->client, &es, dev(T), &resumed, &peer), CL_EDENIED);
    char sid[CL_DEVICE_ID_TEXT], tid[CL_DEVICE_ID_TEXT];
    cl_device_id_format(dev(S), sid);
    cl_device_id_format(dev(T), tid);
    assert_non_null(strstr(cl_errmsg(), sid));
    assert_non_null(strstr(cl_errmsg(), tid));
    assert_int_not_equal(access(tpath, F_OK), 0); /* and it is not offered again */
    echo_stop(&es);
    echo_stop(&et);
    assert_true(es.resumed); /* the refusal came after a resumed handshake */
    assert_int_equal(es.handshakes, 2);
}

/* A new identity for the same folder (a restarted 'serve') has new ticket
 * keys: the old ticket is refused, a full handshake follows, and its new
 * session resumes. */
static void new_ticket_keys_on_the_server_mean_one_full_handshake(void **state)
{
    net_fixture *f = *state;
    echo e;
    echo_start(&e, f->server.id);
    talk_ok(&f->client, &e, &f->server, false);
    talk_ok(&f->client, &e, &f->server, true);
    echo_stop(&e);
    cl_identity *again;
    assert_int_equal(cl_identity_load(f->server.dir, false, &again), CL_OK);
    echo_start(&e, again);
    talk_ok(&f->client, &e, &f->server, false);
    talk_ok(&f->client, &e, &f->server, true);
    echo_stop(&e);
    cl_identity_free(again);
}

/* The sync server learns the peer of a resumed session too, and refuses it
 * once unpaired: pairing is checked after every handshake, not at the ticket. */
static void a_resumed_session_of_an_unpaired_device_is_refused(void **state)
{
    net_fixture *f = *state;
    assert_still_serving(f); /* a full handshake, the session saved */
    cl_conn *c = connect_paired(f);
    assert_true(cl_conn_resumed(c));
    cl_conn_close(c);
    assert_int_equal(cl_peer_remove(f->server.store, f->server.id, dev(&f->client)), CL_OK);
    c = connect_paired(f);
    assert_true(cl_conn_resumed(c));
    cl_buf b = {0};
    cl_hello h = {.version = CL_PROTOCOL_VERSION};
    strcpy(h.name, "client");
    assert_int_equal(cl_wire_hello_encode(&b, &h), CL_OK);
    assert_int_equal(cl_conn_send(c, CL_MSG_HELLO, b.data, b.len), CL_OK);
    cl_buf_free(&b);
    uint8_t type;
    const unsigned char *p;
    size_t n;
    assert_int_equal(cl_conn_recv(c, &type, &p, &n), CL_OK);
    assert_int_equal(type, CL_MSG_ERROR);
    cl_conn_close(c);
    cl_pending *q;
    assert_int_equal(cl_pending_list(f->server.store, &q, &n), CL_OK);
    assert_int_equal(n, 1);
    assert_same_device(&q[0].id, dev(&f->client));
    free(q);
}

int main(void)
{
    setenv("CLIENTELE_NOSYNC", "1", 1);
    setenv("CLIENTELE_LOG", "error", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_parse_whole_partial_and_refuse_bad_lengths),
        cmocka_unit_test(ops_round_trip_and_every_truncation_is_refused),
        cmocka_unit_test(hello_round_trip_and_a_newer_version_is_read),
        cmocka_unit_test(vv_messages_round_trip_and_every_truncation_is_refused),
        cmocka_unit_test(the_largest_vector_fits_a_frame),
        cmocka_unit_test_setup_teardown(a_frame_over_the_limit_is_dropped, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(a_truncated_frame_is_dropped, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(garbage_messages_are_dropped, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(another_protocol_version_gets_a_clear_error, net_setup, net_teardown),
        cmocka_unit_test(introductions_round_trip_and_bad_ones_are_refused),
        cmocka_unit_test_setup_teardown(a_peer_that_asks_is_told_the_paired_devices_but_itself_and_the_revoked,
                                        net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(a_vector_already_held_is_sent_as_nothing, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(introductions_not_asked_for_end_the_session_and_pair_nobody, net_setup,
                                        net_teardown),
        cmocka_unit_test_setup_teardown(the_client_refuses_a_server_with_another_key, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(an_unpaired_client_reads_and_writes_nothing, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(a_second_connection_resumes_and_both_sides_know_the_peer, net_setup,
                                        net_teardown),
        cmocka_unit_test_setup_teardown(a_connection_without_expected_id_neither_resumes_nor_saves, net_setup,
                                        net_teardown),
        cmocka_unit_test_setup_teardown(a_damaged_session_file_means_a_full_handshake, net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(a_session_of_another_device_is_never_accepted_as_the_expected_one,
                                        net_setup, net_teardown),
        cmocka_unit_test_setup_teardown(new_ticket_keys_on_the_server_mean_one_full_handshake, net_setup,
                                        net_teardown),
        cmocka_unit_test_setup_teardown(a_resumed_session_of_an_unpaired_device_is_refused, net_setup,
                                        net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
