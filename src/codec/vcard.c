/* vCard in (2.1, 3.0, 4.0, as phones, Google, Apple and Outlook write them)
 * and out (4.0). The mapping is documented in docs/import-export.md. */
#include "codec/import.h"
#include "codec/lines.h"
#include "clientele/hlc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ENTRIES 64

/* Does a TYPE list (TYPE=a,b  TYPE="a,b"  TYPE=a;TYPE=b  or bare 2.1 a;b)
 * contain t? */
static bool has_type(const vprop *p, const char *t)
{
    size_t tl = strlen(t);
    for (size_t i = 0; i < p->nparams; i++) {
        const vparam *pa = &p->params[i];
        if (!pa->value) {
            if (!strcasecmp(pa->name, t))
                return true;
            continue;
        }
        if (strcmp(pa->name, "TYPE"))
            continue;
        for (const char *s = pa->value; *s;) {
            while (*s == '"' || *s == ',' || *s == ' ')
                s++;
            size_t n = strcspn(s, ",\"");
            if (n == tl && !strncasecmp(s, t, tl))
                return true;
            s += n;
        }
    }
    return false;
}

/* "work", "cell, home": the TYPE values worth showing next to a value. */
static void type_label(const vprop *p, char *out, size_t cap)
{
    static const char *const shown[] = {"work", "home", "cell", "mobile", "fax", "pager", "main", "other", "iphone", NULL};
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; shown[i] && k < cap; i++)
        if (has_type(p, shown[i]))
            k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? ", " : "", shown[i]);
}

/* ----- decoding values ----- */

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int qp_decode(const char *s, cl_buf *out)
{
    for (; *s; s++) {
        int hi, lo;
        if (*s == '=' && (hi = hexv(s[1])) >= 0 && (lo = hexv(s[2])) >= 0) {
            if (cl_buf_put_u8(out, (uint8_t)(hi << 4 | lo)))
                return CL_ENOMEM;
            s += 2;
        } else if (cl_buf_put_u8(out, (uint8_t)*s)) {
            return CL_ENOMEM;
        }
    }
    return CL_OK;
}

static int b64v(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
         : c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int b64_decode(const char *s, cl_buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        int v = b64v((unsigned char)*s);
        if (v < 0) {
            if (isspace((unsigned char)*s))
                continue;
            return cl_seterr(CL_EINVAL, "bad base64 data");
        }
        acc = acc << 6 | (uint32_t)v;
        if ((bits += 6) >= 8 && cl_buf_put_u8(out, (uint8_t)(acc >> (bits -= 8))))
            return CL_ENOMEM;
    }
    return CL_OK;
}

/* Bytes in charset → UTF-8 in out (charset.c: iconv). */
static int to_utf8(const unsigned char *s, size_t n, const char *charset, cl_buf *out)
{
    bool utf8 = !charset || !strcasecmp(charset, "UTF-8") || !strcasecmp(charset, "UTF8") ||
                !strcasecmp(charset, "US-ASCII") || !strcasecmp(charset, "ASCII");
    return utf8 ? cl_buf_put(out, s, n) : cl_charset_to_utf8(charset, s, n, out);
}

/* The value of p as UTF-8 text, transfer encoding and charset undone, vCard
 * escapes still in place. */
static int prop_text(const vprop *p, cl_buf *out)
{
    const char *enc = vprop_param(p, "ENCODING");
    bool qp = (enc && !strcasecmp(enc, "QUOTED-PRINTABLE")) || has_type(p, "QUOTED-PRINTABLE");
    bool b64 = (enc && (!strcasecmp(enc, "B") || !strcasecmp(enc, "BASE64"))) || has_type(p, "BASE64");
    cl_buf raw = {0};
    int rc = qp ? qp_decode(p->value, &raw) : b64 ? b64_decode(p->value, &raw) : cl_buf_puts(&raw, p->value);
    cl_buf_reset(out);
    if (!rc)
        rc = to_utf8(raw.data ? raw.data : (unsigned char *)"", raw.len, vprop_param(p, "CHARSET"), out);
    if (!rc && out->len == 0)
        rc = cl_buf_put(out, "", 0);
    if (!rc && !cl_utf8_valid((char *)out->data, out->len))
        rc = cl_seterr(CL_EINVAL, "%s: not valid UTF-8 text (a CHARSET parameter would say which it is)", p->name);
    cl_buf_free(&raw);
    return rc == CL_ENOMEM ? cl_seterr(CL_ENOMEM, "out of memory") : rc;
}

/* ----- a card being read ----- */

enum { E_EMAIL, E_PHONE, E_ADR, E_URL };

typedef struct ventry {
    int kind;
    int rank;            /* lower is preferred */
    char *value;         /* the field's value (an address without its city) */
    char *city;          /* E_ADR */
    char *full;          /* the whole value, for notes */
    char label[64];
    char group[32];
} ventry;

typedef struct vcard_acc {
    cl_vcard *card;
    char *fn, *nname, *bday_note;
    bool kind_org, show_company;
    cl_buf notes, tags;
    ventry e[MAX_ENTRIES];
    size_t ne;
    struct { char group[32]; char label[64]; } labels[MAX_ENTRIES];
    size_t nlabels;
    bool has_n_parts;
    bool photo_told;
} vcard_acc;

