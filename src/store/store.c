/* The LMDB environment, transactions and the small key/value tables. */
#include "store/internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Schema 3 renamed "ops" and "state" (whose layouts changed), schema 5
 * replaced "due" by "orders": a folder holding the old names is upgraded
 * from them (upgrade.c). */
static const char *const DB_NAMES[DB_COUNT] = {
    "meta", "log", "vv", "fields", "heads", "superseded", "records",
    "bytype", "search", "orders", "peers", "pending", "conflicted", "origins", "checkpoints", "writers",
    "refs", "dav",
};

/* The map is address space, not memory or disk: LMDB (without MDB_WRITEMAP)
 * grows the file only as pages are written. A map that is too small costs a
 * whole write transaction run again after each doubling — a 100,000-contact
 * import into a 64 MiB map ran three times (64, 128, 256 MiB) — so start with
 * room for a large book where the address space allows it. */
#define DEFAULT_MAPSIZE (SIZE_MAX > 0xffffffffu ? (1ull << 30) : (64ull << 20))

int st_err(cl_txn *t, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL) {
        if (t)
            t->map_full = true;
        return cl_seterr(CL_EFULL, "%s: database map full", what);
    }
    if (rc == MDB_NOTFOUND)
        return CL_ENOTFOUND;
    if (rc == ENOSPC)
        return cl_seterr(CL_EFULL, "%s: disk full", what);
    /* MDB_BAD_TXN: an earlier read of the transaction met a damaged page
     * (zero-filled pages read that way): the folder, not the program, is at fault */
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID || rc == MDB_BAD_TXN)
        return cl_seterr(CL_ECORRUPT, "%s: the database is damaged (%s): restore the folder from a backup",
                         what, mdb_strerror(rc));
    return cl_seterr(CL_ESTORE, "%s: %s", what, mdb_strerror(rc));
}

int st_get(cl_txn *t, int db, const void *k, size_t kl, MDB_val *v)
{
    MDB_val key = {kl, (void *)k};
    int rc = mdb_get(t->txn, t->s->dbi[db], &key, v);
    return rc ? st_err(t, rc, DB_NAMES[db]) : CL_OK;
}

int st_put(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl, unsigned flags)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    int rc = mdb_put(t->txn, t->s->dbi[db], &key, &val, flags);
    return rc ? st_err(t, rc, DB_NAMES[db]) : CL_OK;
}

int st_put_tail(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl, bool *hint)
{
    if (*hint) { /* likely past the last key: LMDB then skips the tree search */
        MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
        int rc = mdb_put(t->txn, t->s->dbi[db], &key, &val, MDB_APPEND);
        if (rc != MDB_KEYEXIST)
            return rc ? st_err(t, rc, DB_NAMES[db]) : CL_OK;
        *hint = false;
    }
    return st_put(t, db, k, kl, v, vl, 0);
}

int st_del(cl_txn *t, int db, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    int rc = mdb_del(t->txn, t->s->dbi[db], &key, v ? &val : NULL);
    if (rc == MDB_NOTFOUND)
        return CL_OK;
    return rc ? st_err(t, rc, DB_NAMES[db]) : CL_OK;
}

static size_t initial_mapsize(void)
{
    const char *v = getenv("CLIENTELE_MAPSIZE"); /* tests: start small, watch it grow */
    size_t n = v ? (size_t)strtoull(v, NULL, 10) : 0;
    return n >= (1u << 16) ? n : DEFAULT_MAPSIZE;
}

static int txn_begin(cl_store *s, bool write, cl_txn **out);

/* The schema version and owner device recorded in meta (0 / false when
 * absent); refuses a newer schema and another device's folder. */
static int read_meta(cl_txn *t, uint64_t *schema, bool *has_device)
{
    MDB_val v;
    int rc = st_get(t, DB_META, "schema", 6, &v);
    *schema = 0;
    *has_device = false;
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    if (!rc && v.mv_size != 8)
        return cl_seterr(CL_ECORRUPT, "the data folder's schema version is unreadable");
    if (!rc)
        *schema = cl_be64_get(v.mv_data);
    if (*schema > CL_SCHEMA_VERSION)
        return cl_seterr(CL_EVERSION,
                         "this data folder was written by a newer clientele (schema %llu); "
                         "this one understands schema %d: upgrade clientele",
                         (unsigned long long)*schema, CL_SCHEMA_VERSION);
    rc = st_get(t, DB_META, "device", 6, &v);
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (rc)
        return rc;
    if (v.mv_size != CL_DEVICE_ID_LEN || memcmp(v.mv_data, t->s->self.b, CL_DEVICE_ID_LEN))
        return cl_seterr(CL_EINVAL, "the database in %s belongs to another device key: "
                                    "was the key file replaced?", t->s->dir);
    *has_device = true;
    return CL_OK;
}

