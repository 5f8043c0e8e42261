/* Records and changes as JSON. */
#include "clientele/codec.h"
#include "clientele/hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inside a string at p[i] == '\\': whether the escape is \u0000. */
static bool nul_escape(const char *p, size_t i, size_t n)
{
    return i + 5 < n && p[i + 1] == 'u' && !memcmp(p + i + 2, "0000", 4);
}

int cl_json_check(const char *text, size_t n)
{
    int depth = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (str) {
            if (ch == '\\' && nul_escape(text, i, n))
                return cl_seterr(CL_EINVAL, "a JSON string holds \\u0000, which no value may contain");
            if (ch == '\\')
                i++; /* the escaped byte cannot end the string */
            else if (ch == '"')
                str = false;
        } else if (ch == '"') {
            str = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > CL_JSON_MAX_DEPTH)
                return cl_seterr(CL_EINVAL, "JSON nested deeper than %d levels", CL_JSON_MAX_DEPTH);
        } else if ((ch == '}' || ch == ']') && depth > 0) {
            depth--;
        }
    }
    return CL_OK;
}

static cJSON *value_json(uint8_t type, uint8_t field, const char *v)
{
    const cl_field_def *f = cl_field_by_id(type, field);
    if (f && f->kind == CL_K_BOOL)
        return cJSON_CreateBool(!strcmp(v, "true"));
    return cJSON_CreateString(v);
}

static bool add_time(cJSON *o, const char *name, uint64_t hlc)
{
    char iso[32];
    cl_format_iso(cl_hlc_ms(hlc), iso);
    return cJSON_AddStringToObject(o, name, iso) != NULL;
}

static bool add_device(cJSON *o, const char *name, const cl_device_id *d)
{
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(d, text);
    return cJSON_AddStringToObject(o, name, text) != NULL;
}

/* cJSON_AddItemToObject copies name: when that fails the item is not the
 * object's, so it is deleted here rather than leaked. NULL item: false. */
static bool add_item(cJSON *o, const char *name, cJSON *item)
{
    if (cJSON_AddItemToObject(o, name, item))
        return true;
    cJSON_Delete(item);
    return false;
}

static bool append_item(cJSON *arr, cJSON *item)
{
    if (cJSON_AddItemToArray(arr, item))
        return true;
    cJSON_Delete(item);
    return false;
}

static cJSON *winner_json(const cl_record *r, const cl_conflict *c)
{
    const char *winner = r->values[c->field] ? r->values[c->field] : "";
    cJSON *w = cJSON_CreateObject();
    if (w && add_item(w, "value", value_json(r->type, c->field, winner)) && add_device(w, "device", &r->by[c->field]) &&
        add_time(w, "at", r->hlcs[c->field]))
        return w;
    cJSON_Delete(w);
    return NULL;
}

static cJSON *conflict_json(const cl_record *r, const cl_conflict *c)
{
    const cl_field_def *f = cl_field_by_id(r->type, c->field);
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "field", f ? f->name : "deleted") &&
              add_item(o, "value", value_json(r->type, c->field, c->value)) &&
              add_device(o, "device", &c->origin) && add_time(o, "at", c->hlc) &&
              add_item(o, "winner", winner_json(r, c));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* [{"value","label"?,"pref"?}]: a field of several items, whole. */
static cJSON *items_json(const cl_items *it)
{
    cJSON *a = cJSON_CreateArray();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < it->n; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = append_item(a, e) && cJSON_AddStringToObject(e, "value", it->v[i].value) &&
             (!it->v[i].label || cJSON_AddStringToObject(e, "label", it->v[i].label)) &&
             (!it->v[i].pref || cJSON_AddTrueToObject(e, "pref"));
    }
    if (!ok) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

cJSON *cl_json_record(const cl_record *r)
{
    char id[CL_RECORD_ID_TEXT];
    cl_record_id_format(&r->id, id);
    cJSON *o = cJSON_CreateObject();
    cJSON *fields = cJSON_AddObjectToObject(o, "fields");
    bool ok = o && fields;
    size_t n;
    const cl_field_def *defs = cl_type_fields(r->type, &n);
    for (size_t i = 0; ok && i < n; i++)
        if (r->values[defs[i].id])
            ok = add_item(fields, defs[i].name, value_json(r->type, defs[i].id, r->values[defs[i].id]));
    for (size_t i = 0; ok && i < n; i++) /* after the single values: "phone" is the preferred of "phones" */
        if (defs[i].multi && r->items[defs[i].id].n)
            ok = add_item(fields, defs[i].list, items_json(&r->items[defs[i].id]));
    cJSON *conflicts = ok ? cJSON_AddArrayToObject(o, "conflicts") : NULL;
    ok = ok && conflicts;
    for (size_t i = 0; ok && i < r->nconflicts; i++) {
        cJSON *c = conflict_json(r, &r->conflicts[i]);
        ok = c && cJSON_AddItemToArray(conflicts, c);
    }
    ok = ok && cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "type", cl_type_name(r->type)) &&
         add_time(o, "created", r->created) && add_time(o, "updated", r->updated) &&
         cJSON_AddBoolToObject(o, "deleted", r->deleted);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *cl_json_change(const cl_change *c)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "field", c->field_name) && cJSON_AddStringToObject(o, "from", c->from) &&
              cJSON_AddStringToObject(o, "to", c->to) && add_device(o, "device", &c->origin) &&
              add_time(o, "at", c->hlc) && cJSON_AddNumberToObject(o, "seq", (double)c->seq) &&
              cJSON_AddBoolToObject(o, "concurrent", c->concurrent) &&
              cJSON_AddNumberToObject(o, "group", c->group) &&
              (!c->from_name || (cJSON_AddStringToObject(o, "from_name", c->from_name) &&
                                 cJSON_AddStringToObject(o, "to_name", c->to_name)));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

