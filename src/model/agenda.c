/* The today view's questions, each answered from an ordered index (never a
 * walk over the book): tasks due in a span of days, promises at risk, deals
 * stuck in a stage, people to get back to, birthdays and anniversaries.
 * Dates are local calendar days (YYYY-MM-DD), as cl_today() gives them. */
#include "clientele/hlc.h"
#include "model/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ----- calendar days ----- */

/* The day number of a YYYY-MM-DD (days since 1970-01-01), or false. */
static bool day_number(const char *date, size_t len, long *out)
{
    struct tm tm = {0};
    char s[11];
    if (len < 10)
        return false;
    memcpy(s, date, 10);
    s[10] = 0;
    if (sscanf(s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return false;
    tm.tm_year -= 1900, tm.tm_mon -= 1, tm.tm_hour = 12;
    *out = (long)(timegm(&tm) / 86400);
    return true;
}

static void day_format(long day, char out[11])
{
    time_t t = (time_t)day * 86400 + 43200;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static long today_number(void)
{
    char today[11];
    long d = 0;
    cl_today(today);
    day_number(today, 10, &d);
    return d;
}

/* The local calendar day of an hlc stamp. */
static long hlc_day(uint64_t hlc)
{
    time_t t = (time_t)(cl_hlc_ms(hlc) / 1000);
    struct tm tm;
    char s[11];
    long d = 0;
    localtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y-%m-%d", &tm);
    day_number(s, 10, &d);
    return d;
}

void cl_day_offset(int days, char out[11])
{
    day_format(today_number() + days, out);
}

/* Room for one more element in a growing array of `cap` elements. */
static int room(void **v, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, n * size);
    if (!p)
        return CL_ENOMEM;
    *v = p, *cap = n;
    return CL_OK;
}

/* ----- tasks and promises ----- */

struct order_ctx {
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
};

static int order_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    (void)key;
    struct order_ctx *c = arg;
    return c->fn(c->ctx, id);
}

/* The records of a date-keyed order from `from` to `to`, both included
 * (NULL: open), earliest first. */
static int dates_between(cl_txn *t, size_t order, const char *from, const char *to,
                         int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    struct order_ctx c = {fn, ctx};
    return cl_txn_ordered(t, order, (const unsigned char *)from, (const unsigned char *)to, false, order_step, &c);
}

int cl_query_tasks_due(cl_txn *t, const char *from, const char *to,
                       int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    return dates_between(t, ORDER_DUE, from, to, fn, ctx);
}

int cl_query_promises(cl_txn *t, const char *by, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    return dates_between(t, ORDER_PROMISES, NULL, by, fn, ctx);
}

/* ----- deals stuck in a stage ----- */

struct stuck_ctx {
    cl_txn *t;
    long today;
    int days;
    int (*fn)(void *ctx, const cl_record_id *id, int days_in_stage);
    void *ctx;
};

static int stuck_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    (void)key;
    struct stuck_ctx *c = arg;
    cl_field_state st;
    int rc = cl_txn_field(c->t, id, CL_F_STAGE, &st);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    long in_stage = c->today - hlc_day(st.hlc);
    return in_stage >= c->days ? c->fn(c->ctx, id, (int)in_stage) : CL_OK;
}

int cl_query_stuck(cl_txn *t, int days, int (*fn)(void *ctx, const cl_record_id *id, int days_in_stage),
                   void *ctx)
{
    struct stuck_ctx c = {t, today_number(), days, fn, ctx};
    return cl_txn_ordered(t, ORDER_OPEN_DEALS, NULL, NULL, false, stuck_step, &c);
}

/* ----- people to get back to ----- */

typedef struct touch_list {
    cl_touch *v;
    size_t n, cap;
} touch_list;

struct last_ctx {
    cl_txn *t;
    long last;      /* day of the latest interaction; -1 none */
};

