/* The DAV server (docs/dav.md): the book's contacts and companies as a
 * CardDAV address book, on the page's port, for address books and phones.
 *
 *   /.well-known/carddav, /.well-known/caldav  → /dav/ (RFC 6764)
 *   /dav/                    the principal and its home (PROPFIND)
 *   /dav/contacts/           the address book (PROPFIND, REPORT: sync-collection,
 *                            addressbook-multiget, addressbook-query)
 *   /dav/contacts/NAME.vcf   one card (GET, HEAD, PUT, DELETE; strong ETags)
 *
 * Every request but OPTIONS and the redirects needs an app password (HTTP
 * Basic, dav_auth.c): DAV clients cannot send the page's CSRF token, and the
 * Host check stays. A PUT is an ordinary write through the model
 * (cl_vcard_put): only the fields that changed become ops, so they merge per
 * field with other devices' edits. What a client named and gave that the book
 * does not model — a card's resource name and UID — is kept for it in the
 * dav table (local to this folder, docs/storage.md).
 *
 * XML is written here with a small escaper (the answers are multistatus
 * lists of a dozen known elements); requests are read with expat
 * (dav_xml.c). */
#include "http/dav.h"
#include "http/dav_xml.h"

#include "clientele/codec.h"

#include <mbedtls/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_CS "http://calendarserver.org/ns/"  /* getctag */
#define NAME_MAX_LEN 255          /* a resource's name, bytes */
#define ETAG_LEN (2 + 32)         /* "…" around 16 bytes of SHA-256 in hex */

enum dav_kind_of { R_ROOT, R_BOOK, R_CARD };

/* ------------------------------------------------------------ answers */

static int send_text(struct mg_connection *conn, int status, const char *type, const char *etag,
                     const char *body, size_t len)
{
    char lenbuf[32];
    snprintf(lenbuf, sizeof lenbuf, "%zu", len);
    mg_response_header_start(conn, status);
    mg_response_header_add(conn, "Content-Type", type, -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "Content-Length", lenbuf, -1);
    if (etag)
        mg_response_header_add(conn, "ETag", etag, -1);
    if (status == 401)
        mg_response_header_add(conn, "WWW-Authenticate", "Basic realm=\"clientele\", charset=\"UTF-8\"", -1);
    mg_response_header_send(conn);
    if (len && strcmp(mg_get_request_info(conn)->request_method, "HEAD"))
        mg_write(conn, body, len);
    return status;
}

static int send_msg(struct mg_connection *conn, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int send_msg(struct mg_connection *conn, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    n = n < 0 ? 0 : n > (int)sizeof msg - 2 ? (int)sizeof msg - 2 : n;
    msg[n++] = '\n';
    return send_text(conn, status, "text/plain; charset=utf-8", NULL, msg, (size_t)n);
}

static int send_cl_error(struct mg_connection *conn, int rc)
{
    return send_msg(conn, http_status_of(rc), "%s", *cl_errmsg() ? cl_errmsg() : cl_errname(rc));
}

/* A precondition the request broke, in the body RFC 4918 §16 names. */
static int send_condition(struct mg_connection *conn, int status, const char *ns, const char *what)
{
    char body[384];
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:c=\"%s\"><c:%s/></d:error>\n",
                     ns, what);
    return send_text(conn, status, "application/xml; charset=utf-8", NULL, body, (size_t)n);
}

/* Text for XML: & < > " escaped. */
static int put_xml(cl_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *e = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : s[i] == '"' ? "&quot;" : NULL;
        if (e ? cl_buf_puts(b, e) : cl_buf_put_u8(b, (uint8_t)s[i]))
            return http_oom();
    }
    return CL_OK;
}

/* A path segment as an href writes it: unreserved bytes as they are, the
 * others %XX. */
static int put_segment(cl_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~@+", c);
        if (plain ? cl_buf_put_u8(b, c) : cl_buf_printf(b, "%%%02X", c))
            return http_oom();
    }
    return CL_OK;
}

/* ------------------------------------------------------------ the cards */

/* dav table keys: "n" · name → record id; "r" · record id → name · NUL · UID */
static size_t name_key(const char *name, unsigned char *key)
{
    size_t n = strlen(name);
    key[0] = 'n';
    memcpy(key + 1, name, n);
    return n + 1;
}

