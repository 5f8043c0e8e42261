/* Lists, search, due tasks and history. */
#include "clientele/hlc.h"
#include "model/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct list_ctx {
    cl_txn *t;
    char **words;          /* folded query words */
    size_t nwords;
    char number[64];       /* a query that is a phone number: its digits ("" if not) */
    bool international;    /* … written with + or 00: its country code may be left out */
    size_t limit, count;
    bool more;
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
    const cl_record_id *after_id; /* id order: where the page starts */
    const cl_list_pos *after;  /* name order: where the page starts */
    cl_list_pos last;          /* … and the last record it gave */
} list_ctx;

static bool contains(const char *hay, size_t n, const char *needle)
{
    return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* ----- phone numbers, however they are spaced ----- */

/* A number needs this many digits to be looked for as one (fewer are
 * ordinary words: "+33", "2024"). */
#define NUMBER_DIGITS 6

static bool phone_mark(char ch)
{
    return ch == ' ' || ch == '+' || ch == '-' || ch == '.' || ch == '(' || ch == ')' || ch == '/';
}

/* A query that is a phone number as people type it ("0753 624 162",
 * "+40 753-624-162"): its digits without the leading zeros of a trunk or
 * international prefix. */
static void number_query(const char *q, list_ctx *c)
{
    char d[sizeof c->number];
    size_t n = 0;
    q += strspn(q, " ");
    for (const char *p = q; *p; p++) {
        if (!isdigit((unsigned char)*p) && !phone_mark(*p))
            return;
        if (isdigit((unsigned char)*p) && (n || *p != '0')) {
            if (n + 1 == sizeof d)
                return;
            d[n++] = *p;
        }
    }
    if (n < NUMBER_DIGITS)
        return;
    memcpy(c->number, d, n);
    c->number[n] = 0;
    c->international = *q == '+' || !strncmp(q, "00", 2);
}

/* Whether some number written in text (a run of digits and the marks phones
 * are written with) holds the digits d. */
static bool holds_digits(const char *text, size_t len, const char *d)
{
    char run[128];
    size_t n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && isdigit((unsigned char)text[i])) {
            run[n] = text[i];
            n += n + 1 < sizeof run;
        } else if (i == len || !phone_mark(text[i])) {
            run[n] = 0;
            if (n && strstr(run, d))
                return true;
            n = 0;
        }
    }
    return false;
}

/* The query's number in the text: "753624162" is in "+40 753 624 162"; an
 * international one (+40 753 624 162) also without its country code of one
 * to three digits, as the book may hold it nationally (0753 624 162). */
static bool holds_number(const list_ctx *c, const char *text, size_t len)
{
    size_t n = strlen(c->number), most = c->international ? 3 : 0;
    for (size_t drop = 0; drop <= most && n - drop >= NUMBER_DIGITS; drop++)
        if (holds_digits(text, len, c->number + drop))
            return true;
    return false;
}

/* Every word must occur in the record's text or in the name of the company
 * it belongs to ("acme" finds Acme's people). */
static int matches(list_ctx *c, const cl_record_id *id, bool *ok)
{
    const char *text;
    size_t len;
    int rc = cl_txn_search_text(c->t, id, &text, &len);
    if (rc)
        return rc;
    cl_buf company = {0};
    cl_field_state st;
    cl_record_id cid;
    if (cl_txn_field(c->t, id, CL_F_COMPANY, &st) == CL_OK && st.value_len == CL_RECORD_ID_TEXT - 1) {
        char ref[CL_RECORD_ID_TEXT];
        memcpy(ref, st.value, st.value_len);
        ref[st.value_len] = 0;
        if (cl_record_id_parse(ref, &cid) == CL_OK && cl_txn_field(c->t, &cid, CL_F_NAME, &st) == CL_OK)
            cl_fold(&company, st.value, st.value_len);
    }
    *ok = true;
    for (size_t i = 0; i < c->nwords && *ok; i++)
        *ok = contains(text, len, c->words[i]) || (company.len && contains((char *)company.data, company.len, c->words[i]));
    if (!*ok && c->number[0])
        *ok = holds_number(c, text, len);
    cl_buf_free(&company);
    return CL_OK;
}

static int list_step(void *arg, const cl_record_id *id)
{
    list_ctx *c = arg;
    cl_record_meta m;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc)
        return rc;
    if (m.deleted)
        return 0;
    bool ok = true;
    if (c->nwords && (rc = matches(c, id, &ok)))
        return rc;
    if (!ok)
        return 0;
    if (c->limit && c->count == c->limit) {
        c->more = true;
        return CL_STOP;
    }
    c->count++;
    return c->fn(c->ctx, id);
}

