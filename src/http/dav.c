/* The DAV server (docs/dav.md), on the page's port, for address books,
 * calendars and phones: three collections of the book's records.
 *
 *   /.well-known/carddav, /.well-known/caldav  → /dav/ (RFC 6764)
 *   /dav/                  the principal, its address-book and calendar home
 *   /dav/contacts/         CardDAV: contacts and companies, NAME.vcf
 *   /dav/tasks/            CalDAV: the follow-up tasks, NAME.ics (VTODO)
 *   /dav/dates/            CalDAV, read-only: birthdays, anniversaries,
 *                          promised-by and close dates, ID-KIND.ics (VEVENT)
 *   /dav/files/            a plain WebDAV folder, not the book's (dav_files.c)
 *
 * A collection is a row of COLLS: which records its items come from, how an
 * item is written (the codec's vCard or iCalendar) and, unless read-only,
 * how a client's PUT is stored. Items have strong ETags (SHA-256 of their
 * text); If-Match / If-None-Match are checked in the write transaction. A
 * PUT is an ordinary write through the model: only the fields that changed
 * become ops, so they merge per field with other devices' edits. What a
 * client named and gave that the book does not model — a resource's name
 * and UID — is kept for it in the dav table (local to this folder,
 * docs/storage.md).
 *
 * Every request but OPTIONS and the redirects needs an app password (HTTP
 * Basic, dav_auth.c): DAV clients cannot send the page's CSRF token, and the
 * Host check stays. XML is written here with a small escaper (multistatus
 * lists of a few dozen known elements); requests are read with expat
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
#define XML_NS "http://www.w3.org/XML/1998/namespace"
#define NAME_MAX_LEN 255          /* a resource's name, bytes */
#define ETAG_LEN (2 + 32)         /* "…" around 16 bytes of SHA-256 in hex */

enum dav_kind_of { R_ROOT, R_COLL, R_ITEM };

/* ------------------------------------------------------------ answers */

int dav_send(struct mg_connection *conn, int status, const char *const *headers, const char *body, size_t len)
{
    char lenbuf[32];
    snprintf(lenbuf, sizeof lenbuf, "%zu", len);
    /* civetweb takes anything written, a 100 Continue too, for the answer
     * begun, and then refuses its header calls: the head is written as they
     * would have written it */
    bool raw = mg_response_header_start(conn, status) != 0;
    if (raw)
        mg_printf(conn, "HTTP/1.1 %d %s\r\n", status, mg_get_response_code_text(conn, status));
    for (size_t i = 0; headers[i]; i += 2)
        if (raw)
            mg_printf(conn, "%s: %s\r\n", headers[i], headers[i + 1]);
        else
            mg_response_header_add(conn, headers[i], headers[i + 1], -1);
    if (raw) {
        mg_printf(conn, "Content-Length: %s\r\n\r\n", lenbuf);
    }
    else {
        mg_response_header_add(conn, "Content-Length", lenbuf, -1);
        mg_response_header_send(conn);
    }
    if (len && strcmp(mg_get_request_info(conn)->request_method, "HEAD"))
        mg_write(conn, body, len);
    return status;
}

int dav_send_text(struct mg_connection *conn, int status, const char *type, const char *etag, const char *body,
                  size_t len)
{
    const char *h[10] = {"Content-Type", type, "Cache-Control", "no-store"};
    size_t n = 4;
    if (etag)
        h[n++] = "ETag", h[n++] = etag;
    if (status == 401)
        h[n++] = "WWW-Authenticate", h[n++] = "Basic realm=\"clientele\", charset=\"UTF-8\"";
    return dav_send(conn, status, h, body, len);
}

int dav_read_body(struct mg_connection *conn, char **body, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *expect = mg_get_header(conn, "Expect");
    /* civetweb answers Expect: 100-continue only in its own file handlers;
     * not when the body is refused unread (413), nor when its length is
     * unknown (a chunked body past the bound is refused after reading) */
    if (expect && !strcasecmp(expect, "100-continue") && ri->content_length > 0 &&
        ri->content_length <= HTTP_MAX_BODY && !strcmp(ri->http_version, "1.1"))
        mg_printf(conn, "HTTP/1.1 100 Continue\r\n\r\n");
    return http_read_body(conn, body, len);
}

int dav_send_msg(struct mg_connection *conn, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    n = n < 0 ? 0 : n > (int)sizeof msg - 2 ? (int)sizeof msg - 2 : n;
    msg[n++] = '\n';
    return dav_send_text(conn, status, "text/plain; charset=utf-8", NULL, msg, (size_t)n);
}

int dav_send_error(struct mg_connection *conn, int rc)
{
    return dav_send_msg(conn, http_status_of(rc), "%s", *cl_errmsg() ? cl_errmsg() : cl_errname(rc));
}

/* A precondition the request broke, in the body RFC 4918 §16 names. */
int dav_send_condition(struct mg_connection *conn, int status, const char *ns, const char *what)
{
    char body[384];
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:c=\"%s\"><c:%s/></d:error>\n",
                     ns, what);
    return dav_send_text(conn, status, "application/xml; charset=utf-8", NULL, body, (size_t)n);
}

