/*
 * clientele — store layer: the LMDB environment, the op log, the version
 * vector, the materialized per-field state (the CRDT), and the indexes kept in
 * step with it. Layout of every database: docs/storage.md. Semantics: docs/merge.md.
 *
 * Errors follow util.h. Transactions:
 *   - read:  cl_store_read() → use → cl_txn_end(). Values handed out by getters
 *            and iterators are borrowed from LMDB and valid until cl_txn_end().
 *   - write: cl_store_update(store, fn, arg) runs fn inside one write transaction
 *            and commits it. fn may be run more than once (the map grows on
 *            demand: on "map full" the transaction is aborted, the map enlarged
 *            and fn run again), so fn must only act through the transaction.
 * A store handle is safe to share between threads; each thread opens its own
 * transactions. Several processes may open the same folder at once.
 */
#ifndef CLIENTELE_STORE_H
#define CLIENTELE_STORE_H

#include "clientele/util.h"

#define CL_SCHEMA_VERSION 5   /* 2: index of records with open conflicts; 3: numbered origins;
                                 4: signed, hash-chained logs per writer; 5: indexes the model
                                 describes (search, references, ordered keys) */

/* Record types and field numbers are the model's (model.h): the store keeps
 * a record's type and an op's field as numbers and gives meaning to only one,
 * the hidden field that marks a record deleted. What it indexes it is told
 * when the folder is opened (cl_index_spec below). */
enum {
    CL_F_DELETED = 0,   /* hidden: "1" deleted, "" or "0" present */
    CL_F_LIMIT = 63,    /* field numbers a store accepts: newer versions' fields are kept */
};

/* The one record type the store keeps for itself: revocations of devices,
 * which sync as ops in their author's log (docs/revocation.md). The model
 * never shows, lists or exports them; the digest counts them. */
enum {
    CL_T_SYSTEM = 15,
    CL_F_REVOKE = 1,    /* of a CL_T_SYSTEM record: the revocation */
};

#define CL_MAX_SEEN 16          /* heads an op can supersede at once */
#define CL_MAX_VALUE 65536      /* bytes in one field value */

typedef struct cl_op_id {
    cl_device_id origin;
    uint64_t seq;
} cl_op_id;

/* One change of one field of one record. */
typedef struct cl_op {
    cl_device_id origin;
    uint64_t seq;               /* 1, 2, 3 … per origin, no gaps */
    uint64_t hlc;
    cl_record_id record;
    uint8_t type;               /* enum cl_type: every op carries it */
    uint8_t field;              /* enum cl_field */
    uint8_t nseen;
    cl_op_id seen[CL_MAX_SEEN]; /* the field's heads the author had seen */
    const char *value;          /* borrowed; not NUL-terminated */
    uint32_t value_len;
} cl_op;

/* The materialized winner of one field. */
typedef struct cl_field_state {
    uint8_t field;
    uint64_t hlc;
    cl_op_id by;                /* the winning op */
    bool conflicted;            /* other heads exist: see cl_txn_conflicts */
    const char *value;          /* borrowed */
    uint32_t value_len;
} cl_field_state;

typedef struct cl_record_meta {
    uint8_t type;
    bool deleted;
    uint64_t created;           /* smallest hlc of its ops */
    uint64_t updated;           /* greatest hlc of its ops */
    uint32_t nconflicts;        /* fields with more than one head */
} cl_record_meta;

typedef struct cl_store cl_store;
typedef struct cl_txn cl_txn;

/* ----- what the store indexes, as the layer that knows the fields says -----
 * The store gives no meaning to types and fields; the model describes its
 * indexes in a cl_index_spec, and the store keeps them in step with every op
 * in the op's own transaction. A folder last indexed under another spec
 * (another version of the model) is re-indexed when it is opened. */

#define CL_INDEX_TYPES 16       /* record types a spec can describe: 1 … 15 */
#define CL_ORDER_MAX 12         /* ordered indexes in one spec */
#define CL_ORDER_KEY_MAX 16     /* bytes of one ordered key */
#define CL_ORDER_UNLESS_MAX 3   /* values that leave a record out of an order */

