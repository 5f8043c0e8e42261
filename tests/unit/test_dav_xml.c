/* WebDAV request bodies (src/http/dav_xml.c): what each request kind yields,
 * independent of prefixes, and the refusals that keep a body from costing
 * the server more than its size. Each body is handed over in a buffer of
 * its exact length, without a NUL, so that ASan sees any read past it. */
#include "testutil.h"

#include "http/dav_xml.h"

#include <stdlib.h>
#include <string.h>

#define NS_D "xmlns:D=\"DAV:\""
#define NS_C "xmlns:C=\"urn:ietf:params:xml:ns:carddav\""
#define NS_CAL "xmlns:C=\"urn:ietf:params:xml:ns:caldav\""

static int parse(const char *xml, size_t len, dav_request *r)
{
    char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, xml, len);
    int rc = dav_parse_request(exact, len, r);
    free(exact);
    return rc;
}

static dav_request parsed(const char *xml)
{
    dav_request r;
    int rc = parse(xml, strlen(xml), &r);
    if (rc)
        fail_msg("refused (%d): %s", rc, cl_errmsg());
    return r;
}

/* Refused with a message that starts with want; *out left empty. */
static void refused_len(const char *xml, size_t len, const char *want)
{
    dav_request r;
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(parse(xml, len, &r), CL_EINVAL);
    if (strncmp(cl_errmsg(), want, strlen(want)))
        fail_msg("message \"%s\", wanted \"%s...\"", cl_errmsg(), want);
    assert_null(r.props);
    assert_null(r.hrefs);
    assert_null(r.patches);
    assert_null(r.arena);
    assert_int_equal(r.nprops + r.nhrefs + r.npatches, 0);
}

static void refused(const char *xml, const char *want)
{
    refused_len(xml, strlen(xml), want);
}

/* A request as one line of text, to compare two parses whole. */
static char *describe(const dav_request *r)
{
    cl_buf b = {0};
    cl_buf_printf(&b, "kind=%d want=%d cal=%d token=%s inf=%d limit=%zu comp=%s", (int)r->kind, (int)r->want,
                  r->calendar, r->sync_token, r->sync_infinite, r->limit, r->comp);
    for (size_t i = 0; i < r->nprops; i++)
        cl_buf_printf(&b, " {%s}%s", r->props[i].ns, r->props[i].name);
    for (size_t i = 0; i < r->nhrefs; i++)
        cl_buf_printf(&b, " href=%s", r->hrefs[i]);
    for (size_t i = 0; i < r->npatches; i++)
        cl_buf_printf(&b, " %s {%s}%s%s%s=%s", r->patches[i].remove ? "remove" : "set", r->patches[i].prop.ns,
                      r->patches[i].prop.name, r->patches[i].lang ? "@" : "",
                      r->patches[i].lang ? r->patches[i].lang : "", r->patches[i].value ? r->patches[i].value : "(null)");
    char *s = cl_buf_steal(&b);
    assert_non_null(s);
    return s;
}

static void assert_prop(const dav_prop *p, const char *ns, const char *name)
{
    assert_string_equal(p->ns, ns);
    assert_string_equal(p->name, name);
}

static void prefixes_do_not_matter_namespaces_do(void **state)
{
    (void)state;
    static const char *const same[] = {
        "<D:propfind " NS_D " xmlns:CS=\"http://calendarserver.org/ns/\"><D:prop><D:resourcetype/><D:getetag/>"
        "<CS:getctag/></D:prop></D:propfind>",
        "<propfind xmlns=\"DAV:\"><prop><resourcetype/><getetag/>"
        "<getctag xmlns=\"http://calendarserver.org/ns/\"/></prop></propfind>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a:propfind xmlns:a=\"DAV:\" xmlns:D=\"urn:not-dav\">\n"
        "  <a:prop>\n    <a:resourcetype/>\n    <a:getetag/>\n"
        "    <D:getctag xmlns:D=\"http://calendarserver.org/ns/\"/>\n  </a:prop>\n</a:propfind>\n",
    };
    dav_request r = parsed(same[0]);
    char *want = describe(&r);
    assert_int_equal(r.kind, DAV_PROPFIND);
    assert_int_equal(r.want, DAV_WANT_PROPS);
    assert_int_equal(r.nprops, 3);
    assert_prop(&r.props[2], "http://calendarserver.org/ns/", "getctag");
    dav_request_free(&r);
    for (size_t i = 1; i < sizeof same / sizeof *same; i++) {
        r = parsed(same[i]);
        char *got = describe(&r);
        assert_string_equal(got, want);
        free(got);
        dav_request_free(&r);
    }
    free(want);
    /* the D: prefix bound to another namespace is not DAV: */
    refused("<D:propfind xmlns:D=\"urn:not-dav\"><D:prop/></D:propfind>", "unexpected root element <propfind>");
}

