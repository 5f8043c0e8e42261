/* The hybrid logical clock: monotonic, moves past what it observes, bounded. */
#include "testutil.h"

#include "clientele/hlc.h"

static void ticks_grow_even_when_the_wall_clock_stands_still(void **state)
{
    (void)state;
    cl_hlc c = {0};
    uint64_t a = cl_hlc_tick(&c, 1000), b = cl_hlc_tick(&c, 1000), d = cl_hlc_tick(&c, 1000);
    assert_true(a < b && b < d);
    assert_int_equal(cl_hlc_ms(d), 1000);
}

static void ticks_grow_when_the_wall_clock_goes_back(void **state)
{
    (void)state;
    cl_hlc c = {0};
    uint64_t a = cl_hlc_tick(&c, 5000);
    uint64_t b = cl_hlc_tick(&c, 4000);
    assert_true(b > a);
}

static void follows_the_wall_clock(void **state)
{
    (void)state;
    cl_hlc c = {0};
    cl_hlc_tick(&c, 1000);
    assert_int_equal(cl_hlc_tick(&c, 2000), cl_hlc_make(2000, 0));
}

static void observing_moves_past_the_remote_stamp(void **state)
{
    (void)state;
    cl_hlc c = {0};
    uint64_t remote = cl_hlc_make(1500, 7);
    cl_hlc_observe(&c, remote, 1000);
    assert_true(cl_hlc_tick(&c, 1000) > remote);
}

static void observing_the_past_changes_nothing(void **state)
{
    (void)state;
    cl_hlc c = {0};
    uint64_t now = cl_hlc_tick(&c, 9000);
    cl_hlc_observe(&c, cl_hlc_make(10, 0), 9000);
    assert_int_equal(c.last, now);
}

static void a_clock_a_year_ahead_pulls_at_most_the_bound(void **state)
{
    (void)state;
    cl_hlc c = {0};
    uint64_t wall = 1700000000000ull, year = 365ull * 24 * 3600 * 1000;
    cl_hlc_observe(&c, cl_hlc_make(wall + year, 0), wall);
    uint64_t t = cl_hlc_tick(&c, wall);
    assert_true(cl_hlc_ms(t) <= wall + CL_HLC_MAX_AHEAD_MS + 1);
    assert_true(cl_hlc_ms(t) >= wall + CL_HLC_MAX_AHEAD_MS);
    /* once the wall clock passes the bound, time is real time again */
    assert_int_equal(cl_hlc_tick(&c, wall + 2 * CL_HLC_MAX_AHEAD_MS), cl_hlc_make(wall + 2 * CL_HLC_MAX_AHEAD_MS, 0));
}

static void logical_overflow_keeps_order(void **state)
{
    (void)state;
    cl_hlc c = {cl_hlc_make(1000, 0xffff)};
    uint64_t t = cl_hlc_tick(&c, 1000);
    assert_true(t > cl_hlc_make(1000, 0xffff));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ticks_grow_even_when_the_wall_clock_stands_still),
        cmocka_unit_test(ticks_grow_when_the_wall_clock_goes_back),
        cmocka_unit_test(follows_the_wall_clock),
        cmocka_unit_test(observing_moves_past_the_remote_stamp),
        cmocka_unit_test(observing_the_past_changes_nothing),
        cmocka_unit_test(a_clock_a_year_ahead_pulls_at_most_the_bound),
        cmocka_unit_test(logical_overflow_keeps_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
