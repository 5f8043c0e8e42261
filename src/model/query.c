/* Lists, search, due tasks and history. */
#include "clientele/model.h"

#include <stdlib.h>
#include <string.h>

typedef struct list_ctx {
    cl_txn *t;
    char **words;          /* folded query words */
    size_t nwords;
    size_t limit, count;
    bool more;
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
} list_ctx;

static bool contains(const char *hay, size_t n, const char *needle)
{
    return memmem(hay, n, needle, strlen(needle)) != NULL;
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
        return 1;
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

int cl_query_list(cl_txn *t, uint8_t type, const char *query, const cl_record_id *after,
                  size_t limit, int (*fn)(void *ctx, const cl_record_id *id), void *ctx, bool *more)
{
    list_ctx c = {.t = t, .limit = limit, .fn = fn, .ctx = ctx};
    int rc = query && *query ? split_words(query, &c) : CL_OK;
    if (!rc)
        rc = cl_txn_records(t, type, after, list_step, &c);
    if (rc == 1 && c.more)
        rc = CL_OK;
    for (size_t i = 0; i < c.nwords; i++)
        free(c.words[i]);
    free(c.words);
    if (more)
        *more = c.more;
    return rc;
}

struct due_ctx {
    int (*fn)(void *ctx, const cl_record_id *id);
    void *ctx;
};

static int due_step(void *arg, const cl_record_id *id, const char *due)
{
    (void)due;
    struct due_ctx *c = arg;
    return c->fn(c->ctx, id);
}

int cl_query_due(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx)
{
    char today[11];
    cl_today(today);
    struct due_ctx c = {fn, ctx};
    return cl_txn_due(t, today, due_step, &c);
}

/* ----- history ----- */

typedef struct hist_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_change *c);
    void *ctx;
    /* the winning write so far of each field, in LWW order */
    bool have[CL_F_MAX + 1];
    cl_op_id last[CL_F_MAX + 1];
    const char *value[CL_F_MAX + 1];
    uint32_t len[CL_F_MAX + 1];
    cl_buf scratch;
} hist_ctx;

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
    /* from/to must be NUL-terminated: copy both into one scratch buffer */
    cl_buf_reset(&h->scratch);
    int rc = cl_buf_put(&h->scratch, h->have[i] ? h->value[i] : "", h->have[i] ? h->len[i] : 0);
    size_t split = h->scratch.len;
    if (!rc) rc = cl_buf_put_u8(&h->scratch, 0);
    if (!rc) rc = cl_buf_put(&h->scratch, op->value, op->value_len);
    if (rc)
        return rc;
    cl_change c = {
        .field = i, .field_name = i == CL_F_DELETED ? "deleted" : f ? f->name : "?",
        .from = (const char *)h->scratch.data, .to = (const char *)h->scratch.data + split + 1,
        .origin = op->origin, .seq = op->seq, .hlc = op->hlc, .concurrent = !saw,
    };
    cl_txn_writer_device(h->t, &op->origin, &c.origin); /* people know devices, not writers */
    h->have[i] = true;
    h->last[i] = (cl_op_id){op->origin, op->seq};
    h->value[i] = op->value; /* borrowed from the read transaction */
    h->len[i] = op->value_len;
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
    free(h);
    return rc;
}
