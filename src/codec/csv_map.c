/* Foreign CSV layouts: the header of another program's export (Google
 * Contacts, Outlook, LinkedIn, Thunderbird, HubSpot, Salesforce, Pipedrive,
 * or a spreadsheet's "First Name, E-mail, Mobile") mapped onto a contact's
 * fields, and each row turned into a card that the vCard importer stores:
 * the same matching of people already here, the same merging of items, the
 * same notes for what has no field. No library knows these layouts: the
 * header words are read here, by a small grammar over normalised words. */
#include "codec/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum role {
    R_NOTE,      /* no field: "Header: value" in notes */
    R_SKIP,      /* known to carry nothing (Outlook's "E-mail Type": SMTP) */
    R_FIELD,     /* one of the contact's own fields, as it is */
    R_NAME, R_GIVEN, R_MIDDLE, R_FAMILY, R_SUFFIX,
    R_COMPANY, R_TAGS,
    R_DATE,      /* a date field (birthday, anniversary) in a local form */
    R_BYEAR, R_BMONTH, R_BDAY,
    R_VALUE,     /* an item's value (email, phone, formatted address) */
    R_LABEL,     /* an item's label ("E-mail 1 - Type") */
    R_PART,      /* a part of an address (street, city, …) */
} role;

enum part { P_STREET, P_STREET2, P_STREET3, P_POBOX, P_CITY, P_REGION, P_POSTCODE, P_COUNTRY, P_NPARTS };

typedef struct col {
    role role;
    uint8_t field;        /* R_FIELD, R_VALUE, R_LABEL, R_PART */
    char slot[32];        /* items: the item this column fills */
    const char *label;    /* the slot's label when the header says it */
    enum part part;
    bool pref;            /* "Primary Phone" */
} col;

struct csv_map {
    size_t ncols;
    col *cols;
    char date_order;      /* 'd' (day first) or 'm', for dates like 03/04/1988 */
};

/* A row's cell; Outlook's "no date" (0/0/00) is no value. */
static const char *cell(const cl_csv *c, size_t r, size_t j)
{
    const char *v = cl_csv_cell(c, r, j);
    return v[0] == '0' && (!strcmp(v, "0/0/00") || !strcmp(v, "0/0/0000")) ? "" : v;
}

/* ----- reading a header ----- */

#define MAXW 8

typedef struct words {
    char w[MAXW][24];
    size_t n;
} words;

