/* The JSON backup: the whole op log, so that restoring replays history
 * exactly (values, clocks, what each author had seen: the same conflicts).
 *
 *   {"format":"clientele-backup","version":1,"exported":"…","ops":[
 *   {"origin":"DEVICE-ID","seq":1,"hlc":"123…","record":"id","type":"contact",
 *    "field":"name","seen":[["DEVICE-ID",3]],"value":"…"},
 *   …]}
 *
 * One op per line. hlc is a decimal string (64 bits do not fit a JSON
 * number). A value that is not printable UTF-8 is written as "value_hex".
 * The reader walks the ops array element by element, so memory stays
 * proportional to the file, not to a parsed tree of it. */
#include "codec/import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKUP_FORMAT "clientele-backup"
#define BACKUP_VERSION 1

/* ----- writing ----- */

/* The store's own records (revocations) are in a backup like any op: a
 * restored folder must still refuse a revoked device. */
#define SYSTEM_TYPE "revocation"
#define SYSTEM_FIELD "revoke"

static const char *type_name(uint8_t type)
{
    return type == CL_T_SYSTEM ? SYSTEM_TYPE : cl_type_name(type);
}

static const char *field_name(uint8_t type, uint8_t field)
{
    if (field == CL_F_DELETED)
        return "deleted";
    if (type == CL_T_SYSTEM)
        return field == CL_F_REVOKE ? SYSTEM_FIELD : NULL;
    const cl_field_def *f = cl_field_by_id(type, field);
    return f ? f->name : NULL;
}

static cJSON *seen_json(const cl_op *op)
{
    cJSON *a = cJSON_CreateArray();
    for (unsigned i = 0; a && i < op->nseen; i++) {
        char dev[CL_DEVICE_ID_TEXT];
        cl_device_id_format(&op->seen[i].origin, dev);
        cJSON *pair = cJSON_CreateArray();
        if (!pair || !cJSON_AddItemToArray(a, pair) ||
            !cJSON_AddItemToArray(pair, cJSON_CreateString(dev)) ||
            !cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)op->seen[i].seq))) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* The seen pairs added to o; deleted when adding them fails (cJSON leaves
 * an item it could not add with the caller). */
static bool add_seen(cJSON *o, const cl_op *op)
{
    cJSON *seen = seen_json(op);
    if (seen && cJSON_AddItemToObject(o, "seen", seen))
        return true;
    cJSON_Delete(seen);
    return false;
}

static bool add_value(cJSON *o, const cl_op *op)
{
    if (cl_utf8_valid(op->value, op->value_len) && !memchr(op->value, 0, op->value_len)) {
        char *v = strndup(op->value, op->value_len);
        bool ok = v && cJSON_AddStringToObject(o, "value", v);
        free(v);
        return ok;
    }
    char *hex = malloc((size_t)op->value_len * 2 + 1);
    for (uint32_t i = 0; hex && i < op->value_len; i++)
        sprintf(hex + 2 * i, "%02x", (unsigned char)op->value[i]);
    if (hex)
        hex[op->value_len * 2] = 0;
    bool ok = hex && cJSON_AddStringToObject(o, "value_hex", hex);
    free(hex);
    return ok;
}

static cJSON *op_json(const cl_op *op)
{
    char dev[CL_DEVICE_ID_TEXT], rec[CL_RECORD_ID_TEXT], hlc[24];
    cl_device_id_format(&op->origin, dev);
    cl_record_id_format(&op->record, rec);
    snprintf(hlc, sizeof hlc, "%" PRIu64, op->hlc);
    const char *fname = field_name(op->type, op->field);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "origin", dev) &&
              cJSON_AddNumberToObject(o, "seq", (double)op->seq) && cJSON_AddStringToObject(o, "hlc", hlc) &&
              cJSON_AddStringToObject(o, "record", rec) &&
              cJSON_AddStringToObject(o, "type", type_name(op->type) ? type_name(op->type) : "?") &&
              (fname ? cJSON_AddStringToObject(o, "field", fname) != NULL
                     : cJSON_AddNumberToObject(o, "field", op->field) != NULL) &&
              add_seen(o, op) && add_value(o, op);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

typedef struct export_ctx {
    cl_txn *t;
    FILE *out;
    size_t count;
} export_ctx;

