/* Fields that hold several labelled items (a contact's phones, emails,
 * addresses: the schema's `multi` flag): their one stored text, and the
 * three-way merge that lets two devices add different items to the same
 * field offline and both keep theirs (docs/merge.md, "Fields of several
 * items").
 *
 * Stored text: one item without a label is its plain value (what every
 * folder written before issue 16 holds, so nothing is rewritten); otherwise
 * a JSON array [{"value","label"?,"pref"?}], written canonically (these keys
 * in this order, pref only when true) so that equal lists are equal bytes on
 * every device. */
#include "clientele/model.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void cl_items_free(cl_items *it)
{
    for (size_t i = 0; i < it->n; i++) {
        free(it->v[i].value);
        free(it->v[i].label);
    }
    free(it->v);
    it->v = NULL;
    it->n = 0;
}

static int items_add(cl_items *it, const char *value, size_t vlen, const char *label, bool pref)
{
    cl_item *p = realloc(it->v, (it->n + 1) * sizeof *p);
    if (!p)
        return cl_seterr(CL_ENOMEM, "out of memory");
    it->v = p;
    cl_item *e = &p[it->n];
    e->value = strndup(value, vlen);
    e->label = label && *label ? strdup(label) : NULL;
    e->pref = pref;
    if (!e->value || (label && *label && !e->label)) {
        free(e->value);
        free(e->label);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    it->n++;
    return CL_OK;
}

int cl_items_add(cl_items *it, const char *value, const char *label, bool pref)
{
    return items_add(it, value, strlen(value), label, pref);
}

/* Nothing but spaces up to len or the first NUL. */
static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* A JSON array of items. Whether text is a list is decided by its start
 * ("[{" or "[]", spaces aside), never by whether cJSON managed to parse it:
 * cJSON says NULL alike for bad JSON and for memory it could not get. */

static int parse_json(const char *text, size_t len, cl_items *out)
{
    const char *end = NULL;
    cJSON *a = cJSON_ParseWithLengthOpts(text, len, &end, false);
    while (a && end < text + len && isspace((unsigned char)*end))
        end++;
    if (a && end != text + len) { /* something follows the list */
        cJSON_Delete(a);
        a = NULL;
    }
    if (!a)
        return cl_seterr(CL_EINVAL, "not a valid list of items (JSON [{\"value\",\"label\",\"pref\"}], "
                                    "or out of memory)");
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return cl_seterr(CL_EINVAL, "a list of items is a JSON array of {\"value\",\"label\",\"pref\"}");
    }
    int rc = CL_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "label");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "pref");
        if (!cJSON_IsString(v) || (l && !cJSON_IsString(l) && !cJSON_IsNull(l)) || (p && !cJSON_IsBool(p))) {
            rc = cl_seterr(CL_EINVAL, "an item has a string \"value\", a string \"label\" and a boolean \"pref\"");
            break;
        }
        if (blank(v->valuestring, strlen(v->valuestring)))
            continue; /* an empty item is no item */
        if ((rc = cl_items_add(out, v->valuestring, cJSON_IsString(l) ? l->valuestring : NULL, cJSON_IsTrue(p))))
            break;
    }
    cJSON_Delete(a);
    return rc;
}

/* "[{" or "[]" with any spaces between: the start of a list of items. */
static bool list_start(const char *p, size_t n)
{
    if (!n || *p != '[')
        return false;
    size_t i = 1;
    while (i < n && isspace((unsigned char)p[i]))
        i++;
    return i < n && (p[i] == '{' || p[i] == ']');
}

bool cl_items_is_list(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    return list_start(text + i, len - i);
}

int cl_items_parse(const char *text, size_t len, cl_items *out)
{
    memset(out, 0, sizeof *out);
    int rc = blank(text, len)            ? CL_OK /* no value (a NUL ends a plain one) */
           : cl_items_is_list(text, len) ? parse_json(text, len, out)
                                         : items_add(out, text, len, NULL, false);
    if (rc)
        cl_items_free(out);
    return rc;
}