/* Where data.mdb lives on disk (device and inode numbers): a folder that
 * was copied, or restored from a backup, has a new one. */
static void folder_place(cl_store *s, unsigned char out[16])
{
    mdb_filehandle_t fd;
    struct stat fs;
    memset(out, 0, 16);
    if (!mdb_env_get_fd(s->env, &fd) && !fstat(fd, &fs)) {
        cl_be64_put(out, (uint64_t)fs.st_dev);
        cl_be64_put(out + 8, (uint64_t)fs.st_ino);
    }
}

/* Whether the folder is a copy: it sits somewhere else on disk than it was
 * last recorded (copied, or restored as new files), or it holds fewer ops of
 * its writer than this machine has signed (restored in place). *recorded:
 * its place is known at all. */
static int folder_moved(cl_txn *t, bool *moved, bool *recorded)
{
    unsigned char here[16];
    MDB_val v;
    cl_device_id w;
    uint64_t held;
    folder_place(t->s, here);
    int rc = st_get(t, DB_META, "folder", 6, &v);
    *recorded = !rc;
    *moved = !rc && (v.mv_size != 16 || memcmp(v.mv_data, here, 16));
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    if ((rc = cl_txn_current_writer(t, &w)) || (rc = st_vv_get(t, &w, &held)))
        return rc;
    *moved |= st_ledger_get(&w) > held;
    return CL_OK;
}

#define COPY_NOTICE "this folder is a copy (restored from a backup, or copied from another computer): " \
                    "its edits from now on are signed as a new writer of this device, so that none of them " \
                    "is mistaken for one the original made; nothing is lost"

/* A copy of a folder must not number new ops as the original goes on
 * numbering its own (even a copy of a folder that has written nothing yet:
 * both would start at 1), nor a folder restored to an older state number them
 * as it once did: start a fresh writer. */
static int note_place(cl_txn *t)
{
    bool moved, recorded;
    unsigned char here[16];
    int rc = folder_moved(t, &moved, &recorded);
    if (rc || (recorded && !moved))
        return rc;
    cl_device_id w;
    uint64_t written = 0;
    if (!(rc = cl_txn_current_writer(t, &w)))
        rc = st_vv_get(t, &w, &written);
    if (!rc && (moved || st_ledger_get(&w) > written)) {
        rc = cl_txn_new_writer(t, COPY_NOTICE);
        t->s->open_notice = COPY_NOTICE;
    }
    folder_place(t->s, here);
    return rc ? rc : st_put(t, DB_META, "folder", 6, here, 16, 0);
}

/* First use: record the schema and the owner; an older schema: upgrade it;
 * indexes of another spec: rebuild them. */
static int init_meta(cl_txn *t, void *arg)
{
    (void)arg;
    uint64_t schema;
    bool has_device, indexed;
    unsigned char ver[8];
    int rc = read_meta(t, &schema, &has_device); /* again: another process may have done it */
    if (!rc && schema && schema < CL_SCHEMA_VERSION)
        rc = st_upgrade(t, schema);
    if (!rc && !(rc = idx_check(t, &indexed)) && !indexed)
        rc = idx_rebuild(t);
    if (!rc && !schema)
        rc = st_own_writer_init(t);
    if (!rc && schema < CL_SCHEMA_VERSION) {
        cl_be64_put(ver, CL_SCHEMA_VERSION);
        rc = st_put(t, DB_META, "schema", 6, ver, 8, 0);
    }
    if (!rc && !has_device)
        rc = st_put(t, DB_META, "device", 6, t->s->self.b, CL_DEVICE_ID_LEN, 0);
    return rc ? rc : note_place(t);
}

/* Checked in a read transaction: opening a folder writes nothing unless it
 * is new, older than this binary, or somewhere new on disk. */