static void record_key(const cl_record_id *id, unsigned char key[1 + CL_RECORD_ID_LEN])
{
    key[0] = 'r';
    memcpy(key + 1, id->b, CL_RECORD_ID_LEN);
}

/* A card as its client named it and the UID it gave; else ID.vcf and the id. */
typedef struct card_names {
    char name[NAME_MAX_LEN + 1];
    char uid[NAME_MAX_LEN + 1];   /* "" when it is the record id */
} card_names;

static void names_of(cl_txn *t, const cl_record_id *id, card_names *cn)
{
    unsigned char key[1 + CL_RECORD_ID_LEN];
    const void *v;
    size_t vl;
    record_key(id, key);
    cn->uid[0] = 0;
    if (!cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl) && vl) {
        const char *s = v, *nul = memchr(s, 0, vl);
        size_t nl = nul ? (size_t)(nul - s) : vl, ul = nul ? vl - nl - 1 : 0;
        if (nl && nl <= NAME_MAX_LEN && ul <= NAME_MAX_LEN) {
            memcpy(cn->name, s, nl), cn->name[nl] = 0;
            memcpy(cn->uid, nul ? nul + 1 : "", ul), cn->uid[ul] = 0;
            return;
        }
    }
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(id, text);
    snprintf(cn->name, sizeof cn->name, "%s.vcf", text);
}

/* The record a card's name stands for: the one its client created under
 * it, else ID.vcf. CL_ENOTFOUND when neither. */
static int card_by_name(cl_txn *t, const char *name, cl_record_id *id)
{
    unsigned char key[1 + NAME_MAX_LEN];
    const void *v;
    size_t vl, n = strlen(name);
    int rc = cl_txn_kv_get(t, CL_TAB_DAV, key, name_key(name, key), &v, &vl);
    if (rc != CL_ENOTFOUND) {
        if (!rc && vl == CL_RECORD_ID_LEN)
            memcpy(id->b, v, CL_RECORD_ID_LEN);
        return rc ? rc : vl == CL_RECORD_ID_LEN ? CL_OK : cl_seterr(CL_ECORRUPT, "the DAV name %s is damaged", name);
    }
    char text[CL_RECORD_ID_TEXT];
    if (n != CL_RECORD_ID_TEXT - 1 + 4 || strcmp(name + n - 4, ".vcf"))
        return CL_ENOTFOUND;
    snprintf(text, sizeof text, "%.*s", (int)(n - 4), name);
    return cl_record_id_parse(text, id) ? CL_ENOTFOUND : CL_OK;
}

/* A live contact or company of the book. */
static bool is_card(cl_txn *t, const cl_record_id *id)
{
    cl_record_meta m;
    return !cl_txn_record(t, id, &m) && !m.deleted && (m.type == CL_T_CONTACT || m.type == CL_T_COMPANY);
}

/* The card's text and its strong ETag: SHA-256 of that text, so it changes
 * exactly when what the client would read does (a company renamed changes
 * its people's cards too). */
typedef struct card {
    char *text;
    size_t len;
    char etag[ETAG_LEN + 1];
} card;

static int card_load(cl_txn *t, const cl_record_id *id, card *c)
{
    cl_record *r;
    card_names cn;
    names_of(t, id, &cn);
    int rc = cl_record_load(t, id, &r);
    if (rc)
        return rc;
    rc = cl_vcard_card(t, r, cn.uid[0] ? cn.uid : NULL, &c->text, &c->len);
    cl_record_free(r);
    if (rc)
        return rc;
    unsigned char h[CL_SHA256_LEN];
    cl_sha256(c->text, c->len, h);
    c->etag[0] = '"';
    for (int i = 0; i < 16; i++)
        snprintf(c->etag + 1 + 2 * i, 3, "%02x", h[i]);
    c->etag[ETAG_LEN - 1] = '"';
    c->etag[ETAG_LEN] = 0;
    return CL_OK;
}

/* ------------------------------------------------------------ properties */

typedef struct prop_ctx {
    cl_txn *t;
    cl_buf *b;
    const char *token;           /* the book's sync token now */
    const cl_record_id *id;      /* R_CARD */
    card *c;                     /* R_CARD, loaded on first need */
} prop_ctx;

