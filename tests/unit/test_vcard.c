/* vCard: the shapes Google, Apple, Outlook (2.1, quoted-printable) and the
 * RFC 6350 examples produce (the samples in tests/data/import), syntax corners,
 * malformed files refused whole, export and re-import by UID. */
#include "testutil.h"

#include "clientele/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tests/data/import next to this file's folder */
static char *read_sample(const char *name, size_t *len)
{
    char path[4096];
    const char *src = __FILE__, *slash = strrchr(src, '/');
    snprintf(path, sizeof path, "%.*s/../data/import/%s", (int)(slash ? slash - src : 1), slash ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    cl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        cl_buf_put(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return cl_buf_steal(&b);
}

static cl_vcard *parse_sample(const char *name, size_t *n)
{
    size_t len;
    char *data = read_sample(name, &len);
    cl_vcard *cards = NULL;
    int rc = cl_vcard_parse(data, len, name, &cards, n);
    if (rc)
        fail_msg("%s: %s", name, cl_errmsg());
    free(data);
    return cards;
}

static cl_vcard *parse_text(const char *text, size_t *n)
{
    cl_vcard *cards = NULL;
    int rc = cl_vcard_parse(text, strlen(text), "t.vcf", &cards, n);
    if (rc)
        fail_msg("%s", cl_errmsg());
    return cards;
}

static void has(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

/* An item of a field of several items, with its label (NULL: none). */
static void has_item(const cl_items *it, const char *value, const char *label)
{
    for (size_t i = 0; i < it->n; i++)
        if (!strcmp(it->v[i].value, value)) {
            if ((label || it->v[i].label) && (!label || !it->v[i].label || strcmp(label, it->v[i].label)))
                fail_msg("'%s' has label '%s', not '%s'", value, it->v[i].label ? it->v[i].label : "(none)",
                         label ? label : "(none)");
            return;
        }
    fail_msg("no item '%s' among %zu", value, it->n);
}

static void test_google(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_sample("google.vcf", &n);
    assert_int_equal(n, 3);
    assert_false(c[0].org);
    assert_string_equal(c[0].values[CL_F_NAME], "Ana María Pérez");
    assert_string_equal(c[0].values[CL_F_EMAIL], "ana.perez@gmail.com");
    assert_string_equal(c[0].values[CL_F_PHONE], "+34 612 34 56 78");
    assert_string_equal(c[0].company, "Globex");
    assert_string_equal(c[0].values[CL_F_TITLE], "Head of Purchasing");
    assert_string_equal(c[0].values[CL_F_BIRTHDAY], "1979-11-02");
    assert_string_equal(c[0].values[CL_F_ADDRESS], "Calle Mayor 5, 3º, 28013, Spain");
    assert_string_equal(c[0].values[CL_F_CITY], "Madrid");
    assert_string_equal(c[0].values[CL_F_TAGS], "myContacts,Fair 2025");
    has(c[0].values[CL_F_NOTES], "Met at the Madrid fair.\nPrefers calls after 10.");
    has_item(&c[0].items[CL_F_EMAIL], "ana@globex.example", "work"); /* a second email is an item, not a note */
    has_item(&c[0].items[CL_F_PHONE], "+34 91 123 45 67", "work");
    has_item(&c[0].items[CL_F_PROFILE], "https://globex.example/ana", NULL); /* a contact's URL: a profile */
    assert_null(strstr(c[0].values[CL_F_NOTES], "Web:"));
    assert_true(c[1].org); /* FN = ORG and no person's name */
    assert_string_equal(c[1].values[CL_F_NAME], "Globex");
    assert_string_equal(c[2].values[CL_F_NAME], "noname@example.org"); /* no name at all */
    cl_vcards_free(c, n);
}

static void test_apple(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_sample("apple.vcf", &n);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].values[CL_F_NAME], "Dr. Chidi Okafor");
    assert_string_equal(c[0].values[CL_F_EMAIL], "chidi@initech.example"); /* type=pref */
    assert_string_equal(c[0].values[CL_F_PHONE], "(415) 555-0199");
    assert_string_equal(c[0].company, "Initech");
    assert_string_equal(c[0].values[CL_F_BIRTHDAY], "1604-06-15");
    assert_string_equal(c[0].values[CL_F_CITY], "Springfield");
    has(c[0].values[CL_F_NOTES], "Reads Kant; loves dogs, cats\\and birds.");
    has_item(&c[0].items[CL_F_EMAIL], "chidi.home@example.net", "Private"); /* item2.X-ABLabel */
    has_item(&c[0].items[CL_F_PHONE], "+1 415 555 0100", "mobile");
    assert_true(c[1].org); /* X-ABShowAs:COMPANY */
    assert_string_equal(c[1].values[CL_F_NAME], "Initech");
    assert_string_equal(c[1].values[CL_F_WEBSITE], "https://initech.example");
    cl_vcards_free(c, n);
}

static void test_outlook_21(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_sample("outlook.vcf", &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].values[CL_F_NAME], "Jürgen Müller");          /* CHARSET=Windows-1252 */
    assert_string_equal(c[0].company, "Weiß & Söhne GmbH");
    assert_string_equal(c[0].values[CL_F_TITLE], "Geschäftsführer");
    assert_string_equal(c[0].values[CL_F_EMAIL], "j.mueller@weiss-soehne.example");
    assert_string_equal(c[0].values[CL_F_PHONE], "+49 (30) 1234-567");
    assert_string_equal(c[0].values[CL_F_ADDRESS], "Hauptstraße 1, 10115, Deutschland"); /* QP + charset */
    assert_string_equal(c[0].values[CL_F_BIRTHDAY], "1970-01-31");
    /* quoted-printable with a soft line break inside a UTF-8 sequence */
    has(c[0].values[CL_F_NOTES], "Erstes Treffen: Messe 2024.\nMöchte Angebote per Post – nicht per Mail.");
    has_item(&c[0].items[CL_F_PHONE], "+49 170 1234567", "mobile");
    cl_vcards_free(c, n);
}

