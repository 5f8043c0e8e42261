/* The plain WebDAV folder at /dav/files/ (docs/dav.md "The folder"):
 * nested collections and files of any type, with dead properties — a place
 * where any WebDAV client can keep things, and where WebDAV itself (RFC 4918
 * class 1: PUT, GET, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH) can be
 * checked by litmus, Debian's conformance suite (tests/http/test_litmus.sh),
 * on resources the book does not constrain: the address book and calendars
 * (dav.c) take only cards and tasks, and refuse MKCOL and PROPPATCH.
 *
 * The folder is local to this device: not synced, not part of the book nor
 * of its digest. It lives in the dav table, and each request that changes it
 * is one write transaction, all or nothing (a PROPPATCH too, RFC 4918 §9.2):
 *
 *   "fe" · parent node (8) · name → the entry: node (8) · kind (1: 'c'
 *                                   collection, 'f' file) · created (8) ·
 *                                   modified (8, ms) · size (8) · ETag (16) ·
 *                                   content type
 *   "fd" · node (8)               → a file's bytes
 *   "fp" · node (8)               → the node's dead properties: for each,
 *                                   namespace · NUL · name · NUL · xml:lang ·
 *                                   NUL · value (XML, dav_xml.c) · NUL
 *   "fs"                          → next node (8) · entries (8) · bytes (8)
 *
 * Resources are numbered nodes (0 is the folder itself) named by entries
 * under their parent's number: a MOVE relinks one entry whatever it holds,
 * and a key stays within LMDB's 511 bytes however deep the path. The bounds
 * (FILES_MAX_* below) keep a client from filling the disk: 507 beyond them
 * (RFC 4918 §11.5). Locks (class 2) are not offered. */
#include "http/dav.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FILES_MAX_ENTRIES 10000          /* files and collections */
#define FILES_MAX_BYTES (64u << 20)      /* files' bytes and dead properties, in all */
#define FILES_MAX_DEPTH 16               /* names in a path */
#define FILES_NAME_MAX 255               /* bytes of one name */
#define FILES_PROPS_MAX (256u << 10)     /* one resource's dead properties */
#define TYPE_MAX 255                     /* a file's content type */
#define DEFAULT_TYPE "application/octet-stream"
#define ROOT_NODE 0
#define ETAG_TEXT (2 + 32 + 1)           /* "…" around 16 bytes in hex, NUL */
#define ENTRY_FIXED (8 + 1 + 8 + 8 + 8 + 16)
#define KEY_NODE (2 + 8)                 /* "fd" / "fp" / "fe" · node */

/* ------------------------------------------------------------ requests */

/* A path in the folder: its names (URL-decoded, as civetweb gives the path);
 * the folder itself has none. */
typedef struct fpath {
    char buf[1 + FILES_MAX_DEPTH * (FILES_NAME_MAX + 1) + 1]; /* "/" · names and their "/" · NUL */
    const char *seg[FILES_MAX_DEPTH];
    size_t n;
} fpath;

typedef struct freq {
    struct mg_connection *conn;
    cl_http *h;
    const char *method, *uri;
    fpath path;
    char *body;
    size_t len;
    /* the HTTP status a refusal calls for, set beside its error (refuse);
     * 0: the one http_status_of gives the error */
    int status;
    const char *allow;   /* a 405: the methods the resource allows */
} freq;

static int refuse(freq *r, int status, int rc)
{
    r->status = status;
    return rc;
}

static int send_refusal(freq *r, int rc)
{
    int st = r->status ? r->status : rc == CL_EFULL ? 507 : http_status_of(rc);
    const char *msg = *cl_errmsg() ? cl_errmsg() : cl_errname(rc);
    if (st != 405 || !r->allow)
        return dav_send_msg(r->conn, st, "%s", msg);
    char line[600];
    int n = snprintf(line, sizeof line, "%.590s\n", msg);
    const char *h[] = {"Content-Type", "text/plain; charset=utf-8", "Allow", r->allow, NULL};
    return dav_send(r->conn, 405, h, line, (size_t)n);
}

/* A name fit for the folder: valid UTF-8 without control characters nor
 * U+FFFE, U+FFFF (no XML can hold them: a displayname is the name), not "."
 * or "..", at most FILES_NAME_MAX bytes. */
