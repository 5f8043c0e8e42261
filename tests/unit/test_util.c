/* Ids, base32, folding, UTF-8, buffers and varints. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static cl_device_id some_device(void)
{
    cl_device_id d;
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        d.b[i] = (uint8_t)(i * 37 + 11);
    return d;
}

static void device_id_round_trips_in_any_case_and_spacing(void **state)
{
    (void)state;
    cl_device_id d = some_device(), back;
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&d, text);
    assert_int_equal(strlen(text), 41); /* 35 symbols, 6 dashes */
    assert_int_equal(cl_device_id_parse(text, &back), CL_OK);
    assert_memory_equal(d.b, back.b, CL_DEVICE_ID_LEN);
    char messy[64] = {0};
    for (size_t i = 0, o = 0; text[i]; i++)
        if (text[i] != '-') {
            messy[o++] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
            if (i % 3 == 0)
                messy[o++] = ' ';
        }
    assert_int_equal(cl_device_id_parse(messy, &back), CL_OK);
    assert_memory_equal(d.b, back.b, CL_DEVICE_ID_LEN);
}

static void every_single_typo_in_a_device_id_is_caught(void **state)
{
    (void)state;
    static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    cl_device_id d = some_device(), back;
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&d, text);
    for (size_t i = 0; text[i]; i++) {
        if (text[i] == '-')
            continue;
        for (int k = 0; k < 32; k++) {
            if (B32[k] == text[i])
                continue;
            char bad[CL_DEVICE_ID_TEXT];
            memcpy(bad, text, sizeof bad);
            bad[i] = B32[k];
            assert_int_equal(cl_device_id_parse(bad, &back), CL_EINVAL);
        }
    }
}

static void swapped_neighbours_in_a_device_id_are_caught(void **state)
{
    (void)state;
    cl_device_id d = some_device(), back;
    char text[CL_DEVICE_ID_TEXT], sym[40];
    cl_device_id_format(&d, text);
    size_t n = 0;
    for (size_t i = 0; text[i]; i++)
        if (text[i] != '-')
            sym[n++] = text[i];
    sym[n] = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (sym[i] == sym[i + 1])
            continue;
        char bad[40];
        memcpy(bad, sym, sizeof bad);
        bad[i] = sym[i + 1];
        bad[i + 1] = sym[i];
        assert_int_equal(cl_device_id_parse(bad, &back), CL_EINVAL);
    }
}

static void wrong_lengths_and_symbols_are_refused(void **state)
{
    (void)state;
    cl_device_id back;
    assert_int_equal(cl_device_id_parse("", &back), CL_EINVAL);
    assert_int_equal(cl_device_id_parse("ABCDE-FGHIJ", &back), CL_EINVAL);
    assert_int_equal(cl_device_id_parse("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-D", &back), CL_EINVAL);
    assert_int_equal(cl_device_id_parse("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67AB!", &back), CL_EINVAL);
}

static void record_ids_round_trip_and_reject_garbage(void **state)
{
    (void)state;
    cl_record_id id, back;
    assert_int_equal(cl_record_id_new(&id), CL_OK);
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(&id, text);
    assert_int_equal(strlen(text), 26);
    assert_int_equal(cl_record_id_parse(text, &back), CL_OK);
    assert_memory_equal(id.b, back.b, CL_RECORD_ID_LEN);
    assert_int_equal(cl_record_id_parse("short", &back), CL_EINVAL);
    assert_int_equal(cl_record_id_parse("aaaaaaaaaaaaaaaaaaaaaaaaa!", &back), CL_EINVAL);
}

static void fold(const char *in, const char *want)
{
    cl_buf b = {0};
    assert_int_equal(cl_fold(&b, in, strlen(in)), CL_OK);
    assert_string_equal((char *)b.data, want);
    cl_buf_free(&b);
}

static void folding_drops_case_and_accents(void **state)
{
    (void)state;
    fold("Dragoș Popescu", "dragos popescu");
    fold("Dragoş", "dragos"); /* s with cedilla */
    fold("Émile Zola", "emile zola");
    fold("Straße Ærø Łódź", "strasse aero lodz");
    fold("Cafe\xcc\x81", "cafe"); /* decomposed accent */
    fold("Москва", "Москва");      /* other scripts kept */
}

