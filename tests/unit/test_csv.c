/* CSV: RFC 4180 parsing corner cases, import (all-or-nothing, updates by id,
 * references by name), export shape and round trip. */
#include "testutil.h"

#include "clientele/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cl_csv *parse_ok(const char *text)
{
    cl_csv *c = NULL;
    int rc = cl_csv_parse(text, strlen(text), "t.csv", &c);
    if (rc)
        fprintf(stderr, "parse: %s\n", cl_errmsg());
    assert_int_equal(rc, CL_OK);
    return c;
}

static void parse_fails(const char *text, size_t len, const char *want)
{
    cl_csv *c = NULL;
    assert_int_equal(cl_csv_parse(text, len, "t.csv", &c), CL_EINVAL);
    assert_null(c);
    if (!strstr(cl_errmsg(), want))
        fail_msg("error '%s' does not say '%s'", cl_errmsg(), want);
}

static void test_rfc4180_cases(void **state)
{
    (void)state;
    /* quotes doubled, a delimiter and line breaks inside quotes, an empty
     * quoted field, an empty unquoted one, CRLF and LF mixed, no final EOL */
    cl_csv *c = parse_ok("name,notes,tags\r\n"
                         "\"Doe, Jane\",\"She said \"\"hi\"\"\",\"\"\r\n"
                         "Bob,\"line one\r\nline two\nline three\",\n"
                         "\"\"\"quoted\"\"\",,x");
    assert_int_equal(c->ncols, 3);
    assert_int_equal(c->nrows, 4);
    assert_int_equal(c->delim, ',');
    assert_string_equal(cl_csv_cell(c, 1, 0), "Doe, Jane");
    assert_string_equal(cl_csv_cell(c, 1, 1), "She said \"hi\"");
    assert_string_equal(cl_csv_cell(c, 1, 2), "");
    assert_string_equal(cl_csv_cell(c, 2, 1), "line one\r\nline two\nline three");
    assert_string_equal(cl_csv_cell(c, 2, 2), "");
    assert_string_equal(cl_csv_cell(c, 3, 0), "\"quoted\"");
    assert_string_equal(cl_csv_cell(c, 3, 2), "x");
    /* line numbers count the line breaks inside quoted fields */
    assert_int_equal(c->line[0], 1);
    assert_int_equal(c->line[1], 2);
    assert_int_equal(c->line[2], 3);
    assert_int_equal(c->line[3], 6);
    cl_csv_free(c);
}

static void test_bom_semicolon_tab_blank_lines(void **state)
{
    (void)state;
    cl_csv *c = parse_ok("\xEF\xBB\xBFname;email;notes\n\nAnna;a@x.example;\"a;b, c\"\n\n");
    assert_int_equal(c->delim, ';');
    assert_int_equal(c->nrows, 2);
    assert_string_equal(cl_csv_cell(c, 0, 0), "name"); /* the BOM is not part of it */
    assert_string_equal(cl_csv_cell(c, 1, 2), "a;b, c");
    assert_int_equal(c->line[1], 3);
    cl_csv_free(c);
    c = parse_ok("name\tphone\nZoë\t+33 1 23 45 67 89\n");
    assert_int_equal(c->delim, '\t');
    assert_string_equal(cl_csv_cell(c, 1, 0), "Zoë");
    cl_csv_free(c);
    /* spaces are data; old Mac CR line ends; a quoted field ending the file */
    c = parse_ok("a,b\r  x ,\"\"\ry,\"last\"");
    assert_int_equal(c->nrows, 3);
    assert_string_equal(cl_csv_cell(c, 1, 0), "  x ");
    assert_string_equal(cl_csv_cell(c, 1, 1), "");
    assert_string_equal(cl_csv_cell(c, 2, 1), "last");
    cl_csv_free(c);
    c = parse_ok("name\nonly\n"); /* one column, no delimiter at all */
    assert_int_equal(c->ncols, 1);
    assert_int_equal(c->nrows, 2);
    cl_csv_free(c);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *unclosed = "name,notes\nA,\"open\nstill open\n";
    parse_fails(unclosed, strlen(unclosed), "line 2: a quoted field is not closed");
    const char *stray = "name,notes\nA,ok\nB,say \"hi\"\n";
    parse_fails(stray, strlen(stray), "line 3: a quote inside an unquoted field");
    const char *after = "name,notes\n\"A\"x,ok\n";
    parse_fails(after, strlen(after), "line 2: text after the closing quote");
    const char *ragged = "name,email\nA,a@x.example\nB\nC,c@x.example\n";
    parse_fails(ragged, strlen(ragged), "line 3: 1 fields where the header has 2");
    const char *latin1 = "name\nFran\xe7ois\n";
    parse_fails(latin1, strlen(latin1), "line 2: not valid UTF-8");
    const char nul[] = "name\nA\0B\n";
    parse_fails(nul, sizeof nul - 1, "binary data");
    parse_fails("", 0, "empty");
    parse_fails("\n\n", 2, "empty");
}