static int split_words(const char *query, list_ctx *c)
{
    cl_buf folded = {0};
    int rc = cl_fold(&folded, query, strlen(query));
    char *save = NULL;
    for (char *w = rc ? NULL : strtok_r((char *)folded.data, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        char **p = realloc(c->words, (c->nwords + 1) * sizeof *p);
        if (!p || !(p[c->nwords] = strdup(w))) {
            if (p)
                c->words = p;
            rc = cl_seterr(CL_ENOMEM, "out of memory");
            break;
        }
        c->words = p;
        c->nwords++;
    }
    cl_buf_free(&folded);
    return rc;
}

/* Name order: the records after the cursor's position, listed as by id. */
static int name_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    list_ctx *c = arg;
    if (c->after) {
        int k = memcmp(key, c->after->key, CL_NAME_KEY);
        if (k < 0 || (k == 0 && memcmp(id->b, c->after->id.b, CL_RECORD_ID_LEN) <= 0))
            return CL_OK;
    }
    size_t before = c->count;
    int rc = list_step(c, id);
    if (c->count != before && !rc) { /* given (fn stopping refused it: the next page starts there) */
        memcpy(c->last.key, key, CL_NAME_KEY);
        c->last.id = *id;
    }
    return rc;
}

/* The query's words and number into c, the walk, and the words freed. */
static int list_run(list_ctx *c, const char *query, int (*walk)(list_ctx *c, const void *arg), const void *arg,
                    bool *more)
{
    int rc = query && *query ? split_words(query, c) : CL_OK;
    if (query)
        number_query(query, c);
    if (!rc)
        rc = walk(c, arg);
    if (rc == CL_STOP && c->more)
        rc = CL_OK;
    for (size_t i = 0; i < c->nwords; i++)
        free(c->words[i]);
    free(c->words);
    if (more)
        *more = c->more;
    return rc;
}

static int walk_by_name(list_ctx *c, const void *order)
{
    return cl_txn_ordered(c->t, *(const size_t *)order, c->after ? c->after->key : NULL, NULL, false, name_step, c);
}

static int walk_by_id(list_ctx *c, const void *type)
{
    return cl_txn_records(c->t, *(const uint8_t *)type, c->after_id, list_step, c);
}

int cl_query_list_by_name(cl_txn *t, uint8_t type, const char *query, const cl_list_pos *after, size_t limit,
                          int (*fn)(void *ctx, const cl_record_id *id), void *ctx, bool *more, cl_list_pos *last)
{
    size_t order = type == CL_T_COMPANY ? ORDER_COMPANY_NAMES : type == CL_T_CONTACT ? ORDER_CONTACT_NAMES : ORDER_COUNT;
    if (order == ORDER_COUNT)
        return cl_seterr(CL_EINVAL, "only companies and contacts are listed by name");
    list_ctx c = {.t = t, .limit = limit, .fn = fn, .ctx = ctx, .after = after};
    int rc = list_run(&c, query, walk_by_name, &order, more);
    if (last)
        *last = c.last;
    return rc;
}

int cl_query_list(cl_txn *t, uint8_t type, const char *query, const cl_record_id *after,
                  size_t limit, int (*fn)(void *ctx, const cl_record_id *id), void *ctx, bool *more)
{
    list_ctx c = {.t = t, .limit = limit, .fn = fn, .ctx = ctx, .after_id = after};
    return list_run(&c, query, walk_by_id, &type, more);
}

/* ----- the ordered indexes: due tasks, interactions (the rest: agenda.c) ----- */

struct order_ctx {
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
    size_t left;               /* SIZE_MAX: no limit */
};

static int order_step(void *arg, const cl_record_id *id, const unsigned char *key)
{
    (void)key;
    struct order_ctx *c = arg;
    if (!c->left)
        return CL_STOP;
    c->left--;
    return c->fn(c->ctx, id);
}

static int stopped(int rc)
{
    return rc == CL_STOP ? CL_OK : rc;
}

int cl_query_due(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    char today[11];
    cl_today(today);
    struct order_ctx c = {fn, ctx, SIZE_MAX};
    return cl_txn_ordered(t, ORDER_DUE, NULL, (const unsigned char *)today, false, order_step, &c);
}

int cl_query_recent(cl_txn *t, size_t limit, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    struct order_ctx c = {fn, ctx, limit ? limit : SIZE_MAX};
    return stopped(cl_txn_ordered(t, ORDER_INTERACTIONS, NULL, NULL, true, order_step, &c));
}

/* ----- references ----- */

struct related_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_record_id *rec, uint8_t field);
    void *ctx;
};