static void allprop_propname_and_empty_bodies(void **state)
{
    (void)state;
    dav_request r;
    assert_int_equal(dav_parse_request(NULL, 0, &r), CL_OK); /* RFC 4918 §9.1: no body is allprop */
    assert_int_equal(r.kind, DAV_PROPFIND);
    assert_int_equal(r.want, DAV_WANT_ALLPROP);
    assert_int_equal(r.nprops, 0);
    dav_request_free(&r);
    r = parsed("<propfind xmlns=\"DAV:\"/>");
    assert_int_equal(r.want, DAV_WANT_ALLPROP);
    dav_request_free(&r);
    r = parsed("<D:propfind " NS_D "><D:propname/></D:propfind>");
    assert_int_equal(r.want, DAV_WANT_PROPNAME);
    assert_int_equal(r.nprops, 0);
    dav_request_free(&r);
    r = parsed("<D:propfind " NS_D "><D:allprop/><D:include><D:supported-report-set/>"
               "<C:addressbook-description " NS_C "/></D:include></D:propfind>");
    assert_int_equal(r.want, DAV_WANT_ALLPROP);
    assert_int_equal(r.nprops, 2);
    assert_prop(&r.props[0], "DAV:", "supported-report-set");
    assert_prop(&r.props[1], "urn:ietf:params:xml:ns:carddav", "addressbook-description");
    dav_request_free(&r);
    refused("<D:propfind " NS_D "><D:allprop/><D:prop><D:getetag/></D:prop></D:propfind>", "more than one of");
}

static void unknown_elements_inside_a_request_are_ignored(void **state)
{
    (void)state;
    dav_request r = parsed("<D:propfind " NS_D " xmlns:X=\"urn:x\"><X:future a=\"1\"><D:prop><D:nope/></D:prop>"
                           "</X:future><D:prop><D:getetag><X:inside/></D:getetag></D:prop><!-- note -->"
                           "<?pi x?></D:propfind>");
    assert_int_equal(r.nprops, 1); /* not the prop inside X:future, not X:inside */
    assert_prop(&r.props[0], "DAV:", "getetag");
    dav_request_free(&r);
}

static void a_sync_collection_with_token_level_and_limit(void **state)
{
    (void)state;
    dav_request r = parsed("<?xml version=\"1.0\"?>\n<D:sync-collection " NS_D ">\n"
                           "  <D:sync-token>\n    http://clientele.invalid/sync/42\n  </D:sync-token>\n"
                           "  <D:sync-level>infinite</D:sync-level>\n"
                           "  <D:limit><D:nresults> 100 </D:nresults></D:limit>\n"
                           "  <D:prop><D:getetag/></D:prop>\n</D:sync-collection>");
    assert_int_equal(r.kind, DAV_SYNC_COLLECTION);
    assert_string_equal(r.sync_token, "http://clientele.invalid/sync/42");
    assert_true(r.sync_infinite);
    assert_int_equal(r.limit, 100);
    assert_int_equal(r.nprops, 1);
    dav_request_free(&r);
    r = parsed("<sync-collection xmlns=\"DAV:\"><sync-token>t</sync-token><sync-level>1</sync-level>"
               "<limit><nresults>99999999999999999999999</nresults></limit></sync-collection>");
    assert_false(r.sync_infinite);
    assert_true(r.limit == SIZE_MAX); /* past size_t: as good as no limit, not an error */
    dav_request_free(&r);
}

static void an_initial_sync_has_an_empty_token(void **state)
{
    (void)state;
    dav_request r = parsed("<D:sync-collection " NS_D "><D:sync-token/><D:sync-level>1</D:sync-level>"
                           "<D:prop><D:getetag/><D:getcontenttype/></D:prop></D:sync-collection>");
    assert_non_null(r.sync_token);
    assert_string_equal(r.sync_token, "");
    assert_false(r.sync_infinite);
    assert_int_equal(r.limit, 0);
    assert_int_equal(r.nprops, 2);
    dav_request_free(&r);
    r = parsed("<D:sync-collection " NS_D "><D:prop><D:getetag/></D:prop></D:sync-collection>");
    assert_string_equal(r.sync_token, ""); /* no sync-token at all: the same */
    dav_request_free(&r);
}