/* ----- importing ----- */

typedef tu_fixture fixture;

static int import(cl_store *s, uint8_t type, const char *text, cl_import_result *r)
{
    cl_import_opts o = {.name = "t.csv", .type = type};
    return cl_csv_import(s, text, strlen(text), &o, r);
}

static char *field(cl_store *s, const char *id_text, uint8_t f)
{
    cl_record_id id;
    assert_int_equal(cl_record_id_parse(id_text, &id), CL_OK);
    cl_txn *t;
    cl_record *r;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_record_load(t, &id, &r), CL_OK);
    cl_txn_end(t);
    char *v = r->values[f] ? strdup(r->values[f]) : NULL;
    cl_record_free(r);
    return v;
}

static char *export(cl_store *s, uint8_t type)
{
    return tu_export(s, type, cl_csv_export);
}

static size_t count(cl_store *s, uint8_t type)
{
    char *csv = export(s, type);
    size_t n = 0;
    for (char *p = csv; (p = strstr(p, "\r\n")); p += 2)
        n++;
    free(csv);
    return n - 1;
}

static void test_import_creates_and_finds_companies(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    int rc = import(f->s, 0, " Name ,EMAIL,company,tags,birthday\n"
                             "Jane Doe,jane@acme.example,Acme,\"vip, golf\",1980-02-29\n"
                             "John Roe,john@acme.example,Acme,,\n"
                             ",,,,\n"
                             "Zoë Ünal,zoe@globex.example,Globex,,\n", &r);
    if (rc)
        fail_msg("%s", cl_errmsg());
    assert_int_equal(r.created, 3);
    assert_int_equal(r.companies, 2); /* Acme once, Globex once */
    cl_import_result_free(&r);
    assert_int_equal(import(f->s, 0, "name,email,\r\nTrailing,t@x.example,\r\n", &r), CL_OK);
    assert_int_equal(r.created, 1);
    assert_int_equal(count(f->s, CL_T_CONTACT), 4);
    assert_int_equal(count(f->s, CL_T_COMPANY), 2);
    char *csv = export(f->s, CL_T_CONTACT);
    assert_non_null(strstr(csv, "\"vip,golf\""));
    assert_non_null(strstr(csv, "1980-02-29"));
    free(csv);
    cl_import_result_free(&r);
}

