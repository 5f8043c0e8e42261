/* Fields of several items (src/model/items.c): the stored text and the
 * three-way merge that keeps what two devices added offline. */
#include "testutil.h"

#include "clientele/model.h"

#include <stdlib.h>
#include <string.h>

/* Parse text (plain or JSON) into items, failing the test on error. */
static cl_items parse(const char *text)
{
    cl_items it;
    assert_int_equal(cl_items_parse(text, strlen(text), &it), CL_OK);
    return it;
}

/* The canonical text of items (caller frees). */
static char *format(const cl_items *it)
{
    cl_buf b = {0};
    assert_int_equal(cl_items_format(it, &b), CL_OK);
    char *s = cl_buf_steal(&b);
    assert_non_null(s);
    return s;
}

/* merge3 of three texts, as canonical text. */
static char *merge(uint8_t kind, const char *base, const char *loser, const char *winner)
{
    cl_items b = parse(base), l = parse(loser), w = parse(winner), out;
    assert_int_equal(cl_items_merge3(kind, &b, &l, &w, &out), CL_OK);
    char *s = format(&out);
    cl_items_free(&b), cl_items_free(&l), cl_items_free(&w), cl_items_free(&out);
    return s;
}

#define assert_merge(kind, base, loser, winner, want)          \
    do {                                                       \
        char *got_ = merge(kind, base, loser, winner);         \
        assert_string_equal(got_, want);                       \
        free(got_);                                            \
    } while (0)

static void a_plain_value_is_one_item_and_stays_plain(void **state)
{
    (void)state;
    cl_items it = parse("+40 753 624 162");
    assert_int_equal(it.n, 1);
    assert_string_equal(it.v[0].value, "+40 753 624 162");
    assert_null(it.v[0].label);
    assert_ptr_equal(cl_items_preferred(&it), &it.v[0]);
    char *s = format(&it);
    assert_string_equal(s, "+40 753 624 162"); /* folders before issue 16 read and write the same bytes */
    free(s);
    cl_items_free(&it);
    it = parse("");
    assert_int_equal(it.n, 0);
    assert_null(cl_items_preferred(&it));
    s = format(&it);
    assert_string_equal(s, "");
    free(s);
    cl_items_free(&it);
}

static void a_list_round_trips_canonically(void **state)
{
    (void)state;
    cl_items it = parse(" [{\"label\":\"work\",\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\",\"pref\":true,\"label\":\"home\"},"
                        "{\"value\":\"\"},{\"value\":\"c@z.de\",\"pref\":false,\"label\":null}]");
    assert_int_equal(it.n, 3); /* the empty item is no item */
    assert_string_equal(cl_items_preferred(&it)->value, "b@y.fr");
    char *s = format(&it);
    assert_string_equal(s, "[{\"value\":\"a@x.ro\",\"label\":\"work\"},{\"value\":\"b@y.fr\",\"label\":\"home\",\"pref\":true},"
                           "{\"value\":\"c@z.de\"}]");
    cl_items again = parse(s);
    char *s2 = format(&again);
    assert_string_equal(s, s2);
    free(s), free(s2);
    cl_items_free(&it), cl_items_free(&again);
}

static void malformed_lists_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"[{", "[{\"value\":\"a\"}", "[]x", "[{\"label\":\"work\"}]", "[{\"value\":3}]", "[{\"value\":\"a\",\"pref\":\"yes\"}]",
                         "[{\"value\":\"a\",\"label\":7}]", "{\"value\":\"a\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cl_items it;
        int rc = cl_items_parse(bad[i], strlen(bad[i]), &it);
        /* a leading '{' is not a list: it is one plain value */
        if (bad[i][0] == '{') {
            assert_int_equal(rc, CL_OK);
            assert_int_equal(it.n, 1);
            cl_items_free(&it);
            continue;
        }
        assert_int_equal(rc, CL_EINVAL);
        assert_int_equal(it.n, 0);
    }
    /* a value that would read as a list is written as a list of one */
    cl_items odd = {0};
    assert_int_equal(cl_items_add(&odd, "[{x}]", NULL, false), CL_OK);
    char *o = format(&odd);
    assert_string_equal(o, "[{\"value\":\"[{x}]\"}]");
    free(o);
    cl_items_free(&odd);
    /* text that is not JSON is one plain value, even when it starts with [ */
    cl_items it = parse("[Bldg 3] Str. Lunga 5");
    assert_int_equal(it.n, 1);
    assert_string_equal(it.v[0].value, "[Bldg 3] Str. Lunga 5");
    char *s = format(&it); /* it does not start a list ("[{"): written as it is */
    assert_string_equal(s, "[Bldg 3] Str. Lunga 5");
    cl_items back = parse(s);
    assert_int_equal(back.n, 1);
    assert_string_equal(back.v[0].value, "[Bldg 3] Str. Lunga 5");
    free(s);
    cl_items_free(&it), cl_items_free(&back);
}

static void two_devices_adding_different_items_both_keep_theirs(void **state)
{
    (void)state;
    assert_merge(CL_K_PHONE, "+40 1", "[{\"value\":\"+40 1\"},{\"value\":\"+40 2\",\"label\":\"home\"}]",
                 "[{\"value\":\"+40 1\"},{\"value\":\"+40 3\",\"label\":\"mobile\"}]",
                 "[{\"value\":\"+40 1\"},{\"value\":\"+40 3\",\"label\":\"mobile\"},{\"value\":\"+40 2\",\"label\":\"home\"}]");
    /* from nothing, too */
    assert_merge(CL_K_EMAIL, "", "a@x.ro", "b@y.fr", "[{\"value\":\"b@y.fr\"},{\"value\":\"a@x.ro\"}]");
}

