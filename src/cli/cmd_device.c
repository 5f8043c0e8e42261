/* init, id: this device. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

struct name_arg {
    const char *name;
};

static int set_name(cl_txn *t, void *arg)
{
    const struct name_arg *a = arg;
    return cl_txn_setting_put_text(t, CL_SETTING_NAME, a->name);
}

static int cmd_init(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("init");
    const char *name = NULL;
    const cli_opt opts[] = {{"name", &name, NULL}, {0}};
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    if (name) {
        if (!*name || !cl_name_valid(name, strlen(name)))
            return cli_usage(cmd, "--name needs a name of 1 to %d characters on one line, without control characters",
                             CL_NAME_MAX);
        struct name_arg a = {name};
        if (cl_store_update(c->store, set_name, &a))
            return cli_fail();
    }
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(cl_identity_device(c->ident), id);
    puts(id);
    return EXIT_OK;
}

static int cmd_id(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("id");
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 0, &npos);
    if (rc)
        return rc;
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(cl_identity_device(c->ident), id);
    puts(id);
    return EXIT_OK;
}

const cli_cmd cli_device_cmds[] = {
    {"init", "init [--name NAME]",
     "Create the data folder, this device's key and certificate (once; running it again\n"
     "changes nothing but the name) and print the device id.",
     cmd_init, true},
    {"id", "id", "Print this device's id, the string another device pairs with.", cmd_id, true},
    {0},
};