static void a_multiget_keeps_its_hrefs_in_order(void **state)
{
    (void)state;
    dav_request r = parsed("<C:addressbook-multiget " NS_D " " NS_C "><D:prop><D:getetag/><C:address-data>"
                           "<C:prop name=\"FN\"/></C:address-data></D:prop>"
                           "<D:href>/dav/contacts/b.vcf</D:href>\n<D:href>\n /dav/contacts/a%20c.vcf\t</D:href>"
                           "<D:href>/dav/contacts/b.vcf</D:href></C:addressbook-multiget>");
    assert_int_equal(r.kind, DAV_MULTIGET);
    assert_false(r.calendar);
    assert_int_equal(r.nprops, 2);
    assert_prop(&r.props[1], "urn:ietf:params:xml:ns:carddav", "address-data");
    assert_int_equal(r.nhrefs, 3);
    assert_string_equal(r.hrefs[0], "/dav/contacts/b.vcf");
    assert_string_equal(r.hrefs[1], "/dav/contacts/a%20c.vcf");
    assert_string_equal(r.hrefs[2], "/dav/contacts/b.vcf");
    dav_request_free(&r);
    r = parsed("<C:calendar-multiget " NS_D " " NS_CAL "><D:prop><C:calendar-data/></D:prop>"
               "<D:href>/cal/1.ics</D:href></C:calendar-multiget>");
    assert_int_equal(r.kind, DAV_MULTIGET);
    assert_true(r.calendar);
    assert_int_equal(r.nhrefs, 1);
    dav_request_free(&r);
}

static void a_calendar_query_names_its_component(void **state)
{
    (void)state;
    dav_request r = parsed("<C:calendar-query " NS_D " " NS_CAL "><D:prop><D:getetag/></D:prop><C:filter>"
                           "<C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VTODO\">"
                           "<C:prop-filter name=\"COMPLETED\"><C:is-not-defined/></C:prop-filter>"
                           "<C:comp-filter name=\"VALARM\"/></C:comp-filter></C:comp-filter></C:filter>"
                           "</C:calendar-query>");
    assert_int_equal(r.kind, DAV_QUERY);
    assert_true(r.calendar);
    assert_string_equal(r.comp, "VTODO"); /* the object's kind, not its VALARM */
    assert_int_equal(r.nprops, 1);
    dav_request_free(&r);
    r = parsed("<calendar-query xmlns=\"urn:ietf:params:xml:ns:caldav\"><filter><comp-filter name=\"vcalendar\">"
               "<comp-filter name=\"vevent\"><time-range start=\"20260101T000000Z\"/></comp-filter>"
               "</comp-filter></filter></calendar-query>");
    assert_string_equal(r.comp, "VEVENT");
    dav_request_free(&r);
    r = parsed("<C:calendar-query " NS_D " " NS_CAL "><D:prop><D:getetag/></D:prop><C:filter>"
               "<C:comp-filter name=\"VCALENDAR\"/></C:filter></C:calendar-query>");
    assert_string_equal(r.comp, "");
    dav_request_free(&r);
    r = parsed("<C:addressbook-query " NS_D " " NS_C "><D:prop><D:getetag/></D:prop><C:filter>"
               "<C:prop-filter name=\"FN\"/></C:filter></C:addressbook-query>");
    assert_int_equal(r.kind, DAV_QUERY);
    assert_false(r.calendar);
    assert_string_equal(r.comp, "");
    dav_request_free(&r);
    refused("<C:calendar-query " NS_CAL "><C:filter><C:comp-filter name=\"VTODO\"/></C:filter></C:calendar-query>",
            "a calendar-query filter must start with VCALENDAR");
    refused("<C:calendar-query " NS_CAL "><C:filter><C:comp-filter name=\"VCALENDAR\">"
            "<C:comp-filter name=\"VTODOVTODOVTODO1\"/></C:comp-filter></C:filter></C:calendar-query>",
            "unknown component"); /* not cut to a name it is not */
}

