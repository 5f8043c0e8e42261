/* peer, sync, serve: filled in by the sync and web layers. */
#include "cli/cli.h"

const cli_cmd cli_sync_cmds[] = {{0}};