static const char *prefix_of(const char *ns)
{
    return !strcmp(ns, DAV_NS) ? "d" : !strcmp(ns, DAV_NS_CARDDAV) ? "card" : !strcmp(ns, DAV_NS_CALDAV) ? "cal"
         : !strcmp(ns, NS_CS)  ? "cs" : NULL;
}

/* <p:name> (or with its namespace declared when it is not one of ours) */
static int open_prop(cl_buf *b, const dav_prop *p, bool empty)
{
    const char *px = prefix_of(p->ns);
    int rc = px ? cl_buf_printf(b, "<%s:%s", px, p->name) : cl_buf_printf(b, "<x:%s xmlns:x=\"", p->name);
    if (!rc && !px)
        rc = put_xml(b, p->ns, strlen(p->ns)) || cl_buf_put_u8(b, '"');
    return rc || cl_buf_puts(b, empty ? "/>" : ">") ? http_oom() : CL_OK;
}

static int close_prop(cl_buf *b, const dav_prop *p)
{
    const char *px = prefix_of(p->ns);
    return cl_buf_printf(b, "</%s:%s>", px ? px : "x", p->name) ? http_oom() : CL_OK;
}

static int card_needed(prop_ctx *c)
{
    return c->c->text ? CL_OK : card_load(c->t, c->id, c->c);
}

/* The value of a property we know, written into c->b; CL_ENOTFOUND when the
 * resource has no such property. */
static int prop_value(prop_ctx *c, enum dav_kind_of kind, const dav_prop *p)
{
    cl_buf *b = c->b;
    const char *n = p->name;
    bool dav = !strcmp(p->ns, DAV_NS), cardns = !strcmp(p->ns, DAV_NS_CARDDAV), cs = !strcmp(p->ns, NS_CS);
    const char *v = NULL;  /* inner XML, written as it is */
    char tmp[160];
    int rc;
    if (dav && !strcmp(n, "resourcetype"))
        v = kind == R_ROOT ? "<d:collection/><d:principal/>" : kind == R_BOOK ? "<d:collection/><card:addressbook/>" : "";
    else if (dav && !strcmp(n, "displayname") && kind != R_CARD)
        v = kind == R_ROOT ? "clientele" : "Clients (clientele)";
    else if (dav && (!strcmp(n, "current-user-principal") || !strcmp(n, "principal-URL") || !strcmp(n, "owner")))
        v = "<d:href>" DAV_ROOT "</d:href>";
    else if (cardns && !strcmp(n, "addressbook-home-set"))
        v = "<d:href>" DAV_ROOT "</d:href>";
    else if (dav && !strcmp(n, "current-user-privilege-set"))
        v = kind == R_ROOT ? "<d:privilege><d:read/></d:privilege>"
                           : "<d:privilege><d:read/></d:privilege><d:privilege><d:write/></d:privilege>"
                             "<d:privilege><d:write-content/></d:privilege><d:privilege><d:bind/></d:privilege>"
                             "<d:privilege><d:unbind/></d:privilege>";
    else if (dav && !strcmp(n, "supported-report-set") && kind == R_BOOK)
        v = "<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>"
            "<d:supported-report><d:report><card:addressbook-multiget/></d:report></d:supported-report>"
            "<d:supported-report><d:report><card:addressbook-query/></d:report></d:supported-report>";
    else if (((dav && !strcmp(n, "sync-token")) || (cs && !strcmp(n, "getctag"))) && kind == R_BOOK)
        v = c->token;
    else if (cardns && !strcmp(n, "supported-address-data") && kind == R_BOOK)
        v = "<card:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>";
    else if (cardns && !strcmp(n, "max-resource-size") && kind == R_BOOK)
        snprintf(tmp, sizeof tmp, "%d", HTTP_MAX_BODY), v = tmp;
    else if (kind == R_CARD && dav && !strcmp(n, "getcontenttype"))
        v = "text/vcard; charset=utf-8";
    else if (kind == R_CARD && dav && (!strcmp(n, "getetag") || !strcmp(n, "getcontentlength"))) {
        if ((rc = card_needed(c)))
            return rc;
        if (!strcmp(n, "getcontentlength"))
            snprintf(tmp, sizeof tmp, "%zu", c->c->len), v = tmp;
        else if ((rc = open_prop(b, p, false)) || (rc = put_xml(b, c->c->etag, strlen(c->c->etag))))
            return rc;
        else
            return close_prop(b, p);
    }
    else if (kind == R_CARD && cardns && !strcmp(n, "address-data")) {
        if ((rc = card_needed(c)) || (rc = open_prop(b, p, false)) || (rc = put_xml(b, c->c->text, c->c->len)))
            return rc;
        return close_prop(b, p);
    }
    if (!v)
        return CL_ENOTFOUND;
    if (!*v)
        return open_prop(b, p, true);
    if ((rc = open_prop(b, p, false)))
        return rc;
    return cl_buf_puts(b, v) ? http_oom() : close_prop(b, p);
}