/* Text for XML: & < > " escaped. */
int dav_put_xml(cl_buf *b, const char *s, size_t n)
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
int dav_put_segment(cl_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~@+", c);
        if (plain ? cl_buf_put_u8(b, c) : cl_buf_printf(b, "%%%02X", c))
            return http_oom();
    }
    return CL_OK;
}

/* ------------------------------------------------------------ collections */

/* An item is a record's, or for the dates calendar one date of a record's
 * (field: which; 0 in the other collections). */
typedef struct dav_item {
    cl_record_id id;
    uint8_t field;
} dav_item;

typedef struct dav_coll {
    const char *path;           /* "/dav/contacts/" */
    const char *ext;            /* of its items' names */
    const char *mime;           /* of an item */
    const char *resourcetype;   /* inner XML */
    const char *displayname;
    const char *data_ns;        /* CardDAV's address-data or CalDAV's calendar-data */
    const char *component;      /* CalDAV: VTODO, VEVENT; NULL for the address book */
    dav_scope scope;
    bool dated;                 /* items are the dates of records (cl_ical_dates) */
    /* the item's text; CL_ENOTFOUND when the record has no such item */
    int (*text)(cl_txn *t, const cl_record *r, uint8_t field, const char *uid, char **out, size_t *len);
    /* a client's resource stored as the whole of record id; NULL: read-only */
    int (*put)(cl_txn *t, const cl_record_id *id, const char *data, size_t len, char **uid);
} dav_coll;

static int card_text(cl_txn *t, const cl_record *r, uint8_t field, const char *uid, char **out, size_t *len)
{
    (void)field;
    return cl_vcard_card(t, r, uid, out, len);
}

static int card_put(cl_txn *t, const cl_record_id *id, const char *data, size_t len, char **uid)
{
    uint8_t type;
    return cl_vcard_put(t, id, data, len, &type, uid);
}

static int task_text(cl_txn *t, const cl_record *r, uint8_t field, const char *uid, char **out, size_t *len)
{
    (void)field;
    return cl_ical_task(t, r, uid, out, len);
}

static int date_text(cl_txn *t, const cl_record *r, uint8_t field, const char *uid, char **out, size_t *len)
{
    (void)uid;
    return cl_ical_date_event(t, r, field, out, len);
}

static const dav_coll COLLS[] = {
    {"/dav/contacts/", ".vcf", "text/vcard; charset=utf-8", "<d:collection/><card:addressbook/>",
     "Clients (clientele)", DAV_NS_CARDDAV, NULL,
     {DAV_TYPE(CL_T_CONTACT) | DAV_TYPE(CL_T_COMPANY), DAV_TYPE(CL_T_COMPANY)}, false, card_text, card_put},
    {"/dav/tasks/", ".ics", "text/calendar; charset=utf-8; component=VTODO", "<d:collection/><cal:calendar/>",
     "Follow-ups (clientele)", DAV_NS_CALDAV, "VTODO",
     {DAV_TYPE(CL_T_TASK), DAV_TYPE(CL_T_CONTACT) | DAV_TYPE(CL_T_COMPANY) | DAV_TYPE(CL_T_DEAL)}, false, task_text,
     cl_ical_task_put},
    {"/dav/dates/", ".ics", "text/calendar; charset=utf-8; component=VEVENT", "<d:collection/><cal:calendar/>",
     "Client dates (clientele)", DAV_NS_CALDAV, "VEVENT", {DAV_TYPE(CL_T_CONTACT) | DAV_TYPE(CL_T_DEAL), 0}, true,
     date_text, NULL},
};
#define NCOLLS (sizeof COLLS / sizeof *COLLS)

static const cl_ical_date *date_kind(uint8_t type, uint8_t field)
{
    size_t n;
    const cl_ical_date *d = cl_ical_dates(&n);
    for (size_t i = 0; i < n; i++)
        if (d[i].type == type && d[i].field == field)
            return &d[i];
    return NULL;
}

/* ------------------------------------------------------------ the items */

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

/* An item as its client named it and the UID it gave; else the names the
 * book gives: ID.ext (ID-KIND.ics for a date) and the record id. */
typedef struct item_names {
    char name[NAME_MAX_LEN + 1];
    char uid[NAME_MAX_LEN + 1];   /* "" when it is the book's */
} item_names;

static void names_of(const dav_coll *k, cl_txn *t, const dav_item *it, item_names *nm)
{
    unsigned char key[1 + CL_RECORD_ID_LEN];
    const void *v;
    size_t vl;
    record_key(&it->id, key);
    nm->uid[0] = 0;
    if (k->put && !cl_txn_kv_get(t, CL_TAB_DAV, key, sizeof key, &v, &vl) && vl) {
        const char *s = v, *nul = memchr(s, 0, vl);
        size_t nl = nul ? (size_t)(nul - s) : vl, ul = nul ? vl - nl - 1 : 0;
        if (nl && nl <= NAME_MAX_LEN && ul <= NAME_MAX_LEN) {
            memcpy(nm->name, s, nl), nm->name[nl] = 0;
            memcpy(nm->uid, nul ? nul + 1 : "", ul), nm->uid[ul] = 0;
            return;
        }
    }
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(&it->id, text);
    const cl_ical_date *d = NULL;
    cl_record_meta m;
    if (k->dated && !cl_txn_record(t, &it->id, &m))
        d = date_kind(m.type, it->field);
    snprintf(nm->name, sizeof nm->name, "%s%s%s", text, d ? d->suffix : "", k->ext);
}