static int last_step(void *arg, const cl_record_id *rec, uint8_t field)
{
    (void)field;
    struct last_ctx *c = arg;
    cl_record_meta m;
    cl_field_state st;
    long d;
    int rc = cl_txn_record(c->t, rec, &m);
    if (rc || m.type != CL_T_INTERACTION)
        return rc;
    rc = cl_txn_field(c->t, rec, CL_F_DATE, &st);
    if (rc == CL_ENOTFOUND || (!rc && !day_number(st.value, st.value_len, &d)))
        d = hlc_day(m.created), rc = CL_OK; /* no date: when it was logged */
    if (!rc && d > c->last)
        c->last = d;
    return rc;
}

struct touch_ctx {
    cl_txn *t;
    long today;
    touch_list list;
};

static int touch_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    (void)key;
    struct touch_ctx *c = arg;
    cl_field_state st;
    cl_record_meta m;
    int rc = cl_txn_field(c->t, id, CL_F_CADENCE, &st);
    if (!rc)
        rc = cl_txn_record(c->t, id, &m);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    char days[8] = {0};
    memcpy(days, st.value, st.value_len < sizeof days - 1 ? st.value_len : sizeof days - 1);
    struct last_ctx l = {c->t, -1};
    if ((rc = cl_query_related(c->t, id, last_step, &l)))
        return rc;
    cl_touch tc = {.id = *id, .cadence = atoi(days)};
    long since = l.last >= 0 ? l.last : hlc_day(m.created); /* never contacted: since it was added */
    tc.days_since = (int)(c->today - since);
    if (l.last >= 0)
        day_format(l.last, tc.last);
    if (tc.cadence <= 0 || tc.days_since < tc.cadence)
        return CL_OK;
    if (c->list.n == c->list.cap && room((void **)&c->list.v, &c->list.cap, sizeof *c->list.v))
        return cl_seterr(CL_ENOMEM, "out of memory");
    c->list.v[c->list.n++] = tc;
    return CL_OK;
}

/* Longest past due first; then by id, so that every device lists them alike. */
static int touch_order(const void *a, const void *b)
{
    const cl_touch *x = a, *y = b;
    int lx = x->days_since - x->cadence, ly = y->days_since - y->cadence;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return memcmp(x->id.b, y->id.b, sizeof x->id.b);
}

int cl_query_keep_in_touch(cl_txn *t, int (*fn)(void *ctx, const cl_touch *tc), void *ctx)
{
    struct touch_ctx c = {.t = t, .today = today_number()};
    int rc = cl_txn_ordered(t, ORDER_CADENCE_CONTACTS, NULL, NULL, false, touch_step, &c);
    if (!rc)
        rc = cl_txn_ordered(t, ORDER_CADENCE_COMPANIES, NULL, NULL, false, touch_step, &c);
    if (!rc && c.list.n)
        qsort(c.list.v, c.list.n, sizeof *c.list.v, touch_order);
    for (size_t i = 0; !rc && i < c.list.n; i++)
        rc = fn(ctx, &c.list.v[i]);
    free(c.list.v);
    return rc == CL_STOP ? CL_OK : rc;
}

/* ----- birthdays and anniversaries ----- */

/* The next time a month and day comes, from today: the days until it, and
 * its year. 29 February falls on 1 March in other years. */
static int next_of(long today, const unsigned char md[5], int *year)
{
    int m = (md[0] - '0') * 10 + (md[1] - '0'), d = (md[3] - '0') * 10 + (md[4] - '0');
    char s[11];
    day_format(today, s);
    int y = atoi(s);
    long at = today;
    for (int k = 0; k < 2; k++, y++) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
        if ((at = (long)(timegm(&tm) / 86400)) >= today)
            break;
    }
    *year = y;
    return (int)(at - today);
}

static void month_day(long day, unsigned char out[5])
{
    char s[11];
    day_format(day, s);
    memcpy(out, s + 5, 5);
}

