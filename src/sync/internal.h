/* Private to the sync layer. */
#ifndef CLIENTELE_SYNC_INTERNAL_H
#define CLIENTELE_SYNC_INTERNAL_H

#include "clientele/model.h"
#include "clientele/sync.h"
#include "clientele/wire.h"

#define SYNC_TIMEOUT_MS 15000        /* any single read or write */
/* The listener's door policy (server.c, docs/security.md): the TLS handshake
 * and the first frame within SYNC_HANDSHAKE_MS; connections not yet known to
 * be a paired device's: SYNC_MAX_STRANGERS at once, SYNC_MAX_PER_ADDR per IP;
 * when full, the oldest of them is cut if it is older than SYNC_EVICT_AFTER_MS
 * (a real handshake takes tens of ms). */
#define SYNC_HANDSHAKE_MS 5000
#define SYNC_MAX_STRANGERS 16
#define SYNC_MAX_PER_ADDR 4
#define SYNC_EVICT_AFTER_MS 500
#define SYNC_BATCH_OPS 4096          /* ops in one OPS frame */
#define SYNC_BATCH_BYTES (512u << 10)
#define SYNC_COMMIT_OPS 32768        /* ops received per transaction, at most */
#define SYNC_COMMIT_BYTES (4u << 20)
/* LMDB keeps a malloc'd copy of every page a write transaction dirties until
 * it commits (and keeps the buffers for reuse after): ops scattered over many
 * records dirty a few pages each, so a batch also ends after this many
 * records, which bounds a process's private memory whatever the book's size. */
#define SYNC_COMMIT_RECORDS 2048

/* Whether id is paired (peers.c): a read transaction of its own. */
bool sync_is_paired(cl_store *s, const cl_device_id *id); /* and not revoked */
bool sync_is_revoked(cl_store *s, const cl_device_id *id, cl_device_id *by); /* by may be NULL */

/* Pair id inside a write transaction (peers.c): its entry is made (a pending
 * request's name and address kept) or updated (NULL keeps addr / name), and
 * its pending request goes. */
int sync_pair(cl_txn *t, const cl_device_id *id, const char *addr, const char *name);
/* Unpair id inside a write transaction: its entry and what is kept for it
 * (its version vectors) go. */
int sync_unpair(cl_txn *t, const cl_device_id *id);

/* ----- introductions (introduce.c, docs/introductions.md) ----- */

/* A growing list of device ids (ids malloc'd: free()). */
typedef struct sync_idlist {
    cl_device_id *ids;
    size_t n, cap;
} sync_idlist;

/* Inside a write transaction: the peers introduced by `by` are unpaired
 * (unpair, their ids added to *gone when it is not NULL) or kept as if
 * paired by hand. */
int sync_introduced_drop(cl_txn *t, const cl_device_id *by, bool unpair, sync_idlist *gone);
/* Forget the TLS sessions kept for the devices of list. */
void sync_forget_sessions(const cl_identity *me, const sync_idlist *list);
/* Whether introductions are taken from this peer (its hello flag). */
bool sync_wants_introductions(cl_store *s, const cl_device_id *from);
/* What to tell `to` when it asks: the paired devices but itself, none
 * revoked, at most CL_INTRODUCE_MAX. *out malloc'd (free()). */
int sync_introductions_collect(cl_store *s, const cl_device_id *to, cl_introduction **out, size_t *n);
/* Take what `from` introduced, if introductions from it are on: pair the
 * devices new to this folder, update the ones it introduced before, unpair
 * the ones it introduced that it no longer names. */
int sync_introductions_take(cl_store *s, const cl_identity *me, const cl_device_id *from,
                            const cl_introduction *v, size_t n);

/* ----- version vectors kept per peer (vectors.c) ----- */