static int name_ok(freq *r, const char *s, size_t n)
{
    if (!n)
        return refuse(r, 400, cl_seterr(CL_EINVAL, "a path in the folder has no empty names (//)"));
    if ((n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
        return refuse(r, 400, cl_seterr(CL_EINVAL, "'.' and '..' name no resource of the folder"));
    if (n > FILES_NAME_MAX)
        return refuse(r, 414, cl_seterr(CL_EINVAL, "a name in the folder is at most %d bytes", FILES_NAME_MAX));
    bool plain = cl_utf8_valid(s, n) && !memmem(s, n, "\xef\xbf\xbe", 3) && !memmem(s, n, "\xef\xbf\xbf", 3);
    for (size_t i = 0; plain && i < n; i++)
        plain = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    return plain ? CL_OK : refuse(r, 400, cl_seterr(CL_EINVAL, "a name in the folder is UTF-8 text without controls"));
}

/* rel: what follows /dav/files in a path. */
static int path_parse(freq *r, const char *rel, fpath *p)
{
    size_t len = strlen(rel);
    p->n = 0;
    if (len >= sizeof p->buf)
        return refuse(r, 414, cl_seterr(CL_EINVAL, "a path in the folder is at most %d names of %d bytes",
                                        FILES_MAX_DEPTH, FILES_NAME_MAX));
    memcpy(p->buf, rel, len + 1);
    char *s = p->buf + (*p->buf == '/');
    while (*s) {
        char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        int rc = name_ok(r, s, n);
        if (rc)
            return rc;
        if (p->n == FILES_MAX_DEPTH)
            return refuse(r, 414, cl_seterr(CL_EINVAL, "the folder nests at most %d levels", FILES_MAX_DEPTH));
        p->seg[p->n++] = s;
        if (!slash)
            break;
        *slash = 0;
        s = slash + 1;
    }
    return CL_OK;
}

static const char *leaf(const fpath *p)
{
    return p->n ? p->seg[p->n - 1] : NULL;
}

/* The href of a path's first n names: /dav/files/a/b, a collection's with
 * a final slash. */
static int put_href(cl_buf *b, const fpath *p, size_t n, bool coll)
{
    int rc = cl_buf_puts(b, DAV_FILES) ? http_oom() : CL_OK;
    for (size_t i = 0; !rc && i < n; i++)
        if (!(rc = dav_put_segment(b, p->seg[i])) && (i + 1 < n || coll) && cl_buf_put_u8(b, '/'))
            rc = http_oom();
    return rc;
}

/* ------------------------------------------------------------ nodes */

typedef struct fnode {
    uint64_t id;
    bool coll;
    uint64_t created, modified;  /* ms since the epoch; 0 for the folder itself */
    uint64_t size;
    unsigned char etag[16];      /* SHA-256 of a file's bytes, cut */
    char type[TYPE_MAX + 1];     /* a file's content type */
} fnode;

static const fnode ROOT = {.id = ROOT_NODE, .coll = true};

static void node_key(char kind, uint64_t node, unsigned char key[KEY_NODE])
{
    key[0] = 'f';
    key[1] = (unsigned char)kind;
    cl_be64_put(key + 2, node);
}

static size_t entry_key(uint64_t parent, const char *name, unsigned char key[KEY_NODE + FILES_NAME_MAX])
{
    size_t n = strlen(name);
    node_key('e', parent, key);
    memcpy(key + KEY_NODE, name, n);
    return KEY_NODE + n;
}

static int entry_decode(const void *v, size_t vl, fnode *n)
{
    const unsigned char *p = v;
    if (vl < ENTRY_FIXED || vl > ENTRY_FIXED + TYPE_MAX || (p[8] != 'c' && p[8] != 'f'))
        return cl_seterr(CL_ECORRUPT, "a damaged entry in the DAV folder");
    n->id = cl_be64_get(p);
    n->coll = p[8] == 'c';
    n->created = cl_be64_get(p + 9);
    n->modified = cl_be64_get(p + 17);
    n->size = cl_be64_get(p + 25);
    memcpy(n->etag, p + 33, sizeof n->etag);
    memcpy(n->type, p + ENTRY_FIXED, vl - ENTRY_FIXED);
    n->type[vl - ENTRY_FIXED] = 0;
    return CL_OK;
}

static int entry_put(cl_txn *t, uint64_t parent, const char *name, const fnode *n)
{
    unsigned char key[KEY_NODE + FILES_NAME_MAX], v[ENTRY_FIXED + TYPE_MAX];
    size_t tl = strlen(n->type);
    cl_be64_put(v, n->id);
    v[8] = n->coll ? 'c' : 'f';
    cl_be64_put(v + 9, n->created);
    cl_be64_put(v + 17, n->modified);
    cl_be64_put(v + 25, n->size);
    memcpy(v + 33, n->etag, sizeof n->etag);
    memcpy(v + ENTRY_FIXED, n->type, tl);
    return cl_txn_kv_put(t, CL_TAB_DAV, key, entry_key(parent, name, key), v, ENTRY_FIXED + tl);
}

static int entry_del(cl_txn *t, uint64_t parent, const char *name)
{
    unsigned char key[KEY_NODE + FILES_NAME_MAX];
    return cl_txn_kv_del(t, CL_TAB_DAV, key, entry_key(parent, name, key));
}

static int entry_get(cl_txn *t, uint64_t parent, const char *name, fnode *n)
{
    unsigned char key[KEY_NODE + FILES_NAME_MAX];
    const void *v;
    size_t vl;
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, entry_key(parent, name, key), &v, &vl);
    return rc ? rc : entry_decode(v, vl, n);
}

static void etag_text(const fnode *n, char out[ETAG_TEXT])
{
    out[0] = '"';
    for (size_t i = 0; i < sizeof n->etag; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", n->etag[i]);
    out[ETAG_TEXT - 2] = '"';
    out[ETAG_TEXT - 1] = 0;
}

/* What a path names, or where it would go. */
typedef struct flook {
    fnode node;          /* found: what the path names */
    fnode parent;        /* the collection holding it (the folder for the folder itself) */
    bool found;
    bool parent_found;   /* false: a collection on the way is missing, or is a file */
} flook;

static int look_up(cl_txn *t, const fpath *p, flook *l)
{
    l->node = l->parent = ROOT;
    l->found = l->parent_found = true;
    for (size_t i = 0; i < p->n; i++) {
        if (!l->node.coll)
            return l->found = l->parent_found = false, CL_OK;
        l->parent = l->node;
        int rc = entry_get(t, l->parent.id, p->seg[i], &l->node);
        if (rc == CL_ENOTFOUND)
            return l->found = false, l->parent_found = i + 1 == p->n, CL_OK;
        if (rc)
            return rc;
    }
    return CL_OK;
}

/* The entries of a collection, copied out (to change the table after). */
typedef struct child {
    char name[FILES_NAME_MAX + 1];
    fnode node;
} child;

typedef struct children {
    child *v;
    size_t n, cap;
} children;

typedef int (*child_fn)(void *ctx, const char *name, const fnode *n);

struct each_ctx {
    child_fn fn;
    void *ctx;
};

static int child_step(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
    struct each_ctx *e = arg;
    char name[FILES_NAME_MAX + 1];
    fnode n;
    if (kl <= KEY_NODE || kl > KEY_NODE + FILES_NAME_MAX)
        return cl_seterr(CL_ECORRUPT, "a damaged name in the DAV folder");
    memcpy(name, (const char *)k + KEY_NODE, kl - KEY_NODE);
    name[kl - KEY_NODE] = 0;
    int rc = entry_decode(v, vl, &n);
    return rc ? rc : e->fn(e->ctx, name, &n);
}

/* Each entry of collection `parent`, in name order; fn must not write. */
static int each_child(cl_txn *t, uint64_t parent, child_fn fn, void *ctx)
{
    unsigned char prefix[KEY_NODE];
    struct each_ctx e = {fn, ctx};
    node_key('e', parent, prefix);
    return cl_txn_kv_prefix(t, CL_TAB_DAV, prefix, sizeof prefix, child_step, &e);
}

static int keep_child(void *arg, const char *name, const fnode *n)
{
    children *c = arg;
    if (cl_reserve(&c->v, &c->cap, c->n + 1, sizeof *c->v))
        return http_oom();
    snprintf(c->v[c->n].name, sizeof c->v[c->n].name, "%s", name);
    c->v[c->n++].node = *n;
    return CL_OK;
}

static int children_of(cl_txn *t, uint64_t parent, children *c)
{
    return each_child(t, parent, keep_child, c);
}

/* ------------------------------------------------------------ bounds */

typedef struct fstats {
    uint64_t next, entries, bytes;
} fstats;

static const unsigned char STATS_KEY[2] = {'f', 's'};

static int stats_get(cl_txn *t, fstats *s)
{
    const void *v;
    size_t vl;
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, STATS_KEY, sizeof STATS_KEY, &v, &vl);
    *s = (fstats){ROOT_NODE + 1, 0, 0};
    if (rc == CL_ENOTFOUND)
        return CL_OK;
    if (rc || vl != 24)
        return rc ? rc : cl_seterr(CL_ECORRUPT, "the DAV folder's counts are damaged");
    s->next = cl_be64_get(v);
    s->entries = cl_be64_get((const unsigned char *)v + 8);
    s->bytes = cl_be64_get((const unsigned char *)v + 16);
    return CL_OK;
}

static int stats_put(cl_txn *t, const fstats *s)
{
    unsigned char v[24];
    cl_be64_put(v, s->next);
    cl_be64_put(v + 8, s->entries);
    cl_be64_put(v + 16, s->bytes);
    return cl_txn_kv_put(t, CL_TAB_DAV, STATS_KEY, sizeof STATS_KEY, v, sizeof v);
}

static uint64_t minus(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static int stats_fit(freq *r, const fstats *s)
{
    if (s->entries > FILES_MAX_ENTRIES)
        return refuse(r, 507, cl_seterr(CL_EFULL, "the folder holds at most %d files and collections",
                                        FILES_MAX_ENTRIES));
    if (s->bytes > FILES_MAX_BYTES)
        return refuse(r, 507, cl_seterr(CL_EFULL, "the folder holds at most %u MiB", FILES_MAX_BYTES >> 20));
    return CL_OK;
}

/* ------------------------------------------------------------ dead properties */

typedef struct dead {
    const char *ns, *name, *lang, *value;   /* lang "" when none */
} dead;

/* A node's dead properties, pointing into the stored bytes (valid until the
 * transaction writes) or into a request's strings. */
typedef struct deads {
    dead *v;
    size_t n, cap;
    size_t stored;   /* bytes of the stored value */
} deads;

static const char *next_string(const char **p, const char *end)
{
    const char *s = *p, *nul = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;
    if (nul)
        *p = nul + 1;
    return nul ? s : NULL;
}

static int deads_load(cl_txn *t, uint64_t node, deads *d)
{
    unsigned char key[KEY_NODE];
    const void *v;
    size_t vl;
    *d = (deads){0};
    node_key('p', node, key);
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    d->stored = vl;
    for (const char *p = v, *end = p + vl; !rc && p < end; d->n++) {
        dead x;
        x.ns = next_string(&p, end);
        x.name = next_string(&p, end);
        x.lang = next_string(&p, end);
        x.value = next_string(&p, end);
        if (!x.ns || !x.name || !x.lang || !x.value || !*x.name)
            rc = cl_seterr(CL_ECORRUPT, "the DAV folder's properties are damaged");
        else if (cl_reserve(&d->v, &d->cap, d->n + 1, sizeof *d->v))
            rc = http_oom();
        else
            d->v[d->n] = x;
    }
    if (rc)
        free(d->v), *d = (deads){0};
    return rc;
}

static void deads_free(deads *d)
{
    free(d->v);
    *d = (deads){0};
}

static bool dead_is(const dead *x, const dav_prop *p)
{
    return !strcmp(x->name, p->name) && !strcmp(x->ns, p->ns);
}

static const dead *dead_find(const deads *d, const dav_prop *p)
{
    for (size_t i = 0; i < d->n; i++)
        if (dead_is(&d->v[i], p))
            return &d->v[i];
    return NULL;
}

/* A set replaces the property or adds it at the end; a remove of one that
 * is not there is no error (RFC 4918 §14.23). */
static int deads_apply(deads *d, const dav_patch *pt)
{
    size_t i = 0;
    while (i < d->n && !dead_is(&d->v[i], &pt->prop))
        i++;
    if (pt->remove) {
        if (i < d->n)
            memmove(&d->v[i], &d->v[i + 1], (d->n-- - i - 1) * sizeof *d->v);
        return CL_OK;
    }
    if (i == d->n && cl_reserve(&d->v, &d->cap, ++d->n, sizeof *d->v))
        return d->n--, http_oom();
    d->v[i] = (dead){pt->prop.ns, pt->prop.name, pt->lang ? pt->lang : "", pt->value};
    return CL_OK;
}

static int deads_encode(const deads *d, cl_buf *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const dead *x = &d->v[i];
        cl_buf_put(out, x->ns, strlen(x->ns) + 1);
        cl_buf_put(out, x->name, strlen(x->name) + 1);
        cl_buf_put(out, x->lang, strlen(x->lang) + 1);
        cl_buf_put(out, x->value, strlen(x->value) + 1);
    }
    return out->err ? http_oom() : CL_OK;
}

static int dead_prop(cl_buf *b, const dead *x, bool names_only)
{
    dav_prop p = {x->ns, x->name};
    int rc = dav_open_prop(b, &p, *x->lang ? x->lang : NULL, names_only || !*x->value);
    if (rc || names_only || !*x->value)
        return rc;
    return cl_buf_puts(b, x->value) ? http_oom() : dav_close_prop(b, &p);
}

/* The DAV: namespace holds the properties RFC 4918 defines, which the folder
 * keeps itself; of them only displayname is the client's to set. */
static bool protected_prop(const dav_prop *p)
{
    return !strcmp(p->ns, DAV_NS) && strcmp(p->name, "displayname");
}

/* ------------------------------------------------------------ live properties */

static const char *const LIVE[] = {"resourcetype", "displayname", "getetag", "getcontentlength", "getcontenttype",
                                   "getlastmodified", "creationdate"};
#define NLIVE (sizeof LIVE / sizeof *LIVE)

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7), whatever the locale. */
static void http_date(uint64_t ms, char out[32])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The text of a live property of node n (named name; NULL for the folder),
 * or for resourcetype its XML; NULL when n has none such. */
