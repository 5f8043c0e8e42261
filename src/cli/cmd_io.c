/* import, export, merge. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum io_format { F_NONE, F_VCARD, F_CSV, F_JSON };

static enum io_format format_named(const char *s)
{
    if (!strcasecmp(s, "vcard") || !strcasecmp(s, "vcf"))
        return F_VCARD;
    if (!strcasecmp(s, "csv"))
        return F_CSV;
    if (!strcasecmp(s, "json"))
        return F_JSON;
    return F_NONE;
}

static enum io_format format_of_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return F_NONE;
    return !strcasecmp(dot, ".vcard") ? F_VCARD : format_named(dot + 1);
}

/* The whole file in memory ("-": standard input): imports validate
 * everything before storing. */
static int read_file(const char *path, char **data, size_t *len)
{
    bool in = !strcmp(path, "-");
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f)
        return cl_seterr(CL_EIO, "cannot read %s: %s", path, strerror(errno));
    if (in)
        path = "standard input";
    cl_buf b = {0};
    char chunk[65536];
    size_t n;
    int rc = CL_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = cl_buf_put(&b, chunk, n);
    if (!rc && ferror(f))
        rc = cl_seterr(CL_EIO, "cannot read %s: %s", path, strerror(errno));
    if (!in)
        fclose(f);
    if (rc) {
        cl_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *data = b.len ? cl_buf_steal(&b) : strdup("");
    return *data ? CL_OK : cl_seterr(CL_ENOMEM, "out of memory");
}

/* ----- progress on a terminal ----- */