/* Records of one type, not deleted, in the order of a key made from one of
 * their fields (the due date of a task, the date of an interaction, the
 * month and day of a birthday). */
typedef struct cl_order_spec {
    uint8_t type;
    uint8_t field;
    uint8_t unless_field;       /* 0: none; else a record whose unless_field … */
    const char *unless_values[CL_ORDER_UNLESS_MAX]; /* … holds exactly one of these
                                 * values is left out (a done task, a won or lost
                                 * deal); unused places NULL */
    uint8_t key_len;            /* bytes of every key: 1 … CL_ORDER_KEY_MAX */
    /* The key of a value: 1, or 0 to leave the record out, or an error
     * (CL_ENOMEM, set with cl_seterr) that fails the write. NULL: the value's
     * first key_len bytes (a shorter value is left out). Must be pure: the
     * same value always gives the same key. */
    int (*key)(const char *value, size_t len, unsigned char *out);
} cl_order_spec;

typedef struct cl_index_spec {
    const char *name;           /* changes when a key function changes meaning */
    uint8_t max_type;           /* record types are 1 … max_type (< CL_INDEX_TYPES) */
    uint64_t search[CL_INDEX_TYPES]; /* per type, a bit per field folded into the search text */
    uint64_t refs[CL_INDEX_TYPES];   /* per type, a bit per field holding a record id: "who refers to X" */
    cl_order_spec orders[CL_ORDER_MAX];
    size_t norders;
} cl_index_spec;

/* Open (creating when absent) the LMDB environment in dir, a folder that must
 * exist, kept indexed as spec says (copied: spec may die after the call).
 * self is this device's id: recorded on first open; a folder recorded
 * for another device is refused (CL_EINVAL). A folder written by a newer
 * schema is refused (CL_EVERSION). *out is owned by the caller. The model's
 * cl_book_open() passes the model's spec. */
int cl_store_open(const char *dir, const cl_device_id *self, const cl_index_spec *spec, cl_store **out);
/* Whether opening this folder started a fresh writer (it had been copied or
 * restored): the caller tells the user cl_store_open_notice(). */
const char *cl_store_open_notice(const cl_store *s); /* NULL: nothing to say */
void cl_store_close(cl_store *s);
const cl_device_id *cl_store_self(const cl_store *s);
const char *cl_store_dir(const cl_store *s);

/* *out is NULL when it fails, so cl_txn_end(*out) is always safe. */
int cl_store_read(cl_store *s, cl_txn **out);
void cl_txn_end(cl_txn *t);  /* aborts a read txn; NULL is fine */
cl_store *cl_txn_store(const cl_txn *t);
int cl_store_update(cl_store *s, int (*fn)(cl_txn *t, void *arg), void *arg);

/* ----- local writes (inside cl_store_update) ----- */

/* Append a local op (under this folder's current writer, see "writers"
 * below) that sets record.field to value, stamped by the clock,
 * superseding the field's current heads, and update state and indexes.
 * type must match the record's type when it exists. */
int cl_txn_write(cl_txn *t, const cl_record_id *record, uint8_t type,
                 uint8_t field, const char *value, size_t len);

/* ----- ops trusted without a signature ----- */

/* Apply ops whose author the caller vouches for (a backup file of this
 * book, tests) in one transaction, advancing the version vector. Peers' ops
 * never come this way: they arrive as signed segments (cl_txn_apply_segment).
 * Ops already known are skipped; an op whose seq leaves a gap after what is
 * known of its origin is refused (CL_EPROTO), as is an op that contradicts a
 * record's type or is stamped past CL_HLC_MAX_MS. *applied (may be NULL)
 * counts new ops. */
int cl_store_apply(cl_store *s, const cl_op *ops, size_t n, size_t *applied);
/* The same inside a caller's transaction. */
int cl_txn_apply(cl_txn *t, const cl_op *op, bool *applied);

