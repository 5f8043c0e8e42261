/* put, get, list, rm, history, due, digest. */
#include "cli/cli.h"
#include "clientele/hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_cmd *cmd_named(const char *name);

static int cmd_put(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("put");
    const char *pos[256];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 256, &npos);
    if (rc)
        return rc;
    if (npos < 1)
        return cli_usage(cmd, "missing TYPE");
    uint8_t type;
    if (cl_type_parse(pos[0], &type))
        return cli_usage(cmd, "%s", cl_errmsg());
    int first = 1;
    cl_record_id id;
    bool update = npos > 1 && !strchr(pos[1], '=');
    if (update) {
        if ((rc = cli_parse_record_id(cmd, pos[1], &id)))
            return rc;
        first = 2;
    }
    if (first == npos)
        return cli_usage(cmd, "no FIELD=VALUE given");
    cl_assign a[256];
    size_t n = 0;
    for (int i = first; i < npos; i++) {
        const char *eq = strchr(pos[i], '=');
        if (!eq || eq == pos[i])
            return cli_usage(cmd, "'%s' is not FIELD=VALUE", pos[i]);
        a[n].name = strndup(pos[i], (size_t)(eq - pos[i]));
        a[n++].value = eq + 1;
    }
    if (update) {
        cl_txn *t;
        cl_record_meta m;
        if ((rc = cl_store_read(c->store, &t)) == CL_OK) {
            rc = cl_txn_record(t, &id, &m);
            cl_txn_end(t);
        }
    }
    cl_record_id out;
    if (!rc)
        rc = cl_record_put(c->store, type, update ? &id : NULL, a, n, &out);
    for (size_t i = 0; i < n; i++)
        free((char *)a[i].name);
    if (rc)
        return cli_fail();
    if (!update) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(&out, text);
        puts(text);
    }
    return EXIT_OK;
}

/* "  phones: +40 753 624 162 (mobile, preferred); +40 21 310 00 00 (work)"
 * when a field of several items holds more than its plain value. */
static void print_items(const cl_field_def *f, const cl_items *it)
{
    if (!f->multi || !it->n || (it->n == 1 && !it->v[0].label))
        return;
    printf("  %s: ", f->list);
    for (size_t i = 0; i < it->n; i++) {
        const cl_item *e = &it->v[i];
        bool pref = e->pref && it->n > 1;
        printf("%s%s", i ? "; " : "", e->value);
        if (e->label || pref)
            printf(" (%s%s%s)", e->label ? e->label : "", e->label && pref ? ", " : "", pref ? "preferred" : "");
    }
    putchar('\n');
}

static void print_record_text(const cl_record *r)
{
    char id[CL_RECORD_ID_TEXT], at[32];
    cl_record_id_format(&r->id, id);
    printf("%s %s%s\n", cl_type_name(r->type), id, r->deleted ? " (deleted)" : "");
    size_t n;
    const cl_field_def *defs = cl_type_fields(r->type, &n);
    for (size_t i = 0; i < n; i++)
        if (r->values[defs[i].id])
            printf("  %s: %s\n", defs[i].name, r->values[defs[i].id]);
    for (size_t i = 0; i < n; i++)
        print_items(&defs[i], &r->items[defs[i].id]);
    for (size_t i = 0; i < r->nconflicts; i++) {
        const cl_conflict *k = &r->conflicts[i];
        const cl_field_def *f = cl_field_by_id(r->type, k->field);
        char dev[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&k->origin, dev);
        cl_format_iso(cl_hlc_ms(k->hlc), at);
        printf("  conflict: %s was also set to '%s' by %.11s at %s\n", f ? f->name : "deleted", k->value, dev, at);
    }
    cl_format_iso(cl_hlc_ms(r->updated), at);
    printf("  updated: %s\n", at);
}

/* The arguments of "COMMAND ID [--json]" (json NULL: no --json accepted). */
static int parse_id_args(const char *name, int argc, char **argv, cl_record_id *id, bool *json)
{
    const cli_cmd *cmd = cmd_named(name);
    const cli_opt opts[] = {{"json", NULL, json}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, json ? opts : NULL, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "missing ID");
    return cli_parse_record_id(cmd, pos[0], id);
}

