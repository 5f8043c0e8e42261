/* The numbers of the Reports view: the pipeline by stage, the expected
 * closings per month, deals won and lost per month, interactions per month.
 * Amounts are summed exactly, per currency, in units of 1/10,000 (what the
 * page's own sums use): no floating point anywhere. Costs one walk over the
 * deals and one over the interactions' date index. */
#include "clientele/hlc.h"
#include "model/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const STAGE_ORDER[CL_REPORT_STAGES] = {"lead", "proposal", "negotiation", "won", "lost"};

/* "1200.5" → 12005000 units; false when it does not fit (or is no decimal). */
static bool units_of(const char *v, size_t len, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0, nfrac = 0;
    bool neg = len && v[0] == '-';
    i += neg;
    if (i == len)
        return false;
    for (; i < len && v[i] != '.'; i++) {
        if (v[i] < '0' || v[i] > '9' || __builtin_mul_overflow(whole, 10, &whole) ||
            __builtin_add_overflow(whole, v[i] - '0', &whole))
            return false;
    }
    for (i += i < len; i < len; i++, nfrac++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        if (nfrac < CL_REPORT_SCALE_DIGITS)
            frac = frac * 10 + (v[i] - '0'); /* further digits are cut, as the page does */
    }
    for (; nfrac < CL_REPORT_SCALE_DIGITS; nfrac++)
        frac *= 10;
    int64_t u;
    if (__builtin_mul_overflow(whole, (int64_t)CL_REPORT_SCALE, &u) || __builtin_add_overflow(u, frac, &u))
        return false;
    *out = neg ? -u : u;
    return true;
}

static void tally_add(cl_tally *t, const char *currency, const char *amount, size_t amount_len)
{
    t->count++;
    int64_t u;
    if (!amount_len)
        return;
    if (!units_of(amount, amount_len, &u)) {
        t->overflow = true;
        return;
    }
    size_t i = 0;
    while (i < t->nsums && strcmp(t->sums[i].currency, currency))
        i++;
    if (i == t->nsums) {
        if (t->nsums == CL_REPORT_CURRENCIES) {
            t->overflow = true;
            return;
        }
        snprintf(t->sums[t->nsums++].currency, sizeof t->sums[0].currency, "%s", currency);
    }
    if (__builtin_add_overflow(t->sums[i].units, u, &t->sums[i].units))
        t->overflow = true;
}

/* The row of `month` ("2026-12") in a growing, sorted array of rows. */
static void *month_row(void **rows, size_t *n, size_t *cap, size_t size, const char month[8])
{
    char *base = *rows;
    size_t lo = 0, hi = *n;
    while (lo < hi) { /* the first row not before month */
        size_t mid = (lo + hi) / 2;
        if (strcmp(base + mid * size, month) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < *n && !strcmp(base + lo * size, month))
        return base + lo * size;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char *p = realloc(base, c * size);
        if (!p)
            return NULL;
        *rows = base = p, *cap = c;
    }
    memmove(base + (lo + 1) * size, base + lo * size, (*n - lo) * size);
    memset(base + lo * size, 0, size);
    memcpy(base + lo * size, month, 8);
    (*n)++;
    return base + lo * size;
}

struct report_ctx {
    cl_txn *t;
    cl_report *r;
    size_t cap_closing, cap_outcomes, cap_interactions;
};

/* A field's text, cut to fit. */
static void text_of(cl_txn *t, const cl_record_id *id, uint8_t field, char *out, size_t size, uint64_t *hlc)
{
    cl_field_state st;
    out[0] = 0;
    if (cl_txn_field(t, id, field, &st))
        return;
    size_t n = st.value_len < size - 1 ? st.value_len : size - 1;
    memcpy(out, st.value, n);
    out[n] = 0;
    if (hlc)
        *hlc = st.hlc;
}

static int deal_step(void *arg, const cl_record_id *id)
{
    struct report_ctx *c = arg;
    cl_record_meta m;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc || m.deleted)
        return rc;
    char stage[16], amount[48], currency[4], close[11];
    uint64_t staged = m.created;
    text_of(c->t, id, CL_F_STAGE, stage, sizeof stage, &staged);
    text_of(c->t, id, CL_F_AMOUNT, amount, sizeof amount, NULL);
    text_of(c->t, id, CL_F_CURRENCY, currency, sizeof currency, NULL);
    text_of(c->t, id, CL_F_CLOSE_DATE, close, sizeof close, NULL);
    size_t s = 0; /* no stage: a lead, as the pipeline shows it */
    for (size_t i = 0; i < CL_REPORT_STAGES; i++)
        if (!strcmp(stage, STAGE_ORDER[i]))
            s = i;
    tally_add(&c->r->stages[s], currency, amount, strlen(amount));
    bool open = s < 3;
    char month[8];
    if (open && strlen(close) == 10) {
        snprintf(month, sizeof month, "%.7s", close);
        cl_report_month *row = month_row((void **)&c->r->closing, &c->r->nclosing, &c->cap_closing, sizeof *row, month);
        if (!row)
            return cl_seterr(CL_ENOMEM, "out of memory");
        tally_add(&row->tally, currency, amount, strlen(amount));
    } else if (!open) { /* won or lost: the month the stage was set */
        time_t when = (time_t)(cl_hlc_ms(staged) / 1000);
        struct tm tm;
        localtime_r(&when, &tm);
        strftime(month, sizeof month, "%Y-%m", &tm);
        cl_report_outcome *row = month_row((void **)&c->r->outcomes, &c->r->noutcomes, &c->cap_outcomes, sizeof *row, month);
        if (!row)
            return cl_seterr(CL_ENOMEM, "out of memory");
        tally_add(s == 3 ? &row->won : &row->lost, currency, amount, strlen(amount));
    }
    return CL_OK;
}

/* An interaction's key is the UTC second it names (indexes.c). */
static int interaction_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    (void)id;
    struct report_ctx *c = arg;
    time_t when = (time_t)(cl_be64_get(key) ^ (1ull << 63));
    struct tm tm;
    char month[8];
    gmtime_r(&when, &tm);
    strftime(month, sizeof month, "%Y-%m", &tm);
    cl_report_count *row = month_row((void **)&c->r->interactions, &c->r->ninteractions, &c->cap_interactions, sizeof *row, month);
    if (!row)
        return cl_seterr(CL_ENOMEM, "out of memory");
    row->count++;
    return CL_OK;
}

const char *cl_report_stage(size_t i)
{
    return i < CL_REPORT_STAGES ? STAGE_ORDER[i] : NULL;
}

int cl_report_build(cl_txn *t, cl_report *out)
{
    memset(out, 0, sizeof *out);
    struct report_ctx c = {.t = t, .r = out};
    int rc = cl_txn_records(t, CL_T_DEAL, NULL, deal_step, &c);
    if (!rc)
        rc = cl_txn_ordered(t, ORDER_INTERACTIONS, NULL, NULL, false, interaction_step, &c);
    if (rc)
        cl_report_free(out);
    return rc;
}

void cl_report_free(cl_report *r)
{
    free(r->closing);
    free(r->outcomes);
    free(r->interactions);
    memset(r, 0, sizeof *r);
}
