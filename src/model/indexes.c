/* What the store indexes for the model, derived from the schema table, and
 * opening a book with it. The store knows no field: this spec tells it which
 * fields go into the search text, which hold references, and which ordered
 * keys the queries of query.c walk. */
#include "model/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A due date is YYYY-MM-DD: its 10 bytes order it (the store's default key).
 * The key functions below give 1 (the key is in out), 0 (no key: left out
 * of the order) or an error. */

/* An interaction's date: the UTC second it names, so that "10:00+02:00"
 * sorts before "09:30Z"; a date alone is its midnight UTC. */
static int utc_key(const char *v, size_t len, unsigned char *out)
{
    char s[64];
    if (len < 10 || len >= sizeof s)
        return 0;
    memcpy(s, v, len);
    s[len] = 0;
    struct tm tm = {0};
    int off_h = 0, off_m = 0, n = 0;
    char sign = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
        return 0;
    const char *p = s + n;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &k) != 2)
            return 0;
        p += 1 + k;
        if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_sec, &k) == 1)
            p += 1 + k;
        while (*p == '.' || (*p >= '0' && *p <= '9'))
            p++;
        if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &off_h, &off_m) == 2)
            sign = *p;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t t = (int64_t)timegm(&tm);
    int64_t off = (int64_t)(off_h * 3600 + off_m * 60);
    t += sign == '+' ? -off : sign == '-' ? off : 0;
    cl_be64_put(out, (uint64_t)t ^ (1ull << 63)); /* before 1970 sorts first too */
    return 1;
}

/* A birthday's month and day ("03-14" of "1980-03-14"): the order of the year. */
static int month_day_key(const char *v, size_t len, unsigned char *out)
{
    if (len < 10 || v[4] != '-' || v[7] != '-')
        return 0;
    memcpy(out, v + 5, 5);
    return 1;
}

/* Every record with the field set, in id order (open deals, records with a
 * cadence): the index is the set. */
static int any_key(const char *v, size_t len, unsigned char *out)
{
    (void)v, (void)len;
    out[0] = 0;
    return 1;
}

/* A name's place in the lists: its folded text's first CL_NAME_KEY bytes
 * ("Ångström" files under "angstrom"), a shorter one padded with zeros so
 * that "ana" comes before "ana maria". Only the name's first NAME_FOLD bytes
 * are folded (cut at a character), into a buffer on the stack: this runs for
 * every contact written, and a malloc per name cost W1's load a third. */
#define NAME_FOLD (4 * CL_NAME_KEY)

static int name_key(const char *v, size_t len, unsigned char *out)
{
    if (len > NAME_FOLD) {
        len = NAME_FOLD;
        while (len && ((unsigned char)v[len] & 0xC0) == 0x80)
            len--; /* not inside a character */
    }
    /* folding never more than doubles a text (ß → ss): room enough that the
     * buffer never grows, so it is never freed either */
    unsigned char room[2 * NAME_FOLD + 8];
    cl_buf f = {.data = room, .cap = sizeof room};
    int rc = cl_fold(&f, v, len);
    if (rc)
        return rc;
    memcpy(out, f.data, f.len < CL_NAME_KEY ? f.len : CL_NAME_KEY);
    return 1;
}

static cl_index_spec SPEC;

static void spec_build(void)
{
    SPEC.name = "clientele model 2"; /* 2: the reference index also holds references of once */
    SPEC.max_type = CL_T_MAX;
    for (uint8_t t = 1; t <= CL_T_MAX; t++) {
        size_t n;
        const cl_field_def *f = cl_type_fields(t, &n);
        for (size_t i = 0; i < n; i++) {
            if (f[i].searchable)
                SPEC.search[t] |= 1ull << f[i].id;
            if (f[i].kind == CL_K_REF)
                SPEC.refs[t] |= 1ull << f[i].id;
        }
    }
    SPEC.orders[ORDER_DUE] = (cl_order_spec){CL_T_TASK, CL_F_DUE, CL_F_DONE, {"true"}, 10, NULL};
    SPEC.orders[ORDER_INTERACTIONS] = (cl_order_spec){CL_T_INTERACTION, CL_F_DATE, 0, {NULL}, 8, utc_key};
    SPEC.orders[ORDER_BIRTHDAYS] = (cl_order_spec){CL_T_CONTACT, CL_F_BIRTHDAY, 0, {NULL}, 5, month_day_key};
    SPEC.orders[ORDER_ANNIVERSARIES] = (cl_order_spec){CL_T_CONTACT, CL_F_ANNIVERSARY, 0, {NULL}, 5, month_day_key};
    SPEC.orders[ORDER_PROMISES] = (cl_order_spec){CL_T_DEAL, CL_F_PROMISED_BY, CL_F_STAGE, {"won", "lost"}, 10, NULL};
    SPEC.orders[ORDER_OPEN_DEALS] = (cl_order_spec){CL_T_DEAL, CL_F_STAGE, CL_F_STAGE, {"won", "lost"}, 1, any_key};
    SPEC.orders[ORDER_CADENCE_CONTACTS] = (cl_order_spec){CL_T_CONTACT, CL_F_CADENCE, 0, {NULL}, 1, any_key};
    SPEC.orders[ORDER_CADENCE_COMPANIES] = (cl_order_spec){CL_T_COMPANY, CL_F_CADENCE, 0, {NULL}, 1, any_key};
    SPEC.orders[ORDER_COMPANY_NAMES] = (cl_order_spec){CL_T_COMPANY, CL_F_NAME, 0, {NULL}, CL_NAME_KEY, name_key};
    SPEC.orders[ORDER_CONTACT_NAMES] = (cl_order_spec){CL_T_CONTACT, CL_F_NAME, 0, {NULL}, CL_NAME_KEY, name_key};
    SPEC.norders = ORDER_COUNT;
}

const cl_index_spec *cl_model_indexes(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, spec_build);
    return &SPEC;
}

int cl_book_open(const char *dir, const cl_device_id *self, cl_store **out)
{
    return cl_store_open(dir, self, cl_model_indexes(), out);
}