static void utf8_validation(void **state)
{
    (void)state;
    assert_true(cl_utf8_valid("Dragoș\n", 8));
    assert_false(cl_utf8_valid("\xff", 1));
    assert_false(cl_utf8_valid("\xc0\xaf", 2));   /* overlong */
    assert_false(cl_utf8_valid("a\x01", 2));      /* control */
    assert_false(cl_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
}

static void escaped(const char *in, bool keep_lines, const char *want)
{
    cl_buf b = {0};
    assert_int_equal(cl_escape_controls(&b, in, strlen(in), keep_lines), CL_OK);
    assert_string_equal((const char *)b.data, want);
    cl_buf_free(&b);
}

static void control_characters_are_escaped_for_terminals_and_logs(void **state)
{
    (void)state;
    escaped("a\x1b]52;c;aGk=\x07" "b", true, "a\\x1b]52;c;aGk=\\x07b");  /* OSC 52, BEL */
    escaped("over\rwrite", true, "over\\x0dwrite");                    /* a lone CR */
    escaped("two\r\nlines\tok\n", true, "two\r\nlines\tok\n");    /* kept for text */
    escaped("two\r\nlines\tok\n", false, "two\\x0d\\x0alines\\x09ok\\x0a"); /* one log line */
    escaped("csi\xc2\x9b" "31m del\x7f", true, "csi\\u009b31m del\\x7f"); /* C1 and DEL */
    escaped("Dragoș \xc2\xa0 Москва", true, "Dragoș \xc2\xa0 Москва");   /* other text kept */
    escaped("cut\xc2", true, "cut\xc2");
}

static void varints_and_reader_bounds(void **state)
{
    (void)state;
    cl_buf b = {0};
    uint64_t vals[] = {0, 1, 127, 128, 300, 1ull << 40, UINT64_MAX};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(cl_buf_put_varint(&b, vals[i]), CL_OK);
    cl_reader r;
    cl_reader_init(&r, b.data, b.len);
    for (size_t i = 0; i < 7; i++) {
        uint64_t v;
        assert_int_equal(cl_get_varint(&r, &v), CL_OK);
        assert_true(v == vals[i]);
    }
    uint64_t v;
    assert_int_equal(cl_get_varint(&r, &v), CL_ECORRUPT);
    cl_reader_init(&r, b.data, 1);
    assert_int_equal(cl_get_be64(&r, &v), CL_ECORRUPT);
    cl_buf_free(&b);
}

static void error_messages_wrap(void **state)
{
    (void)state;
    assert_int_equal(cl_seterr(CL_EINVAL, "bad %s", "date"), CL_EINVAL);
    assert_int_equal(cl_wraperr(CL_EINVAL, "contact"), CL_EINVAL);
    assert_string_equal(cl_errmsg(), "contact: bad date");
}

static void a_buffer_remembers_its_first_failure(void **state)
{
    (void)state;
    cl_buf b = {0};
    assert_int_equal(cl_buf_puts(&b, "kept"), CL_OK);
    assert_int_equal(cl_buf_reserve(&b, SIZE_MAX / 2), CL_ENOMEM);
    assert_int_equal(cl_buf_puts(&b, " lost"), CL_ENOMEM); /* later appends do nothing */
    assert_int_equal(cl_buf_printf(&b, "%d", 7), CL_ENOMEM);
    assert_int_equal(b.err, CL_ENOMEM);
    assert_string_equal((char *)b.data, "kept");
    assert_null(cl_buf_steal(&b)); /* nothing partial is handed over */
    assert_null(b.data);
    assert_int_equal(cl_buf_puts(&b, "again"), CL_OK); /* a freed buffer starts clean */
    assert_int_equal(cl_buf_reserve(&b, SIZE_MAX / 2), CL_ENOMEM);
    cl_buf_reset(&b);
    assert_int_equal(cl_buf_puts(&b, "fresh"), CL_OK);
    assert_string_equal((char *)b.data, "fresh");
    cl_buf_free(&b);
}

static void a_saved_error_survives_cleanup(void **state)
{
    (void)state;
    cl_seterr(CL_ETIMEOUT, "peer did not answer");
    cl_err_saved e;
    cl_err_save(&e, CL_ETIMEOUT);
    cl_seterr(CL_ENOTFOUND, "cleanup's own message");
    assert_int_equal(cl_err_restore(&e), CL_ETIMEOUT);
    assert_string_equal(cl_errmsg(), "peer did not answer");
}

static void a_growable_array_keeps_its_items_and_refuses_overflow(void **state)
{
    (void)state;
    uint64_t *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        assert_int_equal(cl_reserve(&v, &cap, n + 1, sizeof *v), CL_OK);
        assert_true(cap >= n + 1);
        v[n] = n * 7;
    }
    for (size_t n = 0; n < 1000; n++)
        assert_int_equal(v[n], n * 7);
    size_t before = cap;
    assert_int_equal(cl_reserve(&v, &cap, 10, sizeof *v), CL_OK); /* enough already */
    assert_int_equal(cap, before);
    assert_int_equal(cl_reserve(&v, &cap, SIZE_MAX / 4, sizeof *v), CL_ENOMEM);
    assert_int_equal(cap, before);  /* left as it was */
    assert_int_equal(v[999], 999 * 7);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_id_round_trips_in_any_case_and_spacing),
        cmocka_unit_test(every_single_typo_in_a_device_id_is_caught),
        cmocka_unit_test(swapped_neighbours_in_a_device_id_are_caught),
        cmocka_unit_test(wrong_lengths_and_symbols_are_refused),
        cmocka_unit_test(record_ids_round_trip_and_reject_garbage),
        cmocka_unit_test(a_growable_array_keeps_its_items_and_refuses_overflow),
        cmocka_unit_test(folding_drops_case_and_accents),
        cmocka_unit_test(utf8_validation),
        cmocka_unit_test(control_characters_are_escaped_for_terminals_and_logs),
        cmocka_unit_test(varints_and_reader_bounds),
        cmocka_unit_test(error_messages_wrap),
        cmocka_unit_test(a_buffer_remembers_its_first_failure),
        cmocka_unit_test(a_saved_error_survives_cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