static const char *live_value(const fnode *n, const char *name, const char *prop, char tmp[64], bool *xml)
{
    bool file = !n->coll, dated = n->id != ROOT_NODE;
    *xml = false;
    if (!strcmp(prop, "resourcetype"))
        return *xml = true, n->coll ? "<d:collection/>" : "";
    if (!strcmp(prop, "displayname"))
        return name ? name : "Files (clientele)";
    if (file && !strcmp(prop, "getetag"))
        return etag_text(n, tmp), tmp;
    if (file && !strcmp(prop, "getcontentlength"))
        return snprintf(tmp, 64, "%" PRIu64, n->size), tmp;
    if (file && !strcmp(prop, "getcontenttype"))
        return n->type;
    if (dated && !strcmp(prop, "getlastmodified"))
        return http_date(n->modified, tmp), tmp;
    if (dated && !strcmp(prop, "creationdate"))
        return cl_format_iso(n->created, tmp), tmp;
    return NULL;
}

/* A live property written as its element; CL_ENOTFOUND when n has none such. */
static int live_prop(cl_buf *b, const fnode *n, const char *name, const dav_prop *p, bool names_only)
{
    char tmp[64];
    bool xml;
    const char *v = strcmp(p->ns, DAV_NS) ? NULL : live_value(n, name, p->name, tmp, &xml);
    if (!v)
        return CL_ENOTFOUND;
    if (names_only || !*v)
        return dav_open_prop(b, p, NULL, true);
    int rc = dav_open_prop(b, p, NULL, false);
    if (!rc)
        rc = xml ? (cl_buf_puts(b, v) ? http_oom() : CL_OK) : dav_put_xml(b, v, strlen(v));
    return rc ? rc : dav_close_prop(b, p);
}

