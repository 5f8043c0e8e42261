/* Checking and normalising field values before they are written. */
#include "clientele/model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool valid_date(const char *s)
{
    if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* YYYY-MM-DD, optionally THH:MM[:SS[.fff…]] and then Z or ±HH:MM. */
static bool valid_datetime(const char *s)
{
    if (!valid_date(s))
        return false;
    const char *p = s + 10;
    if (!*p)
        return true;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2) || atoi(p) > 23 || atoi(p + 3) > 59)
        return false;
    p += 5;
    if (*p == ':') {
        if (!digits(p + 1, 2) || atoi(p + 1) > 60)
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == 0;
    if (*p == '+' || *p == '-')
        return digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) && p[6] == 0;
    return *p == 0;
}

static bool valid_decimal(const char *s)
{
    const char *p = s + (*s == '-');
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == 0 && p - s <= 40;
}

static bool valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == ',' || *p == '<' || *p == '>')
            return false;
    return s[strlen(s) - 1] != '.';
}

static bool valid_phone(const char *s)
{
    int nd = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            nd++;
        else if (!strchr(" +-().x/", *p))
            return false;
    }
    return nd >= 3;
}

/* "30": digits only, no leading zero (one stored form per number). */
static bool valid_days(const char *v)
{
    size_t n = strspn(v, "0123456789");
    return n && n <= 4 && !v[n] && v[0] != '0' && atoi(v) <= CL_DAYS_MAX;
}

/* Trimmed copy of s. */
static char *trimmed(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

/* "a, b ,,c" → "a,b,c" */
static char *normalise_tags(const char *s)
{
    cl_buf out = {0};
    const char *p = s;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *tag = strndup(p, n), *t = tag ? trimmed(tag) : NULL;
        free(tag);
        if (!t) {
            cl_buf_free(&out);
            return NULL;
        }
        if (*t && ((out.len && cl_buf_put_u8(&out, ',')) || cl_buf_puts(&out, t))) {
            free(t);
            cl_buf_free(&out);
            return NULL;
        }
        free(t);
        p += n + (comma != NULL);
    }
    return cl_buf_steal(&out);
}

static int check_ref(cl_txn *t, const cl_field_def *f, const char *v)
{
    cl_record_id id;
    cl_record_meta m;
    if (cl_record_id_parse(v, &id))
        return CL_EINVAL;
    int rc = cl_txn_record(t, &id, &m);
    if (rc == CL_ENOTFOUND)
        return cl_seterr(CL_EINVAL, "no %s with id %s", cl_type_name(f->ref_type), v);
    if (rc)
        return rc;
    if (m.deleted)
        return cl_seterr(CL_EINVAL, "%s %s is deleted", cl_type_name(f->ref_type), v);
    if (m.type != f->ref_type)
        return cl_seterr(CL_EINVAL, "%s is a %s, not a %s", v, cl_type_name(m.type), cl_type_name(f->ref_type));
    return CL_OK;
}