/* Whether v written plain reads back as itself (not as the start of a list). */
static bool plain_safe(const char *v)
{
    return !cl_items_is_list(v, strlen(v));
}

int cl_items_format(const cl_items *it, cl_buf *out)
{
    if (it->n == 1 && !it->v[0].label && plain_safe(it->v[0].value))
        return cl_buf_puts(out, it->v[0].value);
    if (!it->n)
        return out->err;
    cJSON *a = cJSON_CreateArray();
    bool ok = a != NULL;
    for (size_t i = 0; ok && i < it->n; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(a, e)) { /* a owns e once added */
            cJSON_Delete(e);
            ok = false;
            break;
        }
        ok = cJSON_AddStringToObject(e, "value", it->v[i].value) &&
             (!it->v[i].label || cJSON_AddStringToObject(e, "label", it->v[i].label)) &&
             (!it->v[i].pref || cJSON_AddTrueToObject(e, "pref"));
    }
    char *s = ok ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    if (!s)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = cl_buf_puts(out, s);
    cJSON_free(s);
    return rc;
}

/* One item for people: "value (label)". */
static void put_readable(cl_buf *out, const cl_item *e)
{
    cl_buf_puts(out, e->value);
    if (e->label)
        cl_buf_printf(out, " (%s)", e->label);
}

int cl_items_readable(const char *text, size_t len, cl_buf *out)
{
    cl_items it;
    int rc = cl_items_parse(text, len, &it);
    if (rc == CL_EINVAL) /* not a list: shown as it is */
        return cl_buf_put(out, text, len);
    if (rc)
        return rc;
    const cl_item *pref = cl_items_preferred(&it);
    if (pref)
        put_readable(out, pref);
    for (size_t i = 0; i < it.n; i++)
        if (&it.v[i] != pref)
            cl_buf_puts(out, "; "), put_readable(out, &it.v[i]);
    cl_items_free(&it);
    return out->err;
}

const cl_item *cl_items_preferred(const cl_items *it)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].pref)
            return &it->v[i];
    return it->n ? &it->v[0] : NULL;
}

/* ----- the three-way merge ----- */

/* What makes two items the same item: a phone's digits ("+40 753 624 162"
 * and "+40753624162"), an email or anything else folded (case, accents and
 * spaces do not count). */
static int item_key(uint8_t kind, const char *v, cl_buf *key)
{
    cl_buf_reset(key);
    if (kind == CL_K_PHONE) {
        for (const char *p = v; *p; p++)
            if (isdigit((unsigned char)*p))
                cl_buf_put(key, p, 1);
        return key->err;
    }
    cl_buf folded = {0};
    int rc = cl_fold(&folded, v, strlen(v));
    for (size_t i = 0; !rc && i < folded.len; i++)
        if (!isspace(folded.data[i]))
            cl_buf_put(key, &folded.data[i], 1);
    cl_buf_free(&folded);
    return rc ? rc : key->err;
}

/* The position of the item of it whose key is key, or it->n. */
static int find(uint8_t kind, const cl_items *it, const cl_buf *key, size_t *at)
{
    cl_buf k = {0};
    int rc = CL_OK;
    *at = it->n;
    for (size_t i = 0; !rc && i < it->n && *at == it->n; i++) {
        rc = item_key(kind, it->v[i].value, &k);
        if (!rc && k.len == key->len && !memcmp(k.data, key->data, k.len))
            *at = i;
    }
    cl_buf_free(&k);
    return rc;
}

int cl_items_find(uint8_t kind, const cl_items *it, const char *value, size_t *at)
{
    cl_buf key = {0};
    int rc = item_key(kind, value, &key);
    if (!rc)
        rc = find(kind, it, &key, at);
    cl_buf_free(&key);
    return rc;
}

