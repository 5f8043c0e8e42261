/* WebDAV request bodies (src/http/dav_xml.c): dav_parse_request on any
 * bytes. A refused body leaves nothing behind; an accepted one stays within
 * the limits of dav_xml.h, with every string it points to there (ASan reads
 * them all) and its patches matching its props. A value a PROPPATCH sets is
 * XML that reads back as itself: written into a PROPPATCH of its own (as the
 * folder writes it into a PROPFIND answer), it parses, to the same value and
 * language. No store is used. */
#include "fuzz.h"

/* the harnesses are built without src/ on the include path (tests/fuzz.cmake);
 * dav_xml.h needs nothing but the C library */
#include "../../src/http/dav_xml.h"

#include <stdlib.h>
#include <string.h>

static void check_text(const char *s)
{
    if (!s || strlen(s) > DAV_XML_MAX_TEXT)
        abort();
}

static void check_prop(const dav_prop *p)
{
    check_text(p->ns);
    check_text(p->name);
    if (!*p->name) /* XML has no empty element name */
        abort();
}

#define XML_NS "http://www.w3.org/XML/1998/namespace"

static void put(char **p, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - *p) < n)
        abort(); /* the buffer is sized for the worst case */
    memcpy(*p, s, n);
    *p += n;
}

static void puts_(char **p, const char *end, const char *s)
{
    put(p, end, s, strlen(s));
}

/* an attribute value: the escapes dav_xml.c writes */
static void put_attr(char **p, const char *end, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '"' ? "&quot;" : *s == '\n' ? "&#10;"
                      : *s == '\r' ? "&#13;" : *s == '\t' ? "&#9;" : NULL;
        e ? puts_(p, end, e) : put(p, end, s, 1);
    }
}

/* <propertyupdate><set><prop><P:name xmlns:P="ns" xml:lang="…">value</P:name>…
 * (<name xmlns=""> in no namespace, <xml:name> in the XML one) */
static void reads_back(const struct dav_patch *p)
{
    size_t cap = 256 + 3 * strlen(p->prop.name) + 6 * strlen(p->prop.ns) + strlen(p->value) + 6 * DAV_XML_MAX_LANG;
    char *doc = malloc(cap), *w = doc, *end = doc + cap;
    if (!doc)
        abort();
    const char *px = !strcmp(p->prop.ns, XML_NS) ? "xml:" : *p->prop.ns ? "P:" : "";
    puts_(&w, end, "<propertyupdate xmlns=\"DAV:\"><set><prop><");
    puts_(&w, end, px);
    puts_(&w, end, p->prop.name);
    if (!*p->prop.ns)
        puts_(&w, end, " xmlns=\"\"");
    else if (!strcmp(px, "P:"))
        puts_(&w, end, " xmlns:P=\""), put_attr(&w, end, p->prop.ns), puts_(&w, end, "\"");
    if (p->lang)
        puts_(&w, end, " xml:lang=\""), put_attr(&w, end, p->lang), puts_(&w, end, "\"");
    puts_(&w, end, ">");
    puts_(&w, end, p->value);
    puts_(&w, end, "</");
    puts_(&w, end, px);
    puts_(&w, end, p->prop.name);
    puts_(&w, end, "></prop></set></propertyupdate>");
    dav_request again;
    if (dav_parse_request(doc, (size_t)(w - doc), &again) != CL_OK || again.npatches != 1)
        abort();
    const struct dav_patch *q = &again.patches[0];
    if (strcmp(q->value, p->value) || strcmp(q->prop.ns, p->prop.ns) || strcmp(q->prop.name, p->prop.name) ||
        (!q->lang != !p->lang) || (p->lang && strcmp(q->lang, p->lang)))
        abort();
    dav_request_free(&again);
    free(doc);
}

static void check(const dav_request *r)
{
    if ((unsigned)r->kind > DAV_PROPPATCH || (unsigned)r->want > DAV_WANT_PROPNAME)
        abort();
    if (r->nprops > DAV_XML_MAX_PROPS || r->nhrefs > DAV_XML_MAX_HREFS || r->npatches > DAV_XML_MAX_PATCHES)
        abort();
    if ((r->nprops && !r->props) || (r->nhrefs && !r->hrefs) || (r->npatches && !r->patches))
        abort();
    for (size_t i = 0; i < r->nprops; i++)
        check_prop(&r->props[i]);
    for (size_t i = 0; i < r->nhrefs; i++)
        check_text(r->hrefs[i]);
    check_text(r->sync_token);
    if (!memchr(r->comp, 0, sizeof r->comp) || (r->comp[0] && (r->kind != DAV_QUERY || !r->calendar)))
        abort();
    if ((r->nhrefs && r->kind != DAV_MULTIGET) || (r->limit && r->kind != DAV_SYNC_COLLECTION))
        abort();
    /* a PROPPATCH's props are its patches' properties, in order */
    if (r->kind == DAV_PROPPATCH ? r->npatches != r->nprops : r->npatches != 0)
        abort();
    for (size_t i = 0; i < r->npatches; i++) {
        const struct dav_patch *p = &r->patches[i];
        if (p->prop.ns != r->props[i].ns || p->prop.name != r->props[i].name || p->remove != !p->value)
            abort();
        if (p->lang && (p->remove || !*p->lang || strlen(p->lang) > DAV_XML_MAX_LANG))
            abort();
        if (p->value) {
            check_text(p->value);
            reads_back(p);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dav_request r;
    memset(&r, 0xa5, sizeof r);
    if (dav_parse_request((const char *)data, size, &r) != CL_OK) {
        if (r.props || r.hrefs || r.patches || r.arena || r.nprops || r.nhrefs || r.npatches)
            abort(); /* "on error *out holds nothing to free" */
        return 0;
    }
    check(&r);
    dav_request_free(&r);
    return 0;
}