/* Lowercase words of letters and digits; a few pairs made one word. */
static void split_words(const char *h, words *ws)
{
    ws->n = 0;
    for (const char *p = h; *p && ws->n < MAXW;) {
        while (*p && !isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
            p++;
        size_t k = 0;
        char *w = ws->w[ws->n];
        while (*p && (isalnum((unsigned char)*p) || ((unsigned char)*p & 0x80))) {
            if (k + 1 < sizeof ws->w[0])
                w[k++] = (char)tolower((unsigned char)*p);
            p++;
        }
        w[k] = 0;
        if (!k || (!strcmp(w, "s") && ws->n)) /* "Assistant's Phone" */
            continue;
        static const char *const pairs[][3] = {{"e", "mail", "email"},     {"zip", "code", "zipcode"},
                                               {"postal", "code", "postcode"}, {"po", "box", "pobox"},
                                               {"web", "page", "website"},  {"web", "site", "website"},
                                               {"country", "region", "country"}};
        bool joined = false;
        for (size_t i = 0; ws->n && i < sizeof pairs / sizeof *pairs; i++)
            if (!strcmp(ws->w[ws->n - 1], pairs[i][0]) && !strcmp(w, pairs[i][1])) {
                snprintf(ws->w[ws->n - 1], sizeof ws->w[0], "%s", pairs[i][2]);
                joined = true;
            }
        if (!joined)
            ws->n++;
    }
}

static bool has(const words *ws, const char *w)
{
    for (size_t i = 0; i < ws->n; i++)
        if (!strcmp(ws->w[i], w))
            return true;
    return false;
}

static bool is(const words *ws, const char *phrase)
{
    words p;
    split_words(phrase, &p);
    if (p.n != ws->n)
        return false;
    for (size_t i = 0; i < p.n; i++)
        if (strcmp(p.w[i], ws->w[i]))
            return false;
    return true;
}

/* Whole-header names, after a "Person -" prefix (Pipedrive) is set aside. */
static const struct {
    const char *phrase;
    role role;
    uint8_t field;
} NAMES[] = {
    {"name", R_NAME, 0},           {"full name", R_NAME, 0},         {"display name", R_NAME, 0},
    {"contact name", R_NAME, 0},   {"formatted name", R_NAME, 0},    {"first name", R_GIVEN, 0},
    {"given name", R_GIVEN, 0},    {"first", R_GIVEN, 0},            {"middle name", R_MIDDLE, 0},
    {"additional name", R_MIDDLE, 0}, {"last name", R_FAMILY, 0},    {"family name", R_FAMILY, 0},
    {"surname", R_FAMILY, 0},      {"last", R_FAMILY, 0},            {"name prefix", R_NOTE, 0},
    {"prefix", R_NOTE, 0},       {"name suffix", R_SUFFIX, 0},     {"suffix", R_SUFFIX, 0},
    {"company", R_COMPANY, 0},     {"company name", R_COMPANY, 0},   {"organization", R_COMPANY, 0},
    {"organisation", R_COMPANY, 0}, {"organization name", R_COMPANY, 0}, {"organization 1 name", R_COMPANY, 0},
    {"account name", R_COMPANY, 0}, {"employer", R_COMPANY, 0},      {"job title", R_FIELD, CL_F_TITLE},
    {"position", R_FIELD, CL_F_TITLE}, {"organization 1 title", R_FIELD, CL_F_TITLE},
    {"organization title", R_FIELD, CL_F_TITLE}, {"salutation", R_NOTE, 0},
    {"organization 1 type", R_SKIP, 0}, {"organization 1 yomi name", R_SKIP, 0},
    {"title", R_FIELD, CL_F_TITLE}, {"notes", R_FIELD, CL_F_NOTES},  {"note", R_FIELD, CL_F_NOTES},
    {"description", R_FIELD, CL_F_NOTES}, {"comments", R_FIELD, CL_F_NOTES},
    {"birthday", R_DATE, CL_F_BIRTHDAY}, {"birth date", R_DATE, CL_F_BIRTHDAY},
    {"birthdate", R_DATE, CL_F_BIRTHDAY}, {"date of birth", R_DATE, CL_F_BIRTHDAY},
    {"anniversary", R_DATE, CL_F_ANNIVERSARY}, {"wedding anniversary", R_DATE, CL_F_ANNIVERSARY},
    {"nickname", R_FIELD, CL_F_NICKNAME}, {"nick name", R_FIELD, CL_F_NICKNAME},
    {"department", R_FIELD, CL_F_DEPARTMENT}, {"organization department", R_FIELD, CL_F_DEPARTMENT},
    {"organization 1 department", R_FIELD, CL_F_DEPARTMENT},
    {"birth year", R_BYEAR, 0},    {"birth month", R_BMONTH, 0},
    {"birth day", R_BDAY, 0},      {"labels", R_TAGS, 0},            {"categories", R_TAGS, 0},
    {"group membership", R_TAGS, 0}, {"tags", R_TAGS, 0},            {"groups", R_TAGS, 0},
    {"city", R_PART, CL_F_ADDRESS}, /* placed by part_of below */
    {"e mail type", R_SKIP, 0},    {"e mail display name", R_SKIP, 0}, {"e mail 2 type", R_SKIP, 0},
    {"e mail 2 display name", R_SKIP, 0}, {"e mail 3 type", R_SKIP, 0}, {"e mail 3 display name", R_SKIP, 0},
};

/* A qualifier word: the label it gives an item, or "" for none. */
static const char *qualifier(const char *w, bool *pref)
{
    static const char *const q[][2] = {
        {"business", "work"}, {"work", "work"},   {"office", "work"},   {"company", "work"},
        {"home", "home"},     {"personal", "home"}, {"private", "home"}, {"mobile", "mobile"},
        {"cell", "mobile"},   {"other", "other"},  {"main", "main"},     {"car", "car"},
        {"pager", "pager"},   {"fax", "fax"},      {"primary", ""},      {"secondary", ""},
        {"mailing", ""},      {"assistant", "assistant"}, {"radio", "radio"}, {"callback", "callback"},
    };
    for (size_t i = 0; i < sizeof q / sizeof *q; i++)
        if (!strcmp(w, q[i][0])) {
            if (!strcmp(w, "primary"))
                *pref = true;
            return q[i][1];
        }
    return NULL;
}

static bool number(const char *w)
{
    return *w && strspn(w, "0123456789") == strlen(w);
}

static bool part_of(const char *w, enum part *p)
{
    static const struct {
        const char *w;
        enum part p;
    } parts[] = {{"street", P_STREET},     {"address", P_STREET},   {"pobox", P_POBOX},   {"city", P_CITY},
                 {"locality", P_CITY},     {"town", P_CITY},        {"state", P_REGION},  {"region", P_REGION},
                 {"province", P_REGION},   {"county", P_REGION},    {"postcode", P_POSTCODE}, {"zipcode", P_POSTCODE},
                 {"zip", P_POSTCODE},      {"country", P_COUNTRY},  {"extended", P_STREET2}};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (!strcmp(w, parts[i].w)) {
            *p = parts[i].p;
            return true;
        }
    return false;
}

/* Email, phone, address and web columns: "E-mail 2 Address", "E-mail 1 -
 * Type", "Business Phone 2", "Mobile Number", "Phone 1 - Value", "Home
 * Street", "Address 1 - Postal Code", "Mailing Zip/Postal Code", "Home
 * Address 2", "Website 1 - Value", "Web Page", LinkedIn's "URL". */
static bool item_column(const words *ws, col *c)
{
    bool email = has(ws, "email"), url = has(ws, "website") || has(ws, "url"), phone = false, addr = false,
         label = false, formatted = false;
    const char *qual = NULL, *num = NULL;
    enum part part = P_STREET;
    size_t nparts = 0;
    for (size_t i = 0; i < ws->n; i++) {
        const char *w = ws->w[i];
        enum part p;
        const char *q = qualifier(w, &c->pref);
        if (!strcmp(w, "type") || !strcmp(w, "label")) {
            label = true;
        } else if (!strcmp(w, "phone") || !strcmp(w, "telephone") || !strcmp(w, "tel") || !strcmp(w, "fax") ||
                   !strcmp(w, "pager") || !strcmp(w, "mobile") || !strcmp(w, "cell")) {
            phone = true;
            if (q && !qual)
                qual = q;
            else if (q && (!strcmp(w, "fax") || !strcmp(w, "pager")))
                qual = q; /* "Business Fax": a fax */
        } else if (q) {
            qual = qual ? qual : q;
        } else if (number(w)) {
            if (addr && i && (!strcmp(ws->w[i - 1], "street") || !strcmp(ws->w[i - 1], "address")) &&
                nparts <= 1 && part == P_STREET && strcmp(w, "1"))
                part = !strcmp(w, "2") ? P_STREET2 : P_STREET3; /* "Home Address 2": its second line */
            else
                num = w;
        } else if (!strcmp(w, "formatted")) {
            formatted = addr = true;
        } else if (!email && !url && part_of(w, &p)) {
            addr = true;
            /* "address" only names the street when no other part word does
             * ("Street Address", "State/Region", "Zip/Postal Code") */
            if (strcmp(w, "address") && (!nparts++ || p == P_POSTCODE || part == P_STREET))
                part = p;
        } else if (strcmp(w, "value") && strcmp(w, "number") && strcmp(w, "address") && strcmp(w, "email") &&
                   strcmp(w, "line") && strcmp(w, "person") && strcmp(w, "website") && strcmp(w, "url")) {
            return false; /* a word no item column has */
        }
    }
    if (email + phone + addr + url != 1)
        return false;
    c->field = email ? CL_F_EMAIL : phone ? CL_F_PHONE : url ? CL_F_PROFILE : CL_F_ADDRESS;
    c->role = label ? R_LABEL : addr && !formatted ? R_PART : R_VALUE;
    c->part = part;
    c->label = qual && *qual ? qual : NULL;
    snprintf(c->slot, sizeof c->slot, "%u:%s:%s", c->field, qual ? qual : "", num ? num : "");
    return true;
}

static void map_column(const char *header, bool outlook_title, col *c)
{
    words ws;
    memset(c, 0, sizeof *c);
    split_words(header, &ws);
    if (ws.n > 1 && !strcmp(ws.w[0], "person")) { /* Pipedrive: "Person - Name" */
        memmove(ws.w[0], ws.w[1], (ws.n - 1) * sizeof ws.w[0]);
        ws.n--;
    }
    if (!ws.n) {
        c->role = R_SKIP;
        return;
    }
    if (outlook_title && is(&ws, "title")) { /* Outlook's "Title" is Mr/Ms: its job title is "Job Title" */
        c->role = R_NOTE; /* a name is written without it, as address books show it */
        return;
    }
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (is(&ws, NAMES[i].phrase)) {
            c->role = NAMES[i].role;
            c->field = NAMES[i].field;
            if (c->role == R_PART)
                item_column(&ws, c);
            return;
        }
    if (!item_column(&ws, c))
        c->role = R_NOTE;
}

/* The user's own mapping (--map): "Their Column=field" per line or ';'. */
static int apply_user_map(csv_map *m, const cl_csv *c, const char *spec)
{
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ";\n");
        char pair[256];
        snprintf(pair, sizeof pair, "%.*s", (int)(n < 255 ? n : 255), p);
        p += n + (p[n] != 0);
        char *eq = strrchr(pair, '=');
        if (!eq) {
            if (strspn(pair, " \t\r") == strlen(pair))
                continue;
            return cl_seterr(CL_EINVAL, "--map: '%s' is not COLUMN=FIELD", pair);
        }
        *eq = 0;
        char *col_name = pair, *target = eq + 1;
        words tw;
        split_words(target, &tw);
        size_t j = 0;
        words hw, cw;
        split_words(col_name, &cw);
        for (; j < c->ncols; j++) {
            split_words(cl_csv_cell(c, 0, j), &hw);
            bool same = hw.n == cw.n;
            for (size_t k = 0; same && k < hw.n; k++)
                same = !strcmp(hw.w[k], cw.w[k]);
            if (same)
                break;
        }
        if (j == c->ncols)
            return cl_seterr(CL_EINVAL, "--map: the file has no column '%s'", col_name);
        col *to = &m->cols[j];
        const cl_field_def *f = cl_field_lookup(CL_T_CONTACT, target);
        if (is(&tw, "ignore") || is(&tw, "skip")) {
            memset(to, 0, sizeof *to);
            to->role = R_SKIP;
        } else if (f && f->kind != CL_K_REF && f->id != CL_F_NAME && !f->multi && f->kind != CL_K_DATE &&
                   f->id != CL_F_TAGS) {
            memset(to, 0, sizeof *to);
            to->role = R_FIELD, to->field = f->id;
        } else {
            col guess;
            map_column(target, false, &guess);
            if (guess.role == R_NOTE || guess.role == R_SKIP)
                return cl_seterr(CL_EINVAL, "--map: '%s' is not a field a column can fill (name, first name, last "
                                            "name, nickname, company, title, department, email, phone, address, "
                                            "city, website, birthday, anniversary, tags, notes, ignore; "
                                            "email/phone may say work, home, mobile)", target);
            if (guess.slot[0]) /* each mapped column its own item */
                snprintf(guess.slot + strlen(guess.slot), sizeof guess.slot - strlen(guess.slot), "#%zu", j);
            *to = guess;
        }
    }
    return CL_OK;
}