/* The item a name stands for: the record its client created under it, else
 * the book's own name. CL_ENOTFOUND when neither. */
static int item_by_name(const dav_coll *k, cl_txn *t, const char *name, dav_item *it)
{
    unsigned char key[1 + NAME_MAX_LEN];
    const void *v;
    size_t vl, n = strlen(name), el = strlen(k->ext);
    it->field = 0;
    int rc = k->put ? cl_txn_kv_get(t, CL_TAB_DAV, key, name_key(name, key), &v, &vl) : CL_ENOTFOUND;
    if (rc != CL_ENOTFOUND) {
        if (!rc && vl == CL_RECORD_ID_LEN)
            memcpy(it->id.b, v, CL_RECORD_ID_LEN);
        return rc ? rc : vl == CL_RECORD_ID_LEN ? CL_OK : cl_seterr(CL_ECORRUPT, "the DAV name %s is damaged", name);
    }
    char text[CL_RECORD_ID_TEXT];
    size_t idl = CL_RECORD_ID_TEXT - 1;
    if (n < idl + el || strcmp(name + n - el, k->ext))
        return CL_ENOTFOUND;
    snprintf(text, sizeof text, "%.*s", (int)idl, name);
    if (cl_record_id_parse(text, &it->id))
        return CL_ENOTFOUND;
    if (!k->dated)
        return n == idl + el ? CL_OK : CL_ENOTFOUND;
    size_t nd;
    const cl_ical_date *d = cl_ical_dates(&nd);
    for (size_t i = 0; i < nd; i++)
        if (n == idl + strlen(d[i].suffix) + el && !strncmp(name + idl, d[i].suffix, strlen(d[i].suffix)))
            return it->field = d[i].field, CL_OK;
    return CL_ENOTFOUND;
}

/* Whether the item is there: a live record the collection's items come
 * from (for a date, of the type that date is of, and having it). */
static bool holds(const dav_coll *k, cl_txn *t, const dav_item *it)
{
    cl_record_meta m;
    if (cl_txn_record(t, &it->id, &m) || m.deleted || !(k->scope.types & DAV_TYPE(m.type)))
        return false;
    if (!k->dated)
        return it->field == 0;
    cl_record *r;
    if (!date_kind(m.type, it->field) || cl_record_load(t, &it->id, &r))
        return false;
    bool dated = r->values[it->field] != NULL;
    cl_record_free(r);
    return dated;
}

/* An item's text and its strong ETag: SHA-256 of that text, so it changes
 * exactly when what the client would read does (a company renamed changes
 * its people's cards too). */
typedef struct item_text {
    char *text;
    size_t len;
    char etag[ETAG_LEN + 1];
} item_text;

static int item_load(const dav_coll *k, cl_txn *t, const dav_item *it, item_text *c)
{
    cl_record *r;
    item_names nm;
    names_of(k, t, it, &nm);
    int rc = cl_record_load(t, &it->id, &r);
    if (rc)
        return rc;
    rc = k->text(t, r, it->field, nm.uid[0] ? nm.uid : NULL, &c->text, &c->len);
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

/* The item of a name, its record live and the item there: CL_ENOTFOUND. */
static int item_find(const dav_coll *k, cl_txn *t, const char *name, dav_item *it, item_text *c)
{
    int rc = item_by_name(k, t, name, it);
    if (!rc && !holds(k, t, it))
        rc = CL_ENOTFOUND;
    return rc ? rc : item_load(k, t, it, c);
}

/* Each item of the collection, in record order. */
typedef int (*item_fn)(void *ctx, const dav_item *it);

struct every_ctx {
    const dav_coll *k;
    cl_txn *t;
    item_fn fn;
    void *ctx;
};

static int every_step(void *arg, const cl_record_id *id)
{
    struct every_ctx *e = arg;
    dav_item it = {*id, 0};
    if (!e->k->dated)
        return e->fn(e->ctx, &it);
    cl_record *r;
    size_t nd;
    const cl_ical_date *d = cl_ical_dates(&nd);
    int rc = cl_record_load(e->t, id, &r);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < nd; i++)
        if (d[i].type == r->type && r->values[d[i].field])
            it.field = d[i].field, rc = e->fn(e->ctx, &it);
    cl_record_free(r);
    return rc;
}

static int every_item(const dav_coll *k, cl_txn *t, item_fn fn, void *ctx)
{
    struct every_ctx e = {k, t, fn, ctx};
    int rc = CL_OK;
    for (uint8_t type = 1; !rc && type <= CL_T_MAX; type++)
        if (k->scope.types & DAV_TYPE(type))
            rc = cl_query_list(t, type, NULL, NULL, 0, every_step, &e, NULL);
    return rc;
}