static int cmd_get(cli *c, int argc, char **argv)
{
    bool json = false;
    cl_record_id id;
    int rc = parse_id_args("get", argc, argv, &id, &json);
    if (rc)
        return rc;
    if (!json)
        cli_text_stdout();
    cl_txn *t = NULL;
    cl_record *r = NULL;
    if (cl_store_read(c->store, &t) || cl_record_load(t, &id, &r)) {
        cl_txn_end(t);
        return cli_fail();
    }
    cl_txn_end(t);
    if (r->deleted) {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(&id, text);
        cl_record_free(r);
        cl_seterr(CL_ENOTFOUND, "record %s is deleted", text);
        return cli_fail();
    }
    if (json) {
        cJSON *j = cl_json_record(r);
        rc = j ? cl_json_print(j) : CL_ENOMEM;
        cJSON_Delete(j);
    } else {
        print_record_text(r);
    }
    cl_record_free(r);
    return rc ? cli_fail() : EXIT_OK;
}

/* End of a listing command: with --json print {"items":[…]}; takes items. */
/* --json: {"items":[…]}, and "former":[…] when former is not NULL. Takes
 * both arrays. */
static int finish_lists(int rc, bool json, cJSON *items, cJSON *former)
{
    if (!rc && json) {
        cJSON *top = cJSON_CreateObject();
        if (top && cJSON_AddItemToObject(top, "items", items)) {
            items = NULL;
            if (former && !cJSON_AddItemToObject(top, "former", former))
                rc = cl_seterr(CL_ENOMEM, "out of memory");
            else
                former = NULL;
            if (!rc)
                rc = cl_json_print(top);
        } else {
            rc = cl_seterr(CL_ENOMEM, "out of memory");
        }
        cJSON_Delete(top);
    }
    cJSON_Delete(items);
    cJSON_Delete(former);
    return rc ? cli_fail() : EXIT_OK;
}

static int finish_items(int rc, bool json, cJSON *items)
{
    return finish_lists(rc, json, items, NULL);
}

typedef struct list_out {
    cl_txn *t;
    bool json;
    cJSON *items;
    cl_buf *text;   /* NULL: lines go to stdout */
    size_t n;       /* records listed */
    const char *note;   /* said at the end of the next line; NULL: nothing */
    cJSON *last;        /* --json: the record just added, for more about it */
} list_out;

static int list_one(void *arg, const cl_record_id *id)
{
    list_out *o = arg;
    cl_record *r;
    int rc = cl_record_load(o->t, id, &r);
    if (rc)
        return rc;
    if (o->json) {
        cJSON *j = cl_json_record(r);
        o->last = j && cJSON_AddItemToArray(o->items, j) ? j : (cJSON_Delete(j), NULL);
        rc = o->last ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    } else {
        char text[CL_RECORD_ID_TEXT];
        cl_record_id_format(id, text);
        const char *extra = r->values[CL_F_EMAIL] ? r->values[CL_F_EMAIL]
                          : r->values[CL_F_DUE]   ? r->values[CL_F_DUE]
                          : r->values[CL_F_STAGE] ? r->values[CL_F_STAGE]
                          : r->values[CL_F_DATE]  ? r->values[CL_F_DATE] : "";
        const char *note = o->note ? o->note : "";
        if (o->text)
            rc = cl_buf_printf(o->text, "  %s  %s%s%s%s%s\n", text, cl_record_label(r), *extra ? "  " : "", extra,
                               *note ? "  " : "", note);
        else
            printf("%s  %s%s%s%s%s\n", text, cl_record_label(r), *extra ? "  " : "", extra, *note ? "  " : "", note);
    }
    cl_record_free(r);
    o->n++;
    return rc;
}

/* --limit N: a positive number (*limit keeps its default when absent). */
static int parse_limit(const cli_cmd *cmd, const char *limit_s, size_t *limit)
{
    if (!limit_s)
        return EXIT_OK;
    char *end;
    long v = strtol(limit_s, &end, 10);
    if (*end || v < 1)
        return cli_usage(cmd, "--limit needs a positive number, not '%s'", limit_s);
    *limit = (size_t)v;
    return EXIT_OK;
}