/* ----- writers and their signed logs (docs/merge.md "Authors and forks") -----
 *
 * An op's origin is a *writer*: a device's own id for its first writer, and
 * SHA-256("clientele writer 2" | device id | nonce)[0..20) for each fresh one
 * it starts when its folder turns out to be a copy (restored from a backup,
 * cloned to a new laptop): a copy never reuses the numbers of the original.
 * Every writer's ops form a hash chain; its device signs *checkpoints*
 * (writer, seq, chain value) with its key, so any device, the author or not,
 * can check a run of ops it is given without trusting who relays it. */

#define CL_NONCE_LEN 16
#define CL_CHAIN_LEN CL_HASH_LEN
#define CL_SEGMENT_OPS 16384          /* a checkpoint at least every so many ops */
#define CL_SEGMENT_BYTES (768u << 10) /* … and every so many bytes of ops */

typedef struct cl_writer {
    cl_device_id id;                  /* the origin its ops carry */
    cl_device_id device;              /* whose key signs them */
    bool has_nonce;                   /* false: the device's first writer (id == device) */
    unsigned char nonce[CL_NONCE_LEN];
    unsigned char pubkey[CL_PUBKEY_MAX]; /* DER; pubkey_len 0: not known yet */
    size_t pubkey_len;
} cl_writer;

typedef struct cl_checkpoint {
    uint64_t seq;
    unsigned char chain[CL_CHAIN_LEN];
    unsigned char sig[CL_SIG_MAX];    /* sig_len 0: a legacy checkpoint (ops from before schema 4) */
    size_t sig_len;
} cl_checkpoint;

/* A run of one writer's ops, in seq order, that ends at a checkpoint. ops
 * and their values are borrowed from the caller. */
typedef struct cl_segment {
    cl_writer writer;
    const cl_op *ops;
    size_t n;
    cl_checkpoint cp;
} cl_segment;

/* Sign every op this device wrote that no checkpoint covers yet (one write
 * transaction; nothing is written when all are signed). Run before ops leave
 * the device. sg->pubkey must be this device's key. */
int cl_store_seal(cl_store *s, const cl_signer *sg);

/* Check a segment received from a peer and apply what is new of it:
 * the writer belongs to the key that signed it, the ops continue the chain
 * this folder holds of that writer with no gap, the checkpoint's signature
 * is good, and every op passes cl_txn_apply's checks. Ops this folder holds
 * already are skipped when they are the same ops; different ones are a fork
 * (CL_EFORK). Never ops under this folder's current writer. Any failure
 * refuses the whole segment (the caller aborts the transaction). */
int cl_txn_apply_segment(cl_txn *t, const cl_segment *seg, size_t *applied);

/* Take out every op of writer w after seq point that this folder holds, as
 * if they had never arrived (a revoked device's later ops: docs/revocation.md).
 * The log is cut back to w's last checkpoint at or below point, since a log is
 * handed on in segments that end at checkpoints (the ops in between come again
 * from peers), and each record the ops touched is merged again from the ops
 * that remain. *cut (may be NULL): the ops taken out. */
int cl_txn_cut_writer(cl_txn *t, const cl_device_id *w, uint64_t point, uint64_t *cut);

/* Revoke a device (docs/revocation.md): one op under this folder's writer
 * naming it and, for each of its writers, the seq this folder holds. Its
 * later ops are then refused by every folder that holds the revocation.
 * CL_EINVAL: this device itself; CL_EEXIST: revoked by this folder already. */
int cl_txn_revoke(cl_txn *t, const cl_device_id *device);
/* Whether a device is revoked (CL_ENOTFOUND: not), and by which writer. */
int cl_txn_revoked(cl_txn *t, const cl_device_id *device, cl_device_id *by);

/* The writer this folder writes under now. */
int cl_txn_current_writer(cl_txn *t, cl_device_id *out);
/* What the folder knows of a writer (CL_ENOTFOUND). */
int cl_txn_writer(cl_txn *t, const cl_device_id *id, cl_writer *out);
/* The device a writer belongs to: itself when unknown. */
void cl_txn_writer_device(cl_txn *t, const cl_device_id *writer, cl_device_id *device);
/* Each writer's last checkpoint (seq 0 and the empty chain when it has
 * none), in writer order: what a hello advertises. */
