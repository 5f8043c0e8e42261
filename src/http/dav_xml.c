/* WebDAV request bodies, read with expat (libexpat1, Debian): the XML of
 * PROPFIND, PROPPATCH and the REPORTs of CardDAV, CalDAV and RFC 6578, as
 * clients write them — any prefixes, default namespaces, elements of later
 * versions among the ones we know (ignored).
 *
 * The body comes from clients on the network, so: no DOCTYPE at all (an
 * internal subset could declare entities that expand a small body into
 * gigabytes; DAV never needs one), nesting, counts and texts bounded
 * (dav_xml.h), text kept only where a request uses it, and each namespace
 * URI kept once (a long URI declared once and named by every property would
 * otherwise be copied for each).
 *
 * The value a PROPPATCH sets is kept as XML, not just its text (a dead
 * property holds whatever markup the client gave, RFC 4918 §4.3): expat
 * resolves the names, and the value is written again from them, each
 * element declaring its own namespace, so that it can be written back into
 * any answer as it is. */
#include "http/dav_xml.h"

#include "clientele/util.h"

#include <expat.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* expat's separator between a name's namespace and local part: no local name
 * can hold it, so the last one in a name is the split */
#define SEP '\n'
/* the namespace of xml:lang, bound to the prefix xml and to no other */
#define XML_NS "http://www.w3.org/XML/1998/namespace"

/* Every string of a request, freed at once. */
typedef struct dav_arena {
    struct dav_arena *next;
    char s[];
} dav_arena;

static const char *arena_str(dav_request *r, const char *s, size_t n)
{
    dav_arena *a = malloc(sizeof *a + n + 1);
    if (!a)
        return NULL;
    memcpy(a->s, s, n);
    a->s[n] = 0;
    a->next = r->arena;
    r->arena = a;
    return a->s;
}

/* What an element is to the request, by where it stands. */
enum role { OTHER, ROOT, PROPS, PROP, INCLUDE, PATCH_OP, PATCH_PROPS, PATCH_PROP, HREF, TOKEN, LEVEL, LIMIT,
            NRESULTS, FILTER, COMP };

/* A namespace URI already kept, found again by its hash. */
typedef struct ns_kept {
    uint64_t hash;
    size_t len;
    const char *s;
} ns_kept;

typedef struct parse {
    XML_Parser p;
    dav_request *r;
    int rc; /* the first error */
    int depth;
    enum role role[DAV_XML_MAX_DEPTH + 1];
    bool removing[DAV_XML_MAX_DEPTH + 1];        /* under <D:remove> */
    unsigned char level[DAV_XML_MAX_DEPTH + 1];  /* COMP: 1 right under <C:filter> */
    bool wanted;                                  /* allprop, propname or prop seen */
    char text[DAV_XML_MAX_TEXT + 1];              /* the text element's content so far */
    size_t ntext;
    int text_depth;                               /* the depth whose text is kept; 0: none */
    /* a value being set (PATCH_PROP), kept as XML in text: where the start
     * tag last written ends, and its depth, to write <x/> for an empty one */
    size_t open_end;
    int open_depth;
    char lang[DAV_XML_MAX_DEPTH + 1][DAV_XML_MAX_LANG + 1]; /* PROPPATCH: the xml:lang in scope */
    ns_kept ns[DAV_XML_MAX_PROPS];                /* each prop adds at most one */
    size_t nns;
    size_t caps_props, caps_hrefs, caps_patches;
} parse;

static void fail(parse *ps, int rc)
{
    if (!ps->rc)
        ps->rc = rc;
    XML_StopParser(ps->p, XML_FALSE);
}

/* "ns\nlocal" → its two parts; "local" alone has no namespace. */
static void split(const char *full, const char **ns, size_t *nsl, const char **local)
{
    const char *sep = strrchr(full, SEP);
    *ns = sep ? full : "";
    *nsl = sep ? (size_t)(sep - full) : 0;
    *local = sep ? sep + 1 : full;
}