/* What allprop answers (RFC 4918 §9.1: the live properties; the card's
 * data only when asked). */
static const dav_prop ALLPROP[] = {
    {DAV_NS, "resourcetype"}, {DAV_NS, "displayname"}, {DAV_NS, "getetag"}, {DAV_NS, "getcontenttype"},
    {DAV_NS, "getcontentlength"}, {DAV_NS, "sync-token"}, {NS_CS, "getctag"},
};

/* One <d:response>: href, the properties found (200) and those not (404). */
static int response(prop_ctx *c, enum dav_kind_of kind, const char *href_dir, const char *name,
                    const dav_request *q)
{
    cl_buf *b = c->b;
    bool names_only = q->want == DAV_WANT_PROPNAME, all = q->want == DAV_WANT_ALLPROP;
    const dav_prop *props = all || names_only ? ALLPROP : q->props;
    size_t n = all || names_only ? sizeof ALLPROP / sizeof *ALLPROP : q->nprops;
    if (cl_buf_printf(b, "<d:response><d:href>%s", href_dir) || (name && put_segment(b, name)) ||
        cl_buf_puts(b, "</d:href><d:propstat><d:prop>"))
        return http_oom();
    bool *missing = n ? calloc(n, sizeof *missing) : NULL;
    size_t nmissing = 0;
    int rc = n && !missing ? http_oom() : CL_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t mark = b->len;
        rc = prop_value(c, kind, &props[i]);
        if (!rc && names_only) /* the names, not the values */
            b->len = mark, rc = open_prop(b, &props[i], true);
        if (rc == CL_ENOTFOUND) {
            b->len = mark, rc = CL_OK;
            if (!all && !names_only)
                missing[i] = true, nmissing++;
        }
    }
    if (!rc && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"))
        rc = http_oom();
    if (!rc && nmissing) {
        rc = cl_buf_puts(b, "<d:propstat><d:prop>") ? http_oom() : CL_OK;
        for (size_t i = 0; !rc && i < n; i++)
            if (missing[i])
                rc = open_prop(b, &props[i], true);
        if (!rc && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"))
            rc = http_oom();
    }
    free(missing);
    if (!rc && cl_buf_puts(b, "</d:response>"))
        rc = http_oom();
    return rc;
}

static int gone(cl_buf *b, const char *name)
{
    return cl_buf_puts(b, "<d:response><d:href>" DAV_BOOK) || put_segment(b, name) ||
                   cl_buf_puts(b, "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>")
               ? http_oom() : CL_OK;
}

static int card_response(prop_ctx *c, const cl_record_id *id, const dav_request *q)
{
    card_names cn;
    card cd = {0};
    names_of(c->t, id, &cn);
    c->id = id, c->c = &cd;
    int rc = response(c, R_CARD, DAV_BOOK, cn.name, q);
    free(cd.text);
    c->id = NULL, c->c = NULL;
    return rc;
}

static int ms_begin(cl_buf *b)
{
    return cl_buf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"" DAV_NS
                          "\" xmlns:card=\"" DAV_NS_CARDDAV "\" xmlns:cal=\"" DAV_NS_CALDAV "\" xmlns:cs=\"" NS_CS "\">")
               ? http_oom() : CL_OK;
}

static int send_multistatus(struct mg_connection *conn, int rc, cl_buf *b)
{
    if (!rc && cl_buf_puts(b, "</d:multistatus>\n"))
        rc = http_oom();
    int st = rc ? send_cl_error(conn, rc)
                : send_text(conn, 207, "application/xml; charset=utf-8", NULL, (const char *)b->data, b->len);
    cl_buf_free(b);
    return st;
}