static void test_error_refuses_whole_file(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    char before[65], after[65];
    assert_int_equal(import(f->s, 0, "name\nKeep Me\n", &r), CL_OK);
    cl_import_result_free(&r);
    tu_digest(f->s, before);
    /* a bad value on line 4: lines 2 and 3 must not be stored either */
    assert_int_equal(import(f->s, 0, "name,birthday\nA,1990-01-01\nB,\nC,1990-13-45\nD,\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "t.csv: line 4"));
    assert_non_null(strstr(cl_errmsg(), "birthday"));
    tu_digest(f->s, after);
    assert_string_equal(before, after);
    /* an unknown column, a missing required value, a bad id */
    assert_int_equal(import(f->s, 0, "name,shoe_size\nA,42\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "line 1: contact has no field 'shoe_size'"));
    assert_int_equal(import(f->s, 0, "id,title,stage,amount\n,Big deal,lead,100\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "the header fits --type deal"));
    assert_int_equal(import(f->s, 0, "name,email\nA,a@x.example\n,b@x.example\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "line 3"));
    assert_int_equal(import(f->s, 0, "id,name\nnot-an-id,A\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "line 2"));
    assert_int_equal(import(f->s, 0, "name,name\nA,B\n", &r), CL_EINVAL);
    /* a column without a name (a trailing delimiter) must stay empty */
    assert_int_equal(import(f->s, 0, "name,\nA,\nB,oops\n", &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "line 3: a value in column 2, which has no name"));
    tu_digest(f->s, after);
    assert_string_equal(before, after);
}

static void test_update_by_id(void **state)
{
    fixture *f = *state;
    cl_assign a[] = {{"name", "Jane"}, {"email", "jane@x.example"}, {"phone", "+1 555 0100"}, {"title", "CEO"}};
    cl_record_id id, co;
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, NULL, a, 4, &id), CL_OK);
    cl_assign c[] = {{"name", "Acme"}};
    assert_int_equal(cl_record_put(f->s, CL_T_COMPANY, NULL, c, 1, &co), CL_OK);
    char text[CL_RECORD_ID_TEXT], cotext[CL_RECORD_ID_TEXT], csv[512];
    cl_record_id_format(&id, text);
    cl_record_id_format(&co, cotext);
    /* only the cells given change; an empty cell leaves its field alone */
    snprintf(csv, sizeof csv, "phone,id,title\n+1 555 0199,%s,\n", text);
    cl_import_result r = {0};
    assert_int_equal(import(f->s, 0, csv, &r), CL_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.created, 0);
    cl_import_result_free(&r);
    char *v = field(f->s, text, CL_F_PHONE);
    assert_string_equal(v, "+1 555 0199");
    free(v);
    v = field(f->s, text, CL_F_EMAIL);
    assert_string_equal(v, "jane@x.example");
    free(v);
    v = field(f->s, text, CL_F_TITLE);
    assert_string_equal(v, "CEO");
    free(v);
    /* a partial row: the required name left empty is not a clearing */
    snprintf(csv, sizeof csv, "id,name,email\n%s,,jane@new.example\n", text);
    assert_int_equal(import(f->s, 0, csv, &r), CL_OK);
    cl_import_result_free(&r);
    v = field(f->s, text, CL_F_NAME);
    assert_string_equal(v, "Jane");
    free(v);
    snprintf(csv, sizeof csv, "phone,id,title\n+1 555 0199,%s,\n", text);
    /* importing the same again changes nothing */
    assert_int_equal(import(f->s, 0, csv, &r), CL_OK);
    assert_int_equal(r.unchanged, 1);
    cl_import_result_free(&r);
    /* an id naming a company in a contact file is refused */
    snprintf(csv, sizeof csv, "id,name\n%s,Wrong\n", cotext);
    assert_int_equal(import(f->s, 0, csv, &r), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "line 2"));
}

static void test_export_shape_and_round_trip(void **state)
{
    fixture *f = *state;
    cl_import_result r = {0};
    const char *in = "name,notes,phone,company\n"
                     "\"Doe, Jane\",\"multi\nline \"\"quoted\"\" note\",+1 555 0100,Acme; Sons\n"
                     " Lead Space,,,\n";
    assert_int_equal(import(f->s, 0, in, &r), CL_OK);
    cl_import_result_free(&r);
    char *csv = export(f->s, CL_T_CONTACT);
    const char *head = "id,name,title,company,email,phone,address,city,birthday,notes,tags,referred_by,"
                       "nickname,given_name,family_name,department,anniversary,profile,cadence,"
                       "company name,referred_by name\r\n";
    assert_memory_equal(csv, head, strlen(head));
    assert_non_null(strstr(csv, ",\"Acme; Sons\",\r\n")); /* the company's name beside its id */
    assert_non_null(strstr(csv, ",\"Doe, Jane\","));
    assert_non_null(strstr(csv, "\"multi\nline \"\"quoted\"\" note\""));
    char *companies = export(f->s, CL_T_COMPANY);
    assert_non_null(strstr(companies, "\"Acme; Sons\""));
    /* into another folder: companies first (contacts point at them) */
    char *dir = tu_tmpdir();
    cl_store *s2 = tu_store(dir, 2);
    assert_int_equal(import(s2, CL_T_COMPANY, companies, &r), CL_OK);
    cl_import_result_free(&r);
    assert_int_equal(import(s2, CL_T_CONTACT, csv, &r), CL_OK);
    assert_int_equal(r.created, 2);
    cl_import_result_free(&r);
    char *csv2 = export(s2, CL_T_CONTACT), *companies2 = export(s2, CL_T_COMPANY);
    assert_string_equal(csv, csv2);
    assert_string_equal(companies, companies2);
    free(csv), free(csv2), free(companies), free(companies2);
    cl_store_close(s2);
    tu_rmdir(dir);
    free(dir);
}

/* Cells a spreadsheet would run as formulas are exported behind a ' and come
 * back whole on import; numbers and phone numbers are left alone. */
static void test_formulas_are_neutralised_and_round_trip(void **state)
{
    fixture *f = *state;
    static const char *const notes[] = {
        "=HYPERLINK(\"http://x.example/\",\"click\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
        "@SUM(1,2)", "'=1+1", "''@x", "'plain quote", "\tleading tab", "-", "+", "=",
    };
    static const char *const phones[] = {"+40 268 000 111", "-12.50", "(555) 010-0100", "+1 (555) 010/0100"};
    size_t nn = sizeof notes / sizeof *notes, np = sizeof phones / sizeof *phones;
    cl_record_id ids[16];
    for (size_t i = 0; i < nn; i++) {
        char name[32];
        snprintf(name, sizeof name, "Person %02zu", i);
        cl_assign a[3] = {{"name", name}, {"notes", notes[i]}, {"phone", i < np ? phones[i] : ""}};
        assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, NULL, a, i < np ? 3 : 2, &ids[i]), CL_OK);
    }
    char *csv = export(f->s, CL_T_CONTACT);
    /* no cell starts a formula: what follows a separator or an opening quote */
    for (const char *p = csv; *p; p++) {
        bool cell_start = *p == ',' || *p == '\n' || (*p == '"' && p > csv && p[-1] == ',');
        if (cell_start && p[1] && strchr("=@+", p[1]))
            assert_true(p[1] == '+' && strspn(p + 2, "0123456789 ()./,+-") >= strcspn(p + 2, ",\r"));
    }
    assert_non_null(strstr(csv, ",\"'=HYPERLINK("));
    assert_non_null(strstr(csv, ",'+cmd|"));
    assert_non_null(strstr(csv, ",'-2+3+cmd|"));
    assert_non_null(strstr(csv, ",''=1+1,"));   /* one ' more than the value has */
    assert_non_null(strstr(csv, ",'''@x,"));
    assert_non_null(strstr(csv, ",'plain quote,"));
    assert_non_null(strstr(csv, ",+40 268 000 111,"));
    assert_non_null(strstr(csv, ",-12.50,"));
    char *dir = tu_tmpdir();
    cl_store *s2 = tu_store(dir, 2);
    cl_import_result r = {0};
    assert_int_equal(import(s2, CL_T_CONTACT, csv, &r), CL_OK);
    assert_int_equal(r.created, nn);
    cl_import_result_free(&r);
    cl_txn *t;
    assert_int_equal(cl_store_read(s2, &t), CL_OK);
    for (size_t i = 0; i < nn; i++) {
        cl_field_state st;
        assert_int_equal(cl_txn_field(t, &ids[i], CL_F_NOTES, &st), CL_OK);
        assert_int_equal(st.value_len, strlen(notes[i]));
        assert_memory_equal(st.value, notes[i], st.value_len);
        if (i < np) {
            assert_int_equal(cl_txn_field(t, &ids[i], CL_F_PHONE, &st), CL_OK);
            assert_int_equal(st.value_len, strlen(phones[i]));
            assert_memory_equal(st.value, phones[i], st.value_len);
        }
    }
    cl_txn_end(t);
    free(csv);
    cl_store_close(s2);
    tu_rmdir(dir);
    free(dir);
}

static void test_duplicates_reported(void **state)
{
    fixture *f = *state;
    cl_assign a[] = {{"name", "Jane"}, {"email", "Jane@X.example"}, {"phone", "+1 (555) 010-0123"}};
    cl_record_id id;
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, NULL, a, 3, &id), CL_OK);
    char text[CL_RECORD_ID_TEXT], want[128];
    cl_record_id_format(&id, text);
    cl_import_result r = {0};
    assert_int_equal(import(f->s, 0, "name,email,phone\n"
                                     "J. Doe,jane@x.EXAMPLE,\n"
                                     "Janet,,15550100123\n"
                                     "Other,other@x.example,+1 555 999 0000\n", &r), CL_OK);
    assert_int_equal(r.created, 3);
    assert_int_equal(r.duplicates, 2);
    assert_int_equal(r.nnotices, 2);
    snprintf(want, sizeof want, "possible duplicate of %s (same email)", text);
    assert_non_null(strstr(r.notices[0], want));
    assert_non_null(strstr(r.notices[0], "t.csv: line 2"));
    snprintf(want, sizeof want, "possible duplicate of %s (same phone)", text);
    assert_non_null(strstr(r.notices[1], want));
    cl_import_result_free(&r);
}

static void test_many_rows_one_transaction(void **state)
{
    fixture *f = *state;
    cl_buf b = {0};
    cl_buf_puts(&b, "name,email,city\r\n");
    for (int i = 0; i < 5000; i++)
        cl_buf_printf(&b, "Person %d,p%d@example.com,\"Paris, France\"\r\n", i, i);
    cl_import_result r = {0};
    assert_int_equal(import(f->s, 0, (char *)b.data, &r), CL_OK);
    assert_int_equal(r.created, 5000);
    assert_int_equal(r.duplicates, 0);
    cl_import_result_free(&r);
    assert_int_equal(count(f->s, CL_T_CONTACT), 5000);
    cl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4180_cases),
        cmocka_unit_test(test_bom_semicolon_tab_blank_lines),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test_setup_teardown(test_import_creates_and_finds_companies, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_error_refuses_whole_file, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_update_by_id, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_export_shape_and_round_trip, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_formulas_are_neutralised_and_round_trip, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_reported, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_many_rows_one_transaction, tu_store_setup, tu_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