/* Whether the header is another program's: some cell that names none of
 * the contact's fields is one this grammar reads ("First Name",
 * "E-mail 1 - Value"). A header of field names with a typo ("shoe_size")
 * is not: csv.c refuses it, naming the fields. */
bool csv_header_foreign(const cl_csv *c)
{
    for (size_t j = 0; j < c->ncols; j++) {
        char h[128];
        snprintf(h, sizeof h, "%s", cl_csv_cell(c, 0, j));
        size_t n = strlen(h), i = 0;
        while (n && isspace((unsigned char)h[n - 1]))
            h[--n] = 0;
        while (isspace((unsigned char)h[i]))
            i++;
        csv_col ours;
        if (!h[i] || !strcasecmp(h + i, "id") || csv_column(CL_T_CONTACT, h + i, &ours))
            continue;
        col k;
        map_column(h + i, false, &k);
        if (k.role != R_NOTE && k.role != R_SKIP)
            return true;
    }
    return false;
}

/* ----- dates ----- */

static bool parse_ymd(const char *v, int *y, int *mo, int *d, char order, bool *ambiguous)
{
    int a, b, c;
    char s1, s2, end;
    *ambiguous = false;
    if (sscanf(v, "%4d-%2d-%2d%c", y, mo, d, &end) == 3 || sscanf(v, "%4d/%2d/%2d%c", y, mo, d, &end) == 3)
        return *y > 999;
    if (sscanf(v, "%2d.%2d.%4d%c", d, mo, y, &end) == 3) /* 14.03.1970: day first wherever dots are used */
        return *y > 999;
    if (sscanf(v, "%2d%c%2d%c%4d%c", &a, &s1, &b, &s2, &c, &end) == 5 && s1 == s2 && (s1 == '/' || s1 == '-')) {
        *y = c;
        *ambiguous = a <= 12 && b <= 12 && a != b;
        bool day_first = a > 12 || (b <= 12 && order != 'm');
        *d = day_first ? a : b;
        *mo = day_first ? b : a;
        return c > 999;
    }
    return false;
}

