/* iCalendar (RFC 5545) for the DAV server's task list and dates calendar
 * (docs/dav.md): a task as one VTODO, in and out; a record's date as one
 * all-day VEVENT, out only. The content lines are lines.c's, shared with
 * vCard. Written by hand: Debian's C iCalendar library (libical) would be a
 * large dependency for the dozen properties read here, and its parser is
 * not bounded the way request bodies must be. */
#include "codec/lines.h"
#include "clientele/codec.h"
#include "clientele/hlc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_DEPTH 8            /* VCALENDAR › VTODO › VALARM, with room */
#define PRODID "-//clientele//clientele//EN"

static int oom(void)
{
    return cl_seterr(CL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ reading */

typedef struct todo_reader {
    cl_todo *td;
    char names[MAX_DEPTH][16];
    size_t depth;
    size_t ntodo;
    char *status;                  /* STATUS of the VTODO */
    bool completed, full_percent;  /* COMPLETED / PERCENT-COMPLETE:100 */
} todo_reader;

static bool in_todo(const todo_reader *r)
{
    return r->depth == 2 && !strcmp(r->names[1], "VTODO");
}

/* YYYYMMDD[THHMMSS[Z]] → YYYY-MM-DD */
static int date_of(const char *v, char **out)
{
    for (int i = 0; i < 8; i++)
        if (v[i] < '0' || v[i] > '9')
            return cl_seterr(CL_EINVAL, "DUE '%s' is not a date (YYYYMMDD)", v);
    if (v[8] && v[8] != 'T')
        return cl_seterr(CL_EINVAL, "DUE '%s' is not a date (YYYYMMDD)", v);
    char d[11];
    snprintf(d, sizeof d, "%.4s-%.2s-%.2s", v, v + 4, v + 6);
    free(*out);
    return (*out = strdup(d)) ? CL_OK : oom();
}

static int text_of(const char *v, char **out)
{
    free(*out);
    return (*out = vtext_unescape(v, strlen(v))) ? CL_OK : oom();
}

static int begin(todo_reader *r, const char *what)
{
    if (r->depth == MAX_DEPTH)
        return cl_seterr(CL_EINVAL, "components nested deeper than %d", MAX_DEPTH);
    if (!r->depth && strcasecmp(what, "VCALENDAR"))
        return cl_seterr(CL_EINVAL, "not iCalendar (BEGIN:%s where BEGIN:VCALENDAR was expected)", what);
    if (r->depth == 1) {
        if (!strcasecmp(what, "VTODO")) {
            if (r->ntodo++)
                return cl_seterr(CL_EINVAL, "a resource holds one task (a second VTODO)");
        } else if (strcasecmp(what, "VTIMEZONE")) {
            return cl_seterr(CL_EINVAL, "a task list holds tasks (VTODO), not %s", what);
        }
    }
    snprintf(r->names[r->depth], sizeof r->names[0], "%s", what);
    for (char *c = r->names[r->depth]; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    r->depth++;
    return CL_OK;
}

static int end(todo_reader *r, const char *what)
{
    if (!r->depth || strcasecmp(r->names[r->depth - 1], what))
        return cl_seterr(CL_EINVAL, "END:%s where END:%s was expected", what, r->depth ? r->names[r->depth - 1] : "(none)");
    r->depth--;
    return CL_OK;
}

/* One property of the VTODO itself. */
static int todo_prop(todo_reader *r, const vprop *p)
{
    cl_todo *td = r->td;
    const char *n = p->name, *v = p->value;
    if (!strcmp(n, "UID"))
        return text_of(v, &td->uid);
    if (!strcmp(n, "SUMMARY"))
        return text_of(v, &td->summary);
    if (!strcmp(n, "DESCRIPTION"))
        return text_of(v, &td->description);
    if (!strcmp(n, "DUE"))
        return date_of(v, &td->due);
    if (!strcmp(n, "STATUS"))
        return text_of(v, &r->status);
    if (!strcmp(n, "COMPLETED"))
        return r->completed = true, CL_OK;
    if (!strcmp(n, "PERCENT-COMPLETE"))
        return r->full_percent = !strcmp(v, "100"), CL_OK;
    if (!strcmp(n, "X-CLIENTELE-CONTACT"))
        return text_of(v, &td->contact);
    if (!strcmp(n, "X-CLIENTELE-COMPANY"))
        return text_of(v, &td->company);
    if (!strcmp(n, "X-CLIENTELE-DEAL"))
        return text_of(v, &td->deal);
    return CL_OK; /* not modelled: RRULE, PRIORITY, CLASS… (docs/dav.md) */
}

static int todo_line(todo_reader *r, char *line, size_t lineno)
{
    if (!*line)
        return CL_OK;
    vprop p;
    int rc = vline_parse(line, &p, "iCalendar");
    if (!rc && !strcmp(p.name, "BEGIN"))
        rc = begin(r, p.value);
    else if (!rc && !strcmp(p.name, "END"))
        rc = end(r, p.value);
    else if (!rc && !r->depth)
        rc = cl_seterr(CL_EINVAL, "%s outside VCALENDAR (not iCalendar?)", p.name);
    else if (!rc && in_todo(r))
        rc = todo_prop(r, &p);
    return rc && rc != CL_ENOMEM ? cl_wraperr(rc, "task: line %zu", lineno) : rc;
}

static int todo_read(todo_reader *r, const char *data, size_t len)
{
    vreader in = {data, data + len, 1};
    cl_buf line = {0};
    int rc = memchr(data, 0, len) ? cl_seterr(CL_EINVAL, "binary data (a NUL byte): not iCalendar") : CL_OK;
    if (!rc && !cl_utf8_valid(data, len))
        rc = cl_seterr(CL_EINVAL, "iCalendar is UTF-8 text, and this is not");
    while (!rc && in.p < in.end) {
        size_t lineno;
        if (!(rc = vline_next(&in, &line, &lineno) ? oom() : CL_OK))
            rc = todo_line(r, line.data ? (char *)line.data : (char *)"", lineno);
        if (!rc && r->depth == 0 && r->ntodo)
            break; /* after END:VCALENDAR nothing more is read */
    }
    cl_buf_free(&line);
    if (!rc && r->depth)
        rc = cl_seterr(CL_EINVAL, "BEGIN:%s is not closed (truncated?)", r->names[r->depth - 1]);
    if (!rc && !r->ntodo)
        rc = cl_seterr(CL_EINVAL, "no task (VTODO) in the resource");
    return rc;
}

int cl_ical_todo_parse(const char *data, size_t len, cl_todo *out)
{
    memset(out, 0, sizeof *out);
    todo_reader r = {.td = out};
    int rc = todo_read(&r, data, len);
    if (r.status)
        out->done = !strcasecmp(r.status, "COMPLETED");
    else
        out->done = r.completed || r.full_percent;
    free(r.status);
    if (rc)
        cl_todo_free(out);
    return rc;
}

void cl_todo_free(cl_todo *td)
{
    free(td->uid), free(td->summary), free(td->due), free(td->description);
    free(td->contact), free(td->company), free(td->deal);
    memset(td, 0, sizeof *td);
}

/* ------------------------------------------------------------ writing */

typedef struct ical_out {
    FILE *f;
    cl_buf b;
} ical_out;

static int line_of(ical_out *o, const char *name, const char *raw, const char *text)
{
    cl_buf_reset(&o->b);
    if (cl_buf_puts(&o->b, name) || cl_buf_put_u8(&o->b, ':') || (raw && cl_buf_puts(&o->b, raw)) ||
        (text && vtext_escape(&o->b, text)))
        return oom();
    vline_write(o->f, &o->b);
    return CL_OK;
}

static int text_line(ical_out *o, const char *name, const char *v)
{
    return v && *v ? line_of(o, name, NULL, v) : CL_OK;
}

/* 20261207T093000Z */
static void stamp(uint64_t hlc, char out[17])
{
    time_t s = (time_t)(cl_hlc_ms(hlc) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* YYYY-MM-DD → YYYYMMDD, days later */
static bool basic_date(const char *iso, int days, char out[9])
{
    struct tm tm = {0};
    if (!iso || strlen(iso) != 10 || sscanf(iso, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return false;
    tm.tm_year -= 1900, tm.tm_mon -= 1, tm.tm_mday += days, tm.tm_hour = 12;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    return strftime(out, 9, "%Y%m%d", &tm) == 8;
}

static int open_out(ical_out *o, char **out, size_t *len)
{
    *out = NULL;
    memset(o, 0, sizeof *o);
    if (!(o->f = open_memstream(out, len)))
        return oom();
    fputs("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" PRODID "\r\n", o->f);
    return CL_OK;
}

static int close_out(ical_out *o, int rc, char **out)
{
    fputs("END:VCALENDAR\r\n", o->f);
    cl_buf_free(&o->b);
    if (fclose(o->f) && !rc)
        rc = oom();
    if (rc)
        free(*out), *out = NULL;
    return rc;
}

/* The name of the record a reference field points to; NULL when none. */
static char *linked_name(cl_txn *t, const char *ref)
{
    cl_record_id id;
    cl_record *r;
    if (!ref || cl_record_id_parse(ref, &id) || cl_record_load(t, &id, &r))
        return NULL;
    char *name = r->deleted ? NULL : strdup(cl_record_label(r));
    cl_record_free(r);
    return name;
}

/* "Contact: Ana Pop\nCompany: Acme SA\n" — what DESCRIPTION starts with. */
static int links_block(cl_txn *t, const cl_record *r, cl_buf *b)
{
    static const struct { uint8_t field; const char *label; } links[] = {
        {CL_F_CONTACT, "Contact"}, {CL_F_COMPANY, "Company"}, {CL_F_DEAL, "Deal"}};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        char *name = linked_name(t, r->values[links[i].field]);
        int rc = name && cl_buf_printf(b, "%s: %s\n", links[i].label, name) ? oom() : CL_OK;
        free(name);
        if (rc)
            return rc;
    }
    return CL_OK;
}

static int record_uid(ical_out *o, const cl_record *r, const char *uid, const char *suffix)
{
    char own[CL_RECORD_ID_TEXT + 16], st[17];
    cl_record_id_format(&r->id, own);
    strcat(own, suffix);
    stamp(r->updated, st);
    int rc = line_of(o, "UID", NULL, uid ? uid : own);
    return rc ? rc : line_of(o, "DTSTAMP", st, NULL);
}

static int task_body(cl_txn *t, ical_out *o, const cl_record *r, const char *uid)
{
    char due[9], st[17];
    cl_buf desc = {0};
    int rc = record_uid(o, r, uid, "");
    stamp(r->created, st);
    if (!rc)
        rc = line_of(o, "CREATED", st, NULL);
    if (!rc)
        rc = text_line(o, "SUMMARY", r->values[CL_F_TITLE]);
    if (!rc && basic_date(r->values[CL_F_DUE], 0, due))
        rc = line_of(o, "DUE;VALUE=DATE", due, NULL);
    bool done = r->values[CL_F_DONE] && !strcmp(r->values[CL_F_DONE], "true");
    if (!rc)
        rc = line_of(o, "STATUS", done ? "COMPLETED" : "NEEDS-ACTION", NULL);
    if (!rc && done)
        rc = line_of(o, "PERCENT-COMPLETE", "100", NULL);
    if (!rc)
        rc = links_block(t, r, &desc);
    if (!rc && desc.len && r->values[CL_F_NOTES] && cl_buf_printf(&desc, "\n%s", r->values[CL_F_NOTES]))
        rc = oom();
    if (!rc && !desc.len && r->values[CL_F_NOTES] && cl_buf_puts(&desc, r->values[CL_F_NOTES]))
        rc = oom();
    if (!rc && desc.len && !r->values[CL_F_NOTES])
        desc.data[--desc.len] = 0; /* the names alone: no line break after them */
    if (!rc && desc.len)
        rc = text_line(o, "DESCRIPTION", (const char *)desc.data);
    cl_buf_free(&desc);
    if (!rc) rc = text_line(o, "X-CLIENTELE-CONTACT", r->values[CL_F_CONTACT]);
    if (!rc) rc = text_line(o, "X-CLIENTELE-COMPANY", r->values[CL_F_COMPANY]);
    if (!rc) rc = text_line(o, "X-CLIENTELE-DEAL", r->values[CL_F_DEAL]);
    return rc;
}

int cl_ical_task(cl_txn *t, const cl_record *r, const char *uid, char **out, size_t *len)
{
    if (r->type != CL_T_TASK)
        return cl_seterr(CL_EINVAL, "a VTODO holds a task");
    ical_out o;
    int rc = open_out(&o, out, len);
    if (rc)
        return rc;
    fputs("BEGIN:VTODO\r\n", o.f);
    rc = task_body(t, &o, r, uid);
    fputs("END:VTODO\r\n", o.f);
    return close_out(&o, rc, out);
}

/* ------------------------------------------------------------ storing */

/* The notes a DESCRIPTION holds: without the names cl_ical_task put before
 * them (a client sends them back as it read them). */
static int notes_of(cl_txn *t, const cl_record_id *id, const char *desc, char **notes)
{
    cl_record *r;
    cl_buf block = {0};
    *notes = NULL;
    if (!desc)
        return CL_OK;
    if (!cl_record_load(t, id, &r)) {
        int rc = links_block(t, r, &block);
        cl_record_free(r);
        if (rc)
            return rc;
    }
    const char *n = desc;
    if (block.len && !strncmp(desc, (const char *)block.data, block.len))
        n = desc + block.len + (desc[block.len] == '\n');
    else if (block.len && !strncmp(desc, (const char *)block.data, block.len - 1) && !desc[block.len - 1])
        n = "";  /* only the names (the ends were trimmed) */
    cl_buf_free(&block);
    return (*notes = strdup(n)) ? CL_OK : oom();
}

int cl_ical_task_put(cl_txn *t, const cl_record_id *id, const char *data, size_t len, char **uid)
{
    cl_todo td;
    char *notes = NULL, own[CL_RECORD_ID_TEXT];
    *uid = NULL;
    int rc = cl_ical_todo_parse(data, len, &td);
    if (rc)
        return rc;
    rc = notes_of(t, id, td.description, &notes);
    cl_assign a[8];
    size_t n = 0;
    a[n++] = (cl_assign){"title", td.summary ? td.summary : ""};
    a[n++] = (cl_assign){"due", td.due ? td.due : ""};
    a[n++] = (cl_assign){"done", td.done ? "true" : "false"};
    a[n++] = (cl_assign){"notes", notes ? notes : ""};
    if (td.contact)
        a[n++] = (cl_assign){"contact", td.contact};
    if (td.company)
        a[n++] = (cl_assign){"company", td.company};
    if (td.deal)
        a[n++] = (cl_assign){"deal", td.deal};
    if (!rc)
        rc = cl_record_put_in(t, CL_T_TASK, id, a, n, NULL);
    cl_record_id_format(id, own);
    if (!rc && td.uid && *td.uid && strcmp(td.uid, own))
        *uid = td.uid, td.uid = NULL;
    free(notes);
    cl_todo_free(&td);
    return rc;
}

/* ------------------------------------------------------------ dates */

static const cl_ical_date DATES[] = {
    {CL_T_CONTACT, CL_F_BIRTHDAY, "-birthday", "Birthday", true},
    {CL_T_CONTACT, CL_F_ANNIVERSARY, "-anniversary", "Anniversary", true},
    {CL_T_DEAL, CL_F_PROMISED_BY, "-promised", "Promised by", false},
    {CL_T_DEAL, CL_F_CLOSE_DATE, "-close", "Expected close", false},
};

const cl_ical_date *cl_ical_dates(size_t *n)
{
    *n = sizeof DATES / sizeof *DATES;
    return DATES;
}

int cl_ical_date_event(cl_txn *t, const cl_record *r, uint8_t field, char **out, size_t *len)
{
    (void)t;
    const cl_ical_date *k = NULL;
    char day[9], next[9], summary[600];
    for (size_t i = 0; i < sizeof DATES / sizeof *DATES; i++)
        if (DATES[i].type == r->type && DATES[i].field == field)
            k = &DATES[i];
    *out = NULL;
    if (!k || r->deleted || !basic_date(r->values[field], 0, day) || !basic_date(r->values[field], 1, next))
        return CL_ENOTFOUND;
    snprintf(summary, sizeof summary, "%s: %s", k->label, cl_record_label(r));
    ical_out o;
    int rc = open_out(&o, out, len);
    if (rc)
        return rc;
    fputs("BEGIN:VEVENT\r\n", o.f);
    rc = record_uid(&o, r, NULL, k->suffix);
    if (!rc) rc = line_of(&o, "DTSTART;VALUE=DATE", day, NULL);
    if (!rc) rc = line_of(&o, "DTEND;VALUE=DATE", next, NULL);
    if (!rc && k->yearly) rc = line_of(&o, "RRULE", "FREQ=YEARLY", NULL);
    if (!rc) rc = line_of(&o, "SUMMARY", NULL, summary);
    if (!rc) rc = line_of(&o, "TRANSP", "TRANSPARENT", NULL);
    fputs("END:VEVENT\r\n", o.f);
    return close_out(&o, rc, out);
}
