/* Out of memory: every entry point of the codec layer (vCard, CSV, JSON,
 * backup, wire) and the util buffers and text helpers is run with its 1st,
 * 2nd, 3rd … allocation failing, until a run fails none. Each run must
 * leak nothing and, when an allocation was failed, return an error (never
 * CL_OK with a value missing or "(null)" in it); a failed import must leave
 * the store as it was.
 *
 * The failing allocator is hand-written: no Debian library injects
 * allocation failures into code linked statically into a test (libfiu, the
 * one Debian packages, fails libc calls from an LD_PRELOAD library, and the
 * ASan build refuses to run behind one: its runtime must come first). The
 * test is linked with
 * -Wl,--wrap=malloc,calloc,realloc,free,strdup,strndup (tests/unit.cmake),
 * so every call to these in libclientele and here comes to __wrap_* below;
 * __real_* are libc's (or ASan's, in the sanitizer build, which therefore
 * still sees every block). cJSON is a shared library: its allocations come
 * here through cJSON_InitHooks. LMDB and mbedTLS allocate inside their
 * shared libraries and are not failed. free is wrapped to count the blocks
 * a run leaves behind; while an entry point runs, realloc always moves the
 * block, so that code keeping the old pointer reads freed memory (which
 * ASan reports, and which crashes the other build sooner or later). */
#include "testutil.h"

#include "clientele/codec.h"
#include "clientele/wire.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- the counting, failing allocator ----- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#define LIVE_CAP (1u << 16) /* blocks a run may hold at once */
#define TOMB ((void *)1)

static struct {
    bool armed;      /* counting (and failing) allocations */
    long count;      /* allocations since armed */
    long fail_at;    /* the allocation to fail */
    bool failed;     /* it was failed */
    bool tracking;   /* recording live blocks */
    void *live[LIVE_CAP];
    size_t nlive;
} oom;

static size_t live_slot(const void *p)
{
    return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 48) & (LIVE_CAP - 1);
}

static void *track(void *p)
{
    if (!p || !oom.tracking)
        return p;
    size_t i = live_slot(p);
    while (oom.live[i] && oom.live[i] != TOMB)
        i = (i + 1) & (LIVE_CAP - 1);
    if (oom.nlive + 1 >= LIVE_CAP)
        abort(); /* a run holding 65536 blocks: not a small input */
    oom.live[i] = p;
    oom.nlive++;
    return p;
}

static void untrack(const void *p)
{
    if (!p || !oom.nlive)
        return;
    for (size_t i = live_slot(p); oom.live[i]; i = (i + 1) & (LIVE_CAP - 1))
        if (oom.live[i] == p) {
            oom.live[i] = TOMB;
            oom.nlive--;
            return;
        }
}

static bool fail_now(void)
{
    if (!oom.armed || ++oom.count != oom.fail_at)
        return false;
    oom.failed = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : track(__real_malloc(n));
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : track(__real_calloc(k, n));
}

void __wrap_free(void *p)
{
    untrack(p);
    __real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now())
        return NULL;
    if (!oom.armed || !p || !n) {
        untrack(p);
        return track(__real_realloc(p, n));
    }
    void *q = __real_malloc(n);
    if (!q)
        return NULL;
    size_t old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    __wrap_free(p);
    return track(q);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : track(__real_strdup(s));
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : track(__real_strndup(s, n));
}

static void *hook_malloc(size_t n)
{
    return __wrap_malloc(n);
}

static void hook_free(void *p)
{
    __wrap_free(p);
}

/* One run: allocation n fails (0: none). OOM_CALL arms around the entry
 * point only, so that what the test does to check and free the result is
 * neither counted nor failed; blocks are tracked until oom_end. */
static void oom_begin(long n)
{
    memset(oom.live, 0, sizeof oom.live);
    oom.nlive = 0;
    oom.count = 0;
    oom.fail_at = n;
    oom.failed = false;
    oom.tracking = true;
}

#define OOM_CALL(expr) (oom.armed = true, (expr), oom.armed = false)

static void oom_end(void)
{
    oom.armed = false;
    oom.tracking = false;
}

static int hooks_setup(void **state)
{
    (void)state;
    cJSON_Hooks h = {hook_malloc, hook_free};
    cJSON_InitHooks(&h);
    return 0;
}