static bool same_item(const cl_item *a, const cl_item *b)
{
    return !strcmp(a->value, b->value) && !strcmp(a->label ? a->label : "", b->label ? b->label : "") &&
           a->pref == b->pref;
}

enum change { REMOVED, KEPT, CHANGED }; /* of one item, on one side, against base */

/* *ch: what side did to the item whose key is key; *at: where side has it. */
static int change_of(uint8_t kind, const cl_items *base, const cl_items *side, const cl_buf *key,
                     enum change *ch, size_t *at)
{
    size_t b;
    int rc = find(kind, base, key, &b);
    if (!rc)
        rc = find(kind, side, key, at);
    *ch = *at == side->n                                         ? REMOVED
        : b < base->n && same_item(&base->v[b], &side->v[*at]) ? KEPT
                                                                 : CHANGED;
    return rc;
}

/* Decide one item that one side has (it, at i), the other side being other:
 * an item both have takes the side that changed it (the winner's when both
 * did, and the winner's loop runs first); an item one side removed goes
 * unless the other side changed it (an edit is not lost to a removal). */
static int decide(uint8_t kind, const cl_items *base, const cl_items *it, size_t i, const cl_items *other,
                  cl_items *out)
{
    cl_buf key = {0};
    size_t taken, mine_at, theirs_at;
    enum change mine, theirs;
    int rc = item_key(kind, it->v[i].value, &key);
    if (!rc)
        rc = find(kind, out, &key, &taken);
    if (!rc && taken == out->n)
        rc = change_of(kind, base, it, &key, &mine, &mine_at);
    if (!rc && taken == out->n)
        rc = change_of(kind, base, other, &key, &theirs, &theirs_at);
    cl_buf_free(&key);
    if (rc || taken < out->n)
        return rc; /* an error, or the item is decided already */
    if (theirs == REMOVED && mine == KEPT)
        return CL_OK;
    const cl_item *take = theirs == CHANGED && mine == KEPT ? &other->v[theirs_at] : &it->v[i];
    return cl_items_add(out, take->value, take->label, take->pref);
}

static const char *pref_value(const cl_items *it)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].pref)
            return it->v[i].value;
    return NULL;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* At most one preferred item: the choice of the side that changed it (the
 * winner's when both did). */
static void one_preferred(cl_items *out, const cl_items *base, const cl_items *loser, const cl_items *winner)
{
    const char *was = pref_value(base), *w = pref_value(winner), *l = pref_value(loser);
    const char *pref = same_text(w, was) && !same_text(l, was) ? l : w;
    bool taken = false;
    for (size_t i = 0; i < out->n; i++) {
        out->v[i].pref = !taken && pref && !strcmp(out->v[i].value, pref);
        taken = taken || out->v[i].pref;
    }
}

static bool same_list(const cl_items *a, const cl_items *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!same_item(&a->v[i], &b->v[i]))
            return false;
    return true;
}

int cl_items_merge3(uint8_t kind, const cl_items *base, const cl_items *loser, const cl_items *winner,
                    cl_items *out)
{
    memset(out, 0, sizeof *out);
    int rc = CL_OK;
    /* a side that changed nothing: the other side's list as it is (order too) */
    const cl_items *only = same_list(base, winner) ? loser : same_list(base, loser) ? winner : NULL;
    for (size_t i = 0; only && !rc && i < only->n; i++)
        rc = cl_items_add(out, only->v[i].value, only->v[i].label, only->v[i].pref);
    if (only) {
        if (rc)
            cl_items_free(out);
        return rc;
    }
    for (size_t i = 0; !rc && i < winner->n; i++)
        rc = decide(kind, base, winner, i, loser, out);
    for (size_t i = 0; !rc && i < loser->n; i++)
        rc = decide(kind, base, loser, i, winner, out);
    if (rc)
        cl_items_free(out);
    else
        one_preferred(out, base, loser, winner);
    return rc;
}