static bool is(const char *full, const char *ns, const char *local)
{
    const char *n, *l;
    size_t nl;
    split(full, &n, &nl, &l);
    return nl == strlen(ns) && !memcmp(n, ns, nl) && !strcmp(l, local);
}

static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max, const char *what)
{
    if (n >= max)
        return cl_seterr(CL_EINVAL, "too many %s (at most %zu)", what, max);
    if (n < *cap)
        return CL_OK;
    size_t cap2 = *cap ? 2 * *cap : 8;
    void *nv = realloc(*v, cap2 * size);
    if (!nv)
        return cl_seterr(CL_ENOMEM, "out of memory");
    *v = nv;
    *cap = cap2;
    return CL_OK;
}

static const char *kept_ns(parse *ps, const char *ns, size_t n)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)ns[i]) * 1099511628211u;
    for (size_t i = 0; i < ps->nns; i++)
        if (ps->ns[i].hash == h && ps->ns[i].len == n && !memcmp(ps->ns[i].s, ns, n))
            return ps->ns[i].s;
    const char *s = arena_str(ps->r, ns, n);
    if (s && ps->nns < DAV_XML_MAX_PROPS)
        ps->ns[ps->nns++] = (ns_kept){h, n, s};
    return s;
}

static int prop_of(parse *ps, const char *full, dav_prop *out)
{
    const char *ns, *local;
    size_t nsl;
    split(full, &ns, &nsl, &local);
    size_t ll = strlen(local);
    if (nsl > DAV_XML_MAX_TEXT || ll > DAV_XML_MAX_TEXT)
        return cl_seterr(CL_EINVAL, "a property name of over %d bytes", DAV_XML_MAX_TEXT);
    out->ns = kept_ns(ps, ns, nsl);
    out->name = arena_str(ps->r, local, ll);
    return out->ns && out->name ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

static int add_prop(parse *ps, const char *full)
{
    dav_request *r = ps->r;
    int rc = grow((void **)&r->props, &ps->caps_props, r->nprops, sizeof *r->props, DAV_XML_MAX_PROPS, "properties");
    if (!rc)
        rc = prop_of(ps, full, &r->props[r->nprops]);
    if (!rc)
        r->nprops++;
    return rc;
}

/* A PROPPATCH property goes to props and, with what is done to it, to patches. */
static int add_patch(parse *ps, const char *full, bool remove)
{
    dav_request *r = ps->r;
    int rc = add_prop(ps, full);
    if (!rc)
        rc = grow((void **)&r->patches, &ps->caps_patches, r->npatches, sizeof *r->patches, DAV_XML_MAX_PATCHES,
                  "patches");
    if (rc)
        return rc;
    const char *lang = ps->lang[ps->depth];
    dav_patch *p = &r->patches[r->npatches++];
    *p = (dav_patch){.prop = r->props[r->nprops - 1], .value = NULL, .lang = NULL, .remove = remove};
    if (!remove && *lang && !(p->lang = arena_str(r, lang, strlen(lang))))
        return cl_seterr(CL_ENOMEM, "out of memory");
    return CL_OK;
}

static int root_kind(const char *full, dav_request *r)
{
    r->calendar = is(full, DAV_NS_CALDAV, "calendar-multiget") || is(full, DAV_NS_CALDAV, "calendar-query");
    if (is(full, DAV_NS, "propfind")) r->kind = DAV_PROPFIND;
    else if (is(full, DAV_NS, "propertyupdate")) r->kind = DAV_PROPPATCH;
    else if (is(full, DAV_NS, "sync-collection")) r->kind = DAV_SYNC_COLLECTION;
    else if (is(full, DAV_NS_CARDDAV, "addressbook-multiget") || is(full, DAV_NS_CALDAV, "calendar-multiget"))
        r->kind = DAV_MULTIGET;
    else if (is(full, DAV_NS_CARDDAV, "addressbook-query") || is(full, DAV_NS_CALDAV, "calendar-query"))
        r->kind = DAV_QUERY;
    else {
        const char *ns, *local;
        size_t nsl;
        split(full, &ns, &nsl, &local);
        return cl_seterr(CL_EINVAL, "unexpected root element <%.100s> (namespace \"%.*s\")", local,
                         (int)(nsl > 100 ? 100 : nsl), ns);
    }
    return CL_OK;
}

/* allprop, propname or prop: one of them (RFC 4918 §14.20), once. */
static enum role wants(parse *ps, enum dav_want w, enum role role)
{
    if (ps->wanted) {
        fail(ps, cl_seterr(CL_EINVAL, "more than one of <allprop>, <propname> and <prop> in a request"));
        return OTHER;
    }
    ps->wanted = true;
    ps->r->want = w;
    return role;
}

/* A direct child of the root. */
static enum role child_of_root(parse *ps, const char *full)
{
    dav_request *r = ps->r;
    if (r->kind == DAV_PROPPATCH)
        return is(full, DAV_NS, "set") || is(full, DAV_NS, "remove") ? PATCH_OP : OTHER;
    if (is(full, DAV_NS, "prop"))
        return wants(ps, DAV_WANT_PROPS, PROPS);
    if (is(full, DAV_NS, "allprop"))
        return wants(ps, DAV_WANT_ALLPROP, OTHER);
    if (is(full, DAV_NS, "propname"))
        return wants(ps, DAV_WANT_PROPNAME, OTHER);
    if (r->kind == DAV_PROPFIND && is(full, DAV_NS, "include"))
        return INCLUDE;
    if (r->kind == DAV_MULTIGET && is(full, DAV_NS, "href"))
        return HREF;
    if (r->kind == DAV_SYNC_COLLECTION && is(full, DAV_NS, "sync-token"))
        return TOKEN;
    if (r->kind == DAV_SYNC_COLLECTION && is(full, DAV_NS, "sync-level"))
        return LEVEL;
    if (r->kind == DAV_SYNC_COLLECTION && is(full, DAV_NS, "limit"))
        return LIMIT;
    /* an addressbook-query's filter is not read (docs/dav.md) */
    if (r->kind == DAV_QUERY && r->calendar && is(full, DAV_NS_CALDAV, "filter"))
        return FILTER;
    return OTHER;
}

static enum role role_of(parse *ps, const char *full)
{
    enum role up = ps->role[ps->depth - 1];
    switch (up) {
    case ROOT: return child_of_root(ps, full);
    case PROPS:
    case INCLUDE: return PROP;
    case PATCH_OP: return is(full, DAV_NS, "prop") ? PATCH_PROPS : OTHER;
    case PATCH_PROPS: return PATCH_PROP;
    case LIMIT: return is(full, DAV_NS, "nresults") ? NRESULTS : OTHER;
    case FILTER:
    case COMP: return is(full, DAV_NS_CALDAV, "comp-filter") ? COMP : OTHER;
    default: return OTHER;
    }
}

/* The comp-filter at level (1: under <C:filter>). The first level must be
 * VCALENDAR (RFC 4791 §9.7.1); the one inside it names the kind of object
 * asked for. Deeper ones (a VALARM inside a VEVENT) filter sub-components of
 * those objects and do not change their kind, so they are not read. */
static int comp_filter(parse *ps, int level, const char **attrs)
{
    if (level > 2 || ps->r->comp[0])
        return CL_OK;
    const char *name = NULL;
    for (int i = 0; attrs[i]; i += 2)
        if (!strcmp(attrs[i], "name"))
            name = attrs[i + 1];
    if (!name || !*name)
        return cl_seterr(CL_EINVAL, "a <comp-filter> without a name");
    if (level == 1)
        return strcasecmp(name, "VCALENDAR")
                   ? cl_seterr(CL_EINVAL, "a calendar-query filter must start with VCALENDAR, not %.40s", name)
                   : CL_OK;
    size_t n = strlen(name);
    if (n >= sizeof ps->r->comp) /* cut, it would name another component */
        return cl_seterr(CL_EINVAL, "unknown component %.40s in a comp-filter", name);
    for (size_t i = 0; i <= n; i++)
        ps->r->comp[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    return CL_OK;
}

static int start_role(parse *ps, enum role role, const char *name, const char **attrs)
{
    if (role == PATCH_OP)
        ps->removing[ps->depth] = is(name, DAV_NS, "remove");
    if (role == COMP)
        ps->level[ps->depth] = ps->role[ps->depth - 1] == COMP ? ps->level[ps->depth - 1] + 1 : 1;
    if (role == PROP)
        return add_prop(ps, name);
    if (role == PATCH_PROP)
        return add_patch(ps, name, ps->removing[ps->depth]);
    if (role == COMP)
        return comp_filter(ps, ps->level[ps->depth], attrs);
    return CL_OK;
}

/* ----- a value being set, kept as XML ----- */

/* Inside the property a PROPPATCH sets (below its element). */
static bool in_value(const parse *ps)
{
    return ps->text_depth && ps->role[ps->text_depth] == PATCH_PROP && ps->depth > ps->text_depth;
}

static void keep(parse *ps, const char *s, size_t n)
{
    if (ps->rc)
        return;
    if (ps->ntext + n > DAV_XML_MAX_TEXT)
        return fail(ps, cl_seterr(CL_EINVAL, "a text of over %d bytes", DAV_XML_MAX_TEXT));
    memcpy(ps->text + ps->ntext, s, n);
    ps->ntext += n;
}

static void keeps(parse *ps, const char *s)
{
    keep(ps, s, strlen(s));
}

/* What a byte of text (or, in_attr, of an attribute value) is written as,
 * NULL for itself: the markup characters, and the white space that XML
 * would otherwise change (a CR in text, line ends and tabs in attributes). */
static const char *escape_of(char c, bool in_attr)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\r': return "&#13;";
    case '"': return in_attr ? "&quot;" : NULL;
    case '\n': return in_attr ? "&#10;" : NULL;
    case '\t': return in_attr ? "&#9;" : NULL;
    default: return NULL;
    }
}