int cl_txn_tips(cl_txn *t, int (*fn)(void *ctx, const cl_device_id *writer, uint64_t seq,
                                     const unsigned char chain[CL_CHAIN_LEN]), void *ctx);
/* The chain value of writer after its first seq ops (CL_ENOTFOUND when
 * the folder holds fewer). */
int cl_txn_chain_at(cl_txn *t, const cl_device_id *writer, uint64_t seq, unsigned char out[CL_CHAIN_LEN]);
/* The first checkpoint of writer after seq `after` (CL_ENOTFOUND: none). */
int cl_txn_checkpoint_after(cl_txn *t, const cl_device_id *writer, uint64_t after, cl_checkpoint *out);
/* Start a fresh writer for this folder's later edits (why: one line for the
 * user, kept as the folder's notice). Idempotent for the same reason within
 * one transaction. */
int cl_txn_new_writer(cl_txn *t, const char *why);
/* The folder's last notice to its user ("" when none), and when (ms). */
int cl_txn_notice(cl_txn *t, char *out, size_t cap, uint64_t *when_ms);
int cl_txn_set_notice(cl_txn *t, const char *text);

/* ----- reads (any transaction) ----- */

int cl_txn_record(cl_txn *t, const cl_record_id *id, cl_record_meta *meta); /* CL_ENOTFOUND */
int cl_txn_field(cl_txn *t, const cl_record_id *id, uint8_t field, cl_field_state *st);
/* Every field of a record in field order; fn returns non-zero to stop (that
 * value is returned). */
int cl_txn_fields(cl_txn *t, const cl_record_id *id,
                  int (*fn)(void *ctx, const cl_field_state *st), void *ctx);
/* The heads of a conflicted field other than the winner, as ops. */
int cl_txn_conflicts(cl_txn *t, const cl_record_id *id, uint8_t field,
                     int (*fn)(void *ctx, const cl_op *op), void *ctx);
/* Records of a type in id order, deleted ones included, starting after
 * `after` (NULL: from the start). */