void cl_assigns_free(cl_assign *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free((char *)a[i].name);
        free((char *)a[i].value);
    }
    free(a);
}

int cl_json_assigns(uint8_t type, const cJSON *fields, cl_assign **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsObject(fields))
        return cl_seterr(CL_EINVAL, "\"fields\" must be an object");
    size_t count = (size_t)cJSON_GetArraySize(fields);
    cl_assign *a = calloc(count ? count : 1, sizeof *a);
    if (!a)
        return cl_seterr(CL_ENOMEM, "out of memory");
    size_t i = 0;
    int rc = CL_OK;
    for (const cJSON *f = fields->child; f && !rc; f = f->next, i++) {
        const cl_field_def *def = cl_field_lookup(type, f->string);
        if (!def)
            rc = cl_seterr(CL_EINVAL, "%s has no field '%s'", cl_type_name(type), f->string);
        else if (cJSON_IsString(f))
            a[i].value = strdup(f->valuestring);
        else if (cJSON_IsBool(f) && def->kind == CL_K_BOOL)
            a[i].value = strdup(cJSON_IsTrue(f) ? "true" : "false");
        else if (cJSON_IsNull(f))
            a[i].value = strdup("");
        else if (cJSON_IsArray(f) && def->multi) /* the whole list: its JSON text */
            a[i].value = cJSON_PrintUnformatted(f);
        else
            rc = cl_seterr(CL_EINVAL, "%s: %s must be %s", cl_type_name(type), f->string,
                           def->kind == CL_K_BOOL ? "true or false"
                           : def->multi           ? "a string or a list of {\"value\",\"label\",\"pref\"}"
                                                  : "a string");
        if (!rc && (!a[i].value || !(a[i].name = strdup(f->string))))
            rc = cl_seterr(CL_ENOMEM, "out of memory");
    }
    if (rc) {
        cl_assigns_free(a, count);
        return rc;
    }
    *out = a;
    *n = count;
    return CL_OK;
}

int cl_json_print(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        return cl_seterr(CL_ENOMEM, "out of memory");
    puts(s);
    cJSON_free(s);
    return CL_OK;
}

/* One field of the schema table, as /api/schema serves it. */
static cJSON *field_def_json(const cl_field_def *f)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "name", f->name) && cJSON_AddNumberToObject(o, "id", f->id) &&
              cJSON_AddStringToObject(o, "kind", cl_kind_name(f->kind)) &&
              cJSON_AddBoolToObject(o, "required", f->required) &&
              cJSON_AddBoolToObject(o, "searchable", f->searchable) &&
              cJSON_AddBoolToObject(o, "multiline", f->multiline) && cJSON_AddBoolToObject(o, "multi", f->multi) &&
              cJSON_AddNumberToObject(o, "max_len", f->max_len);
    if (ok && f->kind == CL_K_REF)
        ok = cJSON_AddStringToObject(o, "ref", cl_type_name(f->ref_type)) != NULL;
    if (ok && f->multi)
        ok = cJSON_AddStringToObject(o, "list", f->list) != NULL;
    cJSON *choices = ok && f->choices ? cJSON_AddArrayToObject(o, "choices") : NULL;
    ok = ok && (!f->choices || choices);
    for (size_t i = 0; ok && f->choices && f->choices[i]; i++)
        ok = append_item(choices, cJSON_CreateString(f->choices[i]));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *cl_json_schema(void)
{
    cJSON *o = cJSON_CreateObject(), *types = cJSON_AddArrayToObject(o, "types");
    bool ok = o && types;
    for (uint8_t t = 1; ok && t <= CL_T_MAX; t++) {
        size_t n;
        const cl_field_def *defs = cl_type_fields(t, &n);
        const cl_field_def *label = cl_field_by_id(t, cl_type_label_field(t));
        cJSON *ty = cJSON_CreateObject(), *fields = cJSON_AddArrayToObject(ty, "fields");
        ok = ty && fields && cJSON_AddStringToObject(ty, "name", cl_type_name(t)) &&
             cJSON_AddStringToObject(ty, "label", label ? label->name : "name");
        for (size_t i = 0; ok && i < n; i++)
            ok = append_item(fields, field_def_json(&defs[i]));
        ok = ok ? append_item(types, ty) : (cJSON_Delete(ty), false);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
