/* Global options, the data folder, dispatch to commands, exit codes. */
#include "cli/cli.h"

#include <errno.h>
#include <lmdb.h>
#include <civetweb.h>
#include <mbedtls/version.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CLIENTELE_VERSION
#define CLIENTELE_VERSION "dev"
#endif

static const cli_cmd *const TABLES[] = {cli_device_cmds, cli_record_cmds, cli_sync_cmds, cli_io_cmds, cli_serve_cmds};

const cli_cmd *cli_find(const char *name)
{
    for (size_t t = 0; t < sizeof TABLES / sizeof *TABLES; t++)
        for (const cli_cmd *c = TABLES[t]; c->name; c++)
            if (!strcmp(c->name, name))
                return c;
    return NULL;
}

int cli_fail(void)
{
    /* the message may quote another device (its ERROR frame, its name) */
    cl_buf b = {0};
    const char *m = cl_errmsg();
    bool ok = cl_escape_controls(&b, m, strlen(m), false) == CL_OK;
    fprintf(stderr, "clientele: %s\n", ok ? (const char *)b.data : "out of memory");
    cl_buf_free(&b);
    return EXIT_FAIL;
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "clientele: %s (usage: clientele %s)\n", msg, cmd->usage);
    else
        fprintf(stderr, "clientele: %s (see clientele --help)\n", msg);
    return EXIT_USAGE;
}

static void print_help(const cli_cmd *cmd)
{
    printf("usage: clientele [--data DIR] %s\n\n%s\n", cmd->usage, cmd->help);
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts,
              const char **pos, int maxpos, int *npos)
{
    *npos = 0;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || strncmp(a, "--", 2) || !a[2]) {
            if (!only_pos && !strcmp(a, "--")) {
                only_pos = true;
                continue;
            }
            if (*npos == maxpos)
                return cli_usage(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const cli_opt *o = opts;
        while (o && o->name && (strlen(o->name) != len || strncmp(o->name, a + 2, len)))
            o++;
        if (!o || !o->name)
            return cli_usage(cmd, "unknown option '%.*s'", (int)len + 2, a);
        if (o->flag) {
            if (eq)
                return cli_usage(cmd, "option --%s takes no value", o->name);
            *o->flag = true;
        } else if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            return cli_usage(cmd, "option --%s needs a value", o->name);
        }
    }
    return EXIT_OK;
}

int cli_parse_record_id(const cli_cmd *cmd, const char *text, cl_record_id *id)
{
    if (cl_record_id_parse(text, id))
        return cli_usage(cmd, "%s", cl_errmsg());
    return EXIT_OK;
}

/* The data folder: --data, else $CLIENTELE_DATA, else $XDG_DATA_HOME/clientele,
 * else ~/.local/share/clientele. */