static int check_kind(cl_txn *t, const cl_field_def *f, char *v)
{
    switch (f->kind) {
    case CL_K_DATE:
        if (strlen(v) != 10 || !valid_date(v))
            return cl_seterr(CL_EINVAL, "not a date (YYYY-MM-DD): '%s'", v);
        return CL_OK;
    case CL_K_DATETIME:
        return valid_datetime(v) ? CL_OK : cl_seterr(CL_EINVAL, "not a date or date-time (ISO 8601): '%s'", v);
    case CL_K_ENUM:
        for (char *p = v; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        for (const char *const *c = f->choices; *c; c++)
            if (!strcmp(*c, v))
                return CL_OK;
        return cl_seterr(CL_EINVAL, "'%s' is not one of the allowed values", v);
    case CL_K_REF:
        return check_ref(t, f, v);
    case CL_K_DECIMAL:
        return valid_decimal(v) ? CL_OK : cl_seterr(CL_EINVAL, "not a decimal amount (like 1200.50): '%s'", v);
    case CL_K_CURRENCY:
        for (char *p = v; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (strlen(v) != 3 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]) || !isalpha((unsigned char)v[2]))
            return cl_seterr(CL_EINVAL, "not an ISO 4217 currency code (like EUR): '%s'", v);
        return CL_OK;
    case CL_K_EMAIL:
        return valid_email(v) ? CL_OK : cl_seterr(CL_EINVAL, "not an email address: '%s'", v);
    case CL_K_PHONE:
        return valid_phone(v) ? CL_OK : cl_seterr(CL_EINVAL, "not a phone number: '%s'", v);
    case CL_K_DAYS:
        return valid_days(v) ? CL_OK : cl_seterr(CL_EINVAL, "not a number of days from 1 to %d: '%s'", CL_DAYS_MAX, v);
    case CL_K_URL:
        for (const char *p = v; *p; p++)
            if (isspace((unsigned char)*p))
                return cl_seterr(CL_EINVAL, "not a web address: '%s'", v);
        return CL_OK;
    }
    return CL_OK;
}

static const char *bool_value(const char *v)
{
    static const char *const yes[] = {"true", "yes", "1", "on", "y", NULL};
    static const char *const no[] = {"false", "no", "0", "off", "n", NULL};
    for (int i = 0; yes[i]; i++)
        if (!strcasecmp(v, yes[i]))
            return "true";
    for (int i = 0; no[i]; i++)
        if (!strcasecmp(v, no[i]))
            return "false";
    return NULL;
}

/* One value of a field (of a multi field: one item's value). */
static int check_value(cl_txn *t, const cl_field_def *f, const char *value, char **norm)
{
    *norm = NULL;
    if (!cl_utf8_valid(value, strlen(value)))
        return cl_seterr(CL_EINVAL, "%s: not valid UTF-8 text", f->name);
    char *v = f->kind == CL_K_TEXT ? strdup(value) : trimmed(value);
    if (!v)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = CL_OK;
    if (strlen(v) > f->max_len) {
        rc = cl_seterr(CL_EINVAL, "%s: longer than %u bytes", f->name, f->max_len);
    } else if (!*v) {
        if (f->required)
            rc = cl_seterr(CL_EINVAL, "%s: required, cannot be empty", f->name);
    } else if (f->kind == CL_K_BOOL) {
        const char *b = bool_value(v);
        free(v);
        v = b ? strdup(b) : NULL;
        rc = b ? (v ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory"))
               : cl_seterr(CL_EINVAL, "%s: not true or false: '%s'", f->name, value);
    } else if (f->kind == CL_K_TAGS) {
        char *n = normalise_tags(v);
        free(v);
        v = n;
        rc = v ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    } else if ((rc = check_kind(t, f, v))) {
        cl_wraperr(rc, "%s", f->name);
    }
    if (rc) {
        free(v);
        return rc;
    }
    *norm = v;
    return CL_OK;
}

static int check_label(const cl_field_def *f, const char *label)
{
    if (label && (strlen(label) > CL_ITEM_LABEL_MAX || !cl_name_valid(label, strlen(label))))
        return cl_seterr(CL_EINVAL, "%s: a label has at most %d characters on one line: '%.60s'", f->name,
                         CL_ITEM_LABEL_MAX, label);
    return CL_OK;
}

/* Each item checked as a value of the field; empty ones and repeats of an
 * earlier item dropped; at most one preferred. */
static int check_items(cl_txn *t, const cl_field_def *f, const cl_items *in, cl_items *out)
{
    if (in->n > CL_ITEMS_MAX)
        return cl_seterr(CL_EINVAL, "%s: at most %d items, not %zu", f->name, CL_ITEMS_MAX, in->n);
    bool pref = false;
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < in->n; i++) {
        char *v = NULL;
        size_t at;
        rc = check_label(f, in->v[i].label);
        if (!rc)
            rc = check_value(t, f, in->v[i].value, &v);
        if (!rc && v && *v && !(rc = cl_items_find(f->kind, out, v, &at)) && at == out->n) {
            rc = cl_items_add(out, v, in->v[i].label, in->v[i].pref && !pref);
            pref = pref || in->v[i].pref;
        }
        free(v);
    }
    return rc;
}