static void progress_bar(void *ctx, size_t done, size_t total)
{
    const char *name = ctx;
    int width = 30, fill = (int)(done * (size_t)width / total);
    fprintf(stderr, "\r%s [%.*s%*s] %3d%%", name, fill, "##############################", width - fill, "",
            (int)(done * 100 / total));
    if (done == total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ----- import ----- */

static const cli_cmd *io_cmd(const char *name) { return cli_find(name); }

static void report(const char *what, const cl_import_result *r, bool dry)
{
    const size_t shown = 50;
    for (size_t i = 0; i < r->nnotices && i < shown; i++)
        fprintf(stderr, "clientele: %s\n", r->notices[i]);
    if (r->nnotices > shown)
        fprintf(stderr, "clientele: … and %zu more notices\n", r->nnotices - shown);
    if (!strcmp(what, "ops")) {
        printf("restored %zu new ops\n", r->ops);
        return;
    }
    printf("%s %zu %s: %zu new, %zu updated, %zu unchanged", dry ? "would import" : "imported",
           r->created + r->updated + r->unchanged, what, r->created, r->updated, r->unchanged);
    if (r->companies)
        printf("; %zu companies %s", r->companies, dry ? "to create" : "created");
    if (r->duplicates)
        printf("; %zu possible duplicates (see above; 'clientele merge KEEP-ID OTHER-ID' merges two)", r->duplicates);
    putchar('\n');
}

/* Where --skip-bad writes the refused rows: beside FILE, "NAME.refused.csv"
 * (the k-th try: "NAME.refused-K.csv"). */
static void refused_path(const char *file, const char *ext, int k, char *out, size_t cap)
{
    const char *dot = strrchr(file, '.'), *slash = strrchr(file, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - file) : strlen(file);
    char nth[16] = "";
    if (k > 1)
        snprintf(nth, sizeof nth, "-%d", k);
    snprintf(out, cap, "%.*s.refused%s.%s", (int)stem, file, nth, ext);
}

/* --dry-run / --skip-bad: every refused row or card (all of them, not the
 * first 50), and the file of them to fix. Exit 1 when a dry run found rows it
 * would refuse, so that a script can tell. */
static int refusals(const char *file, bool vcard, bool dry, const cl_import_result *r)
{
    const char *one = vcard ? "card" : "row", *many = vcard ? "cards" : "rows";
    for (size_t i = 0; i < r->nproblems; i++)
        fprintf(stderr, "clientele: refused: %s\n", r->problems[i]);
    if (dry) {
        printf("dry run: nothing was stored; %zu %s would be refused\n", r->nproblems, r->nproblems == 1 ? one : many);
        return r->nproblems ? EXIT_FAIL : EXIT_OK;
    }
    if (!r->nproblems || !r->refused)
        return EXIT_OK;
    char path[4200];
    FILE *f = NULL;
    errno = 0;
    for (int k = 1; !f && k < 100 && (k == 1 || errno == EEXIST); k++) { /* never over a file of the user's */
        refused_path(file, vcard ? "vcf" : "csv", k, path, sizeof path);
        f = fopen(path, "wx");
    }
    if (!f || fwrite(r->refused, 1, r->refused_len, f) != r->refused_len || fclose(f)) {
        if (f)
            fclose(f);
        fprintf(stderr, "clientele: %zu %s refused, but %s could not be written: %s\n", r->nproblems, many, path,
                strerror(errno));
        return EXIT_FAIL;
    }
    printf("%zu %s refused, written to %s: fix them and import that file\n", r->nproblems,
           r->nproblems == 1 ? one : many, path);
    return EXIT_OK;
}

/* What standard input holds, from its first bytes: a vCard, a backup or
 * else CSV. */
static enum io_format format_of_text(const char *data, size_t len)
{
    size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (len - i >= 11 && !strncasecmp(data + i, "BEGIN:VCARD", 11))
        return F_VCARD;
    return i < len && data[i] == '{' ? F_JSON : F_CSV;
}

/* The format (from --format, the file's name or for standard input its
 * text) and the type of an import. */
static int import_args(const cli_cmd *cmd, const char *path, const char *data, size_t len, const char *format_s,
                       const char *type_s, enum io_format *fmt, uint8_t *type)
{
    *fmt = format_s ? format_named(format_s) : !strcmp(path, "-") ? format_of_text(data, len) : format_of_path(path);
    if (*fmt == F_NONE)
        return format_s ? cli_usage(cmd, "unknown format '%s' (vcard, csv or json)", format_s)
                        : cli_usage(cmd, "cannot tell the format of '%s' from its name (.vcf, .vcard, .csv, .json): "
                                         "use --format", path);
    *type = CL_T_CONTACT;
    if (type_s && cl_type_parse(type_s, type))
        return cli_usage(cmd, "%s", cl_errmsg());
    if (type_s && *fmt == F_JSON) /* harmless: say so rather than refuse */
        fprintf(stderr, "clientele: --type ignored: a backup restores every type\n");
    if (type_s && *fmt == F_VCARD && *type != CL_T_CONTACT)
        return cli_usage(cmd, "vCard files import as contacts (and their companies): --type %s does not apply", type_s);
    return EXIT_OK;
}

/* The options that apply to some formats only. */
static int import_flags(const cli_cmd *cmd, enum io_format fmt, uint8_t type, const char *map_s, const char *order_s,
                        const char *enc_s, bool dry, bool skip)
{
    if (order_s && strcmp(order_s, "dmy") && strcmp(order_s, "mdy"))
        return cli_usage(cmd, "--date-order is dmy (14/03/1970) or mdy (03/14/1970)");
    if ((map_s || order_s) && (fmt != F_CSV || type != CL_T_CONTACT))
        return cli_usage(cmd, "--map and --date-order apply to CSV files of contacts");
    if ((dry || skip) && fmt == F_JSON)
        return cli_usage(cmd, "--dry-run and --skip-bad apply to CSV and vCard files");
    if (enc_s && fmt != F_CSV)
        return cli_usage(cmd, "--encoding applies to CSV files (a vCard says its CHARSET)");
    return EXIT_OK;
}

static int cmd_import(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = io_cmd("import");
    const char *type_s = NULL, *format_s = NULL, *map_s = NULL, *order_s = NULL, *enc_s = NULL, *pos[1];
    bool dry = false, skip = false;
    const cli_opt opts[] = {{"type", &type_s, NULL},      {"format", &format_s, NULL},
                            {"map", &map_s, NULL},        {"date-order", &order_s, NULL},
                            {"encoding", &enc_s, NULL},   {"dry-run", NULL, &dry},
                            {"skip-bad", NULL, &skip},    {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "missing FILE (or - for standard input)");
    char *data = NULL, *map_text = NULL;
    size_t len = 0, map_len;
    bool in = !strcmp(pos[0], "-");
    if (in && read_file(pos[0], &data, &len)) /* its format is in its text */
        return cli_fail();
    enum io_format fmt;
    uint8_t type;
    if ((rc = import_args(cmd, pos[0], data, len, format_s, type_s, &fmt, &type)) ||
        (rc = import_flags(cmd, fmt, type, map_s, order_s, enc_s, dry, skip))) {
        free(data);
        return rc;
    }
    /* --map FILE, or the pairs themselves */
    if ((map_s && !access(map_s, R_OK) && read_file(map_s, &map_text, &map_len)) ||
        (!in && read_file(pos[0], &data, &len))) {
        free(data);
        free(map_text);
        return cli_fail();
    }
    const char *base = in ? "stdin" : strrchr(pos[0], '/') ? strrchr(pos[0], '/') + 1 : pos[0];
    cl_import_opts o = {.name = base,
                        .type = type,
                        .progress = isatty(2) ? progress_bar : NULL,
                        .ctx = (void *)base,
                        .map = map_text ? map_text : map_s,
                        .date_order = order_s ? order_s[0] : 0,
                        .encoding = enc_s,
                        .dry_run = dry,
                        .skip_bad = skip};
    cl_import_result r = {0};
    rc = fmt == F_VCARD ? cl_vcard_import(c->store, data, len, &o, &r)
       : fmt == F_CSV   ? cl_csv_import(c->store, data, len, &o, &r)
                        : cl_backup_import(c->store, data, len, &o, &r);
    free(data);
    free(map_text);
    if (o.progress)
        fputs("\r\033[K", stderr);
    if (rc)
        return cli_fail();
    char what[32];
    snprintf(what, sizeof what, "%s records", cl_type_name(fmt == F_VCARD ? CL_T_CONTACT : type));
    report(fmt == F_JSON ? "ops" : fmt == F_VCARD ? "cards" : what, &r, dry);
    rc = refusals(in ? "stdin" : pos[0], fmt == F_VCARD, dry, &r);
    cl_import_result_free(&r);
    return rc;
}

/* ----- export ----- */

static int export_to(cli *c, enum io_format fmt, uint8_t type, FILE *out, size_t *count)
{
    cl_txn *t = NULL;
    int rc = cl_store_read(c->store, &t);
    if (!rc)
        rc = fmt == F_VCARD ? cl_vcard_export(t, type, out, count)
           : fmt == F_CSV   ? cl_csv_export(t, type, out, count)
                            : cl_backup_export(t, out, count);
    cl_txn_end(t);
    return rc;
}

/* Into FILE.tmp, renamed over FILE once complete: a failed export never
 * leaves half a backup where a whole one was. */
static int export_file(cli *c, enum io_format fmt, uint8_t type, const char *path, size_t *count)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* owner-only, like the folder it comes from: an export is the whole book */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        if (fd >= 0)
            close(fd);
        return cl_seterr(CL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    int rc = export_to(c, fmt, type, f, count);
    if (fclose(f) && !rc)
        rc = cl_seterr(CL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path))
        rc = cl_seterr(CL_EIO, "cannot write %s: %s", path, strerror(errno));
    if (rc)
        remove(tmp);
    return rc;
}

static int cmd_export(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = io_cmd("export");
    const char *type_s = NULL, *format_s = NULL, *output = NULL, *pos[1];
    const cli_opt opts[] = {{"type", &type_s, NULL}, {"format", &format_s, NULL}, {"output", &output, NULL}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    enum io_format fmt = format_s ? format_named(format_s) : output ? format_of_path(output) : F_NONE;
    if (fmt == F_NONE)
        return format_s ? cli_usage(cmd, "unknown format '%s' (vcard, csv or json)", format_s)
                        : cli_usage(cmd, "missing --format (vcard, csv or json)");
    uint8_t type = CL_T_CONTACT;
    if (type_s && cl_type_parse(type_s, &type))
        return cli_usage(cmd, "%s", cl_errmsg());
    if (type_s && fmt == F_JSON)
        fprintf(stderr, "clientele: --type ignored: the json backup holds every type\n");
    if (fmt == F_VCARD && type != CL_T_CONTACT && type != CL_T_COMPANY)
        return cli_usage(cmd, "vCard holds contacts and companies, not %s records", type_s);
    size_t count = 0;
    rc = output ? export_file(c, fmt, type, output, &count) : export_to(c, fmt, type, stdout, &count);
    if (rc)
        return cli_fail();
    if (output)
        printf("exported %zu %s to %s\n", count, fmt == F_JSON ? "ops" : fmt == F_VCARD ? "cards" : "rows", output);
    return EXIT_OK;
}

/* ----- merge ----- */

static int cmd_merge(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = io_cmd("merge");
    const char *pos[2];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 2, &npos);
    if (rc)
        return rc;
    if (npos != 2)
        return cli_usage(cmd, "merge needs two record ids");
    cl_record_id keep, drop;
    if ((rc = cli_parse_record_id(cmd, pos[0], &keep)) || (rc = cli_parse_record_id(cmd, pos[1], &drop)))
        return rc;
    cl_merge_result r;
    if (cl_record_merge(c->store, &keep, &drop, &r))
        return cli_fail();
    printf("merged %s into %s: %zu references moved, %zu fields filled\n", pos[1], pos[0], r.refs_moved,
           r.fields_filled);
    return EXIT_OK;
}

/* ----- undo-import ----- */

static int cmd_undo_import(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = io_cmd("undo-import");
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 0, &npos);
    if (rc)
        return rc;
    cl_undo_result r;
    if (cl_import_undo(c->store, &r))
        return cli_fail();
    char when[32];
    cl_format_iso(r.at, when);
    strcpy(when + 19, "Z");
    printf("undid the import of %s (%s): %zu record%s deleted, %zu field%s restored\n", r.name, when, r.deleted,
           r.deleted == 1 ? "" : "s", r.restored, r.restored == 1 ? "" : "s");
    if (r.kept)
        printf("left alone, because changed since the import: %zu (records or fields)\n", r.kept);
    return EXIT_OK;
}

const cli_cmd cli_io_cmds[] = {
    {"import", "import FILE [--type TYPE] [--format vcard|csv|json] [--map MAP] [--date-order dmy|mdy] "
               "[--encoding NAME] [--dry-run] [--skip-bad]",
     "Import a file; the format comes from its name (.vcf/.vcard, .csv, .json) unless --format says.\n"
     "FILE - reads standard input (its format from its first line unless --format says).\n"
     "vCard (2.1, 3.0, 4.0): one contact per card; ORG finds the company of that name (case,\n"
     "punctuation and legal form such as Inc aside) or creates it; a card whose UID is a record\n"
     "id updates that record. CSV: the header row names the fields (--type, default contact);\n"
     "a row whose id column names a record updates the fields of its non-empty cells; the\n"
     "columns the export adds are read too (names beside ids, 'phone 2'…). Contacts exported by\n"
     "another program (Google, Outlook, LinkedIn, Thunderbird, HubSpot, Salesforce, Pipedrive…)\n"
     "are read by their header's words and the mapping used is printed; --map 'Their Column=field;…' (or a file of such lines)\n"
     "says what the header does not; --date-order settles dates like 03/04/1988. A file that is\n"
     "not UTF-8 is read as UTF-16 or Windows-1250/1252 with a notice, or as --encoding says.\n"
     "JSON: a backup made by 'export --format json', restored exactly. Mappings:\n"
     "docs/import-export.md.\n"
     "A file with an error is refused whole (line number and reason) and nothing is stored.\n"
     "CSV: --dry-run names every row that would be refused and stores nothing; --skip-bad\n"
     "imports the others and writes the refused rows to FILE.refused.csv to fix and import.\n"
     "New contacts sharing an email or phone with another are reported as possible duplicates.",
     cmd_import, true},
    {"export", "export --format vcard|csv|json [--type TYPE] [--output FILE]",
     "Write records to standard output (or FILE). vcard: vCard 4.0 of contacts (or companies), the\n"
     "UID being the record id so that importing the file again updates instead of duplicating.\n"
     "csv: a header row of field names, the id column first (--type, default contact). json: a\n"
     "complete backup (every change ever made, from every device) that 'import' restores.",
     cmd_export, true},
    {"merge", "merge KEEP-ID OTHER-ID",
     "Merge two records of the same type: every interaction, task, deal and contact pointing to\n"
     "OTHER-ID is moved to KEEP-ID, KEEP-ID's empty fields are filled from OTHER-ID's, tags are\n"
     "united, differing values are kept in KEEP-ID's notes, and OTHER-ID is deleted.",
     cmd_merge, true},
    {"undo-import", "undo-import",
     "Take the last vCard or CSV import back (again: the one before; the last 10 can be undone):\n"
     "the records it created are deleted and the fields it changed get their old values, as\n"
     "ordinary edits that sync. A record or field changed since the import, here or on a paired\n"
     "device, is left as it is and counted.",
     cmd_undo_import, true},
    {0},
};