/* ------------------------------------------------------------ requests */

typedef struct dav_req {
    struct mg_connection *conn;
    cl_http *h;
    const char *method;
    enum dav_kind_of kind;
    char name[NAME_MAX_LEN + 1];    /* R_CARD: the resource's name */
    char *body;
    size_t len;
} dav_req;

/* The resource a path names: /dav/, /dav/contacts/, /dav/contacts/NAME
 * (with or without the collections' final slash). */
static int resolve(const char *path, dav_req *r)
{
    size_t bl = strlen(DAV_BOOK);
    if (!strcmp(path, DAV_ROOT) || !strcmp(path, "/dav"))
        return r->kind = R_ROOT, CL_OK;
    if (!strcmp(path, DAV_BOOK) || !strcmp(path, "/dav/contacts"))
        return r->kind = R_BOOK, CL_OK;
    if (strncmp(path, DAV_BOOK, bl))
        return CL_ENOTFOUND;
    const char *name = path + bl;
    size_t n = strlen(name);
    if (n < 5 || n > NAME_MAX_LEN || strchr(name, '/') || !cl_name_valid(name, n) || strcasecmp(name + n - 4, ".vcf"))
        return CL_ENOTFOUND;
    memcpy(r->name, name, n + 1);
    return r->kind = R_CARD, CL_OK;
}

/* "user:password" of HTTP Basic, checked against the app passwords. */
static bool authorized(cl_http *h, struct mg_connection *conn)
{
    const char *a = mg_get_header(conn, "Authorization");
    unsigned char dec[256];
    size_t n;
    if (!a || strncasecmp(a, "Basic ", 6))
        return false;
    a += 6;
    while (*a == ' ')
        a++;
    if (mbedtls_base64_decode(dec, sizeof dec - 1, &n, (const unsigned char *)a, strlen(a)))
        return false;
    dec[n] = 0;
    unsigned char *colon = memchr(dec, ':', n);
    if (!colon)
        return false;
    *colon = 0;
    cl_txn *t;
    if (cl_store_read(h->cfg.store, &t))
        return false;
    bool ok = dav_password_ok(t, (const char *)dec, (const char *)colon + 1, n - (size_t)(colon + 1 - dec));
    cl_txn_end(t);
    return ok;
}

/* The book's token now, kept so a client can give it back. */
static int token_now(cl_http *h, cl_txn *t, char token[DAV_TOKEN_MAX])
{
    dav_token tok;
    int rc = dav_token_take(t, &tok);
    if (!rc)
        rc = dav_token_keep(h->cfg.store, &tok);
    if (!rc)
        dav_token_text(&tok, token);
    dav_token_free(&tok);
    return rc;
}

static int depth(struct mg_connection *conn)
{
    const char *d = mg_get_header(conn, "Depth");
    return d && !strcmp(d, "0") ? 0 : 1; /* "infinity" is answered as 1: the tree is two levels deep */
}

struct list_ctx {
    prop_ctx *pc;
    const dav_request *q;
};

static int list_step(void *arg, const cl_record_id *id)
{
    struct list_ctx *l = arg;
    return card_response(l->pc, id, l->q);
}

static int every_card(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    int rc = cl_query_list(t, CL_T_CONTACT, NULL, NULL, 0, fn, ctx, NULL);
    return rc ? rc : cl_query_list(t, CL_T_COMPANY, NULL, NULL, 0, fn, ctx, NULL);
}