/* ------------------------------------------------------------ properties */

typedef struct prop_ctx {
    cl_txn *t;
    cl_buf *b;
    const char *token;           /* the book's sync token now */
    const dav_coll *k;           /* R_COLL, R_ITEM */
    const dav_item *it;          /* R_ITEM */
    item_text *c;                /* R_ITEM, loaded on first need */
} prop_ctx;

static const char *prefix_of(const char *ns)
{
    return !strcmp(ns, DAV_NS) ? "d" : !strcmp(ns, DAV_NS_CARDDAV) ? "card" : !strcmp(ns, DAV_NS_CALDAV) ? "cal"
         : !strcmp(ns, NS_CS)  ? "cs" : NULL;
}

/* The prefix a property is written with: ours, x (declared on it), xml
 * for the XML namespace (which no other prefix may name), none for no
 * namespace (xmlns="" on it). */
static const char *prop_prefix(const dav_prop *p)
{
    const char *px = prefix_of(p->ns);
    return px ? px : !*p->ns ? "" : !strcmp(p->ns, XML_NS) ? "xml" : "x";
}

int dav_open_prop(cl_buf *b, const dav_prop *p, const char *lang, bool empty)
{
    const char *px = prop_prefix(p);
    int rc = cl_buf_printf(b, "<%s%s%s", px, *px ? ":" : "", p->name);
    if (!rc && !*px)
        rc = cl_buf_puts(b, " xmlns=\"\"");
    else if (!rc && !strcmp(px, "x"))
        rc = cl_buf_puts(b, " xmlns:x=\"") || dav_put_xml(b, p->ns, strlen(p->ns)) || cl_buf_put_u8(b, '"');
    if (!rc && lang)
        rc = cl_buf_puts(b, " xml:lang=\"") || dav_put_xml(b, lang, strlen(lang)) || cl_buf_put_u8(b, '"');
    return rc || cl_buf_puts(b, empty ? "/>" : ">") ? http_oom() : CL_OK;
}

int dav_close_prop(cl_buf *b, const dav_prop *p)
{
    const char *px = prop_prefix(p);
    return cl_buf_printf(b, "</%s%s%s>", px, *px ? ":" : "", p->name) ? http_oom() : CL_OK;
}

static int text_needed(prop_ctx *c)
{
    return c->c->text ? CL_OK : item_load(c->k, c->t, c->it, c->c);
}

#define PRIV(x) "<d:privilege><d:" x "/></d:privilege>"

/* The inner XML of a property of the principal or a collection; NULL when
 * it has none such. */
static const char *static_value(const prop_ctx *c, enum dav_kind_of kind, const dav_prop *p, char *tmp, size_t cap)
{
    const char *n = p->name;
    bool dav = !strcmp(p->ns, DAV_NS), card = !strcmp(p->ns, DAV_NS_CARDDAV), cal = !strcmp(p->ns, DAV_NS_CALDAV);
    bool cs = !strcmp(p->ns, NS_CS), root = kind == R_ROOT, coll = kind == R_COLL;
    const dav_coll *k = c->k;
    if (dav && !strcmp(n, "resourcetype"))
        return root ? "<d:collection/><d:principal/>" : coll ? k->resourcetype : "";
    if (dav && !strcmp(n, "displayname") && !(kind == R_ITEM))
        return root ? "clientele" : k->displayname;
    if (dav && (!strcmp(n, "current-user-principal") || !strcmp(n, "principal-URL") || !strcmp(n, "owner")))
        return "<d:href>" DAV_ROOT "</d:href>";
    if ((card && !strcmp(n, "addressbook-home-set")) || (cal && !strcmp(n, "calendar-home-set")))
        return "<d:href>" DAV_ROOT "</d:href>";
    if (dav && !strcmp(n, "current-user-privilege-set"))
        return root || !k->put ? PRIV("read")
                               : PRIV("read") PRIV("write") PRIV("write-content") PRIV("bind") PRIV("unbind");
    if (!coll)
        return NULL;
    if (dav && !strcmp(n, "supported-report-set"))
        return k->component ? "<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>"
                              "<d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report>"
                              "<d:supported-report><d:report><cal:calendar-query/></d:report></d:supported-report>"
                            : "<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>"
                              "<d:supported-report><d:report><card:addressbook-multiget/></d:report></d:supported-report>"
                              "<d:supported-report><d:report><card:addressbook-query/></d:report></d:supported-report>";
    if ((dav && !strcmp(n, "sync-token")) || (cs && !strcmp(n, "getctag")))
        return c->token;
    if (card && !k->component && !strcmp(n, "supported-address-data"))
        return "<card:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>";
    if (cal && k->component && !strcmp(n, "supported-calendar-component-set"))
        return snprintf(tmp, cap, "<cal:comp name=\"%s\"/>", k->component), tmp;
    if (cal && k->component && !strcmp(n, "supported-calendar-data"))
        return "<cal:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>";
    if (!strcmp(p->ns, k->data_ns) && !strcmp(n, "max-resource-size"))
        return snprintf(tmp, cap, "%d", HTTP_MAX_BODY), tmp;
    return NULL;
}