static void a_proppatch_sets_and_removes(void **state)
{
    (void)state;
    dav_request r = parsed("<D:propertyupdate " NS_D " xmlns:A=\"http://apple.com/ns/ical/\">"
                           "<D:set><D:prop><D:displayname>Work &amp; friends</D:displayname>"
                           "<A:calendar-color>#FF0000FF</A:calendar-color><D:empty/></D:prop></D:set>"
                           "<D:remove><D:prop><D:description>not kept</D:description></D:prop></D:remove>"
                           "<D:set><D:prop><D:x>a<D:b>b</D:b>c</D:x></D:prop></D:set></D:propertyupdate>");
    assert_int_equal(r.kind, DAV_PROPPATCH);
    char *d = describe(&r);
    assert_non_null(strstr(d, " set {DAV:}displayname=Work &amp; friends set {http://apple.com/ns/ical/}calendar-color="
                              "#FF0000FF set {DAV:}empty= remove {DAV:}description=(null) "
                              "set {DAV:}x=a<b xmlns=\"DAV:\">b</b>c"));
    free(d);
    assert_int_equal(r.npatches, 5);
    assert_int_equal(r.nprops, 5); /* the same properties, in the same order */
    assert_prop(&r.props[3], "DAV:", "description");
    assert_true(r.patches[3].remove);
    dav_request_free(&r);
}

/* The value a PROPPATCH sets: the markup the client gave, each element with
 * its namespace declared on it (whatever prefixes and defaults the body
 * used), attributes with theirs, empty elements as <x/>, text re-escaped
 * (a character reference is the character it names). litmus's props. */
static void a_set_value_is_kept_as_xml(void **state)
{
    (void)state;
    dav_request r = parsed("<?xml version=\"1.0\" encoding=\"utf-8\" ?><propertyupdate xmlns='DAV:'><set><prop>"
                           "<t:valnspace xmlns:t='http://example.com/neon/litmus/'><foo xmlns='http://bar'/>"
                           "</t:valnspace>"
                           "<high-unicode xmlns='urn:x'>&#65536;</high-unicode>"
                           "<nonamespace xmlns=\"\">random value </nonamespace>"
                           "<t:mixed xmlns:t='urn:t' xmlns:q='urn:q'>a &lt;b&gt; <q:i q:at='1\"2' plain='x'>"
                           "<t:j/>&#13;</q:i><none xmlns='' xml:lang='fr'>]]&gt;</none></t:mixed>"
                           "</prop></set></propertyupdate>");
    assert_int_equal(r.npatches, 4);
    assert_prop(&r.patches[0].prop, "http://example.com/neon/litmus/", "valnspace");
    assert_string_equal(r.patches[0].value, "<foo xmlns=\"http://bar\"/>");
    assert_string_equal(r.patches[1].value, "\xf0\x90\x80\x80");
    assert_prop(&r.patches[2].prop, "", "nonamespace");
    assert_string_equal(r.patches[2].value, "random value ");
    assert_string_equal(r.patches[3].value,
                        "a &lt;b&gt; <i xmlns=\"urn:q\" a1:at=\"1&quot;2\" xmlns:a1=\"urn:q\" plain=\"x\">"
                        "<j xmlns=\"urn:t\"/>&#13;</i><none xmlns=\"\" xml:lang=\"fr\">]]&gt;</none>");
    for (size_t i = 0; i < r.npatches; i++)
        assert_null(r.patches[i].lang);
    dav_request_free(&r);
}

/* A value written back is read again as the same value (what the fuzz
 * harness checks on any body). */
static void a_value_reads_back_as_itself(void **state)
{
    (void)state;
    dav_request r = parsed("<D:propertyupdate " NS_D " xmlns='urn:d'><D:set><D:prop><p>"
                           "<a x:b='&#10;&#9;' xmlns:x='urn:x'><c/>t&amp;\r\n<xml:e/></a></p>"
                           "</D:prop></D:set></D:propertyupdate>");
    cl_buf b = {0};
    cl_buf_printf(&b, "<D:propertyupdate " NS_D "><D:set><D:prop><p xmlns='urn:d'>%s</p></D:prop></D:set>"
                  "</D:propertyupdate>", r.patches[0].value);
    dav_request again = parsed((const char *)b.data);
    assert_string_equal(again.patches[0].value, r.patches[0].value);
    assert_non_null(strstr(r.patches[0].value, "a1:b=\"&#10;&#9;\""));
    assert_non_null(strstr(r.patches[0].value, "<xml:e/>"));
    dav_request_free(&again);
    dav_request_free(&r);
    cl_buf_free(&b);
}

