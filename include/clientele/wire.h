/*
 * clientele — codec layer, wire part: the payloads of the sync protocol's
 * frames (docs/protocol.md). Decoders read untrusted bytes: they check every
 * length against what is left and return CL_EPROTO with a message on
 * anything malformed, never reading past the payload.
 */
#ifndef CLIENTELE_WIRE_H
#define CLIENTELE_WIRE_H

#include "clientele/store.h"

#define CL_PROTOCOL_VERSION 5   /* 3: fields of several items (lists in phone, email, address);
                                   4: revocations (ops of the store's type 15, docs/revocation.md);
                                   5: introductions (hello flags, INTRODUCE); the version
                                      vector in its own frame, as a difference (VV) */
#define CL_PROTOCOL_RELEASE "0.5.0" /* the first clientele that speaks it */
/* Writers in one hello: at most 62 bytes each on the wire, so a hello of
 * 16,384 stays within one frame (CL_FRAME_MAX); docs/scaling.md. */
#define CL_WIRE_MAX_VV 16384

enum cl_msg {
    CL_MSG_HELLO = 1,
    CL_MSG_OPS = 2,
    CL_MSG_DONE = 3,
    CL_MSG_ERROR = 4,
    CL_MSG_INVITE = 5,
    CL_MSG_WELCOME = 6,
    CL_MSG_INTRODUCE = 7,
    CL_MSG_VV = 8,
};

/* One writer's last checkpoint: how far the sender holds its log, and the
 * chain value there, so that two copies of it that differ show. */
typedef struct cl_vv_entry {
    cl_device_id origin;
    uint64_t seq;
    unsigned char chain[CL_CHAIN_LEN];
} cl_vv_entry;

/* hello flags; a receiver ignores the bits it does not know */
#define CL_HELLO_INTRODUCE 1u   /* "send me the devices you are paired with" (docs/introductions.md) */

/* What one side says first. The version vector is not in the HELLO frame:
 * it follows in a VV frame, whole or as the difference from the one the
 * other side said it holds (held). */
typedef struct cl_hello {
    uint64_t version;
    uint16_t listen_port;       /* where the sender accepts peers; 0 none */
    char name[CL_NAME_MAX + 1];
    uint64_t flags;             /* CL_HELLO_* */
    unsigned char held[CL_SHA256_LEN]; /* hash of the receiver's vector as the sender holds it; zero: none */
    cl_vv_entry *vv;            /* the sender's vector, sorted by writer (sent in VV); owned: free() */
    size_t nvv;
    size_t capvv;               /* entries allocated by cl_hello_vv_add */
} cl_hello;

/* Append a writer's tip to the version vector of the cl_hello at hello; the
 * shape of a cl_txn_tips callback, to fill a hello from the store.
 * CL_EFULL past CL_WIRE_MAX_VV origins. */
int cl_hello_vv_add(void *hello, const cl_device_id *origin, uint64_t seq, const unsigned char chain[CL_CHAIN_LEN]);
int cl_wire_hello_encode(cl_buf *b, const cl_hello *h);
/* Only the version is read when it is not ours, so a newer peer can be told
 * clearly what went wrong. The vector is left empty (it comes in VV). */
int cl_wire_hello_decode(const unsigned char *p, size_t n, cl_hello *h);

/* A VV payload: the sender's version vector, whole (base zero: set is every
 * writer) or as what changed since the vector whose hash is base (set: the
 * writers new or changed, gone: the writers no longer in it); hash is the
 * whole vector's after it, cl_vv_hash. At most CL_WIRE_MAX_VV of each. */
typedef struct cl_vv_msg {
    unsigned char base[CL_SHA256_LEN];
    unsigned char hash[CL_SHA256_LEN];
    cl_vv_entry *set;           /* decode: malloc'd (free()) */
    size_t nset;
    cl_device_id *gone;         /* decode: malloc'd (free()) */
    size_t ngone;
} cl_vv_msg;
int cl_wire_vv_encode(cl_buf *b, const cl_vv_msg *m);
int cl_wire_vv_decode(const unsigned char *p, size_t n, cl_vv_msg *m);
/* The hash of a vector sorted by writer: SHA-256 of "clientele vv 5" and
 * each entry as writer · seq (u64 BE) · chain. */
int cl_vv_hash(const cl_vv_entry *v, size_t n, unsigned char out[CL_SHA256_LEN]); /* CL_ENOMEM */

/* An OPS payload: one segment (store.h), a run of one writer's ops that
 * ends at its checkpoint. Start with cl_wire_ops_begin, add the ops in seq
 * order, then cl_wire_ops_end patches the count and appends the checkpoint. */
int cl_wire_ops_begin(cl_buf *b, const cl_writer *w);
int cl_wire_ops_add(cl_buf *b, const cl_op *op);
int cl_wire_ops_end(cl_buf *b, uint32_t count, const cl_checkpoint *cp);
/* Decode into *seg; seg->ops is a malloc'd array (free((void *)seg->ops))
 * whose values are borrowed from p. */
int cl_wire_ops_decode(const unsigned char *p, size_t n, cl_segment *seg);

/* Small messages: DONE (a count), ERROR (a text), INVITE, WELCOME. */
int cl_wire_done_encode(cl_buf *b, uint64_t count);
int cl_wire_done_decode(const unsigned char *p, size_t n, uint64_t *count);
/* Text payloads are not NUL-terminated on the wire: decode copies into out. */
void cl_wire_text_decode(const unsigned char *p, size_t n, char *out, size_t cap);

/* INTRODUCE: the devices the sender is paired with (docs/introductions.md),
 * sent only to a peer whose hello asked for them. */
#define CL_INTRODUCE_MAX 1000   /* devices in one INTRODUCE: well within a frame */
#define CL_INTRODUCE_ADDR_MAX 200
typedef struct cl_introduction {
    cl_device_id id;
    char name[CL_NAME_MAX + 1];             /* "" when the sender does not know it */
    char addr[CL_INTRODUCE_ADDR_MAX + 1];   /* HOST:PORT where the sender reached it, or "" */
} cl_introduction;
/* Encode n ≤ CL_INTRODUCE_MAX introductions (CL_EINVAL beyond). */
int cl_wire_introduce_encode(cl_buf *b, const cl_introduction *v, size_t n);
/* *out: a malloc'd array of *n (free()), NULL when none. Names are
 * cl_name_valid; addresses printable ASCII without spaces. */
int cl_wire_introduce_decode(const unsigned char *p, size_t n, cl_introduction **out, size_t *count);

#define CL_INVITE_SECRET 10     /* bytes: 80 bits, 16 base32 symbols */
typedef struct cl_invite_msg {
    unsigned char secret[CL_INVITE_SECRET];
    uint16_t listen_port;
    char name[CL_NAME_MAX + 1];
} cl_invite_msg;
int cl_wire_invite_encode(cl_buf *b, const cl_invite_msg *m);
int cl_wire_invite_decode(const unsigned char *p, size_t n, cl_invite_msg *m);

#endif
