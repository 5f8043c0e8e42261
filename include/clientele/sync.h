/*
 * clientele — sync layer: paired peers, pending requests from unknown devices,
 * invitations, and syncing with a peer over mutually authenticated TLS
 * (protocol: docs/protocol.md). Errors follow util.h.
 */
#ifndef CLIENTELE_SYNC_H
#define CLIENTELE_SYNC_H

#include "clientele/net.h"
#include "clientele/store.h"

#define CL_PEER_ADDR_MAX 200

/* A paired device and what we know of our syncs with it. */
typedef struct cl_peer {
    cl_device_id id;
    char name[CL_NAME_MAX + 1];   /* "" when unknown */
    char addr[CL_PEER_ADDR_MAX + 1];   /* HOST:PORT, "" when unknown */
    uint64_t added_ms;
    uint64_t last_sync_ms;             /* last success; 0 never */
    uint64_t last_attempt_ms;
    uint64_t next_attempt_ms;          /* scheduler's plan; 0 as soon as possible */
    uint64_t last_sent, last_received; /* ops in the last successful sync */
    uint32_t failures;                 /* consecutive */
    char last_error[256];              /* "" after a success */
    bool revoked;                      /* (cl_peer_list) a revocation of it is held: never synced */
    bool introducer;                   /* take the devices it is paired with (docs/introductions.md) */
    bool introduced;                   /* paired by an introducer's word, not by hand: */
    cl_device_id introduced_by;        /*   this one's, and for as long as it vouches for it */
} cl_peer;

/* An unknown device that tried to sync with us. */
typedef struct cl_pending {
    cl_device_id id;
    char name[CL_NAME_MAX + 1];   /* as it claims */
    char addr[CL_PEER_ADDR_MAX + 1];
    uint64_t first_ms, last_ms;
    uint32_t attempts;
} cl_pending;

/* The JSON of a peer / pending request, as `peer list --json` and the HTTP
 * API show them: {"id","name","addr","added","last_sync","last_attempt",
 * "next_attempt","last_sent","last_received","failures","last_error","revoked",
 * "introducer","introduced_by" (device id or null)} and
 * {"id","name","addr","first","last","attempts"}; times ISO 8601 or null.
 * The caller owns the result (cJSON_Delete); NULL when out of memory. */
struct cJSON;
struct cJSON *cl_peer_json(const cl_peer *p);
struct cJSON *cl_pending_json(const cl_pending *p);

/* Pair with a device (or update its address / name: NULL keeps them). A
 * pending request from it is removed. */
int cl_peer_add(cl_store *s, const cl_device_id *id, const char *addr, const char *name);
/* Unpair: the device's entry goes, and with it the TLS session kept for it. */
int cl_peer_remove(cl_store *s, const cl_identity *me, const cl_device_id *id); /* CL_ENOTFOUND */
/* Revoke a device for the whole mesh (docs/revocation.md): a revocation op in
 * this folder's log, which every device that receives it honours; the device
 * stops being a peer here at once. CL_EEXIST: revoked by this device already;
 * CL_EINVAL: this device. */
int cl_peer_revoke(cl_store *s, const cl_identity *me, const cl_device_id *id);
/* Take introductions from a paired device, or stop (docs/introductions.md):
 * on, its list of devices is asked for at every sync with it and the devices
 * in it are paired (never over one paired by hand); off, the devices it
 * introduced are unpaired at once. CL_ENOTFOUND: not paired; CL_EDENIED:
 * revoked. */
int cl_peer_set_introducer(cl_store *s, const cl_identity *me, const cl_device_id *id, bool on);
int cl_peer_get(cl_txn *t, const cl_device_id *id, cl_peer *out); /* CL_ENOTFOUND */
int cl_peer_put(cl_txn *t, const cl_peer *p);
/* All paired peers, in id order. *out is malloc'd (free()). */
int cl_peer_list(cl_store *s, cl_peer **out, size_t *n);
int cl_pending_list(cl_store *s, cl_pending **out, size_t *n);
int cl_pending_remove(cl_store *s, const cl_device_id *id);       /* refuse a request */
/* Refuse every pending request at once; *count (may be NULL) gets how many. */
int cl_pending_dismiss_all(cl_store *s, size_t *count);

/* The caps of the pending list, so that a flood of fresh identities cannot
 * grow the folder or the page's status without bound: at most
 * CL_PENDING_MAX requests, CL_PENDING_PER_ADDR from one IP address (the most
 * recent are kept), CL_PENDING_RATE new ones listed per minute. */
#define CL_PENDING_MAX 50
#define CL_PENDING_PER_ADDR 5
#define CL_PENDING_RATE 20
/* Note, inside a write transaction, that the unknown device id (claiming
 * name) asked from addr: a new request, or one more attempt of a listed one.
 * Within the caps (the oldest requests over them make room); a request
 * beyond the rate, or from a device noted seconds ago, is not written
 * (CL_OK all the same). */