/* A date as the date fields want it (YYYY-MM-DD), or v as it is (the
 * importer then keeps it in notes, saying why). */
static char *date_value(const csv_map *m, const char *v)
{
    int y, mo, d;
    bool amb;
    char out[16];
    if (parse_ymd(v, &y, &mo, &d, m->date_order, &amb) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
        snprintf(out, sizeof out, "%04d-%02d-%02d", y, mo, d);
        return strdup(out);
    }
    return strdup(v);
}

/* The order of ambiguous dates (03/04/1988) in the file: what an
 * unambiguous one in the same column shows, else what the user said, else
 * day first (with a notice). */
static char date_order(const csv_map *m, const cl_csv *c, char said, bool *guessed)
{
    bool ambiguous = false;
    *guessed = false;
    for (size_t j = 0; j < m->ncols; j++) {
        if (m->cols[j].role != R_DATE)
            continue;
        for (size_t r = 1; r < c->nrows; r++) {
            int a, b, y;
            char s1, s2, end;
            if (sscanf(cell(c, r, j), "%2d%c%2d%c%4d%c", &a, &s1, &b, &s2, &y, &end) == 5 && s1 == s2 &&
                (s1 == '/' || s1 == '-')) {
                if (a > 12)
                    return 'd';
                if (b > 12)
                    return 'm';
                ambiguous |= a != b;
            }
        }
    }
    if (said)
        return said;
    *guessed = ambiguous;
    return 'd';
}