static int cmd_list(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("list");
    bool json = false;
    const char *query = NULL, *limit_s = NULL;
    const cli_opt opts[] = {{"json", NULL, &json}, {"query", &query, NULL}, {"limit", &limit_s, NULL}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "missing TYPE");
    uint8_t type;
    if (cl_type_parse(pos[0], &type))
        return cli_usage(cmd, "%s", cl_errmsg());
    size_t limit = 0;
    if ((rc = parse_limit(cmd, limit_s, &limit)))
        return rc;
    if (!json)
        cli_text_stdout();
    list_out o = {.json = json, .items = json ? cJSON_CreateArray() : NULL};
    if ((rc = cl_store_read(c->store, &o.t)) == CL_OK)
        rc = cl_query_list(o.t, type, query, NULL, limit, list_one, &o, NULL);
    cl_txn_end(o.t);
    return finish_items(rc, json, o.items);
}

static int cmd_rm(cli *c, int argc, char **argv)
{
    cl_record_id id;
    int rc = parse_id_args("rm", argc, argv, &id, NULL);
    if (rc)
        return rc;
    return cl_record_delete(c->store, &id) ? cli_fail() : EXIT_OK;
}

/* history: one line per change; the changes written together (a record
 * created with its fields, an import) under one line that says how many;
 * a reference's records by name beside their ids. */
typedef struct hist_out {
    bool json;
    cJSON *items;
    uint32_t group;        /* of the lines held in `lines` */
    size_t n;              /* changes in it */
    char head[96];         /* "AT  DEVICE" of its first change */
    cl_buf lines;
} hist_out;

static int change_line(const cl_change *ch, cl_buf *out)
{
    if (ch->field == CL_F_DELETED)
        return cl_buf_printf(out, "%s%s", !strcmp(ch->to, "1") ? "deleted" : "restored", ch->concurrent ? "  (concurrent)" : "");
    int rc = cl_buf_printf(out, "%s: ", ch->field_name);
    if (!rc && ch->from_name)
        rc = cl_buf_printf(out, "'%s'%s%s%s -> '%s'%s%s%s", ch->from_name, *ch->from ? " (" : "", ch->from,
                           *ch->from ? ")" : "", ch->to_name, *ch->to ? " (" : "", ch->to, *ch->to ? ")" : "");
    else if (!rc)
        rc = cl_buf_printf(out, "'%s' -> '%s'", ch->from, ch->to);
    return rc ? rc : cl_buf_puts(out, ch->concurrent ? "  (concurrent)" : "");
}

/* Print the group held: one change on its line, several under a head. */
static int history_flush(hist_out *o)
{
    if (o->n && cl_buf_put_u8(&o->lines, 0))
        return cl_seterr(CL_ENOMEM, "out of memory");
    if (o->n == 1)
        printf("%s  %s", o->head, (char *)o->lines.data + 4); /* without the indent */
    else if (o->n)
        printf("%s  %zu changes together:\n%s", o->head, o->n, (char *)o->lines.data);
    cl_buf_reset(&o->lines);
    o->n = 0;
    return CL_OK;
}