int cl_pending_note(cl_txn *t, const cl_device_id *id, const char *name, const char *addr);

typedef struct cl_sync_result {
    cl_device_id peer;
    char peer_name[CL_NAME_MAX + 1];
    uint64_t sent, received;   /* ops */
    uint64_t bytes_sent, bytes_received;
    uint64_t ms;               /* the whole sync */
    uint64_t handshake_ms;     /* of which: TCP connect and TLS handshake */
    bool resumed;              /* the TLS session was resumed (no key exchange) */
    uint64_t forks;            /* writers whose two histories met in this sync (docs/merge.md) */
    char notice[300];          /* one line for the user about them, "" when none */
} cl_sync_result;

/* Sync once with the peer at addr ("HOST:PORT"; NULL: the peer's stored
 * address). expect (may be NULL when addr is given) is the device id the
 * other side must have; it must be paired. */
int cl_sync_once(cl_store *s, const cl_identity *me, const char *addr,
                 const cl_device_id *expect, cl_sync_result *res);

/* ----- one-step pairing ----- */

#define CL_INVITE_TTL_S 600
#define CL_INVITE_TEXT 512

/* Create a single-use invitation valid for ttl_s seconds, naming this device
 * and addrs ("HOST:PORT,HOST:PORT"). *text: one line to paste or read out:
 *   clientele://DEVICEID/SECRET@HOST:PORT,HOST:PORT                       */
int cl_invite_create(cl_store *s, const cl_device_id *self, const char *addrs, unsigned ttl_s,
                     char text[CL_INVITE_TEXT]);
/* The addresses peers reach this device at, for an invitation: "HOST:PORT",
 * or for a wildcard host ("0.0.0.0", "" or NULL) every local IPv4 address
 * with the port, comma-separated. */
void cl_invite_addresses(const char *host, unsigned port, char *out, size_t cap);
/* Read an invitation without redeeming it: whom it pairs with and where
 * (what the page shows before the user confirms). CL_EINVAL with the reason. */
int cl_invite_read(const char *text, cl_device_id *inviter, char *addrs, size_t cap);
/* Redeem an invitation: connect to its addresses in turn, prove the secret
 * inside TLS pinned to the inviter's id, pair both ways. *peer gets the
 * inviter's id. CL_EDENIED when the secret is refused. */
int cl_invite_join(cl_store *s, const cl_identity *me, const char *text, cl_device_id *peer,
                   char *peer_name, size_t name_cap);

/* ----- the listener of `serve` ----- */

typedef struct cl_sync_server cl_sync_server;

#define CL_SYNC_MAX_CONNS 8   /* concurrent incoming syncs of paired devices; more are closed at once */

/* Listen on addr ("0.0.0.0:7701") and serve peers in threads until stopped.
 * Records the bound port in the store (hello tells peers where we listen). */
int cl_sync_server_start(cl_store *s, const cl_identity *me, const char *addr, cl_sync_server **out);
uint16_t cl_sync_server_port(const cl_sync_server *srv);
/* Stop accepting, cut the connections in progress (a batch being applied
 * commits or rolls back whole) and wait for their threads. NULL is fine. */
void cl_sync_server_stop(cl_sync_server *srv);

/* ----- the scheduler of `serve`: sync on its own ----- */

typedef struct cl_scheduler cl_scheduler;

#define CL_SYNC_DEBOUNCE_MS 1500   /* after the last local change, before syncing it */
#define CL_BACKOFF_MAX_S 300       /* longest wait after failures (or the interval if longer) */

/* Sync with every paired peer that has an address: at start, every
 * interval_s seconds, and CL_SYNC_DEBOUNCE_MS after the op count of the folder
 * changed (whichever process made the change); a peer that fails is retried
 * after 2, 4, 8 … seconds with ±50% jitter. One thread: at most one sync per
 * peer at a time. */
int cl_scheduler_start(cl_store *s, const cl_identity *me, unsigned interval_s, cl_scheduler **out);
/* Sync with every peer now, backoff or not (POST /api/sync). */
void cl_scheduler_sync_now(void *sched);
/* A peer may be at addr (LAN discovery): off the scheduler's thread, a
 * connect and pinned handshake within 2 s check it (at most once per 10 s per
 * device, 12 times a minute in all); only then does the scheduler sync
 * through it, and it becomes the peer's address only if that sync succeeds.
 * Returns at once. */
void cl_scheduler_candidate(cl_scheduler *sc, const cl_device_id *id, const char *addr);
void cl_scheduler_stop(cl_scheduler *sc); /* NULL is fine */

#endif