/* xml:lang in scope at a set property, from it or an ancestor (RFC 4918
 * §4.4); xml:lang="" takes it away; a remove has none. */
static void a_set_value_keeps_its_language(void **state)
{
    (void)state;
    dav_request r = parsed("<D:propertyupdate " NS_D " xml:lang='de'><D:set><D:prop>"
                           "<D:displayname>Kunden</D:displayname>"
                           "<D:a xml:lang='en-GB'>clients</D:a><D:b xml:lang=''>x</D:b></D:prop></D:set>"
                           "<D:remove xml:lang='fr'><D:prop><D:c/></D:prop></D:remove>"
                           "<D:set><D:prop xml:lang='ro'><D:d><D:e xml:lang='it'/></D:d></D:prop></D:set>"
                           "</D:propertyupdate>");
    char *d = describe(&r);
    assert_non_null(strstr(d, " set {DAV:}displayname@de=Kunden set {DAV:}a@en-GB=clients set {DAV:}b=x "
                              "remove {DAV:}c=(null) set {DAV:}d@ro=<e xmlns=\"DAV:\" xml:lang=\"it\"/>"));
    free(d);
    dav_request_free(&r);
    char over[512];
    snprintf(over, sizeof over, "<D:propertyupdate " NS_D "><D:set><D:prop><D:a xml:lang='%065d'>x</D:a>"
             "</D:prop></D:set></D:propertyupdate>", 0);
    refused(over, "an xml:lang of over 64 bytes");
    /* outside a PROPPATCH a language means nothing to the request */
    r = parsed("<D:propfind " NS_D " xml:lang='0000000000000000000000000000000000000000000000000000000000000000000'>"
               "<D:prop><D:getetag/></D:prop></D:propfind>");
    dav_request_free(&r);
}

/* The value as XML counts against the text bound: escapes and declarations
 * included. */
static void a_set_value_is_bounded_as_written(void **state)
{
    (void)state;
    cl_buf b = {0};
    cl_buf_puts(&b, "<D:propertyupdate " NS_D "><D:set><D:prop><D:v>");
    for (int i = 0; i < DAV_XML_MAX_TEXT / 5 + 1; i++)
        cl_buf_puts(&b, "&amp;");
    cl_buf_puts(&b, "</D:v></D:prop></D:set></D:propertyupdate>");
    refused((const char *)b.data, "a text of over 8192 bytes");
    cl_buf_reset(&b);
    cl_buf_puts(&b, "<D:propertyupdate " NS_D "><D:set><D:prop><D:v>");
    for (int i = 0; i < DAV_XML_MAX_TEXT / 5; i++)
        cl_buf_puts(&b, "&amp;");
    cl_buf_puts(&b, "</D:v></D:prop></D:set></D:propertyupdate>");
    dav_request r = parsed((const char *)b.data);
    assert_int_equal(strlen(r.patches[0].value), DAV_XML_MAX_TEXT / 5 * 5);
    dav_request_free(&r);
    cl_buf_free(&b);
}

static void properties_of_any_namespace_are_kept(void **state)
{
    (void)state;
    dav_request r = parsed("<D:propfind " NS_D "><D:prop><D:current-user-principal/>"
                           "<CS:getctag xmlns:CS=\"http://calendarserver.org/ns/\"/><X:n xmlns:X=\"urn:x:y\"/>"
                           "<bare xmlns=\"\"/></D:prop></D:propfind>");
    assert_int_equal(r.nprops, 4);
    assert_prop(&r.props[0], "DAV:", "current-user-principal");
    assert_prop(&r.props[1], "http://calendarserver.org/ns/", "getctag");
    assert_prop(&r.props[2], "urn:x:y", "n");
    assert_prop(&r.props[3], "", "bare");
    dav_request_free(&r);
}

/* A long URI declared once and named by every property is kept once: a body
 * cannot make the server hold 256 copies of it. */