static int related_step(void *arg, const cl_record_id *id, uint8_t field)
{
    struct related_ctx *c = arg;
    cl_record_meta m;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc || m.deleted)
        return rc;
    return c->fn(c->ctx, id, field);
}

int cl_query_related(cl_txn *t, const cl_record_id *id,
                     int (*fn)(void *ctx, const cl_record_id *rec, uint8_t field), void *ctx)
{
    struct related_ctx c = {t, fn, ctx};
    return cl_txn_referrers(t, id, related_step, &c);
}

int cl_query_formerly_related(cl_txn *t, const cl_record_id *id,
                              int (*fn)(void *ctx, const cl_record_id *rec, uint8_t field), void *ctx)
{
    struct related_ctx c = {t, fn, ctx};
    return cl_txn_former_referrers(t, id, related_step, &c);
}

/* ----- history ----- */

/* A field's write seen so far: what a later write's author may have seen. */
typedef struct past_write {
    cl_op_id id;
    uint8_t field;
    const char *value;         /* borrowed from the read transaction */
    uint32_t len;
} past_write;

typedef struct hist_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_change *c);
    void *ctx;
    /* the winning write so far of each field, in LWW order */
    bool have[CL_F_MAX + 1];
    cl_op_id last[CL_F_MAX + 1];
    const char *value[CL_F_MAX + 1];
    uint32_t len[CL_F_MAX + 1];
    past_write *past;          /* every write so far, in LWW order */
    size_t npast, cap;
    cl_op_id prev;             /* the previous write, for the groups */
    uint64_t prev_ms;
    uint8_t prev_field;
    uint32_t group;
    cl_buf scratch;
} hist_ctx;

/* Writes made together (a record created with its fields, an import's row,
 * a merge): one writer's consecutive seqs, in the order one write stores its
 * fields (cl_record_put_in: the label first, the others by number, a restore
 * last; the next write starts again), within a second. No op says which
 * transaction wrote it: this is the sign of one. */
#define HIST_GROUP_MS 1000

static int write_rank(uint8_t type, uint8_t field)
{
    return field == cl_type_label_field(type) ? 0 : field == CL_F_DELETED ? CL_F_MAX + 1 : field;
}

static bool same_group(const hist_ctx *h, const cl_op *op)
{
    uint64_t ms = cl_hlc_ms(op->hlc);
    return h->group && !memcmp(&op->origin, &h->prev.origin, sizeof op->origin) && op->seq == h->prev.seq + 1 &&
           write_rank(op->type, op->field) > write_rank(op->type, h->prev_field) && ms - h->prev_ms <= HIST_GROUP_MS;
}

/* The value the author of op replaced: of the latest write among the heads
 * it had seen (not merely the winner so far: a concurrent write saw another
 * value); "" when it saw none. */
static const past_write *replaced(const hist_ctx *h, const cl_op *op)
{
    for (size_t i = h->npast; i-- > 0;) {
        const past_write *w = &h->past[i];
        if (w->field != op->field)
            continue;
        for (unsigned k = 0; k < op->nseen; k++)
            if (!memcmp(&op->seen[k].origin, &w->id.origin, sizeof w->id.origin) && op->seen[k].seq == w->id.seq)
                return w;
    }
    return NULL;
}

static int remember(hist_ctx *h, const cl_op *op)
{
    if (h->npast == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        past_write *p = realloc(h->past, cap * sizeof *p);
        if (!p)
            return cl_seterr(CL_ENOMEM, "out of memory");
        h->past = p, h->cap = cap;
    }
    h->past[h->npast++] = (past_write){{op->origin, op->seq}, op->field, op->value, op->value_len};
    return CL_OK;
}

/* Appends to out the name of the record a reference holds ("" when it is
 * empty; "(unknown record)" when it has not arrived). */
static int put_ref_name(cl_txn *t, const char *text, size_t len, cl_buf *out)
{
    char s[CL_RECORD_ID_TEXT];
    cl_record_id id;
    cl_record_meta m;
    cl_field_state st;
    if (!len)
        return CL_OK;
    if (len >= sizeof s)
        return cl_buf_puts(out, "(unknown record)");
    memcpy(s, text, len);
    s[len] = 0;
    int rc = cl_record_id_parse(s, &id) ? CL_ENOTFOUND : cl_txn_record(t, &id, &m);
    if (!rc && !(rc = cl_txn_field(t, &id, cl_type_label_field(m.type), &st)))
        rc = st.value_len ? cl_buf_put(out, st.value, st.value_len) : cl_buf_puts(out, "(unnamed)");
    if (rc == CL_ENOTFOUND)
        return cl_buf_puts(out, "(unknown record)");
    return !rc && m.deleted ? cl_buf_puts(out, " (deleted)") : rc;
}