static int export_op(void *arg, const cl_op *op)
{
    export_ctx *e = arg;
    cJSON *o = op_json(op);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s)
        return cl_seterr(CL_ENOMEM, "out of memory");
    fprintf(e->out, "%s\n%s", e->count ? "," : "", s);
    cJSON_free(s);
    e->count++;
    return ferror(e->out) ? cl_seterr(CL_EIO, "cannot write the backup") : CL_OK;
}

static int export_origin(void *arg, const cl_device_id *origin, uint64_t seq)
{
    export_ctx *e = arg;
    (void)seq;
    return cl_txn_ops_after(e->t, origin, 0, SIZE_MAX, export_op, e);
}

int cl_backup_export(cl_txn *t, FILE *out, size_t *count)
{
    export_ctx e = {t, out, 0};
    char now[32];
    cl_format_iso(cl_now_ms(), now);
    fprintf(out, "{\"format\":\"%s\",\"version\":%d,\"exported\":\"%s\",\"ops\":[", BACKUP_FORMAT,
            BACKUP_VERSION, now);
    int rc = cl_txn_vv_each(t, export_origin, &e);
    if (!rc) {
        fputs("\n]}\n", out);
        if (fflush(out) || ferror(out))
            rc = cl_seterr(CL_EIO, "cannot write the backup");
    }
    if (count)
        *count = e.count;
    return rc;
}

/* ----- reading: a walk over the top-level object ----- */

typedef struct walker {
    const char *p, *start, *end;
    size_t line;
    const char *name;
} walker;

static int walk_err(walker *w, const char *what)
{
    return cl_seterr(CL_EINVAL, "%s: line %zu: %s", w->name, w->line, what);
}

static void skip_ws(walker *w)
{
    while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\r' || *w->p == '\n'))
        w->line += *w->p++ == '\n';
}

/* The end of the JSON value at p (a string, a number, a literal or a nested
 * container); validity is left to cJSON. NULL when it runs off the end. */
static const char *value_end(walker *w)
{
    const char *p = w->p;
    int depth = 0;
    bool str = false;
    for (; p < w->end; p++) {
        char ch = *p;
        if (str) {
            if (ch == '\\')
                p++;
            else if (ch == '"' && (str = false, depth == 0))
                return p + 1;
        } else if (ch == '"') {
            str = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0)
                return p;
            if (--depth == 0)
                return p + 1;
        } else if (depth == 0 && (ch == ',' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')) {
            return p;
        }
    }
    return depth == 0 && !str && p > w->p ? p : NULL;
}

/* Parse the value at p with cJSON and move past it. */
static int take_value(walker *w, cJSON **out)
{
    const char *e = value_end(w);
    if (!e || e == w->p)
        return walk_err(w, "the file ends in the middle of a value (truncated?)");
    const char *stop = NULL;
    *out = NULL;
    if (cl_json_check(w->p, (size_t)(e - w->p))) {
        char why[128];
        snprintf(why, sizeof why, "%s", cl_errmsg());
        return walk_err(w, why);
    }
    *out = cJSON_ParseWithLengthOpts(w->p, (size_t)(e - w->p), &stop, false);
    if (*out && stop != e) { /* cJSON's own "nothing follows" check wants a NUL */
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!*out)
        return walk_err(w, "not valid JSON");
    for (const char *k = w->p; k < e; k++)
        w->line += *k == '\n';
    w->p = e;
    return CL_OK;
}

static int expect(walker *w, char ch)
{
    skip_ws(w);
    if (w->p == w->end || *w->p != ch) {
        char msg[64];
        snprintf(msg, sizeof msg, w->p == w->end ? "the file ends early (truncated?): expected '%c'"
                                                 : "expected '%c'", ch);
        return walk_err(w, msg);
    }
    w->p++;
    return CL_OK;
}

/* ----- decoding one op ----- */

typedef struct op_buf {
    cl_op op;
    cl_buf value;
} op_buf;

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool get_u64(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 9007199254740991.0 ||
        j->valuedouble != (double)(uint64_t)j->valuedouble)
        return false;
    *v = (uint64_t)j->valuedouble;
    return true;
}