static int set_once(char **dst, const char *v)
{
    if (*dst || !*v)
        return CL_OK;
    return (*dst = strdup(v)) ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

static int card_warn(cl_vcard *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int card_warn(cl_vcard *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **w = realloc(c->warnings, (c->nwarnings + 1) * sizeof *w);
    if (!w)
        return cl_seterr(CL_ENOMEM, "out of memory");
    c->warnings = w; /* realloc freed the old array: keep the new one even if the copy fails */
    if (!(w[c->nwarnings] = strdup(msg)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    c->nwarnings++;
    return CL_OK;
}

/* Given Middle Family with prefix and suffix, from N's components. */
/* The parts N gets from a name alone: the last word the family name, the
 * words before it the given names. */
static void split_name(const char *name, const char **family, size_t *given_len)
{
    const char *sp = strrchr(name, ' ');
    *family = sp ? sp + 1 : name;
    *given_len = sp ? (size_t)(sp - name) : 0;
}

static char *name_from_n(char **part, size_t n)
{
    static const int order[] = {3, 1, 2, 0, 4}; /* prefix given additional family suffix */
    cl_buf b = {0};
    for (size_t i = 0; i < 5; i++) {
        size_t k = (size_t)order[i];
        if (k < n && *part[k] && ((b.len && cl_buf_put_u8(&b, ' ')) || cl_buf_puts(&b, part[k]))) {
            cl_buf_free(&b);
            return NULL;
        }
    }
    return b.len ? cl_buf_steal(&b) : (cl_buf_free(&b), strdup(""));
}

/* Takes value, city (E_ADR) and full, NULL where their copy failed. */
static int add_entry(vcard_acc *a, const vprop *p, int kind, char *value, char *city, char *full)
{
    bool oom = !value || !full || (kind == E_ADR && !city);
    if (oom || a->ne == MAX_ENTRIES) {
        free(value), free(city), free(full);
        /* a card with that many addresses: keep the first ones */
        return oom ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
    }
    ventry *e = &a->e[a->ne];
    memset(e, 0, sizeof *e);
    const char *pref = vprop_param(p, "PREF");
    e->kind = kind;
    e->rank = pref ? atoi(pref) : has_type(p, "PREF") ? 1 : 1000;
    e->value = value, e->city = city, e->full = full;
    type_label(p, e->label, sizeof e->label);
    const char *service = !strcmp(p->name, "X-SOCIALPROFILE") ? vprop_param(p, "TYPE") : NULL;
    if (service && !e->label[0]) /* Apple's X-SOCIALPROFILE;TYPE=linkedin: the service is the label */
        for (size_t i = 0; service[i] && i + 1 < sizeof e->label; i++)
            e->label[i] = (char)tolower((unsigned char)service[i]), e->label[i + 1] = 0;
    snprintf(e->group, sizeof e->group, "%s", p->group ? p->group : "");
    a->ne++;
    return CL_OK;
}

/* Append v after sep unless it is empty; a failure stays in b->err, which
 * is returned. */
static int join(cl_buf *b, const char *sep, const char *v)
{
    if (v && *v) {
        if (b->len)
            cl_buf_puts(b, sep);
        cl_buf_puts(b, v);
    }
    return b->err;
}

/* ADR: PO box; extended; street; locality; region; postal code; country. */
static int read_adr(vcard_acc *a, const vprop *p, const char *text)
{
    char *c[7] = {0};
    size_t n = vtext_split(text, ';', c, 7);
    cl_buf addr = {0}, region = {0}, full = {0};
    int rc = CL_OK;
    for (size_t i = 0; i < n && !rc; i++)
        if (!c[i])
            rc = CL_ENOMEM;
    if (!rc) {
        join(&addr, ", ", n > 2 ? c[2] : NULL);
        join(&addr, ", ", n > 1 ? c[1] : NULL);
        join(&addr, ", ", c[0]);
        join(&region, " ", n > 4 ? c[4] : NULL);
        join(&region, " ", n > 5 ? c[5] : NULL);
        join(&addr, ", ", region.err ? NULL : (char *)region.data);
        join(&addr, ", ", n > 6 ? c[6] : NULL);
        join(&full, ", ", addr.err ? NULL : (char *)addr.data);
        join(&full, ", ", n > 3 ? c[3] : NULL);
        rc = addr.err ? addr.err : region.err ? region.err : full.err;
    }
    char *city = !rc ? strdup(n > 3 ? c[3] : "") : NULL;
    rc = rc ? rc : city ? CL_OK : CL_ENOMEM;
    vtext_free_parts(c, n);
    cl_buf_free(&region);
    if (rc || (!addr.len && !city[0])) {
        free(city), cl_buf_free(&addr), cl_buf_free(&full);
        return rc ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
    }
    char *av = addr.len ? cl_buf_steal(&addr) : (cl_buf_free(&addr), strdup(""));
    char *fv = full.len ? cl_buf_steal(&full) : (cl_buf_free(&full), strdup(""));
    return add_entry(a, p, E_ADR, av, city, fv);
}

/* BDAY: 1985-04-12, 19850412, with or without a time; --0412 has no year. */
/* A full date as YYYY-MM-DD in d; false when v has no year or is no date. */
static bool full_date(const char *s, char d[11])
{
    if (isdigit((unsigned char)s[0]) && strlen(s) >= 8 && isdigit((unsigned char)s[4]) &&
        (strlen(s) == 8 || s[8] == 'T' || s[8] == 't'))
        snprintf(d, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    else if (isdigit((unsigned char)s[0]) && strlen(s) >= 10 && s[4] == '-' && s[7] == '-')
        snprintf(d, 11, "%.10s", s);
    else
        return false;
    return true;
}

static int read_bday(vcard_acc *a, const char *v)
{
    char d[11];
    if (full_date(v, d))
        return set_once(&a->card->values[CL_F_BIRTHDAY], d);
    free(a->bday_note);
    a->bday_note = strdup(v);
    return a->bday_note ? card_warn(a->card, "birthday '%s' is not a full date: kept in notes", v)
                        : cl_seterr(CL_ENOMEM, "out of memory");
}

static int read_categories(vcard_acc *a, const char *text)
{
    char *parts[64];
    size_t n = vtext_split(text, ',', parts, 64);
    int rc = CL_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = !parts[i] ? CL_ENOMEM : join(&a->tags, ",", parts[i]);
    vtext_free_parts(parts, n);
    return rc ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

/* Apple keeps a custom label in "itemN.X-ABLabel" beside "itemN.EMAIL". */
static int read_label(vcard_acc *a, const vprop *p, const char *text)
{
    if (!p->group || a->nlabels == MAX_ENTRIES)
        return CL_OK;
    char *v = vtext_unescape(text, strlen(text));
    if (!v)
        return cl_seterr(CL_ENOMEM, "out of memory");
    const char *s = v;
    size_t n = strlen(v);
    if (n > 8 && !strncmp(s, "_$!<", 4) && !strcmp(s + n - 4, ">!$_")) /* "_$!<Other>!$_" */
        s += 4, n -= 8;
    snprintf(a->labels[a->nlabels].group, 32, "%s", p->group);
    snprintf(a->labels[a->nlabels++].label, 64, "%.*s", (int)n, s);
    free(v);
    return CL_OK;
}

static int read_text_once(char **dst, const char *text)
{
    char *v = vtext_unescape(text, strlen(text));
    int rc = v ? set_once(dst, v) : cl_seterr(CL_ENOMEM, "out of memory");
    free(v);
    return rc;
}

/* "tel:+1-418-656-9254;ext=102" → "+1-418-656-9254 x102", in place. */
static void tel_uri(char *v)
{
    memmove(v, v + 4, strlen(v + 4) + 1);
    char *semi = strchr(v, ';');
    if (!semi)
        return;
    char *ext = strcasestr(semi, ";ext=");
    if (ext) {
        size_t n = strcspn(ext + 5, ";");
        memmove(semi + 2, ext + 5, n);
        semi[0] = ' ', semi[1] = 'x', semi[2 + n] = 0;
    } else {
        *semi = 0;
    }
}

/* ----- one handler per property we map; v is decoded, still escaped ----- */

typedef int (*prop_fn)(vcard_acc *a, const vprop *p, const char *v);

static int on_fn(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_text_once(&a->fn, v);
}

static int on_title(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_text_once(&a->card->values[CL_F_TITLE], v);
}

static int on_industry(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_text_once(&a->card->values[CL_F_INDUSTRY], v);
}

static int on_referrer(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_text_once(&a->card->referred_by, v);
}

static int on_uid(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_text_once(&a->card->uid, v);
}

static int on_adr(vcard_acc *a, const vprop *p, const char *v)
{
    return read_adr(a, p, v);
}

static int on_categories(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    return read_categories(a, v);
}

static int on_label(vcard_acc *a, const vprop *p, const char *v)
{
    return read_label(a, p, v);
}

/* The parts of N as the card gives them: family; given; additional (kept
 * with the given names, as people write them). */
static int read_name_parts(vcard_acc *a, char **parts, size_t np)
{
    cl_buf given = {0};
    join(&given, " ", np > 1 ? parts[1] : NULL);
    join(&given, " ", np > 2 ? parts[2] : NULL);
    int rc = given.err ? cl_seterr(CL_ENOMEM, "out of memory")
                       : set_once(&a->card->values[CL_F_GIVEN_NAME], given.len ? (char *)given.data : "");
    if (!rc && np)
        rc = set_once(&a->card->values[CL_F_FAMILY_NAME], parts[0]);
    cl_buf_free(&given);
    return rc;
}

static int on_n(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char *parts[5];
    size_t np = vtext_split(v, ';', parts, 5);
    bool oom = false;
    for (size_t i = 0; i < np; i++)
        oom |= !parts[i];
    char *name = oom ? NULL : name_from_n(parts, np);
    int rc = name ? set_once(&a->nname, name) : cl_seterr(CL_ENOMEM, "out of memory");
    if (!rc)
        rc = read_name_parts(a, parts, np);
    vtext_free_parts(parts, np);
    free(name);
    return rc;
}

/* ORG: the organisation; its units (department, team) as one text. */
static int on_org(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char *parts[4];
    size_t np = vtext_split(v, ';', parts, 4);
    cl_buf units = {0};
    for (size_t i = 1; i < np; i++)
        join(&units, ", ", parts[i]);
    bool oom = !np || units.err;
    for (size_t i = 0; i < np; i++)
        oom |= !parts[i];
    int rc = oom ? cl_seterr(CL_ENOMEM, "out of memory") : set_once(&a->card->company, parts[0]);
    if (!rc && units.len)
        rc = set_once(&a->card->values[CL_F_DEPARTMENT], (char *)units.data);
    vtext_free_parts(parts, np);
    cl_buf_free(&units);
    return rc;
}

static int on_nickname(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char *val = vtext_unescape(v, strlen(v));
    int rc = val ? set_once(&a->card->values[CL_F_NICKNAME], val) : cl_seterr(CL_ENOMEM, "out of memory");
    free(val);
    return rc;
}

/* ANNIVERSARY (vCard 4), X-ANNIVERSARY and the like (3.0): a date without
 * a year has no field to go to and is kept in notes, said so. */
static int on_anniversary(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char d[11], *val = vtext_unescape(v, strlen(v));
    if (!val)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = CL_OK;
    if (*val && full_date(val, d))
        rc = set_once(&a->card->values[CL_F_ANNIVERSARY], d);
    else if (*val && (join(&a->notes, "\n\n", "Anniversary: ") || cl_buf_puts(&a->notes, val)))
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    else if (*val)
        rc = card_warn(a->card, "anniversary '%s' is not a full date: kept in notes", val);
    free(val);
    return rc;
}

/* EMAIL, TEL, URL: collected, the preferred one chosen when the card ends. */
static int on_multi(vcard_acc *a, const vprop *p, const char *v)
{
    char *val = vtext_unescape(v, strlen(v));
    if (!val)
        return cl_seterr(CL_ENOMEM, "out of memory");
    if (p->name[0] == 'T' && !strncasecmp(val, "tel:", 4))
        tel_uri(val);
    if (p->name[0] == 'E' && !strncasecmp(val, "mailto:", 7))
        memmove(val, val + 7, strlen(val + 7) + 1);
    if (!*val) {
        free(val);
        return CL_OK;
    }
    int kind = p->name[0] == 'E' ? E_EMAIL : p->name[0] == 'T' ? E_PHONE : E_URL;
    return add_entry(a, p, kind, val, NULL, strdup(val));
}

static int on_bday(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char *val = vtext_unescape(v, strlen(v));
    int rc = !val ? cl_seterr(CL_ENOMEM, "out of memory") : *val ? read_bday(a, val) : CL_OK;
    free(val);
    return rc;
}

static int on_note(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    char *val = vtext_unescape(v, strlen(v));
    int rc = val ? join(&a->notes, "\n\n", val) : CL_ENOMEM;
    free(val);
    return rc ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

static int on_kind(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    a->kind_org |= !strncasecmp(v, "org", 3);
    return CL_OK;
}

static int on_show_as(vcard_acc *a, const vprop *p, const char *v)
{
    (void)p;
    a->show_company |= !strcasecmp(v, "COMPANY");
    return CL_OK;
}

static const struct {
    const char *name;
    prop_fn fn;
} HANDLERS[] = {
    {"FN", on_fn}, {"N", on_n}, {"ORG", on_org}, {"EMAIL", on_multi}, {"TEL", on_multi}, {"URL", on_multi},
    {"ADR", on_adr}, {"TITLE", on_title}, {"BDAY", on_bday}, {"NOTE", on_note}, {"CATEGORIES", on_categories},
    {"UID", on_uid}, {"KIND", on_kind}, {"X-ABSHOWAS", on_show_as}, {"X-ABLABEL", on_label},
    {"X-CLIENTELE-REFERRED-BY", on_referrer}, {"X-CLIENTELE-INDUSTRY", on_industry},
    {"NICKNAME", on_nickname}, {"ANNIVERSARY", on_anniversary}, {"X-ANNIVERSARY", on_anniversary},
    {"X-EVOLUTION-ANNIVERSARY", on_anniversary}, {"X-MS-ANNIVERSARY", on_anniversary},
    {"X-SOCIALPROFILE", on_multi},
};

/* One property of a card. Others (REV, GEO, X-…) are not ours to keep and
 * are not even decoded, so a broken one cannot refuse a file; a PHOTO is
 * only said to be left (the book keeps no pictures). */
static int read_prop(vcard_acc *a, const vprop *p, cl_buf *text)
{
    if (!strcmp(p->name, "PHOTO") && !a->photo_told) {
        a->photo_told = true;
        return card_warn(a->card, "its photo is not kept (clientele keeps no pictures)");
    }
    for (size_t i = 0; i < sizeof HANDLERS / sizeof *HANDLERS; i++) {
        if (strcmp(HANDLERS[i].name, p->name))
            continue;
        int rc = prop_text(p, text);
        return rc ? rc : HANDLERS[i].fn(a, p, (const char *)text->data);
    }
    return CL_OK;
}

/* ----- finishing a card ----- */

static const char *entry_label(const vcard_acc *a, const ventry *e)
{
    for (size_t i = 0; *e->group && i < a->nlabels; i++)
        if (!strcasecmp(a->labels[i].group, e->group))
            return a->labels[i].label;
    return e->label;
}

/* The label an item keeps: the vCard type people use ("cell" is "mobile"). */
static const char *item_label(const char *l)
{
    static const char *const ours[][2] = {{"cell", "mobile"}, {"iphone", "mobile"}, {"mobile", "mobile"},
                                          {"work", "work"},   {"home", "home"},     {"fax", "fax"},
                                          {"main", "work"},   {"other", "other"},   {"pager", "pager"}};
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (strcasestr(l, ours[i][0])) /* "Other", Apple's "_$!<Other>!$_": ours, lowercase */
            return ours[i][1];
    return *l ? l : NULL;
}

/* A field of several items takes every entry of its kind that is a valid
 * value of it (the others are left to notes). */
static int pick_items(vcard_acc *a, int kind, uint8_t field, const ventry *best)
{
    const cl_field_def *f = cl_field_by_id(CL_T_CONTACT, field);
    for (size_t i = 0; i < a->ne; i++) {
        ventry *e = &a->e[i];
        char *norm = NULL;
        if (e->kind != kind)
            continue;
        int rc = cl_field_check(NULL, CL_T_CONTACT, f, e->value, &norm);
        free(norm);
        if (rc == CL_EINVAL)
            continue; /* refused by the field: left to notes */
        if (!rc)
            rc = cl_items_add(&a->card->items[field], e->value, item_label(entry_label(a, e)), e == best);
        if (rc)
            return rc;
        if (e != best)
            free(e->value), e->value = NULL; /* taken: not in notes */
    }
    return CL_OK;
}

/* The preferred entry of a kind goes to its field (with the others, for a
 * field of several items), the others to notes. */
static int pick(vcard_acc *a, int kind, uint8_t field, cl_buf *extra, const char *what)
{
    ventry *best = NULL;
    for (size_t i = 0; i < a->ne; i++)
        if (a->e[i].kind == kind && (!best || a->e[i].rank < best->rank))
            best = &a->e[i];
    const cl_field_def *f = field ? cl_field_by_id(CL_T_CONTACT, field) : NULL;
    int rc = f && f->multi ? pick_items(a, kind, field, best) : CL_OK;
    if (rc)
        return rc;
    if (best && field) {
        a->card->values[field] = best->value, best->value = NULL;
        if (kind == E_ADR && *best->city)
            a->card->values[CL_F_CITY] = best->city, best->city = NULL;
    }
    for (size_t i = 0; i < a->ne; i++) {
        ventry *e = &a->e[i];
        if (e->kind != kind || (e == best && field) || !e->value)
            continue;
        const char *l = entry_label(a, e);
        if ((extra->len && cl_buf_put_u8(extra, '\n')) ||
            cl_buf_printf(extra, "%s%s%s%s: %s", what, *l ? " (" : "", l, *l ? ")" : "", e->full))
            return cl_seterr(CL_ENOMEM, "out of memory");
    }
    return CL_OK;
}

static int finish_notes(vcard_acc *a, cl_buf *extra)
{
    if (a->bday_note && ((extra->len && cl_buf_put_u8(extra, '\n')) || cl_buf_printf(extra, "Birthday: %s", a->bday_note)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    if (extra->len && join(&a->notes, "\n\n", (char *)extra->data))
        return cl_seterr(CL_ENOMEM, "out of memory");
    if (a->notes.len)
        a->card->values[CL_F_NOTES] = cl_buf_steal(&a->notes);
    if (a->tags.len)
        a->card->values[CL_F_TAGS] = cl_buf_steal(&a->tags);
    return CL_OK;
}

static int finish_card(vcard_acc *a, const char *fname)
{
    cl_vcard *c = a->card;
    cl_buf extra = {0};
    /* an organisation: said so, or a card with a company and no person */
    c->org = a->kind_org || a->show_company ||
             (c->company && (!a->nname || !*a->nname) && (!a->fn || !strcmp(a->fn, c->company)));
    int rc = pick(a, E_EMAIL, CL_F_EMAIL, &extra, "Email");
    if (!rc)
        rc = pick(a, E_PHONE, CL_F_PHONE, &extra, "Phone");
    if (!rc)
        rc = pick(a, E_ADR, CL_F_ADDRESS, &extra, "Address");
    if (!rc)
        rc = pick(a, E_URL, c->org ? CL_F_WEBSITE : CL_F_PROFILE, &extra, "Web");
    if (!rc)
        rc = finish_notes(a, &extra);
    cl_buf_free(&extra);
    const char *name = c->org && c->company ? c->company
                     : a->fn && *a->fn ? a->fn : a->nname && *a->nname ? a->nname
                     : c->company ? c->company : c->values[CL_F_EMAIL] ? c->values[CL_F_EMAIL] : c->values[CL_F_PHONE];
    if (!rc && !name)
        rc = cl_seterr(CL_EINVAL, "%s: line %zu: a card without a name, organisation, email or phone", fname, c->line);
    if (!rc && !(c->values[CL_F_NAME] = strdup(name)))
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    return rc;
}

static void acc_free(vcard_acc *a)
{
    free(a->fn), free(a->nname), free(a->bday_note);
    cl_buf_free(&a->notes), cl_buf_free(&a->tags);
    for (size_t i = 0; i < a->ne; i++)
        free(a->e[i].value), free(a->e[i].city), free(a->e[i].full);
    memset(a, 0, sizeof *a);
}

/* ----- the file ----- */

void imp_card_clear(cl_vcard *c)
{
    free(c->uid), free(c->company), free(c->referred_by), free(c->refused);
    for (int f = 0; f <= CL_F_MAX; f++)
        free(c->values[f]), cl_items_free(&c->items[f]);
    for (size_t w = 0; w < c->nwarnings; w++)
        free(c->warnings[w]);
    free(c->warnings);
    memset(c, 0, sizeof *c);
}

void cl_vcards_free(cl_vcard *cards, size_t n)
{
    for (size_t i = 0; cards && i < n; i++)
        imp_card_clear(&cards[i]);
    free(cards);
}

typedef struct vparser {
    vreader r;
    const char *name;
    cl_vcard *cards;
    size_t n, cap;
    vcard_acc acc;
    bool in_card;
    size_t card_line;
    const char *data, *line_start; /* the file, and where the line being read starts */
    bool keep_bad;                 /* a card's wrong content refuses the card, not the file */
    bool skipping;                 /* the rest of a refused card */
} vparser;

static int perr(vparser *ps, size_t line, int rc)
{
    return rc == CL_ENOMEM ? rc : cl_wraperr(rc, "%s: line %zu", ps->name, line);
}

static int begin_card(vparser *ps, size_t line)
{
    if (ps->in_card)
        return cl_seterr(CL_EINVAL, "%s: line %zu: BEGIN:VCARD inside the card of line %zu (END:VCARD missing?)",
                         ps->name, line, ps->card_line);
    if (cl_reserve(&ps->cards, &ps->cap, ps->n + 1, sizeof *ps->cards))
        return CL_ENOMEM;
    cl_vcard *c = &ps->cards[ps->n++];
    memset(c, 0, sizeof *c);
    c->line = line;
    c->at = (size_t)(ps->line_start - ps->data);
    ps->acc.card = c;
    ps->in_card = true;
    ps->card_line = line;
    return CL_OK;
}

static int check_version(vparser *ps, size_t line, const char *v)
{
    if (!strcmp(v, "2.1") || !strcmp(v, "3.0") || !strcmp(v, "4.0"))
        return CL_OK;
    return cl_seterr(CL_EINVAL, "%s: line %zu: vCard version '%s' is not supported (2.1, 3.0, 4.0)", ps->name, line, v);
}

/* A problem with a card's content (rc, its message set): under keep_bad the
 * card is refused with that message and the rest of it skipped; else rc. */
static int card_problem(vparser *ps, cl_vcard *c, int rc)
{
    if (rc != CL_EINVAL || !ps->keep_bad)
        return rc;
    if (!c->refused && !(c->refused = strdup(cl_errmsg())))
        return cl_seterr(CL_ENOMEM, "out of memory");
    ps->skipping = ps->in_card;
    return CL_OK;
}

static int end_card(vparser *ps)
{
    cl_vcard *c = ps->acc.card;
    ps->in_card = false;
    c->len = (size_t)(ps->r.p - ps->data) - c->at;
    int rc = ps->skipping ? CL_OK : card_problem(ps, c, finish_card(&ps->acc, ps->name));
    ps->skipping = false;
    acc_free(&ps->acc);
    return rc;
}

/* One logical line of the file. */
static int parse_line(vparser *ps, char *line, size_t lineno, cl_buf *text)
{
    if (!*line)
        return CL_OK; /* blank lines between (and inside) cards */
    vprop p;
    int rc = vline_parse(line, &p, "vCard");
    if (rc)
        return ps->in_card ? card_problem(ps, ps->acc.card, perr(ps, lineno, rc)) : perr(ps, lineno, rc);
    if (!strcmp(p.name, "BEGIN")) {
        if (strcasecmp(p.value, "VCARD"))
            return ps->in_card ? cl_seterr(CL_EINVAL, "%s: line %zu: BEGIN:%s inside a card", ps->name, lineno, p.value)
                               : cl_seterr(CL_EINVAL, "%s: line %zu: not a vCard (BEGIN:%s)", ps->name, lineno, p.value);
        return begin_card(ps, lineno);
    }
    if (!ps->in_card)
        return cl_seterr(CL_EINVAL, "%s: line %zu: %s outside a card (not a vCard file?)", ps->name, lineno, p.name);
    if (!strcmp(p.name, "END")) {
        if (strcasecmp(p.value, "VCARD"))
            return cl_seterr(CL_EINVAL, "%s: line %zu: END:%s where END:VCARD was expected", ps->name, lineno, p.value);
        return end_card(ps);
    }
    if (ps->skipping)
        return CL_OK;
    if (!strcmp(p.name, "VERSION"))
        return card_problem(ps, ps->acc.card, check_version(ps, lineno, p.value));
    rc = read_prop(&ps->acc, &p, text);
    return rc ? card_problem(ps, ps->acc.card, perr(ps, lineno, rc)) : CL_OK;
}

static int parse_all(vparser *ps)
{
    cl_buf line = {0}, text = {0};
    int rc = CL_OK;
    while (!rc && ps->r.p < ps->r.end) {
        size_t lineno;
        ps->line_start = ps->r.p;
        if ((rc = vline_next(&ps->r, &line, &lineno)))
            break;
        rc = parse_line(ps, line.data ? (char *)line.data : (char *)"", lineno, &text);
    }
    if (!rc && ps->in_card)
        rc = cl_seterr(CL_EINVAL, "%s: line %zu: the card is not closed by END:VCARD (truncated file?)", ps->name,
                       ps->card_line);
    if (!rc && !ps->n)
        rc = cl_seterr(CL_EINVAL, "%s: no vCard in the file (BEGIN:VCARD … END:VCARD)", ps->name);
    cl_buf_free(&line);
    cl_buf_free(&text);
    return rc == CL_ENOMEM ? cl_seterr(CL_ENOMEM, "out of memory") : rc;
}

static int parse_file(const char *data, size_t len, const char *name, bool keep_bad, cl_vcard **cards, size_t *n)
{
    vparser ps = {.r = {data, data + len, 1}, .name = name ? name : "input", .data = data, .keep_bad = keep_bad};
    *cards = NULL;
    *n = 0;
    const char *nul = memchr(data, 0, len);
    if (nul) {
        size_t line = 1;
        for (const char *p = data; p < nul; p++)
            line += *p == '\n';
        return cl_seterr(CL_EINVAL, "%s: line %zu: binary data (a NUL byte): not a vCard file", ps.name, line);
    }
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        ps.r.p += 3;
    int rc = parse_all(&ps);
    acc_free(&ps.acc);
    if (rc) {
        cl_vcards_free(ps.cards, ps.n);
        return rc;
    }
    *cards = ps.cards;
    *n = ps.n;
    return CL_OK;
}

int cl_vcard_parse(const char *data, size_t len, const char *name, cl_vcard **cards, size_t *n)
{
    return parse_file(data, len, name, false, cards, n);
}

int cl_vcard_parse_keep_bad(const char *data, size_t len, const char *name, cl_vcard **cards, size_t *n)
{
    return parse_file(data, len, name, true, cards, n);
}

/* ----- importing ----- */

/* The record a card updates: the one its UID names (when of the same type).
 * Without a UID of ours, a card that is very likely a record here already —
 * a company of that exact name, a contact of that exact name with the same
 * email or phone (or, having neither, a contact of that name that was here
 * before the import) — only fills that record's empty fields (*fill_only): a
 * second import of the same phone export neither duplicates nor overwrites
 * what was typed since. NULL: a new record. */
static int card_target(imp *m, const cl_vcard *c, uint8_t type, cl_record_id *id, cl_record_id **out,
                       bool *fill_only)
{
    cl_record_meta meta;
    *out = NULL;
    *fill_only = false;
    if (c->uid && cl_record_id_parse(c->uid, id) == CL_OK) {
        int rc = cl_txn_record(m->t, id, &meta);
        if (rc == CL_ENOTFOUND || (!rc && meta.type == type)) {
            *out = id;
            return CL_OK;
        }
        if (rc)
            return rc;
        if ((rc = imp_notice(m, c->line, "UID %s is a %s, not a %s: imported as a new record", c->uid,
                             cl_type_name(meta.type), cl_type_name(type))))
            return rc;
    }
    int rc = type == CL_T_COMPANY
                 ? imp_find_label(m, CL_T_COMPANY, c->values[CL_F_NAME], id)
                 : imp_same_contact(m, c->values[CL_F_NAME], c->values[CL_F_EMAIL], c->values[CL_F_PHONE], id);
    if (rc == CL_ENOTFOUND && type == CL_T_CONTACT && !c->values[CL_F_EMAIL] && !c->values[CL_F_PHONE])
        rc = imp_same_name(m, c->values[CL_F_NAME], id); /* only a name to know it by: that name */
    if (rc && rc != CL_ENOTFOUND)
        return rc;
    *out = rc ? NULL : id;
    *fill_only = !rc;
    return CL_OK;
}

/* Drop the assignments of fields the record has a value for already (a
 * field of several items gets the card's new items: card_list). */
static int only_empty(imp *m, const cl_record_id *id, cl_assign *a, size_t *n)
{
    cl_record *r;
    int rc = cl_record_load(m->t, id, &r);
    if (rc)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        const cl_field_def *f = cl_field_lookup(r->type, a[i].name);
        if (f && (!r->values[f->id] || f->multi))
            a[k++] = a[i];
    }
    *n = k;
    cl_record_free(r);
    return CL_OK;
}

/* The list a card gives a field of several items: its items, or for a card
 * that only fills a record found by name, the record's items with the card's
 * new ones added (a second source's phone is kept, not dropped). */
static int card_list(imp *m, const cl_vcard *c, const cl_record_id *id, bool fill_only, const cl_field_def *f,
                     char **out)
{
    cl_items merged = {0};
    cl_record *r = NULL;
    const cl_items *add = &c->items[f->id];
    int rc = fill_only && id ? cl_record_load(m->t, id, &r) : CL_OK;
    const cl_items *have = r ? &r->items[f->id] : &merged;
    for (size_t i = 0; !rc && r && i < have->n; i++)
        rc = cl_items_add(&merged, have->v[i].value, have->v[i].label, have->v[i].pref);
    bool pref = merged.n > 0; /* the record's preferred item stays the preferred one */
    for (size_t i = 0; !rc && i < add->n; i++) {
        size_t at;
        rc = cl_items_find(f->kind, &merged, add->v[i].value, &at);
        if (!rc && at == merged.n)
            rc = cl_items_add(&merged, add->v[i].value, add->v[i].label, add->v[i].pref && !pref);
    }
    cl_buf b = {0};
    if (!rc)
        rc = cl_items_format(&merged, &b);
    if (!rc && !(*out = cl_buf_steal(&b)))
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    cl_buf_free(&b);
    cl_items_free(&merged);
    cl_record_free(r);
    return rc;
}

static const char *note_label(uint8_t field)
{
    switch (field) {
    case CL_F_EMAIL: return "Email";
    case CL_F_PHONE: return "Phone";
    case CL_F_BIRTHDAY: return "Birthday";
    case CL_F_WEBSITE: return "Web";
    case CL_F_TITLE: return "Title";
    case CL_F_INDUSTRY: return "Industry";
    default: return "Note";
    }
}

/* A value the type has no field for, or that its field refuses, is kept in
 * notes rather than lost or made the reason to refuse the whole file. */
static int keep_or_note(imp *m, cl_vcard *c, uint8_t type, uint8_t field, cl_buf *notes)
{
    const char *v = c->values[field];
    if (!v || field == CL_F_NOTES || field == CL_F_NAME)
        return CL_OK;
    const cl_field_def *def = cl_field_by_id(type, field);
    char *norm = NULL;
    int rc = def ? cl_field_check(m->t, type, def, v, &norm) : CL_EINVAL;
    free(norm);
    if (rc != CL_EINVAL)
        return rc;
    /* a client's card comes back as the client keeps it: a value moved to
     * notes would be added to them again at each of its writes */
    if (m->whole)
        return def ? cl_wraperr(rc, "%s", def->name) : CL_OK;
    if (def && (rc = imp_notice(m, c->line, "%s: %s '%s' is not valid here: kept in notes", c->values[CL_F_NAME],
                                def->name, v)))
        return rc;
    if (join(notes, "\n", note_label(field)) || cl_buf_printf(notes, ": %s", v))
        return cl_seterr(CL_ENOMEM, "out of memory");
    free(c->values[field]);
    c->values[field] = NULL;
    return CL_OK;
}

static int card_notes(imp *m, cl_vcard *c, uint8_t type)
{
    cl_buf extra = {0};
    int rc = CL_OK;
    for (uint8_t f = 1; f <= CL_F_MAX && !rc; f++)
        rc = keep_or_note(m, c, type, f, &extra);
    if (!rc && extra.len) {
        cl_buf all = {0};
        if ((c->values[CL_F_NOTES] && (cl_buf_puts(&all, c->values[CL_F_NOTES]) || cl_buf_puts(&all, "\n\n"))) ||
            cl_buf_put(&all, extra.data, extra.len))
            rc = cl_seterr(CL_ENOMEM, "out of memory");
        free(c->values[CL_F_NOTES]);
        c->values[CL_F_NOTES] = rc ? NULL : cl_buf_steal(&all);
        cl_buf_free(&all);
    }
    cl_buf_free(&extra);
    return rc;
}

/* company= the company of ORG; referred_by= only when it names a contact here. */
static int card_refs(imp *m, const cl_vcard *c, char company[CL_RECORD_ID_TEXT], char referrer[CL_RECORD_ID_TEXT])
{
    cl_record_id id;
    cl_record_meta meta;
    company[0] = referrer[0] = 0;
    if (c->company && *c->company) {
        int rc = imp_company(m, c->line, c->company, NULL, &id);
        if (rc)
            return imp_fail(m, c->line, rc);
        cl_record_id_format(&id, company);
    }
    if (c->referred_by && cl_record_id_parse(c->referred_by, &id) == CL_OK &&
        cl_txn_record(m->t, &id, &meta) == CL_OK && meta.type == CL_T_CONTACT && !meta.deleted)
        cl_record_id_format(&id, referrer);
    return CL_OK;
}

/* Given and family names that are only the name split as an export would
 * split it say nothing the name does not: they are not kept, so that an
 * export (which writes that split into N) imports back unchanged. */
static void drop_derived_parts(cl_vcard *c)
{
    const char *name = c->values[CL_F_NAME], *family, *g = c->values[CL_F_GIVEN_NAME], *fam = c->values[CL_F_FAMILY_NAME];
    if (!name)
        return;
    size_t given_len;
    split_name(name, &family, &given_len);
    bool given_derived = g ? strlen(g) == given_len && !strncmp(g, name, given_len) : given_len == 0;
    if (given_derived && fam && !strcmp(fam, family))
        free(c->values[CL_F_GIVEN_NAME]), free(c->values[CL_F_FAMILY_NAME]),
            c->values[CL_F_GIVEN_NAME] = c->values[CL_F_FAMILY_NAME] = NULL;
}

/* The fields a card says all of: a whole card without one clears it. The
 * X-CLIENTELE- ones (industry, referred_by) are not among them: address
 * books drop the properties they do not know. */
static bool card_says(uint8_t field)
{
    static const uint8_t said[] = {CL_F_NAME, CL_F_GIVEN_NAME, CL_F_FAMILY_NAME, CL_F_NICKNAME, CL_F_COMPANY,
                                   CL_F_DEPARTMENT, CL_F_TITLE, CL_F_EMAIL, CL_F_PHONE, CL_F_ADDRESS, CL_F_CITY,
                                   CL_F_WEBSITE, CL_F_PROFILE, CL_F_BIRTHDAY, CL_F_ANNIVERSARY, CL_F_NOTES,
                                   CL_F_TAGS};
    return memchr(said, field, sizeof said) != NULL;
}

int imp_card(imp *m, cl_vcard *c)
{
    uint8_t type = c->org ? CL_T_COMPANY : CL_T_CONTACT;
    cl_record_id id, *idp;
    bool fill_only = false;
    char company[CL_RECORD_ID_TEXT], referrer[CL_RECORD_ID_TEXT];
    int rc = m->whole ? CL_OK : card_target(m, c, type, &id, &idp, &fill_only);
    if (m->whole)
        id = *m->whole, idp = &id;
    if (type == CL_T_CONTACT)
        drop_derived_parts(c);
    if (!rc)
        rc = card_notes(m, c, type);
    if (!rc && type == CL_T_CONTACT)
        rc = card_refs(m, c, company, referrer);
    if (rc)
        return rc;
    cl_assign a[CL_F_MAX + 1];
    char *lists[CL_F_MAX + 1] = {0};
    size_t n = 0, nf;
    const cl_field_def *defs = cl_type_fields(type, &nf);
    for (size_t i = 0; i < nf && !rc; i++) {
        const char *v = defs[i].id == CL_F_COMPANY ? company : defs[i].id == CL_F_REFERRED_BY ? referrer
                                                                                            : c->values[defs[i].id];
        if (defs[i].multi && c->items[defs[i].id].n && v) /* the whole list, its preferred one first */
            rc = card_list(m, c, idp, fill_only, &defs[i], &lists[defs[i].id]), v = lists[defs[i].id];
        if (!rc && v && *v)
            a[n].name = defs[i].multi ? defs[i].list : defs[i].name, a[n++].value = v;
        else if (!rc && m->whole && card_says(defs[i].id))
            a[n].name = defs[i].multi ? defs[i].list : defs[i].name, a[n++].value = "";
    }
    if (!rc && fill_only)
        rc = only_empty(m, idp, a, &n);
    for (size_t w = 0; w < c->nwarnings && !rc; w++)
        rc = imp_notice(m, c->line, "%s: %s", c->values[CL_F_NAME], c->warnings[w]);
    if (!rc)
        rc = imp_put(m, c->line, type, idp, a, n, NULL);
    for (size_t i = 0; i <= CL_F_MAX; i++)
        free(lists[i]);
    return rc;
}

typedef struct vcard_input {
    imp_input in;
    imp_rows cards;   /* dry_run / skip_bad: the cards refused */
} vcard_input;

/* Under dry_run / skip_bad, card i is imported unless it is refused: by the
 * parser, or by the model (then the pass runs again without it). */
static int card_or_refusal(imp *m, imp_rows *rows, cl_vcard *cards, size_t i)
{
    if (rows->bad[i])
        return CL_OK;
    if (cards[i].refused)
        return imp_row_refused(rows, i, cards[i].refused);
    return imp_row_failed(m, rows, i, imp_card(m, &cards[i]));
}

/* The refused cards as they are written in the file, to fix and import. */
static int refused_cards(const vcard_input *vi, const cl_vcard *cards, size_t n)
{
    cl_buf b = {0};
    for (size_t i = 0; i < n; i++)
        if (vi->cards.bad[i])
            cl_buf_put(&b, vi->in.data + cards[i].at, cards[i].len);
    if (b.err) {
        cl_buf_free(&b);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    vi->in.res->refused_len = b.len;
    vi->in.res->refused = b.len ? (char *)cl_buf_steal(&b) : NULL;
    cl_buf_free(&b);
    return CL_OK;
}

/* The cards are parsed inside the transaction function: importing edits them
 * (values moved to notes), and a rerun after map growth must start afresh. */
static int vcard_import_fn(cl_txn *t, void *arg)
{
    vcard_input *vi = arg;
    cl_vcard *cards = NULL;
    size_t n = 0;
    imp m;
    int rc = imp_begin(&m, t, vi->in.o, vi->in.res);
    bool collect = imp_collecting(&m);
    if (!rc)
        rc = (collect ? cl_vcard_parse_keep_bad : cl_vcard_parse)(vi->in.data, vi->in.len, m.name, &cards, &n);
    if (!rc && collect && !vi->cards.bad) /* the first pass: now the cards are counted */
        rc = imp_rows_init(&vi->cards, n);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = collect ? card_or_refusal(&m, &vi->cards, cards, i) : imp_card(&m, &cards[i]);
        imp_progress(&m, i + 1, n);
    }
    if (!rc && collect)
        rc = refused_cards(vi, cards, n);
    if (!rc)
        rc = imp_journal_save(&m);
    cl_vcards_free(cards, n);
    imp_end(&m);
    return rc;
}

int cl_vcard_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                    cl_import_result *res)
{
    vcard_input vi = {{data, len, o, res}, {0}};
    memset(res, 0, sizeof *res);
    int rc = imp_run_rows(s, vcard_import_fn, NULL, &vi, &vi.cards, o, res);
    imp_rows_free(&vi.cards);
    return rc;
}

/* ----- exporting vCard 4.0 ----- */

static int prop(FILE *out, cl_buf *b, const char *name, const char *v)
{
    if (!v || !*v)
        return CL_OK;
    cl_buf_reset(b);
    if (cl_buf_puts(b, name) || cl_buf_put_u8(b, ':') || vtext_escape(b, v))
        return cl_seterr(CL_ENOMEM, "out of memory");
    vline_write(out, b);
    return CL_OK;
}

/* Whether a kept name part still belongs to the name (it was not renamed
 * since: the parts would then describe someone else). */
static bool part_of_name(const char *name, const char *part)
{
    return !part || !*part || strstr(name, part);
}

/* N: family; given — as the record keeps them while the name still holds
 * them, else the last word of the name taken for the family name. */
static int prop_n(FILE *out, cl_buf *b, const cl_record *r)
{
    const char *name = cl_record_label(r), *family = r->values[CL_F_FAMILY_NAME], *split;
    const char *kept = r->values[CL_F_GIVEN_NAME];
    bool parts = ((kept && *kept) || (family && *family)) && part_of_name(name, kept) && part_of_name(name, family);
    size_t given_len;
    split_name(name, &split, &given_len);
    char *given = parts ? strdup(kept ? kept : "") : strndup(name, given_len);
    if (!parts)
        family = split;
    cl_buf_reset(b);
    int rc = !given || cl_buf_puts(b, "N:") || vtext_escape(b, family) || cl_buf_put_u8(b, ';') ||
             vtext_escape(b, given) || cl_buf_puts(b, ";;;");
    free(given);
    if (rc)
        return cl_seterr(CL_ENOMEM, "out of memory");
    vline_write(out, b);
    return CL_OK;
}

/* An item's label as vCard says it: its own types as they are ("mobile" is
 * its "cell"), others in Apple's way, "itemN.X-ABLabel:…" beside the
 * property in group itemN (what this importer and address books read back). */
static const char *vcard_type(const char *label)
{
    static const char *const known[] = {"work", "home", "cell", "fax", "pager", "voice", "text", "video", "other", NULL};
    if (!label || !*label)
        return NULL;
    if (!strcasecmp(label, "mobile"))
        return "cell";
    for (int i = 0; known[i]; i++)
        if (!strcasecmp(label, known[i]))
            return known[i];
    return NULL;
}

/* "[itemN.]NAME[;TYPE=t][;PREF=1]" for one item; *group counts the groups. */
static void put_item_head(cl_buf *b, const char *name, const cl_item *it, size_t n, int *group)
{
    const char *type = vcard_type(it->label);
    if (it->label && *it->label && !type)
        cl_buf_printf(b, "item%d.", ++*group);
    cl_buf_puts(b, name);
    if (type)
        cl_buf_printf(b, ";TYPE=%s", type);
    if (it->pref && n > 1)
        cl_buf_puts(b, ";PREF=1");
}

/* itemN.X-ABLabel:LABEL after a property whose label is not a vCard type. */
static int put_item_label(FILE *out, cl_buf *b, const cl_item *it, int group)
{
    if (!it->label || !*it->label || vcard_type(it->label))
        return CL_OK;
    cl_buf_reset(b);
    cl_buf_printf(b, "item%d.X-ABLabel:", group);
    if (b->err || vtext_escape(b, it->label))
        return cl_seterr(CL_ENOMEM, "out of memory");
    vline_write(out, b);
    return CL_OK;
}

/* ORG: the organisation, then its unit (the contact's department). */
static int prop_org(FILE *out, cl_buf *b, const char *org, const char *unit)
{
    bool has_unit = unit && *unit;
    if (!(org && *org) && !has_unit)
        return CL_OK;
    cl_buf_reset(b);
    if (cl_buf_puts(b, "ORG:") || vtext_escape(b, org) || (has_unit && (cl_buf_put_u8(b, ';') || vtext_escape(b, unit))))
        return cl_seterr(CL_ENOMEM, "out of memory");
    vline_write(out, b);
    return CL_OK;
}

/* A date field as vCard 4 writes it: 19850412. */
static int prop_date(FILE *out, cl_buf *b, const char *name, const char *v)
{
    char d[9] = "";
    if (v && strlen(v) == 10)
        snprintf(d, sizeof d, "%.4s%.2s%.2s", v, v + 5, v + 8);
    return prop(out, b, name, d);
}

/* One property per item of a field of several items (or none). */
static int prop_items(FILE *out, cl_buf *b, const char *name, const char *after, const cl_items *items,
                      int *group)
{
    for (size_t i = 0; i < items->n; i++) {
        cl_buf_reset(b);
        put_item_head(b, name, &items->v[i], items->n, group);
        cl_buf_puts(b, after);
        if (b->err || vtext_escape(b, items->v[i].value))
            return cl_seterr(CL_ENOMEM, "out of memory");
        vline_write(out, b);
        int rc = put_item_label(out, b, &items->v[i], *group);
        if (rc)
            return rc;
    }
    return CL_OK;
}

/* ADR: each address item as the street, the city beside the preferred one. */
static int prop_adr(FILE *out, cl_buf *b, const cl_record *r, int *group)
{
    const cl_items *it = &r->items[CL_F_ADDRESS];
    const char *city = r->values[CL_F_CITY];
    if (!it->n && !city)
        return CL_OK;
    const cl_item *pref = cl_items_preferred(it);
    for (size_t i = 0; i < (it->n ? it->n : 1); i++) {
        const cl_item *a = it->n ? &it->v[i] : NULL;
        cl_buf_reset(b);
        if (a)
            put_item_head(b, "ADR", a, it->n, group);
        else
            cl_buf_puts(b, "ADR");
        cl_buf_puts(b, ":;;");
        if (b->err || vtext_escape(b, a ? a->value : NULL) || cl_buf_put_u8(b, ';') ||
            vtext_escape(b, !a || a == pref ? city : NULL) || cl_buf_puts(b, ";;;"))
            return cl_seterr(CL_ENOMEM, "out of memory");
        vline_write(out, b);
        int rc = a ? put_item_label(out, b, a, *group) : CL_OK;
        if (rc)
            return rc;
    }
    return CL_OK;
}

/* CATEGORIES: the tags, each escaped, separated by unescaped commas. */
static int prop_tags(FILE *out, cl_buf *b, const char *tags)
{
    if (!tags || !*tags)
        return CL_OK;
    cl_buf_reset(b);
    int rc = cl_buf_puts(b, "CATEGORIES:");
    for (const char *p = tags; !rc && *p;) {
        size_t n = strcspn(p, ",");
        char *tag = strndup(p, n);
        rc = !tag || (p != tags && cl_buf_put_u8(b, ',')) || vtext_escape(b, tag);
        free(tag);
        p += n + (p[n] == ',');
    }
    if (rc)
        return cl_seterr(CL_ENOMEM, "out of memory");
    vline_write(out, b);
    return CL_OK;
}

static int company_name(cl_txn *t, const char *ref, char **out)
{
    cl_record_id id;
    cl_field_state st;
    *out = NULL;
    if (!ref || cl_record_id_parse(ref, &id) || cl_txn_field(t, &id, CL_F_NAME, &st))
        return CL_OK;
    *out = strndup(st.value, st.value_len);
    return *out ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

typedef struct vcard_export {
    cl_txn *t;
    FILE *out;
    size_t count;
    cl_buf b;
} vcard_export;

static int card_body(vcard_export *e, const cl_record *r)
{
    char *org = NULL, rev[17];
    time_t secs = (time_t)(cl_hlc_ms(r->updated) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(rev, sizeof rev, "%Y%m%dT%H%M%SZ", &tm);
    bool co = r->type == CL_T_COMPANY;
    int rc = co ? CL_OK : company_name(e->t, r->values[CL_F_COMPANY], &org);
    if (!rc) rc = co ? prop(e->out, &e->b, "KIND", "org") : CL_OK;
    if (!rc) rc = prop(e->out, &e->b, "FN", cl_record_label(r));
    if (!rc) rc = co ? CL_OK : prop_n(e->out, &e->b, r);
    if (!rc) rc = prop(e->out, &e->b, "NICKNAME", r->values[CL_F_NICKNAME]);
    if (!rc) rc = prop_org(e->out, &e->b, co ? cl_record_label(r) : org, r->values[CL_F_DEPARTMENT]);
    if (!rc) rc = prop(e->out, &e->b, "TITLE", r->values[CL_F_TITLE]);
    int group = 0; /* itemN groups of the card's custom labels */
    if (!rc) rc = prop_items(e->out, &e->b, "EMAIL", ":", &r->items[CL_F_EMAIL], &group);
    if (!rc) rc = prop_items(e->out, &e->b, "TEL", ";VALUE=text:", &r->items[CL_F_PHONE], &group);
    if (!rc) rc = prop_adr(e->out, &e->b, r, &group);
    if (!rc) rc = prop(e->out, &e->b, "URL", r->values[CL_F_WEBSITE]);
    if (!rc) rc = prop_items(e->out, &e->b, "URL", ":", &r->items[CL_F_PROFILE], &group);
    if (!rc) rc = prop_date(e->out, &e->b, "BDAY", r->values[CL_F_BIRTHDAY]);
    if (!rc) rc = prop_date(e->out, &e->b, "ANNIVERSARY", r->values[CL_F_ANNIVERSARY]);
    if (!rc) rc = prop(e->out, &e->b, "NOTE", r->values[CL_F_NOTES]);
    if (!rc) rc = prop_tags(e->out, &e->b, r->values[CL_F_TAGS]);
    if (!rc) rc = prop(e->out, &e->b, "X-CLIENTELE-INDUSTRY", r->values[CL_F_INDUSTRY]);
    if (!rc) rc = prop(e->out, &e->b, "X-CLIENTELE-REFERRED-BY", r->values[CL_F_REFERRED_BY]);
    if (!rc) rc = prop(e->out, &e->b, "REV", rev);
    free(org);
    return rc;
}

/* One card; uid NULL: the record id. */
static int write_card(vcard_export *e, const cl_record *r, const char *uid)
{
    char own[CL_RECORD_ID_TEXT];
    cl_record_id_format(&r->id, own);
    fputs("BEGIN:VCARD\r\nVERSION:4.0\r\n", e->out);
    int rc = prop(e->out, &e->b, "UID", uid ? uid : own);
    if (!rc)
        rc = card_body(e, r);
    fputs("END:VCARD\r\n", e->out);
    e->count++;
    if (!rc && ferror(e->out))
        rc = cl_seterr(CL_EIO, "cannot write the export");
    return rc;
}

static int export_card(void *arg, const cl_record_id *id)
{
    vcard_export *e = arg;
    cl_record *r;
    int rc = cl_record_load(e->t, id, &r);
    if (rc)
        return rc;
    rc = write_card(e, r, NULL);
    cl_record_free(r);
    return rc;
}

int cl_vcard_export(cl_txn *t, uint8_t type, FILE *out, size_t *count)
{
    if (type != CL_T_CONTACT && type != CL_T_COMPANY)
        return cl_seterr(CL_EINVAL, "vCard holds contacts and companies, not %s records",
                         cl_type_name(type) ? cl_type_name(type) : "other");
    vcard_export e = {t, out, 0, {0}};
    int rc = cl_query_list(t, type, NULL, NULL, 0, export_card, &e, NULL);
    cl_buf_free(&e.b);
    if (!rc && fflush(out))
        rc = cl_seterr(CL_EIO, "cannot write the export");
    if (count)
        *count = e.count;
    return rc;
}

/* ----- one card, for DAV clients ----- */

int cl_vcard_card(cl_txn *t, const cl_record *r, const char *uid, char **out, size_t *len)
{
    *out = NULL;
    if (r->type != CL_T_CONTACT && r->type != CL_T_COMPANY)
        return cl_seterr(CL_EINVAL, "vCard holds contacts and companies");
    FILE *f = open_memstream(out, len);
    if (!f)
        return cl_seterr(CL_ENOMEM, "out of memory");
    vcard_export e = {t, f, 0, {0}};
    int rc = write_card(&e, r, uid);
    cl_buf_free(&e.b);
    if (fclose(f) && !rc)
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    if (rc)
        free(*out), *out = NULL;
    return rc;
}

/* The card's UID unless it is the record's own id (then nothing to keep). */
static int foreign_uid(const cl_vcard *c, const cl_record_id *id, char **uid)
{
    char own[CL_RECORD_ID_TEXT];
    cl_record_id_format(id, own);
    *uid = NULL;
    if (!c->uid || !*c->uid || !strcmp(c->uid, own))
        return CL_OK;
    *uid = strdup(c->uid);
    return *uid ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

int cl_vcard_put(cl_txn *t, const cl_record_id *id, const char *data, size_t len, uint8_t *type, char **uid)
{
    cl_vcard *cards;
    size_t n;
    *uid = NULL;
    int rc = cl_vcard_parse(data, len, "card", &cards, &n);
    if (rc)
        return rc;
    if (n != 1) {
        cl_vcards_free(cards, n);
        return cl_seterr(CL_EINVAL, "a resource holds one card, not %zu", n);
    }
    *type = cards->org ? CL_T_COMPANY : CL_T_CONTACT;
    cl_record_meta meta;
    rc = cl_txn_record(t, id, &meta);
    if (!rc && meta.type != *type)
        rc = cl_seterr(CL_EINVAL, "this card describes a %s, and the record is a %s", cl_type_name(*type),
                       cl_type_name(meta.type));
    else if (rc == CL_ENOTFOUND)
        rc = CL_OK;
    cl_import_opts o = {.name = "card"};
    cl_import_result res;
    memset(&res, 0, sizeof res);
    imp m;
    if (!rc && !(rc = imp_begin(&m, t, &o, &res))) {
        m.whole = id;
        rc = imp_card(&m, cards);
        imp_end(&m);
    }
    if (!rc)
        rc = foreign_uid(cards, id, uid);
    cl_import_result_free(&res);
    cl_vcards_free(cards, n);
    return rc;
}