static int check_meta(cl_store *s)
{
    cl_txn *t;
    uint64_t schema = 0;
    bool has_device = false, moved = false, recorded = false, indexed = false;
    int rc = cl_store_read(s, &t);
    if (!rc)
        rc = read_meta(t, &schema, &has_device);
    if (!rc)
        rc = folder_moved(t, &moved, &recorded);
    if (!rc && schema == CL_SCHEMA_VERSION)
        rc = idx_check(t, &indexed);
    cl_txn_end(t);
    if (!rc && (schema < CL_SCHEMA_VERSION || !has_device || moved || !recorded || !indexed))
        rc = cl_store_update(s, init_meta, NULL);
    return rc;
}

static int open_dbis(cl_store *s)
{
    MDB_txn *txn;
    int rc;
    /* another process may grow the map at any moment: adopt its size */
    while ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) == MDB_MAP_RESIZED)
        mdb_env_set_mapsize(s->env, 0);
    if (rc)
        return st_err(NULL, rc, "open database");
    /* Named databases are keys of LMDB's main one, and every clientele
     * folder has "meta" from its first open: entries without it are another
     * program's LMDB file, which must not be written into. */
    MDB_dbi main_db;
    MDB_stat ms;
    MDB_val k = {4, (void *)"meta"}, v;
    if (!mdb_dbi_open(txn, NULL, 0, &main_db) && !mdb_stat(txn, main_db, &ms) && ms.ms_entries > 0 &&
        mdb_get(txn, main_db, &k, &v) == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return cl_seterr(CL_ECORRUPT, "%s holds an LMDB database of another program, not a clientele book",
                         s->dir);
    }
    for (int i = 0; i < DB_COUNT; i++) {
        if ((rc = mdb_dbi_open(txn, DB_NAMES[i], MDB_CREATE, &s->dbi[i]))) {
            mdb_txn_abort(txn);
            return st_err(NULL, rc, "open database");
        }
    }
    rc = mdb_txn_commit(txn);
    return rc ? st_err(NULL, rc, "open database") : CL_OK;
}

/* LMDB maps data.mdb and reads its pages in place: a file shorter than the
 * pages its meta page names (cut short by a bad copy or a damaged file
 * system) would kill the first read with SIGBUS. Refuse it instead. Files
 * only grow and a writer writes pages before the meta page that names them,
 * so a file in use by other processes always passes. */
static int check_file_size(cl_store *s, const char *dir)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_filehandle_t fd;
    struct stat fs;
    if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st) || mdb_env_get_fd(s->env, &fd) ||
        fstat(fd, &fs))
        return CL_OK; /* nothing to compare: LMDB answers on its own */
    unsigned long long need = ((unsigned long long)info.me_last_pgno + 1) * st.ms_psize;
    if ((unsigned long long)fs.st_size < need)
        return cl_seterr(CL_ECORRUPT,
                         "%s/data.mdb is damaged: it has %lld bytes where its pages need %llu (cut short?); "
                         "restore the folder from a backup", dir, (long long)fs.st_size, need);
    return CL_OK;
}

/* An empty data.mdb is a file cut to nothing, not a new book: LMDB would
 * quietly start an empty database in it, and this device would then number
 * its new ops from 1 again, ops that peers already hold under the same
 * numbers. A process creating the folder right now leaves the file empty for
 * an instant only (it writes the meta pages under LMDB's lock): look again
 * for a moment before calling it damaged. */