static void keep_escaped(parse *ps, const char *s, size_t n, bool in_attr)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = escape_of(s[i], in_attr);
        if (e) {
            keep(ps, s + from, i - from);
            keeps(ps, e);
            from = i + 1;
        }
    }
    keep(ps, s + from, n - from);
}

static bool is_xml_ns(const char *ns, size_t n)
{
    return n == sizeof XML_NS - 1 && !memcmp(ns, XML_NS, n);
}

/* name="value" of an element in the value; one in a namespace gets a
 * prefix of its own (a1, a2 … on this element), declared beside it, and
 * xml:lang (any xml: attribute) the prefix bound to it already. */
static void keep_attr(parse *ps, const char *full, const char *value, int *nprefixes)
{
    const char *ns, *local;
    size_t nsl;
    char px[16] = "xml";
    split(full, &ns, &nsl, &local);
    bool declares = nsl && !is_xml_ns(ns, nsl);
    if (declares)
        snprintf(px, sizeof px, "a%d", ++*nprefixes);
    keeps(ps, " ");
    if (nsl)
        keeps(ps, px), keeps(ps, ":");
    keeps(ps, local), keeps(ps, "=\"");
    keep_escaped(ps, value, strlen(value), true);
    keeps(ps, "\"");
    if (declares) {
        keeps(ps, " xmlns:"), keeps(ps, px), keeps(ps, "=\"");
        keep_escaped(ps, ns, nsl, true);
        keeps(ps, "\"");
    }
}

