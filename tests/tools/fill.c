/* clientele-fill DIR N — create N contacts of 8 fields (the W1 shape) in the
 * data folder DIR, 10,000 records per transaction. For tests that need a big
 * book quickly; prints the time taken. */
#include "clientele/model.h"
#include "clientele/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fill {
    long from, to;
};

/* "<field>-<r>-xxx…" of the field's width; an email ends in "@e.u" and a
 * phone's letters are digits, as a peer's check of every value requires. */
static void value(char *out, size_t width, const char *field, long r)
{
    int n = snprintf(out, width + 1, "%s-%ld-", field, r);
    for (size_t i = (size_t)n; i < width; i++)
        out[i] = 'x';
    out[width] = 0;
    if (!strcmp(field, "email"))
        memcpy(out + width - 4, "@e.u", 4);
    for (size_t i = 0; !strcmp(field, "phone") && i < width; i++)
        if (out[i] >= 'a' && out[i] <= 'w')
            out[i] = (char)('0' + out[i] % 10);
}

static int fill_fn(cl_txn *t, void *arg)
{
    struct fill *f = arg;
    static const struct { const char *name; uint8_t id; size_t width; } F[] = {
        /* in field order, as cl_record_put writes them */
        {"name", CL_F_NAME, 16}, {"email", CL_F_EMAIL, 24}, {"phone", CL_F_PHONE, 12},
        {"address", CL_F_ADDRESS, 16}, {"notes", CL_F_NOTES, 100}, {"tags", CL_F_TAGS, 16},
        {"title", CL_F_TITLE, 16}, {"city", CL_F_CITY, 12},
    };
    char v[128];
    for (long r = f->from; r < f->to; r++) {
        cl_record_id id;
        int rc = cl_record_id_new(&id);
        for (size_t i = 0; !rc && i < sizeof F / sizeof F[0]; i++) {
            value(v, F[i].width, F[i].name, r);
            rc = cl_txn_write(t, &id, CL_T_CONTACT, F[i].id, v, F[i].width);
        }
        if (rc)
            return rc;
    }
    return CL_OK;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: clientele-fill DIR N\n");
        return 2;
    }
    long n = atol(argv[2]);
    mkdir(argv[1], 0700);
    cl_identity *me;
    cl_store *s;
    if (cl_identity_load(argv[1], true, &me) || cl_book_open(argv[1], cl_identity_device(me), &s)) {
        fprintf(stderr, "clientele-fill: %s\n", cl_errmsg());
        return 1;
    }
    uint64_t start = cl_mono_ms();
    for (long from = 0; from < n; from += 10000) {
        struct fill f = {from, from + 10000 < n ? from + 10000 : n};
        if (cl_store_update(s, fill_fn, &f)) {
            fprintf(stderr, "clientele-fill: %s\n", cl_errmsg());
            return 1;
        }
    }
    printf("%ld records in %llu ms\n", n, (unsigned long long)(cl_mono_ms() - start));
    cl_store_close(s);
    cl_identity_free(me);
    return 0;
}
