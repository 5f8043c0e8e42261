/* The command line: shared helpers of the commands (src/cli/cmd_*.c). */
#ifndef CLIENTELE_CLI_H
#define CLIENTELE_CLI_H

#include "clientele/codec.h"
#include "clientele/net.h"
#include "clientele/store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* The opened data folder. */
typedef struct cli {
    char dir[4096];
    cl_identity *ident;
    cl_store *store;
} cli;

/* One option a command accepts: "--name VALUE" (value != NULL) or "--name"
 * (flag != NULL). */
typedef struct cli_opt {
    const char *name;
    const char **value;
    bool *flag;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *usage;   /* "put TYPE [ID] FIELD=VALUE …" */
    const char *help;    /* one paragraph */
    int (*run)(cli *c, int argc, char **argv);
    bool needs_store;    /* open (creating) the data folder before run */
} cli_cmd;

/* Parse argv[1..] against opts; positional arguments land in pos (at most
 * maxpos). Prints a usage error and returns EXIT_USAGE on a bad option. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts,
              const char **pos, int maxpos, int *npos);

int cli_fail(void);                                   /* prints cl_errmsg(), returns 1 */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_record_id(const cli_cmd *cmd, const char *text, cl_record_id *id);

const cli_cmd *cli_find(const char *name);

/* From here on, stdout is text for people: control characters in it (names
 * and values other devices sent: ESC, a lone CR, BEL, C1) are escaped as
 * cl_escape_controls() does, lines and tabs kept. Not for --json or exports,
 * which must stay exact. Idempotent. */
void cli_text_stdout(void);

/* Command tables, one per file. */
extern const cli_cmd cli_record_cmds[];
extern const cli_cmd cli_device_cmds[];
extern const cli_cmd cli_sync_cmds[];
extern const cli_cmd cli_io_cmds[];
extern const cli_cmd cli_serve_cmds[];

int cli_main(int argc, char **argv);

#endif