static void test_rfc6350(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_sample("rfc6350.vcf", &n);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].values[CL_F_NAME], "Simon Perreault");
    assert_string_equal(c[0].values[CL_F_PHONE], "+1-418-656-9254 x102"); /* PREF=1, tel: URI */
    assert_string_equal(c[0].values[CL_F_ADDRESS], "2875 Laurier, Suite D2-630, QC G1V 2M2, Canada"); /* folded */
    assert_string_equal(c[0].values[CL_F_CITY], "Quebec");
    assert_string_equal(c[0].company, "Viagenie");
    assert_null(c[0].values[CL_F_BIRTHDAY]); /* --0203 has no year */
    has(c[0].values[CL_F_NOTES], "Birthday: --0203");
    has_item(&c[0].items[CL_F_PHONE], "+1-418-262-6501", "mobile");
    assert_int_equal(c[0].nwarnings, 1);
    assert_true(c[1].org); /* KIND:org */
    assert_string_equal(c[1].values[CL_F_TAGS], "partner,telecom");
    cl_vcards_free(c, n);
}

static void test_syntax_corners(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_text("\xEF\xBB\xBF"
                             "begin:vcard\n"
                             "version:3.0\n"
                             "\n"
                             "fn:Semi\\; Colon\\, Comma \\\\ Slash\n"
                             "note:one\\ntwo\\Nthree\n"
                             "email;type=\"work,pref\":a@x.example\n"
                             "EMAIL;TYPE=home:b@x.example\n"
                             "TEL;type=home;type=pref:+1 555 0001\n"
                             "TEL;CELL:+1 555 0002\n"
                             "CATEGORIES:a\\,b,c\n"
                             "CATEGORIES:d\n"
                             "N:Folded;Na\n"
                             "\tme;;;\n"
                             "end:vcard\n"
                             "BEGIN:VCARD\r\n"
                             "VERSION:4.0\r\n"
                             "N:Family;Given;Middle;Prof.;PhD\r\n"
                             "EMAIL;PREF=2:second@x.example\r\n"
                             "EMAIL;PREF=1:first@x.example\r\n"
                             "BDAY:19800102T000000Z\r\n"
                             "END:VCARD\r\n", &n);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].values[CL_F_NAME], "Semi; Colon, Comma \\ Slash");
    has(c[0].values[CL_F_NOTES], "one\ntwo\nthree");
    has_item(&c[0].items[CL_F_EMAIL], "b@x.example", "home");
    assert_string_equal(c[0].values[CL_F_EMAIL], "a@x.example");
    assert_string_equal(c[0].values[CL_F_PHONE], "+1 555 0001");
    assert_string_equal(c[0].values[CL_F_TAGS], "a,b,c,d");
    assert_string_equal(c[1].values[CL_F_NAME], "Prof. Given Middle Family PhD"); /* from N */
    assert_string_equal(c[1].values[CL_F_EMAIL], "first@x.example");
    assert_string_equal(c[1].values[CL_F_BIRTHDAY], "1980-01-02");
    cl_vcards_free(c, n);
}