static void a_removal_goes_unless_the_other_side_changed_the_item(void **state)
{
    (void)state;
    const char *base = "[{\"value\":\"a@x.ro\",\"label\":\"work\"},{\"value\":\"b@y.fr\"}]";
    /* the loser removed b, the winner did not touch it: b goes */
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\",\"label\":\"work\"}]", base, "[{\"value\":\"a@x.ro\",\"label\":\"work\"}]");
    /* the winner removed a, the loser relabelled it: the edit is not lost */
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\",\"label\":\"home\"},{\"value\":\"b@y.fr\"}]",
                 "[{\"value\":\"b@y.fr\"}]", "[{\"value\":\"b@y.fr\"},{\"value\":\"a@x.ro\",\"label\":\"home\"}]");
}

static void an_item_both_changed_takes_the_winners_and_one_changed_takes_that_one(void **state)
{
    (void)state;
    const char *base = "[{\"value\":\"a@x.ro\",\"label\":\"work\"}]";
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\",\"label\":\"home\"}]", "[{\"value\":\"a@x.ro\",\"label\":\"other\"}]",
                 "[{\"value\":\"a@x.ro\",\"label\":\"other\"}]");
    /* only the loser changed it: the loser's change counts */
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\",\"label\":\"home\"}]", base, "[{\"value\":\"a@x.ro\",\"label\":\"home\"}]");
}

static void the_same_phone_written_two_ways_is_one_item(void **state)
{
    (void)state;
    assert_merge(CL_K_PHONE, "", "+40 753 624 162", "[{\"value\":\"+40753624162\",\"label\":\"mobile\"}]",
                 "[{\"value\":\"+40753624162\",\"label\":\"mobile\"}]");
    /* emails ignoring case */
    assert_merge(CL_K_EMAIL, "", "Ana@Acme.RO", "ana@acme.ro", "ana@acme.ro");
}

static void the_preferred_item_is_the_choice_of_the_side_that_made_one(void **state)
{
    (void)state;
    const char *base = "[{\"value\":\"a@x.ro\",\"pref\":true},{\"value\":\"b@y.fr\"}]";
    /* the loser made b preferred; the winner only added c */
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\",\"pref\":true}]",
                 "[{\"value\":\"a@x.ro\",\"pref\":true},{\"value\":\"b@y.fr\"},{\"value\":\"c@z.de\"}]",
                 "[{\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\",\"pref\":true},{\"value\":\"c@z.de\"}]");
    /* both chose: the winner's choice, and only one preferred */
    assert_merge(CL_K_EMAIL, base, "[{\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\",\"pref\":true}]",
                 "[{\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\"},{\"value\":\"c@z.de\",\"pref\":true}]",
                 "[{\"value\":\"a@x.ro\"},{\"value\":\"b@y.fr\"},{\"value\":\"c@z.de\",\"pref\":true}]");
}

/* Random lists over a small alphabet: merging with an unchanged side gives
 * the other side's items; merging a list with itself gives it back. */
static void property_an_unchanged_side_adds_nothing(void **state)
{
    (void)state;
    static const char *const values[] = {"a@x.ro", "b@y.fr", "c@z.de", "d@w.it", "e@v.es"};
    static const char *const labels[] = {NULL, "work", "home"};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 2000; round++) {
        cl_items l[2] = {{0}, {0}};
        for (int side = 0; side < 2; side++)
            for (size_t v = 0; v < 5; v++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                if (rng % 3)
                    assert_int_equal(cl_items_add(&l[side], values[v], labels[(rng >> 8) % 3], false), CL_OK);
            }
        cl_items out;
        assert_int_equal(cl_items_merge3(CL_K_EMAIL, &l[0], &l[0], &l[1], &out), CL_OK);
        char *got = format(&out), *want = format(&l[1]);
        assert_string_equal(got, want); /* the loser changed nothing: the winner's list */
        free(got), free(want), cl_items_free(&out);
        assert_int_equal(cl_items_merge3(CL_K_EMAIL, &l[0], &l[1], &l[0], &out), CL_OK);
        got = format(&out), want = format(&l[1]);
        assert_string_equal(got, want); /* the winner changed nothing: the loser's list */
        free(got), free(want), cl_items_free(&out);
        assert_int_equal(cl_items_merge3(CL_K_EMAIL, &l[0], &l[1], &l[1], &out), CL_OK);
        got = format(&out), want = format(&l[1]);
        assert_string_equal(got, want); /* the same change on both sides */
        free(got), free(want), cl_items_free(&out);
        cl_items_free(&l[0]), cl_items_free(&l[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_plain_value_is_one_item_and_stays_plain),
        cmocka_unit_test(a_list_round_trips_canonically),
        cmocka_unit_test(malformed_lists_are_refused),
        cmocka_unit_test(two_devices_adding_different_items_both_keep_theirs),
        cmocka_unit_test(a_removal_goes_unless_the_other_side_changed_the_item),
        cmocka_unit_test(an_item_both_changed_takes_the_winners_and_one_changed_takes_that_one),
        cmocka_unit_test(the_same_phone_written_two_ways_is_one_item),
        cmocka_unit_test(the_preferred_item_is_the_choice_of_the_side_that_made_one),
        cmocka_unit_test(property_an_unchanged_side_adds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
