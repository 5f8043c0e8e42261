/* import, export. */
#include "cli/cli.h"

const cli_cmd cli_io_cmds[] = {{0}};