/* The value of a property we know, written into c->b; CL_ENOTFOUND when the
 * resource has no such property. */
static int prop_value(prop_ctx *c, enum dav_kind_of kind, const dav_prop *p)
{
    cl_buf *b = c->b;
    const char *n = p->name;
    bool dav = !strcmp(p->ns, DAV_NS);
    char tmp[160];
    int rc;
    const char *v = static_value(c, kind, p, tmp, sizeof tmp); /* inner XML, written as it is */
    if (!v && kind == R_ITEM && dav && !strcmp(n, "getcontenttype"))
        v = c->k->mime;
    else if (!v && kind == R_ITEM && dav && (!strcmp(n, "getetag") || !strcmp(n, "getcontentlength"))) {
        if ((rc = text_needed(c)))
            return rc;
        if (!strcmp(n, "getcontentlength"))
            snprintf(tmp, sizeof tmp, "%zu", c->c->len), v = tmp;
        else if ((rc = dav_open_prop(b, p, NULL, false)) || (rc = dav_put_xml(b, c->c->etag, strlen(c->c->etag))))
            return rc;
        else
            return dav_close_prop(b, p);
    }
    else if (!v && kind == R_ITEM && !strcmp(p->ns, c->k->data_ns) &&
             !strcmp(n, c->k->component ? "calendar-data" : "address-data")) {
        if ((rc = text_needed(c)) || (rc = dav_open_prop(b, p, NULL, false)) ||
            (rc = dav_put_xml(b, c->c->text, c->c->len)))
            return rc;
        return dav_close_prop(b, p);
    }
    if (!v)
        return CL_ENOTFOUND;
    if (!*v)
        return dav_open_prop(b, p, NULL, true);
    if ((rc = dav_open_prop(b, p, NULL, false)))
        return rc;
    return cl_buf_puts(b, v) ? http_oom() : dav_close_prop(b, p);
}

/* What allprop answers (RFC 4918 §9.1: the live properties; an item's
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
    if (cl_buf_printf(b, "<d:response><d:href>%s", href_dir) || (name && dav_put_segment(b, name)) ||
        cl_buf_puts(b, "</d:href><d:propstat><d:prop>"))
        return http_oom();
    bool *missing = n ? calloc(n, sizeof *missing) : NULL;
    size_t nmissing = 0;
    int rc = n && !missing ? http_oom() : CL_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t mark = b->len;
        rc = prop_value(c, kind, &props[i]);
        if (!rc && names_only) /* the names, not the values */
            b->len = mark, rc = dav_open_prop(b, &props[i], NULL, true);
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
                rc = dav_open_prop(b, &props[i], NULL, true);
        if (!rc && cl_buf_puts(b, "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"))
            rc = http_oom();
    }
    free(missing);
    if (!rc && cl_buf_puts(b, "</d:response>"))
        rc = http_oom();
    return rc;
}

static int gone(cl_buf *b, const dav_coll *k, const char *name)
{
    return cl_buf_puts(b, "<d:response><d:href>") || cl_buf_puts(b, k->path) || dav_put_segment(b, name) ||
                   cl_buf_puts(b, "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>")
               ? http_oom() : CL_OK;
}

static int item_response(prop_ctx *c, const dav_item *it, const dav_request *q)
{
    item_names nm;
    item_text txt = {0};
    names_of(c->k, c->t, it, &nm);
    c->it = it, c->c = &txt;
    int rc = response(c, R_ITEM, c->k->path, nm.name, q);
    free(txt.text);
    c->it = NULL, c->c = NULL;
    return rc;
}

int dav_ms_begin(cl_buf *b)
{
    return cl_buf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"" DAV_NS
                          "\" xmlns:card=\"" DAV_NS_CARDDAV "\" xmlns:cal=\"" DAV_NS_CALDAV "\" xmlns:cs=\"" NS_CS "\">")
               ? http_oom() : CL_OK;
}

int dav_send_multistatus(struct mg_connection *conn, int rc, cl_buf *b)
{
    if (!rc && cl_buf_puts(b, "</d:multistatus>\n"))
        rc = http_oom();
    int st = rc ? dav_send_error(conn, rc)
                : dav_send_text(conn, 207, "application/xml; charset=utf-8", NULL, (const char *)b->data, b->len);
    cl_buf_free(b);
    return st;
}

/* ------------------------------------------------------------ requests */

typedef struct dav_req {
    struct mg_connection *conn;
    cl_http *h;
    const char *method;
    enum dav_kind_of kind;
    const dav_coll *k;              /* R_COLL, R_ITEM */
    char name[NAME_MAX_LEN + 1];    /* R_ITEM: the resource's name */
    char *body;
    size_t len;
} dav_req;

/* The resource a path names: /dav/, a collection, or an item of one (the
 * collections with or without their final slash). */