/* iOS writes CR CR LF after each line; old Macs a CR alone. */
static void test_ios_and_mac_line_ends(void **state)
{
    (void)state;
    size_t n;
    cl_vcard *c = parse_text("BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Ana Pop\r\r\n"
                             "TEL;type=CELL:+40 753 624 162\r\r\nNOTE:met in\r\r\n  Cluj\r\r\nEND:VCARD\r\r\n"
                             "BEGIN:VCARD\rVERSION:2.1\rFN:Old Mac\rEMAIL:old@mac.example\rEND:VCARD\r", &n);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].values[CL_F_NAME], "Ana Pop");
    assert_string_equal(c[0].values[CL_F_PHONE], "+40 753 624 162");
    assert_string_equal(c[0].values[CL_F_NOTES], "met in Cluj");
    assert_string_equal(c[1].values[CL_F_NAME], "Old Mac");
    assert_string_equal(c[1].values[CL_F_EMAIL], "old@mac.example");
    cl_vcards_free(c, n);
    cl_vcard *bad = NULL;
    const char *text = "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nno colon here\r\r\nEND:VCARD\r\r\n";
    assert_int_equal(cl_vcard_parse(text, strlen(text), "t.vcf", &bad, &n), CL_EINVAL);
    has(cl_errmsg(), "line 3");
    assert_null(strchr(cl_errmsg(), '\r'));
}

static void parse_fails(const char *text, size_t len, const char *want)
{
    cl_vcard *cards = NULL;
    size_t n = 9;
    assert_int_equal(cl_vcard_parse(text, len, "t.vcf", &cards, &n), CL_EINVAL);
    assert_null(cards);
    assert_int_equal(n, 0);
    if (!strstr(cl_errmsg(), want))
        fail_msg("error '%s' does not say '%s'", cl_errmsg(), want);
}

static void test_malformed_syntax(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"", "no vCard"},
        {"hello world\n", "line 1: not a vCard line"},
        {"FN:Outside\n", "line 1: FN outside a card"},
        {"BEGIN:VCARD\nVERSION:5.0\nFN:X\nEND:VCARD\n", "line 2: vCard version '5.0'"},
        {"BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\n", "line 3: BEGIN:VCARD inside the card of line 1"},
        {"BEGIN:VCARD\nFN:A\nEND:VCALENDAR\n", "line 3: END:VCALENDAR"},
        {"BEGIN:VCALENDAR\nEND:VCALENDAR\n", "line 1: not a vCard"},
        {"BEGIN:VCARD\nVERSION:3.0\nTITLE:boss\nEND:VCARD\n", "line 1: a card without a name"},
        {"BEGIN:VCARD\nFN;CHARSET=X-NO-SUCH-SET:x\nEND:VCARD\n", "line 2: the character set X-NO-SUCH-SET is not supported"},
        {"BEGIN:VCARD\nVERSION:3.0\nFN:Fine\nEND:VCARD\nBEGIN:VCARD\nFN:Cut", "line 5: the card is not closed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        parse_fails(cases[i][0], strlen(cases[i][0]), cases[i][1]);
}

/* ----- with a store ----- */

typedef tu_fixture fixture;

static int import_data(cl_store *s, const char *name, const char *data, size_t len, cl_import_result *r)
{
    cl_import_opts o = {.name = name};
    return cl_vcard_import(s, data, len, &o, r);
}

static int import_sample(cl_store *s, const char *name, cl_import_result *r)
{
    size_t len;
    char *data = read_sample(name, &len);
    int rc = import_data(s, name, data, len, r);
    free(data);
    return rc;
}

static char *export(cl_store *s, uint8_t type)
{
    return tu_export(s, type, cl_vcard_export);
}

static uint64_t ops(cl_store *s)
{
    uint64_t n;
    assert_int_equal(cl_store_op_count(s, &n), CL_OK);
    return n;
}