/* <local xmlns="its namespace" attributes…>; an element in the XML
 * namespace is xml:local (that namespace cannot be declared). */
static void keep_start(parse *ps, const char *full, const char **attrs)
{
    const char *ns, *local;
    size_t nsl;
    split(full, &ns, &nsl, &local);
    bool xml = is_xml_ns(ns, nsl);
    keeps(ps, xml ? "<xml:" : "<"), keeps(ps, local);
    if (!xml) {
        keeps(ps, " xmlns=\"");
        keep_escaped(ps, ns, nsl, true);
        keeps(ps, "\"");
    }
    int nprefixes = 0;
    for (int i = 0; attrs[i]; i += 2)
        keep_attr(ps, attrs[i], attrs[i + 1], &nprefixes);
    keeps(ps, ">");
    ps->open_end = ps->ntext, ps->open_depth = ps->depth;
}

/* </local>, or the start tag made <local …/> when nothing came after it. */
static void keep_end(parse *ps, const char *full)
{
    const char *ns, *local;
    size_t nsl;
    split(full, &ns, &nsl, &local);
    if (!ps->rc && ps->open_depth == ps->depth && ps->open_end == ps->ntext) {
        ps->ntext--; /* the '>' */
        keeps(ps, "/>");
    }
    else {
        keeps(ps, is_xml_ns(ns, nsl) ? "</xml:" : "</"), keeps(ps, local), keeps(ps, ">");
    }
    ps->open_depth = 0;
}