static int decode_seen(const cJSON *a, cl_op *op)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > CL_MAX_SEEN)
        return cl_seterr(CL_EINVAL, "\"seen\" must be a list of at most %d [device, seq] pairs", CL_MAX_SEEN);
    op->nseen = 0;
    for (const cJSON *p = a->child; p; p = p->next) {
        cl_op_id *s = &op->seen[op->nseen++];
        const cJSON *d = cJSON_GetArrayItem(p, 0), *q = cJSON_GetArrayItem(p, 1);
        if (cJSON_GetArraySize(p) != 2 || !cJSON_IsString(d) || !get_u64(q, &s->seq) ||
            cl_device_id_parse(d->valuestring, &s->origin))
            return cl_seterr(CL_EINVAL, "\"seen\" holds something other than [device, seq]");
    }
    return CL_OK;
}

static int decode_value(const cJSON *o, op_buf *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "value_hex");
    cl_buf_reset(&b->value);
    if (cJSON_IsString(v))
        return cl_buf_puts(&b->value, v->valuestring);
    if (!cJSON_IsString(h) || strlen(h->valuestring) % 2)
        return cl_seterr(CL_EINVAL, "an op needs a \"value\" string");
    for (const char *p = h->valuestring; *p; p += 2) {
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0)
            return cl_seterr(CL_EINVAL, "\"value_hex\" is not hexadecimal");
        if (cl_buf_put_u8(&b->value, (uint8_t)(hi << 4 | lo)))
            return CL_ENOMEM;
    }
    return CL_OK;
}

static int decode_field(const cJSON *f, uint8_t type, uint8_t *field)
{
    uint64_t n;
    if (cJSON_IsString(f) && type == CL_T_SYSTEM) {
        if (strcmp(f->valuestring, SYSTEM_FIELD))
            return cl_seterr(CL_EINVAL, "a revocation has no field '%s'", f->valuestring);
        *field = CL_F_REVOKE;
        return CL_OK;
    }
    if (cJSON_IsString(f)) {
        const cl_field_def *d = cl_field_lookup(type, f->valuestring);
        if (d || !strcmp(f->valuestring, "deleted")) {
            *field = d ? d->id : CL_F_DELETED;
            return CL_OK;
        }
        return cl_seterr(CL_EINVAL, "%s has no field '%s'", cl_type_name(type), f->valuestring);
    }
    if (get_u64(f, &n) && n <= CL_F_MAX) {
        *field = (uint8_t)n;
        return CL_OK;
    }
    return cl_seterr(CL_EINVAL, "an op needs a \"field\"");
}

static int decode_op(const cJSON *o, op_buf *b)
{
    cl_op *op = &b->op;
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(o, "origin");
    const cJSON *hlc = cJSON_GetObjectItemCaseSensitive(o, "hlc");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, "record");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    char *end;
    memset(op, 0, sizeof *op);
    if (!cJSON_IsObject(o))
        return cl_seterr(CL_EINVAL, "an op must be an object");
    if (!cJSON_IsString(origin) || cl_device_id_parse(origin->valuestring, &op->origin))
        return cl_seterr(CL_EINVAL, "an op needs its \"origin\" device id");
    if (!get_u64(cJSON_GetObjectItemCaseSensitive(o, "seq"), &op->seq) || !op->seq)
        return cl_seterr(CL_EINVAL, "an op needs a \"seq\" of 1 or more");
    if (!cJSON_IsString(hlc) || !*hlc->valuestring || (op->hlc = strtoull(hlc->valuestring, &end, 10), *end))
        return cl_seterr(CL_EINVAL, "an op needs an \"hlc\" (a decimal string)");
    if (!cJSON_IsString(rec) || cl_record_id_parse(rec->valuestring, &op->record))
        return cl_seterr(CL_EINVAL, "an op needs a \"record\" id");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, SYSTEM_TYPE))
        op->type = CL_T_SYSTEM;
    else if (!cJSON_IsString(type) || cl_type_parse(type->valuestring, &op->type))
        return cl_seterr(CL_EINVAL, "an op needs a record \"type\"");
    int rc = decode_field(cJSON_GetObjectItemCaseSensitive(o, "field"), op->type, &op->field);
    if (!rc)
        rc = decode_seen(cJSON_GetObjectItemCaseSensitive(o, "seen"), op);
    if (!rc)
        rc = decode_value(o, b);
    if (!rc && b->value.len > CL_MAX_VALUE)
        rc = cl_seterr(CL_EINVAL, "a value longer than %d bytes", CL_MAX_VALUE);
    op->value = b->value.data ? (const char *)b->value.data : "";
    op->value_len = (uint32_t)b->value.len;
    return rc;
}

