/* WebDAV request bodies (src/http/dav_xml.c): dav_parse_request on any
 * bytes. A refused body leaves nothing behind; an accepted one stays within
 * the limits of dav_xml.h, with every string it points to there (ASan reads
 * them all) and its patches matching its props. No store is used. */
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
        if (p->value)
            check_text(p->value);
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