/* ------------------------------------------------------------ PROPFIND answers */

/* allprop or propname: the live properties and every dead one (a dead
 * displayname in place of the live one). */
static int every_prop(cl_buf *b, const fnode *n, const char *name, const deads *d, bool names_only)
{
    int rc = cl_buf_puts(b, "<d:propstat><d:prop>") ? http_oom() : CL_OK;
    for (size_t i = 0; !rc && i < NLIVE; i++) {
        dav_prop p = {DAV_NS, LIVE[i]};
        if (!dead_find(d, &p) && (rc = live_prop(b, n, name, &p, names_only)) == CL_ENOTFOUND)
            rc = CL_OK;
    }
    for (size_t i = 0; !rc && i < d->n; i++)
        rc = dead_prop(b, &d->v[i], names_only);
    if (!rc && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"))
        rc = http_oom();
    return rc;
}

static int one_prop(cl_buf *b, const fnode *n, const char *name, const deads *d, const dav_prop *p)
{
    const dead *x = dead_find(d, p);
    return x ? dead_prop(b, x, false) : live_prop(b, n, name, p, false);
}

/* The properties asked for: those found (200), then the others (404). */
static int named_props(cl_buf *b, const fnode *n, const char *name, const deads *d, const dav_request *q)
{
    size_t start = b->len, found = 0, nmissing = 0;
    bool *missing = calloc(q->nprops + 1, sizeof *missing);
    int rc = !missing || cl_buf_puts(b, "<d:propstat><d:prop>") ? http_oom() : CL_OK;
    for (size_t i = 0; !rc && i < q->nprops; i++) {
        size_t mark = b->len;
        if ((rc = one_prop(b, n, name, d, &q->props[i])) == CL_ENOTFOUND)
            b->len = mark, rc = CL_OK, missing[i] = true, nmissing++;
        else
            found++;
    }
    if (!rc && !found && nmissing)
        b->len = start;
    else if (!rc && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"))
        rc = http_oom();
    if (!rc && nmissing && cl_buf_puts(b, "<d:propstat><d:prop>"))
        rc = http_oom();
    for (size_t i = 0; !rc && nmissing && i < q->nprops; i++)
        if (missing[i])
            rc = dav_open_prop(b, &q->props[i], NULL, true);
    if (!rc && nmissing && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"))
        rc = http_oom();
    free(missing);
    return rc;
}

static int node_response(cl_txn *t, cl_buf *b, const char *href, const fnode *n, const char *name,
                         const dav_request *q)
{
    deads d;
    int rc = deads_load(t, n->id, &d);
    if (!rc && (cl_buf_puts(b, "<d:response><d:href>") || cl_buf_puts(b, href) || cl_buf_puts(b, "</d:href>")))
        rc = http_oom();
    if (!rc)
        rc = q->want == DAV_WANT_PROPS ? named_props(b, n, name, &d, q)
                                       : every_prop(b, n, name, &d, q->want == DAV_WANT_PROPNAME);
    if (!rc && cl_buf_puts(b, "</d:response>"))
        rc = http_oom();
    deads_free(&d);
    return rc;
}

int dav_files_root_response(cl_txn *t, cl_buf *b, const dav_request *q)
{
    return node_response(t, b, DAV_FILES, &ROOT, NULL, q);
}

struct list_ctx {
    cl_txn *t;
    cl_buf *b;
    const dav_request *q;
    const char *base;   /* the collection's href, with its final slash */
};

static int list_step(void *arg, const char *name, const fnode *n)
{
    struct list_ctx *l = arg;
    cl_buf href = {0};
    int rc = cl_buf_puts(&href, l->base) || dav_put_segment(&href, name) || (n->coll && cl_buf_put_u8(&href, '/'))
                 ? http_oom() : CL_OK;
    if (!rc)
        rc = node_response(l->t, l->b, (const char *)href.data, n, name, l->q);
    cl_buf_free(&href);
    return rc;
}

/* PROPFIND's Depth: 0, 1, -1 for infinity (also when absent, RFC 4918
 * §10.2), -2 for anything else. */
static int depth_of(struct mg_connection *conn)
{
    const char *d = mg_get_header(conn, "Depth");
    return !d || !strcasecmp(d, "infinity") ? -1 : !strcmp(d, "0") ? 0 : !strcmp(d, "1") ? 1 : -2;
}

static int multistatus_of(freq *r, cl_txn *t, const flook *l, const dav_request *q, int depth, cl_buf *b)
{
    cl_buf href = {0};
    int rc = dav_ms_begin(b);
    if (!rc)
        rc = put_href(&href, &r->path, r->path.n, l->node.coll);
    if (!rc)
        rc = node_response(t, b, (const char *)href.data, &l->node, leaf(&r->path), q);
    if (!rc && l->node.coll && depth == 1)
        rc = each_child(t, l->node.id, list_step, &(struct list_ctx){t, b, q, (const char *)href.data});
    cl_buf_free(&href);
    return rc;
}

static int propfind(freq *r)
{
    dav_request q;
    int depth = depth_of(r->conn), rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return send_refusal(r, rc);
    if (q.kind != DAV_PROPFIND || depth == -2) {
        dav_request_free(&q);
        return dav_send_msg(r->conn, 400, "PROPFIND needs a <propfind> body and a Depth of 0, 1 or infinity");
    }
    cl_txn *t;
    flook l;
    cl_buf b = {0};
    if (!(rc = cl_store_read(r->h->cfg.store, &t)) && !(rc = look_up(t, &r->path, &l)) && !l.found)
        rc = refuse(r, 404, cl_seterr(CL_ENOTFOUND, "nothing at %s", r->uri));
    bool infinite = !rc && l.node.coll && depth == -1;
    if (!rc && !infinite)
        rc = multistatus_of(r, t, &l, &q, depth, &b);
    cl_txn_end(t);
    dav_request_free(&q);
    if (infinite) /* RFC 4918 §9.1: a server may refuse it; listing a whole tree costs its size */
        return dav_send_condition(r->conn, 403, DAV_NS, "propfind-finite-depth");
    if (rc) {
        cl_buf_free(&b);
        return send_refusal(r, rc);
    }
    return dav_send_multistatus(r->conn, CL_OK, &b);
}

/* ------------------------------------------------------------ PROPPATCH */

enum { P_OK, P_FORBIDDEN, P_FAILED_DEPENDENCY, P_NO_ROOM, P_NSTATUS };
static const char *const PATCH_STATUS[] = {"200 OK", "403 Forbidden", "424 Failed Dependency",
                                           "507 Insufficient Storage"};

struct patch_arg {
    freq *r;
    const dav_request *q;
    unsigned char *status;   /* per patch, P_… */
    bool coll;               /* the resource is a collection */
};

static void patch_status_all(struct patch_arg *a, unsigned char st)
{
    memset(a->status, st, a->q->npatches);
}

/* A patch of a protected property fails it, and the others with it (424):
 * nothing is changed. */
static bool patches_refused(struct patch_arg *a)
{
    bool refused = false;
    for (size_t i = 0; i < a->q->npatches; i++)
        refused |= protected_prop(&a->q->patches[i].prop);
    for (size_t i = 0; refused && i < a->q->npatches; i++)
        a->status[i] = protected_prop(&a->q->patches[i].prop) ? P_FORBIDDEN : P_FAILED_DEPENDENCY;
    return refused;
}

static int props_store(cl_txn *t, uint64_t node, const cl_buf *blob)
{
    unsigned char key[KEY_NODE];
    node_key('p', node, key);
    return blob->len ? cl_txn_kv_put(t, CL_TAB_DAV, key, sizeof key, blob->data, blob->len)
                     : cl_txn_kv_del(t, CL_TAB_DAV, key, sizeof key);
}

static int proppatch_fn(cl_txn *t, void *arg)
{
    struct patch_arg *a = arg;
    freq *r = a->r;
    flook l;
    fstats s;
    deads d = {0};
    cl_buf blob = {0};
    r->status = 0;
    patch_status_all(a, P_OK);
    int rc = look_up(t, &r->path, &l);
    if (!rc && !l.found)
        rc = refuse(r, 404, cl_seterr(CL_ENOTFOUND, "nothing at %s", r->uri));
    a->coll = !rc && l.node.coll;
    if (rc || patches_refused(a))
        return rc;
    if (!(rc = deads_load(t, l.node.id, &d)) && !(rc = stats_get(t, &s)))
        for (size_t i = 0; !rc && i < a->q->npatches; i++)
            rc = deads_apply(&d, &a->q->patches[i]);
    if (!rc)
        rc = deads_encode(&d, &blob);
    if (!rc) {
        s.bytes = minus(s.bytes, d.stored) + blob.len;
        if (blob.len > FILES_PROPS_MAX || s.bytes > FILES_MAX_BYTES)
            patch_status_all(a, P_NO_ROOM);
        else if (!(rc = props_store(t, l.node.id, &blob)))
            rc = stats_put(t, &s);
    }
    deads_free(&d);
    cl_buf_free(&blob);
    return rc;
}

static bool named_before(const dav_request *q, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(q->patches[j].prop.name, q->patches[i].prop.name) &&
            !strcmp(q->patches[j].prop.ns, q->patches[i].prop.ns))
            return true;
    return false;
}

/* One propstat per outcome, each property named once. */
static int patch_answer(freq *r, const struct patch_arg *a, cl_buf *b)
{
    const dav_request *q = a->q;
    const unsigned char *status = a->status;
    int rc = dav_ms_begin(b);
    if (!rc && cl_buf_puts(b, "<d:response><d:href>"))
        rc = http_oom();
    if (!rc && !(rc = put_href(b, &r->path, r->path.n, a->coll)) && cl_buf_puts(b, "</d:href>"))
        rc = http_oom();
    for (unsigned char st = 0; !rc && st < P_NSTATUS; st++) {
        bool any = false;
        for (size_t i = 0; !rc && i < q->npatches; i++) {
            if (status[i] != st || named_before(q, i))
                continue;
            if (!any && cl_buf_puts(b, "<d:propstat><d:prop>"))
                rc = http_oom();
            any = true;
            if (!rc)
                rc = dav_open_prop(b, &q->patches[i].prop, NULL, true);
        }
        if (!rc && any && cl_buf_printf(b, "</d:prop><d:status>HTTP/1.1 %s</d:status>%s</d:propstat>",
                                        PATCH_STATUS[st], st == P_FORBIDDEN
                                            ? "<d:error><d:cannot-modify-protected-property/></d:error>" : ""))
            rc = http_oom();
    }
    if (!rc && cl_buf_puts(b, "</d:response>"))
        rc = http_oom();
    return rc;
}

static int proppatch(freq *r)
{
    dav_request q;
    int rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return send_refusal(r, rc);
    if (q.kind != DAV_PROPPATCH || !q.npatches) {
        dav_request_free(&q);
        return dav_send_msg(r->conn, 400, "PROPPATCH needs a <propertyupdate> body that sets or removes properties");
    }
    unsigned char *status = calloc(q.npatches, 1);
    struct patch_arg a = {r, &q, status, false};
    cl_buf b = {0};
    rc = status ? cl_store_update(r->h->cfg.store, proppatch_fn, &a) : http_oom();
    if (!rc)
        rc = patch_answer(r, &a, &b);
    free(status);
    dav_request_free(&q);
    if (rc) {
        cl_buf_free(&b);
        return send_refusal(r, rc);
    }
    return dav_send_multistatus(r->conn, CL_OK, &b);
}

/* ------------------------------------------------------------ GET, HEAD */

static int list_line(void *arg, const char *name, const fnode *n)
{
    cl_buf *b = arg;
    return cl_buf_printf(b, "%s%s\n", name, n->coll ? "/" : "") ? http_oom() : CL_OK;
}

/* A file's bytes, copied out of the transaction. */
static int content_get(cl_txn *t, const fnode *n, cl_buf *out)
{
    unsigned char key[KEY_NODE];
    const void *v;
    size_t vl;
    node_key('d', n->id, key);
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl);
    if (rc == CL_ENOTFOUND && !n->size)
        return CL_OK;
    if (!rc && vl != n->size)
        rc = cl_seterr(CL_ECORRUPT, "a damaged file in the DAV folder");
    return rc ? rc : cl_buf_put(out, v, vl) ? http_oom() : CL_OK;
}

static int send_file(struct mg_connection *conn, const fnode *n, const cl_buf *body)
{
    char etag[ETAG_TEXT], date[32];
    etag_text(n, etag);
    http_date(n->modified, date);
    const char *h[] = {"Content-Type", n->type, "ETag", etag, "Last-Modified", date, "Cache-Control", "no-cache", NULL};
    return dav_send(conn, 200, h, (const char *)body->data, body->len);
}

/* A file as it is; a collection as the names in it, one a line. */
static int get(freq *r)
{
    cl_txn *t;
    flook l;
    cl_buf body = {0};
    int rc = cl_store_read(r->h->cfg.store, &t);
    if (!rc && !(rc = look_up(t, &r->path, &l)) && !l.found)
        rc = refuse(r, 404, cl_seterr(CL_ENOTFOUND, "nothing at %s", r->uri));
    if (!rc)
        rc = l.node.coll ? each_child(t, l.node.id, list_line, &body) : content_get(t, &l.node, &body);
    cl_txn_end(t);
    int st = rc ? send_refusal(r, rc)
           : l.node.coll ? dav_send_text(r->conn, 200, "text/plain; charset=utf-8", NULL, (const char *)body.data,
                                         body.len)
                         : send_file(r->conn, &l.node, &body);
    cl_buf_free(&body);
    return st;
}

/* ------------------------------------------------------------ PUT, MKCOL, DELETE */

/* civetweb 1.15 (Debian 12) refuses COPY and MOVE as unknown methods (400)
 * before any handler is called; 1.16 passes them on. */
static bool copy_move_reach_us(void)
{
    int major = 0, minor = 0;
    return sscanf(mg_version(), "%d.%d", &major, &minor) == 2 && (major > 1 || (major == 1 && minor >= 16));
}

const char *dav_files_allow(void)
{
    return copy_move_reach_us() ? "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE"
                                : "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL";
}

static const char *allow_of(const fnode *n)
{
    bool moves = copy_move_reach_us();
    return n->id == ROOT_NODE ? "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH"
         : n->coll ? (moves ? "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, COPY, MOVE"
                            : "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH")
                   : (moves ? "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE"
                            : "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH");
}

/* The Content-Type a PUT gave, when it is one line of printable ASCII. */
static void type_of(struct mg_connection *conn, char out[TYPE_MAX + 1])
{
    const char *ty = mg_get_header(conn, "Content-Type");
    size_t n = ty ? strlen(ty) : 0;
    bool fit = n && n <= TYPE_MAX;
    for (size_t i = 0; fit && i < n; i++)
        fit = ty[i] >= 0x20 && ty[i] < 0x7f;
    snprintf(out, TYPE_MAX + 1, "%s", fit ? ty : DEFAULT_TYPE);
}

static int content_put(cl_txn *t, uint64_t node, const char *data, size_t len)
{
    unsigned char key[KEY_NODE];
    node_key('d', node, key);
    return cl_txn_kv_put(t, CL_TAB_DAV, key, sizeof key, data ? data : "", len);
}

struct put_arg {
    freq *r;
    bool created;
    fnode node;
};

static int put_fn(cl_txn *t, void *arg)
{
    struct put_arg *a = arg;
    freq *r = a->r;
    flook l;
    fstats s;
    char etag[ETAG_TEXT];
    r->status = 0;
    int rc = look_up(t, &r->path, &l);
    if (!rc)
        rc = stats_get(t, &s);
    if (rc)
        return rc;
    if (l.found && l.node.coll)
        return r->allow = allow_of(&l.node),
               refuse(r, 405, cl_seterr(CL_EINVAL, "%s is a collection: PUT writes files", r->uri));
    if (!l.found && !l.parent_found)
        return refuse(r, 409, cl_seterr(CL_ENOTFOUND, "no collection to put %s in: make it first (MKCOL)", r->uri));
    if (l.found)
        etag_text(&l.node, etag);
    if (!dav_preconditions_hold(r->conn, l.found ? etag : NULL))
        return refuse(r, 412, cl_seterr(CL_EDENIED, "%s changed since the client read it (ETag), or exists", r->uri));
    fnode n = l.found ? l.node : (fnode){.id = s.next++, .created = cl_now_ms()};
    s.entries += !l.found;
    s.bytes = minus(s.bytes, l.found ? n.size : 0) + r->len;
    unsigned char h[CL_SHA256_LEN];
    cl_sha256(r->body ? r->body : "", r->len, h);
    memcpy(n.etag, h, sizeof n.etag);
    n.modified = cl_now_ms(), n.size = r->len;
    type_of(r->conn, n.type);
    if (!(rc = stats_fit(r, &s)) && !(rc = content_put(t, n.id, r->body, r->len)) &&
        !(rc = entry_put(t, l.parent.id, leaf(&r->path), &n)))
        rc = stats_put(t, &s);
    a->created = !l.found, a->node = n;
    return rc;
}

static int put(freq *r)
{
    struct put_arg a = {.r = r};
    int rc = cl_store_update(r->h->cfg.store, put_fn, &a);
    if (rc)
        return send_refusal(r, rc);
    char etag[ETAG_TEXT];
    etag_text(&a.node, etag);
    return dav_send_text(r->conn, a.created ? 201 : 204, "text/plain; charset=utf-8", etag, "", 0);
}

static int mkcol_fn(cl_txn *t, void *arg)
{
    freq *r = arg;
    flook l;
    fstats s;
    r->status = 0;
    int rc = look_up(t, &r->path, &l);
    if (!rc)
        rc = stats_get(t, &s);
    if (rc)
        return rc;
    if (l.found)
        return r->allow = allow_of(&l.node), refuse(r, 405, cl_seterr(CL_EEXIST, "%s exists already", r->uri));
    if (!l.parent_found)
        return refuse(r, 409, cl_seterr(CL_ENOTFOUND, "no collection to make %s in: make it first", r->uri));
    uint64_t now = cl_now_ms();
    fnode n = {.id = s.next++, .coll = true, .created = now, .modified = now};
    s.entries++;
    if (!(rc = stats_fit(r, &s)) && !(rc = entry_put(t, l.parent.id, leaf(&r->path), &n)))
        rc = stats_put(t, &s);
    return rc;
}

static int mkcol(freq *r)
{
    if (r->len) /* RFC 4918 §9.3: a body the server does not understand */
        return dav_send_msg(r->conn, 415, "MKCOL takes no body here");
    int rc = cl_store_update(r->h->cfg.store, mkcol_fn, r);
    return rc ? send_refusal(r, rc) : dav_send_text(r->conn, 201, "text/plain; charset=utf-8", NULL, "", 0);
}

static int props_size(cl_txn *t, uint64_t node, size_t *n)
{
    unsigned char key[KEY_NODE];
    const void *v;
    node_key('p', node, key);
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, n);
    return rc == CL_ENOTFOUND ? (*n = 0, CL_OK) : rc;
}

