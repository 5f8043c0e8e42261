/* The today view as HTML for the first paint of GET / (the page's scripts
 * then take over the same <main>). Everything user-typed is escaped. */
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TODAY_RECENT 10

/* Appends to b; a failure stays in b->err (checked once, at the end). */
static void put_escaped(cl_buf *b, const char *s)
{
    for (; s && *s && !b->err; s++) {
        switch (*s) {
        case '<': cl_buf_puts(b, "&lt;"); break;
        case '>': cl_buf_puts(b, "&gt;"); break;
        case '&': cl_buf_puts(b, "&amp;"); break;
        case '"': cl_buf_puts(b, "&quot;"); break;
        case '\'': cl_buf_puts(b, "&#39;"); break;
        default: cl_buf_put(b, s, 1);
        }
    }
}

/* <li><a href="#/r/ID">LABEL</a> <span class="meta">META</span></li> */
static int put_item(cl_buf *b, const cl_record *r, const char *label, const char *meta)
{
    char id[CL_RECORD_ID_TEXT];
    cl_record_id_format(&r->id, id);
    cl_buf_printf(b, "<li><span class=\"grow\"><a href=\"#/r/%s\">", id);
    put_escaped(b, label);
    cl_buf_puts(b, "</a></span><span class=\"meta\">");
    put_escaped(b, meta);
    cl_buf_puts(b, "</span></li>");
    return b->err;
}

typedef struct items_ctx {
    cl_txn *t;
    cl_buf *b;
    size_t n;
} items_ctx;

static int due_item(void *arg, const cl_record_id *id)
{
    items_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    rc = put_item(c->b, r, cl_record_label(r), r->values[CL_F_DUE] ? r->values[CL_F_DUE] : "");
    cl_record_free(r);
    c->n++;
    return rc;
}

static int put_due(cl_txn *t, cl_buf *b)
{
    items_ctx c = {t, b, 0};
    int rc = cl_buf_puts(b, "<h2>Due and overdue</h2><ul class=\"list\" id=\"due-list\">");
    if (!rc)
        rc = cl_query_due(t, due_item, &c);
    if (!rc && !c.n)
        rc = cl_buf_puts(b, "<li class=\"muted\">Nothing due.</li>");
    return rc ? rc : cl_buf_puts(b, "</ul>");
}

static int recent_item(void *arg, const cl_record_id *id)
{
    items_ctx *c = arg;
    cl_record *r;
    int rc = cl_record_load(c->t, id, &r);
    if (rc)
        return rc;
    char meta[160];
    snprintf(meta, sizeof meta, "%s %s", r->values[CL_F_KIND] ? r->values[CL_F_KIND] : "",
             r->values[CL_F_DATE] ? r->values[CL_F_DATE] : "");
    rc = put_item(c->b, r, cl_record_label(r), meta);
    cl_record_free(r);
    c->n++;
    return rc;
}

static int put_recent(cl_txn *t, cl_buf *b)
{
    items_ctx c = {t, b, 0};
    int rc = cl_buf_puts(b, "<h2>Recent interactions</h2><ul class=\"list\" id=\"recent-list\">");
    if (!rc)
        rc = cl_query_recent(t, TODAY_RECENT, recent_item, &c);
    if (!rc && !c.n)
        rc = cl_buf_puts(b, "<li class=\"muted\">Nothing logged yet.</li>");
    return rc ? rc : cl_buf_puts(b, "</ul>");
}

int http_today_html(cl_store *s, cl_buf *out)
{
    cl_txn *t;
    int rc = cl_store_read(s, &t);
    if (rc)
        return rc;
    rc = cl_buf_puts(out, "<section><h1>Today</h1>");
    if (!rc)
        rc = put_due(t, out);
    if (!rc)
        rc = put_recent(t, out);
    cl_txn_end(t);
    return rc ? rc : cl_buf_puts(out, "</section>");
}