int cl_txn_records(cl_txn *t, uint8_t type, const cl_record_id *after,
                   int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Records with open conflicts (deleted ones included), in id order. */
int cl_txn_conflicted(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* The folded search text of a record (cl_fold of its searchable fields). */
int cl_txn_search_text(cl_txn *t, const cl_record_id *id, const char **text, size_t *len);
/* The records of ordered index `order` (a position in the spec's orders)
 * whose key lies within [from, to] (each key_len bytes; NULL: no bound),
 * ascending, or descending when reverse. fn returns non-zero to stop. */
int cl_txn_ordered(cl_txn *t, size_t order, const unsigned char *from, const unsigned char *to, bool reverse,
                   int (*fn)(void *ctx, const cl_record_id *id, const unsigned char *key), void *ctx);
/* Every (record, field) whose winning value is target's id, deleted records
 * included, in record order: costs what refers to target, not the book. */
int cl_txn_referrers(cl_txn *t, const cl_record_id *target,
                     int (*fn)(void *ctx, const cl_record_id *id, uint8_t field), void *ctx);
/* Every (record, field) where an op wrote target's id and whose winning
 * value is another now (deleted records included), in record order. */
int cl_txn_former_referrers(cl_txn *t, const cl_record_id *target,
                            int (*fn)(void *ctx, const cl_record_id *id, uint8_t field), void *ctx);
/* Every op of a record, ordered by (hlc, origin). */
int cl_txn_history(cl_txn *t, const cl_record_id *id,
                   int (*fn)(void *ctx, const cl_op *op), void *ctx);
int cl_txn_op(cl_txn *t, const cl_op_id *id, cl_op *op); /* CL_ENOTFOUND */

/* ----- version vector and op log ----- */

/* *seq = the highest seq known of origin (0 when none). */
int cl_txn_vv(cl_txn *t, const cl_device_id *origin, uint64_t *seq);
/* Every (origin, seq) of the version vector, in origin order. */
int cl_txn_vv_each(cl_txn *t, int (*fn)(void *ctx, const cl_device_id *o, uint64_t seq), void *ctx);
/* Ops of one origin with seq > after, in seq order, at most limit of them. */
int cl_txn_ops_after(cl_txn *t, const cl_device_id *origin, uint64_t after, size_t limit,
                     int (*fn)(void *ctx, const cl_op *op), void *ctx);
/* *n = the number of ops in the log: it moves exactly when records changed. */
int cl_txn_op_count(cl_txn *t, uint64_t *n);

/* ----- digest ----- */

/* SHA-256 over the materialized state, in key order: every record's id and
 * type, every field's winning value, and the ids of the ops of open
 * conflicts. Equal on two stores exactly when they show the same data: a
 * deleted record and a cleared field count as absent (so that undoing an
 * import gives back the digest from before it). everything: deleted records
 * and cleared fields too, as `digest` of version 0.3.0 counted them: equal
 * when the stores hold the same tombstones as well. */
int cl_txn_digest(cl_txn *t, bool everything, unsigned char out[CL_SHA256_LEN]);

/* ----- local settings ----- */

/* This device's settings, kept in the meta table; settings.c owns their keys
 * (docs/storage.md), so no caller spells one. */
enum cl_setting {
    CL_SETTING_NAME,         /* text: the device name (cl_name_valid, not empty) */
    CL_SETTING_LISTEN_PORT,  /* port: where the sync listener last listened */
    CL_SETTING_UI_ADDR,      /* text: host:port of the web page (clientele open) */
    CL_SETTING_CSRF_TOKEN,   /* text: the web page's token */
};
/* A text setting copied into out (cap bytes with the NUL). CL_ENOTFOUND when
 * unset, CL_ECORRUPT when the stored value does not fit in out, CL_EINVAL when
 * key is not a text setting. */
int cl_txn_setting_text(cl_txn *t, enum cl_setting key, char *out, size_t cap);
/* CL_EINVAL for a name that fails cl_name_valid or is empty. */
int cl_txn_setting_put_text(cl_txn *t, enum cl_setting key, const char *s);
int cl_txn_setting_port(cl_txn *t, uint16_t *port); /* CL_ENOTFOUND, CL_ECORRUPT */
int cl_txn_setting_put_port(cl_txn *t, uint16_t port);

/* ----- small key/value tables: meta (settings above, invitations, logins), peers, pending,
 * and dav: what DAV clients named and gave that the book does not model (http/dav.c, dav_sync.c) ----- */

enum cl_table { CL_TAB_META, CL_TAB_PEERS, CL_TAB_PENDING, CL_TAB_DAV };
int cl_txn_kv_get(cl_txn *t, enum cl_table tab, const void *key, size_t klen,
                  const void **val, size_t *vlen); /* CL_ENOTFOUND */
int cl_txn_kv_put(cl_txn *t, enum cl_table tab, const void *key, size_t klen,
                  const void *val, size_t vlen);
int cl_txn_kv_del(cl_txn *t, enum cl_table tab, const void *key, size_t klen); /* absent is fine */
int cl_txn_kv_each(cl_txn *t, enum cl_table tab,
                   int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl),
                   void *ctx);
/* The same for the keys that start with prefix, in key order; fn must not
 * write to the table (collect, then change). */
int cl_txn_kv_prefix(cl_txn *t, enum cl_table tab, const void *prefix, size_t plen,
                     int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl), void *ctx);

/* ----- change notification across processes ----- */

/* A counter bumped by every committed write of any process on this folder
 * (it is the LMDB last transaction id): poll it to learn that data changed. */
uint64_t cl_store_generation(cl_store *s);
/* The op count in a read transaction of its own: a generation that moved
 * with it the same is bookkeeping (sync, settings), not data. */
int cl_store_op_count(cl_store *s, uint64_t *n);

#endif
