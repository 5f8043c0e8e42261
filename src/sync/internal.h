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
bool sync_is_paired(cl_store *s, const cl_device_id *id);

/* Pair id inside a write transaction (peers.c): its entry is made (a pending
 * request's name and address kept) or updated (NULL keeps addr / name), and
 * its pending request goes. */
int sync_pair(cl_txn *t, const cl_device_id *id, const char *addr, const char *name);

/* Serve one accepted, handshaken connection to its end. Owns c. */
void sync_serve_conn(cl_store *s, const cl_identity *me, cl_conn *c);

/* Invitations (invite.c). Redeem inside a write transaction: checks the
 * secret, consumes it and pairs `who`. CL_EDENIED when the secret is
 * unknown, used or expired. */
int invite_redeem(cl_txn *t, const unsigned char secret[CL_INVITE_SECRET], const cl_device_id *who,
                  const char *name, const char *addr);

#endif