static int check_not_empty(const char *dir)
{
    char path[4200];
    struct stat fs;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    for (int i = 0; i < 20; i++) {
        if (stat(path, &fs) || fs.st_size > 0)
            return CL_OK;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return cl_seterr(CL_ECORRUPT,
                     "%s is empty (cut short?): restore it from a backup, or move the folder away and start "
                     "a new device in a new folder (clientele init)", path);
}

int cl_store_open(const char *dir, const cl_device_id *self, const cl_index_spec *spec, cl_store **out)
{
    if (!spec || spec->max_type >= CL_INDEX_TYPES || spec->norders > CL_ORDER_MAX)
        return cl_seterr(CL_EINVAL, "cl_store_open: no index spec, or one beyond the store's limits");
    for (size_t i = 0; i < spec->norders; i++)
        if (!spec->orders[i].key_len || spec->orders[i].key_len > CL_ORDER_KEY_MAX)
            return cl_seterr(CL_EINVAL, "cl_store_open: ordered index %zu has a key of %u bytes", i,
                             spec->orders[i].key_len);
    cl_store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    s->self = *self;
    idx_spec_set(s, spec);
    pthread_rwlock_init(&s->resize, NULL);
    int rc = check_not_empty(dir);
    if (rc) {
        cl_store_close(s);
        return rc;
    }
    rc = mdb_env_create(&s->env);
    if (!rc) rc = mdb_env_set_maxdbs(s->env, DB_COUNT + DB_RETIRED);
    if (!rc) rc = mdb_env_set_mapsize(s->env, initial_mapsize());
    if (!rc) rc = mdb_env_set_maxreaders(s->env, 256);
    /* CLIENTELE_NOSYNC=1 (tests of logic only) trades durability for speed */
    unsigned flags = MDB_NOTLS | (getenv("CLIENTELE_NOSYNC") ? MDB_NOSYNC : 0);
    if (!rc) rc = mdb_env_open(s->env, dir, flags, 0600);
    if (rc) {
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
            rc = cl_seterr(CL_ECORRUPT, "%s does not hold a clientele database (%s)", dir, mdb_strerror(rc));
        else
            rc = cl_seterr(rc == ENOENT ? CL_ENOTFOUND : CL_ESTORE, "cannot open the database in %s: %s",
                           dir, mdb_strerror(rc));
        cl_store_close(s);
        return rc;
    }
    if ((rc = check_file_size(s, dir)) || (rc = open_dbis(s)) || (rc = check_meta(s))) {
        cl_store_close(s);
        return rc;
    }
    *out = s;
    return CL_OK;
}

void cl_store_close(cl_store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->resize);
    free(s->dir);
    free(s);
}

const cl_device_id *cl_store_self(const cl_store *s) { return &s->self; }
const char *cl_store_open_notice(const cl_store *s) { return s->open_notice; }
const char *cl_store_dir(const cl_store *s) { return s->dir; }

uint64_t cl_store_generation(cl_store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_last_txnid;
}

int cl_store_op_count(cl_store *s, uint64_t *n)
{
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    if (rc)
        return rc;
    rc = cl_txn_op_count(t, n);
    cl_txn_end(t);
    return rc;
}

/* Take the resize lock shared and begin a transaction, adopting a map that
 * another process has grown. */
static int txn_begin(cl_store *s, bool write, cl_txn **out)
{
    *out = NULL; /* so that cl_txn_end(*out) is safe even when this fails */
    cl_txn *t = calloc(1, sizeof *t);
    if (!t)
        return cl_seterr(CL_ENOMEM, "out of memory");
    t->s = s;
    t->write = write;
    for (;;) {
        pthread_rwlock_rdlock(&s->resize);
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == MDB_MAP_RESIZED) {
            pthread_rwlock_unlock(&s->resize);
            pthread_rwlock_wrlock(&s->resize);
            mdb_env_set_mapsize(s->env, 0);
            pthread_rwlock_unlock(&s->resize);
            continue;
        }
        if (rc) {
            pthread_rwlock_unlock(&s->resize);
            free(t);
            return st_err(NULL, rc, "begin transaction");
        }
        break;
    }
    for (int i = 0; i < DB_COUNT; i++)
        t->tail[i] = true;
    if (write) {
        MDB_stat st;
        mdb_stat(t->txn, s->dbi[DB_SUPERSEDED], &st);
        t->superseded_count = st.ms_entries;
    }
    *out = t;
    return CL_OK;
}

cl_store *cl_txn_store(const cl_txn *t) { return t->s; }

int cl_store_read(cl_store *s, cl_txn **out)
{
    return txn_begin(s, false, out);
}

void cl_txn_end(cl_txn *t)
{
    if (!t)
        return;
    if (t->txn)
        mdb_txn_abort(t->txn);
    pthread_rwlock_unlock(&t->s->resize);
    free(t->vv);
    free(t->origins);
    free(t->byid);
    cl_buf_free(&t->enc);
    cl_buf_free(&t->search_text);
    free(t);
}

static int grow_map(cl_store *s)
{
    pthread_rwlock_wrlock(&s->resize);
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    int rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
    pthread_rwlock_unlock(&s->resize);
    if (rc)
        return st_err(NULL, rc, "grow the database map");
    cl_log(CL_LOG_DEBUG, "database map grown to %zu MiB", info.me_mapsize * 2 >> 20);
    return CL_OK;
}