static void a_namespace_is_kept_once(void **state)
{
    (void)state;
    cl_buf b = {0};
    cl_buf_puts(&b, "<D:propfind " NS_D " xmlns:L=\"urn:");
    for (int i = 0; i < 8000; i++)
        cl_buf_put_u8(&b, 'x');
    cl_buf_puts(&b, "\"><D:prop>");
    for (int i = 0; i < DAV_XML_MAX_PROPS; i++)
        cl_buf_printf(&b, "<L:p%d/>", i);
    cl_buf_puts(&b, "</D:prop></D:propfind>");
    assert_int_equal(b.err, CL_OK);
    dav_request r = parsed((const char *)b.data);
    assert_int_equal(r.nprops, DAV_XML_MAX_PROPS);
    for (size_t i = 1; i < r.nprops; i++)
        assert_ptr_equal(r.props[i].ns, r.props[0].ns);
    dav_request_free(&r);
    cl_buf_free(&b);
}

static void malformed_xml_and_unknown_roots_are_refused(void **state)
{
    (void)state;
    refused("<D:propfind " NS_D ">\n<D:prop>\n<D:getetag>\n</D:prop></D:propfind>", "malformed XML at line 4");
    refused("<D:propfind " NS_D "><D:prop/></D:propfind><D:propfind " NS_D "/>", "malformed XML");
    refused("<D:propfind " NS_D ">", "malformed XML");
    refused("   ", "malformed XML");
    refused("<D:propfind><D:prop/></D:propfind>", "malformed XML"); /* an unbound prefix */
    refused("<propfind xmlns=\"DAV:\">&undefined;</propfind>", "malformed XML");
    refused_len("<propfind xmlns=\"DAV:\"/>\0", 25, "malformed XML");
    refused("<D:foo " NS_D "/>", "unexpected root element <foo> (namespace \"DAV:\")");
    refused("<propfind/>", "unexpected root element <propfind> (namespace \"\")");
    refused("<C:addressbook-multiget " NS_CAL "/>", "unexpected root element"); /* wrong namespace */
    refused("<D:sync-collection " NS_D "><D:sync-level>2</D:sync-level></D:sync-collection>",
            "sync-level must be 1 or infinite");
}

static void a_doctype_is_refused_before_any_entity_expands(void **state)
{
    (void)state;
    refused("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
            " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
            " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
            " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
            " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
            " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
            " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
            " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
            " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
            " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
            "]>\n<D:propertyupdate " NS_D "><D:set><D:prop><D:displayname>&lol9;</D:displayname></D:prop>"
            "</D:set></D:propertyupdate>",
            "a DOCTYPE is not accepted");
    refused("<!DOCTYPE propfind SYSTEM \"http://example.com/x.dtd\"><propfind xmlns=\"DAV:\"/>",
            "a DOCTYPE is not accepted");
}

/* n elements nested, the root a propfind and the rest unknown to it. */
static char *nested(int n)
{
    cl_buf b = {0};
    cl_buf_puts(&b, "<propfind xmlns=\"DAV:\">");
    for (int i = 1; i < n; i++)
        cl_buf_puts(&b, "<x>");
    for (int i = 1; i < n; i++)
        cl_buf_puts(&b, "</x>");
    cl_buf_puts(&b, "</propfind>");
    return cl_buf_steal(&b);
}

static void nesting_is_bounded(void **state)
{
    (void)state;
    char *ok = nested(DAV_XML_MAX_DEPTH), *deep = nested(DAV_XML_MAX_DEPTH + 1);
    dav_request r = parsed(ok);
    dav_request_free(&r);
    refused(deep, "elements nested deeper than 32");
    free(ok);
    free(deep);
}

static char *many_props(int n)
{
    cl_buf b = {0};
    cl_buf_puts(&b, "<D:propfind " NS_D "><D:prop>");
    for (int i = 0; i < n; i++)
        cl_buf_printf(&b, "<D:p%d/>", i);
    cl_buf_puts(&b, "</D:prop></D:propfind>");
    return cl_buf_steal(&b);
}