static int hooks_teardown(void **state)
{
    (void)state;
    cJSON_InitHooks(NULL);
    return 0;
}

/* A run of an entry point: calls it inside OOM_CALL, checks and frees what
 * it gave (when it succeeded), returns its code. */
typedef int (*oom_run)(void *ctx);

#define MAX_ALLOCS 20000 /* far beyond any of these small inputs */

/* Fail allocation 1, 2, 3 … of run until a run fails none; returns the
 * number of allocations of that last run. A run that leaks or claims
 * success is reported and the sweep goes on (a later run may crash, which
 * says more); the test fails at the end. */
static long sweep(const char *what, oom_run run, void *ctx)
{
    long bad = 0;
    for (long n = 1; n <= MAX_ALLOCS; n++) {
        oom_begin(n);
        int rc = run(ctx);
        bool failed = oom.failed;
        long count = oom.count;
        size_t leaked = oom.nlive;
        oom_end();
        if (leaked && ++bad)
            print_error("%s: allocation %ld failed: %zu blocks leaked (rc %d: %s)\n", what, n, leaked, rc,
                        cl_errmsg());
        if (failed && rc >= 0 && ++bad)
            print_error("%s: allocation %ld failed, yet it returned %d\n", what, n, rc);
        if (!failed) {
            if (rc)
                fail_msg("%s: fails with no allocation failed: %s", what, cl_errmsg());
            if (bad)
                fail_msg("%s: %ld of %ld runs went wrong", what, bad, count + 1);
            print_message("%s: %ld allocations, each failed in turn\n", what, count);
            return count;
        }
    }
    fail_msg("%s: more than %d allocations", what, MAX_ALLOCS);
    return 0;
}

static void no_null_text(const char *what, const char *v)
{
    if (v && strstr(v, "(null)"))
        fail_msg("%s: '(null)' in '%s'", what, v);
}

/* ----- vCard ----- */

static const char CARD[] =
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Doe;Jane;Q.;Dr.;\r\n"
    "FN:Jane Doe\r\n"
    "ORG:Acme Ltd;Sales\r\n"
    "TITLE:Engineer\r\n"
    "item1.EMAIL;TYPE=INTERNET:jane@acme.example\r\n"
    "item1.X-ABLabel:_$!<Other>!$_\r\n"
    "EMAIL;TYPE=HOME,PREF:jane@home.example\r\n"
    "TEL;TYPE=CELL:tel:+1-418-656-9254;ext=102\r\n"
    "TEL;TYPE=WORK:+1 555 0100\r\n"
    "ADR;TYPE=WORK:;Suite 5;1 Main St;Springfield;IL;62701;USA\r\n"
    "ADR;TYPE=HOME:;;2 Elm St;Shelbyville;;;\r\n"
    "URL:https://acme.example\r\n"
    "BDAY:--0412\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Caf=E9 =\r\n"
    " au lait\r\n"
    "CATEGORIES:friends,work\r\n"
    "UID:not-ours-1\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "KIND:org\r\n"
    "FN:Acme Ltd\r\n"
    "ORG:Acme Ltd\r\n"
    "URL:https://acme.example\r\n"
    "EMAIL:not-an-email\r\n"
    "END:VCARD\r\n";

typedef struct text_in {
    const char *text;
} text_in;

static void check_card(const cl_vcard *c)
{
    for (int f = 0; f <= CL_F_MAX; f++)
        no_null_text("card", c->values[f]);
    for (size_t w = 0; w < c->nwarnings; w++) {
        assert_non_null(c->warnings[w]);
        no_null_text("warning", c->warnings[w]);
    }
    assert_non_null(c->values[CL_F_NAME]);
}

static int run_vcard_parse(void *ctx)
{
    text_in *in = ctx;
    cl_vcard *cards = NULL;
    size_t n = 0;
    int rc;
    OOM_CALL(rc = cl_vcard_parse(in->text, strlen(in->text), "t.vcf", &cards, &n));
    for (size_t i = 0; !rc && i < n; i++)
        check_card(&cards[i]);
    cl_vcards_free(cards, n);
    return rc;
}

static void test_vcard_parse(void **state)
{
    (void)state;
    text_in in = {CARD};
    sweep("cl_vcard_parse", run_vcard_parse, &in);
}

