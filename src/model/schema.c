/* The record types and their fields: the contract of DESIGN §1. */
#include "clientele/model.h"

#include <string.h>

static const char *const KINDS[] = {"call", "meeting", "email", "lunch", "note", NULL};
static const char *const STAGES[] = {"lead", "proposal", "negotiation", "won", "lost", NULL};

/* One line per field: name, number, kind, then what sets it apart. */
#define F(n, id_, k, max, ...) {.name = n, .id = id_, .kind = k, .max_len = max, __VA_ARGS__}
#define TEXT(n, id_, max, ...) F(n, id_, CL_K_TEXT, max, __VA_ARGS__)
#define REF(n, id_, t) F(n, id_, CL_K_REF, 64, .ref_type = t)
#define LABEL .required = true, .searchable = true
#define SEARCH .searchable = true
#define LONG .searchable = true, .multiline = true
/* several labelled items, `list` naming them all; max is each item's */
#define ITEMS(l) .searchable = true, .multi = true, .list = l

static const cl_field_def COMPANY[] = {
    TEXT("name", CL_F_NAME, 200, LABEL),
    TEXT("industry", CL_F_INDUSTRY, 200, SEARCH),
    F("website", CL_F_WEBSITE, CL_K_URL, 256, SEARCH),
    F("email", CL_F_EMAIL, CL_K_EMAIL, 256, ITEMS("emails")),
    F("phone", CL_F_PHONE, CL_K_PHONE, 256, ITEMS("phones")),
    TEXT("address", CL_F_ADDRESS, 1000, ITEMS("addresses"), .multiline = true),
    TEXT("city", CL_F_CITY, 200, SEARCH),
    TEXT("notes", CL_F_NOTES, 20000, LONG),
    F("tags", CL_F_TAGS, CL_K_TAGS, 1000, SEARCH),
    /* keep in touch at least every so many days (the today view's reminder) */
    F("cadence", CL_F_CADENCE, CL_K_DAYS, 16),
};

static const cl_field_def CONTACT[] = {
    TEXT("name", CL_F_NAME, 200, LABEL),
    TEXT("title", CL_F_TITLE, 200, SEARCH),
    REF("company", CL_F_COMPANY, CL_T_COMPANY),
    F("email", CL_F_EMAIL, CL_K_EMAIL, 256, ITEMS("emails")),
    F("phone", CL_F_PHONE, CL_K_PHONE, 256, ITEMS("phones")),
    TEXT("address", CL_F_ADDRESS, 1000, ITEMS("addresses"), .multiline = true),
    TEXT("city", CL_F_CITY, 200, SEARCH),
    F("birthday", CL_F_BIRTHDAY, CL_K_DATE, 256),
    TEXT("notes", CL_F_NOTES, 20000, LONG),
    F("tags", CL_F_TAGS, CL_K_TAGS, 1000, SEARCH),
    REF("referred_by", CL_F_REFERRED_BY, CL_T_CONTACT),
    /* what address books hold besides (after the contract's fields, so that a
     * CSV export keeps its first columns): the name's parts as the source gave
     * them (vCard N), and the web profiles (LinkedIn, a personal site) */
    TEXT("nickname", CL_F_NICKNAME, 200, SEARCH),
    TEXT("given_name", CL_F_GIVEN_NAME, 200),
    TEXT("family_name", CL_F_FAMILY_NAME, 200),
    TEXT("department", CL_F_DEPARTMENT, 200, SEARCH),
    F("anniversary", CL_F_ANNIVERSARY, CL_K_DATE, 256),
    F("profile", CL_F_PROFILE, CL_K_URL, 1000, ITEMS("profiles")),
    F("cadence", CL_F_CADENCE, CL_K_DAYS, 16),
};

static const cl_field_def INTERACTION[] = {
    F("kind", CL_F_KIND, CL_K_ENUM, 16, .required = true, .choices = KINDS),
    F("date", CL_F_DATE, CL_K_DATETIME, 256),
    TEXT("summary", CL_F_SUMMARY, 20000, LABEL, .multiline = true),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT),
    REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("deal", CL_F_DEAL, CL_T_DEAL),
};

