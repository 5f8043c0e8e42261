/* HTTP API bodies: what POST /api/records and PATCH /api/records/ID do with
 * the bytes of a request body (src/http/api.c keeps its helpers private, so
 * this follows the same steps through the public API): cJSON parses the
 * body, {"type","fields"} is read by cl_json_assigns, and the assignments
 * are validated and stored by cl_record_put into a scratch store. A refused
 * body must leave the store as it was. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, 0, size))  /* the server refuses a NUL in a body first */
        return 0;
    char *body = fuzz_cstr(data, size);
    /* as the server does: depth and \u0000 first, then cJSON */
    cJSON *o = cl_json_check(body, size) ? NULL : cJSON_ParseWithLengthOpts(body, size + 1, NULL, true);
    if (!cJSON_IsObject(o))
        goto out;
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(o, "fields");
    uint8_t type = CL_T_CONTACT;
    if (cJSON_IsString(jt) && cl_type_parse(jt->valuestring, &type))
        goto out;
    cl_assign *a = NULL;
    size_t n = 0;
    if (jf && cl_json_assigns(type, jf, &a, &n) == CL_OK) {
        cl_store *s = fuzz_store();
        cl_record_id id;
        uint64_t before = fuzz_op_count(s);
        int rc = cl_record_put(s, type, NULL, a, n, &id);
        if (rc) {
            if (fuzz_op_count(s) != before)
                abort();
        } else {
            /* the PATCH of the same fields again, then read it back as the API does */
            if (cl_record_put(s, type, &id, a, n, NULL))
                abort();
            cl_txn *t;
            cl_record *r;
            if (cl_store_read(s, &t) || cl_record_load(t, &id, &r))
                abort();
            /* what was stored is text (an empty tag list once stored heap garbage) */
            for (int f = 0; f <= CL_F_MAX; f++)
                if (r->values[f] && !cl_utf8_valid(r->values[f], strlen(r->values[f])))
                    abort();
            cJSON *j = cl_json_record(r);
            char *text = j ? cJSON_PrintUnformatted(j) : NULL;
            cJSON_free(text);
            cJSON_Delete(j);
            cl_record_free(r);
            cl_txn_end(t);
        }
        fuzz_store_tick();
    }
    cl_assigns_free(a, n);
out:
    cJSON_Delete(o);
    free(body);
    return 0;
}