/* The records of a month-and-day order (birthdays, anniversaries) whose day
 * comes within `days` of today (0: today only; a year or more: all, once), in
 * the order of the year from today. */
static int month_days_within(cl_txn *t, size_t order, long today, int days,
                             int (*fn)(void *ctx, const cl_record_id *id, const unsigned char *key), void *ctx)
{
    unsigned char from[5], to[5];
    month_day(today, from);
    month_day(today + (days < 0 ? 0 : days >= 365 ? 364 : days), to);
    bool wraps = memcmp(to, from, 5) < 0;
    int rc = cl_txn_ordered(t, order, from, wraps ? NULL : to, false, fn, ctx);
    if (!rc && wraps) /* into next year: January up to the last day */
        rc = cl_txn_ordered(t, order, NULL, to, false, fn, ctx);
    return rc;
}

struct bday_ctx {
    int (*fn)(void *ctx, const cl_record_id *id, int in_days);
    void *ctx;
    long today;
};

static int bday_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    struct bday_ctx *c = arg;
    int year;
    return c->fn(c->ctx, id, next_of(c->today, key, &year));
}

int cl_query_birthdays(cl_txn *t, int days, int (*fn)(void *ctx, const cl_record_id *id, int in_days),
                       void *ctx)
{
    struct bday_ctx c = {fn, ctx, today_number()};
    return month_days_within(t, ORDER_BIRTHDAYS, c.today, days, bday_step, &c);
}

typedef struct occasion_list {
    cl_occasion *v;
    size_t n, cap;
} occasion_list;

struct occasion_ctx {
    cl_txn *t;
    uint8_t field;
    long today;
    occasion_list list;
};

static int occasion_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    struct occasion_ctx *c = arg;
    cl_field_state st;
    int rc = cl_txn_field(c->t, id, c->field, &st);
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    int next_year, in = next_of(c->today, key, &next_year), y = 0;
    for (uint32_t i = 0; i < 4 && i < st.value_len; i++)
        y = y * 10 + (st.value[i] - '0'); /* a stored date: four digits first */
    if (c->list.n == c->list.cap && room((void **)&c->list.v, &c->list.cap, sizeof *c->list.v))
        return cl_seterr(CL_ENOMEM, "out of memory");
    /* 1604 is Apple's "year unknown"; a year after the occasion is a typo */
    int years = y > 1604 && y <= next_year ? next_year - y : 0;
    c->list.v[c->list.n++] = (cl_occasion){*id, c->field, in, years};
    return CL_OK;
}

/* Soonest first, a birthday before an anniversary on the same day; then by
 * id, so that every device lists them alike. */
static int occasion_order(const void *a, const void *b)
{
    const cl_occasion *x = a, *y = b;
    if (x->in_days != y->in_days)
        return x->in_days < y->in_days ? -1 : 1;
    if (x->field != y->field)
        return x->field == CL_F_BIRTHDAY ? -1 : 1;
    return memcmp(x->id.b, y->id.b, sizeof x->id.b);
}

int cl_query_occasions(cl_txn *t, int days, int (*fn)(void *ctx, const cl_occasion *o), void *ctx)
{
    struct occasion_ctx c = {.t = t, .today = today_number()};
    c.field = CL_F_BIRTHDAY;
    int rc = month_days_within(t, ORDER_BIRTHDAYS, c.today, days, occasion_step, &c);
    c.field = CL_F_ANNIVERSARY;
    if (!rc)
        rc = month_days_within(t, ORDER_ANNIVERSARIES, c.today, days, occasion_step, &c);
    if (!rc && c.list.n)
        qsort(c.list.v, c.list.n, sizeof *c.list.v, occasion_order);
    for (size_t i = 0; !rc && i < c.list.n; i++)
        rc = fn(ctx, &c.list.v[i]);
    free(c.list.v);
    return rc == CL_STOP ? CL_OK : rc;
}