static int resolve_dir(const char *opt, char out[4096])
{
    const char *env = getenv("CLIENTELE_DATA"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (opt && *opt)
        snprintf(out, 4096, "%s", opt);
    else if (env && *env)
        snprintf(out, 4096, "%s", env);
    else if (xdg && *xdg)
        snprintf(out, 4096, "%s/clientele", xdg);
    else if (home && *home)
        snprintf(out, 4096, "%s/.local/share/clientele", home);
    else
        return cl_seterr(CL_EINVAL, "no data folder: set --data, CLIENTELE_DATA or HOME");
    return CL_OK;
}

/* mkdir -p, the last component owner-only. */
static int make_dirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return cl_seterr(CL_EIO, "cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST)
        return cl_seterr(CL_EIO, "cannot create %s: %s", tmp, strerror(errno));
    struct stat st;
    if (stat(tmp, &st) || !S_ISDIR(st.st_mode))
        return cl_seterr(CL_EIO, "%s is not a folder", tmp);
    if (st.st_uid != geteuid())
        return cl_seterr(CL_EDENIED, "%s belongs to another user", tmp);
    /* The folder holds the private key and the whole book: owner-only. */
    if (st.st_mode & 077)
        return cl_seterr(CL_EDENIED, "%s can be read or written by other users (mode %04o): run 'chmod 700 %s'",
                         tmp, (unsigned)(st.st_mode & 07777), tmp);
    return CL_OK;
}

static int open_store(cli *c)
{
    int rc = make_dirs(c->dir);
    /* A new key only for a new folder: next to an existing book a missing
     * key is damage to report, not a reason to become another device. */
    char db[PATH_MAX + 16], key[PATH_MAX + 16];
    snprintf(db, sizeof db, "%s/data.mdb", c->dir);
    snprintf(key, sizeof key, "%s/key.pem", c->dir);
    bool fresh = access(db, F_OK) != 0;
    /* The reverse: a key without its book. A new book under the old key would
     * number this device's edits from 1 again, numbers its peers already hold
     * (they would ignore the new edits as known). */
    if (!rc && fresh && access(key, F_OK) == 0)
        return cl_seterr(CL_ENOTFOUND, "%s/data.mdb is missing next to this device's key: restore it from a backup "
                         "of the folder; or, to start afresh as a new device, move key.pem and cert.pem away "
                         "(then pair the new device again)", c->dir);
    if (!rc && (rc = cl_identity_load(c->dir, fresh, &c->ident)) == CL_ENOTFOUND && !fresh)
        rc = cl_seterr(CL_ENOTFOUND, "%s holds a book but its device key key.pem is missing: restore key.pem "
                       "from a backup of this folder", c->dir);
    if (!rc)
        rc = cl_book_open(c->dir, cl_identity_device(c->ident), &c->store);
    if (!rc && cl_store_open_notice(c->store)) /* the one line a restored or copied folder owes its user */
        fprintf(stderr, "clientele: note: %s\n", cl_store_open_notice(c->store));
    return rc;
}

/* Commands that only read the book: on a folder that does not exist they
 * would create a new device and answer for an empty book, which hides a
 * mistyped --data. Every other command may create the folder (first use). */
static int check_reader(const cli_cmd *cmd, const char *dir)
{
    static const char *const readers[] = {"get", "list", "history", "due", "related", "recent", "today", "digest", "export", NULL};
    struct stat st;
    for (const char *const *r = readers; *r; r++)
        if (!strcmp(cmd->name, *r) && stat(dir, &st) && errno == ENOENT)
            return cl_seterr(CL_ENOTFOUND, "no data folder at %s: check --data or $CLIENTELE_DATA "
                             "('clientele init' creates one)", dir);
    return CL_OK;
}

static void close_store(cli *c)
{
    cl_store_close(c->store);
    cl_identity_free(c->ident);
}

static void print_overview(void)
{
    printf("usage: clientele [--data DIR] COMMAND [ARGS…]\n\n"
           "An offline-first client book that syncs between your devices.\n"
           "Data folder: --data, else $CLIENTELE_DATA, else $XDG_DATA_HOME/clientele\n"
           "(~/.local/share/clientele).\n\ncommands:\n");
    for (size_t t = 0; t < sizeof TABLES / sizeof *TABLES; t++)
        for (const cli_cmd *c = TABLES[t]; c->name; c++)
            printf("  %s\n", c->usage);
    printf("\n'clientele help COMMAND' or 'clientele COMMAND --help' tells more.\n"
           "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static void print_version(void)
{
    char mbed[32];
    mbedtls_version_get_string(mbed);
    printf("clientele %s (LMDB %d.%d.%d, mbedTLS %s, civetweb %s, cJSON %s)\n", CLIENTELE_VERSION,
           MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, mbed, mg_version(), cJSON_Version());
}

int cli_main(int argc, char **argv)
{
    const char *data = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_overview();
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            print_version();
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            data = argv[++i];
        } else if (!strncmp(argv[i], "--data=", 7)) {
            data = argv[i] + 7;
        } else {
            return cli_usage(NULL, "unknown option '%s'", argv[i]);
        }
    }
    if (i == argc)
        return cli_usage(NULL, "no command given");
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        const cli_cmd *cmd = i + 1 < argc ? cli_find(argv[i + 1]) : NULL;
        if (i + 1 < argc && !cmd)
            return cli_usage(NULL, "unknown command '%s'", argv[i + 1]);
        if (cmd)
            print_help(cmd);
        else
            print_overview();
        return EXIT_OK;
    }
    const cli_cmd *cmd = cli_find(name);
    if (!cmd)
        return cli_usage(NULL, "unknown command '%s'", name);
    for (int k = i + 1; k < argc; k++)
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
            print_help(cmd);
            return EXIT_OK;
        }
    cli c = {0};
    if (resolve_dir(data, c.dir) || check_reader(cmd, c.dir))
        return cli_fail();
    if (cmd->needs_store && open_store(&c)) {
        close_store(&c);
        return cli_fail();
    }
    int rc = cmd->run(&c, argc - i, argv + i);
    close_store(&c);
    return rc;
}

/* ----- text output for people (cli_text_stdout) ----- */

/* A 0xC2 at the end of one write may start a C1 control that the next
 * write ends: it waits for it. */
typedef struct text_out {
    bool held;
} text_out;

static bool write_fd(const unsigned char *p, size_t n)
{
    while (n) { /* bounded: each round writes at least a byte or gives up */
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static ssize_t text_write(void *cookie, const char *buf, size_t n)
{
    text_out *t = cookie;
    cl_buf in = {0}, out = {0};
    int rc = cl_buf_put(&in, t->held ? "\xc2" : "", t->held);
    if (!rc)
        rc = cl_buf_put(&in, buf, n);
    t->held = !rc && in.len && in.data[in.len - 1] == 0xC2;
    if (!rc)
        rc = cl_escape_controls(&out, (const char *)in.data, in.len - t->held, true);
    bool ok = !rc && write_fd(out.data, out.len);
    cl_buf_free(&in);
    cl_buf_free(&out);
    return ok ? (ssize_t)n : -1;
}

static int text_close(void *cookie)
{
    text_out *t = cookie;
    return !t->held || write_fd((const unsigned char *)"\xc2", 1) ? 0 : -1;
}

void cli_text_stdout(void)
{
    /* static: exit() flushes the stream but never closes it (a held 0xC2
     * cannot end valid UTF-8, so nothing is lost) */
    static text_out state;
    static bool done;
    if (done)
        return;
    cookie_io_functions_t fns = {.write = text_write, .close = text_close};
    FILE *f = fopencookie(&state, "w", fns);
    if (!f)
        return;
    fflush(stdout);
    stdout = f;
    done = true;
}