/* Regression: card_warn grew the warnings array, then the copy of the
 * message failed, and the card kept the array's old (freed) address:
 * cl_vcards_free read and freed it again (a heap use-after-free). */
static const char CARD21[] =
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=WINDOWS-1252;ENCODING=QUOTED-PRINTABLE:M=FCller;J=F6rg\r\n"
    "TEL;WORK;VOICE:+49 30 1234567\r\n"
    "TEL;HOME:+49 30 7654321\r\n"
    "EMAIL;INTERNET;PREF:joerg@example.de\r\n"
    "NOTE;ENCODING=BASE64:SGFsbG8gV2VsdA==\r\n"
    "ADR;HOME:;;Hauptstr. 1;Berlin;;10115;Germany\r\n"
    "BDAY:19700101\r\n"
    "X-ABShowAs:PERSON\r\n"
    "PHOTO;ENCODING=BASE64:!!!not base64!!!\r\n"
    "END:VCARD\r\n"
    "\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Only Phone\r\n"
    "TEL;VALUE=uri;PREF=1:tel:+1-555-0199\r\n"
    "URL:https://a.example\r\n"
    "URL:https://b.example\r\n"
    "END:VCARD\r\n";

static void test_vcard_parse_21(void **state)
{
    (void)state;
    text_in in = {CARD21};
    sweep("cl_vcard_parse 2.1", run_vcard_parse, &in);
}

static void test_vcard_warning_copy_fails(void **state)
{
    (void)state;
    text_in in = {"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nBDAY:--0412\r\nBDAY:--0513\r\nEND:VCARD\r\n"};
    sweep("cl_vcard_parse, two warnings", run_vcard_parse, &in);
}

/* Regression: N's split kept a part whose copy failed as NULL and the name
 * built from the parts dereferenced it. */
static void test_vcard_n_split_fails(void **state)
{
    (void)state;
    text_in in = {"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nEND:VCARD\r\n"};
    sweep("cl_vcard_parse, N", run_vcard_parse, &in);
}

typedef struct store_in {
    cl_store *s;
    const char *text;
    uint8_t type;
    int (*import)(cl_store *s, const char *data, size_t len, const cl_import_opts *o, cl_import_result *res);
    char digest[65];
    bool skip_bad;
} store_in;

static int run_import(void *ctx)
{
    store_in *in = ctx;
    cl_import_opts o = {.name = "t.in", .type = in->type, .skip_bad = in->skip_bad};
    cl_import_result res = {0};
    int rc;
    tu_digest(in->s, in->digest);
    OOM_CALL(rc = in->import(in->s, in->text, strlen(in->text), &o, &res));
    for (size_t i = 0; i < res.nnotices; i++)
        no_null_text("notice", res.notices[i]);
    for (size_t i = 0; i < res.nproblems; i++)
        no_null_text("problem", res.problems[i]);
    if (!rc && in->skip_bad && (res.nproblems != 1 || !res.refused))
        fail_msg("--skip-bad lost its refused row (%zu problems)", res.nproblems);
    if (rc) {
        char now[65];
        assert_int_equal(res.nnotices, 0);
        assert_int_equal(res.nproblems, 0);
        tu_digest(in->s, now);
        if (strcmp(now, in->digest))
            fail_msg("a failed import changed the store (%s)", cl_errmsg());
    }
    cl_import_result_free(&res);
    return rc;
}

/* Every stored value of the type, checked for "(null)". */
static void check_store(cl_store *s, uint8_t type)
{
    char *csv = tu_export(s, type, cl_csv_export);
    no_null_text("stored", csv);
    free(csv);
}

static void fill(cl_store *s)
{
    cl_import_opts o = {.name = "fill.vcf"};
    cl_import_result res = {0};
    if (cl_vcard_import(s, CARD, strlen(CARD), &o, &res))
        fail_msg("fill: %s", cl_errmsg());
    cl_import_result_free(&res);
}