/* ----- the elements ----- */

/* A PROPPATCH's xml:lang in scope at this element: its own, else its
 * parent's (RFC 4918 §4.4: a language goes with a property's value). */
static int take_lang(parse *ps, const char **attrs)
{
    char *lang = ps->lang[ps->depth];
    memcpy(lang, ps->lang[ps->depth - 1], sizeof ps->lang[0]);
    for (int i = 0; attrs[i]; i += 2)
        if (!strcmp(attrs[i], XML_NS "\nlang")) {
            size_t n = strlen(attrs[i + 1]);
            if (n > DAV_XML_MAX_LANG)
                return cl_seterr(CL_EINVAL, "an xml:lang of over %d bytes", DAV_XML_MAX_LANG);
            memcpy(lang, attrs[i + 1], n + 1);
        }
    return CL_OK;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    parse *ps = ud;
    if (ps->rc) /* expat may still call after a stop */
        return;
    if (ps->depth == DAV_XML_MAX_DEPTH)
        return fail(ps, cl_seterr(CL_EINVAL, "elements nested deeper than %d", DAV_XML_MAX_DEPTH));
    ps->depth++;
    if (in_value(ps)) {
        ps->role[ps->depth] = OTHER;
        return keep_start(ps, name, attrs);
    }
    enum role role = ps->depth == 1 ? ROOT : role_of(ps, name);
    int rc = ps->depth == 1 ? root_kind(name, ps->r) : CL_OK;
    ps->role[ps->depth] = role;
    ps->removing[ps->depth] = ps->removing[ps->depth - 1];
    if (!rc && !ps->rc && ps->r->kind == DAV_PROPPATCH)
        rc = take_lang(ps, attrs);
    if (!rc && !ps->rc)
        rc = start_role(ps, role, name, attrs);
    if (rc)
        return fail(ps, rc);
    bool keeps_text = role == HREF || role == TOKEN || role == LEVEL || role == NRESULTS ||
                      (role == PATCH_PROP && !ps->removing[ps->depth]);
    if (keeps_text && !ps->text_depth)
        ps->text_depth = ps->depth, ps->ntext = 0, ps->open_depth = 0;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    parse *ps = ud;
    if (ps->rc || !ps->text_depth || len <= 0)
        return;
    if (ps->role[ps->text_depth] == PATCH_PROP)
        return keep_escaped(ps, s, (size_t)len, false);
    keep(ps, s, (size_t)len);
}

static const char *trimmed(parse *ps, size_t *n)
{
    const char *s = ps->text;
    size_t len = ps->ntext;
    while (len && strchr(" \t\r\n", *s))
        s++, len--;
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    *n = len;
    return s;
}

/* "N" > 0 in decimal; a number past size_t is as good as no limit. */
static int nresults(const char *s, size_t n, size_t *out)
{
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return cl_seterr(CL_EINVAL, "nresults must be a positive number");
        v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(s[i] - '0');
    }
    if (!v)
        return cl_seterr(CL_EINVAL, "nresults must be a positive number");
    *out = v;
    return CL_OK;
}