/* A node's bytes and properties go, and what they counted. */
static int forget_node(cl_txn *t, const fnode *n, fstats *s)
{
    unsigned char dk[KEY_NODE], pk[KEY_NODE];
    size_t pl;
    int rc = props_size(t, n->id, &pl);
    if (rc)
        return rc;
    s->entries = minus(s->entries, 1);
    s->bytes = minus(s->bytes, n->size + pl);
    node_key('d', n->id, dk);
    node_key('p', n->id, pk);
    rc = cl_txn_kv_del(t, CL_TAB_DAV, dk, sizeof dk);
    return rc ? rc : cl_txn_kv_del(t, CL_TAB_DAV, pk, sizeof pk);
}

/* Node n, named name in parent, and everything in it (depth: its level,
 * bounding the recursion should the table be damaged). */
static int remove_node(cl_txn *t, uint64_t parent, const char *name, const fnode *n, fstats *s, int depth)
{
    if (depth > FILES_MAX_DEPTH)
        return cl_seterr(CL_ECORRUPT, "the DAV folder nests deeper than %d levels", FILES_MAX_DEPTH);
    children c = {0};
    int rc = n->coll ? children_of(t, n->id, &c) : CL_OK;
    for (size_t i = 0; !rc && i < c.n; i++)
        rc = remove_node(t, n->id, c.v[i].name, &c.v[i].node, s, depth + 1);
    free(c.v);
    if (!rc)
        rc = forget_node(t, n, s);
    return rc ? rc : entry_del(t, parent, name);
}