/* ----- the mapping ----- */

void csv_map_free(csv_map *m)
{
    if (m)
        free(m->cols);
    free(m);
}

int csv_map_header(const cl_csv *c, const cl_import_opts *o, csv_map **out, bool *order_guessed)
{
    csv_map *m = calloc(1, sizeof *m);
    if (!m || !(m->cols = calloc(c->ncols ? c->ncols : 1, sizeof *m->cols))) {
        csv_map_free(m);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    m->ncols = c->ncols;
    bool outlook = false;
    for (size_t j = 0; j < c->ncols; j++) {
        words ws;
        split_words(cl_csv_cell(c, 0, j), &ws);
        outlook |= is(&ws, "job title");
    }
    for (size_t j = 0; j < c->ncols; j++)
        map_column(cl_csv_cell(c, 0, j), outlook, &m->cols[j]);
    int rc = o && o->map ? apply_user_map(m, c, o->map) : CL_OK;
    if (rc) {
        csv_map_free(m);
        return rc;
    }
    m->date_order = date_order(m, c, o ? o->date_order : 0, order_guessed);
    *out = m;
    return CL_OK;
}

/* What a column fills, as the mapping's summary names it. */
static const char *target_name(const col *c)
{
    switch (c->role) {
    case R_NAME: case R_GIVEN: case R_MIDDLE: case R_FAMILY: case R_SUFFIX: return "name";
    case R_COMPANY: return "company";
    case R_TAGS: return "tags";
    case R_BYEAR: case R_BMONTH: case R_BDAY: return "birthday";
    case R_FIELD: case R_DATE: return cl_field_by_id(CL_T_CONTACT, c->field)->name;
    case R_VALUE: case R_LABEL: case R_PART: return cl_field_by_id(CL_T_CONTACT, c->field)->list;
    case R_NOTE: return "kept in notes";
    case R_SKIP: break;
    }
    return NULL;
}

static bool column_used(const cl_csv *c, size_t j)
{
    for (size_t r = 1; r < c->nrows; r++)
        if (*cell(c, r, j))
            return true;
    return false;
}

/* The summary's lines, in this order: one target each. */
static const char *const TARGETS[] = {"name",     "nickname", "company",     "title", "department",
                                      "emails",   "phones",   "addresses",   "city",  "profiles",
                                      "birthday", "anniversary", "tags",     "notes", "kept in notes"};

int csv_map_describe(const csv_map *m, const cl_csv *c, size_t i, const char **target, cl_buf *out)
{
    if (i >= sizeof TARGETS / sizeof *TARGETS)
        return CL_ENOTFOUND;
    *target = TARGETS[i];
    cl_buf_reset(out);
    for (size_t j = 0; j < m->ncols; j++) {
        const col *k = &m->cols[j];
        const char *t = target_name(k);
        if (!t || strcmp(t, TARGETS[i]) || k->role == R_LABEL || (k->role == R_NOTE && !column_used(c, j)))
            continue;
        cl_buf_printf(out, "%s'%s'", out->len ? ", " : "", cl_csv_cell(c, 0, j));
        if ((k->role == R_VALUE || k->role == R_PART) && k->label)
            cl_buf_printf(out, " (%s)", k->label);
    }
    return out->err ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

/* ----- one row ----- */

typedef struct slot_acc {
    const char *key;
    uint8_t field;
    const char *label, *label_cell;
    const char *value;
    const char *parts[P_NPARTS];
    bool pref;
} slot_acc;

/* The item column c fills: the first of its key, unless that one has a value
 * already and c brings another (Outlook's "Business Phone" and "Company Main
 * Phone" are two work phones, not one). */
static slot_acc *slot_for(slot_acc *s, size_t *n, const col *c)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(s[i].key, c->slot) && !(c->role == R_VALUE && s[i].value))
            return &s[i];
    slot_acc *a = &s[(*n)++];
    memset(a, 0, sizeof *a);
    a->key = c->slot;
    a->field = c->field;
    return a;
}

