/* check-w1-json FILE N — the JSON that `clientele-bench w1 --json` writes has
 * the shape issue 8 fixes (checks outside our tests read it), the record count
 * asked for, and "converged":true. Shape only: no timing is asserted. */
#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *what)
{
    fprintf(stderr, "check-w1-json: %s\n", what);
    return 1;
}

/* obj.key is a number >= 0 (> 0 when positive). */
static int number(const cJSON *obj, const char *key, int positive)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v)) {
        fprintf(stderr, "check-w1-json: \"%s\" is missing or not a number\n", key);
        return 1;
    }
    if (v->valuedouble < 0 || (positive && v->valuedouble <= 0)) {
        fprintf(stderr, "check-w1-json: \"%s\" is %g\n", key, v->valuedouble);
        return 1;
    }
    return 0;
}

static const cJSON *object(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsObject(v))
        fprintf(stderr, "check-w1-json: \"%s\" is missing or not an object\n", key);
    return cJSON_IsObject(v) ? v : NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return bad("usage: check-w1-json FILE N");
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return bad("cannot open the file");
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root))
        return bad("not a JSON object");
    int err = 0;
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(root, "records");
    if (!cJSON_IsNumber(records) || records->valuedouble != atof(argv[2]))
        err |= bad("\"records\" is not the count asked for");
    const cJSON *load = object(root, "load"), *full = object(root, "full_sync"),
                *delta = object(root, "delta_sync"), *noop = object(root, "noop_sync");
    if (!load || !full || !delta || !noop) {
        cJSON_Delete(root);
        return 1;
    }
    err |= number(load, "ms", 1) | number(load, "ops_per_s", 1);
    err |= number(full, "ms", 1) | number(full, "bytes", 1);
    err |= number(delta, "ms", 1) | number(delta, "bytes", 1);
    err |= number(noop, "ms", 1);
    err |= number(root, "peak_private_mb", 1) | number(root, "disk_bytes", 1);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(delta, "converged")))
        err |= bad("\"delta_sync\".\"converged\" is not true");
    cJSON_Delete(root);
    if (!err)
        printf("ok - %s has the W1 shape and converged\n", argv[1]);
    return err;
}