static int delete_fn(cl_txn *t, void *arg)
{
    freq *r = arg;
    flook l;
    fstats s;
    char etag[ETAG_TEXT];
    r->status = 0;
    if (!r->path.n)
        return r->allow = allow_of(&ROOT),
               refuse(r, 405, cl_seterr(CL_EDENIED, "the folder itself cannot be deleted"));
    int rc = look_up(t, &r->path, &l);
    if (!rc && !l.found)
        rc = refuse(r, 404, cl_seterr(CL_ENOTFOUND, "nothing at %s", r->uri));
    if (!rc && !l.node.coll && (etag_text(&l.node, etag), !dav_preconditions_hold(r->conn, etag)))
        rc = refuse(r, 412, cl_seterr(CL_EDENIED, "%s changed since the client read it (ETag)", r->uri));
    if (!rc)
        rc = stats_get(t, &s);
    if (!rc)
        rc = remove_node(t, l.parent.id, leaf(&r->path), &l.node, &s, (int)r->path.n);
    return rc ? rc : stats_put(t, &s);
}

static int delete(freq *r)
{
    int rc = cl_store_update(r->h->cfg.store, delete_fn, r);
    return rc ? send_refusal(r, rc) : dav_send_text(r->conn, 204, "text/plain; charset=utf-8", NULL, "", 0);
}