static int resolve(const char *path, dav_req *r)
{
    if (!strcmp(path, DAV_ROOT) || !strcmp(path, "/dav"))
        return r->kind = R_ROOT, CL_OK;
    for (size_t i = 0; i < NCOLLS; i++) {
        const dav_coll *k = &COLLS[i];
        size_t pl = strlen(k->path), el = strlen(k->ext);
        if (!strncmp(path, k->path, pl - 1) && (!path[pl - 1] || (path[pl - 1] == '/' && !path[pl])))
            return r->k = k, r->kind = R_COLL, CL_OK;
        if (strncmp(path, k->path, pl))
            continue;
        const char *name = path + pl;
        size_t n = strlen(name);
        if (n <= el || n > NAME_MAX_LEN || strchr(name, '/') || !cl_name_valid(name, n) || strcasecmp(name + n - el, k->ext))
            return CL_ENOTFOUND;
        memcpy(r->name, name, n + 1);
        return r->k = k, r->kind = R_ITEM, CL_OK;
    }
    return CL_ENOTFOUND;
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

static int list_step(void *arg, const dav_item *it)
{
    struct list_ctx *l = arg;
    return item_response(l->pc, it, l->q);
}

/* A read transaction for a multistatus answer: the token now, the
 * <multistatus> opened. */
static int ms_start(dav_req *r, cl_txn **t, cl_buf *b, char token[DAV_TOKEN_MAX])
{
    int rc = cl_store_read(r->h->cfg.store, t);
    if (rc)
        return rc;
    if ((rc = token_now(r->h, *t, token)) || (rc = dav_ms_begin(b)))
        cl_txn_end(*t);
    return rc;
}

static int propfind(dav_req *r)
{
    dav_request q;
    int rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return dav_send_error(r->conn, rc);
    if (q.kind != DAV_PROPFIND) {
        dav_request_free(&q);
        return dav_send_msg(r->conn, 400, "PROPFIND needs a <propfind> body");
    }
    cl_buf b = {0};
    char token[DAV_TOKEN_MAX];
    cl_txn *t;
    dav_item it;
    item_text txt = {0};
    if (!(rc = ms_start(r, &t, &b, token))) {
        prop_ctx pc = {.t = t, .b = &b, .token = token, .k = r->k};
        bool deep = depth(r->conn) > 0;
        if (r->kind == R_ITEM && (rc = item_find(r->k, t, r->name, &it, &txt)) == CL_ENOTFOUND)
            rc = cl_seterr(CL_ENOTFOUND, "nothing named %s here", r->name);
        free(txt.text);
        if (!rc && r->kind == R_ITEM)
            rc = item_response(&pc, &it, &q);
        if (!rc && r->kind == R_ROOT)
            rc = response(&pc, R_ROOT, DAV_ROOT, NULL, &q);
        for (size_t i = 0; !rc && r->kind == R_ROOT && deep && i < NCOLLS; i++)
            pc.k = &COLLS[i], rc = response(&pc, R_COLL, COLLS[i].path, NULL, &q);
        if (!rc && r->kind == R_ROOT && deep)
            rc = dav_files_root_response(t, &b, &q); /* the plain folder (dav_files.c) */
        if (!rc && r->kind == R_COLL)
            rc = response(&pc, R_COLL, r->k->path, NULL, &q);
        if (!rc && r->kind == R_COLL && deep)
            rc = every_item(r->k, t, list_step, &(struct list_ctx){&pc, &q});
        cl_txn_end(t);
    }
    dav_request_free(&q);
    return dav_send_multistatus(r->conn, rc, &b);
}

/* ----- REPORT ----- */

/* A record changed since a token: its items as they are now, or gone. */
static int sync_step(void *arg, const cl_record_id *id)
{
    struct list_ctx *s = arg;
    prop_ctx *pc = s->pc;
    const dav_coll *k = pc->k;
    cl_record_meta m;
    size_t nd = 1;
    const cl_ical_date *d = k->dated ? cl_ical_dates(&nd) : NULL;
    int rc = cl_txn_record(pc->t, id, &m);
    for (size_t i = 0; !rc && i < nd; i++) {
        dav_item it = {*id, d ? d[i].field : 0};
        if (d && d[i].type != m.type)
            continue;
        if (holds(k, pc->t, &it))
            rc = item_response(pc, &it, s->q);
        else {
            item_names nm;
            names_of(k, pc->t, &it, &nm);
            rc = gone(pc->b, k, nm.name);
        }
    }
    return rc;
}

/* The name in an href of collection k ("/dav/contacts/x.vcf", or a full URL). */
static const char *href_name(const dav_coll *k, const char *href, char *out, size_t cap)
{
    const char *p = strstr(href, k->path);
    if (!p)
        return NULL;
    p += strlen(k->path);
    if (mg_url_decode(p, (int)strlen(p), out, (int)cap, 0) < 0)
        return NULL;
    return *out && !strchr(out, '/') ? out : NULL;
}

static int multiget(prop_ctx *pc, const dav_request *q)
{
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < q->nhrefs; i++) {
        char name[NAME_MAX_LEN + 1];
        dav_item it;
        const char *nm = href_name(pc->k, q->hrefs[i], name, sizeof name);
        if (nm && !item_by_name(pc->k, pc->t, nm, &it) && holds(pc->k, pc->t, &it))
            rc = item_response(pc, &it, q);
        else if (cl_buf_puts(pc->b, "<d:response><d:href>") || dav_put_xml(pc->b, q->hrefs[i], strlen(q->hrefs[i])) ||
                 cl_buf_puts(pc->b, "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>"))
            rc = http_oom();
    }
    return rc;
}

