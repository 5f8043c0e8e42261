/* Private to src/http: the bodies of the WebDAV requests the CardDAV/CalDAV
 * server answers (PROPFIND, the REPORTs, PROPPATCH), read with expat into a
 * dav_request. Elements are told apart by (namespace URI, local name), never
 * by prefix. The parser refuses any DOCTYPE (no entity is ever expanded) and
 * bounds what a body can make it hold: the limits below.
 *
 * This header needs nothing but the C library, so the fuzz harness
 * (tests/fuzz/fuzz_dav_xml.c) can include it without the server's headers. */
#ifndef CLIENTELE_HTTP_DAV_XML_H
#define CLIENTELE_HTTP_DAV_XML_H

#include <stdbool.h>
#include <stddef.h>

#define DAV_NS "DAV:"
#define DAV_NS_CARDDAV "urn:ietf:params:xml:ns:carddav"
#define DAV_NS_CALDAV "urn:ietf:params:xml:ns:caldav"

#define DAV_XML_MAX_DEPTH 32      /* element nesting, the root being 1 */
#define DAV_XML_MAX_PROPS 256     /* properties named in one request */
#define DAV_XML_MAX_HREFS 10000   /* hrefs of one multiget */
#define DAV_XML_MAX_PATCHES 256   /* set and remove of one PROPPATCH */
#define DAV_XML_MAX_TEXT 8192     /* one href, token, number, value (as XML), or property name */
#define DAV_XML_MAX_LANG 64       /* one xml:lang (a language tag, RFC 5646) */

/* Properties by namespace and local name, e.g. ("DAV:", "getetag"); ns is ""
 * for a property in no namespace. Strings owned by the request. */
typedef struct dav_prop {
    const char *ns, *name;
} dav_prop;

enum dav_kind {
    DAV_PROPFIND,        /* <D:propfind> (RFC 4918 §9.1) */
    DAV_SYNC_COLLECTION, /* <D:sync-collection> REPORT (RFC 6578) */
    DAV_MULTIGET,        /* <C:addressbook-multiget> (RFC 6352) or <C:calendar-multiget> (RFC 4791) */
    DAV_QUERY,           /* <C:addressbook-query> or <C:calendar-query> */
    DAV_PROPPATCH,       /* <D:propertyupdate> (RFC 4918 §9.2) */
};
enum dav_want { DAV_WANT_PROPS, DAV_WANT_ALLPROP, DAV_WANT_PROPNAME };

/* A <D:set> or <D:remove> of a PROPPATCH: the property and, for a set, its
 * value as XML (NULL for a remove): the content of the property element,
 * text escaped (& < > and CR) and each element written with the namespace
 * declarations it needs (<foo xmlns="urn:x"/>, attributes in a namespace
 * with a prefix declared beside them, xml:lang and anything else of the XML
 * namespace with the prefix xml), so that the value means the same wherever
 * it is written back (RFC 4918 §4.3). A text-only value is its escaped text
 * ("Work &amp; friends"). lang is the xml:lang in scope at the property
 * element (on it or on an ancestor), NULL when none: a server keeps it with
 * the value (RFC 4918 §4.4). */
typedef struct dav_patch {
    dav_prop prop;
    const char *value;
    const char *lang;
    bool remove;
} dav_patch;

struct dav_arena; /* private: the arena the strings live in (dav_xml.c) */

typedef struct dav_request {
    enum dav_kind kind;
    /* which properties: the list in props, all, or their names. A REPORT
     * that names none (no <D:prop>) is DAV_WANT_PROPS with nprops 0. */
    enum dav_want want;
    bool calendar; /* MULTIGET, QUERY: the CalDAV form (else CardDAV) */
    /* <D:prop> children (or <D:include> children with allprop), in order;
     * for PROPPATCH the properties of patches, in the same order. An
     * element inside a property (CardDAV's <C:address-data> options) is not
     * read. */
    dav_prop *props;
    size_t nprops;
    /* sync-collection: the <D:sync-token> text, "" when empty or absent
     * (initial sync); "" for the other kinds too: never NULL */
    const char *sync_token;
    bool sync_infinite; /* sync-collection: <D:sync-level>infinite</D:sync-level> (else 1) */
    size_t limit;       /* sync-collection <D:limit><D:nresults>N</D:nresults></D:limit>; 0 = none */
    const char **hrefs; /* multiget: the <D:href> texts, in order */
    size_t nhrefs;
    /* calendar-query: the name of the <C:comp-filter> inside the VCALENDAR
     * one ("VTODO", "VEVENT"), upper-cased: the kind of object asked for;
     * "" if none. Deeper comp-filters (a VALARM in a VEVENT), time-range,
     * prop-filter and is-not-defined are not read. */
    char comp[16];
    /* PROPPATCH: each <D:set>/<D:remove> <D:prop> child, with its value
     * as XML (NULL for remove), in document order */
    struct dav_patch *patches;
    size_t npatches;
    struct dav_arena *arena; /* private */
} dav_request;

/* Parse a request body of len bytes (not NUL-terminated). An empty body
 * (len 0) is a PROPFIND for allprop (RFC 4918 §9.1). CL_EINVAL with a
 * message saying what is wrong ("malformed XML at line 3: ...", "unexpected
 * root element <foo> (namespace "DAV:")", "a DOCTYPE is not accepted ...",
 * "too many properties (at most 256)", "an xml:lang of over 64 bytes") for anything that is not
 * one of the requests above;
 * CL_ENOMEM. On error *out holds nothing to free. Thread-safe. */
int dav_parse_request(const char *body, size_t len, dav_request *out);
/* Release everything r points to; r is left zeroed (a second call is harmless). */
void dav_request_free(dav_request *r);

#endif