/* A vector as kept: sorted by writer. */
typedef struct sync_vv {
    cl_vv_entry *v;     /* malloc'd (sync_vv_free) */
    size_t n;
    unsigned char hash[CL_SHA256_LEN];
    bool known;         /* false: none kept for that peer */
} sync_vv;
#define SYNC_VV_RECEIVED 'r'   /* the peer's vector, as it last sent it */
#define SYNC_VV_SENT 's'       /* ours, as we last sent it to the peer */
/* What is kept of peer (out->known false when nothing, or damaged). */
int sync_vv_load(cl_txn *t, const cl_device_id *peer, char which, sync_vv *out);
/* Keep v (sorted, with its cl_vv_hash) for a peer that is still paired. */
int sync_vv_save(cl_store *s, const cl_device_id *peer, char which, const cl_vv_entry *v, size_t n,
                 const unsigned char hash[CL_SHA256_LEN]);
/* Inside a write transaction: drop both of a peer's vectors. */
int sync_vv_forget(cl_txn *t, const cl_device_id *peer);
void sync_vv_free(sync_vv *v);
/* The VV message that turns `from` (NULL or unknown: nothing) into `to` (n
 * entries, sorted, whose hash is hash); m->set and m->gone malloc'd. */
int sync_vv_diff(const sync_vv *from, const cl_vv_entry *to, size_t n, const unsigned char hash[CL_SHA256_LEN],
                 cl_vv_msg *m);
/* The vector a received VV message stands for, from base (what this side
 * holds of the sender's): sorted, checked against the message's hash.
 * *out malloc'd. CL_EPROTO: a difference from another base, a writer
 * twice, too many, or not the hash. */
int sync_vv_patch(const sync_vv *base, const cl_vv_msg *m, cl_vv_entry **out, size_t *n);

/* Serve one accepted, handshaken connection to its end. Owns c. */
void sync_serve_conn(cl_store *s, const cl_identity *me, cl_conn *c);

/* ----- the transport of a session (session.c) -----
 * A session needs only an ordered, reliable stream of frames to one peer
 * whose device id is already established. Every real sync runs over a TLS
 * connection (sync_link_conn: cl_sync_once and the listener); the simulator
 * (tools/sim) joins two sessions of one process through memory instead, so
 * that what it measures is the product's protocol and merge code, unchanged. */
typedef struct sync_link {
    /* cl_conn_send's and cl_conn_recv's contracts: a frame's payload is at
     * most CL_FRAME_MAX; recv's payload is borrowed until the next recv; any
     * error (a closed link included) ends the session. */
    int (*send)(void *ctx, uint8_t type, const void *payload, size_t len);
    int (*recv)(void *ctx, uint8_t *type, const unsigned char **payload, size_t *len);
    void *ctx;
    cl_device_id peer;        /* the other side (the certificate's, over TLS) */
    char peer_ip[64];         /* "a.b.c.d" where it connects from; "" when none */
} sync_link;

/* *l over the handshaken connection c (borrowed: c must outlive l). */
void sync_link_conn(sync_link *l, cl_conn *c);
/* One session as the client over l, what cl_sync_once runs after the
 * handshake: the outcome is recorded in the peer's entry (addr, may be NULL,
 * kept as its address on success), and res gets peer, sent, received, forks,
 * notice and peer_name (the caller fills the transport's fields). */
int sync_client(cl_store *s, const cl_identity *me, sync_link *l, const char *addr, cl_sync_result *res);
/* One session as the server over l, what the listener runs for a connection:
 * an unpaired peer is refused and listed as pending; the outcome is recorded
 * and logged. Does not close the transport. */
int sync_serve(cl_store *s, const cl_identity *me, sync_link *l);

/* Invitations (invite.c). Redeem inside a write transaction: checks the
 * secret, consumes it and pairs `who`. CL_EDENIED when the secret is
 * unknown, used or expired. */
int invite_redeem(cl_txn *t, const unsigned char secret[CL_INVITE_SECRET], const cl_device_id *who,
                  const char *name, const char *addr);

#endif