/* ----- importing ----- */

/* One element of "ops": decode and apply it. */
static int import_op(imp *m, walker *w, op_buf *b)
{
    size_t line = w->line;
    cJSON *o;
    int rc = take_value(w, &o);
    if (rc)
        return rc;
    rc = decode_op(o, b);
    cJSON_Delete(o);
    bool applied = false;
    if (!rc)
        rc = cl_txn_apply(m->t, &b->op, &applied);
    if (rc)
        return imp_fail(m, line, rc == CL_EPROTO ? CL_EINVAL : rc);
    m->res->ops += applied;
    imp_progress(m, (size_t)(w->p - w->start), (size_t)(w->end - w->start));
    return CL_OK;
}

static int import_ops(imp *m, walker *w)
{
    op_buf b = {0};
    int rc = expect(w, '[');
    skip_ws(w);
    if (!rc && w->p < w->end && *w->p == ']') {
        w->p++;
        return CL_OK;
    }
    while (!rc) {
        skip_ws(w);
        if ((rc = import_op(m, w, &b)))
            break;
        skip_ws(w);
        if (w->p < w->end && *w->p == ']') {
            w->p++;
            break;
        }
        rc = expect(w, ',');
    }
    cl_buf_free(&b.value);
    return rc;
}

/* "format" and "version" must come before "ops": they say how to read them. */
static int check_header(walker *w, const char *key, const cJSON *v, bool *format_ok)
{
    if (!strcmp(key, "format")) {
        if (!cJSON_IsString(v) || strcmp(v->valuestring, BACKUP_FORMAT))
            return walk_err(w, "not a clientele backup (\"format\" is not \"" BACKUP_FORMAT "\")");
        *format_ok = true;
    } else if (!strcmp(key, "version")) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 1)
            return walk_err(w, "\"version\" must be a number");
        if (v->valuedouble > BACKUP_VERSION)
            return cl_seterr(CL_EVERSION, "%s: backup version %d is newer than this clientele reads (%d)",
                             w->name, v->valueint, BACKUP_VERSION);
    }
    return CL_OK;
}

static int import_members(imp *m, walker *w)
{
    bool format_ok = false, ops = false;
    int rc = expect(w, '{');
    while (!rc) {
        cJSON *k = NULL, *v = NULL;
        skip_ws(w);
        if ((rc = take_value(w, &k)) || !cJSON_IsString(k)) {
            cJSON_Delete(k);
            return rc ? rc : walk_err(w, "expected a member name");
        }
        if (!(rc = expect(w, ':')) && !strcmp(k->valuestring, "ops")) {
            rc = format_ok ? import_ops(m, w) : walk_err(w, "not a clientele backup (no \"format\" before \"ops\")");
            ops = true;
        } else if (!rc) {
            skip_ws(w);
            if (!(rc = take_value(w, &v)))
                rc = check_header(w, k->valuestring, v, &format_ok);
        }
        cJSON_Delete(k);
        cJSON_Delete(v);
        skip_ws(w);
        if (!rc && w->p < w->end && *w->p == '}') {
            w->p++;
            break;
        }
        if (!rc)
            rc = expect(w, ',');
    }
    if (!rc && !ops)
        rc = walk_err(w, "not a clientele backup (no \"ops\")");
    skip_ws(w);
    if (!rc && w->p != w->end)
        rc = walk_err(w, "something follows the backup's closing brace");
    return rc;
}

static int backup_import_fn(cl_txn *t, void *arg)
{
    imp_input *bi = arg;
    imp m;
    walker w = {bi->data, bi->data, bi->data + bi->len, 1, bi->o && bi->o->name ? bi->o->name : "input"};
    int rc = imp_begin(&m, t, bi->o, bi->res);
    if (!rc && w.end - w.p >= 3 && !memcmp(w.p, "\xEF\xBB\xBF", 3))
        w.p += 3;
    if (!rc)
        rc = import_members(&m, &w);
    imp_end(&m);
    return rc;
}

int cl_backup_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                     cl_import_result *res)
{
    imp_input bi = {data, len, o, res};
    memset(res, 0, sizeof *res);
    return imp_run(s, backup_import_fn, &bi, res);
}
