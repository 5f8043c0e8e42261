/* Private to the store layer: the handle, transactions and the encodings of
 * stored values (docs/storage.md is the reference for every byte). */
#ifndef CLIENTELE_STORE_INTERNAL_H
#define CLIENTELE_STORE_INTERNAL_H

#include "clientele/hlc.h"
#include "clientele/store.h"

#include <lmdb.h>
#include <pthread.h>

enum {
    DB_META, DB_OPS, DB_VV, DB_STATE, DB_HEADS, DB_SUPERSEDED, DB_RECORDS,
    DB_BYTYPE, DB_SEARCH, DB_ORDERS, DB_PEERS, DB_PENDING, DB_CONFLICTED, DB_ORIGINS, DB_CHECKPOINTS,
    DB_WRITERS, DB_REFS, DB_DAV, DB_COUNT
};
/* Databases of older schemas, opened only to upgrade them ("ops", "state", "due"). */
#define DB_RETIRED 3

#define OP_KEY_LEN (4 + 8)                         /* origin number, seq (big endian) */
#define STATE_KEY_LEN (CL_RECORD_ID_LEN + 1)       /* record, field */
#define STATE_VAL_LEN (OP_KEY_LEN + 1)             /* the winning op's key, flags */
#define OPID_LEN (CL_DEVICE_ID_LEN + 8)            /* an op id with the whole device id */
#define REFS_KEY_LEN (2 * CL_RECORD_ID_LEN + 1)     /* target, referrer, field */
#define HEADS_MAX 64

struct cl_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    cl_device_id self;
    char *dir;
    /* Held shared by every transaction of this process and exclusively while
     * the map is resized: LMDB requires that no transaction be open then. */
    pthread_rwlock_t resize;
    const char *open_notice;   /* static text: opening started a fresh writer */
    cl_index_spec spec;        /* what to index (index.c) */
    uint64_t order_deps[CL_INDEX_TYPES]; /* per type: fields whose change can move an ordered key */
};

/* The ordered keys a record is indexed under, as its record entry keeps
 * them: order numbers, ascending, each with its key. */
typedef struct order_keys {
    uint8_t n;
    uint8_t order[CL_ORDER_MAX];
    unsigned char key[CL_ORDER_MAX][CL_ORDER_KEY_MAX];
} order_keys;

/* The version vector entries a write transaction has touched, flushed at
 * commit (a batch from one origin writes its entry once, not per op). */
typedef struct vv_entry {
    cl_device_id origin;
    uint64_t seq;
    uint32_t num;              /* the origin's number in this folder; 0 until needed */
    bool dirty;
} vv_entry;

/* Derived data of the record the ops of a batch are touching; ops arrive
 * grouped by record, so indexes are rebuilt once per record, not per field. */
typedef struct record_cache {
    bool loaded, dirty, search_dirty, orders_dirty;
    bool fresh;                /* created in this transaction: fields not in `written` are empty */
    bool search_from_state;    /* the search text must be rebuilt from the state */
    uint64_t written;          /* fields written since it was loaded (bit per field) */
    cl_record_id id;
    cl_record_meta meta;
    uint32_t nconflicts_loaded;  /* as stored, to keep DB_CONFLICTED in step */
    order_keys keys;           /* as indexed */
} record_cache;

struct cl_txn {
    cl_store *s;
    MDB_txn *txn;
    bool write;
    bool map_full;             /* a put failed with MDB_MAP_FULL: grow and retry */
    vv_entry *vv;
    size_t nvv, capvv;
    cl_device_id *origins;     /* the origin dictionary: number n is origins[n - 1] */
    uint32_t *byid;            /* numbers − 1, in the order of their ids: a binary search finds one */
    uint32_t norigins;
    size_t caporigins, capbyid;
    bool origins_loaded;
    bool hlc_loaded, hlc_dirty;
    bool writer_loaded;
    cl_device_id writer;       /* the folder's current writer, once loaded */
    cl_hlc clock;
    size_t superseded_count;   /* entries in DB_SUPERSEDED: 0 skips its lookups */
    record_cache rec;
    cl_buf enc;                /* scratch for encoding ops */
    cl_buf search_text;        /* a fresh record's search text, built as its fields arrive */
    bool tail[DB_COUNT];       /* appends to this database have been landing at its end */
};

/* A field as read from the state: winner, and heads (all ops of the field no
 * other op has seen). cur.value is borrowed from LMDB. */
typedef struct field_snapshot {
    cl_field_state cur;
    bool exists;
    cl_op_id heads[HEADS_MAX];
    size_t n;
} field_snapshot;

/* store.c */
int st_err(cl_txn *t, int mdb_rc, const char *what);
int st_get(cl_txn *t, int db, const void *k, size_t kl, MDB_val *v); /* CL_ENOTFOUND */
int st_put(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl, unsigned flags);
/* A put of a key expected to sort after every key of db: tried as an append
 * while *hint holds, and as an ordinary put (clearing *hint) when it does not. */
int st_put_tail(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl, bool *hint);
int st_del(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl);
int st_flush(cl_txn *t);       /* write cached vv, clock and record data */
/* Every entry of db in key order; fn returns non-zero to stop (returned). */
int st_kv_each(cl_txn *t, int db, int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl),
               void *ctx);