/* One value as people read it into the scratch buffer, NUL-terminated: a
 * list of items as "value (label); …". */
static int put_value(hist_ctx *h, const cl_field_def *f, const char *v, size_t len)
{
    int rc = f && f->multi ? cl_items_readable(v, len, &h->scratch) : cl_buf_put(&h->scratch, v, len);
    return rc ? rc : cl_buf_put_u8(&h->scratch, 0);
}

static int hist_step(void *arg, const cl_op *op)
{
    hist_ctx *h = arg;
    const cl_field_def *f = cl_field_by_id(op->type, op->field);
    uint8_t i = op->field;
    if (i > CL_F_MAX)
        return CL_OK; /* a field of a newer version: kept, not shown */
    bool saw = !h->have[i];
    for (unsigned k = 0; k < op->nseen && !saw; k++)
        saw = !memcmp(&op->seen[k].origin, &h->last[i].origin, sizeof op->origin) && op->seen[k].seq == h->last[i].seq;
    const past_write *was = op->nseen ? replaced(h, op) : NULL;
    if (op->nseen && !was && h->have[i]) /* a head this history does not hold: the winner then */
        was = &(past_write){h->last[i], i, h->value[i], h->len[i]};
    /* from, to and (references) their names, each NUL-terminated, in one
     * scratch buffer */
    size_t at[4];
    cl_buf_reset(&h->scratch);
    int rc = put_value(h, f, was ? was->value : "", was ? was->len : 0);
    at[0] = 0, at[1] = h->scratch.len;
    if (!rc) rc = put_value(h, f, op->value, op->value_len);
    bool ref = f && f->kind == CL_K_REF;
    at[2] = h->scratch.len;
    if (!rc && ref && !(rc = put_ref_name(h->t, was ? was->value : "", was ? was->len : 0, &h->scratch)))
        rc = cl_buf_put_u8(&h->scratch, 0);
    at[3] = h->scratch.len;
    if (!rc && ref && !(rc = put_ref_name(h->t, op->value, op->value_len, &h->scratch)))
        rc = cl_buf_put_u8(&h->scratch, 0);
    if (!rc)
        rc = remember(h, op);
    if (rc)
        return rc;
    if (!same_group(h, op))
        h->group++;
    const char *base = (const char *)h->scratch.data;
    cl_change c = {
        .field = i, .field_name = i == CL_F_DELETED ? "deleted" : f ? f->name : "?",
        .from = base + at[0], .to = base + at[1],
        .origin = op->origin, .seq = op->seq, .hlc = op->hlc, .concurrent = !saw,
        .from_name = ref ? base + at[2] : NULL, .to_name = ref ? base + at[3] : NULL, .group = h->group,
    };
    cl_txn_writer_device(h->t, &op->origin, &c.origin); /* people know devices, not writers */
    h->have[i] = true;
    h->last[i] = (cl_op_id){op->origin, op->seq};
    h->value[i] = op->value; /* borrowed from the read transaction */
    h->len[i] = op->value_len;
    h->prev = h->last[i];
    h->prev_ms = cl_hlc_ms(op->hlc);
    h->prev_field = i;
    return h->fn(h->ctx, &c);
}

int cl_history(cl_txn *t, const cl_record_id *id, int (*fn)(void *ctx, const cl_change *c), void *ctx)
{
    hist_ctx *h = calloc(1, sizeof *h);
    if (!h)
        return cl_seterr(CL_ENOMEM, "out of memory");
    h->t = t;
    h->fn = fn;
    h->ctx = ctx;
    cl_record_meta m;
    int rc = cl_txn_record(t, id, &m);
    if (!rc)
        rc = cl_txn_history(t, id, hist_step, h);
    cl_buf_free(&h->scratch);
    free(h->past);
    free(h);
    return rc;
}

struct conflicted_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
};

static int conflicted_step(void *arg, const cl_record_id *id)
{
    struct conflicted_ctx *c = arg;
    cl_record_meta m;
    cl_record *r;
    int rc = cl_txn_record(c->t, id, &m);
    if (rc || m.deleted || !m.nconflicts)
        return rc;
    if ((rc = cl_record_load(c->t, id, &r))) /* rare: a conflict is an event */
        return rc;
    bool shown = r->nconflicts > 0;
    cl_record_free(r);
    return shown ? c->fn(c->ctx, id) : CL_OK;
}

int cl_query_conflicted(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    struct conflicted_ctx c = {t, fn, ctx};
    return cl_txn_conflicted(t, conflicted_step, &c);
}