static void test_malformed_files_change_nothing(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    assert_int_equal(import_sample(f->s, "google.vcf", &r), CL_OK);
    cl_import_result_free(&r);
    char before[65], after[65];
    tu_digest(f->s, before);
    static const char *const bad[][2] = {
        {"truncated.vcf", "truncated.vcf: line 5: the card is not closed"},
        {"garbage.vcf", "garbage.vcf: line 5: binary data"},
        {"latin1.vcf", "latin1.vcf: line 7: FN: not valid UTF-8"},
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(import_sample(f->s, bad[i][0], &r), CL_EINVAL);
        has(cl_errmsg(), bad[i][1]);
        assert_int_equal(r.nnotices, 0);
        tu_digest(f->s, after);
        assert_string_equal(before, after);
    }
}

static void test_import_all_samples(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    const char *samples[] = {"google.vcf", "apple.vcf", "outlook.vcf", "rfc6350.vcf"};
    for (size_t i = 0; i < 4; i++) {
        if (import_sample(f->s, samples[i], &r))
            fail_msg("%s: %s", samples[i], cl_errmsg());
        cl_import_result_free(&r);
    }
    char *contacts = export(f->s, CL_T_CONTACT), *companies = export(f->s, CL_T_COMPANY);
    /* the organisation cards updated the companies ORG created: one each */
    const char *orgs[] = {"FN:Globex\r\n", "FN:Initech\r\n", "FN:Viagenie\r\n", "FN:Weiß & Söhne GmbH\r\n"};
    for (size_t i = 0; i < 4; i++) {
        char *p = strstr(companies, orgs[i]);
        assert_non_null(p);
        assert_null(strstr(p + 1, orgs[i]));
    }
    has(companies, "URL:https://initech.example");
    has(contacts, "FN:Jürgen Müller\r\n");
    has(contacts, "BDAY:19791102\r\n");
    has(contacts, "CATEGORIES:myContacts,Fair 2025\r\n");
    free(contacts);
    free(companies);
    /* foreign cards carry no UID of ours: importing them again finds the
     * records by name (and email or phone) and changes nothing */
    char d1[65], d2[65];
    tu_digest(f->s, d1);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(import_sample(f->s, samples[i], &r), CL_OK);
        assert_int_equal(r.created, 0);
        assert_int_equal(r.duplicates, 0);
        cl_import_result_free(&r);
    }
    tu_digest(f->s, d2);
    assert_string_equal(d1, d2);
}

/* What was typed since the first import is not overwritten by a second one;
 * what was left empty is filled. */
static void test_reimport_fills_only_empty_fields(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    assert_int_equal(import_sample(f->s, "outlook.vcf", &r), CL_OK);
    cl_import_result_free(&r);
    char *before = export(f->s, CL_T_CONTACT);
    char *uid = strstr(before, "UID:");
    assert_non_null(uid);
    char idtext[CL_RECORD_ID_TEXT];
    snprintf(idtext, sizeof idtext, "%.26s", uid + 4);
    free(before);
    cl_record_id id;
    assert_int_equal(cl_record_id_parse(idtext, &id), CL_OK);
    cl_assign edit[] = {{"phone", "+49 30 999999"}, {"title", ""}};
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, &id, edit, 2, NULL), CL_OK);
    assert_int_equal(import_sample(f->s, "outlook.vcf", &r), CL_OK);
    assert_int_equal(r.created, 0);
    assert_int_equal(r.updated, 1);
    cl_import_result_free(&r);
    char *after = export(f->s, CL_T_CONTACT);
    has(after, "TEL;TYPE=work;PREF=1;VALUE=text:+49 30 999999\r\n"); /* the edit stays the preferred phone */
    has(after, "TEL;TYPE=work;VALUE=text:+49 (30) 1234-567\r\n");    /* the card's number is kept beside it */
    has(after, "TITLE:Geschäftsführer\r\n");
    free(after);
}