/* The text of the element that ends, where the request uses it. */
static int take_text(parse *ps, enum role role)
{
    dav_request *r = ps->r;
    size_t n;
    const char *s = trimmed(ps, &n);
    if (role == HREF) {
        int rc = grow((void **)&r->hrefs, &ps->caps_hrefs, r->nhrefs, sizeof *r->hrefs, DAV_XML_MAX_HREFS, "hrefs");
        if (rc)
            return rc;
        return (r->hrefs[r->nhrefs++] = arena_str(r, s, n)) ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    }
    if (role == TOKEN)
        return (r->sync_token = arena_str(r, s, n)) ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    if (role == LEVEL) {
        if (n == 8 && !memcmp(s, "infinite", 8))
            r->sync_infinite = true;
        else if (n != 1 || *s != '1')
            return cl_seterr(CL_EINVAL, "sync-level must be 1 or infinite, not '%.*s'", (int)(n > 40 ? 40 : n), s);
        return CL_OK;
    }
    if (role == NRESULTS)
        return nresults(s, n, &r->limit);
    /* a set property: its content as XML, untrimmed (white space may be
     * the value) */
    dav_patch *p = &r->patches[r->npatches - 1];
    return (p->value = arena_str(r, ps->text, ps->ntext)) ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    parse *ps = ud;
    if (ps->rc)
        return;
    if (in_value(ps))
        keep_end(ps, name);
    else if (ps->text_depth == ps->depth) {
        int rc = take_text(ps, ps->role[ps->depth]);
        ps->text_depth = 0;
        if (rc)
            return fail(ps, rc);
    }
    ps->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, cl_seterr(CL_EINVAL, "a DOCTYPE is not accepted in a DAV request"));
}

void dav_request_free(dav_request *r)
{
    while (r->arena) {
        dav_arena *next = r->arena->next;
        free(r->arena);
        r->arena = next;
    }
    free(r->props);
    free(r->hrefs);
    free(r->patches);
    memset(r, 0, sizeof *r);
}

static int parse_xml(parse *ps, const char *body, size_t len)
{
    /* no encoding forced: expat follows the XML declaration (UTF-8 when
     * none), and hands every name and text over in UTF-8 */
    if (!(ps->p = XML_ParserCreateNS(NULL, SEP)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    XML_SetUserData(ps->p, ps);
    XML_SetElementHandler(ps->p, on_start, on_end);
    XML_SetCharacterDataHandler(ps->p, on_text);
    XML_SetStartDoctypeDeclHandler(ps->p, on_doctype);
    if (XML_Parse(ps->p, body, (int)len, XML_TRUE) == XML_STATUS_ERROR && !ps->rc)
        ps->rc = cl_seterr(CL_EINVAL, "malformed XML at line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(ps->p),
                           XML_ErrorString(XML_GetErrorCode(ps->p)));
    XML_ParserFree(ps->p);
    /* <D:propfind/> with nothing in it asks for what an empty body does */
    if (!ps->rc && ps->r->kind == DAV_PROPFIND && !ps->wanted)
        ps->r->want = DAV_WANT_ALLPROP;
    return ps->rc;
}

int dav_parse_request(const char *body, size_t len, dav_request *out)
{
    memset(out, 0, sizeof *out);
    if (!len) {
        out->kind = DAV_PROPFIND;
        out->want = DAV_WANT_ALLPROP;
        out->sync_token = "";
        return CL_OK;
    }
    if (len > INT_MAX) /* XML_Parse takes an int; the server's bound is far below */
        return cl_seterr(CL_EINVAL, "request body too large");
    parse *ps = calloc(1, sizeof *ps);
    if (!ps)
        return cl_seterr(CL_ENOMEM, "out of memory");
    ps->r = out;
    int rc = parse_xml(ps, body, len);
    free(ps);
    if (!out->sync_token)
        out->sync_token = "";
    if (rc)
        dav_request_free(out);
    return rc;
}