static void counts_are_bounded(void **state)
{
    (void)state;
    char *ok = many_props(DAV_XML_MAX_PROPS), *over = many_props(DAV_XML_MAX_PROPS + 1);
    dav_request r = parsed(ok);
    assert_int_equal(r.nprops, DAV_XML_MAX_PROPS);
    dav_request_free(&r);
    refused(over, "too many properties");
    free(ok);
    free(over);
    cl_buf b = {0};
    cl_buf_puts(&b, "<D:propertyupdate " NS_D "><D:set><D:prop>");
    for (int i = 0; i <= DAV_XML_MAX_PATCHES; i++)
        cl_buf_printf(&b, "<D:p%d>v</D:p%d>", i, i);
    cl_buf_puts(&b, "</D:prop></D:set></D:propertyupdate>");
    refused((const char *)b.data, "too many");
    cl_buf_reset(&b);
    cl_buf_puts(&b, "<C:addressbook-multiget " NS_D " " NS_C ">");
    for (int i = 0; i <= DAV_XML_MAX_HREFS; i++)
        cl_buf_printf(&b, "<D:href>/%d</D:href>", i);
    cl_buf_puts(&b, "</C:addressbook-multiget>");
    refused((const char *)b.data, "too many hrefs");
    cl_buf_free(&b);
}

static char *href_of(size_t n)
{
    cl_buf b = {0};
    cl_buf_puts(&b, "<C:addressbook-multiget " NS_D " " NS_C "><D:href>/");
    for (size_t i = 1; i < n; i++)
        cl_buf_put_u8(&b, 'a');
    cl_buf_puts(&b, "</D:href></C:addressbook-multiget>");
    return cl_buf_steal(&b);
}

static void texts_are_bounded(void **state)
{
    (void)state;
    char *ok = href_of(DAV_XML_MAX_TEXT), *over = href_of(9 * 1024);
    dav_request r = parsed(ok);
    assert_int_equal(strlen(r.hrefs[0]), DAV_XML_MAX_TEXT);
    dav_request_free(&r);
    refused(over, "a text of over 8192 bytes");
    free(ok);
    free(over);
}

static void nresults_must_be_a_positive_number(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "x", "", " ", "-1", "+5", "1.5", "1 2", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char xml[256];
        snprintf(xml, sizeof xml, "<D:sync-collection " NS_D "><D:sync-token/><D:limit><D:nresults>%s"
                 "</D:nresults></D:limit></D:sync-collection>", bad[i]);
        refused(xml, "nresults must be a positive number");
    }
}

/* Refusals late in a body, after strings, props and hrefs were kept: ASan's
 * leak check says they were all freed. */
static void a_late_refusal_frees_what_was_kept(void **state)
{
    (void)state;
    refused("<C:addressbook-multiget " NS_D " " NS_C "><D:prop><D:getetag/><X:y xmlns:X=\"urn:y\"/></D:prop>"
            "<D:href>/a</D:href><D:href>/b</D:href><D:bad></C:addressbook-multiget>",
            "malformed XML");
    refused("<D:propertyupdate " NS_D "><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set>"
            "<D:set><D:prop><D:a>y</D:prop></D:set></D:propertyupdate>",
            "malformed XML");
    dav_request r = parsed("<D:propfind " NS_D "><D:prop><D:getetag/></D:prop></D:propfind>");
    dav_request_free(&r);
    dav_request_free(&r); /* a second free is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefixes_do_not_matter_namespaces_do),
        cmocka_unit_test(allprop_propname_and_empty_bodies),
        cmocka_unit_test(unknown_elements_inside_a_request_are_ignored),
        cmocka_unit_test(a_sync_collection_with_token_level_and_limit),
        cmocka_unit_test(an_initial_sync_has_an_empty_token),
        cmocka_unit_test(a_multiget_keeps_its_hrefs_in_order),
        cmocka_unit_test(a_calendar_query_names_its_component),
        cmocka_unit_test(a_proppatch_sets_and_removes),
        cmocka_unit_test(a_set_value_is_kept_as_xml),
        cmocka_unit_test(a_value_reads_back_as_itself),
        cmocka_unit_test(a_set_value_keeps_its_language),
        cmocka_unit_test(a_set_value_is_bounded_as_written),
        cmocka_unit_test(properties_of_any_namespace_are_kept),
        cmocka_unit_test(a_namespace_is_kept_once),
        cmocka_unit_test(malformed_xml_and_unknown_roots_are_refused),
        cmocka_unit_test(a_doctype_is_refused_before_any_entity_expands),
        cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(counts_are_bounded),
        cmocka_unit_test(texts_are_bounded),
        cmocka_unit_test(nresults_must_be_a_positive_number),
        cmocka_unit_test(a_late_refusal_frees_what_was_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