/* Whether the collection answers this REPORT: sync-collection anywhere; the
 * CardDAV forms on the address book, the CalDAV ones on the calendars. */
static bool report_fits(const dav_coll *k, const dav_request *q)
{
    if (q->kind == DAV_SYNC_COLLECTION)
        return true;
    return (q->kind == DAV_MULTIGET || q->kind == DAV_QUERY) && q->calendar == (k->component != NULL);
}

static int report(dav_req *r)
{
    if (r->kind != R_COLL)
        return dav_send_condition(r->conn, 403, DAV_NS, "supported-report");
    dav_request q;
    int rc = dav_parse_request(r->body, r->len, &q);
    if (rc)
        return dav_send_error(r->conn, rc);
    if (!report_fits(r->k, &q)) {
        dav_request_free(&q);
        return dav_send_condition(r->conn, 403, DAV_NS, "supported-report");
    }
    cl_buf b = {0};
    char token[DAV_TOKEN_MAX];
    cl_txn *t;
    bool bad_token = false;
    if (!(rc = ms_start(r, &t, &b, token))) {
        prop_ctx pc = {.t = t, .b = &b, .token = token, .k = r->k};
        struct list_ctx l = {&pc, &q};
        if (q.kind == DAV_SYNC_COLLECTION) {
            rc = q.sync_token[0] ? dav_changed_since(t, q.sync_token, r->k->scope, sync_step, &l)
                                 : every_item(r->k, t, list_step, &l);
            bad_token = rc == CL_EINVAL;
            if (!rc && (cl_buf_puts(&b, "<d:sync-token>") || dav_put_xml(&b, token, strlen(token)) ||
                        cl_buf_puts(&b, "</d:sync-token>")))
                rc = http_oom();
        }
        else if (q.kind == DAV_MULTIGET)
            rc = multiget(&pc, &q);
        /* a query: every item of the kind asked for (other filters are not
         * applied, docs/dav.md; clients filter what they get) */
        else if (!q.comp[0] || !r->k->component || !strcmp(q.comp, r->k->component))
            rc = every_item(r->k, t, list_step, &l);
        cl_txn_end(t);
    }
    dav_request_free(&q);
    if (bad_token) {
        cl_buf_free(&b);
        return dav_send_condition(r->conn, 403, DAV_NS, "valid-sync-token");
    }
    return dav_send_multistatus(r->conn, rc, &b);
}

/* ----- one item: GET, PUT, DELETE ----- */

/* If-Match / If-None-Match against the item's ETag now (NULL: no item). */
bool dav_preconditions_hold(struct mg_connection *conn, const char *etag)
{
    const char *m = mg_get_header(conn, "If-Match"), *nm = mg_get_header(conn, "If-None-Match");
    if (m && (!etag || (strcmp(m, "*") && !strstr(m, etag))))
        return false;
    if (nm && etag && (!strcmp(nm, "*") || strstr(nm, etag)))
        return false;
    return true;
}

static int get_item(dav_req *r)
{
    cl_txn *t;
    dav_item it;
    item_text c = {0};
    int rc = cl_store_read(r->h->cfg.store, &t);
    if (rc)
        return dav_send_error(r->conn, rc);
    rc = item_find(r->k, t, r->name, &it, &c);
    cl_txn_end(t);
    int st = rc == CL_ENOTFOUND ? dav_send_msg(r->conn, 404, "nothing named %s here", r->name)
           : rc                 ? dav_send_error(r->conn, rc)
                                : dav_send_text(r->conn, 200, r->k->mime, c.etag, c.text, c.len);
    free(c.text);
    return st;
}

struct put_arg {
    dav_req *r;
    bool created, failed_precondition;
    item_text after;
};

/* The name and UID a client gave an item it created are kept for it. */
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
    const dav_coll *k = r->k;
    dav_item it;
    item_text before = {0};
    free(a->after.text);
    memset(&a->after, 0, sizeof a->after);
    int rc = item_by_name(k, t, r->name, &it);
    bool here = !rc && holds(k, t, &it), named = !rc;
    if (rc == CL_ENOTFOUND)
        rc = cl_record_id_new(&it.id), it.field = 0;
    if (!rc && here)
        rc = item_load(k, t, &it, &before);
    if (rc)
        return rc;
    a->created = !here;
    bool ok = dav_preconditions_hold(r->conn, here ? before.etag : NULL);
    free(before.text);
    if (!ok)
        return a->failed_precondition = true, CL_EDENIED;
    char *uid = NULL;
    item_names nm;
    names_of(k, t, &it, &nm);
    rc = k->put(t, &it.id, r->body, r->len, &uid);
    /* the client's name and UID, unless they are what the book would say */
    bool own_name = named && !strcmp(nm.name, r->name);
    if (!rc && (!own_name || (uid && strcmp(uid, nm.uid)) || (!uid && nm.uid[0])))
        rc = keep_names(t, r->name, &it.id, uid);
    free(uid);
    return rc ? rc : item_load(k, t, &it, &a->after);
}