static int propfind(dav_req *r)
{
    dav_request q;
    int rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return send_cl_error(r->conn, rc);
    if (q.kind != DAV_PROPFIND) {
        dav_request_free(&q);
        return send_msg(r->conn, 400, "PROPFIND needs a <propfind> body");
    }
    cl_buf b = {0};
    char token[DAV_TOKEN_MAX];
    cl_txn *t;
    cl_record_id id;
    if (!(rc = cl_store_read(r->h->cfg.store, &t))) {
        prop_ctx pc = {.t = t, .b = &b, .token = token};
        struct list_ctx l = {&pc, &q};
        bool deep = depth(r->conn) > 0;
        rc = token_now(r->h, t, token);
        if (!rc && r->kind == R_CARD && (card_by_name(t, r->name, &id) || !is_card(t, &id)))
            rc = cl_seterr(CL_ENOTFOUND, "no card %s here", r->name);
        if (!rc)
            rc = ms_begin(&b);
        if (!rc && r->kind == R_CARD)
            rc = card_response(&pc, &id, &q);
        if (!rc && r->kind == R_ROOT)
            rc = response(&pc, R_ROOT, DAV_ROOT, NULL, &q);
        if (!rc && ((r->kind == R_ROOT && deep) || r->kind == R_BOOK))
            rc = response(&pc, R_BOOK, DAV_BOOK, NULL, &q);
        if (!rc && r->kind == R_BOOK && deep)
            rc = every_card(t, list_step, &l);
        cl_txn_end(t);
    }
    dav_request_free(&q);
    return send_multistatus(r->conn, rc, &b);
}

/* ----- REPORT ----- */

struct sync_ctx {
    prop_ctx *pc;
    const dav_request *q;
};

static int sync_step(void *arg, const cl_record_id *id)
{
    struct sync_ctx *s = arg;
    if (is_card(s->pc->t, id))
        return card_response(s->pc, id, s->q);
    card_names cn;
    names_of(s->pc->t, id, &cn);
    return gone(s->pc->b, cn.name);
}

/* The name in an href of this book ("/dav/contacts/x.vcf", or a full URL). */
static const char *href_name(const char *href, char *out, size_t cap)
{
    const char *p = strstr(href, DAV_BOOK);
    if (!p)
        return NULL;
    if (mg_url_decode(p + strlen(DAV_BOOK), (int)strlen(p + strlen(DAV_BOOK)), out, (int)cap, 0) < 0)
        return NULL;
    return *out && !strchr(out, '/') ? out : NULL;
}

static int multiget(prop_ctx *pc, const dav_request *q)
{
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < q->nhrefs; i++) {
        char name[NAME_MAX_LEN + 1];
        cl_record_id id;
        const char *nm = href_name(q->hrefs[i], name, sizeof name);
        if (nm && !card_by_name(pc->t, nm, &id) && is_card(pc->t, &id))
            rc = card_response(pc, &id, q);
        else if (cl_buf_puts(pc->b, "<d:response><d:href>") || put_xml(pc->b, q->hrefs[i], strlen(q->hrefs[i])) ||
                 cl_buf_puts(pc->b, "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>"))
            rc = http_oom();
    }
    return rc;
}

static int report(dav_req *r)
{
    if (r->kind != R_BOOK)
        return send_condition(r->conn, 403, DAV_NS, "supported-report");
    dav_request q;
    int rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return send_cl_error(r->conn, rc);
    if (q.kind == DAV_PROPFIND || q.kind == DAV_PROPPATCH || (q.kind == DAV_QUERY && q.comp[0])) {
        dav_request_free(&q);
        return send_condition(r->conn, 403, DAV_NS, "supported-report");
    }
    cl_buf b = {0};
    char token[DAV_TOKEN_MAX];
    cl_txn *t;
    bool bad_token = false;
    if (!(rc = cl_store_read(r->h->cfg.store, &t))) {
        prop_ctx pc = {.t = t, .b = &b, .token = token};
        struct sync_ctx s = {&pc, &q};
        rc = token_now(r->h, t, token);
        if (!rc)
            rc = ms_begin(&b);
        if (!rc && q.kind == DAV_SYNC_COLLECTION) {
            rc = q.sync_token[0] ? dav_changed_since(t, q.sync_token, sync_step, &s) : every_card(t, sync_step, &s);
            bad_token = rc == CL_EINVAL;
            if (!rc && (cl_buf_puts(&b, "<d:sync-token>") || put_xml(&b, token, strlen(token)) ||
                        cl_buf_puts(&b, "</d:sync-token>")))
                rc = http_oom();
        }
        else if (!rc && q.kind == DAV_MULTIGET)
            rc = multiget(&pc, &q);
        else if (!rc) /* addressbook-query: every card (its filters are not applied, docs/dav.md) */
            rc = every_card(t, list_step, &(struct list_ctx){&pc, &q});
        cl_txn_end(t);
    }
    dav_request_free(&q);
    if (bad_token) {
        cl_buf_free(&b);
        return send_condition(r->conn, 403, DAV_NS, "valid-sync-token");
    }
    return send_multistatus(r->conn, rc, &b);
}