/* ledger.c: how far this machine signed each writer (outside the folder) */
uint64_t st_ledger_get(const cl_device_id *w);
void st_ledger_note(const cl_device_id *w, uint64_t seq);

/* chain.c: this device's first writer, recorded once (new folders, upgrades);
 * another device's ops from before schema 4, under unsigned checkpoints. */
int st_own_writer_init(cl_txn *t);
int st_legacy_writer(cl_txn *t, const cl_device_id *id);
int st_chain_cut(cl_txn *t, const cl_device_id *w, uint64_t point, uint64_t *to);

/* origins.c: the folder's numbers for device ids. create: assign the next
 * number to an id the folder has not met (write transactions only);
 * otherwise an unknown id is CL_ENOTFOUND. */
int st_origin_num(cl_txn *t, const cl_device_id *id, bool create, uint32_t *num);
int st_origin_id(cl_txn *t, uint32_t num, cl_device_id *id);  /* CL_ECORRUPT when unknown */

/* layout.c: the byte layouts of stored keys and values */
void op_key(unsigned char k[OP_KEY_LEN], uint32_t num, uint64_t seq);
int op_id_key(cl_txn *t, const cl_op_id *id, bool create, unsigned char k[OP_KEY_LEN]);
int op_encode(cl_txn *t, cl_buf *b, const cl_op *op);  /* value of DB_OPS */
int op_decode(cl_txn *t, const unsigned char key[OP_KEY_LEN], const void *v, size_t vl, cl_op *op);
void state_key(unsigned char k[STATE_KEY_LEN], const cl_record_id *id, uint8_t field);
void state_encode(unsigned char v[STATE_VAL_LEN], const unsigned char winner[OP_KEY_LEN], bool conflicted);
/* The field's state with the winning op's stamp and value read from the op
 * log (st->value borrowed from the transaction). */
int state_decode(cl_txn *t, const void *v, size_t vl, uint8_t field, cl_field_state *st);
int heads_decode(const void *v, size_t vl, cl_op_id *heads, size_t *n);
void opid_put(unsigned char out[OPID_LEN], const cl_op_id *id);
void opid_get(const unsigned char in[OPID_LEN], cl_op_id *id);
int opid_cmp(const cl_op_id *a, const cl_op_id *b);

/* apply.c: an op applied without moving the clock, and the clock moved past
 * a stamp (cl_txn_apply does both; a segment moves the clock once) */
int st_apply_unclocked(cl_txn *t, const cl_op *op, bool *applied);
/* Fold an op the log holds into its record's state again (revoke.c). */
int st_fold(cl_txn *t, const cl_op *op);
int st_vv_set(cl_txn *t, const cl_device_id *origin, uint64_t seq);
/* revocations (revoke.c) */
int st_system_check(cl_txn *t, const cl_op *op);
int st_revocation_applied(cl_txn *t, const cl_op *op);
int st_revoked_point(cl_txn *t, const cl_device_id *device, const cl_device_id *writer, bool *revoked,
                     uint64_t *point, cl_device_id *by);
void st_revocation_id(const cl_device_id *author, const cl_device_id *device, cl_record_id *out);
int st_observe(cl_txn *t, uint64_t hlc);
int st_vv_get(cl_txn *t, const cl_device_id *origin, uint64_t *seq);
int st_heads(cl_txn *t, const cl_record_id *rec, uint8_t field, cl_field_state *cur,
             bool *exists, cl_op_id *heads, size_t *nheads);

/* upgrade.c: bring a folder of an older schema to CL_SCHEMA_VERSION */
int st_upgrade(cl_txn *t, uint64_t from);

/* index.c: the record table and the indexes the spec describes */
void idx_spec_set(cl_store *s, const cl_index_spec *spec);
int st_record_get(cl_txn *t, const cl_record_id *id, cl_record_meta *m, order_keys *keys); /* keys may be NULL */
int idx_touch(cl_txn *t, const cl_record_id *id, const cl_op *op, cl_record_meta **meta);
int idx_flush(cl_txn *t);
bool idx_searchable(const cl_txn *t, uint8_t type, uint8_t field);
bool idx_orders_depend(const cl_txn *t, uint8_t type, uint8_t field);
bool idx_is_ref(const cl_txn *t, uint8_t type, uint8_t field);
/* An op's winner of a reference field moves from one value to another. */
int idx_ref_moved(cl_txn *t, const cl_record_id *rec, uint8_t type, uint8_t field,
                  const char *from, size_t from_len, const char *to, size_t to_len);
/* An op wrote value into a reference field (winning or not): the record
 * referred to it once. */
int idx_ref_written(cl_txn *t, const cl_record_id *rec, uint8_t type, uint8_t field, const char *value,
                    size_t len);
/* Whether the folder is indexed under this store's spec; rebuild every
 * index from the state when it is not (upgrades, a changed model). */
int idx_check(cl_txn *t, bool *current);
int idx_rebuild(cl_txn *t);
int idx_forget(cl_txn *t, const cl_record_id *id, const cl_op *refs, size_t nrefs);

#endif