/* ------------------------------------------------------------ COPY, MOVE */

typedef struct copy_arg {
    freq *r;
    bool move, overwrite, deep;
    fpath dest;
    bool created;
} copy_arg;

/* The Destination header: an absolute URL or path in the folder. */
static int destination(freq *r, fpath *dest)
{
    const char *d = mg_get_header(r->conn, "Destination"), *scheme = d ? strstr(d, "://") : NULL;
    if (!d)
        return refuse(r, 400, cl_seterr(CL_EINVAL, "%s needs a Destination", r->method));
    const char *p = scheme ? strchr(scheme + 3, '/') : d;
    if (!p)
        p = "/";
    char dec[sizeof dest->buf + 16];
    size_t n = strcspn(p, "?#");
    if (mg_url_decode(p, (int)n, dec, (int)sizeof dec, 0) < 0)
        return refuse(r, 414, cl_seterr(CL_EINVAL, "the Destination is too long"));
    if (!dav_files_path(dec))
        return refuse(r, 403, cl_seterr(CL_EDENIED, "%s copies and moves only within " DAV_FILES, r->method));
    return path_parse(r, dec + strlen(DAV_FILES) - 1, dest);
}

/* Whether path a is path b or holds it. */
static bool holds(const fpath *a, const fpath *b)
{
    if (a->n > b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->seg[i], b->seg[i]))
            return false;
    return true;
}

/* Levels of names node n spans: 1 for a file or an empty collection. */
static int height_of(cl_txn *t, const fnode *n, int depth, int *h)
{
    *h = 1;
    if (!n->coll)
        return CL_OK;
    if (depth > FILES_MAX_DEPTH)
        return cl_seterr(CL_ECORRUPT, "the DAV folder nests deeper than %d levels", FILES_MAX_DEPTH);
    children c = {0};
    int rc = children_of(t, n->id, &c);
    for (size_t i = 0; !rc && i < c.n; i++) {
        int hc;
        if (!(rc = height_of(t, &c.v[i].node, depth + 1, &hc)) && hc + 1 > *h)
            *h = hc + 1;
    }
    free(c.v);
    return rc;
}

/* A stored value copied under another node (the source's bytes are read
 * out first: a write may move them). */
static int copy_value(cl_txn *t, char kind, uint64_t from, uint64_t to, size_t *len)
{
    unsigned char fk[KEY_NODE], tk[KEY_NODE];
    const void *v;
    size_t vl;
    node_key(kind, from, fk);
    node_key(kind, to, tk);
    *len = 0;
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, fk, sizeof fk, &v, &vl);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    void *copy = malloc(vl ? vl : 1);
    if (!copy)
        return http_oom();
    memcpy(copy, v, vl);
    rc = cl_txn_kv_put(t, CL_TAB_DAV, tk, sizeof tk, copy, vl);
    free(copy);
    *len = vl;
    return rc;
}

/* A copy of node src named name in parent, with its members when deep: new
 * nodes, the same bytes and dead properties, created now. */