static int join(cl_buf *b, const char *sep, const char *v)
{
    if (!v || !*v)
        return CL_OK;
    if (b->len)
        cl_buf_puts(b, sep);
    return cl_buf_puts(b, v);
}

/* Google's own item labels ("* Mobile", "Work", "Other") and the label words
 * of vCard, in clientele's words; anything else kept as written. */
static const char *label_word(const char *l)
{
    l += strspn(l, "* ");
    static const char *const ours[][2] = {{"cell", "mobile"}, {"iphone", "mobile"}, {"mobile", "mobile"},
                                          {"work", "work"},   {"business", "work"}, {"home", "home"},
                                          {"personal", "home"}, {"other", "other"}, {"fax", "fax"},
                                          {"pager", "pager"}, {"main", "main"}};
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (strcasestr(l, ours[i][0]))
            return ours[i][1];
    if (!strcasecmp(l, "smtp") || !strcasecmp(l, "ex"))
        return NULL; /* Outlook's mail transport, not a label */
    return *l ? l : NULL;
}

/* "+49 151 1234 ext. 23" → "+49 151 1234 x23": the extension in the form
 * the phone field takes. */
static char *phone_text(const char *v)
{
    const char *e = strcasestr(v, "ext");
    if (!e)
        return strdup(v);
    const char *digits = e + 3 + strspn(e + 3, ".:ension ");
    if (!isdigit((unsigned char)*digits))
        return strdup(v);
    size_t head = (size_t)(e - v);
    while (head && v[head - 1] == ' ')
        head--;
    char *out = malloc(head + strlen(digits) + 3);
    if (out)
        sprintf(out, "%.*s x%s", (int)head, v, digits);
    return out;
}

/* 4.91511E+11: a phone a spreadsheet turned into a number (digits lost). */
static bool mangled_number(const char *v)
{
    char *end;
    strtod(v, &end);
    return end != v && !*end && (strchr(v, 'E') || strchr(v, 'e'));
}

