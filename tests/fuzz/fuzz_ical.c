/* iCalendar tasks as CalDAV clients PUT them (src/codec/ical.c):
 * cl_ical_todo_parse on any bytes (what it gives is bounded by the input and
 * well formed: a due date is YYYY-MM-DD); then cl_ical_task_put into a
 * scratch store — a refused task stores nothing; a stored one, written back
 * with cl_ical_task, parses again to the same title, due date and done. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

struct put {
    const uint8_t *data;
    size_t size;
    cl_record_id id;
    char *uid;
};

static int put_fn(cl_txn *t, void *arg)
{
    struct put *p = arg;
    free(p->uid);
    p->uid = NULL;
    return cl_ical_task_put(t, &p->id, (const char *)p->data, p->size, &p->uid);
}

static void check_text(const char *s, size_t size)
{
    if (s && strlen(s) > size)
        abort();
}

static void check_due(const char *d)
{
    if (!d)
        return;
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        abort();
}

/* Stored: read back through the codec, parsed again, the same task. */
static void round_trip(cl_store *s, const cl_record_id *id, const cl_todo *in)
{
    cl_txn *t;
    cl_record *r;
    char *text;
    size_t len;
    if (cl_store_read(s, &t))
        abort();
    if (cl_record_load(t, id, &r) || cl_ical_task(t, r, NULL, &text, &len))
        abort();
    cl_todo back;
    if (cl_ical_todo_parse(text, len, &back))
        abort();
    const char *title = r->values[CL_F_TITLE];
    if ((title ? strcmp(back.summary ? back.summary : "", title) : back.summary != NULL) ||
        (r->values[CL_F_DUE] ? !back.due || strcmp(back.due, r->values[CL_F_DUE]) : back.due != NULL) ||
        back.done != in->done)
        abort();
    cl_todo_free(&back);
    free(text);
    cl_record_free(r);
    cl_txn_end(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_todo td;
    if (cl_ical_todo_parse((const char *)data, size, &td) != CL_OK)
        return 0;
    check_text(td.uid, size), check_text(td.summary, size), check_text(td.description, size);
    check_text(td.contact, size), check_text(td.company, size), check_text(td.deal, size);
    check_due(td.due);
    cl_store *s = fuzz_store();
    fuzz_store_tick();
    struct put p = {data, size, {{0}}, NULL};
    if (cl_record_id_new(&p.id))
        abort();
    uint64_t before = fuzz_op_count(s);
    int rc = cl_store_update(s, put_fn, &p);
    if (rc && fuzz_op_count(s) != before)
        abort();
    if (!rc)
        round_trip(s, &p.id, &td);
    free(p.uid);
    cl_todo_free(&td);
    return 0;
}