static int copy_node(cl_txn *t, const fnode *src, uint64_t parent, const char *name, bool deep, fstats *s, int depth)
{
    if (depth > FILES_MAX_DEPTH)
        return cl_seterr(CL_ECORRUPT, "the DAV folder nests deeper than %d levels", FILES_MAX_DEPTH);
    fnode n = *src;
    size_t dl = 0, pl = 0;
    n.id = s->next++;
    n.created = n.modified = cl_now_ms();
    int rc = src->coll ? CL_OK : copy_value(t, 'd', src->id, n.id, &dl);
    if (!rc)
        rc = copy_value(t, 'p', src->id, n.id, &pl);
    if (!rc)
        rc = entry_put(t, parent, name, &n);
    s->entries++;
    s->bytes += dl + (rc ? 0 : pl);
    children c = {0};
    if (!rc && deep && src->coll)
        rc = children_of(t, src->id, &c);
    for (size_t i = 0; !rc && i < c.n; i++)
        rc = copy_node(t, &c.v[i].node, n.id, c.v[i].name, true, s, depth + 1);
    free(c.v);
    return rc;
}

/* What must hold before a COPY or MOVE from source l to dest d. */
static int copy_allowed(cl_txn *t, copy_arg *a, const flook *l, const flook *d)
{
    freq *r = a->r;
    int h;
    if (!l->found)
        return refuse(r, 404, cl_seterr(CL_ENOTFOUND, "nothing at %s", r->uri));
    if (!r->path.n)
        return refuse(r, 403, cl_seterr(CL_EDENIED, "the folder itself is neither copied nor moved"));
    if (holds(&r->path, &a->dest) || holds(&a->dest, &r->path))
        return refuse(r, 403, cl_seterr(CL_EDENIED, "the source and the destination are one, or one holds the other"));
    if (!d->parent_found)
        return refuse(r, 409, cl_seterr(CL_ENOTFOUND, "no collection to %s it into: make it first", r->method));
    if (d->found && !a->overwrite)
        return refuse(r, 412, cl_seterr(CL_EEXIST, "the destination exists, and Overwrite is F"));
    int rc = height_of(t, &l->node, 1, &h);
    if (!rc && a->dest.n - 1 + (size_t)(a->deep ? h : 1) > FILES_MAX_DEPTH)
        rc = refuse(r, 403, cl_seterr(CL_EDENIED, "the folder nests at most %d levels", FILES_MAX_DEPTH));
    return rc;
}

static int copy_fn(cl_txn *t, void *arg)
{
    copy_arg *a = arg;
    freq *r = a->r;
    flook l, d = {.found = false};
    fstats s;
    r->status = 0;
    int rc = look_up(t, &r->path, &l);
    if (!rc)
        rc = look_up(t, &a->dest, &d);
    if (!rc)
        rc = copy_allowed(t, a, &l, &d);
    if (!rc)
        rc = stats_get(t, &s);
    /* RFC 4918 §9.8.4, §9.9.3: an overwritten destination is deleted first */
    if (!rc && d.found)
        rc = remove_node(t, d.parent.id, leaf(&a->dest), &d.node, &s, (int)a->dest.n);
    if (!rc && a->move && !(rc = entry_del(t, l.parent.id, leaf(&r->path))))
        rc = entry_put(t, d.parent.id, leaf(&a->dest), &l.node);
    if (!rc && !a->move)
        rc = copy_node(t, &l.node, d.parent.id, leaf(&a->dest), a->deep, &s, (int)a->dest.n);
    if (!rc)
        rc = stats_fit(r, &s);
    a->created = !d.found;
    return rc ? rc : stats_put(t, &s);
}

static int copy_move(freq *r, bool move)
{
    copy_arg a = {.r = r, .move = move};
    const char *o = mg_get_header(r->conn, "Overwrite"), *dh = mg_get_header(r->conn, "Depth");
    int rc = destination(r, &a.dest);
    if (rc)
        return send_refusal(r, rc);
    if (o && strcasecmp(o, "T") && strcasecmp(o, "F"))
        return dav_send_msg(r->conn, 400, "Overwrite is T or F");
    /* a MOVE moves all (RFC 4918 §9.9.2); a COPY of Depth 0 leaves the members */
    if (dh && strcasecmp(dh, "infinity") && (move || strcmp(dh, "0")))
        return dav_send_msg(r->conn, 400, "%s takes a Depth of %s", r->method, move ? "infinity" : "0 or infinity");
    a.overwrite = !o || !strcasecmp(o, "T");
    a.deep = !dh || !strcasecmp(dh, "infinity");
    rc = cl_store_update(r->h->cfg.store, copy_fn, &a);
    return rc ? send_refusal(r, rc)
              : dav_send_text(r->conn, a.created ? 201 : 204, "text/plain; charset=utf-8", NULL, "", 0);
}

/* ------------------------------------------------------------ dispatch */

bool dav_files_path(const char *path)
{
    return !strcmp(path, "/dav/files") || !strncmp(path, DAV_FILES, strlen(DAV_FILES));
}

/* The body, when the request has one: a length, or chunks. */
static int read_body(freq *r)
{
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    bool has = ri->content_length > 0 || (ri->content_length < 0 && mg_get_header(r->conn, "Transfer-Encoding"));
    return has ? dav_read_body(r->conn, &r->body, &r->len) : 0;
}

static int by_method(freq *r)
{
    const char *m = r->method;
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
        return get(r);
    if (!strcmp(m, "PUT"))
        return put(r);
    if (!strcmp(m, "DELETE"))
        return delete(r);
    if (!strcmp(m, "MKCOL"))
        return mkcol(r);
    if (!strcmp(m, "PROPFIND"))
        return propfind(r);
    if (!strcmp(m, "PROPPATCH"))
        return proppatch(r);
    if (!strcmp(m, "COPY") || !strcmp(m, "MOVE"))
        return copy_move(r, !strcmp(m, "MOVE"));
    r->allow = dav_files_allow();
    return send_refusal(r, refuse(r, 405, cl_seterr(CL_EINVAL, "%s is not offered by the folder (no locks)", m)));
}

int dav_files(struct mg_connection *conn, cl_http *h, const char *method, const char *path)
{
    freq *r = calloc(1, sizeof *r);
    if (!r)
        return dav_send_msg(conn, 500, "out of memory");
    *r = (freq){.conn = conn, .h = h, .method = method, .uri = path};
    int st = read_body(r);
    if (!st) {
        int rc = path_parse(r, path + strlen(DAV_FILES) - 1, &r->path);
        st = rc ? send_refusal(r, rc) : by_method(r);
    }
    free(r->body);
    free(r);
    return st;
}