static int add_warning(cl_vcard *card, const char *fmt, const char *a, const char *b)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    char *w = strdup(msg);
    char **grown = w ? realloc(card->warnings, (card->nwarnings + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(w);
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    card->warnings = grown;
    card->warnings[card->nwarnings++] = w;
    return CL_OK;
}

/* Each value of a cell (Google writes several as "a ::: b") as an item. */
static int add_values(cl_vcard *card, const slot_acc *s, const char *text, bool *have_pref, cl_buf *notes)
{
    const char *p = text;
    int rc = CL_OK;
    while (!rc && *p) {
        const char *sep = strstr(p, " ::: ");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        char *one = strndup(p, n), *v = NULL;
        p += n + (sep ? 5 : 0);
        if (!one)
            return cl_seterr(CL_ENOMEM, "out of memory");
        if (s->field == CL_F_PHONE && mangled_number(one)) {
            rc = add_warning(card, "the phone %s was turned into a number by a spreadsheet (its last digits are "
                                   "lost): kept in notes%s", one, "");
            if (!rc)
                rc = join(notes, "\n", "Phone: ") || cl_buf_puts(notes, one) ? CL_ENOMEM : CL_OK;
            free(one);
            continue;
        }
        v = s->field == CL_F_PHONE ? phone_text(one) : strdup(one);
        free(one);
        if (!v)
            return cl_seterr(CL_ENOMEM, "out of memory");
        const char *label = s->label_cell && *s->label_cell ? label_word(s->label_cell) : s->label;
        bool pref = !*have_pref && (s->pref || !card->items[s->field].n);
        size_t at;
        rc = cl_items_find(cl_field_by_id(CL_T_CONTACT, s->field)->kind, &card->items[s->field], v, &at);
        if (!rc && at == card->items[s->field].n && *v) {
            if (pref)
                for (size_t i = 0; i < card->items[s->field].n; i++)
                    card->items[s->field].v[i].pref = false;
            rc = cl_items_add(&card->items[s->field], v, label, pref);
            *have_pref |= pref && s->pref;
        }
        free(v);
    }
    return rc;
}

/* An address from its parts: street lines, PO box, "postcode city",
 * region, country, as the vCard importer writes them. */
static int address_text(const slot_acc *s, cl_buf *b)
{
    cl_buf town = {0};
    join(b, ", ", s->parts[P_STREET]);
    join(b, ", ", s->parts[P_STREET2]);
    join(b, ", ", s->parts[P_STREET3]);
    join(b, ", ", s->parts[P_POBOX]);
    join(&town, " ", s->parts[P_POSTCODE]);
    join(&town, " ", s->parts[P_CITY]);
    join(b, ", ", town.len ? (const char *)town.data : NULL);
    join(b, ", ", s->parts[P_REGION]);
    join(b, ", ", s->parts[P_COUNTRY]);
    int rc = town.err ? town.err : b->err;
    cl_buf_free(&town);
    return rc ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

static int set_value(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

/* "* myContacts ::: Friends ::: * starred" or "Customers; VIP" → "Friends,starred". */
static int tags_text(const char *v, cl_buf *b)
{
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ";,:");
        char tag[256];
        snprintf(tag, sizeof tag, "%.*s", (int)(n < 255 ? n : 255), p);
        p += n;
        p += strspn(p, ";,: ");
        char *t = tag + strspn(tag, "* ");
        size_t k = strlen(t);
        while (k && t[k - 1] == ' ')
            t[--k] = 0;
        if (*t && strcasecmp(t, "myContacts"))
            join(b, ",", t);
    }
    return b->err ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

/* The given and family names as the columns give them (a middle name kept
 * with the given ones, as people write them). */
static int name_parts(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card)
{
    cl_buf given = {0}, family = {0};
    for (size_t j = 0; j < m->ncols; j++)
        if (m->cols[j].role == R_GIVEN || m->cols[j].role == R_MIDDLE)
            join(&given, " ", cell(c, r, j));
        else if (m->cols[j].role == R_FAMILY)
            join(&family, " ", cell(c, r, j));
    int rc = given.err || family.err ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
    if (!rc && given.len)
        rc = set_value(&card->values[CL_F_GIVEN_NAME], (const char *)given.data);
    if (!rc && family.len)
        rc = set_value(&card->values[CL_F_FAMILY_NAME], (const char *)family.data);
    cl_buf_free(&given), cl_buf_free(&family);
    return rc;
}

static int row_name(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card, cl_buf *name)
{
    /* the name as the program showed it, else built from its parts */
    static const role order[] = {R_GIVEN, R_MIDDLE, R_FAMILY, R_SUFFIX};
    for (size_t j = 0; j < m->ncols && !name->len; j++)
        if (m->cols[j].role == R_NAME)
            join(name, " ", cell(c, r, j));
    bool shown = name->len > 0;
    for (size_t i = 0; i < sizeof order / sizeof *order && !shown; i++)
        for (size_t j = 0; j < m->ncols; j++)
            if (m->cols[j].role == order[i])
                join(name, " ", cell(c, r, j));
    if (name->err)
        return cl_seterr(CL_ENOMEM, "out of memory");
    int rc = name_parts(m, c, r, card);
    if (rc)
        return rc;
    /* a nameless entry (Android's, an Evolution card) is named after what it has */
    const char *stand_in = card->company && *card->company ? card->company
                         : card->items[CL_F_EMAIL].n       ? card->items[CL_F_EMAIL].v[0].value
                         : card->items[CL_F_PHONE].n       ? card->items[CL_F_PHONE].v[0].value
                                                           : NULL;
    if (!name->len && stand_in) {
        int rc = add_warning(card, "a row without a name: named '%s' after its %s", stand_in,
                             stand_in == card->company ? "company" : "email or phone");
        if (rc || cl_buf_puts(name, stand_in))
            return rc ? rc : cl_seterr(CL_ENOMEM, "out of memory");
    }
    return set_value(&card->values[CL_F_NAME], name->len ? (const char *)name->data : "");
}

static int row_items(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card, cl_buf *notes)
{
    slot_acc *s = malloc((m->ncols ? m->ncols : 1) * sizeof *s); /* slot_for clears what it takes */
    size_t ns = 0;
    int rc = s ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && j < m->ncols; j++) {
        const col *k = &m->cols[j];
        const char *v = cell(c, r, j);
        if ((k->role != R_VALUE && k->role != R_LABEL && k->role != R_PART) || !*v)
            continue; /* an empty cell brings nothing (most of a Google row's 80) */
        slot_acc *a = slot_for(s, &ns, k);
        a->pref |= k->pref;
        a->label = a->label ? a->label : k->label;
        if (k->role == R_LABEL)
            a->label_cell = v;
        else if (k->role == R_PART)
            a->parts[k->part] = *v ? v : a->parts[k->part];
        else
            a->value = *v ? v : a->value;
    }
    bool have_pref[CL_F_MAX + 1] = {0};
    for (size_t i = 0; !rc && i < ns; i++) {
        cl_buf addr = {0};
        const char *v = s[i].value;
        if (!v && s[i].field == CL_F_ADDRESS) {
            rc = address_text(&s[i], &addr);
            v = addr.len ? (const char *)addr.data : NULL;
        }
        if (!rc && s[i].parts[P_CITY] && !card->values[CL_F_CITY]) /* the first address's city */
            rc = set_value(&card->values[CL_F_CITY], s[i].parts[P_CITY]);
        if (!rc && v)
            rc = add_values(card, &s[i], v, &have_pref[s[i].field], notes);
        cl_buf_free(&addr);
    }
    free(s);
    for (uint8_t f = 1; !rc && f <= CL_F_MAX; f++) /* the preferred item is also the field's value */
        for (size_t i = 0; !rc && i < card->items[f].n; i++)
            if (card->items[f].v[i].pref)
                rc = set_value(&card->values[f], card->items[f].v[i].value);
    return rc;
}

static int row_dates(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card)
{
    const char *y = NULL, *mo = NULL, *d = NULL;
    int rc = CL_OK;
    for (size_t j = 0; !rc && j < m->ncols; j++) {
        const char *v = cell(c, r, j);
        role k = m->cols[j].role;
        uint8_t f = m->cols[j].field;
        if (k == R_DATE && *v) {
            free(card->values[f]);
            if (!(card->values[f] = date_value(m, v)))
                rc = cl_seterr(CL_ENOMEM, "out of memory");
        }
        y = k == R_BYEAR && *v ? v : y, mo = k == R_BMONTH && *v ? v : mo, d = k == R_BDAY && *v ? v : d;
    }
    if (!rc && y && mo && d && !card->values[CL_F_BIRTHDAY]) { /* Thunderbird's three columns */
        char iso[40];
        snprintf(iso, sizeof iso, "%s-%02d-%02d", y, atoi(mo), atoi(d));
        rc = set_value(&card->values[CL_F_BIRTHDAY], iso);
    }
    return rc;
}

int csv_map_row(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card)
{
    memset(card, 0, sizeof *card);
    card->line = c->line[r];
    cl_buf notes = {0}, extra = {0}, name = {0}, tags = {0};
    int rc = CL_OK;
    for (size_t j = 0; !rc && j < m->ncols; j++) {
        const col *k = &m->cols[j];
        const char *v = cell(c, r, j);
        if (!*v)
            continue;
        if (k->role == R_COMPANY && !card->company)
            rc = set_value(&card->company, v);
        else if (k->role == R_TAGS)
            rc = tags_text(v, &tags);
        else if (k->role == R_FIELD && k->field == CL_F_NOTES)
            rc = join(&notes, "\n\n", v) ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
        else if (k->role == R_FIELD)
            rc = set_value(&card->values[k->field], v);
        else if (k->role == R_NOTE)
            rc = join(&extra, "\n", cl_csv_cell(c, 0, j)) || cl_buf_printf(&extra, ": %s", v)
                     ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
    }
    if (!rc)
        rc = row_items(m, c, r, card, &extra);
    if (!rc)
        rc = row_dates(m, c, r, card);
    if (!rc)
        rc = row_name(m, c, r, card, &name);
    if (!rc && tags.len)
        rc = set_value(&card->values[CL_F_TAGS], (const char *)tags.data);
    if (!rc && extra.len)
        rc = join(&notes, "\n\n", (const char *)extra.data) ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
    if (!rc && notes.len)
        rc = set_value(&card->values[CL_F_NOTES], (const char *)notes.data);
    cl_buf_free(&notes), cl_buf_free(&extra), cl_buf_free(&name), cl_buf_free(&tags);
    if (rc)
        imp_card_clear(card);
    return rc;
}