static void test_export_reimport_updates_by_uid(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    assert_int_equal(import_sample(f->s, "google.vcf", &r), CL_OK);
    cl_import_result_free(&r);
    assert_int_equal(import_sample(f->s, "outlook.vcf", &r), CL_OK);
    cl_import_result_free(&r);
    char *out = export(f->s, CL_T_CONTACT);
    has(out, "VERSION:4.0\r\n");
    uint64_t before = ops(f->s);
    char d1[65], d2[65];
    tu_digest(f->s, d1);
    assert_int_equal(import_data(f->s, "out.vcf", out, strlen(out), &r), CL_OK);
    assert_int_equal(r.created, 0);
    assert_int_equal(r.unchanged, 3);
    cl_import_result_free(&r);
    assert_int_equal(ops(f->s), before);
    tu_digest(f->s, d2);
    assert_string_equal(d1, d2);
    /* an edited card updates its record: same number of contacts */
    char *tel = strstr(out, "VALUE=text:+49 (30) 1234-567");
    assert_non_null(tel);
    memcpy(tel + strlen("VALUE=text:+49 (30) "), "7654", 4);
    assert_int_equal(import_data(f->s, "out.vcf", out, strlen(out), &r), CL_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.created, 0);
    cl_import_result_free(&r);
    char *again = export(f->s, CL_T_CONTACT);
    has(again, "VALUE=text:+49 (30) 7654-567");
    free(again);
    /* into an empty folder: the same cards, the same ids */
    char *dir = tu_tmpdir();
    cl_store *s2 = tu_store(dir, 2);
    assert_int_equal(import_data(s2, "out.vcf", out, strlen(out), &r), CL_OK);
    assert_int_equal(r.created, 3);
    cl_import_result_free(&r);
    char *a = export(f->s, CL_T_CONTACT), *b = export(s2, CL_T_CONTACT);
    /* REV differs (written now); compare everything up to each REV */
    for (char *p = a, *q = b; p && q; p = strstr(p + 1, "UID:"), q = strstr(q + 1, "UID:"))
        assert_memory_equal(p, q, (size_t)(strstr(p, "REV:") - p));
    free(a), free(b), free(out);
    cl_store_close(s2);
    tu_rmdir(dir);
    free(dir);
}

static void test_long_lines_fold_and_unfold(void **state)
{
    fixture *f = *state;
    char note[600];
    for (int i = 0; i < 590; i++)
        note[i] = "xyz, ;\\\n"[i % 8]; /* every character vCard escapes */
    note[589] = 'z';
    note[590] = 0;
    const char *multi = "Ünïcödé ñame that is long enough to need folding at seventy-five octets, surely";
    cl_assign a[] = {{"name", multi}, {"notes", note}};
    cl_record_id id;
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, NULL, a, 2, &id), CL_OK);
    char *out = export(f->s, CL_T_CONTACT);
    for (char *line = out, *e; (e = strstr(line, "\r\n")); line = e + 2)
        assert_true(e - line <= 75);
    size_t n;
    cl_vcard *c = parse_text(out, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].values[CL_F_NAME], multi);
    char *trimmed = strdup(note); /* the parser trims the ends of values */
    size_t k = strlen(trimmed);
    while (k && (trimmed[k - 1] == ' ' || trimmed[k - 1] == '\n'))
        trimmed[--k] = 0;
    assert_string_equal(c[0].values[CL_F_NOTES], trimmed);
    free(trimmed);
    cl_vcards_free(c, n);
    free(out);
}

static void test_duplicate_reported(void **state)
{
    fixture *f = *state;
    cl_assign a[] = {{"name", "Ana P."}, {"email", "ANA.PEREZ@gmail.com"}};
    cl_record_id id;
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, NULL, a, 2, &id), CL_OK);
    char text[CL_RECORD_ID_TEXT], want[128];
    cl_record_id_format(&id, text);
    snprintf(want, sizeof want, "possible duplicate of %s (same email)", text);
    cl_import_result r = {0};
    assert_int_equal(import_sample(f->s, "google.vcf", &r), CL_OK);
    assert_int_equal(r.duplicates, 1);
    int found = 0;
    for (size_t i = 0; i < r.nnotices; i++)
        found += strstr(r.notices[i], want) != NULL;
    assert_int_equal(found, 1);
    cl_import_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_google),
        cmocka_unit_test(test_apple),
        cmocka_unit_test(test_outlook_21),
        cmocka_unit_test(test_rfc6350),
        cmocka_unit_test(test_syntax_corners),
        cmocka_unit_test(test_ios_and_mac_line_ends),
        cmocka_unit_test(test_malformed_syntax),
        cmocka_unit_test_setup_teardown(test_malformed_files_change_nothing, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_import_all_samples, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_reimport_fills_only_empty_fields, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_export_reimport_updates_by_uid, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_long_lines_fold_and_unfold, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_reported, tu_store_setup, tu_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