/* A multi field's value: a plain value (one item) or a list (items.c). */
static int check_multi(cl_txn *t, const cl_field_def *f, const char *value, char **norm)
{
    cl_items in, out = {0};
    cl_buf b = {0};
    *norm = NULL;
    int rc = cl_items_parse(value, strlen(value), &in);
    if (rc)
        return cl_wraperr(rc, "%s", f->name);
    if (!(rc = check_items(t, f, &in, &out)))
        rc = cl_items_format(&out, &b);
    cl_items_free(&in);
    cl_items_free(&out);
    if (!rc && !(*norm = cl_buf_steal(&b)))
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    cl_buf_free(&b);
    return rc;
}

int cl_field_check(cl_txn *t, uint8_t type, const cl_field_def *f, const char *value, char **norm)
{
    (void)type;
    /* a plain value of a multi field is its one item: checked as before, and
     * stored as it is (the common case, and the one sync checks most) */
    bool list = f->multi && cl_items_is_list(value, strlen(value));
    return list ? check_multi(t, f, value, norm) : check_value(t, f, value, norm);
}

int cl_op_check_remote(const cl_op *op)
{
    if (op->type == CL_T_SYSTEM)
        return CL_OK; /* a revocation: the store checks its own records */
    const char *tn = cl_type_name(op->type);
    if (!tn)
        return cl_seterr(CL_EPROTO, "an op of unknown record type %u", op->type);
    if (op->field > CL_F_MAX)
        return CL_OK;
    const char *v = op->value;
    size_t n = op->value_len;
    if (memchr(v, 0, n) || !cl_utf8_valid(v, n))
        return cl_seterr(CL_EPROTO, "a %s's value that is not valid UTF-8 text: refused", tn);
    if (op->field == CL_F_DELETED) {
        if (n > 1 || (n == 1 && v[0] != '0' && v[0] != '1'))
            return cl_seterr(CL_EPROTO, "a %s's deletion mark that is not 0 or 1: refused", tn);
        return CL_OK;
    }
    const cl_field_def *f = cl_field_by_id(op->type, op->field);
    if (!f)
        return cl_seterr(CL_EPROTO, "a %s has no field number %u: refused", tn, op->field);
    if (!n)
        return f->required ? cl_seterr(CL_EPROTO, "%s %s cleared, which is required: refused", tn, f->name) : CL_OK;
    /* text stored as typed (a plain address too): only its length to check
     * (the common case, and fast) */
    if (f->kind == CL_K_TEXT && !(f->multi && cl_items_is_list(v, n)))
        return n <= f->max_len ? CL_OK : cl_seterr(CL_EPROTO, "%s %s longer than %u bytes: refused", tn, f->name,
                                                   f->max_len);
    char *text = strndup(v, n), *norm = NULL;
    if (!text)
        return cl_seterr(CL_ENOMEM, "out of memory");
    cl_record_id ref;
    int rc = f->kind == CL_K_REF ? (cl_record_id_parse(text, &ref) ? CL_EINVAL : CL_OK)
                                 : cl_field_check(NULL, op->type, f, text, &norm);
    if (!rc && norm && strcmp(norm, text))
        rc = CL_EINVAL; /* a local write would have stored it otherwise */
    if (rc == CL_ENOMEM)
        cl_seterr(CL_ENOMEM, "out of memory");
    else if (rc)
        rc = cl_seterr(CL_EPROTO, "%s %s = '%.40s' is not a valid value: refused", tn, f->name, text);
    free(text);
    free(norm);
    return rc;
}