static void test_vcard_import(void **state)
{
    tu_fixture *f = *state;
    store_in in = {f->s, CARD, 0, cl_vcard_import, "", false};
    sweep("cl_vcard_import", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
    check_store(f->s, CL_T_COMPANY);
}

/* The same file again: cards now match records by name and email and only
 * fill their empty fields; then the export, imported by UID, updates. */
static void test_vcard_reimport(void **state)
{
    tu_fixture *f = *state;
    fill(f->s);
    store_in in = {f->s, CARD, 0, cl_vcard_import, "", false};
    sweep("cl_vcard_import again", run_import, &in);
    in.text = CARD21;
    sweep("cl_vcard_import 2.1", run_import, &in);
    char *out = tu_export(f->s, CL_T_CONTACT, cl_vcard_export);
    in.text = out;
    sweep("cl_vcard_import of its export", run_import, &in);
    free(out);
    check_store(f->s, CL_T_CONTACT);
}

/* Regression: a second EMAIL's copy for notes failed unnoticed and the
 * import succeeded with "Email: (null)" in the contact's notes. */
static void test_vcard_import_null_in_notes(void **state)
{
    tu_fixture *f = *state;
    store_in in = {f->s, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEMAIL;PREF=1:a@x.example\r\n"
                         "EMAIL:b@x.example\r\nEND:VCARD\r\n", 0, cl_vcard_import, "", false};
    sweep("cl_vcard_import, two emails", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
}

/* --skip-bad of a vCard file: one card without a name is refused, written
 * out as it is; the other stored. */
static void test_vcard_import_skip_bad(void **state)
{
    tu_fixture *f = *state;
    store_in in = {f->s, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEMAIL:a@x.example\r\nEND:VCARD\r\n"
                         "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nobody\r\nEND:VCARD\r\n", 0, cl_vcard_import, "", true};
    sweep("cl_vcard_import --skip-bad", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
}

typedef struct export_in {
    cl_store *s;
    uint8_t type;
    int (*export)(cl_txn *t, uint8_t type, FILE *out, size_t *count);
} export_in;

static int run_export(void *ctx)
{
    export_in *in = ctx;
    FILE *m = tmpfile();
    cl_txn *t;
    size_t count = 0;
    int rc;
    assert_non_null(m);
    assert_int_equal(cl_store_read(in->s, &t), CL_OK);
    OOM_CALL(rc = in->export(t, in->type, m, &count));
    cl_txn_end(t);
    char *out = tu_slurp(m);
    no_null_text("export", out);
    free(out);
    return rc;
}

static void test_vcard_export(void **state)
{
    tu_fixture *f = *state;
    fill(f->s);
    export_in in = {f->s, CL_T_CONTACT, cl_vcard_export};
    sweep("cl_vcard_export contacts", run_export, &in);
    in.type = CL_T_COMPANY;
    sweep("cl_vcard_export companies", run_export, &in);
}

/* ----- CSV ----- */

static const char CSV[] = "\xEF\xBB\xBFname,email,company,notes,id\r\n"
                          "Ann,ann@x.example,Acme,\"line one\r\nline \"\"two\"\"\",\r\n"
                          "\r\n"
                          "Bob,bob@x.example,Initech,'=not a formula,\r\n"
                          "Cat,ann@x.example,Acme,,%s\r\n";

static int run_csv_parse(void *ctx)
{
    text_in *in = ctx;
    cl_csv *c = NULL;
    int rc;
    OOM_CALL(rc = cl_csv_parse(in->text, strlen(in->text), "t.csv", &c));
    if (!rc) {
        assert_int_equal(c->nrows, 4);
        for (size_t r = 0; r < c->nrows; r++)
            for (size_t j = 0; j < c->ncols; j++)
                assert_non_null(cl_csv_cell(c, r, j));
    }
    cl_csv_free(c);
    return rc;
}

static void test_csv_parse(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, CSV, "");
    text_in in = {text};
    sweep("cl_csv_parse", run_csv_parse, &in);
}

static void test_csv_import(void **state)
{
    tu_fixture *f = *state;
    cl_record_id id;
    char idt[CL_RECORD_ID_TEXT], text[512];
    assert_int_equal(cl_record_id_new(&id), CL_OK);
    cl_record_id_format(&id, idt);
    snprintf(text, sizeof text, CSV, idt);
    store_in in = {f->s, text, CL_T_CONTACT, cl_csv_import, "", false};
    sweep("cl_csv_import", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
}

/* Another program's layout (csv_map.c): names from parts, items with labels
 * and "a ::: b", an address from its parts, tags, a mangled phone, a
 * nameless row, notes for the rest; then the same in Windows-1252. */
static const char FOREIGN_CSV[] =
    "Notes:\n\"An export's preamble, as LinkedIn writes one.\"\n\n"
    "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Mobile Phone,"
    "Business Street,Business City,Business Postal Code,Organization Name,Birthday,Labels,Nickname\n"
    "Ana,Pop,* Work,ana@x.example ::: ana2@x.example,Mobile,+40 753 624 162 ::: 4.91511E+11,+40 1 ext. 23,"
    "Str. Mare 1,Cluj,400001,Acme,03/04/1970,* myContacts ::: Clients,Ani\n"
    ",,,,,,,,,,,,,\n"
    ",,,nobody@x.example,,,,,,,,,,\n";

static void test_csv_foreign_import(void **state)
{
    tu_fixture *f = *state;
    store_in in = {f->s, FOREIGN_CSV, CL_T_CONTACT, cl_csv_import, "", false};
    sweep("cl_csv_import, another program's layout", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
    const char cp1252[] = "First Name,Last Name,E-mail Address\r\nFran\xe7ois,Lef\xe8vre,f@x.example\r\n";
    store_in w = {f->s, cp1252, CL_T_CONTACT, cl_csv_import, "", false};
    sweep("cl_csv_import, Windows-1252", run_import, &w);
    check_store(f->s, CL_T_CONTACT);
}

/* --skip-bad: the passes, the refusals kept, the refused rows written. */
static void test_csv_skip_bad(void **state)
{
    tu_fixture *f = *state;
    store_in in = {f->s, "name,email,birthday\nA,a@x.example,1990-01-01\nB,b@x.example,1990-13-45\nC,,\n",
                   CL_T_CONTACT, cl_csv_import, "", true};
    sweep("cl_csv_import --skip-bad", run_import, &in);
    check_store(f->s, CL_T_CONTACT);
}

/* Its own export again: every row updates a record by id. */
static void test_csv_reimport(void **state)
{
    tu_fixture *f = *state;
    fill(f->s);
    char *out = tu_export(f->s, CL_T_CONTACT, cl_csv_export);
    store_in in = {f->s, out, CL_T_CONTACT, cl_csv_import, "", false};
    sweep("cl_csv_import of its export", run_import, &in);
    free(out);
    out = tu_export(f->s, CL_T_COMPANY, cl_csv_export);
    in.text = out;
    in.type = CL_T_COMPANY;
    sweep("cl_csv_import of companies", run_import, &in);
    free(out);
}

static void test_csv_export(void **state)
{
    tu_fixture *f = *state;
    fill(f->s);
    export_in in = {f->s, CL_T_CONTACT, cl_csv_export};
    sweep("cl_csv_export", run_export, &in);
}

/* undo-import: an import (not swept) taken back with allocations failing;
 * a failed undo leaves the store as it was, and a second one then works. */
static int run_undo(void *ctx)
{
    cl_store *s = ctx;
    const char *csv = "name,company,phone,phone 2\nA,Acme,+40 700 000 001,+40 700 000 002\n";
    cl_import_opts o = {.name = "u.csv"};
    cl_import_result res = {0};
    char before[65], after[65];
    if (cl_csv_import(s, csv, strlen(csv), &o, &res))
        fail_msg("undo: the import failed: %s", cl_errmsg());
    cl_import_result_free(&res);
    tu_digest(s, before);
    cl_undo_result u;
    int rc;
    OOM_CALL(rc = cl_import_undo(s, &u));
    if (rc) {
        tu_digest(s, after);
        if (strcmp(before, after))
            fail_msg("a failed undo changed the store (%s)", cl_errmsg());
        if (cl_import_undo(s, &u))
            fail_msg("the undo after a failed one failed too: %s", cl_errmsg());
    }
    return rc;
}

static void test_undo_import(void **state)
{
    tu_fixture *f = *state;
    fill(f->s);
    sweep("cl_import_undo", run_undo, f->s);
}

/* ----- JSON ----- */

static int run_json_record(void *ctx)
{
    const cl_record *r = ctx;
    cJSON *j;
    OOM_CALL(j = cl_json_record(r));
    if (!j)
        return cl_seterr(CL_ENOMEM, "cl_json_record: NULL");
    char *s = cJSON_PrintUnformatted(j);
    assert_non_null(s);
    no_null_text("record", s);
    assert_non_null(strstr(s, "\"winner\""));
    cJSON_free(s);
    cJSON_Delete(j);
    return CL_OK;
}

static void test_json_record(void **state)
{
    (void)state;
    cl_conflict conflicts[2] = {{.field = CL_F_EMAIL, .value = "old@x.example", .origin = tu_device(2), .hlc = 5},
                                {.field = CL_F_NAME, .value = "Annie", .origin = tu_device(3), .hlc = 6}};
    cl_record r = {0};
    assert_int_equal(cl_record_id_new(&r.id), CL_OK);
    r.type = CL_T_CONTACT;
    r.values[CL_F_NAME] = "Ann";
    r.values[CL_F_EMAIL] = "ann@x.example";
    r.values[CL_F_NOTES] = "a note";
    r.conflicts = conflicts;
    r.nconflicts = 2;
    sweep("cl_json_record", run_json_record, &r);
}

static int run_json_change(void *ctx)
{
    const cl_change *c = ctx;
    cJSON *j;
    OOM_CALL(j = cl_json_change(c));
    if (!j)
        return cl_seterr(CL_ENOMEM, "cl_json_change: NULL");
    assert_string_equal(cJSON_GetObjectItem(j, "to")->valuestring, "new");
    cJSON_Delete(j);
    return CL_OK;
}

static void test_json_change(void **state)
{
    (void)state;
    cl_change c = {CL_F_COMPANY, "company", "old", "new", tu_device(1), 3, 12345, true, "Acme", "Globex", 2};
    sweep("cl_json_change", run_json_change, &c);
}

static int run_json_assigns(void *ctx)
{
    const cJSON *fields = ctx;
    cl_assign *a = NULL;
    size_t n = 0;
    int rc;
    OOM_CALL(rc = cl_json_assigns(CL_T_CONTACT, fields, &a, &n));
    if (!rc) {
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
            assert_true(a[i].name && a[i].value);
    }
    cl_assigns_free(a, n);
    return rc;
}

static void test_json_assigns(void **state)
{
    (void)state;
    cJSON *fields = cJSON_Parse("{\"name\":\"Ann\",\"email\":null,\"notes\":\"hi\"}");
    assert_non_null(fields);
    sweep("cl_json_assigns", run_json_assigns, fields);
    cJSON_Delete(fields);
}

/* ----- backup ----- */

static int run_backup_export(void *ctx)
{
    cl_store *s = ctx;
    FILE *m = tmpfile();
    cl_txn *t;
    int rc;
    assert_non_null(m);
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    OOM_CALL(rc = cl_backup_export(t, m, NULL));
    cl_txn_end(t);
    char *out = tu_slurp(m);
    no_null_text("backup", out);
    free(out);
    return rc;
}

static void test_backup_round_trip(void **state)
{
    tu_stores *f = *state;
    fill(f->s[0]);
    sweep("cl_backup_export", run_backup_export, f->s[0]);
    FILE *m = tmpfile();
    cl_txn *t;
    assert_int_equal(cl_store_read(f->s[0], &t), CL_OK);
    assert_int_equal(cl_backup_export(t, m, NULL), CL_OK);
    cl_txn_end(t);
    char *backup = tu_slurp(m);
    store_in in = {f->s[1], backup, 0, cl_backup_import, "", false};
    sweep("cl_backup_import", run_import, &in);
    sweep("cl_backup_import, ops known", run_import, &in);
    char a[65], b[65];
    tu_digest(f->s[0], a);
    tu_digest(f->s[1], b);
    assert_string_equal(a, b);
    free(backup);
}

/* ----- wire ----- */

static int run_hello(void *ctx)
{
    (void)ctx;
    cl_hello h = {.version = CL_PROTOCOL_VERSION, .listen_port = 7000, .name = "laptop", .flags = CL_HELLO_INTRODUCE}, back;
    cl_vv_msg m = {0}, got;
    cl_buf b = {0};
    unsigned char chain[CL_CHAIN_LEN] = {1, 2, 3};
    int rc = CL_OK;
    for (uint8_t i = 1; !rc && i <= 3; i++) {
        cl_device_id d = tu_device(i);
        OOM_CALL(rc = cl_hello_vv_add(&h, &d, 100u * i, chain));
    }
    if (!rc)
        OOM_CALL(rc = cl_wire_hello_encode(&b, &h));
    if (!rc)
        OOM_CALL(rc = cl_wire_hello_decode(b.data, b.len, &back));
    if (!rc) {
        assert_string_equal(back.name, "laptop");
        assert_int_equal(back.flags, CL_HELLO_INTRODUCE);
        m.set = h.vv;
        m.nset = h.nvv;
        OOM_CALL(rc = cl_vv_hash(h.vv, h.nvv, m.hash));
    }
    if (!rc)
        OOM_CALL(rc = cl_wire_vv_encode(&b, &m));
    if (!rc)
        OOM_CALL(rc = cl_wire_vv_decode(b.data, b.len, &got));
    if (!rc) {
        assert_int_equal(got.nset, 3);
        assert_int_equal(got.set[2].seq, 300);
        assert_memory_equal(got.hash, m.hash, CL_SHA256_LEN);
        free(got.set);
        free(got.gone);
    }
    free(h.vv);
    cl_buf_free(&b);
    return rc;
}

static void test_wire_hello(void **state)
{
    (void)state;
    sweep("hello", run_hello, NULL);
}

static int run_ops(void *ctx)
{
    (void)ctx;
    cl_writer w = {0};
    cl_checkpoint cp = {0};
    cl_buf b = {0};
    cl_segment seg;
    w.id = w.device = tu_device(1);
    w.pubkey_len = 3;
    cp.sig_len = 4;
    int rc;
    OOM_CALL(rc = cl_wire_ops_begin(&b, &w));
    for (uint32_t i = 1; !rc && i <= 3; i++) {
        cl_op op = {0};
        op.origin = w.id;
        op.seq = i;
        op.type = CL_T_CONTACT;
        op.field = CL_F_NAME;
        op.nseen = i < 3 ? 2 : CL_MAX_SEEN; /* the last: the most an op takes */
        for (unsigned k = 0; k < op.nseen; k++) {
            op.seen[k].origin = k ? tu_device((uint8_t)(k + 1)) : w.id;
            op.seen[k].seq = i < 3 ? k : UINT64_MAX;
        }
        op.value = "a value of some length, to make the buffer grow";
        op.value_len = (uint32_t)strlen(op.value);
        OOM_CALL(rc = cl_wire_ops_add(&b, &op));
    }
    if (!rc)
        OOM_CALL(rc = cl_wire_ops_end(&b, 3, &cp));
    if (!rc)
        OOM_CALL(rc = cl_wire_ops_decode(b.data, b.len, &seg));
    if (!rc) {
        assert_int_equal(seg.n, 3);
        assert_int_equal(seg.ops[2].seq, 3);
        assert_int_equal(seg.ops[2].nseen, CL_MAX_SEEN);
        assert_true(seg.ops[2].seen[CL_MAX_SEEN - 1].seq == UINT64_MAX);
        free((void *)seg.ops);
    }
    cl_buf_free(&b);
    return rc;
}

static void test_wire_ops(void **state)
{
    (void)state;
    sweep("ops", run_ops, NULL);
}

static int run_small(void *ctx)
{
    (void)ctx;
    cl_buf b = {0};
    cl_invite_msg m = {{1, 2, 3}, 7000, "phone"}, back;
    uint64_t count;
    int rc;
    OOM_CALL(rc = cl_wire_done_encode(&b, 42));
    if (!rc)
        OOM_CALL(rc = cl_wire_done_decode(b.data, b.len, &count));
    if (!rc)
        assert_int_equal(count, 42);
    if (!rc)
        OOM_CALL(rc = cl_wire_invite_encode(&b, &m));
    if (!rc)
        OOM_CALL(rc = cl_wire_invite_decode(b.data, b.len, &back));
    if (!rc)
        assert_string_equal(back.name, "phone");
    cl_buf_free(&b);
    return rc;
}

static void test_wire_small(void **state)
{
    (void)state;
    sweep("done, invite", run_small, NULL);
}

/* ----- util: buffers, text, hashing ----- */

static int run_buf(void *ctx)
{
    (void)ctx;
    cl_buf b = {0};
    char *s = NULL;
    int *v = NULL;
    size_t cap = 0;
    int rc;
    OOM_CALL(rc = cl_buf_puts(&b, "hello"));
    for (int i = 0; !rc && i < 40; i++)
        OOM_CALL(rc = cl_buf_printf(&b, " %d", i));
    if (!rc)
        OOM_CALL(rc = cl_buf_put_varint(&b, UINT64_MAX));
    if (!rc)
        OOM_CALL(rc = cl_buf_put_be64(&b, 1));
    if (!rc)
        OOM_CALL(rc = cl_reserve(&v, &cap, 100, sizeof *v));
    if (!rc)
        OOM_CALL(s = cl_buf_steal(&b));
    if (!rc && !s)
        rc = cl_seterr(CL_ENOMEM, "cl_buf_steal: NULL");
    if (!rc) {
        assert_int_equal(strncmp(s, "hello 0 1 2", 11), 0);
        assert_true(cap >= 100);
    }
    cl_buf empty = {0};
    char *e = NULL;
    if (!rc)
        OOM_CALL(e = cl_buf_steal(&empty));
    if (!rc && !e)
        rc = cl_seterr(CL_ENOMEM, "cl_buf_steal: NULL");
    if (!rc)
        assert_string_equal(e, "");
    free(e);
    free(s);
    free(v);
    cl_buf_free(&b);
    return rc;
}

static void test_util_buf(void **state)
{
    (void)state;
    sweep("cl_buf", run_buf, NULL);
}

static int run_text(void *ctx)
{
    (void)ctx;
    static const char in[] = "Dragoș Émile ÆSIR \x1b[31m\xc2\x9b bell\a\r\nand more text to make buffers grow twice";
    cl_buf f = {0}, e = {0};
    cl_sha256_ctx *sc = NULL;
    cl_hash_ctx *hc = NULL;
    int rc;
    OOM_CALL(rc = cl_fold(&f, in, strlen(in)));
    if (!rc)
        OOM_CALL(rc = cl_escape_controls(&e, in, strlen(in), true));
    if (!rc)
        OOM_CALL(rc = cl_sha256_begin(&sc));
    if (!rc)
        OOM_CALL(rc = cl_hash_begin(&hc));
    if (!rc) {
        assert_non_null(strstr((char *)f.data, "dragos emile aesir"));
        assert_non_null(strstr((char *)e.data, "\\x1b[31m\\u009b bell\\x07\r\n"));
    }
    unsigned char out[32];
    if (sc)
        cl_sha256_end(sc, out);
    if (hc)
        cl_hash_end(hc, out);
    cl_buf_free(&f);
    cl_buf_free(&e);
    return rc;
}

static void test_util_text(void **state)
{
    (void)state;
    sweep("cl_fold, cl_escape_controls, hashes", run_text, NULL);
}

/* A test that crashed inside OOM_CALL leaves the allocator armed: each
 * test starts disarmed, so that one failure does not fail the rest. */
static int disarm(void **state)
{
    (void)state;
    oom_end();
    return 0;
}

static int store_setup(void **state)
{
    oom_end();
    return tu_store_setup(state);
}

static int stores_setup(void **state)
{
    oom_end();
    return tu_stores_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_vcard_parse, disarm),
        cmocka_unit_test_setup(test_vcard_parse_21, disarm),
        cmocka_unit_test_setup(test_vcard_warning_copy_fails, disarm),
        cmocka_unit_test_setup(test_vcard_n_split_fails, disarm),
        cmocka_unit_test_setup_teardown(test_vcard_import, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_vcard_reimport, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_vcard_import_null_in_notes, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_vcard_import_skip_bad, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_vcard_export, store_setup, tu_store_teardown),
        cmocka_unit_test_setup(test_csv_parse, disarm),
        cmocka_unit_test_setup_teardown(test_csv_import, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_csv_reimport, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_csv_foreign_import, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_csv_skip_bad, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_undo_import, store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_csv_export, store_setup, tu_store_teardown),
        cmocka_unit_test_setup(test_json_record, disarm),
        cmocka_unit_test_setup(test_json_change, disarm),
        cmocka_unit_test_setup(test_json_assigns, disarm),
        cmocka_unit_test_setup_teardown(test_backup_round_trip, stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup(test_wire_hello, disarm),
        cmocka_unit_test_setup(test_wire_ops, disarm),
        cmocka_unit_test_setup(test_wire_small, disarm),
        cmocka_unit_test_setup(test_util_buf, disarm),
        cmocka_unit_test_setup(test_util_text, disarm),
    };
    return cmocka_run_group_tests(tests, hooks_setup, hooks_teardown);
}
