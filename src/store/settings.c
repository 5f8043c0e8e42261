/* Local settings: the one owner of their keys in the meta table. */
#include "internal.h"

#include <string.h>

enum kind { TEXT, PORT };

static const struct {
    const char *key;
    size_t klen;
    enum kind kind;
} settings[] = {
#define KEY(s) s, sizeof s - 1
    [CL_SETTING_NAME] = {KEY("name"), TEXT},
    [CL_SETTING_LISTEN_PORT] = {KEY("listen_port"), PORT},
    [CL_SETTING_UI_ADDR] = {KEY("ui_addr"), TEXT},
    [CL_SETTING_CSRF_TOKEN] = {KEY("csrf_token"), TEXT},
#undef KEY
};

static int check(enum cl_setting key, enum kind kind)
{
    if ((unsigned)key >= sizeof settings / sizeof *settings || settings[key].kind != kind)
        return cl_seterr(CL_EINVAL, "setting %d is not of that kind", (int)key);
    return CL_OK;
}

int cl_txn_setting_text(cl_txn *t, enum cl_setting key, char *out, size_t cap)
{
    int rc = check(key, TEXT);
    if (rc)
        return rc;
    MDB_val v;
    if ((rc = st_get(t, DB_META, settings[key].key, settings[key].klen, &v)))
        return rc;
    if (v.mv_size >= cap || memchr(v.mv_data, 0, v.mv_size))
        return cl_seterr(CL_ECORRUPT, "the setting %s is damaged (%zu bytes)", settings[key].key, v.mv_size);
    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = 0;
    return CL_OK;
}

int cl_txn_setting_put_text(cl_txn *t, enum cl_setting key, const char *s)
{
    int rc = check(key, TEXT);
    if (rc)
        return rc;
    if (key == CL_SETTING_NAME && (!*s || !cl_name_valid(s, strlen(s))))
        return cl_seterr(CL_EINVAL, "a device name has 1 to %d characters on one line, without control characters",
                         CL_NAME_MAX);
    return st_put(t, DB_META, settings[key].key, settings[key].klen, s, strlen(s), 0);
}

int cl_txn_setting_port(cl_txn *t, uint16_t *port)
{
    MDB_val v;
    int rc = st_get(t, DB_META, settings[CL_SETTING_LISTEN_PORT].key, settings[CL_SETTING_LISTEN_PORT].klen, &v);
    if (rc)
        return rc;
    if (v.mv_size != 2)
        return cl_seterr(CL_ECORRUPT, "the setting listen_port is damaged (%zu bytes)", v.mv_size);
    const unsigned char *p = v.mv_data;
    *port = (uint16_t)(p[0] << 8 | p[1]);
    return CL_OK;
}

int cl_txn_setting_put_port(cl_txn *t, uint16_t port)
{
    unsigned char v[2] = {(unsigned char)(port >> 8), (unsigned char)port};
    return st_put(t, DB_META, settings[CL_SETTING_LISTEN_PORT].key, settings[CL_SETTING_LISTEN_PORT].klen, v, 2, 0);
}
