/* The JSON backup: restoring into an empty folder gives the same digest,
 * conflicts included; backups merge like syncs; damaged files change nothing. */
#include "testutil.h"

#include "clientele/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *backup(cl_store *s, size_t *count)
{
    FILE *m = tmpfile();
    assert_non_null(m);
    cl_txn *t;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_backup_export(t, m, count), CL_OK);
    cl_txn_end(t);
    return tu_slurp(m);
}

static int restore(cl_store *s, const char *data, size_t len, cl_import_result *r)
{
    cl_import_opts o = {.name = "backup.json"};
    int rc = cl_backup_import(s, data, len, &o, r);
    return rc;
}

static void restore_ok(cl_store *s, const char *data, size_t *ops)
{
    cl_import_result r = {0};
    int rc = restore(s, data, strlen(data), &r);
    if (rc)
        fail_msg("restore: %s", cl_errmsg());
    if (ops)
        *ops = r.ops;
    cl_import_result_free(&r);
}

static void same_digest(cl_store *a, cl_store *b)
{
    char da[65], db[65];
    tu_digest(a, da);
    tu_digest(b, db);
    assert_string_equal(da, db);
}

static cl_record_id put(cl_store *s, uint8_t type, const cl_record_id *id, const char *name, const char *value)
{
    cl_assign a = {name, value};
    cl_record_id out;
    int rc = cl_record_put(s, type, id, &a, 1, &out);
    if (rc)
        fail_msg("put: %s", cl_errmsg());
    return out;
}

static void test_restore_gives_same_digest(void **state)
{
    tu_stores *f = *state;
    cl_record_id co = put(f->s[0], CL_T_COMPANY, NULL, "name", "Acme");
    char cotext[CL_RECORD_ID_TEXT];
    cl_record_id_format(&co, cotext);
    cl_record_id c = put(f->s[0], CL_T_CONTACT, NULL, "name", "Jane \"JD\" Doe\nsecond line é ✓");
    put(f->s[0], CL_T_CONTACT, &c, "company", cotext);
    put(f->s[0], CL_T_CONTACT, &c, "phone", "+1 555 0100");
    put(f->s[0], CL_T_CONTACT, &c, "phone", "+1 555 0199"); /* history, not just state */
    cl_record_id t = put(f->s[0], CL_T_TASK, NULL, "title", "Send the proposal");
    put(f->s[0], CL_T_TASK, &t, "done", "yes");
    assert_int_equal(cl_record_delete(f->s[0], &t), CL_OK);
    size_t count, applied;
    char *b = backup(f->s[0], &count);
    assert_int_equal(count, 8);
    assert_non_null(strstr(b, "\"format\":\"clientele-backup\""));
    restore_ok(f->s[1], b, &applied);
    assert_int_equal(applied, 8);
    same_digest(f->s[0], f->s[1]);
    /* the history came along: the old phone number is in it */
    uint64_t nops;
    assert_int_equal(cl_store_op_count(f->s[1], &nops), CL_OK);
    assert_int_equal(nops, 8);
    /* restoring again is a no-op; the restored folder's backup restores too */
    restore_ok(f->s[1], b, &applied);
    assert_int_equal(applied, 0);
    char *b2 = backup(f->s[1], NULL);
    restore_ok(f->s[2], b2, NULL);
    same_digest(f->s[0], f->s[2]);
    free(b);
    free(b2);
}

static void test_conflicts_survive(void **state)
{
    tu_stores *f = *state;
    cl_record_id c = put(f->s[0], CL_T_CONTACT, NULL, "name", "Jane");
    char *b = backup(f->s[0], NULL);
    restore_ok(f->s[1], b, NULL);
    free(b);
    /* the same single-value field written on both devices without seeing
     * each other (a phone would merge: several items) */
    put(f->s[0], CL_T_CONTACT, &c, "title", "Buyer");
    put(f->s[1], CL_T_CONTACT, &c, "title", "Head of purchasing");
    char *ba = backup(f->s[0], NULL), *bb = backup(f->s[1], NULL);
    restore_ok(f->s[1], ba, NULL); /* a backup import merges op sets, like a sync */
    restore_ok(f->s[0], bb, NULL);
    same_digest(f->s[0], f->s[1]);
    cl_txn *t;
    cl_record *r;
    assert_int_equal(cl_store_read(f->s[0], &t), CL_OK);
    assert_int_equal(cl_record_load(t, &c, &r), CL_OK);
    cl_txn_end(t);
    assert_int_equal(r->nconflicts, 1);
    cl_record_free(r);
    /* an empty folder restored from one backup holds the conflict too */
    char *merged = backup(f->s[0], NULL);
    restore_ok(f->s[2], merged, NULL);
    same_digest(f->s[0], f->s[2]);
    free(ba), free(bb), free(merged);
}

static void test_binary_value_round_trip(void **state)
{
    tu_stores *f = *state;
    cl_record_id id;
    assert_int_equal(cl_record_id_new(&id), CL_OK);
    cl_op op = {.origin = tu_device(9), .seq = 1, .hlc = cl_now_ms() << 16, .record = id, .type = CL_T_CONTACT,
                .field = CL_F_NAME, .value = "bad \xff\x00 bytes", .value_len = 12};
    assert_int_equal(cl_store_apply(f->s[0], &op, 1, NULL), CL_OK);
    char *b = backup(f->s[0], NULL);
    assert_non_null(strstr(b, "\"value_hex\":\"626164"));
    restore_ok(f->s[1], b, NULL);
    same_digest(f->s[0], f->s[1]);
    free(b);
}

