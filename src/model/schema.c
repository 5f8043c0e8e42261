/* The record types and their fields: the contract of DESIGN §1. */
#include "clientele/model.h"

#include <string.h>

static const char *const KINDS[] = {"call", "meeting", "email", "lunch", "note", NULL};
static const char *const STAGES[] = {"lead", "proposal", "negotiation", "won", "lost", NULL};

#define TXT(n, id, max) {n, id, CL_K_TEXT, 0, false, max, NULL}
#define REQ(n, id, max) {n, id, CL_K_TEXT, 0, true, max, NULL}
#define KIND(n, id, k) {n, id, k, 0, false, 256, NULL}
#define REF(n, id, t) {n, id, CL_K_REF, t, false, 64, NULL}

static const cl_field_def COMPANY[] = {
    REQ("name", CL_F_NAME, 200), TXT("industry", CL_F_INDUSTRY, 200),
    KIND("website", CL_F_WEBSITE, CL_K_URL), KIND("email", CL_F_EMAIL, CL_K_EMAIL),
    KIND("phone", CL_F_PHONE, CL_K_PHONE), TXT("address", CL_F_ADDRESS, 1000),
    TXT("city", CL_F_CITY, 200), TXT("notes", CL_F_NOTES, 20000),
    {"tags", CL_F_TAGS, CL_K_TAGS, 0, false, 1000, NULL},
};

static const cl_field_def CONTACT[] = {
    REQ("name", CL_F_NAME, 200), TXT("title", CL_F_TITLE, 200),
    REF("company", CL_F_COMPANY, CL_T_COMPANY), KIND("email", CL_F_EMAIL, CL_K_EMAIL),
    KIND("phone", CL_F_PHONE, CL_K_PHONE), TXT("address", CL_F_ADDRESS, 1000),
    TXT("city", CL_F_CITY, 200), KIND("birthday", CL_F_BIRTHDAY, CL_K_DATE),
    TXT("notes", CL_F_NOTES, 20000), {"tags", CL_F_TAGS, CL_K_TAGS, 0, false, 1000, NULL},
    REF("referred_by", CL_F_REFERRED_BY, CL_T_CONTACT),
};

static const cl_field_def INTERACTION[] = {
    {"kind", CL_F_KIND, CL_K_ENUM, 0, true, 16, KINDS},
    KIND("date", CL_F_DATE, CL_K_DATETIME), REQ("summary", CL_F_SUMMARY, 20000),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT), REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("deal", CL_F_DEAL, CL_T_DEAL),
};

static const cl_field_def TASK[] = {
    REQ("title", CL_F_TITLE, 500), KIND("due", CL_F_DUE, CL_K_DATE), KIND("done", CL_F_DONE, CL_K_BOOL),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT), REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("deal", CL_F_DEAL, CL_T_DEAL), TXT("notes", CL_F_NOTES, 20000),
};

static const cl_field_def DEAL[] = {
    REQ("title", CL_F_TITLE, 500), REF("company", CL_F_COMPANY, CL_T_COMPANY),
    REF("contact", CL_F_CONTACT, CL_T_CONTACT), {"stage", CL_F_STAGE, CL_K_ENUM, 0, false, 16, STAGES},
    KIND("amount", CL_F_AMOUNT, CL_K_DECIMAL), KIND("currency", CL_F_CURRENCY, CL_K_CURRENCY),
    KIND("close_date", CL_F_CLOSE_DATE, CL_K_DATE), KIND("promised_by", CL_F_PROMISED_BY, CL_K_DATE),
    TXT("notes", CL_F_NOTES, 20000),
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

_Static_assert(CL_F_MAX < 32, "field numbers must fit a 32-bit mask");

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
        if (!strcmp(f[i].name, name))
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