static int read_only(dav_req *r)
{
    return dav_send_msg(r->conn, 403, "%s is read-only: its dates are changed in clientele", r->k->displayname);
}

static int put_item(dav_req *r)
{
    if (!r->k->put)
        return read_only(r);
    struct put_arg a = {.r = r};
    int rc = cl_store_update(r->h->cfg.store, put_fn, &a);
    if (a.failed_precondition) {
        free(a.after.text);
        return dav_send_msg(r->conn, 412, "the item changed since the client read it (ETag), or exists already");
    }
    if (rc) {
        free(a.after.text);
        return rc != CL_EINVAL ? dav_send_error(r->conn, rc)
             : r->k->component ? dav_send_condition(r->conn, 400, DAV_NS_CALDAV, "valid-calendar-data")
                               : dav_send_condition(r->conn, 400, DAV_NS_CARDDAV, "valid-address-data");
    }
    /* the ETag only when the item stored is byte for byte the one sent
     * (RFC 6352 §6.3.2.3, RFC 4791 §5.3.4): else the client fetches what
     * the book made of it */
    bool same = a.after.len == r->len && !memcmp(a.after.text, r->body, r->len);
    int st = dav_send_text(r->conn, a.created ? 201 : 204, "text/plain; charset=utf-8", same ? a.after.etag : NULL, "", 0);
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
    dav_item it;
    item_text c = {0};
    int rc = item_find(a->r->k, t, a->r->name, &it, &c);
    if (!rc && !dav_preconditions_hold(a->r->conn, c.etag))
        a->failed_precondition = true, rc = CL_EDENIED;
    free(c.text);
    return rc ? rc : cl_record_delete_in(t, &it.id);
}

static int delete_item(dav_req *r)
{
    if (!r->k->put)
        return read_only(r);
    struct delete_arg a = {r, false};
    int rc = cl_store_update(r->h->cfg.store, delete_fn, &a);
    if (a.failed_precondition)
        return dav_send_msg(r->conn, 412, "the item changed since the client read it (ETag)");
    if (rc == CL_ENOTFOUND)
        return dav_send_msg(r->conn, 404, "nothing named %s here", r->name);
    return rc ? dav_send_error(r->conn, rc) : dav_send_text(r->conn, 204, "text/plain; charset=utf-8", NULL, "", 0);
}

/* ------------------------------------------------------------ dispatch */

bool http_dav_path(const char *path)
{
    return !strcmp(path, "/dav") || !strncmp(path, DAV_ROOT, strlen(DAV_ROOT)) ||
           !strncmp(path, "/.well-known/carddav", 20) || !strncmp(path, "/.well-known/caldav", 19);
}

static int options(struct mg_connection *conn, const char *path)
{
    mg_response_header_start(conn, 200);
    mg_response_header_add(conn, "DAV", "1, 3, addressbook, calendar-access", -1);
    mg_response_header_add(conn, "Allow", dav_files_path(path) ? dav_files_allow()
                                                              : "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT", -1);
    mg_response_header_add(conn, "Content-Length", "0", -1);
    mg_response_header_send(conn);
    return 200;
}

static int on_collection(dav_req *r)
{
    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
        return dav_send_msg(r->conn, 200, "clientele's DAV server: connect an address book or calendar to http://HOST:PORT/dav/ (docs/dav.md)");
    return dav_send_msg(r->conn, 405, "%s is not allowed on a collection", r->method);
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
        return options(conn, path);
    if (!authorized(h, conn))
        return dav_send_msg(conn, 401, "a DAV client logs in with the name and password 'clientele dav add NAME' gave");
    if (dav_files_path(path))
        return dav_files(conn, h, method, path);
    dav_req r = {.conn = conn, .h = h, .method = method};
    if (resolve(path, &r))
        return !strcmp(method, "MKCOL")
                   ? dav_send_msg(conn, 403, "collections are made only in the folder " DAV_FILES " (docs/dav.md)")
                   : dav_send_msg(conn, 404, "nothing at %s", path);
    bool reads_body = !strcmp(method, "PROPFIND") || !strcmp(method, "REPORT") || !strcmp(method, "PUT");
    int st = reads_body ? dav_read_body(conn, &r.body, &r.len) : 0;
    if (st)
        return st;
    if (!strcmp(method, "PROPFIND"))
        st = propfind(&r);
    else if (!strcmp(method, "REPORT"))
        st = report(&r);
    else if (r.kind != R_ITEM)
        st = on_collection(&r);
    else if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
        st = get_item(&r);
    else if (!strcmp(method, "PUT"))
        st = put_item(&r);
    else if (!strcmp(method, "DELETE"))
        st = delete_item(&r);
    else
        st = dav_send_msg(conn, 405, "%s is not allowed on %s", method, r.name);
    free(r.body);
    return st;
}