/* ----- one card: GET, PUT, DELETE ----- */

/* If-Match / If-None-Match against the card's ETag now (NULL: no card). */
static bool preconditions_hold(struct mg_connection *conn, const char *etag)
{
    const char *m = mg_get_header(conn, "If-Match"), *nm = mg_get_header(conn, "If-None-Match");
    if (m && (!etag || (strcmp(m, "*") && !strstr(m, etag))))
        return false;
    if (nm && etag && (!strcmp(nm, "*") || strstr(nm, etag)))
        return false;
    return true;
}

static int get_card(dav_req *r)
{
    cl_txn *t;
    cl_record_id id;
    card c = {0};
    int rc = cl_store_read(r->h->cfg.store, &t);
    if (rc)
        return send_cl_error(r->conn, rc);
    rc = card_by_name(t, r->name, &id);
    if (!rc && !is_card(t, &id))
        rc = CL_ENOTFOUND;
    if (!rc)
        rc = card_load(t, &id, &c);
    cl_txn_end(t);
    int st = rc == CL_ENOTFOUND ? send_msg(r->conn, 404, "no card %s here", r->name)
           : rc                 ? send_cl_error(r->conn, rc)
                                : send_text(r->conn, 200, "text/vcard; charset=utf-8", c.etag, c.text, c.len);
    free(c.text);
    return st;
}

struct put_arg {
    dav_req *r;
    bool created, failed_precondition;
    card after;
};

/* The name and UID a client gave a card it created are kept for it. */
static int keep_names(cl_txn *t, const char *name, const cl_record_id *id, const char *uid)
{
    unsigned char nk[1 + NAME_MAX_LEN], rk[1 + CL_RECORD_ID_LEN];
    cl_buf v = {0};
    record_key(id, rk);
    int rc = cl_txn_kv_put(t, CL_TAB_DAV, nk, name_key(name, nk), id->b, CL_RECORD_ID_LEN);
    if (!rc && (cl_buf_puts(&v, name) || cl_buf_put_u8(&v, 0) || cl_buf_puts(&v, uid ? uid : "")))
        rc = http_oom();
    if (!rc)
        rc = cl_txn_kv_put(t, CL_TAB_DAV, rk, sizeof rk, v.data, v.len);
    cl_buf_free(&v);
    return rc;
}

static int put_fn(cl_txn *t, void *arg)
{
    struct put_arg *a = arg;
    dav_req *r = a->r;
    cl_record_id id;
    card before = {0};
    free(a->after.text);
    memset(&a->after, 0, sizeof a->after);
    int rc = card_by_name(t, r->name, &id);
    bool here = !rc && is_card(t, &id), named = !rc;
    if (rc == CL_ENOTFOUND)
        rc = cl_record_id_new(&id);
    if (!rc && here)
        rc = card_load(t, &id, &before);
    if (rc)
        return rc;
    a->created = !here;
    bool ok = preconditions_hold(r->conn, here ? before.etag : NULL);
    free(before.text);
    if (!ok)
        return a->failed_precondition = true, CL_EDENIED;
    uint8_t type;
    char *uid = NULL;
    card_names cn;
    names_of(t, &id, &cn);
    rc = cl_vcard_put(t, &id, r->body, r->len, &type, &uid);
    /* the client's name and UID, unless they are what the book would say */
    bool own_name = named && !strcmp(cn.name, r->name);
    if (!rc && (!own_name || (uid && strcmp(uid, cn.uid)) || (!uid && cn.uid[0])))
        rc = keep_names(t, r->name, &id, uid);
    free(uid);
    return rc ? rc : card_load(t, &id, &a->after);
}