static int history_one(void *arg, const cl_change *ch)
{
    hist_out *o = arg;
    if (o->json) {
        cJSON *j = cl_json_change(ch);
        return j && cJSON_AddItemToArray(o->items, j) ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    }
    if (ch->group != o->group) {
        int rc = history_flush(o);
        if (rc)
            return rc;
        char at[32], dev[CL_DEVICE_ID_TEXT];
        cl_format_iso(cl_hlc_ms(ch->hlc), at);
        cl_device_id_format(&ch->origin, dev);
        snprintf(o->head, sizeof o->head, "%s  %.11s", at, dev);
        o->group = ch->group;
    }
    int rc = cl_buf_puts(&o->lines, "    ");
    if (!rc)
        rc = change_line(ch, &o->lines);
    if (!rc)
        rc = cl_buf_puts(&o->lines, "\n");
    o->n++;
    return rc ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

static int cmd_history(cli *c, int argc, char **argv)
{
    bool json = false;
    cl_record_id id;
    int rc = parse_id_args("history", argc, argv, &id, &json);
    if (rc)
        return rc;
    if (!json)
        cli_text_stdout();
    hist_out o = {.json = json, .items = json ? cJSON_CreateArray() : NULL};
    cl_txn *t = NULL;
    if ((rc = cl_store_read(c->store, &t)) == CL_OK)
        rc = cl_history(t, &id, history_one, &o);
    cl_txn_end(t);
    if (!rc && !json)
        rc = history_flush(&o);
    cl_buf_free(&o.lines);
    return finish_items(rc, json, o.items);
}

static int cmd_due(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("due");
    bool json = false;
    const cli_opt opts[] = {{"json", NULL, &json}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    if (!json)
        cli_text_stdout();
    list_out o = {.json = json, .items = json ? cJSON_CreateArray() : NULL};
    if ((rc = cl_store_read(c->store, &o.t)) == CL_OK)
        rc = cl_query_due(o.t, list_one, &o);
    cl_txn_end(o.t);
    return finish_items(rc, json, o.items);
}

/* related ID: the records that refer to ID, each after the field that does
 * ("contact", "company", "referred_by"…), from the model's reference index. */
typedef struct related_out {
    list_out list;
    cl_record_id last;
    bool any;
} related_out;

static int related_one(void *arg, const cl_record_id *id, uint8_t field)
{
    related_out *o = arg;
    cl_record_meta m;
    int rc = cl_txn_record(o->list.t, id, &m);
    const cl_field_def *f = rc ? NULL : cl_field_by_id(m.type, field);
    if (rc || (o->any && !memcmp(o->last.b, id->b, CL_RECORD_ID_LEN)))
        return rc; /* one line per record, even when two of its fields refer */
    o->any = true;
    o->last = *id;
    if (!o->list.json)
        printf("%-12s %-12s ", cl_type_name(m.type), f ? f->name : "?");
    return list_one(&o->list, id);
}

static int cmd_related(cli *c, int argc, char **argv)
{
    bool json = false;
    cl_record_id id;
    int rc = parse_id_args("related", argc, argv, &id, &json);
    if (rc)
        return rc;
    if (!json)
        cli_text_stdout();
    related_out o = {.list = {.json = json, .items = json ? cJSON_CreateArray() : NULL}};
    cJSON *now = o.list.items, *former = json ? cJSON_CreateArray() : NULL;
    cl_record_meta m;
    if ((rc = cl_store_read(c->store, &o.list.t)) == CL_OK && (rc = cl_txn_record(o.list.t, &id, &m)) == CL_OK)
        rc = cl_query_related(o.list.t, &id, related_one, &o);
    /* then the records that referred to it once (a contact who moved to
     * another company): "(former)" on their line, "former" under --json */
    o.any = false;
    o.list.items = former;
    o.list.note = "(former)";
    if (!rc)
        rc = cl_query_formerly_related(o.list.t, &id, related_one, &o);
    cl_txn_end(o.list.t);
    return finish_lists(rc, json, now, former);
}

static int cmd_recent(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("recent");
    bool json = false;
    const char *limit_s = NULL;
    const cli_opt opts[] = {{"json", NULL, &json}, {"limit", &limit_s, NULL}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    size_t limit = 10;
    if ((rc = parse_limit(cmd, limit_s, &limit)))
        return rc;
    if (!json)
        cli_text_stdout();
    list_out o = {.json = json, .items = json ? cJSON_CreateArray() : NULL};
    if ((rc = cl_store_read(c->store, &o.t)) == CL_OK)
        rc = cl_query_recent(o.t, limit, list_one, &o);
    cl_txn_end(o.t);
    return finish_items(rc, json, o.items);
}

/* today: what the Today page shows, the sections of GET /api/today
 * (api_today.c) from one snapshot, each with its count and every row (a
 * terminal has no "show more"). */
#define TODAY_RECENT 10

typedef struct today_out {
    list_out list;
    cJSON *birthdays;      /* --json "birthdays": [{"in_days","record"}] */
    char note[128];        /* what the next row says beside its record */
} today_out;

static const char *plural(int n)
{
    return n == 1 ? "" : "s";
}

/* A record's field as text, cut to fit out ("" when it has none). */
static int field_text(cl_txn *t, const cl_record_id *id, uint8_t field, char *out, size_t size)
{
    cl_field_state st;
    int rc = cl_txn_field(t, id, field, &st);
    *out = 0;
    if (rc)
        return rc == CL_ENOTFOUND ? CL_OK : rc;
    size_t n = st.value_len < size - 1 ? st.value_len : size - 1;
    memcpy(out, st.value, n);
    out[n] = 0;
    return CL_OK;
}

/* A row with o->note at the end of its line (text) and, under --json, the
 * record in o->list.last for the numbers that note_* add. */
static int today_row(today_out *o, const cl_record_id *id)
{
    o->list.note = o->note;
    o->list.last = NULL;
    int rc = list_one(&o->list, id);
    o->list.note = NULL;
    return rc;
}

static int note_number(today_out *o, const char *name, double v)
{
    return !o->list.last || cJSON_AddNumberToObject(o->list.last, name, v) ? CL_OK
                                                                           : cl_seterr(CL_ENOMEM, "out of memory");
}

static int note_string(today_out *o, const char *name, const char *v)
{
    return !o->list.last || cJSON_AddStringToObject(o->list.last, name, v) ? CL_OK
                                                                           : cl_seterr(CL_ENOMEM, "out of memory");
}

/* A promise at risk says by when (--json has promised_by among the fields). */
static int promise_one(void *arg, const cl_record_id *id)
{
    today_out *o = arg;
    char by[16];
    int rc = field_text(o->list.t, id, CL_F_PROMISED_BY, by, sizeof by);
    if (rc)
        return rc;
    snprintf(o->note, sizeof o->note, "promised by %s", by);
    return today_row(o, id);
}

static int stuck_one(void *arg, const cl_record_id *id, int days)
{
    today_out *o = arg;
    char stage[64];
    int rc = field_text(o->list.t, id, CL_F_STAGE, stage, sizeof stage);
    if (rc)
        return rc;
    snprintf(o->note, sizeof o->note, "%d day%s in %s", days, plural(days), stage);
    rc = today_row(o, id);
    return rc ? rc : note_number(o, "days_in_stage", days);
}

/* "every 30 days · last contact 2024-05-02"; --json: last_contact (absent
 * when never), days_since (then since the record was added). */
static int touch_one(void *arg, const cl_touch *tc)
{
    today_out *o = arg;
    snprintf(o->note, sizeof o->note, "every %d day%s · %s%s", tc->cadence, plural(tc->cadence),
             *tc->last ? "last contact " : "never contacted", tc->last);
    int rc = today_row(o, &tc->id);
    if (!rc && *tc->last)
        rc = note_string(o, "last_contact", tc->last);
    return rc ? rc : note_number(o, "days_since", tc->days_since);
}

/* "birthday in 3 days · turns 51", "anniversary today · 8 years": the years
 * only when the date's year is known (not 1604, not after the occasion). */
static int occasion_one(void *arg, const cl_occasion *oc)
{
    today_out *o = arg;
    const char *what = oc->field == CL_F_BIRTHDAY ? "birthday" : "anniversary";
    char when[32], years[32] = "";
    snprintf(when, sizeof when, oc->in_days ? "in %d day%s" : "today", oc->in_days, plural(oc->in_days));
    if (oc->years && oc->field == CL_F_BIRTHDAY)
        snprintf(years, sizeof years, " · turns %d", oc->years);
    else if (oc->years)
        snprintf(years, sizeof years, " · %d year%s", oc->years, plural(oc->years));
    snprintf(o->note, sizeof o->note, "%s %s%s", what, when, years);
    int rc = today_row(o, &oc->id);
    if (!rc)
        rc = note_string(o, "occasion", what);
    if (!rc)
        rc = note_number(o, "in_days", oc->in_days);
    if (!rc && oc->years)
        rc = note_number(o, "years", oc->years);
    return rc;
}

/* top[key] = *arr, which top then owns; *arr gets a fresh array. */
static int hand_over(cJSON *top, const char *key, cJSON **arr)
{
    bool ok = *arr && cJSON_AddItemToObject(top, key, *arr);
    if (!ok)
        cJSON_Delete(*arr);
    *arr = cJSON_CreateArray();
    return ok ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

/* One section, once its query (rc) has listed its rows: "TITLE (N)" and its
 * lines, or top[key] = {"count":N,"items":[…]}. */
static int today_section(today_out *o, cJSON *top, const char *key, const char *title, int rc)
{
    list_out *l = &o->list;
    if (rc)
        return rc;
    if (l->json) {
        cJSON *s = cJSON_AddObjectToObject(top, key);
        rc = s && cJSON_AddNumberToObject(s, "count", (double)l->n) ? hand_over(s, "items", &l->items)
                                                                    : cl_seterr(CL_ENOMEM, "out of memory");
    } else {
        printf("%s (%zu)\n%s", title, l->n, l->n ? (char *)l->text->data : "  nothing\n");
        cl_buf_reset(l->text);
    }
    l->n = 0;
    return rc;
}

/* The sections in the order of the page; occasions within `days`. */
static int today_sections(today_out *o, cJSON *top, int days)
{
    char today[11], yesterday[11], tomorrow[11], week[11], promised[11];
    cl_today(today);
    cl_day_offset(-1, yesterday);
    cl_day_offset(1, tomorrow);
    cl_day_offset(CL_WEEK_DAYS, week);
    cl_day_offset(CL_PROMISE_DAYS, promised);
    list_out *l = &o->list;
    int rc = today_section(o, top, "due_today", "Due today", cl_query_tasks_due(l->t, today, today, list_one, l));
    if (!rc)
        rc = today_section(o, top, "overdue", "Overdue", cl_query_tasks_due(l->t, NULL, yesterday, list_one, l));
    if (!rc)
        rc = today_section(o, top, "this_week", "This week", cl_query_tasks_due(l->t, tomorrow, week, list_one, l));
    if (!rc)
        rc = today_section(o, top, "promises", "Promises at risk", cl_query_promises(l->t, promised, promise_one, o));
    if (!rc)
        rc = today_section(o, top, "stuck", "Stuck deals", cl_query_stuck(l->t, CL_STUCK_DAYS, stuck_one, o));
    if (!rc)
        rc = today_section(o, top, "get_back_to", "People to get back to",
                           cl_query_keep_in_touch(l->t, touch_one, o));
    if (!rc)
        rc = today_section(o, top, "occasions", "Birthdays and anniversaries",
                           cl_query_occasions(l->t, days, occasion_one, o));
    if (!rc)
        rc = cl_query_recent(l->t, TODAY_RECENT, list_one, l);
    if (rc)
        return rc;
    /* the recent interactions keep their shape of before the sections (a bare
     * array under --json: scripts read it) */
    if (l->json)
        return hand_over(top, "recent", &l->items);
    printf("Recent interactions (%zu)\n%s", l->n, l->n ? (char *)l->text->data : "  nothing\n");
    return CL_OK;
}

static int birthday_json(today_out *o, const cl_record *r, int in_days)
{
    cJSON *e = cJSON_CreateObject(), *rec = cl_json_record(r);
    if (e && rec && cJSON_AddItemToObject(e, "record", rec)) {
        rec = NULL; /* e owns it */
        if (cJSON_AddNumberToObject(e, "in_days", in_days) && cJSON_AddItemToArray(o->birthdays, e))
            return CL_OK;
    }
    cJSON_Delete(rec);
    cJSON_Delete(e);
    return cl_seterr(CL_ENOMEM, "out of memory");
}

static int birthday_one(void *arg, const cl_record_id *id, int in_days)
{
    today_out *o = arg;
    cl_record *r;
    int rc = cl_record_load(o->list.t, id, &r);
    if (rc)
        return rc;
    rc = birthday_json(o, r, in_days);
    cl_record_free(r);
    return rc;
}

/* --json also keeps the keys of the three sections of earlier versions that
 * scripts read: "due" (due today and overdue, oldest first) and "birthdays"
 * ([{"in_days","record"}] within `days`), bare arrays from the same
 * snapshot ("recent" is one already, see today_sections). */
static int today_old_keys(today_out *o, cJSON *top, int days)
{
    list_out *l = &o->list;
    int rc = cl_query_due(l->t, list_one, l);
    if (!rc)
        rc = hand_over(top, "due", &l->items);
    if (!rc)
        rc = cl_query_birthdays(l->t, days, birthday_one, o);
    if (!rc)
        rc = hand_over(top, "birthdays", &o->birthdays);
    return rc;
}

static int cmd_today(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("today");
    bool json = false;
    const char *days_s = NULL;
    const cli_opt opts[] = {{"json", NULL, &json}, {"days", &days_s, NULL}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    size_t days = 7;
    if ((rc = parse_limit(cmd, days_s, &days)) || days > 366)
        return rc ? rc : cli_usage(cmd, "--days goes up to 366");
    if (!json)
        cli_text_stdout();
    cl_buf text = {0};
    today_out o = {.list = {.json = json, .text = &text, .items = json ? cJSON_CreateArray() : NULL},
                   .birthdays = json ? cJSON_CreateArray() : NULL};
    cJSON *top = json ? cJSON_CreateObject() : NULL;
    if ((rc = cl_store_read(c->store, &o.list.t)) == CL_OK)
        rc = today_sections(&o, top, (int)days);
    if (!rc && json)
        rc = today_old_keys(&o, top, (int)days);
    cl_txn_end(o.list.t);
    cJSON_Delete(o.list.items);
    cJSON_Delete(o.birthdays);
    cl_buf_free(&text);
    if (!rc && json)
        rc = cl_json_print(top);
    cJSON_Delete(top);
    return rc ? cli_fail() : EXIT_OK;
}

static int cmd_digest(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cmd_named("digest");
    const char *pos[1];
    bool all = false;
    const cli_opt opts[] = {{"all", NULL, &all}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    cl_txn *t = NULL;
    unsigned char d[CL_SHA256_LEN];
    if ((rc = cl_store_read(c->store, &t)) == CL_OK)
        rc = cl_txn_digest(t, all, d);
    cl_txn_end(t);
    if (rc)
        return cli_fail();
    for (int i = 0; i < CL_SHA256_LEN; i++)
        printf("%02x", d[i]);
    putchar('\n');
    return EXIT_OK;
}

const cli_cmd cli_record_cmds[] = {
    {"put", "put TYPE [ID] FIELD=VALUE …",
     "Create a record of TYPE (company, contact, interaction, task, deal) and print its id, or\n"
     "update the record ID. FIELD= with nothing after it clears the field; updating a deleted\n"
     "record restores it. References (company=, contact=, deal=, referred_by=) take record ids.\n"
     "phone=, email= and address= set the preferred one of several; phones=, emails= and\n"
     "addresses= take the whole list as JSON: '[{\"value\":\"+40 1\",\"label\":\"work\",\"pref\":true}]'.",
     cmd_put, true},
    {"get", "get ID [--json]", "Show one record with its fields and open conflicts.", cmd_get, true},
    {"list", "list TYPE [--query TEXT] [--limit N] [--json]",
     "List the records of TYPE. --query keeps those whose text contains every word of TEXT,\n"
     "ignoring case and accents; --limit stops after N records.",
     cmd_list, true},
    {"rm", "rm ID", "Delete a record. Its history is kept; 'put TYPE ID …' restores it.", cmd_rm, true},
    {"history", "history ID [--json]", "Every change of a record, oldest first: field, old and new value, device, time.",
     cmd_history, true},
    {"due", "due [--json]", "Open tasks due today or overdue, oldest first.", cmd_due, true},
    {"related", "related ID [--json]",
     "The records that refer to ID: a company's contacts, deals, tasks and interactions, the\n"
     "people a contact referred. Each line names the type and the field that refers.",
     cmd_related, true},
    {"recent", "recent [--limit N] [--json]", "Interactions, newest date first (10 unless --limit says).",
     cmd_recent, true},
    {"today", "today [--days N] [--json]",
     "What the Today page shows, each section with its count: open tasks due today, overdue\n"
     "and due this week; promises at risk (promised_by past or within 2 days, neither won nor\n"
     "lost); deals stuck in a stage for 30 days; people to get back to (a cadence passed since\n"
     "the last interaction); birthdays and anniversaries within N days (7 unless --days says);\n"
     "the 10 most recent interactions. --json: the sections of GET /api/today.",
     cmd_today, true},
    {"digest", "digest [--all]",
     "A hash of the data (records, fields, deletions, open conflicts): equal on two devices\n"
     "exactly when they hold the same data. A deleted record and a cleared field count as\n"
     "absent (undoing an import gives the digest from before it back); --all counts them\n"
     "too, as version 0.3.0 did: equal when the devices also hold the same deleted records.",
     cmd_digest, true},
    {0},
};

static const cli_cmd *cmd_named(const char *name)
{
    return cli_find(name);
}