static void refused(cl_store *s, const char *data, size_t len, int code, const char *want)
{
    char before[65], after[65];
    tu_digest(s, before);
    cl_import_result r = {0};
    assert_int_equal(restore(s, data, len, &r), code);
    if (!strstr(cl_errmsg(), want))
        fail_msg("error '%s' does not say '%s'", cl_errmsg(), want);
    tu_digest(s, after);
    assert_string_equal(before, after);
}

static void test_json_check(void **state)
{
    (void)state;
    char deep[2 * (CL_JSON_MAX_DEPTH + 1) + 1];
    for (int d = CL_JSON_MAX_DEPTH; d <= CL_JSON_MAX_DEPTH + 1; d++) {
        memset(deep, '[', (size_t)d);
        memset(deep + d, ']', (size_t)d);
        assert_int_equal(cl_json_check(deep, 2 * (size_t)d), d <= CL_JSON_MAX_DEPTH ? CL_OK : CL_EINVAL);
    }
    /* brackets inside strings do not count; escapes are skipped whole */
    const char *quoted = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}";
    assert_int_equal(cl_json_check(quoted, strlen(quoted)), CL_OK);
    assert_int_equal(cl_json_check("\"a\\u0000b\"", 10), CL_EINVAL);
    assert_int_equal(cl_json_check("\"a\\\\u0000b\"", 11), CL_OK); /* the text \u0000 */
    assert_int_equal(cl_json_check("\"\\u00001\"", 9), CL_EINVAL);
}

static void test_damaged_backups_change_nothing(void **state)
{
    tu_stores *f = *state;
    cl_record_id c = put(f->s[0], CL_T_CONTACT, NULL, "name", "Jane");
    put(f->s[0], CL_T_CONTACT, &c, "email", "jane@x.example");
    put(f->s[0], CL_T_CONTACT, &c, "phone", "+1 555 0100");
    put(f->s[2], CL_T_CONTACT, NULL, "name", "Already here");
    char *b = backup(f->s[0], NULL);
    size_t len = strlen(b);
    cl_store *s = f->s[2];
    refused(s, b, len / 2, CL_EINVAL, "backup.json: line");   /* truncated */
    refused(s, b, len - 4, CL_EINVAL, "truncated");
    refused(s, "\x89PNG\r\n\x1a\n\0\0garbage", 16, CL_EINVAL, "line 1");
    refused(s, "{\"format\":\"something-else\",\"version\":1,\"ops\":[]}", 49, CL_EINVAL, "not a clientele backup");
    refused(s, "{\"ops\":[]}", 10, CL_EINVAL, "not a clientele backup");
    refused(s, "[1,2,3]", 7, CL_EINVAL, "expected '{'");
    /* nesting deeper than cJSON's recursion should see, a \u0000 in a string */
    char deep[64 + 2 * 2000];
    int n = snprintf(deep, sizeof deep, "{\"format\":\"clientele-backup\",\"version\":1,\"ops\":");
    for (int i = 0; i < 2000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 2000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    refused(s, deep, (size_t)n, CL_EINVAL, "nested deeper than 32");
    const char *nul = "{\"format\":\"clientele-backup\\u0000\",\"version\":1,\"ops\":[]}";
    refused(s, nul, strlen(nul), CL_EINVAL, "\\u0000");
    const char *newer = "{\"format\":\"clientele-backup\",\"version\":99,\"ops\":[]}";
    refused(s, newer, strlen(newer), CL_EVERSION, "newer");
    char *extra = malloc(len + 8);
    memcpy(extra, b, len);
    memcpy(extra + len, "{}", 3);
    refused(s, extra, len + 2, CL_EINVAL, "follows");
    free(extra);
    /* a gap in an origin's seqs (op 5 after op 1), on line 3 */
    char *gap = strdup(b), *p = strstr(gap, "\"seq\":2");
    assert_non_null(p);
    p[6] = '5';
    refused(s, gap, len, CL_EINVAL, "backup.json: line 3");
    free(gap);
    /* a field the type does not have */
    char *bad = strdup(b);
    p = strstr(bad, "\"field\":\"email\"");
    assert_non_null(p);
    memcpy(p + 9, "xmail", 5);
    refused(s, bad, len, CL_EINVAL, "contact has no field 'xmail'");
    free(bad);
    free(b);
}

static void test_empty_backup(void **state)
{
    tu_stores *f = *state;
    size_t count, applied;
    char *b = backup(f->s[0], &count);
    assert_int_equal(count, 0);
    restore_ok(f->s[1], b, &applied);
    assert_int_equal(applied, 0);
    same_digest(f->s[0], f->s[1]);
    /* formatting is free: a pretty-printed backup reads the same */
    const char *pretty = "\xEF\xBB\xBF{\n  \"format\" : \"clientele-backup\",\n  \"version\" : 1,\n  \"ops\" : [ ]\n}\n";
    restore_ok(f->s[1], pretty, &applied);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restore_gives_same_digest, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_survive, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(test_binary_value_round_trip, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_backups_change_nothing, tu_stores_setup, tu_stores_teardown),
        cmocka_unit_test(test_json_check),
        cmocka_unit_test_setup_teardown(test_empty_backup, tu_stores_setup, tu_stores_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