static int put_card(dav_req *r)
{
    struct put_arg a = {.r = r};
    int rc = cl_store_update(r->h->cfg.store, put_fn, &a);
    if (a.failed_precondition) {
        free(a.after.text);
        return send_msg(r->conn, 412, "the card changed since the client read it (ETag), or exists already");
    }
    if (rc) {
        free(a.after.text);
        return rc == CL_EINVAL ? send_condition(r->conn, 400, DAV_NS_CARDDAV, "valid-address-data") : send_cl_error(r->conn, rc);
    }
    /* the ETag only when the card stored is byte for byte the one sent
     * (RFC 6352 §6.3.2.3): else the client fetches what the book made of it */
    bool same = a.after.len == r->len && !memcmp(a.after.text, r->body, r->len);
    int st = send_text(r->conn, a.created ? 201 : 204, "text/plain; charset=utf-8", same ? a.after.etag : NULL, "", 0);
    free(a.after.text);
    return st;
}

struct delete_arg {
    dav_req *r;
    bool failed_precondition;
};

static int delete_fn(cl_txn *t, void *arg)
{
    struct delete_arg *a = arg;
    cl_record_id id;
    card c = {0};
    int rc = card_by_name(t, a->r->name, &id);
    if (!rc && !is_card(t, &id))
        rc = CL_ENOTFOUND;
    if (!rc)
        rc = card_load(t, &id, &c);
    if (!rc && !preconditions_hold(a->r->conn, c.etag))
        a->failed_precondition = true, rc = CL_EDENIED;
    free(c.text);
    return rc ? rc : cl_record_delete_in(t, &id);
}

static int delete_card(dav_req *r)
{
    struct delete_arg a = {r, false};
    int rc = cl_store_update(r->h->cfg.store, delete_fn, &a);
    if (a.failed_precondition)
        return send_msg(r->conn, 412, "the card changed since the client read it (ETag)");
    if (rc == CL_ENOTFOUND)
        return send_msg(r->conn, 404, "no card %s here", r->name);
    return rc ? send_cl_error(r->conn, rc) : send_text(r->conn, 204, "text/plain; charset=utf-8", NULL, "", 0);
}

/* ------------------------------------------------------------ dispatch */

bool http_dav_path(const char *path)
{
    return !strcmp(path, "/dav") || !strncmp(path, DAV_ROOT, strlen(DAV_ROOT)) ||
           !strncmp(path, "/.well-known/carddav", 20) || !strncmp(path, "/.well-known/caldav", 19);
}

static int options(struct mg_connection *conn)
{
    mg_response_header_start(conn, 200);
    mg_response_header_add(conn, "DAV", "1, 3, addressbook", -1);
    mg_response_header_add(conn, "Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT", -1);
    mg_response_header_add(conn, "Content-Length", "0", -1);
    mg_response_header_send(conn);
    return 200;
}

static int on_collection(dav_req *r)
{
    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
        return send_msg(r->conn, 200, "clientele's DAV server: connect an address book to http://HOST:PORT/dav/ (docs/dav.md)");
    return send_msg(r->conn, 405, "%s is not allowed on a collection", r->method);
}

int http_dav(struct mg_connection *conn, cl_http *h, const char *method, const char *path)
{
    if (!strncmp(path, "/.well-known/", 13)) {
        mg_response_header_start(conn, 301);
        mg_response_header_add(conn, "Location", DAV_ROOT, -1);
        mg_response_header_add(conn, "Content-Length", "0", -1);
        mg_response_header_send(conn);
        return 301;
    }
    if (!strcmp(method, "OPTIONS"))
        return options(conn);
    if (!authorized(h, conn))
        return send_msg(conn, 401, "a DAV client logs in with the name and password 'clientele dav add NAME' gave");
    dav_req r = {.conn = conn, .h = h, .method = method};
    if (resolve(path, &r))
        return send_msg(conn, 404, "nothing at %s", path);
    bool reads_body = !strcmp(method, "PROPFIND") || !strcmp(method, "REPORT") || !strcmp(method, "PUT");
    int st = reads_body ? http_read_body(conn, &r.body, &r.len) : 0;
    if (st)
        return st;
    if (!strcmp(method, "PROPFIND"))
        st = propfind(&r);
    else if (!strcmp(method, "REPORT"))
        st = report(&r);
    else if (r.kind != R_CARD)
        st = on_collection(&r);
    else if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
        st = get_card(&r);
    else if (!strcmp(method, "PUT"))
        st = put_card(&r);
    else if (!strcmp(method, "DELETE"))
        st = delete_card(&r);
    else
        st = send_msg(conn, 405, "%s is not allowed on a card", method);
    free(r.body);
    return st;
}