/* LMDB reports a short write of its pages as EIO: on a file system with no
 * room left, that is a full disk, and the user should be told so. */
static bool no_room(const char *dir)
{
    struct statvfs v;
    return statvfs(dir, &v) == 0 && (unsigned long long)v.f_bavail * v.f_frsize < (1ull << 20);
}

int cl_store_update(cl_store *s, int (*fn)(cl_txn *t, void *arg), void *arg)
{
    for (;;) {
        cl_txn *t = NULL;
        int rc = txn_begin(s, true, &t);
        if (rc)
            return rc;
        rc = fn(t, arg);
        if (!rc)
            rc = st_flush(t);
        if (!rc) {
            int mrc = mdb_txn_commit(t->txn);
            t->txn = NULL;
            if (mrc == EIO && no_room(s->dir))
                rc = cl_seterr(CL_EFULL, "commit: disk full (no room left for %s)", s->dir);
            else if (mrc)
                rc = st_err(t, mrc, "commit");
        }
        bool retry = rc == CL_EFULL && t->map_full;
        cl_txn_end(t);
        if (!retry)
            return rc;
        if ((rc = grow_map(s)))
            return rc;
    }
}

/* ----- key/value tables ----- */

static int table_db(enum cl_table tab)
{
    return tab == CL_TAB_META ? DB_META : tab == CL_TAB_PEERS ? DB_PEERS : tab == CL_TAB_DAV ? DB_DAV : DB_PENDING;
}

int cl_txn_kv_get(cl_txn *t, enum cl_table tab, const void *key, size_t klen,
                  const void **val, size_t *vlen)
{
    MDB_val v;
    int rc = st_get(t, table_db(tab), key, klen, &v);
    if (rc)
        return rc;
    *val = v.mv_data;
    *vlen = v.mv_size;
    return CL_OK;
}

int cl_txn_kv_put(cl_txn *t, enum cl_table tab, const void *key, size_t klen,
                  const void *val, size_t vlen)
{
    return st_put(t, table_db(tab), key, klen, val, vlen, 0);
}

int cl_txn_kv_del(cl_txn *t, enum cl_table tab, const void *key, size_t klen)
{
    return st_del(t, table_db(tab), key, klen, NULL, 0);
}

int cl_txn_kv_each(cl_txn *t, enum cl_table tab,
                   int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl),
                   void *ctx)
{
    return st_kv_each(t, table_db(tab), fn, ctx);
}

int st_kv_each(cl_txn *t, int db, int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl),
               void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
    if (rc)
        return st_err(t, rc, "cursor");
    MDB_val k, v;
    int stop = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && !stop; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        stop = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    mdb_cursor_close(c);
    if (stop)
        return stop;
    return rc == MDB_NOTFOUND ? CL_OK : st_err(t, rc, "cursor");
}

int cl_txn_kv_prefix(cl_txn *t, enum cl_table tab, const void *prefix, size_t plen,
                     int (*fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl), void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[table_db(tab)], &c);
    if (rc)
        return st_err(t, rc, "cursor");
    MDB_val k = {plen, (void *)prefix}, v;
    int stop = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         !rc && !stop && k.mv_size >= plen && !memcmp(k.mv_data, prefix, plen);
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        stop = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    mdb_cursor_close(c);
    if (stop)
        return stop;
    return rc == MDB_NOTFOUND || !rc ? CL_OK : st_err(t, rc, "cursor");
}

/* ----- flushing what a write transaction caches ----- */

int st_flush(cl_txn *t)
{
    if (!t->write)
        return CL_OK;
    int rc = idx_flush(t);
    for (size_t i = 0; !rc && i < t->nvv; i++) {
        if (!t->vv[i].dirty)
            continue;
        unsigned char seq[8];
        cl_be64_put(seq, t->vv[i].seq);
        rc = st_put(t, DB_VV, t->vv[i].origin.b, CL_DEVICE_ID_LEN, seq, 8, 0);
        t->vv[i].dirty = false;
    }
    if (!rc && t->hlc_dirty) {
        unsigned char v[8];
        cl_be64_put(v, t->clock.last);
        rc = st_put(t, DB_META, "hlc", 3, v, 8, 0);
        t->hlc_dirty = false;
    }
    return rc;
}
