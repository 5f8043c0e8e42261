/* Property test: damaged vCard, CSV and backup files (random byte flips,
 * cuts, inserted syntax) never crash a parser, and an import either succeeds
 * or changes nothing at all. Seed: --seed N or $CLIENTELE_SEED (printed). */
#include "testutil.h"

#include "clientele/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed, seed0;

static const char *const VCARD =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana María Pérez\r\nN:Pérez;Ana;;;\r\n"
    "item1.EMAIL;TYPE=INTERNET;TYPE=pref:ana@example.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;TYPE=CELL:+34 612 34 56 78\r\nORG:Globex;Sales\r\nADR;TYPE=WORK:;;Calle Mayor 5\\, 3º;Madrid;;28013;Spain\r\n"
    "NOTE:one\\ntwo\\, three\r\n  folded\r\nCATEGORIES:a,b\\,c\r\nBDAY:1979-11-02\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=Windows-1252:Gr=FC=DFe =\r\naus Berlin\r\nEND:VCARD\r\n";

static const char *const CSV =
    "\xEF\xBB\xBFname;email;notes;tags;company\r\n"
    "\"Doe; Jane\";jane@example.com;\"multi\r\nline \"\"quoted\"\"\";\"a,b\";Acme\r\n"
    "Bob;bob@example.com;;;\r\n";

static const char *const INSERTS[] = {"\\", "\"", "=", ";", ":", ",", "\r\n", "\n ", "{", "}", "[", "]",
                                      "\xc3", "\xff", "=\r\n", "BEGIN:VCARD\n", "END:VCARD\n", "\"\"", "\0"};

/* A damaged copy of text: a few random edits. Caller frees; *len set. */
static char *mutate(const char *text, size_t n, size_t *len)
{
    cl_buf b = {0};
    cl_buf_put(&b, text, n);
    int edits = 1 + (int)(tu_rand(&seed) % 6);
    for (int e = 0; e < edits && b.len; e++) {
        size_t at = (size_t)(tu_rand(&seed) % b.len);
        switch (tu_rand(&seed) % 4) {
        case 0: b.data[at] = (unsigned char)tu_rand(&seed); break;
        case 1: b.len = at; break;
        case 2: {
            size_t k = (size_t)(tu_rand(&seed) % (sizeof INSERTS / sizeof *INSERTS));
            size_t il = k == sizeof INSERTS / sizeof *INSERTS - 1 ? 1 : strlen(INSERTS[k]);
            cl_buf_reserve(&b, il);
            memmove(b.data + at + il, b.data + at, b.len - at);
            memcpy(b.data + at, INSERTS[k], il);
            b.len += il;
            break;
        }
        default: {
            size_t cut = 1 + (size_t)(tu_rand(&seed) % 20);
            cut = cut > b.len - at ? b.len - at : cut;
            memmove(b.data + at, b.data + at + cut, b.len - at - cut);
            b.len -= cut;
        }
        }
    }
    *len = b.len;
    char *out = malloc(b.len + 1);
    memcpy(out, b.data ? (char *)b.data : "", b.len);
    out[b.len] = 0;
    cl_buf_free(&b);
    return out;
}

static void test_parsers_never_crash(void **state)
{
    (void)state;
    for (int i = 0; i < 3000; i++) {
        size_t len;
        char *v = mutate(VCARD, strlen(VCARD), &len);
        cl_vcard *cards = NULL;
        size_t n = 0;
        int rc = cl_vcard_parse(v, len, "m.vcf", &cards, &n);
        assert_true(rc == CL_OK || rc == CL_EINVAL);
        assert_true(rc == CL_OK ? cards != NULL : cards == NULL);
        cl_vcards_free(cards, n);
        free(v);
        char *c = mutate(CSV, strlen(CSV), &len);
        cl_csv *csv = NULL;
        rc = cl_csv_parse(c, len, "m.csv", &csv);
        assert_true(rc == CL_OK || rc == CL_EINVAL);
        for (size_t r = 0; csv && r < csv->nrows; r++)
            for (size_t k = 0; k < csv->ncols; k++)
                assert_non_null(cl_csv_cell(csv, r, k));
        cl_csv_free(csv);
        free(c);
    }
}

static char *backup_of(cl_store *s)
{
    FILE *m = tmpfile();
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_backup_export(t, m, NULL), CL_OK);
    cl_txn_end(t);
    return tu_slurp(m);
}

/* Each damaged file goes into a folder that already holds data: refused
 * files must leave its digest as it was. */
static void test_imports_all_or_nothing(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *src = tu_tmpdir();
    cl_store *s = tu_store(dir, 1), *from = tu_store(src, 2);
    cl_import_opts o = {.name = "m"};
    cl_import_result r = {0};
    assert_int_equal(cl_vcard_import(from, VCARD, strlen(VCARD), &o, &r), CL_OK);
    cl_import_result_free(&r);
    char *backup = backup_of(from);
    for (int i = 0; i < 300; i++) {
        char before[65], after[65];
        tu_digest(s, before);
        int kind = i % 3, rc;
        const char *text = kind == 0 ? VCARD : kind == 1 ? CSV : backup;
        size_t len;
        char *m = mutate(text, strlen(text), &len);
        rc = kind == 0 ? cl_vcard_import(s, m, len, &o, &r)
           : kind == 1 ? cl_csv_import(s, m, len, &o, &r)
                       : cl_backup_import(s, m, len, &o, &r);
        assert_true(rc == CL_OK || rc == CL_EINVAL || rc == CL_EVERSION);
        if (rc) {
            tu_digest(s, after);
            if (strcmp(before, after))
                fail_msg("a refused %s import changed the data (seed %llu, round %d): %s",
                         kind == 0 ? "vCard" : kind == 1 ? "CSV" : "backup", (unsigned long long)seed0, i, cl_errmsg());
            assert_int_equal(r.nnotices, 0);
        }
        cl_import_result_free(&r);
        free(m);
    }
    free(backup);
    cl_store_close(s);
    cl_store_close(from);
    tu_rmdir(dir);
    tu_rmdir(src);
    free(dir);
    free(src);
}

int main(int argc, char **argv)
{
    seed = seed0 = tu_seed(argc, argv);
    printf("seed %llu\n", (unsigned long long)seed0);
    seed |= 1; /* xorshift needs a non-zero state */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsers_never_crash),
        cmocka_unit_test(test_imports_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