static const cl_field_def TASK[] = {
    TEXT("title", CL_F_TITLE, 500, LABEL),
    F("due", CL_F_DUE, CL_K_DATE, 256),
    F("done", CL_F_DONE, CL_K_BOOL, 256),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT),
    REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("deal", CL_F_DEAL, CL_T_DEAL),
    TEXT("notes", CL_F_NOTES, 20000, LONG),
};

static const cl_field_def DEAL[] = {
    TEXT("title", CL_F_TITLE, 500, LABEL),
    REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT),
    F("stage", CL_F_STAGE, CL_K_ENUM, 16, .choices = STAGES),
    F("amount", CL_F_AMOUNT, CL_K_DECIMAL, 256),
    F("currency", CL_F_CURRENCY, CL_K_CURRENCY, 256),
    F("close_date", CL_F_CLOSE_DATE, CL_K_DATE, 256),
    F("promised_by", CL_F_PROMISED_BY, CL_K_DATE, 256),
    TEXT("notes", CL_F_NOTES, 20000, LONG),
};

#define N(a) (sizeof a / sizeof a[0])

static const struct {
    const char *name;
    const cl_field_def *fields;
    size_t n;
    uint8_t label;
} TYPES[] = {
    [CL_T_COMPANY] = {"company", COMPANY, N(COMPANY), CL_F_NAME},
    [CL_T_CONTACT] = {"contact", CONTACT, N(CONTACT), CL_F_NAME},
    [CL_T_INTERACTION] = {"interaction", INTERACTION, N(INTERACTION), CL_F_SUMMARY},
    [CL_T_TASK] = {"task", TASK, N(TASK), CL_F_TITLE},
    [CL_T_DEAL] = {"deal", DEAL, N(DEAL), CL_F_TITLE},
};

_Static_assert((int)CL_F_MAX < (int)CL_F_LIMIT, "field numbers must stay below the store's limit");

static const char *const KIND_NAMES[] = {
    [CL_K_TEXT] = "text", [CL_K_DATE] = "date", [CL_K_DATETIME] = "datetime", [CL_K_BOOL] = "bool",
    [CL_K_ENUM] = "enum", [CL_K_REF] = "ref", [CL_K_DECIMAL] = "decimal", [CL_K_CURRENCY] = "currency",
    [CL_K_TAGS] = "tags", [CL_K_EMAIL] = "email", [CL_K_URL] = "url", [CL_K_PHONE] = "phone", [CL_K_DAYS] = "days",
};

const char *cl_kind_name(uint8_t kind)
{
    return kind < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[kind] : "text";
}

const char *cl_type_name(uint8_t type)
{
    return type >= 1 && type <= CL_T_MAX ? TYPES[type].name : NULL;
}

int cl_type_parse(const char *name, uint8_t *type)
{
    for (uint8_t t = 1; t <= CL_T_MAX; t++)
        if (!strcmp(name, TYPES[t].name)) {
            *type = t;
            return CL_OK;
        }
    return cl_seterr(CL_EINVAL, "unknown type '%s' (one of company, contact, interaction, task, deal)", name);
}

const cl_field_def *cl_type_fields(uint8_t type, size_t *n)
{
    if (!cl_type_name(type)) {
        *n = 0;
        return NULL;
    }
    *n = TYPES[type].n;
    return TYPES[type].fields;
}

const cl_field_def *cl_field_lookup(uint8_t type, const char *name)
{
    size_t n;
    const cl_field_def *f = cl_type_fields(type, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].name, name) || (f[i].list && !strcmp(f[i].list, name)))
            return &f[i];
    return NULL;
}

const cl_field_def *cl_field_by_id(uint8_t type, uint8_t field)
{
    size_t n;
    const cl_field_def *f = cl_type_fields(type, &n);
    for (size_t i = 0; i < n; i++)
        if (f[i].id == field)
            return &f[i];
    return NULL;
}

uint8_t cl_type_label_field(uint8_t type)
{
    return cl_type_name(type) ? TYPES[type].label : CL_F_NAME;
}
